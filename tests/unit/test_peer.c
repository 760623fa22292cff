/* SPDX-License-Identifier: GPL-2.0-only */
/* Peer table: dense ids, duplicates, 100k peers, walk order, RCU id reuse, concurrency. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#define WS_TEST_WITH_EAL
#include "test_common.h"

#include "peer.h"
#include "ws_crypto.h"

/* A stand-in peer: its key, so that a reader can tell whose object it got. */
struct peer {
	uint8_t key[WS_KEY_LEN];
};

/* Distinct keys: the number in the first bytes, random-looking filler after. */
static struct peer *peers_alloc(unsigned n, uint64_t salt)
{
	struct peer *p = calloc(n, sizeof(*p));

	CU_ASSERT_FATAL(p != NULL);
	for (unsigned i = 0; i < n; i++) {
		uint64_t s = salt ^ ((uint64_t)i << 32);

		memcpy(p[i].key, &i, sizeof(i));
		for (unsigned b = sizeof(i); b < WS_KEY_LEN; b += 4) {
			uint32_t r = (uint32_t)ws_test_rand(&s);
			memcpy(&p[i].key[b], &r, 4);
		}
	}
	return p;
}

static struct rte_rcu_qsbr *qsbr_create(uint32_t threads)
{
	struct rte_rcu_qsbr *v = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(threads),
					     RTE_CACHE_LINE_SIZE);

	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_FATAL(rte_rcu_qsbr_init(v, threads) == 0);
	return v;
}

static void test_create_invalid(void)
{
	CU_ASSERT_PTR_NULL(ws_peer_table_create("small", 7, SOCKET_ID_ANY, NULL));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_PTR_NULL(ws_peer_table_create(NULL, 64, SOCKET_ID_ANY, NULL));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);

	/* Same caller name twice, with RCU: internal names must not clash. */
	struct rte_rcu_qsbr *v = qsbr_create(1);
	struct ws_peer_table *a = ws_peer_table_create("wg0-with-a-long-name", 8,
						       SOCKET_ID_ANY, v);
	struct ws_peer_table *b = ws_peer_table_create("wg0-with-a-long-name", 8,
						       SOCKET_ID_ANY, v);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	ws_peer_table_free(a);
	ws_peer_table_free(b);
	ws_peer_table_free(NULL);
	rte_free(v);
}

static void test_add_lookup_remove(void)
{
	enum { CAP = 16, N = 5 };
	struct ws_peer_table *t = ws_peer_table_create("basic", CAP, SOCKET_ID_ANY, NULL);
	struct peer *p = peers_alloc(N + 1, 1);
	uint32_t id[N], got;

	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(ws_peer_table_capacity(t), CAP);
	for (unsigned i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(t, p[i].key, &p[i], &id[i]), 0);
		CU_ASSERT(id[i] < CAP);
		for (unsigned j = 0; j < i; j++)
			CU_ASSERT(id[i] != id[j]);
	}
	CU_ASSERT_EQUAL(ws_peer_table_count(t), N);
	for (unsigned i = 0; i < N; i++) {
		got = UINT32_MAX;
		CU_ASSERT_PTR_EQUAL(ws_peer_table_lookup(t, p[i].key, &got), &p[i]);
		CU_ASSERT_EQUAL(got, id[i]);
		CU_ASSERT_PTR_EQUAL(ws_peer_table_lookup(t, p[i].key, NULL), &p[i]);
		CU_ASSERT_PTR_EQUAL(ws_peer_table_get(t, id[i]), &p[i]);
	}
	got = 12345;
	CU_ASSERT_PTR_NULL(ws_peer_table_lookup(t, p[N].key, &got));
	CU_ASSERT_EQUAL(got, 12345);
	CU_ASSERT_PTR_NULL(ws_peer_table_get(t, CAP));
	CU_ASSERT_PTR_NULL(ws_peer_table_get(t, UINT32_MAX));

	/* A duplicate key changes nothing, whatever object comes with it. */
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[2].key, &p[N], &got), -EEXIST);
	CU_ASSERT_PTR_EQUAL(ws_peer_table_lookup(t, p[2].key, NULL), &p[2]);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[N].key, NULL, &got), -EINVAL);
	CU_ASSERT_PTR_NULL(ws_peer_table_lookup(t, p[N].key, NULL));
	CU_ASSERT_EQUAL(ws_peer_table_count(t), N);

	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[2].key), 0);
	CU_ASSERT_PTR_NULL(ws_peer_table_lookup(t, p[2].key, NULL));
	CU_ASSERT_PTR_NULL(ws_peer_table_get(t, id[2]));
	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[2].key), -ENOENT);
	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[N].key), -ENOENT);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), N - 1);
	CU_ASSERT_PTR_EQUAL(ws_peer_table_get(t, id[3]), &p[3]);

	/* Removed, it can come back. */
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[2].key, &p[2], &id[2]), 0);
	CU_ASSERT_PTR_EQUAL(ws_peer_table_get(t, id[2]), &p[2]);
	ws_peer_table_free(t);
	free(p);
}

