/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IKpsk2 as WireGuard uses it (whitepaper section 5.4). Every
 * message is computed into stack copies of the chaining key and hash and
 * committed to the remote only once it fully succeeded, so a failure
 * (a forged response above all) leaves the pending handshake as it was.
 * Stack secrets are wiped on every path out.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "noise.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* Stands in for an empty buffer: some back ends dislike NULL with length 0. */
static const uint8_t nothing[1];

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/* h = HASH(h || data) */
static void mix_hash(uint8_t h[WS_HASH_LEN], const void *data, size_t len)
{
	struct ws_blake2s_ctx ctx;

	ws_blake2s_init(&ctx, WS_HASH_LEN, NULL, 0);
	ws_blake2s_update(&ctx, h, WS_HASH_LEN);
	ws_blake2s_update(&ctx, data, len);
	ws_blake2s_final(&ctx, h, WS_HASH_LEN);
	ws_memzero(&ctx, sizeof(ctx));
}

/* ck = HASH(CONSTRUCTION), h = HASH(HASH(ck || IDENTIFIER) || responder static). */
static void initial_state(uint8_t ck[WS_HASH_LEN], uint8_t h[WS_HASH_LEN],
			  const uint8_t responder_static[WS_KEY_LEN])
{
	ws_blake2s(ck, WS_HASH_LEN, construction, sizeof(construction) - 1, NULL, 0);
	memcpy(h, ck, WS_HASH_LEN);
	mix_hash(h, identifier, sizeof(identifier) - 1);
	mix_hash(h, responder_static, WS_KEY_LEN);
}

/* ck, key = KDF2(ck, in), or ck = KDF1(ck, in) when key is NULL. */
static void mix_key(uint8_t ck[WS_HASH_LEN], uint8_t key[WS_KEY_LEN], const void *in, size_t len)
{
	uint8_t out[WS_HASH_LEN];

	ws_kdf(out, key, NULL, ck, in, len);
	memcpy(ck, out, WS_HASH_LEN);
	ws_memzero(out, sizeof(out));
}

static int mix_dh(uint8_t ck[WS_HASH_LEN], uint8_t key[WS_KEY_LEN],
		  const uint8_t priv[WS_KEY_LEN], const uint8_t pub[WS_KEY_LEN])
{
	uint8_t dh[WS_KEY_LEN];

	if (ws_x25519(dh, priv, pub) != 0)
		return -EINVAL;
	mix_key(ck, key, dh, sizeof(dh));
	ws_memzero(dh, sizeof(dh));
	return 0;
}

/* ck, tau, key = KDF3(ck, psk); h = HASH(h || tau). */
static void mix_psk(uint8_t ck[WS_HASH_LEN], uint8_t h[WS_HASH_LEN], uint8_t key[WS_KEY_LEN],
		    const uint8_t psk[WS_KEY_LEN])
{
	uint8_t out[WS_HASH_LEN], tau[WS_HASH_LEN];

	ws_kdf(out, tau, key, ck, psk, WS_KEY_LEN);
	memcpy(ck, out, WS_HASH_LEN);
	mix_hash(h, tau, sizeof(tau));
	ws_memzero(out, sizeof(out));
	ws_memzero(tau, sizeof(tau));
}

/* The ephemeral goes into the hash and, as Noise's psk modes require, the chaining key. */
static void mix_ephemeral(uint8_t ck[WS_HASH_LEN], uint8_t h[WS_HASH_LEN],
			  const uint8_t e[WS_KEY_LEN])
{
	mix_hash(h, e, WS_KEY_LEN);
	mix_key(ck, NULL, e, WS_KEY_LEN);
}

/* Every handshake AEAD uses counter 0: each key encrypts exactly one message. */
static void encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t key[WS_KEY_LEN], uint8_t h[WS_HASH_LEN])
{
	ws_aead_encrypt(dst, len ? src : nothing, len, h, WS_HASH_LEN, 0, key);
	mix_hash(h, dst, len + WS_AEAD_TAG_LEN);
}

/* len includes the tag; dst gets len - 16 bytes. */
static int decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t key[WS_KEY_LEN], uint8_t h[WS_HASH_LEN])
{
	uint8_t scratch[1];

	if (ws_aead_decrypt(len > WS_AEAD_TAG_LEN ? dst : scratch, src, len, h, WS_HASH_LEN,
			    0, key) != 0)
		return -EBADMSG;
	mix_hash(h, src, len);
	return 0;
}

