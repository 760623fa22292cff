/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index table: uniqueness, kinds, packed slots, bulk lookup, RCU
 * slot reuse, concurrency.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#define WS_TEST_WITH_EAL
#include "test_common.h"

#include "index.h"
#include "ws_crypto.h"

/* Stand-ins for handshakes and keypairs: distinct, 4-byte aligned addresses. */
struct obj {
	uint32_t n;
};

static struct obj *objs_alloc(unsigned n)
{
	struct obj *o = calloc(n, sizeof(*o));

	CU_ASSERT_FATAL(o != NULL);
	for (unsigned i = 0; i < n; i++)
		o[i].n = i;
	return o;
}

static struct rte_rcu_qsbr *qsbr_create(uint32_t threads)
{
	struct rte_rcu_qsbr *v = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(threads),
					     RTE_CACHE_LINE_SIZE);

	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_FATAL(rte_rcu_qsbr_init(v, threads) == 0);
	return v;
}

static enum ws_index_kind other_kind(enum ws_index_kind k)
{
	return k == WS_INDEX_HANDSHAKE ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
}

static void test_create_invalid(void)
{
	CU_ASSERT_PTR_NULL(ws_index_create("small", 7, SOCKET_ID_ANY, NULL));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_PTR_NULL(ws_index_create(NULL, 64, SOCKET_ID_ANY, NULL));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);

	/* Same caller name twice, with RCU: internal names must not clash. */
	struct rte_rcu_qsbr *v = qsbr_create(1);
	struct ws_index_table *a = ws_index_create("a-rather-long-table-name", 8,
						   SOCKET_ID_ANY, v);
	struct ws_index_table *b = ws_index_create("a-rather-long-table-name", 8,
						   SOCKET_ID_ANY, v);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	ws_index_free(a);
	ws_index_free(b);
	ws_index_free(NULL);
	rte_free(v);
}

static void test_insert_lookup_remove(void)
{
	struct ws_index_table *t = ws_index_create("basic", 64, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(8);
	uint32_t idx[8];

	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(ws_index_count(t), 0);
	for (unsigned i = 0; i < 8; i++) {
		enum ws_index_kind k = i & 1 ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, k, &o[i], &idx[i]), 0);
	}
	CU_ASSERT_EQUAL(ws_index_count(t), 8);
	for (unsigned i = 0; i < 8; i++) {
		enum ws_index_kind k = i & 1 ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
		CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[i], k), &o[i]);
		CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx[i], other_kind(k)));
	}

	CU_ASSERT_EQUAL(ws_index_remove(t, idx[3]), 0);
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx[3], WS_INDEX_KEYPAIR));
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx[3], WS_INDEX_HANDSHAKE));
	CU_ASSERT_EQUAL(ws_index_remove(t, idx[3]), -ENOENT);
	CU_ASSERT_EQUAL(ws_index_count(t), 7);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[2], WS_INDEX_HANDSHAKE), &o[2]);

	/* Bad arguments change nothing. */
	uint32_t dummy;
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, NULL, &dummy), -EINVAL);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, (char *)&o[0] + 1, &dummy),
			-EINVAL);
	CU_ASSERT_EQUAL(ws_index_insert(t, (enum ws_index_kind)3, &o[0], &dummy), -EINVAL);
	CU_ASSERT_EQUAL(ws_index_insert(t, (enum ws_index_kind)0, &o[0], &dummy), -EINVAL);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[0], NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx[2], (enum ws_index_kind)3));
	CU_ASSERT_EQUAL(ws_index_count(t), 7);

	for (unsigned i = 0; i < 8; i++)
		if (i != 3)
			CU_ASSERT_EQUAL(ws_index_remove(t, idx[i]), 0);
	CU_ASSERT_EQUAL(ws_index_count(t), 0);
	ws_index_free(t);
	free(o);
}

