/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_random.h>

#include "bench_util.h"
#include "messages.h"

const unsigned bench_sizes[BENCH_N_SIZES] = { 64, 128, 256, 512, 1024, 1420, BENCH_IMIX };
const unsigned bench_imix[BENCH_IMIX_LEN] = {
	64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576, 64,
};

double bench_imix_avg(void)
{
	double s = 0;

	for (unsigned i = 0; i < BENCH_IMIX_LEN; i++)
		s += bench_imix[i];
	return s / BENCH_IMIX_LEN;
}

const char *bench_size_name(unsigned size, char *buf, unsigned len)
{
	if (size == BENCH_IMIX)
		snprintf(buf, len, "imix");
	else
		snprintf(buf, len, "%u", size);
	return buf;
}

int bench_eal_init(const char *prog, const char *lcores, unsigned mem_mb, const char *driver)
{
	static char prefix[48], mem[16], lc[32];
	char *loglevel = getenv("WS_BENCH_LOG_LEVEL") ? getenv("WS_BENCH_LOG_LEVEL") : "error";
	char *argv[] = { (char *)prog, "--no-huge", "-m", mem, "--no-pci", "--no-shconf",
			 "--file-prefix", prefix, "--no-telemetry", "-l", lc,
			 "--log-level", loglevel, NULL, NULL, NULL };
	int argc = (int)RTE_DIM(argv) - 3;

	if (driver != NULL) {
		argv[argc++] = "-d";
		argv[argc++] = (char *)driver;
	}
	/*
	 * WS_BENCH_HUGEPAGES=1: DPDK memory on 2 MiB pages, as a gateway is
	 * deployed (root reserves them: vm.nr_hugepages, hugetlbfs mounted).
	 * With thousands of peers, 4 KiB pages add a TLB miss per peer and
	 * keypair touched; the JSON says which memory a run had.
	 */
	if (getenv("WS_BENCH_HUGEPAGES") != NULL && strcmp(getenv("WS_BENCH_HUGEPAGES"), "0") != 0)
		argv[1] = "--in-memory";
	snprintf(prefix, sizeof(prefix), "wsperf%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	snprintf(lc, sizeof(lc), "%s", lcores);
	return rte_eal_init(argc, argv) < 0 ? -1 : 0;
}

bool bench_hugepages(void)
{
	return rte_eal_has_hugepages() != 0;
}

double bench_tsc_hz(void)
{
	return (double)rte_get_tsc_hz();
}

double bench_cpp(const struct bench_rate *r)
{
	return r->packets ? (double)r->cycles / (double)r->packets : 0;
}

double bench_mpps(const struct bench_rate *r)
{
	double cpp = bench_cpp(r);

	return cpp > 0 ? bench_tsc_hz() / cpp / 1e6 : 0;
}

double bench_gbps(const struct bench_rate *r)
{
	return r->cycles ? (double)r->bytes * 8.0 * bench_tsc_hz() / (double)r->cycles / 1e9 : 0;
}

json_t *bench_rate_json(const struct bench_rate *r)
{
	return json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f}",
			 "packets", (json_int_t)r->packets, "bytes", (json_int_t)r->bytes,
			 "cycles_per_packet", bench_cpp(r), "mpps", bench_mpps(r),
			 "gbps", bench_gbps(r), "seconds", r->seconds,
			 "wall_mpps", r->seconds > 0 ? (double)r->packets / r->seconds / 1e6 : 0.0);
}

unsigned bench_ws_aead_fn(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt)
{
	return decrypt ? ws_aead_decrypt_burst(ctx, ops, n) : ws_aead_encrypt_burst(ctx, ops, n);
}

int bench_ceiling_ws_aead(struct ws_aead *aead, unsigned size, bool decrypt, double secs,
			  struct bench_rate *out)
{
	return bench_ceiling_run(bench_ws_aead_fn, aead, size, decrypt, secs, out);
}

