/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the outer UDP checksum costs a sealed packet when the NIC does not
 * complete it: ws_net_build_udp (the gateway's TX header builder) with the
 * checksum summed in software against the same builder leaving it to the
 * device (udp_cksum_offload), over an IPv6 underlay (the checksum is
 * mandatory) and an IPv4 one with the optional checksum on (as kernel
 * peers send it; the gateway's own IPv4 datagrams carry none), and both
 * against the ChaCha20-Poly1305 seal of the same packet (ws_aead
 * ipsec_mb), all in the same run on the same core. Receiving without a
 * NIC that marks the checksum good sums the same bytes again.
 *
 *   cksum_bench [--short] [--secs S] [--json FILE]
 *
 * Figures are TSC cycles per datagram, timed per burst of 32.
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "bench_util.h"
#include "messages.h"
#include "ws_aead.h"
#include "ws_crypto.h"
#include "ws_net.h"

enum { BURST = 32, BUF = 2048 };

static struct bench_opts opt = { .secs = 0.3 };

/* Cycles per ws_net_build_udp of a data message for inner size bytes, both ways, interleaved. */
static void build_cost(uint8_t family, unsigned size, double *sw, double *off)
{
	static uint8_t bufs[BURST][BUF];
	static const uint8_t a4[4] = { 198, 18, 0, 1 }, b4[4] = { 192, 0, 2, 1 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, [15] = 2 };
	uint32_t msg = WS_MSG_DATA_HEADER_LEN + ws_msg_data_padded_len(size) + WS_AEAD_TAG_LEN;
	uint32_t hdrs = ws_net_udp_hdrs_len(family);
	struct ws_net_udp_out o = { .udp4_cksum = true };
	uint64_t c_sw = 0, c_off = 0, n = 0, end;
	volatile uint8_t sink = 0;

	if (family == WS_AF_INET) {
		ws_endpoint_v4(&o.src, b4, 51820);
		ws_endpoint_v4(&o.dst, a4, 51820);
	} else {
		ws_endpoint_v6(&o.src, b6, 51820);
		ws_endpoint_v6(&o.dst, a6, 51820);
	}
	for (unsigned i = 0; i < BURST; i++)
		for (uint32_t k = 0; k < hdrs + msg; k++)
			bufs[i][k] = (uint8_t)(k * 131 + i);
	end = rte_get_tsc_cycles() + (uint64_t)(opt.secs * bench_tsc_hz());
	while (rte_get_tsc_cycles() < end) {
		for (int way = 0; way < 2; way++) {
			uint64_t t0;

			o.udp_cksum_offload = way == 1;
			t0 = rte_rdtsc_precise();
			for (unsigned i = 0; i < BURST; i++)
				sink ^= (uint8_t)ws_net_build_udp(bufs[i], hdrs + msg, &o, msg);
			t0 = rte_rdtsc_precise() - t0;
			if (way == 0)
				c_sw += t0;
			else
				c_off += t0;
		}
		n += BURST;
	}
	*sw = n ? (double)c_sw / n : 0;
	*off = n ? (double)c_off / n : 0;
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = { 64, 128, 256, 512, 1024, 1420 };
	static const uint8_t families[] = { WS_AF_INET6, WS_AF_INET };
	struct ws_aead *aead;
	json_t *root, *points;

	for (int i = 1; i < argc;) {
		int j = bench_opts_take(argc, argv, i, &opt);

		if (j <= i) {
			fprintf(stderr, "usage: cksum_bench [--short] [--secs S] [--json FILE]\n");
			return 2;
		}
		i = j;
	}
	bench_short_secs(&opt, 0.02);
	if (bench_eal_init("cksum_bench", "0", 512, NULL) != 0 || ws_crypto_init() != 0) {
		fprintf(stderr, "cksum_bench: EAL or crypto init failed\n");
		return 1;
	}
	aead = ws_aead_create("ipsec_mb");
	if (aead == NULL) {
		fprintf(stderr, "cksum_bench: no ipsec_mb back end\n");
		return 1;
	}
	root = json_object();
	points = json_array();
	json_object_set_new(root, "tsc_hz", json_real(bench_tsc_hz()));
	for (unsigned f = 0; f < RTE_DIM(families); f++) {
		for (unsigned s = 0; s < RTE_DIM(sizes); s++) {
			struct bench_rate seal;
			double sw, off, c;
			const char *fam = families[f] == WS_AF_INET6 ? "ipv6" : "ipv4";

			if (bench_ceiling_ws_aead(aead, sizes[s], false, opt.secs, &seal) != 0) {
				json_array_append_new(points, json_pack("{s:s, s:i, s:s}", "outer",
						      fam, "size", (int)sizes[s], "error", "seal"));
				continue;
			}
			build_cost(families[f], sizes[s], &sw, &off);
			c = bench_cpp(&seal);
			printf("cksum %s %4u B: headers + software checksum %6.1f cyc, offloaded %5.1f"
			       " cyc | seal %6.1f cyc | software sum / seal %.2f\n", fam, sizes[s],
			       sw, off, c, c > 0 ? (sw - off) / c : 0);
			json_array_append_new(points, json_pack(
				"{s:s, s:i, s:f, s:f, s:f, s:f}", "outer", fam, "size", (int)sizes[s],
				"build_sw_cksum_cycles", sw, "build_offload_cycles", off,
				"seal_cycles", c, "sw_sum_over_seal", c > 0 ? (sw - off) / c : 0.0));
		}
	}
	json_object_set_new(root, "points", points);
	int rc = bench_json_write(root, opt.json);
	json_decref(root);
	ws_aead_free(aead);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
