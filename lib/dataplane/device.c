/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gateway's protocol objects and peers: noise identity and its
 * upcalls, cookie checker, rate limiter, the peer, index and allowed-ips
 * tables, RCU, keypair storage, the events ring, and the peer management
 * the config (and later JSON-RPC) drives.
 *
 * Keypair lifetime: storage comes from a mempool (type-stable: never given
 * back to the OS while the gateway runs, so a data-path packet holding a
 * retired keypair reads a bumped generation, never unmapped memory). A
 * retired keypair's index is removed first, then the keypair waits out an
 * RCU grace period on gw->rcu_dq before its keys are wiped and its storage
 * reused. The data path retires keypairs too (ws_noise_keypair_confirm on
 * the TX lcore); there the index drop and the retirement are deferred to
 * control through a ring, because control is the only table writer, and
 * in that order, so that no reader can find a keypair after its grace
 * period began.
 *
 * Handshake lcores: noise's upcalls insert, replace and drop indices from
 * them too. Those writes, and control's, take dev->index_lock (a spinlock:
 * index.c's rte_hash is made for one writer with lock-free readers, and
 * writes come at handshake rate, not per packet, so one lock costs
 * nothing measurable and keeps the table's lock-free read side as it is;
 * rte_hash's multi-writer mode would add per-lcore slot caches and a
 * writer lock of its own for the same effect). A data-path lcore never
 * takes it unless it shares its lcore with control or a handshake role:
 * otherwise its drops and retirements are deferred to control as before.
 * Keypair retirement off the control lcore is always deferred (the RCU
 * defer queue is control's).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "control_priv.h"
#include "ws_crypto.h"

RTE_LOG_REGISTER(ws_control_logtype, wirespeed.control, INFO);

enum {
	WS_DEV_MIN_PEERS = 256,
	WS_DEV_KP_PER_PEER = 4,         /* current, previous, next, one retiring */
	WS_DEV_RL_CAPACITY = 8192,
	WS_DEV_NEIGH_CAPACITY = 1024,
	WS_DEV_EXTRA_RULES = 1024,
};

/* ns = tsc * tsc_mult >> 32; starts at one second so that 0 never means "now". */
static uint64_t tsc_base;
static uint64_t tsc_mult;

uint64_t ws_gw_now(void)
{
	uint64_t d = rte_get_tsc_cycles() - tsc_base;

	return (uint64_t)(((unsigned __int128)d * tsc_mult) >> 32) + WS_NSEC_PER_SEC;
}

void ws_ctl_wall_clock(struct timespec *ts)
{
	/* Control only: a vDSO call, not on the data path. */
	clock_gettime(CLOCK_REALTIME, ts);
}

static bool on_control(const struct ws_gw *gw)
{
	return rte_lcore_id() == gw->control_lcore;
}

/* Control or a handshake lcore: may write the index table (under index_lock). */
static bool index_writer(const struct ws_gw *gw)
{
	unsigned id = rte_lcore_id();

	return id == gw->control_lcore ||
	       (id < RTE_MAX_LCORE && (gw->lcores[id].roles & WS_ROLE_HANDSHAKE));
}

static void index_remove_locked(struct ws_gw *gw, uint32_t idx)
{
	rte_spinlock_lock(&gw->dev->index_lock);
	ws_index_remove(gw->index, idx);
	rte_spinlock_unlock(&gw->dev->index_lock);
}

/* Noise upcalls. */

static struct ws_noise_remote *up_remote_get(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	struct ws_gw *gw = arg;
	struct ws_gw_peer *p = ws_peer_table_lookup(gw->peers, pub, NULL);

	return p == NULL ? NULL : &p->noise;
}

static int up_index_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	struct ws_gw *gw = arg;
	int ret;

	rte_spinlock_lock(&gw->dev->index_lock);
	ret = ws_index_insert(gw->index, WS_INDEX_HANDSHAKE, r, idx);
	rte_spinlock_unlock(&gw->dev->index_lock);
	return ret;
}

