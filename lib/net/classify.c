/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receive-side classification. Each layer checks that its fixed header is
 * inside the buffer before reading it, then narrows the readable end to
 * the length its header declares (IP total length, UDP length), so the
 * next layer can never see trailing padding or bytes past the buffer.
 *
 * WireGuard messages are accepted as the Linux module accepts them
 * (receive.c, validate_header_len): the first 32-bit little-endian word is
 * the type, so the three reserved bytes must be zero; types 1, 2, 3 must
 * have their exact size; type 4 needs at least header + tag (32 bytes)
 * and its length is otherwise left to the AEAD.
 */
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

#include "messages.h"
#include "net_priv.h"
#include "ws_net.h"

static const char *const drop_names[WS_NET_DROP_MAX] = {
#define _(n, s) [WS_NET_DROP_##n] = #n,
	foreach_ws_net_drop
#undef _
};

static const char *const drop_descs[WS_NET_DROP_MAX] = {
#define _(n, s) [WS_NET_DROP_##n] = s,
	foreach_ws_net_drop
#undef _
};

const char *ws_net_drop_name(enum ws_net_drop reason)
{
	return (unsigned)reason < WS_NET_DROP_MAX ? drop_names[reason] : "UNKNOWN";
}

const char *ws_net_drop_desc(enum ws_net_drop reason)
{
	return (unsigned)reason < WS_NET_DROP_MAX ? drop_descs[reason] : "unknown drop reason";
}

/* Parse state: end is the first byte past what the current layer may read. */
struct cls {
	const struct ws_net_port *port;
	const uint8_t *buf;
	uint32_t end;
	uint32_t flags;
	struct ws_net_pkt *pkt;
};

enum locality {
	LOC_NONE,
	LOC_UNICAST,                    /* one of our addresses */
	LOC_MCAST,                      /* all-nodes, all-routers, our solicited-node group */
};

static bool local_v4(const struct ws_net_port *port, const uint8_t a[4])
{
	for (unsigned i = 0; i < port->n_v4 && i < WS_NET_MAX_ADDRS; i++)
		if (memcmp(port->v4[i], a, 4) == 0)
			return true;
	return false;
}

static bool local_v6(const struct ws_net_port *port, const uint8_t a[16])
{
	for (unsigned i = 0; i < port->n_v6 && i < WS_NET_MAX_ADDRS; i++)
		if (memcmp(port->v6[i], a, 16) == 0)
			return true;
	return false;
}

static enum locality locality_v6(const struct ws_net_port *port, const uint8_t a[16])
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	uint8_t group[16];

	if (a[0] != 0xff)
		return local_v6(port, a) ? LOC_UNICAST : LOC_NONE;
	if (memcmp(a, all_nodes, 16) == 0 || memcmp(a, all_routers, 16) == 0)
		return LOC_MCAST;
	for (unsigned i = 0; i < port->n_v6 && i < WS_NET_MAX_ADDRS; i++) {
		ws_net_solicited_node(port->v6[i], group);
		if (memcmp(group, a, 16) == 0)
			return LOC_MCAST;
	}
	return LOC_NONE;
}

/* Destinations a router never forwards, whatever the allowed-ips say. */
static bool link_scope_v4(const uint8_t a[4])
{
	return a[0] == 0 || a[0] == 127 ||
	       (a[0] == 224 && a[1] == 0 && a[2] == 0) ||      /* 224.0.0.0/24 */
	       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
}

static bool link_scope_v6(const uint8_t a[16])
{
	static const uint8_t loopback[16] = { [15] = 1 };

	return (a[0] == 0xff && (a[1] & 0x0f) <= 2) ||          /* interface/link-local groups */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||       /* fe80::/10 */
	       v6_is_unspec(a) || memcmp(a, loopback, 16) == 0;
}

static enum ws_net_drop parse_wg(struct cls *c, uint32_t off)
{
	struct ws_net_pkt *pkt = c->pkt;
	const uint8_t *msg = c->buf + off;
	uint32_t len = c->end - off;
	uint32_t type;

