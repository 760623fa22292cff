/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The replay window against the scripted sequence of the Linux kernel's
 * WireGuard self-test (selftest/counter.c) and wireguard-go's replay test,
 * step for step, then against a plain "have I seen it" oracle.
 */
#include <stdbool.h>
#include <stdint.h>

#include "counter.h"
#include "test_common.h"

#define W ((uint64_t)WS_COUNTER_WINDOW_SIZE)
#define T_LIM (W + 1)
#define R WS_REJECT_AFTER_MESSAGES

static struct ws_counter ctr;
static unsigned step;
static const char *phase;

/* One scripted step; a failure names the phase and step number. */
static void t(uint64_t n, bool expect)
{
	bool got = ws_counter_validate(&ctr, n);

	step++;
	if (got != expect)
		printf("\n%s step %u: counter %" PRIu64 " %s, expected %s\n", phase, step, n,
		       got ? "accepted" : "rejected", expect ? "accept" : "reject");
	CU_ASSERT_EQUAL(got, expect);
}

static void start(const char *name)
{
	ws_counter_init(&ctr);
	phase = name;
	step = 0;
}

static void test_constants(void)
{
	CU_ASSERT_EQUAL(WS_COUNTER_WINDOW_SIZE, 8128);
	CU_ASSERT_EQUAL(WS_REJECT_AFTER_MESSAGES, UINT64_MAX - 8192);
	CU_ASSERT_EQUAL(sizeof(ctr.backtrack), 1024);
}

/* The 34 numbered steps, in order, on one window. */
static void test_kernel_script(void)
{
	start("script");
	t(0, true);                     /*  1 */
	t(1, true);                     /*  2 */
	t(1, false);                    /*  3 */
	t(9, true);                     /*  4 */
	t(8, true);                     /*  5 */
	t(7, true);                     /*  6 */
	t(7, false);                    /*  7 */
	t(T_LIM, true);                 /*  8 */
	t(T_LIM - 1, true);             /*  9 */
	t(T_LIM - 1, false);            /* 10 */
	t(T_LIM - 2, true);             /* 11 */
	t(2, true);                     /* 12 */
	t(2, false);                    /* 13 */
	t(T_LIM + 16, true);            /* 14 */
	t(3, false);                    /* 15 */
	t(T_LIM + 16, false);           /* 16 */
	t(T_LIM * 4, true);             /* 17 */
	t(T_LIM * 4 - (T_LIM - 1), true); /* 18 */
	t(10, false);                   /* 19 */
	t(T_LIM * 4 - T_LIM, false);    /* 20 */
	t(T_LIM * 4 - (T_LIM + 1), false); /* 21 */
	t(T_LIM * 4 - (T_LIM - 2), true); /* 22 */
	t(T_LIM * 4 + 1 - T_LIM, false); /* 23 */
	t(0, false);                    /* 24 */
	t(R, false);                    /* 25 */
	t(R - 1, true);                 /* 26 */
	t(R, false);                    /* 27 */
	t(R - 1, false);                /* 28 */
	t(R - 2, true);                 /* 29 */
	t(R + 1, false);                /* 30 */
	t(R + 2, false);                /* 31 */
	t(R - 2, false);                /* 32 */
	t(R - 3, true);                 /* 33 */
	t(0, false);                    /* 34 */
	CU_ASSERT_EQUAL(step, 34);
}

/* Bulk 1: fill the window upwards from 1, then 0 is still in it. */
static void test_bulk_forward_from_one(void)
{
	start("bulk 1");
	for (uint64_t i = 1; i <= W; i++)
		t(i, true);
	t(0, true);
	t(0, false);
}

/* Bulk 2: upwards from 2 to W + 1; 1 is the window's edge, 0 just past it. */
static void test_bulk_forward_gap(void)
{
	start("bulk 2");
	for (uint64_t i = 2; i <= W + 1; i++)
		t(i, true);
	t(1, true);
	t(0, false);
}

/* Bulk 3 (kernel): downwards from W to 0, every one inside the window. */
static void test_bulk_backward_to_zero(void)
{
	start("bulk 3");
	for (uint64_t i = W + 1; i-- > 0;)
		t(i, true);
}

/* Bulk 3 (wireguard-go): downwards from W + 1 to 1. */
static void test_bulk_backward_to_one(void)
{
	start("bulk 3 (go)");
	for (uint64_t i = W + 1; i > 0; i--)
		t(i, true);
	t(0, false);
}

/* Bulk 4: downwards from W + 1 to 1; 0 is then one past the window. */
static void test_bulk_backward_past_edge(void)
{
	start("bulk 4");
	for (uint64_t i = W + 2; i-- > 1;)
		t(i, true);
	t(0, false);
}

/* Bulk 5: downwards from W to 1, then the next one up slides 0 out. */
static void test_bulk_backward_then_forward(void)
{
	start("bulk 5");
	for (uint64_t i = W + 1; i-- > 1;)
		t(i, true);
	t(W + 1, true);
	t(0, false);
}

