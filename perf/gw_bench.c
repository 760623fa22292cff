/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Gateway throughput and latency, in-process, over net_ring ports (see
 * gw_harness.h), with the IPsec-MB ceiling measured on the worker's core
 * (lcore 0 in rtc, lcore 1 in split) right before every point, so that the
 * ratio gateway / ceiling is like for like.
 * Each point is --rounds (default 3; --short: 1, and 0.1 s, unless --rounds
 * and --secs are given) such pairs, S seconds of gateway in all; the round
 * with the median ratio is reported, every round's ratio in "ratio_rounds". With more than one peer, each round
 * also runs the same gateway with all traffic on one of its peers, right
 * after: "vs_one_active" is the median of the rounds' rate with the
 * traffic spread over every peer against that (cycles per packet, one
 * peer's over all peers'), the cost of many peers measured in one moment.
 *
 *   gw_bench [--short] [--secs S] [--json FILE] [--peers 1,1000,100000]
 *            [--rounds N] [--active N] [--size S] [--no-latency] [--shuffle]
 *            [--rtc-only | --split-only] [--outer6]
 *
 * --active N puts all traffic on the first N peers of each set and skips the
 * one-active comparison: a profile of one such run per traffic spread can
 * then be compared packet for packet. --size S runs that size only ("64" ..
 * "1420", "imix"); --no-latency skips the latency points (single packets,
 * idle polls), which would blur such a profile.
 *
 * A peer set above 10,000 is not torn down (see bench_peers) and ends the
 * run: perf/run.sh runs the two modes as two processes.
 *
 * Modes: "rtc" (every role on lcore 0, run to completion) and, when the
 * EAL got a second lcore, "split" (the worker alone on lcore 1; lcore 0
 * runs RX, TX, control and the traffic generator). Cycles per packet are
 * the cycles spent inside the gateway's own poll functions: in rtc all of
 * them, in split the worker's (its busy polls) and, apart, lcore 0's.
 * --outer6 runs the tunnel over IPv6 (modes "rtc-ipv6", "split-ipv6"):
 * every datagram carries a UDP checksum, which net_ring leaves to the
 * gateway to sum on TX and to verify on RX. --shuffle sends to the peers
 * in a fixed random order instead of by id (modes "rtc-shuffled", ...;
 * see gwh_shuffle).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "gw_harness.h"

enum { BACKLOG = 256, LAT_CAP = 1 << 16, TEARDOWN_MAX = 10000, MAX_ROUNDS = 9 };

static struct bench_opts opt = { .secs = 0.5 };
static unsigned n_rounds = 3;      /* ceiling/gateway pairs per point (--rounds) */
static bool rounds_given;
static unsigned only_active;       /* --active N: traffic on N peers only, no comparison */
static int only_size = -1;         /* --size S: bench_sizes[only_size] only */
static bool no_latency;            /* --no-latency: throughput points only */
static bool shuffle;               /* --shuffle: peers in a fixed random order, not by id */

static void add_drops(json_t *obj, const struct ws_gw *gw)
{
	struct ws_lcore_stats t;
	json_t *d = json_object();

	ws_gw_stats_sum(gw, &t);
	for (unsigned i = 1; i < WS_NET_DROP_MAX; i++)
		if (t.parse_drops[i] != 0)
			json_object_set_new(d, ws_net_drop_name((enum ws_net_drop)i),
					    json_integer((json_int_t)t.parse_drops[i]));
	for (unsigned i = 0; i < WS_GW_DROP_MAX; i++)
		if (t.drops[i] != 0)
			json_object_set_new(d, ws_gw_drop_name((enum ws_gw_drop)i),
					    json_integer((json_int_t)t.drops[i]));
	json_object_set_new(obj, "drops", d);
	json_object_set_new(obj, "encrypted", json_integer((json_int_t)t.encrypted));
	json_object_set_new(obj, "decrypted", json_integer((json_int_t)t.decrypted));
}

/* Offered load: keep the RX ring at BACKLOG frames, run the gateway, drain. */
static int run_point(struct gwh *h, enum gwh_dir dir, unsigned size, double secs,
		     struct bench_rate *gwr, struct bench_rate *mainr)
{
	unsigned in_port = dir == GWH_ENCRYPT ? 1 : 0;
	uint64_t next = 0, sent = 0, got = 0, bytes = 0;
	uint64_t t_end, t0, c0;

