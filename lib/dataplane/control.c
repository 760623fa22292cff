/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control role, one iteration at a time (handshake messages are the
 * handshake lcores', control_handshake.c): the control ring (ARP/ND,
 * echo, packets to stage or to hold for a next hop), data-path and
 * handshake events, the per-peer timers and housekeeping. It also sends
 * data of its own (staged packets, keepalives) through the workers, in its
 * own reorder stream gw->control_stream.
 */
#include <errno.h>
#include <string.h>

#include "control_priv.h"

/* Staging: clear packets for a peer with no usable keypair. */

void ws_ctl_stage(struct ws_gw *gw, struct ws_gw_peer *p, struct rte_mbuf *m, uint64_t now)
{
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_net_pkt pkt;
	unsigned port = meta->port < gw->n_ports ? meta->port : (unsigned)gw->clear_port;
	enum ws_net_drop why;

	/* Where the IP packet starts and how long it is, whatever RX filled in. */
	why = ws_net_classify_mbuf(&gw->ports[port].net, m, &pkt);
	if (why != WS_NET_DROP_NONE || pkt.kind != WS_NET_KIND_FORWARD) {
		ws_ctl_stats(gw)->parse_drops[why]++;
		rte_pktmbuf_free(m);
		return;
	}
	meta->l3_off = pkt.l3_off;
	meta->plain_len = pkt.l3_len;
	meta->port = port;
	meta->next = NULL;
	if (p->staged_tail == NULL)
		p->staged_head = m;
	else
		ws_meta(p->staged_tail)->next = m;
	p->staged_tail = m;
	if (++p->n_staged > WS_MAX_STAGED_PACKETS) {
		struct rte_mbuf *old = p->staged_head;

		p->staged_head = ws_meta(old)->next;
		p->n_staged--;
		ws_ctl_drop(gw, old, WS_GW_DROP_STAGED_OVERFLOW);
	}
	if (ws_noise_keypair_current(&p->noise, now) != NULL)
		ws_ctl_flush_staged(gw, p, false, now);
	else
		ws_ctl_want_handshake(gw, p, now);
	ws_ctl_timer_arm(gw, p, now);
}

static struct rte_mbuf *unstage(struct ws_gw_peer *p)
{
	struct rte_mbuf *m = p->staged_head;

	p->staged_head = ws_meta(m)->next;
	if (p->staged_head == NULL)
		p->staged_tail = NULL;
	p->n_staged--;
	return m;
}

static void restage_front(struct ws_gw_peer *p, struct rte_mbuf *m)
{
	ws_meta(m)->next = p->staged_head;
	p->staged_head = m;
	if (p->staged_tail == NULL)
		p->staged_tail = m;
	p->n_staged++;
}

static struct rte_mbuf *keepalive_alloc(struct ws_gw *gw)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);

	if (m == NULL) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_NO_MBUF]++;
		return NULL;
	}
	/* An empty payload: the worker recognises a keepalive by plain_len == 0. */
	ws_meta(m)->l3_off = 0;
	ws_meta(m)->plain_len = 0;
	ws_meta(m)->port = gw->tunnel_port;
	return m;
}

