/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The crypto ceiling: ChaCha20-Poly1305 on one core, WireGuard-padded
 * lengths, bursts of 32, encrypt and decrypt, through
 *   ipsec_mb_raw   IPsec-MB's job manager driven directly (as
 *                  drivers/crypto/aead_ipsec_mb.c drives it, minus checks)
 *   ws_aead_*      drivers/crypto's batch API, every back end
 *   libsodium      crypto_aead_chacha20poly1305_ietf_*_detached per packet
 *   cryptodev      DPDK's crypto_ipsec_mb PMD (vdev crypto_chacha20_poly1305)
 *                  through rte_cryptodev, bursts of enqueue + dequeue
 *
 *   crypto_ceiling [--short] [--secs S] [--json FILE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "bench_util.h"
#include "messages.h"
#include "ws_crypto.h"

/* ---- IPsec-MB job manager, raw ---- */

struct raw_mb {
	IMB_MGR *mgr;
	uint8_t iv[BENCH_BATCH][12];
	uint8_t tag[BENCH_BATCH][16];
};

static const uint8_t no_aad[1];

static unsigned raw_done(IMB_JOB *job)
{
	struct ws_aead_op *op = job->user_data;

	if (job->status != IMB_STATUS_COMPLETED)
		return 0;
	if (job->cipher_direction == IMB_DIR_DECRYPT &&
	    memcmp(job->auth_tag_output, op->data + op->len - 16, 16) != 0)
		return 0;
	return 1;
}

static unsigned raw_mb_burst(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt)
{
	struct raw_mb *r = ctx;
	IMB_MGR *mgr = r->mgr;
	IMB_JOB *job;
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++) {
		struct ws_aead_op *op = &ops[i];
		uint32_t clen = decrypt ? op->len - 16 : op->len;

		memset(r->iv[i], 0, 4);
		memcpy(r->iv[i] + 4, &op->counter, 8);
		job = IMB_GET_NEXT_JOB(mgr);
		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->cipher_direction = decrypt ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
		job->chain_order = decrypt ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
		job->auth_tag_output = decrypt ? r->tag[i] : op->data + clen;
		job->auth_tag_output_len_in_bytes = 16;
		job->enc_keys = op->key;
		job->dec_keys = op->key;
		job->key_len_in_bytes = 32;
		job->src = op->data;
		job->dst = op->data;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = clen;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = clen;
		job->iv = r->iv[i];
		job->iv_len_in_bytes = 12;
		job->u.CHACHA20_POLY1305.aad = no_aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
		job->user_data = op;
		for (job = IMB_SUBMIT_JOB(mgr); job != NULL; job = IMB_GET_COMPLETED_JOB(mgr))
			ok += raw_done(job);
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		ok += raw_done(job);
	return ok;
}

/* ---- libsodium, one call per packet ---- */

static unsigned sodium_burst(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt)
{
	unsigned ok = 0;

	RTE_SET_USED(ctx);
	for (unsigned i = 0; i < n; i++) {
		struct ws_aead_op *op = &ops[i];
		uint8_t nonce[12] = { 0 };

		memcpy(nonce + 4, &op->counter, 8);
		if (decrypt)
			ok += crypto_aead_chacha20poly1305_ietf_decrypt_detached(
				op->data, NULL, op->data, op->len - 16, op->data + op->len - 16,
				NULL, 0, nonce, op->key) == 0;
		else
			ok += crypto_aead_chacha20poly1305_ietf_encrypt_detached(
				op->data, op->data + op->len, NULL, op->data, op->len, NULL, 0,
				NULL, nonce, op->key) == 0;
	}
	return ok;
}

/* ---- DPDK cryptodev, crypto_ipsec_mb vdev ---- */

struct cdev {
	uint8_t dev_id;
	struct rte_mempool *op_pool, *sess_pool, *mbuf_pool;
	void *sess[2];                  /* encrypt, decrypt */
	struct rte_mbuf *m[BENCH_BATCH];
	void *own_buf[BENCH_BATCH];
	rte_iova_t own_iova[BENCH_BATCH];
	struct rte_crypto_op *cop[BENCH_BATCH];
	uint8_t key[32];
};

#define CDEV_NAME "crypto_chacha20_poly1305"

enum { IV_OFF = sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op) };

