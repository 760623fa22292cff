/* SPDX-License-Identifier: GPL-2.0-only */
/* The WireGuard side of the config, wg(8)'s keys: interface and peers; and lcores. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* ---- lcores ---- */

static int lcore_list(struct ws_cfg_ctx *c, const json_t *obj, const char *key,
		      uint16_t *ids, unsigned *n_ids)
{
	const json_t *arr = json_object_get(obj, key);
	uint64_t seen[WS_CONFIG_LCORE_ID_MAX / 64] = { 0 };
	size_t n, mark;
	int ret;

	if (arr == NULL)
		return 0;
	mark = ws_cfg_push_key(c, key);
	ret = ws_cfg_want_array(c, arr, 0, WS_CONFIG_LCORES_MAX, &n);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		size_t m = ws_cfg_push_index(c, i);
		long long id;
		ret = ws_cfg_want_int(c, json_array_get(arr, i), 0, WS_CONFIG_LCORE_ID_MAX - 1, &id);
		if (ret == 0 && ((seen[id / 64] >> (id % 64)) & 1))
			ret = ws_cfg_fail(c, "lcore %lld is listed twice", id);
		if (ret == 0) {
			seen[id / 64] |= 1ull << (id % 64);
			ids[(*n_ids)++] = (uint16_t)id;
		}
		ws_cfg_pop(c, m);
	}
	ws_cfg_pop(c, mark);
	return ret;
}

int ws_cfg_parse_lcores(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const char *const keys[] = { "rx", "workers", "tx", "control", "handshake", NULL };
	struct ws_config_lcores *l = &cfg->lcores;
	const json_t *obj = json_object_get(root, "lcores");
	long long control = WS_CONFIG_LCORE_AUTO;
	size_t mark;
	int ret;

	l->control = WS_CONFIG_LCORE_AUTO;
	if (obj == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "lcores");
	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = lcore_list(c, obj, "rx", l->rx, &l->n_rx);
	if (ret == 0)
		ret = lcore_list(c, obj, "workers", l->workers, &l->n_workers);
	if (ret == 0)
		ret = lcore_list(c, obj, "tx", l->tx, &l->n_tx);
	if (ret == 0)
		ret = lcore_list(c, obj, "handshake", l->handshake, &l->n_handshake);
	if (ret == 0)
		ret = ws_cfg_opt_int(c, obj, "control", 0, WS_CONFIG_LCORE_ID_MAX - 1, &control);
	l->control = (int)control;
	ws_cfg_pop(c, mark);
	return ret;
}

/* ---- interface ---- */

/* A key member, decoded; the message never shows the value. */
static int key_member(struct ws_cfg_ctx *c, const json_t *obj, const char *key, bool required,
		      uint8_t out[WS_KEY_LEN], bool *present)
{
	const json_t *v = json_object_get(obj, key);
	int ret = 0;

	*present = v != NULL;
	if (v == NULL)
		return required ? ws_cfg_fail_at(c, key, "required") : 0;
	size_t mark = ws_cfg_push_key(c, key);
	if (!json_is_string(v))
		ret = ws_cfg_fail(c, "must be a string holding a base64 32-byte key");
	else if (ws_key_from_base64(out, json_string_value(v)) < 0)
		ret = ws_cfg_fail(c, "not a base64 32-byte key");
	ws_cfg_pop(c, mark);
	return ret;
}

/* wg(8) takes a number or "off" for fwmark; JSON may give either form. */
static int parse_fwmark(struct ws_cfg_ctx *c, const json_t *obj, uint32_t *out)
{
	const json_t *v = json_object_get(obj, "fwmark");
	long long x = 0;
	int ret = 0;

	if (v == NULL)
		return 0;
	size_t mark = ws_cfg_push_key(c, "fwmark");
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (strcmp(s, "off") != 0) {
			errno = 0;
			unsigned long long u = strtoull(s, &end, 0);
			if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
			    u > UINT32_MAX)
				ret = ws_cfg_fail_value(c, s, "not \"off\" or a 32-bit number");
			x = (long long)u;
		}
	} else {
		ret = ws_cfg_want_int(c, v, 0, UINT32_MAX, &x);
	}
	ws_cfg_pop(c, mark);
	*out = (uint32_t)x;
	return ret;
}

