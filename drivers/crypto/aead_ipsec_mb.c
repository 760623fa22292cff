/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The default back end: Intel IPsec-MB's job manager, ChaCha20-Poly1305
 * AEAD jobs. A whole batch is submitted before the first flush so that the
 * multi-buffer lanes of the chosen architecture fill up.
 *
 * IPsec-MB does not check Poly1305 tags: on decrypt it writes the tag it
 * computed over the ciphertext into a per-op scratch slot, and we compare
 * that with the received tag in constant time once the job completes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include "aead_internal.h"

/* What a job points at until it completes: its IV and, on decrypt, its tag. */
struct slot {
	uint8_t iv[WS_AEAD_NONCE_LEN];
	uint8_t tag[WS_AEAD_TAG_LEN];
};

struct aead_ipsec_mb {
	struct ws_aead base;
	IMB_MGR *mgr;           /* lives in mgr_mem */
	void *mgr_mem;
	size_t mgr_size;
	struct slot slots[WS_AEAD_BURST_MAX];
};

/* Associated data is always empty; IPsec-MB still wants a valid pointer. */
static const uint8_t no_aad[1];

static struct ws_aead *ipsec_mb_create(void)
{
	struct aead_ipsec_mb *e = calloc(1, sizeof(*e));
	IMB_ARCH arch = IMB_ARCH_NONE;
	int err;

	if (e == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * Our own allocation rather than alloc_mb_mgr(), so that the manager's
	 * memory (lane state may hold key material) can be wiped before free.
	 */
	e->mgr_size = imb_get_mb_mgr_size();
	if (posix_memalign(&e->mgr_mem, 64, e->mgr_size) != 0) {
		err = ENOMEM;
		goto err_mgr_mem;
	}
	e->mgr = imb_set_pointers_mb_mgr(e->mgr_mem, 0, 1);
	if (e->mgr == NULL) {
		err = ENOTSUP;
		goto err_mgr;
	}
	init_mb_mgr_auto(e->mgr, &arch);
	if (imb_get_errno(e->mgr) != 0 || arch == IMB_ARCH_NONE) {
		err = ENOTSUP;
		goto err_mgr;
	}
	return &e->base;

err_mgr:
	free(e->mgr_mem);
err_mgr_mem:
	free(e);
	errno = err;
	return NULL;
}

static void ipsec_mb_free(struct ws_aead *aead)
{
	struct aead_ipsec_mb *e = (struct aead_ipsec_mb *)aead;

	ws_memzero(e->mgr_mem, e->mgr_size);
	free(e->mgr_mem);
	ws_memzero(e, sizeof(*e));
	free(e);
}

/* Turns one completed job into its op's status; true when that is 0. */
static bool complete(const IMB_JOB *job)
{
	struct ws_aead_op *op = job->user_data;
	const struct slot *s = job->user_data2;
	bool decrypt = job->cipher_direction == IMB_DIR_DECRYPT;
	uint32_t clen = decrypt ? op->len - WS_AEAD_TAG_LEN : op->len;

	if (job->status != IMB_STATUS_COMPLETED) {
		op->status = job->status == IMB_STATUS_INVALID_ARGS ? -EINVAL : -EIO;
		if (decrypt)
			ws_memzero(op->data, clen);
		return false;
	}
	if (decrypt && !ws_tag_eq(s->tag, op->data + clen)) {
		ws_memzero(op->data, clen);
		op->status = -EBADMSG;
		return false;
	}
	op->status = 0;
	return true;
}

/*
 * Start loading an op's data and tag. IPsec-MB 1.3 runs a ChaCha20-Poly1305
 * job to completion at submit, so the next op's lines arrive while this
 * one is computed: on a worker lcore the packets were written by another
 * core and would otherwise come over one miss at a time.
 */
static void prefetch_op(const struct ws_aead_op *op, bool decrypt)
{
	const uint8_t *p = op->data;

	if (op->len == 0 || (decrypt ? !ws_aead_op_ok_decrypt(op) : !ws_aead_op_ok_encrypt(op)))
		return;
	for (uint32_t off = 0; off < op->len; off += 64)
		__builtin_prefetch(p + off);
	__builtin_prefetch(p + op->len - 1);
}

static unsigned int run(struct aead_ipsec_mb *e, struct ws_aead_op *ops,
			unsigned int n, bool decrypt)
{
	IMB_MGR *mgr = e->mgr;
	IMB_JOB *job;
	unsigned int ok = 0;

	if (n != 0)
		prefetch_op(&ops[0], decrypt);
	for (unsigned int i = 0; i < n; i++) {
		struct ws_aead_op *op = &ops[i];
		struct slot *s = &e->slots[i];

		if (i + 1 < n)
			prefetch_op(&ops[i + 1], decrypt);

		if (decrypt ? !ws_aead_op_ok_decrypt(op) : !ws_aead_op_ok_encrypt(op)) {
			op->status = -EINVAL;
			continue;
		}
		uint32_t clen = decrypt ? op->len - WS_AEAD_TAG_LEN : op->len;

		ws_aead_nonce(s->iv, op->counter);
		/* Stands until complete() overwrites it: a lost job is an error. */
		op->status = -EIO;

		job = IMB_GET_NEXT_JOB(mgr);
		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		if (decrypt) {
			job->cipher_direction = IMB_DIR_DECRYPT;
			job->chain_order = IMB_ORDER_HASH_CIPHER;
			job->auth_tag_output = s->tag;
		} else {
			job->cipher_direction = IMB_DIR_ENCRYPT;
			job->chain_order = IMB_ORDER_CIPHER_HASH;
			job->auth_tag_output = op->data + clen;
		}
		job->auth_tag_output_len_in_bytes = WS_AEAD_TAG_LEN;
		job->enc_keys = op->key;
		job->dec_keys = op->key;
		job->key_len_in_bytes = WS_KEY_LEN;
		job->src = op->data;
		job->dst = op->data;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = clen;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = clen;
		job->iv = s->iv;
		job->iv_len_in_bytes = WS_AEAD_NONCE_LEN;
		job->u.CHACHA20_POLY1305.aad = no_aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
		job->u.CHACHA20_POLY1305.ctx = NULL;
		job->user_data = op;
		job->user_data2 = s;

		/*
		 * Jobs come back in submission order, some now, the rest on
		 * flush. The arguments were checked above (ws_aead_op_ok_*)
		 * and the job is filled the same way every time: the library's
		 * own per-job argument checks are skipped.
		 */
		for (job = IMB_SUBMIT_JOB_NOCHECK(mgr); job != NULL;
		     job = IMB_GET_COMPLETED_JOB(mgr))
			ok += complete(job);
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		ok += complete(job);
	return ok;
}

static unsigned int ipsec_mb_encrypt(struct ws_aead *aead, struct ws_aead_op *ops,
				     unsigned int n)
{
	return run((struct aead_ipsec_mb *)aead, ops, n, false);
}

static unsigned int ipsec_mb_decrypt(struct ws_aead *aead, struct ws_aead_op *ops,
				     unsigned int n)
{
	return run((struct aead_ipsec_mb *)aead, ops, n, true);
}

const struct ws_aead_backend ws_aead_ipsec_mb_backend = {
	.name = "ipsec_mb",
	.create = ipsec_mb_create,
	.free = ipsec_mb_free,
	.encrypt = ipsec_mb_encrypt,
	.decrypt = ipsec_mb_decrypt,
};
