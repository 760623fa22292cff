/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data path end to end on one lcore: frames go in on loopback ring
 * ethdevs (net_ring: what a port transmits comes back on its own rx
 * queue), through ws_rx_poll, ws_worker_poll and ws_tx_poll, and what
 * comes out is checked byte for byte, decrypting with the reference AEAD
 * of lib/crypto. The gateway's shared state is built by hand here; the
 * control role's clock, events and endpoint functions are fakes that
 * record what the data path asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_reorder.h>
#include <rte_ring.h>

#include "dp_priv.h"
#include "gateway.h"
#include "test_common.h"
#include "ws_crypto.h"

enum { PORT_WAN = 0, PORT_LAN = 1, POOL_SIZE = 2047, MTU = 1420 };

static const struct rte_ether_addr wan_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const struct rte_ether_addr lan_mac = {{ 0x02, 0, 0, 0, 0, 0x02 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x03 }};
static const struct rte_ether_addr host_mac = {{ 0x02, 0, 0, 0, 0, 0x04 }};
static const uint8_t wan_ip[4] = { 192, 0, 2, 1 }, peer_ip[4] = { 192, 0, 2, 2 };
static const uint8_t host_ip[4] = { 10, 1, 0, 2 }, tun_ip[4] = { 10, 2, 0, 2 };
static const uint8_t wan_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t peer_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const uint8_t host_ip6[16] = { 0xfd, 0, 0, 1, [15] = 2 };
static const uint8_t tun_ip6[16] = { 0xfd, 0, 0, 2, [15] = 2 };
static const uint32_t REMOTE_INDEX = 0x11223344;

static struct ws_config cfg;
static struct ws_gw *gw;
static struct ws_lcore *lc;
static struct ws_gw_peer *peer;
static struct ws_noise_keypair *kp;
static uint16_t ethdev[2];

/* Fakes of the control role's functions (device.c). */
static uint64_t fake_now = 1000000000ULL;
static uint8_t ttl = 64;        /* of the packets make_ip builds */
static uint32_t events_seen;
static unsigned endpoint_sets;

uint64_t ws_gw_now(void)
{
	return fake_now;
}

void ws_gw_peer_event(struct ws_gw *g, struct ws_gw_peer *p, uint32_t ev, uint64_t now)
{
	(void)g;
	(void)now;
	CU_ASSERT_PTR_EQUAL(p, peer);
	events_seen |= ev;
}

/*
 * The tests write peer->endpoint directly: the fake looks its route up at
 * each read, unless a test pins the code the endpoint carries.
 */
static int32_t pinned_route = INT32_MIN;

int32_t ws_gw_peer_endpoint_get(struct ws_gw_peer *p, struct ws_endpoint *ep)
{
	*ep = p->endpoint;
	if (pinned_route != INT32_MIN)
		return pinned_route;
	return ws_dp_route_code(gw, (unsigned)gw->tunnel_port, ep);
}

void ws_gw_peer_endpoint_set(struct ws_gw *g, struct ws_gw_peer *p, const struct ws_endpoint *ep)
{
	CU_ASSERT_PTR_EQUAL(g, gw);
	p->endpoint = *ep;
	endpoint_sets++;
}

static void pipeline(void)
{
	/*
	 * RX once: the loopback ports would hand it our own output. The
	 * other stages twice, so what one pass leaves in a ring is finished.
	 */
	ws_rx_poll(gw, lc);
	for (int i = 0; i < 2; i++) {
		ws_worker_poll(gw, lc);
		ws_tx_poll(gw, lc);
	}
}

static void inject(unsigned port, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool);

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	CU_ASSERT_FATAL(rte_eth_tx_burst(ethdev[port], 0, &m, 1) == 1);
}

static unsigned collect(unsigned port, struct rte_mbuf **out, unsigned max)
{
	return rte_eth_rx_burst(ethdev[port], 0, out, (uint16_t)max);
}

static void free_all(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* Exactly one frame came out of port, for Ethernet destination mac; freed. */
static void assert_one_sent_to(unsigned port, const struct rte_ether_addr *mac)
{
	struct rte_mbuf *out[8];

	CU_ASSERT_EQUAL_FATAL(collect(port, out, RTE_DIM(out)), 1);
	CU_ASSERT(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
					 mac));
	free_all(out, 1);
}

static void assert_pool_full(void)
{
	CU_ASSERT_EQUAL(rte_mempool_avail_count(gw->pool), gw->pool->size);
}

/* An IP packet (no L2) from src to dst: ICMP echo with len bytes of data. */
static uint32_t make_ip(uint8_t *buf, int family, const uint8_t *src, const uint8_t *dst,
			uint32_t len, uint8_t fill)
{
	uint32_t l4 = 8 + len;

	if (family == WS_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4));
		ip->time_to_live = ttl;
		ip->next_proto_id = IPPROTO_ICMP;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		buf[20] = 8;
		memset(buf + 21, 0, 7);
		memset(buf + 28, fill, len);
		return 20 + l4;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)buf;

	memset(ip6, 0, sizeof(*ip6));
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = ttl;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	buf[40] = 128;
	memset(buf + 41, 0, 7);
	memset(buf + 48, fill, len);
	return 40 + l4;
}

