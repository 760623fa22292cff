/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Batched ChaCha20-Poly1305 for WireGuard data messages, in place, behind
 * one small interface with several back ends ("ipsec_mb", "sodium", ...).
 *
 * The AEAD is WireGuard's: 32-byte key, nonce = 4 zero bytes || LE64
 * counter, empty associated data, 16-byte tag right after the ciphertext.
 *
 * An instance belongs to one lcore: it is not thread-safe. Everything it
 * needs is allocated by ws_aead_create, so a burst neither allocates nor
 * makes a system call.
 */
#ifndef WS_AEAD_H
#define WS_AEAD_H

#include <stdint.h>

#include "ws_crypto.h"   /* WS_KEY_LEN, WS_AEAD_TAG_LEN */

enum {
	/* Bound on ciphertext + tag: nothing longer fits in a UDP datagram. */
	WS_AEAD_MAX_LEN = 65535,
	/*
	 * Bursts of up to this many ops are submitted to the back end as one
	 * batch; longer bursts are accepted and run in several batches.
	 */
	WS_AEAD_BURST_MAX = 64,
};

/*
 * One buffer to seal or open in place; 32 bytes, two per cache line.
 *
 * encrypt: data holds len bytes of plaintext and room for 16 more; on
 *          success it holds len bytes of ciphertext and then the tag.
 * decrypt: data holds len bytes, ciphertext then tag (len >= 16); on
 *          success its first len - 16 bytes are the plaintext. When the tag
 *          does not verify, those bytes are wiped to zero.
 *
 * status is written by every burst call for every op: 0, -EBADMSG (tag
 * mismatch), -EINVAL (NULL pointer or length out of range) or -EIO (the
 * back end failed the op).
 */
struct ws_aead_op {
	uint8_t *data;
	const uint8_t *key;     /* WS_KEY_LEN bytes; may differ per op */
	uint64_t counter;
	uint32_t len;
	int32_t status;
};

struct ws_aead;

/*
 * A new instance of the named back end; NULL picks "ipsec_mb". Returns
 * NULL and sets errno: ENOENT for an unknown name, ENOMEM, or ENOTSUP when
 * the back end cannot run on this machine.
 */
struct ws_aead *ws_aead_create(const char *backend);
void ws_aead_free(struct ws_aead *aead);
const char *ws_aead_name(const struct ws_aead *aead);

/* Back-end names by index, for configs and diagnostics; NULL past the end. */
const char *ws_aead_backend_name(unsigned int idx);

/* Both return how many of the n ops ended with status 0. */
unsigned int ws_aead_encrypt_burst(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n);
unsigned int ws_aead_decrypt_burst(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n);

#endif /* WS_AEAD_H */
