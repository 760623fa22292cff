/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The network side of the config: ports, routes, neighbors. Ports come
 * first (config.c's parse_root keeps that order) so that routes and
 * neighbors can name them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* Addresses a gateway may own or send to: no wildcard, loopback, multicast. */
static bool unicast(const struct ws_ipaddr *a)
{
	static const uint8_t zero[16], loop6[16] = { [15] = 1 };

	if (a->family == WS_AF_INET)
		return a->addr[0] != 0 && a->addr[0] != 127 && a->addr[0] < 224;
	return memcmp(a->addr, zero, 16) != 0 && memcmp(a->addr, loop6, 16) != 0 &&
	       a->addr[0] != 0xff;
}

static bool link_local6(const struct ws_ipaddr *a)
{
	return a->family == WS_AF_INET6 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80;
}

/* A next hop must be resolvable by ARP/ND on the port: inside one of its subnets. */
static bool onlink(const struct ws_config_port *p, const struct ws_ipaddr *a)
{
	if (link_local6(a))
		return true;
	for (unsigned i = 0; i < p->n_addrs; i++)
		if (ws_prefix_contains(&p->addrs[i], a))
			return true;
	return false;
}

static bool own_address(const struct ws_config_port *p, const struct ws_ipaddr *a)
{
	for (unsigned i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].family == a->family &&
		    memcmp(p->addrs[i].addr, a->addr, 16) == 0)
			return true;
	return false;
}

static int find_port(const struct ws_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A required member naming a defined port; *port gets its index. */
static int port_ref(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		    unsigned *port)
{
	const char *s = NULL;
	int ret = ws_cfg_req_string(c, obj, "port", &s);
	size_t mark;
	int i;

	if (ret < 0)
		return ret;
	i = find_port(cfg, s);
	if (i >= 0) {
		*port = (unsigned)i;
		return 0;
	}
	mark = ws_cfg_push_key(c, "port");
	ret = ws_cfg_fail_value(c, s, "no port of that name");
	ws_cfg_pop(c, mark);
	return ret;
}

/* A required member holding a unicast address. */
static int addr_member(struct ws_cfg_ctx *c, const json_t *obj, const char *key,
		       struct ws_ipaddr *out)
{
	const char *s = NULL, *why;
	size_t mark;
	int ret = ws_cfg_req_string(c, obj, key, &s);

	if (ret < 0)
		return ret;
	mark = ws_cfg_push_key(c, key);
	if (ws_addr_parse(out, s, &why) < 0)
		ret = ws_cfg_fail_value(c, s, why);
	else if (!unicast(out))
		ret = ws_cfg_fail_value(c, s, "not a unicast address");
	ws_cfg_pop(c, mark);
	return ret;
}

/* ---- ports ---- */

static bool name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

static int port_name(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config *cfg,
		     struct ws_config_port *p)
{
	const char *s = NULL;
	size_t len;
	int ret = ws_cfg_req_string(c, obj, "name", &s);

	if (ret < 0)
		return ret;
	len = strlen(s);
	if (len == 0 || len >= sizeof(p->name))
		return ws_cfg_fail_at(c, "name", "must be 1..%zu characters", sizeof(p->name) - 1);
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return ws_cfg_fail_at(c, "name", "only letters, digits and _.- are allowed");
	if (find_port(cfg, s) >= 0)
		return ws_cfg_fail_at(c, "name", "\"%s\" is already used by ports[%d]",
				      s, find_port(cfg, s));
	memcpy(p->name, s, len + 1);
	return 0;
}

static int port_device(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		       struct ws_config_port *p)
{
	const char *s = NULL;
	size_t len;
	int ret = ws_cfg_req_string(c, obj, "device", &s);

	if (ret < 0)
		return ret;
	len = strlen(s);
	if (len == 0 || len >= sizeof(p->device))
		return ws_cfg_fail_at(c, "device", "must be 1..%zu characters",
				      sizeof(p->device) - 1);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return ws_cfg_fail_at(c, "device", "must be printable ASCII without spaces");
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].device, s) == 0)
			return ws_cfg_fail_at(c, "device", "\"%s\" is already used by ports[%u]", s, i);
	memcpy(p->device, s, len + 1);
	return 0;
}

