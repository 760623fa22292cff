/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The worker role: seal or open WireGuard data messages in place, in
 * batches, with this lcore's ws_aead instance. Every packet taken from a
 * work ring goes on to the reorder/TX stage, a failure travelling as
 * meta.status, so the reorder buffers never wait on a gap. A worker takes
 * no more packets than the fullest of its to_tx rings (one per TX lcore;
 * a packet goes to the TX lcore of its stream) has room for (it is those
 * rings' only producer), so it never drops and never waits, even when it
 * shares its lcore with the TX role.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_per_lcore.h>

#include "dp_priv.h"

_Static_assert(offsetof(struct ws_noise_keypair, generation) / RTE_CACHE_LINE_SIZE ==
		       offsetof(struct ws_noise_keypair, send_key) / RTE_CACHE_LINE_SIZE,
	       "one prefetch brings what sealing reads of its keypair (ws_worker_crypt)");

/* Stream to look at first, rotated so no stream starves the others. */
static RTE_DEFINE_PER_LCORE(unsigned, worker_next_stream);
/* A worker alone on its lcore: when each stream's ring was first seen short of a batch. */
static RTE_DEFINE_PER_LCORE(uint64_t, worker_short_since[WS_MAX_STREAMS]);

enum {
	/*
	 * IPsec-MB's multi-buffer ChaCha20-Poly1305 is efficient with many
	 * jobs in flight; a dedicated worker, faster than its RX lcore,
	 * would otherwise take its rings a packet or two at a time. It
	 * waits for a batch, but never longer than WORKER_HOLD_US.
	 */
	WORKER_MIN_BATCH = 16,
	WORKER_HOLD_US = 20,
};

/* True when ring r of stream s is worth a dequeue now (dedicated worker only). */
static bool worker_batch_ready(struct rte_ring *r, unsigned s)
{
	uint64_t *since = &RTE_PER_LCORE(worker_short_since)[s];
	unsigned n = rte_ring_count(r);
	uint64_t tsc;

	if (n >= WORKER_MIN_BATCH) {
		*since = 0;
		return true;
	}
	if (n == 0) {
		*since = 0;
		return false;
	}
	tsc = rte_rdtsc();
	if (*since == 0) {
		*since = tsc;
		return false;
	}
	if (tsc - *since < rte_get_tsc_hz() / 1000000 * WORKER_HOLD_US)
		return false;
	*since = 0;
	return true;
}

/* Encryption: the message is built around the IP packet, then sealed. */
static int worker_seal_prep(const struct ws_gw *gw, struct rte_mbuf *m, struct ws_aead_op *op)
{
	struct ws_pkt_meta *meta = ws_meta(m);
	const struct ws_noise_keypair *kp = meta->kp;
	uint32_t mtu = gw->cfg->interface.mtu, padded;
	struct ws_msg_data *hdr;
	uint8_t *tail;

	if (!ws_dp_kp_fresh(meta))
		return -ESTALE;
	if (rte_pktmbuf_adj(m, meta->l3_off) == NULL)
		return -EINVAL;
	if (rte_pktmbuf_data_len(m) < meta->plain_len)
		return -EINVAL;
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - meta->plain_len));
	/* As WireGuard: pad to a multiple of 16, but not past the MTU. */
	padded = ws_msg_data_padded_len(meta->plain_len);
	if (padded > mtu)
		padded = RTE_MAX(mtu, meta->plain_len);
	tail = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(padded - meta->plain_len +
							  WS_AEAD_TAG_LEN));
	if (tail == NULL)
		return -ENOSPC;
	memset(tail, 0, padded - meta->plain_len);
	hdr = (struct ws_msg_data *)rte_pktmbuf_prepend(m, WS_MSG_DATA_HEADER_LEN);
	if (hdr == NULL)
		return -ENOSPC;
	memset(&hdr->header, 0, sizeof(hdr->header));
	hdr->header.type = WS_MSG_DATA;
	hdr->receiver_index = rte_cpu_to_le_32(kp->remote_index);
	hdr->counter = rte_cpu_to_le_64(meta->counter);
	op->data = (uint8_t *)hdr + WS_MSG_DATA_HEADER_LEN;
	op->key = kp->send_key;
	op->counter = meta->counter;
	op->len = padded;
	return 0;
}

/* Decryption: ciphertext and tag follow the 16-byte header at msg_off. */
static int worker_open_prep(struct rte_mbuf *m, struct ws_aead_op *op)
{
	struct ws_pkt_meta *meta = ws_meta(m);

	if (!ws_dp_kp_fresh(meta))
		return -ESTALE;
	if ((uint32_t)meta->msg_off + meta->msg_len > rte_pktmbuf_data_len(m) ||
	    meta->msg_len < WS_MSG_DATA_MIN_LEN)
		return -EINVAL;
	op->data = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->msg_off + WS_MSG_DATA_HEADER_LEN);
	op->key = meta->kp->recv_key;
	op->counter = meta->counter;
	op->len = meta->msg_len - WS_MSG_DATA_HEADER_LEN;
	return 0;
}

