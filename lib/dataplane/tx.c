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
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_per_lcore.h>

#include "dp_priv.h"

enum {
	TX_RING_ROUNDS = 4,     /* bursts taken from each ring per poll */
};

struct tx_port_buf {
	uint16_t n;
	struct rte_mbuf *pkts[WS_BURST];
};

struct tx_ctx {
	struct ws_gw *gw;
	struct ws_lcore *lc;
	uint64_t now;
	struct ws_dp_peer_acc acc;
	struct tx_port_buf out[WS_MAX_PORTS];
};

/* IPv4 identification of the outer headers, per TX lcore. */
static RTE_DEFINE_PER_LCORE(uint16_t, tx_ip_id);

static const struct rte_ether_addr zero_mac;

int ws_dp_route(const struct ws_gw *gw, unsigned port, const struct ws_endpoint *dst,
		struct ws_endpoint *nh)
{
	const struct ws_config_port *pc = gw->ports[port].cfg;
	const struct ws_config_route *best = NULL;
	const struct ws_ipaddr *gwaddr;
	struct ws_ipaddr a;
	unsigned i;

	if (pc == NULL || ws_endpoint_addr_len(dst) == 0)
		return -ENETUNREACH;
	a.family = dst->family;
	memcpy(a.addr, dst->addr, sizeof(a.addr));
	memset(nh, 0, sizeof(*nh));
	nh->family = dst->family;
	for (i = 0; i < pc->n_addrs; i++) {
		if (ws_prefix_contains(&pc->addrs[i], &a)) {
			memcpy(nh->addr, dst->addr, ws_endpoint_addr_len(dst));
			return 0;
		}
	}
	/* The route list is small and read-only while the gateway runs. */
	for (i = 0; i < gw->cfg->n_routes; i++) {
		const struct ws_config_route *r = &gw->cfg->routes[i];

		if (r->port >= gw->cfg->n_ports || &gw->cfg->ports[r->port] != pc)
			continue;
		if ((best == NULL || r->prefix.len > best->prefix.len) &&
		    ws_prefix_contains(&r->prefix, &a))
			best = r;
	}
	if (best != NULL) {
		memcpy(nh->addr, best->via.addr, ws_endpoint_addr_len(dst));
		return 0;
	}
	gwaddr = dst->family == WS_AF_INET ? &pc->gateway4 : &pc->gateway6;
	if (gwaddr->family != dst->family)
		return -ENETUNREACH;
	memcpy(nh->addr, gwaddr->addr, ws_endpoint_addr_len(dst));
	return 0;
}

void ws_dp_to_neigh(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf *m, unsigned port,
		    const struct ws_endpoint *nh)
{
	struct ws_pkt_meta *meta = ws_meta(m);

	meta->dir = 0;
	meta->kp = NULL;
	meta->flags = WS_META_F_NEIGH;
	meta->port = (uint8_t)port;
	meta->nh = *nh;
	meta->next = NULL;
	if (rte_ring_enqueue(gw->ctl_in, m) != 0)
		ws_dp_drop(lc, m, WS_GW_DROP_RING_FULL);
}