/* What a router forwards: one hop less, the IPv4 checksum recomputed in full. */
static void forwarded(uint8_t *ip)
{
	if ((ip[0] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->time_to_live--;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		((struct rte_ipv6_hdr *)ip)->hop_limits--;
	}
}

/* A frame from the LAN host to the gateway's LAN MAC. */
static uint32_t make_lan_frame(uint8_t *buf, int family, const uint8_t *src, const uint8_t *dst,
			       uint32_t len, uint8_t fill)
{
	ws_net_build_eth(buf, RTE_ETHER_HDR_LEN, &lan_mac, &host_mac,
			 family == WS_AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	return RTE_ETHER_HDR_LEN + make_ip(buf + RTE_ETHER_HDR_LEN, family, src, dst, len, fill);
}

/* A data message as the peer sends it, inner packet ip of len bytes. */
static uint32_t make_wg_frame(uint8_t *buf, const uint8_t *ip, uint32_t len, uint64_t counter,
			      uint16_t src_port, const uint8_t key[WS_KEY_LEN])
{
	struct ws_net_udp_out o = { .tos = 0, .udp4_cksum = true };
	uint32_t padded = ws_msg_data_padded_len(len), hdrs = WS_NET_UDP4_HDRS_LEN;
	uint8_t plain[2048] = { 0 };
	struct ws_msg_data *msg = (struct ws_msg_data *)(buf + hdrs);

	if (len != 0)
		memcpy(plain, ip, len);
	memset(msg, 0, sizeof(*msg));
	msg->header.type = WS_MSG_DATA;
	msg->receiver_index = rte_cpu_to_le_32(kp->local_index);
	msg->counter = rte_cpu_to_le_64(counter);
	ws_aead_encrypt(msg->encrypted_data, plain, padded, NULL, 0, counter, key);
	o.src_mac = peer_mac;
	o.dst_mac = wan_mac;
	ws_endpoint_v4(&o.src, peer_ip, src_port);
	ws_endpoint_v4(&o.dst, wan_ip, 51820);
	return (uint32_t)ws_net_build_udp(buf, 2048, &o, WS_MSG_DATA_MIN_LEN + padded);
}

static void reset_counters(void)
{
	memset(&gw->stats[0], 0, sizeof(gw->stats[0]));
	events_seen = 0;
	endpoint_sets = 0;
}

static int suite_init(void)
{
	static char prefix[32];
	char *argv[] = { "test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			 "--file-prefix", prefix, "--no-telemetry", "-l", "0",
			 "--log-level", "error", "--vdev", "net_ring0", "--vdev", "net_ring1", NULL };
	struct rte_eth_conf conf = { 0 };
	struct ws_neigh_params np = { .name = "dpt_neigh", .capacity = 64, .socket_id = SOCKET_ID_ANY };
	uint8_t pub[WS_KEY_LEN];
	const char *why;
	char name[32];
	uint32_t id;

	snprintf(prefix, sizeof(prefix), "wsdpt%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0 || ws_crypto_init() != 0)
		return -1;

	gw = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN(sizeof(*gw), RTE_CACHE_LINE_SIZE));
	if (gw == NULL)
		return -1;
	memset(gw, 0, sizeof(*gw));
	gw->cfg = &cfg;
	gw->pool = rte_pktmbuf_pool_create("dpt_pool", POOL_SIZE, 0,
					   RTE_ALIGN(sizeof(struct ws_pkt_meta), RTE_MBUF_PRIV_ALIGN),
					   WS_MBUF_DATA, SOCKET_ID_ANY);
	if (gw->pool == NULL)
		return -1;

	/* Config: a tunnel port and a clear port, as in the integration topology. */
	cfg.n_ports = 2;
	cfg.interface.mtu = MTU;
	cfg.interface.listen_port = 51820;
	cfg.ports[PORT_WAN].role = WS_PORT_TUNNEL;
	cfg.ports[PORT_WAN].n_addrs = 2;
	ws_prefix_parse(&cfg.ports[PORT_WAN].addrs[0], "192.0.2.1/24", &why);
	ws_prefix_parse(&cfg.ports[PORT_WAN].addrs[1], "2001:db8:1::1/64", &why);
	cfg.ports[PORT_LAN].role = WS_PORT_CLEAR;
	cfg.ports[PORT_LAN].n_addrs = 2;
	ws_prefix_parse(&cfg.ports[PORT_LAN].addrs[0], "10.1.0.1/24", &why);
	ws_prefix_parse(&cfg.ports[PORT_LAN].addrs[1], "fd00:1::1/64", &why);

	for (unsigned p = 0; p < 2; p++) {
		struct ws_gw_port *gp = &gw->ports[p];

		snprintf(name, sizeof(name), "net_ring%u", p);
		if (rte_eth_dev_get_port_by_name(name, &ethdev[p]) != 0 ||
		    rte_eth_dev_configure(ethdev[p], 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup(ethdev[p], 0, 1024, SOCKET_ID_ANY, NULL, gw->pool) != 0 ||
		    rte_eth_tx_queue_setup(ethdev[p], 0, 1024, SOCKET_ID_ANY, NULL) != 0 ||
		    rte_eth_dev_start(ethdev[p]) != 0)
			return -1;
		gp->port_id = ethdev[p];
		gp->n_rxq = gp->n_txq = 1;
		gp->mtu = 1500;
		gp->sw_ipv4_cksum = gp->sw_l4_cksum = true;
		gp->cfg = &cfg.ports[p];
		gp->net.n_v4 = gp->net.n_v6 = 1;
	}
	gw->ports[PORT_WAN].net.role = WS_NET_ROLE_TUNNEL;
	gw->ports[PORT_WAN].net.listen_port = 51820;
	gw->ports[PORT_WAN].net.mac = wan_mac;
	memcpy(gw->ports[PORT_WAN].net.v4[0], wan_ip, 4);
	memcpy(gw->ports[PORT_WAN].net.v6[0], wan_ip6, 16);
	gw->ports[PORT_LAN].net.role = WS_NET_ROLE_CLEAR;
	gw->ports[PORT_LAN].net.mac = lan_mac;
	memcpy(gw->ports[PORT_LAN].net.v4[0], (uint8_t[4]){ 10, 1, 0, 1 }, 4);
	memcpy(gw->ports[PORT_LAN].net.v6[0], (uint8_t[16]){ 0xfd, 0, 0, 1, [15] = 1 }, 16);
	gw->n_ports = 2;
	gw->tunnel_port = PORT_WAN;
	gw->clear_port = PORT_LAN;

	/* One lcore with every role: stream 0 for RX, stream 1 for control. */
	gw->n_workers = 1;
	gw->n_streams = 2;
	gw->control_stream = 1;
	lc = &gw->lcores[0];
	lc->roles = WS_ROLE_RX | WS_ROLE_WORKER | WS_ROLE_TX;
	lc->n_rxq = 2;
	lc->rxq[0].port = PORT_WAN;
	lc->rxq[1].port = PORT_LAN;
	lc->stats = &gw->stats[0];
	lc->aead = ws_aead_create("sodium");
	if (lc->aead == NULL)
		return -1;
	for (unsigned s = 0; s < 2; s++) {
		snprintf(name, sizeof(name), "dpt_work%u", s);
		gw->work[s][0] = rte_ring_create(name, 1024, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dpt_reorder%u", s);
		gw->reorder[s] = rte_reorder_create(name, SOCKET_ID_ANY, 1024);
		if (gw->work[s][0] == NULL || gw->reorder[s] == NULL)
			return -1;
	}
	gw->to_tx[0] = rte_ring_create("dpt_to_tx", 1024, SOCKET_ID_ANY,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->ctl_in = rte_ring_create("dpt_ctl_in", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	gw->hs_in = rte_ring_create("dpt_hs_in", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	gw->ctl_out = rte_ring_create("dpt_ctl_out", 1024, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	gw->index = ws_index_create("dpt_index", 64, SOCKET_ID_ANY, NULL);
	gw->allowedips = ws_allowedips_create("dpt_aips", 16, 16, SOCKET_ID_ANY);
	gw->peers = ws_peer_table_create("dpt_peers", 8, SOCKET_ID_ANY, NULL);
	gw->neigh = ws_neigh_create(&np);
	if (gw->to_tx[0] == NULL || gw->ctl_in == NULL || gw->hs_in == NULL ||
	    gw->ctl_out == NULL || gw->index == NULL || gw->allowedips == NULL ||
	    gw->peers == NULL || gw->neigh == NULL)
		return -1;
	ws_neigh_set_static(gw->neigh, WS_AF_INET, peer_ip, &peer_mac);
	ws_neigh_set_static(gw->neigh, WS_AF_INET6, peer_ip6, &peer_mac);
	ws_neigh_set_static(gw->neigh, WS_AF_INET, host_ip, &host_mac);
	ws_neigh_set_static(gw->neigh, WS_AF_INET6, host_ip6, &host_mac);

	/* The peer, its allowed-ips and a keypair in its current slot. */
	peer = aligned_alloc(64, RTE_ALIGN(sizeof(*peer), 64));
	kp = aligned_alloc(64, RTE_ALIGN(sizeof(*kp), 64));
	if (peer == NULL || kp == NULL)
		return -1;
	memset(peer, 0, sizeof(*peer));
	memset(kp, 0, sizeof(*kp));
	ws_random(pub, sizeof(pub));
	if (ws_peer_table_add(gw->peers, pub, peer, &id) != 0)
		return -1;
	peer->id = id;
	ws_endpoint_v4(&peer->endpoint, peer_ip, 51820);
	ws_allowedips_insert_v4(gw->allowedips, 0x0a020000, 24, id);
	ws_allowedips_insert_v6(gw->allowedips, (uint8_t[16]){ 0xfd, 0, 0, 2 }, 64, id);
	ws_random(kp->send_key, WS_KEY_LEN);
	ws_random(kp->recv_key, WS_KEY_LEN);
	if (ws_index_insert(gw->index, WS_INDEX_KEYPAIR, kp, &kp->local_index) != 0)
		return -1;
	kp->remote_index = REMOTE_INDEX;
	kp->birthdate = fake_now;
	kp->is_initiator = true;
	kp->valid = true;
	kp->generation = 7;
	kp->remote = &peer->noise;
	ws_counter_init(&kp->recv_window);
	peer->noise.current = kp;
	return 0;
}

static int suite_cleanup(void)
{
	struct rte_mbuf *m[WS_BURST];

	for (unsigned p = 0; p < 2; p++) {
		while (collect(p, m, WS_BURST) != 0)
			free_all(m, WS_BURST);
		rte_eth_dev_stop(ethdev[p]);
		rte_eth_dev_close(ethdev[p]);
	}
	for (unsigned s = 0; s < 2; s++) {
		rte_ring_free(gw->work[s][0]);
		rte_reorder_free(gw->reorder[s]);
	}
	rte_ring_free(gw->to_tx[0]);
	rte_ring_free(gw->ctl_in);
	rte_ring_free(gw->hs_in);
	rte_ring_free(gw->ctl_out);
	ws_index_free(gw->index);
	ws_allowedips_free(gw->allowedips);
	ws_peer_table_free(gw->peers);
	ws_neigh_free(gw->neigh);
	ws_aead_free(lc->aead);
	rte_mempool_free(gw->pool);
	free(peer);
	free(kp);
	free(gw);
	return rte_eal_cleanup() == 0 ? 0 : -1;
}

/* Decrypt a frame the gateway sent to the peer; returns the plaintext length or -1. */
static int open_as_peer(struct rte_mbuf *m, uint8_t *plain, uint64_t *counter,
			struct ws_net_pkt *pkt, int family)
{
	struct ws_net_port view = { .role = WS_NET_ROLE_TUNNEL, .n_v4 = 1, .n_v6 = 1,
				    .listen_port = peer->endpoint.port, .mac = peer_mac };
	const uint8_t *msg;

	memcpy(view.v4[0], peer_ip, 4);
	memcpy(view.v6[0], peer_ip6, 16);
	if (ws_net_classify(&view, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			    WS_NET_F_SW_IPV4_CKSUM | WS_NET_F_SW_UDP_CKSUM, pkt) != WS_NET_DROP_NONE ||
	    pkt->kind != WS_NET_KIND_WG_DATA || pkt->src.family != family)
		return -1;
	msg = rte_pktmbuf_mtod(m, const uint8_t *) + pkt->payload_off;
	*counter = pkt->counter;
	if (ws_aead_decrypt(plain, msg + WS_MSG_DATA_HEADER_LEN,
			    pkt->payload_len - WS_MSG_DATA_HEADER_LEN, NULL, 0, pkt->counter,
			    kp->send_key) != 0)
		return -1;
	return (int)(pkt->payload_len - WS_MSG_DATA_MIN_LEN);
}

static void test_encrypt_v4(void)
{
	uint8_t frame[2048], plain[2048];
	struct rte_mbuf *out[4];
	struct ws_net_pkt pkt;
	uint64_t counter, sent_before = kp->send_counter;
	uint32_t len;
	int plen;

	reset_counters();
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 37, 0xab);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	CU_ASSERT_EQUAL(collect(PORT_LAN, out + 1, 3), 0);
	plen = open_as_peer(out[0], plain, &counter, &pkt, WS_AF_INET);
	forwarded(frame + RTE_ETHER_HDR_LEN);
	/* 20 + 8 + 37 = 65 bytes, padded to 80 with zeros. */
	CU_ASSERT_EQUAL(plen, 80);
	CU_ASSERT_EQUAL(pkt.receiver_index, REMOTE_INDEX);
	CU_ASSERT_EQUAL(counter, sent_before);
	CU_ASSERT_EQUAL(pkt.src.port, 51820);
	CU_ASSERT_EQUAL(pkt.dst.port, 51820);
	CU_ASSERT(memcmp(plain, frame + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN) == 0);
	for (int i = (int)(len - RTE_ETHER_HDR_LEN); i < plen; i++)
		CU_ASSERT_EQUAL(plain[i], 0);
	CU_ASSERT(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
					 &peer_mac));
	CU_ASSERT_EQUAL(events_seen, WS_EV_DATA_SENT | WS_EV_AUTH_SENT);
	CU_ASSERT_EQUAL(lc->stats->encrypted, 1);
	CU_ASSERT_EQUAL(lc->stats->tx_packets[PORT_WAN], 1);
	CU_ASSERT_EQUAL(lc->stats->rx_packets[PORT_LAN], 1);
	CU_ASSERT_EQUAL(peer->tx_packets, 1);
	CU_ASSERT_EQUAL(peer->tx_bytes, WS_MSG_DATA_MIN_LEN + 80);
	free_all(out, 1);
	peer->tx_packets = peer->tx_bytes = 0;
	assert_pool_full();
}

static void test_encrypt_v6_endpoint_v6(void)
{
	uint8_t frame[2048], plain[2048];
	struct rte_mbuf *out[4];
	struct ws_net_pkt pkt;
	uint64_t counter;
	uint32_t len;
	int plen;

	reset_counters();
	ws_endpoint_v6(&peer->endpoint, peer_ip6, 51821);
	len = make_lan_frame(frame, WS_AF_INET6, host_ip6, tun_ip6, 100, 0x5a);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	plen = open_as_peer(out[0], plain, &counter, &pkt, WS_AF_INET6);
	forwarded(frame + RTE_ETHER_HDR_LEN);
	CU_ASSERT_EQUAL(plen, 160);     /* 148 rounded up to 16 */
	CU_ASSERT_EQUAL(pkt.dst.port, 51821);
	CU_ASSERT(memcmp(pkt.src.addr, wan_ip6, 16) == 0);
	CU_ASSERT(memcmp(plain, frame + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN) == 0);
	free_all(out, 1);
	ws_endpoint_v4(&peer->endpoint, peer_ip, 51820);
	peer->tx_packets = peer->tx_bytes = 0;
	assert_pool_full();
}

/*
 * A driver's TX check (rte_eth_tx_prepare) as a NIC with UDP checksum
 * offload has it: each packet must ask for the offload with its header
 * lengths and carry the pseudo-header seed; the second packet it is
 * shown is refused.
 */
static unsigned prep_seen, prep_bad_layout;

static uint16_t fake_tx_prepare(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	(void)txq;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip6 + 1);

		if (!(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM) || !(m->ol_flags & RTE_MBUF_F_TX_IPV6) ||
		    m->l2_len != RTE_ETHER_HDR_LEN || m->l3_len != sizeof(*ip6) ||
		    udp->dgram_cksum != rte_ipv6_phdr_cksum(ip6, 0))
			prep_bad_layout++;
		if (prep_seen++ == 1) {
			rte_errno = EINVAL;
			return i;
		}
	}
	return n;
}

/* Complete the UDP checksum of a seeded IPv6 frame as the NIC does. */
static void nic_completes_udp6(struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
							    RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip6 + 1);

	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
}

static void test_tx_prepare_offload(void)
{
	struct ws_gw_port *gp = &gw->ports[PORT_WAN];
	struct rte_eth_fp_ops *ops = &rte_eth_fp_ops[ethdev[PORT_WAN]];
	eth_tx_prep_t saved = ops->tx_pkt_prepare;
	uint8_t frame[2048], plain[2048];
	struct rte_mbuf *out[4];
	struct ws_net_pkt pkt;
	uint64_t counter, first = kp->send_counter;
	uint32_t len;
	unsigned n;

	reset_counters();
	prep_seen = prep_bad_layout = 0;
	gp->sw_l4_cksum = false;
	ops->tx_pkt_prepare = fake_tx_prepare;
	ws_endpoint_v6(&peer->endpoint, peer_ip6, 51820);
	for (uint8_t i = 0; i < 3; i++) {
		len = make_lan_frame(frame, WS_AF_INET6, host_ip6, tun_ip6, 60, (uint8_t)(0x10 + i));
		inject(PORT_LAN, frame, len);
	}
	pipeline();
	ops->tx_pkt_prepare = saved;
	gp->sw_l4_cksum = true;
	ws_endpoint_v4(&peer->endpoint, peer_ip, 51820);

	/* The refused one is counted; the other two leave in order, seeded. */
	CU_ASSERT_EQUAL(prep_seen, 3);
	CU_ASSERT_EQUAL(prep_bad_layout, 0);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_TX_FAILED], 1);
	CU_ASSERT_EQUAL(lc->stats->tx_packets[PORT_WAN], 2);
	n = collect(PORT_WAN, out, 4);
	CU_ASSERT_EQUAL(n, 2);
	for (unsigned i = 0; i < n && i < 2; i++) {
		nic_completes_udp6(out[i]);
		CU_ASSERT_EQUAL(open_as_peer(out[i], plain, &counter, &pkt, WS_AF_INET6), 112);
		CU_ASSERT_EQUAL(counter, first + (i == 0 ? 0 : 2));
		CU_ASSERT_EQUAL(plain[48], i == 0 ? 0x10 : 0x12);
	}
	free_all(out, n);
	peer->tx_packets = peer->tx_bytes = 0;
	assert_pool_full();
}

static void test_padding_capped_at_mtu(void)
{
	uint8_t frame[2048], plain[2048];
	struct rte_mbuf *out[4];
	struct ws_net_pkt pkt;
	uint64_t counter;
	uint32_t len;

	reset_counters();
	/* 1418 bytes: rounding up to 1424 would pass the 1420 MTU. */
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 1418 - 28, 0x11);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	CU_ASSERT_EQUAL(open_as_peer(out[0], plain, &counter, &pkt, WS_AF_INET), MTU);
	free_all(out, 1);
	assert_pool_full();
}

