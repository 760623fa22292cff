/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Token buckets measured in nanoseconds of credit: a bucket refills by the
 * time elapsed since it was last touched, one initiation costs a
 * 1/WS_INITIATIONS_PER_SECOND share of a second, and the burst is the
 * ceiling of the bucket rather than part of the rate. A new source starts
 * with a full bucket less the initiation it is sending.
 *
 * The table is an rte_hash; a source's bucket lives in a preallocated array
 * at the position rte_hash gives its key, so nothing is allocated after
 * create.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "messages.h"
#include "ratelimiter.h"

#define PACKET_COST (WS_NSEC_PER_SEC / WS_INITIATIONS_PER_SECOND)
#define TOKEN_MAX (PACKET_COST * WS_INITIATIONS_BURSTABLE)
/* Idle this long, a bucket is full again: forgetting it changes nothing. */
#define IDLE_EXPIRY_NS WS_NSEC_PER_SEC
/* A full table collects itself at most this often, so a flood of new
 * sources cannot make every lookup a scan of the table. */
#define GC_MIN_INTERVAL_NS WS_NSEC_PER_SEC

/* rte_hash refuses fewer entries than one of its buckets holds. */
#define MIN_CAPACITY 8

_Static_assert(WS_NSEC_PER_SEC % WS_INITIATIONS_PER_SECOND == 0,
	       "a token must be a whole number of nanoseconds");

/* 16 bytes, so that rte_hash compares keys with a vector compare. */
struct rl_key {
	uint8_t prefix[8];      /* IPv4 address, or the /64 of an IPv6 one */
	uint32_t family;
	uint32_t zero;
};

struct rl_entry {
	uint64_t last_ns;       /* last time the bucket was touched */
	uint64_t tokens;        /* credit in ns, at most TOKEN_MAX */
	struct rl_key key;      /* to delete the entry from the table */
	bool live;
};

struct ws_ratelimiter {
	struct rte_hash *table;
	struct rl_entry *entries;       /* indexed by rte_hash position */
	uint32_t capacity;
	uint32_t count;
	bool collected;                 /* last_gc_ns is meaningful */
	uint64_t last_gc_ns;
	struct ws_ratelimiter_stats stats;
};

/*
 * Sources are chosen by whoever sends the packets, so buckets are picked
 * with a keyed PRF (SipHash-2-4) they cannot aim at. rte_hash hands its
 * hash function no context, so the key is one per process.
 */
static uint8_t siphash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t siphash_key_once = PTHREAD_ONCE_INIT;
static bool siphash_key_ready;

static void siphash_key_init(void)
{
	if (sodium_init() < 0)
		return;
	randombytes_buf(siphash_key, sizeof(siphash_key));
	siphash_key_ready = true;
}

static uint32_t rl_hash(const void *key, uint32_t key_len, uint32_t init_val)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, key, key_len, siphash_key);
	memcpy(&h, out, sizeof(h));
	return h ^ init_val;
}

static bool rl_key_of(struct rl_key *key, const struct ws_endpoint *src)
{
	memset(key, 0, sizeof(*key));
	key->family = src->family;
	switch (src->family) {
	case WS_AF_INET:
		memcpy(key->prefix, src->addr, 4);
		return true;
	case WS_AF_INET6:
		memcpy(key->prefix, src->addr, 8);
		return true;
	default:
		return false;
	}
}