static struct ws_noise_remote *up_index_lookup(void *arg, uint32_t idx)
{
	struct ws_gw *gw = arg;

	return ws_index_lookup(gw->index, idx, WS_INDEX_HANDSHAKE);
}

static void up_index_keypair(void *arg, uint32_t idx, struct ws_noise_keypair *kp)
{
	struct ws_gw *gw = arg;
	int ret;

	rte_spinlock_lock(&gw->dev->index_lock);
	ret = ws_index_replace(gw->index, idx, WS_INDEX_KEYPAIR, kp);
	rte_spinlock_unlock(&gw->dev->index_lock);
	if (ret != 0)
		CTL_LOG(ERR, "index %08x vanished before its keypair", idx);
}

static void defer(struct ws_gw *gw, uint32_t kind, uint32_t idx, struct ws_noise_keypair *kp)
{
	struct ws_ctl_deferred d = { .index = idx, .kind = kind, .kp = kp };

	/* Sized for every keypair twice over: cannot be full. */
	if (rte_ring_mp_enqueue_elem(gw->dev->deferred, &d, sizeof(d)) != 0)
		CTL_LOG(ERR, "deferred ring full: index %08x kept", idx);
}

static void up_index_drop(void *arg, uint32_t idx)
{
	struct ws_gw *gw = arg;

	if (index_writer(gw))
		index_remove_locked(gw, idx);
	else
		defer(gw, WS_CTL_DEFER_INDEX, idx, NULL);
}

static struct ws_noise_keypair *up_keypair_alloc(void *arg)
{
	struct ws_gw *gw = arg;
	void *obj;

	return rte_mempool_get(gw->dev->kp_pool, &obj) == 0 ? obj : NULL;
}

static void up_keypair_release(void *arg, struct ws_noise_keypair *kp)
{
	struct ws_gw *gw = arg;

	rte_mempool_put(gw->dev->kp_pool, kp);
}

static void rcu_free(struct ws_gw *gw, void *obj, uintptr_t kind)
{
	struct ws_ctl_rcu_elem e = { .obj = obj, .kind = kind };

	/* Sized for every keypair and peer at once: cannot be full. */
	if (rte_rcu_qsbr_dq_enqueue(gw->rcu_dq, &e) != 0)
		CTL_LOG(ERR, "RCU defer queue full: %s leaked",
			kind == WS_CTL_RCU_PEER ? "peer" : "keypair");
}

static void up_keypair_retire(void *arg, struct ws_noise_keypair *kp)
{
	struct ws_gw *gw = arg;

	if (on_control(gw))
		rcu_free(gw, kp, WS_CTL_RCU_KEYPAIR);
	else
		defer(gw, WS_CTL_DEFER_RETIRE, 0, kp);
}

static void rcu_free_cb(void *p, void *e, unsigned n)
{
	struct ws_ctl_rcu_elem *el = e;

	RTE_SET_USED(p);
	for (unsigned i = 0; i < n; i++) {
		if (el[i].kind == WS_CTL_RCU_KEYPAIR)
			ws_noise_keypair_free(el[i].obj);
		else
			rte_free(el[i].obj);
	}
}

void ws_ctl_run_deferred(struct ws_gw *gw)
{
	struct ws_ctl_deferred d[WS_CTL_BURST];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst_elem(gw->dev->deferred, d, sizeof(d[0]),
						   RTE_DIM(d), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (d[i].kind == WS_CTL_DEFER_INDEX)
				index_remove_locked(gw, d[i].index);
			else
				rcu_free(gw, d[i].kp, WS_CTL_RCU_KEYPAIR);
		}
	}
}

/* Data-path facing helpers. */

