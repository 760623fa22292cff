/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Peer table: an rte_hash from public key to its position, which is the
 * peer id, and an array from id to object. A peer exists for readers
 * exactly while its array slot is non-NULL: the slot is filled after the
 * key is added and cleared before the key is removed, so a reader that
 * finds the key but an empty slot is looking at a peer being added or
 * removed, and reports it absent.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_debug.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "peer.h"
#include "ws_crypto.h"

enum {
	/* rte_hash refuses tables smaller than one bucket of 8 entries. */
	MIN_CAPACITY = 8,
	/*
	 * rte_hash and its RCU defer queue derive ring names from ours
	 * ("RCU_DQ_HASH_RCU_<name>" in a 29-byte ring name): 12 characters
	 * survive, so a table's own name must be unique within them.
	 */
	HASH_NAME_LEN = 12 + 1,
};

struct ws_peer_table {
	struct rte_hash *hash;          /* public key -> position == peer id */
	struct rte_rcu_qsbr *qsbr;
	void **objs;                    /* by id; NULL when the id is free */
	uint32_t capacity;
	uint32_t count;                 /* stored by the writer, loaded by anyone */
};

/* Makes every table's rte_hash name unique whatever names callers pick. */
static uint32_t table_seq;

struct ws_peer_table *ws_peer_table_create(const char *name, uint32_t capacity,
					   int socket_id, struct rte_rcu_qsbr *qsbr)
{
	char hash_name[HASH_NAME_LEN];
	struct ws_peer_table *t;
	int err = ENOMEM;

	if (name == NULL || capacity < MIN_CAPACITY || capacity > RTE_HASH_ENTRIES_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("ws_peer_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL)
		goto err;
	t->objs = rte_zmalloc_socket("ws_peer_objs", sizeof(*t->objs) * capacity,
				     RTE_CACHE_LINE_SIZE, socket_id);
	if (t->objs == NULL)
		goto err_table;
	snprintf(hash_name, sizeof(hash_name), "p%u_%s",
		 __atomic_fetch_add(&table_seq, 1, __ATOMIC_RELAXED), name);
	/*
	 * Positions run 0..entries-1 and EXT_TABLE makes all of them usable
	 * however the cuckoo buckets fill, so ids are dense and exactly
	 * capacity peers fit.
	 */
	struct rte_hash_parameters params = {
		.name = hash_name,
		.entries = capacity,
		.key_len = WS_KEY_LEN,
		.hash_func_init_val = ws_random_u32(),
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->hash = rte_hash_create(&params);
	if (t->hash == NULL) {
		err = rte_errno;
		goto err_objs;
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
	t->capacity = capacity;
	return t;

err_hash:
	rte_hash_free(t->hash);
err_objs:
	rte_free(t->objs);
err_table:
	rte_free(t);
err:
	rte_errno = err;
	return NULL;
}

void ws_peer_table_free(struct ws_peer_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->objs);
	rte_free(t);
}

int ws_peer_table_add(struct ws_peer_table *t, const uint8_t pubkey[WS_KEY_LEN],
		      void *obj, uint32_t *id_out)
{
	int32_t pos;

	if (obj == NULL)
		return -EINVAL;
	/* Adding a present key would succeed and return its old position. */
	if (rte_hash_lookup(t->hash, pubkey) >= 0)
		return -EEXIST;
	pos = rte_hash_add_key(t->hash, pubkey);
	if (pos < 0)
		return pos;
	RTE_ASSERT((uint32_t)pos < t->capacity);
	__atomic_store_n(&t->objs[pos], obj, __ATOMIC_RELEASE);
	__atomic_store_n(&t->count, t->count + 1, __ATOMIC_RELAXED);
	if (id_out != NULL)
		*id_out = (uint32_t)pos;
	return 0;
}

int ws_peer_table_remove(struct ws_peer_table *t, const uint8_t pubkey[WS_KEY_LEN])
{
	int32_t pos = rte_hash_lookup(t->hash, pubkey);

	if (pos < 0)
		return -ENOENT;
	__atomic_store_n(&t->objs[pos], NULL, __ATOMIC_RELEASE);
	rte_hash_del_key(t->hash, pubkey);
	/*
	 * With RCU attached, rte_hash queued the position for reuse after a
	 * grace period. Without it, lock-free mode leaves the position to
	 * us: nobody else reads the table, so it is free at once.
	 */
	if (t->qsbr == NULL)
		rte_hash_free_key_with_position(t->hash, pos);
	__atomic_store_n(&t->count, t->count - 1, __ATOMIC_RELAXED);
	return 0;
}

void *ws_peer_table_lookup(const struct ws_peer_table *t,
			   const uint8_t pubkey[WS_KEY_LEN], uint32_t *id_out)
{
	int32_t pos = rte_hash_lookup(t->hash, pubkey);
	void *obj;

	if (pos < 0)
		return NULL;
	/* The position cannot be reused before our next quiescent state. */
	obj = __atomic_load_n(&t->objs[pos], __ATOMIC_ACQUIRE);
	if (obj != NULL && id_out != NULL)
		*id_out = (uint32_t)pos;
	return obj;
}

void *ws_peer_table_get(const struct ws_peer_table *t, uint32_t id)
{
	if (id >= t->capacity)
		return NULL;
	return __atomic_load_n(&t->objs[id], __ATOMIC_ACQUIRE);
}

uint32_t ws_peer_table_count(const struct ws_peer_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}

uint32_t ws_peer_table_capacity(const struct ws_peer_table *t)
{
	return t->capacity;
}

int ws_peer_table_walk(const struct ws_peer_table *t,
		       int (*cb)(void *arg, uint32_t id, void *obj), void *arg)
{
	for (uint32_t id = 0; id < t->capacity; id++) {
		void *obj = __atomic_load_n(&t->objs[id], __ATOMIC_ACQUIRE);
		int ret;

		if (obj == NULL)
			continue;
		ret = cb(arg, id, obj);
		if (ret != 0)
			return ret;
	}
	return 0;
}
