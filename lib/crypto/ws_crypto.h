/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The primitives of Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s and of WireGuard's
 * cookie mechanism. No DPDK here: libb2 for BLAKE2s, libsodium for the rest.
 * Bulk data-path AEAD lives in drivers/crypto, not here.
 */
#ifndef WS_CRYPTO_H
#define WS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
	WS_KEY_LEN = 32,        /* X25519 keys, symmetric keys, chaining key */
	WS_HASH_LEN = 32,       /* BLAKE2s-256 */
	WS_BLAKE2S_BLOCK = 64,
	WS_AEAD_TAG_LEN = 16,   /* Poly1305 tag */
	WS_XNONCE_LEN = 24,     /* XChaCha20 nonce */
	WS_TAI64N_LEN = 12,
};

/* Must be called once before any other function (it calls sodium_init). */
int ws_crypto_init(void);

/* BLAKE2s with output length outlen (1..32), optionally keyed (keylen 0..32). */
void ws_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		const uint8_t *key, size_t keylen);

/* Incremental BLAKE2s; the state is opaque storage for libb2's state. */
struct ws_blake2s_ctx {
	_Alignas(64) uint8_t opaque[256];
};
void ws_blake2s_init(struct ws_blake2s_ctx *ctx, size_t outlen,
		     const uint8_t *key, size_t keylen);
void ws_blake2s_update(struct ws_blake2s_ctx *ctx, const void *in, size_t inlen);
void ws_blake2s_final(struct ws_blake2s_ctx *ctx, uint8_t *out, size_t outlen);

/* HMAC (RFC 2104) over BLAKE2s-256. */
void ws_hmac_blake2s(uint8_t out[WS_HASH_LEN], const uint8_t *key, size_t keylen,
		     const void *in, size_t inlen);

/*
 * The WireGuard KDF: KDF_n(ck, input) with t0 = HMAC(ck, input),
 * t1 = HMAC(t0, 0x1), t2 = HMAC(t0, t1 || 0x2), t3 = HMAC(t0, t2 || 0x3).
 * Outputs passed as NULL are not produced (KDF1: t2 = t3 = NULL, ...).
 * Intermediate values are wiped.
 */
void ws_kdf(uint8_t t1[WS_HASH_LEN], uint8_t t2[WS_HASH_LEN], uint8_t t3[WS_HASH_LEN],
	    const uint8_t ck[WS_HASH_LEN], const void *in, size_t inlen);

/*
 * X25519. ws_x25519 returns 0, or -EINVAL when the shared secret is all
 * zeros (the peer's point has small order); out is wiped then.
 */
int ws_x25519(uint8_t out[WS_KEY_LEN], const uint8_t secret[WS_KEY_LEN],
	      const uint8_t pub[WS_KEY_LEN]);
/* Public key of a private key; -EINVAL if the result is all zeros. */
int ws_x25519_public(uint8_t pub[WS_KEY_LEN], const uint8_t secret[WS_KEY_LEN]);
/* A fresh random private key, clamped as wg(8) genkey does. */
void ws_x25519_generate(uint8_t secret[WS_KEY_LEN]);
void ws_x25519_clamp(uint8_t secret[WS_KEY_LEN]);

/*
 * ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 32 zero bits then
 * the 64-bit little-endian counter. dst gets len + 16 bytes on encrypt;
 * decrypt takes len including the tag and returns 0, or -EBADMSG when the
 * tag does not verify (dst is then wiped). dst may equal src.
 */
void ws_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen, uint64_t counter,
		     const uint8_t key[WS_KEY_LEN]);
int ws_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t len,
		    const uint8_t *ad, size_t adlen, uint64_t counter,
		    const uint8_t key[WS_KEY_LEN]);

/* XChaCha20-Poly1305 (cookie replies); same conventions as above. */
void ws_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		      const uint8_t *ad, size_t adlen,
		      const uint8_t nonce[WS_XNONCE_LEN], const uint8_t key[WS_KEY_LEN]);
int ws_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WS_XNONCE_LEN], const uint8_t key[WS_KEY_LEN]);

/*
 * TAI64N label of a wall-clock time. The nanoseconds are rounded down to a
 * multiple of 2^24 ns (about 16.8 ms) so that the timestamp in an
 * initiation is no precise clock oracle and still increases between the
 * at most 50 initiations per second a peer may send. Seconds are
 * 2^62 + 10 + tv_sec, as in the Linux module and wireguard-go.
 */
void ws_tai64n(uint8_t out[WS_TAI64N_LEN], const struct timespec *realtime);
/* Big-endian byte order makes memcmp order the timestamps. */
static inline bool ws_tai64n_after(const uint8_t a[WS_TAI64N_LEN],
				   const uint8_t b[WS_TAI64N_LEN]);

/* Constant-time equality (true when equal) and wiping. */
bool ws_memeq(const void *a, const void *b, size_t len);
bool ws_is_zero(const void *p, size_t len);

/*
 * Constant-time equality of two Poly1305 tags, inline for the data path
 * (a call into libsodium per packet cost more than the compare): both
 * 16 bytes are always read and folded before the single test, and the
 * empty asm keeps the compiler from turning the fold into an early exit.
 */
static inline bool ws_tag_eq(const uint8_t a[WS_AEAD_TAG_LEN], const uint8_t b[WS_AEAD_TAG_LEN])
{
	uint64_t a0, a1, b0, b1, d;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	d = (a0 ^ b0) | (a1 ^ b1);
	__asm__("" : "+r"(d));
	return d == 0;
}
void ws_memzero(void *p, size_t len);

/* Cryptographically secure random bytes. */
void ws_random(void *p, size_t len);
uint32_t ws_random_u32(void);
uint32_t ws_random_uniform(uint32_t upper_bound);

/*
 * Random bytes for values that go on the wire in the clear and need only
 * be unpredictable and unique (cookie-reply nonces, receiver indices),
 * never for keys. Served from a per-thread pool of WS_RANDOM_POOL_LEN
 * bytes: a refill draws a fresh 32-byte seed from the kernel and expands
 * it with ChaCha20 (libsodium), so one system call serves some hundred
 * calls; bytes handed out are wiped from the pool. The pool is not reset
 * across fork(): the process does not fork once it serves traffic.
 */
enum { WS_RANDOM_POOL_LEN = 4096 };
void ws_random_public(void *p, size_t len);
uint32_t ws_random_public_u32(void);

/*
 * Base64 of a 32-byte key as wg(8) prints it (44 chars + NUL), and back:
 * 0, or -EINVAL (key zeroed) unless b64 is exactly 44 padded characters.
 */
enum { WS_KEY_B64_LEN = 45 };
void ws_key_to_base64(char out[WS_KEY_B64_LEN], const uint8_t key[WS_KEY_LEN]);
int ws_key_from_base64(uint8_t key[WS_KEY_LEN], const char *b64);

#include <string.h>
static inline bool ws_tai64n_after(const uint8_t a[WS_TAI64N_LEN],
				   const uint8_t b[WS_TAI64N_LEN])
{
	return memcmp(a, b, WS_TAI64N_LEN) > 0;
}

#endif /* WS_CRYPTO_H */