static void test_ids_dense_and_reused(void)
{
	enum { CAP = 32 };
	struct ws_peer_table *t = ws_peer_table_create("dense", CAP, SOCKET_ID_ANY, NULL);
	struct peer *p = peers_alloc(CAP + 3, 2);
	uint32_t id[CAP + 3], owner[CAP];
	bool seen[CAP] = {false};

	CU_ASSERT_FATAL(t != NULL);
	for (unsigned i = 0; i < CAP; i++) {
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(t, p[i].key, &p[i], &id[i]), 0);
		CU_ASSERT_FATAL(id[i] < CAP);
		CU_ASSERT(!seen[id[i]]);
		seen[id[i]] = true;
		owner[id[i]] = i;
	}
	/* A full table: the ids are exactly 0..CAP-1. */
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP].key, &p[CAP], &id[CAP]), -ENOSPC);
	CU_ASSERT_PTR_NULL(ws_peer_table_lookup(t, p[CAP].key, NULL));

	/* The only free id is the one just released. */
	unsigned victim = owner[7];
	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[victim].key), 0);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP].key, &p[CAP], &id[CAP]), 0);
	CU_ASSERT_EQUAL(id[CAP], 7);
	CU_ASSERT_PTR_EQUAL(ws_peer_table_get(t, 7), &p[CAP]);

	static const uint32_t freed[] = {3, 10, 20};
	bool back[CAP] = {false};
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[owner[freed[i]]].key), 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), CAP - 3);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_PTR_NULL(ws_peer_table_get(t, freed[i]));
	for (unsigned i = 0; i < 2; i++) {
		uint32_t got;
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(t, p[owner[freed[i]]].key,
							&p[owner[freed[i]]], &got), 0);
		CU_ASSERT_FATAL(got < CAP);
		back[got] = true;
	}
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP + 1].key, &p[CAP + 1], &id[CAP + 1]), 0);
	CU_ASSERT_FATAL(id[CAP + 1] < CAP);
	back[id[CAP + 1]] = true;
	CU_ASSERT(back[3] && back[10] && back[20]);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP + 2].key, &p[CAP + 2], &id[CAP + 2]),
			-ENOSPC);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), CAP);
	ws_peer_table_free(t);
	free(p);
}

struct walk_state {
	struct ws_peer_table *t;
	const struct peer *base;
	const int *owner;               /* expected: id -> index into base, or -1 */
	int64_t last_id;
	unsigned visits, out_of_order, wrong, stop_after, remove_every;
};

static int walk_cb(void *arg, uint32_t id, void *obj)
{
	struct walk_state *w = arg;
	const struct peer *p = obj;

	w->out_of_order += (int64_t)id <= w->last_id;
	w->last_id = id;
	w->wrong += ws_peer_table_get(w->t, id) != obj;
	w->wrong += ws_peer_table_lookup(w->t, p->key, NULL) != obj;
	w->visits++;
	if (w->remove_every != 0 && (p - w->base) % w->remove_every == 0)
		w->wrong += ws_peer_table_remove(w->t, p->key) != 0;
	if (w->stop_after != 0 && w->visits == w->stop_after)
		return 42;
	return 0;
}

