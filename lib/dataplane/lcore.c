/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lcore roles: which lcore runs RX, the workers, reorder/TX and control;
 * the rings and reorder buffers between them; the per-lcore loop.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_log.h>

#include "gateway.h"

RTE_LOG_REGISTER(ws_app_lcore_log, wirespeed.lcore, INFO);
#define LCORE_LOG(level, ...) rte_log(RTE_LOG_##level, ws_app_lcore_log, "lcore: " __VA_ARGS__)

enum { IDLE_SPINS = 256 };       /* empty polls before an idle lcore sleeps */

/* The events ring is created here only when the device init did not. */
static bool own_events;
static bool rcu_registered;

static int check_lcore(const char *field, unsigned idx, unsigned id)
{
	if (id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id)) {
		fprintf(stderr, "wirespeed: lcores.%s[%u]: lcore %u is not enabled in the EAL "
			"(-l / --lcores)\n", field, idx, id);
		return -EINVAL;
	}
	return 0;
}

static int plan_from_config(struct ws_gw *gw)
{
	const struct ws_config_lcores *c = &gw->cfg->lcores;
	unsigned main_id = rte_get_main_lcore(), i;
	int rc;

	if (c->n_tx > WS_MAX_TX) {
		fprintf(stderr, "wirespeed: lcores.tx: at most %d reorder/TX lcores, %u given\n",
			WS_MAX_TX, c->n_tx);
		return -EINVAL;
	}
	if (c->n_handshake > WS_MAX_HS) {
		fprintf(stderr, "wirespeed: lcores.handshake: at most %d lcores, %u given\n",
			WS_MAX_HS, c->n_handshake);
		return -EINVAL;
	}
	for (i = 0; i < c->n_rx; i++) {
		rc = check_lcore("rx", i, c->rx[i]);
		if (rc != 0)
			return rc;
		gw->lcores[c->rx[i]].roles |= WS_ROLE_RX;
	}
	for (i = 0; i < c->n_workers; i++) {
		rc = check_lcore("workers", i, c->workers[i]);
		if (rc != 0)
			return rc;
		gw->lcores[c->workers[i]].roles |= WS_ROLE_WORKER;
	}
	for (i = 0; i < c->n_tx; i++) {
		rc = check_lcore("tx", i, c->tx[i]);
		if (rc != 0)
			return rc;
		gw->tx_lcores[i] = c->tx[i];
	}
	gw->n_tx = c->n_tx;
	if (gw->n_tx == 0)
		gw->tx_lcores[gw->n_tx++] = main_id;
	for (i = 0; i < c->n_handshake; i++) {
		rc = check_lcore("handshake", i, c->handshake[i]);
		if (rc != 0)
			return rc;
		gw->hs_lcores[i] = c->handshake[i];
	}
	gw->n_hs = c->n_handshake;
	if (c->control != WS_CONFIG_LCORE_AUTO) {
		if (c->control < 0 || (unsigned)c->control >= RTE_MAX_LCORE ||
		    !rte_lcore_is_enabled((unsigned)c->control)) {
			fprintf(stderr, "wirespeed: lcores.control: lcore %d is not enabled in "
				"the EAL (-l / --lcores)\n", c->control);
			return -EINVAL;
		}
		gw->control_lcore = (unsigned)c->control;
	} else {
		gw->control_lcore = main_id;
	}
	/* A role left to the gateway goes to the main lcore. */
	if (c->n_rx == 0)
		gw->lcores[main_id].roles |= WS_ROLE_RX;
	if (c->n_workers == 0)
		gw->lcores[main_id].roles |= WS_ROLE_WORKER;
	return 0;
}

/*
 * One lcore runs everything. Two (CI): the main lcore does control, RX and
 * reorder/TX, the other the crypto, which is where the cycles go. More:
 * control and TX share the main lcore, a quarter of the rest polls RX,
 * the others are workers. From four lcores on, handshakes also run on the
 * last worker lcore, so a flood of them is not capped at the control lcore.
 */