static void test_replace_keeps_index(void)
{
	struct ws_index_table *t = ws_index_create("replace", 16, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(3);
	uint32_t idx, other;

	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_HANDSHAKE, &o[0], &idx), 0);
	CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_HANDSHAKE, &o[2], &other), 0);
	CU_ASSERT_EQUAL(ws_index_replace(t, idx, WS_INDEX_KEYPAIR, &o[1]), 0);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx, WS_INDEX_KEYPAIR), &o[1]);
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx, WS_INDEX_HANDSHAKE));
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, other, WS_INDEX_HANDSHAKE), &o[2]);
	CU_ASSERT_EQUAL(ws_index_count(t), 2);

	/* And back, and to another object of the same kind. */
	CU_ASSERT_EQUAL(ws_index_replace(t, idx, WS_INDEX_HANDSHAKE, &o[0]), 0);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx, WS_INDEX_HANDSHAKE), &o[0]);
	CU_ASSERT_EQUAL(ws_index_replace(t, idx, WS_INDEX_HANDSHAKE, &o[2]), 0);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx, WS_INDEX_HANDSHAKE), &o[2]);

	CU_ASSERT_EQUAL(ws_index_replace(t, idx, WS_INDEX_KEYPAIR, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ws_index_replace(t, idx, (enum ws_index_kind)0, &o[1]), -EINVAL);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx, WS_INDEX_HANDSHAKE), &o[2]);

	/* Replacing an absent index inserts nothing. */
	CU_ASSERT_EQUAL(ws_index_remove(t, idx), 0);
	CU_ASSERT_EQUAL(ws_index_replace(t, idx, WS_INDEX_KEYPAIR, &o[1]), -ENOENT);
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx, WS_INDEX_KEYPAIR));
	CU_ASSERT_EQUAL(ws_index_count(t), 1);
	ws_index_free(t);
	free(o);
}

static void fill_until_full(struct ws_index_table *t, struct obj *o, uint32_t cap,
			    uint32_t *idx)
{
	for (uint32_t i = 0; i < cap; i++)
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[i], &idx[i]), 0);
	CU_ASSERT_EQUAL(ws_index_count(t), cap);
}

static void test_full_then_removals(void)
{
	enum { CAP = 64 };
	struct ws_index_table *t = ws_index_create("full", CAP, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(CAP + 1);
	uint32_t idx[CAP], extra;

	CU_ASSERT_FATAL(t != NULL);
	fill_until_full(t, o, CAP, idx);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &extra), -ENOSPC);
	CU_ASSERT_EQUAL(ws_index_count(t), CAP);

	CU_ASSERT_EQUAL(ws_index_remove(t, idx[10]), 0);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_HANDSHAKE, &o[CAP], &idx[10]), 0);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[10], WS_INDEX_HANDSHAKE), &o[CAP]);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[0], &extra), -ENOSPC);

	/* Empty it completely, then fill it again. */
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL(ws_index_remove(t, idx[i]), 0);
	CU_ASSERT_EQUAL(ws_index_count(t), 0);
	fill_until_full(t, o, CAP, idx);
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[i], WS_INDEX_KEYPAIR), &o[i]);
	ws_index_free(t);
	free(o);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_100k_unique_random(void)
{
	enum { N = 100000 };
	struct ws_index_table *t = ws_index_create("rand100k", N, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(N);
	uint32_t *idx = malloc(N * sizeof(*idx));
	uint32_t *sorted = malloc(N * sizeof(*sorted));
	unsigned bits[32] = {0}, near = 0, extra;

	CU_ASSERT_FATAL(t != NULL && idx != NULL && sorted != NULL);
	fill_until_full(t, o, N, idx);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[0], &extra), -ENOSPC);

	memcpy(sorted, idx, N * sizeof(*idx));
	qsort(sorted, N, sizeof(*sorted), cmp_u32);
	unsigned dups = 0;
	for (unsigned i = 1; i < N; i++)
		dups += sorted[i] == sorted[i - 1];
	CU_ASSERT_EQUAL(dups, 0);

	/*
	 * Random-looking: each bit set about half the time (sd 0.16% over
	 * 100k draws, so 48..52% is 12 sd wide), and successive indices not
	 * close to each other (|diff| < 2^16 has probability 2^-15: ~3 hits).
	 */
	for (unsigned i = 0; i < N; i++) {
		for (unsigned b = 0; b < 32; b++)
			bits[b] += (idx[i] >> b) & 1;
		if (i > 0) {
			uint32_t d = idx[i] - idx[i - 1];
			near += d < (1u << 16) || d > UINT32_MAX - (1u << 16);
		}
	}
	for (unsigned b = 0; b < 32; b++) {
		CU_ASSERT(bits[b] > N * 48 / 100 && bits[b] < N * 52 / 100);
	}
	CU_ASSERT(near < 50);

	unsigned wrong = 0;
	for (unsigned i = 0; i < N; i++)
		wrong += ws_index_lookup(t, idx[i], WS_INDEX_KEYPAIR) != &o[i];
	CU_ASSERT_EQUAL(wrong, 0);
	ws_index_free(t);
	free(sorted);
	free(idx);
	free(o);
}