/* One burst to one worker; returns how many went (0: no room or no counters). */
static unsigned flush_burst(struct ws_gw *gw, struct ws_gw_peer *p, struct ws_noise_keypair *kp,
			    bool keepalive, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	struct rte_mbuf *burst[WS_CTL_BURST];
	struct rte_ring *ring;
	unsigned n = 0, room;
	uint32_t gen;

	ring = gw->work[gw->control_stream][dev->next_worker++ % gw->n_workers];
	/* Control is the ring's only producer: the room it sees stays. */
	room = RTE_MIN(rte_ring_free_count(ring), (unsigned)WS_CTL_BURST);
	gen = __atomic_load_n(&kp->generation, __ATOMIC_ACQUIRE);

	while (n < room && (p->n_staged > 0 || (n == 0 && keepalive))) {
		struct rte_mbuf *m = p->n_staged > 0 ? unstage(p) : keepalive_alloc(gw);
		struct ws_pkt_meta *meta;
		uint64_t counter;

		if (m == NULL)
			break;
		if (ws_noise_keypair_next_counter(kp, &counter) != 0) {
			/* Out of counters: keep it for the next keypair. */
			if (ws_meta(m)->plain_len > 0)
				restage_front(p, m);
			else
				rte_pktmbuf_free(m);
			ws_ctl_want_handshake(gw, p, now);
			break;
		}
		meta = ws_meta(m);
		meta->dir = WS_DIR_ENCRYPT;
		meta->flags = 0;
		meta->stream = gw->control_stream;
		meta->status = 0;
		meta->peer_id = p->id;
		meta->kp = kp;
		meta->peer = p;
		meta->kp_gen = gen;
		meta->counter = counter;
		meta->next = NULL;
		*rte_reorder_seqn(m) = dev->seqn++;
		burst[n++] = m;
	}
	if (n > 0 && rte_ring_enqueue_burst(ring, (void **)burst, n, NULL) != n)
		CTL_LOG(ERR, "work ring of stream %u lost room it had", gw->control_stream);
	return n;
}

void ws_ctl_flush_staged(struct ws_gw *gw, struct ws_gw_peer *p, bool want_keepalive,
			 uint64_t now)
{
	struct ws_noise_keypair *kp = ws_noise_keypair_current(&p->noise, now);
	unsigned tries = 0;

	if (kp == NULL) {
		if (p->n_staged > 0 || want_keepalive)
			ws_ctl_want_handshake(gw, p, now);
		return;
	}
	if ((p->n_staged == 0 && !want_keepalive) || gw->n_workers == 0)
		return;
	/* What finds no room stays staged; the timer walk flushes it. */
	while (flush_burst(gw, p, kp, want_keepalive, now) > 0 && p->n_staged > 0 &&
	       ++tries < gw->n_workers * 4)
		want_keepalive = false;
}

/* Events. */

static void record_handshake_time(struct ws_gw_peer *p)
{
	struct timespec ts;

	ws_ctl_wall_clock(&ts);
	__atomic_store_n(&p->last_handshake_sec, (int64_t)ts.tv_sec, __ATOMIC_RELAXED);
	__atomic_store_n(&p->last_handshake_nsec, (int64_t)ts.tv_nsec, __ATOMIC_RELAXED);
}

static void want_rekey(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now)
{
	struct ws_noise_keypair *kp = ws_noise_keypair_current(&p->noise, now);
	struct ws_keypair_facts f;

	if (kp == NULL) {
		ws_ctl_want_handshake(gw, p, now);
		return;
	}
	f.birth = kp->birthdate;
	f.counter = __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED);
	f.initiator = kp->is_initiator;
	/* The receive-side rekey goes out once per session (the last-minute flag). */
	if (ws_timers_rekey_on_send(&f, now) || ws_timers_lastminute_rekey(&p->timers, &f, now))
		ws_ctl_want_handshake(gw, p, now);
}

/*
 * The stamp-only events (WS_EV_STAMPS) that happened since control last
 * applied them: those whose stamp moved. Their pending bits say nothing
 * while the peer is held, so the stamps decide.
 */
static uint32_t stamps_moved(struct ws_gw_peer *p, const uint64_t st[WS_EV_COUNT])
{
	uint32_t ev = 0;

	for (unsigned b = 0; b < WS_EV_N_STAMPS; b++) {
		if (st[b] == p->ev_applied[b])
			continue;
		p->ev_applied[b] = st[b];
		ev |= 1u << b;
	}
	return ev;
}

/*
 * After applying stamp-only events, hold the peer (see WS_EV_STAMPS) and
 * look again within WS_CTL_EV_HOLD_NS; when a look finds nothing new, let
 * go and look once more a tick later, for a stamp stored just as the hold
 * ended (the data path writes it before reading ev_pending, unordered).
 */
