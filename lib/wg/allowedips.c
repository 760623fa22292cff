/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Allowed IPs on DPDK's tables. Lookups go to rte_lpm (DIR-24-8) and
 * rte_lpm6; the exact prefixes and their owners live beside them in an
 * rte_rib and rte_rib6, which answer "who owns 10.0.0.0/8", list a peer's
 * prefixes and find them all for removal.
 *
 * Not rte_fib / rte_fib6: in DPDK 22.11 both rewrite the whole table when
 * a prefix that ends at the top of the address space is installed over
 * two sub-prefixes, the last of which also ends there (add 192.0.0.0/2,
 * 184.0.0.0/5, then 128.0.0.0/1: every address then maps to the /1).
 *
 * rte_lpm{,6} take prefix lengths from 1: the owner of a /0 is kept here
 * and answers when the LPM misses.
 *
 * Each peer's prefixes are also chained in a list through the RIB nodes'
 * ext areas (a valid RIB node keeps its address while its prefix lives),
 * so listing or removing one peer's prefixes costs O(its prefixes), not a
 * walk of the whole RIB.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_rib.h>
#include <rte_rib6.h>

#include "allowedips.h"

#define LOOKUP_BURST 64
/* A /128 under nothing longer than /24 needs one tbl8 group per byte past 24 bits. */
#define V6_GROUPS_PER_RULE ((128 - 24) / 8)
/* rte_lpm6 refuses more than 2^21 tbl8 groups (a limit private to rte_lpm6.c). */
#define V6_MAX_RULES ((1 << 21) / V6_GROUPS_PER_RULE)

/* rte_lpm6 next hops are 21 bits wide, rte_lpm's 24. */
_Static_assert(WS_ALLOWEDIPS_MAX_PEER < (1 << 21), "peer ids fit rte_lpm6 next hops");

struct ws_allowedips {
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	struct rte_rib *rib4;
	struct rte_rib6 *rib6;
	/* Owners of 0.0.0.0/0 and ::/0, or WS_ALLOWEDIPS_NONE; read on a miss. */
	uint32_t default4;
	uint32_t default6;
	/* Writer only: each peer's prefix lists (index 0 IPv4, 1 IPv6), grown on demand. */
	struct owner_list *owners;
	uint32_t n_owners;
};

/* A RIB node's ext area: its neighbours in its owner's list, same family. */
struct link {
	void *prev;
	void *next;
};

struct owner_list {
	void *head[2];
	void *tail[2];
};

struct prefix {
	union {
		uint32_t v4;    /* host order, as rte_lpm and rte_rib take it */
		uint8_t v6[16];
	};
	uint8_t cidr;
};

static const uint8_t zero6[16];

static uint32_t mask_v4(uint32_t addr, uint8_t cidr)
{
	return cidr == 0 ? 0 : addr & (UINT32_MAX << (32 - cidr));
}

static void mask_v6(uint8_t out[16], const uint8_t in[16], uint8_t cidr)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = cidr > 8 * i ? cidr - 8 * i : 0;

		out[i] = bits >= 8 ? in[i] : in[i] & (uint8_t)(0xff00 >> bits);
	}
}

static struct link *lnk(unsigned fam, void *node)
{
	return fam == 0 ? rte_rib_get_ext(node) : rte_rib6_get_ext(node);
}

