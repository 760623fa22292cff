/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the generic part (aead_batch.c) and the back ends share. Not
 * installed; nothing outside drivers/crypto includes it.
 */
#ifndef WS_AEAD_INTERNAL_H
#define WS_AEAD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ws_aead.h"

enum { WS_AEAD_NONCE_LEN = 12 };

/*
 * A back end. Its instance type starts with struct ws_aead. The burst
 * hooks get at most WS_AEAD_BURST_MAX ops, must set every op's status and
 * return how many are 0.
 */
struct ws_aead_backend {
	const char *name;
	/* Returns NULL and sets errno on failure. */
	struct ws_aead *(*create)(void);
	void (*free)(struct ws_aead *aead);
	unsigned int (*encrypt)(struct ws_aead *aead, struct ws_aead_op *ops,
				unsigned int n);
	unsigned int (*decrypt)(struct ws_aead *aead, struct ws_aead_op *ops,
				unsigned int n);
};

struct ws_aead {
	const struct ws_aead_backend *backend;
};

extern const struct ws_aead_backend ws_aead_ipsec_mb_backend;
extern const struct ws_aead_backend ws_aead_sodium_backend;

/* WireGuard's nonce: 32 zero bits, then the counter little-endian. */
static inline void ws_aead_nonce(uint8_t nonce[WS_AEAD_NONCE_LEN], uint64_t counter)
{
	nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
	for (unsigned int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* Whether an op may be handed to the cipher at all; see struct ws_aead_op. */
static inline bool ws_aead_op_ok_encrypt(const struct ws_aead_op *op)
{
	return op->data != NULL && op->key != NULL &&
	       op->len <= WS_AEAD_MAX_LEN - WS_AEAD_TAG_LEN;
}

static inline bool ws_aead_op_ok_decrypt(const struct ws_aead_op *op)
{
	return op->data != NULL && op->key != NULL &&
	       op->len >= WS_AEAD_TAG_LEN && op->len <= WS_AEAD_MAX_LEN;
}

#endif /* WS_AEAD_INTERNAL_H */
