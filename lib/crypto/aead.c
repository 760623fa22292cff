/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ChaCha20-Poly1305 with WireGuard's counter nonce, and XChaCha20-Poly1305
 * for cookie replies, both through libsodium's IETF constructions. These
 * serve the handshake and cookie paths; bulk transport data goes through
 * drivers/crypto.
 */
#include <errno.h>

#include <sodium.h>

#include "ws_crypto.h"

_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "IETF nonce is 96 bits");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == WS_AEAD_TAG_LEN, "tag size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == WS_KEY_LEN, "key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == WS_XNONCE_LEN, "xnonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == WS_AEAD_TAG_LEN, "xtag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == WS_KEY_LEN, "xkey size");

/* 32 zero bits, then the counter little-endian (whitepaper §5.4.6). */
static inline void wg_nonce(uint8_t nonce[12], uint64_t counter)
{
	for (int i = 0; i < 4; i++)
		nonce[i] = 0;
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

void ws_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen, uint64_t counter,
		     const uint8_t key[WS_KEY_LEN])
{
	uint8_t nonce[12];

	wg_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, adlen,
						  NULL, nonce, key);
}

int ws_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t len,
		    const uint8_t *ad, size_t adlen, uint64_t counter,
		    const uint8_t key[WS_KEY_LEN])
{
	uint8_t nonce[12];

	if (len < WS_AEAD_TAG_LEN)
		return -EBADMSG;
	wg_nonce(nonce, counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(dst, NULL, NULL, src, len, ad, adlen,
						      nonce, key) != 0) {
		/* Not relying on libsodium's own clearing, which varies by version. */
		ws_memzero(dst, len - WS_AEAD_TAG_LEN);
		return -EBADMSG;
	}
	return 0;
}

void ws_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		      const uint8_t *ad, size_t adlen,
		      const uint8_t nonce[WS_XNONCE_LEN], const uint8_t key[WS_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, adlen,
						   NULL, nonce, key);
}

int ws_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WS_XNONCE_LEN], const uint8_t key[WS_KEY_LEN])
{
	if (len < WS_AEAD_TAG_LEN)
		return -EBADMSG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst, NULL, NULL, src, len, ad, adlen,
						       nonce, key) != 0) {
		ws_memzero(dst, len - WS_AEAD_TAG_LEN);
		return -EBADMSG;
	}
	return 0;
}
