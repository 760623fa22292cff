/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Neighbor cache on rte_hash. Readers get the state and the MAC from the
 * hash's data word (state << 48 | MAC), which rte_hash publishes with one
 * atomic store, so a reader never sees a MAC of one state with another.
 * The writer keeps its timers in an array indexed by hash position, which
 * readers never touch except for the one-byte "used" mark next to it.
 *
 * Positions of deleted keys are reused only after the readers' grace
 * period (rte_hash's integrated QSBR defer queue), so a reader racing a
 * delete reads the old key's word or misses, never another key's MAC.
 */
#include <errno.h>
#include <string.h>

#include <netinet/icmp6.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "endpoint.h"
#include "ws_neigh.h"
#include "ws_net.h"

#define NSEC_PER_SEC 1000000000ULL

struct neigh_key {
	uint8_t family;
	uint8_t pad[3];                 /* zero: keys are compared as bytes */
	uint8_t addr[16];
};

struct neigh_meta {
	struct neigh_key key;
	uint8_t in_use;
	uint8_t state;
	uint8_t probes;                 /* sent in the current INCOMPLETE/PROBE round */
	struct rte_ether_addr mac;
	uint64_t deadline;              /* expiry, next probe, or end of FAILED hold */
};

struct ws_neigh {
	struct rte_hash *h;
	struct neigh_meta *meta;        /* by hash position; writer only */
	uint8_t *used;                  /* by hash position; set by readers */
	uint32_t slots;
	uint32_t capacity;
	uint32_t count;
	bool free_on_delete;            /* no QSBR: no concurrent readers */
	uint32_t max_probes;
	uint64_t reachable_ns;
	uint64_t probe_ns;
	uint64_t failed_hold_ns;
	/*
	 * No entry that the timers look at has its deadline before this, so
	 * ws_neigh_poll walks the slots only when one may be due; every
	 * deadline is set through set_deadline, which keeps it so.
	 */
	uint64_t next_due;
};

static void *pack(uint8_t state, const struct rte_ether_addr *mac)
{
	uint64_t w = (uint64_t)state << 48;

	for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return (void *)(uintptr_t)w;
}

static uint8_t unpack(const void *data, struct rte_ether_addr *mac)
{
	uint64_t w = (uint64_t)(uintptr_t)data;

	if (mac != NULL)
		for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; i++)
			mac->addr_bytes[i] = (uint8_t)(w >> (8 * i));
	return (uint8_t)(w >> 48);
}

static int make_key(struct neigh_key *key, uint8_t family, const void *addr)
{
	memset(key, 0, sizeof(*key));
	if (addr == NULL || (family != WS_AF_INET && family != WS_AF_INET6))
		return -EINVAL;
	key->family = family;
	memcpy(key->addr, addr, family == WS_AF_INET ? 4 : 16);
	return 0;
}

struct ws_neigh *ws_neigh_create(const struct ws_neigh_params *p)
{
	struct rte_hash_parameters hp = { 0 };
	struct ws_neigh *n;