static void test_too_big_sends_icmp(void)
{
	uint8_t frame[2048];
	struct rte_mbuf *out[4];
	const uint8_t *icmp;
	uint32_t len;

	reset_counters();
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 1472, 0x22);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_TOO_BIG], 1);
	CU_ASSERT_EQUAL(collect(PORT_WAN, out, 4), 0);
	CU_ASSERT_EQUAL_FATAL(collect(PORT_LAN, out, 4), 1);
	/* Back to the sender's MAC: fragmentation needed, next-hop MTU 1420. */
	CU_ASSERT(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
					 &host_mac));
	icmp = rte_pktmbuf_mtod_offset(out[0], const uint8_t *, RTE_ETHER_HDR_LEN + 20);
	CU_ASSERT_EQUAL(icmp[0], 3);
	CU_ASSERT_EQUAL(icmp[1], 4);
	CU_ASSERT_EQUAL((icmp[6] << 8) | icmp[7], MTU);
	CU_ASSERT_EQUAL(lc->stats->icmp_too_big, 1);
	free_all(out, 1);
	assert_pool_full();
}

static void test_no_peer_and_staging(void)
{
	uint8_t frame[2048];
	struct rte_mbuf *out[4];
	uint32_t len;

	reset_counters();
	len = make_lan_frame(frame, WS_AF_INET, host_ip, (uint8_t[4]){ 10, 99, 0, 1 }, 10, 0);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_NO_PEER], 1);

	/* No keypair: the packet goes to control to be staged. */
	peer->noise.current = NULL;
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 10, 0);
	inject(PORT_LAN, frame, len);
	pipeline();
	peer->noise.current = kp;
	CU_ASSERT_EQUAL(collect(PORT_WAN, out, 4), 0);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_burst(gw->ctl_in, (void **)out, 4, NULL), 1);
	CU_ASSERT_EQUAL(ws_meta(out[0])->dir, WS_DIR_ENCRYPT);
	CU_ASSERT_PTR_NULL(ws_meta(out[0])->kp);
	CU_ASSERT_EQUAL(ws_meta(out[0])->peer_id, peer->id);
	CU_ASSERT_EQUAL(ws_meta(out[0])->plain_len, len - RTE_ETHER_HDR_LEN);
	CU_ASSERT_EQUAL(ws_meta(out[0])->l3_off, RTE_ETHER_HDR_LEN);
	free_all(out, 1);
	assert_pool_full();
}

