/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What management reports, shared by JSON-RPC and telemetry:
 * gateway.info, stats.get (JSON, and the Prometheus text exposition
 * format), the JSON shape of a peer. Counters are summed from the
 * per-lcore stats (ws_gw_stats_sum: any thread, torn-free); per-peer
 * figures come from control's snapshots.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "mgmt_priv.h"
#include "ws_crypto.h"

/*
 * Out of memory anywhere gives no reply rather than one with parts
 * missing: these take v (its reference) and give back the container, or
 * NULL with both released.
 */
static json_t *append(json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) == 0)
		return a;
	json_decref(a);
	return NULL;
}

static json_t *set(json_t *o, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, v) == 0)
		return o;
	json_decref(o);
	return NULL;
}

static json_t *key_json(const uint8_t key[WS_KEY_LEN])
{
	char b64[WS_KEY_B64_LEN];

	ws_key_to_base64(b64, key);
	return json_string(b64);
}

static json_t *endpoint_json(const struct ws_endpoint *ep)
{
	char s[WS_ENDPOINT_STR_MAX];

	if (ep->family == WS_AF_NONE || ws_endpoint_format(s, sizeof(s), ep) < 0)
		return json_null();
	return json_string(s);
}

static json_t *prefixes_json(const struct ws_prefix *p, unsigned n)
{
	json_t *a = json_array();
	char s[64];

	for (unsigned i = 0; a != NULL && i < n; i++)
		if (ws_prefix_format(s, sizeof(s), &p[i]) >= 0)
			a = append(a, json_string(s));
	return a;
}

json_t *ws_mgmt_peer_json(const struct ws_mgmt_peer *p)
{
	/* Never the preshared key: only whether there is one. */
	return json_pack("{s:o,s:o,s:o,s:i,s:I,s:I,s:I,s:I,s:I,s:b,s:I}",
			 "public_key", key_json(p->public_key),
			 "endpoint", endpoint_json(&p->endpoint),
			 "allowed_ips", prefixes_json(p->allowed_ips, p->n_allowed_ips),
			 "persistent_keepalive", (int)p->persistent_keepalive,
			 "last_handshake", (json_int_t)p->last_handshake_sec,
			 "rx_bytes", (json_int_t)p->rx_bytes,
			 "tx_bytes", (json_int_t)p->tx_bytes,
			 "rx_packets", (json_int_t)p->rx_packets,
			 "tx_packets", (json_int_t)p->tx_packets,
			 "has_preshared_key", p->has_preshared_key,
			 "id", (json_int_t)p->id);
}

static json_t *roles_json(uint32_t roles)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ WS_ROLE_RX, "rx" }, { WS_ROLE_WORKER, "worker" }, { WS_ROLE_TX, "tx" },
		{ WS_ROLE_CONTROL, "control" }, { WS_ROLE_HANDSHAKE, "handshake" },
	};
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < RTE_DIM(names); i++)
		if (roles & names[i].bit)
			a = append(a, json_string(names[i].name));
	return a;
}

static uint64_t uptime_s(const struct ws_gw *gw)
{
	return (rte_get_tsc_cycles() - gw->start_tsc) / rte_get_tsc_hz();
}

static json_t *port_json(const struct ws_gw *gw, unsigned i)
{
	const struct ws_gw_port *gp = &gw->ports[i];
	const struct ws_config_port *cp = gp->cfg;
	struct rte_eth_link link;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], s[64];
	json_t *addrs = json_array();

	for (unsigned a = 0; addrs != NULL && a < cp->n_addrs; a++)
		if (ws_prefix_format(s, sizeof(s), &cp->addrs[a]) >= 0)
			addrs = append(addrs, json_string(s));
	rte_ether_format_addr(mac, sizeof(mac), &gp->net.mac);
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(gp->port_id, &link);
	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:i,s:{s:b,s:I,s:s}}",
			 "name", cp->name, "device", cp->device,
			 "role", ws_port_role_name(cp->role), "port_id", (int)gp->port_id,
			 "mac", mac, "addresses", addrs, "mtu", (int)gp->mtu,
			 "link", "up", link.link_status == RTE_ETH_LINK_UP,
			 "speed_mbps", (json_int_t)link.link_speed,
			 "duplex", link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half");
}