static void plan_auto(struct ws_gw *gw)
{
	unsigned ids[RTE_MAX_LCORE], n = 0, id, n_rx, i;

	ids[n++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(id)
		ids[n++] = id;
	gw->tx_lcores[0] = ids[0];
	gw->n_tx = 1;
	gw->control_lcore = ids[0];
	if (n >= 4) {
		gw->hs_lcores[0] = ids[0];
		gw->hs_lcores[1] = ids[n - 1];
		gw->n_hs = 2;
	}
	if (n == 1) {
		gw->lcores[ids[0]].roles |= WS_ROLE_RX | WS_ROLE_WORKER;
		return;
	}
	if (n == 2) {
		gw->lcores[ids[0]].roles |= WS_ROLE_RX;
		gw->lcores[ids[1]].roles |= WS_ROLE_WORKER;
		return;
	}
	n_rx = RTE_MAX(1u, (n - 1) / 4);
	for (i = 1; i < n; i++)
		gw->lcores[ids[i]].roles |= i <= n_rx ? WS_ROLE_RX : WS_ROLE_WORKER;
}

static const char *roles_str(uint32_t roles, char *buf, size_t len)
{
	static const char *const names[] = { "rx", "worker", "tx", "control", "handshake" };
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names); i++)
		if (roles & (1u << i))
			off += (size_t)snprintf(buf + off, len - RTE_MIN(off, len), "%s%s",
						off ? "+" : "", names[i]);
	return buf;
}

int ws_gw_lcores_plan(struct ws_gw *gw)
{
	const struct ws_config_lcores *c = &gw->cfg->lcores;
	unsigned id, n_rx = 0;
	char buf[64];
	int rc;

	gw->n_tx = 0;
	gw->n_hs = 0;
	for (id = 0; id < RTE_MAX_LCORE; id++) {
		memset(&gw->lcores[id], 0, sizeof(gw->lcores[id]));
		gw->lcores[id].lcore_id = id;
		gw->lcores[id].thread_id = id;
		gw->lcores[id].stats = &gw->stats[id];
	}
	if (c->n_rx == 0 && c->n_workers == 0 && c->n_tx == 0 && c->n_handshake == 0 &&
	    c->control == WS_CONFIG_LCORE_AUTO) {
		plan_auto(gw);
	} else {
		rc = plan_from_config(gw);
		if (rc != 0)
			return rc;
	}
	if (gw->n_hs == 0)
		gw->hs_lcores[gw->n_hs++] = gw->control_lcore;
	gw->tx_lcore = gw->tx_lcores[0];
	for (unsigned t = 0; t < gw->n_tx; t++) {
		gw->lcores[gw->tx_lcores[t]].roles |= WS_ROLE_TX;
		gw->lcores[gw->tx_lcores[t]].tx = (uint8_t)t;
	}
	for (unsigned h = 0; h < gw->n_hs; h++) {
		gw->lcores[gw->hs_lcores[h]].roles |= WS_ROLE_HANDSHAKE;
		gw->lcores[gw->hs_lcores[h]].hs = (uint8_t)h;
	}
	gw->lcores[gw->control_lcore].roles |= WS_ROLE_CONTROL;

	gw->n_workers = 0;
	RTE_LCORE_FOREACH(id) {
		struct ws_lcore *lc = &gw->lcores[id];

		if (lc->roles & WS_ROLE_RX)
			lc->stream = (uint8_t)n_rx++;
		if (lc->roles & WS_ROLE_WORKER) {
			if (gw->n_workers == WS_MAX_WORKERS) {
				fprintf(stderr, "wirespeed: lcores.workers: at most %d\n",
					WS_MAX_WORKERS);
				return -EINVAL;
			}
			lc->worker = (uint8_t)gw->n_workers;
			gw->worker_lcores[gw->n_workers++] = id;
		}
	}
	if (n_rx + 1 > WS_MAX_STREAMS) {
		fprintf(stderr, "wirespeed: lcores.rx: at most %d\n", WS_MAX_STREAMS - 1);
		return -EINVAL;
	}
	gw->control_stream = (uint8_t)n_rx;
	gw->n_streams = n_rx + 1;
	RTE_LCORE_FOREACH(id) {
		const uint32_t all = WS_ROLE_RX | WS_ROLE_WORKER | WS_ROLE_TX;

		gw->lcores[id].inline_rtc = (gw->lcores[id].roles & all) == all &&
					    gw->n_workers == 1 && ws_gw_n_tx(gw) == 1;
	}
	RTE_LCORE_FOREACH(id)
		if (gw->lcores[id].roles != 0)
			LCORE_LOG(INFO, "lcore %u: %s%s\n", id,
				  roles_str(gw->lcores[id].roles, buf, sizeof(buf)),
				  gw->lcores[id].inline_rtc ? " (inline: no rings between them)" : "");
	return 0;
}