/*
 * An index names its slot, and a slot is given again and again: an index
 * from an earlier life of the slot, and any index never handed out, must
 * miss. CAP = 8 makes every insert reuse one of eight slots.
 */
static void test_stale_and_unissued_miss(void)
{
	enum { CAP = 8, ROUNDS = 4000, PROBES = 1000000 };
	struct ws_index_table *t = ws_index_create("stale", CAP, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(CAP + 1);
	uint32_t *old = malloc(ROUNDS * sizeof(*old));
	uint32_t idx[CAP], live;
	uint64_t rng = ws_test_seed("index stale");
	unsigned stale_hits = 0, probe_hits = 0;

	CU_ASSERT_FATAL(t != NULL && old != NULL);
	fill_until_full(t, o, CAP - 1, idx);
	/* One slot cycles: remove, insert, and every old index is checked. */
	CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &live), 0);
	for (unsigned r = 0; r < ROUNDS; r++) {
		old[r] = live;
		CU_ASSERT_EQUAL(ws_index_remove(t, live), 0);
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &live), 0);
	}
	for (unsigned r = 0; r < ROUNDS; r++)
		stale_hits += old[r] != live && ws_index_lookup(t, old[r], WS_INDEX_KEYPAIR) != NULL;
	/* 4,000 draws of 29 random bits: a repeat of the live one is ~2^-17. */
	CU_ASSERT_EQUAL(stale_hits, 0);
	/*
	 * Random probes: 8 of 2^32 indices are live, so a million probes
	 * expect 0.002 hits. A slot match alone would hit every time.
	 */
	for (unsigned i = 0; i < PROBES; i++) {
		uint32_t q = (uint32_t)(ws_test_rand(&rng) >> 32);

		probe_hits += ws_index_lookup(t, q, WS_INDEX_KEYPAIR) != NULL;
	}
	CU_ASSERT(probe_hits <= 2);
	for (unsigned i = 0; i < CAP - 1; i++)
		CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[i], WS_INDEX_KEYPAIR), &o[i]);
	ws_index_free(t);
	free(old);
	free(o);
}

/*
 * Entries stay packed at the start of the table: slots go out lowest
 * first and come back last in, first out, so churn at a steady number of
 * live entries reuses the same slots. With RCU, removed slots wait in
 * the defer queue (which gathers up to 32 before it gives some back),
 * so a few more slots are in play.
 */
