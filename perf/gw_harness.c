/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "gw_harness.h"
#include "messages.h"
#include "ws_crypto.h"

enum {
	PEER_BITS = 17,                 /* sim index = seq << 17 | peer */
	PEER_MAX = 1u << PEER_BITS,
	HS_BATCH = 32,                  /* initiations in flight while handshaking */
	RING_SZ = 4096,
};

struct gwh_peer {
	struct ws_noise_local local;
	struct ws_noise_remote remote;  /* the gateway as this peer sees it */
	struct ws_cookie_maker cookie;
	struct gwh *h;
	uint32_t id, seq, hs_idx;
	uint8_t inner[4];               /* its /32 behind the tunnel */
	uint64_t counter;               /* next data counter */
	struct ws_noise_keypair *kp;
	bool done;
};

/*
 * What the generator reads per packet, one cache line per peer, so that
 * the simulated peers' own state (several lines each, pointer chasing)
 * does not crowd the gateway's tables out of the cache at 100,000 peers:
 * a real peer's state lives on another machine.
 */
struct gwh_tx_state {
	uint8_t send_key[WS_KEY_LEN];
	uint32_t remote_index;
	uint8_t inner[4];
	uint64_t counter;
} __rte_cache_aligned;

struct gwh_stamp {
	uint64_t tsc;
	uint32_t len;                   /* inner bytes */
};

static const struct rte_ether_addr router_mac = {{ 0x02, 0, 0, 0, 0, 0xfe }};
static const struct rte_ether_addr host_mac = {{ 0x02, 0, 0, 0, 1, 0x02 }};
static const uint8_t wan_ip[4] = { 192, 0, 2, 1 };
static const uint8_t wan_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t host_ip[4] = { 10, 1, 0, 2 };

static struct gwh_stamp *stamp(const struct gwh *h, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, h->ts_off, struct gwh_stamp *);
}

/* ---- the simulated peers' noise upcalls ---- */

static struct ws_noise_remote *sim_remote_get(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	struct gwh_peer *p = arg;

	return memcmp(pub, p->remote.public_key, WS_KEY_LEN) == 0 ? &p->remote : NULL;
}

static int sim_index_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	struct gwh_peer *p = arg;

	RTE_SET_USED(r);
	p->seq = (p->seq + 1) & ((1u << (32 - PEER_BITS)) - 1);
	p->hs_idx = p->seq << PEER_BITS | p->id;
	*idx = p->hs_idx;
	return 0;
}

static struct ws_noise_remote *sim_index_lookup(void *arg, uint32_t idx)
{
	struct gwh_peer *p = arg;

	return idx == p->hs_idx ? &p->remote : NULL;
}

static void sim_index_drop(void *arg, uint32_t idx)
{
	struct gwh_peer *p = arg;

	if (idx == p->hs_idx)
		p->hs_idx = 0;
}

static void ip4_of(uint8_t out[4], uint32_t base, uint32_t i)
{
	uint32_t a = base + i;

	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

/* Headers in front of a WireGuard message on the tunnel port. */
static uint32_t hdrs(const struct gwh *h)
{
	return ws_net_udp_hdrs_len(h->outer);
}

/* Peer i's endpoint: 198.18.0.0/15 + i, or 2001:db8:1::/64 + i over IPv6. */
static void endpoint_of(const struct gwh *h, uint32_t i, struct ws_endpoint *ep)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };

	if (h->outer == WS_AF_INET6) {
		ip4_of(a + 12, 0, i);
		ws_endpoint_v6(ep, a, 51820);
	} else {
		ip4_of(a, 0xc6120000u, i);
		ws_endpoint_v4(ep, a, 51820);
	}
}

