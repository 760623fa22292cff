/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The handshake rate limiter in virtual time: bucket arithmetic, keying
 * (IPv4 address, IPv6 /64, port ignored), the capacity bound and garbage
 * collection, the kernel selftest's timing script, and a randomized run
 * against a linear-search oracle.
 */
#define WS_TEST_WITH_EAL
#include "test_common.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "messages.h"
#include "ratelimiter.h"

#define MS(x) ((uint64_t)(x) * 1000000ULL)
#define SECS(x) ((uint64_t)(x) * WS_NSEC_PER_SEC)
#define COST MS(1000 / WS_INITIATIONS_PER_SECOND)
/* Virtual time starts far from zero, so that no "0 means unset" hides. */
#define T0 SECS(86400)

static struct ws_endpoint v4(uint32_t host_order_addr, uint16_t port)
{
	uint8_t a[4] = {host_order_addr >> 24, host_order_addr >> 16,
			host_order_addr >> 8, host_order_addr};
	struct ws_endpoint ep;

	ws_endpoint_v4(&ep, a, port);
	return ep;
}

/* An IPv6 address from its four 32-bit words, as the kernel selftest
 * builds them. */
static struct ws_endpoint v6(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
			     uint16_t port)
{
	uint32_t w[4] = {w0, w1, w2, w3};
	uint8_t a[16];
	struct ws_endpoint ep;

	for (int i = 0; i < 4; i++) {
		a[4 * i] = w[i] >> 24;
		a[4 * i + 1] = w[i] >> 16;
		a[4 * i + 2] = w[i] >> 8;
		a[4 * i + 3] = w[i];
	}
	ws_endpoint_v6(&ep, a, port);
	return ep;
}

static struct ws_ratelimiter *create(uint32_t capacity)
{
	struct ws_ratelimiter *rl = ws_ratelimiter_create("rl_test", capacity, SOCKET_ID_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	return rl;
}

static unsigned allowed_in_a_row(struct ws_ratelimiter *rl, const struct ws_endpoint *ep,
				 uint64_t now, unsigned tries)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tries; i++)
		n += ws_ratelimiter_allow(rl, ep, now);
	return n;
}

static void test_create_invalid(void)
{
	struct ws_ratelimiter *rl, *dup;

	rte_errno = 0;
	CU_ASSERT_PTR_NULL(ws_ratelimiter_create("rl_small", 7, SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(ws_ratelimiter_create(NULL, 64, SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);

	rl = create(8);
	rte_errno = 0;
	dup = ws_ratelimiter_create("rl_test", 8, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NULL(dup);
	CU_ASSERT_EQUAL(rte_errno, EEXIST);
	ws_ratelimiter_free(dup);
	ws_ratelimiter_free(rl);
	ws_ratelimiter_free(NULL);

	/* The name is free again once its owner is gone. */
	rl = create(8);
	ws_ratelimiter_free(rl);
}

static void test_burst(void)
{
	struct ws_ratelimiter *rl = create(64);
	struct ws_endpoint a = v4(0xc0000201, 51820);
	struct ws_ratelimiter_stats st;

	for (int i = 0; i < WS_INITIATIONS_BURSTABLE; i++)
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &a, T0));
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, T0));
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, T0));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 1);

	ws_ratelimiter_stats(rl, &st);
	CU_ASSERT_EQUAL(st.allowed, WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_EQUAL(st.limited, 2);
	CU_ASSERT_EQUAL(st.table_full, 0);

	struct ws_endpoint none = {.family = WS_AF_NONE};
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &none, T0));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 1);
	ws_ratelimiter_free(rl);
}

static void test_refill(void)
{
	struct ws_ratelimiter *rl = create(64);
	struct ws_endpoint a = v4(0x0a000001, 1);
	uint64_t t = T0;

	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, t, 10), WS_INITIATIONS_BURSTABLE);

	/* Exactly one token per 50 ms, counted to the nanosecond. */
	for (int round = 0; round < 20; round++) {
		CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, t + COST - 1));
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &a, t + COST));
		CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, t + COST));
		t += COST;
	}

	/* Two periods, two tokens. */
	t += 2 * COST;
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, t, 10), 2);

	/* A long pause fills the bucket to the burst and no further. */
	t += SECS(3600);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, t, 10), WS_INITIATIONS_BURSTABLE);
	/* Just short of a full bucket. */
	t += 4 * COST + COST - 1;
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, t, 10), WS_INITIATIONS_BURSTABLE - 1);

	/* A clock that steps back gives no credit and takes none away. */
	t += SECS(1);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, t, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, t - MS(500)));
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a, t + COST - 1));
	CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &a, t + COST));
	ws_ratelimiter_free(rl);
}