static int cdev_open(struct cdev *c, const char **why)
{
	struct rte_cryptodev_config conf = { .socket_id = SOCKET_ID_ANY, .nb_queue_pairs = 1 };
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = 2048 };
	struct rte_crypto_sym_xform x = { .type = RTE_CRYPTO_SYM_XFORM_AEAD };
	int id;

	/*
	 * DPDK 22.11's crypto_ipsec_mb PMD (pmds-23.0/librte_crypto_ipsec_mb.so,
	 * loaded by the EAL from its plugin directory) registers one vdev per
	 * algorithm family; ChaCha20-Poly1305 is "crypto_chacha20_poly1305".
	 */
	if (rte_vdev_init(CDEV_NAME, NULL) != 0) {
		*why = "rte_vdev_init(" CDEV_NAME ") failed: is pmds-23.0/"
		       "librte_crypto_ipsec_mb.so installed?";
		return -ENODEV;
	}
	id = rte_cryptodev_get_dev_id(CDEV_NAME);
	if (id < 0) {
		*why = "no cryptodev named " CDEV_NAME;
		return -ENODEV;
	}
	c->dev_id = (uint8_t)id;
	c->sess_pool = rte_cryptodev_sym_session_pool_create(
		"cc_sess", 16, rte_cryptodev_sym_get_private_session_size(c->dev_id), 0, 0,
		SOCKET_ID_ANY);
	c->op_pool = rte_crypto_op_pool_create("cc_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 1023, 0,
					       16, SOCKET_ID_ANY);
	c->mbuf_pool = rte_pktmbuf_pool_create("cc_mbuf", 255, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
					       SOCKET_ID_ANY);
	if (c->sess_pool == NULL || c->op_pool == NULL || c->mbuf_pool == NULL) {
		*why = "pools";
		return -ENOMEM;
	}
	qp.mp_session = c->sess_pool;
	if (rte_cryptodev_configure(c->dev_id, &conf) != 0 ||
	    rte_cryptodev_queue_pair_setup(c->dev_id, 0, &qp, SOCKET_ID_ANY) != 0 ||
	    rte_cryptodev_start(c->dev_id) != 0) {
		*why = "configure/queue pair/start";
		return -EIO;
	}
	for (unsigned k = 0; k < 32; k++)
		c->key[k] = (uint8_t)rte_rand();
	x.aead.algo = RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
	x.aead.key.data = c->key;
	x.aead.key.length = 32;
	x.aead.iv.offset = IV_OFF;
	x.aead.iv.length = 12;
	x.aead.digest_length = 16;
	x.aead.aad_length = 0;
	for (int d = 0; d < 2; d++) {
		x.aead.op = d ? RTE_CRYPTO_AEAD_OP_DECRYPT : RTE_CRYPTO_AEAD_OP_ENCRYPT;
		c->sess[d] = rte_cryptodev_sym_session_create(c->dev_id, &x, c->sess_pool);
		if (c->sess[d] == NULL) {
			*why = "session create (ChaCha20-Poly1305 not offered?)";
			return -ENOTSUP;
		}
	}
	if (rte_pktmbuf_alloc_bulk(c->mbuf_pool, c->m, BENCH_BATCH) != 0) {
		*why = "mbufs";
		return -ENOMEM;
	}
	for (unsigned i = 0; i < BENCH_BATCH; i++) {
		c->own_buf[i] = c->m[i]->buf_addr;
		c->own_iova[i] = c->m[i]->buf_iova;
	}
	return 0;
}

