/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for handshake initiations received by the gateway.
 * A is the responder with a known static key and one registered peer B
 * (fuzz_wg.h); every initiation goes the way control_handshake.c sends
 * it: ws_cookie_checker_validate (a cookie reply instead when under load
 * without a valid mac2), ws_noise_consume_initiation, and on success
 * ws_noise_create_response and ws_noise_begin_session. The response is
 * then handed to B, which completes the handshake when the initiation was
 * its latest one.
 *
 * Properties beyond "no crash, no sanitizer report":
 * - the same initiation bytes are never accepted twice (replay);
 * - only B can complete a handshake, never with mismatched preshared keys;
 * - A's response passes B's mac1 check, and a completed handshake gives
 *   both sides matching keys and indices;
 * - every index and keypair is given back when the sides are destroyed.
 */
#include "fuzz_wg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	uint8_t flags;
	bool under_load;
	bool has_last;
	struct ws_msg_initiation last;
	const struct fz_side *last_from;
	bool has_reply;
	struct ws_msg_cookie reply;
	struct fz_seen accepted;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fz_crypto_init() < 0 ? 1 : 0;
}

/* B takes A's response: it completes when it answers B's pending initiation. */
static void peer_takes_response(struct run *t, struct ws_msg_response *resp,
				const struct ws_msg_initiation *in)
{
	struct ws_noise_remote *r;
	bool pending;
	int ret;

	CHECK(ws_cookie_checker_validate(&fz_b.checker, resp, sizeof(*resp), &fz_a.ep, false,
					 fz_now) != WS_COOKIE_INVALID_MAC1);
	pending = fz_b.remote.state == WS_NOISE_CREATED_INITIATION &&
		  fz_b.remote.local_index == le32toh(in->sender_index);
	ret = ws_noise_consume_response(&fz_b.local, resp, &r);
	if (!pending || (t->flags & FZ_F_PSK_MISMATCH)) {
		CHECK(ret != 0);
		return;
	}
	CHECK(ret == 0 && r == &fz_b.remote);
	CHECK(ws_noise_begin_session(r, fz_now) == 0);
	fz_check_keys_agree(fz_b.remote.current, fz_a.remote.next);
}

/*
 * The gateway's path for one initiation; from is the side that made it
 * (NULL: bytes of unknown origin, which arrive from B's address).
 */
static void deliver(struct run *t, const struct ws_msg_initiation *in, const struct fz_side *from)
{
	const struct ws_endpoint *src = from != NULL ? &from->ep : &fz_b.ep;
	enum ws_cookie_mac_state st;
	bool replied = false;
	struct ws_msg_response resp;
	struct ws_noise_remote *r;
	int ret;

	t->has_last = true;
	t->last = *in;
	t->last_from = from;
	st = ws_cookie_checker_validate_reply(&fz_a.checker, in, sizeof(*in), src, t->under_load,
					      fz_now, &t->reply, &replied);
	CHECK(!replied || st == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	if (st == WS_COOKIE_INVALID_MAC1)
		return;
	if (t->under_load && st == WS_COOKIE_VALID_MAC1_NO_COOKIE) {
		CHECK(replied);
		CHECK(t->reply.receiver_index == in->sender_index);
		t->has_reply = true;
		return;
	}
	ret = ws_noise_consume_initiation(&fz_a.local, in, fz_now, &r);
	if (ret != 0) {
		CHECK(r == NULL);
		return;
	}
	CHECK(r == &fz_a.remote);
	CHECK(from == &fz_b || from == NULL);
	CHECK(fz_seen_add(&t->accepted, in, sizeof(*in)));

	ret = ws_noise_create_response(r, &resp);
	CHECK(ret == 0);
	CHECK(ws_noise_begin_session(r, fz_now) == 0);
	CHECK(fz_a.remote.next != NULL && fz_a.remote.next->remote_index ==
	      le32toh(in->sender_index));
	ws_cookie_maker_add_macs(&fz_a.maker, &resp, sizeof(resp), fz_now);
	peer_takes_response(t, &resp, in);
}

static void mutate(struct fz_in *in, void *msg, size_t len)
{
	uint8_t pos = fz_u8(in), x = fz_u8(in);

	((uint8_t *)msg)[pos % len] ^= x;
}

static void op_peer(struct run *t, struct fz_in *in)
{
	struct ws_msg_initiation msg;
	struct timespec wall = fz_wall_skewed((int8_t)fz_u8(in));

	if (ws_noise_create_initiation(&fz_b.remote, &msg, &wall) != 0)
		return;
	ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
	mutate(in, &msg, sizeof(msg));
	if (fz_u8(in) & 1)
		ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
	deliver(t, &msg, &fz_b);
}

static void op_stranger(struct run *t)
{
	struct ws_msg_initiation msg;

	CHECK(ws_noise_create_initiation(&fz_c.remote, &msg, &fz_wall) == 0);
	ws_cookie_maker_add_macs(&fz_c.maker, &msg, sizeof(msg), fz_now);
	deliver(t, &msg, &fz_c);
	/* A knows no C: nothing it answered may have completed for C. */
	CHECK(fz_c.remote.current == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct ws_msg_initiation msg;
	struct run *t = calloc(1, sizeof(*t));

	t->flags = fz_u8(&in);
	t->under_load = t->flags & FZ_F_UNDER_LOAD;
	fz_reset(t->flags);
	for (unsigned ops = 0; fz_more(&in) && ops < 64; ops++) {
		switch (fz_u8(&in) % FZ_INIT_NOPS) {
		case FZ_INIT_RAW:
			fz_take(&in, &msg, sizeof(msg));
			if (fz_u8(&in) & 1)
				ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
			deliver(t, &msg, NULL);
			break;
		case FZ_INIT_PEER:
			op_peer(t, &in);
			break;
		case FZ_INIT_STRANGER:
			op_stranger(t);
			break;
		case FZ_INIT_REPLAY:
			if (t->has_last) {
				msg = t->last;
				deliver(t, &msg, t->last_from);
			}
			break;
		case FZ_INIT_ADVANCE:
			fz_advance(FZ_MS(fz_u16(&in)));
			break;
		case FZ_INIT_LOAD:
			t->under_load = !t->under_load;
			break;
		case FZ_INIT_COOKIE:
			if (t->has_reply)
				(void)ws_cookie_maker_consume_reply(&fz_b.maker, &t->reply, fz_now);
			break;
		case FZ_INIT_CLEAR:
			ws_noise_remote_clear(&fz_a.remote);
			break;
		}
	}
	fz_teardown();
	free(t);
	return 0;
}