static int peers_init(struct gwh *h)
{
	const struct ws_noise_upcalls base = {
		.remote_get = sim_remote_get,
		.index_alloc = sim_index_alloc,
		.index_lookup = sim_index_lookup,
		.index_drop = sim_index_drop,
	};

	h->peers = rte_zmalloc("gwh_peers", sizeof(*h->peers) * h->n_peers, 64);
	h->txs = rte_zmalloc("gwh_txs", sizeof(*h->txs) * h->n_peers, 64);
	h->peers_cfg = calloc(h->n_peers, sizeof(*h->peers_cfg));
	h->aips = calloc(h->n_peers, sizeof(*h->aips));
	if (h->peers == NULL || h->txs == NULL || h->peers_cfg == NULL || h->aips == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < h->n_peers; i++) {
		struct gwh_peer *p = &h->peers[i];
		struct ws_noise_upcalls u = base;
		uint8_t priv[WS_KEY_LEN];

		p->h = h;
		p->id = i;
		ip4_of(p->inner, 0x0a800000u, i);       /* 10.128.0.0/9 */
		memcpy(h->txs[i].inner, p->inner, 4);
		u.arg = p;
		ws_x25519_generate(priv);
		if (ws_noise_local_init(&p->local, &u) != 0 ||
		    ws_noise_local_set_private(&p->local, priv) != 0)
			return -EINVAL;
		ws_memzero(priv, sizeof(priv));
		struct ws_config_peer *cp = &h->peers_cfg[i];
		ws_noise_local_public(&p->local, cp->public_key);
		endpoint_of(h, i, &cp->endpoint);
		h->aips[i].family = WS_AF_INET;
		memcpy(h->aips[i].addr, p->inner, 4);
		h->aips[i].len = 32;
		cp->allowed_ips = &h->aips[i];
		cp->n_allowed_ips = 1;
	}
	return 0;
}

static int peers_bind(struct gwh *h)
{
	for (unsigned i = 0; i < h->n_peers; i++) {
		struct gwh_peer *p = &h->peers[i];

		if (ws_noise_remote_init(&p->remote, &p->local, h->cfg.interface.public_key,
					 NULL) != 0)
			return -EINVAL;
		ws_cookie_maker_init(&p->cookie, h->cfg.interface.public_key);
	}
	return 0;
}

/* ---- set-up ---- */