static void test_stale_generation(void)
{
	uint8_t frame[2048];
	struct rte_mbuf *out[4];
	uint32_t len;

	reset_counters();
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 10, 0);
	inject(PORT_LAN, frame, len);
	ws_rx_poll(gw, lc);
	/* Retired while in the ring: the worker must not use its keys. */
	kp->generation++;
	ws_worker_poll(gw, lc);
	ws_tx_poll(gw, lc);
	kp->generation--;
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_NO_KEYPAIR], 1);
	CU_ASSERT_EQUAL(lc->stats->encrypted, 0);
	CU_ASSERT_EQUAL(collect(PORT_WAN, out, 4), 0);
	assert_pool_full();
}

static void test_decrypt_v4_and_replay(void)
{
	uint8_t ip[2048], frame[2048];
	struct rte_mbuf *out[4];
	uint32_t ilen, len;

	reset_counters();
	peer->rx_packets = peer->rx_bytes = 0;
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 1000, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_LAN, out, 4), 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(out[0]), RTE_ETHER_HDR_LEN + ilen);
	CU_ASSERT(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
					 &host_mac));
	CU_ASSERT(rte_is_same_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->src_addr,
					 &lan_mac));
	forwarded(ip);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(out[0], uint8_t *, RTE_ETHER_HDR_LEN), ip,
			 ilen) == 0);
	CU_ASSERT_EQUAL(events_seen, WS_EV_AUTH_RECEIVED | WS_EV_DATA_RECEIVED);
	CU_ASSERT_EQUAL(lc->stats->decrypted, 1);
	CU_ASSERT_EQUAL(peer->rx_packets, 1);
	CU_ASSERT_EQUAL(peer->rx_bytes, WS_MSG_DATA_MIN_LEN + ws_msg_data_padded_len(ilen));
	CU_ASSERT_EQUAL(endpoint_sets, 0);
	free_all(out, 1);

	/* The same message again is a replay, counted only once the tag verified. */
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 0);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_REPLAY], 1);
	CU_ASSERT_EQUAL(lc->stats->decrypted, 2);
	assert_pool_full();
}

