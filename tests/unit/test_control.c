/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control role against a peer simulated with lib/wg: handshakes as
 * responder and initiator, staging and flushing through the encrypt path,
 * keepalives, cookie replies under load, ARP answers, frames held for a
 * next hop, peer removal, handshakes on a second handshake lcore, echo
 * requests to our address through the tunnel, two reorder/TX lcores,
 * two handshake threads at once, a busy peer's events held; every test
 * ends with the mbuf pool full again.
 */
#define WS_TEST_WITH_EAL
#include "test_common.h"

#include <pthread.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "control_priv.h"
#include "ws_crypto.h"

#include "control_sim.h"

static void test_responder(void)
{
	struct ws_msg_response resp;
	struct ws_net_pkt pkt;
	struct ws_endpoint ep;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	CU_ASSERT_FATAL(p != NULL);
	sim_send_initiation(peer_ip);
	poll_ctl();

	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(pkt.kind == WS_NET_KIND_WG_HANDSHAKE && pkt.wg_type == WS_MSG_RESPONSE);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod(m, uint8_t *), &peer_mac, 6) == 0);
	CU_ASSERT(pkt.src.port == 51820 && memcmp(pkt.src.addr, gw_wan_ip, 4) == 0);
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.payload_off), sizeof(resp));
	rte_pktmbuf_free(m);

	struct ws_noise_remote *r;
	CU_ASSERT(ws_noise_consume_response(&sim.local, &resp, &r) == 0);
	CU_ASSERT(r == &sim.remote);
	CU_ASSERT(ws_noise_begin_session(&sim.remote, ws_gw_now()) == 0);

	/* The gateway holds an unconfirmed keypair under the index it told the peer. */
	struct ws_noise_keypair *kp = ws_index_lookup(gw->index,
						      rte_le_to_cpu_32(resp.sender_index),
						      WS_INDEX_KEYPAIR);
	CU_ASSERT_FATAL(kp != NULL);
	CU_ASSERT(p->noise.next == kp && p->noise.current == NULL);
	CU_ASSERT(memcmp(kp->send_key, sim.remote.current->recv_key, WS_KEY_LEN) == 0);
	CU_ASSERT(ws_gw_peer_endpoint_get(p, &ep) == WS_RT_ONLINK);
	CU_ASSERT(ep.family == WS_AF_INET && memcmp(ep.addr, peer_ip, 4) == 0);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_in == 1);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_out == 1);

	/*
	 * The data path confirms it on another lcore: index drops and
	 * retirements go through control's deferred ring. A second handshake
	 * first, so that confirming retires something.
	 */
	unsigned ctl = gw->control_lcore;
	CU_ASSERT(ws_noise_keypair_confirm(&p->noise, kp));
	ws_gw_peer_event(gw, p, WS_EV_CONFIRMED, ws_gw_now());
	poll_ctl();
	CU_ASSERT(p->last_handshake_sec > 0);

	usleep(25000);  /* past WS_HANDSHAKE_MIN_INTERVAL_MS */
	sim_send_initiation(peer_ip);
	poll_ctl();
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.payload_off), sizeof(resp));
	rte_pktmbuf_free(m);
	struct ws_noise_keypair *kp2 = p->noise.next;
	CU_ASSERT_FATAL(kp2 != NULL && kp2 != kp);
	uint32_t old_idx = kp->local_index;
	CU_ASSERT(ws_noise_keypair_confirm(&p->noise, kp2));    /* kp becomes previous */
	sim_send_initiation(peer_ip);   /* too soon after the last: refused (flood) */
	poll_ctl();
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_HANDSHAKE_INVALID] == 1);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);

	usleep(25000);
	sim_send_initiation(peer_ip);
	poll_ctl();
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	rte_pktmbuf_free(m);
	struct ws_noise_keypair *kp3 = p->noise.next;
	CU_ASSERT_FATAL(kp3 != NULL);
	/* The responder's install retired kp (previous) at once, on control. */
	CU_ASSERT(ws_index_lookup(gw->index, old_idx, WS_INDEX_KEYPAIR) == NULL);
	rte_rcu_qsbr_dq_reclaim(gw->rcu_dq, 64, NULL, NULL, NULL);
	CU_ASSERT(rte_mempool_in_use_count(gw->dev->kp_pool) == 2);

	/* On a data-path lcore, index drops and retirements wait for control. */
	uint32_t idx;
	CU_ASSERT_FATAL(ws_index_insert(gw->index, WS_INDEX_HANDSHAKE, &p->noise, &idx) == 0);
	gw->control_lcore = ctl + 1;
	gw->noise.u.index_drop(gw->noise.u.arg, idx);
	CU_ASSERT(ws_noise_keypair_confirm(&p->noise, kp3));
	gw->control_lcore = ctl;
	CU_ASSERT(rte_ring_count(gw->dev->deferred) == 1);
	CU_ASSERT(ws_index_lookup(gw->index, idx, WS_INDEX_HANDSHAKE) == &p->noise);
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->dev->deferred) == 0);
	CU_ASSERT(ws_index_lookup(gw->index, idx, WS_INDEX_HANDSHAKE) == NULL);
	CU_ASSERT(p->noise.current == kp3 && p->noise.previous == kp2);

	/* Removal wipes and frees everything; teardown checks the pools. */
	CU_ASSERT(ws_gw_peer_remove(gw, sim_pub) == 0);
	CU_ASSERT(the_peer() == NULL);
	CU_ASSERT(ws_index_count(gw->index) == 0);
	CU_ASSERT(ws_gw_peer_remove(gw, sim_pub) == -ENOENT);
	teardown();
}

/* A clear IPv4/UDP frame from the LAN host to 10.2.0.5, as RX stages it. */
static struct rte_mbuf *clear_frame(uint32_t peer_id)
{
	struct ws_net_udp_out o = { .src_mac = other_mac, .dst_mac = gw_lan_mac };
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);
	uint8_t *buf;

	CU_ASSERT_FATAL(m != NULL);
	ws_endpoint_v4(&o.src, (const uint8_t[]){ 10, 1, 0, 2 }, 1234);
	ws_endpoint_v4(&o.dst, (const uint8_t[]){ 10, 2, 0, 5 }, 5678);
	buf = (uint8_t *)rte_pktmbuf_append(m, WS_NET_UDP4_HDRS_LEN + 100);
	memset(buf, 0xab, WS_NET_UDP4_HDRS_LEN + 100);
	CU_ASSERT_FATAL(ws_net_build_udp(buf, WS_NET_UDP4_HDRS_LEN + 100, &o, 100) > 0);
	memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
	ws_meta(m)->dir = WS_DIR_ENCRYPT;
	ws_meta(m)->peer_id = peer_id;
	ws_meta(m)->port = 1;
	return m;
}