	/*
	 * Warm-up: caches, lookup tables, reorder state, and one packet for
	 * every peer, so that each peer's first packets in this direction
	 * (their timer events) are behind us and a round measures the steady
	 * state: without it the first round at 100,000 peers ran at a tenth.
	 */
	unsigned warm = 64 + (h->n_peers + BENCH_BATCH - 1) / BENCH_BATCH;

	for (unsigned i = 0; i < warm; i++) {
		gwh_inject(h, dir, size, BENCH_BATCH, &next);
		gwh_poll(h);
		gwh_drain(h, dir, &bytes, NULL, NULL, 0);
	}
	if (gwh_split_start(h) != 0)
		return -EIO;
	for (unsigned i = 0; i < 1000 && h->split; i++) {   /* settle the worker */
		gwh_poll(h);
		gwh_drain(h, dir, &bytes, NULL, NULL, 0);
	}
	h->gw_cycles = 0;
	bytes = 0;
	t0 = rte_get_tsc_cycles();
	c0 = h->gw_cycles;
	t_end = t0 + (uint64_t)(secs * bench_tsc_hz());
	while (rte_get_tsc_cycles() < t_end) {
		if (gwh_rx_backlog(h, in_port) < BACKLOG)
			sent += gwh_inject(h, dir, size, BENCH_BATCH, &next);
		gwh_poll(h);
		got += gwh_drain(h, dir, &bytes, NULL, NULL, 0);
	}
	/* Let what was offered come out (bounded), so packets == cycles' work. */
	uint64_t t_flush = rte_get_tsc_cycles() + rte_get_tsc_hz() / 10;
	while (got < sent && rte_get_tsc_cycles() < t_flush) {
		gwh_poll(h);
		got += gwh_drain(h, dir, &bytes, NULL, NULL, 0);
	}
	gwh_split_stop(h);
	memset(gwr, 0, sizeof(*gwr));
	gwr->packets = got;
	gwr->bytes = bytes;
	gwr->seconds = (double)(rte_get_tsc_cycles() - t0) / bench_tsc_hz();
	gwr->cycles = h->split ? h->worker_busy : h->gw_cycles - c0;
	*mainr = *gwr;
	mainr->cycles = h->gw_cycles - c0;
	return got > 0 ? 0 : -EIO;
}

/* The ceiling on a given lcore: the worker's, in split mode, so the ratio is per worker core. */
struct ceiling_job {
	struct ws_aead *aead;
	unsigned size;
	bool decrypt;
	double secs;
	struct bench_rate *out;
	int rc;
};

static int ceiling_job_run(void *arg)
{
	struct ceiling_job *j = arg;

	j->rc = bench_ceiling_ws_aead(j->aead, j->size, j->decrypt, j->secs, j->out);
	return 0;
}

static int ceiling_on(unsigned lcore, struct ws_aead *aead, unsigned size, bool decrypt,
		      double secs, struct bench_rate *out)
{
	struct ceiling_job j = { aead, size, decrypt, secs, out, -EIO };

	if (lcore == rte_lcore_id()) {
		ceiling_job_run(&j);
		return j.rc;
	}
	if (rte_eal_remote_launch(ceiling_job_run, &j, lcore) != 0)
		return -EBUSY;
	rte_eal_wait_lcore(lcore);
	return j.rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n), n <= MAX_ROUNDS; v is left as it is. */
static double median_of(const double *v, unsigned n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s[n / 2];
}

static json_t *lat_json(uint64_t *lat, unsigned n, const char *load, double offered_mpps)
{
	double us = 1e6 / bench_tsc_hz();

	if (n == 0)
		return json_pack("{s:s, s:i}", "load", load, "samples", 0);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	return json_pack("{s:s, s:i, s:f, s:f, s:f, s:f}", "load", load, "samples", (int)n,
			 "p50_us", (double)lat[n / 2] * us,
			 "p99_us", (double)lat[(uint64_t)n * 99 / 100] * us,
			 "max_us", (double)lat[n - 1] * us, "offered_mpps", offered_mpps);
}

