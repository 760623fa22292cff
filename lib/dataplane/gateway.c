/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gateway's life: start-up in dependency order, shut-down in reverse
 * with every mbuf accounted for, and the counters an operator reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "gateway.h"

RTE_LOG_REGISTER(ws_app_gw_log, wirespeed.gateway, INFO);
#define GW_LOG(level, ...) rte_log(RTE_LOG_##level, ws_app_gw_log, "gateway: " __VA_ARGS__)

enum {
	MBUF_CACHE = 256,
	MBUF_MIN = 8191,
	MBUF_MAX = (1 << 22) - 1,
	CONTROL_HELD = 256 + 2 * WS_BURST,      /* frames control holds for ARP/ND */
};

/*
 * Enough mbufs for every place one can wait: device descriptors, every
 * ring and reorder buffer full, staged packets, lcore caches and bursts in
 * hand, so that no role starves another of buffers.
 */
static unsigned pool_size(const struct ws_gw *gw)
{
	uint64_t n = ws_gw_ports_descriptors(gw);
	uint64_t staged = (uint64_t)RTE_MAX(gw->cfg->n_peers, 16u) * WS_MAX_STAGED_PACKETS;

	n += (uint64_t)gw->n_streams * gw->n_workers * WS_RING_SIZE;
	n += (uint64_t)gw->n_workers * WS_RING_SIZE;
	n += (uint64_t)gw->n_streams * WS_REORDER_SIZE;
	n += WS_MAX_QUEUED_HANDSHAKES + 2 * WS_RING_SIZE;
	n += RTE_MIN(staged, (uint64_t)1 << 16) + CONTROL_HELD;
	n += (uint64_t)rte_lcore_count() * (MBUF_CACHE + 4 * WS_BURST);
	return (unsigned)RTE_MAX(RTE_MIN(n, (uint64_t)MBUF_MAX), (uint64_t)MBUF_MIN);
}

