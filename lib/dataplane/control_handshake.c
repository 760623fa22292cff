/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handshake messages in and out: mac1/mac2 and cookie replies under load,
 * the rate limiter, noise, and the timer events each message implies
 * (timers.h gives the order). Keys never reach a log line.
 *
 * Incoming messages are handled on the handshake lcores (ws_handshake_poll;
 * by default only the control lcore), each with its own ring, rate
 * limiter and load state; RX picks the lcore by source address. What the
 * timers and the staged packets need from a consumed message is posted
 * to the control lcore as peer events (ws_gw_peer_event): the timers,
 * the staging and the neighbor holds stay control's alone. Initiations we
 * start come from the timers and are made on the control lcore.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "control_priv.h"

/* Send a handshake or cookie message to dst from the tunnel port. */
static void send_msg(struct ws_gw *gw, const struct ws_endpoint *dst, const void *msg,
		     uint32_t len, uint64_t now)
{
	struct ws_gw_port *port = &gw->ports[gw->tunnel_port];
	struct ws_net_udp_out o = {
		.src_mac = port->net.mac,
		.dst = *dst,
		.ip_id = __atomic_fetch_add(&gw->dev->ip_id, 1, __ATOMIC_RELAXED),
		.udp4_cksum = true,
	};
	struct ws_endpoint nh;
	uint32_t hl = ws_net_udp_hdrs_len(dst->family);
	struct rte_mbuf *m;
	uint8_t *buf;
	int ret;

	if (ws_ctl_tunnel_route(gw, dst, &nh, &o.src) != 0) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_NO_ROUTE]++;
		return;
	}
	o.src.port = port->net.listen_port;
	m = rte_pktmbuf_alloc(gw->pool);
	if (m == NULL) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_NO_MBUF]++;
		return;
	}
	buf = (uint8_t *)rte_pktmbuf_append(m, hl + len);
	if (buf == NULL) {
		ws_ctl_drop(gw, m, WS_GW_DROP_TOO_BIG);
		return;
	}
	memcpy(buf + hl, msg, len);
	ret = ws_net_build_udp(buf, hl + len, &o, len);
	if (ret < 0) {
		ws_ctl_drop(gw, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	ws_ctl_xmit_via(gw, m, gw->tunnel_port, &nh, now);
}

void ws_ctl_send_initiation(struct ws_gw *gw, struct ws_gw_peer *p, bool retry, uint64_t now)
{
	struct ws_msg_initiation msg;
	struct ws_endpoint ep;
	struct timespec wall;
	int ret;

	ws_gw_peer_endpoint_get(p, &ep);
	if (ep.family == WS_AF_NONE) {
		/* Nowhere to send: the retry and give-up timers still run. */
		ws_timers_handshake_initiated(&p->timers, now);
		ws_ctl_timer_arm(gw, p, now);
		return;
	}
	ws_ctl_wall_clock(&wall);
	ret = ws_noise_create_initiation(&p->noise, &msg, &wall);
	if (ret != 0) {
		CTL_LOG(WARNING, "peer %u: cannot create an initiation: %s", p->id,
			strerror(-ret));
		return;
	}
	ws_cookie_maker_add_macs(&p->cookie, &msg, sizeof(msg), now);
	ws_timers_any_authenticated_packet_traversal(&p->timers, now);
	ws_timers_any_authenticated_packet_sent(&p->timers, now);
	send_msg(gw, &ep, &msg, sizeof(msg), now);
	ws_timers_handshake_initiated(&p->timers, now);
	ws_ctl_timer_arm(gw, p, now);
	ws_ctl_stats(gw)->handshakes_out++;
	CTL_LOG(DEBUG, "peer %u: handshake initiation sent%s", p->id, retry ? " (retry)" : "");
	ws_memzero(&msg, sizeof(msg));
}

void ws_ctl_want_handshake(struct ws_gw *gw, struct ws_gw_peer *p, uint64_t now)
{
	if (ws_timers_want_initiation(&p->timers, now))
		ws_ctl_send_initiation(gw, p, false, now);
}

static void got_initiation(struct ws_gw *gw, const struct ws_msg_initiation *in,
			   const struct ws_endpoint *src, uint64_t now)
{
	struct ws_msg_response resp;
	struct ws_noise_remote *r;
	struct ws_gw_peer *p;
	int ret;

	ret = ws_noise_consume_initiation(&gw->noise, in, now, &r);
	if (ret != 0) {
		CTL_LOG(DEBUG, "initiation refused: %s", strerror(-ret));
		ws_ctl_stats(gw)->drops[WS_GW_DROP_HANDSHAKE_INVALID]++;
		return;
	}
	p = ws_gw_peer_of(r);
	ws_gw_peer_endpoint_set(gw, p, src);
	ws_gw_peer_event(gw, p, WS_EV_AUTH_RECEIVED, now);

	ret = ws_noise_create_response(r, &resp);
	if (ret == 0)
		ret = ws_noise_begin_session(r, now);
	if (ret != 0) {
		CTL_LOG(WARNING, "peer %u: cannot answer its initiation: %s", p->id,
			strerror(-ret));
		ws_memzero(&resp, sizeof(resp));
		return;
	}
	ws_cookie_maker_add_macs(&p->cookie, &resp, sizeof(resp), now);
	send_msg(gw, src, &resp, sizeof(resp), now);
	/* Control: session_derived, traversal, sent, response_sent. */
	ws_gw_peer_event(gw, p, WS_EV_SESSION_DERIVED | WS_EV_RESPONSE_SENT, now);
	ws_ctl_stats(gw)->handshakes_out++;
	CTL_LOG(INFO, "peer %u: initiation answered on lcore %u", p->id, rte_lcore_id());
	ws_memzero(&resp, sizeof(resp));
}

static void got_response(struct ws_gw *gw, const struct ws_msg_response *in,
			 const struct ws_endpoint *src, uint64_t now)
{
	struct ws_noise_remote *r;
	struct ws_gw_peer *p = NULL;
	struct timespec ts;
	int ret;

	ret = ws_noise_consume_response(&gw->noise, in, &r);
	if (ret == 0) {
		p = ws_gw_peer_of(r);
		ret = ws_noise_begin_session(r, now);
	}
	if (ret != 0) {
		CTL_LOG(DEBUG, "response refused: %s", strerror(-ret));
		ws_ctl_stats(gw)->drops[WS_GW_DROP_HANDSHAKE_INVALID]++;
		return;
	}
	ws_gw_peer_endpoint_set(gw, p, src);
	ws_ctl_wall_clock(&ts);
	__atomic_store_n(&p->last_handshake_sec, (int64_t)ts.tv_sec, __ATOMIC_RELAXED);
	__atomic_store_n(&p->last_handshake_nsec, (int64_t)ts.tv_nsec, __ATOMIC_RELAXED);
	CTL_LOG(INFO, "peer %u: handshake complete (initiator) on lcore %u", p->id, rte_lcore_id());
	/*
	 * Control: received, traversal, session_derived, handshake_complete,
	 * then the staged packets or a keepalive, so the responder confirms.
	 */
	ws_gw_peer_event(gw, p, WS_EV_AUTH_RECEIVED | WS_EV_SESSION_DERIVED |
			 WS_EV_HS_COMPLETE, now);
}

static void got_cookie(struct ws_gw *gw, const struct ws_msg_cookie *in, uint64_t now)
{
	uint32_t idx = rte_le_to_cpu_32(in->receiver_index);
	struct ws_noise_remote *r = ws_index_lookup(gw->index, idx, WS_INDEX_HANDSHAKE);
	struct ws_noise_keypair *kp;
	struct ws_gw_peer *p;

	if (r == NULL) {
		/* A reply to our response: its index names a keypair by now. */
		kp = ws_index_lookup(gw->index, idx, WS_INDEX_KEYPAIR);
		r = kp == NULL ? NULL : kp->remote;
	}
	if (r == NULL) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_HANDSHAKE_INVALID]++;
		return;
	}
	p = ws_gw_peer_of(r);
	if (ws_cookie_maker_consume_reply(&p->cookie, in, now) != 0) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_HANDSHAKE_INVALID]++;
		return;
	}
	CTL_LOG(DEBUG, "peer %u: cookie learnt", p->id);
}