static void test_decrypt_failures(void)
{
	uint8_t ip[2048], frame[2048], wrong[WS_KEY_LEN];
	struct rte_mbuf *out[4];
	uint32_t ilen, len;

	reset_counters();
	/* Wrong key: the tag fails, and the counter must not enter the window. */
	ws_random(wrong, sizeof(wrong));
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 2000, 51820, wrong);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_DECRYPT], 1);
	len = make_wg_frame(frame, ip, ilen, 2000, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 1);
	free_all(out, 1);

	/* Inner source outside the peer's allowed-ips. */
	ilen = make_ip(ip, WS_AF_INET, (uint8_t[4]){ 10, 9, 9, 9 }, host_ip, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 2001, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	/* Unknown receiver index. */
	kp->local_index ^= 1;
	len = make_wg_frame(frame, ip, ilen, 2002, 51820, kp->recv_key);
	kp->local_index ^= 1;
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_SOURCE_NOT_ALLOWED], 1);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_NO_KEYPAIR], 1);

	/* Not an IP packet inside. */
	memset(ip, 0x00, 32);
	len = make_wg_frame(frame, ip, 32, 2003, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_INNER_INVALID], 1);
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 0);
	assert_pool_full();
}

static void test_keepalive_and_roaming(void)
{
	uint8_t frame[2048], plain[2048];
	struct rte_mbuf *out[4];
	struct ws_net_pkt pkt;
	uint64_t counter;
	uint32_t len;

	reset_counters();
	len = make_wg_frame(frame, NULL, 0, 3000, 40000, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(lc->stats->keepalives_rx, 1);
	CU_ASSERT_EQUAL(events_seen, WS_EV_AUTH_RECEIVED);
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 0);
	/* The endpoint followed the new source port, and replies go there. */
	CU_ASSERT_EQUAL(endpoint_sets, 1);
	CU_ASSERT_EQUAL(peer->endpoint.port, 40000);
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 10, 0);
	inject(PORT_LAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	CU_ASSERT_EQUAL(open_as_peer(out[0], plain, &counter, &pkt, WS_AF_INET), 48);
	CU_ASSERT_EQUAL(pkt.dst.port, 40000);
	free_all(out, 1);
	ws_endpoint_v4(&peer->endpoint, peer_ip, 51820);
	assert_pool_full();
}

static void test_order_kept(void)
{
	uint8_t ip[2048], frame[2048];
	struct rte_mbuf *out[WS_BURST];
	uint32_t ilen, len;
	unsigned n;

	reset_counters();
	for (unsigned i = 0; i < 20; i++) {
		ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 20 + i, (uint8_t)i);
		len = make_wg_frame(frame, ip, ilen, 5000 + i, 51820, kp->recv_key);
		inject(PORT_WAN, frame, len);
	}
	pipeline();
	n = collect(PORT_LAN, out, WS_BURST);
	CU_ASSERT_EQUAL_FATAL(n, 20);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(rte_pktmbuf_data_len(out[i]), RTE_ETHER_HDR_LEN + 28 + 20 + i);
	free_all(out, n);
	assert_pool_full();
}

static void test_unresolved_next_hop(void)
{
	const uint8_t other[4] = { 10, 1, 0, 3 };
	uint8_t ip[2048], frame[2048];
	struct rte_mbuf *out[4];
	struct ws_pkt_meta *meta;
	uint32_t ilen, len;

	reset_counters();
	ilen = make_ip(ip, WS_AF_INET, tun_ip, other, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 6000, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 0);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_burst(gw->ctl_in, (void **)out, 4, NULL), 1);
	meta = ws_meta(out[0]);
	CU_ASSERT_EQUAL(meta->flags, WS_META_F_NEIGH);
	CU_ASSERT_EQUAL(meta->port, PORT_LAN);
	CU_ASSERT_EQUAL(meta->nh.family, WS_AF_INET);
	CU_ASSERT(memcmp(meta->nh.addr, other, 4) == 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(out[0]), RTE_ETHER_HDR_LEN + ilen);
	free_all(out, 1);
	assert_pool_full();
}

