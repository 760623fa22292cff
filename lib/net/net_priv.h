/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by classify.c and build.c: the ICMPv6 neighbor
 * discovery layouts (DPDK 22.11 has no ICMPv6 structs; ICMPv6 echo and
 * packet-too-big share struct rte_icmp_hdr's 8-byte layout) and the
 * pseudo-header checksum for transports after IPv6 extension headers or
 * with a UDP length shorter than the IP payload, where DPDK's
 * rte_ipv*_udptcp_cksum (which take the length from the IP header) do not
 * apply.
 */
#ifndef WS_NET_PRIV_H
#define WS_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>

enum {
	ND_HOP_LIMIT = 255,             /* RFC 4861: on-link only */
	ND_OPT_UNIT = 8,
	IPV4_HDR_LEN = 20,
	IPV6_HDR_LEN = 40,
	UDP_HDR_LEN = 8,
	ICMP_HDR_LEN = 8,
	OUT_TTL = 64,
};

/* Neighbor solicitation and advertisement (RFC 4861 4.3, 4.4). */
struct nd_ns_na {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	rte_be32_t flags;               /* NA: R, S, O in the top bits; NS: reserved */
	uint8_t target[16];
} __rte_packed;

/* Source/target link-layer address option for Ethernet (RFC 4861 4.6.1). */
struct nd_opt_lladdr {
	uint8_t type;
	uint8_t len;                    /* units of 8 bytes: 1 */
	uint8_t addr[RTE_ETHER_ADDR_LEN];
} __rte_packed;

/*
 * Folded one's-complement sum of the pseudo-header (src, dst of alen
 * bytes, length, protocol) and l4_len bytes of transport. A received
 * message with its checksum in place is valid iff this is 0xffff; for an
 * outgoing one, the checksum field is the complement of the sum taken
 * with the field zeroed.
 */
static inline uint16_t net_l4_sum(const uint8_t *src, const uint8_t *dst, unsigned alen,
				  uint8_t proto, const void *l4, uint32_t l4_len)
{
	rte_be32_t tail[2] = { rte_cpu_to_be_32(l4_len), rte_cpu_to_be_32(proto) };
	uint32_t sum;

	sum = __rte_raw_cksum(src, alen, 0);
	sum = __rte_raw_cksum(dst, alen, sum);
	sum = __rte_raw_cksum(tail, sizeof(tail), sum);
	sum += rte_raw_cksum(l4, l4_len);
	return __rte_raw_cksum_reduce(sum);
}

static inline bool v6_is_unspec(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

#endif /* WS_NET_PRIV_H */