/* Bulk 6: as 5, but 0 arrives while it is still inside. */
static void test_bulk_backward_zero_first(void)
{
	start("bulk 6");
	for (uint64_t i = W + 1; i-- > 1;)
		t(i, true);
	t(0, true);
	t(W + 1, true);
}

/* Jumps of whole rings must clear every stale word. */
static void test_laps(void)
{
	start("laps");
	for (uint64_t i = 0; i < W; i += 3)
		t(i, true);
	t(WS_COUNTER_BITS_TOTAL * 5ULL + 7, true);
	for (uint64_t i = WS_COUNTER_BITS_TOTAL * 5ULL + 7 - W; i < WS_COUNTER_BITS_TOTAL * 5ULL + 7; i++)
		t(i, true);
	t(WS_COUNTER_BITS_TOTAL * 5ULL + 6 - W, false);
	/* One word past the top, then exactly one ring past. */
	t(WS_COUNTER_BITS_TOTAL * 5ULL + 7 + 64, true);
	t(WS_COUNTER_BITS_TOTAL * 6ULL + 7 + 64, true);
	t(WS_COUNTER_BITS_TOTAL * 6ULL + 7 + 64 - W, true);
	t(WS_COUNTER_BITS_TOTAL * 5ULL + 7 + 64, false);
}

/*
 * Random arrivals against the definition: accept a counter below the
 * limit that was never accepted and is not more than the window behind
 * the highest one accepted. Counters are base + offset, offsets below
 * SPAN, so "seen" is a plain array. With base near the limit, the
 * arrivals reach it late in the run and then press against it.
 */
enum { SPAN = 1 << 25, ARRIVALS = 400000 };

static void oracle_run(uint64_t base, uint64_t *rng)
{
	uint8_t *seen = calloc(SPAN, 1);
	uint64_t top = 0, accepted = 0;
	/* Offsets that keep base + offset from wrapping around 2^64. */
	uint64_t lim = UINT64_MAX - base < SPAN ? UINT64_MAX - base + 1 : SPAN;
	bool any = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	ws_counter_init(&ctr);
	for (unsigned i = 0; i < ARRIVALS; i++) {
		uint64_t r = ws_test_rand(rng), off;
		int64_t d;

		if (r % 256 == 0) /* far ahead, up to several rings */
			d = (int64_t)((r >> 8) % (3 * WS_COUNTER_BITS_TOTAL));
		else if (r % 256 < 16) /* at the window's lower edge, -1..+1 */
			d = -(int64_t)W - 1 + (int64_t)((r >> 8) % 3);
		else if (r % 256 < 32) /* the top again */
			d = 0;
		else /* around the top, mostly behind it */
			d = -(int64_t)W - 64 + (int64_t)((r >> 8) % (W + 64 + 256));
		if (d < 0 && (uint64_t)-d > top)
			off = (r >> 40) % (top + 1);
		else
			off = top + (uint64_t)d;
		if (off >= lim) /* stay in the array and below 2^64 */
			off = lim - 1 - (r >> 40) % 64;

		uint64_t n = base + off;
		bool expect = n < WS_REJECT_AFTER_MESSAGES && !seen[off] &&
			      (!any || off > top || top - off <= W);
		bool got = ws_counter_validate(&ctr, n);

		if (got != expect) {
			printf("\narrival %u: counter %" PRIu64 " (top %" PRIu64 ") %s, expected %s\n",
			       i, n, base + top, got ? "accepted" : "rejected",
			       expect ? "accept" : "reject");
			CU_FAIL("replay window disagrees with the oracle");
			break;
		}
		if (expect) {
			seen[off] = 1;
			accepted++;
			if (!any || off > top)
				top = off;
			any = true;
		}
	}
	CU_ASSERT(accepted > ARRIVALS / 8);
	free(seen);
}

static void test_random_against_oracle(void)
{
	uint64_t rng = ws_test_seed("counter oracle");

	oracle_run(0, &rng);
	oracle_run((uint64_t)1 << 40, &rng);
	/* Offsets from SPAN / 2 up (to the 2^64 wrap) are past the limit. */
	oracle_run(WS_REJECT_AFTER_MESSAGES - SPAN / 2, &rng);
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_constants),
		WS_TEST(test_kernel_script),
		WS_TEST(test_bulk_forward_from_one),
		WS_TEST(test_bulk_forward_gap),
		WS_TEST(test_bulk_backward_to_zero),
		WS_TEST(test_bulk_backward_to_one),
		WS_TEST(test_bulk_backward_past_edge),
		WS_TEST(test_bulk_backward_then_forward),
		WS_TEST(test_bulk_backward_zero_first),
		WS_TEST(test_laps),
		WS_TEST(test_random_against_oracle),
		{0},
	};
	return ws_test_run("counter", tests, NULL, NULL);
}
