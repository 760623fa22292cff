/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * X25519 (RFC 7748) through libsodium. libsodium clamps the scalar itself
 * and fails on an all-zero result; the zero check is repeated here so that
 * the contract in ws_crypto.h does not hang on one library version.
 *
 * Public keys (every handshake makes an ephemeral one) take libsodium's
 * Ed25519 base-point multiplication, which walks a precomputed table, in
 * place of X25519's ladder at about half the cycles, and map the Edwards
 * point to the Montgomery curve (RFC 7748 §4.1: u = (1 + y) / (1 - y)).
 * The same clamped scalar times either curve's base point is the same
 * point, so the result is exactly crypto_scalarmult_base's. The map's one
 * inversion works on the public point only; GMP does it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
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

/*
 * Each thread's GMP numbers for the map, allocated once at its first
 * public key (so that a handshake allocates nothing) and freed when the
 * thread exits. 512 bits hold every intermediate value.
 */
struct ed_to_mont {
	mpz_t p, y, num, den;
};

static pthread_key_t etm_key;
static bool etm_key_ok;
static pthread_once_t etm_once = PTHREAD_ONCE_INIT;

static void etm_free(void *arg)
{
	struct ed_to_mont *e = arg;

	mpz_clears(e->p, e->y, e->num, e->den, NULL);
	free(e);
}

static void etm_key_init(void)
{
	etm_key_ok = pthread_key_create(&etm_key, etm_free) == 0;
}

static struct ed_to_mont *etm_get(void)
{
	struct ed_to_mont *e;

	if (pthread_once(&etm_once, etm_key_init) != 0 || !etm_key_ok)
		return NULL;
	e = pthread_getspecific(etm_key);
	if (e != NULL)
		return e;
	e = malloc(sizeof(*e));
	if (e == NULL)
		return NULL;
	mpz_init2(e->p, 512);
	mpz_init2(e->y, 512);
	mpz_init2(e->num, 512);
	mpz_init2(e->den, 512);
	mpz_ui_pow_ui(e->p, 2, 255);
	mpz_sub_ui(e->p, e->p, 19);
	if (pthread_setspecific(etm_key, e) != 0) {
		etm_free(e);
		return NULL;
	}
	return e;
}

/*
 * u of clamped * base point, by the Edwards table; -1 (point untouched)
 * where the ladder must do it: no per-thread numbers, or the identity.
 */
static int public_by_table(uint8_t point[WS_KEY_LEN], const uint8_t clamped[WS_KEY_LEN])
{
	struct ed_to_mont *e = etm_get();
	uint8_t ed[WS_KEY_LEN];
	size_t n;

	if (e == NULL || crypto_scalarmult_ed25519_base_noclamp(ed, clamped) != 0)
		return -1;
	/* y, little-endian, under the sign bit of x (libsodium encodes it reduced). */
	ed[WS_KEY_LEN - 1] &= 0x7f;
	mpz_import(e->y, WS_KEY_LEN, -1, 1, 0, 0, ed);
	mpz_ui_sub(e->den, 1, e->y);
	mpz_mod(e->den, e->den, e->p);
	if (mpz_sgn(e->den) == 0 || mpz_invert(e->den, e->den, e->p) == 0)
		return -1;
	mpz_add_ui(e->num, e->y, 1);
	mpz_mul(e->num, e->num, e->den);
	mpz_mod(e->num, e->num, e->p);
	memset(point, 0, WS_KEY_LEN);
	mpz_export(point, &n, -1, 1, 0, 0, e->num);
	return 0;
}

int ws_x25519_public(uint8_t pub[WS_KEY_LEN], const uint8_t secret[WS_KEY_LEN])
{
	uint8_t point[WS_KEY_LEN], clamped[WS_KEY_LEN];
	int rc = 0;

	memcpy(clamped, secret, WS_KEY_LEN);
	ws_x25519_clamp(clamped);
	if (public_by_table(point, clamped) != 0 &&
	    crypto_scalarmult_base(point, secret) != 0)
		rc = -EINVAL;
	if (rc == 0 && ws_is_zero(point, WS_KEY_LEN))
		rc = -EINVAL;
	ws_memzero(clamped, sizeof(clamped));
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