/*
 * TX routes and resolves once per run of packets to the same destination
 * in a poll: packets to other destinations in the same burst still get
 * their own next hop and MAC (or wait for resolution), and a neighbour
 * that changes between polls is seen by the next one.
 */
static void test_next_hop_per_packet(void)
{
	const uint8_t other[4] = { 10, 1, 0, 3 }, third[4] = { 10, 1, 0, 4 };
	const struct rte_ether_addr third_mac = {{ 0x02, 0, 0, 0, 0, 0x05 }};
	const struct rte_ether_addr moved_mac = {{ 0x02, 0, 0, 0, 0, 0x06 }};
	const uint8_t *dst[] = { host_ip, other, host_ip, third, host_ip };
	const struct rte_ether_addr *want[] = { &host_mac, &host_mac, &third_mac, &host_mac };
	uint8_t ip[2048], frame[2048];
	struct rte_mbuf *out[8];
	uint32_t ilen, len;
	uint64_t counter = 6500;     /* between test_unresolved_next_hop's and test_ttl_expires' */

	reset_counters();
	CU_ASSERT_FATAL(ws_neigh_set_static(gw->neigh, WS_AF_INET, third, &third_mac) == 0);
	for (unsigned i = 0; i < RTE_DIM(dst); i++) {
		ilen = make_ip(ip, WS_AF_INET, tun_ip, dst[i], 45, (uint8_t)i);
		len = make_wg_frame(frame, ip, ilen, counter++, 51820, kp->recv_key);
		inject(PORT_WAN, frame, len);
	}
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_LAN, out, 8), 4);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT(rte_is_same_ether_addr(
			&rte_pktmbuf_mtod(out[i], struct rte_ether_hdr *)->dst_addr, want[i]));
	free_all(out, 4);
	/* 10.1.0.3 has no MAC: its packet waits for resolution at control. */
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_burst(gw->ctl_in, (void **)out, 8, NULL), 1);
	CU_ASSERT(memcmp(ws_meta(out[0])->nh.addr, other, 4) == 0);
	free_all(out, 1);

	/* The host moves to another MAC: the next poll sends there. */
	CU_ASSERT_FATAL(ws_neigh_set_static(gw->neigh, WS_AF_INET, host_ip, &moved_mac) == 0);
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 45, 0x55);
	len = make_wg_frame(frame, ip, ilen, counter++, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	assert_one_sent_to(PORT_LAN, &moved_mac);
	CU_ASSERT_FATAL(ws_neigh_set_static(gw->neigh, WS_AF_INET, host_ip, &host_mac) == 0);
	CU_ASSERT_FATAL(ws_neigh_delete(gw->neigh, WS_AF_INET, third) == 0);
	assert_pool_full();
}

/* Config routes of test_route_codes (prefix, via, port), set in cfg for one test. */
static const struct { const char *prefix, *via; unsigned port; } test_routes[] = {
	{ "10.8.0.0/16", "10.1.0.254", PORT_LAN },
	{ "10.8.1.0/24", "10.1.0.253", PORT_LAN },
	{ "10.1.0.128/25", "10.1.0.252", PORT_LAN },    /* inside an on-link prefix */
	{ "0.0.0.0/0", "10.1.0.251", PORT_LAN },
	{ "fd00:9::/32", "fd00:1::fe", PORT_LAN },
	{ "203.0.113.0/24", "192.0.2.250", PORT_WAN },
};

static struct ws_config_route *routes_install(void)
{
	struct ws_config_route *r = calloc(RTE_DIM(test_routes), sizeof(*r));
	const char *why;

	if (r == NULL)
		return NULL;
	for (unsigned i = 0; i < RTE_DIM(test_routes); i++) {
		if (ws_prefix_parse(&r[i].prefix, test_routes[i].prefix, &why) != 0 ||
		    ws_addr_parse(&r[i].via, test_routes[i].via, &why) != 0) {
			free(r);
			return NULL;
		}
		ws_prefix_mask(&r[i].prefix);
		r[i].port = test_routes[i].port;
	}
	cfg.routes = r;
	cfg.n_routes = RTE_DIM(test_routes);
	ws_addr_parse(&cfg.ports[PORT_WAN].gateway4, "192.0.2.254", &why);
	return r;
}

static void routes_remove(struct ws_config_route *r)
{
	cfg.routes = NULL;
	cfg.n_routes = 0;
	memset(&cfg.ports[PORT_WAN].gateway4, 0, sizeof(cfg.ports[PORT_WAN].gateway4));
	free(r);
}

/* An address as a destination endpoint (port 0). */
static int dst_of(struct ws_endpoint *ep, const char *s)
{
	struct ws_ipaddr a;
	const char *why;

	if (ws_addr_parse(&a, s, &why) != 0)
		return -1;
	memset(ep, 0, sizeof(*ep));
	ep->family = a.family;
	memcpy(ep->addr, a.addr, sizeof(ep->addr));
	return 0;
}

/*
 * The ports' route tables give every destination the code a scan of the
 * config gives (so a code looked up before the tables existed, as a
 * configured peer's endpoint is, stays right once they do): on-link over
 * any route, the longest route, the first of equals, the gateway, none.
 */
