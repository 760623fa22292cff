/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lib/net: classification of golden frames (hex, checksums computed
 * independently), every truncation, corrupted fields, builders checked
 * byte for byte against the goldens and by an independent RFC 1071
 * checksum, ARP/ND/echo round trips, and the neighbor cache.
 */
#define WS_TEST_WITH_EAL
#include "test_common.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "messages.h"
#include "ws_neigh.h"
#include "ws_net.h"

#define SW (WS_NET_F_SW_IPV4_CKSUM | WS_NET_F_SW_UDP_CKSUM)

/* WireGuard data (receiver 0x11223344, counter 5, 32 bytes) over IPv4. */
static const char G_WG4[] =
	"02000000000102000000009908004500004c123400004011e469c0000202c0000201"
	"ca6cca6c00387c5104000000443322110500000000000000a0a1a2a3a4a5a6a7a8a9"
	"aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
/* Handshake initiation (sender 0xdeadbeef) over IPv6, 40000 -> 51820. */
static const char G_INIT6[] =
	"02000000000102000000009986dd60000000009c114020010db80002000000000000"
	"0000000220010db80001000000000000000000019c40ca6c009c69d601000000efbe"
	"adde00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"
	"e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7"
	"ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5"
	"bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959ca3"
	"aab1b8bfc6cd";
/* ARP request 10.1.0.254 (02:..:fe) -> who has 10.1.0.1. */
static const char G_ARP[] =
	"ffffffffffff0200000000fe080600010800060400010200000000fe0a0100fe0000"
	"000000000a010001";
/* NS from fd00:1::fe for fd00:1::1 to ff02::1:ff00:1 with source LL option. */
static const char G_NS[] =
	"3333ff0000010200000000fe86dd6000000000203afffd0000010000000000000000"
	"000000feff0200000000000000000001ff00000187007b9d00000000fd0000010000"
	"0000000000000000000101010200000000fe";
/* ICMP echo request 192.0.2.2 -> 192.0.2.1, id 0x4242 seq 1, "abcdefgh". */
static const char G_ECHO4[] =
	"020000000001020000000099080045000024010100004001f5d4c0000202c0000201"
	"08002427424200016162636465666768";
/* Clear side TCP SYN 10.1.0.50 -> 10.2.0.5, DF, padded to 60 bytes. */
static const char G_TCP4[] =
	"0200000000020200000000fe08004500002800074000400626900a0100320a020005"
	"3039005000000001000000005002ffff00000000000000000000";

static const struct rte_ether_addr TUN_MAC = {{ 2, 0, 0, 0, 0, 0x01 }};
static const struct rte_ether_addr CLR_MAC = {{ 2, 0, 0, 0, 0, 0x02 }};
static const struct rte_ether_addr PEER_MAC = {{ 2, 0, 0, 0, 0, 0x99 }};
static const struct rte_ether_addr HOST_MAC = {{ 2, 0, 0, 0, 0, 0xfe }};
static const uint8_t TUN4[4] = { 192, 0, 2, 1 }, PEER4[4] = { 192, 0, 2, 2 };
static const uint8_t CLR4[4] = { 10, 1, 0, 1 }, HOST4[4] = { 10, 1, 0, 254 };
static const uint8_t TUN6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t PEER6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
static const uint8_t CLR6[16] = { 0xfd, 0, 0, 1, [15] = 1 };
static const uint8_t HOST6[16] = { 0xfd, 0, 0, 1, [15] = 0xfe };

static struct ws_net_port tun, clr, host;

static void ports_init(void)
{
	tun = (struct ws_net_port){ .role = WS_NET_ROLE_TUNNEL, .n_v4 = 1, .n_v6 = 1,
				    .listen_port = 51820, .mac = TUN_MAC };
	memcpy(tun.v4[0], TUN4, 4);
	memcpy(tun.v6[0], TUN6, 16);
	clr = (struct ws_net_port){ .role = WS_NET_ROLE_CLEAR, .n_v4 = 1, .n_v6 = 1, .mac = CLR_MAC };
	memcpy(clr.v4[0], CLR4, 4);
	memcpy(clr.v6[0], CLR6, 16);
	/* The LAN host's view, to parse what our builders send it. */
	host = (struct ws_net_port){ .role = WS_NET_ROLE_CLEAR, .n_v4 = 1, .n_v6 = 1, .mac = HOST_MAC };
	memcpy(host.v4[0], HOST4, 4);
	memcpy(host.v6[0], HOST6, 16);
}

/* Classify from an exact-size heap copy, so ASan sees any over-read. */
static enum ws_net_drop cls(const struct ws_net_port *p, const uint8_t *buf, size_t len,
			    uint32_t flags, struct ws_net_pkt *pkt)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum ws_net_drop r;

	memcpy(copy, buf, len);
	r = ws_net_classify(p, copy, (uint32_t)len, flags, pkt);
	free(copy);
	CU_ASSERT_EQUAL(pkt->drop, r);
	CU_ASSERT_EQUAL(r == WS_NET_DROP_NONE, pkt->kind != WS_NET_KIND_NONE);
	return r;
}

/* Independent RFC 1071 checksum, byte-wise big-endian words. */
static uint32_t ref_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static bool ref_ip4_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(0, ip, (ip[0] & 0xf) * 4u)) == 0xffff;
}

static void ref_ip4_fix(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = (uint16_t)~ref_fold(ref_sum(0, ip, (ip[0] & 0xf) * 4u));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static uint32_t ref_pseudo(const uint8_t *src, const uint8_t *dst, unsigned alen,
			   uint8_t proto, uint32_t len)
{
	uint32_t s = ref_sum(0, src, alen);

	s = ref_sum(s, dst, alen);
	return s + proto + (len >> 16) + (len & 0xffff);
}

static bool ref_l4_ok(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto,
		      const uint8_t *l4, uint32_t len)
{
	return ref_fold(ref_sum(ref_pseudo(src, dst, alen, proto, len), l4, len)) == 0xffff;
}

static void ref_l4_fix(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto,
		       uint8_t *l4, uint32_t len, unsigned cko)
{
	uint16_t c;

	l4[cko] = l4[cko + 1] = 0;
	c = (uint16_t)~ref_fold(ref_sum(ref_pseudo(src, dst, alen, proto, len), l4, len));
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	l4[cko] = (uint8_t)(c >> 8);
	l4[cko + 1] = (uint8_t)c;
}

/* Fix the IPv4 header and UDP checksums of an untagged IPv4/UDP frame. */
static void fix4(uint8_t *f)
{
	uint8_t *ip = f + 14;
	uint32_t ihl = (ip[0] & 0xf) * 4u, tl = (uint32_t)ip[2] << 8 | ip[3], ul;

	ref_ip4_fix(ip);
	if (ip[9] != IPPROTO_UDP || tl < ihl + 8)
		return;
	ul = (uint32_t)ip[ihl + 4] << 8 | ip[ihl + 5];
	if (ul < 8 || ul > tl - ihl)
		ul = tl - ihl;
	ref_l4_fix(ip + 12, ip + 16, 4, IPPROTO_UDP, ip + ihl, ul, 6);
}

/* Ethernet + IPv6 (+ extension bytes) + transport with a reference checksum. */
static size_t mk_ip6(uint8_t *out, const struct rte_ether_addr *dmac, const uint8_t src[16],
		     const uint8_t dst[16], uint8_t hops, uint8_t first_nh, const uint8_t *ext,
		     size_t ext_len, uint8_t proto, const uint8_t *l4, size_t l4_len, unsigned cko)
{
	size_t plen = ext_len + l4_len;

	memcpy(out, dmac->addr_bytes, 6);
	memcpy(out + 6, PEER_MAC.addr_bytes, 6);
	out[12] = 0x86;
	out[13] = 0xdd;
	memset(out + 14, 0, 4);
	out[14] = 0x60;
	out[18] = (uint8_t)(plen >> 8);
	out[19] = (uint8_t)plen;
	out[20] = first_nh;
	out[21] = hops;
	memcpy(out + 22, src, 16);
	memcpy(out + 38, dst, 16);
	if (ext_len)
		memcpy(out + 54, ext, ext_len);
	memcpy(out + 54 + ext_len, l4, l4_len);
	ref_l4_fix(src, dst, 16, proto, out + 54 + ext_len, (uint32_t)l4_len, cko);
	return 54 + plen;
}

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = ws_test_unhex(out, cap, hex);

	CU_ASSERT_EQUAL(n * 2, strlen(hex));
	return n;
}