/* The peer answers an initiation taken from ctl_out. */
static void sim_respond(struct rte_mbuf *m, const struct ws_net_pkt *pkt)
{
	struct ws_msg_initiation init;
	struct ws_msg_response resp;
	struct ws_noise_remote *r;

	CU_ASSERT_FATAL(pkt->kind == WS_NET_KIND_WG_HANDSHAKE && pkt->wg_type == WS_MSG_INITIATION);
	memcpy(&init, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt->payload_off), sizeof(init));
	rte_pktmbuf_free(m);
	CU_ASSERT_FATAL(ws_noise_consume_initiation(&sim.local, &init, ws_gw_now(), &r) == 0);
	CU_ASSERT_FATAL(ws_noise_create_response(r, &resp) == 0);
	CU_ASSERT_FATAL(ws_noise_begin_session(r, ws_gw_now()) == 0);
	ws_cookie_maker_add_macs(&sim.cookie, &resp, sizeof(resp), ws_gw_now());
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->hs_in, udp_in(&resp, sizeof(resp), peer_ip)) == 0);
}

static void test_initiator_staging(void)
{
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;
	void *objs[8];

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id)) == 0);
	poll_ctl();
	CU_ASSERT(p->n_staged == 3);
	/* One initiation however many packets wait. */
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
	CU_ASSERT(rte_ring_count(gw->work[0][0]) == 0);
	sim_respond(m, &pkt);
	poll_ctl();

	CU_ASSERT(p->n_staged == 0);
	CU_ASSERT(p->last_handshake_sec > 0);
	CU_ASSERT_FATAL(rte_ring_dequeue_bulk(gw->work[0][0], objs, 3, NULL) == 3);
	for (unsigned i = 0; i < 3; i++) {
		struct ws_pkt_meta *meta = ws_meta(objs[i]);

		CU_ASSERT(meta->dir == WS_DIR_ENCRYPT && meta->kp == p->noise.current);
		CU_ASSERT(meta->kp != NULL && meta->kp_gen == meta->kp->generation);
		CU_ASSERT(meta->counter == i && meta->stream == gw->control_stream);
		CU_ASSERT(*rte_reorder_seqn(objs[i]) == i);
		CU_ASSERT(meta->plain_len == 20 + 8 + 100 && meta->l3_off == RTE_ETHER_HDR_LEN);
		CU_ASSERT(meta->peer_id == p->id);
		rte_pktmbuf_free(objs[i]);
	}
	/* Staged with a keypair at hand: out at once. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id)) == 0);
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->work[0][0]) == 1);
	/* Unknown peer id: counted and freed. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id + 7)) == 0);
	poll_ctl();
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_NO_PEER] == 1);
	teardown();
}

static void test_keepalive_and_overflow(void)
{
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;
	void *obj = NULL;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	for (unsigned i = 0; i < WS_MAX_STAGED_PACKETS + 5; i++) {
		CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id)) == 0);
		if (i % 32 == 31)
			poll_ctl();
	}
	poll_ctl();
	CU_ASSERT(p->n_staged == WS_MAX_STAGED_PACKETS);
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_STAGED_OVERFLOW] == 5);
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	/* Handshake gives up: the staged packets go. */
	ws_ctl_free_staged(gw, p, WS_GW_DROP_NO_KEYPAIR);
	sim_respond(m, &pkt);
	poll_ctl();
	/* Nothing staged: a keepalive confirms the session for the responder. */
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->work[0][0], &obj) == 0);
	CU_ASSERT(ws_meta(obj)->plain_len == 0 && rte_pktmbuf_data_len((struct rte_mbuf *)obj) == 0);
	CU_ASSERT(ws_meta(obj)->kp == p->noise.current && ws_meta(obj)->l3_off == 0);
	rte_pktmbuf_free(obj);
	teardown();
}

static void test_cookie_under_load(void)
{
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	unsigned n = 12;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	for (unsigned i = 0; i < n; i++) {
		sim_send_initiation(peer_ip);
		usleep(21000);
	}
	/* 12 queued of 64: past 1/8, so each gets a cookie reply and costs no DH. */
	poll_ctl();
	CU_ASSERT(gw->stats[rte_lcore_id()].cookies_sent == n);
	CU_ASSERT(the_peer()->noise.next == NULL);
	for (unsigned i = 0; i < n; i++) {
		m = out_frame(&pkt, peer_ip, &peer_mac);
		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT(pkt.wg_type == WS_MSG_COOKIE);
		if (i == n - 1)
			CU_ASSERT(ws_cookie_maker_consume_reply(&sim.cookie,
				  rte_pktmbuf_mtod_offset(m, void *, pkt.payload_off),
				  ws_gw_now()) == 0);
		rte_pktmbuf_free(m);
	}
	/* Still under load (held a second): with mac2 the initiation is answered. */
	sim_send_initiation(peer_ip);
	poll_ctl();
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(pkt.wg_type == WS_MSG_RESPONSE);
	rte_pktmbuf_free(m);

	/* Bad mac1: dropped and counted. */
	struct ws_msg_initiation junk;
	memset(&junk, 0x5a, sizeof(junk));
	junk.header.type = WS_MSG_INITIATION;
	memset(junk.header.reserved, 0, sizeof(junk.header.reserved));
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->hs_in, udp_in(&junk, sizeof(junk), peer_ip)) == 0);
	poll_ctl();
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_HANDSHAKE_INVALID] == 1);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
	teardown();
}

/*
 * The handshake credit: it fills at 1/WS_HS_CAP_DIV of the elapsed
 * cycles up to its depth, a handshake may overdraw it, and an empty
 * credit stops the handshake poll of an lcore that moves data while data
 * flows, and only then.
 */
