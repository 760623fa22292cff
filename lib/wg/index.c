/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index table on rte_hash. Each entry's data is the object
 * pointer with the entry kind in its two low bits, so that one atomic
 * pointer store (rte_hash's update of an existing key) switches kind and
 * object together and a reader never sees one without the other.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "index.h"
#include "ws_crypto.h"

enum {
	KIND_MASK = 3,
	/* rte_hash refuses tables smaller than one bucket of 8 entries. */
	MIN_CAPACITY = 8,
	/*
	 * The table holds at most 2^30 of the 2^32 indices, so a random
	 * index is free with probability >= 3/4 and 32 draws all collide
	 * with probability <= 2^-64: running out means a broken generator.
	 */
	INSERT_TRIES = 32,
	/*
	 * rte_hash and its RCU defer queue derive ring names from ours
	 * ("RCU_DQ_HASH_RCU_<name>" in a 29-byte ring name): 12 characters
	 * survive, so a table's own name must be unique within them.
	 */
	HASH_NAME_LEN = 12 + 1,
};

struct ws_index_table {
	struct rte_hash *hash;
	struct rte_rcu_qsbr *qsbr;
	uint32_t count;                 /* stored by the writer, loaded by anyone */
};

/* Makes every table's rte_hash name unique whatever names callers pick. */
static uint32_t table_seq;

static bool kind_valid(enum ws_index_kind kind)
{
	return kind == WS_INDEX_HANDSHAKE || kind == WS_INDEX_KEYPAIR;
}

static void *entry_pack(void *obj, enum ws_index_kind kind)
{
	return (void *)((uintptr_t)obj | (uintptr_t)kind);
}

static void *entry_obj(const void *entry, enum ws_index_kind kind)
{
	uintptr_t v = (uintptr_t)entry;

	if ((v & KIND_MASK) != (uintptr_t)kind)
		return NULL;
	return (void *)(v & ~(uintptr_t)KIND_MASK);
}

static bool obj_valid(const void *obj)
{
	return obj != NULL && ((uintptr_t)obj & KIND_MASK) == 0;
}

static void count_add(struct ws_index_table *t, int32_t delta)
{
	__atomic_store_n(&t->count, t->count + (uint32_t)delta, __ATOMIC_RELAXED);
}

struct ws_index_table *ws_index_create(const char *name, uint32_t capacity,
				       int socket_id, struct rte_rcu_qsbr *qsbr)
{
	char hash_name[HASH_NAME_LEN];
	struct ws_index_table *t;
	int err;

	if (name == NULL || capacity < MIN_CAPACITY || capacity > RTE_HASH_ENTRIES_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("ws_index", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(hash_name, sizeof(hash_name), "i%u_%s",
		 __atomic_fetch_add(&table_seq, 1, __ATOMIC_RELAXED), name);
	/*
	 * EXT_TABLE: extendable buckets, so exactly capacity keys fit however
	 * the cuckoo buckets fill. The default hash (CRC32 on x86) gets a
	 * random seed: peers choose the indices we look up.
	 */
	struct rte_hash_parameters params = {
		.name = hash_name,
		.entries = capacity,
		.key_len = sizeof(uint32_t),
		.hash_func_init_val = ws_random_u32(),
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->hash = rte_hash_create(&params);
	if (t->hash == NULL) {
		err = rte_errno;
		goto err_table;
	}
	if (qsbr != NULL) {
		struct rte_hash_rcu_config rcu = {
			.v = qsbr,
			.mode = RTE_HASH_QSBR_MODE_DQ,
		};
		if (rte_hash_rcu_qsbr_add(t->hash, &rcu) != 0) {
			err = rte_errno;
			goto err_hash;
		}
	}
	t->qsbr = qsbr;
	return t;

err_hash:
	rte_hash_free(t->hash);
err_table:
	rte_free(t);
	rte_errno = err;
	return NULL;
}

void ws_index_free(struct ws_index_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t);
}

int ws_index_insert(struct ws_index_table *t, enum ws_index_kind kind, void *obj,
		    uint32_t *index_out)
{
	if (!kind_valid(kind) || !obj_valid(obj) || index_out == NULL)
		return -EINVAL;
	for (unsigned tries = 0; tries < INSERT_TRIES; tries++) {
		uint32_t index = ws_random_public_u32();

		/* Adding an existing key would overwrite it: draw again. */
		if (rte_hash_lookup(t->hash, &index) >= 0)
			continue;
		int ret = rte_hash_add_key_data(t->hash, &index, entry_pack(obj, kind));
		if (ret < 0)
			return ret;
		count_add(t, 1);
		*index_out = index;
		return 0;
	}
	return -EAGAIN;
}

int ws_index_replace(struct ws_index_table *t, uint32_t index, enum ws_index_kind kind,
		     void *obj)
{
	if (!kind_valid(kind) || !obj_valid(obj))
		return -EINVAL;
	if (rte_hash_lookup(t->hash, &index) < 0)
		return -ENOENT;
	/* On a present key rte_hash only swaps the data, with a release store. */
	int ret = rte_hash_add_key_data(t->hash, &index, entry_pack(obj, kind));
	return ret < 0 ? ret : 0;
}

int ws_index_remove(struct ws_index_table *t, uint32_t index)
{
	int32_t pos = rte_hash_del_key(t->hash, &index);

	if (pos < 0)
		return pos;
	/*
	 * With RCU attached, rte_hash queued the slot for reuse after a grace
	 * period. Without it, lock-free mode leaves the slot to us: nobody
	 * else reads the table, so it is free at once.
	 */
	if (t->qsbr == NULL)
		rte_hash_free_key_with_position(t->hash, pos);
	count_add(t, -1);
	return 0;
}

void *ws_index_lookup(const struct ws_index_table *t, uint32_t index,
		      enum ws_index_kind kind)
{
	void *entry;

	if (rte_hash_lookup_data(t->hash, &index, &entry) < 0)
		return NULL;
	return entry_obj(entry, kind);
}

unsigned ws_index_lookup_bulk(const struct ws_index_table *t, const uint32_t *indices,
			      unsigned n, enum ws_index_kind kind, void **objs)
{
	const void *keys[RTE_HASH_LOOKUP_BULK_MAX];
	void *entries[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned found = 0;

	for (unsigned done = 0; done < n;) {
		unsigned burst = RTE_MIN(n - done, (unsigned)RTE_HASH_LOOKUP_BULK_MAX);
		uint64_t hits = 0;

		for (unsigned i = 0; i < burst; i++)
			keys[i] = &indices[done + i];
		if (rte_hash_lookup_bulk_data(t->hash, keys, burst, &hits, entries) < 0)
			hits = 0;
		for (unsigned i = 0; i < burst; i++) {
			void *obj = NULL;

			if (hits & (UINT64_C(1) << i))
				obj = entry_obj(entries[i], kind);
			objs[done + i] = obj;
			found += obj != NULL;
		}
		done += burst;
	}
	return found;
}

uint32_t ws_index_count(const struct ws_index_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}