static void test_walk(void)
{
	enum { CAP = 64, N = 40 };
	struct ws_peer_table *t = ws_peer_table_create("walk", CAP, SOCKET_ID_ANY, NULL);
	struct peer *p = peers_alloc(N, 3);
	struct walk_state w;

	CU_ASSERT_FATAL(t != NULL);
	w = (struct walk_state){.t = t, .last_id = -1};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.visits, 0);

	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(t, p[i].key, &p[i], NULL), 0);
	for (unsigned i = 0; i < N; i += 3)
		CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[i].key), 0);
	unsigned live = N - (N + 2) / 3;

	w = (struct walk_state){.t = t, .base = p, .last_id = -1};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.visits, live);
	CU_ASSERT_EQUAL(w.out_of_order, 0);
	CU_ASSERT_EQUAL(w.wrong, 0);

	w = (struct walk_state){.t = t, .base = p, .last_id = -1, .stop_after = 5};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, walk_cb, &w), 42);
	CU_ASSERT_EQUAL(w.visits, 5);

	/* The callback may remove the peer it is given. */
	w = (struct walk_state){.t = t, .base = p, .last_id = -1, .remove_every = 2};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.visits, live);
	CU_ASSERT_EQUAL(w.wrong, 0);
	unsigned removed = 0;
	for (unsigned i = 0; i < N; i++)
		removed += i % 3 != 0 && i % 2 == 0;
	CU_ASSERT_EQUAL(ws_peer_table_count(t), live - removed);
	for (unsigned i = 0; i < N; i++) {
		bool present = i % 3 != 0 && i % 2 != 0;
		CU_ASSERT_EQUAL(ws_peer_table_lookup(t, p[i].key, NULL) != NULL, present);
	}
	ws_peer_table_free(t);
	free(p);
}

/* Checks order and, against w->owner, that each id leads to the right peer. */
static int owner_cb(void *arg, uint32_t id, void *obj)
{
	struct walk_state *w = arg;

	w->out_of_order += (int64_t)id <= w->last_id;
	w->last_id = id;
	w->wrong += w->owner[id] < 0 || &w->base[w->owner[id]] != obj;
	w->visits++;
	return 0;
}

static void test_100k_peers(void)
{
	enum { N = 100000 };
	struct ws_peer_table *t = ws_peer_table_create("peers100k", N, SOCKET_ID_ANY, NULL);
	struct peer *p = peers_alloc(N + 1, ws_test_seed("100k peers"));
	uint32_t *id = malloc(N * sizeof(*id));
	int *owner = malloc(N * sizeof(*owner));
	unsigned bad = 0;

	CU_ASSERT_FATAL(t != NULL && id != NULL && owner != NULL);
	for (unsigned i = 0; i < N; i++)
		owner[i] = -1;
	for (unsigned i = 0; i < N; i++) {
		bad += ws_peer_table_add(t, p[i].key, &p[i], &id[i]) != 0 || id[i] >= N;
		if (id[i] < N) {
			bad += owner[id[i]] != -1;
			owner[id[i]] = (int)i;
		}
	}
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), N);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[N].key, &p[N], NULL), -ENOSPC);

	for (unsigned i = 0; i < N; i++) {
		uint32_t got = UINT32_MAX;
		bad += ws_peer_table_lookup(t, p[i].key, &got) != &p[i] || got != id[i];
		bad += ws_peer_table_get(t, id[i]) != &p[i];
	}
	CU_ASSERT_EQUAL(bad, 0);

	struct walk_state w = {.t = t, .base = p, .owner = owner, .last_id = -1};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, owner_cb, &w), 0);
	CU_ASSERT_EQUAL(w.visits, N);
	CU_ASSERT_EQUAL(w.out_of_order + w.wrong, 0);

	for (unsigned i = 0; i < N; i++)
		bad += ws_peer_table_remove(t, p[i].key) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), 0);
	for (unsigned i = 0; i < N; i += 97)
		bad += ws_peer_table_lookup(t, p[i].key, NULL) != NULL ||
		       ws_peer_table_get(t, id[i]) != NULL;
	CU_ASSERT_EQUAL(bad, 0);
	ws_peer_table_free(t);
	free(owner);
	free(id);
	free(p);
}

