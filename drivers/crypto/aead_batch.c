/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The back-end registry and the burst entry points. Bursts are cut into
 * batches of WS_AEAD_BURST_MAX so that back ends can size their per-op
 * scratch once, at create time.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "aead_internal.h"

/* Workers fill ops from mbufs: two per cache line. */
_Static_assert(sizeof(struct ws_aead_op) == 32, "struct ws_aead_op grew");

/* The first entry is the default. */
static const struct ws_aead_backend *const backends[] = {
	&ws_aead_ipsec_mb_backend,
	&ws_aead_sodium_backend,
};

enum { N_BACKENDS = sizeof(backends) / sizeof(backends[0]) };

const char *ws_aead_backend_name(unsigned int idx)
{
	return idx < N_BACKENDS ? backends[idx]->name : NULL;
}

struct ws_aead *ws_aead_create(const char *name)
{
	const struct ws_aead_backend *b = NULL;

	if (name == NULL) {
		b = backends[0];
	} else {
		for (unsigned int i = 0; i < N_BACKENDS; i++)
			if (strcmp(backends[i]->name, name) == 0)
				b = backends[i];
	}
	if (b == NULL) {
		errno = ENOENT;
		return NULL;
	}

	struct ws_aead *aead = b->create();
	if (aead == NULL)
		return NULL;
	aead->backend = b;
	return aead;
}

void ws_aead_free(struct ws_aead *aead)
{
	if (aead == NULL)
		return;
	aead->backend->free(aead);
}

const char *ws_aead_name(const struct ws_aead *aead)
{
	return aead->backend->name;
}

unsigned int ws_aead_encrypt_burst(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n)
{
	unsigned int ok = 0;

	while (n > 0) {
		unsigned int m = n < WS_AEAD_BURST_MAX ? n : WS_AEAD_BURST_MAX;

		ok += aead->backend->encrypt(aead, ops, m);
		ops += m;
		n -= m;
	}
	return ok;
}

unsigned int ws_aead_decrypt_burst(struct ws_aead *aead, struct ws_aead_op *ops,
				   unsigned int n)
{
	unsigned int ok = 0;

	while (n > 0) {
		unsigned int m = n < WS_AEAD_BURST_MAX ? n : WS_AEAD_BURST_MAX;

		ok += aead->backend->decrypt(aead, ops, m);
		ops += m;
		n -= m;
	}
	return ok;
}