	if (len < sizeof(struct ws_msg_header))
		return WS_NET_DROP_WG_SIZE;
	memcpy(&type, msg, sizeof(type));
	type = rte_le_to_cpu_32(type);
	switch (type) {
	case WS_MSG_INITIATION:
		if (len != WS_MSG_INITIATION_LEN)
			return WS_NET_DROP_WG_SIZE;
		pkt->sender_index = rte_le_to_cpu_32(
			((const struct ws_msg_initiation *)msg)->sender_index);
		pkt->kind = WS_NET_KIND_WG_HANDSHAKE;
		break;
	case WS_MSG_RESPONSE:
		if (len != WS_MSG_RESPONSE_LEN)
			return WS_NET_DROP_WG_SIZE;
		pkt->sender_index = rte_le_to_cpu_32(
			((const struct ws_msg_response *)msg)->sender_index);
		pkt->receiver_index = rte_le_to_cpu_32(
			((const struct ws_msg_response *)msg)->receiver_index);
		pkt->kind = WS_NET_KIND_WG_HANDSHAKE;
		break;
	case WS_MSG_COOKIE:
		if (len != WS_MSG_COOKIE_LEN)
			return WS_NET_DROP_WG_SIZE;
		pkt->receiver_index = rte_le_to_cpu_32(
			((const struct ws_msg_cookie *)msg)->receiver_index);
		pkt->kind = WS_NET_KIND_WG_HANDSHAKE;
		break;
	case WS_MSG_DATA:
		if (len < WS_MSG_DATA_MIN_LEN)
			return WS_NET_DROP_WG_SIZE;
		pkt->receiver_index = rte_le_to_cpu_32(
			((const struct ws_msg_data *)msg)->receiver_index);
		pkt->counter = rte_le_to_cpu_64(((const struct ws_msg_data *)msg)->counter);
		pkt->kind = WS_NET_KIND_WG_DATA;
		break;
	default:
		return WS_NET_DROP_WG_TYPE;
	}
	pkt->wg_type = (uint8_t)type;
	pkt->payload_off = off;
	pkt->payload_len = len;
	return WS_NET_DROP_NONE;
}

static enum ws_net_drop parse_udp(struct cls *c)
{
	struct ws_net_pkt *pkt = c->pkt;
	const struct rte_udp_hdr *udp;
	uint32_t off = pkt->l4_off;
	uint32_t ulen;

	if (c->end - off < sizeof(*udp))
		return WS_NET_DROP_TRUNCATED;
	udp = (const struct rte_udp_hdr *)(c->buf + off);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > c->end - off)
		return WS_NET_DROP_UDP_LENGTH;
	if (rte_be_to_cpu_16(udp->dst_port) != c->port->listen_port)
		return WS_NET_DROP_UDP_PORT;
	if (udp->dgram_cksum == 0) {
		/* RFC 8200 8.1: a zero UDP checksum over IPv6 is discarded. */
		if (pkt->src.family == WS_AF_INET6)
			return WS_NET_DROP_UDP_CKSUM;
	} else if (c->flags & WS_NET_F_SW_UDP_CKSUM) {
		unsigned alen = ws_endpoint_addr_len(&pkt->src);

		if (net_l4_sum(pkt->src.addr, pkt->dst.addr, alen, IPPROTO_UDP,
			       udp, ulen) != 0xffff)
			return WS_NET_DROP_UDP_CKSUM;
	}
	pkt->src.port = rte_be_to_cpu_16(udp->src_port);
	pkt->dst.port = rte_be_to_cpu_16(udp->dst_port);
	c->end = off + ulen;
	return parse_wg(c, off + sizeof(*udp));
}

static enum ws_net_drop parse_icmp4(struct cls *c)
{
	struct ws_net_pkt *pkt = c->pkt;
	const struct rte_icmp_hdr *icmp;
	uint32_t len = c->end - pkt->l4_off;

	if (len < sizeof(*icmp))
		return WS_NET_DROP_ICMP_INVALID;
	icmp = (const struct rte_icmp_hdr *)(c->buf + pkt->l4_off);
	if (rte_raw_cksum(icmp, len) != 0xffff)
		return WS_NET_DROP_ICMP_INVALID;
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return WS_NET_DROP_ICMP_TYPE;
	pkt->kind = WS_NET_KIND_ECHO;
	pkt->payload_off = pkt->l4_off;
	pkt->payload_len = len;
	return WS_NET_DROP_NONE;
}

static enum ws_net_drop parse_arp(struct cls *c, uint32_t off)
{
	struct ws_net_pkt *pkt = c->pkt;
	const struct rte_arp_hdr *arp;
	struct ws_net_nbr *nbr = &pkt->nbr;
	const uint8_t *sip, *tip;
	uint16_t op;
	bool for_us, gratuitous;

