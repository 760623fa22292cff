/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet parse and build on plain (bytes, length) buffers: the RX lcores
 * classify what a port received, the workers parse decrypted inner packets,
 * TX and control build headers. No mbuf is needed except by the thin
 * wrapper at the end; the fuzz harness and the unit tests use byte arrays.
 *
 * Buffers start at the Ethernet header and must be 2-byte aligned, as
 * DPDK's Ethernet and ARP structs are (mbuf data always is). Nothing is
 * read past len, and every length field is checked against the buffer and
 * against the enclosing header's length.
 *
 * VLAN: one 802.1Q tag is skipped and reported (has_vlan, vlan_tci); a
 * second tag or an 802.1ad outer tag drops the frame (reason VLAN).
 * IPv6 extension headers: hop-by-hop (first only), destination options,
 * routing with no segments left and atomic fragments are skipped for
 * packets addressed to us; others drop. Fragments addressed to us drop
 * (reason FRAGMENT): WireGuard over UDP is never reassembled here.
 */
#ifndef WS_NET_H
#define WS_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_mbuf.h>

#include "endpoint.h"

/* Why a packet was not classified; shared by stats, logs and telemetry. */
#define foreach_ws_net_drop \
	_(NONE, "no error") \
	_(TRUNCATED, "frame shorter than its fixed headers") \
	_(L2_OTHERHOST, "frame addressed to another station") \
	_(ETHERTYPE, "ethertype not handled") \
	_(VLAN, "stacked or 802.1ad VLAN tags") \
	_(ARP_INVALID, "ARP not Ethernet/IPv4, bad opcode or bad sender") \
	_(IP_VERSION, "IP version field disagrees with the ethertype") \
	_(IPV4_IHL, "IPv4 header length below 20 bytes") \
	_(IPV4_LENGTH, "IPv4 total length disagrees with the buffer") \
	_(IPV4_CKSUM, "IPv4 header checksum bad") \
	_(IPV6_LENGTH, "IPv6 payload length exceeds the buffer") \
	_(IPV6_EXT, "IPv6 extension header malformed or not handled") \
	_(FRAGMENT, "IP fragment addressed to us (not reassembled)") \
	_(NOT_LOCAL, "not addressed to one of our addresses") \
	_(LINK_SCOPE, "link-scoped or martian destination, not forwarded") \
	_(L4_PROTO, "transport protocol not handled") \
	_(UDP_LENGTH, "UDP length disagrees with the IP length") \
	_(UDP_CKSUM, "UDP checksum bad, or zero over IPv6") \
	_(UDP_PORT, "UDP not to our listen port") \
	_(ICMP_INVALID, "ICMP message too short or checksum bad") \
	_(ICMP_TYPE, "ICMP type not handled") \
	_(ND_INVALID, "neighbor discovery message fails RFC 4861 checks") \
	_(WG_TYPE, "unknown WireGuard message type or nonzero reserved bytes") \
	_(WG_SIZE, "WireGuard message size wrong for its type")

enum ws_net_drop {
#define _(n, s) WS_NET_DROP_##n,
	foreach_ws_net_drop
#undef _
	WS_NET_DROP_MAX
};

/* Stable identifier ("TRUNCATED") for counters, and a sentence for logs. */
const char *ws_net_drop_name(enum ws_net_drop reason);
const char *ws_net_drop_desc(enum ws_net_drop reason);

enum ws_net_role {
	WS_NET_ROLE_TUNNEL = 1,         /* ciphertext: WireGuard over UDP */
	WS_NET_ROLE_CLEAR = 2,          /* plaintext IP to and from the LAN */
};

enum { WS_NET_MAX_ADDRS = 8 };

/* What the classifier needs to know about the port a frame came in on. */
struct ws_net_port {
	uint8_t role;                   /* enum ws_net_role */
	uint8_t n_v4;
	uint8_t n_v6;
	uint16_t listen_port;           /* host byte order; tunnel role */
	struct rte_ether_addr mac;
	uint8_t v4[WS_NET_MAX_ADDRS][4];        /* network byte order */
	uint8_t v6[WS_NET_MAX_ADDRS][16];
};

/* ws_net_classify flags: checksums the NIC did not verify. */
enum {
	WS_NET_F_SW_IPV4_CKSUM = 1 << 0,
	WS_NET_F_SW_UDP_CKSUM = 1 << 1, /* nonzero UDP checksums only */
};