static int port_role(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config_port *p)
{
	const char *s = NULL;
	int ret = ws_cfg_req_string(c, obj, "role", &s);

	if (ret < 0)
		return ret;
	if (strcmp(s, "tunnel") == 0)
		p->role = WS_PORT_TUNNEL;
	else if (strcmp(s, "clear") == 0)
		p->role = WS_PORT_CLEAR;
	else
		return ws_cfg_fail_at(c, "role", "must be \"tunnel\" or \"clear\"");
	return 0;
}

static int port_address(struct ws_cfg_ctx *c, const json_t *v, const struct ws_config *cfg,
			struct ws_config_port *p)
{
	struct ws_ipaddr a = { 0 };
	struct ws_prefix *pre = &p->addrs[p->n_addrs];
	const char *s, *why;
	int ret = ws_cfg_want_string(c, v, &s);

	if (ret < 0)
		return ret;
	if (ws_prefix_parse(pre, s, &why) < 0)
		return ws_cfg_fail_value(c, s, why);
	a.family = pre->family;
	memcpy(a.addr, pre->addr, sizeof(a.addr));
	if (!unicast(&a))
		return ws_cfg_fail_value(c, s, "not a unicast address");
	for (unsigned i = 0; i <= cfg->n_ports; i++) {
		const struct ws_config_port *q = &cfg->ports[i];
		/* q == p for the port being parsed, whose n_addrs excludes pre */
		for (unsigned j = 0; j < q->n_addrs; j++)
			if (q->addrs[j].family == a.family &&
			    memcmp(q->addrs[j].addr, a.addr, 16) == 0)
				return ws_cfg_fail_value(c, s, i == cfg->n_ports
							 ? "listed twice on this port"
						      : "already an address of another port");
	}
	p->n_addrs++;
	return 0;
}

static int port_gateway(struct ws_cfg_ctx *c, const json_t *v, struct ws_config_port *p)
{
	struct ws_ipaddr a, *slot;
	const char *s, *why;
	int ret = ws_cfg_want_string(c, v, &s);

	if (ret < 0)
		return ret;
	if (ws_addr_parse(&a, s, &why) < 0)
		return ws_cfg_fail_value(c, s, why);
	if (!unicast(&a))
		return ws_cfg_fail_value(c, s, "not a unicast address");
	slot = a.family == WS_AF_INET ? &p->gateway4 : &p->gateway6;
	if (slot->family != WS_AF_NONE)
		return ws_cfg_fail_value(c, s, a.family == WS_AF_INET ? "a second IPv4 gateway"
					 : "a second IPv6 gateway");
	if (own_address(p, &a))
		return ws_cfg_fail_value(c, s, "is the port's own address");
	if (!onlink(p, &a))
		return ws_cfg_fail_value(c, s, "not within any of the port's addresses");
	*slot = a;
	return 0;
}

static int port_lists(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		      struct ws_config_port *p)
{
	const json_t *addrs = json_object_get(obj, "addresses");
	const json_t *gw = json_object_get(obj, "gateway");
	size_t n = 0, mark;
	int ret = 0;

	if (addrs != NULL) {
		mark = ws_cfg_push_key(c, "addresses");
		ret = ws_cfg_want_array(c, addrs, 0, WS_CONFIG_PORT_ADDRS_MAX, &n);
		for (size_t i = 0; ret == 0 && i < n; i++) {
			size_t m = ws_cfg_push_index(c, i);
			ret = port_address(c, json_array_get(addrs, i), cfg, p);
			ws_cfg_pop(c, m);
		}
		ws_cfg_pop(c, mark);
		if (ret < 0)
			return ret;
	}
	if (p->role == WS_PORT_TUNNEL && p->n_addrs == 0)
		return ws_cfg_fail_at(c, "addresses", "a tunnel port needs at least one address");
	if (gw == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "gateway");
	if (json_is_array(gw)) {
		ret = ws_cfg_want_array(c, gw, 1, 2, &n);
		for (size_t i = 0; ret == 0 && i < n; i++) {
			size_t m = ws_cfg_push_index(c, i);
			ret = port_gateway(c, json_array_get(gw, i), p);
			ws_cfg_pop(c, m);
		}
	} else if (json_is_string(gw)) {
		ret = port_gateway(c, gw, p);
	} else {
		ret = ws_cfg_fail(c, "must be an address or an array of addresses");
	}
	ws_cfg_pop(c, mark);
	return ret;
}