/*
 * Latency from injection (RX ring enqueue) to the frame found on the TX
 * ring: one packet at a time (low load), then paced at 80% of the rate
 * the same point sustained (wall clock, generator included).
 */
static json_t *latency(struct gwh *h, enum gwh_dir dir, unsigned size, double max_mpps)
{
	static uint64_t lat[LAT_CAP];
	unsigned n = 0, in_port = dir == GWH_ENCRYPT ? 1 : 0;
	uint64_t next = 0, bytes = 0, hz = rte_get_tsc_hz();
	uint64_t t_end = rte_get_tsc_cycles() + (uint64_t)(opt.secs * 0.5 * (double)hz);
	json_t *arr = json_array();

	while (rte_get_tsc_cycles() < t_end && n < LAT_CAP) {
		unsigned before = n;

		gwh_inject(h, dir, size, 1, &next);
		for (unsigned spin = 0; n == before && spin < 100000; spin++) {
			gwh_poll(h);
			gwh_drain(h, dir, &bytes, lat, &n, LAT_CAP);
		}
	}
	json_array_append_new(arr, lat_json(lat, n, "low", 0));

	double rate = 0.8 * max_mpps * 1e6 / (double)hz;        /* packets per cycle */
	uint64_t t0 = rte_get_tsc_cycles(), injected = 0;

	n = 0;
	t_end = t0 + (uint64_t)(opt.secs * (double)hz);
	while (rte_get_tsc_cycles() < t_end) {
		uint64_t due = (uint64_t)((double)(rte_get_tsc_cycles() - t0) * rate);

		if (due > injected && gwh_rx_backlog(h, in_port) < 4 * BACKLOG)
			injected += gwh_inject(h, dir, size, (unsigned)RTE_MIN(due - injected, 32u),
					       &next);
		gwh_poll(h);
		gwh_drain(h, dir, &bytes, lat, &n, LAT_CAP);
	}
	for (unsigned i = 0; i < 1000; i++) {
		gwh_poll(h);
		gwh_drain(h, dir, &bytes, lat, &n, LAT_CAP);
	}
	json_array_append_new(arr, lat_json(lat, n, "80%", 0.8 * max_mpps));
	return arr;
}

/* The tunnel's underlay: IPv4, or IPv6 with --outer6 (modes "rtc-ipv6", "split-ipv6"). */
static bool outer6;

/* "rtc" or "split", "-ipv6" with --outer6, "-shuffled" with --shuffle. */
static const char *mode_name(bool split)
{
	static char name[32];

	snprintf(name, sizeof(name), "%s%s%s", split ? "split" : "rtc", outer6 ? "-ipv6" : "",
		 shuffle ? "-shuffled" : "");
	return name;
}

/*
 * Real initiators rekey after REKEY_AFTER_TIME (120 s), and the gateway
 * stops using a session after REJECT_AFTER_TIME (180 s). The simulated
 * peers do neither on their own, so once the oldest session (set up from
 * *since on) is 90 s old (GW_BENCH_REKEY_S to change it) every peer
 * completes a new handshake, untimed, before the next point: otherwise a
 * long stage (100,000 peers on a slow box) would go on to measure expired
 * sessions. Counted in *rekeys.
 */
static int keep_sessions_fresh(struct gwh *h, uint64_t *since, unsigned *rekeys)
{
	const char *env = getenv("GW_BENCH_REKEY_S");
	double secs = env != NULL ? strtod(env, NULL) : WS_REKEY_AFTER_TIME_SECS * 0.75;
	uint64_t now = rte_get_tsc_cycles();

	if ((double)(now - *since) < secs * bench_tsc_hz())
		return 0;
	*since = now;
	(*rekeys)++;
	return gwh_handshake_all(h);
}

