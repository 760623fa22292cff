/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transmit-side header construction. Checksums are computed in software:
 * the IPv4 header checksum always, the UDP checksum always over IPv6 and
 * on request over IPv4 (unless the device completes it: udp_cksum_offload),
 * ICMP and ICMPv6 checksums always.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "net_priv.h"
#include "ws_net.h"

enum {
	ICMP_DEST_UNREACH = 3,
	ICMP_FRAG_NEEDED = 4,
	ICMP_TOS_CONTROL = 0xc0,        /* precedence "internetwork control" */
	ICMP4_ERR_MAX = 576,            /* RFC 1812 4.3.2.3 */
	ICMP6_ERR_MAX = RTE_IPV6_MIN_MTU,       /* RFC 4443 2.4 (c) */
};

void ws_net_solicited_node(const uint8_t addr[16], uint8_t group[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(group, prefix, sizeof(prefix));
	memcpy(group + 13, addr + 13, 3);
}

void ws_net_ipv6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], group + 12, 4);
}

static void put_eth(uint8_t *buf, const struct rte_ether_addr *dst,
		    const struct rte_ether_addr *src, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(type);
}

/* A 4-byte address as the sum of its two big-endian 16-bit words. */
static uint32_t addr4_words(const uint8_t *a)
{
	return ((uint32_t)a[0] << 8 | a[1]) + ((uint32_t)a[2] << 8 | a[3]);
}

/*
 * The header checksum (RFC 1071) is summed from the values written, not
 * read back: a wide load of the header just stored field by field waits
 * for the stores (no store forwarding), which cost more than the sum.
 */
static struct rte_ipv4_hdr *put_ipv4(uint8_t *p, uint8_t tos, uint16_t id, uint8_t proto,
				     const uint8_t *src, const uint8_t *dst, uint32_t l4_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	uint16_t total = (uint16_t)(sizeof(*ip) + l4_len);
	uint32_t sum;

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16(total);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = 0;
	ip->time_to_live = OUT_TTL;
	ip->next_proto_id = proto;
	memcpy(p + offsetof(struct rte_ipv4_hdr, src_addr), src, 4);
	memcpy(p + offsetof(struct rte_ipv4_hdr, dst_addr), dst, 4);
	sum = ((uint32_t)RTE_IPV4_VHL_DEF << 8 | tos) + total + id +
	      ((uint32_t)OUT_TTL << 8 | proto) + addr4_words(src) + addr4_words(dst);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~sum);
	return ip;
}

static struct rte_ipv6_hdr *put_ipv6(uint8_t *p, uint8_t tclass, uint8_t proto, uint8_t hops,
				     const uint8_t *src, const uint8_t *dst, uint32_t l4_len)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)p;

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tclass << RTE_IPV6_HDR_TC_SHIFT);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4_len);
	ip6->proto = proto;
	ip6->hop_limits = hops;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	return ip6;
}

int ws_net_build_eth(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *dst,
		     const struct rte_ether_addr *src, uint16_t ether_type)
{
	if (buf == NULL || dst == NULL || src == NULL)
		return -EINVAL;
	if (cap < RTE_ETHER_HDR_LEN)
		return -ENOSPC;
	put_eth(buf, dst, src, ether_type);
	return RTE_ETHER_HDR_LEN;
}

int ws_net_build_udp(uint8_t *buf, uint32_t cap, const struct ws_net_udp_out *o,
		     uint32_t payload_len)
{
	uint32_t hdrs, udp_len;
	struct rte_udp_hdr *udp;

	if (buf == NULL || o == NULL || o->src.family != o->dst.family)
		return -EINVAL;
	hdrs = ws_net_udp_hdrs_len(o->src.family);
	if (hdrs == 0)
		return -EINVAL;
	udp_len = UDP_HDR_LEN + payload_len;
	if (payload_len > UINT16_MAX - UDP_HDR_LEN -
			  (o->src.family == WS_AF_INET ? IPV4_HDR_LEN : 0))
		return -EMSGSIZE;
	if (cap < hdrs || cap - hdrs < payload_len)
		return -ENOSPC;

	udp = (struct rte_udp_hdr *)(buf + hdrs - UDP_HDR_LEN);
	udp->src_port = rte_cpu_to_be_16(o->src.port);
	udp->dst_port = rte_cpu_to_be_16(o->dst.port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)udp_len);
	udp->dgram_cksum = 0;
	if (o->src.family == WS_AF_INET) {
		struct rte_ipv4_hdr *ip;

		put_eth(buf, &o->dst_mac, &o->src_mac, RTE_ETHER_TYPE_IPV4);
		ip = put_ipv4(buf + RTE_ETHER_HDR_LEN, o->tos, o->ip_id, IPPROTO_UDP,
			      o->src.addr, o->dst.addr, udp_len);
		if (o->udp4_cksum)
			udp->dgram_cksum = o->udp_cksum_offload ? rte_ipv4_phdr_cksum(ip, 0)
								 : rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6;

		put_eth(buf, &o->dst_mac, &o->src_mac, RTE_ETHER_TYPE_IPV6);
		ip6 = put_ipv6(buf + RTE_ETHER_HDR_LEN, o->tos, IPPROTO_UDP, OUT_TTL,
			       o->src.addr, o->dst.addr, udp_len);
		udp->dgram_cksum = o->udp_cksum_offload ? rte_ipv6_phdr_cksum(ip6, 0)
							: rte_ipv6_udptcp_cksum(ip6, udp);
	}
	return (int)(hdrs + payload_len);
}