static void cdev_close(struct cdev *c)
{
	if (c->m[0] != NULL) {
		for (unsigned i = 0; i < BENCH_BATCH; i++) {
			c->m[i]->buf_addr = c->own_buf[i];
			c->m[i]->buf_iova = c->own_iova[i];
			rte_pktmbuf_reset(c->m[i]);
		}
		rte_pktmbuf_free_bulk(c->m, BENCH_BATCH);
	}
	for (int d = 0; d < 2; d++)
		if (c->sess[d] != NULL)
			rte_cryptodev_sym_session_free(c->dev_id, c->sess[d]);
	if (c->op_pool != NULL) {
		rte_cryptodev_stop(c->dev_id);
		rte_cryptodev_close(c->dev_id);
	}
	rte_mempool_free(c->op_pool);
	rte_mempool_free(c->sess_pool);
	rte_mempool_free(c->mbuf_pool);
}

/*
 * The device works on mbufs: each op's mbuf is pointed at the runner's
 * buffer (a software PMD reads only the virtual address), so no copy is
 * timed; cdev_close puts the mbufs' own buffers back before freeing.
 */
static unsigned cdev_burst(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt)
{
	struct cdev *c = ctx;
	unsigned done = 0, ok = 0;

	if (rte_crypto_op_bulk_alloc(c->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, c->cop, n) == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = c->m[i];
		struct rte_crypto_op *op = c->cop[i];
		uint32_t clen = decrypt ? ops[i].len - 16 : ops[i].len;
		uint8_t *iv = rte_crypto_op_ctod_offset(op, uint8_t *, IV_OFF);

		m->buf_addr = ops[i].data;
		m->buf_iova = (rte_iova_t)(uintptr_t)ops[i].data;
		m->data_off = 0;
		m->data_len = (uint16_t)(clen + 16);
		m->pkt_len = clen + 16;
		memset(iv, 0, 4);
		memcpy(iv + 4, &ops[i].counter, 8);
		rte_crypto_op_attach_sym_session(op, c->sess[decrypt]);
		op->sym->m_src = m;
		op->sym->aead.data.offset = 0;
		op->sym->aead.data.length = clen;
		op->sym->aead.digest.data = ops[i].data + clen;
		op->sym->aead.digest.phys_addr = m->buf_iova + clen;
		op->sym->aead.aad.data = (uint8_t *)no_aad;
	}
	unsigned sent = rte_cryptodev_enqueue_burst(c->dev_id, 0, c->cop, (uint16_t)n);
	while (done < sent) {
		struct rte_crypto_op *out[BENCH_BATCH];
		unsigned k = rte_cryptodev_dequeue_burst(c->dev_id, 0, out, BENCH_BATCH);

		for (unsigned i = 0; i < k; i++)
			ok += out[i]->status == RTE_CRYPTO_OP_STATUS_SUCCESS;
		done += k;
	}
	rte_mempool_put_bulk(c->op_pool, (void **)c->cop, n);
	return ok;
}

/* cdev_burst keys with the session's key: seal the runner's data with it too. */
static unsigned cdev_burst_keyed(void *ctx, struct ws_aead_op *ops, unsigned n, bool decrypt)
{
	struct cdev *c = ctx;

	for (unsigned i = 0; i < n; i++)
		ops[i].key = c->key;
	if (decrypt)
		return cdev_burst(ctx, ops, n, true);
	/*
	 * Sealing inputs for a later decrypt goes through libsodium with the
	 * same key (n == 1 then); a timed encrypt burst through the device.
	 */
	if (n == 1)
		return sodium_burst(NULL, ops, 1, false);
	return cdev_burst(ctx, ops, n, false);
}

/* ---- main ---- */


typedef int (*impl_setup)(void **ctx, const char **why);