struct ws_ratelimiter *ws_ratelimiter_create(const char *name, uint32_t capacity,
					     int socket_id)
{
	struct rte_hash_parameters params = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct rl_key),
		.hash_func = rl_hash,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct ws_ratelimiter *rl;

	if (name == NULL || capacity < MIN_CAPACITY ||
	    capacity > RTE_HASH_ENTRIES_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	pthread_once(&siphash_key_once, siphash_key_init);
	if (!siphash_key_ready) {
		rte_errno = EIO;
		return NULL;
	}

	rl = rte_zmalloc_socket("ws_ratelimiter", sizeof(*rl), RTE_CACHE_LINE_SIZE,
				socket_id);
	if (rl == NULL)
		goto err_nomem;
	rl->capacity = capacity;
	rl->entries = rte_zmalloc_socket("ws_ratelimiter_entries",
					 (size_t)capacity * sizeof(rl->entries[0]),
					 RTE_CACHE_LINE_SIZE, socket_id);
	if (rl->entries == NULL)
		goto err_entries;

	/*
	 * Extendable buckets: without them cuckoo insertion may fail before
	 * the table holds capacity keys, and the bound would be fuzzy.
	 * Without a per-lcore cache, positions stay in [0, capacity).
	 */
	rl->table = rte_hash_create(&params);
	if (rl->table == NULL)
		goto err_table;
	if (rte_hash_max_key_id(rl->table) != (int32_t)capacity) {
		rte_errno = EINVAL;
		goto err_positions;
	}
	return rl;

err_positions:
	rte_hash_free(rl->table);
err_table:
	/* rte_hash_create set rte_errno; rte_free leaves it alone. */
	rte_free(rl->entries);
	rte_free(rl);
	return NULL;
err_entries:
	rte_free(rl);
err_nomem:
	rte_errno = ENOMEM;
	return NULL;
}

void ws_ratelimiter_free(struct ws_ratelimiter *rl)
{
	if (rl == NULL)
		return;
	rte_hash_free(rl->table);
	rte_free(rl->entries);
	rte_free(rl);
}

void ws_ratelimiter_gc(struct ws_ratelimiter *rl, uint64_t now)
{
	rl->collected = true;
	rl->last_gc_ns = now;
	for (uint32_t i = 0; i < rl->capacity && rl->count > 0; i++) {
		struct rl_entry *e = &rl->entries[i];

		if (!e->live || now <= e->last_ns || now - e->last_ns <= IDLE_EXPIRY_NS)
			continue;
		rte_hash_del_key(rl->table, &e->key);
		e->live = false;
		rl->count--;
	}
}

/* Room for a new source, collecting idle ones if the table is full. */
static int32_t rl_insert(struct ws_ratelimiter *rl, const struct rl_key *key, uint64_t now)
{
	int32_t pos;

	if (rl->count >= rl->capacity &&
	    (!rl->collected || now < rl->last_gc_ns ||
	     now - rl->last_gc_ns >= GC_MIN_INTERVAL_NS))
		ws_ratelimiter_gc(rl, now);
	if (rl->count >= rl->capacity)
		return -ENOSPC;
	pos = rte_hash_add_key(rl->table, key);
	if (pos < 0)
		return pos;
	if ((uint32_t)pos >= rl->capacity) {
		rte_hash_del_key(rl->table, key);
		return -ENOSPC;
	}
	rl->count++;
	return pos;
}

bool ws_ratelimiter_allow(struct ws_ratelimiter *rl, const struct ws_endpoint *src,
			  uint64_t now)
{
	struct rl_entry *e;
	struct rl_key key;
	uint64_t elapsed, tokens;
	int32_t pos;

	if (!rl_key_of(&key, src))
		return false;

	pos = rte_hash_lookup(rl->table, &key);
	if (pos < 0) {
		pos = rl_insert(rl, &key, now);
		if (pos < 0) {
			rl->stats.table_full++;
			return false;
		}
		e = &rl->entries[pos];
		e->key = key;
		e->live = true;
		e->last_ns = now;
		e->tokens = TOKEN_MAX - PACKET_COST;
		rl->stats.allowed++;
		return true;
	}

	e = &rl->entries[pos];
	/* A clock read on another lcore may lag a little: never refill
	 * backwards, never move last_ns back. */
	elapsed = now > e->last_ns ? now - e->last_ns : 0;
	tokens = elapsed >= TOKEN_MAX - e->tokens ? TOKEN_MAX : e->tokens + elapsed;
	if (now > e->last_ns)
		e->last_ns = now;
	if (tokens < PACKET_COST) {
		e->tokens = tokens;
		rl->stats.limited++;
		return false;
	}
	e->tokens = tokens - PACKET_COST;
	rl->stats.allowed++;
	return true;
}

uint32_t ws_ratelimiter_count(const struct ws_ratelimiter *rl)
{
	return rl->count;
}

void ws_ratelimiter_stats(const struct ws_ratelimiter *rl, struct ws_ratelimiter_stats *st)
{
	*st = rl->stats;
}
