/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control role against a peer simulated with lib/wg: handshakes as
 * responder and initiator, staging and flushing through the encrypt path,
 * keepalives, cookie replies under load, ARP answers, frames held for a
 * next hop, peer removal; every test ends with the mbuf pool full again.
 */
#define WS_TEST_WITH_EAL
#include "test_common.h"

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "control_priv.h"
#include "ws_crypto.h"

static const struct rte_ether_addr gw_wan_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const struct rte_ether_addr gw_lan_mac = {{ 0x02, 0, 0, 0, 1, 0x01 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x02 }};
static const struct rte_ether_addr other_mac = {{ 0x02, 0, 0, 0, 0, 0x03 }};
static const uint8_t gw_wan_ip[4] = { 192, 0, 2, 1 };
static const uint8_t peer_ip[4] = { 192, 0, 2, 2 };
static const uint8_t other_ip[4] = { 192, 0, 2, 3 };
static const uint8_t gw_wan_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t peer_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };

/* The simulated remote WireGuard peer. */
struct sim {
	struct ws_noise_local local;
	struct ws_noise_remote remote;          /* the gateway, as the peer sees it */
	struct ws_cookie_maker cookie;
	struct ws_noise_remote *by_index[64];
	uint32_t idx[64];
	unsigned n;
};

static struct sim sim;
static struct ws_gw *gw;
static struct ws_config cfg;
static uint8_t sim_priv[WS_KEY_LEN], sim_pub[WS_KEY_LEN];

static struct ws_noise_remote *sim_remote_get(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	RTE_SET_USED(arg);
	return memcmp(pub, sim.remote.public_key, WS_KEY_LEN) == 0 ? &sim.remote : NULL;
}

static int sim_index_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	RTE_SET_USED(arg);
	if (sim.n == RTE_DIM(sim.idx))
		return -ENOSPC;
	sim.idx[sim.n] = 0x1000 + sim.n;
	sim.by_index[sim.n] = r;
	*idx = sim.idx[sim.n++];
	return 0;
}

static struct ws_noise_remote *sim_index_lookup(void *arg, uint32_t idx)
{
	RTE_SET_USED(arg);
	for (unsigned i = 0; i < sim.n; i++)
		if (sim.idx[i] == idx)
			return sim.by_index[i];
	return NULL;
}

static void sim_index_drop(void *arg, uint32_t idx)
{
	RTE_SET_USED(arg);
	for (unsigned i = 0; i < sim.n; i++)
		if (sim.idx[i] == idx)
			sim.by_index[i] = NULL, sim.idx[i] = 0;
}

static void sim_init(const uint8_t gw_pub[WS_KEY_LEN])
{
	const struct ws_noise_upcalls u = {
		.remote_get = sim_remote_get,
		.index_alloc = sim_index_alloc,
		.index_lookup = sim_index_lookup,
		.index_drop = sim_index_drop,
	};

	memset(&sim, 0, sizeof(sim));
	CU_ASSERT_FATAL(ws_noise_local_init(&sim.local, &u) == 0);
	CU_ASSERT_FATAL(ws_noise_local_set_private(&sim.local, sim_priv) == 0);
	CU_ASSERT_FATAL(ws_noise_remote_init(&sim.remote, &sim.local, gw_pub, NULL) == 0);
	ws_cookie_maker_init(&sim.cookie, gw_pub);
}

static void sim_fini(void)
{
	ws_noise_remote_destroy(&sim.remote);
	ws_noise_local_destroy(&sim.local);
	ws_cookie_maker_destroy(&sim.cookie);
}

static struct ws_net_port port_of(const uint8_t ip[4], const struct rte_ether_addr *mac,
				  uint8_t role)
{
	struct ws_net_port p = { .role = role, .n_v4 = 1, .listen_port = 51820, .mac = *mac };

	memcpy(p.v4[0], ip, 4);
	return p;
}