int ws_cfg_parse_interface(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const char *const keys[] = {
		"private_key", "listen_port", "mtu", "fwmark", NULL
	};
	struct ws_config_interface *it = &cfg->interface;
	const json_t *obj = json_object_get(root, "interface");
	long long port = 51820, mtu = 1420;
	bool present;
	size_t mark;
	int ret;

	mark = ws_cfg_push_key(c, "interface");
	if (obj == NULL) {
		ret = ws_cfg_fail_at(c, "private_key", "required");
		goto out;
	}
	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = key_member(c, obj, "private_key", true, it->private_key, &present);
	if (ret < 0)
		goto out;
	if (ws_is_zero(it->private_key, WS_KEY_LEN))
		ret = ws_cfg_fail_at(c, "private_key", "all zeros: not a private key");
	else if (ws_x25519_public(it->public_key, it->private_key) < 0)
		ret = ws_cfg_fail_at(c, "private_key", "not a usable X25519 private key");
	if (ret == 0)
		ret = ws_cfg_opt_int(c, obj, "listen_port", 1, 65535, &port);
	if (ret == 0)
		ret = ws_cfg_opt_int(c, obj, "mtu", WS_CONFIG_MTU_MIN, WS_CONFIG_MTU_MAX, &mtu);
	if (ret == 0)
		ret = parse_fwmark(c, obj, &it->fwmark);
	it->listen_port = (uint16_t)port;
	it->mtu = (uint16_t)mtu;
out:
	ws_cfg_pop(c, mark);
	return ret;
}

/* ---- peers ---- */

static int peer_allowed_ips(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config_peer *p)
{
	const json_t *arr = json_object_get(obj, "allowed_ips");
	size_t n, mark;
	int ret;

	if (arr == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "allowed_ips");
	ret = ws_cfg_want_array(c, arr, 0, WS_CONFIG_ALLOWED_IPS_MAX, &n);
	if (ret == 0 && n > 0) {
		p->allowed_ips = calloc(n, sizeof(*p->allowed_ips));
		if (p->allowed_ips == NULL)
			ret = ws_cfg_fail_nomem(c);
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct ws_prefix *pre = &p->allowed_ips[i];
		const char *s, *why;
		size_t m = ws_cfg_push_index(c, i);
		ret = ws_cfg_want_string(c, json_array_get(arr, i), &s);
		if (ret == 0 && ws_prefix_parse(pre, s, &why) < 0)
			ret = ws_cfg_fail_value(c, s, why);
		if (ret == 0) {
			ws_prefix_mask(pre);
			p->n_allowed_ips++;
		}
		ws_cfg_pop(c, m);
	}
	ws_cfg_pop(c, mark);
	return ret;
}

static int peer_keepalive(struct ws_cfg_ctx *c, const json_t *obj, struct ws_config_peer *p)
{
	const json_t *v = json_object_get(obj, "persistent_keepalive");
	long long secs = 0;
	int ret = 0;

	if (v == NULL)
		return 0;
	size_t mark = ws_cfg_push_key(c, "persistent_keepalive");
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "off") != 0)
			ret = ws_cfg_fail(c, "must be seconds (0..65535) or \"off\"");
	} else {
		ret = ws_cfg_want_int(c, v, 0, 65535, &secs);
	}
	ws_cfg_pop(c, mark);
	p->persistent_keepalive = (uint16_t)secs;
	return ret;
}

static int parse_peer(struct ws_cfg_ctx *c, const json_t *obj, const struct ws_config *cfg,
		      struct ws_config_peer *p)
{
	static const char *const keys[] = {
		"public_key", "preshared_key", "endpoint", "allowed_ips",
		"persistent_keepalive", NULL
	};
	const char *ep = NULL, *why;
	bool present;
	int ret;

	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = key_member(c, obj, "public_key", true, p->public_key, &present);
	if (ret == 0 && ws_memeq(p->public_key, cfg->interface.public_key, WS_KEY_LEN))
		ret = ws_cfg_fail_at(c, "public_key", "is the interface's own public key");
	if (ret == 0)
		ret = key_member(c, obj, "preshared_key", false, p->preshared_key, &present);
	/* As in wg, an all-zero preshared key means none. */
	p->has_preshared_key = ret == 0 && present && !ws_is_zero(p->preshared_key, WS_KEY_LEN);
	if (ret == 0)
		ret = ws_cfg_opt_string(c, obj, "endpoint", &ep);
	if (ret == 0 && ep != NULL && ws_endpoint_parse(&p->endpoint, ep, &why) < 0) {
		size_t mark = ws_cfg_push_key(c, "endpoint");
		ret = ws_cfg_fail_value(c, ep, why);
		ws_cfg_pop(c, mark);
	}
	if (ret == 0)
		ret = peer_allowed_ips(c, obj, p);
	if (ret == 0)
		ret = peer_keepalive(c, obj, p);
	return ret;
}