static int make_port(struct gwh *h, unsigned idx, char *dev, size_t len)
{
	char name[32];
	int port;

	snprintf(name, sizeof(name), "gwh_rx%u_%u", h->instance, idx);
	h->rx[idx] = rte_ring_create(name, RING_SZ, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "gwh_tx%u_%u", h->instance, idx);
	h->tx[idx] = rte_ring_create(name, RING_SZ, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (h->rx[idx] == NULL || h->tx[idx] == NULL)
		return -ENOMEM;
	snprintf(dev, len, "net_ring_gwh%u_%u", h->instance, idx);
	port = rte_eth_from_rings(dev, &h->rx[idx], 1, &h->tx[idx], 1, SOCKET_ID_ANY);
	if (port < 0)
		return -ENODEV;
	/* The ethdev's own name (the PMD may prefix it) is what the config names. */
	char ethname[RTE_ETH_NAME_MAX_LEN];
	if (rte_eth_dev_get_name_by_port((uint16_t)port, ethname) != 0)
		return -ENODEV;
	snprintf(dev, len, "%s", ethname);
	return 0;
}

int gwh_create(struct gwh *h, unsigned n_peers, bool split)
{
	return gwh_create_outer(h, n_peers, split, WS_AF_INET);
}

int gwh_create_outer(struct gwh *h, unsigned n_peers, bool split, uint8_t outer)
{
	static unsigned instances;
	static const struct rte_mbuf_dynfield ts_desc = {
		.name = "ws_bench_stamp", .size = sizeof(struct gwh_stamp),
		.align = __alignof__(struct gwh_stamp),
	};
	char json[2048], err[256], key[WS_KEY_B64_LEN], wan[RTE_ETH_NAME_MAX_LEN], lan[RTE_ETH_NAME_MAX_LEN];
	uint8_t priv[WS_KEY_LEN];
	int rc;

	memset(h, 0, sizeof(*h));
	if (n_peers == 0 || n_peers > PEER_MAX)
		return -EINVAL;
	h->instance = instances++;
	h->n_peers = n_peers;
	h->split = split;
	h->outer = outer == WS_AF_INET6 ? WS_AF_INET6 : WS_AF_INET;
	h->worker_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (split && h->worker_lcore >= RTE_MAX_LCORE)
		return -ENOTSUP;
	h->ts_off = rte_mbuf_dynfield_register(&ts_desc);
	if (h->ts_off < 0)
		return -ENOMEM;
	if ((rc = make_port(h, 0, wan, sizeof(wan))) != 0 ||
	    (rc = make_port(h, 1, lan, sizeof(lan))) != 0)
		return rc;
	ws_x25519_generate(priv);
	ws_key_to_base64(key, priv);
	ws_memzero(priv, sizeof(priv));
	snprintf(json, sizeof(json),
		 "{\"crypto\": \"ipsec_mb\", \"ports\": ["
		 "{\"name\": \"wan\", \"device\": \"%s\", \"role\": \"tunnel\","
		 " \"addresses\": [\"192.0.2.1/24\", \"2001:db8::1/64\"],"
		 " \"gateway\": [\"192.0.2.254\", \"2001:db8::fe\"]},"
		 "{\"name\": \"lan\", \"device\": \"%s\", \"role\": \"clear\","
		 " \"addresses\": [\"10.1.0.1/24\"]}],"
		 "\"neighbors\": [{\"address\": \"192.0.2.254\", \"mac\": \"02:00:00:00:00:fe\","
		 " \"port\": \"wan\"}, {\"address\": \"2001:db8::fe\", \"mac\": \"02:00:00:00:00:fe\","
		 " \"port\": \"wan\"}, {\"address\": \"10.1.0.2\", \"mac\": \"02:00:00:00:01:02\","
		 " \"port\": \"lan\"}],"
		 "\"lcores\": {\"rx\": [%u], \"workers\": [%u], \"tx\": [%u], \"control\": %u},"
		 "\"interface\": {\"private_key\": \"%s\", \"listen_port\": 51820, \"mtu\": 1420}}",
		 wan, lan, rte_get_main_lcore(), split ? h->worker_lcore : rte_get_main_lcore(),
		 rte_get_main_lcore(), rte_get_main_lcore(), key);
	ws_memzero(key, sizeof(key));
	if (ws_config_load_string(json, strlen(json), &h->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "gw_harness: config: %s\n", err);
		return -EINVAL;
	}
	if ((rc = peers_init(h)) != 0)
		return rc;
	h->cfg.peers = h->peers_cfg;
	h->cfg.n_peers = n_peers;
	if ((rc = peers_bind(h)) != 0)
		return rc;
	h->sim_aead = ws_aead_create("ipsec_mb");
	h->gw = rte_zmalloc("gwh_gw", sizeof(*h->gw), RTE_CACHE_LINE_SIZE);
	if (h->sim_aead == NULL || h->gw == NULL)
		return -ENOMEM;
	rc = ws_gw_start(h->gw, &h->cfg);
	if (rc != 0)
		return rc;
	h->lc = &h->gw->lcores[rte_get_main_lcore()];
	rte_rcu_qsbr_thread_online(h->gw->rcu, h->lc->thread_id);
	return 0;
}

int gwh_destroy(struct gwh *h)
{
	int rc = 0;

	if (h->gw != NULL && h->gw->pool != NULL) {
		gwh_split_stop(h);
		rte_rcu_qsbr_thread_offline(h->gw->rcu, h->lc->thread_id);
		gwh_drain_all(h);
		for (unsigned p = 0; p < 2; p++) {     /* what nobody polled any more */
			struct rte_mbuf *m[WS_BURST];
			unsigned n;

			while ((n = rte_ring_dequeue_burst(h->rx[p], (void **)m, WS_BURST, NULL)))
				rte_pktmbuf_free_bulk(m, n);
		}
		rc = ws_gw_stop(h->gw);
	}
	for (unsigned i = 0; h->peers != NULL && i < h->n_peers; i++) {
		ws_noise_remote_destroy(&h->peers[i].remote);
		ws_noise_local_destroy(&h->peers[i].local);
		ws_cookie_maker_destroy(&h->peers[i].cookie);
	}
	h->cfg.peers = NULL;
	h->cfg.n_peers = 0;
	ws_config_free(&h->cfg);
	rte_free(h->peers);
	if (h->txs != NULL)
		ws_memzero(h->txs, sizeof(*h->txs) * h->n_peers);
	rte_free(h->txs);
	free(h->order);
	free(h->peers_cfg);
	free(h->aips);
	if (h->sim_aead != NULL)
		ws_aead_free(h->sim_aead);
	rte_free(h->gw);
	for (unsigned p = 0; p < 2; p++) {
		rte_ring_free(h->rx[p]);
		rte_ring_free(h->tx[p]);
	}
	memset(h, 0, sizeof(*h));
	return rc;
}

/* ---- polling ---- */

void gwh_poll(struct gwh *h)
{
	struct ws_gw *gw = h->gw;
	struct ws_lcore *lc = h->lc;
	uint64_t t0 = rte_rdtsc();

	ws_gw_lcore_poll(gw, lc);
	lc->now = 0;
	h->gw_cycles += rte_rdtsc() - t0;
}

int gwh_worker_main(void *arg)
{
	struct gwh *h = arg;
	struct ws_gw *gw = h->gw;
	struct ws_lcore *lc = &gw->lcores[rte_lcore_id()];
	uint64_t busy = 0;

	rte_rcu_qsbr_thread_online(gw->rcu, lc->thread_id);
	while (!h->worker_stop && !__atomic_load_n(&gw->stop, __ATOMIC_RELAXED)) {
		uint64_t before = lc->stats->encrypted + lc->stats->decrypted;
		uint64_t t0 = rte_rdtsc();

		lc->now = ws_gw_now();  /* as ws_gw_lcore_loop does */
		ws_worker_poll(gw, lc);
		rte_rcu_qsbr_quiescent(gw->rcu, lc->thread_id);
		if (lc->stats->encrypted + lc->stats->decrypted != before)
			busy += rte_rdtsc() - t0;
	}
	lc->now = 0;
	rte_rcu_qsbr_thread_offline(gw->rcu, lc->thread_id);
	__atomic_store_n(&h->worker_busy, busy, __ATOMIC_RELEASE);
	return 0;
}

int gwh_split_start(struct gwh *h)
{
	if (!h->split)
		return 0;
	h->worker_stop = false;
	return rte_eal_remote_launch(gwh_worker_main, h, h->worker_lcore);
}

void gwh_split_stop(struct gwh *h)
{
	if (!h->split || rte_eal_get_lcore_state(h->worker_lcore) != RUNNING)
		return;
	h->worker_stop = true;
	rte_eal_wait_lcore(h->worker_lcore);
}

/* ---- frames ---- */

/*
 * A UDP datagram from the endpoint of the peer whose inner address is
 * inner, for a message of payload bytes the caller writes next and then
 * passes to frame_final (over IPv6 the checksum covers it, so it is summed
 * there, once, not here over bytes not yet written).
 */
static struct rte_mbuf *udp_frame(struct gwh *h, const uint8_t inner[4], uint32_t payload)
{
	uint32_t i = ((uint32_t)inner[1] << 16 | (uint32_t)inner[2] << 8 | inner[3]) - 0x800000u;
	struct ws_net_udp_out o = { .src_mac = router_mac, .dst_mac = h->gw->ports[0].net.mac,
				    .udp_cksum_offload = true };
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->gw->pool);
	uint8_t *buf;

	if (m == NULL)
		return NULL;
	endpoint_of(h, i, &o.src);
	if (h->outer == WS_AF_INET6)
		ws_endpoint_v6(&o.dst, wan_ip6, 51820);
	else
		ws_endpoint_v4(&o.dst, wan_ip, 51820);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hdrs(h) + payload));
	if (buf == NULL || ws_net_build_udp(buf, hdrs(h) + payload, &o, payload) <= 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

/* Over IPv6 the UDP checksum is mandatory: summed once the message in a udp_frame is final. */
static void frame_final(const struct gwh *h, struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip6;
	struct rte_udp_hdr *udp;

	if (h->outer != WS_AF_INET6)
		return;
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	udp = (struct rte_udp_hdr *)(ip6 + 1);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
}

/* An inner IPv4/UDP packet of len bytes (zero payload). */
static void inner_ip(uint8_t *b, unsigned len, const uint8_t src[4], const uint8_t dst[4])
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;

	memset(b, 0, len);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	b[20] = 0x30, b[21] = 0x39, b[22] = 0x30, b[23] = 0x39;   /* ports 12345 */
	b[24] = (uint8_t)((len - 20) >> 8), b[25] = (uint8_t)(len - 20);
}