void ws_gw_peer_event(struct ws_gw *gw, struct ws_gw_peer *p, uint32_t ev, uint64_t now)
{
	uint32_t old;

	/* The set bits only: a data packet's flush has two of the nine. */
	for (uint32_t rest = ev & ((1u << WS_EV_COUNT) - 1); rest != 0; rest &= rest - 1)
		__atomic_store_n(&p->ev_stamp[__builtin_ctz(rest)], now, __ATOMIC_RELAXED);
	/*
	 * Bits already pending need no locked read-modify-write: control
	 * has not taken them yet, or holds the peer (WS_EV_STAMPS), and
	 * reads the stamps just written when it looks. Most packets of a
	 * busy peer end here.
	 */
	if ((__atomic_load_n(&p->ev_pending, __ATOMIC_ACQUIRE) & ev) == ev)
		return;
	/*
	 * Only a change from "not queued" (nothing pending, or held) to
	 * queued posts the id, so the ring holds each peer at most once. If
	 * it ever failed, control's timer sweep still finds the pending word.
	 */
	old = __atomic_fetch_or(&p->ev_pending, ev, __ATOMIC_RELEASE);
	if (old == 0 || old == (WS_EV_HELD | WS_EV_STAMPS))
		rte_ring_mp_enqueue_elem(gw->events, &p->id, sizeof(uint32_t));
}

int32_t ws_gw_peer_endpoint_get(struct ws_gw_peer *p, struct ws_endpoint *ep)
{
	int32_t route;
	uint32_t sn;

	do {
		sn = rte_seqlock_read_begin(&p->ep_lock);
		*ep = p->endpoint;
		route = p->ep_route;
	} while (rte_seqlock_read_retry(&p->ep_lock, sn));
	return route;
}

void ws_gw_peer_endpoint_set(struct ws_gw *gw, struct ws_gw_peer *p, const struct ws_endpoint *ep)
{
	int32_t route = gw->tunnel_port >= 0 ?
				ws_dp_route_code(gw, (unsigned)gw->tunnel_port, ep) : WS_RT_NONE;

	rte_seqlock_write_lock(&p->ep_lock);
	p->endpoint = *ep;
	p->ep_route = route;
	rte_seqlock_write_unlock(&p->ep_lock);
}

/* Peers. */

void ws_ctl_free_staged(struct ws_gw *gw, struct ws_gw_peer *p, enum ws_gw_drop why)
{
	struct rte_mbuf *m = p->staged_head, *next;

	for (; m != NULL; m = next) {
		next = ws_meta(m)->next;
		ws_ctl_drop(gw, m, why);
	}
	p->staged_head = p->staged_tail = NULL;
	p->n_staged = 0;
}

static int aips_insert(struct ws_gw *gw, uint32_t id, const struct ws_prefix *px)
{
	uint32_t v4;

	if (px->family == WS_AF_INET) {
		memcpy(&v4, px->addr, 4);
		return ws_allowedips_insert_v4(gw->allowedips, rte_be_to_cpu_32(v4), px->len, id);
	}
	if (px->family == WS_AF_INET6)
		return ws_allowedips_insert_v6(gw->allowedips, px->addr, px->len, id);
	return -EINVAL;
}

/*
 * The timers' jitter needs no secrecy, only spread: DPDK's per-lcore
 * generator, not a getrandom() system call per data-sent event.
 */
static uint32_t timers_rand(void *ctx)
{
	RTE_SET_USED(ctx);
	return (uint32_t)(rte_rand() >> 32);
}

static struct ws_gw_peer *peer_find(struct ws_gw *gw, const uint8_t pub[WS_KEY_LEN])
{
	return ws_peer_table_lookup(gw->peers, pub, NULL);
}

static void peer_teardown(struct ws_gw *gw, struct ws_gw_peer *p, bool in_table)
{
	ws_allowedips_remove_by_peer(gw->allowedips, p->id);
	ws_timers_stop(&p->timers);
	ws_ctl_timer_stop(gw, p);
	/* Wipes the handshake; keypairs go through retire, indices through drop. */
	ws_noise_remote_destroy(&p->noise);
	ws_cookie_maker_destroy(&p->cookie);
	ws_ctl_free_staged(gw, p, WS_GW_DROP_NO_PEER);
	if (in_table)
		ws_peer_table_remove(gw->peers, p->noise.public_key);
	ws_ctl_run_deferred(gw);
	/* Readers may hold the peer until their next quiescent state. */
	rcu_free(gw, p, WS_CTL_RCU_PEER);
}

