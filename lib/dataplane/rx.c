/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The RX role: poll the lcore's (port, queue) pairs, classify, and send
 * each frame on its way. Tunnel port: data messages find their keypair
 * through the receiver index and go to the workers for decryption;
 * handshake messages go to the handshake lcore their source address
 * hashes to (ws_gw_hs_of). Clear port: the destination's
 * allowed-ips entry names the peer, whose current keypair hands out the
 * counter, and the packet goes to the workers for encryption; without a
 * keypair it goes to control to be staged. Everything for our own
 * addresses (ARP, ND, echo) goes to control.
 *
 * A packet is numbered in this lcore's reorder stream only once the
 * worker ring it goes to is known to have room, so every number reaches
 * the reorder stage.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_per_lcore.h>
#include <rte_prefetch.h>

#include "dp_priv.h"

/* Round-robin start among the workers, per RX lcore. */
static RTE_DEFINE_PER_LCORE(unsigned, rx_next_worker);
/* ICMP error rate limit: the TSC before which no error may be sent. */
static RTE_DEFINE_PER_LCORE(uint64_t, rx_icmp_next);

enum { RX_ICMP_PER_SEC = 1000 };

/* Number and enqueue n packets to the workers; the rest drop (RING_FULL). */
static void rx_dispatch(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf **pkts,
			unsigned n)
{
	unsigned nw = gw->n_workers, w, tried, done = 0, i;

	if (n == 0)
		return;
	if (lc->inline_rtc) {
		ws_worker_crypt(gw, lc, pkts, n);
		ws_tx_inline(gw, lc, pkts, n);
		return;
	}
	if (nw == 0)
		goto drop;
	w = RTE_PER_LCORE(rx_next_worker) % nw;
	RTE_PER_LCORE(rx_next_worker) = w + 1;
	for (tried = 0; tried < nw && done < n; tried++, w = (w + 1) % nw) {
		struct rte_ring *r = gw->work[lc->stream][w];
		unsigned room, k;

		if (r == NULL)
			continue;
		/* Single producer: the free count can only grow until we enqueue. */
		room = rte_ring_free_count(r);
		k = RTE_MIN(room, n - done);
		if (k == 0)
			continue;
		for (i = done; i < done + k; i++)
			*rte_reorder_seqn(pkts[i]) = lc->seqn++;
		rte_ring_enqueue_bulk(r, (void **)&pkts[done], k, NULL);
		done += k;
	}
drop:
	ws_dp_drop_bulk(lc, &pkts[done], n - done, WS_GW_DROP_RING_FULL);
}

static void rx_to_ring(struct ws_lcore *lc, struct rte_ring *r, struct rte_mbuf **pkts,
		       unsigned n, enum ws_gw_drop why)
{
	unsigned sent;

	if (n == 0)
		return;
	sent = rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
	/* A flood overflows a whole burst at a time. */
	ws_dp_drop_bulk(lc, &pkts[sent], n - sent, why);
}

static void meta_init(struct ws_pkt_meta *meta, struct ws_lcore *lc, unsigned port)
{
	meta->dir = 0;
	meta->stream = lc->stream;
	meta->port = (uint8_t)port;
	meta->flags = 0;
	meta->status = 0;
	meta->peer_id = WS_ALLOWEDIPS_NONE;
	meta->kp = NULL;
	meta->peer = NULL;
	meta->next = NULL;
}

/* Classify; false (and the mbuf dropped) when it is not for us. */
static bool rx_classify(const struct ws_gw_port *gp, struct ws_lcore *lc, struct rte_mbuf *m,
			struct ws_net_pkt *pkt)
{
	uint32_t flags = 0;
	enum ws_net_drop d;

