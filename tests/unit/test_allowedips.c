/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Allowed IPs: the scripted cases of the Linux kernel's WireGuard
 * self-test (selftest/allowedips.c), then a randomized run against a
 * linear-scan oracle, the kernel's "horrible allowedips".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define WS_TEST_WITH_EAL
#include "test_common.h"

#include <rte_errno.h>
#include <rte_memory.h>

#include "allowedips.h"

/* Peers of the scripted cases; h is the largest id the table takes. */
enum { A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, G = 6 };
#define H WS_ALLOWEDIPS_MAX_PEER

static struct ws_allowedips *t;

struct v6 {
	uint8_t b[16];
};

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* Four big-endian 32-bit words, as the kernel's self-test writes them. */
static struct v6 ip6(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	const uint32_t w[4] = {a, b, c, d};
	struct v6 ip;

	for (int i = 0; i < 16; i++)
		ip.b[i] = (uint8_t)(w[i / 4] >> (24 - 8 * (i % 4)));
	return ip;
}

#define insert4(peer, w, x, y, z, cidr) \
	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(w, x, y, z), cidr, peer), 0)
#define insert6(peer, w, x, y, z, cidr) \
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, ip6(w, x, y, z).b, cidr, peer), 0)
#define remove4(peer, w, x, y, z, cidr) ws_allowedips_remove_v4(t, ip4(w, x, y, z), cidr, peer)
#define remove6(peer, w, x, y, z, cidr) ws_allowedips_remove_v6(t, ip6(w, x, y, z).b, cidr, peer)
#define test4(peer, w, x, y, z) CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(w, x, y, z)), peer)
#define test6(peer, w, x, y, z) CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, ip6(w, x, y, z).b), peer)
#define test4_negative(peer, w, x, y, z) \
	CU_ASSERT_NOT_EQUAL(ws_allowedips_lookup_v4(t, ip4(w, x, y, z)), peer)
#define test6_negative(peer, w, x, y, z) \
	CU_ASSERT_NOT_EQUAL(ws_allowedips_lookup_v6(t, ip6(w, x, y, z).b), peer)

static void fresh_table(uint32_t v4_rules, uint32_t v6_rules)
{
	ws_allowedips_free(t);
	t = ws_allowedips_create("aips", v4_rules, v6_rules, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
}

static void drop_table(void)
{
	ws_allowedips_free(t);
	t = NULL;
}

#define create_fails(name, v4, v6, err) do { \
		rte_errno = 0; \
		CU_ASSERT_PTR_NULL(ws_allowedips_create(name, v4, v6, SOCKET_ID_ANY)); \
		CU_ASSERT_EQUAL(rte_errno, err); \
	} while (0)

static void test_create(void)
{
	struct ws_allowedips *a = ws_allowedips_create("0123456789abcdef", 16, 16, SOCKET_ID_ANY);

	CU_ASSERT_PTR_NOT_NULL(a);
	create_fails("0123456789abcdef", 16, 16, EEXIST);
	create_fails("0123456789abcdefg", 16, 16, EINVAL);
	create_fails("x", 0, 16, EINVAL);
	create_fails("x", 16, 0, EINVAL);
	create_fails(NULL, 16, 16, EINVAL);
	ws_allowedips_free(a);
	ws_allowedips_free(NULL);
}

static void test_arguments(void)
{
	static const uint8_t any6[16] = {0x20, 0x01, 0x0d, 0xb8};

	fresh_table(16, 16);
	CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(10, 0, 0, 1)), WS_ALLOWEDIPS_NONE);
	CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, any6), WS_ALLOWEDIPS_NONE);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, 0, 0, 0), 33, A), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, any6, 129, A), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, 0, 0, 0), 8, WS_ALLOWEDIPS_NONE), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, any6, 32, WS_ALLOWEDIPS_NONE), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, 0, 0, 0), 8, H + 1), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, any6, 32, H + 1), -EINVAL);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 0);

	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, 0, 0, 0), 8, H), 0);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, any6, 32, H), 0);
	CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(10, 9, 8, 7)), H);
	CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, any6), H);
	CU_ASSERT_EQUAL(ws_allowedips_remove_v4(t, ip4(11, 0, 0, 0), 8, H), -ENOENT);
	CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, WS_ALLOWEDIPS_NONE), 0);
	CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, A), 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 1);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 1);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, 0), 0);
	/* Host bits of the prefix given to remove are ignored, as on insert. */
	CU_ASSERT_EQUAL(ws_allowedips_remove_v4(t, ip4(10, 1, 2, 3), 8, H), 0);
	CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(10, 9, 8, 7)), WS_ALLOWEDIPS_NONE);
	drop_table();
}

