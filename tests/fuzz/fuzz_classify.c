/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for lib/net's receive-side parsers. Built by
 * tests/fuzz/meson.build (CC=clang meson setup build-fuzz -Dfuzz=true) and
 * run by scripts/fuzz.sh; by hand:
 *
 *   build-fuzz/tests/fuzz/fuzz_classify -max_total_time=60 -max_len=2048 \
 *       /tmp/classify-work tests/fuzz/corpus/classify
 *
 * Input: one selector byte (port role, checksum flags), then the frame.
 * Beyond "no crash, no read past the buffer" it checks properties and
 * traps when one fails: a classified packet's offsets stay in the
 * buffer; a WireGuard message rebuilt with ws_net_build_udp classifies
 * to the same fields; echo replies and ICMP errors carry valid checksums;
 * an ARP request or NS for us, answered with our builders, parses on the
 * asker's side.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_ip.h>

#include "ws_net.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define SW (WS_NET_F_SW_IPV4_CKSUM | WS_NET_F_SW_UDP_CKSUM)

static const struct ws_net_port tun = {
	.role = WS_NET_ROLE_TUNNEL, .n_v4 = 1, .n_v6 = 2, .listen_port = 51820,
	.mac = {{ 2, 0, 0, 0, 0, 1 }},
	.v4 = {{ 192, 0, 2, 1 }},
	.v6 = {{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 }, { 0xfe, 0x80, [15] = 1 }},
};

static const struct ws_net_port clr = {
	.role = WS_NET_ROLE_CLEAR, .n_v4 = 1, .n_v6 = 2,
	.mac = {{ 2, 0, 0, 0, 0, 2 }},
	.v4 = {{ 10, 1, 0, 1 }},
	.v6 = {{ 0xfd, 0, 0, 1, [15] = 1 }, { 0xfe, 0x80, [15] = 2 }},
};

static uint8_t out[70000] __attribute__((aligned(64)));

static uint16_t l4_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto,
		       const uint8_t *l4, uint32_t len)
{
	uint32_t s = __rte_raw_cksum(src, alen, 0);
	rte_be32_t tail[2] = { rte_cpu_to_be_32(len), rte_cpu_to_be_32(proto) };

	s = __rte_raw_cksum(dst, alen, s);
	s = __rte_raw_cksum(tail, sizeof(tail), s);
	s = __rte_raw_cksum(l4, len, s);
	return __rte_raw_cksum_reduce(s);
}

static void check_wg(const struct ws_net_pkt *p, const uint8_t *frame)
{
	struct ws_net_udp_out o = { .src_mac = {{ 2, 0, 0, 0, 0, 9 }}, .dst_mac = tun.mac,
				    .src = p->src, .dst = p->dst, .udp4_cksum = true };
	uint32_t hdrs = ws_net_udp_hdrs_len(p->src.family);
	struct ws_net_pkt q;
	int len;

	memcpy(out + hdrs, frame + p->payload_off, p->payload_len);
	len = ws_net_build_udp(out, sizeof(out), &o, p->payload_len);
	CHECK(len == (int)(hdrs + p->payload_len));
	CHECK(ws_net_classify(&tun, out, (uint32_t)len, SW, &q) == WS_NET_DROP_NONE);
	CHECK(q.kind == p->kind && q.wg_type == p->wg_type);
	CHECK(q.sender_index == p->sender_index && q.receiver_index == p->receiver_index);
	CHECK(q.counter == p->counter && q.payload_len == p->payload_len);
	CHECK(ws_endpoint_equal(&q.src, &p->src) && ws_endpoint_equal(&q.dst, &p->dst));
}

static void check_echo(const struct ws_net_port *port, const struct ws_net_pkt *p,
		       const uint8_t *frame, uint32_t flen)
{
	int len;

	memcpy(out, frame, flen);
	len = ws_net_echo_reply(out, flen, p, &port->mac);
	CHECK(len > 0 && (uint32_t)len <= flen);
	if (p->src.family == WS_AF_INET) {
		CHECK(rte_ipv4_cksum((const struct rte_ipv4_hdr *)(out + p->l3_off)) == 0);
		CHECK(rte_raw_cksum(out + p->payload_off, p->payload_len) == 0xffff);
		CHECK(out[p->payload_off] == 0);
	} else {
		const uint8_t *ip6 = out + p->l3_off;

		CHECK(l4_sum(ip6 + 8, ip6 + 24, 16, IPPROTO_ICMPV6, ip6 + 40,
			     p->payload_len) == 0xffff);
		CHECK(ip6[40] == ICMP6_ECHO_REPLY);
	}
}