/*
 * The kernel selftest's script (selftest/ratelimiter.c), with its sleeps
 * made exact: per step, the main IPv4 source gets the scripted verdict, a
 * fresh IPv4 source is allowed, an address in the main IPv6 /64 gets the
 * scripted verdict, and an address in a fresh /64 is allowed.
 */
static void test_kernel_timings(void)
{
	static const struct {
		bool result;
		uint64_t sleep_before;
	} script[] = {
		{true, 0}, {true, 0}, {true, 0}, {true, 0}, {true, 0},
		{false, 0},
		{true, COST},
		{false, 0},
		{true, 2 * COST},
		{true, 0},
		{false, 0},
	};
	_Static_assert(WS_INITIATIONS_BURSTABLE == 5, "script written for a burst of 5");
	struct ws_ratelimiter *rl = create(1024);
	const uint32_t base4 = 8182;
	uint64_t t = T0;

	for (unsigned i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		struct ws_endpoint ep;

		t += script[i].sleep_before;
		ep = v4(base4, 0);
		CU_ASSERT_EQUAL(ws_ratelimiter_allow(rl, &ep, t), script[i].result);
		ep = v4(base4 + i + 1, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, t));
		ep = v6(1212, 289188, i, i, 0);
		CU_ASSERT_EQUAL(ws_ratelimiter_allow(rl, &ep, t), script[i].result);
		ep = v6(1212 + i + 1, 289188, i, i, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, t));
	}
	ws_ratelimiter_free(rl);
}

static void test_sources_independent(void)
{
	struct ws_ratelimiter *rl = create(64);
	struct ws_endpoint a = v4(0xc0a80001, 1000);
	struct ws_endpoint a_other_port = v4(0xc0a80001, 2000);
	struct ws_endpoint b = v4(0xc0a80002, 1000);
	struct ws_endpoint c = v4(0x01a80001, 1000);

	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &a, T0, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &a_other_port, T0));
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &b, T0, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &c, T0, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &a, T0 + COST));
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &b, T0 + COST - 1));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 3);
	ws_ratelimiter_free(rl);
}

static void test_ipv6_prefix(void)
{
	struct ws_ratelimiter *rl = create(64);
	uint64_t seed = ws_test_seed("ipv6 /64"), s = seed;
	struct ws_endpoint ep;

	/* Any address in 2001:db8:1:2::/64 spends the same bucket. */
	for (int i = 0; i < WS_INITIATIONS_BURSTABLE; i++) {
		uint64_t low = ws_test_rand(&s);
		ep = v6(0x20010db8, 0x00010002, low >> 32, low, (uint16_t)low);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, T0));
	}
	for (int i = 0; i < 20; i++) {
		uint64_t low = ws_test_rand(&s);
		ep = v6(0x20010db8, 0x00010002, low >> 32, low, 443);
		CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, T0));
	}
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 1);

	/* One bit off in the /64 is somebody else. */
	ep = v6(0x20010db8, 0x00010003, 0, 1, 443);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, T0, 10), WS_INITIATIONS_BURSTABLE);
	ep = v6(0xa0010db8, 0x00010002, 0, 1, 443);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, T0, 10), WS_INITIATIONS_BURSTABLE);

	/* Same leading bytes in another family do not share either. */
	ep = v4(0x20010db8, 443);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, T0, 10), WS_INITIATIONS_BURSTABLE);
	ep = v6(0x20010db8, 0, 0, 0, 443);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, T0, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 5);
	ws_ratelimiter_free(rl);
}

