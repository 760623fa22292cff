/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared scaffolding for the CUnit suites: one suite per executable, run in
 * verbose basic mode, exit status non-zero on any failure.
 *
 *   static const struct ws_test tests[] = { WS_TEST(test_x), ... , {0}};
 *   int main(void) { return ws_test_run("counter", tests, NULL, NULL); }
 *
 * Suites that use DPDK tables call ws_test_eal_init() from their init hook.
 */
#ifndef WS_TEST_COMMON_H
#define WS_TEST_COMMON_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct ws_test {
	const char *name;
	void (*fn)(void);
};
#define WS_TEST(f) { #f, f }

static inline int ws_test_run(const char *suite_name, const struct ws_test *tests,
			      int (*init)(void), int (*cleanup)(void))
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite suite = CU_add_suite(suite_name, init, cleanup);
	if (suite == NULL)
		return 2;
	for (const struct ws_test *t = tests; t->name != NULL; t++)
		if (CU_add_test(suite, t->name, t->fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

/* Seed for randomized tests: WS_TEST_SEED from the environment, else time. */
static inline uint64_t ws_test_seed(const char *what)
{
	const char *env = getenv("WS_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("\n%s: seed %" PRIu64 " (rerun with WS_TEST_SEED=%" PRIu64 ")\n",
	       what, seed, seed);
	return seed;
}

/* splitmix64: a small, good, reproducible generator for test inputs. */
static inline uint64_t ws_test_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Hex string to bytes; returns the byte count. */
static inline size_t ws_test_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	while (hex[0] && hex[1] && n < cap) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

#ifdef WS_TEST_WITH_EAL
#include <unistd.h>

#include <rte_eal.h>
/* EAL without hugepages, PCI or telemetry: enough for rte_fib/rte_hash. */
static inline int ws_test_eal_init(void)
{
	/* --in-memory is refused with --no-huge; --no-shconf and a per-process
	 * prefix keep parallel suites apart. */
	static char prefix[32];
	snprintf(prefix, sizeof(prefix), "wstest%d", (int)getpid());
	char *argv[] = {"test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--file-prefix", prefix, "--no-telemetry", "-l", "0",
			"--log-level", "error", NULL};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	return rte_eal_init(argc, argv) < 0 ? -1 : 0;
}
static inline int ws_test_eal_cleanup(void)
{
	return rte_eal_cleanup();
}

#include <rte_malloc.h>
/* Bytes in use on the DPDK heaps, which LeakSanitizer cannot see into. */
static inline size_t ws_test_heap_in_use(void)
{
	size_t used = 0;

	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			used += st.heap_allocsz_bytes;
	}
	return used;
}
#endif

#endif /* WS_TEST_COMMON_H */
