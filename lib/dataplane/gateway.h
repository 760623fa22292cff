/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gateway's shared state and the contracts between its roles
 * (DESIGN.md §1). Who writes what:
 *
 *   RX lcores     read the tables (index, allowed-ips, peers) lock-free,
 *                 take send counters (atomic), write per-lcore stats.
 *   workers       touch only the mbufs handed to them and their ws_aead.
 *   reorder/TX    own the reorder buffers; write each keypair's replay
 *                 window, peer endpoints (roaming, seqlock) and the per-peer
 *                 data-path event stamps.
 *   control       the ONLY writer of every table, of each peer's noise
 *                 handshake, cookie maker, timers and staged packets, and
 *                 of the neighbor cache. Frees through RCU (gw->rcu): every
 *                 data-path lcore reports a quiescent state once per loop.
 *   handshake     (gw->hs_lcores; the control lcore by default) take the
 *                 handshake messages RX spreads by source address: cookie
 *                 check, their own rate limiter, noise consume/create. They
 *                 write the index table under dev->index_lock (taken by
 *                 control and handshake lcores; the data path defers its
 *                 removals to control), the peer endpoint (seqlock), send
 *                 on ctl_out (MP) and post the timer events to control.
 *
 * Every packet that receives a reorder sequence number reaches the
 * reorder stage, success or not (a crypto failure travels as a status),
 * so the reorder buffers never wait on a gap.
 */
#ifndef WS_GATEWAY_H
#define WS_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_reorder.h>
#include <rte_ring.h>
#include <rte_seqlock.h>
#include <rte_spinlock.h>

#include "allowedips.h"
#include "config.h"
#include "cookie.h"
#include "index.h"
#include "noise.h"
#include "peer.h"
#include "ratelimiter.h"
#include "timers.h"
#include "ws_aead.h"
#include "ws_neigh.h"
#include "ws_net.h"

enum {
	WS_BURST = 32,                  /* rx/tx/ring burst */
	WS_MAX_PORTS = WS_CONFIG_PORTS_MAX,
	WS_MAX_STREAMS = 64,            /* reorder streams: RX lcores + control */
	WS_MAX_WORKERS = 64,
	WS_MAX_TX = 8,                  /* reorder/TX lcores */
	WS_MAX_HS = 16,                 /* handshake lcores */
	WS_REORDER_SIZE = 8192,         /* per stream; a power of two */
	WS_RING_SIZE = 4096,
	WS_EVENT_RING_SIZE = 1 << 20,   /* one pending event word per peer at most */
	WS_MBUF_DATA = 2048 + RTE_PKTMBUF_HEADROOM,
};

/* Which way a packet goes through the workers. */
enum ws_dir {
	WS_DIR_ENCRYPT = 1,             /* clear -> tunnel */
	WS_DIR_DECRYPT = 2,             /* tunnel -> clear */
	WS_DIR_PASS = 3,                /* datapath: finished frame (ICMP error from RX),
					 * workers pass it, TX sends it on meta.port */
};

/*
 * Per-packet metadata in the mbuf's private area (rte_mbuf_to_priv). The
 * reorder sequence number lives in rte_reorder's own dynamic field.
 */
struct ws_pkt_meta {
	uint8_t dir;                    /* enum ws_dir */
	uint8_t stream;                 /* reorder stream it was numbered in */
	uint8_t port;                   /* index into gw->ports[] it arrived on / leaves by */
	uint8_t flags;                  /* WS_META_F_* (datapath: was "pad") */
	int32_t status;                 /* crypto result: 0, -EBADMSG, ... */
	uint32_t peer_id;               /* encrypt: the peer allowed-ips chose */
	uint32_t kp_gen;                /* kp->generation when the packet took kp */
	uint16_t l3_off;                /* classify result: IP header offset */
	uint16_t msg_off;               /* decrypt: WireGuard message offset */
	uint32_t msg_len;               /* decrypt: WireGuard message length */
	uint32_t plain_len;             /* encrypt: IP length before padding */
	uint64_t counter;               /* nonce counter */
	struct ws_noise_keypair *kp;    /* RCU-protected until the reorder stage is done */
	/*
	 * Encrypt: the peer kp belongs to, held as kp is. TX reads it here
	 * rather than through kp->remote, which is not on the keypair's
	 * sending line (see struct ws_noise_keypair).
	 */
	struct ws_gw_peer *peer;
	struct ws_endpoint src;         /* decrypt: outer source, for roaming */
	struct rte_mbuf *next;          /* control's staging list */
	struct ws_endpoint nh;          /* WS_META_F_NEIGH: next hop (port 0) (datapath) */
};