static void test_capacity(void)
{
	enum { CAP = 64 };
	struct ws_ratelimiter *rl = create(CAP);
	struct ws_ratelimiter_stats st;
	struct ws_endpoint ep;

	for (uint32_t i = 0; i < CAP; i++) {
		ep = v4(0x0a000000 + i, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, T0));
	}
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), CAP);

	/* Full: a new source is denied, and stays denied while nothing is idle. */
	ep = v4(0x0b000000, 0);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, T0));
	ep = v6(0x20010db8, 0, 0, 1, 0);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, T0 + MS(500)));
	ws_ratelimiter_stats(rl, &st);
	CU_ASSERT_EQUAL(st.table_full, 2);
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), CAP);

	/* Known sources keep working; the even half stays busy and spends
	 * its refilled bucket. */
	for (uint32_t i = 0; i < CAP; i += 2) {
		ep = v4(0x0a000000 + i, 0);
		CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, T0 + MS(600), 10),
				WS_INITIATIONS_BURSTABLE);
	}

	/* Idle for more than a second: the odd half goes, room for 32. */
	ws_ratelimiter_gc(rl, T0 + MS(1200));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), CAP / 2);
	for (uint32_t i = 0; i < CAP / 2; i++) {
		ep = v4(0x0c000000 + i, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, T0 + MS(1200)));
	}
	ep = v4(0x0b000000, 0);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, T0 + MS(1200)));
	/* An even source's empty bucket survived the collection: a new
	 * entry would have allowed this. */
	ep = v4(0x0a000000, 0);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, T0 + MS(600) + COST - 1));
	CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, T0 + MS(600) + COST));

	ws_ratelimiter_stats(rl, &st);
	CU_ASSERT_EQUAL(st.table_full, 3);
	ws_ratelimiter_free(rl);
}

/* A full table collects itself, but at most once a second. */
static void test_lazy_gc(void)
{
	enum { CAP = 16 };
	struct ws_ratelimiter *rl = create(CAP);
	struct ws_endpoint ep, late = v4(0x7f000001, 0);
	const uint64_t a = T0;

	for (uint32_t i = 0; i < CAP; i++) {
		ep = v4(0x0a000000 + i, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, a));
	}
	/* Full at a + 0.5 s: collects, finds nothing idle, denies. */
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &late, a + MS(500)));
	/* At a + 1.1 s all are idle, but the last collection was 0.6 s ago. */
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &late, a + MS(1100)));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), CAP);
	/* A second after it, the table collects again and has room. */
	CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &late, a + MS(1500)));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 1);
	ws_ratelimiter_free(rl);
}

static void test_gc_idle_only(void)
{
	struct ws_ratelimiter *rl = create(64);
	struct ws_endpoint ep;
	const uint64_t now = T0 + SECS(10);

	/* Source i last seen at now - i * 250 ms: 0 .. 4 stay (idle <= 1 s). */
	for (uint32_t i = 0; i < 10; i++) {
		ep = v4(0x0a000000 + i, 0);
		CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, now - i * MS(250)));
	}
	/* One exhausted just now: gc must leave its empty bucket alone. */
	ep = v6(0x20010db8, 0, 0, 7, 0);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, now, 10), WS_INITIATIONS_BURSTABLE);

	ws_ratelimiter_gc(rl, now);
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 6);
	CU_ASSERT_FALSE(ws_ratelimiter_allow(rl, &ep, now));
	CU_ASSERT_TRUE(ws_ratelimiter_allow(rl, &ep, now + COST));

	/* Collected sources come back as new ones. */
	ep = v4(0x0a000009, 0);
	CU_ASSERT_EQUAL(allowed_in_a_row(rl, &ep, now, 10), WS_INITIATIONS_BURSTABLE);
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 7);

	ws_ratelimiter_gc(rl, now + SECS(5));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 0);
	ws_ratelimiter_gc(rl, now + SECS(6));
	CU_ASSERT_EQUAL(ws_ratelimiter_count(rl), 0);
	ws_ratelimiter_free(rl);
}

/*
 * The oracle: a plain array searched linearly, tokens kept as whole
 * nanoseconds of credit, the same collection rules.
 */
struct oracle_entry {
	uint8_t family;
	uint8_t prefix[8];
	uint64_t last, credit;
};

struct oracle {
	struct oracle_entry e[64];
	unsigned n, cap;
	bool collected;
	uint64_t last_gc;
};

static void oracle_gc(struct oracle *o, uint64_t now)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < o->n; i++)
		if (now <= o->e[i].last || now - o->e[i].last <= SECS(1))
			o->e[kept++] = o->e[i];
	o->n = kept;
	o->collected = true;
	o->last_gc = now;
}

static bool oracle_allow(struct oracle *o, const struct ws_endpoint *src, uint64_t now)
{
	const uint64_t max = COST * WS_INITIATIONS_BURSTABLE;
	unsigned len = src->family == WS_AF_INET ? 4 : 8;

	for (unsigned i = 0; i < o->n; i++) {
		struct oracle_entry *e = &o->e[i];

		if (e->family != src->family || memcmp(e->prefix, src->addr, len) != 0)
			continue;
		if (now > e->last) {
			e->credit += now - e->last;
			if (e->credit > max)
				e->credit = max;
			e->last = now;
		}
		if (e->credit < COST)
			return false;
		e->credit -= COST;
		return true;
	}
	if (o->n == o->cap && (!o->collected || now < o->last_gc || now - o->last_gc >= SECS(1)))
		oracle_gc(o, now);
	if (o->n == o->cap)
		return false;
	o->e[o->n] = (struct oracle_entry){.family = src->family, .last = now,
					   .credit = max - COST};
	memcpy(o->e[o->n].prefix, src->addr, len);
	o->n++;
	return true;
}

