/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for received transport data messages, with a known
 * keypair: the header checks lib/net applies (type, length, receiver
 * index), batched decryption through drivers/crypto as the workers do it
 * (bursts of up to 16, in place), then, for what verified, the replay
 * window (ws_counter_validate) and the inner IP parse, as the reorder
 * stage does.
 *
 * Each message is opened three ways: by the ipsec_mb and sodium back ends
 * of ws_aead and by lib/crypto's ws_aead_decrypt. They must agree on the
 * verdict and the plaintext. The replay window is checked against a slow,
 * obviously-right oracle: counter c is accepted iff it is below
 * WS_REJECT_AFTER_MESSAGES, was never accepted, and c + 1 +
 * WS_COUNTER_WINDOW_SIZE reaches one past the highest counter accepted.
 */
#include "fuzz_wg.h"
#include "counter.h"
#include "ws_aead.h"
#include "ws_net.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { BURST = 16, MAX_PLAIN = 2048, MAX_ACCEPTED = 4096 };

static const uint32_t our_index = 0x01020304;
static uint8_t recv_key[WS_KEY_LEN];
static struct ws_aead *mb, *na;

struct queued {
	uint8_t *a, *b;     /* exact-size copies, one per back end */
	uint8_t *orig;      /* as received, for lib/crypto's verdict */
	uint32_t len;       /* whole message */
	uint64_t counter;
};

struct run {
	struct ws_counter win;
	uint64_t accepted[MAX_ACCEPTED];
	unsigned n_accepted;
	uint64_t top;       /* oracle: one past the highest counter accepted */
	bool has_sealed;
	uint64_t max_sealed;
	uint8_t *last;
	uint32_t last_len;
	struct queued q[BURST];
	unsigned nq;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fz_crypto_init() < 0)
		return 1;
	memset(recv_key, 0x77, sizeof(recv_key));
	mb = ws_aead_create("ipsec_mb");
	na = ws_aead_create("sodium");
	return mb == NULL || na == NULL;
}

static bool oracle_accept(struct run *t, uint64_t c)
{
	if (c >= WS_REJECT_AFTER_MESSAGES || c + 1 + WS_COUNTER_WINDOW_SIZE < t->top)
		return false;
	for (unsigned i = 0; i < t->n_accepted; i++)
		if (t->accepted[i] == c)
			return false;
	CHECK(t->n_accepted < MAX_ACCEPTED);
	t->accepted[t->n_accepted++] = c;
	if (c + 1 > t->top)
		t->top = c + 1;
	return true;
}

static void flush(struct run *t)
{
	struct ws_aead_op oa[BURST], ob[BURST];
	unsigned i;

	if (t->nq == 0)
		return;
	for (i = 0; i < t->nq; i++) {
		struct queued *q = &t->q[i];

		oa[i] = (struct ws_aead_op){ .data = q->a + WS_MSG_DATA_HEADER_LEN, .key = recv_key,
					     .counter = q->counter,
					     .len = q->len - WS_MSG_DATA_HEADER_LEN };
		ob[i] = oa[i];
		ob[i].data = q->b + WS_MSG_DATA_HEADER_LEN;
	}
	ws_aead_decrypt_burst(mb, oa, t->nq);
	ws_aead_decrypt_burst(na, ob, t->nq);
	/* In arrival order, as the reorder stage restores it. */
	for (i = 0; i < t->nq; i++) {
		struct queued *q = &t->q[i];
		uint32_t clen = q->len - WS_MSG_DATA_HEADER_LEN, plen = clen - WS_AEAD_TAG_LEN;
		uint8_t *ref = malloc(clen);
		struct ws_net_inner in;
		int rs;

		rs = ws_aead_decrypt(ref, q->orig + WS_MSG_DATA_HEADER_LEN, clen, NULL, 0,
				     q->counter, recv_key);
		CHECK(oa[i].status == ob[i].status);
		CHECK(oa[i].status == 0 || oa[i].status == -EBADMSG);
		if (oa[i].status != 0) {
			CHECK(rs == -EBADMSG);
			CHECK(ws_is_zero(q->a + WS_MSG_DATA_HEADER_LEN, plen));
			CHECK(ws_is_zero(q->b + WS_MSG_DATA_HEADER_LEN, plen));
		} else {
			CHECK(rs == 0);
			CHECK(memcmp(q->a + WS_MSG_DATA_HEADER_LEN, ref, plen) == 0);
			CHECK(memcmp(q->b + WS_MSG_DATA_HEADER_LEN, ref, plen) == 0);
			CHECK(ws_counter_validate(&t->win, q->counter) ==
			      oracle_accept(t, q->counter));
			if (ws_net_inner_parse(ref, plen, &in) == WS_NET_DROP_NONE)
				CHECK(in.len <= plen && (plen == 0) == (in.family == WS_AF_NONE));
		}
		free(ref);
		free(q->a);
		free(q->b);
		free(q->orig);
	}
	t->nq = 0;
}