static int setup(const char *peer_endpoint)
{
	char json[2048], b64[WS_KEY_B64_LEN], err[256];
	uint8_t gw_priv[WS_KEY_LEN];

	ws_x25519_generate(gw_priv);
	ws_key_to_base64(b64, gw_priv);
	char pb64[WS_KEY_B64_LEN];
	ws_key_to_base64(pb64, sim_pub);
	snprintf(json, sizeof(json),
		 "{\"ports\": ["
		 "{\"name\": \"wan\", \"device\": \"d0\", \"role\": \"tunnel\","
		 " \"addresses\": [\"192.0.2.1/24\", \"2001:db8:1::1/64\"],"
		 " \"gateway\": \"192.0.2.254\"},"
		 "{\"name\": \"lan\", \"device\": \"d1\", \"role\": \"clear\","
		 " \"addresses\": [\"10.1.0.1/24\"]}],"
		 "\"neighbors\": [{\"address\": \"192.0.2.2\", \"mac\": \"02:00:00:00:00:02\","
		 " \"port\": \"wan\"}],"
		 "\"interface\": {\"private_key\": \"%s\", \"listen_port\": 51820},"
		 "\"peers\": [{\"public_key\": \"%s\", \"endpoint\": \"%s\","
		 " \"allowed_ips\": [\"10.2.0.0/24\"]}]}",
		 b64, pb64, peer_endpoint);
	ws_memzero(gw_priv, sizeof(gw_priv));
	if (ws_config_load_string(json, strlen(json), &cfg, err, sizeof(err)) != 0) {
		printf("config: %s\n", err);
		return -1;
	}
	gw = rte_zmalloc("gw", sizeof(*gw), RTE_CACHE_LINE_SIZE);
	if (gw == NULL)
		return -1;
	gw->cfg = &cfg;
	gw->pool = rte_pktmbuf_pool_create("tpool", 511, 0,
					   RTE_ALIGN(sizeof(struct ws_pkt_meta), RTE_MBUF_PRIV_ALIGN),
					   WS_MBUF_DATA, SOCKET_ID_ANY);
	gw->n_ports = 2;
	gw->tunnel_port = 0;
	gw->clear_port = 1;
	gw->ports[0].net = port_of(gw_wan_ip, &gw_wan_mac, WS_NET_ROLE_TUNNEL);
	gw->ports[0].net.n_v6 = 1;
	memcpy(gw->ports[0].net.v6[0], gw_wan_ip6, 16);
	gw->ports[0].cfg = &cfg.ports[0];
	gw->ports[1].net = port_of((const uint8_t[]){ 10, 1, 0, 1 }, &gw_lan_mac,
				   WS_NET_ROLE_CLEAR);
	gw->ports[1].cfg = &cfg.ports[1];
	gw->control_lcore = rte_lcore_id();
	gw->n_workers = 1;
	gw->n_streams = 1;
	gw->control_stream = 0;
	gw->work[0][0] = rte_ring_create("twork", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->hs_in = rte_ring_create("ths", 64, SOCKET_ID_ANY, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	gw->ctl_in = rte_ring_create("tctlin", 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
	gw->ctl_out = rte_ring_create("tctlout", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->reorder[0] = rte_reorder_create("treorder", SOCKET_ID_ANY, 1024);
	if (gw->pool == NULL || gw->work[0][0] == NULL || gw->hs_in == NULL ||
	    gw->ctl_in == NULL || gw->ctl_out == NULL || gw->reorder[0] == NULL)
		return -1;
	if (ws_gw_device_init(gw) != 0)
		return -1;
	for (unsigned i = 0; i < cfg.n_peers; i++)
		if (ws_gw_peer_add(gw, &cfg.peers[i]) != 0)
			return -1;
	sim_init(cfg.interface.public_key);
	return 0;
}

static void drain(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void teardown(void)
{
	sim_fini();
	ws_gw_device_fini(gw);
	drain(gw->work[0][0]);
	drain(gw->hs_in);
	drain(gw->ctl_in);
	drain(gw->ctl_out);
	CU_ASSERT(rte_mempool_avail_count(gw->pool) == gw->pool->size);
	rte_ring_free(gw->work[0][0]);
	rte_ring_free(gw->hs_in);
	rte_ring_free(gw->ctl_in);
	rte_ring_free(gw->ctl_out);
	rte_ring_free(gw->events);
	rte_reorder_free(gw->reorder[0]);
	rte_mempool_free(gw->pool);
	rte_free(gw);
	gw = NULL;
	ws_config_free(&cfg);
}

static struct ws_gw_peer *the_peer(void)
{
	return ws_peer_table_lookup(gw->peers, sim_pub, NULL);
}

/* A UDP datagram from src_ip:51820 to the gateway carrying msg. */
static struct rte_mbuf *udp_in(const void *msg, uint32_t len, const uint8_t src_ip[4])
{
	struct ws_net_udp_out o = { .src_mac = peer_mac, .dst_mac = gw_wan_mac, .udp4_cksum = true };
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);
	uint8_t *buf;

	CU_ASSERT_FATAL(m != NULL);
	ws_endpoint_v4(&o.src, src_ip, 51820);
	ws_endpoint_v4(&o.dst, gw_wan_ip, 51820);
	buf = (uint8_t *)rte_pktmbuf_append(m, WS_NET_UDP4_HDRS_LEN + len);
	memcpy(buf + WS_NET_UDP4_HDRS_LEN, msg, len);
	CU_ASSERT_FATAL(ws_net_build_udp(buf, WS_NET_UDP4_HDRS_LEN + len, &o, len) > 0);
	ws_meta(m)->port = 0;
	return m;
}

/* Take one frame from ctl_out and classify it as the peer at ip/mac would. */
static struct rte_mbuf *out_frame(struct ws_net_pkt *pkt, const uint8_t ip[4],
				  const struct rte_ether_addr *mac)
{
	struct ws_net_port p = port_of(ip, mac, WS_NET_ROLE_TUNNEL);
	void *obj = NULL;

	if (rte_ring_dequeue(gw->ctl_out, &obj) != 0)
		return NULL;
	CU_ASSERT(ws_meta(obj)->port == 0);
	CU_ASSERT(ws_net_classify_mbuf(&p, obj, pkt) == WS_NET_DROP_NONE);
	return obj;
}

static void sim_send_initiation(const uint8_t src_ip[4])
{
	struct ws_msg_initiation init;
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	CU_ASSERT_FATAL(ws_noise_create_initiation(&sim.remote, &init, &wall) == 0);
	ws_cookie_maker_add_macs(&sim.cookie, &init, sizeof(init), ws_gw_now());
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->hs_in, udp_in(&init, sizeof(init), src_ip)) == 0);
}

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
	ws_control_poll(gw, NULL);

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
	ws_gw_peer_endpoint_get(p, &ep);
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
	ws_control_poll(gw, NULL);
	CU_ASSERT(p->last_handshake_sec > 0);

	usleep(25000);  /* past WS_HANDSHAKE_MIN_INTERVAL_MS */
	sim_send_initiation(peer_ip);
	ws_control_poll(gw, NULL);
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, uint8_t *, pkt.payload_off), sizeof(resp));
	rte_pktmbuf_free(m);
	struct ws_noise_keypair *kp2 = p->noise.next;
	CU_ASSERT_FATAL(kp2 != NULL && kp2 != kp);
	uint32_t old_idx = kp->local_index;
	CU_ASSERT(ws_noise_keypair_confirm(&p->noise, kp2));    /* kp becomes previous */
	sim_send_initiation(peer_ip);   /* too soon after the last: refused (flood) */
	ws_control_poll(gw, NULL);
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_HANDSHAKE_INVALID] == 1);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);

	usleep(25000);
	sim_send_initiation(peer_ip);
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
	CU_ASSERT(p->n_staged == 3);
	/* One initiation however many packets wait. */
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
	CU_ASSERT(rte_ring_count(gw->work[0][0]) == 0);
	sim_respond(m, &pkt);
	ws_control_poll(gw, NULL);

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
	ws_control_poll(gw, NULL);
	CU_ASSERT(rte_ring_count(gw->work[0][0]) == 1);
	/* Unknown peer id: counted and freed. */
	CU_ASSERT_FATAL(rte_ring_enqueue(gw->ctl_in, clear_frame(p->id + 7)) == 0);
	ws_control_poll(gw, NULL);
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
			ws_control_poll(gw, NULL);
	}
	ws_control_poll(gw, NULL);
	CU_ASSERT(p->n_staged == WS_MAX_STAGED_PACKETS);
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_STAGED_OVERFLOW] == 5);
	m = out_frame(&pkt, peer_ip, &peer_mac);
	CU_ASSERT_FATAL(m != NULL);
	/* Handshake gives up: the staged packets go. */
	ws_ctl_free_staged(gw, p, WS_GW_DROP_NO_KEYPAIR);
	sim_respond(m, &pkt);
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
	CU_ASSERT(gw->stats[rte_lcore_id()].drops[WS_GW_DROP_HANDSHAKE_INVALID] == 1);
	CU_ASSERT(rte_ring_count(gw->ctl_out) == 0);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
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
	ws_control_poll(gw, NULL);
	CU_ASSERT_FATAL(rte_ring_dequeue(gw->ctl_out, &obj) == 0);
	buf = rte_pktmbuf_mtod((struct rte_mbuf *)obj, uint8_t *);
	CU_ASSERT(memcmp(buf, &peer_mac, 6) == 0 && buf[34] == 0 /* echo reply */);
	CU_ASSERT(memcmp(buf + 30, peer_ip, 4) == 0);
	rte_pktmbuf_free(obj);
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
		WS_TEST(test_initiator_staging),
		WS_TEST(test_keepalive_and_overflow),
		WS_TEST(test_cookie_under_load),
		WS_TEST(test_arp_and_held_frames),
		WS_TEST(test_nd_and_echo),
		{ 0 },
	};

	return ws_test_run("control", tests, suite_init, suite_cleanup);
}