static void churn_stays_packed(struct rte_rcu_qsbr *v, uint32_t slack, const char *what)
{
	enum { CAP = 100000, LIVE = 1000, CHURN = 20000 };
	struct ws_index_table *t = ws_index_create("packed", CAP, SOCKET_ID_ANY, v);
	struct obj *o = objs_alloc(LIVE);
	uint32_t idx[LIVE];
	uint64_t rng = ws_test_seed(what);

	CU_ASSERT_FATAL(t != NULL);
	if (v != NULL) {
		CU_ASSERT_FATAL(rte_rcu_qsbr_thread_register(v, 0) == 0);
		rte_rcu_qsbr_thread_online(v, 0);
	}
	CU_ASSERT_EQUAL(ws_index_span(t), 0);
	fill_until_full(t, o, LIVE, idx);
	CU_ASSERT_EQUAL(ws_index_span(t), LIVE);
	for (unsigned i = 0; i < CHURN; i++) {
		unsigned k = (unsigned)(ws_test_rand(&rng) % LIVE);

		CU_ASSERT_EQUAL_FATAL(ws_index_remove(t, idx[k]), 0);
		if (v != NULL)
			rte_rcu_qsbr_quiescent(v, 0);
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[k], &idx[k]), 0);
	}
	CU_ASSERT(ws_index_span(t) <= LIVE + slack);
	CU_ASSERT_EQUAL(ws_index_count(t), LIVE);
	for (unsigned i = 0; i < LIVE; i++)
		CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, idx[i], WS_INDEX_KEYPAIR), &o[i]);
	if (v != NULL) {
		rte_rcu_qsbr_thread_offline(v, 0);
		CU_ASSERT(rte_rcu_qsbr_thread_unregister(v, 0) == 0);
	}
	ws_index_free(t);
	free(o);
}

static void test_entries_stay_packed(void)
{
	churn_stays_packed(NULL, 0, "index packed, no RCU");
}

static void test_entries_stay_packed_rcu(void)
{
	struct rte_rcu_qsbr *v = qsbr_create(1);

	churn_stays_packed(v, 64, "index packed, RCU");
	rte_free(v);
}

static void check_bulk_against_single(const struct ws_index_table *t, const uint32_t *q,
				      unsigned n, enum ws_index_kind kind)
{
	void **res = malloc((n + 1) * sizeof(*res));
	unsigned hits = 0, mismatches = 0;

	CU_ASSERT_FATAL(res != NULL);
	res[n] = (void *)&hits;        /* must stay untouched */
	unsigned got = ws_index_lookup_bulk(t, q, n, kind, res);
	for (unsigned i = 0; i < n; i++) {
		void *single = ws_index_lookup(t, q[i], kind);
		mismatches += res[i] != single;
		hits += single != NULL;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(got, hits);
	CU_ASSERT_PTR_EQUAL(res[n], (void *)&hits);
	free(res);
}

static void test_bulk_matches_single(void)
{
	enum { CAP = 1024, PRESENT = 500, Q = 300 };
	struct ws_index_table *t = ws_index_create("bulk", CAP, SOCKET_ID_ANY, NULL);
	struct obj *o = objs_alloc(PRESENT);
	uint32_t idx[PRESENT], q[Q];
	uint64_t rng = ws_test_seed("index bulk");

	CU_ASSERT_FATAL(t != NULL);
	for (unsigned i = 0; i < PRESENT; i++) {
		enum ws_index_kind k = i % 3 ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(t, k, &o[i], &idx[i]), 0);
	}
	/* Present indices of both kinds, removed ones and never-used ones. */
	for (unsigned i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(ws_index_remove(t, idx[i]), 0);
	for (unsigned i = 0; i < Q; i++) {
		uint64_t r = ws_test_rand(&rng);
		q[i] = r % 4 == 0 ? (uint32_t)(r >> 32) : idx[(r >> 32) % PRESENT];
	}
	static const unsigned sizes[] = {0, 1, 63, 64, 65, 128, 129, Q};
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		check_bulk_against_single(t, q, sizes[s], WS_INDEX_KEYPAIR);
		check_bulk_against_single(t, q, sizes[s], WS_INDEX_HANDSHAKE);
	}
	/* All present, right kind: everything hits. */
	void *res[64];
	uint32_t kp[64];
	unsigned n = 0;
	for (unsigned i = 50; n < 64; i++)
		if (i % 3)
			kp[n++] = idx[i];
	CU_ASSERT_EQUAL(ws_index_lookup_bulk(t, kp, 64, WS_INDEX_KEYPAIR, res), 64);
	CU_ASSERT_EQUAL(ws_index_lookup_bulk(t, kp, 64, WS_INDEX_HANDSHAKE, res), 0);
	ws_index_free(t);
	free(o);
}