static json_t *measure(const char *name, bench_burst_fn fn, void *ctx, const struct bench_opts *o)
{
	json_t *rows = json_array();

	for (unsigned s = 0; s < BENCH_N_SIZES; s++) {
		if (o->short_mode && s != 0 && s != 5 && s != BENCH_N_SIZES - 1)
			continue;
		for (int d = 0; d < 2; d++) {
			struct bench_rate r;
			char sz[16];
			int rc = bench_ceiling_run(fn, ctx, bench_sizes[s], d == 1, o->secs, &r);

			bench_size_name(bench_sizes[s], sz, sizeof(sz));
			if (rc != 0) {
				fprintf(stderr, "crypto_ceiling: %s %s %s: %s\n", name, sz,
					d ? "decrypt" : "encrypt", strerror(-rc));
				continue;
			}
			json_t *row = bench_rate_json(&r);
			json_object_set_new(row, "size", json_string(sz));
			json_object_set_new(row, "dir", json_string(d ? "decrypt" : "encrypt"));
			json_array_append_new(rows, row);
			printf("%-16s %-5s %-8s %8.1f cyc/pkt %7.3f Mpps %7.2f Gbps\n", name, sz,
			       d ? "decrypt" : "encrypt", bench_cpp(&r), bench_mpps(&r),
			       bench_gbps(&r));
		}
	}
	return rows;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .secs = 0.5 };
	json_t *root, *impls, *missing;
	struct raw_mb raw = { 0 };
	struct cdev cd = { 0 };
	const char *why = NULL;
	IMB_ARCH arch = IMB_ARCH_NONE;

	for (int i = 1; i < argc;) {
		int j = bench_opts_take(argc, argv, i, &o);

		if (j <= i) {
			fprintf(stderr, "usage: crypto_ceiling [--short] [--secs S] [--json FILE]\n");
			return 2;
		}
		i = j;
	}
	bench_short_secs(&o, 0.05);
	if (bench_eal_init("crypto_ceiling", "0", 256, NULL) != 0 || ws_crypto_init() != 0) {
		fprintf(stderr, "crypto_ceiling: EAL or crypto init failed\n");
		return 1;
	}
	root = json_object();
	impls = json_object();
	missing = json_object();
	json_object_set_new(root, "tsc_hz", json_real(bench_tsc_hz()));
	json_object_set_new(root, "imix_mean_bytes", json_real(bench_imix_avg()));

	raw.mgr = alloc_mb_mgr(0);
	if (raw.mgr != NULL)
		init_mb_mgr_auto(raw.mgr, &arch);
	if (raw.mgr != NULL && arch != IMB_ARCH_NONE) {
		static const char *const an[] = { "none", "noaesni", "sse", "avx", "avx2", "avx512" };
		json_object_set_new(root, "ipsec_mb_arch",
				    json_string(arch < RTE_DIM(an) ? an[arch] : "?"));
		json_object_set_new(root, "ipsec_mb_version", json_string(imb_get_version_str()));
		json_object_set_new(impls, "ipsec_mb_raw", measure("ipsec_mb_raw", raw_mb_burst,
								    &raw, &o));
	} else {
		json_object_set_new(missing, "ipsec_mb_raw", json_string("no usable IPsec-MB arch"));
	}
	for (unsigned b = 0; ws_aead_backend_name(b) != NULL; b++) {
		char name[48];
		struct ws_aead *a = ws_aead_create(ws_aead_backend_name(b));

		snprintf(name, sizeof(name), "ws_aead_%s", ws_aead_backend_name(b));
		if (a == NULL) {
			json_object_set_new(missing, name, json_string(strerror(errno)));
			continue;
		}
		json_object_set_new(impls, name, measure(name, bench_ws_aead_fn, a, &o));
		ws_aead_free(a);
	}
	json_object_set_new(impls, "libsodium", measure("libsodium", sodium_burst, NULL, &o));
	if (cdev_open(&cd, &why) == 0)
		json_object_set_new(impls, "cryptodev_ipsec_mb", measure("cryptodev_ipsec_mb",
									 cdev_burst_keyed, &cd, &o));
	else
		json_object_set_new(missing, "cryptodev_ipsec_mb", json_string(why));
	cdev_close(&cd);
	if (raw.mgr != NULL)
		free_mb_mgr(raw.mgr);

	json_object_set_new(root, "implementations", impls);
	json_object_set_new(root, "unavailable", missing);
	int rc = bench_json_write(root, o.json);
	json_decref(root);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