static bool header_is(const struct ws_msg_header *hdr, enum ws_message_type type)
{
	return hdr->type == type && hdr->reserved[0] == 0 && hdr->reserved[1] == 0 &&
	       hdr->reserved[2] == 0;
}

/* Forget the handshake's secrets; its index, if any, is the caller's. */
static void handshake_zero(struct ws_noise_remote *r)
{
	ws_memzero(r->ephemeral_private, sizeof(r->ephemeral_private));
	ws_memzero(r->remote_ephemeral, sizeof(r->remote_ephemeral));
	ws_memzero(r->hash, sizeof(r->hash));
	ws_memzero(r->chaining_key, sizeof(r->chaining_key));
	r->remote_index = 0;
	r->state = WS_NOISE_ZEROED;
}

/*
 * A message consumed: keep the peer's ephemeral, the chaining key and
 * hash for the next step, and the peer's sender index; our own
 * ephemeral (a response's initiator) has served.
 */
static void handshake_consumed(struct ws_noise_remote *r, const uint8_t e[WS_KEY_LEN],
			       uint32_t sender_index_le, const uint8_t ck[WS_HASH_LEN],
			       const uint8_t h[WS_HASH_LEN], enum ws_noise_state state)
{
	memcpy(r->remote_ephemeral, e, WS_KEY_LEN);
	memcpy(r->chaining_key, ck, WS_HASH_LEN);
	memcpy(r->hash, h, WS_HASH_LEN);
	ws_memzero(r->ephemeral_private, sizeof(r->ephemeral_private));
	r->remote_index = le32toh(sender_index_le);
	r->state = state;
}

/* Give the handshake a new index; the old one is dropped only once the new one exists. */
static int handshake_new_index(struct ws_noise_remote *r, uint32_t *idx)
{
	const struct ws_noise_upcalls *u = &r->local->u;
	int ret = u->index_alloc(u->arg, r, idx);

	if (ret != 0)
		return ret;
	if (r->has_local_index)
		u->index_drop(u->arg, r->local_index);
	r->has_local_index = true;
	r->local_index = *idx;
	return 0;
}

static void handshake_clear(struct ws_noise_remote *r)
{
	const struct ws_noise_upcalls *u = &r->local->u;

	if (r->has_local_index)
		u->index_drop(u->arg, r->local_index);
	r->has_local_index = false;
	r->local_index = 0;
	handshake_zero(r);
}

_Static_assert(offsetof(struct ws_noise_keypair, send_key) == 0 &&
		       offsetof(struct ws_noise_keypair, valid) + sizeof(bool) <= 64,
	       "what sending touches of a keypair is one cache line");
_Static_assert(offsetof(struct ws_noise_keypair, recv_key) == 64 &&
		       offsetof(struct ws_noise_keypair, recv_window.counter) + sizeof(uint64_t) <= 128,
	       "what receiving touches beyond the sending line is one cache line");

/*
 * Zero all of kp but its generation, which is never written otherwise: a
 * packet still holding kp from an earlier life may compare it at any time,
 * and must never see it go back to a value it recorded.
 */
static void keypair_wipe(struct ws_noise_keypair *kp)
{
	const size_t gen_end = offsetof(struct ws_noise_keypair, generation) + sizeof(kp->generation);

	ws_memzero(kp, offsetof(struct ws_noise_keypair, generation));
	ws_memzero((uint8_t *)kp + gen_end, sizeof(*kp) - gen_end);
}

static struct ws_noise_keypair *keypair_alloc(struct ws_noise_local *l)
{
	struct ws_noise_keypair *kp;

	if (l->u.keypair_alloc != NULL)
		kp = l->u.keypair_alloc(l->u.arg);
	else
		kp = aligned_alloc(_Alignof(struct ws_noise_keypair), sizeof(*kp));
	if (kp != NULL)
		keypair_wipe(kp);
	return kp;
}

void ws_noise_keypair_free(struct ws_noise_keypair *kp)
{
	struct ws_noise_local *l;

	if (kp == NULL)
		return;
	l = kp->local;
	keypair_wipe(kp);
	if (l->u.keypair_release != NULL)
		l->u.keypair_release(l->u.arg, kp);
	else
		free(kp);
}

