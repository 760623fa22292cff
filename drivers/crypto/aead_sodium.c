/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The portable reference back end: libsodium's IETF ChaCha20-Poly1305, one
 * op at a time. It has no state beyond the common header.
 */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "aead_internal.h"

static struct ws_aead *sodium_be_create(void)
{
	/* Picks libsodium's fastest implementations; idempotent. */
	if (sodium_init() < 0) {
		errno = ENOTSUP;
		return NULL;
	}
	struct ws_aead *aead = calloc(1, sizeof(*aead));
	if (aead == NULL)
		errno = ENOMEM;
	return aead;
}

static void sodium_be_free(struct ws_aead *aead)
{
	free(aead);
}

static unsigned int sodium_be_encrypt(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n)
{
	uint8_t nonce[WS_AEAD_NONCE_LEN];
	unsigned int ok = 0;

	(void)aead;
	for (unsigned int i = 0; i < n; i++) {
		struct ws_aead_op *op = &ops[i];

		if (!ws_aead_op_ok_encrypt(op)) {
			op->status = -EINVAL;
			continue;
		}
		ws_aead_nonce(nonce, op->counter);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			op->data, op->data + op->len, NULL, op->data, op->len,
			NULL, 0, NULL, nonce, op->key);
		op->status = 0;
		ok++;
	}
	return ok;
}

static unsigned int sodium_be_decrypt(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n)
{
	uint8_t nonce[WS_AEAD_NONCE_LEN];
	unsigned int ok = 0;

	(void)aead;
	for (unsigned int i = 0; i < n; i++) {
		struct ws_aead_op *op = &ops[i];

		if (!ws_aead_op_ok_decrypt(op)) {
			op->status = -EINVAL;
			continue;
		}
		uint32_t clen = op->len - WS_AEAD_TAG_LEN;

		ws_aead_nonce(nonce, op->counter);
		/* libsodium checks the tag (in constant time) before it deciphers. */
		if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			    op->data, NULL, op->data, clen, op->data + clen,
			    NULL, 0, nonce, op->key) != 0) {
			ws_memzero(op->data, clen);
			op->status = -EBADMSG;
			continue;
		}
		op->status = 0;
		ok++;
	}
	return ok;
}

const struct ws_aead_backend ws_aead_sodium_backend = {
	.name = "sodium",
	.create = sodium_be_create,
	.free = sodium_be_free,
	.encrypt = sodium_be_encrypt,
	.decrypt = sodium_be_decrypt,
};