static void test_handshake_credit(void)
{
	const uint64_t hz = 1000000000, depth = hz / WS_HS_CREDIT_DEPTH_DIV;
	struct ws_ctl_hs_credit c = { 0 };
	struct ws_ctl_hs_window *w;
	struct ws_lcore *lc;
	uint64_t t = 1000, set_at;
	int64_t refilled;

	CU_ASSERT(ws_ctl_hs_credit_ok(&c, t, hz) && c.cycles == (int64_t)depth);
	ws_ctl_hs_credit_charge(&c, 3 * depth);
	CU_ASSERT(c.cycles == -2 * (int64_t)depth);
	t += WS_HS_CAP_DIV * depth;
	CU_ASSERT(!ws_ctl_hs_credit_ok(&c, t, hz) && c.cycles == -(int64_t)depth);
	CU_ASSERT(!ws_ctl_hs_credit_ok(&c, t - 5, hz) && c.cycles == -(int64_t)depth);
	t += WS_HS_CAP_DIV * depth + WS_HS_CAP_DIV;
	CU_ASSERT(ws_ctl_hs_credit_ok(&c, t, hz) && c.cycles == 1);
	/* A long idle spell saves up no more than the depth. */
	t += 1000 * WS_HS_CAP_DIV * depth;
	CU_ASSERT(ws_ctl_hs_credit_ok(&c, t, hz) && c.cycles == (int64_t)depth);
	ws_ctl_hs_credit_charge(&c, UINT64_MAX);
	CU_ASSERT(c.cycles < 0 && c.cycles >= INT64_MIN / 2);

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	lc = &gw->lcores[rte_lcore_id()];
	lc->roles |= WS_ROLE_RX;
	w = &gw->dev->hs_win[0];
	sim_send_initiation(peer_ip);
	/* Data flows in the current window and the credit is spent. */
	w->start = ws_gw_now();
	w->data = true;
	w->credit.tsc = rte_rdtsc();
	w->credit.cycles = -(int64_t)(rte_get_tsc_hz() * 3600);
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->hs_in) == 1);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_in == 0);
	/* An lcore with no data role is not held back. */
	lc->roles &= ~(uint32_t)(WS_ROLE_RX | WS_ROLE_WORKER | WS_ROLE_TX);
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->hs_in) == 0);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_in == 1);
	rte_pktmbuf_free(out_frame(&(struct ws_net_pkt){ 0 }, peer_ip, &peer_mac));
	/* Nor is one when no data flows, and that work is not charged. */
	lc->roles |= WS_ROLE_RX;
	w->data = false;
	w->credit.tsc = rte_rdtsc();
	w->credit.cycles = 1;
	sim_send_initiation(peer_ip);
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->hs_in) == 0);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_in == 2);
	CU_ASSERT(w->credit.cycles == 1);
	rte_pktmbuf_free(out_frame(&(struct ws_net_pkt){ 0 }, peer_ip, &peer_mac));
	/*
	 * So when data starts after it, handshakes go on within the credit,
	 * and are charged: the credit ends below what the refill since it was
	 * set would have made it (the poll's refill time is the bucket's tsc;
	 * a preempted test refills more, and its handshake costs more).
	 */
	sim_send_initiation(peer_ip);
	set_at = w->credit.tsc;
	w->start = ws_gw_now();         /* a window that a preemption cannot end */
	w->data = true;
	poll_ctl();
	CU_ASSERT(rte_ring_count(gw->hs_in) == 0);
	CU_ASSERT(gw->stats[rte_lcore_id()].handshakes_in == 3);
	refilled = RTE_MIN((int64_t)(rte_get_tsc_hz() / WS_HS_CREDIT_DEPTH_DIV),
			   1 + (int64_t)((w->credit.tsc - set_at) / WS_HS_CAP_DIV));
	CU_ASSERT(w->credit.tsc > set_at && w->credit.cycles < refilled);
	teardown();
}

static struct rte_mbuf *arp_frame(uint16_t op, const struct rte_ether_addr *sha,
				  const uint8_t sip[4], const struct rte_ether_addr *tha,
				  const uint8_t tip[4])
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);
	uint8_t *buf = (uint8_t *)rte_pktmbuf_append(m, 60);
	int len = ws_net_build_arp(buf, 60, op, sha, sip, tha, tip);

	CU_ASSERT_FATAL(len > 0);
	if (tha == NULL)
		memset(buf, 0xff, 6);
	rte_pktmbuf_trim(m, 60 - len);
	memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
	return m;
}

static void test_arp_and_held_frames(void)
{
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;
	struct ws_net_port op = port_of(other_ip, &other_mac, WS_NET_ROLE_TUNNEL);

	/* The peer sits at an address with no known MAC. */
	CU_ASSERT_FATAL(setup("192.0.2.3:51820") == 0);
	p = the_peer();

	/* Answered: an ARP request for our address. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac,
							       peer_ip, NULL, gw_wan_ip)) == 0);
	poll_ctl();
	void *obj = NULL;
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	struct ws_net_port pp = port_of(peer_ip, &peer_mac, WS_NET_ROLE_TUNNEL);
	CU_ASSERT(ws_net_classify_mbuf(&pp, obj, &pkt) == WS_NET_DROP_NONE);
	CU_ASSERT(pkt.kind == WS_NET_KIND_ARP && pkt.nbr.op == RTE_ARP_OP_REPLY);
	CU_ASSERT(rte_is_same_ether_addr(&pkt.nbr.lladdr, &gw_wan_mac));
	CU_ASSERT(memcmp(pkt.nbr.addr, gw_wan_ip, 4) == 0);
	rte_pktmbuf_free(obj);

	/* A staged packet asks for a handshake; the initiation waits for ARP. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id)) == 0);
	poll_ctl();
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	CU_ASSERT(ws_net_classify_mbuf(&op, obj, &pkt) == WS_NET_DROP_NONE);
	CU_ASSERT(pkt.kind == WS_NET_KIND_ARP && pkt.nbr.op == RTE_ARP_OP_REQUEST);
	CU_ASSERT(memcmp(pkt.nbr.target, other_ip, 4) == 0);
	rte_pktmbuf_free(obj);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
	CU_ASSERT(gw->dev->n_held == 1);

	/* The reply releases it, addressed to the MAC learnt. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, arp_frame(RTE_ARP_OP_REPLY, &other_mac,
							       other_ip, &gw_wan_mac,
							       gw_wan_ip)) == 0);
	poll_ctl();
	m = out_frame(&pkt, other_ip, &other_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(pkt.kind == WS_NET_KIND_WG_HANDSHAKE && pkt.wg_type == WS_MSG_INITIATION);
	rte_pktmbuf_free(m);
	CU_ASSERT(gw->dev->n_held == 0);

	/* A frame from TX for an unresolved next hop is held, then freed at fini. */
	m = rte_pktmbuf_alloc(gw->pool);
	rte_pktmbuf_append(m, 64);
	memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
	ws_meta(m)->flags = WS_META_F_NEIGH;
	ws_meta(m)->port = 1;
	ws_endpoint_v4(&ws_meta(m)->nh, (const uint8_t[]){ 10, 1, 0, 9 }, 0);
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, m) == 0);
	poll_ctl();
	CU_ASSERT(gw->dev->n_held == 1);
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);   /* its ARP request */
	CU_ASSERT(ws_meta(obj)->port == 1);
	rte_pktmbuf_free(obj);
	teardown();
}