/*
 * ws_pkt_meta.flags (added by datapath). Every packet RX puts on ctl_in
 * has flags 0 and dir 0 (ARP/ND/ECHO: classify it again) except staged
 * ones (dir ENCRYPT, kp NULL, peer_id set).
 */
enum {
	/*
	 * TX -> control on ctl_in: a finished frame for gw->ports[meta.port]
	 * whose Ethernet destination is unresolved (left zero). Control
	 * resolves meta.nh, writes the MAC into the frame's first 6 bytes and
	 * sends it on ctl_out, or drops it (NO_NEIGHBOR).
	 */
	WS_META_F_NEIGH = 1u << 0,
};

static inline struct ws_pkt_meta *ws_meta(struct rte_mbuf *m)
{
	return (struct ws_pkt_meta *)rte_mbuf_to_priv(m);
}

/*
 * Data-path events a peer's timers need; the data path sets the bit and
 * the stamp, and posts the peer id on gw->events only when the peer's
 * pending word goes from 0 to non-zero, so the ring cannot overflow.
 * There is no traversal event: an authenticated packet traverses the
 * path whenever it is sent or received (WS_EV_AUTH_SENT,
 * WS_EV_AUTH_RECEIVED, WS_EV_RESPONSE_SENT), and control applies it with
 * them.
 */
enum ws_peer_event {
	WS_EV_DATA_SENT = 1u << 0,
	WS_EV_DATA_RECEIVED = 1u << 1,
	WS_EV_AUTH_SENT = 1u << 2,
	WS_EV_AUTH_RECEIVED = 1u << 3,
	WS_EV_WANT_HANDSHAKE = 1u << 4, /* rekey on send/receive, or nothing to send with */
	WS_EV_CONFIRMED = 1u << 5,      /* a responder keypair was confirmed */
	/* From the handshake lcores (control applies them to the timers). */
	WS_EV_SESSION_DERIVED = 1u << 6,
	WS_EV_RESPONSE_SENT = 1u << 7,  /* we answered an initiation */
	WS_EV_HS_COMPLETE = 1u << 8,    /* our initiation was answered: flush staged */
	WS_EV_COUNT = 9,
	/*
	 * The events whose only effect is to restart timers from their
	 * stamp. A busy peer sends them with every packet; control applies
	 * them from the stamps and then holds the peer: ev_pending is set to
	 * WS_EV_HELD | WS_EV_STAMPS, so that these events end at the stamp
	 * store in the data path, and control looks at the stamps again
	 * within WS_CTL_EV_HOLD_NS. Any other event posts the peer at once.
	 */
	WS_EV_STAMPS = WS_EV_DATA_SENT | WS_EV_DATA_RECEIVED | WS_EV_AUTH_SENT |
		       WS_EV_AUTH_RECEIVED,
	WS_EV_N_STAMPS = 4,             /* WS_EV_STAMPS are the lowest bits */
	WS_EV_HELD = 1u << 31,
};

/* The stamp of event ev (a single WS_EV_* bit) in ws_gw_peer.ev_stamp. */
#define WS_EV_STAMP(ev) ((unsigned)__builtin_ctz(ev))

struct ws_gw_peer {
	/*
	 * What the data path touches for every packet fills two cache lines
	 * (ws_dp_peer_prefetch): the first is read (the keypair slots at the
	 * head of noise end it), the second is what TX writes. With many
	 * peers each packet's peer costs its own cache misses, so the
	 * fields are packed to the byte (see the asserts in device.c).
	 */
	uint32_t id __rte_cache_aligned; /* dense id: allowed-ips next hop */
	/* Data path -> control events (see enum ws_peer_event). */
	uint32_t ev_pending;
	/* Endpoint: written by control (config) and reorder (roaming). */
	rte_seqlock_t ep_lock;
	struct ws_endpoint endpoint;
	int32_t ep_route;               /* endpoint's next-hop code, set with it (tx.c) */
	struct ws_noise_remote noise;   /* container_of from keypair->remote */

