/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handshakes per second per handshake/control lcore (consume initiation,
 * create response, begin session; real X25519), and the data-path rate of
 * an established peer while initiations flood in, with and without the
 * gateway switching to cookie replies (DESIGN: "under load").
 *
 *   hs_bench [--short] [--secs S] [--json FILE]
 *
 * The gateway is the real one over net_ring ports (gw_harness.h). The
 * simulated peers' own work (creating initiations) is done before the
 * timed part; only the gateway's polls are timed. Between chunks of the
 * handshakes, the same lcore times the X25519 work a responder handshake
 * cannot avoid (x25519_floor): the handshake rate's same-run ceiling.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gw_harness.h"

static struct bench_opts opt = { .secs = 1.0 };

/*
 * The X25519 work of one responder handshake, in TSC cycles, measured on
 * this lcore now: three variable-base multiplications (the initiator's
 * ephemeral times our static key, our ephemeral times theirs and times
 * their static key; static times static is precomputed per peer) and a
 * fresh ephemeral key pair, through the same calls the handshake makes.
 * The gateway's handshake rate against hz / that is the share of its
 * time spent beyond X25519, a ratio the VM's moment does not move.
 */
static double x25519_floor(unsigned n, double *var_cycles, double *pair_cycles)
{
	uint8_t sk[WS_KEY_LEN], pk[WS_KEY_LEN], out[WS_KEY_LEN];
	uint64_t t0;

	ws_x25519_generate(sk);
	if (ws_x25519_public(pk, sk) != 0)
		return 0;
	t0 = rte_rdtsc();
	for (unsigned i = 0; i < n; i++) {
		if (ws_x25519(out, sk, pk) != 0)
			return 0;
		memcpy(pk, out, sizeof(pk));    /* a new point each time, as a handshake sees */
	}
	*var_cycles = (double)(rte_rdtsc() - t0) / n;
	t0 = rte_rdtsc();
	for (unsigned i = 0; i < n; i++) {
		ws_x25519_generate(sk);
		if (ws_x25519_public(pk, sk) != 0)
			return 0;
	}
	*pair_cycles = (double)(rte_rdtsc() - t0) / n;
	ws_memzero(sk, sizeof(sk));
	ws_memzero(out, sizeof(out));
	return 3 * *var_cycles + *pair_cycles;
}

/* Handshakes/s: fresh initiations from n distinct peers, 32 in flight. */
static json_t *hs_rate(unsigned n)
{
	struct gwh h;
	struct rte_mbuf **init = calloc(n, sizeof(*init));
	struct gwh_hs_count c = { 0 };
	uint64_t t0;
	int rc = init == NULL ? -ENOMEM : gwh_create(&h, n, false);

	if (rc != 0) {
		free(init);
		return json_pack("{s:s}", "error", strerror(-rc));
	}
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = gwh_initiation_frame(&h, i, &init[i]);
	if (rc != 0) {
		gwh_destroy(&h);
		free(init);
		return json_pack("{s:s}", "error", "initiations");
	}
	/*
	 * In chunks of a twentieth of the initiations, and after each the
	 * X25519 floor sampled on the same lcore: the two alternate over the
	 * whole measurement, as gw_bench's rounds do, so a slower moment of
	 * the machine weighs on both alike.
	 */
	const unsigned chunk = n / 20 > 16 ? n / 20 : 16;
	double var_sum = 0, pair_sum = 0;
	unsigned samples = 0, next = 0, upto = 0;
	uint64_t floor_tsc = 0, deadline;

	h.gw_cycles = 0;
	t0 = rte_get_tsc_cycles();
	deadline = t0 + 60 * rte_get_tsc_hz();
	while (upto < n && rte_get_tsc_cycles() < deadline) {
		uint64_t f0;
		double v, p;

		upto = n - upto > chunk ? upto + chunk : n;
		while ((c.responses + c.cookies + c.other < upto) && rte_get_tsc_cycles() < deadline) {
			while (next < upto && next < c.responses + c.cookies + c.other + 32)
				gwh_inject_frame(&h, init[next++]);
			gwh_poll(&h);
			gwh_drain_handshakes(&h, &c);
		}
		f0 = rte_get_tsc_cycles();
		if (x25519_floor(25, &v, &p) > 0) {
			var_sum += v;
			pair_sum += p;
			samples++;
		}
		floor_tsc += rte_get_tsc_cycles() - f0;
	}
	double wall = (double)(rte_get_tsc_cycles() - t0 - floor_tsc) / bench_tsc_hz();
	double busy = (double)h.gw_cycles / bench_tsc_hz();
	json_t *r = json_pack("{s:i, s:I, s:I, s:f, s:f, s:f}", "initiations", (int)n,
			      "responses", (json_int_t)c.responses, "cookies",
			      (json_int_t)c.cookies, "busy_s", busy,
			      "handshakes_per_s_per_lcore", busy > 0 ? (double)c.responses / busy : 0.0,
			      "wall_handshakes_per_s", wall > 0 ? (double)c.responses / wall : 0.0);
	printf("handshakes: %" PRIu64 " of %u answered, %.0f per second per lcore (busy), "
	       "%.0f wall\n", c.responses, n, busy > 0 ? (double)c.responses / busy : 0.0,
	       wall > 0 ? (double)c.responses / wall : 0.0);
	if (samples > 0 && busy > 0 && c.responses > 0) {
		double var = var_sum / samples, pair = pair_sum / samples;
		double floor_cyc = 3 * var + pair, floor_per_s = bench_tsc_hz() / floor_cyc;
		double per_hs = h.gw_cycles / (double)c.responses;

		json_object_set_new(r, "x25519_cycles", json_real(var));
		json_object_set_new(r, "x25519_keypair_cycles", json_real(pair));
		json_object_set_new(r, "x25519_floor_per_s", json_real(floor_per_s));
		json_object_set_new(r, "cycles_per_handshake", json_real(per_hs));
		json_object_set_new(r, "vs_x25519_floor", json_real(floor_cyc / per_hs));
		printf("  X25519 alone: %.0f cycles a handshake (3 x %.0f + key pair %.0f), "
		       "%.0f per second at most; the gateway's %.0f cycles a handshake are %.2f of "
		       "it\n", floor_cyc, var, pair, floor_per_s, per_hs, floor_cyc / per_hs);
	}
	for (; next < n; next++)        /* never offered (time ran out) */
		rte_pktmbuf_free(init[next]);
	rc = gwh_destroy(&h);
	json_object_set_new(r, "clean_shutdown", json_boolean(rc == 0));
	free(init);
	return r;
}