static void test_drop_names(void)
{
	for (int r = 0; r < WS_NET_DROP_MAX; r++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(ws_net_drop_name(r));
		CU_ASSERT(strlen(ws_net_drop_desc(r)) > 3);
		for (int q = 0; q < r; q++)
			CU_ASSERT(strcmp(ws_net_drop_name(r), ws_net_drop_name(q)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(ws_net_drop_name(WS_NET_DROP_NONE), "NONE");
	CU_ASSERT_STRING_EQUAL(ws_net_drop_name(WS_NET_DROP_FRAGMENT), "FRAGMENT");
	CU_ASSERT_STRING_EQUAL(ws_net_drop_desc(WS_NET_DROP_NONE), "no error");
	CU_ASSERT_STRING_EQUAL(ws_net_drop_name(WS_NET_DROP_MAX), "UNKNOWN");
}

static void test_golden_parse(void)
{
	uint8_t f[256];
	struct ws_net_pkt p;
	size_t n;

	n = unhex(f, sizeof(f), G_WG4);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_WG_DATA);
	CU_ASSERT_EQUAL(p.wg_type, WS_MSG_DATA);
	CU_ASSERT_EQUAL(p.receiver_index, 0x11223344);
	CU_ASSERT_EQUAL(p.counter, 5);
	CU_ASSERT_EQUAL(p.l3_off, 14);
	CU_ASSERT_EQUAL(p.l3_len, 76);
	CU_ASSERT_EQUAL(p.l4_off, 34);
	CU_ASSERT_EQUAL(p.l4_proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(p.payload_off, 42);
	CU_ASSERT_EQUAL(p.payload_len, 48);
	CU_ASSERT_EQUAL(p.src.family, WS_AF_INET);
	CU_ASSERT_EQUAL(memcmp(p.src.addr, PEER4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(p.dst.addr, TUN4, 4), 0);
	CU_ASSERT_EQUAL(p.src.port, 51820);
	CU_ASSERT_EQUAL(p.dst.port, 51820);
	CU_ASSERT_EQUAL(p.has_vlan, 0);

	n = unhex(f, sizeof(f), G_INIT6);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_WG_HANDSHAKE);
	CU_ASSERT_EQUAL(p.wg_type, WS_MSG_INITIATION);
	CU_ASSERT_EQUAL(p.sender_index, 0xdeadbeef);
	CU_ASSERT_EQUAL(p.payload_off, 62);
	CU_ASSERT_EQUAL(p.payload_len, WS_MSG_INITIATION_LEN);
	CU_ASSERT_EQUAL(p.src.family, WS_AF_INET6);
	CU_ASSERT_EQUAL(memcmp(p.src.addr, PEER6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(p.dst.addr, TUN6, 16), 0);
	CU_ASSERT_EQUAL(p.src.port, 40000);

	n = unhex(f, sizeof(f), G_ARP);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ARP);
	CU_ASSERT_EQUAL(p.nbr.op, RTE_ARP_OP_REQUEST);
	CU_ASSERT_EQUAL(p.nbr.flags, WS_NET_NBR_F_LLADDR | WS_NET_NBR_F_FOR_US);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &HOST_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.addr, HOST4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(p.nbr.target, CLR4, 4), 0);
	/* The tunnel port does not own 10.1.0.1. */
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NOT_LOCAL);

	n = unhex(f, sizeof(f), G_NS);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ND);
	CU_ASSERT_EQUAL(p.nbr.op, ND_NEIGHBOR_SOLICIT);
	CU_ASSERT_EQUAL(p.nbr.flags, WS_NET_NBR_F_LLADDR | WS_NET_NBR_F_FOR_US);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &HOST_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.addr, HOST6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(p.nbr.target, CLR6, 16), 0);

	n = unhex(f, sizeof(f), G_ECHO4);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ECHO);
	CU_ASSERT_EQUAL(p.payload_off, 34);
	CU_ASSERT_EQUAL(p.payload_len, 16);

	n = unhex(f, sizeof(f), G_TCP4);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_FORWARD);
	CU_ASSERT_EQUAL(p.l3_len, 40);
	CU_ASSERT_EQUAL(p.l4_proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(memcmp(p.dst.addr, (uint8_t[]){ 10, 2, 0, 5 }, 4), 0);
	CU_ASSERT_EQUAL(memcmp(p.src.addr, (uint8_t[]){ 10, 1, 0, 50 }, 4), 0);
	/* Not to us and not forwardable from the tunnel side. */
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_L2_OTHERHOST);
}

static void test_truncations(void)
{
	const char *goldens[] = { G_WG4, G_INIT6, G_ARP, G_NS, G_ECHO4 };
	const struct ws_net_port *ports[] = { &tun, &tun, &clr, &clr, &tun };
	uint8_t f[256];
	struct ws_net_pkt p;

	for (unsigned g = 0; g < RTE_DIM(goldens); g++) {
		size_t n = unhex(f, sizeof(f), goldens[g]);

		CU_ASSERT_EQUAL(cls(ports[g], f, n, SW, &p), WS_NET_DROP_NONE);
		for (size_t len = 0; len < n; len++) {
			CU_ASSERT_NOT_EQUAL(cls(ports[g], f, len, SW, &p), WS_NET_DROP_NONE);
			CU_ASSERT_NOT_EQUAL(cls(ports[g], f, len, 0, &p), WS_NET_DROP_NONE);
		}
	}
	/* Ethernet padding is not part of the packet: cut it freely, not more. */
	size_t n = unhex(f, sizeof(f), G_TCP4);
	for (size_t len = 0; len < n; len++)
		CU_ASSERT_EQUAL(cls(&clr, f, len, SW, &p) == WS_NET_DROP_NONE, len >= 54);
}

static void test_corrupt_ipv4(void)
{
	uint8_t g[128], f[128];
	struct ws_net_pkt p;
	size_t n = unhex(g, sizeof(g), G_WG4);

#define MUT(stmt, reason) do { \
		memcpy(f, g, n); \
		stmt; \
		fix4(f); \
		CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), reason); \
	} while (0)
	MUT(f[14] = 0x55, WS_NET_DROP_IP_VERSION);
	MUT(f[14] = 0x65, WS_NET_DROP_IP_VERSION);
	MUT(f[14] = 0x44, WS_NET_DROP_IPV4_IHL);
	MUT(f[14] = 0x40, WS_NET_DROP_IPV4_IHL);
	MUT(f[17] = 77, WS_NET_DROP_IPV4_LENGTH);               /* beyond the frame */
	MUT(f[17] = 19, WS_NET_DROP_IPV4_LENGTH);               /* below the header */
	MUT(f[20] = 0x20, WS_NET_DROP_FRAGMENT);                /* MF */
	MUT(f[21] = 0x01, WS_NET_DROP_FRAGMENT);                /* offset 8 */
	MUT(f[20] = 0x40, WS_NET_DROP_NONE);                    /* DF alone is fine */
	MUT(f[23] = 6, WS_NET_DROP_L4_PROTO);
	MUT(f[33] = 9, WS_NET_DROP_NOT_LOCAL);
	MUT(f[0] = 0x04, WS_NET_DROP_L2_OTHERHOST);
	MUT(f[0] = 0xff; f[1] = 0xff, WS_NET_DROP_NONE);        /* broadcast L2 passes */
	MUT((f[12] = 0x88, f[13] = 0xcc), WS_NET_DROP_ETHERTYPE);
	MUT(f[38] = 0x01, WS_NET_DROP_UDP_LENGTH);              /* 312 > 56 */
	MUT(f[39] = 0x07, WS_NET_DROP_UDP_LENGTH);              /* below 8 */
	MUT(f[39] = 0x37, WS_NET_DROP_NONE);                    /* 55: trailing byte ignored */
	MUT(f[39] = 0x27, WS_NET_DROP_WG_SIZE);                 /* 31-byte message */
	MUT(f[37] = 0x6d, WS_NET_DROP_UDP_PORT);
	MUT(f[42] = 5, WS_NET_DROP_WG_TYPE);
	MUT(f[42] = 0, WS_NET_DROP_WG_TYPE);
	MUT(f[43] = 1, WS_NET_DROP_WG_TYPE);                    /* reserved bytes */
	MUT(f[45] = 1, WS_NET_DROP_WG_TYPE);
#undef MUT
	/* IHL 15 and total length 64: 4 bytes left for the UDP header. */
	memcpy(f, g, n);
	f[14] = 0x4f;
	f[17] = 64;
	fix4(f);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_TRUNCATED);

	/* Checksums: checked only when asked; a zero UDP checksum means none. */
	memcpy(f, g, n);
	f[24] ^= 1;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IPV4_CKSUM);
	CU_ASSERT_EQUAL(cls(&tun, f, n, WS_NET_F_SW_UDP_CKSUM, &p), WS_NET_DROP_NONE);
	memcpy(f, g, n);
	f[60] ^= 0x80;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_UDP_CKSUM);
	CU_ASSERT_EQUAL(cls(&tun, f, n, WS_NET_F_SW_IPV4_CKSUM, &p), WS_NET_DROP_NONE);
	f[40] = f[41] = 0;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
}

static void test_corrupt_ipv6(void)
{
	uint8_t g[256], f[256];
	struct ws_net_pkt p;
	size_t n = unhex(g, sizeof(g), G_INIT6);

	memcpy(f, g, n);
	f[14] = 0x40;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IP_VERSION);
	memcpy(f, g, n);
	f[19] = 0x9d;                   /* payload length one past the frame */
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IPV6_LENGTH);
	memcpy(f, g, n);
	f[59] = 0x9b;                   /* UDP 155: message 147 */
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_UDP, f + 54, 155, 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_WG_SIZE);
	memcpy(f, g, n);
	f[60] = f[61] = 0;              /* no checksum: forbidden over IPv6 */
	CU_ASSERT_EQUAL(cls(&tun, f, n, 0, &p), WS_NET_DROP_UDP_CKSUM);
	memcpy(f, g, n);
	f[100] ^= 1;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_UDP_CKSUM);
	CU_ASSERT_EQUAL(cls(&tun, f, n, 0, &p), WS_NET_DROP_NONE);
	memcpy(f, g, n);
	f[53] = 2;                      /* another destination */
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NOT_LOCAL);
}