/* Room in t->owners for peer: 0 or -ENOMEM. */
static int owners_reserve(struct ws_allowedips *t, uint32_t peer)
{
	uint32_t n = t->n_owners;
	struct owner_list *grown;

	if (peer < n)
		return 0;
	while (n <= peer)
		n = n ? 2 * n : 256;
	grown = realloc(t->owners, (size_t)n * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	memset(grown + t->n_owners, 0, (size_t)(n - t->n_owners) * sizeof(*grown));
	t->owners = grown;
	t->n_owners = n;
	return 0;
}

/* Append node to peer's list of family fam (owners_reserve done). */
static void link_add(struct ws_allowedips *t, unsigned fam, void *node, uint32_t peer)
{
	struct owner_list *o = &t->owners[peer];
	struct link *l = lnk(fam, node);

	l->prev = o->tail[fam];
	l->next = NULL;
	if (o->tail[fam] != NULL)
		lnk(fam, o->tail[fam])->next = node;
	else
		o->head[fam] = node;
	o->tail[fam] = node;
}

static void link_del(struct ws_allowedips *t, unsigned fam, void *node, uint32_t peer)
{
	struct owner_list *o = &t->owners[peer];
	struct link *l = lnk(fam, node);

	if (l->prev != NULL)
		lnk(fam, l->prev)->next = l->next;
	else
		o->head[fam] = l->next;
	if (l->next != NULL)
		lnk(fam, l->next)->prev = l->prev;
	else
		o->tail[fam] = l->prev;
	l->prev = l->next = NULL;
}

/* A node's owner changes from old (WS_ALLOWEDIPS_NONE: fresh node) to peer. */
static void relink(struct ws_allowedips *t, unsigned fam, void *node, uint64_t old,
		   uint32_t peer)
{
	if (old == peer)
		return;
	if (old != WS_ALLOWEDIPS_NONE)
		link_del(t, fam, node, (uint32_t)old);
	link_add(t, fam, node, peer);
}

struct ws_allowedips *ws_allowedips_create(const char *name, uint32_t max_v4_rules,
					   uint32_t max_v6_rules, int socket_id)
{
	char obj[WS_ALLOWEDIPS_NAMESIZE + 3];
	struct ws_allowedips *t;
	int err;

	if (name == NULL || strlen(name) > WS_ALLOWEDIPS_NAMESIZE ||
	    max_v4_rules == 0 || max_v4_rules > RTE_LPM_MAX_TBL8_NUM_GROUPS ||
	    max_v6_rules == 0 || max_v6_rules > V6_MAX_RULES) {
		rte_errno = EINVAL;
		return NULL;
	}

	t = rte_zmalloc_socket("ws_allowedips", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->default4 = WS_ALLOWEDIPS_NONE;
	t->default6 = WS_ALLOWEDIPS_NONE;

	/* Each IPv4 rule longer than /24 holds at most one tbl8 group. */
	struct rte_lpm_config c4 = {
		.max_rules = max_v4_rules,
		.number_tbl8s = max_v4_rules,
	};
	struct rte_lpm6_config c6 = {
		.max_rules = max_v6_rules,
		.number_tbl8s = max_v6_rules * V6_GROUPS_PER_RULE,
	};
	/* The /0 lives in the RIB too; a prefix adds at most one branch node. */
	struct rte_rib_conf r4 = {
		.ext_sz = sizeof(struct link),
		.max_nodes = 2 * ((int)max_v4_rules + 1),
	};
	struct rte_rib6_conf r6 = {
		.ext_sz = sizeof(struct link),
		.max_nodes = 2 * ((int)max_v6_rules + 1),
	};

	/* Per-family names: LPM and RIB memzones of both families share a namespace. */
	snprintf(obj, sizeof(obj), "%s_4", name);
	t->lpm4 = rte_lpm_create(obj, socket_id, &c4);
	if (t->lpm4 == NULL)
		goto err;
	t->rib4 = rte_rib_create(obj, socket_id, &r4);
	if (t->rib4 == NULL)
		goto err;
	snprintf(obj, sizeof(obj), "%s_6", name);
	t->lpm6 = rte_lpm6_create(obj, socket_id, &c6);
	if (t->lpm6 == NULL)
		goto err;
	t->rib6 = rte_rib6_create(obj, socket_id, &r6);
	if (t->rib6 == NULL)
		goto err;
	return t;

err:
	err = rte_errno;
	ws_allowedips_free(t);
	rte_errno = err;
	return NULL;
}

void ws_allowedips_free(struct ws_allowedips *t)
{
	if (t == NULL)
		return;
	rte_rib6_free(t->rib6);
	rte_lpm6_free(t->lpm6);
	rte_rib_free(t->rib4);
	rte_lpm_free(t->lpm4);
	free(t->owners);
	rte_free(t);
}

/*
 * Inserts go to the RIB first (it is what can run out of nodes), then to
 * the LPM; a new RIB node is taken back if the LPM refuses the prefix.
 */
int ws_allowedips_insert_v4(struct ws_allowedips *t, uint32_t addr, uint8_t cidr, uint32_t peer)
{
	struct rte_rib_node *node;
	bool fresh = false;
	int ret;

	uint64_t old = WS_ALLOWEDIPS_NONE;

	if (cidr > 32 || peer > WS_ALLOWEDIPS_MAX_PEER)
		return -EINVAL;
	if (owners_reserve(t, peer) != 0)
		return -ENOMEM;
	addr = mask_v4(addr, cidr);
	node = rte_rib_lookup_exact(t->rib4, addr, cidr);
	if (node == NULL) {
		node = rte_rib_insert(t->rib4, addr, cidr);
		if (node == NULL)
			return -rte_errno;
		fresh = true;
	} else {
		rte_rib_get_nh(node, &old);
	}
	if (cidr == 0) {
		__atomic_store_n(&t->default4, peer, __ATOMIC_RELEASE);
	} else {
		ret = rte_lpm_add(t->lpm4, addr, cidr, peer);
		if (ret < 0) {
			if (fresh)
				rte_rib_remove(t->rib4, addr, cidr);
			return ret;
		}
	}
	relink(t, 0, node, old, peer);
	rte_rib_set_nh(node, peer);
	return 0;
}

int ws_allowedips_insert_v6(struct ws_allowedips *t, const uint8_t addr[16], uint8_t cidr,
			    uint32_t peer)
{
	struct rte_rib6_node *node;
	uint8_t masked[16];
	bool fresh = false;
	int ret;

	uint64_t old = WS_ALLOWEDIPS_NONE;

	if (cidr > 128 || peer > WS_ALLOWEDIPS_MAX_PEER)
		return -EINVAL;
	if (owners_reserve(t, peer) != 0)
		return -ENOMEM;
	mask_v6(masked, addr, cidr);
	node = rte_rib6_lookup_exact(t->rib6, masked, cidr);
	if (node == NULL) {
		node = rte_rib6_insert(t->rib6, masked, cidr);
		if (node == NULL)
			return -rte_errno;
		fresh = true;
	} else {
		rte_rib6_get_nh(node, &old);
	}
	if (cidr == 0) {
		__atomic_store_n(&t->default6, peer, __ATOMIC_RELEASE);
	} else {
		ret = rte_lpm6_add(t->lpm6, masked, cidr, peer);
		if (ret < 0) {
			if (fresh)
				rte_rib6_remove(t->rib6, masked, cidr);
			return ret;
		}
	}
	relink(t, 1, node, old, peer);
	rte_rib6_set_nh(node, peer);
	return 0;
}

/* Drop the prefix of a valid RIB node whose owner is peer. */
static int del_v4(struct ws_allowedips *t, struct rte_rib_node *node, uint32_t peer)
{
	uint32_t addr;
	uint8_t cidr;
	int ret;

	rte_rib_get_ip(node, &addr);
	rte_rib_get_depth(node, &cidr);
	if (cidr == 0) {
		__atomic_store_n(&t->default4, WS_ALLOWEDIPS_NONE, __ATOMIC_RELEASE);
	} else {
		ret = rte_lpm_delete(t->lpm4, addr, cidr);
		if (ret < 0)
			return ret;
	}
	link_del(t, 0, node, peer);
	rte_rib_remove(t->rib4, addr, cidr);
	return 0;
}

static int del_v6(struct ws_allowedips *t, struct rte_rib6_node *node, uint32_t peer)
{
	uint8_t addr[16];
	uint8_t cidr;
	int ret;

	rte_rib6_get_ip(node, addr);
	rte_rib6_get_depth(node, &cidr);
	if (cidr == 0) {
		__atomic_store_n(&t->default6, WS_ALLOWEDIPS_NONE, __ATOMIC_RELEASE);
	} else {
		ret = rte_lpm6_delete(t->lpm6, addr, cidr);
		if (ret < 0)
			return ret;
	}
	link_del(t, 1, node, peer);
	rte_rib6_remove(t->rib6, addr, cidr);
	return 0;
}

int ws_allowedips_remove_v4(struct ws_allowedips *t, uint32_t addr, uint8_t cidr, uint32_t peer)
{
	struct rte_rib_node *node;
	uint64_t nh;

	if (cidr > 32)
		return -EINVAL;
	addr = mask_v4(addr, cidr);
	node = rte_rib_lookup_exact(t->rib4, addr, cidr);
	if (node == NULL || rte_rib_get_nh(node, &nh) != 0 || nh != peer)
		return -ENOENT;
	return del_v4(t, node, peer);
}

int ws_allowedips_remove_v6(struct ws_allowedips *t, const uint8_t addr[16], uint8_t cidr,
			    uint32_t peer)
{
	struct rte_rib6_node *node;
	uint8_t masked[16];
	uint64_t nh;

	if (cidr > 128)
		return -EINVAL;
	mask_v6(masked, addr, cidr);
	node = rte_rib6_lookup_exact(t->rib6, masked, cidr);
	if (node == NULL || rte_rib6_get_nh(node, &nh) != 0 || nh != peer)
		return -ENOENT;
	return del_v6(t, node, peer);
}

/*
 * Every prefix of a RIB. rte_rib{,6}_get_nxt only yields prefixes
 * strictly longer than the one it is given, so the /0 comes first, on
 * its own. A non-zero return from fn stops the walk.
 */
typedef int (*prefix_fn)(void *arg, const struct prefix *p, uint64_t owner);

static int for_each_v4(struct rte_rib *rib, prefix_fn fn, void *arg)
{
	struct rte_rib_node *node;
	struct prefix p = {0};
	uint64_t nh;
	int ret;

	node = rte_rib_lookup_exact(rib, 0, 0);
	if (node != NULL) {
		rte_rib_get_nh(node, &nh);
		ret = fn(arg, &p, nh);
		if (ret != 0)
			return ret;
	}
	node = NULL;
	while ((node = rte_rib_get_nxt(rib, 0, 0, node, RTE_RIB_GET_NXT_ALL)) != NULL) {
		rte_rib_get_ip(node, &p.v4);
		rte_rib_get_depth(node, &p.cidr);
		rte_rib_get_nh(node, &nh);
		ret = fn(arg, &p, nh);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int for_each_v6(struct rte_rib6 *rib, prefix_fn fn, void *arg)
{
	struct rte_rib6_node *node;
	struct prefix p = {0};
	uint64_t nh;
	int ret;

	node = rte_rib6_lookup_exact(rib, zero6, 0);
	if (node != NULL) {
		rte_rib6_get_nh(node, &nh);
		ret = fn(arg, &p, nh);
		if (ret != 0)
			return ret;
	}
	node = NULL;
	while ((node = rte_rib6_get_nxt(rib, zero6, 0, node, RTE_RIB6_GET_NXT_ALL)) != NULL) {
		rte_rib6_get_ip(node, p.v6);
		rte_rib6_get_depth(node, &p.cidr);
		rte_rib6_get_nh(node, &nh);
		ret = fn(arg, &p, nh);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int ws_allowedips_remove_by_peer(struct ws_allowedips *t, uint32_t peer)
{
	void *node, *next;
	int ret = 0, err;

	if (peer >= t->n_owners)
		return 0;
	/* Removal frees the node: take its successor first. */
	for (node = t->owners[peer].head[0]; node != NULL; node = next) {
		next = lnk(0, node)->next;
		err = del_v4(t, node, peer);
		if (err < 0 && ret == 0)
			ret = err;
	}
	for (node = t->owners[peer].head[1]; node != NULL; node = next) {
		next = lnk(1, node)->next;
		err = del_v6(t, node, peer);
		if (err < 0 && ret == 0)
			ret = err;
	}
	return ret;
}

uint32_t ws_allowedips_lookup_v4(const struct ws_allowedips *t, uint32_t addr)
{
	uint32_t peer;

	if (rte_lpm_lookup(t->lpm4, addr, &peer) == 0)
		return peer;
	return __atomic_load_n(&t->default4, __ATOMIC_RELAXED);
}

uint32_t ws_allowedips_lookup_v6(const struct ws_allowedips *t, const uint8_t addr[16])
{
	uint32_t peer;

	if (rte_lpm6_lookup(t->lpm6, addr, &peer) == 0)
		return peer;
	return __atomic_load_n(&t->default6, __ATOMIC_RELAXED);
}

void ws_allowedips_lookup_v4_bulk(const struct ws_allowedips *t, const uint32_t *addrs,
				  uint32_t *peers, unsigned n)
{
	uint32_t dflt = __atomic_load_n(&t->default4, __ATOMIC_RELAXED);

	while (n > 0) {
		unsigned k = RTE_MIN(n, (unsigned)LOOKUP_BURST);

		/* Results carry RTE_LPM_LOOKUP_SUCCESS above the 24-bit next hop. */
		rte_lpm_lookup_bulk(t->lpm4, addrs, peers, k);
		for (unsigned i = 0; i < k; i++)
			peers[i] = peers[i] & RTE_LPM_LOOKUP_SUCCESS ? peers[i] & 0x00ffffff : dflt;
		addrs += k;
		peers += k;
		n -= k;
	}
}

void ws_allowedips_lookup_v6_bulk(const struct ws_allowedips *t, const uint8_t (*addrs)[16],
				  uint32_t *peers, unsigned n)
{
	uint32_t dflt = __atomic_load_n(&t->default6, __ATOMIC_RELAXED);
	int32_t nh[LOOKUP_BURST];

	while (n > 0) {
		unsigned k = RTE_MIN(n, (unsigned)LOOKUP_BURST);

		/* Only read, despite the prototype; misses come back as -1. */
		rte_lpm6_lookup_bulk_func(t->lpm6, (uint8_t (*)[16])(uintptr_t)addrs, nh, k);
		for (unsigned i = 0; i < k; i++)
			peers[i] = nh[i] < 0 ? dflt : (uint32_t)nh[i];
		addrs += k;
		peers += k;
		n -= k;
	}
}

int ws_allowedips_walk_peer(const struct ws_allowedips *t, uint32_t peer,
			    ws_allowedips_cb cb, void *arg)
{
	const void *node;
	int ret;

	if (peer >= t->n_owners)
		return 0;
	for (node = t->owners[peer].head[0]; node != NULL;
	     node = lnk(0, (void *)(uintptr_t)node)->next) {
		uint32_t v4;
		uint8_t be[4], cidr;

		rte_rib_get_ip(node, &v4);
		rte_rib_get_depth(node, &cidr);
		be[0] = (uint8_t)(v4 >> 24);
		be[1] = (uint8_t)(v4 >> 16);
		be[2] = (uint8_t)(v4 >> 8);
		be[3] = (uint8_t)v4;
		ret = cb(arg, WS_AF_INET, be, cidr);
		if (ret != 0)
			return ret;
	}
	for (node = t->owners[peer].head[1]; node != NULL;
	     node = lnk(1, (void *)(uintptr_t)node)->next) {
		uint8_t v6[16], cidr;

		rte_rib6_get_ip(node, v6);
		rte_rib6_get_depth(node, &cidr);
		ret = cb(arg, WS_AF_INET6, v6, cidr);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int count_one(void *arg, const struct prefix *p, uint64_t owner)
{
	RTE_SET_USED(p);
	RTE_SET_USED(owner);
	(*(uint32_t *)arg)++;
	return 0;
}

uint32_t ws_allowedips_count(const struct ws_allowedips *t, int family)
{
	uint32_t n = 0;

	if (family == WS_AF_INET)
		for_each_v4(t->rib4, count_one, &n);
	else if (family == WS_AF_INET6)
		for_each_v6(t->rib6, count_one, &n);
	return n;
}