/* Public keys are not secret, so ordering them with memcmp leaks nothing. */
static int peer_key_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ws_config_peer *)a)->public_key,
		      ((const struct ws_config_peer *)b)->public_key, WS_KEY_LEN);
}

struct aip_ref {
	struct ws_prefix prefix;
	uint32_t peer;
	uint32_t index;
};

static int aip_cmp(const void *a, const void *b)
{
	return ws_prefix_cmp(&((const struct aip_ref *)a)->prefix,
			     &((const struct aip_ref *)b)->prefix);
}

/*
 * wg moves an allowed-ips entry silently to the last peer that claims it;
 * in a file that is a typo, so the second claim is an error.
 */
static int check_allowed_ips(struct ws_cfg_ctx *c, const struct ws_config *cfg)
{
	struct aip_ref *refs;
	size_t total = 0, k = 0, first, dup;
	char text[WS_PREFIX_STR_MAX];
	int ret;

	for (unsigned i = 0; i < cfg->n_peers; i++)
		total += cfg->peers[i].n_allowed_ips;
	if (total < 2)
		return 0;
	refs = malloc(total * sizeof(*refs));
	if (refs == NULL)
		return ws_cfg_fail_nomem(c);
	for (unsigned i = 0; i < cfg->n_peers; i++)
		for (unsigned j = 0; j < cfg->peers[i].n_allowed_ips; j++)
			refs[k++] = (struct aip_ref){ cfg->peers[i].allowed_ips[j], i, j };
	ret = ws_cfg_find_duplicate(refs, total, sizeof(*refs), aip_cmp, &first, &dup);
	if (ret < 0) {
		ret = ws_cfg_fail_nomem(c);
	} else if (ret > 0) {
		const struct aip_ref *a = &refs[first], *b = &refs[dup];
		size_t m = ws_cfg_push_index(c, b->peer);
		size_t m2 = ws_cfg_push_key(c, "allowed_ips");
		ws_cfg_push_index(c, b->index);
		ws_prefix_format(text, sizeof(text), &b->prefix);
		ret = a->peer == b->peer
			? ws_cfg_fail(c, "%s is listed twice for this peer", text)
			: ws_cfg_fail(c, "%s is already an allowed IP of peers[%u]", text, a->peer);
		ws_cfg_pop(c, m2);
		ws_cfg_pop(c, m);
	}
	free(refs);
	return ret;
}

int ws_cfg_parse_peers(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	const json_t *arr = json_object_get(root, "peers");
	size_t n, mark, first, dup;
	int ret;

	if (arr == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "peers");
	ret = ws_cfg_want_array(c, arr, 0, WS_CONFIG_PEERS_MAX, &n);
	if (ret == 0 && n > 0) {
		cfg->peers = calloc(n, sizeof(*cfg->peers));
		if (cfg->peers == NULL)
			ret = ws_cfg_fail_nomem(c);
	}
	for (size_t i = 0, total = 0; ret == 0 && i < n; i++) {
		size_t m = ws_cfg_push_index(c, i);
		/* Counted first so that ws_config_free sees a half-parsed peer. */
		cfg->n_peers++;
		ret = parse_peer(c, json_array_get(arr, i), cfg, &cfg->peers[i]);
		total += cfg->peers[i].n_allowed_ips;
		if (ret == 0 && total > WS_CONFIG_ALLOWED_IPS_TOTAL_MAX)
			ret = ws_cfg_fail_at(c, "allowed_ips", "more than %d allowed_ips over all peers",
					     WS_CONFIG_ALLOWED_IPS_TOTAL_MAX);
		ws_cfg_pop(c, m);
	}
	if (ret == 0) {
		ret = ws_cfg_find_duplicate(cfg->peers, n, sizeof(*cfg->peers), peer_key_cmp,
					    &first, &dup);
		if (ret < 0) {
			ret = ws_cfg_fail_nomem(c);
		} else if (ret > 0) {
			size_t m = ws_cfg_push_index(c, dup);
			ret = ws_cfg_fail_at(c, "public_key", "the same key as peers[%zu]", first);
			ws_cfg_pop(c, m);
		}
	}
	if (ret == 0)
		ret = check_allowed_ips(c, cfg);
	ws_cfg_pop(c, mark);
	return ret;
}
