/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control role's private state and the functions its files share
 * (device.c, control.c, control_handshake.c, control_neigh.c). Everything
 * here runs on the control lcore, or before launch / after stop, except
 * where a comment says otherwise; the incoming handshake path
 * (control_handshake.c: ws_handshake_poll, send_msg, ws_ctl_xmit_via,
 * ws_ctl_out) also runs on the handshake lcores.
 */
#ifndef WS_CONTROL_PRIV_H
#define WS_CONTROL_PRIV_H

#include <stdint.h>
#include <time.h>

#include <rte_log.h>

#include "gateway.h"

extern int ws_control_logtype;
#define CTL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, ws_control_logtype, "wirespeed.control: " fmt "\n", ##__VA_ARGS__)

enum {
	WS_CTL_NH_MAX = 64,             /* next hops with frames held at once */
	WS_CTL_HELD_MAX = 256,          /* frames held for resolution, in all */
	WS_CTL_HOLD_NS = 3000000000ull, /* longest a frame waits for its next hop */
	WS_CTL_TIMER_TICK_NS = 10000000ull,
	WS_CTL_NEIGH_TICK_NS = 1000000ull,
	WS_CTL_RECLAIM_TICK_NS = 1000000ull, /* RCU defer queue reclaims, at most this often */
	WS_CTL_WHEEL_SLOTS = 4096,      /* 41 s of 10 ms ticks per turn */
	WS_CTL_SWEEP_PEERS = 256,       /* peers the timer sweep checks per tick */
	/*
	 * How long control holds a busy peer's timer events (WS_EV_STAMPS):
	 * they are applied, from their stamps, at most this much later, and
	 * always before a timer of the peer fires. The timers they arm run
	 * for 10 s and more, so each deadline is still its stamp's; half of
	 * that keeps control's look at 100,000 busy peers to 20,000 a second.
	 */
	WS_CTL_EV_HOLD_NS = 5000000000ull,
	WS_CTL_BURST = WS_BURST,
	WS_HS_BUDGET = 16,              /* handshake messages per poll, at most */
	WS_HS_BUDGET_HOT = 2,           /* ... under load, on an lcore that carries data */
	WS_HS_CAP_DIV = 32,             /* handshakes beside data: at most 1/32 of the lcore */
	WS_HS_CREDIT_DEPTH_DIV = 500,   /* ... saved up for at most 1/500 s of the lcore */
	WS_HS_DATA_MIN = 1000,          /* data packets a window that count as traffic */
	WS_HS_WINDOW_NS = 100000000ull, /* measured over windows of 100 ms */
};

/* Frames waiting for one next hop's MAC. */
struct ws_ctl_nh {
	bool used;
	uint8_t port;                   /* index into gw->ports[] */
	struct ws_endpoint addr;        /* port 0 */
	uint64_t since;                 /* when the oldest frame started waiting */
	struct rte_mbuf *head;          /* linked through ws_meta()->next */
	struct rte_mbuf *tail;
	unsigned n;
};

/*
 * Handshake work on an lcore that also moves data: a bucket of TSC cycles
 * that fills at 1/WS_HS_CAP_DIV of the lcore's time, holds at most
 * 1/WS_HS_CREDIT_DEPTH_DIV of a second's cycles, and is charged with what
 * the handshakes took. While the gateway carries data, the handshake poll
 * takes nothing from its queue when the bucket is empty, so a flood of
 * initiations, answered or not, never takes more than about that share
 * of the lcore from the established tunnels: the queue backs up, "under
 * load" holds, and RX drops what the queue cannot hold.
 */
struct ws_ctl_hs_credit {
	int64_t cycles;                 /* may go below 0: a handshake overdraws */
	uint64_t tsc;                   /* last refill */
};

/* Refill up to tsc; true when handshake work may run now. */
static inline bool ws_ctl_hs_credit_ok(struct ws_ctl_hs_credit *c, uint64_t tsc, uint64_t hz)
{
	int64_t depth = (int64_t)(hz / WS_HS_CREDIT_DEPTH_DIV);

	if (c->tsc != 0 && tsc > c->tsc) {
		uint64_t add = (tsc - c->tsc) / WS_HS_CAP_DIV;

		c->cycles = add >= (uint64_t)(depth - c->cycles) ? depth : c->cycles + (int64_t)add;
	} else if (c->tsc == 0) {
		c->cycles = depth;
	}
	c->tsc = tsc;
	return c->cycles > 0;
}

static inline void ws_ctl_hs_credit_charge(struct ws_ctl_hs_credit *c, uint64_t cycles)
{
	c->cycles -= (int64_t)RTE_MIN(cycles, (uint64_t)INT64_MAX / 2);
	if (c->cycles < INT64_MIN / 2)
		c->cycles = INT64_MIN / 2;
}

/* A handshake lcore's time spent on handshakes, per window (control_handshake.c). */
struct ws_ctl_hs_window {
	struct ws_ctl_hs_credit credit; /* used when the lcore also moves data */
	uint64_t start;                 /* ns; 0 before the first window */
	uint64_t cycles;                /* TSC cycles in handshake_one this window */
	uint64_t rx;                    /* the lcore's received packets at start */
	bool data;                      /* the last window carried data (WS_HS_DATA_MIN) */
	bool hot;                       /* ... and handshakes took over their share */
};

/* Work a data-path lcore hands to control: drop an index, retire a keypair. */
struct ws_ctl_deferred {
	uint32_t index;
	uint32_t kind;                  /* WS_CTL_DEFER_* */
	struct ws_noise_keypair *kp;
};
enum { WS_CTL_DEFER_INDEX = 1, WS_CTL_DEFER_RETIRE = 2 };