int bench_ceiling_run(bench_burst_fn fn, void *ctx, unsigned size, bool decrypt, double secs,
		      struct bench_rate *out)
{
	enum { SLOTS = BENCH_BATCH * 4 };     /* a few bursts' worth of buffers, cycled */
	const unsigned stride = 2048;
	uint8_t *buf = aligned_alloc(64, (size_t)SLOTS * stride * 2);
	uint8_t key[WS_KEY_LEN];
	struct ws_aead_op ops[BENCH_BATCH];
	uint64_t end, counter = 0, i = 0;
	uint64_t t0 = rte_get_tsc_cycles();
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < WS_KEY_LEN; k++)
		key[k] = (uint8_t)rte_rand();
	for (size_t k = 0; k < (size_t)SLOTS * stride; k++)
		buf[k] = (uint8_t)k;
	/* Decrypt needs valid ciphertexts: seal every slot once, keep a copy. */
	if (decrypt) {
		for (unsigned s = 0; s < SLOTS; s++) {
			struct ws_aead_op op = {
				.data = buf + (size_t)s * stride, .key = key, .counter = s,
				.len = ws_msg_data_padded_len(bench_pkt_size(size, s)),
			};
			if (fn(ctx, &op, 1, false) != 1) {
				rc = -EIO;
				goto out;
			}
		}
		memcpy(buf + (size_t)SLOTS * stride, buf, (size_t)SLOTS * stride);
	}
	end = t0 + (uint64_t)(secs * bench_tsc_hz());
	do {
		unsigned base = (unsigned)(i % SLOTS), n;

		for (unsigned k = 0; k < BENCH_BATCH; k++) {
			unsigned s = base + k, plen = bench_pkt_size(size, s);

			ops[k].data = buf + (size_t)s * stride;
			ops[k].key = key;
			ops[k].counter = decrypt ? s : counter++;
			ops[k].len = ws_msg_data_padded_len(plen) + (decrypt ? WS_AEAD_TAG_LEN : 0);
			out->bytes += plen;
		}
		uint64_t c0 = rte_rdtsc_precise();
		n = fn(ctx, ops, BENCH_BATCH, decrypt);
		out->cycles += rte_rdtsc_precise() - c0;
		if (n != BENCH_BATCH) {
			rc = -EIO;
			goto out;
		}
		if (decrypt)    /* untimed: put the ciphertexts back */
			memcpy(buf + (size_t)base * stride, buf + (size_t)(SLOTS + base) * stride,
			       (size_t)BENCH_BATCH * stride);
		out->packets += BENCH_BATCH;
		i += BENCH_BATCH;
	} while (rte_get_tsc_cycles() < end);
	out->seconds = (double)(rte_get_tsc_cycles() - t0) / bench_tsc_hz();
out:
	free(buf);
	return rc;
}

int bench_json_write(json_t *root, const char *path)
{
	if (path == NULL)
		return json_dumpf(root, stdout, JSON_INDENT(1)) == 0 ? 0 : -1;
	return json_dump_file(root, path, JSON_INDENT(1)) == 0 ? 0 : -1;
}

int bench_opts_take(int argc, char **argv, int i, struct bench_opts *o)
{
	if (strcmp(argv[i], "--short") == 0) {
		o->short_mode = true;
		return i + 1;
	}
	if (i + 1 >= argc)
		return i;
	if (strcmp(argv[i], "--json") == 0) {
		o->json = argv[i + 1];
		return i + 2;
	}
	if (strcmp(argv[i], "--secs") == 0) {
		char *e;

		o->secs = strtod(argv[i + 1], &e);
		if (*e != '\0' || o->secs <= 0 || o->secs > 60)
			return -1;
		o->secs_given = true;
		return i + 2;
	}
	return i;
}

void bench_short_secs(struct bench_opts *o, double secs)
{
	if (o->short_mode && !o->secs_given)
		o->secs = RTE_MIN(o->secs, secs);
}