	if (p == NULL || p->name == NULL || p->capacity == 0 || p->capacity > (1u << 24)) {
		rte_errno = EINVAL;
		return NULL;
	}
	n = rte_zmalloc_socket("ws_neigh", sizeof(*n), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (n == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/*
	 * A cuckoo table refuses inserts before it is full, and slots of
	 * deleted keys wait out the readers' grace period: twice the
	 * capacity is headroom for both.
	 */
	n->slots = rte_align32pow2(RTE_MAX(p->capacity * 2, 16u));
	n->capacity = p->capacity;
	n->reachable_ns = p->reachable_ns ? p->reachable_ns : 30 * NSEC_PER_SEC;
	n->probe_ns = p->probe_interval_ns ? p->probe_interval_ns : NSEC_PER_SEC;
	n->max_probes = p->max_probes ? p->max_probes : 3;
	n->failed_hold_ns = p->failed_hold_ns ? p->failed_hold_ns : 10 * NSEC_PER_SEC;
	n->next_due = UINT64_MAX;

	hp.name = p->name;
	hp.entries = n->slots;
	hp.key_len = sizeof(struct neigh_key);
	hp.socket_id = p->socket_id;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	n->h = rte_hash_create(&hp);
	if (n->h == NULL)
		goto err_hash;
	if (p->qsv != NULL) {
		/* Inserts finding no free slot reclaim up to 32 at once. */
		struct rte_hash_rcu_config rc = { .v = p->qsv, .mode = RTE_HASH_QSBR_MODE_DQ,
						  .max_reclaim_size = 32 };

		if (rte_hash_rcu_qsbr_add(n->h, &rc) != 0)
			goto err_tables;
	} else {
		n->free_on_delete = true;
	}
	n->meta = rte_zmalloc_socket("ws_neigh_meta", (size_t)n->slots * sizeof(*n->meta),
				     RTE_CACHE_LINE_SIZE, p->socket_id);
	n->used = rte_zmalloc_socket("ws_neigh_used", n->slots, RTE_CACHE_LINE_SIZE,
				     p->socket_id);
	if (n->meta == NULL || n->used == NULL) {
		rte_errno = ENOMEM;
		goto err_tables;
	}
	return n;

err_tables:
	rte_free(n->used);
	rte_free(n->meta);
	rte_hash_free(n->h);
err_hash:
	rte_free(n);
	return NULL;
}

void ws_neigh_free(struct ws_neigh *n)
{
	if (n == NULL)
		return;
	rte_hash_free(n->h);
	rte_free(n->used);
	rte_free(n->meta);
	rte_free(n);
}

enum ws_neigh_state ws_neigh_lookup(struct ws_neigh *n, uint8_t family, const void *addr,
				    struct rte_ether_addr *mac)
{
	struct neigh_key key;
	void *data;
	uint8_t state;
	int pos;

	if (make_key(&key, family, addr) < 0)
		return WS_NEIGH_NONE;
	pos = rte_hash_lookup_data(n->h, &key, &data);
	if (pos < 0)
		return WS_NEIGH_NONE;
	state = unpack(data, NULL);
	if (ws_neigh_usable(state)) {
		unpack(data, mac);
		/* Read before write: the line stays shared while the mark is set. */
		if (!__atomic_load_n(&n->used[pos], __ATOMIC_RELAXED))
			__atomic_store_n(&n->used[pos], 1, __ATOMIC_RELAXED);
	}
	return state;
}

/* Writer side. */

static int find(const struct ws_neigh *n, const struct neigh_key *key)
{
	return rte_hash_lookup(n->h, key);
}

static void publish(struct ws_neigh *n, struct neigh_meta *m, uint8_t state,
		    const struct rte_ether_addr *mac)
{
	static const struct rte_ether_addr zero;

	m->state = state;
	if (mac != &m->mac)
		rte_ether_addr_copy(mac != NULL ? mac : &zero, &m->mac);
	/* Updating an existing key replaces its data word atomically. */
	rte_hash_add_key_data(n->h, &m->key, pack(state, &m->mac));
}

static void note_due(struct ws_neigh *n, uint64_t deadline)
{
	if (deadline < n->next_due)
		n->next_due = deadline;
}

static void set_deadline(struct ws_neigh *n, struct neigh_meta *m, uint64_t deadline)
{
	m->deadline = deadline;
	note_due(n, deadline);
}

static int insert(struct ws_neigh *n, const struct neigh_key *key, uint8_t state,
		  const struct rte_ether_addr *mac, uint64_t deadline, uint8_t probes)
{
	static const struct rte_ether_addr zero;
	struct neigh_meta *m;
	int ret, pos;

	if (n->count >= n->capacity)
		return -ENOSPC;
	ret = rte_hash_add_key_data(n->h, key, pack(state, mac != NULL ? mac : &zero));
	if (ret < 0)
		return ret;
	pos = rte_hash_lookup(n->h, key);
	if (pos < 0 || (uint32_t)pos >= n->slots)
		return pos < 0 ? pos : -ERANGE;
	m = &n->meta[pos];
	m->key = *key;
	m->in_use = 1;
	m->state = state;
	rte_ether_addr_copy(mac != NULL ? mac : &zero, &m->mac);
	set_deadline(n, m, deadline);
	m->probes = probes;
	__atomic_store_n(&n->used[pos], 0, __ATOMIC_RELAXED);
	n->count++;
	return pos;
}

static void remove_at(struct ws_neigh *n, int pos)
{
	struct neigh_meta *m = &n->meta[pos];
	int ret = rte_hash_del_key(n->h, &m->key);

	if (ret >= 0 && n->free_on_delete)
		rte_hash_free_key_with_position(n->h, ret);
	m->in_use = 0;
	n->count--;
}

static void fail(struct ws_neigh *n, struct neigh_meta *m, uint64_t now)
{
	set_deadline(n, m, now + n->failed_hold_ns);
	m->probes = 0;
	publish(n, m, WS_NEIGH_FAILED, NULL);
}

static void fill_probe(struct ws_neigh_probe *pr, const struct neigh_meta *m, bool unicast)
{
	memset(pr, 0, sizeof(*pr));
	pr->family = m->key.family;
	pr->unicast = unicast;
	memcpy(pr->addr, m->key.addr, sizeof(pr->addr));
	if (unicast)
		rte_ether_addr_copy(&m->mac, &pr->mac);
}

int ws_neigh_set_static(struct ws_neigh *n, uint8_t family, const void *addr,
			const struct rte_ether_addr *mac)
{
	struct neigh_key key;
	int pos;

	if (n == NULL || mac == NULL || !rte_is_valid_assigned_ether_addr(mac) ||
	    make_key(&key, family, addr) < 0)
		return -EINVAL;
	pos = find(n, &key);
	if (pos < 0) {
		pos = insert(n, &key, WS_NEIGH_STATIC, mac, UINT64_MAX, 0);
		return pos < 0 ? pos : 0;
	}
	n->meta[pos].probes = 0;
	publish(n, &n->meta[pos], WS_NEIGH_STATIC, mac);
	return 0;
}

int ws_neigh_delete(struct ws_neigh *n, uint8_t family, const void *addr)
{
	struct neigh_key key;
	int pos;

	if (n == NULL || make_key(&key, family, addr) < 0)
		return -EINVAL;
	pos = find(n, &key);
	if (pos < 0)
		return -ENOENT;
	remove_at(n, pos);
	return 0;
}

/* mac NULL: re-confirm the MAC already known. */
static int learn(struct ws_neigh *n, const struct neigh_key *key,
		 const struct rte_ether_addr *mac, bool create, bool override, uint64_t now)
{
	struct neigh_meta *m;
	int pos;

	if (mac != NULL && !rte_is_valid_assigned_ether_addr(mac))
		return -EINVAL;
	pos = find(n, key);
	if (pos < 0) {
		if (!create || mac == NULL)
			return -ENOENT;
		pos = insert(n, key, WS_NEIGH_REACHABLE, mac, now + n->reachable_ns, 0);
		return pos < 0 ? pos : 0;
	}
	m = &n->meta[pos];
	if (m->state == WS_NEIGH_STATIC)
		return 0;
	if (mac == NULL) {
		if (!ws_neigh_usable(m->state))
			return -ENOENT;
		mac = &m->mac;
	} else if (!override && ws_neigh_usable(m->state) && !rte_is_same_ether_addr(mac, &m->mac)) {
		return 0;
	}
	set_deadline(n, m, now + n->reachable_ns);
	m->probes = 0;
	__atomic_store_n(&n->used[pos], 0, __ATOMIC_RELAXED);
	publish(n, m, WS_NEIGH_REACHABLE, mac);
	return 0;
}

int ws_neigh_learn(struct ws_neigh *n, uint8_t family, const void *addr,
		   const struct rte_ether_addr *mac, bool create, uint64_t now)
{
	struct neigh_key key;

	if (n == NULL || mac == NULL || make_key(&key, family, addr) < 0)
		return -EINVAL;
	return learn(n, &key, mac, create, true, now);
}

int ws_neigh_learn_pkt(struct ws_neigh *n, const struct ws_net_pkt *pkt, uint64_t now)
{
	static const uint8_t zero[16];
	const struct ws_net_nbr *nb;
	const struct rte_ether_addr *mac;
	struct neigh_key key;
	bool create = false, override = true;
	int ret;

	if (n == NULL || pkt == NULL)
		return -EINVAL;
	nb = &pkt->nbr;
	mac = (nb->flags & WS_NET_NBR_F_LLADDR) ? &nb->lladdr : NULL;
	switch (pkt->kind) {
	case WS_NET_KIND_ARP:
		/* RFC 5227 probes come from 0.0.0.0: nothing to learn. */
		if (memcmp(nb->addr, zero, 4) == 0 || mac == NULL)
			return 0;
		create = nb->op == RTE_ARP_OP_REQUEST && (nb->flags & WS_NET_NBR_F_FOR_US);
		make_key(&key, WS_AF_INET, nb->addr);
		break;
	case WS_NET_KIND_ND:
		if (memcmp(nb->addr, zero, 16) == 0)
			return 0;
		if (nb->op == ND_NEIGHBOR_ADVERT) {
			override = (nb->flags & WS_NET_NBR_F_OVERRIDE) != 0;
			if (mac == NULL && !(nb->flags & WS_NET_NBR_F_SOLICITED))
				return 0;
		} else {
			if (mac == NULL)
				return 0;
			create = nb->op == ND_NEIGHBOR_SOLICIT && (nb->flags & WS_NET_NBR_F_FOR_US);
		}
		make_key(&key, WS_AF_INET6, nb->addr);
		break;
	default:
		return -EINVAL;
	}
	ret = learn(n, &key, mac, create, override, now);
	return ret == -ENOENT ? 0 : ret;
}

int ws_neigh_resolve(struct ws_neigh *n, uint8_t family, const void *addr, uint64_t now,
		     struct ws_neigh_probe *probe)
{
	struct neigh_key key;
	struct neigh_meta *m;
	int pos;

	if (n == NULL || probe == NULL || make_key(&key, family, addr) < 0)
		return -EINVAL;
	pos = find(n, &key);
	if (pos < 0) {
		pos = insert(n, &key, WS_NEIGH_INCOMPLETE, NULL, now + n->probe_ns, 1);
		if (pos < 0)
			return pos;
		fill_probe(probe, &n->meta[pos], false);
		return WS_NEIGH_SEND_PROBE;
	}
	m = &n->meta[pos];
	switch (m->state) {
	case WS_NEIGH_INCOMPLETE:
		if (now < m->deadline)
			return WS_NEIGH_WAIT;
		if (m->probes >= n->max_probes) {
			fail(n, m, now);
			return WS_NEIGH_UNREACHABLE;
		}
		m->probes++;
		set_deadline(n, m, now + n->probe_ns);
		fill_probe(probe, m, false);
		return WS_NEIGH_SEND_PROBE;
	case WS_NEIGH_FAILED:
		if (now < m->deadline)
			return WS_NEIGH_UNREACHABLE;
		m->probes = 1;
		set_deadline(n, m, now + n->probe_ns);
		publish(n, m, WS_NEIGH_INCOMPLETE, NULL);
		fill_probe(probe, m, false);
		return WS_NEIGH_SEND_PROBE;
	default:
		return WS_NEIGH_READY;
	}
}

/* An entry whose deadline passed; returns 1 when it wrote a probe to *out. */
static unsigned expire(struct ws_neigh *n, uint32_t pos, uint64_t now,
		       struct ws_neigh_probe *out)
{
	struct neigh_meta *m = &n->meta[pos];

	switch (m->state) {
	case WS_NEIGH_REACHABLE:
		if (!__atomic_load_n(&n->used[pos], __ATOMIC_RELAXED)) {
			remove_at(n, (int)pos);
			return 0;
		}
		if (out == NULL)
			return 0;
		m->probes = 1;
		set_deadline(n, m, now + n->probe_ns);
		publish(n, m, WS_NEIGH_PROBE, &m->mac);
		fill_probe(out, m, true);
		return 1;
	case WS_NEIGH_PROBE:
	case WS_NEIGH_INCOMPLETE:
		if (m->probes >= n->max_probes) {
			fail(n, m, now);
			return 0;
		}
		if (out == NULL)
			return 0;
		m->probes++;
		set_deadline(n, m, now + n->probe_ns);
		fill_probe(out, m, m->state == WS_NEIGH_PROBE);
		return 1;
	case WS_NEIGH_FAILED:
		remove_at(n, (int)pos);
		return 0;
	default:
		return 0;
	}
}

unsigned ws_neigh_poll(struct ws_neigh *n, uint64_t now, struct ws_neigh_probe *out,
		       unsigned max)
{
	unsigned k = 0;

	if (n == NULL || (out == NULL && max != 0) || now < n->next_due)
		return 0;
	/* The walk finds the least deadline left, an entry still due included. */
	n->next_due = UINT64_MAX;
	for (uint32_t pos = 0; pos < n->slots; pos++) {
		struct neigh_meta *m = &n->meta[pos];

		if (!m->in_use || m->state == WS_NEIGH_STATIC)
			continue;
		if (now >= m->deadline)
			k += expire(n, pos, now, k < max ? &out[k] : NULL);
		if (m->in_use)
			note_due(n, m->deadline);
	}
	return k;
}

unsigned ws_neigh_count(const struct ws_neigh *n)
{
	return n != NULL ? n->count : 0;
}

uint64_t ws_neigh_next_due(const struct ws_neigh *n)
{
	return n != NULL ? n->next_due : UINT64_MAX;
}