enum flood { FLOOD_NONE, FLOOD_NO_COOKIE, FLOOD_COOKIE };
static const char *const flood_name[] = { "none", "no_cookie", "cookie" };
enum { RX_ADMIT = 8 * BENCH_BATCH };

/* A copy of a pre-built initiation frame (a replay costs the gateway its DH too). */
static struct rte_mbuf *copy_frame(struct gwh *h, const struct rte_mbuf *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->gw->pool);
	char *d;

	if (m == NULL)
		return NULL;
	d = rte_pktmbuf_append(m, rte_pktmbuf_data_len(src));
	memcpy(d, rte_pktmbuf_mtod(src, const void *), rte_pktmbuf_data_len(src));
	return m;
}

static json_t *flood_run(struct gwh *h, enum flood f, enum gwh_dir dir, struct rte_mbuf **pool,
			 unsigned n_pool, unsigned size)
{
	const unsigned data_port = dir == GWH_ENCRYPT ? 1 : 0;
	struct ws_lcore_stats s0, s1;
	struct gwh_hs_count c = { 0 };
	uint64_t next = 0, got = 0, bytes = 0, injected_hs = 0, k = 0, max_depth = 0;
	uint64_t t0 = rte_get_tsc_cycles(), t_end = t0 + (uint64_t)(opt.secs * bench_tsc_hz());
	uint64_t gw0 = h->gw_cycles;

	ws_gw_stats_sum(h->gw, &s0);
	if (gwh_split_start(h) != 0)
		return json_pack("{s:s}", "error", "launch");
	while (rte_get_tsc_cycles() < t_end) {
		/*
		 * Data and initiations share the tunnel port's RX ring, as on a
		 * NIC queue, and are admitted alike: while the ring holds fewer
		 * than RX_ADMIT frames, a batch of data and initiations at a low
		 * (1 per loop) or a high (32 per loop, as many as the data)
		 * rate. The bound is a few bursts, the same for every run: a
		 * standing queue of thousands would make the flood runs' frames
		 * cache-cold by the time RX reaches them while the no-flood
		 * run's stay warm, and measure that instead of the flood.
		 * Encrypting, the data comes in on the clear port: the
		 * generator then only copies a clear frame, where decrypting
		 * it seals every packet on lcore 0 first.
		 */
		bool room = gwh_rx_backlog(h, 0) < RX_ADMIT;
		unsigned want = 0;

		if (gwh_rx_backlog(h, data_port) < RX_ADMIT)
			gwh_inject(h, dir, size, BENCH_BATCH, &next);
		if (f == FLOOD_NO_COOKIE)
			want = 1;
		else if (f == FLOOD_COOKIE && room)
			want = 32;
		for (unsigned i = 0; i < want; i++) {
			struct rte_mbuf *m = copy_frame(h, pool[k++ % n_pool]);

			if (m == NULL)
				break;
			gwh_inject_frame(h, m);
			injected_hs++;
		}
		gwh_poll(h);
		got += gwh_drain(h, dir, &bytes, NULL, NULL, 0);
		gwh_drain_handshakes(h, &c);
		max_depth = RTE_MAX(max_depth, (uint64_t)rte_ring_count(h->gw->hs_in));
	}
	gwh_split_stop(h);
	double wall = (double)(rte_get_tsc_cycles() - t0) / bench_tsc_hz();
	/*
	 * The generator shares lcore 0 and copying the flood's frames is its
	 * cost, not the gateway's (a NIC delivers them for free): the data
	 * rate per second of the gateway's own polls on lcore 0 is what the
	 * flood leaves of the gateway.
	 */
	double busy = (double)(h->gw_cycles - gw0) / bench_tsc_hz();
	ws_gw_stats_sum(h->gw, &s1);
	for (unsigned i = 0; i < 2000; i++) {   /* empty the queues before the next run */
		gwh_poll(h);
		gwh_drain_all(h);
	}
	json_t *r = json_pack("{s:s, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}", "flood",
			      flood_name[f], "data_mpps", (double)got / wall / 1e6,
			      "data_mpps_gw_busy", busy > 0 ? (double)got / busy / 1e6 : 0.0,
			      "data_gbps", (double)bytes * 8 / wall / 1e9,
			      "initiations_offered", (json_int_t)injected_hs,
			      "handshakes_in", (json_int_t)(s1.handshakes_in - s0.handshakes_in),
			      "cookies_sent", (json_int_t)(s1.cookies_sent - s0.cookies_sent),
			      "responses_out", (json_int_t)c.responses,
			      "max_hs_queue_depth", (json_int_t)max_depth);
	printf("flood %-9s %s size %u: data %.3f Mpps (%.3f per gateway-busy s), %" PRIu64
	       " initiations offered, %" PRIu64 " handshakes, %" PRIu64 " cookies\n",
	       flood_name[f], gwh_dir_name(dir), size, (double)got / wall / 1e6,
	       busy > 0 ? got / busy / 1e6 : 0.0,
	       injected_hs, s1.handshakes_in - s0.handshakes_in,
	       s1.cookies_sent - s0.cookies_sent);
	return r;
}