json_t *ws_mgmt_info_json(struct ws_gw_mgmt *m)
{
	struct ws_gw *gw = m->gw;
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_GET);
	json_t *lcores = json_array(), *ports = json_array(), *out;
	int ret;

	for (unsigned i = 0; lcores != NULL && i < RTE_MAX_LCORE; i++)
		if (gw->lcores[i].roles != 0)
			lcores = append(lcores, json_pack("{s:i,s:o}", "lcore", (int)i,
							  "roles", roles_json(gw->lcores[i].roles)));
	for (unsigned i = 0; ports != NULL && i < gw->n_ports; i++)
		ports = append(ports, port_json(gw, i));
	out = json_pack("{s:s,s:s,s:I,s:s,s:o,s:o}", "name", gw->cfg->name,
			"version", m->version, "uptime", (json_int_t)uptime_s(gw),
			"crypto", ws_crypto_backend_name(gw->cfg->crypto),
			"lcores", lcores, "ports", ports);
	if (r == NULL || out == NULL) {
		ws_mgmt_req_free(r);
		json_decref(out);
		return NULL;
	}
	ret = ws_mgmt_call(m, r);
	if (ret == 0) {
		out = set(out, "public_key", key_json(r->public_key));
		if (out != NULL)
			out = set(out, "listen_port", json_integer(r->out_listen_port));
		if (out != NULL)
			out = set(out, "peers", json_integer(r->n_total_peers));
		if (out != NULL)
			out = set(out, "max_peers", json_integer(r->peer_capacity));
		ws_mgmt_req_free(r);
	}
	return out;
}

/* TSC cycles as microseconds (cycles * 1e6 / hz without overflowing 64 bits). */
static uint64_t cycles_us(uint64_t cycles)
{
	uint64_t hz = rte_get_tsc_hz();

	return hz == 0 ? 0 : (uint64_t)((unsigned __int128)cycles * 1000000u / hz);
}

static json_t *lcore_stats_json(unsigned id, uint32_t roles, const struct ws_lcore_stats *s)
{
	uint64_t rxp = 0, txp = 0, drops = 0;

	for (unsigned p = 0; p < WS_MAX_PORTS; p++) {
		rxp += s->rx_packets[p];
		txp += s->tx_packets[p];
	}
	for (unsigned d = 0; d < WS_NET_DROP_MAX; d++)
		drops += s->parse_drops[d];
	for (unsigned d = 0; d < WS_GW_DROP_MAX; d++)
		drops += s->drops[d];
	return json_pack("{s:i,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lcore", (int)id,
			 "roles", roles_json(roles), "rx_packets", (json_int_t)rxp,
			 "tx_packets", (json_int_t)txp, "encrypted", (json_int_t)s->encrypted,
			 "decrypted", (json_int_t)s->decrypted,
			 "handshakes_in", (json_int_t)s->handshakes_in,
			 "handshakes_out", (json_int_t)s->handshakes_out, "drops", (json_int_t)drops,
			 "busy_us", (json_int_t)cycles_us(s->busy_cycles),
			 "loop_us", (json_int_t)cycles_us(s->loop_cycles));
}