static void test_nd_and_echo(void)
{
	struct ws_net_port pp = port_of(peer_ip, &peer_mac, WS_NET_ROLE_TUNNEL);
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	void *obj = NULL;
	uint8_t *buf;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	pp.n_v6 = 1;
	memcpy(pp.v6[0], peer_ip6, 16);

	/* A neighbor solicitation for our address gets a solicited advertisement. */
	m = rte_pktmbuf_alloc(gw->pool);
	buf = (uint8_t *)rte_pktmbuf_append(m, WS_NET_ND_LEN);
	CU_ASSERT_FATAL(ws_net_build_ns(buf, WS_NET_ND_LEN, &peer_mac, peer_ip6, gw_wan_ip6,
					NULL) == WS_NET_ND_LEN);
	memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, m) == 0);
	poll_ctl();
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	CU_ASSERT(ws_net_classify_mbuf(&pp, obj, &pkt) == WS_NET_DROP_NONE);
	CU_ASSERT(pkt.kind == WS_NET_KIND_ND && pkt.nbr.op == 136);
	CU_ASSERT(memcmp(pkt.nbr.target, gw_wan_ip6, 16) == 0);
	CU_ASSERT((pkt.nbr.flags & WS_NET_NBR_F_SOLICITED) &&
		  rte_is_same_ether_addr(&pkt.nbr.lladdr, &gw_wan_mac));
	rte_pktmbuf_free(obj);
	/* ... and taught us the sender's MAC. */
	struct rte_ether_addr mac;
	CU_ASSERT(ws_neigh_usable(ws_neigh_lookup(gw->neigh, WS_AF_INET6, peer_ip6, &mac)));
	CU_ASSERT(rte_is_same_ether_addr(&mac, &peer_mac));

	/* An echo request to our address comes back as a reply. */
	static const uint8_t echo[] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1,
		8, 0, 0, 0, 0x12, 0x34, 0, 1,
	};
	m = rte_pktmbuf_alloc(gw->pool);
	buf = (uint8_t *)rte_pktmbuf_append(m, sizeof(echo));
	memcpy(buf, echo, sizeof(echo));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(buf + 34);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 8);
	memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, m) == 0);
	poll_ctl();
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	buf = rte_pktmbuf_mtod((struct rte_mbuf *)obj, uint8_t *);
	CU_ASSERT(memcmp(buf, &peer_mac, 6) == 0 && buf[34] == 0 /* echo reply */);
	CU_ASSERT(memcmp(buf + 30, peer_ip, 4) == 0);
	rte_pktmbuf_free(obj);
	teardown();
}

/*
 * A peer's endpoint carries its next-hop code out of the tunnel port,
 * looked up whenever the endpoint is set (config, management, handshake,
 * roaming) so TX needs no route lookup per peer: the port's gateway for
 * an off-link endpoint, the endpoint itself on-link, none where the port
 * has no route of that family.
 */
static void test_endpoint_route(void)
{
	const uint8_t far6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 };
	struct ws_endpoint ep, got;
	struct ws_gw_peer *p;

	CU_ASSERT_FATAL(setup("198.51.100.9:51820") == 0);
	p = the_peer();
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(ws_gw_peer_endpoint_get(p, &got) == WS_RT_GATEWAY);
	CU_ASSERT(got.family == WS_AF_INET && got.addr[0] == 198 && got.port == 51820);

	ws_endpoint_v4(&ep, peer_ip, 51821);
	CU_ASSERT(ws_gw_peer_set_endpoint(gw, sim_pub, &ep) == 0);
	CU_ASSERT(ws_gw_peer_endpoint_get(p, &got) == WS_RT_ONLINK);
	CU_ASSERT(ws_endpoint_equal(&got, &ep));
	ws_endpoint_v6(&ep, far6, 51820);
	CU_ASSERT(ws_gw_peer_set_endpoint(gw, sim_pub, &ep) == 0);
	CU_ASSERT(ws_gw_peer_endpoint_get(p, &got) == WS_RT_NONE);
	ws_endpoint_v6(&ep, peer_ip6, 51820);
	CU_ASSERT(ws_gw_peer_set_endpoint(gw, sim_pub, &ep) == 0);
	CU_ASSERT(ws_gw_peer_endpoint_get(p, &got) == WS_RT_ONLINK);
	teardown();
}

/*
 * Two handshake lcores. Sources spread over them by address (port and
 * IPv6 interface id do not count); the one serving the peer answers its
 * initiation off the control lcore: the index written there (under the
 * index lock), the timers left alone until control applies the posted
 * events, a response to an unresolved next hop handed to control.
 */
static void test_handshake_lcores(void)
{
	struct ws_endpoint ep, ep2;
	struct ws_msg_response resp;
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;
	unsigned seen[2] = { 0 }, me = rte_lcore_id(), ctl, h;
	uint64_t deadline;
	void *obj = NULL;

	setup_n_hs = 2;
	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	setup_n_hs = 1;
	p = the_peer();
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(gw->ratelimiter != NULL && gw->hs_ratelimiter[0] != NULL &&
		  gw->ratelimiter != gw->hs_ratelimiter[0]);
	for (unsigned i = 0; i < 64; i++) {
		ws_endpoint_v4(&ep, (const uint8_t[]){ 198, 51, 100, (uint8_t)i }, 1000);
		ws_endpoint_v4(&ep2, (const uint8_t[]){ 198, 51, 100, (uint8_t)i }, 2000 + i);
		CU_ASSERT(ws_gw_hs_of(gw, &ep) == ws_gw_hs_of(gw, &ep2));
		seen[ws_gw_hs_of(gw, &ep)]++;
	}
	CU_ASSERT(seen[0] > 0 && seen[1] > 0);
	ws_endpoint_v6(&ep, peer_ip6, 1);
	memcpy(ep2.addr, peer_ip6, 16);
	ep2.family = WS_AF_INET6;
	ep2.addr[15] = 0x99;
	CU_ASSERT(ws_gw_hs_of(gw, &ep) == ws_gw_hs_of(gw, &ep2));

	/* This thread becomes the handshake lcore serving the peer, not control. */
	ws_endpoint_v4(&ep, peer_ip, 51820);
	h = ws_gw_hs_of(gw, &ep);
	ctl = gw->control_lcore;
	gw->control_lcore = me + 1;
	gw->lcores[me].roles = WS_ROLE_HANDSHAKE;
	gw->lcores[me].hs = (uint8_t)h;
	deadline = ws_timers_next_deadline(&p->timers);
	sim_send_initiation(peer_ip);
	CU_ASSERT(rte_ring_count(*ws_gw_hs_ring(gw, h)) == 1);
	ws_handshake_poll(gw, &gw->lcores[me]);
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(pkt.kind == WS_NET_KIND_WG_HANDSHAKE && pkt.wg_type == WS_MSG_RESPONSE);
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.payload_off), sizeof(resp));
	rte_pktmbuf_free(m);
	CU_ASSERT(ws_index_lookup(gw->index, rte_le_to_cpu_32(resp.sender_index),
				  WS_INDEX_KEYPAIR) == p->noise.next);
	CU_ASSERT(rte_ring_count(gw->dev->deferred) == 0);
	CU_ASSERT(p->ev_pending == (WS_EV_AUTH_RECEIVED |
				    WS_EV_SESSION_DERIVED | WS_EV_RESPONSE_SENT));
	CU_ASSERT(ws_timers_next_deadline(&p->timers) == deadline);

	/* A second source, whose MAC nobody knows yet: the response waits at control. */
	usleep(25000);
	sim_send_initiation(other_ip);
	ws_endpoint_v4(&ep, other_ip, 51820);
	gw->lcores[me].hs = (uint8_t)ws_gw_hs_of(gw, &ep);
	ws_handshake_poll(gw, &gw->lcores[me]);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
	CU_ASSERT_FATAL(rte_ring_count(gw->ctl_in) == 1);
	CU_ASSERT(rte_ring_dequeue(gw->ctl_in, &obj) == 0);
	CU_ASSERT(ws_meta(obj)->flags == WS_META_F_NEIGH && ws_meta(obj)->port == 0);
	CU_ASSERT(rte_ring_enqueue(gw->ctl_in, obj) == 0);

	/* Back on the control lcore: timers move, the held response asks for ARP. */
	gw->control_lcore = ctl;
	gw->lcores[me].roles = 0;
	ws_control_poll(gw, NULL);
	CU_ASSERT((p->ev_pending & ~(WS_EV_HELD | WS_EV_STAMPS)) == 0);
	CU_ASSERT(ws_timers_next_deadline(&p->timers) != deadline);
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	CU_ASSERT(rte_be_to_cpu_16(rte_pktmbuf_mtod((struct rte_mbuf *)obj,
						    struct rte_ether_hdr *)->ether_type) ==
		  RTE_ETHER_TYPE_ARP);
	rte_pktmbuf_free(obj);
	CU_ASSERT(gw->stats[me].handshakes_in == 2 && gw->stats[me].handshakes_out == 2);
	teardown();
}

