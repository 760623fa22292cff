/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard handshake, Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, and the
 * keypairs it yields:
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss, {t}        initiation (148 bytes)
 *   <- e, ee, se, psk, {}       response   (92 bytes)
 *
 * The layer reads and writes whole wire messages and nothing else: no
 * sockets, no mbufs, no timers. mac1/mac2 belong to cookie.h; the caller
 * adds them after a create and checks them before a consume. Times are
 * nanoseconds of the caller's monotonic clock ("now"); the initiation
 * timestamp comes from the caller's wall clock.
 *
 * Peers and receiver indices are reached through upcalls, so the owner
 * keeps its own peer table and index table.
 *
 * Concurrency: handshake calls may run on several control lcores at once;
 * a remote's handshake and keypair slots are guarded by its lock, the
 * static identity by the local's rwlock (lock order: local, then remote).
 * The data path reads keypairs without locks: it loads a slot with
 * ws_noise_keypair_current() or ws_noise_keypair_lookup() inside an RCU
 * read-side section, and a keypair taken out of every slot is handed to
 * the keypair_retire upcall, which frees it only after a grace period.
 *
 * Receiver indices are host-order uint32_t in this API; on the wire they
 * are little-endian (the messages here are written and read with
 * htole32/le32toh).
 */
#ifndef WS_NOISE_H
#define WS_NOISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <rte_rwlock.h>
#include <rte_spinlock.h>

#include "counter.h"
#include "messages.h"

struct ws_noise_remote;
struct ws_noise_keypair;

struct ws_noise_upcalls {
	void *arg;
	/* The remote whose static public key is pub, or NULL. */
	struct ws_noise_remote *(*remote_get)(void *arg, const uint8_t pub[WS_KEY_LEN]);
	/*
	 * Reserve a fresh random index that names r until dropped; 0 or a
	 * negative errno. The index first names r's pending handshake and
	 * later the keypair derived from it (same value, as the peer uses it).
	 */
	int (*index_alloc)(void *arg, struct ws_noise_remote *r, uint32_t *idx);
	/*
	 * The remote whose pending handshake idx names, or NULL (an index
	 * that names a keypair may return its remote or NULL: the handshake's
	 * own index is checked again).
	 */
	struct ws_noise_remote *(*index_lookup)(void *arg, uint32_t idx);
	/*
	 * Optional: idx, which named r's handshake, names keypair kp from now
	 * on (for a table that maps data packets straight to keypairs).
	 */
	void (*index_keypair)(void *arg, uint32_t idx, struct ws_noise_keypair *kp);
	void (*index_drop)(void *arg, uint32_t idx);
	/*
	 * Optional keypair storage (both or neither); calloc/free otherwise.
	 * alloc returns sizeof(struct ws_noise_keypair) bytes aligned to
	 * _Alignof(struct ws_noise_keypair); their contents do not matter.
	 */
	struct ws_noise_keypair *(*keypair_alloc)(void *arg);
	void (*keypair_release)(void *arg, struct ws_noise_keypair *kp);
	/*
	 * kp left every slot, its index is dropped and it is marked invalid.
	 * The owner passes it to ws_noise_keypair_free() once no data-path
	 * reader can still hold it (after an RCU grace period). NULL: freed at
	 * once, which is right only when no other thread reads keypairs.
	 */
	void (*keypair_retire)(void *arg, struct ws_noise_keypair *kp);
	/*
	 * Upcalls run under this layer's locks and must not call back into
	 * it. index_drop and keypair_retire are also called from the thread
	 * that calls ws_noise_keypair_confirm() (the data path): there they
	 * must not block.
	 */
};

/* Our static identity; one per interface. */
struct ws_noise_local {
	rte_rwlock_t lock;
	bool has_identity;
	uint8_t private_key[WS_KEY_LEN];
	uint8_t public_key[WS_KEY_LEN];
	struct ws_noise_upcalls u;
	TAILQ_HEAD(, ws_noise_remote) remotes;
};