/* Every WireGuard type at its size and one byte either side. */
static void test_wg_sizes(void)
{
	static const struct { uint8_t type; uint32_t len; bool exact; } t[] = {
		{ WS_MSG_INITIATION, WS_MSG_INITIATION_LEN, true },
		{ WS_MSG_RESPONSE, WS_MSG_RESPONSE_LEN, true },
		{ WS_MSG_COOKIE, WS_MSG_COOKIE_LEN, true },
		{ WS_MSG_DATA, WS_MSG_DATA_MIN_LEN, false },
	};
	struct ws_net_udp_out o = { .src_mac = PEER_MAC, .dst_mac = TUN_MAC, .udp4_cksum = true };
	uint8_t f[512];
	struct ws_net_pkt p;

	ws_endpoint_v4(&o.src, PEER4, 1234);
	ws_endpoint_v4(&o.dst, TUN4, 51820);
	for (unsigned i = 0; i < RTE_DIM(t); i++) {
		for (int d = -1; d <= 1; d++) {
			uint32_t len = t[i].len + (uint32_t)d;
			uint8_t *m = f + WS_NET_UDP4_HDRS_LEN;
			bool ok = t[i].exact ? d == 0 : d >= 0;
			int flen;

			memset(m, 0xab, len);
			memset(m, 0, 4);
			m[0] = t[i].type;
			for (unsigned b = 4; b < 12; b++)
				m[b] = (uint8_t)(b * 17);
			flen = ws_net_build_udp(f, sizeof(f), &o, len);
			CU_ASSERT_EQUAL_FATAL(flen, (int)(WS_NET_UDP4_HDRS_LEN + len));
			CU_ASSERT_EQUAL(cls(&tun, f, (size_t)flen, SW, &p),
					ok ? WS_NET_DROP_NONE : WS_NET_DROP_WG_SIZE);
			if (!ok)
				continue;
			CU_ASSERT_EQUAL(p.wg_type, t[i].type);
			CU_ASSERT_EQUAL(p.kind, t[i].type == WS_MSG_DATA ? WS_NET_KIND_WG_DATA :
								      WS_NET_KIND_WG_HANDSHAKE);
			CU_ASSERT_EQUAL(p.payload_len, len);
			if (t[i].type == WS_MSG_INITIATION)
				CU_ASSERT_EQUAL(p.sender_index, 0x77665544);
			if (t[i].type == WS_MSG_RESPONSE) {
				CU_ASSERT_EQUAL(p.sender_index, 0x77665544);
				CU_ASSERT_EQUAL(p.receiver_index, 0xbbaa9988);
			}
			if (t[i].type == WS_MSG_COOKIE || t[i].type == WS_MSG_DATA)
				CU_ASSERT_EQUAL(p.receiver_index, 0x77665544);
			if (t[i].type == WS_MSG_DATA)
				CU_ASSERT_EQUAL(p.counter, 0xababababbbaa9988ULL);
		}
	}
	/* Data: any length from 32 up; the AEAD judges the rest. */
	for (uint32_t len = 32; len < 100; len += 7) {
		uint8_t *m = f + WS_NET_UDP4_HDRS_LEN;
		int flen;

		memset(m, 0, len);
		m[0] = WS_MSG_DATA;
		flen = ws_net_build_udp(f, sizeof(f), &o, len);
		CU_ASSERT_EQUAL(cls(&tun, f, (size_t)flen, SW, &p), WS_NET_DROP_NONE);
	}
}

static void test_vlan(void)
{
	uint8_t g[128], f[132];
	struct ws_net_pkt p;
	size_t n = unhex(g, sizeof(g), G_WG4);

	memcpy(f, g, 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x20;
	f[15] = 0x07;                   /* PCP 1, VID 7 */
	memcpy(f + 16, g + 12, n - 12);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n + 4, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.has_vlan, 1);
	CU_ASSERT_EQUAL(p.vlan_tci, 0x2007);
	CU_ASSERT_EQUAL(p.l3_off, 18);
	CU_ASSERT_EQUAL(p.payload_off, 46);
	CU_ASSERT_EQUAL(p.counter, 5);
	for (size_t len = 0; len < n + 4; len++)
		CU_ASSERT_NOT_EQUAL(cls(&tun, f, len, SW, &p), WS_NET_DROP_NONE);
	f[16] = 0x81;                   /* a second tag */
	f[17] = 0x00;
	CU_ASSERT_EQUAL(cls(&tun, f, n + 4, SW, &p), WS_NET_DROP_VLAN);
	f[12] = 0x88;                   /* 802.1ad outer tag */
	f[13] = 0xa8;
	CU_ASSERT_EQUAL(cls(&tun, f, n + 4, SW, &p), WS_NET_DROP_VLAN);
}

static void test_ipv6_ext(void)
{
	uint8_t udp[8 + 32] = { 0x9c, 0x40, 0xca, 0x6c, 0, 40, 0, 0, WS_MSG_DATA, [12] = 0x2a };
	uint8_t ext[64], f[256];
	struct ws_net_pkt p;
	size_t n;

	/* Hop-by-hop (8) then destination options (16) then UDP. */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_DSTOPTS;
	ext[2] = 1;                     /* PadN */
	ext[3] = 4;
	ext[8] = IPPROTO_UDP;
	ext[9] = 1;
	ext[10] = 1;
	ext[11] = 12;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_HOPOPTS, ext, 24, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.l4_off, 14 + 40 + 24);
	CU_ASSERT_EQUAL(p.receiver_index, 0x2a);
	for (size_t len = 0; len < n; len++)
		CU_ASSERT_NOT_EQUAL(cls(&tun, f, len, SW, &p), WS_NET_DROP_NONE);

	/* Hop-by-hop anywhere but first. */
	ext[0] = IPPROTO_HOPOPTS;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_DSTOPTS, ext, 24, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IPV6_EXT);

	/* Extension header running past the payload. */
	ext[0] = IPPROTO_UDP;
	ext[1] = 9;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_DSTOPTS, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IPV6_EXT);

	/* Routing header: fine with no segments left, dropped otherwise. */
	memset(ext, 0, 8);
	ext[0] = IPPROTO_UDP;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_ROUTING, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	ext[3] = 1;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_ROUTING, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_IPV6_EXT);

	/* Fragment header: atomic passes, real fragments drop. */
	memset(ext, 0, 8);
	ext[0] = IPPROTO_UDP;
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_FRAGMENT, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	ext[3] = 1;                     /* M */
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_FRAGMENT, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_FRAGMENT);
	ext[3] = 0;
	ext[2] = 1;                     /* offset 32 */
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_FRAGMENT, ext, 8, IPPROTO_UDP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_FRAGMENT);

	/* ESP and unknown transports. */
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 64, IPPROTO_ESP, NULL, 0, IPPROTO_ESP, udp,
		   sizeof(udp), 6);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_L4_PROTO);
}

static void test_build_golden(void)
{
	uint8_t g[256], f[256];
	size_t n;
	int len;

	/* WireGuard data over IPv4, checksummed UDP. */
	struct ws_net_udp_out o = { .src_mac = PEER_MAC, .dst_mac = TUN_MAC, .ip_id = 0x1234,
				    .udp4_cksum = true };
	ws_endpoint_v4(&o.src, PEER4, 51820);
	ws_endpoint_v4(&o.dst, TUN4, 51820);
	n = unhex(g, sizeof(g), G_WG4);
	memset(f, 0xee, sizeof(f));
	memcpy(f + WS_NET_UDP4_HDRS_LEN, g + WS_NET_UDP4_HDRS_LEN, n - WS_NET_UDP4_HDRS_LEN);
	len = ws_net_build_udp(f, sizeof(f), &o, (uint32_t)(n - WS_NET_UDP4_HDRS_LEN));
	CU_ASSERT_EQUAL(len, (int)n);
	CU_ASSERT_EQUAL(memcmp(f, g, n), 0);
	/* Without the optional IPv4 UDP checksum the field is zero. */
	o.udp4_cksum = false;
	len = ws_net_build_udp(f, sizeof(f), &o, (uint32_t)(n - WS_NET_UDP4_HDRS_LEN));
	CU_ASSERT(f[40] == 0 && f[41] == 0);
	CU_ASSERT(ref_ip4_ok(f + 14));
	/* The header checksum is summed from the fields: any fields, any carries. */
	for (uint32_t i = 0, x = 1; i < 20000; i++) {
		struct ws_net_udp_out r = o;
		uint8_t a[4], b[4];

		for (unsigned k = 0; k < 4; k++) {
			a[k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
			b[k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
		}
		if (i < 4)      /* the extremes */
			memset(i & 1 ? a : b, i & 2 ? 0xff : 0, 4);
		ws_endpoint_v4(&r.src, a, 1);
		ws_endpoint_v4(&r.dst, b, 2);
		r.ip_id = (uint16_t)(x >> 8);
		r.tos = (uint8_t)(x >> 3);
		len = ws_net_build_udp(f, sizeof(f), &r, (x >> 16) % 200);
		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT(ref_ip4_ok(f + 14));
	}
	CU_ASSERT_EQUAL(ws_net_build_udp(f, (uint32_t)n - 1, &o, (uint32_t)(n - 42)), -ENOSPC);
	CU_ASSERT_EQUAL(ws_net_build_udp(f, sizeof(f), &o, 65535 - 28 + 1), -EMSGSIZE);
	o.dst.family = WS_AF_INET6;
	CU_ASSERT_EQUAL(ws_net_build_udp(f, sizeof(f), &o, 4), -EINVAL);

	/* Initiation over IPv6. */
	ws_endpoint_v6(&o.src, PEER6, 40000);
	ws_endpoint_v6(&o.dst, TUN6, 51820);
	n = unhex(g, sizeof(g), G_INIT6);
	memset(f, 0xee, sizeof(f));
	memcpy(f + WS_NET_UDP6_HDRS_LEN, g + WS_NET_UDP6_HDRS_LEN, n - WS_NET_UDP6_HDRS_LEN);
	len = ws_net_build_udp(f, sizeof(f), &o, (uint32_t)(n - WS_NET_UDP6_HDRS_LEN));
	CU_ASSERT_EQUAL(len, (int)n);
	CU_ASSERT_EQUAL(memcmp(f, g, n), 0);

	/* ARP request and NS. */
	n = unhex(g, sizeof(g), G_ARP);
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL, CLR4);
	CU_ASSERT_EQUAL(len, (int)n);
	CU_ASSERT_EQUAL(memcmp(f, g, n), 0);
	CU_ASSERT_EQUAL(ws_net_build_arp(f, 41, RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL, CLR4),
			-ENOSPC);
	CU_ASSERT_EQUAL(ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REPLY, &HOST_MAC, HOST4, NULL,
					 CLR4), -EINVAL);
	n = unhex(g, sizeof(g), G_NS);
	len = ws_net_build_ns(f, sizeof(f), &HOST_MAC, HOST6, CLR6, NULL);
	CU_ASSERT_EQUAL(len, (int)n);
	CU_ASSERT_EQUAL(memcmp(f, g, n), 0);

	/* Ethernet header for the clear side. */
	CU_ASSERT_EQUAL(ws_net_build_eth(f, sizeof(f), &HOST_MAC, &CLR_MAC, 0x86dd), 14);
	CU_ASSERT_EQUAL(memcmp(f, HOST_MAC.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, CLR_MAC.addr_bytes, 6), 0);
	CU_ASSERT(f[12] == 0x86 && f[13] == 0xdd);
	CU_ASSERT_EQUAL(ws_net_build_eth(f, 13, &HOST_MAC, &CLR_MAC, 0x86dd), -ENOSPC);
}