/* An IPv4 echo request (or UDP when udp) from 10.2.0.2 to dst, as a decrypted data message. */
static struct rte_mbuf *tunnel_in(struct ws_noise_keypair *kp, const uint8_t dst[4],
				  bool udp, uint32_t seqn)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);
	const uint32_t ip_len = 84, msg_len = WS_MSG_DATA_HEADER_LEN + 96 + WS_AEAD_TAG_LEN;
	struct ws_pkt_meta *meta;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	uint8_t *buf;

	CU_ASSERT_FATAL(m != NULL);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)msg_len);
	memset(buf, 0, msg_len);
	ip = (struct rte_ipv4_hdr *)(buf + WS_MSG_DATA_HEADER_LEN);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	ip->time_to_live = 64;
	ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_ICMP;
	memcpy(&ip->src_addr, (const uint8_t[]){ 10, 2, 0, 2 }, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(7);
	ic->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)seqn);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, ip_len - 20);
	meta = ws_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->dir = WS_DIR_DECRYPT;
	meta->kp = kp;
	meta->kp_gen = kp->generation;
	meta->counter = seqn;
	meta->msg_len = msg_len;
	ws_endpoint_v4(&meta->src, peer_ip, 51820);
	*rte_reorder_seqn(m) = seqn;
	return m;
}

/*
 * After the ordered checks, the TX role answers an echo request for our
 * own address through the tunnel (via control's staging and the encrypt
 * path, to the sending peer) and drops other traffic to us (TO_US).
 */
static void test_echo_through_tunnel(void)
{
	static const uint8_t lan_ip[4] = { 10, 1, 0, 1 };
	struct ws_lcore tx = { 0 };
	struct ws_msg_response resp;
	struct ws_noise_remote *r;
	struct ws_noise_keypair *kp;
	struct ws_net_pkt pkt;
	struct rte_mbuf *m;
	struct ws_gw_peer *p;
	const uint8_t *ipb;
	void *obj = NULL;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	gw->to_tx[0] = rte_ring_create("ttotx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_FATAL(gw->to_tx[0] != NULL);
	tx.lcore_id = rte_lcore_id();
	tx.stats = &gw->stats[tx.lcore_id];
	sim_send_initiation(peer_ip);
	poll_ctl();
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.payload_off), sizeof(resp));
	rte_pktmbuf_free(m);
	CU_ASSERT_FATAL(ws_noise_consume_response(&sim.local, &resp, &r) == 0);
	kp = p->noise.next;
	CU_ASSERT_FATAL(kp != NULL);

	CU_ASSERT(rte_ring_enqueue(gw->to_tx[0], tunnel_in(kp, lan_ip, false, 0)) == 0);
	CU_ASSERT(rte_ring_enqueue(gw->to_tx[0], tunnel_in(kp, lan_ip, true, 1)) == 0);
	ws_tx_poll(gw, &tx);
	CU_ASSERT(p->noise.current == kp);      /* the first data confirmed it */
	CU_ASSERT(tx.stats->drops[WS_GW_DROP_TO_US] == 1);
	CU_ASSERT_FATAL(rte_ring_count(gw->ctl_in) == 1);
	poll_ctl();
	/* The reply, from 10.1.0.1 to 10.2.0.2, on its way to encryption for the peer. */
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->work[0][0], &obj) == 0);
	CU_ASSERT(ws_meta(obj)->dir == WS_DIR_ENCRYPT && ws_meta(obj)->kp == kp &&
		  ws_meta(obj)->peer_id == p->id && ws_meta(obj)->plain_len == 84);
	ipb = rte_pktmbuf_mtod_offset((struct rte_mbuf *)obj, const uint8_t *,
				      ws_meta(obj)->l3_off);
	CU_ASSERT(memcmp(ipb + 12, lan_ip, 4) == 0);
	CU_ASSERT(memcmp(ipb + 16, (const uint8_t[]){ 10, 2, 0, 2 }, 4) == 0);
	CU_ASSERT(ipb[20] == RTE_IP_ICMP_ECHO_REPLY);
	CU_ASSERT(rte_raw_cksum(ipb + 20, 64) == 0xffff);
	rte_pktmbuf_free(obj);
	CU_ASSERT(rte_ring_count(gw->work[0][0]) == 0);
	rte_ring_free(gw->to_tx[0]);
	gw->to_tx[0] = NULL;
	teardown();
}

/*
 * Two reorder/TX lcores: the worker sends each packet to the TX lcore of
 * its stream (s % 2), each TX lcore drains only its own streams, and only
 * TX lcore 0 takes control's frames. Packets with no direction travel as
 * worker failures (no crypto needed) and end as REORDER drops where their
 * stream is drained.
 */