struct oracle_entry {
	uint32_t index;
	enum ws_index_kind kind;
	struct obj *obj;
};

static int oracle_find(const struct oracle_entry *e, unsigned n, uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].index == index)
			return (int)i;
	return -1;
}

static void oracle_check(const struct ws_index_table *t, const struct oracle_entry *e,
			 unsigned n)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		bad += ws_index_lookup(t, e[i].index, e[i].kind) != e[i].obj;
		bad += ws_index_lookup(t, e[i].index, other_kind(e[i].kind)) != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ws_index_count(t), n);
}

static void randomized_against_oracle(struct rte_rcu_qsbr *v, const char *what)
{
	enum { CAP = 256, OPS = 30000, POOL = 64 };
	struct ws_index_table *t = ws_index_create("oracle", CAP, SOCKET_ID_ANY, v);
	struct oracle_entry *e = calloc(CAP, sizeof(*e));
	struct obj *o = objs_alloc(POOL);
	uint32_t gone[16] = {0};
	unsigned n = 0, bad = 0, full_hits = 0;
	uint64_t rng = ws_test_seed(what);

	CU_ASSERT_FATAL(t != NULL && e != NULL);
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t r = ws_test_rand(&rng);
		enum ws_index_kind kind = r & 1 ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
		struct obj *obj = &o[(r >> 8) % POOL];
		/* Bias towards inserts so the table keeps reaching full. */
		unsigned what_op = (r >> 16) % 10;
		uint32_t index;
		int ret, at;

		if (what_op < 5) {
			ret = ws_index_insert(t, kind, obj, &index);
			if (n == CAP) {
				bad += ret != -ENOSPC;
				full_hits++;
			} else if (ret != 0 || oracle_find(e, n, index) >= 0) {
				bad++;
			} else {
				e[n++] = (struct oracle_entry){index, kind, obj};
			}
		} else if (what_op < 8) {
			/* Remove a present index, or one removed earlier. */
			if (n > 0 && (r >> 40) % 8 != 0) {
				at = (int)((r >> 24) % n);
				index = e[at].index;
				bad += ws_index_remove(t, index) != 0;
				gone[(r >> 44) % 16] = index;
				e[at] = e[--n];
			} else {
				index = gone[(r >> 44) % 16];
				at = oracle_find(e, n, index);
				ret = ws_index_remove(t, index);
				bad += ret != (at >= 0 ? 0 : -ENOENT);
				if (at >= 0)
					e[at] = e[--n];
			}
		} else if (n > 0) {
			at = (int)((r >> 24) % n);
			bad += ws_index_replace(t, e[at].index, kind, obj) != 0;
			e[at].kind = kind;
			e[at].obj = obj;
		}
		if (op % 1000 == 999)
			oracle_check(t, e, n);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(full_hits > 0);
	oracle_check(t, e, n);
	ws_index_free(t);
	free(o);
	free(e);
}

static void test_randomized_oracle(void)
{
	randomized_against_oracle(NULL, "index oracle, no RCU");
}

/* With RCU and no reader registered, every grace period is already over. */
static void test_randomized_oracle_rcu(void)
{
	struct rte_rcu_qsbr *v = qsbr_create(4);

	randomized_against_oracle(v, "index oracle, RCU");
	rte_free(v);
}