_Static_assert(WS_EV_STAMPS == (1u << WS_EV_N_STAMPS) - 1, "stamp-only events are the lowest bits");
/* ws_dp_peer_prefetch and control's ctl_peer_prefetch cover what they name. */
_Static_assert(offsetof(struct ws_gw_peer, noise.next) + sizeof(void *) -
		       offsetof(struct ws_gw_peer, id) <= RTE_CACHE_LINE_SIZE,
	       "id, events, endpoint and keypair slots share one cache line");
_Static_assert(offsetof(struct ws_gw_peer, ev_stamp[WS_EV_N_STAMPS]) -
		       offsetof(struct ws_gw_peer, rx_bytes) <= RTE_CACHE_LINE_SIZE,
	       "counters and the stamps of every packet share one cache line");
_Static_assert(offsetof(struct ws_gw_peer, wheel_link) + sizeof(((struct ws_gw_peer *)0)->wheel_link) -
		       offsetof(struct ws_gw_peer, timer_at) <= RTE_CACHE_LINE_SIZE,
	       "a wheel walk reads one line per entry");
_Static_assert(offsetof(struct ws_gw_peer, timers) + sizeof(struct ws_timers) -
		       offsetof(struct ws_gw_peer, timer_at) <= 3 * RTE_CACHE_LINE_SIZE,
	       "what control looks at fills three cache lines at most");

int ws_gw_peer_add(struct ws_gw *gw, const struct ws_config_peer *cp)
{
	struct ws_gw_peer *p;
	uint64_t now = ws_gw_now();
	int ret;

	if (peer_find(gw, cp->public_key) != NULL)
		return -EEXIST;
	p = rte_zmalloc_socket("ws_peer", sizeof(*p), RTE_CACHE_LINE_SIZE, rte_socket_id());
	if (p == NULL)
		return -ENOMEM;
	ret = ws_noise_remote_init(&p->noise, &gw->noise, cp->public_key,
				   cp->has_preshared_key ? cp->preshared_key : NULL);
	if (ret != 0) {
		rte_free(p);
		return ret;
	}
	ws_cookie_maker_init(&p->cookie, cp->public_key);
	ws_timers_init(&p->timers, timers_rand, NULL);
	p->timer_at = UINT64_MAX;
	rte_seqlock_init(&p->ep_lock);
	rte_spinlock_init(&p->window_lock);
	ws_gw_peer_endpoint_set(gw, p, &cp->endpoint);
	ret = ws_peer_table_add(gw->peers, cp->public_key, p, &p->id);
	if (ret == 0 && p->id > WS_ALLOWEDIPS_MAX_PEER)
		ret = -ENOSPC;
	if (ret != 0) {
		bool in_table = ret == -ENOSPC && ws_peer_table_get(gw->peers, p->id) == p;

		peer_teardown(gw, p, in_table);
		return ret;
	}
	for (unsigned i = 0; i < cp->n_allowed_ips; i++) {
		ret = aips_insert(gw, p->id, &cp->allowed_ips[i]);
		if (ret != 0) {
			peer_teardown(gw, p, true);
			return ret;
		}
	}
	p->persistent_keepalive = cp->persistent_keepalive;
	if (cp->persistent_keepalive != 0 &&
	    (ws_timers_set_persistent_keepalive(&p->timers, cp->persistent_keepalive, now) &
	     WS_TIMERS_SEND_KEEPALIVE))
		/* Control sends it (a handshake first) on its next poll. */
		ws_gw_peer_event(gw, p, WS_EV_WANT_HANDSHAKE, now);
	ws_ctl_timer_arm(gw, p, now);
	CTL_LOG(INFO, "peer %u added (%u allowed-ips, keepalive %us)", p->id,
		cp->n_allowed_ips, cp->persistent_keepalive);
	return 0;
}

