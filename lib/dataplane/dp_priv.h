/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the data-path stages (rx.c, worker.c, tx.c, stats.c);
 * private to them.
 */
#ifndef WS_DP_PRIV_H
#define WS_DP_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "gateway.h"

extern int ws_dp_logtype;
#define WS_DP_LOG(level, ...) \
	rte_log(RTE_LOG_##level, ws_dp_logtype, "datapath: " __VA_ARGS__)

static inline void ws_dp_drop(struct ws_lcore *lc, struct rte_mbuf *m, enum ws_gw_drop why)
{
	lc->stats->drops[why]++;
	rte_pktmbuf_free(m);
}

/* ws_dp_drop for n packets at once: what a full ring left of a burst. */
static inline void ws_dp_drop_bulk(struct ws_lcore *lc, struct rte_mbuf **pkts, unsigned n,
				   enum ws_gw_drop why)
{
	if (n == 0)
		return;
	lc->stats->drops[why] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * The keypair the packet took is still the one in kp's storage: not
 * retired (retiring bumps the generation), so its keys, window and
 * remote may be used until this lcore's next quiescent state.
 */
static inline bool ws_dp_kp_fresh(const struct ws_pkt_meta *meta)
{
	return meta->kp != NULL &&
	       __atomic_load_n(&meta->kp->generation, __ATOMIC_ACQUIRE) == meta->kp_gen;
}

/*
 * Forwarding costs a hop, as in any router: decrement the IPv4 TTL (the
 * checksum updated incrementally, RFC 1624) or the IPv6 hop limit of the
 * IP packet at ip. False, untouched, when none is left to spend.
 */
static inline bool ws_dp_hop(uint8_t *ip)
{
	if ((ip[0] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		uint32_t sum;

		if (h->time_to_live <= 1)
			return false;
		h->time_to_live--;
		/* TTL is the high byte of its 16-bit word: the sum drops by 0x100. */
		sum = (uint32_t)rte_be_to_cpu_16(h->hdr_checksum) + 0x100;
		sum = (sum & 0xffff) + (sum >> 16);
		h->hdr_checksum = rte_cpu_to_be_16((uint16_t)sum);
		return true;
	}
	if (((struct rte_ipv6_hdr *)ip)->hop_limits <= 1)
		return false;
	((struct rte_ipv6_hdr *)ip)->hop_limits--;
	return true;
}

/*
 * Data-path events and byte counters of one peer, gathered over a burst
 * and posted once: consecutive packets mostly belong to the same peer,
 * and each post is an atomic on a line the control lcore also writes.
 */
struct ws_dp_peer_acc {
	struct ws_gw_peer *peer;
	uint32_t ev;
	uint64_t rx_bytes, rx_packets;
	uint64_t tx_bytes, tx_packets;
};

/*
 * Add v to *c and return what it held. Where one lcore is the only writer
 * of *c a plain load and store will do, which is no fence, where a locked
 * add is one on every peer change (every packet when traffic is spread
 * over many peers). A peer's counters have the TX lcores as writers
 * (tx.c): one writer with one TX lcore; with several, packets of one
 * peer may meet different TX lcores. A keypair's send counter: see
 * ws_gw.one_counter_taker.
 */
static inline uint64_t ws_dp_count(uint64_t *c, uint64_t v, bool one_writer)
{
	uint64_t old;

	if (!one_writer)
		return __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
	old = __atomic_load_n(c, __ATOMIC_RELAXED);
	__atomic_store_n(c, old + v, __ATOMIC_RELAXED);
	return old;
}

static inline void ws_dp_acc_flush(struct ws_gw *gw, struct ws_dp_peer_acc *a, uint64_t now)
{
	struct ws_gw_peer *p = a->peer;
	bool one = ws_gw_n_tx(gw) == 1;

	if (p == NULL)
		return;
	if (a->rx_packets != 0) {
		ws_dp_count(&p->rx_bytes, a->rx_bytes, one);
		ws_dp_count(&p->rx_packets, a->rx_packets, one);
	}
	if (a->tx_packets != 0) {
		ws_dp_count(&p->tx_bytes, a->tx_bytes, one);
		ws_dp_count(&p->tx_packets, a->tx_packets, one);
	}
	if (a->ev != 0)
		ws_gw_peer_event(gw, p, a->ev, now);
	memset(a, 0, sizeof(*a));
}

static inline struct ws_dp_peer_acc *ws_dp_acc(struct ws_gw *gw, struct ws_dp_peer_acc *a,
					       struct ws_gw_peer *p, uint64_t now)
{
	if (a->peer != p) {
		ws_dp_acc_flush(gw, a, now);
		a->peer = p;
	}
	return a;
}

/*
 * Start loading the two lines of p that a data packet touches: the one
 * it reads (keypair slots, id, endpoint, pending events) and the one TX
 * writes (counters, event stamps). With many peers every packet of a
 * burst may be another peer's, and this lets the misses of a whole burst
 * overlap.
 */
static inline void ws_dp_peer_prefetch(const struct ws_gw_peer *p)
{
	rte_prefetch0(&p->id);
	rte_prefetch0(&p->rx_bytes);
}

/*
 * Next hop for dst leaving by gw->ports[port]: dst itself when on-link in
 * one of the port's prefixes, else the longest matching config route of
 * that port, else the port's gateway of dst's family. nh gets family and
 * address (port 0). 0 or -ENETUNREACH.
 */
int ws_dp_route(const struct ws_gw *gw, unsigned port, const struct ws_endpoint *dst,
		struct ws_endpoint *nh);

/* The ports' route tables (ws_dp_route's fast path): built at start, freed at stop. */
int ws_dp_routes_build(struct ws_gw *gw);
void ws_dp_routes_free(struct ws_gw *gw);

/*
 * Hand a finished frame for gw->ports[port] whose next hop nh has no
 * usable neighbor entry to control (WS_META_F_NEIGH), its Ethernet
 * destination left zero. Consumes m (RING_FULL when control is behind).
 */
void ws_dp_to_neigh(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf *m, unsigned port,
		    const struct ws_endpoint *nh);

/*
 * The stages of an lcore with lc->inline_rtc, called by RX on a burst in
 * order (n <= WS_BURST): seal or open every packet (meta->status set), then
 * the ordered checks and transmission, as a TX poll does for a stream.
 */
void ws_worker_crypt(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf **pkts, unsigned n);
void ws_tx_inline(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf **pkts, unsigned n);

#endif /* WS_DP_PRIV_H */