	/* Shown by management; written with relaxed atomics. */
	uint64_t rx_bytes __rte_cache_aligned;
	uint64_t tx_bytes;
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t ev_stamp[WS_EV_COUNT]; /* WS_EV_STAMPS' on the counters' line */
	/* TX lcores, when more than one: the replay windows of its keypairs. */
	rte_spinlock_t window_lock;

	/*
	 * Control only, what a look at the peer's events and timers reads
	 * (ctl_peer_prefetch): the timer wheel entry at the timers' next
	 * deadline (control.c), the stamps of WS_EV_STAMPS last applied and
	 * when to look at them again, the staged packets' count, the timers.
	 * A wheel slot's walk reads timer_at and wheel_link of each entry in
	 * turn, one line each.
	 */
	uint64_t timer_at __rte_cache_aligned; /* deadline armed, ns; UINT64_MAX = none */
	TAILQ_ENTRY(ws_gw_peer) wheel_link;
	uint32_t wheel_slot;            /* slot holding wheel_link when timer_at is set */
	uint32_t n_staged;              /* clear packets waiting for a keypair */
	uint64_t ev_look_at;            /* ns; 0 = no look due */
	uint64_t ev_applied[WS_EV_N_STAMPS];
	struct ws_timers timers;
	struct rte_mbuf *staged_head;
	struct rte_mbuf *staged_tail;
	uint16_t persistent_keepalive;

	struct ws_cookie_maker cookie __rte_cache_aligned;

	/* The last handshake, wall clock (0 = never); shown by management. */
	int64_t last_handshake_sec;
	int64_t last_handshake_nsec;
};

/* Drop reasons of the gateway beyond the parser's (lib/net). */
#define foreach_ws_gw_drop \
	_(NO_PEER, "no peer's allowed-ips match the destination") \
	_(NO_KEYPAIR, "receiver index names no usable keypair") \
	_(DECRYPT, "authentication tag did not verify") \
	_(REPLAY, "counter outside the replay window or replayed") \
	_(KEYPAIR_EXPIRED, "keypair too old or out of counters") \
	_(INNER_INVALID, "decrypted packet is not a valid IP packet") \
	_(SOURCE_NOT_ALLOWED, "inner source not in the sending peer's allowed-ips") \
	_(NO_ROUTE, "no route for the decrypted packet's destination") \
	_(NO_NEIGHBOR, "next hop did not resolve") \
	_(RING_FULL, "a ring between roles was full") \
	_(REORDER, "reorder buffer refused the packet") \
	_(STAGED_OVERFLOW, "more than 128 packets staged for a peer") \
	_(HANDSHAKE_QUEUE, "handshake queue full") \
	_(HANDSHAKE_INVALID, "handshake message failed to authenticate") \
	_(RATELIMIT, "handshake initiation rate-limited") \
	_(TOO_BIG, "packet larger than the tunnel MTU") \
	_(MULTISEG, "multi-segment mbuf") \
	_(TX_FAILED, "the port did not take the packet") \
	_(NO_MBUF, "mempool empty") \
	_(ENCRYPT, "encryption failed") /* datapath */ \
	_(NO_ROOM, "no head- or tailroom in the mbuf for headers or padding") /* datapath */ \
	_(TTL_EXPIRED, "TTL or hop limit ran out while forwarding") /* datapath */ \
	_(TO_US, "packet through the tunnel to our own address, not an echo request") /* scale */

enum ws_gw_drop {
#define _(n, s) WS_GW_DROP_##n,
	foreach_ws_gw_drop
#undef _
	WS_GW_DROP_MAX
};
const char *ws_gw_drop_name(enum ws_gw_drop reason);
const char *ws_gw_drop_desc(enum ws_gw_drop reason);    /* datapath: stats.c */

