/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_control.c's fixture: a gateway with two ports (wan 192.0.2.1,
 * lan 10.1.0.1), one peer, the rings control uses, and the remote peer
 * simulated with lib/wg. Included by test_control.c only.
 */
#ifndef WS_TEST_CONTROL_SIM_H
#define WS_TEST_CONTROL_SIM_H

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

/* Handshake lcores of the next setup() (ring, rate limiter and load each), their ring size. */
static unsigned setup_n_hs = 1;
static unsigned setup_hs_ring = 64;

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
	gw->hs_in = rte_ring_create("ths", setup_hs_ring, SOCKET_ID_ANY,
				    RING_F_SC_DEQ | RING_F_EXACT_SZ);
	gw->n_hs = setup_n_hs;
	for (unsigned h = 1; h < setup_n_hs; h++) {
		char name[32];

		snprintf(name, sizeof(name), "ths%u", h);
		*ws_gw_hs_ring(gw, h) = rte_ring_create(name, setup_hs_ring, SOCKET_ID_ANY,
							RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (*ws_gw_hs_ring(gw, h) == NULL)
			return -1;
	}
	gw->ctl_in = rte_ring_create("tctlin", 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
	gw->ctl_out = rte_ring_create("tctlout", 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
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
	for (unsigned h = 0; h < WS_MAX_HS; h++)
		if (*ws_gw_hs_ring(gw, h) != NULL)
			drain(*ws_gw_hs_ring(gw, h));
	drain(gw->ctl_in);
	drain(gw->ctl_out);
	CU_ASSERT(rte_mempool_avail_count(gw->pool) == gw->pool->size);
	rte_ring_free(gw->work[0][0]);
	for (unsigned h = 0; h < WS_MAX_HS; h++)
		rte_ring_free(*ws_gw_hs_ring(gw, h));
	rte_ring_free(gw->ctl_in);
	rte_ring_free(gw->ctl_out);
	rte_ring_free(gw->events);
	rte_reorder_free(gw->reorder[0]);
	rte_mempool_free(gw->pool);
	rte_free(gw);
	gw = NULL;
	ws_config_free(&cfg);
}

/* One round of the handshake role (handshake lcore 0) and the control role, as on the control lcore. */
static void poll_ctl(void)
{
	ws_handshake_poll(gw, &gw->lcores[rte_lcore_id()]);
	ws_control_poll(gw, NULL);
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
	struct ws_endpoint src;
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	CU_ASSERT_FATAL(ws_noise_create_initiation(&sim.remote, &init, &wall) == 0);
	ws_cookie_maker_add_macs(&sim.cookie, &init, sizeof(init), ws_gw_now());
	/* To the handshake lcore RX would pick for this source. */
	ws_endpoint_v4(&src, src_ip, 51820);
	CU_ASSERT_FATAL(rte_ring_enqueue(*ws_gw_hs_ring(gw, ws_gw_hs_of(gw, &src)),
					 udp_in(&init, sizeof(init), src_ip)) == 0);
}

#endif /* WS_TEST_CONTROL_SIM_H */