/* kp is already out of every slot: nothing can find it any more but readers in flight. */
static void keypair_retire(struct ws_noise_local *l, struct ws_noise_keypair *kp)
{
	if (kp == NULL)
		return;
	STORE(kp->valid, false);
	__atomic_fetch_add(&kp->generation, 1, __ATOMIC_RELEASE);
	l->u.index_drop(l->u.arg, kp->local_index);
	if (l->u.keypair_retire != NULL)
		l->u.keypair_retire(l->u.arg, kp);
	else
		ws_noise_keypair_free(kp);
}

/* Under r->lock. Mirrors the kernel's slot rules so both ends agree on which keys live. */
static void keypair_install(struct ws_noise_remote *r, struct ws_noise_keypair *kp)
{
	struct ws_noise_keypair *prev = r->previous, *next = r->next, *cur = r->current;

	if (kp->is_initiator) {
		/*
		 * The response confirmed the keys, so they are sent on at once.
		 * An unconfirmed next keypair is kept as previous (the peer may
		 * already be sending on it) and the current one goes instead.
		 */
		if (next != NULL) {
			STORE(r->next, NULL);
			STORE(r->previous, next);
			STORE(r->current, kp);
			keypair_retire(r->local, cur);
		} else {
			STORE(r->previous, cur);
			STORE(r->current, kp);
		}
		keypair_retire(r->local, prev);
	} else {
		/* Not sent on before the initiator proves it holds them (first data). */
		STORE(r->next, kp);
		STORE(r->previous, NULL);
		keypair_retire(r->local, next);
		keypair_retire(r->local, prev);
	}
}

int ws_noise_local_init(struct ws_noise_local *l, const struct ws_noise_upcalls *upcalls)
{
	if (upcalls->remote_get == NULL || upcalls->index_alloc == NULL ||
	    upcalls->index_lookup == NULL || upcalls->index_drop == NULL ||
	    (upcalls->keypair_alloc == NULL) != (upcalls->keypair_release == NULL))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	rte_rwlock_init(&l->lock);
	l->u = *upcalls;
	TAILQ_INIT(&l->remotes);
	return 0;
}

/* Under l->lock (write) and r->lock. The key no longer matches any session. */
static void remote_rekey(struct ws_noise_remote *r, const struct ws_noise_local *l)
{
	struct ws_noise_keypair *kp;

	if (!l->has_identity ||
	    ws_x25519(r->static_static, l->private_key, r->public_key) != 0)
		ws_memzero(r->static_static, sizeof(r->static_static));
	handshake_clear(r);
	/* As the kernel does: stop sending on them, so that a handshake follows. */
	kp = r->current;
	if (kp != NULL)
		STORE(kp->valid, false);
	kp = r->next;
	if (kp != NULL)
		STORE(kp->valid, false);
}

int ws_noise_local_set_private(struct ws_noise_local *l, const uint8_t priv[WS_KEY_LEN])
{
	uint8_t key[WS_KEY_LEN], pub[WS_KEY_LEN];
	struct ws_noise_remote *r;
	int ret = 0;

	rte_rwlock_write_lock(&l->lock);
	if (priv != NULL) {
		memcpy(key, priv, sizeof(key));
		ws_x25519_clamp(key);
		if (l->has_identity && ws_memeq(key, l->private_key, sizeof(key)))
			goto out;
		if (ws_x25519_public(pub, key) != 0) {
			ret = -EINVAL;
			goto out;
		}
		memcpy(l->private_key, key, sizeof(key));
		memcpy(l->public_key, pub, sizeof(pub));
		l->has_identity = true;
	} else {
		ws_memzero(l->private_key, sizeof(l->private_key));
		memset(l->public_key, 0, sizeof(l->public_key));
		l->has_identity = false;
	}
	TAILQ_FOREACH(r, &l->remotes, link) {
		rte_spinlock_lock(&r->lock);
		remote_rekey(r, l);
		rte_spinlock_unlock(&r->lock);
	}
out:
	rte_rwlock_write_unlock(&l->lock);
	ws_memzero(key, sizeof(key));
	return ret;
}