/* lib/net's checks, then the receiver index; what passes joins the burst. */
static void deliver(struct run *t, const uint8_t *msg, uint32_t len)
{
	struct ws_msg_data hdr;
	struct queued *q;

	free(t->last);
	t->last = malloc(len ? len : 1);
	memcpy(t->last, msg, len);
	t->last_len = len;
	if (len < WS_MSG_DATA_MIN_LEN || len - WS_MSG_DATA_HEADER_LEN > WS_AEAD_MAX_LEN)
		return;
	memcpy(&hdr, msg, sizeof(hdr));
	if (hdr.header.type != WS_MSG_DATA || hdr.header.reserved[0] || hdr.header.reserved[1] ||
	    hdr.header.reserved[2] || le32toh(hdr.receiver_index) != our_index)
		return;
	q = &t->q[t->nq++];
	q->len = len;
	q->counter = le64toh(hdr.counter);
	q->a = malloc(len);
	q->b = malloc(len);
	q->orig = malloc(len);
	memcpy(q->orig, msg, len);
	memcpy(q->a, msg, len);
	memcpy(q->b, msg, len);
	if (t->nq == BURST)
		flush(t);
}

static void op_seal(struct run *t, struct fz_in *in)
{
	unsigned mode = fz_u8(in) % FZ_SEAL_NMODES;
	uint64_t arg = fz_u64(in), counter;
	uint32_t len = fz_u16(in) % (MAX_PLAIN + 1), padded = ws_msg_data_padded_len(len);
	uint32_t total = WS_MSG_DATA_MIN_LEN + padded;
	uint8_t *msg = calloc(1, total), *plain = calloc(1, padded ? padded : 1);
	struct ws_msg_data hdr = { .header.type = WS_MSG_DATA };
	uint16_t pos;
	uint8_t x;

	switch (mode) {
	case FZ_SEAL_NEXT:
		counter = t->has_sealed ? t->max_sealed + 1 : 0;
		break;
	case FZ_SEAL_ABS:
		counter = arg;
		break;
	default:
		counter = t->has_sealed ? t->max_sealed - (arg & 0xffff) : 0;
		break;
	}
	if (!t->has_sealed || counter > t->max_sealed)
		t->max_sealed = counter;
	t->has_sealed = true;
	fz_take(in, plain, len);
	hdr.receiver_index = htole32(our_index);
	hdr.counter = htole64(counter);
	memcpy(msg, &hdr, sizeof(hdr));
	ws_aead_encrypt(msg + WS_MSG_DATA_HEADER_LEN, plain, padded, NULL, 0, counter, recv_key);
	pos = fz_u16(in);
	x = fz_u8(in);
	msg[pos % total] ^= x;
	deliver(t, msg, total);
	free(plain);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct run *t = calloc(1, sizeof(*t));
	uint8_t *buf;
	uint16_t len;

	ws_counter_init(&t->win);
	(void)fz_u8(&in);   /* flags: none yet; kept for the common input shape */
	for (unsigned ops = 0; fz_more(&in) && ops < 256; ops++) {
		switch (fz_u8(&in) % FZ_DATA_NOPS) {
		case FZ_DATA_RAW:
			len = fz_u16(&in);
			buf = malloc(len ? len : 1);
			fz_take(&in, buf, len);
			deliver(t, buf, len);
			free(buf);
			break;
		case FZ_DATA_SEAL:
			op_seal(t, &in);
			break;
		case FZ_DATA_REPLAY:
			if (t->last != NULL) {
				buf = malloc(t->last_len ? t->last_len : 1);
				memcpy(buf, t->last, t->last_len);
				deliver(t, buf, t->last_len);
				free(buf);
			}
			break;
		case FZ_DATA_FLUSH:
			flush(t);
			break;
		}
	}
	flush(t);
	free(t->last);
	free(t);
	return 0;
}