/* The oracle: which keys are in, under which id, and which key owns each id. */
struct oracle {
	bool *in;
	uint32_t *id;
	int *owner;
	unsigned n;
};

static void oracle_check(const struct ws_peer_table *t, const struct peer *p,
			 unsigned npool, unsigned cap, const struct oracle *o)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < npool; i++) {
		uint32_t got = UINT32_MAX;
		void *obj = ws_peer_table_lookup(t, p[i].key, &got);
		bad += o->in[i] ? obj != &p[i] || got != o->id[i] : obj != NULL;
	}
	for (unsigned id = 0; id < cap; id++)
		bad += ws_peer_table_get(t, id) != (o->owner[id] < 0 ? NULL : &p[o->owner[id]]);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(t), o->n);

	struct walk_state w = {.base = p, .owner = o->owner, .last_id = -1};
	CU_ASSERT_EQUAL(ws_peer_table_walk(t, owner_cb, &w), 0);
	CU_ASSERT_EQUAL(w.visits, o->n);
	CU_ASSERT_EQUAL(w.out_of_order + w.wrong, 0);
}

static void randomized_against_oracle(struct rte_rcu_qsbr *v, const char *what)
{
	enum { CAP = 128, POOL = 400, OPS = 30000 };
	struct ws_peer_table *t = ws_peer_table_create("oracle", CAP, SOCKET_ID_ANY, v);
	uint64_t rng = ws_test_seed(what);
	struct peer *p = peers_alloc(POOL, rng);
	struct oracle o = {
		.in = calloc(POOL, sizeof(bool)),
		.id = calloc(POOL, sizeof(uint32_t)),
		.owner = malloc(CAP * sizeof(int)),
	};
	unsigned bad = 0, full_hits = 0;

	CU_ASSERT_FATAL(t != NULL && o.in != NULL && o.id != NULL && o.owner != NULL);
	for (unsigned i = 0; i < CAP; i++)
		o.owner[i] = -1;
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t r = ws_test_rand(&rng);
		unsigned k = (unsigned)(r % POOL);
		/* Adds outnumber removals 3:2 so the table keeps filling up. */
		bool add = (r >> 32) % 5 < 3;
		uint32_t id = UINT32_MAX;

		if (add) {
			int ret = ws_peer_table_add(t, p[k].key, &p[k], &id);
			if (o.in[k]) {
				bad += ret != -EEXIST;
			} else if (o.n == CAP) {
				bad += ret != -ENOSPC;
				full_hits++;
			} else if (ret != 0 || id >= CAP || o.owner[id] >= 0) {
				bad++;
			} else {
				o.in[k] = true;
				o.id[k] = id;
				o.owner[id] = (int)k;
				o.n++;
			}
		} else {
			int ret = ws_peer_table_remove(t, p[k].key);
			bad += ret != (o.in[k] ? 0 : -ENOENT);
			if (o.in[k]) {
				o.owner[o.id[k]] = -1;
				o.in[k] = false;
				o.n--;
			}
		}
		if (op % 1000 == 999)
			oracle_check(t, p, POOL, CAP, &o);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(full_hits > 0);
	oracle_check(t, p, POOL, CAP, &o);
	ws_peer_table_free(t);
	free(o.owner);
	free(o.id);
	free(o.in);
	free(p);
}

static void test_randomized_oracle(void)
{
	randomized_against_oracle(NULL, "peer oracle, no RCU");
}

/* With RCU and no reader registered, every grace period is already over. */
static void test_randomized_oracle_rcu(void)
{
	struct rte_rcu_qsbr *v = qsbr_create(4);

	randomized_against_oracle(v, "peer oracle, RCU");
	rte_free(v);
}