/* Spread every (port, queue) over the RX lcores. */
static void assign_queues(struct ws_gw *gw)
{
	unsigned rx[RTE_MAX_LCORE], n_rx = 0, k = 0, id, p;
	uint16_t q;

	RTE_LCORE_FOREACH(id)
		if (gw->lcores[id].roles & WS_ROLE_RX)
			rx[n_rx++] = id;
	for (p = 0; p < gw->n_ports; p++) {
		for (q = 0; q < gw->ports[p].n_rxq; q++) {
			struct ws_lcore *lc = &gw->lcores[rx[k++ % n_rx]];

			if (lc->n_rxq == RTE_DIM(lc->rxq))
				continue;
			lc->rxq[lc->n_rxq].port = (uint16_t)p;
			lc->rxq[lc->n_rxq].queue = q;
			lc->n_rxq++;
		}
	}
	/* TX lcore t sends on queue t of every port (ws_gw_ports_probe sized them). */
	for (unsigned t = 0; t < ws_gw_n_tx(gw); t++)
		for (p = 0; p < gw->n_ports; p++)
			gw->lcores[gw->tx_lcores[t]].txq[p] = (uint16_t)t;
	gw->one_counter_taker = ws_gw_one_counter_taker(gw);
}

static struct rte_ring *ring(const char *name, unsigned count, unsigned flags)
{
	struct rte_ring *r = rte_ring_create(name, count, (int)rte_socket_id(), flags);

	if (r == NULL)
		fprintf(stderr, "wirespeed: ring %s: %s\n", name, rte_strerror(rte_errno));
	return r;
}