static void handshake_one(struct ws_gw *gw, struct ws_ratelimiter *rl, struct rte_mbuf *m,
			  bool under_load, uint64_t now)
{
	union {
		struct ws_msg_initiation init;
		struct ws_msg_response resp;
		struct ws_msg_cookie cookie;
	} u;
	struct ws_msg_cookie reply;
	struct ws_net_pkt pkt;
	enum ws_net_drop why;
	enum ws_cookie_mac_state st;
	bool replied = false;

	why = ws_net_classify_mbuf(&gw->ports[gw->tunnel_port].net, m, &pkt);
	if (why != WS_NET_DROP_NONE || pkt.kind != WS_NET_KIND_WG_HANDSHAKE ||
	    pkt.payload_len > sizeof(u)) {
		ws_ctl_stats(gw)->parse_drops[why != WS_NET_DROP_NONE ? why : WS_NET_DROP_WG_TYPE]++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(&u, rte_pktmbuf_mtod_offset(m, const uint8_t *, pkt.payload_off), pkt.payload_len);
	rte_pktmbuf_free(m);
	ws_ctl_stats(gw)->handshakes_in++;

	if (pkt.wg_type == WS_MSG_COOKIE) {
		got_cookie(gw, &u.cookie, now);
		return;
	}
	st = ws_cookie_checker_validate_reply(&gw->cookie, &u, pkt.payload_len, &pkt.src,
					      under_load, now, &reply, &replied);
	if (st == WS_COOKIE_INVALID_MAC1) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_HANDSHAKE_INVALID]++;
		return;
	}
	if (under_load && st == WS_COOKIE_VALID_MAC1_NO_COOKIE) {
		/* Prove the source address first; costs no DH. */
		if (replied) {
			send_msg(gw, &pkt.src, &reply, sizeof(reply), now);
			ws_ctl_stats(gw)->cookies_sent++;
		}
		return;
	}
	if (pkt.wg_type == WS_MSG_INITIATION) {
		if (under_load && !ws_ratelimiter_allow(rl, &pkt.src, now)) {
			ws_ctl_stats(gw)->drops[WS_GW_DROP_RATELIMIT]++;
			return;
		}
		got_initiation(gw, &u.init, &pkt.src, now);
	} else if (pkt.wg_type == WS_MSG_RESPONSE) {
		got_response(gw, &u.resp, &pkt.src, now);
	}
	ws_memzero(&u, sizeof(u));
}