static void test_random_vs_oracle(void)
{
	enum { CAP = 16, SOURCES = 64, STEPS = 200000 };
	uint64_t seed = ws_test_seed("ratelimiter oracle"), s = seed;
	struct ws_ratelimiter *rl = create(CAP);
	struct oracle o = {.cap = CAP};
	struct ws_endpoint pool[SOURCES];
	uint64_t t = T0;
	unsigned mismatches = 0;

	/* More sources than the table holds: IPv4 hosts (some the same
	 * address on other ports) and IPv6 hosts crowded into four /64s. */
	for (unsigned i = 0; i < SOURCES; i++) {
		uint64_t r = ws_test_rand(&s);
		if (i % 2 == 0)
			pool[i] = v4(0x0a000000 + (uint32_t)(r % 24), (uint16_t)(r >> 16));
		else
			pool[i] = v6(0x20010db8, (uint32_t)(r % 4), (uint32_t)(r >> 32),
				     (uint32_t)(r >> 8), (uint16_t)r);
	}

	for (unsigned step = 0; step < STEPS; step++) {
		uint64_t r = ws_test_rand(&s);
		/* Half the draws go to a few hot sources, which get limited. */
		unsigned idx = (r >> 8) % 2 ? (r >> 9) % 4 : (r >> 9) % SOURCES;
		const struct ws_endpoint *src = &pool[idx];

		/* Mostly bursts at one instant or small steps, rarely a pause
		 * long enough for everything to go idle. */
		if (r % 8 == 0)
			t += (r >> 32) % MS(8);
		else if (r % 2048 == 1)
			t += SECS(1) + (r >> 32) % SECS(2);
		if ((r >> 20) % 4096 == 0) {
			ws_ratelimiter_gc(rl, t);
			oracle_gc(&o, t);
		}
		bool got = ws_ratelimiter_allow(rl, src, t);
		bool want = oracle_allow(&o, src, t);
		if (got != want || ws_ratelimiter_count(rl) != o.n) {
			if (mismatches++ < 5)
				printf("step %u: allow %d, oracle %d; count %u, oracle %u\n",
				       step, got, want, ws_ratelimiter_count(rl), o.n);
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* The run went through every outcome. */
	struct ws_ratelimiter_stats st;
	ws_ratelimiter_stats(rl, &st);
	printf("allowed %" PRIu64 ", limited %" PRIu64 ", table full %" PRIu64 "\n",
	       st.allowed, st.limited, st.table_full);
	CU_ASSERT(st.allowed > STEPS / 20);
	CU_ASSERT(st.limited > STEPS / 20);
	CU_ASSERT(st.table_full > STEPS / 200);
	ws_ratelimiter_free(rl);
}

static void test_no_leak(void)
{
	size_t before = ws_test_heap_in_use();
	struct ws_ratelimiter *rl, *dup;
	struct ws_endpoint ep;

	rl = create(4096);
	CU_ASSERT(ws_test_heap_in_use() > before);
	for (uint32_t i = 0; i < 5000; i++) {
		ep = v4(0x0a000000 + i, 0);
		ws_ratelimiter_allow(rl, &ep, T0 + i * MS(1));
	}
	ws_ratelimiter_gc(rl, T0 + SECS(3));
	dup = ws_ratelimiter_create("rl_test", 64, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NULL(dup);
	ws_ratelimiter_free(rl);
	CU_ASSERT_EQUAL(ws_test_heap_in_use(), before);
}

static const struct ws_test tests[] = {
	WS_TEST(test_create_invalid),
	WS_TEST(test_burst),
	WS_TEST(test_refill),
	WS_TEST(test_kernel_timings),
	WS_TEST(test_sources_independent),
	WS_TEST(test_ipv6_prefix),
	WS_TEST(test_capacity),
	WS_TEST(test_lazy_gc),
	WS_TEST(test_gc_idle_only),
	WS_TEST(test_random_vs_oracle),
	WS_TEST(test_no_leak),
	{0},
};

int main(void)
{
	return ws_test_run("ratelimiter", tests, ws_test_eal_init, ws_test_eal_cleanup);
}
