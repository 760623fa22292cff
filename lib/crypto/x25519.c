/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * X25519 (RFC 7748) through libsodium. libsodium clamps the scalar itself
 * and fails on an all-zero result; the zero check is repeated here so that
 * the contract in ws_crypto.h does not hang on one library version.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "ws_crypto.h"

_Static_assert(crypto_scalarmult_BYTES == WS_KEY_LEN, "X25519 point size");
_Static_assert(crypto_scalarmult_SCALARBYTES == WS_KEY_LEN, "X25519 scalar size");

/*
 * The result goes through a local so that out may alias secret or pub, and
 * so that out never holds a partial or rejected value.
 */
int ws_x25519(uint8_t out[WS_KEY_LEN], const uint8_t secret[WS_KEY_LEN],
	      const uint8_t pub[WS_KEY_LEN])
{
	uint8_t shared[WS_KEY_LEN];
	int rc = 0;

	if (crypto_scalarmult(shared, secret, pub) != 0 || ws_is_zero(shared, WS_KEY_LEN))
		rc = -EINVAL;
	if (rc == 0)
		memcpy(out, shared, WS_KEY_LEN);
	else
		ws_memzero(out, WS_KEY_LEN);
	ws_memzero(shared, sizeof(shared));
	return rc;
}

int ws_x25519_public(uint8_t pub[WS_KEY_LEN], const uint8_t secret[WS_KEY_LEN])
{
	uint8_t point[WS_KEY_LEN];
	int rc = 0;

	if (crypto_scalarmult_base(point, secret) != 0 || ws_is_zero(point, WS_KEY_LEN))
		rc = -EINVAL;
	if (rc == 0)
		memcpy(pub, point, WS_KEY_LEN);
	else
		ws_memzero(pub, WS_KEY_LEN);
	ws_memzero(point, sizeof(point));
	return rc;
}

void ws_x25519_clamp(uint8_t secret[WS_KEY_LEN])
{
	secret[0] &= 248;
	secret[31] = (uint8_t)((secret[31] & 127) | 64);
}

void ws_x25519_generate(uint8_t secret[WS_KEY_LEN])
{
	randombytes_buf(secret, WS_KEY_LEN);
	ws_x25519_clamp(secret);
}