/* Per-lcore counters, summed on read; each on its own cache lines. */
struct ws_lcore_stats {
	uint64_t rx_packets[WS_MAX_PORTS];
	uint64_t rx_bytes[WS_MAX_PORTS];
	uint64_t tx_packets[WS_MAX_PORTS];
	uint64_t tx_bytes[WS_MAX_PORTS];
	uint64_t encrypted;
	uint64_t decrypted;
	uint64_t handshakes_in;
	uint64_t handshakes_out;
	uint64_t cookies_sent;
	uint64_t keepalives_rx;         /* datapath: authenticated empty data messages */
	uint64_t icmp_too_big;          /* datapath: ICMP errors sent for TOO_BIG drops */
	uint64_t parse_drops[WS_NET_DROP_MAX];
	uint64_t drops[WS_GW_DROP_MAX];
	/*
	 * ws_gw_lcore_loop: TSC cycles in polls that moved a packet or a
	 * handshake, and in the loop altogether (sleeps included).
	 */
	uint64_t busy_cycles;
	uint64_t loop_cycles;
} __rte_cache_aligned;

struct ws_gw;
/* Sum of every lcore's gw->stats into out (datapath: stats.c; any thread, racy but torn-free on x86-64). */
void ws_gw_stats_sum(const struct ws_gw *gw, struct ws_lcore_stats *out);

/*
 * Put m, a finished frame for gw->ports[port] whose next hop nh has no
 * usable neighbor entry, on ctl_in for control (WS_META_F_NEIGH; tx.c).
 * 0, or the ring was full and m is still the caller's to drop.
 */
int ws_dp_neigh_enqueue(struct ws_gw *gw, struct rte_mbuf *m, unsigned port,
			const struct ws_endpoint *nh);

enum ws_role {
	WS_ROLE_RX = 1u << 0,
	WS_ROLE_WORKER = 1u << 1,
	WS_ROLE_TX = 1u << 2,           /* reorder + ordered checks + tx */
	WS_ROLE_CONTROL = 1u << 3,
	WS_ROLE_HANDSHAKE = 1u << 4,    /* handshake messages (may be the control lcore) */
};

struct ws_gw_port {
	uint16_t port_id;
	uint16_t n_rxq;
	uint16_t n_txq;
	uint16_t mtu;
	bool sw_ipv4_cksum;             /* device offers no IPv4 checksum offload */
	bool sw_l4_cksum;               /* nor UDP: tx.c sums IPv6 datagrams itself */
	/*
	 * Most mbufs the driver may still hold after rte_eth_dev_close (0 but
	 * for net_af_xdp, whose DPDK 22.11 PMD keeps those in its rings).
	 */
	uint32_t kept_at_close;
	struct ws_net_port net;         /* role, addresses, MAC, listen port */
	const struct ws_config_port *cfg;
	/* Routes out of this port (tx.c ws_dp_route); NULL until ports start. */
	struct rte_rib *rt4;
	struct rte_rib6 *rt6;
	int32_t rt4_miss, rt6_miss;     /* next-hop code when the LPM misses */
};

/* One lcore's assignment and private state. */
struct ws_lcore {
	unsigned lcore_id;
	uint32_t roles;                 /* enum ws_role */
	uint8_t stream;                 /* RX: reorder stream numbered here */
	uint32_t seqn;                  /* RX: next sequence number of stream */
	/* RX: the (port, queue) pairs polled; port indexes gw->ports[]. */
	uint16_t n_rxq;
	struct { uint16_t port, queue; } rxq[2 * WS_MAX_PORTS];
	/* Worker: its index in gw->work[][w] / gw->to_tx[w], and crypto. */
	uint8_t worker;
	struct ws_aead *aead;
	/* TX: the queue of each port (indexed like gw->ports[]) this lcore transmits on. */
	uint16_t txq[WS_MAX_PORTS];
	uint8_t tx;                     /* TX: index in gw->tx_lcores[] (owns streams s % n_tx == tx) */
	uint8_t hs;                     /* handshake: index in gw->hs_lcores[] */
	unsigned thread_id;             /* RCU reader id */
	struct ws_lcore_stats *stats;
	uint64_t now;                   /* ws_gw_now() of this loop iteration; 0 = read it */
	/*
	 * RX, the only worker and the only TX lcore in one: a burst RX takes
	 * is sealed or opened and sent right away, in order, with no rings
	 * and no reorder stage between (control's stream still uses them).
	 */
	bool inline_rtc;
} __rte_cache_aligned;                  /* written by its lcore: no line shared with the next */