	if (m->nb_segs != 1) {
		ws_dp_drop(lc, m, WS_GW_DROP_MULTISEG);
		return false;
	}
	if (gp->sw_ipv4_cksum ||
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		flags |= WS_NET_F_SW_IPV4_CKSUM;
	if (gp->sw_l4_cksum ||
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		flags |= WS_NET_F_SW_UDP_CKSUM;
	d = ws_net_classify(&gp->net, rte_pktmbuf_mtod(m, const uint8_t *),
			    rte_pktmbuf_data_len(m), flags, pkt);
	if (d != WS_NET_DROP_NONE) {
		lc->stats->parse_drops[d < WS_NET_DROP_MAX ? d : WS_NET_DROP_NONE]++;
		rte_pktmbuf_free(m);
		return false;
	}
	return true;
}

static void rx_tunnel(struct ws_gw *gw, struct ws_lcore *lc, unsigned port,
		      struct rte_mbuf **pkts, unsigned n)
{
	const struct ws_gw_port *gp = &gw->ports[port];
	struct rte_mbuf *data[WS_BURST], *hs[WS_MAX_HS][WS_BURST], *ctl[WS_BURST], *work[WS_BURST];
	struct ws_net_pkt pkt;
	uint32_t idx[WS_BURST];
	void *kps[WS_BURST];
	unsigned nd = 0, nh[WS_MAX_HS] = { 0 }, nc = 0, nwk = 0, i, h;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ws_pkt_meta *meta;

		if (!rx_classify(gp, lc, m, &pkt))
			continue;
		meta = ws_meta(m);
		meta_init(meta, lc, port);
		switch (pkt.kind) {
		case WS_NET_KIND_WG_DATA:
			meta->dir = WS_DIR_DECRYPT;
			meta->counter = pkt.counter;
			meta->msg_off = (uint16_t)pkt.payload_off;
			meta->msg_len = pkt.payload_len;
			meta->l3_off = (uint16_t)pkt.l3_off;
			meta->src = pkt.src;
			idx[nd] = pkt.receiver_index;
			data[nd++] = m;
			break;
		case WS_NET_KIND_WG_HANDSHAKE:
			meta->msg_off = (uint16_t)pkt.payload_off;
			meta->msg_len = pkt.payload_len;
			meta->l3_off = (uint16_t)pkt.l3_off;
			meta->src = pkt.src;
			/* By source address: each source meets one rate limiter. */
			h = ws_gw_hs_of(gw, &pkt.src);
			hs[h][nh[h]++] = m;
			break;
		case WS_NET_KIND_ARP:
		case WS_NET_KIND_ND:
		case WS_NET_KIND_ECHO:
			meta->l3_off = (uint16_t)pkt.l3_off;
			ctl[nc++] = m;
			break;
		default:
			/* The classifier gives a tunnel port nothing else. */
			lc->stats->parse_drops[WS_NET_DROP_L4_PROTO]++;
			rte_pktmbuf_free(m);
			break;
		}
	}

	if (nd != 0)
		ws_index_lookup_bulk(gw->index, idx, nd, WS_INDEX_KEYPAIR, kps);
	/*
	 * As rx_clear: with many peers each packet may name another keypair
	 * and peer; fetch them for the whole burst before any is used.
	 */
	for (i = 0; i < nd; i++) {
		const struct ws_noise_keypair *kp = kps[i];

		if (kp != NULL) {
			rte_prefetch0(&kp->generation);
			ws_counter_prefetch(&kp->recv_window, ws_meta(data[i])->counter);
		}
	}
	for (i = 0; i < nd; i++) {
		const struct ws_noise_keypair *kp = kps[i];

		if (kp != NULL && kp->remote != NULL)
			ws_dp_peer_prefetch(ws_gw_peer_of(kp->remote));
	}
	for (i = 0; i < nd; i++) {
		struct ws_noise_keypair *kp = kps[i];
		struct ws_pkt_meta *meta = ws_meta(data[i]);

		if (kp == NULL) {
			ws_dp_drop(lc, data[i], WS_GW_DROP_NO_KEYPAIR);
			continue;
		}
		/*
		 * Generation first: if kp is retired after this load, the
		 * later stages see a newer generation; valid read after it
		 * cannot belong to an older life of the storage (RCU holds
		 * the storage until our next quiescent state).
		 */
		meta->kp_gen = __atomic_load_n(&kp->generation, __ATOMIC_ACQUIRE);
		if (!__atomic_load_n(&kp->valid, __ATOMIC_ACQUIRE)) {
			ws_dp_drop(lc, data[i], WS_GW_DROP_NO_KEYPAIR);
			continue;
		}
		/*
		 * Not the peer's id: TX finds the peer through kp->remote, and
		 * reading it here would wait for the peer's line, just asked for.
		 */
		meta->kp = kp;
		work[nwk++] = data[i];
	}
	rx_dispatch(gw, lc, work, nwk);
	for (h = 0; h < ws_gw_n_hs(gw); h++)
		rx_to_ring(lc, *ws_gw_hs_ring(gw, h), hs[h], nh[h], WS_GW_DROP_HANDSHAKE_QUEUE);
	rx_to_ring(lc, gw->ctl_in, ctl, nc, WS_GW_DROP_RING_FULL);
}

/*
 * ICMP "fragmentation needed" / "packet too big" for a FORWARD frame past
 * the tunnel MTU, back to its sender's MAC. It needs no neighbor lookup,
 * so it travels as a finished frame (WS_DIR_PASS) through the workers to
 * the TX lcore. Rate-limited per lcore; false when none was sent.
 */
static bool rx_too_big(struct ws_gw *gw, struct ws_lcore *lc, unsigned port,
		       struct rte_mbuf *m, const struct ws_net_pkt *pkt, struct rte_mbuf **out)
{
	const struct ws_gw_port *gp = &gw->ports[port];
	const uint8_t *src_ip;
	struct rte_mbuf *e;
	uint64_t tsc = rte_get_tsc_cycles();
	int len;

