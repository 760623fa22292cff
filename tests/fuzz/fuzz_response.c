/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for handshake responses received by the gateway. A is
 * the initiator: every input starts with A's initiation pending at B, and
 * B (the real peer) can answer it. Responses go the way
 * control_handshake.c takes them: ws_cookie_checker_validate (a cookie
 * reply instead when under load without a valid mac2),
 * ws_noise_consume_response, then ws_noise_begin_session. A raw response
 * may name A's pending receiver index, so forged responses reach the DH
 * and AEAD steps.
 *
 * Properties beyond "no crash, no sanitizer report":
 * - a response that is refused leaves A's pending handshake exactly as it
 *   was (forged responses must not destroy it, a known bug elsewhere);
 * - the same response bytes are never accepted twice;
 * - nothing completes with mismatched preshared keys;
 * - a completed handshake gives A and B matching keys and indices;
 * - every index and keypair is given back when the sides are destroyed.
 */
#include "fuzz_wg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	uint8_t flags;
	bool under_load;
	bool has_last;
	struct ws_msg_response last;
	const struct fz_side *last_from;
	struct fz_seen accepted;
};

/* What a refused response must not touch. */
struct pending {
	enum ws_noise_state state;
	bool has_local_index;
	uint32_t local_index, remote_index;
	uint8_t ephemeral_private[WS_KEY_LEN];
	uint8_t hash[WS_HASH_LEN], chaining_key[WS_HASH_LEN];
	struct ws_noise_keypair *current, *previous, *next;
	struct fz_index idx[FZ_SLOTS];
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fz_crypto_init() < 0 ? 1 : 0;
}

static void pending_get(struct pending *p)
{
	const struct ws_noise_remote *r = &fz_a.remote;

	memset(p, 0, sizeof(*p));
	p->state = r->state;
	p->has_local_index = r->has_local_index;
	p->local_index = r->local_index;
	p->remote_index = r->remote_index;
	memcpy(p->ephemeral_private, r->ephemeral_private, WS_KEY_LEN);
	memcpy(p->hash, r->hash, WS_HASH_LEN);
	memcpy(p->chaining_key, r->chaining_key, WS_HASH_LEN);
	p->current = r->current;
	p->previous = r->previous;
	p->next = r->next;
	memcpy(p->idx, fz_a.idx, sizeof(p->idx));
}

static void a_initiates(void)
{
	struct ws_msg_initiation msg;

	fz_a_initiates(&msg);
}

/* The gateway's path for one response; from NULL: unknown origin, from B's address. */
static void deliver(struct run *t, const struct ws_msg_response *in, const struct fz_side *from)
{
	const struct ws_endpoint *src = from != NULL ? &from->ep : &fz_b.ep;
	struct ws_msg_cookie reply;
	struct ws_noise_remote *r;
	struct pending before, after;
	enum ws_cookie_mac_state st;
	bool replied = false;
	int ret;

	t->has_last = true;
	t->last = *in;
	t->last_from = from;
	st = ws_cookie_checker_validate_reply(&fz_a.checker, in, sizeof(*in), src, t->under_load,
					      fz_now, &reply, &replied);
	CHECK(!replied || st == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	if (st == WS_COOKIE_INVALID_MAC1)
		return;
	if (t->under_load && st == WS_COOKIE_VALID_MAC1_NO_COOKIE) {
		CHECK(replied);
		CHECK(reply.receiver_index == in->sender_index);
		return;
	}
	pending_get(&before);
	ret = ws_noise_consume_response(&fz_a.local, in, &r);
	if (ret != 0) {
		CHECK(r == NULL);
		pending_get(&after);
		CHECK(memcmp(&before, &after, sizeof(before)) == 0);
		return;
	}
	CHECK(r == &fz_a.remote);
	CHECK(!(t->flags & FZ_F_PSK_MISMATCH));
	CHECK(before.state == WS_NOISE_CREATED_INITIATION &&
	      le32toh(in->receiver_index) == before.local_index);
	CHECK(fz_seen_add(&t->accepted, in, sizeof(*in)));
	CHECK(ws_noise_begin_session(r, fz_now) == 0);
	CHECK(fz_a.remote.current != NULL && fz_a.remote.current->local_index == before.local_index);
	CHECK(fz_a.remote.state == WS_NOISE_ZEROED && !fz_a.remote.has_local_index);
	if (fz_b.remote.next != NULL &&
	    fz_b.remote.next->local_index == fz_a.remote.current->remote_index)
		fz_check_keys_agree(fz_a.remote.current, fz_b.remote.next);
}

static void op_raw(struct run *t, struct fz_in *in)
{
	struct ws_msg_response msg;
	uint8_t how;

	fz_take(in, &msg, sizeof(msg));
	how = fz_u8(in);
	if (how & 1)
		msg.receiver_index = htole32(fz_a.remote.local_index);
	if (how & 2)
		ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
	deliver(t, &msg, NULL);
}

static void op_peer(struct run *t, struct fz_in *in)
{
	struct ws_msg_response msg;
	uint8_t pos, x;

	if (ws_noise_create_response(&fz_b.remote, &msg) != 0)
		return;
	CHECK(ws_noise_begin_session(&fz_b.remote, fz_now) == 0);
	ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
	pos = fz_u8(in);
	x = fz_u8(in);
	((uint8_t *)&msg)[pos % sizeof(msg)] ^= x;
	if (fz_u8(in) & 1)
		ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
	deliver(t, &msg, &fz_b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct ws_msg_response msg;
	struct run *t = calloc(1, sizeof(*t));

	t->flags = fz_u8(&in);
	t->under_load = t->flags & FZ_F_UNDER_LOAD;
	fz_reset(t->flags);
	a_initiates();
	for (unsigned ops = 0; fz_more(&in) && ops < 64; ops++) {
		switch (fz_u8(&in) % FZ_RESP_NOPS) {
		case FZ_RESP_RAW:
			op_raw(t, &in);
			break;
		case FZ_RESP_PEER:
			op_peer(t, &in);
			break;
		case FZ_RESP_INIT:
			fz_advance(FZ_MS(WS_HANDSHAKE_MIN_INTERVAL_MS));
			a_initiates();
			break;
		case FZ_RESP_REPLAY:
			if (t->has_last) {
				msg = t->last;
				deliver(t, &msg, t->last_from);
			}
			break;
		case FZ_RESP_ADVANCE:
			fz_advance(FZ_MS(fz_u16(&in)));
			break;
		case FZ_RESP_LOAD:
			t->under_load = !t->under_load;
			break;
		case FZ_RESP_CLEAR:
			ws_noise_remote_clear(&fz_a.remote);
			break;
		}
	}
	fz_teardown();
	free(t);
	return 0;
}
