/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The receiver-index table: the random 32-bit index a peer puts in the
 * receiver_index field of messages 2, 3 and 4 maps back to our handshake
 * or keypair. Every data packet is looked up here, in bursts.
 *
 * Keys are the host-order uint32_t value. On the wire an index is
 * little-endian: convert with rte_le_to_cpu_32() when reading a header and
 * rte_cpu_to_le_32() when writing one (both free on x86).
 *
 * An index names its table slot through a keyed bijection (index.c):
 * a lookup is one array access, and indices still look uniformly random
 * on the wire.
 *
 * Concurrency contract:
 *  - Readers (ws_index_lookup, ws_index_lookup_bulk, ws_index_count) take
 *    no lock and may run on any number of threads.
 *  - Writers (insert, replace, remove, free) must be serialized by the
 *    caller: one thread at a time, normally the control lcore.
 *  - Slot reuse: when the table is created with a QSBR variable, a
 *    removed entry's slot goes through an RCU defer queue and is reused
 *    only after every reader registered on that variable has reported a
 *    quiescent state. Readers must be registered, online while they look
 *    up, and report quiescent states between bursts; a reader that never
 *    reports makes removed slots stay taken (and inserts fail with
 *    -ENOSPC once all slots are taken).
 *    Without a QSBR variable, slots are reused at once, which is only safe
 *    when no other thread reads the table while it is written.
 *  - What the caller wrote into an object before inserting it (or
 *    replacing to it) is visible to every reader that finds it.
 *  - Objects belong to the caller. After ws_index_remove or
 *    ws_index_replace, a reader may still hold the old object until its
 *    next quiescent state: free it through the same QSBR variable
 *    (rte_rcu_qsbr_synchronize, or an rte_rcu_qsbr_dq).
 *  - ws_index_free only when no reader uses the table any more and all
 *    registered readers are offline or unregistered.
 */
#ifndef WS_INDEX_H
#define WS_INDEX_H

#include <stdint.h>

struct rte_rcu_qsbr;
struct ws_index_table;

enum ws_index_kind {
	WS_INDEX_HANDSHAKE = 1,
	WS_INDEX_KEYPAIR = 2,
};

/*
 * capacity: at least 8, at most 2^30; exactly capacity entries fit. qsbr
 * may be NULL (see above). NULL and rte_errno on failure (EINVAL, ENOMEM,
 * or the error of rte_ring / the RCU defer queue).
 */
struct ws_index_table *ws_index_create(const char *name, uint32_t capacity,
				       int socket_id, struct rte_rcu_qsbr *qsbr);
void ws_index_free(struct ws_index_table *t);

/*
 * Store obj under a fresh random index that is not in use. obj must be
 * non-NULL and 4-byte aligned (the kind lives in its low bits).
 * 0, -EINVAL, or -ENOSPC when every slot is taken or awaits its grace period.
 */
int ws_index_insert(struct ws_index_table *t, enum ws_index_kind kind, void *obj,
		    uint32_t *index_out);

/*
 * Point an existing index at another object, possibly of another kind
 * (a handshake becomes a keypair under the same index, as in the kernel).
 * Readers see the old entry or the new one, never a mix. 0, -EINVAL, -ENOENT.
 */
int ws_index_replace(struct ws_index_table *t, uint32_t index, enum ws_index_kind kind,
		     void *obj);

/* 0 or -ENOENT. */
int ws_index_remove(struct ws_index_table *t, uint32_t index);

/* The object under index, or NULL if absent or of another kind. */
void *ws_index_lookup(const struct ws_index_table *t, uint32_t index,
		      enum ws_index_kind kind);

/*
 * ws_index_lookup for n indices (any n; looked up 64 at a time): objs[i]
 * gets the object or NULL. Returns the number of non-NULL objs.
 */
unsigned ws_index_lookup_bulk(const struct ws_index_table *t, const uint32_t *indices,
			      unsigned n, enum ws_index_kind kind, void **objs);

/* Entries present (removed ones awaiting their grace period not counted). */
uint32_t ws_index_count(const struct ws_index_table *t);

/*
 * How far into the table entries have reached: one past the highest slot
 * ever handed out. Free slots go out lowest first and come back last in,
 * first out, so this stays near the most entries ever live at once, and
 * data-packet lookups touch that much of the table, not all of it.
 */
uint32_t ws_index_span(const struct ws_index_table *t);

#endif /* WS_INDEX_H */
