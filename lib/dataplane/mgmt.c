/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The management thread (DESIGN.md §1, §4): a DPDK control thread, never
 * an lcore, serving JSON-RPC on management.jsonrpc and, when
 * management.uapi is set, the WireGuard UAPI on
 * /var/run/wireguard/<name>.sock; and the request path to the control
 * lcore both it and the telemetry callbacks use (mgmt_priv.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "mgmt_priv.h"
#include "ws_crypto.h"

RTE_LOG_REGISTER(ws_mgmt_logtype, wirespeed.mgmt, INFO);
#define MGMT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, ws_mgmt_logtype, "wirespeed.mgmt: " fmt "\n", ##__VA_ARGS__)

struct ws_mgmt_req *ws_mgmt_req_new(uint32_t op)
{
	struct ws_mgmt_req *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->op = op;
	return r;
}

void ws_mgmt_peers_free(struct ws_mgmt_peer *p, unsigned n)
{
	for (unsigned i = 0; p != NULL && i < n; i++)
		free(p[i].allowed_ips);
	if (p != NULL)
		ws_memzero(p, n * sizeof(*p));
	free(p);
}

void ws_mgmt_req_free(struct ws_mgmt_req *r)
{
	if (r == NULL)
		return;
	free(r->peer.allowed_ips);
	ws_mgmt_peers_free(r->peers, r->n_peers);
	ws_memzero(r, sizeof(*r));
	free(r);
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

int ws_mgmt_call(struct ws_gw_mgmt *m, struct ws_mgmt_req *r)
{
	uint32_t expect = WS_MGMT_PENDING;
	unsigned waited_us = 0, step = 20;
	int ret = 0;

	if (__atomic_load_n(&m->gw->stop, __ATOMIC_ACQUIRE))
		ret = -ESHUTDOWN;
	else if (__atomic_load_n(&m->stalled, __ATOMIC_ACQUIRE) != 0)
		ret = -EBUSY;
	if (ret != 0) {
		ws_mgmt_req_free(r);
		return ret;
	}
	r->state = WS_MGMT_PENDING;
	if (rte_ring_mp_enqueue(m->ring, r) != 0) {
		ws_mgmt_req_free(r);
		return -ENOBUFS;
	}
	/* Short sleeps, growing to 1 ms: most requests finish within one control poll. */
	while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == WS_MGMT_PENDING) {
		if (waited_us >= m->timeout_ms * 1000u ||
		    __atomic_load_n(&m->gw->stop, __ATOMIC_ACQUIRE)) {
			/* Counted first: control may take r the moment it is marked. */
			__atomic_fetch_add(&m->stalled, 1, __ATOMIC_ACQ_REL);
			if (__atomic_compare_exchange_n(&r->state, &expect, WS_MGMT_ABANDONED, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				/* Control (or ws_gw_mgmt_stop's drain) frees it. */
				return m->gw->stop ? -ESHUTDOWN : -ETIMEDOUT;
			__atomic_fetch_sub(&m->stalled, 1, __ATOMIC_ACQ_REL);
			break;  /* done meanwhile */
		}
		sleep_us(step);
		waited_us += step;
		if (step < 1000)
			step *= 2;
	}
	return 0;
}

int ws_mgmt_list_all(struct ws_gw_mgmt *m, bool secrets, struct ws_mgmt_peer **out, unsigned *n)
{
	struct ws_mgmt_peer *all = NULL;
	unsigned n_all = 0, cap = 0;
	uint32_t start = 0;
	int ret;

	while (start != UINT32_MAX) {
		struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_PEER_LIST);

		if (r == NULL) {
			ret = -ENOMEM;
			goto err;
		}
		r->list_start = start;
		r->list_max = WS_MGMT_LIST_CHUNK;
		r->mask = secrets ? WS_MGMT_F_WANT_SECRETS : 0;
		ret = ws_mgmt_call(m, r);
		if (ret != 0)
			goto err;
		if (r->result != 0) {
			ret = r->result;
			ws_mgmt_req_free(r);
			goto err;
		}
		if (n_all + r->n_peers > cap) {
			unsigned ncap = cap != 0 ? cap : 64;
			struct ws_mgmt_peer *p;

			while (ncap < n_all + r->n_peers)
				ncap *= 2;
			p = realloc(all, ncap * sizeof(*p));
			if (p == NULL) {
				ws_mgmt_req_free(r);
				ret = -ENOMEM;
				goto err;
			}
			all = p;
			cap = ncap;
		}
		/* The allowed-ips arrays move to the caller's list. */
		if (r->n_peers > 0)
			memcpy(all + n_all, r->peers, r->n_peers * sizeof(*all));
		n_all += r->n_peers;
		for (unsigned i = 0; i < r->n_peers; i++)
			r->peers[i].allowed_ips = NULL;
		start = r->list_next;
		ws_mgmt_req_free(r);
	}
	*out = all;
	*n = n_all;
	return 0;
err:
	ws_mgmt_peers_free(all, n_all);
	return ret;
}

unsigned ws_mgmt_serve(struct ws_gw_mgmt *m, ws_mgmt_exec_fn *exec, void *ctx, unsigned max)
{
	struct ws_mgmt_req *r;
	unsigned i;

	for (i = 0; i < max; i++) {
		uint32_t expect = WS_MGMT_PENDING;

		if (rte_ring_sc_dequeue(m->ring, (void **)&r) != 0)
			break;
		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != WS_MGMT_ABANDONED) {
			exec(ctx, r);
			if (__atomic_compare_exchange_n(&r->state, &expect, WS_MGMT_DONE, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				continue;
		}
		/* Its waiter gave up (before or meanwhile): control is moving again. */
		ws_mgmt_req_free(r);
		__atomic_fetch_sub(&m->stalled, 1, __ATOMIC_ACQ_REL);
	}
	return i;
}

struct poll_ctx {
	struct ws_gw *gw;
	uint64_t now;
};

static void poll_exec(void *arg, struct ws_mgmt_req *r)
{
	struct poll_ctx *pc = arg;

	ws_mgmt_exec(pc->gw, r, pc->now);
}

void ws_gw_mgmt_poll(struct ws_gw *gw, uint64_t now)
{
	struct ws_gw_mgmt *m = __atomic_load_n(&gw->mgmt, __ATOMIC_ACQUIRE);
	struct poll_ctx pc = { .gw = gw, .now = now };

	if (m != NULL)
		ws_mgmt_serve(m, poll_exec, &pc, WS_MGMT_PER_POLL);
}

static void *mgmt_thread(void *arg)
{
	struct ws_gw_mgmt *m = arg;

	while (!__atomic_load_n(&m->quit, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd[2] = {
			{ .fd = ws_sockserver_fd(m->rpc_srv), .events = POLLIN },
			{ .fd = m->uapi_srv != NULL ? ws_sockserver_fd(m->uapi_srv) : -1,
			  .events = POLLIN },
		};

		if (poll(pfd, 2, 200) < 0 && errno != EINTR) {
			MGMT_LOG(ERR, "poll: %s", strerror(errno));
			sleep_us(100 * 1000);
			continue;
		}
		if (pfd[0].revents != 0)
			ws_sockserver_run(m->rpc_srv, 0);
		if (m->uapi_srv != NULL && pfd[1].revents != 0)
			ws_sockserver_run(m->uapi_srv, 0);
	}
	return NULL;
}

static int uapi_start(struct ws_gw_mgmt *m)
{
	int ret = ws_uapi_socket_path(m->uapi_path, sizeof(m->uapi_path), m->gw->cfg->name);

	if (ret != 0) {
		MGMT_LOG(ERR, "UAPI: interface name \"%s\" is not one wg(8) takes",
			 m->gw->cfg->name);
		return ret;
	}
	ws_mgmt_uapi_ops(m, &m->uapi_ops);
	m->uapi_srv = ws_uapi_listen(m->uapi_path, &m->uapi_ops, 0);
	if (m->uapi_srv == NULL) {
		ret = -errno;
		MGMT_LOG(ERR, "UAPI socket %s: %s", m->uapi_path, strerror(errno));
		return ret;
	}
	return 0;
}

int ws_gw_mgmt_start(struct ws_gw *gw, const char *version)
{
	const struct ws_config_management *mc = &gw->cfg->management;
	struct ws_gw_mgmt *m;
	char name[RTE_RING_NAMESIZE];
	int ret;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->gw = gw;
	m->version = version;
	m->timeout_ms = WS_MGMT_TIMEOUT_MS;
	snprintf(name, sizeof(name), "ws_mgmt_%d", (int)getpid());
	m->ring = rte_ring_create(name, WS_MGMT_RING_SIZE, rte_socket_id(), RING_F_SC_DEQ);
	if (m->ring == NULL) {
		ret = -rte_errno;
		goto err;
	}
	m->rpc = ws_rpc_create(m);
	if (m->rpc == NULL) {
		ret = -ENOMEM;
		goto err;
	}
	ret = ws_mgmt_rpc_register(m);
	if (ret != 0)
		goto err;
	snprintf(m->rpc_path, sizeof(m->rpc_path), "%s", mc->jsonrpc);
	m->rpc_srv = ws_rpc_listen(m->rpc, m->rpc_path, WS_MGMT_RPC_MAX_REQUEST);
	if (m->rpc_srv == NULL) {
		ret = -errno;
		MGMT_LOG(ERR, "JSON-RPC socket %s: %s", m->rpc_path, strerror(errno));
		goto err;
	}
	if (mc->uapi) {
		ret = uapi_start(m);
		if (ret != 0)
			goto err;
	}
	/* Requests may flow from here on: control polls gw->mgmt. */
	__atomic_store_n(&gw->mgmt, m, __ATOMIC_RELEASE);
	if (mc->telemetry) {
		ret = ws_mgmt_telemetry_register(m);
		if (ret != 0)
			MGMT_LOG(WARNING, "telemetry commands not registered: %s", strerror(-ret));
		else
			m->telemetry = true;
	}
	ret = rte_ctrl_thread_create(&m->thread, "ws-mgmt", NULL, mgmt_thread, m);
	if (ret != 0) {
		ret = -ret;
		goto err_published;
	}
	m->thread_running = true;
	MGMT_LOG(INFO, "JSON-RPC on %s%s%s", m->rpc_path, m->uapi_srv != NULL ? ", UAPI on " : "",
		 m->uapi_srv != NULL ? m->uapi_path : "");
	return 0;
err_published:
	ws_mgmt_telemetry_detach();
	__atomic_store_n(&gw->mgmt, NULL, __ATOMIC_RELEASE);
err:
	MGMT_LOG(ERR, "management start failed: %s", strerror(-ret));
	ws_sockserver_destroy(m->uapi_srv);
	ws_sockserver_destroy(m->rpc_srv);
	ws_rpc_destroy(m->rpc);
	rte_ring_free(m->ring);
	free(m);
	return ret;
}

void ws_gw_mgmt_stop(struct ws_gw *gw)
{
	struct ws_gw_mgmt *m = gw->mgmt;
	struct ws_mgmt_req *r;

	if (m == NULL)
		return;
	__atomic_store_n(&m->quit, true, __ATOMIC_RELEASE);
	if (m->thread_running) {
		ws_sockserver_wake(m->rpc_srv);
		pthread_join(m->thread, NULL);
	}
	/* Telemetry callbacks wait no longer once gw->stop is set; then none runs. */
	ws_mgmt_telemetry_detach();
	__atomic_store_n(&gw->mgmt, NULL, __ATOMIC_RELEASE);
	/* The control lcore has stopped: what is left was abandoned by its waiter. */
	while (rte_ring_sc_dequeue(m->ring, (void **)&r) == 0)
		ws_mgmt_req_free(r);
	ws_sockserver_destroy(m->uapi_srv);
	ws_sockserver_destroy(m->rpc_srv);
	ws_rpc_destroy(m->rpc);
	rte_ring_free(m->ring);
	free(m);
}