int ws_gw_peer_remove(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN])
{
	struct ws_gw_peer *p = peer_find(gw, pubkey);

	if (p == NULL)
		return -ENOENT;
	CTL_LOG(INFO, "peer %u removed", p->id);
	peer_teardown(gw, p, true);
	return 0;
}

int ws_gw_peer_set_endpoint(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN],
			    const struct ws_endpoint *ep)
{
	struct ws_gw_peer *p = peer_find(gw, pubkey);

	if (p == NULL)
		return -ENOENT;
	if (ep->family != WS_AF_INET && ep->family != WS_AF_INET6)
		return -EINVAL;
	ws_gw_peer_endpoint_set(gw, p, ep);
	return 0;
}

int ws_gw_peer_set_allowed_ips(struct ws_gw *gw, const uint8_t pubkey[WS_KEY_LEN],
			       const struct ws_prefix *ips, unsigned n)
{
	struct ws_gw_peer *p = peer_find(gw, pubkey);
	int ret;

	if (p == NULL)
		return -ENOENT;
	/* Between the two steps the peer's prefixes briefly route nowhere (NO_PEER). */
	ret = ws_allowedips_remove_by_peer(gw->allowedips, p->id);
	for (unsigned i = 0; ret == 0 && i < n; i++)
		ret = aips_insert(gw, p->id, &ips[i]);
	return ret;
}

/* Init and fini. */

static void kp_obj_init(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	RTE_SET_USED(mp);
	RTE_SET_USED(arg);
	RTE_SET_USED(idx);
	memset(obj, 0, sizeof(struct ws_noise_keypair));
}

static int neigh_init(struct ws_gw *gw)
{
	struct ws_neigh_params np = {
		.name = "ws_neigh",
		.capacity = WS_DEV_NEIGH_CAPACITY,
		.socket_id = rte_socket_id(),
		.qsv = gw->rcu,
		.reachable_ns = (uint64_t)gw->neigh_reachable_ms * 1000000ull,
	};
	const struct ws_config *cfg = gw->cfg;

	if (gw->neigh == NULL) {
		if (cfg->n_neighbors + 64 > np.capacity)
			np.capacity = cfg->n_neighbors + 64;
		gw->neigh = ws_neigh_create(&np);
		if (gw->neigh == NULL)
			return -rte_errno;
		gw->dev->own_neigh = true;
	}
	for (unsigned i = 0; i < cfg->n_neighbors; i++) {
		const struct ws_config_neighbor *nb = &cfg->neighbors[i];
		struct rte_ether_addr mac;
		int ret;

		memcpy(&mac, nb->mac, sizeof(mac));     /* the config's bytes are not 2-aligned */
		ret = ws_neigh_set_static(gw->neigh, nb->addr.family, nb->addr.addr, &mac);

		if (ret != 0)
			return ret;
	}
	return 0;
}

static int tables_init(struct ws_gw *gw, uint32_t peer_cap, uint32_t n_kp)
{
	const struct ws_config *cfg = gw->cfg;
	int socket = rte_socket_id();
	/* Peers added later (gw->max_peers, bind) get one IPv4 prefix each. */
	uint32_t v4 = WS_DEV_EXTRA_RULES + gw->max_peers, v6 = WS_DEV_EXTRA_RULES;

	for (unsigned i = 0; i < cfg->n_peers; i++)
		for (unsigned j = 0; j < cfg->peers[i].n_allowed_ips; j++) {
			if (cfg->peers[i].allowed_ips[j].family == WS_AF_INET)
				v4++;
			else
				v6++;
		}
	/* One rate limiter per handshake lcore: RX sends each source to one of them. */
	for (unsigned h = 0; h < ws_gw_n_hs(gw); h++) {
		struct ws_ratelimiter **rl = ws_gw_hs_ratelimiter(gw, h);
		char name[32];

		snprintf(name, sizeof(name), "ws_rl_%u", h);
		*rl = ws_ratelimiter_create(name, WS_DEV_RL_CAPACITY, socket);
		if (*rl == NULL)
			return -rte_errno;
	}
	gw->peers = ws_peer_table_create("ws_peers", peer_cap, socket, gw->rcu);
	if (gw->peers == NULL)
		return -rte_errno;
	gw->index = ws_index_create("ws_index", n_kp + peer_cap, socket, gw->rcu);
	if (gw->index == NULL)
		return -rte_errno;
	gw->allowedips = ws_allowedips_create("ws_aips", v4, v6, socket);
	if (gw->allowedips == NULL)
		return -rte_errno;
	return 0;
}