static json_t *flood_bench(bool split, enum gwh_dir dir, unsigned size)
{
	enum { FLOODERS = 256 };
	struct rte_mbuf *pool[FLOODERS];
	struct gwh h;
	json_t *runs = json_array();
	int rc = gwh_create(&h, 1 + FLOODERS, split);

	if (rc == 0)
		rc = gwh_handshake_all(&h);
	for (unsigned i = 0; i < FLOODERS && rc == 0; i++)
		rc = gwh_initiation_frame(&h, 1 + i, &pool[i]);
	if (rc != 0) {
		gwh_destroy(&h);
		json_decref(runs);
		return json_pack("{s:s}", "error", strerror(-rc));
	}
	/* The established peer is peer 0; only it sends data (n_peers 1 view). */
	unsigned all = h.n_peers;
	h.n_peers = 1;
	double base = 0, base_busy = 0;
	for (int f = FLOOD_NONE; f <= FLOOD_COOKIE; f++) {
		json_t *r = flood_run(&h, (enum flood)f, dir, pool, FLOODERS, size);
		double mpps = json_real_value(json_object_get(r, "data_mpps"));
		double busy = json_real_value(json_object_get(r, "data_mpps_gw_busy"));

		if (f == FLOOD_NONE) {
			base = mpps;
			base_busy = busy;
		}
		json_object_set_new(r, "ratio_to_no_flood", json_real(base > 0 ? mpps / base : 0));
		json_object_set_new(r, "ratio_to_no_flood_gw_busy",
				    json_real(base_busy > 0 ? busy / base_busy : 0));
		json_array_append_new(runs, r);
	}
	h.n_peers = all;
	for (unsigned i = 0; i < FLOODERS; i++)
		rte_pktmbuf_free(pool[i]);
	rc = gwh_destroy(&h);
	return json_pack("{s:s, s:s, s:i, s:o, s:b}", "mode", split ? "split" : "rtc", "dir",
			 gwh_dir_name(dir), "size", (int)size, "runs", runs, "clean_shutdown", rc == 0);
}

int main(int argc, char **argv)
{
	json_t *root, *floods;

	for (int i = 1; i < argc;) {
		int j = bench_opts_take(argc, argv, i, &opt);

		if (j <= i) {
			fprintf(stderr, "usage: hs_bench [--short] [--secs S] [--json FILE]\n");
			return 2;
		}
		i = j;
	}
	bench_short_secs(&opt, 0.2);
	if (bench_eal_init("hs_bench", "0-1", 1024, NULL) != 0 || ws_crypto_init() != 0) {
		fprintf(stderr, "hs_bench: EAL or crypto init failed\n");
		return 1;
	}
	root = json_object();
	floods = json_array();
	json_object_set_new(root, "tsc_hz", json_real(bench_tsc_hz()));
	json_object_set_new(root, "handshakes", hs_rate(opt.short_mode ? 64 : 2000));
	for (int split = 0; split <= (rte_lcore_count() > 1); split++)
		for (int dir = GWH_ENCRYPT; dir <= GWH_DECRYPT; dir++)
			json_array_append_new(floods, flood_bench(split, (enum gwh_dir)dir, 1420));
	json_object_set_new(root, "flood", floods);
	int rc = bench_json_write(root, opt.json);
	json_decref(root);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