struct ws_gw {
	const struct ws_config *cfg;
	volatile bool stop;
	struct rte_mempool *pool;

	struct ws_gw_port ports[WS_MAX_PORTS];
	unsigned n_ports;
	int tunnel_port;                /* index into ports[] */
	int clear_port;

	/* Lcores and roles. */
	struct ws_lcore lcores[RTE_MAX_LCORE];
	unsigned worker_lcores[WS_MAX_WORKERS];
	unsigned n_workers;
	unsigned tx_lcore;              /* tx_lcores[0]: also sends control's frames (ctl_out) */
	unsigned tx_lcores[WS_MAX_TX];
	unsigned n_tx;                  /* 0 is taken as 1 (tx_lcore) */
	unsigned hs_lcores[WS_MAX_HS];
	unsigned n_hs;                  /* 0 is taken as 1 (hs_in, polled by the control lcore) */
	unsigned control_lcore;
	/* ws_gw_one_counter_taker(): RX takes send counters without a locked add. */
	bool one_counter_taker;
	unsigned n_streams;
	uint8_t control_stream;

	/*
	 * Rings, single-producer/single-consumer where a pair has its own:
	 * work[s][w]: stream s (an RX lcore, or control) -> worker w, so a
	 * producer knows the free space before it numbers packets; to_tx[w]:
	 * worker w -> reorder/TX lcore 0, to_tx_more[t - 1][w]: worker w ->
	 * TX lcore t, each packet by its stream (s % n_tx) (a worker never
	 * drops: it waits for room); hs_in: RX -> handshake lcore 0,
	 * hs_in_more[h - 1]: RX -> handshake lcore h, by source address
	 * (bounded; each ring's depth drives that lcore's "under load");
	 * ctl_in: RX/TX/handshake -> control (ARP/ND, echo, packets to stage
	 * or to hold for neighbor resolution); ctl_out: control and handshake
	 * lcores (MP) -> TX lcore 0 (finished frames: no crypto, no
	 * reorder); events: peer ids with pending data-path events.
	 */
	struct rte_ring *work[WS_MAX_STREAMS][WS_MAX_WORKERS];
	struct rte_ring *to_tx[WS_MAX_WORKERS];
	struct rte_ring *to_tx_more[WS_MAX_TX - 1][WS_MAX_WORKERS];
	struct rte_ring *ctl_in;
	struct rte_ring *hs_in;         /* RX -> handshake lcore 0 */
	struct rte_ring *hs_in_more[WS_MAX_HS - 1];
	struct rte_ring *ctl_out;
	struct rte_ring *events;
	struct rte_reorder_buffer *reorder[WS_MAX_STREAMS];

	/* Protocol state. */
	struct ws_noise_local noise;
	struct ws_cookie_checker cookie;
	struct ws_load load;            /* handshake lcore 0's; hs_load[h - 1] for the others */
	struct ws_load hs_load[WS_MAX_HS - 1];
	struct ws_ratelimiter *ratelimiter;     /* handshake lcore 0's */
	struct ws_ratelimiter *hs_ratelimiter[WS_MAX_HS - 1];
	struct ws_peer_table *peers;
	struct ws_index_table *index;
	struct ws_allowedips *allowedips;
	struct ws_neigh *neigh;
	struct rte_rcu_qsbr *rcu;
	struct rte_rcu_qsbr_dq *rcu_dq;

	struct ws_lcore_stats stats[RTE_MAX_LCORE];
	uint64_t start_tsc;
	/* app: an lcore that found no work for a while sleeps this long; 0 = busy poll */
	uint32_t idle_sleep_us;

	/* device.c's private state: pools, deferred work, pending lists (control). */
	struct ws_gw_device *dev;

	/* Management (mgmt.c): its thread's state, NULL when not running (bind). */
	struct ws_gw_mgmt *mgmt;
	/* app: room for this many peers (JSON-RPC may add them); 0: the config's (bind). */
	uint32_t max_peers;
	/* app: how long a confirmed neighbor MAC is used before a re-probe; 0: 30 s. */
	uint32_t neigh_reachable_ms;
};

