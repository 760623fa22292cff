/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reorder/TX role. Packets come back from the workers in any order;
 * rte_reorder restores each RX stream's order, and only then, one packet
 * at a time in that order, come the checks that need it: the replay
 * window (after the tag verified), keypair confirmation, roaming, the
 * inner source against allowed-ips, the timer events and the per-peer
 * counters. Then the headers for the way out and the next hop's MAC; a
 * next hop without a usable neighbor entry sends the frame to control to
 * be held while it resolves.
 *
 * Nothing is held across calls: the per-port transmit buffers are flushed
 * before ws_tx_poll returns, so no mbuf outlives the lcore's loop.
 *
 * With several TX lcores, TX lcore t owns the streams s with
 * s % n_tx == t (the workers route by stream), sends on queue t of every
 * port, and TX lcore 0 also sends control's finished frames. A keypair's
 * packets may reach two TX lcores (the peer moved between RX queues), so
 * the replay window is then updated under the peer's window_lock.
 *
 * An inner packet addressed to one of our own addresses is not
 * forwarded: an echo request is turned into its reply, which goes back
 * to the sending peer through control's staging (encrypted like any
 * clear-side packet, in control's stream); anything else is dropped
 * (TO_US, or the parser's reason).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_rib.h>
#include <rte_rib6.h>
#include <rte_per_lcore.h>

#include "dp_priv.h"

enum {
	TX_RING_ROUNDS = 4,     /* bursts taken from each ring per poll */
};

struct tx_port_buf {
	uint16_t n;
	bool offload;                   /* some packet asks the device for an offload */
	struct rte_mbuf *pkts[WS_BURST];
};

/*
 * The last next hop this poll sent to out of a port, with its MAC and the
 * route (code) and a destination that led there: the packets of a burst
 * mostly go the same way, so the route lookup runs once per run of one
 * destination, and the neighbour lookup once per run of one next hop
 * (peers spread over the Internet share the router, whose code is the
 * same for all of them). Kept for one poll only, so a neighbour that
 * changes is seen at the next poll.
 */
struct tx_hop {
	bool valid;
	bool usable;                    /* the neighbour entry has a MAC */
	int32_t code;                   /* the route to nh (gateway.h) */
	struct ws_endpoint dst;         /* one destination routed to nh; by address */
	struct ws_endpoint nh;
	struct rte_ether_addr mac;
};

struct tx_ctx {
	struct ws_gw *gw;
	struct ws_lcore *lc;
	uint64_t now;
	struct ws_dp_peer_acc acc;
	struct tx_port_buf out[WS_MAX_PORTS];
	struct tx_hop hop[WS_MAX_PORTS];
};

/* IPv4 identification of the outer headers, per TX lcore. */
static RTE_DEFINE_PER_LCORE(uint16_t, tx_ip_id);

static const struct rte_ether_addr zero_mac;

/*
 * Routes. At start each port's on-link prefixes, config routes and
 * default gateways become one rte_rib and one rte_rib6 trie (not rte_fib:
 * see lib/wg/allowedips.c), so a packet's next hop is one lookup instead
 * of a scan of the config. The tries give next-hop codes (gateway.h),
 * which rt_resolve turns into addresses. What a miss means (a /0 route,
 * the gateway, or nothing) is worked out at build time. A peer's
 * endpoint carries its code, looked up when the endpoint was set, so
 * sending to many peers in turn costs no lookup per peer.
 */

/* The address code names for dst out of port: nh gets family and address (port 0). */
static int rt_resolve(const struct ws_gw *gw, unsigned port, int32_t code,
		      const struct ws_endpoint *dst, struct ws_endpoint *nh)
{
	const struct ws_config_port *pc = gw->ports[port].cfg;
	const uint8_t *addr;

	if (code == WS_RT_ONLINK) {
		addr = dst->addr;
	} else if (code >= WS_RT_ROUTE) {
		addr = gw->cfg->routes[code - WS_RT_ROUTE].via.addr;
	} else {
		const struct ws_ipaddr *gwaddr = dst->family == WS_AF_INET ? &pc->gateway4 :
									     &pc->gateway6;

		if (code != WS_RT_GATEWAY || gwaddr->family != dst->family)
			return -ENETUNREACH;
		addr = gwaddr->addr;
	}
	/* Fixed sizes: no library call per packet. */
	memset(nh, 0, sizeof(*nh));
	nh->family = dst->family;
	if (dst->family == WS_AF_INET)
		memcpy(nh->addr, addr, 4);
	else
		memcpy(nh->addr, addr, sizeof(nh->addr));
	return 0;
}

/*
 * The longest-match code for dst on port, from the port's tables: rte_rib
 * tries, not rte_lpm, whose fixed 64 MiB first level per family and port
 * is far more than a few static routes are worth.
 */
static int32_t rt_lookup(const struct ws_gw_port *gp, const struct ws_endpoint *dst)
{
	uint64_t hop;

	if (dst->family == WS_AF_INET) {
		struct rte_rib_node *n;
		uint32_t a;

		memcpy(&a, dst->addr, 4);
		n = rte_rib_lookup(gp->rt4, rte_be_to_cpu_32(a));
		if (n != NULL && rte_rib_get_nh(n, &hop) == 0)
			return (int32_t)hop;
		return gp->rt4_miss;
	}
	struct rte_rib6_node *n6 = rte_rib6_lookup(gp->rt6, dst->addr);

	if (n6 != NULL && rte_rib6_get_nh(n6, &hop) == 0)
		return (int32_t)hop;
	return gp->rt6_miss;
}

/*
 * The same codes from the config itself, for a gateway assembled by hand
 * (unit tests) with no tables: on-link first, then the longest matching
 * route (the first listed of equals), then the port's gateway.
 */
static int32_t rt_scan(const struct ws_config *cfg, const struct ws_config_port *pc,
		       const struct ws_endpoint *dst)
{
	const struct ws_ipaddr *gwaddr;
	struct ws_ipaddr a;
	int32_t best = WS_RT_NONE;
	unsigned i;

	a.family = dst->family;
	memcpy(a.addr, dst->addr, sizeof(a.addr));
	for (i = 0; i < pc->n_addrs; i++)
		if (ws_prefix_contains(&pc->addrs[i], &a))
			return WS_RT_ONLINK;
	for (i = 0; i < cfg->n_routes; i++) {
		const struct ws_config_route *r = &cfg->routes[i];

		if (r->port >= cfg->n_ports || &cfg->ports[r->port] != pc)
			continue;
		if ((best == WS_RT_NONE ||
		     r->prefix.len > cfg->routes[best - WS_RT_ROUTE].prefix.len) &&
		    ws_prefix_contains(&r->prefix, &a))
			best = WS_RT_ROUTE + (int32_t)i;
	}
	if (best != WS_RT_NONE)
		return best;
	gwaddr = dst->family == WS_AF_INET ? &pc->gateway4 : &pc->gateway6;
	return gwaddr->family == dst->family ? WS_RT_GATEWAY : WS_RT_NONE;
}

int32_t ws_dp_route_code(const struct ws_gw *gw, unsigned port, const struct ws_endpoint *dst)
{
	const struct ws_gw_port *gp;

	if (port >= gw->n_ports || port >= WS_MAX_PORTS || ws_endpoint_addr_len(dst) == 0)
		return WS_RT_NONE;
	gp = &gw->ports[port];
	if (gp->cfg == NULL)
		return WS_RT_NONE;
	if (gp->rt4 != NULL && gp->rt6 != NULL)
		return rt_lookup(gp, dst);
	return rt_scan(gw->cfg, gp->cfg, dst);
}

int ws_dp_route(const struct ws_gw *gw, unsigned port, const struct ws_endpoint *dst,
		struct ws_endpoint *nh)
{
	int32_t code = ws_dp_route_code(gw, port, dst);

	if (code == WS_RT_NONE)
		return -ENETUNREACH;
	return rt_resolve(gw, port, code, dst, nh);
}

static int rt_add(struct ws_gw_port *gp, const struct ws_prefix *px, int32_t code)
{
	uint32_t a;

	if (px->len == 0) {
		if (px->family == WS_AF_INET)
			gp->rt4_miss = code;
		else
			gp->rt6_miss = code;
		return 0;
	}
	if (px->family == WS_AF_INET) {
		struct rte_rib_node *n;

		memcpy(&a, px->addr, 4);
		a = rte_be_to_cpu_32(a);
		n = rte_rib_lookup_exact(gp->rt4, a, px->len);
		if (n == NULL)
			n = rte_rib_insert(gp->rt4, a, px->len);
		return n == NULL ? -rte_errno : rte_rib_set_nh(n, (uint64_t)code);
	}
	struct rte_rib6_node *n6 = rte_rib6_lookup_exact(gp->rt6, px->addr, px->len);

	if (n6 == NULL)
		n6 = rte_rib6_insert(gp->rt6, px->addr, px->len);
	return n6 == NULL ? -rte_errno : rte_rib6_set_nh(n6, (uint64_t)code);
}

/* An on-link prefix of pc covers all of px: the scan would never pick px's route. */
static bool rt_shadowed(const struct ws_config_port *pc, const struct ws_prefix *px)
{
	struct ws_ipaddr a = { .family = px->family };

	memcpy(a.addr, px->addr, sizeof(a.addr));
	for (unsigned i = 0; i < pc->n_addrs; i++)
		if (pc->addrs[i].family == px->family && pc->addrs[i].len <= px->len &&
		    ws_prefix_contains(&pc->addrs[i], &a))
			return true;
	return false;
}

static int rt_build_port(struct ws_gw *gw, unsigned port)
{
	struct ws_gw_port *gp = &gw->ports[port];
	const struct ws_config_port *pc = gp->cfg;
	const struct ws_config *cfg = gw->cfg;
	uint32_t rules = pc->n_addrs + cfg->n_routes + 1;
	char name[32];
	int rc = 0;

	struct rte_rib_conf c4 = { .ext_sz = 0, .max_nodes = (int)(2 * rules) };
	struct rte_rib6_conf c6 = { .ext_sz = 0, .max_nodes = (int)(2 * rules) };

	snprintf(name, sizeof(name), "wsrt4_%u_%u", (unsigned)getpid() % 10000, port);
	gp->rt4 = rte_rib_create(name, (int)rte_socket_id(), &c4);
	snprintf(name, sizeof(name), "wsrt6_%u_%u", (unsigned)getpid() % 10000, port);
	gp->rt6 = rte_rib6_create(name, (int)rte_socket_id(), &c6);
	if (gp->rt4 == NULL || gp->rt6 == NULL)
		return -rte_errno;
	gp->rt4_miss = pc->gateway4.family == WS_AF_INET ? WS_RT_GATEWAY : WS_RT_NONE;
	gp->rt6_miss = pc->gateway6.family == WS_AF_INET6 ? WS_RT_GATEWAY : WS_RT_NONE;
	/* Backwards, so that of two routes to one prefix the first listed wins, as in the scan. */
	for (unsigned i = cfg->n_routes; rc >= 0 && i-- > 0;) {
		const struct ws_config_route *r = &cfg->routes[i];

		if (r->port < cfg->n_ports && &cfg->ports[r->port] == pc &&
		    !rt_shadowed(pc, &r->prefix))
			rc = rt_add(gp, &r->prefix, WS_RT_ROUTE + (int32_t)i);
	}
	/* On-link prefixes go last: they win over any route they overlap, as in the scan. */
	for (unsigned i = 0; rc >= 0 && i < pc->n_addrs; i++)
		rc = rt_add(gp, &pc->addrs[i], WS_RT_ONLINK);
	return rc < 0 ? rc : 0;
}

void ws_dp_routes_free(struct ws_gw *gw)
{
	for (unsigned i = 0; i < gw->n_ports && i < WS_MAX_PORTS; i++) {
		rte_rib_free(gw->ports[i].rt4);
		rte_rib6_free(gw->ports[i].rt6);
		gw->ports[i].rt4 = NULL;
		gw->ports[i].rt6 = NULL;
	}
}

int ws_dp_routes_build(struct ws_gw *gw)
{
	for (unsigned i = 0; i < gw->n_ports && i < WS_MAX_PORTS; i++) {
		int rc = gw->ports[i].cfg != NULL ? rt_build_port(gw, i) : 0;

		if (rc != 0) {
			ws_dp_routes_free(gw);
			return rc;
		}
	}
	return 0;
}

int ws_dp_neigh_enqueue(struct ws_gw *gw, struct rte_mbuf *m, unsigned port,
			const struct ws_endpoint *nh)
{
	struct ws_pkt_meta *meta = ws_meta(m);

	meta->dir = 0;
	meta->kp = NULL;
	meta->flags = WS_META_F_NEIGH;
	meta->port = (uint8_t)port;
	meta->nh = *nh;
	meta->next = NULL;
	return rte_ring_enqueue(gw->ctl_in, m);
}

void ws_dp_to_neigh(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf *m, unsigned port,
		    const struct ws_endpoint *nh)
{
	if (ws_dp_neigh_enqueue(gw, m, port, nh) != 0)
		ws_dp_drop(lc, m, WS_GW_DROP_RING_FULL);
}

/*
 * A burst that asks the device for an offload is checked by its driver
 * first (rte_eth_tx_prepare: header constraints and, for some, the
 * checksum seed made the device's way). What it refuses is dropped and
 * counted; the rest keeps its order. Drivers without the check return
 * at once.
 */
static void tx_prepare(struct tx_ctx *c, unsigned port, struct tx_port_buf *b)
{
	unsigned ok = 0, n = b->n;

	while ((ok += rte_eth_tx_prepare(c->gw->ports[port].port_id, c->lc->txq[port],
					 b->pkts + ok, (uint16_t)(n - ok))) < n) {
		ws_dp_drop(c->lc, b->pkts[ok], WS_GW_DROP_TX_FAILED);
		memmove(&b->pkts[ok], &b->pkts[ok + 1], (n - ok - 1) * sizeof(b->pkts[0]));
		n--;
	}
	b->n = (uint16_t)n;
}

static void tx_flush(struct tx_ctx *c, unsigned port)
{
	const struct ws_gw_port *gp = &c->gw->ports[port];
	struct tx_port_buf *b = &c->out[port];
	struct ws_lcore_stats *st = c->lc->stats;
	uint64_t bytes = 0, unsent = 0;
	unsigned sent, i;

	if (b->n == 0)
		return;
	if (b->offload)
		tx_prepare(c, port, b);
	for (i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	sent = rte_eth_tx_burst(gp->port_id, c->lc->txq[port], b->pkts, b->n);
	for (i = sent; i < b->n; i++) {
		unsent += rte_pktmbuf_pkt_len(b->pkts[i]);
		ws_dp_drop(c->lc, b->pkts[i], WS_GW_DROP_TX_FAILED);
	}
	st->tx_packets[port] += sent;
	st->tx_bytes[port] += bytes - unsent;
	b->n = 0;
	b->offload = false;
}

static void tx_queue(struct tx_ctx *c, unsigned port, struct rte_mbuf *m)
{
	struct tx_port_buf *b;

	if (port >= c->gw->n_ports) {
		ws_dp_drop(c->lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	b = &c->out[port];
	b->pkts[b->n++] = m;
	b->offload |= (m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) != 0;
	if (b->n == WS_BURST)
		tx_flush(c, port);
}

/* tx_hop's code argument when the caller has none: look dst up. */
#define TX_RT_LOOKUP INT32_MIN

/*
 * Whether h holds the next hop of dst, whose next-hop code is code:
 * off-link, the route alone names the next hop (peers behind one router
 * share it); on-link, the next hop is dst itself.
 */
static inline bool tx_hop_serves(const struct tx_hop *h, int32_t code,
				 const struct ws_endpoint *dst)
{
	return h->valid && h->code == code && h->nh.family == dst->family &&
	       (code != WS_RT_ONLINK || ws_endpoint_addr_equal(&h->nh, dst));
}

/* tx_hop's way when the last next hop is not dst's: look up and resolve. */
static __rte_noinline const struct tx_hop *tx_hop_miss(struct tx_ctx *c, unsigned port,
						       const struct ws_endpoint *dst, int32_t code)
{
	struct tx_hop *h = &c->hop[port];
	struct ws_endpoint nh;

	if (code == TX_RT_LOOKUP) {
		code = ws_dp_route_code(c->gw, port, dst);
		if (tx_hop_serves(h, code, dst))
			return h;
	}
	if (code == WS_RT_NONE || rt_resolve(c->gw, port, code, dst, &nh) != 0)
		return NULL;
	h->dst = *dst;
	h->code = code;
	if (!h->valid || !ws_endpoint_addr_equal(&h->nh, &nh)) {
		h->nh = nh;
		h->usable = ws_neigh_usable(ws_neigh_lookup(c->gw->neigh, nh.family, nh.addr,
							    &h->mac));
	}
	h->valid = true;
	return h;
}

/*
 * The next hop towards dst out of port (see struct tx_hop), or NULL: no
 * route. code is dst's next-hop code when the caller knows it (a peer's
 * endpoint carries it), else TX_RT_LOOKUP. Inline: most packets find the
 * last next hop theirs.
 */
static inline const struct tx_hop *tx_hop(struct tx_ctx *c, unsigned port,
					  const struct ws_endpoint *dst, int32_t code)
{
	const struct tx_hop *h = &c->hop[port];

	if (code == TX_RT_LOOKUP ? h->valid && ws_endpoint_addr_equal(&h->dst, dst)
				 : tx_hop_serves(h, code, dst))
		return h;
	return tx_hop_miss(c, port, dst, code);
}

/* Ethernet in front of an IP packet leaving by port towards h's next hop. */
static void tx_eth_out(struct tx_ctx *c, struct rte_mbuf *m, unsigned port,
		       const struct tx_hop *h)
{
	const struct ws_gw_port *gp = &c->gw->ports[port];
	uint16_t type = h->nh.family == WS_AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	uint8_t *eth;

	eth = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (eth == NULL) {
		ws_dp_drop(c->lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	ws_net_build_eth(eth, RTE_ETHER_HDR_LEN, h->usable ? &h->mac : &zero_mac, &gp->net.mac,
			 type);
	if (h->usable)
		tx_queue(c, port, m);
	else
		ws_dp_to_neigh(c->gw, c->lc, m, port, &h->nh);
}

static bool tx_source_allowed(const struct ws_gw *gw, const struct ws_net_inner *in,
			      uint32_t peer_id)
{
	uint32_t v4;

	if (in->family == WS_AF_INET) {
		memcpy(&v4, in->src.addr, 4);
		return ws_allowedips_lookup_v4(gw->allowedips, rte_be_to_cpu_32(v4)) == peer_id;
	}
	return ws_allowedips_lookup_v6(gw->allowedips, in->src.addr) == peer_id;
}

/* The port (index) one of whose addresses is dst, or -1. */
static int tx_local_port(const struct ws_gw *gw, const struct ws_endpoint *dst)
{
	for (unsigned p = 0; p < gw->n_ports; p++) {
		const struct ws_net_port *np = &gw->ports[p].net;

		if (dst->family == WS_AF_INET) {
			for (unsigned i = 0; i < np->n_v4 && i < WS_NET_MAX_ADDRS; i++)
				if (memcmp(np->v4[i], dst->addr, 4) == 0)
					return (int)p;
		} else if (dst->family == WS_AF_INET6) {
			for (unsigned i = 0; i < np->n_v6 && i < WS_NET_MAX_ADDRS; i++)
				if (memcmp(np->v6[i], dst->addr, 16) == 0)
					return (int)p;
		}
	}
	return -1;
}

/*
 * m (the inner IP packet, trimmed) is for us, on gw->ports[port]: answer
 * an echo request through the tunnel to peer, drop anything else.
 */
static void tx_to_us(struct tx_ctx *c, struct rte_mbuf *m, const struct ws_net_inner *in,
		     unsigned port, const struct ws_gw_peer *peer)
{
	struct ws_gw *gw = c->gw;
	const struct ws_gw_port *gp = &gw->ports[port];
	uint16_t type = in->family == WS_AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_net_pkt pkt;
	enum ws_net_drop why;
	uint8_t *eth;
	int len;

	if (in->proto != (in->family == WS_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
		ws_dp_drop(c->lc, m, WS_GW_DROP_TO_US);
		return;
	}
	/* A frame as if it came in on that port, so the parser checks the ICMP message. */
	eth = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (eth == NULL) {
		ws_dp_drop(c->lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	ws_net_build_eth(eth, RTE_ETHER_HDR_LEN, &gp->net.mac, &gp->net.mac, type);
	why = ws_net_classify(&gp->net, eth, rte_pktmbuf_data_len(m), 0, &pkt);
	if (why != WS_NET_DROP_NONE || pkt.kind != WS_NET_KIND_ECHO) {
		c->lc->stats->parse_drops[why != WS_NET_DROP_NONE ? why : WS_NET_DROP_ICMP_TYPE]++;
		rte_pktmbuf_free(m);
		return;
	}
	len = ws_net_echo_reply(eth, rte_pktmbuf_data_len(m), &pkt, &gp->net.mac);
	if (len < 0) {
		c->lc->stats->parse_drops[WS_NET_DROP_ICMP_INVALID]++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((uint32_t)len < rte_pktmbuf_data_len(m))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
	/* To control as a clear-side packet for peer: it encrypts it in its stream. */
	meta->dir = WS_DIR_ENCRYPT;
	meta->flags = 0;
	meta->kp = NULL;
	meta->peer_id = peer->id;
	meta->port = (uint8_t)gw->clear_port;
	meta->l3_off = RTE_ETHER_HDR_LEN;
	meta->next = NULL;
	if (rte_ring_enqueue(gw->ctl_in, m) != 0)
		ws_dp_drop(c->lc, m, WS_GW_DROP_RING_FULL);
}

static bool tx_window_check(const struct ws_gw *gw, struct ws_gw_peer *peer,
			    struct ws_noise_keypair *kp, uint64_t counter)
{
	bool ok;

	if (ws_gw_n_tx(gw) == 1)
		return ws_counter_validate(&kp->recv_window, counter);
	rte_spinlock_lock(&peer->window_lock);
	ok = ws_counter_validate(&kp->recv_window, counter);
	rte_spinlock_unlock(&peer->window_lock);
	return ok;
}

static void tx_decrypted(struct tx_ctx *c, struct rte_mbuf *m)
{
	struct ws_gw *gw = c->gw;
	struct ws_lcore *lc = c->lc;
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_noise_keypair *kp = meta->kp;
	struct ws_keypair_facts facts;
	struct ws_dp_peer_acc *a;
	struct ws_net_inner in;
	const struct tx_hop *hop;
	struct ws_endpoint ep;
	struct ws_gw_peer *peer;
	uint32_t plain_len;
	int local;

	if (meta->status != 0) {
		ws_dp_drop(lc, m, meta->status == -ESTALE ? WS_GW_DROP_NO_KEYPAIR :
							    WS_GW_DROP_DECRYPT);
		return;
	}
	if (!ws_dp_kp_fresh(meta)) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_KEYPAIR);
		return;
	}
	/* The tag verified, so the counter is authentic and may move the window. */
	peer = ws_gw_peer_of(kp->remote);
	if (!tx_window_check(gw, peer, kp, meta->counter)) {
		ws_dp_drop(lc, m, WS_GW_DROP_REPLAY);
		return;
	}
	a = ws_dp_acc(gw, &c->acc, peer, c->now);
	if (ws_noise_keypair_confirm(&peer->noise, kp))
		a->ev |= WS_EV_CONFIRMED;
	/* Roaming: the endpoint follows the latest authenticated packet. */
	ws_gw_peer_endpoint_get(peer, &ep);
	if (!ws_endpoint_equal(&ep, &meta->src))
		ws_gw_peer_endpoint_set(gw, peer, &meta->src);
	a->ev |= WS_EV_AUTH_RECEIVED;
	facts.birth = kp->birthdate;
	facts.counter = meta->counter + 1;
	facts.initiator = kp->is_initiator;
	/* Control keeps the last-minute flag and filters repeats. */
	if (ws_timers_rekey_on_receive(&facts, false, c->now))
		a->ev |= WS_EV_WANT_HANDSHAKE;
	/* As the kernel and wireguard-go: the whole message, keepalives too. */
	a->rx_bytes += meta->msg_len;
	a->rx_packets++;

	plain_len = meta->msg_len - WS_MSG_DATA_MIN_LEN;
	rte_pktmbuf_adj(m, (uint16_t)(meta->msg_off + WS_MSG_DATA_HEADER_LEN));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - plain_len));
	if (plain_len == 0) {
		lc->stats->keepalives_rx++;
		rte_pktmbuf_free(m);
		return;
	}
	if (ws_net_inner_parse(rte_pktmbuf_mtod(m, const uint8_t *), plain_len, &in) !=
	    WS_NET_DROP_NONE || in.family == WS_AF_NONE) {
		ws_dp_drop(lc, m, WS_GW_DROP_INNER_INVALID);
		return;
	}
	if (!tx_source_allowed(gw, &in, peer->id)) {
		ws_dp_drop(lc, m, WS_GW_DROP_SOURCE_NOT_ALLOWED);
		return;
	}
	rte_pktmbuf_trim(m, (uint16_t)(plain_len - in.len));
	a->ev |= WS_EV_DATA_RECEIVED;
	local = tx_local_port(gw, &in.dst);
	if (local >= 0) {
		tx_to_us(c, m, &in, (unsigned)local, peer);
		return;
	}
	if (!ws_dp_hop(rte_pktmbuf_mtod(m, uint8_t *))) {
		ws_dp_drop(lc, m, WS_GW_DROP_TTL_EXPIRED);
		return;
	}
	hop = tx_hop(c, (unsigned)gw->clear_port, &in.dst, TX_RT_LOOKUP);
	if (hop == NULL) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	tx_eth_out(c, m, (unsigned)gw->clear_port, hop);
}

static enum ws_gw_drop tx_seal_failure(int32_t status)
{
	switch (status) {
	case -ESTALE:
		return WS_GW_DROP_NO_KEYPAIR;
	case -ENOSPC:
		return WS_GW_DROP_NO_ROOM;
	default:
		return WS_GW_DROP_ENCRYPT;
	}
}

static void tx_encrypted(struct tx_ctx *c, struct rte_mbuf *m)
{
	struct ws_gw *gw = c->gw;
	struct ws_lcore *lc = c->lc;
	struct ws_pkt_meta *meta = ws_meta(m);
	const unsigned port = (unsigned)gw->tunnel_port;
	const struct ws_gw_port *tp = &gw->ports[port];
	struct ws_net_udp_out o;
	struct ws_dp_peer_acc *a;
	const struct tx_hop *hop;
	struct ws_gw_peer *peer;
	uint32_t msg_len, hdrs;
	int32_t route;
	uint8_t *buf;

	if (meta->status != 0) {
		ws_dp_drop(lc, m, tx_seal_failure(meta->status));
		return;
	}
	if (!ws_dp_kp_fresh(meta)) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_KEYPAIR);
		return;
	}
	peer = meta->peer;
	memset(&o, 0, sizeof(o));
	route = ws_gw_peer_endpoint_get(peer, &o.dst);
	if (o.dst.family == WS_AF_INET && tp->net.n_v4 != 0)
		ws_endpoint_v4(&o.src, tp->net.v4[0], tp->net.listen_port);
	else if (o.dst.family == WS_AF_INET6 && tp->net.n_v6 != 0)
		ws_endpoint_v6(&o.src, tp->net.v6[0], tp->net.listen_port);
	else {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	hop = tx_hop(c, port, &o.dst, route);
	if (hop == NULL) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	msg_len = rte_pktmbuf_data_len(m);
	hdrs = ws_net_udp_hdrs_len(o.dst.family);
	buf = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hdrs);
	if (buf == NULL) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	o.dst_mac = hop->usable ? hop->mac : zero_mac;
	o.src_mac = tp->net.mac;
	o.ip_id = RTE_PER_LCORE(tx_ip_id)++;
	/* Over IPv6 the UDP checksum is mandatory: the whole datagram, unless the NIC sums it. */
	o.udp_cksum_offload = o.dst.family == WS_AF_INET6 && !tp->sw_l4_cksum;
	if (ws_net_build_udp(buf, hdrs + msg_len, &o, msg_len) < 0) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	if (o.udp_cksum_offload)
		ws_net_tx_udp_offload(m, o.dst.family);
	a = ws_dp_acc(gw, &c->acc, peer, c->now);
	a->ev |= WS_EV_AUTH_SENT;
	if (meta->plain_len != 0)
		a->ev |= WS_EV_DATA_SENT;
	a->tx_bytes += msg_len;
	a->tx_packets++;
	if (hop->usable)
		tx_queue(c, port, m);
	else
		ws_dp_to_neigh(gw, lc, m, port, &hop->nh);
}

static void tx_ordered(struct tx_ctx *c, struct rte_mbuf *m)
{
	struct ws_pkt_meta *meta = ws_meta(m);

	switch (meta->dir) {
	case WS_DIR_DECRYPT:
		tx_decrypted(c, m);
		break;
	case WS_DIR_ENCRYPT:
		tx_encrypted(c, m);
		break;
	case WS_DIR_PASS:
		tx_queue(c, meta->port, m);
		break;
	default:
		ws_dp_drop(c->lc, m, WS_GW_DROP_REORDER);
		break;
	}
}

/* Take what the workers finished and file it into its stream's buffer. */
static unsigned tx_collect(struct tx_ctx *c)
{
	struct ws_gw *gw = c->gw;
	struct rte_mbuf *pkts[WS_BURST];
	unsigned w, r, i, n, total = 0;

	for (w = 0; w < gw->n_workers; w++) {
		struct rte_ring *ring = *ws_gw_to_tx(gw, w, c->lc->tx);

		if (ring == NULL)
			continue;
		for (r = 0; r < TX_RING_ROUNDS; r++) {
			n = rte_ring_dequeue_burst(ring, (void **)pkts, WS_BURST, NULL);
			for (i = 0; i < n; i++) {
				uint8_t s = ws_meta(pkts[i])->stream;

				if (s >= gw->n_streams || gw->reorder[s] == NULL ||
				    rte_reorder_insert(gw->reorder[s], pkts[i]) != 0) {
					WS_DP_LOG(DEBUG, "reorder refused seqn %u of stream %u\n",
						  *rte_reorder_seqn(pkts[i]), s);
					ws_dp_drop(c->lc, pkts[i], WS_GW_DROP_REORDER);
				}
			}
			total += n;
			if (n < WS_BURST)
				break;
		}
	}
	return total;
}

static void tx_drain_streams(struct tx_ctx *c)
{
	struct ws_gw *gw = c->gw;
	struct rte_mbuf *pkts[WS_BURST];
	unsigned n_tx = ws_gw_n_tx(gw), s, i, n;

	for (s = c->lc->tx % n_tx; s < gw->n_streams; s += n_tx) {
		if (gw->reorder[s] == NULL)
			continue;
		do {
			n = rte_reorder_drain(gw->reorder[s], pkts, WS_BURST);
			for (i = 0; i < n; i++)
				tx_ordered(c, pkts[i]);
		} while (n == WS_BURST);
	}
}

/* Finished frames from control: no crypto, no reorder. */
static void tx_control_frames(struct tx_ctx *c)
{
	struct rte_mbuf *pkts[WS_BURST];
	unsigned r, i, n;

	if (c->gw->ctl_out == NULL || c->lc->tx != 0)
		return;
	for (r = 0; r < TX_RING_ROUNDS; r++) {
		n = rte_ring_dequeue_burst(c->gw->ctl_out, (void **)pkts, WS_BURST, NULL);
		for (i = 0; i < n; i++)
			tx_queue(c, ws_meta(pkts[i])->port, pkts[i]);
		if (n < WS_BURST)
			break;
	}
}

static void tx_ctx_init(struct tx_ctx *c, struct ws_gw *gw, struct ws_lcore *lc)
{
	c->gw = gw;
	c->lc = lc;
	c->now = 0;
	memset(&c->acc, 0, sizeof(c->acc));
	for (unsigned p = 0; p < WS_MAX_PORTS; p++) {
		c->out[p].n = 0;
		c->out[p].offload = false;
		c->hop[p].valid = false;
	}
}

static void tx_flush_all(struct tx_ctx *c)
{
	for (unsigned p = 0; p < c->gw->n_ports && p < WS_MAX_PORTS; p++)
		tx_flush(c, p);
}

void ws_tx_inline(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf **pkts, unsigned n)
{
	struct tx_ctx c;

	tx_ctx_init(&c, gw, lc);
	c.now = ws_lcore_now(lc);
	for (unsigned i = 0; i < n; i++)
		tx_ordered(&c, pkts[i]);
	ws_dp_acc_flush(gw, &c.acc, c.now);
	tx_flush_all(&c);
}

void ws_tx_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	struct tx_ctx c;

	tx_ctx_init(&c, gw, lc);
	if (tx_collect(&c) != 0) {
		c.now = ws_lcore_now(lc);
		tx_drain_streams(&c);
		ws_dp_acc_flush(gw, &c.acc, c.now);
	}
	tx_control_frames(&c);
	tx_flush_all(&c);
}