static json_t *bench_peers(bool split, unsigned n_peers, struct ws_aead *ceil_aead,
			   json_t *latency_out, bool *abandoned)
{
	json_t *res = json_object(), *points = json_array();
	struct gwh h;
	int rc = gwh_create_outer(&h, n_peers, split, outer6 ? WS_AF_INET6 : WS_AF_INET);
	uint64_t t0;
	unsigned rekeys = 0;

	if (rc != 0) {
		fprintf(stderr, "gw_bench: gateway with %u peers: %s\n", n_peers, strerror(-rc));
		gwh_destroy(&h);
		json_object_set_new(res, "error", json_string(strerror(-rc)));
		return res;
	}
	if (only_active != 0 && only_active < n_peers)
		h.n_active = only_active;
	if (shuffle && gwh_shuffle(&h) != 0) {
		gwh_destroy(&h);
		json_object_set_new(res, "error", json_string(strerror(ENOMEM)));
		return res;
	}
	json_object_set_new(res, "order", json_string(shuffle ? "shuffled" : "by id"));
	t0 = rte_get_tsc_cycles();
	rc = gwh_handshake_all(&h);
	json_object_set_new(res, "handshake_setup_s",
			    json_real((double)(rte_get_tsc_cycles() - t0) / bench_tsc_hz()));
	if (rc != 0) {
		fprintf(stderr, "gw_bench: handshakes with %u peers: %s\n", n_peers,
			strerror(-rc));
		json_object_set_new(res, "error", json_string("handshakes failed"));
		add_drops(res, h.gw);
		if (n_peers > TEARDOWN_MAX)
			*abandoned = true;      /* see the end of this function */
		else
			gwh_destroy(&h);
		return res;
	}
	for (unsigned s = 0; s < BENCH_N_SIZES; s++) {
		unsigned size = bench_sizes[s];

		if (only_size >= 0 ? s != (unsigned)only_size : opt.short_mode && s != 0 && s != 5)
			continue;
		for (int d = 0; d < 2; d++) {
			struct bench_rate cr[MAX_ROUNDS], gr[MAX_ROUNDS], mr[MAX_ROUNDS], c, g, m;
			double ratios[MAX_ROUNDS], spread[MAX_ROUNDS];
			unsigned order[MAX_ROUNDS], r, med;
			json_t *rounds_json;
			char sz[16];
			int bad = 0;

			if (keep_sessions_fresh(&h, &t0, &rekeys) != 0) {
				fprintf(stderr, "gw_bench: %u peers: the rekey failed\n", n_peers);
				json_object_set_new(res, "error", json_string("rekey failed"));
				goto out;
			}
			rounds_json = json_array();

			bench_size_name(size, sz, sizeof(sz));
			/*
			 * Ceiling and gateway alternate n_rounds times, each round a
			 * like-for-like pair; the point reports the round whose ratio
			 * is the median, so a neighbour's burst of load during one
			 * measurement does not make the headline.
			 */
			for (r = 0; r < n_rounds && bad == 0; r++) {
				if (ceiling_on(split ? h.worker_lcore : rte_lcore_id(), ceil_aead, size,
					       d == 1, opt.secs / 2 / n_rounds, &cr[r]) != 0 ||
				    run_point(&h, (enum gwh_dir)d, size, opt.secs / n_rounds, &gr[r],
					      &mr[r]) != 0)
					bad = 1;
				ratios[r] = bench_cpp(&gr[r]) > 0 ? bench_cpp(&cr[r]) / bench_cpp(&gr[r])
								  : 0;
				order[r] = r;
				/*
				 * Many peers: the same gateway again, right after, with
				 * the traffic on one of its peers, so that what spreading
				 * it over all of them costs is measured in the same
				 * moment (points of other peer counts run minutes apart).
				 */
				if (n_peers > 1 && only_active == 0 && bad == 0) {
					struct bench_rate one, one_main;

					h.n_active = 1;
					bad = run_point(&h, (enum gwh_dir)d, size, opt.secs / n_rounds,
							&one, &one_main) != 0;
					h.n_active = 0;     /* only_active is 0 here */
					spread[r] = bench_cpp(&gr[r]) > 0 ? bench_cpp(&one) / bench_cpp(&gr[r])
									  : 0;
				}
			}
			if (bad) {
				fprintf(stderr, "gw_bench: %u peers %s %s: no packets\n", n_peers,
					sz, gwh_dir_name(d));
				json_decref(rounds_json);
				json_array_append_new(points, json_pack("{s:s, s:s, s:s}", "size",
						      sz, "dir", gwh_dir_name(d), "error", "no packets"));
				continue;
			}
			for (unsigned i = 1; i < n_rounds; i++)         /* insertion sort by ratio */
				for (unsigned j = i; j > 0 && ratios[order[j - 1]] > ratios[order[j]]; j--) {
					unsigned t = order[j];

					order[j] = order[j - 1];
					order[j - 1] = t;
				}
			med = order[n_rounds / 2];
			c = cr[med];
			g = gr[med];
			m = mr[med];
			for (r = 0; r < n_rounds; r++)
				json_array_append_new(rounds_json, json_real(ratios[r]));
			double ratio = ratios[med];
			json_t *pt = json_pack("{s:s, s:s, s:o, s:o, s:f, s:o}", "size", sz, "dir",
					       gwh_dir_name(d), "gateway", bench_rate_json(&g), "ceiling",
					       bench_rate_json(&c), "ratio", ratio, "ratio_rounds",
					       rounds_json);
			if (split)
				json_object_set_new(pt, "main_lcore", bench_rate_json(&m));
			if (n_peers > 1 && only_active == 0) {
				json_t *sr = json_array();

				for (r = 0; r < n_rounds; r++)
					json_array_append_new(sr, json_real(spread[r]));
				json_object_set_new(pt, "vs_one_active",
						    json_real(median_of(spread, n_rounds)));
				json_object_set_new(pt, "vs_one_active_rounds", sr);
			}
			json_array_append_new(points, pt);
			printf("%-5s %6u peers %-5s %s: gateway %7.1f cyc/pkt %6.3f Mpps %6.2f Gbps"
			       " | ceiling %7.1f cyc/pkt | ratio %.2f | wall %.3f Mpps",
			       mode_name(split), n_peers, sz, gwh_dir_name(d), bench_cpp(&g),
			       bench_mpps(&g), bench_gbps(&g), bench_cpp(&c), ratio,
			       (double)g.packets / g.seconds / 1e6);
			for (r = 0; r < n_rounds && n_rounds > 1; r++)
				printf("%s%.2f", r == 0 ? " | rounds " : " ", ratios[r]);
			if (n_peers > 1 && only_active == 0)
				printf(" | vs 1 active %.2f", median_of(spread, n_rounds));
			printf("\n");
			fflush(stdout);
			if (latency_out != NULL && (size == 64 || size == 1420)) {
				json_t *l = latency(&h, (enum gwh_dir)d, size,
						    (double)g.packets / g.seconds / 1e6);
				json_array_append_new(latency_out, json_pack(
					"{s:s, s:s, s:o}", "size", sz, "dir", gwh_dir_name(d), "results", l));
			}
		}
	}
out:
	json_object_set_new(res, "rekeys", json_integer(rekeys));
	json_object_set_new(res, "points", points);
	add_drops(res, h.gw);
	if (n_peers > TEARDOWN_MAX) {
		/*
		 * Removing 100,000 peers one by one takes minutes (each removal
		 * walks the allowed-ips RIB: rte_rib_get_nxt), so a big set is
		 * left to process exit, and must be the last gateway of the run.
		 */
		gwh_split_stop(&h);
		json_object_set_new(res, "clean_shutdown", json_null());
		json_object_set_new(res, "teardown", json_string("skipped: peer removal cost"));
		*abandoned = true;
		return res;
	}
	rc = gwh_destroy(&h);
	json_object_set_new(res, "clean_shutdown", json_boolean(rc == 0));
	return res;
}

