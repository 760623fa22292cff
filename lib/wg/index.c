/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index table as a slot array. An index names its slot: the
 * slot number and random bits, passed through a keyed bijection of the
 * 32-bit space, so a lookup is one array access and one compare, with no
 * hash and no probing. Every data packet pays for that lookup.
 *
 *   slot_of(index)  = mix(mix(index ^ k0) ^ k1) & mask
 *   index(slot, r)  = unmix(unmix(r << bits | slot) ^ k1) ^ k0
 *
 * mix is a bijection (xor-shifts and odd multipliers), so distinct
 * (slot, r) give distinct indices and no two live entries can collide.
 *
 * Free slots are handed out lowest first and taken back last in, first
 * out (an rte_stack), so the live entries stay packed at the start of
 * the table: 100,000 sessions touch ~1.6 MB of slots, not a random line
 * in each of 100,000 places over the whole table, which a data packet
 * would miss in cache. The slot order is therefore predictable; the
 * keys (64 secret bits) and a fresh r per insert keep it off the wire:
 * indices look uniformly random, and recovering the slots behind them
 * means searching both keys, so the wire gives away neither how many
 * sessions there are nor which slot is next. The bijection only hides
 * the layout; nothing else depends on it.
 *
 * A slot holds the index it was given and the object pointer with the
 * entry kind in its two low bits, so that one release store switches
 * kind and object together (replace) and a reader never sees one
 * without the other. The writer stores the index before the pointer;
 * the reader loads the pointer (acquire) before the index.
 *
 * A removed slot goes through DPDK's RCU defer queue when the table has
 * a QSBR variable: it is reused only after every reader's quiescent
 * state, so a reader holding the old pointer never meets the slot's
 * next index.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_stack.h>

#include "index.h"
#include "ws_crypto.h"

enum {
	KIND_MASK = 3,
	MIN_CAPACITY = 8,
	MAX_CAPACITY = 1u << 30,
	/* Removed slots the defer queue gathers before it reclaims some. */
	DQ_RECLAIM_AT = 32,
	/* Stack and defer-queue names ("RCU_DQ_" + ours) must fit 32 bytes. */
	NAME_LEN = 20,
	/* Look-ups per prefetch pass in ws_index_lookup_bulk. */
	BULK = 64,
};

/* fmix32 from MurmurHash3: each step is invertible. */
static const uint32_t MIX_M1 = 0x85ebca6bu, MIX_M2 = 0xc2b2ae35u;

struct slot {
	uintptr_t entry;                /* object | kind; 0 when free */
	uint32_t index;                 /* the index this slot was last given */
	uint32_t pad;
};

struct ws_index_table {
	/* Read by every lookup. */
	struct slot *slots;
	uint32_t mask;                  /* slots - 1 (a power of two) */
	uint32_t key[2];
	uint8_t bits;                   /* log2(slots) */

	/* The writer's. */
	struct rte_stack *free __rte_cache_aligned;     /* free slot numbers, lowest on top */
	struct rte_rcu_qsbr_dq *dq;     /* removed slots awaiting a grace period */
	uint32_t m1_inv, m2_inv;
	uint32_t count;                 /* stored by the writer, loaded by anyone */
	uint32_t span;                  /* likewise: one past the highest slot taken */
};

/* Makes every table's stack names unique whatever names callers pick. */
static uint32_t table_seq;

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= MIX_M1;
	x ^= x >> 13;
	x *= MIX_M2;
	x ^= x >> 16;
	return x;
}

static uint32_t unmix(const struct ws_index_table *t, uint32_t x)
{
	x ^= x >> 16;
	x *= t->m2_inv;
	x ^= (x >> 13) ^ (x >> 26);
	x *= t->m1_inv;
	x ^= x >> 16;
	return x;
}

/* The inverse of an odd m modulo 2^32 (Newton: each step doubles the bits). */
static uint32_t odd_inverse(uint32_t m)
{
	uint32_t x = m;

	for (unsigned i = 0; i < 5; i++)
		x *= 2 - m * x;
	return x;
}

static inline uint32_t slot_of(const struct ws_index_table *t, uint32_t index)
{
	return mix(mix(index ^ t->key[0]) ^ t->key[1]) & t->mask;
}