	if (c->end - off < sizeof(*arp))
		return WS_NET_DROP_TRUNCATED;
	arp = (const struct rte_arp_hdr *)(c->buf + off);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return WS_NET_DROP_ARP_INVALID;
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return WS_NET_DROP_ARP_INVALID;
	if (!rte_is_valid_assigned_ether_addr(&arp->arp_data.arp_sha))
		return WS_NET_DROP_ARP_INVALID;
	sip = c->buf + off + offsetof(struct rte_arp_hdr, arp_data) +
	      offsetof(struct rte_arp_ipv4, arp_sip);
	tip = c->buf + off + offsetof(struct rte_arp_hdr, arp_data) +
	      offsetof(struct rte_arp_ipv4, arp_tip);
	for_us = local_v4(c->port, tip);
	gratuitous = memcmp(sip, tip, 4) == 0 && arp->arp_data.arp_sip != 0;
	if (!for_us && !gratuitous)
		return WS_NET_DROP_NOT_LOCAL;

	pkt->kind = WS_NET_KIND_ARP;
	pkt->l3_len = sizeof(*arp);
	ws_endpoint_v4(&pkt->src, sip, 0);
	ws_endpoint_v4(&pkt->dst, tip, 0);
	nbr->op = (uint8_t)op;
	nbr->flags = WS_NET_NBR_F_LLADDR | (for_us ? WS_NET_NBR_F_FOR_US : 0);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &nbr->lladdr);
	memcpy(nbr->addr, sip, 4);
	memcpy(nbr->target, tip, 4);
	return WS_NET_DROP_NONE;
}

static enum ws_net_drop parse_ipv4(struct cls *c, uint32_t off)
{
	struct ws_net_pkt *pkt = c->pkt;
	const struct rte_ipv4_hdr *ip;
	const uint8_t *src, *dst;
	uint32_t hlen, tlen;
	bool frag;

	if (c->end - off < sizeof(*ip))
		return WS_NET_DROP_TRUNCATED;
	ip = (const struct rte_ipv4_hdr *)(c->buf + off);
	if ((ip->version_ihl >> 4) != 4)
		return WS_NET_DROP_IP_VERSION;
	hlen = rte_ipv4_hdr_len(ip);
	if (hlen < sizeof(*ip))
		return WS_NET_DROP_IPV4_IHL;
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (tlen < hlen || tlen > c->end - off)
		return WS_NET_DROP_IPV4_LENGTH;
	/* A correct header sums to 0xffff, so its recomputed checksum is 0. */
	if ((c->flags & WS_NET_F_SW_IPV4_CKSUM) && rte_ipv4_cksum(ip) != 0)
		return WS_NET_DROP_IPV4_CKSUM;

	c->end = off + tlen;
	src = c->buf + off + offsetof(struct rte_ipv4_hdr, src_addr);
	dst = c->buf + off + offsetof(struct rte_ipv4_hdr, dst_addr);
	ws_endpoint_v4(&pkt->src, src, 0);
	ws_endpoint_v4(&pkt->dst, dst, 0);
	pkt->l3_len = tlen;
	pkt->l4_off = off + hlen;
	pkt->l4_proto = ip->next_proto_id;

	if (!local_v4(c->port, dst)) {
		if (c->port->role != WS_NET_ROLE_CLEAR)
			return WS_NET_DROP_NOT_LOCAL;
		if (link_scope_v4(dst))
			return WS_NET_DROP_LINK_SCOPE;
		pkt->kind = WS_NET_KIND_FORWARD;
		return WS_NET_DROP_NONE;
	}
	frag = (ip->fragment_offset &
		RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	if (frag)
		return WS_NET_DROP_FRAGMENT;
	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		if (c->port->role == WS_NET_ROLE_TUNNEL)
			return parse_udp(c);
		return WS_NET_DROP_L4_PROTO;
	case IPPROTO_ICMP:
		return parse_icmp4(c);
	default:
		return WS_NET_DROP_L4_PROTO;
	}
}

/*
 * Neighbor discovery checks of RFC 4861 (6.1.1, 6.1.2, 7.1.1, 7.1.2); the
 * ICMPv6 checksum is already verified.
 */
