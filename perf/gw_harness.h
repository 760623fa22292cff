/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real gateway (ws_gw_start: ports, lcores, rings, device, peers) on
 * two net_ring ethdevs made with rte_eth_from_rings, so that this process
 * feeds the ports' RX rings and drains their TX rings. Remote peers are
 * simulated with lib/wg (real Noise handshakes, real X25519); their data
 * messages are sealed with a ws_aead instance of their own.
 *
 * Topology (addresses of the integration tests' shape):
 *   wan (tunnel) 192.0.2.1/24, default gateway 192.0.2.254 (static MAC);
 *   peer i at 198.18.0.0 + i, port 51820, allowed-ips 10.128.0.0 + i /32;
 *   lan (clear) 10.1.0.1/24, the LAN host 10.1.0.2 (static MAC).
 */
#ifndef WS_GW_HARNESS_H
#define WS_GW_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "bench_util.h"
#include "gateway.h"

enum gwh_dir { GWH_ENCRYPT = 0, GWH_DECRYPT = 1 };

static inline const char *gwh_dir_name(enum gwh_dir dir)
{
	return dir == GWH_ENCRYPT ? "encrypt" : "decrypt";
}

struct gwh_peer;
struct gwh_tx_state;

struct gwh {
	struct ws_gw *gw;
	struct ws_config cfg;
	struct ws_config_peer *peers_cfg;
	struct ws_prefix *aips;
	struct gwh_peer *peers;         /* the simulated remotes */
	struct gwh_tx_state *txs;       /* their sending state, compact (generator) */
	unsigned n_peers;
	unsigned n_active;              /* peers gwh_inject cycles through; 0: all of them */
	uint32_t *order;                /* the order it visits all of them (gwh_shuffle); NULL: by id */
	bool split;                     /* worker on its own lcore */
	uint8_t outer;                  /* tunnel underlay: WS_AF_INET or WS_AF_INET6 */
	unsigned worker_lcore;
	struct rte_ring *rx[2], *tx[2]; /* per port index (0 wan, 1 lan) */
	struct ws_aead *sim_aead;       /* the peers' sealing, generator side */
	struct ws_lcore *lc;            /* the main lcore's */
	uint64_t gw_cycles;             /* TSC cycles inside the gateway's polls (main lcore) */
	uint64_t gen_cycles;
	int ts_off;                     /* mbuf dynfield: injection TSC */
	unsigned instance;
	volatile bool worker_stop;
	uint64_t worker_busy;           /* split: worker cycles in polls that moved packets */
};

/*
 * A gateway with n peers; split: the worker runs on lcore 1 (needs "-l
 * 0-1"), else every role runs on the main lcore when gwh_poll is called.
 * Returns 0 or -errno; gwh_destroy undoes it and checks for mbuf leaks.
 */
int gwh_create(struct gwh *h, unsigned n_peers, bool split);
/* The same over an IPv4 or (WS_AF_INET6) an IPv6 underlay. */
int gwh_create_outer(struct gwh *h, unsigned n_peers, bool split, uint8_t outer);
int gwh_destroy(struct gwh *h);

/* Complete a handshake with every peer (gateway as responder), and confirm it. */
int gwh_handshake_all(struct gwh *h);

/*
 * Visit all peers in a fixed pseudo-random order instead of by id: the
 * peers, their keypairs and allowed-ips entries were created in id order
 * and lie in memory in that order, which a hardware prefetcher can
 * follow, where traffic from many peers arrives in no order. 0 or -ENOMEM.
 */
int gwh_shuffle(struct gwh *h);

/* One run-to-completion pass of every role on the main lcore (timed into gw_cycles). */
void gwh_poll(struct gwh *h);

/*
 * Inject up to n frames for direction dir, sizes of the nominal size,
 * peers round robin from *next (the first n_active of them, when set;
 * else all, in h->order when set); stamps each with the TSC. Returns how
 * many.
 */
unsigned gwh_inject(struct gwh *h, enum gwh_dir dir, unsigned size, unsigned n, uint64_t *next);

/*
 * Drain what the gateway sent out of the port dir delivers to (wan for
 * encrypt, lan for decrypt); adds frames and inner bytes, and, when lat
 * is not NULL, each frame's TSC latency to lat[] (up to lat_cap).
 */
unsigned gwh_drain(struct gwh *h, enum gwh_dir dir, uint64_t *bytes, uint64_t *lat,
		   unsigned *n_lat, unsigned lat_cap);
/* Free whatever is left in the TX rings; returns how many. */
unsigned gwh_drain_all(struct gwh *h);

/* Frames queued on the RX ring of port p (the offered backlog). */
unsigned gwh_rx_backlog(const struct gwh *h, unsigned port);

/* Pre-built handshake initiations (for hs_bench): peer i's, now. */
int gwh_initiation_frame(struct gwh *h, unsigned peer, struct rte_mbuf **out);
void gwh_inject_frame(struct gwh *h, struct rte_mbuf *m);

/* Worker lcore body for split mode (rte_eal_remote_launch). */
int gwh_worker_main(void *arg);
int gwh_split_start(struct gwh *h);
void gwh_split_stop(struct gwh *h);

/* Counted output: handshake responses and cookie replies seen on wan. */
struct gwh_hs_count {
	uint64_t responses, cookies, other;
};
unsigned gwh_drain_handshakes(struct gwh *h, struct gwh_hs_count *c);

#endif /* WS_GW_HARNESS_H */