int ws_gw_lcores_setup(struct ws_gw *gw)
{
	const unsigned spsc = RING_F_SP_ENQ | RING_F_SC_DEQ;
	const char *backend = ws_crypto_backend_name(gw->cfg->crypto);
	unsigned s, w, id;
	int rc = -ENOMEM;

	assign_queues(gw);
	for (s = 0; s < gw->n_streams; s++) {
		char name[64];  /* s, w < 64: the names fit RTE_RING_NAMESIZE */

		for (w = 0; w < gw->n_workers; w++) {
			snprintf(name, sizeof(name), "ws_work_%u_%u", s, w);
			gw->work[s][w] = ring(name, WS_RING_SIZE, spsc);
			if (gw->work[s][w] == NULL)
				goto fail;
		}
		snprintf(name, sizeof(name), "ws_reorder_%u", s);
		gw->reorder[s] = rte_reorder_create(name, rte_socket_id(), WS_REORDER_SIZE);
		if (gw->reorder[s] == NULL) {
			fprintf(stderr, "wirespeed: reorder buffer: %s\n", rte_strerror(rte_errno));
			goto fail;
		}
	}
	for (w = 0; w < gw->n_workers; w++) {
		for (unsigned t = 0; t < ws_gw_n_tx(gw); t++) {
			char name[64];  /* w < 64, t < 8: the names fit RTE_RING_NAMESIZE */
			struct rte_ring **r = ws_gw_to_tx(gw, w, t);

			snprintf(name, sizeof(name), "ws_to_tx_%u_%u", w, t);
			*r = ring(name, WS_RING_SIZE, spsc);
			if (*r == NULL)
				goto fail;
		}
	}
	/* Exact size: a handshake queue's bound is its capacity. Several RX lcores feed it. */
	for (unsigned h = 0; h < ws_gw_n_hs(gw); h++) {
		char name[64];
		struct rte_ring **r = ws_gw_hs_ring(gw, h);

		snprintf(name, sizeof(name), "ws_hs_in_%u", h);
		*r = ring(name, WS_MAX_QUEUED_HANDSHAKES, RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (*r == NULL)
			goto fail;
	}
	gw->ctl_in = ring("ws_ctl_in", WS_RING_SIZE, RING_F_SC_DEQ);
	/* Control and every handshake lcore produce, TX lcore 0 consumes. */
	gw->ctl_out = ring("ws_ctl_out", WS_RING_SIZE, RING_F_SC_DEQ);
	if (gw->ctl_in == NULL || gw->ctl_out == NULL)
		goto fail;
	if (gw->events == NULL) {
		gw->events = rte_ring_create_elem("ws_events", sizeof(uint32_t),
						  WS_EVENT_RING_SIZE, (int)rte_socket_id(),
						  RING_F_SC_DEQ);
		if (gw->events == NULL) {
			fprintf(stderr, "wirespeed: events ring: %s\n", rte_strerror(rte_errno));
			goto fail;
		}
		own_events = true;
	}
	RTE_LCORE_FOREACH(id) {
		struct ws_lcore *lc = &gw->lcores[id];

		if (lc->roles == 0)
			continue;
		if (lc->roles & WS_ROLE_WORKER) {
			lc->aead = ws_aead_create(backend);
			if (lc->aead == NULL) {
				rc = errno != 0 ? -errno : -ENOMEM;
				fprintf(stderr, "wirespeed: crypto: back end \"%s\": %s\n", backend,
					strerror(errno));
				goto fail;
			}
		}
	}
	return 0;
fail:
	ws_gw_lcores_fini(gw);
	return rc;
}

int ws_gw_lcores_register(struct ws_gw *gw)
{
	unsigned id;

	RTE_LCORE_FOREACH(id) {
		struct ws_lcore *lc = &gw->lcores[id];

		if (lc->roles == 0)
			continue;
		if (rte_rcu_qsbr_thread_register(gw->rcu, lc->thread_id) != 0) {
			fprintf(stderr, "wirespeed: RCU register lcore %u: %s\n", id,
				rte_strerror(rte_errno));
			ws_gw_lcores_join(gw);
			return -rte_errno;
		}
		rcu_registered = true;
	}
	return 0;
}

/* Changes whenever this lcore moved a packet: the idle and busy detector's input. */
static uint64_t lcore_activity(const struct ws_gw *gw, const struct ws_lcore *lc)
{
	const struct ws_lcore_stats *s = lc->stats;
	uint64_t a = s->encrypted + s->decrypted + s->handshakes_in + s->handshakes_out;
	unsigned p;

	for (p = 0; p < gw->n_ports; p++)
		a += s->rx_packets[p] + s->tx_packets[p];
	return a;
}

void ws_gw_lcore_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	const uint32_t roles = lc->roles;

	lc->now = ws_gw_now();  /* one clock read per iteration, for every role */
	if (roles & WS_ROLE_RX)
		ws_rx_poll(gw, lc);
	if (roles & WS_ROLE_WORKER)
		ws_worker_poll(gw, lc);
	if (roles & WS_ROLE_TX)
		ws_tx_poll(gw, lc);
	if (roles & WS_ROLE_HANDSHAKE)
		ws_handshake_poll(gw, lc);
	if (roles & WS_ROLE_CONTROL)
		ws_control_poll(gw, lc);
	rte_rcu_qsbr_quiescent(gw->rcu, lc->thread_id);
}