static enum ws_net_drop parse_nd(struct cls *c, const struct rte_ipv6_hdr *ip6,
				 enum locality loc)
{
	struct ws_net_pkt *pkt = c->pkt;
	struct ws_net_nbr *nbr = &pkt->nbr;
	const uint8_t *msg = c->buf + pkt->l4_off;
	uint32_t len = c->end - pkt->l4_off;
	uint8_t type = msg[0];
	uint32_t min, o;
	bool unspec = v6_is_unspec(ip6->src_addr);
	uint8_t lla_type = type == ND_NEIGHBOR_ADVERT ? ND_OPT_TARGET_LINKADDR :
						       ND_OPT_SOURCE_LINKADDR;

	/* Sources are unicast or, for NS and RS, unspecified. */
	if (ip6->hop_limits != ND_HOP_LIMIT || msg[1] != 0 || ip6->src_addr[0] == 0xff)
		return WS_NET_DROP_ND_INVALID;
	min = type == ND_ROUTER_SOLICIT ? 8 : type == ND_ROUTER_ADVERT ? 16 : 24;
	if (len < min)
		return WS_NET_DROP_ND_INVALID;
	for (o = min; o < len; ) {
		uint32_t olen;

		if (len - o < 2)
			return WS_NET_DROP_ND_INVALID;
		olen = (uint32_t)msg[o + 1] * ND_OPT_UNIT;
		if (olen == 0 || olen > len - o)
			return WS_NET_DROP_ND_INVALID;
		if (msg[o] == lla_type && olen >= sizeof(struct nd_opt_lladdr)) {
			memcpy(&nbr->lladdr, msg + o + 2, RTE_ETHER_ADDR_LEN);
			nbr->flags |= WS_NET_NBR_F_LLADDR;
		}
		o += olen;
	}
	if ((nbr->flags & WS_NET_NBR_F_LLADDR) && !rte_is_valid_assigned_ether_addr(&nbr->lladdr))
		return WS_NET_DROP_ND_INVALID;

	nbr->op = type;
	memcpy(nbr->addr, ip6->src_addr, 16);
	if (type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT) {
		const struct nd_ns_na *m = (const struct nd_ns_na *)msg;

		if (m->target[0] == 0xff)
			return WS_NET_DROP_ND_INVALID;
		memcpy(nbr->target, m->target, 16);
		if (type == ND_NEIGHBOR_SOLICIT) {
			/* DAD probes come from :: to the solicited-node group, bare. */
			if (unspec && (loc != LOC_MCAST || (nbr->flags & WS_NET_NBR_F_LLADDR)))
				return WS_NET_DROP_ND_INVALID;
			if (!local_v6(c->port, m->target))
				return WS_NET_DROP_NOT_LOCAL;
			nbr->flags |= WS_NET_NBR_F_FOR_US;
		} else {
			if (unspec)
				return WS_NET_DROP_ND_INVALID;
			if (m->flags & ND_NA_FLAG_SOLICITED) {
				if (ip6->dst_addr[0] == 0xff)
					return WS_NET_DROP_ND_INVALID;
				nbr->flags |= WS_NET_NBR_F_SOLICITED;
			}
			if (m->flags & ND_NA_FLAG_ROUTER)
				nbr->flags |= WS_NET_NBR_F_ROUTER;
			if (m->flags & ND_NA_FLAG_OVERRIDE)
				nbr->flags |= WS_NET_NBR_F_OVERRIDE;
			memcpy(nbr->addr, m->target, 16);
		}
	} else if (type == ND_ROUTER_SOLICIT) {
		if (unspec && (nbr->flags & WS_NET_NBR_F_LLADDR))
			return WS_NET_DROP_ND_INVALID;
	} else if (ip6->src_addr[0] != 0xfe || (ip6->src_addr[1] & 0xc0) != 0x80) {
		return WS_NET_DROP_ND_INVALID;          /* RA from a non-link-local source */
	}
	pkt->kind = WS_NET_KIND_ND;
	pkt->payload_off = pkt->l4_off;
	pkt->payload_len = len;
	return WS_NET_DROP_NONE;
}

static enum ws_net_drop parse_icmp6(struct cls *c, const struct rte_ipv6_hdr *ip6,
				    enum locality loc)
{
	struct ws_net_pkt *pkt = c->pkt;
	const uint8_t *msg = c->buf + pkt->l4_off;
	uint32_t len = c->end - pkt->l4_off;