static void tx_flush(struct tx_ctx *c, unsigned port)
{
	struct tx_port_buf *b = &c->out[port];
	struct ws_lcore_stats *st = c->lc->stats;
	uint64_t bytes = 0, unsent = 0;
	unsigned sent, i;

	if (b->n == 0)
		return;
	for (i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	sent = rte_eth_tx_burst(c->gw->ports[port].port_id, c->lc->txq[port], b->pkts, b->n);
	for (i = sent; i < b->n; i++) {
		unsent += rte_pktmbuf_pkt_len(b->pkts[i]);
		ws_dp_drop(c->lc, b->pkts[i], WS_GW_DROP_TX_FAILED);
	}
	st->tx_packets[port] += sent;
	st->tx_bytes[port] += bytes - unsent;
	b->n = 0;
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
	if (b->n == WS_BURST)
		tx_flush(c, port);
}

/* Ethernet in front of an IP packet leaving by port towards nh. */
static void tx_eth_out(struct tx_ctx *c, struct rte_mbuf *m, unsigned port,
		       const struct ws_endpoint *nh)
{
	const struct ws_gw_port *gp = &c->gw->ports[port];
	uint16_t type = nh->family == WS_AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	struct rte_ether_addr mac;
	uint8_t *eth;

	eth = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (eth == NULL) {
		ws_dp_drop(c->lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	if (ws_neigh_usable(ws_neigh_lookup(c->gw->neigh, nh->family, nh->addr, &mac))) {
		ws_net_build_eth(eth, RTE_ETHER_HDR_LEN, &mac, &gp->net.mac, type);
		tx_queue(c, port, m);
	} else {
		ws_net_build_eth(eth, RTE_ETHER_HDR_LEN, &zero_mac, &gp->net.mac, type);
		ws_dp_to_neigh(c->gw, c->lc, m, port, nh);
	}
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

static void tx_decrypted(struct tx_ctx *c, struct rte_mbuf *m)
{
	struct ws_gw *gw = c->gw;
	struct ws_lcore *lc = c->lc;
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_noise_keypair *kp = meta->kp;
	struct ws_keypair_facts facts;
	struct ws_dp_peer_acc *a;
	struct ws_net_inner in;
	struct ws_endpoint ep, nh;
	struct ws_gw_peer *peer;
	uint32_t plain_len;

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
	if (!ws_counter_validate(&kp->recv_window, meta->counter)) {
		ws_dp_drop(lc, m, WS_GW_DROP_REPLAY);
		return;
	}
	peer = ws_gw_peer_of(kp->remote);
	a = ws_dp_acc(gw, &c->acc, peer, c->now);
	if (ws_noise_keypair_confirm(&peer->noise, kp))
		a->ev |= WS_EV_CONFIRMED;
	/* Roaming: the endpoint follows the latest authenticated packet. */
	ws_gw_peer_endpoint_get(peer, &ep);
	if (!ws_endpoint_equal(&ep, &meta->src))
		ws_gw_peer_endpoint_set(peer, &meta->src);
	a->ev |= WS_EV_AUTH_RECEIVED | WS_EV_TRAVERSAL;
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
	if (!ws_dp_hop(rte_pktmbuf_mtod(m, uint8_t *))) {
		ws_dp_drop(lc, m, WS_GW_DROP_TTL_EXPIRED);
		return;
	}
	if (ws_dp_route(gw, (unsigned)gw->clear_port, &in.dst, &nh) != 0) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	tx_eth_out(c, m, (unsigned)gw->clear_port, &nh);
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
	struct ws_gw_peer *peer;
	struct ws_endpoint nh;
	uint32_t msg_len, hdrs;
	bool resolved;
	uint8_t *buf;

	if (meta->status != 0) {
		ws_dp_drop(lc, m, tx_seal_failure(meta->status));
		return;
	}
	if (!ws_dp_kp_fresh(meta)) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_KEYPAIR);
		return;
	}
	peer = ws_gw_peer_of(meta->kp->remote);
	memset(&o, 0, sizeof(o));
	ws_gw_peer_endpoint_get(peer, &o.dst);
	if (o.dst.family == WS_AF_INET && tp->net.n_v4 != 0)
		ws_endpoint_v4(&o.src, tp->net.v4[0], tp->net.listen_port);
	else if (o.dst.family == WS_AF_INET6 && tp->net.n_v6 != 0)
		ws_endpoint_v6(&o.src, tp->net.v6[0], tp->net.listen_port);
	else {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	if (ws_dp_route(gw, port, &o.dst, &nh) != 0) {
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
	resolved = ws_neigh_usable(ws_neigh_lookup(gw->neigh, nh.family, nh.addr, &o.dst_mac));
	if (!resolved)
		o.dst_mac = zero_mac;
	o.src_mac = tp->net.mac;
	o.ip_id = RTE_PER_LCORE(tx_ip_id)++;
	if (ws_net_build_udp(buf, hdrs + msg_len, &o, msg_len) < 0) {
		ws_dp_drop(lc, m, WS_GW_DROP_NO_ROOM);
		return;
	}
	a = ws_dp_acc(gw, &c->acc, peer, c->now);
	a->ev |= WS_EV_AUTH_SENT | WS_EV_TRAVERSAL;
	if (meta->plain_len != 0)
		a->ev |= WS_EV_DATA_SENT;
	a->tx_bytes += msg_len;
	a->tx_packets++;
	if (resolved)
		tx_queue(c, port, m);
	else
		ws_dp_to_neigh(gw, lc, m, port, &nh);
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
		if (gw->to_tx[w] == NULL)
			continue;
		for (r = 0; r < TX_RING_ROUNDS; r++) {
			n = rte_ring_dequeue_burst(gw->to_tx[w], (void **)pkts, WS_BURST, NULL);
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
	unsigned s, i, n;

	for (s = 0; s < gw->n_streams; s++) {
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

	if (c->gw->ctl_out == NULL)
		return;
	for (r = 0; r < TX_RING_ROUNDS; r++) {
		n = rte_ring_dequeue_burst(c->gw->ctl_out, (void **)pkts, WS_BURST, NULL);
		for (i = 0; i < n; i++)
			tx_queue(c, ws_meta(pkts[i])->port, pkts[i]);
		if (n < WS_BURST)
			break;
	}
}

void ws_tx_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	struct tx_ctx c;
	unsigned p;

	c.gw = gw;
	c.lc = lc;
	c.now = 0;
	memset(&c.acc, 0, sizeof(c.acc));
	for (p = 0; p < WS_MAX_PORTS; p++)
		c.out[p].n = 0;

	if (tx_collect(&c) != 0) {
		c.now = ws_gw_now();
		tx_drain_streams(&c);
		ws_dp_acc_flush(gw, &c.acc, c.now);
	}
	tx_control_frames(&c);
	for (p = 0; p < gw->n_ports && p < WS_MAX_PORTS; p++)
		tx_flush(&c, p);
}