	if (tsc < RTE_PER_LCORE(rx_icmp_next))
		return false;
	if (pkt->src.family == WS_AF_INET && gp->net.n_v4 != 0)
		src_ip = gp->net.v4[0];
	else if (pkt->src.family == WS_AF_INET6 && gp->net.n_v6 != 0)
		src_ip = gp->net.v6[0];
	else
		return false;
	e = rte_pktmbuf_alloc(gw->pool);
	if (e == NULL)
		return false;
	len = ws_net_build_too_big(rte_pktmbuf_mtod(e, uint8_t *), rte_pktmbuf_tailroom(e),
				   rte_pktmbuf_mtod(m, const uint8_t *), pkt, src_ip,
				   gw->cfg->interface.mtu);
	if (len <= 0) {
		rte_pktmbuf_free(e);
		return false;
	}
	rte_pktmbuf_append(e, (uint16_t)len);
	RTE_PER_LCORE(rx_icmp_next) = tsc + rte_get_tsc_hz() / RX_ICMP_PER_SEC;
	meta_init(ws_meta(e), lc, port);
	ws_meta(e)->dir = WS_DIR_PASS;
	lc->stats->icmp_too_big++;
	*out = e;
	return true;
}

/*
 * Take n consecutive send counters of kp with one add: the first
 * in *first, how many are usable returned (fewer than n, down to 0, when
 * the keypair runs out: then it is pinned at the limit and invalid, as
 * ws_noise_keypair_next_counter() leaves it).
 */
static unsigned rx_take_counters(const struct ws_gw *gw, struct ws_noise_keypair *kp, unsigned n,
				 uint64_t *first)
{
	uint64_t c = ws_dp_count(&kp->send_counter, n, gw->one_counter_taker);

	*first = c;
	if (likely(c + n <= WS_REJECT_AFTER_MESSAGES))
		return n;
	__atomic_store_n(&kp->send_counter, WS_REJECT_AFTER_MESSAGES, __ATOMIC_RELAXED);
	__atomic_store_n(&kp->valid, false, __ATOMIC_RELEASE);
	return c < WS_REJECT_AFTER_MESSAGES ? (unsigned)(WS_REJECT_AFTER_MESSAGES - c) : 0;
}

bool ws_gw_one_counter_taker(const struct ws_gw *gw)
{
	unsigned id, q;

	RTE_LCORE_FOREACH(id) {
		const struct ws_lcore *lc = &gw->lcores[id];

		if (id == gw->control_lcore)
			continue;
		for (q = 0; q < lc->n_rxq; q++)
			if (gw->ports[lc->rxq[q].port].net.role != WS_NET_ROLE_TUNNEL)
				return false;
	}
	return true;
}

/* Stage at control: no usable keypair (or out of counters). */
static void rx_stage(struct ws_pkt_meta *meta, struct rte_mbuf *m, struct rte_mbuf **ctl,
		     unsigned *nc)
{
	meta->dir = WS_DIR_ENCRYPT;
	meta->kp = NULL;
	ctl[(*nc)++] = m;
}

static void rx_clear(struct ws_gw *gw, struct ws_lcore *lc, unsigned port,
		     struct rte_mbuf **pkts, unsigned n)
{
	const struct ws_gw_port *gp = &gw->ports[port];
	const uint32_t mtu = gw->cfg->interface.mtu;
	struct rte_mbuf *fwd4[WS_BURST], *fwd6[WS_BURST], *ctl[WS_BURST], *work[WS_BURST];
	uint32_t a4[WS_BURST], p4[WS_BURST], p6[WS_BURST];
	uint8_t a6[WS_BURST][16];
	struct rte_mbuf *enc[WS_BURST];
	struct ws_gw_peer *peers[WS_BURST], *pp[WS_BURST];
	struct ws_dp_peer_acc acc = { 0 };
	struct ws_net_pkt pkt;
	unsigned n4 = 0, n6 = 0, nc = 0, nwk = 0, nk = 0, i, j;
	uint64_t now;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ws_pkt_meta *meta;