void gwh_inject_frame(struct gwh *h, struct rte_mbuf *m)
{
	stamp(h, m)->tsc = rte_rdtsc();
	stamp(h, m)->len = 0;
	if (rte_ring_enqueue(h->rx[0], m) != 0)
		rte_pktmbuf_free(m);
}

int gwh_shuffle(struct gwh *h)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;     /* fixed seed: every run the same order */

	free(h->order);
	h->order = malloc(sizeof(*h->order) * h->n_peers);
	if (h->order == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < h->n_peers; i++)
		h->order[i] = i;
	/* Fisher-Yates with xorshift64: a bench's order, not a secret. */
	for (unsigned i = h->n_peers; i > 1; i--) {
		unsigned j;
		uint32_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (unsigned)(x % i);
		t = h->order[i - 1];
		h->order[i - 1] = h->order[j];
		h->order[j] = t;
	}
	return 0;
}

unsigned gwh_inject(struct gwh *h, enum gwh_dir dir, unsigned size, unsigned n, uint64_t *next)
{
	struct rte_mbuf *m[BENCH_BATCH];
	struct ws_aead_op ops[BENCH_BATCH];
	unsigned room = rte_ring_free_count(h->rx[dir == GWH_ENCRYPT ? 1 : 0]), k = 0;
	uint64_t t0 = rte_rdtsc();

	n = RTE_MIN(RTE_MIN(n, room), (unsigned)BENCH_BATCH);
	for (; k < n; k++) {
		uint64_t seq = (*next)++;
		unsigned i = h->n_active ? (unsigned)(seq % h->n_active) :
			     h->order ? h->order[seq % h->n_peers] : (unsigned)(seq % h->n_peers);
		struct gwh_tx_state *t = &h->txs[i];
		unsigned len = bench_pkt_size(size, seq);

		if (dir == GWH_ENCRYPT) {
			m[k] = rte_pktmbuf_alloc(h->gw->pool);
			if (m[k] == NULL)
				break;
			uint8_t *b = (uint8_t *)rte_pktmbuf_append(m[k], (uint16_t)(14 + len));
			ws_net_build_eth(b, 14, &h->gw->ports[1].net.mac, &host_mac,
					 RTE_ETHER_TYPE_IPV4);
			inner_ip(b + 14, len, host_ip, t->inner);
		} else {
			uint32_t padded = ws_msg_data_padded_len(len);

			m[k] = udp_frame(h, t->inner, WS_MSG_DATA_MIN_LEN + padded);
			if (m[k] == NULL)
				break;
			struct ws_msg_data *msg = rte_pktmbuf_mtod_offset(m[k], struct ws_msg_data *,
									 hdrs(h));
			msg->header.type = WS_MSG_DATA;
			memset(msg->header.reserved, 0, 3);
			msg->receiver_index = rte_cpu_to_le_32(t->remote_index);
			msg->counter = rte_cpu_to_le_64(t->counter);
			inner_ip(msg->encrypted_data, len, t->inner, host_ip);
			memset(msg->encrypted_data + len, 0, padded - len);
			ops[k] = (struct ws_aead_op){ .data = msg->encrypted_data,
						      .key = t->send_key,
						      .counter = t->counter++, .len = padded };
		}
		stamp(h, m[k])->len = len;
	}
	if (dir == GWH_DECRYPT && k > 0 && ws_aead_encrypt_burst(h->sim_aead, ops, k) != k) {
		rte_pktmbuf_free_bulk(m, k);
		return 0;
	}
	for (unsigned i = 0; dir == GWH_DECRYPT && i < k; i++)
		frame_final(h, m[i]);
	uint64_t now = rte_rdtsc();
	for (unsigned i = 0; i < k; i++)
		stamp(h, m[i])->tsc = now;
	unsigned q = rte_ring_enqueue_burst(h->rx[dir == GWH_ENCRYPT ? 1 : 0], (void **)m, k, NULL);
	if (q < k)
		rte_pktmbuf_free_bulk(m + q, k - q);
	h->gen_cycles += rte_rdtsc() - t0;
	return q;
}