static void test_tx_lcores(void)
{
	struct ws_lcore wk = { 0 }, tx0 = { 0 }, tx1 = { 0 };
	struct rte_mbuf *m;
	void *obj = NULL;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	gw->n_streams = 2;
	gw->n_tx = 2;
	gw->work[1][0] = rte_ring_create("twork1", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->to_tx[0] = rte_ring_create("ttotx0", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	*ws_gw_to_tx(gw, 0, 1) = rte_ring_create("ttotx1", 64, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->reorder[1] = rte_reorder_create("treorder1", SOCKET_ID_ANY, 64);
	CU_ASSERT_FATAL(gw->work[1][0] != NULL && gw->to_tx[0] != NULL &&
			gw->to_tx_more[0][0] != NULL && gw->reorder[1] != NULL);
	wk.stats = &gw->stats[RTE_MAX_LCORE - 1];
	tx0.stats = &gw->stats[RTE_MAX_LCORE - 2];
	tx1.stats = &gw->stats[RTE_MAX_LCORE - 3];
	tx1.tx = 1;
	for (unsigned i = 0; i < 5; i++) {
		unsigned s = i < 3 ? 0 : 1;

		m = rte_pktmbuf_alloc(gw->pool);
		CU_ASSERT_FATAL(m != NULL);
		memset(ws_meta(m), 0, sizeof(struct ws_pkt_meta));
		ws_meta(m)->stream = (uint8_t)s;
		*rte_reorder_seqn(m) = s == 0 ? i : i - 3;
		CU_ASSERT_FATAL(rte_ring_enqueue(gw->work[s][0], m) == 0);
	}
	ws_worker_poll(gw, &wk);
	ws_worker_poll(gw, &wk);
	CU_ASSERT(rte_ring_count(gw->to_tx[0]) == 3);
	CU_ASSERT(rte_ring_count(gw->to_tx_more[0][0]) == 2);

	m = rte_pktmbuf_alloc(gw->pool);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_out, m) == 0);
	ws_tx_poll(gw, &tx1);
	CU_ASSERT(tx1.stats->drops[WS_GW_DROP_REORDER] == 2);
	CU_ASSERT(rte_ring_count(gw->to_tx[0]) == 3);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 1);
	CU_ASSERT(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	rte_pktmbuf_free(obj);
	ws_tx_poll(gw, &tx0);
	CU_ASSERT(tx0.stats->drops[WS_GW_DROP_REORDER] == 3);
	CU_ASSERT(rte_ring_count(gw->to_tx[0]) == 0);

	rte_ring_free(gw->work[1][0]);
	rte_ring_free(gw->to_tx[0]);
	rte_ring_free(gw->to_tx_more[0][0]);
	rte_reorder_free(gw->reorder[1]);
	gw->work[1][0] = gw->to_tx[0] = gw->to_tx_more[0][0] = NULL;
	gw->reorder[1] = NULL;
	teardown();
}

/* Remote peers of the concurrency test, each its own identity. */
enum { N_CONC = 32 };
struct conc_peer {
	struct ws_noise_local local;
	struct ws_noise_remote remote;
	struct ws_cookie_maker cookie;
};

struct conc_arg {
	struct ws_lcore lc;
};

static void *conc_thread(void *arg)
{
	struct conc_arg *a = arg;

	/* Until its ring is empty: its half of the initiations. */
	while (rte_ring_count(*ws_gw_hs_ring(gw, a->lc.hs)) > 0)
		ws_handshake_poll(gw, &a->lc);
	return NULL;
}

/*
 * Two handshake threads at once, 32 peers initiating from 32 addresses:
 * noise, the cookie checker and the index table (under the index lock)
 * see concurrent handshakes; every initiation is answered, every
 * keypair indexed, every answer handed to control (next hops unknown).
 */
static void test_handshake_concurrency(void)
{
	const struct ws_noise_upcalls u = {
		.remote_get = sim_remote_get,
		.index_alloc = sim_index_alloc,
		.index_lookup = sim_index_lookup,
		.index_drop = sim_index_drop,
	};
	struct conc_peer *cp = calloc(N_CONC, sizeof(*cp));
	struct conc_arg args[2] = { 0 };
	pthread_t th[2];
	unsigned per_ring[2] = { 0 };

	CU_ASSERT_FATAL(cp != NULL);
	/* Rings deep enough that 32 messages are not "under load" (no cookie replies). */
	setup_n_hs = 2;
	setup_hs_ring = 1024;
	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	setup_n_hs = 1;
	setup_hs_ring = 64;
	for (unsigned i = 0; i < N_CONC; i++) {
		struct ws_config_peer c = { .n_allowed_ips = 0 };
		const uint8_t src[4] = { 192, 0, 2, (uint8_t)(10 + i) };
		struct ws_msg_initiation init;
		struct ws_endpoint ep;
		struct timespec wall;
		uint8_t priv[WS_KEY_LEN];
		unsigned h;

		ws_x25519_generate(priv);
		ws_x25519_public(c.public_key, priv);
		CU_ASSERT_FATAL(ws_gw_peer_add(gw, &c) == 0);
		CU_ASSERT_FATAL(ws_noise_local_init(&cp[i].local, &u) == 0);
		CU_ASSERT_FATAL(ws_noise_local_set_private(&cp[i].local, priv) == 0);
		CU_ASSERT_FATAL(ws_noise_remote_init(&cp[i].remote, &cp[i].local,
						     cfg.interface.public_key, NULL) == 0);
		ws_cookie_maker_init(&cp[i].cookie, cfg.interface.public_key);
		ws_memzero(priv, sizeof(priv));
		clock_gettime(CLOCK_REALTIME, &wall);
		CU_ASSERT_FATAL(ws_noise_create_initiation(&cp[i].remote, &init, &wall) == 0);
		ws_cookie_maker_add_macs(&cp[i].cookie, &init, sizeof(init), ws_gw_now());
		ws_endpoint_v4(&ep, src, 51820);
		h = ws_gw_hs_of(gw, &ep);
		per_ring[h]++;
		CU_ASSERT_FATAL(rte_ring_enqueue(*ws_gw_hs_ring(gw, h),
						 udp_in(&init, sizeof(init), src)) == 0);
	}
	CU_ASSERT(per_ring[0] > 0 && per_ring[1] > 0);
	for (unsigned h = 0; h < 2; h++) {
		args[h].lc.hs = (uint8_t)h;
		args[h].lc.stats = &gw->stats[RTE_MAX_LCORE - 1 - h];
		CU_ASSERT_FATAL(pthread_create(&th[h], NULL, conc_thread, &args[h]) == 0);
	}
	for (unsigned h = 0; h < 2; h++)
		pthread_join(th[h], NULL);

	CU_ASSERT(ws_index_count(gw->index) == N_CONC);
	CU_ASSERT(gw->stats[gw->control_lcore].cookies_sent == 0);
	CU_ASSERT(rte_ring_count(gw->ctl_in) == N_CONC);
	CU_ASSERT(rte_ring_count(gw->dev->deferred) == 0);
	for (unsigned i = 0; i < N_CONC; i++) {
		struct ws_gw_peer *p = ws_peer_table_lookup(gw->peers, cp[i].local.public_key, NULL);

		CU_ASSERT_FATAL(p != NULL);
		CU_ASSERT(p->noise.next != NULL);
		CU_ASSERT(p->ev_pending & WS_EV_SESSION_DERIVED);
	}
	/* Control applies the events and takes the answers to resolve their next hops. */
	for (unsigned k = 0; k < 4; k++)
		ws_control_poll(gw, NULL);
	CU_ASSERT(rte_ring_count(gw->ctl_in) == 0);
	CU_ASSERT(rte_ring_count(gw->events) == 0);
	for (unsigned i = 0; i < N_CONC; i++) {
		ws_noise_remote_destroy(&cp[i].remote);
		ws_noise_local_destroy(&cp[i].local);
		ws_cookie_maker_destroy(&cp[i].cookie);
	}
	free(cp);
	teardown();
}

/*
 * A busy peer's timer events are held: the events ring sees the peer once
 * per hold, not once per packet, and no stamp is lost.
 */
static void test_event_hold(void)
{
	const uint32_t sent = WS_EV_DATA_SENT | WS_EV_AUTH_SENT;
	const uint32_t recv = WS_EV_DATA_RECEIVED | WS_EV_AUTH_RECEIVED;
	struct ws_lcore lc = { 0 };
	struct ws_gw_peer *p;
	uint64_t t0, late;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	/*
	 * The first round on the test's own clock too: were it on the real one,
	 * a preemption longer than a timer tick before t0 would move the
	 * device's next sweep and wheel turn under the steps below.
	 */
	ws_handshake_poll(gw, &gw->lcores[rte_lcore_id()]);
	lc.now = ws_gw_now();
	ws_control_poll(gw, &lc);
	CU_ASSERT_FATAL(rte_ring_count(gw->events) == 0 && p->ev_pending == 0);
	t0 = lc.now + 1000;

	/* A quiet peer's first event is posted and applied at once; then it is held. */
	ws_gw_peer_event(gw, p, sent, t0);
	CU_ASSERT(rte_ring_count(gw->events) == 1);
	lc.now = t0;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[0] == t0 && p->ev_applied[2] == t0);
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS));
	CU_ASSERT(p->ev_look_at == t0 + WS_CTL_EV_HOLD_NS && p->timer_at <= p->ev_look_at);

	/* Held: stamp-only events post nothing and only move their stamps. */
	for (uint64_t i = 1; i <= 1000; i++)
		ws_gw_peer_event(gw, p, i % 2 ? recv : sent, t0 + i * 1000);
	CU_ASSERT(rte_ring_count(gw->events) == 0);
	CU_ASSERT(p->ev_stamp[1] == t0 + 999 * 1000 && p->ev_stamp[0] == t0 + 1000 * 1000);
	CU_ASSERT(p->ev_applied[1] == 0);

	/* Any other event posts the held peer at once, and once. */
	ws_gw_peer_event(gw, p, WS_EV_WANT_HANDSHAKE, t0 + 2000000);
	ws_gw_peer_event(gw, p, WS_EV_WANT_HANDSHAKE, t0 + 2000001);
	CU_ASSERT(rte_ring_count(gw->events) == 1);
	lc.now = t0 + 3000000;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->noise.state == WS_NOISE_CREATED_INITIATION);
	CU_ASSERT(p->ev_applied[1] == t0 + 999 * 1000 && p->ev_applied[0] == t0 + 1000 * 1000);
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS));

	/* The look at the hold's end applies what moved and holds again... */
	ws_gw_peer_event(gw, p, WS_EV_DATA_SENT, t0 + 4000000);
	CU_ASSERT(rte_ring_count(gw->events) == 0);
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[0] == t0 + 4000000);
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS));
	/* ...one that finds nothing new lets go, and looks once more a tick later... */
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_pending == 0);
	CU_ASSERT(p->ev_look_at == lc.now + WS_CTL_TIMER_TICK_NS);
	/* ...where it finds a stamp stored, unposted, just as the hold ended. */
	late = lc.now - 1;
	__atomic_store_n(&p->ev_stamp[1], late, __ATOMIC_RELAXED);
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[1] == late);
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS));
	/* Released, a quiet peer's next event is posted again. */
	for (unsigned i = 0; i < 3 && p->ev_look_at != 0; i++) {
		lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
		ws_control_poll(gw, &lc);
	}
	CU_ASSERT(p->ev_pending == 0 && p->ev_look_at == 0);
	ws_gw_peer_event(gw, p, recv, lc.now);
	CU_ASSERT(rte_ring_count(gw->events) == 1);
	teardown();
}