/*
 * The same frame built with udp_cksum_offload, then completed as a NIC
 * does (the ones' complement sum of the UDP header and payload, starting
 * from the field as built): the field held the pseudo-header sum, and
 * the result is the frame summed in software, byte for byte.
 */
static void check_udp_offload(const uint8_t *sw, uint32_t len, const struct ws_net_udp_out *o,
			      uint32_t plen)
{
	static uint8_t f[2048];
	struct ws_net_udp_out oo = *o;
	bool v6 = o->dst.family == WS_AF_INET6;
	uint32_t hdrs = ws_net_udp_hdrs_len(o->dst.family);
	uint8_t *ip = f + 14, *udp = f + hdrs - 8;
	unsigned alen = v6 ? 16 : 4;
	uint16_t c;

	memcpy(f, sw, len);
	oo.udp_cksum_offload = true;
	CU_ASSERT_EQUAL_FATAL(ws_net_build_udp(f, sizeof(f), &oo, plen), (int)len);
	c = (uint16_t)(udp[6] << 8 | udp[7]);
	CU_ASSERT_EQUAL(c, ref_fold(ref_pseudo(ip + (v6 ? 8 : 12), ip + (v6 ? 24 : 16), alen,
					       IPPROTO_UDP, 8 + plen)));
	c = (uint16_t)~ref_fold(ref_sum(0, udp, 8 + plen));
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	CU_ASSERT_EQUAL(memcmp(f, sw, len), 0);
}

/* Built datagrams of random sizes and addresses parse back; checksums verify. */
static void test_build_roundtrip(void)
{
	uint64_t rs = ws_test_seed("build_roundtrip");
	static uint8_t f[2048];

	for (int i = 0; i < 2000; i++) {
		uint64_t r = ws_test_rand(&rs);
		bool v6 = r & 1;
		uint32_t plen = 32 + (uint32_t)(ws_test_rand(&rs) % 1400);
		uint32_t hdrs = v6 ? WS_NET_UDP6_HDRS_LEN : WS_NET_UDP4_HDRS_LEN;
		struct ws_net_udp_out o = { .src_mac = PEER_MAC, .dst_mac = TUN_MAC,
					    .ip_id = (uint16_t)(r >> 8), .tos = (uint8_t)(r >> 24),
					    .udp4_cksum = (r >> 2) & 1 };
		uint8_t src[16];
		struct ws_net_pkt p;
		uint64_t ctr = ws_test_rand(&rs);
		uint8_t *ip = f + 14, *udp = f + hdrs - 8;
		int len;

		for (unsigned b = 0; b < 16; b++)
			src[b] = (uint8_t)ws_test_rand(&rs);
		if (v6) {
			ws_endpoint_v6(&o.src, src, (uint16_t)(r >> 32));
			ws_endpoint_v6(&o.dst, TUN6, 51820);
		} else {
			ws_endpoint_v4(&o.src, src, (uint16_t)(r >> 32));
			ws_endpoint_v4(&o.dst, TUN4, 51820);
		}
		for (uint32_t b = 0; b < plen; b++)
			f[hdrs + b] = (uint8_t)ws_test_rand(&rs);
		memset(f + hdrs, 0, 4);
		f[hdrs] = WS_MSG_DATA;
		memcpy(f + hdrs + 8, &ctr, 8);
		len = ws_net_build_udp(f, sizeof(f), &o, plen);
		CU_ASSERT_EQUAL_FATAL(len, (int)(hdrs + plen));
		CU_ASSERT_EQUAL_FATAL(cls(&tun, f, (size_t)len, SW, &p), WS_NET_DROP_NONE);
		CU_ASSERT(ws_endpoint_equal(&p.src, &o.src));
		CU_ASSERT(ws_endpoint_equal(&p.dst, &o.dst));
		CU_ASSERT_EQUAL(p.counter, rte_le_to_cpu_64(ctr));
		CU_ASSERT_EQUAL(p.payload_off, hdrs);
		CU_ASSERT_EQUAL(p.payload_len, plen);
		if (v6) {
			CU_ASSERT_EQUAL(ip[1] >> 4 | (ip[0] & 0xf) << 4, o.tos);
			CU_ASSERT_EQUAL(ip[7], 64);
			CU_ASSERT(ref_l4_ok(ip + 8, ip + 24, 16, IPPROTO_UDP, udp, 8 + plen));
		} else {
			CU_ASSERT(ref_ip4_ok(ip));
			CU_ASSERT_EQUAL(ip[1], o.tos);
			CU_ASSERT_EQUAL(ip[8], 64);
			CU_ASSERT_EQUAL(ip[6] & 0x40, 0);               /* DF off */
			CU_ASSERT_EQUAL((uint16_t)(ip[4] << 8 | ip[5]), o.ip_id);
			CU_ASSERT(o.udp4_cksum ?
				  ref_l4_ok(ip + 12, ip + 16, 4, IPPROTO_UDP, udp, 8 + plen) :
				  (udp[6] == 0 && udp[7] == 0));
		}
		if (v6 || o.udp4_cksum)
			check_udp_offload(f, (uint32_t)len, &o, plen);
	}
}

static void test_arp_roundtrip(void)
{
	uint8_t f[64];
	struct ws_net_pkt p;
	int len;

	/* We ask for the LAN host; the host sees a request for itself. */
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &CLR_MAC, CLR4, NULL, HOST4);
	CU_ASSERT_EQUAL_FATAL(cls(&host, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.nbr.op, RTE_ARP_OP_REQUEST);
	CU_ASSERT(p.nbr.flags & WS_NET_NBR_F_FOR_US);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &CLR_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.addr, CLR4, 4), 0);
	/* Its reply to us. */
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REPLY, &HOST_MAC, HOST4, &CLR_MAC, CLR4);
	CU_ASSERT_EQUAL(len, WS_NET_ARP_LEN);
	CU_ASSERT_EQUAL(memcmp(f, CLR_MAC.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ARP);
	CU_ASSERT_EQUAL(p.nbr.op, RTE_ARP_OP_REPLY);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &HOST_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.addr, HOST4, 4), 0);
	/* Gratuitous ARP: not for us but announced, so control sees it. */
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL, HOST4);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.nbr.flags & WS_NET_NBR_F_FOR_US, 0);
	/* Requests for others, and malformed ones. */
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL,
			       (uint8_t[]){ 10, 1, 0, 7 });
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NOT_LOCAL);
	len = ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL, CLR4);
	f[21] = 3;
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ARP_INVALID);
	f[21] = 1;
	f[18] = 8;
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ARP_INVALID);
	f[18] = 6;
	f[22] = 0x01;                   /* multicast sender */
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ARP_INVALID);
}