static uint32_t index_of(const struct ws_index_table *t, uint32_t slot, uint32_t r)
{
	/* bits <= 30: r keeps at least its two low bits. */
	uint32_t x = (uint32_t)((uint64_t)r << t->bits) | slot;

	return unmix(t, unmix(t, x) ^ t->key[1]) ^ t->key[0];
}

static bool kind_valid(enum ws_index_kind kind)
{
	return kind == WS_INDEX_HANDSHAKE || kind == WS_INDEX_KEYPAIR;
}

static uintptr_t entry_pack(void *obj, enum ws_index_kind kind)
{
	return (uintptr_t)obj | (uintptr_t)kind;
}

static void *entry_obj(uintptr_t v, enum ws_index_kind kind)
{
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

/* s if it is live under index, or NULL. Entry loaded before index (see top). */
static inline struct slot *slot_check(struct slot *s, uint32_t index, uintptr_t *entry)
{
	*entry = __atomic_load_n(&s->entry, __ATOMIC_ACQUIRE);
	if (*entry == 0 || __atomic_load_n(&s->index, __ATOMIC_RELAXED) != index)
		return NULL;
	return s;
}

/* The live slot index names, or NULL. */
static inline struct slot *slot_live(const struct ws_index_table *t, uint32_t index,
				     uintptr_t *entry)
{
	return slot_check(&t->slots[slot_of(t, index)], index, entry);
}

/* Slot numbers travel through the stack as pointer-sized values. */
static void slot_push(struct ws_index_table *t, uint32_t slot)
{
	void *v = (void *)(uintptr_t)slot;

	/* Never short: the stack has room for every slot number. */
	rte_stack_push(t->free, &v, 1);
}

/* Defer-queue callback: these slots' grace period is over. */
static void slots_reclaimed(void *p, void *e, unsigned n)
{
	const uint32_t *slots = e;

	for (unsigned i = 0; i < n; i++)
		slot_push(p, slots[i]);
}

struct ws_index_table *ws_index_create(const char *name, uint32_t capacity,
				       int socket_id, struct rte_rcu_qsbr *qsbr)
{
	char rname[NAME_LEN];
	struct ws_index_table *t;
	uint32_t n_slots, seq;
	int err = ENOMEM;

	if (name == NULL || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("ws_index", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	n_slots = rte_align32pow2(capacity);
	t->mask = n_slots - 1;
	t->bits = (uint8_t)rte_bsf32(n_slots);
	t->key[0] = ws_random_u32();
	t->key[1] = ws_random_u32();
	t->m1_inv = odd_inverse(MIX_M1);
	t->m2_inv = odd_inverse(MIX_M2);
	t->slots = rte_zmalloc_socket("ws_index_slots", (size_t)n_slots * sizeof(struct slot),
				      RTE_CACHE_LINE_SIZE, socket_id);
	if (t->slots == NULL)
		goto err;
	seq = __atomic_fetch_add(&table_seq, 1, __ATOMIC_RELAXED);
	snprintf(rname, sizeof(rname), "ix%u_%s", seq, name);
	t->free = rte_stack_create(rname, capacity, socket_id, 0);
	if (t->free == NULL) {
		err = rte_errno;
		goto err;
	}
	/* Highest first, so that slot 0 is on top. */
	for (uint32_t i = capacity; i-- > 0;)
		slot_push(t, i);
	if (qsbr != NULL) {
		snprintf(rname, sizeof(rname), "ixq%u", seq);
		struct rte_rcu_qsbr_dq_parameters dq = {
			.name = rname,
			.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE,   /* writers are serialized */
			.size = capacity,
			.esize = sizeof(uint32_t),
			.trigger_reclaim_limit = DQ_RECLAIM_AT,
			.max_reclaim_size = DQ_RECLAIM_AT,
			.free_fn = slots_reclaimed,
			.p = t,
			.v = qsbr,
		};
		t->dq = rte_rcu_qsbr_dq_create(&dq);
		if (t->dq == NULL) {
			err = rte_errno;
			goto err;
		}
	}
	return t;

err:
	ws_index_free(t);
	rte_errno = err;
	return NULL;
}

void ws_index_free(struct ws_index_table *t)
{
	if (t == NULL)
		return;
	/* No reader is online any more (contract): everything reclaims. */
	if (t->dq != NULL)
		rte_rcu_qsbr_dq_delete(t->dq);
	rte_stack_free(t->free);
	rte_free(t->slots);
	rte_free(t);
}

/* The lowest free slot number on the stack, or from the defer queue once it is due. */
static int slot_take(struct ws_index_table *t, uint32_t *slot)
{
	void *v;

	if (rte_stack_pop(t->free, &v, 1) == 0 &&
	    (t->dq == NULL ||
	     rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, NULL, NULL, NULL) != 0 ||
	     rte_stack_pop(t->free, &v, 1) == 0))
		return -ENOSPC;
	*slot = (uint32_t)(uintptr_t)v;
	if (*slot >= t->span)
		__atomic_store_n(&t->span, *slot + 1, __ATOMIC_RELAXED);
	return 0;
}

int ws_index_insert(struct ws_index_table *t, enum ws_index_kind kind, void *obj,
		    uint32_t *index_out)
{
	uint32_t slot, index;
	struct slot *s;

	if (!kind_valid(kind) || !obj_valid(obj) || index_out == NULL)
		return -EINVAL;
	if (slot_take(t, &slot) != 0)
		return -ENOSPC;
	s = &t->slots[slot];
	index = index_of(t, slot, ws_random_public_u32());
	__atomic_store_n(&s->index, index, __ATOMIC_RELAXED);
	__atomic_store_n(&s->entry, entry_pack(obj, kind), __ATOMIC_RELEASE);
	count_add(t, 1);
	*index_out = index;
	return 0;
}

int ws_index_replace(struct ws_index_table *t, uint32_t index, enum ws_index_kind kind,
		     void *obj)
{
	uintptr_t old;
	struct slot *s;

	if (!kind_valid(kind) || !obj_valid(obj))
		return -EINVAL;
	s = slot_live(t, index, &old);
	if (s == NULL)
		return -ENOENT;
	__atomic_store_n(&s->entry, entry_pack(obj, kind), __ATOMIC_RELEASE);
	return 0;
}

int ws_index_remove(struct ws_index_table *t, uint32_t index)
{
	uintptr_t old;
	struct slot *s = slot_live(t, index, &old);
	uint32_t slot;

	if (s == NULL)
		return -ENOENT;
	__atomic_store_n(&s->entry, 0, __ATOMIC_RELEASE);
	count_add(t, -1);
	slot = (uint32_t)(s - t->slots);
	/*
	 * The defer queue is as long as the table and holds no slot twice,
	 * so it always takes this one. Without RCU nobody else reads the
	 * table: the slot is free at once.
	 */
	if (t->dq != NULL)
		rte_rcu_qsbr_dq_enqueue(t->dq, &slot);
	else
		slot_push(t, slot);
	return 0;
}

void *ws_index_lookup(const struct ws_index_table *t, uint32_t index,
		      enum ws_index_kind kind)
{
	uintptr_t entry;

	if (slot_live(t, index, &entry) == NULL)
		return NULL;
	return entry_obj(entry, kind);
}

unsigned ws_index_lookup_bulk(const struct ws_index_table *t, const uint32_t *indices,
			      unsigned n, enum ws_index_kind kind, void **objs)
{
	unsigned found = 0;

	/* Fetch a pass of slots before the first is read; the rest is one compare each. */
	for (unsigned done = 0; done < n;) {
		unsigned burst = RTE_MIN(n - done, (unsigned)BULK);
		struct slot *s[BULK];

		for (unsigned i = 0; i < burst; i++) {
			s[i] = &t->slots[slot_of(t, indices[done + i])];
			rte_prefetch0(s[i]);
		}
		for (unsigned i = 0; i < burst; i++) {
			uintptr_t entry;
			void *obj = NULL;

			if (slot_check(s[i], indices[done + i], &entry) != NULL)
				obj = entry_obj(entry, kind);
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

uint32_t ws_index_span(const struct ws_index_table *t)
{
	return __atomic_load_n(&t->span, __ATOMIC_RELAXED);
}