/*
 * A peer the timer wheel runs may re-arm at a deadline that falls in the
 * tick being run: a held peer whose look, at the hold's end, finds new
 * stamps while its handshake retry is due later in the same tick. It runs
 * again at the next tick, and its next look comes on time; it used to land
 * back in the slot just run, not looked at again for a whole turn (41 s).
 * And the timer sweep leaves a held peer held until that look.
 */
static void test_wheel_rearm_in_tick(void)
{
	const uint64_t tick = WS_CTL_TIMER_TICK_NS;
	const uint64_t retry_min = WS_REKEY_TIMEOUT * WS_NSEC_PER_SEC;
	struct ws_lcore lc = { 0 };
	struct ws_gw_peer *p;
	uint64_t ti, dl = 0, look, next_look, moved;
	unsigned tries;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	ws_handshake_poll(gw, &gw->lcores[rte_lcore_id()]);
	lc.now = ws_gw_now();
	ws_control_poll(gw, &lc);

	/*
	 * An initiation at ti, mid-tick and off the millisecond grid, so that
	 * its retry (REKEY_TIMEOUT plus whole milliseconds of jitter) is never
	 * a tick's first nanosecond. The retry needs a jitter of 1 ms or more,
	 * for the hold below to start after ti: a retry drawn with none goes
	 * out and is drawn again.
	 */
	ti = (lc.now / tick + 1) * tick + tick / 2 + 1234;
	ws_gw_peer_event(gw, p, WS_EV_WANT_HANDSHAKE, ti);
	for (tries = 0; tries < 16; tries++) {
		lc.now = ti;
		ws_control_poll(gw, &lc);
		dl = ws_timers_next_deadline(&p->timers);
		if (dl >= ti + retry_min + 1000000 && dl != UINT64_MAX)
			break;
		ti = (dl / tick + 1) * tick + tick / 2 + 1234;
	}
	CU_ASSERT(tries < 16 && p->noise.state == WS_NOISE_CREATED_INITIATION);
	if (tries == 16 || p->noise.state != WS_NOISE_CREATED_INITIATION)
		goto out;               /* what follows needs that retry */

	/* Held so that the look at the hold's end falls in dl's tick, just before dl. */
	look = dl - 1;
	CU_ASSERT(look / tick == dl / tick && look - WS_CTL_EV_HOLD_NS > ti);
	if (look / tick != dl / tick || look - WS_CTL_EV_HOLD_NS <= ti)
		goto out;
	ws_gw_peer_event(gw, p, WS_EV_DATA_SENT, look - WS_CTL_EV_HOLD_NS);
	lc.now = look - WS_CTL_EV_HOLD_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS) && p->ev_look_at == look);
	CU_ASSERT(p->timer_at == look);
	/* The timer sweep passes a held peer by: its look is on the wheel. */
	for (unsigned i = 0; i < 3; i++) {
		lc.now += tick;
		ws_control_poll(gw, &lc);
	}
	CU_ASSERT(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS) && p->ev_look_at == look);

	/* A stamp moves while held; the tick of the look and the retry runs. */
	ws_gw_peer_event(gw, p, WS_EV_DATA_SENT, lc.now);
	moved = lc.now;
	lc.now = (dl / tick + 1) * tick + 1;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[0] == moved);
	CU_ASSERT(ws_timers_next_deadline(&p->timers) > lc.now);      /* the retry went out */
	next_look = p->ev_look_at;
	CU_ASSERT(next_look == lc.now + WS_CTL_EV_HOLD_NS);

	/* The next tick runs it again and arms it at what comes next... */
	lc.now += tick;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->timer_at > lc.now && p->timer_at <= next_look);
	/* ...and the next look applies what moved meanwhile. */
	ws_gw_peer_event(gw, p, WS_EV_DATA_SENT, lc.now);
	moved = lc.now;
	lc.now = next_look + tick;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[0] == moved);
