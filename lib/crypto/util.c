/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Library start-up, constant-time helpers, randomness and the base64 key
 * format of wg(8), all on libsodium.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "ws_crypto.h"

enum { KEY_B64_CHARS = WS_KEY_B64_LEN - 1 };

_Static_assert(sodium_base64_ENCODED_LEN(WS_KEY_LEN, sodium_base64_VARIANT_ORIGINAL) ==
	       WS_KEY_B64_LEN, "a key is 44 base64 characters plus NUL");

int ws_crypto_init(void)
{
	struct ws_blake2s_ctx ctx;
	uint8_t key[WS_KEY_LEN] = {0};
	uint8_t out[WS_HASH_LEN];

	if (sodium_init() < 0)
		return -EIO;

	/*
	 * libb2 picks its SIMD variant on first use by writing unsynchronised
	 * function pointers. Taking every entry point once here keeps that
	 * write on the thread that starts the gateway, before any lcore runs.
	 */
	ws_blake2s(out, sizeof(out), "", 0, NULL, 0);
	ws_blake2s(out, sizeof(out), "", 0, key, sizeof(key));
	ws_blake2s_init(&ctx, sizeof(out), key, sizeof(key));
	ws_blake2s_update(&ctx, key, sizeof(key));
	ws_blake2s_final(&ctx, out, sizeof(out));
	ws_blake2s_init(&ctx, sizeof(out), NULL, 0);
	ws_blake2s_final(&ctx, out, sizeof(out));
	return 0;
}

bool ws_memeq(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool ws_is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

void ws_memzero(void *p, size_t len)
{
	sodium_memzero(p, len);
}

void ws_random(void *p, size_t len)
{
	randombytes_buf(p, len);
}

uint32_t ws_random_u32(void)
{
	return randombytes_random();
}

static __thread struct {
	uint8_t bytes[WS_RANDOM_POOL_LEN];
	size_t avail; /* unread bytes, at the end of bytes[] */
} pool;

static void pool_refill(void)
{
	uint8_t seed[randombytes_SEEDBYTES];

	ws_random(seed, sizeof(seed));
	randombytes_buf_deterministic(pool.bytes, sizeof(pool.bytes), seed);
	ws_memzero(seed, sizeof(seed));
	pool.avail = sizeof(pool.bytes);
}

void ws_random_public(void *p, size_t len)
{
	uint8_t *out = p;

	if (len > sizeof(pool.bytes) / 4) {
		ws_random(p, len);
		return;
	}
	while (len > 0) {
		size_t n, from;

		if (pool.avail == 0)
			pool_refill();
		n = len < pool.avail ? len : pool.avail;
		from = sizeof(pool.bytes) - pool.avail;
		memcpy(out, pool.bytes + from, n);
		ws_memzero(pool.bytes + from, n);
		pool.avail -= n;
		out += n;
		len -= n;
	}
}

uint32_t ws_random_public_u32(void)
{
	uint32_t v;

	ws_random_public(&v, sizeof(v));
	return v;
}

/* Uniform in [0, upper_bound) without modulo bias; 0 when upper_bound < 2. */
uint32_t ws_random_uniform(uint32_t upper_bound)
{
	return randombytes_uniform(upper_bound);
}

void ws_key_to_base64(char out[WS_KEY_B64_LEN], const uint8_t key[WS_KEY_LEN])
{
	sodium_bin2base64(out, WS_KEY_B64_LEN, key, WS_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

/*
 * Strict, as wg(8) is: exactly 44 characters of the padded original
 * alphabet, no whitespace, decoding to exactly 32 bytes with no stray bits
 * in the last character. key is zeroed on failure.
 */
int ws_key_from_base64(uint8_t key[WS_KEY_LEN], const char *b64)
{
	uint8_t tmp[WS_KEY_LEN];
	size_t binlen = 0;
	const char *end = NULL;
	int rc = -EINVAL;

	if (b64 != NULL && strnlen(b64, KEY_B64_CHARS + 1) == KEY_B64_CHARS &&
	    sodium_base642bin(tmp, sizeof(tmp), b64, KEY_B64_CHARS, NULL, &binlen, &end,
			      sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    binlen == WS_KEY_LEN && end == b64 + KEY_B64_CHARS)
		rc = 0;

	if (rc == 0)
		memcpy(key, tmp, WS_KEY_LEN);
	else
		ws_memzero(key, WS_KEY_LEN);
	ws_memzero(tmp, sizeof(tmp));
	return rc;
}