json_t *ws_mgmt_stats_json(struct ws_gw_mgmt *m)
{
	struct ws_gw *gw = m->gw;
	struct ws_lcore_stats t;
	json_t *ports = json_array(), *lcores = json_array(), *drops = json_object();

	ws_gw_stats_sum(gw, &t);
	for (unsigned i = 0; ports != NULL && i < gw->n_ports; i++)
		ports = append(ports, json_pack("{s:s,s:I,s:I,s:I,s:I}",
			"name", gw->ports[i].cfg->name, "rx_packets", (json_int_t)t.rx_packets[i],
			"rx_bytes", (json_int_t)t.rx_bytes[i], "tx_packets", (json_int_t)t.tx_packets[i],
			"tx_bytes", (json_int_t)t.tx_bytes[i]));
	for (unsigned i = 0; lcores != NULL && i < RTE_MAX_LCORE; i++)
		if (gw->lcores[i].roles != 0)
			lcores = append(lcores, lcore_stats_json(i, gw->lcores[i].roles,
								 &gw->stats[i]));
	for (unsigned d = 1; drops != NULL && d < WS_NET_DROP_MAX; d++)
		drops = set(drops, ws_net_drop_name((enum ws_net_drop)d),
			    json_integer((json_int_t)t.parse_drops[d]));
	for (unsigned d = 0; drops != NULL && d < WS_GW_DROP_MAX; d++)
		drops = set(drops, ws_gw_drop_name((enum ws_gw_drop)d),
			    json_integer((json_int_t)t.drops[d]));
	return json_pack("{s:I,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o}",
			 "uptime", (json_int_t)uptime_s(gw), "ports", ports, "lcores", lcores,
			 "totals", "encrypted", (json_int_t)t.encrypted,
			 "decrypted", (json_int_t)t.decrypted,
			 "handshakes_in", (json_int_t)t.handshakes_in,
			 "handshakes_out", (json_int_t)t.handshakes_out,
			 "cookies_sent", (json_int_t)t.cookies_sent,
			 "keepalives_rx", (json_int_t)t.keepalives_rx,
			 "icmp_too_big", (json_int_t)t.icmp_too_big,
			 "drops", drops);
}

/* A growing text buffer. */
struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s != NULL ? t->s + t->len : NULL, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if (t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap != 0 ? t->cap : 4096;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *s = realloc(t->s, cap);
		if (s == NULL) {
			t->failed = true;
			return;
		}
		t->s = s;
		t->cap = cap;
	}
}

static void metric_head(struct text *t, const char *name, const char *type, const char *help)
{
	tprintf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Prometheus text exposition format 0.0.4. Label values here are names
 * from our tables, the config's port names and base64 keys: escaped all
 * the same (backslash, quote, newline) in case a port name holds one.
 */
static const char *label(char *buf, size_t len, const char *v)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			buf[o++] = '\\';
			buf[o++] = *v;
		} else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *v;
		}
	}
	buf[o] = '\0';
	return buf;
}