/* The kernel's insert-then-test script, in its order. */
static void test_kernel_script(void)
{
	fresh_table(64, 64);
	insert4(A, 192, 168, 4, 0, 24);
	insert4(B, 192, 168, 4, 4, 32);
	insert4(C, 192, 168, 0, 0, 16);
	insert4(D, 192, 95, 5, 64, 27);
	/* replaces previous entry, and maskself is required */
	insert4(C, 192, 95, 5, 65, 27);
	insert6(D, 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
	insert6(C, 0x26075300, 0x60006b00, 0, 0, 64);
	insert4(E, 0, 0, 0, 0, 0);
	insert6(E, 0, 0, 0, 0, 0);
	/* replaces previous entry */
	insert6(F, 0, 0, 0, 0, 0);
	insert6(G, 0x24046800, 0, 0, 0, 32);
	/* maskself is required */
	insert6(H, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 64);
	insert6(A, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 128);
	insert6(C, 0x24446800, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128);
	insert6(B, 0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98);
	insert4(G, 64, 15, 112, 0, 20);
	/* maskself is required */
	insert4(H, 64, 15, 123, 211, 25);
	insert4(A, 10, 0, 0, 0, 25);
	insert4(B, 10, 0, 0, 128, 25);
	insert4(A, 10, 1, 0, 0, 30);
	insert4(B, 10, 1, 0, 4, 30);
	insert4(C, 10, 1, 0, 8, 29);
	insert4(D, 10, 1, 0, 16, 29);

	test4(A, 192, 168, 4, 20);
	test4(A, 192, 168, 4, 0);
	test4(B, 192, 168, 4, 4);
	test4(C, 192, 168, 200, 182);
	test4(C, 192, 95, 5, 68);
	test4(E, 192, 95, 5, 96);
	test6(D, 0x26075300, 0x60006b00, 0, 0xc05f0543);
	test6(C, 0x26075300, 0x60006b00, 0, 0xc02e01ee);
	test6(F, 0x26075300, 0x60006b01, 0, 0);
	test6(G, 0x24046800, 0x40040806, 0, 0x1006);
	test6(G, 0x24046800, 0x40040806, 0x1234, 0x5678);
	test6(F, 0x240467ff, 0x40040806, 0x1234, 0x5678);
	test6(F, 0x24046801, 0x40040806, 0x1234, 0x5678);
	test6(H, 0x24046800, 0x40040800, 0x1234, 0x5678);
	test6(H, 0x24046800, 0x40040800, 0, 0);
	test6(H, 0x24046800, 0x40040800, 0x10101010, 0x10101010);
	test6(A, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef);
	test4(G, 64, 15, 116, 26);
	test4(G, 64, 15, 127, 3);
	test4(G, 64, 15, 123, 1);
	test4(H, 64, 15, 123, 128);
	test4(H, 64, 15, 123, 129);
	test4(A, 10, 0, 0, 52);
	test4(B, 10, 0, 0, 220);
	test4(A, 10, 1, 0, 2);
	test4(B, 10, 1, 0, 6);
	test4(C, 10, 1, 0, 10);
	test4(D, 10, 1, 0, 20);

	/* The overwritten /27 of D is gone: D keeps only its IPv6 /128. */
	CU_ASSERT_EQUAL(ws_allowedips_remove_v4(t, ip4(192, 95, 5, 64), 27, D), -ENOENT);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 13);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 8);

	/* remove_by_peer takes every prefix of one peer and leaves the rest. */
	insert4(A, 1, 0, 0, 0, 32);
	insert4(A, 64, 0, 0, 0, 32);
	insert4(A, 128, 0, 0, 0, 32);
	insert4(A, 192, 0, 0, 0, 32);
	insert4(A, 255, 0, 0, 0, 32);
	CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, A), 0);
	test4_negative(A, 1, 0, 0, 0);
	test4_negative(A, 64, 0, 0, 0);
	test4_negative(A, 128, 0, 0, 0);
	test4_negative(A, 192, 0, 0, 0);
	test4_negative(A, 255, 0, 0, 0);
	test4(E, 1, 0, 0, 0);
	test4(C, 192, 168, 4, 20);
	test4(B, 10, 0, 0, 220);
	test4(E, 10, 0, 0, 52);
	test4(E, 10, 1, 0, 2);
	test4(B, 10, 1, 0, 6);
	test6(H, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef);
	test6(B, 0x24446800, 0xf0e40800, 0xeeaebeef, 0x10101010);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 10);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 7);

	/* A prefix nested in another of the same peer. */
	fresh_table(64, 64);
	insert4(A, 192, 168, 0, 0, 16);
	insert4(A, 192, 168, 0, 0, 24);
	CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, A), 0);
	test4_negative(A, 192, 168, 0, 1);
	test4(WS_ALLOWEDIPS_NONE, 192, 168, 0, 1);
	drop_table();
}