static void test_rcu_defers_slot_reuse(void)
{
	enum { CAP = 8 };
	struct rte_rcu_qsbr *v = qsbr_create(1);
	struct ws_index_table *t = ws_index_create("rcu", CAP, SOCKET_ID_ANY, v);
	struct obj *o = objs_alloc(CAP + 2);
	uint32_t idx[CAP], extra;

	CU_ASSERT_FATAL(t != NULL);
	/* This thread plays a reader that has not reported a quiescent state. */
	CU_ASSERT_FATAL(rte_rcu_qsbr_thread_register(v, 0) == 0);
	rte_rcu_qsbr_thread_online(v, 0);
	fill_until_full(t, o, CAP, idx);

	CU_ASSERT_EQUAL(ws_index_remove(t, idx[5]), 0);
	CU_ASSERT_EQUAL(ws_index_count(t), CAP - 1);
	CU_ASSERT_PTR_NULL(ws_index_lookup(t, idx[5], WS_INDEX_KEYPAIR));
	/* The removed slot waits for the reader. */
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &extra), -ENOSPC);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &extra), -ENOSPC);

	rte_rcu_qsbr_quiescent(v, 0);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP], &extra), 0);
	CU_ASSERT_PTR_EQUAL(ws_index_lookup(t, extra, WS_INDEX_KEYPAIR), &o[CAP]);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP + 1], &extra), -ENOSPC);

	/* An offline reader holds nothing back. */
	CU_ASSERT_EQUAL(ws_index_remove(t, idx[0]), 0);
	rte_rcu_qsbr_thread_offline(v, 0);
	CU_ASSERT_EQUAL(ws_index_insert(t, WS_INDEX_KEYPAIR, &o[CAP + 1], &extra), 0);
	CU_ASSERT_EQUAL(ws_index_count(t), CAP);

	CU_ASSERT(rte_rcu_qsbr_thread_unregister(v, 0) == 0);
	ws_index_free(t);
	rte_free(v);
	free(o);
}

/*
 * One reader looks up a stable set (bulk and single, both kinds) and an
 * entry the writer keeps flipping between two kinds, while the writer
 * churns other entries through inserts, replaces and removals.
 */
enum { STABLE = 200, CHURN_LIVE = 600, WRITER_OPS = 150000 };

struct conc {
	struct ws_index_table *t;
	struct rte_rcu_qsbr *v;
	uint32_t stable_idx[STABLE];
	struct obj *stable_obj;
	uint32_t flip_idx;
	struct obj flip_obj[2];
	bool done;
	uint64_t rounds, errors;
};

