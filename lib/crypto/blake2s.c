/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s (libb2), and the HMAC and HKDF-style KDF that Noise builds on it.
 */
#include <stdlib.h>
#include <string.h>

#include <blake2.h>

#include "ws_crypto.h"

_Static_assert(sizeof(blake2s_state) <= sizeof(((struct ws_blake2s_ctx *)0)->opaque),
	       "ws_blake2s_ctx too small for libb2's blake2s_state");
_Static_assert(_Alignof(blake2s_state) <= _Alignof(struct ws_blake2s_ctx),
	       "ws_blake2s_ctx under-aligned for libb2's blake2s_state");
_Static_assert((int)WS_HASH_LEN == (int)BLAKE2S_OUTBYTES &&
	       (int)WS_BLAKE2S_BLOCK == (int)BLAKE2S_BLOCKBYTES,
	       "BLAKE2s sizes disagree with libb2");

/*
 * libb2 fails only on arguments outside its contract (outlen 0 or > 32,
 * keylen > 32, NULL with a non-zero length). Returning would leave the
 * caller with an unwritten digest that it takes for a MAC or a key, so a
 * broken caller stops here instead.
 */
static inline void b2_check(int rc)
{
	if (rc != 0)
		abort();
}

static inline blake2s_state *b2_state(struct ws_blake2s_ctx *ctx)
{
	return (blake2s_state *)(void *)ctx->opaque;
}

void ws_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		const uint8_t *key, size_t keylen)
{
	b2_check(blake2s(out, in, key, outlen, inlen, keylen));
}

void ws_blake2s_init(struct ws_blake2s_ctx *ctx, size_t outlen,
		     const uint8_t *key, size_t keylen)
{
	if (keylen > 0)
		b2_check(blake2s_init_key(b2_state(ctx), outlen, key, keylen));
	else
		b2_check(blake2s_init(b2_state(ctx), outlen));
}

void ws_blake2s_update(struct ws_blake2s_ctx *ctx, const void *in, size_t inlen)
{
	if (inlen == 0)
		return;
	b2_check(blake2s_update(b2_state(ctx), in, inlen));
}

/* The state of a keyed hash holds the key block: it is wiped once used. */
void ws_blake2s_final(struct ws_blake2s_ctx *ctx, uint8_t *out, size_t outlen)
{
	int rc = blake2s_final(b2_state(ctx), out, outlen);

	ws_memzero(ctx, sizeof(*ctx));
	b2_check(rc);
}

/*
 * HMAC over BLAKE2s-256 with up to two message pieces, so that the KDF can
 * MAC "t || i" without copying. Output is written last, so out may alias
 * key or either piece.
 */
static void hmac2(uint8_t out[WS_HASH_LEN], const uint8_t *key, size_t keylen,
		  const void *in1, size_t len1, const void *in2, size_t len2)
{
	uint8_t pad[WS_BLAKE2S_BLOCK] = {0};
	uint8_t ihash[WS_HASH_LEN];
	struct ws_blake2s_ctx ctx;

	/* RFC 2104: a key longer than the block is replaced by its hash. */
	if (keylen > WS_BLAKE2S_BLOCK)
		ws_blake2s(pad, WS_HASH_LEN, key, keylen, NULL, 0);
	else if (keylen > 0)
		memcpy(pad, key, keylen);

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	ws_blake2s_init(&ctx, WS_HASH_LEN, NULL, 0);
	ws_blake2s_update(&ctx, pad, sizeof(pad));
	ws_blake2s_update(&ctx, in1, len1);
	ws_blake2s_update(&ctx, in2, len2);
	ws_blake2s_final(&ctx, ihash, WS_HASH_LEN);

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ws_blake2s_init(&ctx, WS_HASH_LEN, NULL, 0);
	ws_blake2s_update(&ctx, pad, sizeof(pad));
	ws_blake2s_update(&ctx, ihash, sizeof(ihash));
	ws_blake2s_final(&ctx, ihash, WS_HASH_LEN);

	memcpy(out, ihash, WS_HASH_LEN);
	ws_memzero(pad, sizeof(pad));
	ws_memzero(ihash, sizeof(ihash));
}

void ws_hmac_blake2s(uint8_t out[WS_HASH_LEN], const uint8_t *key, size_t keylen,
		     const void *in, size_t inlen)
{
	hmac2(out, key, keylen, in, inlen, NULL, 0);
}

/*
 * The outputs are computed into locals and copied out at the end, so an
 * output may alias ck or in (noise.c updates its chaining key in place).
 * The chain runs up to the last output asked for; NULL ones are skipped.
 */
void ws_kdf(uint8_t t1[WS_HASH_LEN], uint8_t t2[WS_HASH_LEN], uint8_t t3[WS_HASH_LEN],
	    const uint8_t ck[WS_HASH_LEN], const void *in, size_t inlen)
{
	uint8_t prk[WS_HASH_LEN];
	uint8_t t[3][WS_HASH_LEN];
	uint8_t *outs[3] = {t1, t2, t3};
	size_t n = 0;

	for (size_t i = 0; i < 3; i++)
		if (outs[i] != NULL)
			n = i + 1;
	if (n == 0)
		return;

	hmac2(prk, ck, WS_HASH_LEN, in, inlen, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		const uint8_t ctr = (uint8_t)(i + 1);

		if (i == 0)
			hmac2(t[i], prk, WS_HASH_LEN, &ctr, 1, NULL, 0);
		else
			hmac2(t[i], prk, WS_HASH_LEN, t[i - 1], WS_HASH_LEN, &ctr, 1);
	}
	for (size_t i = 0; i < n; i++)
		if (outs[i] != NULL)
			memcpy(outs[i], t[i], WS_HASH_LEN);

	ws_memzero(prk, sizeof(prk));
	ws_memzero(t, sizeof(t));
}