/*
 * The kernel's 128 /128s, each a different bit cleared: deep, divergent
 * paths whose removal must leave nothing behind.
 */
static void test_kernel_deep_paths(void)
{
	struct v6 ip[128];

	fresh_table(16, 128);
	for (int i = 0; i < 128; i++) {
		memset(ip[i].b, 0xff, 16);
		ip[i].b[(127 - i) / 8] &= (uint8_t)~(1u << (i % 8));
		CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, ip[i].b, 128, (uint32_t)i), 0);
	}
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 128);
	for (int i = 0; i < 128; i++)
		CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, ip[i].b), (uint32_t)i);
	for (int i = 0; i < 128; i++)
		CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, (uint32_t)i), 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 0);
	for (int i = 0; i < 128; i++)
		CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, ip[i].b), WS_ALLOWEDIPS_NONE);
	drop_table();
}

/* Removing one prefix: exact match only, and only by its own peer. */
static void test_kernel_remove(void)
{
	fresh_table(64, 64);
	insert4(A, 1, 0, 0, 0, 32);
	insert4(A, 192, 0, 0, 0, 24);
	insert6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128);
	insert6(A, 0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98);
	insert4(B, 0, 0, 0, 0, 0);
	test4(A, 1, 0, 0, 0);
	test4(A, 192, 0, 0, 1);
	test6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	test6(A, 0x24446800, 0xf0e40800, 0xeeaebeef, 0x10101010);
	/* Must be an exact match to remove */
	CU_ASSERT_EQUAL(remove4(A, 192, 0, 0, 0, 32), -ENOENT);
	test4(A, 192, 0, 0, 1);
	/* No peer, or another peer, has no effect */
	CU_ASSERT_EQUAL(remove4(WS_ALLOWEDIPS_NONE, 192, 0, 0, 0, 24), -ENOENT);
	test4(A, 192, 0, 0, 1);
	CU_ASSERT_EQUAL(remove4(B, 192, 0, 0, 0, 24), -ENOENT);
	test4(A, 192, 0, 0, 1);
	/* An invalid cidr has no effect */
	CU_ASSERT_EQUAL(remove4(B, 192, 0, 0, 0, 33), -EINVAL);
	test4(A, 192, 0, 0, 1);
	CU_ASSERT_EQUAL(remove4(A, 192, 0, 0, 0, 24), 0);
	test4(B, 192, 0, 0, 1);
	CU_ASSERT_EQUAL(remove4(A, 192, 0, 0, 0, 24), -ENOENT);
	CU_ASSERT_EQUAL(remove4(A, 1, 0, 0, 0, 32), 0);
	test4(B, 1, 0, 0, 0);
	/* Must be an exact match to remove */
	CU_ASSERT_EQUAL(remove6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 96), -ENOENT);
	test6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	CU_ASSERT_EQUAL(remove6(WS_ALLOWEDIPS_NONE, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128),
			-ENOENT);
	test6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	CU_ASSERT_EQUAL(remove6(B, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128), -ENOENT);
	test6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	CU_ASSERT_EQUAL(remove6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 129), -EINVAL);
	test6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	CU_ASSERT_EQUAL(remove6(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128), 0);
	test6_negative(A, 0x24446801, 0x40e40800, 0xdeaebeef, 0xdefbeef);
	/* Must match the peer to remove */
	CU_ASSERT_EQUAL(remove6(B, 0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98), -ENOENT);
	test6(A, 0x24446800, 0xf0e40800, 0xeeaebeef, 0x10101010);
	CU_ASSERT_EQUAL(remove6(A, 0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98), 0);
	test6_negative(A, 0x24446800, 0xf0e40800, 0xeeaebeef, 0x10101010);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 1);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 0);
	/* The default route goes like any other. */
	CU_ASSERT_EQUAL(remove4(B, 0, 0, 0, 0, 0), 0);
	test4(WS_ALLOWEDIPS_NONE, 1, 0, 0, 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 0);
	drop_table();
}

/*
 * Prefixes that end at the top of the address space, over sub-prefixes
 * that end there too: the case DPDK 22.11's rte_fib and rte_fib6 get
 * wrong (they then map every address to the covering prefix). The same
 * script for both families, on the first byte of the address.
 */
static int top_insert(int family, uint8_t byte, uint8_t cidr, uint32_t peer)
{
	return family == WS_AF_INET ? ws_allowedips_insert_v4(t, ip4(byte, 0, 0, 0), cidr, peer) :
				      ws_allowedips_insert_v6(t, ip6((uint32_t)byte << 24, 0, 0, 0).b, cidr, peer);
}

static uint32_t top_lookup(int family, uint8_t byte)
{
	return family == WS_AF_INET ? ws_allowedips_lookup_v4(t, ip4(byte, 1, 2, 3)) :
				      ws_allowedips_lookup_v6(t, ip6((uint32_t)byte << 24 | 0x10203, 4, 5, 6).b);
}