	if (len < 4)
		return WS_NET_DROP_ICMP_INVALID;
	if (net_l4_sum(ip6->src_addr, ip6->dst_addr, 16, IPPROTO_ICMPV6, msg, len) != 0xffff)
		return WS_NET_DROP_ICMP_INVALID;
	switch (msg[0]) {
	case ICMP6_ECHO_REQUEST:
		if (len < ICMP_HDR_LEN)
			return WS_NET_DROP_ICMP_INVALID;
		if (loc != LOC_UNICAST)
			return WS_NET_DROP_NOT_LOCAL;
		pkt->kind = WS_NET_KIND_ECHO;
		pkt->payload_off = pkt->l4_off;
		pkt->payload_len = len;
		return WS_NET_DROP_NONE;
	case ND_ROUTER_SOLICIT:
	case ND_ROUTER_ADVERT:
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
		return parse_nd(c, ip6, loc);
	default:
		return WS_NET_DROP_ICMP_TYPE;
	}
}

/* Walks extension headers from *off; leaves *proto at the transport. */
static enum ws_net_drop skip_ipv6_ext(struct cls *c, uint32_t *off, uint8_t *proto)
{
	for (unsigned n = 0; n < 8; n++) {
		const uint8_t *p = c->buf + *off;
		size_t ext_len;
		int next;

		switch (*proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_FRAGMENT:
			break;
		default:
			return WS_NET_DROP_NONE;
		}
		/* Every extension header handled here is at least 8 bytes. */
		if (c->end - *off < 8)
			return WS_NET_DROP_IPV6_EXT;
		if (*proto == IPPROTO_HOPOPTS && n != 0)
			return WS_NET_DROP_IPV6_EXT;
		if (*proto == IPPROTO_ROUTING && p[3] != 0)
			return WS_NET_DROP_IPV6_EXT;    /* segments left: not the final hop */
		if (*proto == IPPROTO_FRAGMENT) {
			const struct rte_ipv6_fragment_ext *f = (const void *)p;

			/* RFC 6946: an atomic fragment is a whole packet. */
			if (rte_be_to_cpu_16(f->frag_data) & RTE_IPV6_FRAG_USED_MASK)
				return WS_NET_DROP_FRAGMENT;
		}
		next = rte_ipv6_get_next_ext(p, *proto, &ext_len);
		if (next < 0 || ext_len > c->end - *off)
			return WS_NET_DROP_IPV6_EXT;
		*proto = (uint8_t)next;
		*off += (uint32_t)ext_len;
	}
	return WS_NET_DROP_IPV6_EXT;
}

static enum ws_net_drop parse_ipv6(struct cls *c, uint32_t off)
{
	struct ws_net_pkt *pkt = c->pkt;
	const struct rte_ipv6_hdr *ip6;
	enum locality loc;
	enum ws_net_drop r;
	uint32_t plen, l4;
	uint8_t proto;

	if (c->end - off < sizeof(*ip6))
		return WS_NET_DROP_TRUNCATED;
	ip6 = (const struct rte_ipv6_hdr *)(c->buf + off);
	if ((c->buf[off] >> 4) != 6)
		return WS_NET_DROP_IP_VERSION;
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (plen > c->end - off - sizeof(*ip6))
		return WS_NET_DROP_IPV6_LENGTH;

	c->end = off + (uint32_t)sizeof(*ip6) + plen;
	ws_endpoint_v6(&pkt->src, ip6->src_addr, 0);
	ws_endpoint_v6(&pkt->dst, ip6->dst_addr, 0);
	pkt->l3_len = (uint32_t)sizeof(*ip6) + plen;
	l4 = off + (uint32_t)sizeof(*ip6);
	proto = ip6->proto;
	pkt->l4_off = l4;
	pkt->l4_proto = proto;

	loc = locality_v6(c->port, ip6->dst_addr);
	if (loc == LOC_NONE) {
		if (c->port->role != WS_NET_ROLE_CLEAR)
			return WS_NET_DROP_NOT_LOCAL;
		if (link_scope_v6(ip6->dst_addr))
			return WS_NET_DROP_LINK_SCOPE;
		pkt->kind = WS_NET_KIND_FORWARD;
		return WS_NET_DROP_NONE;
	}
	r = skip_ipv6_ext(c, &l4, &proto);
	if (r != WS_NET_DROP_NONE)
		return r;
	pkt->l4_off = l4;
	pkt->l4_proto = proto;
	switch (proto) {
	case IPPROTO_UDP:
		if (c->port->role == WS_NET_ROLE_TUNNEL && loc == LOC_UNICAST)
			return parse_udp(c);
		return WS_NET_DROP_L4_PROTO;
	case IPPROTO_ICMPV6:
		return parse_icmp6(c, ip6, loc);
	default:
		return WS_NET_DROP_L4_PROTO;
	}
}

