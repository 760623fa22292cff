/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The peer table: a peer's static public key maps to a dense peer id in
 * 0..capacity-1, and the id to the caller's peer object. The id is what
 * the allowed-ips table stores as next hop and what per-lcore stats
 * arrays are indexed by. Public keys are public: compared in variable time.
 *
 * Concurrency contract (an rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF
 * beside an id -> object array):
 *  - Readers (lookup, get, count, walk) take no lock, on any thread.
 *  - Writers (add, remove, free) must be serialized by the caller: one
 *    thread at a time, normally the management thread.
 *  - Id reuse: when the table is created with a QSBR variable it is
 *    attached with rte_hash_rcu_qsbr_add (defer-queue mode), and a removed
 *    peer's id is given out again only after every reader registered on
 *    it has reported a quiescent state. So a reader that obtained an id
 *    (here, or from allowed-ips) sees, until its next quiescent state,
 *    that peer's object or NULL, never another peer's. That holds only
 *    if the allowed-ips routes to the id are gone before ws_peer_table_remove.
 *    Without a QSBR variable ids are reused at once: only for tables no
 *    other thread reads while they are written.
 *  - Ids are handed out first-in first-out, not lowest-first: a freed id
 *    waits behind the other free ids. Per-id state (stats) must be reset
 *    by whoever adds a peer.
 *  - What the caller wrote into an object before adding it is visible to
 *    every reader that finds it.
 *  - Objects belong to the caller. After ws_peer_table_remove a reader may
 *    still hold the object until its next quiescent state: free it through
 *    the same QSBR variable (rte_rcu_qsbr_synchronize or an rte_rcu_qsbr_dq).
 *  - ws_peer_table_free only when no reader uses the table any more and
 *    all registered readers are offline or unregistered.
 */
#ifndef WS_PEER_H
#define WS_PEER_H

#include <stdint.h>

#include "ws_crypto.h"

struct rte_rcu_qsbr;
struct ws_peer_table;

/*
 * capacity: at least 8 (rte_hash's bucket size), at most 2^30; exactly
 * capacity peers fit, with ids 0..capacity-1. qsbr may be NULL (see
 * above). NULL and rte_errno on failure (EINVAL, ENOMEM, or rte_hash's).
 */
struct ws_peer_table *ws_peer_table_create(const char *name, uint32_t capacity,
					   int socket_id, struct rte_rcu_qsbr *qsbr);
void ws_peer_table_free(struct ws_peer_table *t);

/*
 * Add a peer; obj must be non-NULL. id_out (may be NULL) gets its id.
 * 0, -EINVAL, -EEXIST if the key is present, -ENOSPC when every id is
 * taken or awaits its grace period.
 */
int ws_peer_table_add(struct ws_peer_table *t, const uint8_t pubkey[WS_KEY_LEN],
		      void *obj, uint32_t *id_out);

/* 0 or -ENOENT. */
int ws_peer_table_remove(struct ws_peer_table *t, const uint8_t pubkey[WS_KEY_LEN]);

/* The peer object, or NULL if absent. id_out (may be NULL) gets its id. */
void *ws_peer_table_lookup(const struct ws_peer_table *t,
			   const uint8_t pubkey[WS_KEY_LEN], uint32_t *id_out);

/* The object with this id, or NULL if the id is free or out of range. */
void *ws_peer_table_get(const struct ws_peer_table *t, uint32_t id);

uint32_t ws_peer_table_count(const struct ws_peer_table *t);
uint32_t ws_peer_table_capacity(const struct ws_peer_table *t);

/*
 * Call cb for every peer in increasing id order; stops at and returns the
 * first non-zero value cb returns, else 0. cb may remove the peer it is
 * given (on the writer thread). O(capacity).
 */
int ws_peer_table_walk(const struct ws_peer_table *t,
		       int (*cb)(void *arg, uint32_t id, void *obj), void *arg);

#endif /* WS_PEER_H */