static void test_top_of_space(void)
{
	for (int family = WS_AF_INET; family <= WS_AF_INET6; family += WS_AF_INET6 - WS_AF_INET) {
		fresh_table(16, 16);
		CU_ASSERT_EQUAL(top_insert(family, 0xc0, 2, A), 0);
		CU_ASSERT_EQUAL(top_insert(family, 0xb8, 5, B), 0);
		CU_ASSERT_EQUAL(top_insert(family, 0x80, 1, C), 0);
		CU_ASSERT_EQUAL(top_lookup(family, 0x00), WS_ALLOWEDIPS_NONE);
		CU_ASSERT_EQUAL(top_lookup(family, 0x80), C);
		CU_ASSERT_EQUAL(top_lookup(family, 0xb8), B);
		CU_ASSERT_EQUAL(top_lookup(family, 0xff), A);
		CU_ASSERT_EQUAL(top_insert(family, 0x00, 0, D), 0);
		CU_ASSERT_EQUAL(top_insert(family, 0xe0, 3, E), 0);
		CU_ASSERT_EQUAL(top_insert(family, 0xc0, 3, F), 0);
		CU_ASSERT_EQUAL(top_insert(family, 0xc0, 2, G), 0);
		CU_ASSERT_EQUAL(top_lookup(family, 0x7f), D);
		CU_ASSERT_EQUAL(top_lookup(family, 0x80), C);
		CU_ASSERT_EQUAL(top_lookup(family, 0xbf), B);
		CU_ASSERT_EQUAL(top_lookup(family, 0xc0), F);
		CU_ASSERT_EQUAL(top_lookup(family, 0xff), E);
		CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, C), 0);
		CU_ASSERT_EQUAL(top_lookup(family, 0x80), D);
		CU_ASSERT_EQUAL(top_lookup(family, 0xbf), B);
		CU_ASSERT_EQUAL(top_lookup(family, 0xff), E);
	}
	drop_table();
}

struct listed {
	unsigned count, stop_after;
	bool found[5], other;
};

static int list_one(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	static const uint8_t want4[2][4] = {{192, 95, 5, 64}, {10, 1, 0, 16}};
	struct listed *l = arg;
	struct v6 want6[3] = {
		ip6(0x26075300, 0x60006b00, 0, 0xc05f0543),
		ip6(0x26075300, 0x6d8a6bf8, 0xdab1e000, 0),
		ip6(0x26075000, 0, 0, 0),
	};

	l->count++;
	if (family == WS_AF_INET && cidr == 27 && memcmp(addr, want4[0], 4) == 0)
		l->found[0] = true;
	else if (family == WS_AF_INET6 && cidr == 128 && memcmp(addr, want6[0].b, 16) == 0)
		l->found[1] = true;
	else if (family == WS_AF_INET && cidr == 29 && memcmp(addr, want4[1], 4) == 0)
		l->found[2] = true;
	else if (family == WS_AF_INET6 && cidr == 83 && memcmp(addr, want6[1].b, 16) == 0)
		l->found[3] = true;
	else if (family == WS_AF_INET6 && cidr == 21 && memcmp(addr, want6[2].b, 16) == 0)
		l->found[4] = true;
	else
		l->other = true;
	return l->count == l->stop_after ? 42 : 0;
}