bool ws_noise_local_public(struct ws_noise_local *l, uint8_t pub[WS_KEY_LEN])
{
	bool has;

	rte_rwlock_read_lock(&l->lock);
	has = l->has_identity;
	if (has)
		memcpy(pub, l->public_key, WS_KEY_LEN);
	rte_rwlock_read_unlock(&l->lock);
	return has;
}

void ws_noise_local_destroy(struct ws_noise_local *l)
{
	ws_memzero(l->private_key, sizeof(l->private_key));
	l->has_identity = false;
}

int ws_noise_remote_init(struct ws_noise_remote *r, struct ws_noise_local *l,
			 const uint8_t pub[WS_KEY_LEN], const uint8_t psk[WS_KEY_LEN])
{
	uint8_t probe[WS_KEY_LEN], out[WS_KEY_LEN];
	int ret;

	memset(r, 0, sizeof(*r));
	r->local = l;
	rte_spinlock_init(&r->lock);
	memcpy(r->public_key, pub, WS_KEY_LEN);
	if (psk != NULL)
		memcpy(r->preshared_key, psk, WS_KEY_LEN);

	rte_rwlock_write_lock(&l->lock);
	if (l->has_identity) {
		ret = ws_x25519(r->static_static, l->private_key, pub);
	} else {
		/* Small order shows with any scalar; ours may come later. */
		ws_x25519_generate(probe);
		ret = ws_x25519(out, probe, pub);
		ws_memzero(probe, sizeof(probe));
		ws_memzero(out, sizeof(out));
	}
	if (ret == 0)
		TAILQ_INSERT_TAIL(&l->remotes, r, link);
	rte_rwlock_write_unlock(&l->lock);
	if (ret != 0) {
		ws_memzero(r, sizeof(*r));
		return -EINVAL;
	}
	return 0;
}

void ws_noise_remote_set_psk(struct ws_noise_remote *r, const uint8_t psk[WS_KEY_LEN])
{
	rte_spinlock_lock(&r->lock);
	if (psk != NULL)
		memcpy(r->preshared_key, psk, WS_KEY_LEN);
	else
		ws_memzero(r->preshared_key, WS_KEY_LEN);
	rte_spinlock_unlock(&r->lock);
}

void ws_noise_remote_clear(struct ws_noise_remote *r)
{
	struct ws_noise_keypair *next, *prev, *cur;

	rte_spinlock_lock(&r->lock);
	handshake_clear(r);
	/* next first: a packet confirming it must not promote it while the others go. */
	next = r->next;
	STORE(r->next, NULL);
	prev = r->previous;
	STORE(r->previous, NULL);
	cur = r->current;
	STORE(r->current, NULL);
	keypair_retire(r->local, next);
	keypair_retire(r->local, prev);
	keypair_retire(r->local, cur);
	rte_spinlock_unlock(&r->lock);
}

void ws_noise_remote_destroy(struct ws_noise_remote *r)
{
	struct ws_noise_local *l = r->local;

	rte_rwlock_write_lock(&l->lock);
	TAILQ_REMOVE(&l->remotes, r, link);
	rte_rwlock_write_unlock(&l->lock);
	ws_noise_remote_clear(r);
	ws_memzero(r->preshared_key, sizeof(r->preshared_key));
	ws_memzero(r->static_static, sizeof(r->static_static));
	memset(r->latest_timestamp, 0, sizeof(r->latest_timestamp));
}