static int noise_init(struct ws_gw *gw)
{
	const struct ws_noise_upcalls u = {
		.arg = gw,
		.remote_get = up_remote_get,
		.index_alloc = up_index_alloc,
		.index_lookup = up_index_lookup,
		.index_keypair = up_index_keypair,
		.index_drop = up_index_drop,
		.keypair_alloc = up_keypair_alloc,
		.keypair_release = up_keypair_release,
		.keypair_retire = up_keypair_retire,
	};
	uint8_t pub[WS_KEY_LEN];
	int ret;

	ret = ws_noise_local_init(&gw->noise, &u);
	if (ret != 0)
		return ret;
	ret = ws_noise_local_set_private(&gw->noise, gw->cfg->interface.private_key);
	if (ret != 0)
		return ret;
	if (!ws_noise_local_public(&gw->noise, pub))
		return -EINVAL;
	ws_cookie_checker_init(&gw->cookie, pub, ws_gw_now());
	return 0;
}

int ws_gw_device_init(struct ws_gw *gw)
{
	struct ws_gw_device *dev;
	int socket = rte_socket_id();
	uint32_t peer_cap, n_kp, dq_size;
	int ret;

	if (ws_crypto_init() < 0)
		return -EIO;
	tsc_base = rte_get_tsc_cycles();
	tsc_mult = (uint64_t)(((unsigned __int128)WS_NSEC_PER_SEC << 32) / rte_get_tsc_hz());

	dev = rte_zmalloc_socket("ws_gw_device", sizeof(*dev), RTE_CACHE_LINE_SIZE, socket);
	if (dev == NULL)
		return -ENOMEM;
	dev->gw = gw;
	rte_spinlock_init(&dev->index_lock);
	for (unsigned i = 0; i < WS_CTL_WHEEL_SLOTS; i++)
		TAILQ_INIT(&dev->wheel[i]);
	dev->wheel_next = ws_gw_now() / WS_CTL_TIMER_TICK_NS;
	gw->dev = dev;
	peer_cap = rte_align32pow2(RTE_MAX(gw->cfg->n_peers, gw->max_peers) + WS_DEV_MIN_PEERS);
	n_kp = peer_cap * WS_DEV_KP_PER_PEER;
	dev->peer_capacity = peer_cap;

	if (gw->rcu == NULL) {
		size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

		gw->rcu = rte_zmalloc_socket("ws_rcu", sz, RTE_CACHE_LINE_SIZE, socket);
		if (gw->rcu == NULL) {
			ret = -ENOMEM;
			goto err;
		}
		dev->own_rcu = true;
		rte_rcu_qsbr_init(gw->rcu, RTE_MAX_LCORE);
	}
	dev->kp_pool = rte_mempool_create("ws_keypairs", n_kp, sizeof(struct ws_noise_keypair),
					  0, 0, NULL, NULL, kp_obj_init, NULL, socket, 0);
	if (dev->kp_pool == NULL) {
		ret = -rte_errno;
		goto err;
	}
	dq_size = n_kp + peer_cap;
	struct rte_rcu_qsbr_dq_parameters dqp = {
		.name = "ws_rcu_dq",
		.size = dq_size,
		.esize = sizeof(struct ws_ctl_rcu_elem),
		.trigger_reclaim_limit = dq_size / 8,
		.max_reclaim_size = 64,
		.free_fn = rcu_free_cb,
		.p = gw,
		.v = gw->rcu,
	};
	gw->rcu_dq = rte_rcu_qsbr_dq_create(&dqp);
	if (gw->rcu_dq == NULL) {
		ret = -rte_errno;
		goto err;
	}
	dev->deferred = rte_ring_create_elem("ws_ctl_deferred", sizeof(struct ws_ctl_deferred),
					     rte_align32pow2(2 * n_kp + 1), socket, RING_F_SC_DEQ);
	if (dev->deferred == NULL) {
		ret = -rte_errno;
		goto err;
	}
	if (gw->events == NULL) {
		/* uint32_t peer ids, each at most once: the app's ring has the same shape. */
		gw->events = rte_ring_create_elem("ws_events", sizeof(uint32_t),
						  rte_align32pow2(peer_cap + 1), socket, RING_F_SC_DEQ);
		if (gw->events == NULL) {
			ret = -rte_errno;
			goto err;
		}
		dev->own_events = true;
	}
	ret = tables_init(gw, peer_cap, n_kp);
	if (ret == 0)
		ret = noise_init(gw);
	if (ret == 0)
		ret = neigh_init(gw);
	if (ret != 0)
		goto err;
	dev->seqn = 0;
	CTL_LOG(INFO, "device ready: room for %u peers, %u keypairs", peer_cap, n_kp);
	return 0;
err:
	CTL_LOG(ERR, "device init failed: %s", rte_strerror(-ret));
	ws_gw_device_fini(gw);
	return ret;
}