/*
 * Protocol objects and peers, device.c (control). init: after the EAL,
 * gw->pool, gw->ports, the rings and the lcore plan (control_lcore,
 * control_stream) exist, before lcores launch; creates gw->neigh if the
 * app did not and loads the config's static neighbors. The app adds the
 * config's peers with ws_gw_peer_add. fini: after every lcore stopped;
 * frees all it holds, staged and held mbufs included. Peer functions run
 * on the control lcore, or before launch / after stop; 0 or -errno.
 */
int ws_gw_device_init(struct ws_gw *gw);
void ws_gw_device_fini(struct ws_gw *gw);
int ws_gw_peer_add(struct ws_gw *gw, const struct ws_config_peer *cp);
int ws_gw_peer_remove(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN]);
int ws_gw_peer_set_endpoint(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN],
			    const struct ws_endpoint *ep);
/* Replace the peer's allowed-ips with ips[0..n) (masked prefixes). */
int ws_gw_peer_set_allowed_ips(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN],
			       const struct ws_prefix *ips, unsigned n);

/* Monotonic nanoseconds (TSC based); the clock injected into lib/wg. */
uint64_t ws_gw_now(void);
/* The time of lc's current loop iteration (one clock read per iteration, not per role). */
static inline uint64_t ws_lcore_now(const struct ws_lcore *lc)
{
	return lc != NULL && lc->now != 0 ? lc->now : ws_gw_now();
}

/* Post a data-path event for peer (any lcore; lock-free). */
void ws_gw_peer_event(struct ws_gw *gw, struct ws_gw_peer *p, uint32_t ev, uint64_t now);

static inline unsigned ws_gw_n_tx(const struct ws_gw *gw)
{
	return gw->n_tx > 1 ? gw->n_tx : 1;
}

static inline unsigned ws_gw_n_hs(const struct ws_gw *gw)
{
	return gw->n_hs > 1 ? gw->n_hs : 1;
}

/* The ring from worker w to TX lcore t (t < ws_gw_n_tx). */
static inline struct rte_ring **ws_gw_to_tx(struct ws_gw *gw, unsigned w, unsigned t)
{
	return t == 0 ? &gw->to_tx[w] : &gw->to_tx_more[t - 1][w];
}

/* Handshake lcore h's ring, rate limiter and load state (h < ws_gw_n_hs). */
static inline struct rte_ring **ws_gw_hs_ring(struct ws_gw *gw, unsigned h)
{
	return h == 0 ? &gw->hs_in : &gw->hs_in_more[h - 1];
}

static inline struct ws_ratelimiter **ws_gw_hs_ratelimiter(struct ws_gw *gw, unsigned h)
{
	return h == 0 ? &gw->ratelimiter : &gw->hs_ratelimiter[h - 1];
}

static inline struct ws_load *ws_gw_hs_load(struct ws_gw *gw, unsigned h)
{
	return h == 0 ? &gw->load : &gw->hs_load[h - 1];
}

/*
 * Which handshake lcore serves a source address: a hash of the IPv4
 * address or of the IPv6 /64 (the rate limiter's key), so each source
 * meets one rate limiter; the port does not count.
 */
static inline unsigned ws_gw_hs_of(const struct ws_gw *gw, const struct ws_endpoint *src)
{
	unsigned n = ws_gw_n_hs(gw);

	if (n == 1)
		return 0;
	return rte_jhash(src->addr, src->family == WS_AF_INET ? 4 : 8, 0) % n;
}

static inline struct ws_gw_peer *ws_gw_peer_of(struct ws_noise_remote *r)
{
	return container_of(r, struct ws_gw_peer, noise);
}

/*
 * Endpoint read and write under the peer's seqlock. The write also
 * looks up the endpoint's route out of the tunnel port, and the read
 * returns that next-hop code with the endpoint: TX sends to each peer
 * without a route lookup (routes come from the config, which does not
 * change while the gateway runs).
 */