enum ws_net_kind {
	WS_NET_KIND_NONE = 0,           /* dropped; see drop */
	WS_NET_KIND_WG_HANDSHAKE,       /* tunnel: message type 1, 2 or 3 */
	WS_NET_KIND_WG_DATA,            /* tunnel: message type 4 */
	WS_NET_KIND_ARP,                /* control: for our address, or gratuitous */
	WS_NET_KIND_ND,                 /* control: RS, RA, NS (for us), NA */
	WS_NET_KIND_ECHO,               /* control: echo request to our address */
	WS_NET_KIND_FORWARD,            /* clear: IP packet for the tunnel */
};

/* ws_net_nbr.flags */
enum {
	WS_NET_NBR_F_LLADDR = 1 << 0,   /* lladdr is present */
	WS_NET_NBR_F_FOR_US = 1 << 1,   /* ARP/NS target is one of our addresses */
	WS_NET_NBR_F_ROUTER = 1 << 2,   /* NA flags R, S, O */
	WS_NET_NBR_F_SOLICITED = 1 << 3,
	WS_NET_NBR_F_OVERRIDE = 1 << 4,
};

/* ARP and ND: what the control role learns from and answers. */
struct ws_net_nbr {
	uint8_t op;                     /* ARP opcode, or ICMPv6 type 133..136 */
	uint8_t flags;
	struct rte_ether_addr lladdr;   /* ARP sender; NS/RS/RA source or NA target option */
	uint8_t addr[16];               /* the neighbor: ARP sender IP, NS/RS/RA source, NA target */
	uint8_t target[16];             /* ARP target IP, NS/NA target */
};

struct ws_net_pkt {
	uint8_t kind;                   /* enum ws_net_kind */
	uint8_t drop;                   /* enum ws_net_drop */
	uint8_t l4_proto;               /* after IPv6 extension headers (first one when forwarding) */
	uint8_t wg_type;                /* enum ws_message_type */
	uint8_t has_vlan;
	uint16_t vlan_tci;              /* host byte order */
	uint32_t l3_off;
	uint32_t l3_len;                /* IP length from the header; frame padding excluded */
	uint32_t l4_off;
	uint32_t payload_off;           /* WG: the WireGuard message; ECHO, ND: the ICMP one */
	uint32_t payload_len;
	uint32_t sender_index;          /* WG types 1, 2; host byte order */
	uint32_t receiver_index;        /* WG types 2, 3, 4; host byte order */
	uint64_t counter;               /* WG type 4 */
	struct ws_endpoint src;         /* addresses; UDP ports for WG kinds, else 0 */
	struct ws_endpoint dst;
	struct ws_net_nbr nbr;          /* ARP and ND kinds */
};

/*
 * Classify a frame received on port. Returns WS_NET_DROP_NONE with
 * pkt->kind set, or the drop reason (also in pkt->drop, kind NONE).
 */
enum ws_net_drop ws_net_classify(const struct ws_net_port *port, const uint8_t *buf,
				 uint32_t len, uint32_t flags, struct ws_net_pkt *pkt);

/* A decrypted (or clear-side) IP packet with no L2 header. */
struct ws_net_inner {
	uint8_t family;                 /* WS_AF_INET/INET6; WS_AF_NONE: keepalive */
	uint8_t proto;                  /* IPv4 protocol or IPv6 first next header */
	uint32_t len;                   /* real IP length; bytes past it are padding */
	struct ws_endpoint src;         /* port 0 */
	struct ws_endpoint dst;
};

/* A zero-length buffer is a keepalive: NONE with family WS_AF_NONE. */
enum ws_net_drop ws_net_inner_parse(const uint8_t *buf, uint32_t len, struct ws_net_inner *out);

/* Outer headers of a WireGuard datagram. */
struct ws_net_udp_out {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	struct ws_endpoint src;         /* same family as dst; ports host order */
	struct ws_endpoint dst;
	uint16_t ip_id;                 /* IPv4 identification, host order */
	uint8_t tos;                    /* IPv4 TOS / IPv6 traffic class (ECN) */
	bool udp4_cksum;                /* IPv4 UDP checksum is optional; IPv6 always has one */
	/*
	 * The device completes the UDP checksum (ws_net_tx_udp_offload):
	 * the field gets the pseudo-header sum it starts from, and the
	 * datagram is not summed here.
	 */
	bool udp_cksum_offload;
};