int ws_noise_create_initiation(struct ws_noise_remote *r, struct ws_msg_initiation *dst,
			       const struct timespec *wall)
{
	struct ws_noise_local *l = r->local;
	uint8_t ck[WS_HASH_LEN], h[WS_HASH_LEN], key[WS_KEY_LEN];
	uint8_t e_priv[WS_KEY_LEN], ts[WS_TAI64N_LEN];
	uint32_t idx;
	int ret;

	memset(dst, 0, sizeof(*dst));
	rte_rwlock_read_lock(&l->lock);
	rte_spinlock_lock(&r->lock);
	ret = -ENOKEY;
	if (!l->has_identity)
		goto out;
	ret = -EINVAL;
	if (ws_is_zero(r->static_static, sizeof(r->static_static)))
		goto out;

	dst->header.type = WS_MSG_INITIATION;
	initial_state(ck, h, r->public_key);

	/* e */
	ws_x25519_generate(e_priv);
	if (ws_x25519_public(dst->unencrypted_ephemeral, e_priv) != 0)
		goto out;
	mix_ephemeral(ck, h, dst->unencrypted_ephemeral);

	/* es */
	if (mix_dh(ck, key, e_priv, r->public_key) != 0)
		goto out;

	/* s */
	encrypt_and_hash(dst->encrypted_static, l->public_key, WS_KEY_LEN, key, h);

	/* ss, precomputed */
	mix_key(ck, key, r->static_static, WS_KEY_LEN);

	/* {t} */
	ws_tai64n(ts, wall);
	encrypt_and_hash(dst->encrypted_timestamp, ts, sizeof(ts), key, h);

	ret = handshake_new_index(r, &idx);
	if (ret != 0)
		goto out;
	dst->sender_index = htole32(idx);

	memcpy(r->chaining_key, ck, sizeof(ck));
	memcpy(r->hash, h, sizeof(h));
	memcpy(r->ephemeral_private, e_priv, sizeof(e_priv));
	ws_memzero(r->remote_ephemeral, sizeof(r->remote_ephemeral));
	r->remote_index = 0;
	r->state = WS_NOISE_CREATED_INITIATION;
out:
	rte_spinlock_unlock(&r->lock);
	rte_rwlock_read_unlock(&l->lock);
	if (ret != 0)
		memset(dst, 0, sizeof(*dst));
	ws_memzero(ck, sizeof(ck));
	ws_memzero(h, sizeof(h));
	ws_memzero(key, sizeof(key));
	ws_memzero(e_priv, sizeof(e_priv));
	ws_memzero(ts, sizeof(ts));
	return ret;
}

int ws_noise_consume_initiation(struct ws_noise_local *l, const struct ws_msg_initiation *src,
				uint64_t now, struct ws_noise_remote **rp)
{
	uint8_t ck[WS_HASH_LEN], h[WS_HASH_LEN], key[WS_KEY_LEN];
	uint8_t s[WS_KEY_LEN], ts[WS_TAI64N_LEN];
	struct ws_noise_remote *r = NULL;
	int ret;

	*rp = NULL;
	if (!header_is(&src->header, WS_MSG_INITIATION))
		return -EBADMSG;

	rte_rwlock_read_lock(&l->lock);
	ret = -ENOKEY;
	if (!l->has_identity)
		goto out;
	initial_state(ck, h, l->public_key);

	/* e */
	mix_ephemeral(ck, h, src->unencrypted_ephemeral);

	/* es */
	ret = -EBADMSG;
	if (mix_dh(ck, key, l->private_key, src->unencrypted_ephemeral) != 0)
		goto out;

	/* s */
	if (decrypt_and_hash(s, src->encrypted_static, sizeof(src->encrypted_static), key, h) != 0)
		goto out;

	ret = -ENOENT;
	r = l->u.remote_get(l->u.arg, s);
	if (r == NULL)
		goto out;
	rte_spinlock_lock(&r->lock);

	/* ss, precomputed */
	ret = -EINVAL;
	if (ws_is_zero(r->static_static, sizeof(r->static_static)))
		goto out_remote;
	mix_key(ck, key, r->static_static, WS_KEY_LEN);

	/* {t} */
	ret = -EBADMSG;
	if (decrypt_and_hash(ts, src->encrypted_timestamp, sizeof(src->encrypted_timestamp),
			     key, h) != 0)
		goto out_remote;

	/* Only authenticated initiations reach these checks, so they cannot be poisoned. */
	ret = -ESTALE;
	if (!ws_tai64n_after(ts, r->latest_timestamp))
		goto out_remote;
	ret = -EBUSY;
	if (r->has_consumed_initiation &&
	    (int64_t)(now - r->last_initiation_consumed) <
		    (int64_t)WS_HANDSHAKE_MIN_INTERVAL_MS * 1000000)
		goto out_remote;

	memcpy(r->latest_timestamp, ts, sizeof(ts));
	r->has_consumed_initiation = true;
	r->last_initiation_consumed = now;
	handshake_consumed(r, src->unencrypted_ephemeral, src->sender_index, ck, h,
			   WS_NOISE_CONSUMED_INITIATION);
	*rp = r;
	ret = 0;
out_remote:
	rte_spinlock_unlock(&r->lock);
out:
	rte_rwlock_read_unlock(&l->lock);
	ws_memzero(ck, sizeof(ck));
	ws_memzero(h, sizeof(h));
	ws_memzero(key, sizeof(key));
	ws_memzero(s, sizeof(s));
	ws_memzero(ts, sizeof(ts));
	return ret;
}

