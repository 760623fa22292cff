/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the perf/ benchmarks: packet sizes (and IMIX), the EAL line,
 * TSC timing, the crypto ceiling measured in the same process, JSON out.
 *
 * Every figure is "per core busy cycles": the TSC cycles spent inside the
 * code under test divided by the packets it finished; Mpps per core is
 * tsc_hz / cycles_per_packet. Generators and sinks are timed apart.
 */
#ifndef WS_BENCH_UTIL_H
#define WS_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ws_aead.h"

enum {
	BENCH_N_SIZES = 7,              /* 64 .. 1420 and IMIX */
	BENCH_IMIX = 0,                 /* size 0 stands for IMIX */
	BENCH_IMIX_LEN = 12,
	BENCH_BATCH = 32,
	BENCH_MAX_PKT = 1420,
};

/* Inner IP packet sizes; the last one (0) is IMIX. */
extern const unsigned bench_sizes[BENCH_N_SIZES];
/* Simple IMIX over the tunnel MTU: 7 x 64, 4 x 576, 1 x 1420 bytes. */
extern const unsigned bench_imix[BENCH_IMIX_LEN];

/* The i-th packet's size in a stream of the given nominal size. */
static inline unsigned bench_pkt_size(unsigned size, uint64_t i)
{
	return size == BENCH_IMIX ? bench_imix[i % BENCH_IMIX_LEN] : size;
}
double bench_imix_avg(void);
/* Mean bytes per packet of a nominal size (IMIX: the mix's mean). */
static inline double bench_mean_size(unsigned size)
{
	return size == BENCH_IMIX ? bench_imix_avg() : (double)size;
}
const char *bench_size_name(unsigned size, char *buf, unsigned len);

/*
 * rte_eal_init with a private prefix, no hugepages, no PCI; lcores "0" or
 * "0-1"; driver: a PMD shared object to load (-d), or NULL.
 */
int bench_eal_init(const char *prog, const char *lcores, unsigned mem_mb, const char *driver);

/* Whether DPDK's memory is on hugepages (WS_BENCH_HUGEPAGES=1 asks for them). */
bool bench_hugepages(void);
double bench_tsc_hz(void);

/* A measured rate. */
struct bench_rate {
	uint64_t packets;
	uint64_t bytes;                 /* inner (plaintext IP) bytes */
	uint64_t cycles;                /* busy TSC cycles of the code under test */
	double seconds;                 /* wall clock */
};

double bench_cpp(const struct bench_rate *r);      /* cycles per packet */
double bench_mpps(const struct bench_rate *r);     /* per core: hz / cpp / 1e6 */
double bench_gbps(const struct bench_rate *r);     /* per core, inner bytes */
json_t *bench_rate_json(const struct bench_rate *r);

/*
 * ChaCha20-Poly1305 on one core through the ws_aead batch API, in place,
 * WireGuard-padded lengths, bursts of BENCH_BATCH, for about secs seconds.
 * Decrypt inputs are restored between bursts outside the timed part.
 */
int bench_ceiling_ws_aead(struct ws_aead *aead, unsigned size, bool decrypt, double secs,
			  struct bench_rate *out);

/* The same loop over any burst function with ws_aead_op semantics. */
typedef unsigned (*bench_burst_fn)(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt);
int bench_ceiling_run(bench_burst_fn fn, void *ctx, unsigned size, bool decrypt, double secs,
		      struct bench_rate *out);
/* ctx is a struct ws_aead. */
unsigned bench_ws_aead_fn(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt);

/* Writes root to path (pretty); 0 or -1. */
int bench_json_write(json_t *root, const char *path);

/*
 * The options every tool takes: --json FILE, --short, --secs S (seconds
 * per measured point). Unknown options are left to the tool: returns the
 * index of the first argument it did not take, or -1 on a bad value.
 */
struct bench_opts {
	const char *json;
	bool short_mode;
	double secs;
	bool secs_given;                /* --secs was on the command line */
};
int bench_opts_take(int argc, char **argv, int i, struct bench_opts *o);
/* --short: the tool's short time per point, unless --secs gave one. */
void bench_short_secs(struct bench_opts *o, double secs);

#endif /* WS_BENCH_UTIL_H */