static void *reader_main(void *arg)
{
	struct conc *c = arg;
	void *res[STABLE];

	rte_rcu_qsbr_thread_register(c->v, 0);
	rte_rcu_qsbr_thread_online(c->v, 0);
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		uint64_t err = 0;
		unsigned hits = ws_index_lookup_bulk(c->t, c->stable_idx, STABLE,
						     WS_INDEX_KEYPAIR, res);
		err += hits != STABLE / 2;
		for (unsigned i = 0; i < STABLE; i++) {
			bool kp = i & 1;
			err += res[i] != (kp ? (void *)&c->stable_obj[i] : NULL);
			void *h = ws_index_lookup(c->t, c->stable_idx[i], WS_INDEX_HANDSHAKE);
			err += h != (kp ? NULL : (void *)&c->stable_obj[i]);
		}
		void *fh = ws_index_lookup(c->t, c->flip_idx, WS_INDEX_HANDSHAKE);
		void *fk = ws_index_lookup(c->t, c->flip_idx, WS_INDEX_KEYPAIR);
		err += fh != NULL && fh != &c->flip_obj[0];
		err += fk != NULL && fk != &c->flip_obj[1];
		__atomic_fetch_add(&c->errors, err, __ATOMIC_RELAXED);
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
	uint32_t *live = calloc(CHURN_LIVE, sizeof(*live));
	struct obj *churn = objs_alloc(CHURN_LIVE);
	unsigned nlive = 0, bad = 0, enospc = 0;
	uint64_t rng = ws_test_seed("index concurrency");
	pthread_t reader;

	CU_ASSERT_FATAL(c != NULL && live != NULL);
	c->v = qsbr_create(1);
	c->t = ws_index_create("conc", 4096, SOCKET_ID_ANY, c->v);
	CU_ASSERT_FATAL(c->t != NULL);
	c->stable_obj = objs_alloc(STABLE);
	for (unsigned i = 0; i < STABLE; i++) {
		enum ws_index_kind k = i & 1 ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE;
		CU_ASSERT_EQUAL_FATAL(ws_index_insert(c->t, k, &c->stable_obj[i],
						      &c->stable_idx[i]), 0);
	}
	CU_ASSERT_EQUAL_FATAL(ws_index_insert(c->t, WS_INDEX_HANDSHAKE, &c->flip_obj[0],
					      &c->flip_idx), 0);
	CU_ASSERT_FATAL(pthread_create(&reader, NULL, reader_main, c) == 0);

	for (unsigned op = 0; op < WRITER_OPS; op++) {
		uint64_t r = ws_test_rand(&rng);
		struct obj *obj = &churn[(r >> 8) % CHURN_LIVE];
		uint32_t index;

		if (op % 64 == 0) {
			bool to_kp = (op / 64) & 1;
			bad += ws_index_replace(c->t, c->flip_idx,
						to_kp ? WS_INDEX_KEYPAIR : WS_INDEX_HANDSHAKE,
						&c->flip_obj[to_kp]) != 0;
		} else if (nlive < CHURN_LIVE && (nlive == 0 || r % 2 == 0)) {
			int ret = ws_index_insert(c->t, r & 4 ? WS_INDEX_KEYPAIR :
						  WS_INDEX_HANDSHAKE, obj, &index);
			if (ret == 0) {
				live[nlive++] = index;
			} else if (ret == -ENOSPC) {
				/* Slots await the reader's quiescent state: let it run. */
				enospc++;
				sched_yield();
			} else {
				bad++;
			}
		} else if (r % 8 == 1 && nlive > 0) {
			bad += ws_index_replace(c->t, live[(r >> 32) % nlive],
						WS_INDEX_KEYPAIR, obj) != 0;
		} else {
			unsigned at = (unsigned)((r >> 32) % nlive);
			bad += ws_index_remove(c->t, live[at]) != 0;
			live[at] = live[--nlive];
		}
	}
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	CU_ASSERT_FATAL(pthread_join(reader, NULL) == 0);

	printf("index concurrency: %" PRIu64 " reader rounds, %u inserts refused while the "
	       "reader lagged\n", c->rounds, enospc);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(c->errors, 0);
	CU_ASSERT(c->rounds > 0);
	CU_ASSERT_EQUAL(ws_index_count(c->t), STABLE + 1 + nlive);
	for (unsigned i = 0; i < nlive; i++)
		CU_ASSERT_EQUAL(ws_index_remove(c->t, live[i]), 0);
	CU_ASSERT_EQUAL(ws_index_count(c->t), STABLE + 1);
	ws_index_free(c->t);
	rte_free(c->v);
	free(c->stable_obj);
	free(churn);
	free(live);
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
	WS_TEST(test_insert_lookup_remove),
	WS_TEST(test_replace_keeps_index),
	WS_TEST(test_full_then_removals),
	WS_TEST(test_100k_unique_random),
	WS_TEST(test_stale_and_unissued_miss),
	WS_TEST(test_entries_stay_packed),
	WS_TEST(test_entries_stay_packed_rcu),
	WS_TEST(test_bulk_matches_single),
	WS_TEST(test_randomized_oracle),
	WS_TEST(test_randomized_oracle_rcu),
	WS_TEST(test_rcu_defers_slot_reuse),
	WS_TEST(test_concurrent_reader),
	WS_TEST(test_heap_back_to_start),
	{0},
};

int main(void)
{
	return ws_test_run("index", tests, suite_init, suite_cleanup);
}