/*
 * "Under load" for a handshake lcore that also carries data. The queue
 * depth rule (the kernel's) fires when handshakes arrive faster than the
 * lcore can do them; sharing an lcore with packets, handshakes already
 * hurt long before that. So the lcore is also under load while, over
 * the last window, handshakes took more than half of the share their
 * credit allows (1/WS_HS_CAP_DIV of the time) and data went through the
 * gateway meanwhile (WS_HS_DATA_MIN packets a window, not just the
 * keepalives that confirm sessions): initiations without a valid cookie
 * then get cookie replies, not Diffie-Hellman work, before the credit
 * runs dry. An idle gateway still does handshakes at full speed.
 */
static bool hs_hot(struct ws_gw *gw, const struct ws_lcore *lc, unsigned h, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	struct ws_ctl_hs_window *w = &dev->hs_win[h];
	uint64_t rx = 0;

	if (lc == NULL)
		return false;
	if (now - w->start < WS_HS_WINDOW_NS)
		return w->hot;
	/* Data packets anywhere in the gateway (once a window: RTE_MAX_LCORE loads). */
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		rx += __atomic_load_n(&gw->stats[i].encrypted, __ATOMIC_RELAXED) +
		      __atomic_load_n(&gw->stats[i].decrypted, __ATOMIC_RELAXED);
	w->data = w->start != 0 && rx - w->rx >= WS_HS_DATA_MIN;
	w->hot = w->data && w->cycles * 2 * WS_HS_CAP_DIV >
				    (now - w->start) * rte_get_tsc_hz() / WS_NSEC_PER_SEC;
	w->start = now;
	w->rx = rx;
	w->cycles = 0;
	return w->hot;
}

void ws_handshake_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	unsigned h = lc->hs < ws_gw_n_hs(gw) ? lc->hs : 0;
	struct rte_ring *ring = *ws_gw_hs_ring(gw, h);
	struct ws_ratelimiter *rl = *ws_gw_hs_ratelimiter(gw, h);
	struct ws_ctl_hs_window *w = &gw->dev->hs_win[h];
	uint64_t *next_gc = &gw->dev->hs_next_gc[h];
	struct rte_mbuf *ms[WS_CTL_BURST];
	uint64_t now, t0 = 0;
	bool under_load, hot, capped;
	unsigned n = 0, depth, bound;

	if (ring == NULL || rl == NULL)
		return;
	now = ws_lcore_now(lc);
	depth = rte_ring_count(ring);
	bound = rte_ring_get_capacity(ring);
	hot = hs_hot(gw, lc, h, now);
	under_load = ws_cookie_under_load(ws_gw_hs_load(gw, h), hot ? bound : depth, bound, now);
	/*
	 * A bounded budget per poll, as every run-to-completion stage has:
	 * draining the queue whole would keep its depth at 0 however hard
	 * initiations flood in, so "under load" would never hold and every
	 * one of them would cost a Diffie-Hellman while the lcore's packets
	 * wait. Bounded, a flood backs up and turns into cookie replies. Under
	 * load on an lcore that carries data, a smaller budget still, and
	 * nothing at all while the credit is spent: cookie replies cost too,
	 * and what the queue cannot hold is dropped at RX for next to nothing.
	 * The credit refills by elapsed time, so an empty queue need not touch it.
	 * Only capped work is charged: what an idle gateway did (every peer
	 * reconnecting after a restart, say) is no debt for when data flows.
	 */
	capped = w->data && (lc->roles & (WS_ROLE_RX | WS_ROLE_WORKER | WS_ROLE_TX)) != 0;
	if (depth > 0) {
		t0 = rte_rdtsc();
		if (!capped || ws_ctl_hs_credit_ok(&w->credit, t0, rte_get_tsc_hz()))
			n = rte_ring_dequeue_burst(ring, (void **)ms,
						   under_load && w->data ? WS_HS_BUDGET_HOT
									 : WS_HS_BUDGET,
						   NULL);
	}
	if (n > 0) {
		uint64_t spent;

		for (unsigned i = 0; i < n; i++)
			handshake_one(gw, rl, ms[i], under_load, now);
		spent = rte_rdtsc() - t0;
		w->cycles += spent;
		if (capped)
			ws_ctl_hs_credit_charge(&w->credit, spent);
	}
	if (now >= *next_gc) {
		ws_ratelimiter_gc(rl, now);
		*next_gc = now + WS_NSEC_PER_SEC;
	}
}