int ws_net_build_arp(uint8_t *buf, uint32_t cap, uint16_t op,
		     const struct rte_ether_addr *sha, const uint8_t sip[4],
		     const struct rte_ether_addr *tha, const uint8_t tip[4])
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	static const struct rte_ether_addr zero;
	struct rte_arp_hdr *arp;
	uint8_t *data;

	if (buf == NULL || sha == NULL || sip == NULL || tip == NULL ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    (op == RTE_ARP_OP_REPLY && tha == NULL))
		return -EINVAL;
	if (cap < WS_NET_ARP_LEN)
		return -ENOSPC;
	put_eth(buf, tha != NULL ? tha : &bcast, sha, RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(buf + RTE_ETHER_HDR_LEN);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &arp->arp_data.arp_sha);
	rte_ether_addr_copy(tha != NULL ? tha : &zero, &arp->arp_data.arp_tha);
	data = buf + RTE_ETHER_HDR_LEN + offsetof(struct rte_arp_hdr, arp_data);
	memcpy(data + offsetof(struct rte_arp_ipv4, arp_sip), sip, 4);
	memcpy(data + offsetof(struct rte_arp_ipv4, arp_tip), tip, 4);
	return WS_NET_ARP_LEN;
}

/* NS and NA: Ethernet + IPv6 + 24-byte message + one link-layer option. */
static void put_nd(uint8_t *buf, uint8_t type, rte_be32_t flags, uint8_t opt_type,
		   const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac,
		   const uint8_t src_ip[16], const uint8_t dst_ip[16], const uint8_t target[16])
{
	uint8_t *l4 = buf + RTE_ETHER_HDR_LEN + IPV6_HDR_LEN;
	struct nd_ns_na *m = (struct nd_ns_na *)l4;
	struct nd_opt_lladdr *opt = (struct nd_opt_lladdr *)(l4 + sizeof(*m));
	struct rte_ipv6_hdr *ip6;

	put_eth(buf, dst_mac, src_mac, RTE_ETHER_TYPE_IPV6);
	ip6 = put_ipv6(buf + RTE_ETHER_HDR_LEN, 0, IPPROTO_ICMPV6, ND_HOP_LIMIT, src_ip, dst_ip,
		       sizeof(*m) + sizeof(*opt));
	m->type = type;
	m->code = 0;
	m->cksum = 0;
	m->flags = flags;
	memcpy(m->target, target, 16);
	opt->type = opt_type;
	opt->len = sizeof(*opt) / ND_OPT_UNIT;
	memcpy(opt->addr, src_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	/* Generic over the transport: the length comes from payload_len. */
	m->cksum = rte_ipv6_udptcp_cksum(ip6, l4);
}

int ws_net_build_ns(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *src_mac,
		    const uint8_t src_ip[16], const uint8_t target[16],
		    const struct rte_ether_addr *dst_mac)
{
	struct rte_ether_addr mcast_mac;
	uint8_t group[16];

	if (buf == NULL || src_mac == NULL || src_ip == NULL || target == NULL)
		return -EINVAL;
	if (cap < WS_NET_ND_LEN)
		return -ENOSPC;
	if (dst_mac == NULL) {
		ws_net_solicited_node(target, group);
		ws_net_ipv6_mcast_mac(group, &mcast_mac);
		put_nd(buf, ND_NEIGHBOR_SOLICIT, 0, ND_OPT_SOURCE_LINKADDR, src_mac, &mcast_mac,
		       src_ip, group, target);
	} else {
		put_nd(buf, ND_NEIGHBOR_SOLICIT, 0, ND_OPT_SOURCE_LINKADDR, src_mac, dst_mac,
		       src_ip, target, target);
	}
	return WS_NET_ND_LEN;
}

int ws_net_build_na(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *src_mac,
		    const uint8_t target[16], const struct rte_ether_addr *dst_mac,
		    const uint8_t dst_ip[16], unsigned flags)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	struct rte_ether_addr mcast_mac;
	rte_be32_t nd_flags = 0;

	if (buf == NULL || src_mac == NULL || target == NULL)
		return -EINVAL;
	if (dst_ip == NULL && (flags & WS_NET_NBR_F_SOLICITED))
		return -EINVAL;         /* RFC 4861 4.4: S is 0 on multicast NAs */
	if (cap < WS_NET_ND_LEN)
		return -ENOSPC;
	if (flags & WS_NET_NBR_F_ROUTER)
		nd_flags |= ND_NA_FLAG_ROUTER;
	if (flags & WS_NET_NBR_F_SOLICITED)
		nd_flags |= ND_NA_FLAG_SOLICITED;
	if (flags & WS_NET_NBR_F_OVERRIDE)
		nd_flags |= ND_NA_FLAG_OVERRIDE;
	if (dst_ip == NULL) {
		ws_net_ipv6_mcast_mac(all_nodes, &mcast_mac);
		dst_ip = all_nodes;
		dst_mac = &mcast_mac;
	} else if (dst_mac == NULL) {
		return -EINVAL;
	}
	put_nd(buf, ND_NEIGHBOR_ADVERT, nd_flags, ND_OPT_TARGET_LINKADDR, src_mac, dst_mac,
	       target, dst_ip, target);
	return WS_NET_ND_LEN;
}

