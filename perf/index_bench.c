/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index lookups, the first table every decrypted packet meets:
 * ws_index (an index names its slot) against an rte_hash holding the
 * same indices with the same flags as a lock-free index table on rte_hash
 * would use, in the same run, in bursts of 32 random live indices, for 1,
 * 1,000 and 100,000 peers. Both tables are sized as the gateway sizes its
 * index for that many peers (five indices a peer: a handshake and four
 * keypairs, over the peer room rounded up to a power of two), and hold
 * what a gateway with every peer rekeyed holds: two keypairs a peer,
 * current and previous.
 *
 *   index_bench [--short] [--secs S] [--json FILE]
 *
 * Figures are TSC cycles per looked-up index, lookups timed per burst.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench_util.h"
#include "index.h"
#include "ws_crypto.h"

/* ROOM_* as device.c sizes the gateway's table. */
enum { BURST = 32, ROOM_PER_PEER = 5, ROOM_EXTRA_PEERS = 256, LIVE_PER_PEER = 2 };

static struct bench_opts opt = { .secs = 0.5 };

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One timed pass of lookups for the time budget: cycles per lookup. */
struct side {
	const uint32_t *live;
	unsigned n;
	uint64_t cycles, lookups, hits;
};

static void burst_index(const struct ws_index_table *t, struct side *s, uint64_t *rng)
{
	uint32_t q[BURST];
	void *res[BURST];

	for (unsigned i = 0; i < BURST; i++)
		q[i] = s->live[rng_next(rng) % s->n];
	uint64_t t0 = rte_rdtsc_precise();
	s->hits += ws_index_lookup_bulk(t, q, BURST, WS_INDEX_KEYPAIR, res);
	s->cycles += rte_rdtsc_precise() - t0;
	s->lookups += BURST;
}

static void burst_hash(const struct rte_hash *h, struct side *s, uint64_t *rng)
{
	uint32_t q[BURST];
	const void *keys[BURST];
	void *res[BURST];
	uint64_t hits = 0;

	for (unsigned i = 0; i < BURST; i++) {
		q[i] = s->live[rng_next(rng) % s->n];
		keys[i] = &q[i];
	}
	uint64_t t0 = rte_rdtsc_precise();
	if (rte_hash_lookup_bulk_data(h, keys, BURST, &hits, res) < 0)
		hits = 0;
	s->cycles += rte_rdtsc_precise() - t0;
	s->hits += (uint64_t)__builtin_popcountll(hits);
	s->lookups += BURST;
}

static json_t *point(unsigned peers)
{
	static unsigned seq;
	unsigned n = peers * LIVE_PER_PEER;
	uint32_t cap = rte_align32pow2(peers + ROOM_EXTRA_PEERS) * ROOM_PER_PEER;
	char name[32];
	uint64_t *objs = calloc(n, sizeof(*objs));
	uint32_t *live = calloc(n, sizeof(*live));
	struct ws_index_table *t;
	struct rte_hash *h;

	snprintf(name, sizeof(name), "ib%u", seq++);
	struct rte_hash_parameters hp = {
		.name = name, .entries = cap, .key_len = sizeof(uint32_t),
		.hash_func_init_val = ws_random_u32(), .socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t = ws_index_create(name, cap, (int)rte_socket_id(), NULL);
	h = rte_hash_create(&hp);
	if (objs == NULL || live == NULL || t == NULL || h == NULL) {
		ws_index_free(t);
		rte_hash_free(h);
		free(objs);
		free(live);
		return json_pack("{s:i, s:s}", "peers", (int)peers, "error", "allocation");
	}
	/* The same live indices in both tables. */
	for (unsigned i = 0; i < n; i++)
		if (ws_index_insert(t, WS_INDEX_KEYPAIR, &objs[i], &live[i]) != 0 ||
		    rte_hash_add_key_data(h, &live[i], &objs[i]) != 0) {
			n = i;
			break;
		}

	struct side a = { .live = live, .n = n }, b = { .live = live, .n = n };
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ peers;
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(opt.secs * bench_tsc_hz());

	/* Interleaved, so the two sides share the machine's noise. */
	while (n > 0 && rte_get_tsc_cycles() < end) {
		burst_index(t, &a, &rng);
		burst_hash(h, &b, &rng);
	}
	double ca = a.lookups ? (double)a.cycles / a.lookups : 0;
	double cb = b.lookups ? (double)b.cycles / b.lookups : 0;
	bool all_hit = a.hits == a.lookups && b.hits == b.lookups;

	printf("index %6u peers (%7u entries): ws_index %6.1f cyc/lookup, rte_hash %6.1f "
	       "cyc/lookup, ratio %.2f%s\n", peers, n, ca, cb, cb > 0 ? ca / cb : 0,
	       all_hit ? "" : " (MISSES)");
	ws_index_free(t);
	rte_hash_free(h);
	free(objs);
	free(live);
	return json_pack("{s:i, s:i, s:f, s:f, s:f, s:b}", "peers", (int)peers, "entries",
			 (int)n, "ws_index_cycles", ca, "rte_hash_cycles", cb,
			 "ratio", cb > 0 ? ca / cb : 0.0, "all_hit", all_hit);
}

int main(int argc, char **argv)
{
	static const unsigned peer_counts[] = { 1, 1000, 100000 };
	json_t *root, *points;

	for (int i = 1; i < argc;) {
		int j = bench_opts_take(argc, argv, i, &opt);

		if (j <= i) {
			fprintf(stderr, "usage: index_bench [--short] [--secs S] [--json FILE]\n");
			return 2;
		}
		i = j;
	}
	bench_short_secs(&opt, 0.05);
	if (bench_eal_init("index_bench", "0", 512, NULL) != 0 || ws_crypto_init() != 0) {
		fprintf(stderr, "index_bench: EAL or crypto init failed\n");
		return 1;
	}
	root = json_object();
	points = json_array();
	json_object_set_new(root, "tsc_hz", json_real(bench_tsc_hz()));
	for (unsigned i = 0; i < RTE_DIM(peer_counts); i++)
		json_array_append_new(points, point(peer_counts[i]));
	json_object_set_new(root, "points", points);
	int rc = bench_json_write(root, opt.json);
	json_decref(root);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