int32_t ws_gw_peer_endpoint_get(struct ws_gw_peer *p, struct ws_endpoint *ep);
void ws_gw_peer_endpoint_set(struct ws_gw *gw, struct ws_gw_peer *p, const struct ws_endpoint *ep);

/*
 * The next-hop code of dst leaving by gw->ports[port] (tx.c; its route
 * tables once the ports started, the config before): dst itself (on-link
 * in one of the port's prefixes), the port's gateway, config route i
 * (WS_RT_ROUTE + i), or no route.
 */
enum { WS_RT_NONE = -1, WS_RT_ONLINK = 0, WS_RT_GATEWAY = 1, WS_RT_ROUTE = 2 };
int32_t ws_dp_route_code(const struct ws_gw *gw, unsigned port, const struct ws_endpoint *dst);

/* Role loops (one iteration each; the lcore main loop calls them). */
void ws_rx_poll(struct ws_gw *gw, struct ws_lcore *lc);
void ws_worker_poll(struct ws_gw *gw, struct ws_lcore *lc);
void ws_tx_poll(struct ws_gw *gw, struct ws_lcore *lc);
void ws_control_poll(struct ws_gw *gw, struct ws_lcore *lc);
/* Handshake lcore lc->hs: its ring, rate limiter, load (control_handshake.c). */
void ws_handshake_poll(struct ws_gw *gw, struct ws_lcore *lc);

/*
 * Start-up and shut-down ("app": port.c, lcore.c, gateway.c). Order:
 * ws_gw_lcores_plan, ws_gw_ports_probe, mempool, ws_gw_ports_start,
 * ws_gw_lcores_setup (every ring incl. gw->events, reorder buffers,
 * aead), ws_gw_device_init ("control"), ws_gw_lcores_register (RCU
 * readers on gw->rcu), peers, launch.
 * ws_lcore.rxq[].port and ws_lcore.txq[] are indices into gw->ports[]
 * (the ethdev id is gw->ports[i].port_id).
 */
int ws_gw_lcores_plan(struct ws_gw *gw);
/*
 * Whether the control lcore is the only lcore receiving on a clear port
 * (the plan's queues assigned). Send counters are taken by RX from a
 * clear port (rx.c) and by control (keepalives, staged packets); then one
 * lcore takes them all. ws_gw_lcores_setup records it in
 * gw->one_counter_taker.
 */
bool ws_gw_one_counter_taker(const struct ws_gw *gw);
int ws_gw_ports_probe(struct ws_gw *gw);
unsigned ws_gw_ports_descriptors(const struct ws_gw *gw);
int ws_gw_ports_start(struct ws_gw *gw);
void ws_gw_ports_stop(struct ws_gw *gw);
int ws_gw_lcores_setup(struct ws_gw *gw);
int ws_gw_lcores_register(struct ws_gw *gw);
int ws_gw_lcores_launch(struct ws_gw *gw);      /* every lcore but the main one */
/* One iteration of an lcore's roles, then its RCU quiescent state. */
void ws_gw_lcore_poll(struct ws_gw *gw, struct ws_lcore *lc);
int ws_gw_lcore_loop(void *gw);                 /* the per-lcore main loop */
void ws_gw_lcores_join(struct ws_gw *gw);
void ws_gw_lcores_fini(struct ws_gw *gw);       /* drains and frees rings and buffers */
int ws_gw_start(struct ws_gw *gw, const struct ws_config *cfg);
int ws_gw_stop(struct ws_gw *gw);               /* -EBUSY when an mbuf leaked */
void ws_gw_stats_print(struct ws_gw *gw, FILE *f, const char *prefix);

/*
 * Management (bind: mgmt*.c). start: after the lcores launched; runs the
 * JSON-RPC (and UAPI, telemetry) server on a DPDK control thread; 0 or
 * -errno. poll: on the control lcore, each loop: runs the management
 * requests (every table change and peer snapshot goes through it).
 * stop: after the lcores joined, before ws_gw_stop; removes the sockets.
 */
int ws_gw_mgmt_start(struct ws_gw *gw, const char *version);
void ws_gw_mgmt_poll(struct ws_gw *gw, uint64_t now);
void ws_gw_mgmt_stop(struct ws_gw *gw);

#endif /* WS_GATEWAY_H */