int ws_noise_create_response(struct ws_noise_remote *r, struct ws_msg_response *dst)
{
	uint8_t ck[WS_HASH_LEN], h[WS_HASH_LEN], key[WS_KEY_LEN], e_priv[WS_KEY_LEN];
	uint32_t idx;
	int ret;

	memset(dst, 0, sizeof(*dst));
	rte_spinlock_lock(&r->lock);
	ret = -EINVAL;
	if (r->state != WS_NOISE_CONSUMED_INITIATION)
		goto out;
	memcpy(ck, r->chaining_key, sizeof(ck));
	memcpy(h, r->hash, sizeof(h));

	dst->header.type = WS_MSG_RESPONSE;
	dst->receiver_index = htole32(r->remote_index);

	/* e */
	ws_x25519_generate(e_priv);
	if (ws_x25519_public(dst->unencrypted_ephemeral, e_priv) != 0)
		goto out;
	mix_ephemeral(ck, h, dst->unencrypted_ephemeral);

	/* ee, se */
	if (mix_dh(ck, NULL, e_priv, r->remote_ephemeral) != 0 ||
	    mix_dh(ck, NULL, e_priv, r->public_key) != 0)
		goto out;

	/* psk */
	mix_psk(ck, h, key, r->preshared_key);

	/* {} */
	encrypt_and_hash(dst->encrypted_nothing, NULL, 0, key, h);

	ret = handshake_new_index(r, &idx);
	if (ret != 0)
		goto out;
	dst->sender_index = htole32(idx);

	memcpy(r->chaining_key, ck, sizeof(ck));
	memcpy(r->hash, h, sizeof(h));
	r->state = WS_NOISE_CREATED_RESPONSE;
out:
	rte_spinlock_unlock(&r->lock);
	if (ret != 0)
		memset(dst, 0, sizeof(*dst));
	ws_memzero(ck, sizeof(ck));
	ws_memzero(h, sizeof(h));
	ws_memzero(key, sizeof(key));
	ws_memzero(e_priv, sizeof(e_priv));
	return ret;
}

int ws_noise_consume_response(struct ws_noise_local *l, const struct ws_msg_response *src,
			      struct ws_noise_remote **rp)
{
	uint8_t ck[WS_HASH_LEN], h[WS_HASH_LEN], key[WS_KEY_LEN];
	uint32_t idx = le32toh(src->receiver_index);
	struct ws_noise_remote *r;
	int ret;

	*rp = NULL;
	if (!header_is(&src->header, WS_MSG_RESPONSE))
		return -EBADMSG;

	rte_rwlock_read_lock(&l->lock);
	ret = -ENOKEY;
	if (!l->has_identity)
		goto out;
	ret = -ENOENT;
	r = l->u.index_lookup(l->u.arg, idx);
	if (r == NULL)
		goto out;
	rte_spinlock_lock(&r->lock);
	if (r->state != WS_NOISE_CREATED_INITIATION || !r->has_local_index ||
	    r->local_index != idx)
		goto out_remote;
	memcpy(ck, r->chaining_key, sizeof(ck));
	memcpy(h, r->hash, sizeof(h));

	/* e */
	mix_ephemeral(ck, h, src->unencrypted_ephemeral);

	/* ee, se */
	ret = -EBADMSG;
	if (mix_dh(ck, NULL, r->ephemeral_private, src->unencrypted_ephemeral) != 0 ||
	    mix_dh(ck, NULL, l->private_key, src->unencrypted_ephemeral) != 0)
		goto out_remote;

	/* psk */
	mix_psk(ck, h, key, r->preshared_key);

	/* {} */
	if (decrypt_and_hash(NULL, src->encrypted_nothing, sizeof(src->encrypted_nothing),
			     key, h) != 0)
		goto out_remote;