static void test_rcu_defers_id_reuse(void)
{
	enum { CAP = 8 };
	struct rte_rcu_qsbr *v = qsbr_create(1);
	struct ws_peer_table *t = ws_peer_table_create("rcu", CAP, SOCKET_ID_ANY, v);
	struct peer *p = peers_alloc(CAP + 2, 4);
	uint32_t id[CAP + 2];

	CU_ASSERT_FATAL(t != NULL);
	/* This thread plays a reader that has not reported a quiescent state. */
	CU_ASSERT_FATAL(rte_rcu_qsbr_thread_register(v, 0) == 0);
	rte_rcu_qsbr_thread_online(v, 0);
	for (unsigned i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(t, p[i].key, &p[i], &id[i]), 0);

	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[4].key), 0);
	CU_ASSERT_PTR_NULL(ws_peer_table_get(t, id[4]));
	CU_ASSERT_EQUAL(ws_peer_table_count(t), CAP - 1);
	/* The id waits for the reader, which may still be using it. */
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP].key, &p[CAP], &id[CAP]), -ENOSPC);
	CU_ASSERT_PTR_NULL(ws_peer_table_get(t, id[4]));

	rte_rcu_qsbr_quiescent(v, 0);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP].key, &p[CAP], &id[CAP]), 0);
	CU_ASSERT_EQUAL(id[CAP], id[4]);
	CU_ASSERT_PTR_EQUAL(ws_peer_table_get(t, id[4]), &p[CAP]);

	/* An offline reader holds nothing back. */
	CU_ASSERT_EQUAL(ws_peer_table_remove(t, p[0].key), 0);
	rte_rcu_qsbr_thread_offline(v, 0);
	CU_ASSERT_EQUAL(ws_peer_table_add(t, p[CAP + 1].key, &p[CAP + 1], &id[CAP + 1]), 0);
	CU_ASSERT_EQUAL(id[CAP + 1], id[0]);

	CU_ASSERT(rte_rcu_qsbr_thread_unregister(v, 0) == 0);
	ws_peer_table_free(t);
	rte_free(v);
	free(p);
}

/*
 * One reader looks up a stable set of peers by key and by id while the
 * writer adds and removes churn peers. The reader also probes churn keys:
 * whatever it finds must be that key's object, and the id it got must lead
 * to that object or to nothing for the rest of the round, until its
 * quiescent state, never to another peer. Few spare ids make a reuse
 * inside a round likely if the grace period were not honoured.
 */
enum {
	STABLE = 200,
	CHURN = 1000,           /* churn keys, at most CHURN_LIVE of them in */
	CHURN_LIVE = 250,
	CONC_CAP = 512,
	PROBES = 64,
	WRITER_OPS = 100000,
};

struct conc {
	struct ws_peer_table *t;
	struct rte_rcu_qsbr *v;
	struct peer *stable, *churn;
	uint32_t stable_id[STABLE];
	bool done;
	uint64_t rounds, errors, churn_hits;
};

static void *reader_main(void *arg)
{
	struct conc *c = arg;
	uint64_t rng = 99;

	rte_rcu_qsbr_thread_register(c->v, 0);
	rte_rcu_qsbr_thread_online(c->v, 0);
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		uint32_t held_id[PROBES];
		void *held[PROBES];
		unsigned nheld = 0;
		uint64_t err = 0;

		for (unsigned i = 0; i < PROBES; i++) {
			unsigned k = (unsigned)(ws_test_rand(&rng) % CHURN);
			uint32_t id = UINT32_MAX;
			void *obj = ws_peer_table_lookup(c->t, c->churn[k].key, &id);

			if (obj == NULL)
				continue;
			err += obj != &c->churn[k] || id >= CONC_CAP;
			held_id[nheld] = id;
			held[nheld++] = obj;
		}
		for (unsigned i = 0; i < STABLE; i++) {
			uint32_t id = UINT32_MAX;
			err += ws_peer_table_lookup(c->t, c->stable[i].key, &id) != &c->stable[i];
			err += id != c->stable_id[i];
			err += ws_peer_table_get(c->t, c->stable_id[i]) != &c->stable[i];
		}
		for (unsigned i = 0; i < nheld; i++) {
			void *again = ws_peer_table_get(c->t, held_id[i]);
			err += again != NULL && again != held[i];
		}
		__atomic_fetch_add(&c->errors, err, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->churn_hits, nheld, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->rounds, 1, __ATOMIC_RELAXED);
		rte_rcu_qsbr_quiescent(c->v, 0);
	}
	rte_rcu_qsbr_thread_offline(c->v, 0);
	rte_rcu_qsbr_thread_unregister(c->v, 0);
	return NULL;
}