static void test_nd_roundtrip(void)
{
	static const uint8_t group[16] = { 0xff, 2, [11] = 1, 0xff, 0, 0, 0xfe };
	static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };
	uint8_t f[128], sn[16];
	struct rte_ether_addr m;
	struct ws_net_pkt p;
	int len;

	ws_net_solicited_node(HOST6, sn);
	CU_ASSERT_EQUAL(memcmp(sn, group, 16), 0);
	ws_net_ipv6_mcast_mac(sn, &m);
	CU_ASSERT(rte_is_same_ether_addr(&m, &(struct rte_ether_addr){{ 0x33, 0x33, 0xff, 0, 0, 0xfe }}));

	/* We solicit the host: multicast, checksum right, the host accepts it. */
	len = ws_net_build_ns(f, sizeof(f), &CLR_MAC, CLR6, HOST6, NULL);
	CU_ASSERT_EQUAL_FATAL(len, WS_NET_ND_LEN);
	CU_ASSERT_EQUAL(memcmp(f, m.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 38, group, 16), 0);
	CU_ASSERT_EQUAL(f[21], 255);
	CU_ASSERT(ref_l4_ok(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32));
	CU_ASSERT_EQUAL_FATAL(cls(&host, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.nbr.op, ND_NEIGHBOR_SOLICIT);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &CLR_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.target, HOST6, 16), 0);
	/* Unicast NS (re-confirmation). */
	len = ws_net_build_ns(f, sizeof(f), &CLR_MAC, CLR6, HOST6, &HOST_MAC);
	CU_ASSERT_EQUAL(memcmp(f + 38, HOST6, 16), 0);
	CU_ASSERT_EQUAL(cls(&host, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	/* Another group's NS is link-scoped; an NS to us for another target is not ours. */
	len = ws_net_build_ns(f, sizeof(f), &CLR_MAC, CLR6, HOST6, NULL);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_LINK_SCOPE);
	uint8_t ns[32] = { ND_NEIGHBOR_SOLICIT };
	memcpy(ns + 8, HOST6, 16);
	ns[24] = ND_OPT_SOURCE_LINKADDR;
	ns[25] = 1;
	memcpy(ns + 26, PEER_MAC.addr_bytes, 6);
	size_t nl = mk_ip6(f, &CLR_MAC, PEER6, CLR6, 255, IPPROTO_ICMPV6, NULL, 0, IPPROTO_ICMPV6,
			   ns, sizeof(ns), 2);
	CU_ASSERT_EQUAL(cls(&clr, f, nl, 0, &p), WS_NET_DROP_NOT_LOCAL);
	memcpy(f + 62, CLR6, 16);       /* now for our address */
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32, 2);
	CU_ASSERT_EQUAL(cls(&clr, f, nl, 0, &p), WS_NET_DROP_NONE);
	static const uint8_t mcast_src[16] = { 0xff, 2, [15] = 1 };
	nl = mk_ip6(f, &CLR_MAC, mcast_src, CLR6, 255, IPPROTO_ICMPV6, NULL, 0, IPPROTO_ICMPV6,
		    ns, sizeof(ns), 2);
	CU_ASSERT_EQUAL(cls(&clr, f, nl, 0, &p), WS_NET_DROP_ND_INVALID);

	/* The host's solicited answer. */
	len = ws_net_build_na(f, sizeof(f), &HOST_MAC, HOST6, &CLR_MAC, CLR6,
			      WS_NET_NBR_F_SOLICITED | WS_NET_NBR_F_OVERRIDE);
	CU_ASSERT(ref_l4_ok(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32));
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ND);
	CU_ASSERT_EQUAL(p.nbr.op, ND_NEIGHBOR_ADVERT);
	CU_ASSERT_EQUAL(p.nbr.flags, WS_NET_NBR_F_LLADDR | WS_NET_NBR_F_SOLICITED |
				     WS_NET_NBR_F_OVERRIDE);
	CU_ASSERT(rte_is_same_ether_addr(&p.nbr.lladdr, &HOST_MAC));
	CU_ASSERT_EQUAL(memcmp(p.nbr.addr, HOST6, 16), 0);
	/* Unsolicited to all-nodes, with R. */
	len = ws_net_build_na(f, sizeof(f), &HOST_MAC, HOST6, NULL, NULL,
			      WS_NET_NBR_F_ROUTER | WS_NET_NBR_F_OVERRIDE);
	CU_ASSERT_EQUAL(memcmp(f + 38, all_nodes, 16), 0);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.nbr.flags, WS_NET_NBR_F_LLADDR | WS_NET_NBR_F_ROUTER |
				     WS_NET_NBR_F_OVERRIDE);
	CU_ASSERT_EQUAL(ws_net_build_na(f, sizeof(f), &HOST_MAC, HOST6, NULL, NULL,
					WS_NET_NBR_F_SOLICITED), -EINVAL);
	/* S on a multicast NA, forced by hand. */
	f[58] |= 0x40;
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32, 2);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ND_INVALID);

	/* RFC 4861 validity: hop limit, code, option length, checksum. */
	len = ws_net_build_na(f, sizeof(f), &HOST_MAC, HOST6, &CLR_MAC, CLR6, 0);
	f[21] = 254;
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ND_INVALID);
	f[21] = 255;
	f[55] = 1;
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32, 2);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ND_INVALID);
	f[55] = 0;
	f[79] = 0;
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32, 2);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ND_INVALID);
	f[79] = 1;
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_ICMP_INVALID);
	ref_l4_fix(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 32, 2);
	CU_ASSERT_EQUAL(cls(&clr, f, (size_t)len, 0, &p), WS_NET_DROP_NONE);
	/* Truncations of a valid NA. */
	for (int l = 0; l < len; l++)
		CU_ASSERT_NOT_EQUAL(cls(&clr, f, (size_t)l, 0, &p), WS_NET_DROP_NONE);
}

static void test_echo(void)
{
	uint8_t g[128], f[128], e[16];
	struct ws_net_pkt p, q;
	size_t n = unhex(g, sizeof(g), G_ECHO4);
	int len;

	memcpy(f, g, n);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	len = ws_net_echo_reply(f, (uint32_t)n, &p, &TUN_MAC);
	CU_ASSERT_EQUAL_FATAL(len, (int)n);
	CU_ASSERT_EQUAL(memcmp(f, PEER_MAC.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, TUN_MAC.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 26, TUN4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(f + 30, PEER4, 4), 0);
	CU_ASSERT(ref_ip4_ok(f + 14));
	CU_ASSERT_EQUAL(f[34], 0);
	CU_ASSERT_EQUAL(ref_fold(ref_sum(0, f + 34, 16)), 0xffff);
	CU_ASSERT_EQUAL(memcmp(f + 36 + 2, g + 36 + 2, 12), 0);       /* id, seq, data */
	/* The reply is not a request: the peer's side drops it as a type. */
	struct ws_net_port peer = tun;
	memcpy(peer.v4[0], PEER4, 4);
	peer.mac = PEER_MAC;
	CU_ASSERT_EQUAL(cls(&peer, f, (size_t)len, SW, &q), WS_NET_DROP_ICMP_TYPE);
	/* Bad ICMP checksum, other types. */
	memcpy(f, g, n);
	f[49] ^= 1;
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &q), WS_NET_DROP_ICMP_INVALID);
	memcpy(f, g, n);
	f[34] = 13;
	f[36] -= 5;                     /* keep the sum: type 8 -> 13 */
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &q), WS_NET_DROP_ICMP_TYPE);

	/* ICMPv6 echo behind a destination-options header: reply drops it. */
	uint8_t icmp[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 9, 'p', 'i', 'n', 'g' };
	uint8_t ext[8] = { IPPROTO_ICMPV6, 0, 1, 4 };
	n = mk_ip6(f, &TUN_MAC, PEER6, TUN6, 60, IPPROTO_DSTOPTS, ext, 8, IPPROTO_ICMPV6, icmp,
		   sizeof(icmp), 2);
	memcpy(e, f + 62, 16);
	CU_ASSERT_EQUAL_FATAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_ECHO);
	CU_ASSERT_EQUAL(p.payload_off, 62);
	len = ws_net_echo_reply(f, (uint32_t)n, &p, &TUN_MAC);
	CU_ASSERT_EQUAL_FATAL(len, 14 + 40 + 16);
	CU_ASSERT_EQUAL(f[20], IPPROTO_ICMPV6);
	CU_ASSERT_EQUAL(f[19], 16);
	CU_ASSERT_EQUAL(f[21], 64);
	CU_ASSERT_EQUAL(memcmp(f + 22, TUN6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(f + 38, PEER6, 16), 0);
	CU_ASSERT_EQUAL(f[54], ICMP6_ECHO_REPLY);
	CU_ASSERT_EQUAL(memcmp(f + 58, e + 4, 12), 0);
	CU_ASSERT(ref_l4_ok(f + 22, f + 38, 16, IPPROTO_ICMPV6, f + 54, 16));
	/* Echo to all-nodes is not ours to answer. */
	static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };
	n = mk_ip6(f, &TUN_MAC, PEER6, all_nodes, 60, IPPROTO_ICMPV6, NULL, 0, IPPROTO_ICMPV6,
		   icmp, sizeof(icmp), 2);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NOT_LOCAL);
	CU_ASSERT_EQUAL(ws_net_echo_reply(f, (uint32_t)n, &p, &TUN_MAC), -EINVAL);
}