	handshake_consumed(r, src->unencrypted_ephemeral, src->sender_index, ck, h,
			   WS_NOISE_CONSUMED_RESPONSE);
	*rp = r;
	ret = 0;
out_remote:
	rte_spinlock_unlock(&r->lock);
out:
	rte_rwlock_read_unlock(&l->lock);
	ws_memzero(ck, sizeof(ck));
	ws_memzero(h, sizeof(h));
	ws_memzero(key, sizeof(key));
	return ret;
}

int ws_noise_begin_session(struct ws_noise_remote *r, uint64_t now)
{
	struct ws_noise_keypair *kp;
	bool initiator;
	int ret = 0;

	rte_spinlock_lock(&r->lock);
	if (r->state != WS_NOISE_CONSUMED_RESPONSE && r->state != WS_NOISE_CREATED_RESPONSE) {
		ret = -EINVAL;
		goto out;
	}
	kp = keypair_alloc(r->local);
	if (kp == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	initiator = r->state == WS_NOISE_CONSUMED_RESPONSE;

	/* T1, T2 = KDF2(ck, empty): the initiator sends with T1, the responder with T2. */
	if (initiator)
		ws_kdf(kp->send_key, kp->recv_key, NULL, r->chaining_key, nothing, 0);
	else
		ws_kdf(kp->recv_key, kp->send_key, NULL, r->chaining_key, nothing, 0);
	kp->send_counter = 0;
	ws_counter_init(&kp->recv_window);
	/* The handshake's index now names the keypair: it is what the peer sends to. */
	kp->local_index = r->local_index;
	kp->remote_index = r->remote_index;
	kp->birthdate = now;
	kp->is_initiator = initiator;
	kp->valid = true;
	kp->remote = r;
	kp->local = r->local;
	if (r->local->u.index_keypair != NULL)
		r->local->u.index_keypair(r->local->u.arg, kp->local_index, kp);
	r->has_local_index = false;
	r->local_index = 0;
	handshake_zero(r);
	keypair_install(r, kp);
out:
	rte_spinlock_unlock(&r->lock);
	return ret;
}

bool ws_noise_keypair_confirm(struct ws_noise_remote *r, struct ws_noise_keypair *kp)
{
	struct ws_noise_keypair *old;

	if (kp == NULL || LOAD(r->next) != kp)
		return false;
	rte_spinlock_lock(&r->lock);
	if (r->next != kp) {
		rte_spinlock_unlock(&r->lock);
		return false;
	}
	old = r->previous;
	STORE(r->previous, r->current);
	STORE(r->current, kp);
	STORE(r->next, NULL);
	keypair_retire(r->local, old);
	rte_spinlock_unlock(&r->lock);
	return true;
}

bool ws_noise_keypair_usable(const struct ws_noise_keypair *kp, uint64_t now)
{
	/* Signed age: a caller's clock read a little before the keypair's birth is not "old". */
	return LOAD(kp->valid) &&
	       (int64_t)(now - kp->birthdate) < (int64_t)(WS_REJECT_AFTER_TIME * WS_NSEC_PER_SEC) &&
	       __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED) < WS_REJECT_AFTER_MESSAGES;
}

struct ws_noise_keypair *ws_noise_keypair_current(struct ws_noise_remote *r, uint64_t now)
{
	struct ws_noise_keypair *kp = LOAD(r->current);

	return kp != NULL && ws_noise_keypair_usable(kp, now) ? kp : NULL;
}

struct ws_noise_keypair *ws_noise_keypair_lookup(struct ws_noise_remote *r, uint32_t idx)
{
	struct ws_noise_keypair *slots[3] = { LOAD(r->current), LOAD(r->previous), LOAD(r->next) };

	for (unsigned i = 0; i < 3; i++)
		if (slots[i] != NULL && slots[i]->local_index == idx)
			return slots[i];
	return NULL;
}

int ws_noise_keypair_next_counter(struct ws_noise_keypair *kp, uint64_t *counter)
{
	uint64_t c = __atomic_fetch_add(&kp->send_counter, 1, __ATOMIC_RELAXED);

	if (c >= WS_REJECT_AFTER_MESSAGES) {
		/* Pin it, so that refused calls can never wrap it back to counters already used. */
		__atomic_store_n(&kp->send_counter, WS_REJECT_AFTER_MESSAGES, __ATOMIC_RELAXED);
		STORE(kp->valid, false);
		return -EKEYEXPIRED;
	}
	*counter = c;
	return 0;
}