/* A whole number in [1, max] from s into *out; false if s is anything else. */
static bool take_count(const char *s, unsigned long max, unsigned *out)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);

	if (*s == '\0' || *e != '\0' || v < 1 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* The index in bench_sizes of the size named s ("64" .. "1420", "imix"), or -1. */
static int size_index(const char *s)
{
	char sz[16];

	for (unsigned i = 0; i < BENCH_N_SIZES; i++)
		if (strcmp(bench_size_name(bench_sizes[i], sz, sizeof(sz)), s) == 0)
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned peers[8] = { 1, 1000, 100000 }, n_peer_sets = 3;
	json_t *root, *modes, *lat;
	struct ws_aead *ceil_aead;
	bool have_split, rtc_only = false, split_only = false, abandoned = false;

	for (int i = 1; i < argc;) {
		int j = bench_opts_take(argc, argv, i, &opt);

		if (j > i) {
			i = j;
			continue;
		}
		if (j == i && strcmp(argv[i], "--rtc-only") == 0) {
			rtc_only = true;
			i++;
			continue;
		}
		if (j == i && strcmp(argv[i], "--outer6") == 0) {
			outer6 = true;
			i++;
			continue;
		}
		if (j == i && strcmp(argv[i], "--split-only") == 0) {
			split_only = true;
			i++;
			continue;
		}
		if (j == i && strcmp(argv[i], "--rounds") == 0 && i + 1 < argc &&
		    take_count(argv[i + 1], MAX_ROUNDS, &n_rounds)) {
			rounds_given = true;
			i += 2;
			continue;
		}
		if (j == i && strcmp(argv[i], "--active") == 0 && i + 1 < argc &&
		    take_count(argv[i + 1], UINT32_MAX, &only_active)) {
			i += 2;
			continue;
		}
		if (j == i && strcmp(argv[i], "--no-latency") == 0) {
			no_latency = true;
			i++;
			continue;
		}
		if (j == i && strcmp(argv[i], "--shuffle") == 0) {
			shuffle = true;
			i++;
			continue;
		}
		if (j == i && strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
		    (only_size = size_index(argv[i + 1])) >= 0) {
			i += 2;
			continue;
		}
		if (j == i && strcmp(argv[i], "--peers") == 0 && i + 1 < argc) {
			char *s = argv[i + 1], *e;

			for (n_peer_sets = 0; *s != '\0' && n_peer_sets < RTE_DIM(peers);) {
				peers[n_peer_sets++] = (unsigned)strtoul(s, &e, 10);
				s = *e == ',' ? e + 1 : e;
				if (e == s && *e != '\0')
					break;
			}
			i += 2;
			continue;
		}
		fprintf(stderr, "usage: gw_bench [--short] [--secs S] [--json FILE] "
			"[--peers N,N,...] [--rounds N] [--active N] [--size 64|...|1420|imix] "
			"[--no-latency] [--shuffle] [--rtc-only|--split-only] [--outer6]\n");
		return 2;
	}
	bench_short_secs(&opt, 0.1);
	if (opt.short_mode) {
		if (!rounds_given)
			n_rounds = 1;
		if (n_peer_sets == 3 && peers[2] == 100000)
			peers[1] = 100, n_peer_sets = 2;
	}
	if (bench_eal_init("gw_bench", "0-1", 2048, NULL) != 0 || ws_crypto_init() != 0) {
		fprintf(stderr, "gw_bench: EAL or crypto init failed\n");
		return 1;
	}
	have_split = rte_lcore_count() > 1 && !rtc_only;
	ceil_aead = ws_aead_create("ipsec_mb");
	if (ceil_aead == NULL) {
		fprintf(stderr, "gw_bench: ipsec_mb back end unavailable\n");
		return 1;
	}
	root = json_object();
	modes = json_object();
	lat = json_array();
	json_object_set_new(root, "tsc_hz", json_real(bench_tsc_hz()));
	json_object_set_new(root, "hugepages", json_boolean(bench_hugepages()));
	json_object_set_new(root, "ceiling_backend",
			    json_string("ws_aead ipsec_mb, on the worker's lcore"));
	for (int split = split_only ? 1 : 0; split <= (int)have_split; split++) {
		json_t *mode = json_object();

		for (unsigned k = 0; k < n_peer_sets && !abandoned; k++) {
			json_t *l = !split && k == 0 && !no_latency ? lat : NULL;
			char key[16];

			snprintf(key, sizeof(key), "%u", peers[k]);
			json_object_set_new(mode, key, bench_peers(split, peers[k], ceil_aead, l,
								   &abandoned));
		}
		json_object_set_new(modes, mode_name(split), mode);
	}
	if (!have_split)
		json_object_set_new(root, "split_unavailable", json_string("one lcore only"));
	json_object_set_new(root, "modes", modes);
	json_object_set_new(root, "latency", lat);
	int rc = bench_json_write(root, opt.json);
	json_decref(root);
	ws_aead_free(ceil_aead);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