static void events_hold(struct ws_gw_peer *p, bool moved, bool was_held, uint64_t now)
{
	uint32_t none = 0;

	if (moved) {
		/* Unless the data path queued the peer again meanwhile. */
		if (__atomic_compare_exchange_n(&p->ev_pending, &none, WS_EV_HELD | WS_EV_STAMPS,
						false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			p->ev_look_at = now + WS_CTL_EV_HOLD_NS;
		else
			p->ev_look_at = now + WS_CTL_TIMER_TICK_NS;
	} else if (was_held) {
		p->ev_look_at = now + WS_CTL_TIMER_TICK_NS;
	} else if (p->ev_look_at <= now) {
		p->ev_look_at = 0;
	}
}

/* The events that say an authenticated packet traversed the path. */
#define WS_EV_TRAVERSED (WS_EV_AUTH_SENT | WS_EV_AUTH_RECEIVED | WS_EV_RESPONSE_SENT)
#define ST(ev) st[WS_EV_STAMP(ev)]

/* The latest of the stamps of ev's traversal events. */
static uint64_t traversed_at(uint32_t ev, const uint64_t st[WS_EV_COUNT])
{
	uint64_t at = 0;

	for (uint32_t rest = ev & WS_EV_TRAVERSED; rest != 0; rest &= rest - 1)
		at = RTE_MAX(at, st[__builtin_ctz(rest)]);
	return at;
}

/*
 * The data path's events (WS_EV_STAMPS) in the order of their stamps.
 * Held, they come as a batch of latest stamps, and two pairs pull one
 * timer opposite ways: data received arms the keepalive and a packet sent
 * stops it; data sent arms a new handshake and a packet received stops
 * it. The later stamp decides; on a tie, what was received goes first.
 */
static void stamped_events(struct ws_timers *t, uint32_t ev, const uint64_t st[WS_EV_COUNT])
{
	static const uint32_t tie_order[WS_EV_N_STAMPS] = {
		WS_EV_DATA_RECEIVED, WS_EV_AUTH_RECEIVED, WS_EV_DATA_SENT, WS_EV_AUTH_SENT,
	};
	uint32_t todo[WS_EV_N_STAMPS];
	unsigned n = 0, i, j;

	for (i = 0; i < WS_EV_N_STAMPS; i++) {
		const uint32_t e = tie_order[i];

		if (!(ev & e))
			continue;
		for (j = n++; j > 0 && ST(todo[j - 1]) > ST(e); j--)
			todo[j] = todo[j - 1];
		todo[j] = e;
	}
	for (i = 0; i < n; i++) {
		const uint64_t at = ST(todo[i]);

		switch (todo[i]) {
		case WS_EV_DATA_RECEIVED:
			ws_timers_data_received(t, at);
			break;
		case WS_EV_AUTH_RECEIVED:
			ws_timers_any_authenticated_packet_received(t, at);
			break;
		case WS_EV_DATA_SENT:
			ws_timers_data_sent(t, at);
			break;
		default:
			ws_timers_any_authenticated_packet_sent(t, at);
			break;
		}
	}
}

static void peer_events(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now)
{
	uint32_t ev = __atomic_exchange_n(&p->ev_pending, 0, __ATOMIC_ACQUIRE);
	const bool was_held = (ev & WS_EV_HELD) != 0;
	struct ws_timers *t = &p->timers;
	uint64_t st[WS_EV_COUNT];
	uint32_t moved;

	if (ev == 0 && p->ev_look_at == 0)
		return;
	for (unsigned b = 0; b < WS_EV_COUNT; b++)
		st[b] = __atomic_load_n(&p->ev_stamp[b], __ATOMIC_RELAXED);
	moved = stamps_moved(p, st);
	ev = (ev & ~(WS_EV_HELD | WS_EV_STAMPS)) | moved;
	events_hold(p, moved != 0, was_held, now);
	if (ev == 0)
		return;
	/* A handshake lcore's news first, in timers.h's order. */
	if (ev & WS_EV_TRAVERSED)
		ws_timers_any_authenticated_packet_traversal(t, traversed_at(ev, st));
	if (ev & WS_EV_SESSION_DERIVED)
		ws_timers_session_derived(t, ST(WS_EV_SESSION_DERIVED));
	if (ev & WS_EV_RESPONSE_SENT) {
		ws_timers_any_authenticated_packet_sent(t, ST(WS_EV_RESPONSE_SENT));
		ws_timers_response_sent(t, ST(WS_EV_RESPONSE_SENT));
	}
	if (ev & WS_EV_HS_COMPLETE)
		ws_timers_handshake_complete(t, ST(WS_EV_HS_COMPLETE));
	if (ev & WS_EV_CONFIRMED) {
		ws_timers_handshake_complete(t, ST(WS_EV_CONFIRMED));
		record_handshake_time(p);
		CTL_LOG(DEBUG, "peer %u: responder session confirmed", p->id);
	}
	stamped_events(t, ev & WS_EV_STAMPS, st);
	if (ev & WS_EV_WANT_HANDSHAKE)
		want_rekey(gw, p, now);
	if (ev & WS_EV_HS_COMPLETE)
		/* The first data, or a keepalive, lets the responder confirm the keypair. */
		ws_ctl_flush_staged(gw, p, true, now);
	else if ((ev & WS_EV_CONFIRMED) && p->n_staged > 0)
		ws_ctl_flush_staged(gw, p, false, now);
	ws_ctl_timer_arm(gw, p, now);
}

/*
 * Start loading what a look at p's events and timers reads. With many
 * busy peers control looks at thousands a second, each cold.
 */
static void ctl_peer_prefetch(const struct ws_gw_peer *p)
{
	rte_prefetch0(&p->ev_pending);
	rte_prefetch0(&p->ev_stamp[0]);
	rte_prefetch0(&p->ev_stamp[WS_EV_COUNT - 1]);
	rte_prefetch0(&p->timer_at);    /* and wheel_link */
	rte_prefetch0(&p->timers);
	rte_prefetch0((const uint8_t *)&p->timers + sizeof(p->timers) - 1);
}

static void events_poll(struct ws_gw *gw, uint64_t now)
{
	struct ws_gw_peer *ps[WS_CTL_BURST];
	uint32_t ids[WS_CTL_BURST];
	unsigned n = rte_ring_sc_dequeue_burst_elem(gw->events, ids, sizeof(ids[0]), RTE_DIM(ids),
						    NULL);

	for (unsigned i = 0; i < n; i++) {
		ps[i] = ws_peer_table_get(gw->peers, ids[i]);
		if (ps[i] != NULL)
			ctl_peer_prefetch(ps[i]);
	}
	for (unsigned i = 0; i < n; i++)
		if (ps[i] != NULL)
			peer_events(gw, ps[i], now);
}

/*
 * Timers. Each peer sits on a hashed timer wheel (WS_CTL_WHEEL_SLOTS
 * slots of WS_CTL_TIMER_TICK_NS; deadlines past one turn wait in their
 * slot and are looked at once per turn) at its state machine's next
 * deadline, so a control poll costs O(timers due), not O(peers), and
 * arming is O(1) (rte_timer's skip list was measured at thousands of
 * cycles per re-arm with 100,000 peers). A short sweep of a few peers per
 * tick re-arms what changed behind control's back (a management request
 * setting the persistent keepalive) and picks up pending events a full
 * events ring could not post.
 */

static uint64_t tick_of(uint64_t ns)
{
	return ns / WS_CTL_TIMER_TICK_NS;
}

void ws_ctl_timer_stop(struct ws_gw *gw, struct ws_gw_peer *p)
{
	if (p->timer_at == UINT64_MAX)
		return;
	TAILQ_REMOVE(&gw->dev->wheel[p->wheel_slot], p, wheel_link);
	p->timer_at = UINT64_MAX;
}

void ws_ctl_timer_arm(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	uint64_t at = ws_timers_next_deadline(&p->timers);
	uint64_t tick;

	/* A held peer's events are looked at again (peer_events). */
	if (p->ev_look_at != 0 && p->ev_look_at < at)
		at = p->ev_look_at;

	/* Staged packets that found no room in a work ring: retry a tick later. */
	if (p->n_staged > 0 && at > now + WS_CTL_TIMER_TICK_NS &&
	    ws_noise_keypair_current(&p->noise, now) != NULL)
		at = now + WS_CTL_TIMER_TICK_NS;
	/*
	 * Only an earlier deadline moves the entry. Traffic keeps pushing
	 * deadlines later (each data packet moves the keepalive and
	 * new-handshake timers); an entry left early fires, finds nothing
	 * due and is armed again at the real deadline.
	 */
	if (at == UINT64_MAX || at >= p->timer_at)
		return;
	ws_ctl_timer_stop(gw, p);
	tick = RTE_MAX(tick_of(at), dev->wheel_next);
	p->timer_at = at;
	p->wheel_slot = (uint32_t)(tick % WS_CTL_WHEEL_SLOTS);
	TAILQ_INSERT_HEAD(&dev->wheel[p->wheel_slot], p, wheel_link);
}

static void peer_timers(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now)
{
	uint32_t act;

	if (__atomic_load_n(&p->ev_pending, __ATOMIC_RELAXED) != 0 ||
	    (p->ev_look_at != 0 && p->ev_look_at <= now))
		peer_events(gw, p, now);
	if (p->n_staged > 0 && ws_noise_keypair_current(&p->noise, now) != NULL)
		ws_ctl_flush_staged(gw, p, false, now);
	if (ws_timers_next_deadline(&p->timers) <= now) {
		act = ws_timers_poll(&p->timers, now);
		if (act & WS_TIMERS_ZERO_KEYS) {
			CTL_LOG(DEBUG, "peer %u: zeroing key material", p->id);
			ws_noise_remote_clear(&p->noise);
		}
		if (act & WS_TIMERS_GIVE_UP) {
			CTL_LOG(INFO, "peer %u: handshake gave up, %u staged packets dropped",
				p->id, p->n_staged);
			ws_ctl_free_staged(gw, p, WS_GW_DROP_NO_KEYPAIR);
		}
		if (act & WS_TIMERS_SEND_INITIATION)
			ws_ctl_send_initiation(gw, p, (act & WS_TIMERS_RETRY) != 0, now);
		if (act & WS_TIMERS_SEND_KEEPALIVE)
			ws_ctl_flush_staged(gw, p, true, now);
	}
	ws_ctl_timer_arm(gw, p, now);
}

/* Run the ticks that have passed: the entries of their slots that are due. */
static void wheel_run(struct ws_gw *gw, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	uint64_t cur = tick_of(now);

	while (dev->wheel_next < cur) {
		struct ws_wheel_slot *slot = &dev->wheel[dev->wheel_next % WS_CTL_WHEEL_SLOTS];
		struct ws_wheel_slot due = TAILQ_HEAD_INITIALIZER(due);
		struct ws_gw_peer *p, *next;

		/* Unlink what is due first: running it re-arms into the wheel. */
		for (p = TAILQ_FIRST(slot); p != NULL; p = next) {
			next = TAILQ_NEXT(p, wheel_link);
			if (tick_of(p->timer_at) > dev->wheel_next)
				continue;       /* a later turn */
			TAILQ_REMOVE(slot, p, wheel_link);
			p->timer_at = UINT64_MAX;
			TAILQ_INSERT_TAIL(&due, p, wheel_link);
		}
		/*
		 * This tick is done before its entries run: one re-armed at a
		 * deadline already due lands on the next tick (ws_ctl_timer_arm
		 * takes wheel_next as the earliest), not back in this slot, which
		 * would not be looked at again for a whole turn.
		 */
		dev->wheel_next++;
		while ((p = TAILQ_FIRST(&due)) != NULL) {
			next = TAILQ_NEXT(p, wheel_link);
			if (next != NULL)
				ctl_peer_prefetch(next);
			TAILQ_REMOVE(&due, p, wheel_link);
			peer_timers(gw, p, now);
		}
	}
}

static void timers_sweep(struct ws_gw *gw, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	uint32_t cap = ws_peer_table_capacity(gw->peers), pend;

	for (unsigned i = 0; i < WS_CTL_SWEEP_PEERS && cap > 0; i++) {
		uint32_t id = dev->sweep_next++ % cap;
		struct ws_gw_peer *p = ws_peer_table_get(gw->peers, id);

		if (p == NULL)
			continue;
		pend = __atomic_load_n(&p->ev_pending, __ATOMIC_RELAXED);
		/*
		 * Events left unposted (a full events ring), not a hold: a held
		 * peer's look is on the wheel already, and looking early would
		 * end every hold within a sweep's round of the peers.
		 */
		if ((pend != 0 && pend != (WS_EV_HELD | WS_EV_STAMPS)) ||
		    ws_timers_next_deadline(&p->timers) < p->timer_at)
			peer_timers(gw, p, now);
	}
	if (dev->sweep_next >= cap)
		dev->sweep_next = 0;
}

/* The control ring. */

static void ctl_in_one(struct ws_gw *gw, struct rte_mbuf *m, uint64_t now)
{
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_net_pkt pkt;
	enum ws_net_drop why;

	if (meta->flags & WS_META_F_NEIGH) {
		ws_ctl_hold_in(gw, m, now);
		return;
	}
	if (meta->dir == WS_DIR_ENCRYPT) {
		struct ws_gw_peer *p = ws_peer_table_get(gw->peers, meta->peer_id);

		if (p == NULL)
			ws_ctl_drop(gw, m, WS_GW_DROP_NO_PEER);
		else
			ws_ctl_stage(gw, p, m, now);
		return;
	}
	if (meta->port >= gw->n_ports) {
		ws_ctl_drop(gw, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	why = ws_net_classify_mbuf(&gw->ports[meta->port].net, m, &pkt);
	if (why != WS_NET_DROP_NONE) {
		ws_ctl_stats(gw)->parse_drops[why]++;
		rte_pktmbuf_free(m);
		return;
	}
	switch (pkt.kind) {
	case WS_NET_KIND_ARP:
	case WS_NET_KIND_ND:
		ws_ctl_neigh_in(gw, m, &pkt, now);
		break;
	case WS_NET_KIND_ECHO:
		ws_ctl_echo_in(gw, m, &pkt);
		break;
	default:
		ws_ctl_stats(gw)->parse_drops[WS_NET_DROP_L4_PROTO]++;
		rte_pktmbuf_free(m);
		break;
	}
}

void ws_control_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	struct ws_gw_device *dev = gw->dev;
	struct rte_mbuf *ms[WS_CTL_BURST];
	uint64_t now = ws_lcore_now(lc);
	unsigned n;

	n = rte_ring_dequeue_burst(gw->ctl_in, (void **)ms, RTE_DIM(ms), NULL);
	for (unsigned i = 0; i < n; i++)
		ctl_in_one(gw, ms[i], now);

	events_poll(gw, now);

	wheel_run(gw, now);
	if (now >= dev->next_timers) {
		timers_sweep(gw, now);
		dev->next_timers = now + WS_CTL_TIMER_TICK_NS;
	}
	if (now >= dev->next_neigh) {
		ws_ctl_neigh_poll(gw, now);
		dev->next_neigh = now + WS_CTL_NEIGH_TICK_NS;
	}
	ws_gw_mgmt_poll(gw, now);
	ws_ctl_run_deferred(gw);
	/*
	 * Not every poll: DPDK's reclaim logs each call (an rte_log call even
	 * when the level filters it out), ~150 instructions a poll for a queue
	 * that is empty between rekeys. A full queue reclaims on enqueue anyway.
	 */
	if (now >= dev->next_reclaim) {
		rte_rcu_qsbr_dq_reclaim(gw->rcu_dq, 64, NULL, NULL, NULL);
		dev->next_reclaim = now + WS_CTL_RECLAIM_TICK_NS;
	}
}