static enum ws_net_drop classify(struct cls *c)
{
	const struct rte_ether_hdr *eth;
	struct ws_net_pkt *pkt = c->pkt;
	uint32_t off = sizeof(*eth);
	uint16_t type;

	if (c->end < sizeof(*eth))
		return WS_NET_DROP_TRUNCATED;
	eth = (const struct rte_ether_hdr *)c->buf;
	if (!rte_is_multicast_ether_addr(&eth->dst_addr) &&
	    !rte_is_same_ether_addr(&eth->dst_addr, &c->port->mac))
		return WS_NET_DROP_L2_OTHERHOST;
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == RTE_ETHER_TYPE_VLAN) {
		const struct rte_vlan_hdr *vh;

		if (c->end - off < sizeof(*vh))
			return WS_NET_DROP_TRUNCATED;
		vh = (const struct rte_vlan_hdr *)(c->buf + off);
		pkt->has_vlan = 1;
		pkt->vlan_tci = rte_be_to_cpu_16(vh->vlan_tci);
		type = rte_be_to_cpu_16(vh->eth_proto);
		off += sizeof(*vh);
	}
	pkt->l3_off = off;
	switch (type) {
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(c, off);
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(c, off);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(c, off);
	case RTE_ETHER_TYPE_VLAN:
	case RTE_ETHER_TYPE_QINQ:
	case RTE_ETHER_TYPE_QINQ1:
	case RTE_ETHER_TYPE_QINQ2:
	case RTE_ETHER_TYPE_QINQ3:
		return WS_NET_DROP_VLAN;
	default:
		return WS_NET_DROP_ETHERTYPE;
	}
}

enum ws_net_drop ws_net_classify(const struct ws_net_port *port, const uint8_t *buf,
				 uint32_t len, uint32_t flags, struct ws_net_pkt *pkt)
{
	struct cls c = { .port = port, .buf = buf, .end = len, .flags = flags, .pkt = pkt };
	enum ws_net_drop r;

	memset(pkt, 0, sizeof(*pkt));
	r = classify(&c);
	if (r != WS_NET_DROP_NONE)
		pkt->kind = WS_NET_KIND_NONE;
	pkt->drop = (uint8_t)r;
	return r;
}

enum ws_net_drop ws_net_inner_parse(const uint8_t *buf, uint32_t len, struct ws_net_inner *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return WS_NET_DROP_NONE;
	switch (buf[0] >> 4) {
	case 4: {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)buf;
		uint32_t hlen, tlen;

		if (len < sizeof(*ip))
			return WS_NET_DROP_TRUNCATED;
		hlen = rte_ipv4_hdr_len(ip);
		tlen = rte_be_to_cpu_16(ip->total_length);
		if (hlen < sizeof(*ip))
			return WS_NET_DROP_IPV4_IHL;
		if (tlen < hlen || tlen > len)
			return WS_NET_DROP_IPV4_LENGTH;
		out->family = WS_AF_INET;
		out->proto = ip->next_proto_id;
		out->len = tlen;
		ws_endpoint_v4(&out->src, buf + offsetof(struct rte_ipv4_hdr, src_addr), 0);
		ws_endpoint_v4(&out->dst, buf + offsetof(struct rte_ipv4_hdr, dst_addr), 0);
		return WS_NET_DROP_NONE;
	}
	case 6: {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)buf;
		uint32_t plen;

		if (len < sizeof(*ip6))
			return WS_NET_DROP_TRUNCATED;
		plen = rte_be_to_cpu_16(ip6->payload_len);
		if (plen > len - sizeof(*ip6))
			return WS_NET_DROP_IPV6_LENGTH;
		out->family = WS_AF_INET6;
		out->proto = ip6->proto;
		out->len = plen + (uint32_t)sizeof(*ip6);
		ws_endpoint_v6(&out->src, ip6->src_addr, 0);
		ws_endpoint_v6(&out->dst, ip6->dst_addr, 0);
		return WS_NET_DROP_NONE;
	}
	default:
		return WS_NET_DROP_IP_VERSION;
	}
}