static int port_numbers(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config_port *p)
{
	long long mtu = 1500, rxq = 1, txq = 1;
	const char *mac = NULL, *why;
	int ret;

	ret = ws_cfg_opt_int(c, obj, "mtu", WS_CONFIG_MTU_MIN, WS_CONFIG_MTU_MAX, &mtu);
	if (ret == 0)
		ret = ws_cfg_opt_int(c, obj, "rx_queues", 1, WS_CONFIG_QUEUES_MAX, &rxq);
	if (ret == 0)
		ret = ws_cfg_opt_int(c, obj, "tx_queues", 1, WS_CONFIG_QUEUES_MAX, &txq);
	if (ret == 0)
		ret = ws_cfg_opt_string(c, obj, "mac", &mac);
	if (ret < 0)
		return ret;
	p->mtu = (uint16_t)mtu;
	p->rx_queues = (uint16_t)rxq;
	p->tx_queues = (uint16_t)txq;
	if (mac == NULL)
		return 0;
	size_t mark = ws_cfg_push_key(c, "mac");
	if (ws_mac_parse(p->mac, mac, &why) < 0)
		ret = ws_cfg_fail_value(c, mac, why);
	else if ((p->mac[0] & 1) != 0 || ws_is_zero(p->mac, WS_MAC_LEN))
		ret = ws_cfg_fail_value(c, mac, "not a unicast MAC address");
	ws_cfg_pop(c, mark);
	p->has_mac = ret == 0;
	return ret;
}

static int parse_port(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config *cfg)
{
	static const char *const keys[] = {
		"name", "device", "role", "addresses", "gateway", "mtu",
		"rx_queues", "tx_queues", "mac", NULL
	};
	struct ws_config_port *p = &cfg->ports[cfg->n_ports];
	int ret;

	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = port_name(c, obj, cfg, p);
	if (ret == 0)
		ret = port_device(c, obj, cfg, p);
	if (ret == 0)
		ret = port_role(c, obj, p);
	if (ret == 0)
		ret = port_lists(c, obj, cfg, p);
	if (ret == 0)
		ret = port_numbers(c, obj, p);
	return ret;
}

int ws_cfg_parse_ports(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	const json_t *arr = json_object_get(root, "ports");
	unsigned roles[2] = { 0, 0 };
	size_t n, mark;
	int ret;

	if (arr == NULL)
		return ws_cfg_fail_at(c, "ports", "required (at least one tunnel and one clear port)");
	mark = ws_cfg_push_key(c, "ports");
	ret = ws_cfg_want_array(c, arr, 1, WS_CONFIG_PORTS_MAX, &n);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		size_t m = ws_cfg_push_index(c, i);
		ret = parse_port(c, json_array_get(arr, i), cfg);
		ws_cfg_pop(c, m);
		if (ret == 0)
			roles[cfg->ports[cfg->n_ports++].role]++;
	}
	if (ret == 0 && roles[WS_PORT_TUNNEL] == 0)
		ret = ws_cfg_fail(c, "needs a port with role \"tunnel\"");
	if (ret == 0 && roles[WS_PORT_CLEAR] == 0)
		ret = ws_cfg_fail(c, "needs a port with role \"clear\"");
	ws_cfg_pop(c, mark);
	return ret;
}

/* ---- routes and neighbors ---- */

static int route_cmp(const void *a, const void *b)
{
	return ws_prefix_cmp(&((const struct ws_config_route *)a)->prefix,
			     &((const struct ws_config_route *)b)->prefix);
}

static int parse_route(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		       void *item)
{
	struct ws_config_route *r = item;
	static const char *const keys[] = { "prefix", "via", "port", NULL };
	const char *s = NULL, *why;
	int ret;

	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = ws_cfg_req_string(c, obj, "prefix", &s);
	if (ret < 0)
		return ret;
	if (ws_prefix_parse(&r->prefix, s, &why) < 0) {
		size_t mark = ws_cfg_push_key(c, "prefix");
		ret = ws_cfg_fail_value(c, s, why);
		ws_cfg_pop(c, mark);
		return ret;
	}
	ws_prefix_mask(&r->prefix);
	ret = addr_member(c, obj, "via", &r->via);
	if (ret == 0)
		ret = port_ref(c, obj, cfg, &r->port);
	if (ret < 0)
		return ret;
	if (r->via.family != r->prefix.family)
		return ws_cfg_fail_at(c, "via", "an IPv%d next hop for an IPv%d prefix",
				      r->via.family, r->prefix.family);
	if (!onlink(&cfg->ports[r->port], &r->via))
		return ws_cfg_fail_at(c, "via", "not within any address of port \"%s\"",
				      cfg->ports[r->port].name);
	return 0;
}