/* Elements of gw->rcu_dq: storage freed after a grace period. */
struct ws_ctl_rcu_elem {
	void *obj;
	uintptr_t kind;                 /* WS_CTL_RCU_* */
};
enum { WS_CTL_RCU_KEYPAIR = 1, WS_CTL_RCU_PEER = 2 };

struct ws_gw_device {
	struct ws_gw *gw;
	struct rte_mempool *kp_pool;    /* type-stable keypair storage */
	struct rte_ring *deferred;      /* MP/SC of struct ws_ctl_deferred */
	uint32_t peer_capacity;
	bool own_neigh;                 /* gw->neigh created here */
	bool own_rcu;                   /* gw->rcu created here */
	bool own_events;                /* gw->events created here (the app makes it first) */
	uint16_t ip_id;                 /* IPv4 identification of our datagrams */

	/* Control's own reorder stream. */
	uint32_t seqn;
	unsigned next_worker;

	uint64_t next_timers;
	uint32_t sweep_next;            /* next peer id the timer sweep checks */
	/* Peers' timers: a hashed wheel of WS_CTL_TIMER_TICK_NS slots (control.c). */
	uint64_t wheel_next;            /* first tick not yet run */
	TAILQ_HEAD(ws_wheel_slot, ws_gw_peer) wheel[WS_CTL_WHEEL_SLOTS];
	uint64_t next_neigh;
	uint64_t next_reclaim;
	uint64_t hs_next_gc[WS_MAX_HS]; /* each handshake lcore's rate limiter gc */
	struct ws_ctl_hs_window hs_win[WS_MAX_HS];

	/*
	 * Index-table writes (noise upcalls, deferred removals) come from the
	 * control and the handshake lcores; this serialises them. A data-path
	 * lcore defers its removals to control instead, and takes it only
	 * when it is also the control or a handshake lcore (device.c).
	 */
	rte_spinlock_t index_lock;

	struct ws_ctl_nh nh[WS_CTL_NH_MAX];
	unsigned n_held;
};

/* Stats of the calling lcore (control or handshake). */
static inline struct ws_lcore_stats *ws_ctl_stats(struct ws_gw *gw)
{
	unsigned id = rte_lcore_id();

	return &gw->stats[id < RTE_MAX_LCORE ? id : gw->control_lcore];
}

static inline void ws_ctl_drop(struct ws_gw *gw, struct rte_mbuf *m, enum ws_gw_drop why)
{
	ws_ctl_stats(gw)->drops[why]++;
	rte_pktmbuf_free(m);
}

/* device.c */
void ws_ctl_run_deferred(struct ws_gw *gw);
void ws_ctl_free_staged(struct ws_gw *gw, struct ws_gw_peer *p, enum ws_gw_drop why);
void ws_ctl_wall_clock(struct timespec *ts);

/* control.c: send on the encrypt path. */
void ws_ctl_stage(struct ws_gw *gw, struct ws_gw_peer *p, struct rte_mbuf *m, uint64_t now);
/* Staged packets go out if a keypair is usable; else a keepalive if want_keepalive. */
void ws_ctl_flush_staged(struct ws_gw *gw, struct ws_gw_peer *p, bool want_keepalive,
			 uint64_t now);

/* (Re)arm p's timer at its timers' next deadline; after anything that may move it. */
void ws_ctl_timer_arm(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now);
/* Take p off the timer wheel (removal). */
void ws_ctl_timer_stop(struct ws_gw *gw, struct ws_gw_peer *p);

/* control_handshake.c (ws_handshake_poll is in gateway.h) */
/* A fresh initiation (retry false) or a retransmission, if allowed and an endpoint is known. */
void ws_ctl_send_initiation(struct ws_gw *gw, struct ws_gw_peer *p, bool retry, uint64_t now);
/* Start a handshake for staged packets or a rekey, honouring the rate limit. */
void ws_ctl_want_handshake(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now);

/* control_neigh.c */
/* m classified as pkt (ARP/ND, or ECHO) on gw->ports[ws_meta(m)->port]. */
void ws_ctl_neigh_in(struct ws_gw *gw, struct rte_mbuf *m, const struct ws_net_pkt *pkt,
		     uint64_t now);
void ws_ctl_echo_in(struct ws_gw *gw, struct rte_mbuf *m, const struct ws_net_pkt *pkt);
/*
 * Send a finished frame out of gw->ports[port] to next hop nh (its
 * Ethernet destination written here), holding it while nh resolves.
 */
void ws_ctl_xmit_via(struct ws_gw *gw, struct rte_mbuf *m, unsigned port,
		     const struct ws_endpoint *nh, uint64_t now);
/* A WS_META_F_NEIGH frame from the data path. */
void ws_ctl_hold_in(struct ws_gw *gw, struct rte_mbuf *m, uint64_t now);
/*
 * Route to dst out of the tunnel port: next hop nh (dst itself when
 * on-link, else the port's gateway of that family) and our source address
 * src (family and address). 0 or -ENETUNREACH.
 */
int ws_ctl_tunnel_route(struct ws_gw *gw, const struct ws_endpoint *dst,
			struct ws_endpoint *nh, struct ws_endpoint *src);
void ws_ctl_neigh_poll(struct ws_gw *gw, uint64_t now);
void ws_ctl_neigh_free_held(struct ws_gw *gw);
/* Put a finished frame on ctl_out for gw->ports[port]. */
void ws_ctl_out(struct ws_gw *gw, struct rte_mbuf *m, unsigned port);

static inline bool ws_ctl_on_control(const struct ws_gw *gw)
{
	return rte_lcore_id() == gw->control_lcore;
}

#endif /* WS_CONTROL_PRIV_H */