int ws_net_echo_reply(uint8_t *buf, uint32_t len, const struct ws_net_pkt *req,
		      const struct rte_ether_addr *our_mac)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_icmp_hdr *icmp;
	uint32_t n;

	if (buf == NULL || req == NULL || our_mac == NULL || req->kind != WS_NET_KIND_ECHO ||
	    req->l3_off > len || req->l3_len > len - req->l3_off ||
	    req->payload_off < req->l3_off || req->payload_off > req->l3_off + req->l3_len ||
	    req->payload_len > req->l3_off + req->l3_len - req->payload_off ||
	    req->payload_len < ICMP_HDR_LEN)
		return -EINVAL;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	n = req->payload_len;

	if (req->src.family == WS_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + req->l3_off);

		memcpy(buf + req->l3_off + offsetof(struct rte_ipv4_hdr, src_addr), req->dst.addr, 4);
		memcpy(buf + req->l3_off + offsetof(struct rte_ipv4_hdr, dst_addr), req->src.addr, 4);
		ip->time_to_live = OUT_TTL;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp = (struct rte_icmp_hdr *)(buf + req->payload_off);
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, n);
		return (int)(req->l3_off + req->l3_len);
	}
	if (req->src.family == WS_AF_INET6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(buf + req->l3_off);
		uint8_t *l4 = buf + req->l3_off + IPV6_HDR_LEN;

		/* Extension headers of the request are not echoed back. */
		if (req->payload_off != req->l3_off + IPV6_HDR_LEN)
			memmove(l4, buf + req->payload_off, n);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)n);
		ip6->proto = IPPROTO_ICMPV6;
		ip6->hop_limits = OUT_TTL;
		memcpy(ip6->src_addr, req->dst.addr, 16);
		memcpy(ip6->dst_addr, req->src.addr, 16);
		icmp = (struct rte_icmp_hdr *)l4;
		icmp->icmp_type = ICMP6_ECHO_REPLY;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip6, l4);
		return (int)(req->l3_off + IPV6_HDR_LEN + n);
	}
	return -EINVAL;
}

static bool v4_bad_source(const uint8_t a[4])
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static int too_big_v4(uint8_t *out, uint32_t cap, const uint8_t *frame,
		      const struct ws_net_pkt *pkt, const uint8_t *src_ip, uint32_t mtu)
{
	const struct rte_ipv4_hdr *orig = (const struct rte_ipv4_hdr *)(frame + pkt->l3_off);
	uint32_t hlen = rte_ipv4_hdr_len(orig);
	uint32_t quote = RTE_MIN(pkt->l3_len, (uint32_t)(ICMP4_ERR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN));
	uint32_t total = pkt->l3_off + IPV4_HDR_LEN + ICMP_HDR_LEN + quote;
	struct rte_icmp_hdr *icmp;

	if (mtu > UINT16_MAX || hlen > pkt->l3_len ||
	    (orig->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
	    v4_bad_source(pkt->src.addr) || pkt->dst.addr[0] >= 224)
		return -EINVAL;
	if (orig->next_proto_id == IPPROTO_ICMP && pkt->l3_len > hlen) {
		uint8_t type = frame[pkt->l3_off + hlen];

		if (type != RTE_IP_ICMP_ECHO_REQUEST && type != RTE_IP_ICMP_ECHO_REPLY)
			return -EINVAL;
	}
	if (cap < total)
		return -ENOSPC;
	memcpy(out + total - quote, frame + pkt->l3_off, quote);
	memcpy(out, frame, pkt->l3_off);
	rte_ether_addr_copy(&((const struct rte_ether_hdr *)frame)->dst_addr,
			    &((struct rte_ether_hdr *)out)->src_addr);
	rte_ether_addr_copy(&((const struct rte_ether_hdr *)frame)->src_addr,
			    &((struct rte_ether_hdr *)out)->dst_addr);
	put_ipv4(out + pkt->l3_off, ICMP_TOS_CONTROL, 0, IPPROTO_ICMP, src_ip, pkt->src.addr,
		 ICMP_HDR_LEN + quote);
	icmp = (struct rte_icmp_hdr *)(out + pkt->l3_off + IPV4_HDR_LEN);
	icmp->icmp_type = ICMP_DEST_UNREACH;
	icmp->icmp_code = ICMP_FRAG_NEEDED;
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = 0;                           /* unused (RFC 1191) */
	icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)mtu);    /* next-hop MTU */
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, ICMP_HDR_LEN + quote);
	return (int)total;
}