char *ws_mgmt_prometheus(struct ws_gw_mgmt *m)
{
	struct ws_gw *gw = m->gw;
	struct ws_mgmt_peer *peers = NULL;
	unsigned n = 0, i;
	struct ws_lcore_stats st;
	struct text t = { 0 };
	char iface[64], lb[128], key[WS_KEY_B64_LEN];
	int ret;

	ret = ws_mgmt_list_all(m, false, &peers, &n);
	if (ret != 0) {
		errno = -ret;
		return NULL;
	}
	ws_gw_stats_sum(gw, &st);
	label(iface, sizeof(iface), gw->cfg->name);

	metric_head(&t, "wirespeed_uptime_seconds", "gauge", "Seconds since the gateway started.");
	tprintf(&t, "wirespeed_uptime_seconds{interface=\"%s\"} %" PRIu64 "\n", iface,
		uptime_s(gw));
	metric_head(&t, "wirespeed_peers", "gauge", "Peers configured.");
	tprintf(&t, "wirespeed_peers{interface=\"%s\"} %u\n", iface, n);

	metric_head(&t, "wirespeed_peer_rx_bytes_total", "counter",
		    "Bytes of WireGuard data messages received from the peer.");
	for (i = 0; i < n; i++) {
		ws_key_to_base64(key, peers[i].public_key);
		tprintf(&t, "wirespeed_peer_rx_bytes_total{interface=\"%s\",public_key=\"%s\"} %"
			PRIu64 "\n", iface, key, peers[i].rx_bytes);
	}
	metric_head(&t, "wirespeed_peer_tx_bytes_total", "counter",
		    "Bytes of WireGuard data messages sent to the peer.");
	for (i = 0; i < n; i++) {
		ws_key_to_base64(key, peers[i].public_key);
		tprintf(&t, "wirespeed_peer_tx_bytes_total{interface=\"%s\",public_key=\"%s\"} %"
			PRIu64 "\n", iface, key, peers[i].tx_bytes);
	}
	metric_head(&t, "wirespeed_peer_last_handshake_seconds", "gauge",
		    "Unix time of the peer's last completed handshake, 0 if none.");
	for (i = 0; i < n; i++) {
		ws_key_to_base64(key, peers[i].public_key);
		tprintf(&t, "wirespeed_peer_last_handshake_seconds{interface=\"%s\",public_key=\"%s\"} %"
			PRId64 "\n", iface, key, peers[i].last_handshake_sec);
	}
	ws_mgmt_peers_free(peers, n);

	metric_head(&t, "wirespeed_drops_total", "counter", "Packets dropped, by reason.");
	for (i = 1; i < WS_NET_DROP_MAX; i++)
		tprintf(&t, "wirespeed_drops_total{interface=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
			iface, label(lb, sizeof(lb), ws_net_drop_name((enum ws_net_drop)i)),
			st.parse_drops[i]);
	for (i = 0; i < WS_GW_DROP_MAX; i++)
		tprintf(&t, "wirespeed_drops_total{interface=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
			iface, label(lb, sizeof(lb), ws_gw_drop_name((enum ws_gw_drop)i)),
			st.drops[i]);

	metric_head(&t, "wirespeed_port_rx_packets_total", "counter", "Packets received, by port.");
	for (i = 0; i < gw->n_ports; i++)
		tprintf(&t, "wirespeed_port_rx_packets_total{interface=\"%s\",port=\"%s\"} %" PRIu64
			"\n", iface, label(lb, sizeof(lb), gw->ports[i].cfg->name), st.rx_packets[i]);
	metric_head(&t, "wirespeed_port_tx_packets_total", "counter", "Packets sent, by port.");
	for (i = 0; i < gw->n_ports; i++)
		tprintf(&t, "wirespeed_port_tx_packets_total{interface=\"%s\",port=\"%s\"} %" PRIu64
			"\n", iface, label(lb, sizeof(lb), gw->ports[i].cfg->name), st.tx_packets[i]);
	metric_head(&t, "wirespeed_handshakes_total", "counter", "Handshake messages, by direction.");
	tprintf(&t, "wirespeed_handshakes_total{interface=\"%s\",direction=\"in\"} %" PRIu64 "\n",
		iface, st.handshakes_in);
	tprintf(&t, "wirespeed_handshakes_total{interface=\"%s\",direction=\"out\"} %" PRIu64 "\n",
		iface, st.handshakes_out);
	for (unsigned k = 0; k < 2; k++) {
		const char *name = k == 0 ? "wirespeed_lcore_busy_seconds_total"
					  : "wirespeed_lcore_loop_seconds_total";

		metric_head(&t, name, "counter", k == 0 ?
			    "Seconds an lcore spent in polls that moved packets or handshakes." :
			    "Seconds an lcore spent in its poll loop, idle polls and sleeps included.");
		for (i = 0; i < RTE_MAX_LCORE; i++)
			if (gw->lcores[i].roles != 0)
				tprintf(&t, "%s{interface=\"%s\",lcore=\"%u\"} %.6f\n", name, iface, i,
					(double)cycles_us(k == 0 ? gw->stats[i].busy_cycles
								 : gw->stats[i].loop_cycles) / 1e6);
	}
	if (t.failed) {
		free(t.s);
		errno = ENOMEM;
		return NULL;
	}
	return t.s;
}
