/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for cookie replies received by the gateway. A has sent
 * an initiation to B (so its cookie maker holds a mac1 to bind replies
 * to); B, under load, answers with cookie replies. Replies go the way
 * control_handshake.c takes them: the receiver index names A's pending
 * handshake (or a keypair's), then ws_cookie_maker_consume_reply.
 *
 * Properties beyond "no crash, no sanitizer report":
 * - the same reply is never accepted twice, and never for an index that
 *   names nothing;
 * - after A learnt a cookie from B's reply, A's next initiation carries a
 *   mac2 that B's checker accepts (while neither the cookie nor B's
 *   secret has aged out);
 * - every index and keypair is given back when the sides are destroyed.
 */
#include "fuzz_wg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	bool has_init;
	struct ws_msg_initiation init;      /* A's last message */
	bool has_last;
	struct ws_msg_cookie last;          /* the last reply delivered */
	bool has_peer_reply;
	struct ws_msg_cookie peer_reply;    /* the last reply B made, unmutated */
	uint64_t peer_secret_birth;         /* B's secret when it made that reply */
	bool cookie_known;                  /* A learnt peer_reply's cookie */
	uint64_t cookie_secret_birth;
	struct fz_seen accepted;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fz_crypto_init() < 0 ? 1 : 0;
}

static void a_sends(struct run *t)
{
	enum ws_cookie_mac_state st;

	if (ws_noise_create_initiation(&fz_a.remote, &t->init, &fz_wall) != 0)
		return;
	ws_cookie_maker_add_macs(&fz_a.maker, &t->init, sizeof(t->init), fz_now);
	t->has_init = true;
	st = ws_cookie_checker_validate(&fz_b.checker, &t->init, sizeof(t->init), &fz_a.ep, true,
					fz_now);
	CHECK(st != WS_COOKIE_INVALID_MAC1);
	if (t->cookie_known && fz_b.checker.secret_birthdate == t->cookie_secret_birth &&
	    fz_now - t->cookie_secret_birth < WS_COOKIE_SECRET_MAX_AGE * WS_NSEC_PER_SEC &&
	    fz_now - fz_a.maker.cookie_birthdate <
		    (WS_COOKIE_SECRET_MAX_AGE - WS_COOKIE_SECRET_LATENCY) * WS_NSEC_PER_SEC)
		CHECK(st == WS_COOKIE_VALID_COOKIE);
}

/* The gateway's path for one cookie reply. */
static void deliver(struct run *t, const struct ws_msg_cookie *in)
{
	uint32_t idx = le32toh(in->receiver_index);
	struct fz_index *e = fz_find(&fz_a, idx);
	struct ws_noise_remote *r = NULL;

	t->has_last = true;
	t->last = *in;
	if (e != NULL)
		r = e->kp != NULL ? e->kp->remote : e->r;
	if (r == NULL)
		return;
	CHECK(r == &fz_a.remote);
	if (ws_cookie_maker_consume_reply(&fz_a.maker, in, fz_now) != 0)
		return;
	CHECK(fz_seen_add(&t->accepted, in, sizeof(*in)));
	CHECK(fz_a.maker.cookie_valid);
	t->cookie_known = t->has_peer_reply && memcmp(in, &t->peer_reply, sizeof(*in)) == 0;
	t->cookie_secret_birth = t->peer_secret_birth;
}

static void op_peer(struct run *t, struct fz_in *in)
{
	struct ws_msg_cookie reply;
	uint8_t pos = fz_u8(in), x = fz_u8(in);

	if (!t->has_init)
		return;
	CHECK(ws_cookie_checker_create_reply(&fz_b.checker, &reply, &t->init, sizeof(t->init),
					     &fz_a.ep, fz_now) == 0);
	CHECK(reply.receiver_index == t->init.sender_index);
	t->has_peer_reply = true;
	t->peer_reply = reply;
	t->peer_secret_birth = fz_b.checker.secret_birthdate;
	((uint8_t *)&reply)[pos % sizeof(reply)] ^= x;
	deliver(t, &reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct ws_msg_cookie msg;
	struct run *t = calloc(1, sizeof(*t));

	fz_reset(fz_u8(&in));
	a_sends(t);
	for (unsigned ops = 0; fz_more(&in) && ops < 64; ops++) {
		switch (fz_u8(&in) % FZ_COOKIE_NOPS) {
		case FZ_COOKIE_RAW:
			fz_take(&in, &msg, sizeof(msg));
			if (fz_u8(&in) & 1)
				msg.receiver_index = htole32(fz_a.remote.local_index);
			deliver(t, &msg);
			break;
		case FZ_COOKIE_PEER:
			op_peer(t, &in);
			break;
		case FZ_COOKIE_SEND:
			a_sends(t);
			break;
		case FZ_COOKIE_REPLAY:
			if (t->has_last) {
				msg = t->last;
				deliver(t, &msg);
			}
			break;
		case FZ_COOKIE_ADVANCE:
			fz_advance((uint64_t)fz_u8(&in) * WS_NSEC_PER_SEC);
			break;
		}
	}
	fz_teardown();
	free(t);
	return 0;
}