static void test_clear_side(void)
{
	static const uint8_t ff02fb[16] = { 0xff, 2, [15] = 0xfb };
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 };
	static const uint8_t far6[16] = { 0xfd, 0, 0, 2, [15] = 5 };
	uint8_t g[128], f[128], tcp[20] = { 0x30, 0x39, 0, 80 };
	struct ws_net_pkt p;
	size_t n = unhex(g, sizeof(g), G_TCP4);

	memcpy(f, g, n);
	memset(f + 30, 0xff, 4);
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_LINK_SCOPE);
	memcpy(f, g, n);
	memcpy(f + 30, (uint8_t[]){ 224, 0, 0, 251 }, 4);
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_LINK_SCOPE);
	/* To us but neither ICMP echo nor ND. */
	memcpy(f, g, n);
	memcpy(f + 30, CLR4, 4);
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_L4_PROTO);
	/* Fragments pass through to the tunnel. */
	memcpy(f, g, n);
	f[20] = 0x20;
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_NONE);

	n = mk_ip6(f, &CLR_MAC, HOST6, far6, 64, IPPROTO_TCP, NULL, 0, IPPROTO_TCP, tcp, 20, 16);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(p.kind, WS_NET_KIND_FORWARD);
	CU_ASSERT_EQUAL(p.l3_len, 60);
	CU_ASSERT_EQUAL(memcmp(p.dst.addr, far6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(p.src.addr, HOST6, 16), 0);
	n = mk_ip6(f, &CLR_MAC, HOST6, ff02fb, 64, IPPROTO_UDP, NULL, 0, IPPROTO_UDP, tcp, 20, 6);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_LINK_SCOPE);
	n = mk_ip6(f, &CLR_MAC, HOST6, ll, 64, IPPROTO_TCP, NULL, 0, IPPROTO_TCP, tcp, 20, 16);
	CU_ASSERT_EQUAL(cls(&clr, f, n, SW, &p), WS_NET_DROP_LINK_SCOPE);
	/* The tunnel port forwards nothing. */
	n = mk_ip6(f, &TUN_MAC, HOST6, far6, 64, IPPROTO_TCP, NULL, 0, IPPROTO_TCP, tcp, 20, 16);
	CU_ASSERT_EQUAL(cls(&tun, f, n, SW, &p), WS_NET_DROP_NOT_LOCAL);
}

static void test_inner_parse(void)
{
	uint8_t g[256], b[160];
	struct ws_net_inner in;
	size_t n = unhex(g, sizeof(g), G_TCP4);

	/* Decrypted payloads are padded to 16: the IP header has the length. */
	memset(b, 0, sizeof(b));
	memcpy(b, g + 14, 40);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 48, &in), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(in.family, WS_AF_INET);
	CU_ASSERT_EQUAL(in.len, 40);
	CU_ASSERT_EQUAL(in.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(memcmp(in.src.addr, (uint8_t[]){ 10, 1, 0, 50 }, 4), 0);
	CU_ASSERT_EQUAL(memcmp(in.dst.addr, (uint8_t[]){ 10, 2, 0, 5 }, 4), 0);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 39, &in), WS_NET_DROP_IPV4_LENGTH);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 19, &in), WS_NET_DROP_TRUNCATED);
	b[0] = 0x44;
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 48, &in), WS_NET_DROP_IPV4_IHL);
	b[0] = 0x55;
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 48, &in), WS_NET_DROP_IP_VERSION);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 0, &in), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(in.family, WS_AF_NONE);
	CU_ASSERT_EQUAL(in.len, 0);

	n = unhex(g, sizeof(g), G_INIT6);
	memset(b, 0, sizeof(b));
	memcpy(b, g + 14, 40);
	b[4] = 0;
	b[5] = 100;
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 140, &in), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(in.family, WS_AF_INET6);
	CU_ASSERT_EQUAL(in.len, 140);
	CU_ASSERT_EQUAL(memcmp(in.src.addr, PEER6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(in.dst.addr, TUN6, 16), 0);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 139, &in), WS_NET_DROP_IPV6_LENGTH);
	CU_ASSERT_EQUAL(ws_net_inner_parse(b, 39, &in), WS_NET_DROP_TRUNCATED);
	(void)n;
}

static void test_too_big(void)
{
	static uint8_t f[1600], o[1600];
	uint8_t g[128];
	struct ws_net_pkt p;
	size_t n = unhex(g, sizeof(g), G_TCP4);
	int len;

	/* A 1500-byte DF packet from the LAN host. */
	memcpy(f, g, 54);
	f[16] = 1500 >> 8;
	f[17] = 1500 & 0xff;
	for (int i = 54; i < 1514; i++)
		f[i] = (uint8_t)i;
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, 1514, SW, &p), WS_NET_DROP_NONE);
	len = ws_net_build_too_big(o, sizeof(o), f, &p, CLR4, 1420);
	CU_ASSERT_EQUAL_FATAL(len, 14 + 576);
	CU_ASSERT_EQUAL(memcmp(o, HOST_MAC.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(memcmp(o + 6, CLR_MAC.addr_bytes, 6), 0);
	CU_ASSERT(ref_ip4_ok(o + 14));
	CU_ASSERT_EQUAL(o[23], IPPROTO_ICMP);
	CU_ASSERT_EQUAL(memcmp(o + 26, CLR4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(o + 30, (uint8_t[]){ 10, 1, 0, 50 }, 4), 0);
	CU_ASSERT(o[34] == 3 && o[35] == 4);
	CU_ASSERT(o[40] == 1420 >> 8 && o[41] == (1420 & 0xff));
	CU_ASSERT_EQUAL(ref_fold(ref_sum(0, o + 34, 556)), 0xffff);
	CU_ASSERT_EQUAL(memcmp(o + 42, f + 14, 548), 0);
	CU_ASSERT_EQUAL(ws_net_build_too_big(o, 100, f, &p, CLR4, 1420), -ENOSPC);
	/* Not about non-first fragments. */
	f[21] = 1;
	ref_ip4_fix(f + 14);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, 1514, SW, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(ws_net_build_too_big(o, sizeof(o), f, &p, CLR4, 1420), -EINVAL);

	/* IPv6: 1280-byte cap, 32-bit MTU. */
	static const uint8_t far6[16] = { 0xfd, 0, 0, 2, [15] = 5 };
	static uint8_t tcp[1400];
	tcp[0] = 1;
	size_t n6 = mk_ip6(f, &CLR_MAC, HOST6, far6, 64, IPPROTO_TCP, NULL, 0, IPPROTO_TCP, tcp,
			   sizeof(tcp), 16);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, n6, SW, &p), WS_NET_DROP_NONE);
	len = ws_net_build_too_big(o, sizeof(o), f, &p, CLR6, 1420);
	CU_ASSERT_EQUAL_FATAL(len, 14 + 1280);
	CU_ASSERT_EQUAL(o[20], IPPROTO_ICMPV6);
	CU_ASSERT_EQUAL(memcmp(o + 38, HOST6, 16), 0);
	CU_ASSERT(o[54] == ICMP6_PACKET_TOO_BIG && o[55] == 0);
	CU_ASSERT(o[58] == 0 && o[59] == 0 && o[60] == 1420 >> 8 && o[61] == (1420 & 0xff));
	CU_ASSERT(ref_l4_ok(o + 22, o + 38, 16, IPPROTO_ICMPV6, o + 54, 1240));
	CU_ASSERT_EQUAL(memcmp(o + 62, f + 14, 1232), 0);
	CU_ASSERT_EQUAL(ws_net_build_too_big(o, sizeof(o), f, &p, CLR6, 1200), -EINVAL);
	(void)n;
}

/* Random corruption of every golden: no crash, no over-read (ASan). */
static void test_random_corruption(void)
{
	const char *goldens[] = { G_WG4, G_INIT6, G_ARP, G_NS, G_ECHO4, G_TCP4 };
	uint64_t rs = ws_test_seed("random_corruption");
	uint8_t g[256], f[256];
	struct ws_net_pkt p;
	struct ws_net_inner in;

	for (int i = 0; i < 30000; i++) {
		size_t n = unhex(g, sizeof(g), goldens[ws_test_rand(&rs) % RTE_DIM(goldens)]);
		unsigned flips = 1 + (unsigned)(ws_test_rand(&rs) % 4);
		size_t len = n - (size_t)(ws_test_rand(&rs) % 3 == 0 ? ws_test_rand(&rs) % n : 0);

		memcpy(f, g, n);
		for (unsigned k = 0; k < flips; k++)
			f[ws_test_rand(&rs) % n] ^= (uint8_t)(1u << (ws_test_rand(&rs) % 8));
		cls(i & 1 ? &tun : &clr, f, len, (uint32_t)i & SW, &p);
		CU_ASSERT(p.drop < WS_NET_DROP_MAX);
		if (p.kind != WS_NET_KIND_NONE) {
			CU_ASSERT(p.l3_off + p.l3_len <= len);
			CU_ASSERT(p.payload_off + p.payload_len <= len);
		}
		if (len > 14 && ws_net_inner_parse(f + 14, (uint32_t)len - 14, &in) == WS_NET_DROP_NONE)
			CU_ASSERT(in.len <= len - 14);
	}
}

/* Neighbor cache. */

#define SEC WS_NSEC_PER_SEC

static struct ws_neigh *mk_neigh(const char *name, uint32_t cap, struct rte_rcu_qsbr *qsv)
{
	struct ws_neigh_params prm = { .name = name, .capacity = cap, .socket_id = SOCKET_ID_ANY,
				       .qsv = qsv };
	struct ws_neigh *n = ws_neigh_create(&prm);

	CU_ASSERT_PTR_NOT_NULL(n);
	return n;
}