enum ws_noise_state {
	WS_NOISE_ZEROED = 0,
	WS_NOISE_CREATED_INITIATION,
	WS_NOISE_CONSUMED_INITIATION,
	WS_NOISE_CREATED_RESPONSE,
	WS_NOISE_CONSUMED_RESPONSE,
};

struct ws_noise_keypair {
	/*
	 * With many peers each packet's keypair costs cache misses of its
	 * own, so the fields are laid out by direction, a line each. The
	 * first holds everything sending touches: one line per packet to
	 * encrypt. send_counter is the next counter to send with. Wherever
	 * two threads may take counters it moves by atomic adds only
	 * (ws_noise_keypair_next_counter(), or a run of them at once); where
	 * one thread takes them all it may load and store. Its writes (a
	 * fetch-add per burst by RX) share the line with the key the worker
	 * reads: a line fewer per packet is worth more than keeping them apart.
	 */
	_Alignas(64) uint8_t send_key[WS_KEY_LEN];
	uint64_t send_counter;
	uint64_t birthdate;     /* now at ws_noise_begin_session() */
	uint32_t remote_index;  /* the receiver index we send to the peer */
	/*
	 * Bumped (release) when the keypair is retired and kept across reuse
	 * of its storage: a packet that took kp records it and checks it
	 * (acquire) before using the keys, so a keypair retired and reused
	 * while the packet was in a ring is never mistaken for its own.
	 */
	uint32_t generation;
	bool is_initiator;
	bool valid;             /* cleared (atomically) when retired or expired */
	/*
	 * The second line holds what receiving touches beyond the first
	 * (whose generation, validity and age it also reads): the key, the
	 * peer, the replay window's counter. The window's bitmap follows.
	 */
	_Alignas(64) uint8_t recv_key[WS_KEY_LEN];
	struct ws_noise_remote *remote;
	uint32_t local_index;   /* the receiver index the peer sends to us */
	/* Used by the reorder stage only, one packet at a time, after the tag verified. */
	struct ws_counter recv_window;
	struct ws_noise_local *local;   /* outlives every keypair; not on the data path */
};

/* One per peer. Fields are read through the functions below. */
struct ws_noise_remote {
	/*
	 * current: sent on; previous: still received on; next: derived as
	 * responder, not sent on until the peer uses it. Written under lock
	 * with atomic stores, read by the data path with atomic loads. First,
	 * so that an embedding structure can put them on the cache line of
	 * its own per-packet fields.
	 */
	struct ws_noise_keypair *current;
	struct ws_noise_keypair *previous;
	struct ws_noise_keypair *next;

	struct ws_noise_local *local;
	TAILQ_ENTRY(ws_noise_remote) link;
	rte_spinlock_t lock;
	uint8_t public_key[WS_KEY_LEN];
	uint8_t preshared_key[WS_KEY_LEN];      /* all zero: none */
	uint8_t static_static[WS_KEY_LEN];      /* DH(our s, their s); zero: unusable */

	/* The handshake in progress. */
	enum ws_noise_state state;
	bool has_local_index;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t ephemeral_private[WS_KEY_LEN];
	uint8_t remote_ephemeral[WS_KEY_LEN];
	uint8_t hash[WS_HASH_LEN];
	uint8_t chaining_key[WS_HASH_LEN];

	/* Replay and flood protection for initiations we consume. */
	uint8_t latest_timestamp[WS_TAI64N_LEN];
	bool has_consumed_initiation;
	uint64_t last_initiation_consumed;
};

/* upcalls is copied; remote_get and the index_* upcalls are required. */
int ws_noise_local_init(struct ws_noise_local *l, const struct ws_noise_upcalls *upcalls);
/*
 * Set (NULL: remove) the static private key. It is clamped; every remote's
 * static-static DH is recomputed, its handshake cleared and its current
 * and next keypairs invalidated, so that a new handshake follows (setting
 * the same key again changes nothing). The caller re-keys its cookie
 * checker with the new public key. -EINVAL if the key yields no public key.
 */