static void test_route_codes(void)
{
	static const struct { const char *dst; unsigned port; int32_t want; } cases[] = {
		{ "10.8.0.1", PORT_LAN, WS_RT_ROUTE + 0 },
		{ "10.8.1.1", PORT_LAN, WS_RT_ROUTE + 1 },
		{ "10.1.0.200", PORT_LAN, WS_RT_ONLINK },
		{ "10.1.0.5", PORT_LAN, WS_RT_ONLINK },
		{ "8.8.8.8", PORT_LAN, WS_RT_ROUTE + 3 },
		{ "fd00:9::1", PORT_LAN, WS_RT_ROUTE + 4 },
		{ "fd00:1::5", PORT_LAN, WS_RT_ONLINK },
		{ "2001:db8:5::1", PORT_LAN, WS_RT_NONE },
		{ "203.0.113.4", PORT_WAN, WS_RT_ROUTE + 5 },
		{ "198.51.100.1", PORT_WAN, WS_RT_GATEWAY },
		{ "192.0.2.9", PORT_WAN, WS_RT_ONLINK },
		{ "2001:db8:5::1", PORT_WAN, WS_RT_NONE },
		{ "2001:db8:1::9", PORT_WAN, WS_RT_ONLINK },
		{ "10.8.0.1", PORT_WAN, WS_RT_GATEWAY },
	};
	struct ws_config_route *r = routes_install();
	struct ws_endpoint dst, nh_scan[RTE_DIM(cases)], nh_table;
	int32_t scan[RTE_DIM(cases)];
	int rc_scan[RTE_DIM(cases)];

	CU_ASSERT_FATAL(r != NULL);
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		CU_ASSERT_FATAL(dst_of(&dst, cases[i].dst) == 0);
		scan[i] = ws_dp_route_code(gw, cases[i].port, &dst);
		CU_ASSERT_EQUAL(scan[i], cases[i].want);
		rc_scan[i] = ws_dp_route(gw, cases[i].port, &dst, &nh_scan[i]);
		CU_ASSERT_EQUAL(rc_scan[i], cases[i].want == WS_RT_NONE ? -ENETUNREACH : 0);
	}
	CU_ASSERT_FATAL(ws_dp_routes_build(gw) == 0);
	CU_ASSERT(gw->ports[PORT_WAN].rt4 != NULL && gw->ports[PORT_LAN].rt6 != NULL);
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		CU_ASSERT_FATAL(dst_of(&dst, cases[i].dst) == 0);
		CU_ASSERT_EQUAL(ws_dp_route_code(gw, cases[i].port, &dst), scan[i]);
		CU_ASSERT_EQUAL(ws_dp_route(gw, cases[i].port, &dst, &nh_table), rc_scan[i]);
		if (rc_scan[i] == 0)
			CU_ASSERT(ws_endpoint_addr_equal(&nh_scan[i], &nh_table));
	}
	ws_dp_routes_free(gw);
	routes_remove(r);
}

/*
 * TX sends to a peer by the next-hop code its endpoint carries, with no
 * lookup of its own: an on-link endpoint whose code names a route goes
 * to that route's next hop (a code the gateway itself never gives it,
 * which only this can show).
 */
static void test_encrypt_by_endpoint_route(void)
{
	const uint8_t via[4] = { 192, 0, 2, 250 };
	const struct rte_ether_addr via_mac = {{ 0x02, 0, 0, 0, 0, 0x07 }};
	struct ws_config_route *r = routes_install();
	struct rte_mbuf *out[4];
	uint8_t frame[2048];
	uint32_t len;

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_FATAL(ws_neigh_set_static(gw->neigh, WS_AF_INET, via, &via_mac) == 0);
	reset_counters();
	pinned_route = WS_RT_ROUTE + 5;
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 37, 0xab);
	inject(PORT_LAN, frame, len);
	pipeline();
	pinned_route = INT32_MIN;
	assert_one_sent_to(PORT_WAN, &via_mac);

	/* No route: a counted drop. */
	pinned_route = WS_RT_NONE;
	inject(PORT_LAN, frame, len);
	pipeline();
	pinned_route = INT32_MIN;
	CU_ASSERT_EQUAL(collect(PORT_WAN, out, 4), 0);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_NO_ROUTE], 1);

	/* Its own code again: the peer's MAC. */
	inject(PORT_LAN, frame, len);
	pipeline();
	assert_one_sent_to(PORT_WAN, &peer_mac);
	CU_ASSERT_FATAL(ws_neigh_delete(gw->neigh, WS_AF_INET, via) == 0);
	routes_remove(r);
	peer->tx_packets = peer->tx_bytes = 0;
	assert_pool_full();
}

static void test_ttl_expires(void)
{
	uint8_t ip[2048], frame[2048];
	struct rte_mbuf *out[4];
	uint32_t ilen, len;

	reset_counters();
	ttl = 1;
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 10, 0);
	inject(PORT_LAN, frame, len);
	len = make_lan_frame(frame, WS_AF_INET6, host_ip6, tun_ip6, 10, 0);
	inject(PORT_LAN, frame, len);
	pipeline();
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 7000, 51820, kp->recv_key);
	inject(PORT_WAN, frame, len);
	pipeline();
	ttl = 64;
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_TTL_EXPIRED], 3);
	CU_ASSERT_EQUAL(collect(PORT_WAN, out, 4), 0);
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, 4), 0);

	/* TTL 2 still goes through, with a checksum a full recomputation agrees with. */
	ttl = 2;
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 45, 0x77);
	len = make_wg_frame(frame, ip, ilen, 7001, 51820, kp->recv_key);
	ttl = 64;
	inject(PORT_WAN, frame, len);
	pipeline();
	CU_ASSERT_EQUAL_FATAL(collect(PORT_LAN, out, 4), 1);
	forwarded(ip);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(out[0], uint8_t *, RTE_ETHER_HDR_LEN), ip,
			 ilen) == 0);
	free_all(out, 1);
	assert_pool_full();
}

/* The incremental checksum update against a full recomputation, over random headers. */
static void test_hop_checksum(void)
{
	uint64_t seed = ws_test_seed("test_hop_checksum");
	uint8_t ip[40], want[40];
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

	for (unsigned i = 0; i < 200000; i++) {
		for (unsigned j = 0; j < 24; j += 8) {
			uint64_t r = ws_test_rand(&seed);

			memcpy(ip + j, &r, 8);
		}
		h->version_ihl = 0x45;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
		memcpy(want, ip, sizeof(ip));
		if (h->time_to_live <= 1) {
			CU_ASSERT_FATAL(!ws_dp_hop(ip));
			CU_ASSERT_FATAL(memcmp(ip, want, sizeof(ip)) == 0);
			continue;
		}
		forwarded(want);
		CU_ASSERT_FATAL(ws_dp_hop(ip));
		CU_ASSERT_FATAL(rte_ipv4_cksum(h) == 0);
		/* Equal but for the two spellings of ones'-complement zero. */
		CU_ASSERT_FATAL(memcmp(ip, want, 10) == 0 && memcmp(ip + 12, want + 12, 12) == 0);
	}
}

static void test_control_frames_and_stats(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gw->pool), *out[4];
	struct ws_lcore_stats sum;

	CU_ASSERT_FATAL(m != NULL);
	memset(rte_pktmbuf_append(m, 60), 0xee, 60);
	ws_meta(m)->port = PORT_WAN;
	CU_ASSERT_EQUAL(rte_ring_enqueue(gw->ctl_out, m), 0);
	reset_counters();
	ws_tx_poll(gw, lc);
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	CU_ASSERT_EQUAL(lc->stats->tx_bytes[PORT_WAN], 60);
	free_all(out, 1);

	gw->stats[3].drops[WS_GW_DROP_REPLAY] = 5;
	ws_gw_stats_sum(gw, &sum);
	CU_ASSERT_EQUAL(sum.drops[WS_GW_DROP_REPLAY], 5);
	CU_ASSERT_EQUAL(sum.tx_packets[PORT_WAN], 1);
	gw->stats[3].drops[WS_GW_DROP_REPLAY] = 0;
	CU_ASSERT_STRING_EQUAL(ws_gw_drop_name(WS_GW_DROP_REPLAY), "REPLAY");
	CU_ASSERT_STRING_EQUAL(ws_gw_drop_name(WS_GW_DROP_MAX), "UNKNOWN");
	assert_pool_full();
}