static void test_neigh_learn_static(void)
{
	struct ws_neigh *n = mk_neigh("t_learn", 16, NULL);
	struct rte_ether_addr m, other = {{ 2, 0, 0, 0, 0, 0x55 }};
	uint8_t f[128];
	struct ws_net_pkt p;

	if (n == NULL)
		return;
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_NONE);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, false, 0), -ENOENT);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, true, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_NONE);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, HOST4, &(struct rte_ether_addr){{ 1 }},
				       true, 0), -EINVAL);

	/* Static entries win over anything learned. */
	CU_ASSERT_EQUAL(ws_neigh_set_static(n, WS_AF_INET6, HOST6, &other), 0);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET6, HOST6, &HOST_MAC, true, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_STATIC);
	CU_ASSERT(rte_is_same_ether_addr(&m, &other));
	ws_net_build_na(f, sizeof(f), &HOST_MAC, HOST6, &CLR_MAC, CLR6,
			WS_NET_NBR_F_SOLICITED | WS_NET_NBR_F_OVERRIDE);
	CU_ASSERT_EQUAL_FATAL(cls(&clr, f, WS_NET_ND_LEN, 0, &p), WS_NET_DROP_NONE);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_STATIC);
	CU_ASSERT(rte_is_same_ether_addr(&m, &other));
	CU_ASSERT_EQUAL(ws_neigh_poll(n, 1000 * SEC, NULL, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_STATIC);
	/* Config may re-pin a learned entry. */
	CU_ASSERT_EQUAL(ws_neigh_set_static(n, WS_AF_INET, HOST4, &other), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_STATIC);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 2);
	CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, HOST4), 0);
	CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, HOST4), -ENOENT);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 1);
	ws_neigh_free(n);
}

static void test_neigh_learn_pkt(void)
{
	struct ws_neigh *n = mk_neigh("t_pkt", 16, NULL);
	struct rte_ether_addr m, other = {{ 2, 0, 0, 0, 0, 0x55 }};
	uint8_t f[128];
	struct ws_net_pkt p;

	if (n == NULL)
		return;
	/* ARP reply from a stranger: not created. */
	ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REPLY, &HOST_MAC, HOST4, &CLR_MAC, CLR4);
	cls(&clr, f, WS_NET_ARP_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 0);
	/* ARP request for us: the sender is created. */
	ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &HOST_MAC, HOST4, NULL, CLR4);
	cls(&clr, f, WS_NET_ARP_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	/* Gratuitous ARP with a new MAC updates it. */
	ws_net_build_arp(f, sizeof(f), RTE_ARP_OP_REQUEST, &other, HOST4, NULL, HOST4);
	cls(&clr, f, WS_NET_ARP_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	ws_neigh_lookup(n, WS_AF_INET, HOST4, &m);
	CU_ASSERT(rte_is_same_ether_addr(&m, &other));

	/* NS for us creates; NA without override keeps the MAC; with it, updates. */
	ws_net_build_ns(f, sizeof(f), &HOST_MAC, HOST6, CLR6, NULL);
	cls(&clr, f, WS_NET_ND_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	ws_net_build_na(f, sizeof(f), &other, HOST6, NULL, NULL, 0);
	cls(&clr, f, WS_NET_ND_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	ws_net_build_na(f, sizeof(f), &other, HOST6, NULL, NULL, WS_NET_NBR_F_OVERRIDE);
	cls(&clr, f, WS_NET_ND_LEN, 0, &p);
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), 0);
	ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m);
	CU_ASSERT(rte_is_same_ether_addr(&m, &other));
	/* Non-neighbor packets are refused. */
	p.kind = WS_NET_KIND_FORWARD;
	CU_ASSERT_EQUAL(ws_neigh_learn_pkt(n, &p, 0), -EINVAL);
	ws_neigh_free(n);
}

static void test_neigh_probe_schedule(void)
{
	struct ws_neigh *n = mk_neigh("t_probe", 16, NULL);
	struct ws_neigh_probe pr, out[4];
	struct rte_ether_addr m;
	uint64_t t = 100 * SEC;

	if (n == NULL)
		return;
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, HOST4, t, &pr), WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(pr.family, WS_AF_INET);
	CU_ASSERT_EQUAL(pr.unicast, 0);
	CU_ASSERT_EQUAL(memcmp(pr.addr, HOST4, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_INCOMPLETE);
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, HOST4, t + SEC / 2, &pr), WS_NEIGH_WAIT);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + SEC / 2, out, 4), 0);
	/* Second and third probes one second apart, from poll or resolve. */
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + SEC, out, 4), 1);
	CU_ASSERT_EQUAL(memcmp(out[0].addr, HOST4, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, HOST4, t + 2 * SEC, &pr),
			WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 2 * SEC + 1, out, 4), 0);
	/* No answer to three: FAILED, refused for the hold time, then gone. */
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 3 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_FAILED);
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, HOST4, t + 4 * SEC, &pr),
			WS_NEIGH_UNREACHABLE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 12 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_FAILED);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 13 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_NONE);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 0);

	/* Resolution answered mid-way. */
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET6, HOST6, t, &pr), WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(pr.family, WS_AF_INET6);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET6, HOST6, &HOST_MAC, false, t + 1), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET6, HOST6, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET6, HOST6, t + 2, &pr), WS_NEIGH_READY);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 5 * SEC, out, 4), 0);

	/* A failed entry restarts resolution once its hold is over. */
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, CLR4, t, &pr), WS_NEIGH_SEND_PROBE);
	ws_neigh_poll(n, t + SEC, out, 4);
	ws_neigh_poll(n, t + 2 * SEC, out, 4);
	ws_neigh_poll(n, t + 3 * SEC, out, 4);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, CLR4, &m), WS_NEIGH_FAILED);
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, CLR4, t + 13 * SEC, &pr),
			WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, CLR4, &m), WS_NEIGH_INCOMPLETE);
	/* Probes that do not fit in the output stay due. */
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, PEER4, t + 13 * SEC, &pr),
			WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 14 * SEC, out, 1), 1);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 14 * SEC, out, 1), 1);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 14 * SEC, out, 1), 0);
	ws_neigh_free(n);
}

/*
 * The poll walks the table only once an entry is due: every way an entry
 * gets a deadline earlier than the rest (a new resolution, a learned
 * neighbour, a failed one's hold, a probe that did not fit) brings the
 * walk forward to it, and static entries never bring it.
 */
static void test_neigh_poll_due(void)
{
	struct ws_neigh *n = mk_neigh("t_due", 16, NULL);
	struct ws_neigh_probe pr, out[4];
	struct rte_ether_addr m;
	uint64_t t = 100 * SEC;

	if (n == NULL)
		return;
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), UINT64_MAX);
	CU_ASSERT_EQUAL(ws_neigh_set_static(n, WS_AF_INET, CLR4, &HOST_MAC), 0);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), UINT64_MAX);

	/* A learned neighbour: due when its reachable time ends (30 s). */
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, true, t), 0);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 30 * SEC);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 30 * SEC);

	/* A resolution started later but due sooner brings the walk forward. */
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, PEER4, t + 2 * SEC, &pr),
			WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 3 * SEC);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 3 * SEC - 1, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 3 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(memcmp(out[0].addr, PEER4, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 4 * SEC);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 4 * SEC, out, 4), 1);
	/* Third probe unanswered: FAILED, held 10 s, then removed. */
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 5 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, PEER4, &m), WS_NEIGH_FAILED);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 15 * SEC);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 15 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, PEER4, &m), WS_NEIGH_NONE);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 30 * SEC);

	/* The learned one, used since: probed at 30 s. */
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 30 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(out[0].unicast, 1);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 31 * SEC);

	/* Probes that did not fit keep the walk due. */
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET6, HOST6, t + 30 * SEC, &pr),
			WS_NEIGH_SEND_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 31 * SEC, out, 1), 1);
	CU_ASSERT(ws_neigh_next_due(n) <= t + 31 * SEC);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 31 * SEC, out, 1), 1);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), t + 32 * SEC);

	/* Nothing left but the static entry: no walk ever again. */
	CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, HOST4), 0);
	CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET6, HOST6), 0);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 32 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_next_due(n), UINT64_MAX);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 1);
	ws_neigh_free(n);
}

static void test_neigh_expiry(void)
{
	struct ws_neigh *n = mk_neigh("t_expiry", 16, NULL);
	struct ws_neigh_probe out[4];
	struct rte_ether_addr m;
	uint64_t t = 5 * SEC;

	if (n == NULL)
		return;
	ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, true, t);
	ws_neigh_learn(n, WS_AF_INET, PEER4, &PEER_MAC, true, t);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 29 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 2);
	/* Used since its confirmation: re-probed by unicast, MAC kept meanwhile. */
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 30 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 1);                  /* PEER4 unused: gone */
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, PEER4, &m), WS_NEIGH_NONE);
	CU_ASSERT_EQUAL(out[0].unicast, 1);
	CU_ASSERT(rte_is_same_ether_addr(&out[0].mac, &HOST_MAC));
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_PROBE);
	CU_ASSERT(rte_is_same_ether_addr(&m, &HOST_MAC));
	/* Answered: reachable again for a full period. */
	ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, false, t + 30 * SEC + 1);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 59 * SEC, out, 4), 0);
	/* Used again, expires, and this time nobody answers. */
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_REACHABLE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 61 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 62 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 63 * SEC, out, 4), 1);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_PROBE);
	CU_ASSERT_EQUAL(ws_neigh_poll(n, t + 64 * SEC, out, 4), 0);
	CU_ASSERT_EQUAL(ws_neigh_lookup(n, WS_AF_INET, HOST4, &m), WS_NEIGH_FAILED);
	ws_neigh_free(n);
}