int ws_noise_local_set_private(struct ws_noise_local *l, const uint8_t priv[WS_KEY_LEN]);
/* Copies our public key out; false when we have no identity. */
bool ws_noise_local_public(struct ws_noise_local *l, uint8_t pub[WS_KEY_LEN]);
/* Wipes the private key; every remote must be destroyed first. */
void ws_noise_local_destroy(struct ws_noise_local *l);

/*
 * Register a peer. psk may be NULL (none). -EINVAL for a public key of
 * small order (every DH with it is zero, so no handshake could ever be
 * authenticated); the remote is not registered then.
 */
int ws_noise_remote_init(struct ws_noise_remote *r, struct ws_noise_local *l,
			 const uint8_t pub[WS_KEY_LEN], const uint8_t psk[WS_KEY_LEN]);
void ws_noise_remote_set_psk(struct ws_noise_remote *r, const uint8_t psk[WS_KEY_LEN]);
/* Clear and unregister; its keypairs go through keypair_retire. */
void ws_noise_remote_destroy(struct ws_noise_remote *r);
/* Wipe the handshake and retire every keypair (key zeroing timer, removal). */
void ws_noise_remote_clear(struct ws_noise_remote *r);

/*
 * Handshake messages. mac1/mac2 are left zero on create and not looked at
 * on consume. Errors: -ENOKEY (no static identity), -EINVAL (the remote
 * is unusable, or the handshake is not in the state the call needs),
 * -EBADMSG (not such a message, or it does not authenticate, small-order
 * ephemerals included), -ENOENT (unknown peer, or no initiation pending
 * under that receiver index), -ESTALE (the
 * timestamp is not newer than the last one: a replay), -EBUSY (an
 * initiation less than WS_HANDSHAKE_MIN_INTERVAL_MS after the last one
 * consumed: a flood), or what index_alloc returned.
 */
int ws_noise_create_initiation(struct ws_noise_remote *r, struct ws_msg_initiation *dst,
			       const struct timespec *wall);
int ws_noise_consume_initiation(struct ws_noise_local *l, const struct ws_msg_initiation *src,
				uint64_t now, struct ws_noise_remote **rp);
int ws_noise_create_response(struct ws_noise_remote *r, struct ws_msg_response *dst);
/* Leaves the pending handshake untouched unless the response authenticates. */
int ws_noise_consume_response(struct ws_noise_local *l, const struct ws_msg_response *src,
			      struct ws_noise_remote **rp);

/*
 * Derive the keypair of a completed handshake (after consume_response as
 * initiator, after create_response as responder). The initiator's keypair
 * becomes current at once; the responder's waits in next until
 * ws_noise_keypair_confirm(). -EINVAL in any other state, -ENOMEM.
 */
int ws_noise_begin_session(struct ws_noise_remote *r, uint64_t now);

/*
 * Data received and authenticated on kp: if kp is the unconfirmed next
 * keypair it becomes current (current becomes previous). True if it did.
 * Lock-free unless kp is next, which happens once per handshake.
 */
bool ws_noise_keypair_confirm(struct ws_noise_remote *r, struct ws_noise_keypair *kp);
/* The current keypair if it is usable at now, else NULL. RCU reader. */
struct ws_noise_keypair *ws_noise_keypair_current(struct ws_noise_remote *r, uint64_t now);
/* The keypair in any slot whose local index is idx, else NULL. RCU reader. */
struct ws_noise_keypair *ws_noise_keypair_lookup(struct ws_noise_remote *r, uint32_t idx);
/*
 * Valid, younger than WS_REJECT_AFTER_TIME and its send counter below
 * WS_REJECT_AFTER_MESSAGES: it may be sent on and received with.
 */
bool ws_noise_keypair_usable(const struct ws_noise_keypair *kp, uint64_t now);
/*
 * Take the next send counter (atomic fetch-add; any lcore). -EKEYEXPIRED
 * once WS_REJECT_AFTER_MESSAGES is reached; the keypair is invalid then.
 */
int ws_noise_keypair_next_counter(struct ws_noise_keypair *kp, uint64_t *counter);
/* Wipe and release a retired keypair (see keypair_retire). */
void ws_noise_keypair_free(struct ws_noise_keypair *kp);

#endif /* WS_NOISE_H */