int ws_gw_lcore_loop(void *arg)
{
	struct ws_gw *gw = arg;
	struct ws_lcore *lc = &gw->lcores[rte_lcore_id()];
	struct ws_lcore_stats *st = lc->stats;
	const uint32_t idle_sleep = gw->idle_sleep_us;
	uint64_t last = lcore_activity(gw, lc), t0, t1, prev = rte_rdtsc(), a;
	unsigned idle = 0;

	rte_rcu_qsbr_thread_online(gw->rcu, lc->thread_id);
	while (!__atomic_load_n(&gw->stop, __ATOMIC_RELAXED)) {
		t0 = rte_rdtsc();
		ws_gw_lcore_poll(gw, lc);
		t1 = rte_rdtsc();
		/*
		 * Busy time: the polls that moved something. A poll-mode lcore
		 * is always running; this is what it needed for its traffic.
		 */
		st->loop_cycles += t1 - prev;
		prev = t1;
		a = lcore_activity(gw, lc);
		if (a != last) {
			last = a;
			idle = 0;
			st->busy_cycles += t1 - t0;
			continue;
		}
		/*
		 * Where the cores are shared with other programs (CI, a
		 * laptop), an lcore that found nothing for a while gives its
		 * core away between polls.
		 */
		if (idle_sleep != 0 && ++idle >= IDLE_SPINS)
			rte_delay_us_sleep(idle_sleep);
	}
	lc->now = 0;
	rte_rcu_qsbr_thread_offline(gw->rcu, lc->thread_id);
	return 0;
}

int ws_gw_lcores_launch(struct ws_gw *gw)
{
	unsigned id;
	int rc;

	RTE_LCORE_FOREACH_WORKER(id) {
		if (gw->lcores[id].roles == 0)
			continue;
		rc = rte_eal_remote_launch(ws_gw_lcore_loop, gw, id);
		if (rc != 0) {
			fprintf(stderr, "wirespeed: launch on lcore %u: %s\n", id, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void ws_gw_lcores_join(struct ws_gw *gw)
{
	unsigned id;

	__atomic_store_n(&gw->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (!rcu_registered)
		return;
	RTE_LCORE_FOREACH(id)
		if (gw->lcores[id].roles != 0)
			rte_rcu_qsbr_thread_unregister(gw->rcu, gw->lcores[id].thread_id);
	rcu_registered = false;
}

static void ring_drain_free(struct rte_ring **r)
{
	struct rte_mbuf *m[WS_BURST];
	unsigned n;

	if (*r == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(*r, (void **)m, WS_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	rte_ring_free(*r);
	*r = NULL;
}

void ws_gw_lcores_fini(struct ws_gw *gw)
{
	struct rte_mbuf *m[WS_BURST];
	unsigned s, w, id, n;

	for (s = 0; s < WS_MAX_STREAMS; s++) {
		for (w = 0; w < WS_MAX_WORKERS; w++)
			ring_drain_free(&gw->work[s][w]);
		if (gw->reorder[s] != NULL) {
			while ((n = rte_reorder_drain(gw->reorder[s], m, WS_BURST)) > 0)
				rte_pktmbuf_free_bulk(m, n);
			/* Frees the mbufs still waiting behind a gap too. */
			rte_reorder_free(gw->reorder[s]);
			gw->reorder[s] = NULL;
		}
	}
	for (w = 0; w < WS_MAX_WORKERS; w++) {
		ring_drain_free(&gw->to_tx[w]);
		for (unsigned t = 1; t < WS_MAX_TX; t++)
			ring_drain_free(ws_gw_to_tx(gw, w, t));
	}
	for (unsigned h = 0; h < WS_MAX_HS; h++)
		ring_drain_free(ws_gw_hs_ring(gw, h));
	ring_drain_free(&gw->ctl_in);
	ring_drain_free(&gw->ctl_out);
	if (own_events) {
		rte_ring_free(gw->events);
		gw->events = NULL;
		own_events = false;
	}
	for (id = 0; id < RTE_MAX_LCORE; id++) {
		if (gw->lcores[id].aead != NULL) {
			ws_aead_free(gw->lcores[id].aead);
			gw->lcores[id].aead = NULL;
		}
	}
}