/*
 * A list at the root ("routes", "neighbors"): up to max objects, each
 * read by parse into an array of size-byte items (*items, counted in
 * *count as they succeed); then no two may be equal by cmp, and the
 * later of a pair is named, at its field dup_key, as repeating the first.
 */
struct net_list {
	const char *key;
	size_t max, size;
	int (*parse)(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		     void *item);
	int (*cmp)(const void *a, const void *b);
	const char *dup_key, *dup_what;
};

static int parse_net_list(struct ws_cfg_ctx *c, const json_t *root, const struct ws_config *cfg,
			  const struct net_list *l, void **items, unsigned *count)
{
	const json_t *arr = json_object_get(root, l->key);
	size_t n, mark, first, dup;
	uint8_t *base = NULL;
	int ret;

	if (arr == NULL)
		return 0;
	mark = ws_cfg_push_key(c, l->key);
	ret = ws_cfg_want_array(c, arr, 0, l->max, &n);
	if (ret == 0 && n > 0) {
		base = calloc(n, l->size);
		if (base == NULL)
			ret = ws_cfg_fail_nomem(c);
		*items = base;
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		size_t m = ws_cfg_push_index(c, i);
		ret = l->parse(c, json_array_get(arr, i), cfg, base + i * l->size);
		ws_cfg_pop(c, m);
		if (ret == 0)
			(*count)++;
	}
	if (ret == 0) {
		ret = ws_cfg_find_duplicate(base, n, l->size, l->cmp, &first, &dup);
		if (ret < 0) {
			ret = ws_cfg_fail_nomem(c);
		} else if (ret > 0) {
			size_t m = ws_cfg_push_index(c, dup);
			ret = ws_cfg_fail_at(c, l->dup_key, "%s[%zu]", l->dup_what, first);
			ws_cfg_pop(c, m);
		}
	}
	ws_cfg_pop(c, mark);
	return ret;
}

int ws_cfg_parse_routes(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const struct net_list routes = {
		.key = "routes", .max = WS_CONFIG_ROUTES_MAX,
		.size = sizeof(struct ws_config_route), .parse = parse_route, .cmp = route_cmp,
		.dup_key = "prefix", .dup_what = "the same prefix as routes",
	};
	void *items = NULL;
	int ret = parse_net_list(c, root, cfg, &routes, &items, &cfg->n_routes);

	cfg->routes = items;
	return ret;
}

static int neighbor_cmp(const void *a, const void *b)
{
	const struct ws_config_neighbor *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.addr, y->addr.addr, sizeof(x->addr.addr));
}

static int parse_neighbor(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
			  void *item)
{
	struct ws_config_neighbor *nb = item;
	static const char *const keys[] = { "address", "mac", "port", NULL };
	const char *s = NULL, *why;
	int ret;

	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = addr_member(c, obj, "address", &nb->addr);
	if (ret == 0)
		ret = ws_cfg_req_string(c, obj, "mac", &s);
	if (ret < 0)
		return ret;
	size_t mark = ws_cfg_push_key(c, "mac");
	if (ws_mac_parse(nb->mac, s, &why) < 0)
		ret = ws_cfg_fail_value(c, s, why);
	else if (ws_is_zero(nb->mac, WS_MAC_LEN))
		ret = ws_cfg_fail_value(c, s, "the all-zero MAC address");
	ws_cfg_pop(c, mark);
	if (ret == 0)
		ret = port_ref(c, obj, cfg, &nb->port);
	return ret;
}

int ws_cfg_parse_neighbors(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const struct net_list neighbors = {
		.key = "neighbors", .max = WS_CONFIG_NEIGHBORS_MAX,
		.size = sizeof(struct ws_config_neighbor), .parse = parse_neighbor, .cmp = neighbor_cmp,
		.dup_key = "address", .dup_what = "same address and port as neighbors",
	};
	void *items = NULL;
	int ret = parse_net_list(c, root, cfg, &neighbors, &items, &cfg->n_neighbors);

	cfg->neighbors = items;
	return ret;
}