static int remove_cb(void *arg, uint32_t id, void *obj)
{
	RTE_SET_USED(id);
	peer_teardown(arg, obj, true);
	return 0;
}

void ws_gw_device_fini(struct ws_gw *gw)
{
	struct ws_gw_device *dev = gw->dev;
	uint32_t id;

	if (dev == NULL)
		return;
	/* Every lcore has stopped: nobody reads any more, grace periods end at once. */
	if (gw->rcu != NULL)
		for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
			rte_rcu_qsbr_thread_offline(gw->rcu, i);
	if (dev->deferred != NULL && gw->index != NULL && gw->rcu_dq != NULL)
		ws_ctl_run_deferred(gw);
	if (gw->peers != NULL && gw->rcu_dq != NULL)
		ws_peer_table_walk(gw->peers, remove_cb, gw);
	ws_ctl_neigh_free_held(gw);
	if (gw->events != NULL)
		while (rte_ring_dequeue_elem(gw->events, &id, sizeof(id)) == 0)
			;
	if (gw->rcu_dq != NULL && rte_rcu_qsbr_dq_delete(gw->rcu_dq) != 0)
		CTL_LOG(ERR, "RCU defer queue not empty at exit");
	gw->rcu_dq = NULL;
	ws_noise_local_destroy(&gw->noise);
	ws_cookie_checker_destroy(&gw->cookie);
	ws_index_free(gw->index);
	gw->index = NULL;
	ws_peer_table_free(gw->peers);
	gw->peers = NULL;
	ws_allowedips_free(gw->allowedips);
	gw->allowedips = NULL;
	for (unsigned h = 0; h < WS_MAX_HS; h++) {
		ws_ratelimiter_free(*ws_gw_hs_ratelimiter(gw, h));
		*ws_gw_hs_ratelimiter(gw, h) = NULL;
	}
	if (dev->own_neigh) {
		ws_neigh_free(gw->neigh);
		gw->neigh = NULL;
	}
	if (dev->own_events) {
		rte_ring_free(gw->events);
		gw->events = NULL;
	}
	rte_ring_free(dev->deferred);
	rte_mempool_free(dev->kp_pool);
	if (dev->own_rcu) {
		rte_free(gw->rcu);
		gw->rcu = NULL;
	}
	rte_free(dev);
	gw->dev = NULL;
}