static void test_concurrent_reader(void)
{
	struct conc *c = calloc(1, sizeof(*c));
	bool *in = calloc(CHURN, sizeof(bool));
	unsigned *live = calloc(CHURN_LIVE, sizeof(*live));
	uint64_t rng = ws_test_seed("peer concurrency");
	unsigned nlive = 0, bad = 0, enospc = 0;
	pthread_t reader;

	CU_ASSERT_FATAL(c != NULL && in != NULL && live != NULL);
	c->v = qsbr_create(1);
	c->t = ws_peer_table_create("conc", CONC_CAP, SOCKET_ID_ANY, c->v);
	CU_ASSERT_FATAL(c->t != NULL);
	c->stable = peers_alloc(STABLE, rng);
	c->churn = peers_alloc(CHURN, ~rng);
	for (unsigned i = 0; i < STABLE; i++)
		CU_ASSERT_EQUAL_FATAL(ws_peer_table_add(c->t, c->stable[i].key, &c->stable[i],
							&c->stable_id[i]), 0);
	CU_ASSERT_FATAL(pthread_create(&reader, NULL, reader_main, c) == 0);

	for (unsigned op = 0; op < WRITER_OPS; op++) {
		uint64_t r = ws_test_rand(&rng);
		unsigned k = (unsigned)(r % CHURN);

		if (nlive == CHURN_LIVE || (nlive > 0 && (r >> 32) % 3 == 0)) {
			unsigned at = (unsigned)((r >> 40) % nlive);
			bad += ws_peer_table_remove(c->t, c->churn[live[at]].key) != 0;
			in[live[at]] = false;
			live[at] = live[--nlive];
			continue;
		}
		if (in[k])
			continue;
		int ret = ws_peer_table_add(c->t, c->churn[k].key, &c->churn[k], NULL);
		if (ret == 0) {
			in[k] = true;
			live[nlive++] = k;
		} else if (ret == -ENOSPC) {
			/* Ids await the reader's quiescent state: let it run. */
			enospc++;
			sched_yield();
		} else {
			bad++;
		}
	}
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	CU_ASSERT_FATAL(pthread_join(reader, NULL) == 0);

	printf("peer concurrency: %" PRIu64 " reader rounds, %" PRIu64 " churn peers held, "
	       "%u adds refused while the reader lagged\n", c->rounds, c->churn_hits, enospc);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(c->errors, 0);
	CU_ASSERT(c->rounds > 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(c->t), STABLE + nlive);
	for (unsigned i = 0; i < nlive; i++)
		CU_ASSERT_EQUAL(ws_peer_table_remove(c->t, c->churn[live[i]].key), 0);
	CU_ASSERT_EQUAL(ws_peer_table_count(c->t), STABLE);
	ws_peer_table_free(c->t);
	rte_free(c->v);
	free(c->stable);
	free(c->churn);
	free(live);
	free(in);
	free(c);
}

static size_t heap_at_start;

static void test_heap_back_to_start(void)
{
	CU_ASSERT_EQUAL(ws_test_heap_in_use(), heap_at_start);
}

static int suite_init(void)
{
	if (ws_crypto_init() != 0 || ws_test_eal_init() != 0)
		return -1;
	heap_at_start = ws_test_heap_in_use();
	return 0;
}

static int suite_cleanup(void)
{
	return ws_test_eal_cleanup();
}

static const struct ws_test tests[] = {
	WS_TEST(test_create_invalid),
	WS_TEST(test_add_lookup_remove),
	WS_TEST(test_ids_dense_and_reused),
	WS_TEST(test_walk),
	WS_TEST(test_100k_peers),
	WS_TEST(test_randomized_oracle),
	WS_TEST(test_randomized_oracle_rcu),
	WS_TEST(test_rcu_defers_id_reuse),
	WS_TEST(test_concurrent_reader),
	WS_TEST(test_heap_back_to_start),
	{0},
};

int main(void)
{
	return ws_test_run("peer", tests, suite_init, suite_cleanup);
}