static void check_too_big(const struct ws_net_port *port, const struct ws_net_pkt *p,
			  const uint8_t *frame)
{
	const uint8_t *src = p->src.family == WS_AF_INET ? port->v4[0] : port->v6[0];
	int len = ws_net_build_too_big(out, sizeof(out), frame, p, src, 1420);
	const uint8_t *ip;

	if (len < 0)
		return;
	ip = out + p->l3_off;
	if (p->src.family == WS_AF_INET) {
		CHECK(len <= (int)(p->l3_off + 576));
		CHECK(rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip) == 0);
		CHECK(rte_raw_cksum(ip + 20, (size_t)len - p->l3_off - 20) == 0xffff);
	} else {
		CHECK(len <= (int)(p->l3_off + 1280));
		CHECK(l4_sum(ip + 8, ip + 24, 16, IPPROTO_ICMPV6, ip + 40,
			     (uint32_t)len - p->l3_off - 40) == 0xffff);
	}
}

/* Answer with our builders; the asker, owning that address, must accept it. */
static void check_answer(const struct ws_net_port *port, const struct ws_net_pkt *p)
{
	struct ws_net_port asker = { .role = WS_NET_ROLE_CLEAR, .mac = p->nbr.lladdr };
	struct ws_net_pkt q;
	int len;

	if (p->kind == WS_NET_KIND_ARP && p->nbr.op == RTE_ARP_OP_REQUEST &&
	    (p->nbr.flags & WS_NET_NBR_F_FOR_US)) {
		asker.n_v4 = 1;
		memcpy(asker.v4[0], p->nbr.addr, 4);
		len = ws_net_build_arp(out, sizeof(out), RTE_ARP_OP_REPLY, &port->mac,
				       p->nbr.target, &p->nbr.lladdr, p->nbr.addr);
		CHECK(len == WS_NET_ARP_LEN);
		CHECK(ws_net_classify(&asker, out, (uint32_t)len, 0, &q) == WS_NET_DROP_NONE);
		CHECK(q.kind == WS_NET_KIND_ARP && q.nbr.op == RTE_ARP_OP_REPLY);
		CHECK(rte_is_same_ether_addr(&q.nbr.lladdr, &port->mac));
	}
	if (p->kind == WS_NET_KIND_ND && p->nbr.op == ND_NEIGHBOR_SOLICIT &&
	    (p->nbr.flags & WS_NET_NBR_F_LLADDR)) {
		asker.n_v6 = 1;
		memcpy(asker.v6[0], p->nbr.addr, 16);
		len = ws_net_build_na(out, sizeof(out), &port->mac, p->nbr.target, &p->nbr.lladdr,
				      p->nbr.addr, WS_NET_NBR_F_SOLICITED | WS_NET_NBR_F_OVERRIDE);
		CHECK(len == WS_NET_ND_LEN);
		CHECK(ws_net_classify(&asker, out, (uint32_t)len, SW, &q) == WS_NET_DROP_NONE);
		CHECK(q.kind == WS_NET_KIND_ND && q.nbr.op == ND_NEIGHBOR_ADVERT);
		CHECK(memcmp(q.nbr.addr, p->nbr.target, 16) == 0);
		CHECK(rte_is_same_ether_addr(&q.nbr.lladdr, &port->mac));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ws_net_port *port;
	struct ws_net_inner in;
	struct ws_net_pkt p;
	uint32_t len, flags;
	uint8_t *frame;

	if (size < 1 || size > 65536 + 64)
		return 0;
	port = data[0] & 1 ? &clr : &tun;
	flags = (data[0] >> 1) & SW;
	len = (uint32_t)size - 1;
	/* An exact-size, 2-byte aligned copy: ASan flags any over-read. */
	frame = malloc(len ? len : 1);
	memcpy(frame, data + 1, len);

	if (ws_net_classify(port, frame, len, flags, &p) == WS_NET_DROP_NONE) {
		CHECK(p.kind != WS_NET_KIND_NONE && p.drop == WS_NET_DROP_NONE);
		CHECK(p.l3_off <= len && p.l3_len <= len - p.l3_off);
		CHECK(p.payload_off <= len && p.payload_len <= len - p.payload_off);
		switch (p.kind) {
		case WS_NET_KIND_WG_HANDSHAKE:
		case WS_NET_KIND_WG_DATA:
			check_wg(&p, frame);
			break;
		case WS_NET_KIND_ECHO:
			check_echo(port, &p, frame, len);
			break;
		case WS_NET_KIND_FORWARD:
			check_too_big(port, &p, frame);
			break;
		default:
			check_answer(port, &p);
			break;
		}
	} else {
		CHECK(p.kind == WS_NET_KIND_NONE && p.drop < WS_NET_DROP_MAX);
	}
	if (ws_net_inner_parse(frame, len, &in) == WS_NET_DROP_NONE)
		CHECK(in.len <= len);
	free(frame);
	return 0;
}