unsigned gwh_drain(struct gwh *h, enum gwh_dir dir, uint64_t *bytes, uint64_t *lat,
		   unsigned *n_lat, unsigned lat_cap)
{
	struct rte_mbuf *m[WS_BURST];
	unsigned port = dir == GWH_ENCRYPT ? 0 : 1, total = 0, n;
	uint64_t now = rte_rdtsc();

	while ((n = rte_ring_dequeue_burst(h->tx[port], (void **)m, WS_BURST, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct gwh_stamp *s = stamp(h, m[i]);

			*bytes += s->len;
			if (lat != NULL && *n_lat < lat_cap)
				lat[(*n_lat)++] = now - s->tsc;
		}
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

unsigned gwh_drain_all(struct gwh *h)
{
	struct rte_mbuf *m[WS_BURST];
	unsigned total = 0, n;

	for (unsigned p = 0; p < 2; p++)
		while ((n = rte_ring_dequeue_burst(h->tx[p], (void **)m, WS_BURST, NULL)) > 0) {
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
	return total;
}

unsigned gwh_rx_backlog(const struct gwh *h, unsigned port)
{
	return rte_ring_count(h->rx[port]);
}

/* ---- handshakes ---- */

int gwh_initiation_frame(struct gwh *h, unsigned peer, struct rte_mbuf **out)
{
	struct gwh_peer *p = &h->peers[peer];
	struct ws_msg_initiation init;
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	if (ws_noise_create_initiation(&p->remote, &init, &wall) != 0)
		return -EINVAL;
	ws_cookie_maker_add_macs(&p->cookie, &init, sizeof(init), ws_gw_now());
	*out = udp_frame(h, p->inner, sizeof(init));
	if (*out == NULL)
		return -ENOMEM;
	memcpy(rte_pktmbuf_mtod_offset(*out, void *, hdrs(h)), &init, sizeof(init));
	frame_final(h, *out);
	return 0;
}

/* The peer finishes its side and sends a keepalive so the gateway confirms. */
static void sim_finish(struct gwh *h, const struct ws_msg_response *resp)
{
	uint32_t idx = rte_le_to_cpu_32(resp->receiver_index);
	struct gwh_peer *p = &h->peers[idx & (PEER_MAX - 1)];
	struct ws_noise_remote *r;

	if ((idx & (PEER_MAX - 1)) >= h->n_peers ||
	    ws_noise_consume_response(&p->local, resp, &r) != 0 ||
	    ws_noise_begin_session(&p->remote, ws_gw_now()) != 0)
		return;
	p->kp = ws_noise_keypair_current(&p->remote, ws_gw_now());
	if (p->kp == NULL)
		return;
	p->counter = 0;
	struct rte_mbuf *m = udp_frame(h, p->inner, WS_MSG_DATA_MIN_LEN);
	if (m == NULL)
		return;
	struct ws_msg_data *msg = rte_pktmbuf_mtod_offset(m, struct ws_msg_data *, hdrs(h));
	struct ws_aead_op op = { .data = msg->encrypted_data, .key = p->kp->send_key,
				 .counter = p->counter++, .len = 0 };
	msg->header.type = WS_MSG_DATA;
	memset(msg->header.reserved, 0, 3);
	msg->receiver_index = rte_cpu_to_le_32(p->kp->remote_index);
	msg->counter = 0;
	ws_aead_encrypt_burst(h->sim_aead, &op, 1);
	frame_final(h, m);
	gwh_inject_frame(h, m);
	p->done = true;
	memcpy(h->txs[p->id].send_key, p->kp->send_key, WS_KEY_LEN);
	h->txs[p->id].remote_index = p->kp->remote_index;
	h->txs[p->id].counter = p->counter;
}

unsigned gwh_drain_handshakes(struct gwh *h, struct gwh_hs_count *c)
{
	struct rte_mbuf *m[WS_BURST];
	unsigned total = 0, n;

	while ((n = rte_ring_dequeue_burst(h->tx[0], (void **)m, WS_BURST, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *b = rte_pktmbuf_mtod(m[i], const uint8_t *);

			if (rte_pktmbuf_data_len(m[i]) < hdrs(h) + 4)
				c->other++;
			else if (b[hdrs(h)] == WS_MSG_RESPONSE)
				c->responses++;
			else if (b[hdrs(h)] == WS_MSG_COOKIE)
				c->cookies++;
			else
				c->other++;
		}
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

int gwh_handshake_all(struct gwh *h)
{
	unsigned next = 0, done = 0, in_flight = 0;
	/* 60 s plus 5 ms a peer (a shared 2-core box does ~1,000 a second, both sides). */
	uint64_t secs = getenv("GWH_HS_TIMEOUT") ? strtoull(getenv("GWH_HS_TIMEOUT"), NULL, 10)
						 : 60 + h->n_peers / 200;
	uint64_t deadline = rte_get_tsc_cycles() + secs * rte_get_tsc_hz();
	int rc = 0;

	/*
	 * In split mode the worker decrypts the peers' confirming keepalives:
	 * without it they would wait on its ring, most of them dropped at
	 * 100,000 peers, and the gateway would hold unconfirmed sessions it
	 * may not send on (it then initiates handshakes of its own, which the
	 * simulated peers never answer, retrying every few seconds).
	 */
	for (unsigned i = 0; i < h->n_peers; i++)      /* again: a rekey of every peer */
		h->peers[i].done = false;
	if (gwh_split_start(h) != 0)
		return -EIO;
	while (done < h->n_peers && rc == 0) {
		struct rte_mbuf *m[WS_BURST];
		unsigned n;

		while (in_flight < HS_BATCH && next < h->n_peers) {
			struct rte_mbuf *f;

			if (gwh_initiation_frame(h, next++, &f) != 0) {
				rc = -EIO;
				break;
			}
			gwh_inject_frame(h, f);
			in_flight++;
		}
		gwh_poll(h);
		while ((n = rte_ring_dequeue_burst(h->tx[0], (void **)m, WS_BURST, NULL)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				const uint8_t *b = rte_pktmbuf_mtod(m[i], const uint8_t *);

				if (rte_pktmbuf_data_len(m[i]) >= hdrs(h) + WS_MSG_RESPONSE_LEN &&
				    b[hdrs(h)] == WS_MSG_RESPONSE) {
					struct ws_msg_response resp;

					memcpy(&resp, b + hdrs(h), sizeof(resp));
					sim_finish(h, &resp);
					done++;
					in_flight--;
				}
			}
			rte_pktmbuf_free_bulk(m, n);
		}
		if (rte_get_tsc_cycles() > deadline) {
			fprintf(stderr, "gw_harness: %u of %u handshakes done in time\n", done,
				h->n_peers);
			ws_gw_stats_print(h->gw, stderr, "gw_harness: ");
			rc = -ETIMEDOUT;
		}
	}
	/* Let the confirming keepalives through. */
	for (unsigned i = 0; i < 64; i++)
		gwh_poll(h);
	gwh_split_stop(h);
	gwh_drain_all(h);
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < h->n_peers; i++)
		if (!h->peers[i].done)
			return -EPROTO;
	return 0;
}