/* Listing a peer gives back exactly its prefixes, masked. */
static void test_kernel_walk(void)
{
	struct listed l = {0};

	fresh_table(64, 64);
	insert4(A, 192, 95, 5, 93, 27);
	insert6(A, 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
	insert4(A, 10, 1, 0, 20, 29);
	insert6(A, 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 83);
	insert6(A, 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 21);
	/* Another peer's prefixes, one nested in A's, are not listed. */
	insert4(B, 10, 1, 0, 20, 30);
	insert6(B, 0, 0, 0, 0, 0);
	insert4(B, 0, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(ws_allowedips_walk_peer(t, A, list_one, &l), 0);
	CU_ASSERT_EQUAL(l.count, 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_TRUE(l.found[i]);
	CU_ASSERT_FALSE(l.other);

	/* The default routes are listed too. */
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(ws_allowedips_walk_peer(t, B, list_one, &l), 0);
	CU_ASSERT_EQUAL(l.count, 3);

	/* A callback's non-zero return stops the walk and comes back. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	CU_ASSERT_EQUAL(ws_allowedips_walk_peer(t, A, list_one, &l), 42);
	CU_ASSERT_EQUAL(l.count, 2);

	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(ws_allowedips_walk_peer(t, C, list_one, &l), 0);
	CU_ASSERT_EQUAL(l.count, 0);
	drop_table();
}

/*
 * The worst case the sizing promises: every rule in its own /24, so each
 * IPv4 rule needs its own DIR24_8 group and each IPv6 /128 thirteen TRIE
 * groups; then all of them moved to another peer and removed.
 */
static void test_capacity(void)
{
	enum { N = 100 };
	struct v6 ip[N];

	fresh_table(N, N);
	for (uint32_t i = 0; i < N; i++) {
		memset(ip[i].b, 0xa5, 16);
		ip[i].b[0] = (uint8_t)(i >> 8);
		ip[i].b[1] = (uint8_t)i;
		CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, (uint8_t)i, 7, 9), 32, i), 0);
		CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, ip[i].b, 128, i), 0);
	}
	for (uint32_t i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, ip4(10, (uint8_t)i, 7, 9), 32, N + i), 0);
		CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, ip[i].b, 128, N + i), 0);
	}
	for (uint32_t i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(10, (uint8_t)i, 7, 9)), N + i);
		CU_ASSERT_EQUAL(ws_allowedips_lookup_v4(t, ip4(10, (uint8_t)i, 7, 8)),
				WS_ALLOWEDIPS_NONE);
		CU_ASSERT_EQUAL(ws_allowedips_lookup_v6(t, ip[i].b), N + i);
		CU_ASSERT_EQUAL(ws_allowedips_remove_v4(t, ip4(10, (uint8_t)i, 7, 9), 32, i), -ENOENT);
		CU_ASSERT_EQUAL(ws_allowedips_remove_v4(t, ip4(10, (uint8_t)i, 7, 9), 32, N + i), 0);
		CU_ASSERT_EQUAL(ws_allowedips_remove_v6(t, ip[i].b, 128, N + i), 0);
	}
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 0);
	drop_table();
}

/*
 * Bulk lookups agree with single ones, at burst edges too, write nothing
 * past n, and answer misses with the /0's owner.
 */
static void test_bulk(void)
{
	enum { N = 1000, PREFIXES = 200 };
	static uint32_t a4[N], p4[N + 1], p6[N + 1];
	static uint8_t a6[N][16];
	static const unsigned sizes[] = {0, 1, 63, 64, 65, 200, N};
	uint64_t rng = 1;

	fresh_table(256, 256);
	for (unsigned i = 0; i < N; i++) {
		uint64_t r = ws_test_rand(&rng);

		/* Odd ones past the inserted prefixes repeat an inserted address. */
		a4[i] = i >= PREFIXES && i % 2 ? a4[r % PREFIXES] : (uint32_t)r;
		if (i >= PREFIXES && i % 2) {
			memcpy(a6[i], a6[r % PREFIXES], 16);
		} else {
			memcpy(a6[i], &r, 8);
			memcpy(a6[i] + 8, &rng, 8);
		}
		if (i < PREFIXES) {
			CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, a4[i], (uint8_t)(8 + r % 25), i), 0);
			CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, a6[i], (uint8_t)(16 + r % 113), i), 0);
		}
	}
	CU_ASSERT_EQUAL(ws_allowedips_insert_v4(t, 0, 0, PREFIXES), 0);
	CU_ASSERT_EQUAL(ws_allowedips_insert_v6(t, a6[0], 0, PREFIXES), 0);
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned n = sizes[s], misses = 0;

		memset(p4, 0xab, sizeof(p4));
		memset(p6, 0xab, sizeof(p6));
		ws_allowedips_lookup_v4_bulk(t, a4, p4, n);
		ws_allowedips_lookup_v6_bulk(t, (const uint8_t (*)[16])a6, p6, n);
		for (unsigned i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(p4[i], ws_allowedips_lookup_v4(t, a4[i]));
			CU_ASSERT_EQUAL(p6[i], ws_allowedips_lookup_v6(t, a6[i]));
			misses += (p4[i] == PREFIXES) + (p6[i] == PREFIXES);
		}
		CU_ASSERT_EQUAL(p4[n], 0xabababab);
		CU_ASSERT_EQUAL(p6[n], 0xabababab);
		CU_ASSERT(n < N || misses > 0);
	}
	/* Peer 0 is a next hop of 0 in DPDK's tables: a hit, not a miss. */
	ws_allowedips_lookup_v4_bulk(t, a4, p4, 1);
	ws_allowedips_lookup_v6_bulk(t, (const uint8_t (*)[16])a6, p6, 1);
	CU_ASSERT(p4[0] == 0 && p6[0] == 0);
	drop_table();
}

/*
 * The oracle ("horrible allowedips"): every prefix in a flat array, a
 * lookup scans them all for the longest match. Both families are 128-bit
 * (hi, lo) pairs; IPv4 sits in the top 32 bits of hi, so one set of masks
 * serves both.
 */
struct route {
	uint64_t hi, lo, mhi, mlo;
	uint32_t peer;
	uint8_t cidr;
};

struct oracle {
	struct route *r;
	size_t n, cap;
	int family;
};