static int add_peers(struct ws_gw *gw)
{
	const struct ws_config *cfg = gw->cfg;
	unsigned i;
	int rc;

	for (i = 0; i < cfg->n_peers; i++) {
		rc = ws_gw_peer_add(gw, &cfg->peers[i]);
		if (rc != 0) {
			fprintf(stderr, "wirespeed: peers[%u]: cannot add: %s\n", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int ws_gw_start(struct ws_gw *gw, const struct ws_config *cfg)
{
	unsigned n;
	int rc;

	gw->cfg = cfg;
	gw->stop = false;
	gw->start_tsc = rte_get_tsc_cycles();
	rc = ws_gw_lcores_plan(gw);
	if (rc != 0)
		return rc;
	rc = ws_gw_ports_probe(gw);
	if (rc != 0)
		return rc;
	n = pool_size(gw);
	gw->pool = rte_pktmbuf_pool_create("ws_mbuf", n, MBUF_CACHE,
					   RTE_ALIGN(sizeof(struct ws_pkt_meta),
						     RTE_MBUF_PRIV_ALIGN),
					   WS_MBUF_DATA, (int)rte_socket_id());
	if (gw->pool == NULL) {
		fprintf(stderr, "wirespeed: mempool of %u mbufs: %s (more EAL memory: -m)\n", n,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	GW_LOG(INFO, "mempool: %u mbufs of %u bytes\n", n, (unsigned)WS_MBUF_DATA);
	rc = ws_gw_ports_start(gw);
	if (rc != 0)
		goto err_pool;
	rc = ws_gw_lcores_setup(gw);
	if (rc != 0)
		goto err_ports;
	rc = ws_gw_device_init(gw);
	if (rc != 0) {
		fprintf(stderr, "wirespeed: device init: %s\n", strerror(-rc));
		goto err_lcores;
	}
	rc = ws_gw_lcores_register(gw);
	if (rc != 0)
		goto err_device;
	rc = add_peers(gw);
	if (rc != 0)
		goto err_device;
	return 0;
err_device:
	ws_gw_lcores_join(gw);          /* nothing launched: unregisters RCU readers */
	ws_gw_device_fini(gw);
err_lcores:
	ws_gw_lcores_fini(gw);
err_ports:
	ws_gw_ports_stop(gw);
err_pool:
	rte_mempool_free(gw->pool);
	gw->pool = NULL;
	return rc;
}

struct leak_check {
	const struct rte_mempool *mbufs;
	unsigned kept;                  /* most the drivers may keep of mbufs */
	unsigned leaks;
};

static void pool_check(struct rte_mempool *mp, void *arg)
{
	struct leak_check *lc = arg;
	unsigned avail = rte_mempool_avail_count(mp);
	unsigned out = mp->size - avail;

	if (out == 0)
		return;
	if (mp == lc->mbufs && out <= lc->kept) {
		GW_LOG(NOTICE, "mempool %s: %u of %u objects kept by net_af_xdp after close "
		       "(its rings hold up to %u; DPDK 22.11 does not return them)\n",
		       mp->name, out, mp->size, lc->kept);
		return;
	}
	fprintf(stderr, "wirespeed: error: mempool %s: %u of %u objects not returned\n",
		mp->name, out, mp->size);
	lc->leaks++;
}

int ws_gw_stop(struct ws_gw *gw)
{
	struct leak_check lc = { .mbufs = gw->pool };

	for (unsigned i = 0; i < gw->n_ports; i++)
		lc.kept += gw->ports[i].kept_at_close;
	ws_gw_lcores_join(gw);
	ws_gw_ports_stop(gw);
	ws_gw_device_fini(gw);
	ws_gw_lcores_fini(gw);
	rte_mempool_walk(pool_check, &lc);
	rte_mempool_free(gw->pool);
	gw->pool = NULL;
	return lc.leaks != 0 ? -EBUSY : 0;
}

struct peer_print {
	FILE *f;
	const char *prefix;
};

static int peer_print(void *arg, uint32_t id, void *obj)
{
	const struct peer_print *pp = arg;
	struct ws_gw_peer *p = obj;
	char key[WS_KEY_B64_LEN], ep_str[WS_ENDPOINT_STR_MAX] = "(none)";
	struct ws_endpoint ep;

	ws_key_to_base64(key, p->noise.public_key);
	ws_gw_peer_endpoint_get(p, &ep);
	if (ep.family != WS_AF_NONE)
		ws_endpoint_format(ep_str, sizeof(ep_str), &ep);
	fprintf(pp->f, "%speer %u %s endpoint %s rx_bytes %" PRIu64 " tx_bytes %" PRIu64
		" rx_packets %" PRIu64 " tx_packets %" PRIu64 " last_handshake %" PRId64 "\n",
		pp->prefix, id, key, ep_str,
		__atomic_load_n(&p->rx_bytes, __ATOMIC_RELAXED),
		__atomic_load_n(&p->tx_bytes, __ATOMIC_RELAXED),
		__atomic_load_n(&p->rx_packets, __ATOMIC_RELAXED),
		__atomic_load_n(&p->tx_packets, __ATOMIC_RELAXED),
		__atomic_load_n(&p->last_handshake_sec, __ATOMIC_RELAXED));
	return 0;
}

void ws_gw_stats_print(struct ws_gw *gw, FILE *f, const char *prefix)
{
	struct ws_lcore_stats t;
	struct peer_print pp = { f, prefix };
	double up = (double)(rte_get_tsc_cycles() - gw->start_tsc) / (double)rte_get_tsc_hz();
	unsigned i;

	ws_gw_stats_sum(gw, &t);
	fprintf(f, "%suptime %.1f s\n", prefix, up);
	for (i = 0; i < gw->n_ports; i++) {
		struct rte_eth_stats es;

		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(gw->ports[i].port_id, &es);
		fprintf(f, "%sport %s rx_packets %" PRIu64 " rx_bytes %" PRIu64
			" tx_packets %" PRIu64 " tx_bytes %" PRIu64 " missed %" PRIu64
			" rx_errors %" PRIu64 " tx_errors %" PRIu64 "\n", prefix,
			gw->ports[i].cfg->name, t.rx_packets[i], t.rx_bytes[i], t.tx_packets[i],
			t.tx_bytes[i], es.imissed, es.ierrors, es.oerrors);
	}
	fprintf(f, "%scrypto encrypted %" PRIu64 " decrypted %" PRIu64 " handshakes_in %" PRIu64
		" handshakes_out %" PRIu64 " cookies_sent %" PRIu64 "\n", prefix, t.encrypted,
		t.decrypted, t.handshakes_in, t.handshakes_out, t.cookies_sent);
	for (i = 1; i < WS_NET_DROP_MAX; i++)
		if (t.parse_drops[i] != 0)
			fprintf(f, "%sdrop %s %" PRIu64 "\n", prefix,
				ws_net_drop_name((enum ws_net_drop)i), t.parse_drops[i]);
	for (i = 0; i < WS_GW_DROP_MAX; i++)
		if (t.drops[i] != 0)
			fprintf(f, "%sdrop %s %" PRIu64 "\n", prefix,
				ws_gw_drop_name((enum ws_gw_drop)i), t.drops[i]);
	if (gw->peers != NULL)
		ws_peer_table_walk(gw->peers, peer_print, &pp);
	fflush(f);
}