static void test_neigh_capacity(void)
{
	struct ws_neigh *n = mk_neigh("t_cap", 8, NULL);
	struct ws_neigh_probe pr;
	struct rte_ether_addr m = HOST_MAC;
	uint8_t a[4] = { 10, 9, 0, 0 };

	if (n == NULL)
		return;
	for (uint8_t i = 0; i < 8; i++) {
		a[3] = i;
		m.addr_bytes[5] = (uint8_t)(i + 1);
		CU_ASSERT_EQUAL(i & 1 ? ws_neigh_learn(n, WS_AF_INET, a, &m, true, 0) :
					ws_neigh_set_static(n, WS_AF_INET, a, &m), 0);
	}
	CU_ASSERT_EQUAL(ws_neigh_count(n), 8);
	a[3] = 100;
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, a, &m, true, 0), -ENOSPC);
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, a, 0, &pr), -ENOSPC);
	CU_ASSERT_EQUAL(ws_neigh_set_static(n, WS_AF_INET, a, &m), -ENOSPC);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 8);
	/* Updating an existing one still works when full. */
	a[3] = 1;
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, a, &HOST_MAC, true, 0), 0);
	CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, a), 0);
	a[3] = 100;
	CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, a, 0, &pr), WS_NEIGH_SEND_PROBE);
	/* Churn: removals free their slots for good. */
	for (int round = 0; round < 200; round++) {
		a[3] = (uint8_t)(200 + round % 50);
		CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, (uint8_t[]){ 10, 9, 0, 100 }), 0);
		CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, a, &m, true, 0), 0);
		CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, a), 0);
		CU_ASSERT_EQUAL(ws_neigh_resolve(n, WS_AF_INET, (uint8_t[]){ 10, 9, 0, 100 }, 0, &pr),
				WS_NEIGH_SEND_PROBE);
	}
	CU_ASSERT_EQUAL(ws_neigh_count(n), 8);
	CU_ASSERT_PTR_NULL(ws_neigh_create(&(struct ws_neigh_params){ .name = "t_bad" }));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	ws_neigh_free(n);
}

/*
 * One writer churning entries, one lock-free reader: every MAC the reader
 * gets must be the one of the address it asked for, never a recycled
 * slot's. The QSBR variable lets freed positions wait out the reader.
 */
struct race {
	struct ws_neigh *n;
	struct rte_rcu_qsbr *qsv;
	atomic_bool stop;
	atomic_bool started;
	atomic_ulong lookups;
	atomic_ulong hits;
	atomic_ulong bad;
};

static void addr_of(unsigned i, uint8_t a[4], struct rte_ether_addr *m)
{
	a[0] = 10;
	a[1] = 77;
	a[2] = (uint8_t)(i >> 8);
	a[3] = (uint8_t)i;
	*m = (struct rte_ether_addr){{ 2, 0x77, 0, 0, (uint8_t)(i >> 8), (uint8_t)i }};
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	unsigned i = 0;

	rte_rcu_qsbr_thread_register(r->qsv, 0);
	rte_rcu_qsbr_thread_online(r->qsv, 0);
	atomic_store(&r->started, true);
	while (!atomic_load(&r->stop)) {
		struct rte_ether_addr want, got;
		uint8_t a[4];

		addr_of(i++ % 64, a, &want);
		atomic_fetch_add(&r->lookups, 1);
		if (ws_neigh_usable(ws_neigh_lookup(r->n, WS_AF_INET, a, &got))) {
			atomic_fetch_add(&r->hits, 1);
			if (!rte_is_same_ether_addr(&want, &got))
				atomic_fetch_add(&r->bad, 1);
		}
		rte_rcu_qsbr_quiescent(r->qsv, 0);
	}
	rte_rcu_qsbr_thread_offline(r->qsv, 0);
	rte_rcu_qsbr_thread_unregister(r->qsv, 0);
	return NULL;
}

static void test_neigh_concurrent(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct race r = { .qsv = rte_zmalloc("t_qsv", sz, RTE_CACHE_LINE_SIZE) };
	uint64_t rs = ws_test_seed("neigh_concurrent");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	time_t deadline = time(NULL) + 10;
	pthread_attr_t attr;
	cpu_set_t cpus;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r.qsv);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(r.qsv, 1), 0);
	r.n = mk_neigh("t_race", 48, r.qsv);
	if (r.n == NULL)
		goto out;
	/* Not on the EAL main lcore's CPU only, which the thread would inherit. */
	CPU_ZERO(&cpus);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, &attr, race_reader, &r), 0);
	pthread_attr_destroy(&attr);
	while (!atomic_load(&r.started))
		sched_yield();

	/* Churn until both sides did plenty of work, whatever the scheduler does. */
	for (int i = 0; i < 200000 || (atomic_load(&r.lookups) < 200000 && time(NULL) < deadline);
	     i++) {
		struct rte_ether_addr m;
		uint8_t a[4];
		int ret;

		addr_of((unsigned)(ws_test_rand(&rs) % 64), a, &m);
		if (ws_test_rand(&rs) % 4 != 0) {
			/* -ENOSPC while freed slots wait for the reader. */
			ret = ws_neigh_learn(r.n, WS_AF_INET, a, &m, true, 0);
			CU_ASSERT(ret == 0 || ret == -ENOSPC);
		} else {
			ws_neigh_delete(r.n, WS_AF_INET, a);
		}
	}
	/* With the reader running, every slot comes back: the cache fills up. */
	for (unsigned k = 0; k < 64; k++) {
		struct rte_ether_addr m;
		uint8_t a[4];

		addr_of(k, a, &m);
		ws_neigh_delete(r.n, WS_AF_INET, a);
	}
	CU_ASSERT_EQUAL(ws_neigh_count(r.n), 0);
	for (unsigned k = 0; k < 48; k++) {
		struct rte_ether_addr m;
		uint8_t a[4];
		int ret;

		addr_of(k, a, &m);
		while ((ret = ws_neigh_learn(r.n, WS_AF_INET, a, &m, true, 0)) == -ENOSPC &&
		       time(NULL) < deadline)
			usleep(1000);
		CU_ASSERT_EQUAL(ret, 0);
	}
	while (atomic_load(&r.hits) < 1000 && time(NULL) < deadline)
		usleep(1000);
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	printf("reader lookups %lu hits %lu ", (unsigned long)atomic_load(&r.lookups),
	       (unsigned long)atomic_load(&r.hits));
	CU_ASSERT(atomic_load(&r.hits) >= 1000);
	CU_ASSERT_EQUAL(atomic_load(&r.bad), 0);
	ws_neigh_free(r.n);
out:
	rte_free(r.qsv);
}

/* A deleted slot is not reused before the readers' grace period ends. */
static void test_neigh_grace(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("t_qsv2", sz, RTE_CACHE_LINE_SIZE);
	struct ws_neigh *n;
	int ok = 0, ret = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(qsv);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(qsv, 1), 0);
	n = mk_neigh("t_grace", 8, qsv);
	if (n == NULL)
		goto out;
	/* This thread plays a reader that never reports a quiescent state. */
	rte_rcu_qsbr_thread_register(qsv, 0);
	rte_rcu_qsbr_thread_online(qsv, 0);
	for (unsigned k = 0; k < 256; k++) {
		struct rte_ether_addr m;
		uint8_t a[4];

		addr_of(k, a, &m);
		ret = ws_neigh_learn(n, WS_AF_INET, a, &m, true, 0);
		if (ret != 0)
			break;
		ok++;
		CU_ASSERT_EQUAL(ws_neigh_delete(n, WS_AF_INET, a), 0);
	}
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	CU_ASSERT(ok >= 8 && ok < 256);
	CU_ASSERT_EQUAL(ws_neigh_count(n), 0);
	/* One quiescent state later the insert itself reclaims the slots. */
	rte_rcu_qsbr_quiescent(qsv, 0);
	CU_ASSERT_EQUAL(ws_neigh_learn(n, WS_AF_INET, HOST4, &HOST_MAC, true, 0), 0);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
	ws_neigh_free(n);
out:
	rte_free(qsv);
}

static int suite_init(void)
{
	ports_init();
	return ws_test_eal_init();
}

static int suite_cleanup(void)
{
	return ws_test_eal_cleanup();
}

static const struct ws_test tests[] = {
	WS_TEST(test_drop_names),
	WS_TEST(test_golden_parse),
	WS_TEST(test_truncations),
	WS_TEST(test_corrupt_ipv4),
	WS_TEST(test_corrupt_ipv6),
	WS_TEST(test_wg_sizes),
	WS_TEST(test_vlan),
	WS_TEST(test_ipv6_ext),
	WS_TEST(test_build_golden),
	WS_TEST(test_build_roundtrip),
	WS_TEST(test_arp_roundtrip),
	WS_TEST(test_nd_roundtrip),
	WS_TEST(test_echo),
	WS_TEST(test_clear_side),
	WS_TEST(test_inner_parse),
	WS_TEST(test_too_big),
	WS_TEST(test_random_corruption),
	WS_TEST(test_neigh_learn_static),
	WS_TEST(test_neigh_learn_pkt),
	WS_TEST(test_neigh_probe_schedule),
	WS_TEST(test_neigh_poll_due),
	WS_TEST(test_neigh_expiry),
	WS_TEST(test_neigh_capacity),
	WS_TEST(test_neigh_grace),
	WS_TEST(test_neigh_concurrent),
	{ 0 },
};

int main(void)
{
	return ws_test_run("net", tests, suite_init, suite_cleanup);
}