#define V4_HI 0xffffffff00000000ULL

enum {
	NUM_PEERS = 1024,
	NUM_BASE = 200,         /* random prefixes per family ... */
	NUM_MUTATED = 14,       /* ... each with this many sharing a random part of it */
	NUM_MOVES = 600,        /* existing prefixes re-inserted for another peer */
	NUM_LOOKUPS = 100000,   /* per family, against the full table */
	NUM_SAMPLE = 200,       /* per family, after each peer's removal */
	BATCH = 256,
};

static void mask128(uint8_t cidr, uint64_t *mhi, uint64_t *mlo)
{
	*mhi = cidr == 0 ? 0 : cidr >= 64 ? UINT64_MAX : UINT64_MAX << (64 - cidr);
	*mlo = cidr <= 64 ? 0 : cidr == 128 ? UINT64_MAX : UINT64_MAX << (128 - cidr);
}

static void to_bytes(uint8_t b[16], uint64_t hi, uint64_t lo)
{
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(hi >> (56 - 8 * i));
		b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

static void oracle_insert(struct oracle *o, uint64_t hi, uint64_t lo, uint8_t cidr, uint32_t peer)
{
	struct route n = { .peer = peer, .cidr = cidr };

	mask128(cidr, &n.mhi, &n.mlo);
	n.hi = hi & n.mhi;
	n.lo = lo & n.mlo;
	for (size_t i = 0; i < o->n; i++) {
		if (o->r[i].cidr == cidr && o->r[i].hi == n.hi && o->r[i].lo == n.lo) {
			o->r[i].peer = peer;
			return;
		}
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 1024;
		o->r = realloc(o->r, o->cap * sizeof(*o->r));
		CU_ASSERT_PTR_NOT_NULL_FATAL(o->r);
	}
	o->r[o->n++] = n;
}

/* Lookups the oracle answered from a /0, and with NONE. */
static unsigned by_default, by_none;

static uint32_t oracle_lookup(const struct oracle *o, uint64_t hi, uint64_t lo)
{
	uint32_t peer = WS_ALLOWEDIPS_NONE;
	int best = -1;

	for (size_t i = 0; i < o->n; i++) {
		const struct route *r = &o->r[i];

		if (((hi ^ r->hi) & r->mhi) == 0 && ((lo ^ r->lo) & r->mlo) == 0 && r->cidr > best) {
			best = r->cidr;
			peer = r->peer;
		}
	}
	by_default += best == 0;
	by_none += best < 0;
	return peer;
}

static void oracle_remove_peer(struct oracle *o, uint32_t peer)
{
	size_t k = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->r[i].peer != peer)
			o->r[k++] = o->r[i];
	o->n = k;
}

static int table_insert(const struct oracle *o, uint64_t hi, uint64_t lo, uint8_t cidr,
			uint32_t peer)
{
	uint8_t b[16];

	if (o->family == WS_AF_INET)
		return ws_allowedips_insert_v4(t, (uint32_t)(hi >> 32), cidr, peer);
	to_bytes(b, hi, lo);
	return ws_allowedips_insert_v6(t, b, cidr, peer);
}

/*
 * A random address: anywhere, or inside a held prefix (an eighth of
 * those its first address, an eighth its last).
 */
static void random_addr(const struct oracle *o, uint64_t *rng, uint64_t *hi, uint64_t *lo)
{
	uint64_t r = ws_test_rand(rng), bits = ws_test_rand(rng);

	*hi = ws_test_rand(rng);
	*lo = ws_test_rand(rng);
	if (r % 2 == 1 && o->n > 0) {
		const struct route *p = &o->r[(r >> 8) % o->n];

		bits = (r >> 1) % 8 == 0 ? 0 : (r >> 1) % 8 == 1 ? UINT64_MAX : bits;
		*hi = p->hi | (bits & ~p->mhi);
		*lo = p->lo | (bits & ~p->mlo);
	}
	if (o->family == WS_AF_INET) {
		*hi &= V4_HI;
		*lo = 0;
	}
}