		if (!rx_classify(gp, lc, m, &pkt))
			continue;
		meta = ws_meta(m);
		meta_init(meta, lc, port);
		meta->l3_off = (uint16_t)pkt.l3_off;
		switch (pkt.kind) {
		case WS_NET_KIND_FORWARD:
			if (pkt.l3_len > mtu) {
				struct rte_mbuf *e;

				if (rx_too_big(gw, lc, port, m, &pkt, &e))
					work[nwk++] = e;
				ws_dp_drop(lc, m, WS_GW_DROP_TOO_BIG);
				continue;
			}
			if (!ws_dp_hop(rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.l3_off))) {
				ws_dp_drop(lc, m, WS_GW_DROP_TTL_EXPIRED);
				continue;
			}
			meta->plain_len = pkt.l3_len;
			if (pkt.dst.family == WS_AF_INET) {
				memcpy(&a4[n4], pkt.dst.addr, 4);
				a4[n4] = rte_be_to_cpu_32(a4[n4]);
				fwd4[n4++] = m;
			} else {
				memcpy(a6[n6], pkt.dst.addr, 16);
				fwd6[n6++] = m;
			}
			break;
		case WS_NET_KIND_ARP:
		case WS_NET_KIND_ND:
		case WS_NET_KIND_ECHO:
			ctl[nc++] = m;
			break;
		default:
			/* The classifier gives a clear port nothing else. */
			lc->stats->parse_drops[WS_NET_DROP_L4_PROTO]++;
			rte_pktmbuf_free(m);
			break;
		}
	}

	if (n4 + n6 == 0)
		goto out;
	if (n4 != 0)
		ws_allowedips_lookup_v4_bulk(gw->allowedips, a4, p4, n4);
	if (n6 != 0)
		ws_allowedips_lookup_v6_bulk(gw->allowedips, (const uint8_t (*)[16])a6, p6, n6);
	now = ws_lcore_now(lc);
	/*
	 * With many peers every packet of a burst may belong to another one:
	 * fetch the peers, then their current keypairs, for the whole burst
	 * before using any, so that the cache misses overlap.
	 */
	for (i = 0; i < n4 + n6; i++) {
		uint32_t id = i < n4 ? p4[i] : p6[i - n4];

		pp[i] = id == WS_ALLOWEDIPS_NONE ? NULL : ws_peer_table_get(gw->peers, id);
		if (pp[i] != NULL)
			ws_dp_peer_prefetch(pp[i]);
	}
	for (i = 0; i < n4 + n6; i++) {
		const struct ws_noise_keypair *kp =
			pp[i] == NULL ? NULL : __atomic_load_n(&pp[i]->noise.current,
							       __ATOMIC_RELAXED);

		if (kp != NULL)
			rte_prefetch0(&kp->send_counter); /* the line of all RX reads */
	}
	/* Resolve peer and keypair of each packet; what has none is staged. */
	for (i = 0; i < n4 + n6; i++) {
		struct rte_mbuf *m = i < n4 ? fwd4[i] : fwd6[i - n4];
		uint32_t id = i < n4 ? p4[i] : p6[i - n4];
		struct ws_pkt_meta *meta = ws_meta(m);
		struct ws_noise_keypair *kp;
		struct ws_gw_peer *peer = pp[i];

		if (peer == NULL) {
			ws_dp_drop(lc, m, WS_GW_DROP_NO_PEER);
			continue;
		}
		meta->peer_id = id;
		kp = ws_noise_keypair_current(&peer->noise, now);
		if (kp == NULL) {
			rx_stage(meta, m, ctl, &nc);
			continue;
		}
		meta->kp_gen = __atomic_load_n(&kp->generation, __ATOMIC_ACQUIRE);
		if (!__atomic_load_n(&kp->valid, __ATOMIC_ACQUIRE)) {
			rx_stage(meta, m, ctl, &nc);
			continue;
		}
		meta->kp = kp;
		meta->peer = peer;
		peers[nk] = peer;
		enc[nk++] = m;
	}
	/*
	 * Send counters: one fetch-add for each run of packets on the same
	 * keypair (mostly the whole burst), not one locked add per packet.
	 */
	for (i = 0; i < nk; i = j) {
		struct ws_noise_keypair *kp = ws_meta(enc[i])->kp;
		struct ws_keypair_facts facts;
		unsigned got;
		uint64_t first;

		for (j = i + 1; j < nk && ws_meta(enc[j])->kp == kp; j++)
			;
		got = rx_take_counters(gw, kp, j - i, &first);
		for (unsigned k = i; k < j; k++) {
			struct ws_pkt_meta *meta = ws_meta(enc[k]);

			if (k - i >= got) {
				/* Out of counters: kept for the next keypair. */
				ws_dp_acc(gw, &acc, peers[k], now)->ev |= WS_EV_WANT_HANDSHAKE;
				meta->kp = NULL;
				rx_stage(meta, enc[k], ctl, &nc);
				continue;
			}
			meta->dir = WS_DIR_ENCRYPT;
			meta->counter = first + (k - i);
			work[nwk++] = enc[k];
		}
		if (got == 0)
			continue;
		facts.birth = kp->birthdate;
		facts.counter = first + got;
		facts.initiator = kp->is_initiator;
		if (ws_timers_rekey_on_send(&facts, now))
			ws_dp_acc(gw, &acc, peers[i], now)->ev |= WS_EV_WANT_HANDSHAKE;
	}
	ws_dp_acc_flush(gw, &acc, now);
out:
	rx_dispatch(gw, lc, work, nwk);
	rx_to_ring(lc, gw->ctl_in, ctl, nc, WS_GW_DROP_RING_FULL);
}

void ws_rx_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	struct rte_mbuf *pkts[WS_BURST];
	unsigned q, i, n;

	for (q = 0; q < lc->n_rxq; q++) {
		unsigned port = lc->rxq[q].port;
		const struct ws_gw_port *gp = &gw->ports[port];
		uint64_t bytes = 0;

		n = rte_eth_rx_burst(gp->port_id, lc->rxq[q].queue, pkts, WS_BURST);
		if (n == 0)
			continue;
		for (i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		lc->stats->rx_packets[port] += n;
		lc->stats->rx_bytes[port] += bytes;
		if (gp->net.role == WS_NET_ROLE_TUNNEL)
			rx_tunnel(gw, lc, port, pkts, n);
		else
			rx_clear(gw, lc, port, pkts, n);
	}
}