enum {
	WS_NET_UDP4_HDRS_LEN = RTE_ETHER_HDR_LEN + 20 + 8,
	WS_NET_UDP6_HDRS_LEN = RTE_ETHER_HDR_LEN + 40 + 8,
	WS_NET_ND_LEN = RTE_ETHER_HDR_LEN + 40 + 32,    /* NS or NA with one option */
	WS_NET_ARP_LEN = RTE_ETHER_HDR_LEN + 28,
};

static inline uint32_t ws_net_udp_hdrs_len(uint8_t family)
{
	return family == WS_AF_INET ? WS_NET_UDP4_HDRS_LEN :
	       family == WS_AF_INET6 ? WS_NET_UDP6_HDRS_LEN : 0;
}

/*
 * Builders write at buf (capacity cap) and return the frame length, or
 * -EINVAL for bad arguments, -ENOSPC when cap is too small, -EMSGSIZE
 * when the datagram would not fit in an IP length field.
 */

/* Headers in front of payload_len bytes already at buf + ws_net_udp_hdrs_len(). */
int ws_net_build_udp(uint8_t *buf, uint32_t cap, const struct ws_net_udp_out *o,
		     uint32_t payload_len);
int ws_net_build_eth(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *dst,
		     const struct rte_ether_addr *src, uint16_t ether_type);
/* tha NULL: broadcast request with a zero target hardware address. */
int ws_net_build_arp(uint8_t *buf, uint32_t cap, uint16_t op,
		     const struct rte_ether_addr *sha, const uint8_t sip[4],
		     const struct rte_ether_addr *tha, const uint8_t tip[4]);
/* dst_mac NULL: to the target's solicited-node group, else unicast to it. */
int ws_net_build_ns(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *src_mac,
		    const uint8_t src_ip[16], const uint8_t target[16],
		    const struct rte_ether_addr *dst_mac);
/*
 * Our address target is also the source. dst_ip and dst_mac, or both NULL
 * for all-nodes (then without WS_NET_NBR_F_SOLICITED). flags WS_NET_NBR_F_*.
 */
int ws_net_build_na(uint8_t *buf, uint32_t cap, const struct rte_ether_addr *src_mac,
		    const uint8_t target[16], const struct rte_ether_addr *dst_mac,
		    const uint8_t dst_ip[16], unsigned flags);
/* Turn a classified ECHO request in place into its reply; returns the new length. */
int ws_net_echo_reply(uint8_t *buf, uint32_t len, const struct ws_net_pkt *req,
		      const struct rte_ether_addr *our_mac);
/*
 * ICMP "fragmentation needed" / ICMPv6 "packet too big" back to the sender
 * of a classified FORWARD frame, from our address src_ip (4 or 16 bytes),
 * quoting as much of it as RFC 1812 / RFC 4443 allow; out must not
 * overlap frame. A VLAN tag of the frame is kept.
 * -EINVAL when no error may be sent about it (ICMP errors, non-first
 * fragments, multicast or unspecified addresses).
 */
int ws_net_build_too_big(uint8_t *out, uint32_t cap, const uint8_t *frame,
			 const struct ws_net_pkt *pkt, const uint8_t *src_ip, uint32_t mtu);

/* The solicited-node group of addr (ff02::1:ff00:0/104 and its low 24 bits), and the 33:33 MAC of any IPv6 group. */
void ws_net_solicited_node(const uint8_t addr[16], uint8_t group[16]);
void ws_net_ipv6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac);

/*
 * Ask the device for the UDP checksum of m, a frame ws_net_build_udp
 * made with udp_cksum_offload (Ethernet, then IP without options, then
 * UDP, of family). The port must have RTE_ETH_TX_OFFLOAD_UDP_CKSUM on.
 */
static inline void ws_net_tx_udp_offload(struct rte_mbuf *m, uint8_t family)
{
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = family == WS_AF_INET ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	m->l4_len = sizeof(struct rte_udp_hdr);
	m->ol_flags |= (family == WS_AF_INET ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) |
		       RTE_MBUF_F_TX_UDP_CKSUM;
}

/* Single-segment mbufs: verify in software what the NIC did not mark good. */
static inline enum ws_net_drop ws_net_classify_mbuf(const struct ws_net_port *port,
						    const struct rte_mbuf *m,
						    struct ws_net_pkt *pkt)
{
	uint32_t flags = 0;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		flags |= WS_NET_F_SW_IPV4_CKSUM;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		flags |= WS_NET_F_SW_UDP_CKSUM;
	return ws_net_classify(port, rte_pktmbuf_mtod(m, const uint8_t *),
			       rte_pktmbuf_data_len(m), flags, pkt);
}

#endif /* WS_NET_H */