/* n lookups, in bulk or one by one, each checked against the oracle. */
static bool check_lookups(const struct oracle *o, uint64_t *rng, unsigned n, bool bulk)
{
	uint64_t hi[BATCH], lo[BATCH];
	uint32_t a4[BATCH], got[BATCH];
	uint8_t a6[BATCH][16];

	while (n > 0) {
		unsigned k = n < BATCH ? n : BATCH;

		for (unsigned i = 0; i < k; i++) {
			random_addr(o, rng, &hi[i], &lo[i]);
			a4[i] = (uint32_t)(hi[i] >> 32);
			to_bytes(a6[i], hi[i], lo[i]);
		}
		for (unsigned i = 0; i < k && !bulk; i++)
			got[i] = o->family == WS_AF_INET ? ws_allowedips_lookup_v4(t, a4[i]) :
							   ws_allowedips_lookup_v6(t, a6[i]);
		if (bulk && o->family == WS_AF_INET)
			ws_allowedips_lookup_v4_bulk(t, a4, got, k);
		else if (bulk)
			ws_allowedips_lookup_v6_bulk(t, (const uint8_t (*)[16])a6, got, k);
		for (unsigned i = 0; i < k; i++) {
			uint32_t want = oracle_lookup(o, hi[i], lo[i]);

			if (got[i] != want) {
				printf("\nIPv%d lookup %016" PRIx64 ":%016" PRIx64 ": peer %" PRIu32
				       ", oracle says %" PRIu32 "\n", o->family, hi[i], lo[i], got[i], want);
				CU_FAIL("lookup disagrees with the oracle");
				return false;
			}
		}
		n -= k;
	}
	return true;
}

struct walked {
	const struct oracle *o[2];
	uint32_t peer;
	unsigned count;
	bool bad;
};

/* Each listed prefix is one the oracle gives this peer. */
static int walk_check(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct walked *w = arg;
	const struct oracle *o = w->o[family == WS_AF_INET6];
	uint64_t hi = 0, lo = 0;
	size_t i;

	for (int k = 0; k < (family == WS_AF_INET ? 4 : 8); k++)
		hi |= (uint64_t)addr[k] << (56 - 8 * k);
	for (int k = 0; family == WS_AF_INET6 && k < 8; k++)
		lo |= (uint64_t)addr[8 + k] << (56 - 8 * k);
	for (i = 0; i < o->n; i++)
		if (o->r[i].cidr == cidr && o->r[i].hi == hi && o->r[i].lo == lo)
			break;
	if (i == o->n || o->r[i].peer != w->peer || family != o->family)
		w->bad = true;
	w->count++;
	return 0;
}

static bool check_peer_listing(const struct oracle *o4, const struct oracle *o6, uint32_t peer)
{
	struct walked w = { .o = {o4, o6}, .peer = peer };
	unsigned want = 0;

	for (size_t i = 0; i < o4->n; i++)
		want += o4->r[i].peer == peer;
	for (size_t i = 0; i < o6->n; i++)
		want += o6->r[i].peer == peer;
	CU_ASSERT_EQUAL(ws_allowedips_walk_peer(t, peer, walk_check, &w), 0);
	if (w.bad || w.count != want) {
		printf("\npeer %" PRIu32 ": listed %u prefixes%s, oracle has %u\n", peer, w.count,
		       w.bad ? " (some not its own)" : "", want);
		CU_FAIL("listing disagrees with the oracle");
		return false;
	}
	return true;
}

/*
 * An eighth of lengths uniform over 1..bits as the kernel draws them, the
 * rest from bits/4 up (short IPv4 prefixes each rewrite up to 2^23
 * first-level entries, which is time better spent on lookups); now and
 * then a /0.
 */
static uint8_t random_cidr(uint64_t r, unsigned bits)
{
	if (r % 512 == 0)
		return 0;
	if ((r >> 9) % 8 == 0)
		return (uint8_t)(1 + (r >> 12) % bits);
	return (uint8_t)(bits / 4 + (r >> 12) % (bits - bits / 4 + 1));
}

static void fill(struct oracle *o, uint64_t *rng)
{
	unsigned bits = o->family == WS_AF_INET ? 32 : 128;
	uint32_t owner = (uint32_t)(ws_test_rand(rng) % NUM_PEERS);

	/* A default route, until its owner goes: misses answer it, then NONE. */
	CU_ASSERT_EQUAL_FATAL(table_insert(o, 0, 0, 0, owner), 0);
	oracle_insert(o, 0, 0, 0, owner);

	for (unsigned i = 0; i < NUM_BASE; i++) {
		uint64_t hi = ws_test_rand(rng), lo = ws_test_rand(rng);

		for (unsigned j = 0; j <= NUM_MUTATED; j++) {
			uint64_t r = ws_test_rand(rng), mhi, mlo;
			uint64_t mut_hi = hi, mut_lo = lo;
			uint8_t cidr = random_cidr(r, bits);
			uint32_t peer = (uint32_t)((r >> 24) % NUM_PEERS);

			if (j > 0) { /* keep a random number of leading bits */
				mask128((uint8_t)((r >> 40) % bits), &mhi, &mlo);
				mut_hi = (hi & mhi) | (ws_test_rand(rng) & ~mhi);
				mut_lo = (lo & mlo) | (ws_test_rand(rng) & ~mlo);
			}
			CU_ASSERT_EQUAL_FATAL(table_insert(o, mut_hi, mut_lo, cidr, peer), 0);
			oracle_insert(o, mut_hi, mut_lo, cidr, peer);
		}
	}
	/* Moves: an existing prefix, given with host bits set, to another peer. */
	for (unsigned i = 0; i < NUM_MOVES; i++) {
		uint64_t r = ws_test_rand(rng);
		const struct route p = o->r[r % o->n];
		uint64_t hi = p.hi | (ws_test_rand(rng) & ~p.mhi);
		uint64_t lo = p.lo | (ws_test_rand(rng) & ~p.mlo);
		uint32_t peer = (uint32_t)((r >> 32) % NUM_PEERS);

		CU_ASSERT_EQUAL_FATAL(table_insert(o, hi, lo, p.cidr, peer), 0);
		oracle_insert(o, hi, lo, p.cidr, peer);
	}
}