/*
 * Send counters have one taker only where control is the one lcore
 * receiving on a clear port; an lcore receiving on the tunnel port alone
 * takes none.
 */
static void test_one_counter_taker(void)
{
	const unsigned self = lc->lcore_id, other = self + 1;
	const unsigned saved = gw->control_lcore;

	gw->control_lcore = self;       /* receives on both ports */
	CU_ASSERT(ws_gw_one_counter_taker(gw));
	gw->control_lcore = other;      /* another lcore: two takers */
	CU_ASSERT(!ws_gw_one_counter_taker(gw));
	lc->n_rxq = 1;                  /* the tunnel port alone */
	CU_ASSERT_EQUAL_FATAL(lc->rxq[0].port, PORT_WAN);
	CU_ASSERT(ws_gw_one_counter_taker(gw));
	lc->n_rxq = 2;
	gw->control_lcore = saved;
}

/*
 * An lcore that is RX, the only worker and the only TX: one RX poll takes
 * a burst through crypto to the port, in order, with no ring and no
 * reorder stage; replays, bad tags and the accounting behave as on the
 * staged path. Runs last: its counters are above every other test's.
 */
static void test_inline_rtc(void)
{
	uint8_t ip[2048], frame[2048], plain[2048];
	struct rte_mbuf *out[WS_BURST];
	struct ws_net_pkt pkt;
	uint64_t counter;
	uint32_t ilen, len;
	unsigned n;

	lc->inline_rtc = true;
	reset_counters();
	/* Encrypt: out of the tunnel port after the RX poll alone. */
	len = make_lan_frame(frame, WS_AF_INET, host_ip, tun_ip, 37, 0xab);
	inject(PORT_LAN, frame, len);
	ws_rx_poll(gw, lc);
	CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
	CU_ASSERT_EQUAL(open_as_peer(out[0], plain, &counter, &pkt, WS_AF_INET), 80);
	forwarded(frame + RTE_ETHER_HDR_LEN);
	CU_ASSERT(memcmp(plain, frame + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN) == 0);
	CU_ASSERT_EQUAL(lc->stats->encrypted, 1);
	CU_ASSERT_EQUAL(lc->stats->tx_packets[PORT_WAN], 1);
	free_all(out, 1);

	/*
	 * This lcore is the only one receiving on the clear port and is the
	 * control lcore: it takes send counters with a plain load and
	 * store, and they still come one after the other.
	 */
	gw->control_lcore = lc->lcore_id;
	CU_ASSERT_FATAL(ws_gw_one_counter_taker(gw));
	gw->one_counter_taker = true;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t c;

		inject(PORT_LAN, frame, len);
		ws_rx_poll(gw, lc);
		CU_ASSERT_EQUAL_FATAL(collect(PORT_WAN, out, 4), 1);
		CU_ASSERT_EQUAL(open_as_peer(out[0], plain, &c, &pkt, WS_AF_INET), 80);
		CU_ASSERT_EQUAL(c, counter + 1 + i);
		CU_ASSERT_EQUAL(kp->send_counter, c + 1);
		free_all(out, 1);
	}
	gw->one_counter_taker = false;

	/*
	 * Decrypt a burst: in order, nothing left in the rings. The ports
	 * loop back, so RX polls only the tunnel port here, or it would take
	 * its own output from the clear port in the same poll.
	 */
	lc->n_rxq = 1;
	for (unsigned i = 0; i < 20; i++) {
		ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 20 + i, (uint8_t)i);
		len = make_wg_frame(frame, ip, ilen, 40000 + i, 51820, kp->recv_key);
		inject(PORT_WAN, frame, len);
	}
	ws_rx_poll(gw, lc);
	n = collect(PORT_LAN, out, WS_BURST);
	CU_ASSERT_EQUAL_FATAL(n, 20);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(rte_pktmbuf_data_len(out[i]), RTE_ETHER_HDR_LEN + 28 + 20 + i);
	free_all(out, n);
	CU_ASSERT_EQUAL(rte_ring_count(gw->work[lc->stream][0]), 0);
	CU_ASSERT_EQUAL(rte_ring_count(gw->to_tx[0]), 0);
	CU_ASSERT_EQUAL(lc->stats->decrypted, 20);

	/* The last one again is a replay; a wrong key fails its tag. */
	inject(PORT_WAN, frame, len);
	ilen = make_ip(ip, WS_AF_INET, tun_ip, host_ip, 20, 0);
	len = make_wg_frame(frame, ip, ilen, 40100, 51820, kp->send_key);
	inject(PORT_WAN, frame, len);
	ws_rx_poll(gw, lc);
	CU_ASSERT_EQUAL(collect(PORT_LAN, out, WS_BURST), 0);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_REPLAY], 1);
	CU_ASSERT_EQUAL(lc->stats->drops[WS_GW_DROP_DECRYPT], 1);
	lc->n_rxq = 2;
	lc->inline_rtc = false;
	assert_pool_full();
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_encrypt_v4),
		WS_TEST(test_encrypt_v6_endpoint_v6),
		WS_TEST(test_route_codes),
		WS_TEST(test_encrypt_by_endpoint_route),
		WS_TEST(test_tx_prepare_offload),
		WS_TEST(test_padding_capped_at_mtu),
		WS_TEST(test_too_big_sends_icmp),
		WS_TEST(test_no_peer_and_staging),
		WS_TEST(test_stale_generation),
		WS_TEST(test_decrypt_v4_and_replay),
		WS_TEST(test_decrypt_failures),
		WS_TEST(test_keepalive_and_roaming),
		WS_TEST(test_order_kept),
		WS_TEST(test_unresolved_next_hop),
		WS_TEST(test_next_hop_per_packet),
		WS_TEST(test_ttl_expires),
		WS_TEST(test_hop_checksum),
		WS_TEST(test_control_frames_and_stats),
		WS_TEST(test_one_counter_taker),
		WS_TEST(test_inline_rtc),
		{ NULL, NULL },
	};

	return ws_test_run("dataplane", tests, suite_init, suite_cleanup);
}