out:
	teardown();
}

/*
 * A held batch is applied in the order its stamps say: data received
 * after the last packet sent leaves a keepalive due, and a packet
 * received after the last data sent leaves no new handshake due; the
 * other way round, the opposite.
 */
static void test_event_order(void)
{
	const uint32_t sent = WS_EV_DATA_SENT | WS_EV_AUTH_SENT;
	const uint32_t recv = WS_EV_DATA_RECEIVED | WS_EV_AUTH_RECEIVED;
	const uint64_t ka = (uint64_t)WS_KEEPALIVE_TIMEOUT * 1000000000ull;
	const uint64_t nh = (uint64_t)(WS_KEEPALIVE_TIMEOUT + WS_REKEY_TIMEOUT) * 1000000000ull;
	struct ws_lcore lc = { 0 };
	struct ws_gw_peer *p;
	uint64_t t0;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	poll_ctl();
	t0 = ws_gw_now() + 1000;
	ws_gw_peer_event(gw, p, WS_EV_AUTH_RECEIVED, t0);
	lc.now = t0;
	ws_control_poll(gw, &lc);
	CU_ASSERT_FATAL(p->ev_pending == (WS_EV_HELD | WS_EV_STAMPS));
	CU_ASSERT(p->timers.send_keepalive == UINT64_MAX && p->timers.new_handshake == UINT64_MAX);

	/* Held: sent, then received. */
	ws_gw_peer_event(gw, p, sent, t0 + 1000);
	ws_gw_peer_event(gw, p, recv, t0 + 2000);
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[WS_EV_STAMP(WS_EV_DATA_RECEIVED)] == t0 + 2000);
	CU_ASSERT(p->timers.send_keepalive == t0 + 2000 + ka);
	CU_ASSERT(p->timers.new_handshake == UINT64_MAX);

	/* Held: received, then sent. */
	ws_gw_peer_event(gw, p, recv, lc.now + 1000);
	ws_gw_peer_event(gw, p, sent, lc.now + 2000);
	t0 = lc.now;
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[WS_EV_STAMP(WS_EV_DATA_SENT)] == t0 + 2000);
	CU_ASSERT(p->timers.send_keepalive == UINT64_MAX);
	CU_ASSERT(p->timers.new_handshake >= t0 + 2000 + nh &&
		  p->timers.new_handshake < t0 + 2000 + nh + 1000000000ull);
	teardown();
}

/*
 * Traversal has no event of its own: the persistent keepalive restarts
 * from the latest authenticated packet sent or received, whichever of
 * the events it came with, and a data-only event leaves it alone.
 */
static void test_event_traversal(void)
{
	const uint64_t ka = 25ull * 1000000000ull;
	struct ws_lcore lc = { 0 };
	struct ws_gw_peer *p;
	uint64_t t0, t1;

	CU_ASSERT_FATAL(setup("192.0.2.2:51820") == 0);
	p = the_peer();
	poll_ctl();
	p->timers.persistent_keepalive_interval = 25;
	t0 = ws_gw_now() + 1000;

	ws_gw_peer_event(gw, p, WS_EV_AUTH_SENT | WS_EV_DATA_SENT, t0);
	lc.now = t0;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->timers.persistent_keepalive == t0 + ka);

	/* Held: a later receive, then an older send; the latest counts. */
	ws_gw_peer_event(gw, p, WS_EV_AUTH_RECEIVED, t0 + 5000);
	__atomic_store_n(&p->ev_stamp[WS_EV_STAMP(WS_EV_AUTH_SENT)], t0 + 3000, __ATOMIC_RELAXED);
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->timers.persistent_keepalive == t0 + 5000 + ka);

	/*
	 * Data alone did not traverse anything new (stamped at the last
	 * look, so that the keepalive it arms is not due at the next).
	 */
	t1 = lc.now;
	ws_gw_peer_event(gw, p, WS_EV_DATA_RECEIVED, t1 + 9000);
	lc.now = p->ev_look_at + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->ev_applied[WS_EV_STAMP(WS_EV_DATA_RECEIVED)] == t1 + 9000);
	CU_ASSERT(p->timers.persistent_keepalive == t0 + 5000 + ka);

	/* Answering an initiation is a packet sent. */
	ws_gw_peer_event(gw, p, WS_EV_RESPONSE_SENT, t1 + 12000);
	lc.now = t1 + 12000 + WS_CTL_TIMER_TICK_NS;
	ws_control_poll(gw, &lc);
	CU_ASSERT(p->timers.persistent_keepalive == t1 + 12000 + ka);
	teardown();
}

static int suite_init(void)
{
	if (ws_crypto_init() != 0)
		return -1;
	ws_x25519_generate(sim_priv);
	ws_x25519_public(sim_pub, sim_priv);
	return ws_test_eal_init();
}

static int suite_cleanup(void)
{
	ws_memzero(sim_priv, sizeof(sim_priv));
	return ws_test_eal_cleanup();
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_responder),
		WS_TEST(test_endpoint_route),
		WS_TEST(test_initiator_staging),
		WS_TEST(test_keepalive_and_overflow),
		WS_TEST(test_cookie_under_load),
		WS_TEST(test_handshake_credit),
		WS_TEST(test_arp_and_held_frames),
		WS_TEST(test_nd_and_echo),
		WS_TEST(test_handshake_lcores),
		WS_TEST(test_echo_through_tunnel),
		WS_TEST(test_tx_lcores),
		WS_TEST(test_handshake_concurrency),
		WS_TEST(test_event_hold),
		WS_TEST(test_wheel_rearm_in_tick),
		WS_TEST(test_event_order),
		WS_TEST(test_event_traversal),
		{ 0 },
	};

	return ws_test_run("control", tests, suite_init, suite_cleanup);
}