static uint32_t default_owner(const struct oracle *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->r[i].cidr == 0)
			return o->r[i].peer;
	return WS_ALLOWEDIPS_NONE;
}

/* Swap peer into order[pos]. */
static void move_to(uint32_t *order, uint32_t peer, uint32_t pos)
{
	for (uint32_t i = 0; i < NUM_PEERS; i++) {
		if (order[i] == peer) {
			order[i] = order[pos];
			order[pos] = peer;
			return;
		}
	}
}

static void test_random_against_oracle(void)
{
	struct oracle o4 = { .family = WS_AF_INET }, o6 = { .family = WS_AF_INET6 };
	uint64_t rng = ws_test_seed("allowedips oracle");
	uint32_t order[NUM_PEERS];
	unsigned removed;

	fresh_table(NUM_BASE * (NUM_MUTATED + 1) + 1, NUM_BASE * (NUM_MUTATED + 1) + 1);
	fill(&o4, &rng);
	fill(&o6, &rng);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), o4.n);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), o6.n);

	if (!check_lookups(&o4, &rng, NUM_LOOKUPS / 2, true) ||
	    !check_lookups(&o4, &rng, NUM_LOOKUPS / 2, false) ||
	    !check_lookups(&o6, &rng, NUM_LOOKUPS / 2, true) ||
	    !check_lookups(&o6, &rng, NUM_LOOKUPS / 2, false))
		goto out;
	for (uint32_t p = 0; p < NUM_PEERS; p++)
		if (!check_peer_listing(&o4, &o6, p))
			goto out;

	/* Every peer removed, in random order, checked after each removal. */
	for (uint32_t i = 0; i < NUM_PEERS; i++)
		order[i] = i;
	for (uint32_t i = NUM_PEERS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(ws_test_rand(&rng) % (i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	/* The /0 owners go last, so that misses answer them for a while. */
	move_to(order, default_owner(&o4), NUM_PEERS - 1);
	if (default_owner(&o6) != default_owner(&o4))
		move_to(order, default_owner(&o6), NUM_PEERS - 2);
	by_default = by_none = 0;
	for (removed = 0; removed < NUM_PEERS; removed++) {
		uint32_t peer = order[removed];

		CU_ASSERT_EQUAL(ws_allowedips_remove_by_peer(t, peer), 0);
		oracle_remove_peer(&o4, peer);
		oracle_remove_peer(&o6, peer);
		if (!check_peer_listing(&o4, &o6, peer) ||
		    !check_lookups(&o4, &rng, NUM_SAMPLE, removed % 2) ||
		    !check_lookups(&o6, &rng, NUM_SAMPLE, removed % 2))
			break;
		if (ws_allowedips_count(t, WS_AF_INET) != o4.n ||
		    ws_allowedips_count(t, WS_AF_INET6) != o6.n) {
			CU_FAIL("prefix count disagrees with the oracle");
			break;
		}
	}
	CU_ASSERT_EQUAL(removed, NUM_PEERS);
	CU_ASSERT(by_default > 0 && by_none > 0);
	CU_ASSERT_EQUAL(o4.n + o6.n, 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET), 0);
	CU_ASSERT_EQUAL(ws_allowedips_count(t, WS_AF_INET6), 0);
	check_lookups(&o4, &rng, 1000, true);
	check_lookups(&o6, &rng, 1000, true);
out:
	free(o4.r);
	free(o6.r);
	drop_table();
}

static int suite_init(void)
{
	return ws_test_eal_init();
}

static int suite_cleanup(void)
{
	drop_table();
	return ws_test_eal_cleanup() == 0 ? 0 : -1;
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_create),
		WS_TEST(test_arguments),
		WS_TEST(test_kernel_script),
		WS_TEST(test_kernel_deep_paths),
		WS_TEST(test_kernel_remove),
		WS_TEST(test_kernel_walk),
		WS_TEST(test_top_of_space),
		WS_TEST(test_capacity),
		WS_TEST(test_bulk),
		WS_TEST(test_random_against_oracle),
		{0},
	};
	return ws_test_run("allowedips", tests, suite_init, suite_cleanup);
}