void ws_worker_crypt(struct ws_gw *gw, struct ws_lcore *lc, struct rte_mbuf **pkts, unsigned n)
{
	struct ws_aead_op enc[WS_AEAD_BURST_MAX], dec[WS_AEAD_BURST_MAX];
	struct rte_mbuf *encm[WS_AEAD_BURST_MAX], *decm[WS_AEAD_BURST_MAX];
	unsigned ne = 0, nd = 0, i;

	/*
	 * A worker alone on its lcore gets packets another core wrote: ask
	 * for every mbuf's header and meta (the private area right after it)
	 * before the first is prepared, so the misses overlap.
	 */
	for (i = 0; i < n; i++) {
		rte_prefetch0(pkts[i]);
		rte_prefetch0(ws_meta(pkts[i]));
	}
	/*
	 * Then each keypair's generation and the key of the packet's
	 * direction (sealing: one line; opening: the next one too): with
	 * many peers, as many keypairs. RX asked for the same lines (the
	 * send counter's, the replay window's), which is all it takes on
	 * its own lcore; a worker alone on another lcore asks here.
	 */
	for (i = 0; i < n; i++) {
		const struct ws_pkt_meta *meta = ws_meta(pkts[i]);
		const struct ws_noise_keypair *kp = meta->kp;

		if (kp != NULL) {
			rte_prefetch0(&kp->generation);
			if (meta->dir == WS_DIR_DECRYPT)
				rte_prefetch0(kp->recv_key);
		}
	}
	for (i = 0; i < n; i++) {
		struct ws_pkt_meta *meta = ws_meta(pkts[i]);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));

		switch (meta->dir) {
		case WS_DIR_ENCRYPT:
			meta->status = worker_seal_prep(gw, pkts[i], &enc[ne]);
			if (meta->status == 0)
				encm[ne++] = pkts[i];
			break;
		case WS_DIR_DECRYPT:
			meta->status = worker_open_prep(pkts[i], &dec[nd]);
			if (meta->status == 0)
				decm[nd++] = pkts[i];
			break;
		case WS_DIR_PASS:
			meta->status = 0;
			break;
		default:
			meta->status = -EINVAL;
			break;
		}
	}
	if (ne != 0) {
		lc->stats->encrypted += ws_aead_encrypt_burst(lc->aead, enc, ne);
		for (i = 0; i < ne; i++)
			ws_meta(encm[i])->status = enc[i].status;
	}
	if (nd != 0) {
		lc->stats->decrypted += ws_aead_decrypt_burst(lc->aead, dec, nd);
		for (i = 0; i < nd; i++)
			ws_meta(decm[i])->status = dec[i].status;
	}
}

/* The least room among this worker's rings to the TX lcores. */
static unsigned worker_room(struct ws_gw *gw, unsigned w, unsigned n_tx)
{
	unsigned room = rte_ring_free_count(*ws_gw_to_tx(gw, w, 0)), t;

	for (t = 1; t < n_tx && room != 0; t++)
		room = RTE_MIN(room, rte_ring_free_count(*ws_gw_to_tx(gw, w, t)));
	return room;
}

/* Each packet to the TX lcore owning its stream (s % n_tx); all fit (see room). */
static void worker_out(struct ws_gw *gw, unsigned w, unsigned n_tx, struct rte_mbuf **pkts,
		       unsigned n)
{
	struct rte_mbuf *out[WS_MAX_TX][WS_AEAD_BURST_MAX];
	unsigned cnt[WS_MAX_TX] = { 0 }, i, t;

	if (n_tx == 1) {
		rte_ring_enqueue_bulk(gw->to_tx[w], (void **)pkts, n, NULL);
		return;
	}
	for (i = 0; i < n; i++) {
		t = ws_meta(pkts[i])->stream % n_tx;
		out[t][cnt[t]++] = pkts[i];
	}
	for (t = 0; t < n_tx; t++)
		if (cnt[t] != 0)
			rte_ring_enqueue_bulk(*ws_gw_to_tx(gw, w, t), (void **)out[t], cnt[t], NULL);
}

void ws_worker_poll(struct ws_gw *gw, struct ws_lcore *lc)
{
	struct rte_mbuf *pkts[WS_AEAD_BURST_MAX];
	unsigned ns = gw->n_streams, n_tx = ws_gw_n_tx(gw), s, k, n, room, first;
	/* Batches are waited for only in a running loop (lc->now set), never by direct calls. */
	const bool alone = (lc->roles & WS_ROLE_RX) == 0 && lc->now != 0;

	if (ns == 0)
		return;
	first = RTE_PER_LCORE(worker_next_stream) % ns;
	RTE_PER_LCORE(worker_next_stream) = first + 1;
	for (k = 0; k < ns; k++) {
		struct rte_ring *r;

		s = (first + k) % ns;
		r = gw->work[s][lc->worker];
		if (r == NULL || (alone && s < WS_MAX_STREAMS && !worker_batch_ready(r, s)))
			continue;
		room = worker_room(gw, lc->worker, n_tx);
		if (room == 0)
			break;
		n = rte_ring_dequeue_burst(r, (void **)pkts, RTE_MIN(room, (unsigned)WS_AEAD_BURST_MAX),
					   NULL);
		if (n == 0)
			continue;
		ws_worker_crypt(gw, lc, pkts, n);
		/* Room was counted before the dequeue and only we produce: all fit. */
		worker_out(gw, lc->worker, n_tx, pkts, n);
	}
}