static int too_big_v6(uint8_t *out, uint32_t cap, const uint8_t *frame,
		      const struct ws_net_pkt *pkt, const uint8_t *src_ip, uint32_t mtu)
{
	const uint8_t *orig = frame + pkt->l3_off;
	uint32_t quote = RTE_MIN(pkt->l3_len, (uint32_t)(ICMP6_ERR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN));
	uint32_t total = pkt->l3_off + IPV6_HDR_LEN + ICMP_HDR_LEN + quote;
	struct rte_ipv6_hdr *ip6;
	struct rte_icmp_hdr *icmp;

	if (mtu < RTE_IPV6_MIN_MTU || v6_is_unspec(pkt->src.addr) || pkt->src.addr[0] == 0xff)
		return -EINVAL;
	if (pkt->l4_proto == IPPROTO_ICMPV6 && pkt->l3_len > IPV6_HDR_LEN &&
	    orig[IPV6_HDR_LEN] < ICMP6_ECHO_REQUEST)
		return -EINVAL;                         /* an error message */
	if (pkt->l4_proto == IPPROTO_FRAGMENT && pkt->l3_len >= IPV6_HDR_LEN + 8) {
		const struct rte_ipv6_fragment_ext *f =
			(const struct rte_ipv6_fragment_ext *)(orig + IPV6_HDR_LEN);

		if (rte_be_to_cpu_16(f->frag_data) & RTE_IPV6_EHDR_FO_MASK)
			return -EINVAL;
	}
	if (cap < total)
		return -ENOSPC;
	memcpy(out + total - quote, orig, quote);
	memcpy(out, frame, pkt->l3_off);
	rte_ether_addr_copy(&((const struct rte_ether_hdr *)frame)->dst_addr,
			    &((struct rte_ether_hdr *)out)->src_addr);
	rte_ether_addr_copy(&((const struct rte_ether_hdr *)frame)->src_addr,
			    &((struct rte_ether_hdr *)out)->dst_addr);
	ip6 = put_ipv6(out + pkt->l3_off, 0, IPPROTO_ICMPV6, OUT_TTL, src_ip, pkt->src.addr,
		       ICMP_HDR_LEN + quote);
	icmp = (struct rte_icmp_hdr *)(out + pkt->l3_off + IPV6_HDR_LEN);
	icmp->icmp_type = ICMP6_PACKET_TOO_BIG;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	/* The 32-bit MTU occupies the ident and sequence halves. */
	icmp->icmp_ident = rte_cpu_to_be_16((uint16_t)(mtu >> 16));
	icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)mtu);
	icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip6, icmp);
	return (int)total;
}

int ws_net_build_too_big(uint8_t *out, uint32_t cap, const uint8_t *frame,
			 const struct ws_net_pkt *pkt, const uint8_t *src_ip, uint32_t mtu)
{
	if (out == NULL || frame == NULL || pkt == NULL || src_ip == NULL ||
	    pkt->kind != WS_NET_KIND_FORWARD ||
	    rte_is_multicast_ether_addr(&((const struct rte_ether_hdr *)frame)->dst_addr))
		return -EINVAL;
	if (pkt->src.family == WS_AF_INET && pkt->l3_len >= IPV4_HDR_LEN)
		return too_big_v4(out, cap, frame, pkt, src_ip, mtu);
	if (pkt->src.family == WS_AF_INET6 && pkt->l3_len >= IPV6_HDR_LEN)
		return too_big_v6(out, cap, frame, pkt, src_ip, mtu);
	return -EINVAL;
}
