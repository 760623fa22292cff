/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-peer timers in virtual time: every timer's deadline to the
 * nanosecond, jitter bounds with a fixed and a seeded random source, the
 * retransmit budget and giving up, keepalives, rekey and expiry checks,
 * and a randomized run checking that polling at next_deadline() is exact.
 */
#include "test_common.h"

#include "messages.h"
#include "timers.h"

#define MS(x) ((uint64_t)(x) * 1000000ULL)
#define SECS(x) ((uint64_t)(x) * WS_NSEC_PER_SEC)
#define OFF UINT64_MAX
/* Virtual time starts far from zero, so that no "0 means unset" hides. */
#define T0 SECS(86400)
#define JITTER_MAX MS(WS_REKEY_TIMEOUT_JITTER_MAX_MS - 1)

struct fake_rand {
	bool fixed;
	uint32_t value;         /* when fixed */
	uint64_t state;         /* splitmix state otherwise */
};

static uint32_t fake_rand(void *ctx)
{
	struct fake_rand *f = ctx;

	return f->fixed ? f->value : (uint32_t)(ws_test_rand(&f->state) >> 32);
}

/* The owner's side of sending and receiving, in the order timers.h gives. */
static void send_initiation(struct ws_timers *t, uint64_t now)
{
	ws_timers_any_authenticated_packet_traversal(t, now);
	ws_timers_any_authenticated_packet_sent(t, now);
	ws_timers_handshake_initiated(t, now);
}

static void send_keepalive(struct ws_timers *t, uint64_t now)
{
	ws_timers_any_authenticated_packet_traversal(t, now);
	ws_timers_any_authenticated_packet_sent(t, now);
}

static void send_data(struct ws_timers *t, uint64_t now)
{
	send_keepalive(t, now);
	ws_timers_data_sent(t, now);
}

static void receive_keepalive(struct ws_timers *t, uint64_t now)
{
	ws_timers_any_authenticated_packet_received(t, now);
	ws_timers_any_authenticated_packet_traversal(t, now);
}

static void receive_data(struct ws_timers *t, uint64_t now)
{
	receive_keepalive(t, now);
	ws_timers_data_received(t, now);
}

static void init_fixed(struct ws_timers *t, struct fake_rand *f, uint32_t value)
{
	*f = (struct fake_rand){.fixed = true, .value = value};
	ws_timers_init(t, fake_rand, f);
}

static void test_rekey_after_time(void)
{
	struct ws_keypair_facts kp = {.birth = T0, .counter = 1, .initiator = true};

	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0));
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(119) + MS(900)));
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(WS_REKEY_AFTER_TIME) - 1));
	CU_ASSERT_TRUE(ws_timers_rekey_on_send(&kp, T0 + SECS(WS_REKEY_AFTER_TIME)));
	CU_ASSERT_TRUE(ws_timers_rekey_on_send(&kp, T0 + SECS(179)));
	/* A clock read that lags the birth stamp is no age at all. */
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 - 1));

	/* The responder leaves time-based rekeying to the initiator. */
	kp.initiator = false;
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(WS_REKEY_AFTER_TIME)));
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(179)));
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(100000)));
}

static void test_rekey_after_messages(void)
{
	struct ws_keypair_facts kp = {.birth = T0, .initiator = false};

	kp.counter = WS_REKEY_AFTER_MESSAGES - 1;
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(1)));
	kp.counter = WS_REKEY_AFTER_MESSAGES;
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(1)));
	kp.counter = WS_REKEY_AFTER_MESSAGES + 1;
	CU_ASSERT_TRUE(ws_timers_rekey_on_send(&kp, T0 + SECS(1)));
	kp.initiator = true;
	CU_ASSERT_TRUE(ws_timers_rekey_on_send(&kp, T0 + SECS(1)));
	kp.counter = WS_REKEY_AFTER_MESSAGES;
	CU_ASSERT_FALSE(ws_timers_rekey_on_send(&kp, T0 + SECS(1)));
	/* Still usable long after rekeying is due. */
	kp.counter = WS_REKEY_AFTER_MESSAGES + 1;
	CU_ASSERT_FALSE(ws_timers_keypair_expired(&kp, T0 + SECS(1)));
}

static void test_keypair_expired(void)
{
	struct ws_keypair_facts kp = {.birth = T0, .counter = 0, .initiator = true};

	for (int initiator = 0; initiator < 2; initiator++) {
		kp.initiator = initiator;
		kp.counter = 0;
		CU_ASSERT_FALSE(ws_timers_keypair_expired(&kp, T0));
		CU_ASSERT_FALSE(ws_timers_keypair_expired(&kp, T0 + SECS(179) + MS(999)));
		CU_ASSERT_FALSE(ws_timers_keypair_expired(&kp, T0 + SECS(WS_REJECT_AFTER_TIME) - 1));
		CU_ASSERT_TRUE(ws_timers_keypair_expired(&kp, T0 + SECS(WS_REJECT_AFTER_TIME)));
		CU_ASSERT_TRUE(ws_timers_keypair_expired(&kp, T0 + SECS(10000)));

		kp.counter = WS_REJECT_AFTER_MESSAGES - 1;
		CU_ASSERT_FALSE(ws_timers_keypair_expired(&kp, T0));
		kp.counter = WS_REJECT_AFTER_MESSAGES;
		CU_ASSERT_TRUE(ws_timers_keypair_expired(&kp, T0));
		kp.counter = UINT64_MAX;
		CU_ASSERT_TRUE(ws_timers_keypair_expired(&kp, T0));
	}
	CU_ASSERT_EQUAL(WS_REJECT_AFTER_MESSAGES, UINT64_MAX - 8192);
}

static void test_rekey_on_receive(void)
{
	const uint64_t due = T0 + SECS(WS_REJECT_AFTER_TIME - WS_KEEPALIVE_TIMEOUT -
				       WS_REKEY_TIMEOUT);
	struct ws_keypair_facts kp = {.birth = T0, .counter = 5, .initiator = true};
	struct ws_timers t;
	struct fake_rand f;

	CU_ASSERT_EQUAL(due, T0 + SECS(165));
	CU_ASSERT_FALSE(ws_timers_rekey_on_receive(&kp, false, due - 1));
	CU_ASSERT_TRUE(ws_timers_rekey_on_receive(&kp, false, due));
	CU_ASSERT_FALSE(ws_timers_rekey_on_receive(&kp, true, due));
	CU_ASSERT_FALSE(ws_timers_rekey_on_receive(&kp, false, T0 - 1));
	kp.initiator = false;
	CU_ASSERT_FALSE(ws_timers_rekey_on_receive(&kp, false, due));
	CU_ASSERT_FALSE(ws_timers_rekey_on_receive(&kp, false, T0 + SECS(179)));

	/* Through the peer's flag: once per handshake. */
	kp.initiator = true;
	init_fixed(&t, &f, 0);
	CU_ASSERT_FALSE(ws_timers_lastminute_rekey(&t, &kp, due - 1));
	CU_ASSERT_TRUE(ws_timers_lastminute_rekey(&t, &kp, due));
	CU_ASSERT_FALSE(ws_timers_lastminute_rekey(&t, &kp, due + SECS(1)));
	CU_ASSERT_FALSE(ws_timers_lastminute_rekey(&t, &kp, due + SECS(10)));
	ws_timers_handshake_complete(&t, due + SECS(11));
	CU_ASSERT_TRUE(ws_timers_lastminute_rekey(&t, &kp, due + SECS(12)));
}

/*
 * Sends the first initiation at start, then plays the owner that answers
 * every SEND_INITIATION and never hears back, polling exactly at each
 * deadline. Returns the give-up time; counts retries, checks each gap.
 */
static uint64_t run_until_give_up(struct ws_timers *t, uint64_t start, unsigned *retries,
				  uint64_t *min_jitter, uint64_t *max_jitter)
{
	uint64_t last = start;

	*retries = 0;
	*min_jitter = OFF;
	*max_jitter = 0;
	CU_ASSERT_TRUE(ws_timers_want_initiation(t, start));
	send_initiation(t, start);
	for (;;) {
		uint64_t d = ws_timers_next_deadline(t);
		uint32_t a;

		CU_ASSERT_FATAL(d != OFF);
		CU_ASSERT_FATAL(d >= last + SECS(WS_REKEY_TIMEOUT));
		uint64_t j = d - last - SECS(WS_REKEY_TIMEOUT);
		CU_ASSERT(j <= JITTER_MAX);
		CU_ASSERT_EQUAL(j % MS(1), 0);
		CU_ASSERT_EQUAL(ws_timers_poll(t, d - 1), 0);
		a = ws_timers_poll(t, d);
		if (a & WS_TIMERS_GIVE_UP) {
			CU_ASSERT_EQUAL(a, WS_TIMERS_GIVE_UP);
			return d;
		}
		*min_jitter = j < *min_jitter ? j : *min_jitter;
		*max_jitter = j > *max_jitter ? j : *max_jitter;
		CU_ASSERT_EQUAL_FATAL(a, WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
		CU_ASSERT_FATAL(++*retries < 100);
		CU_ASSERT_EQUAL(t->handshake_attempts, *retries);
		send_initiation(t, d);
		last = d;
	}
}

/*
 * The kernel (and wireguard-go) retry while attempts <= MAX_TIMER_HANDSHAKES
 * and give up on the expiry after: 18 + 1 retries, 20 initiations in all
 * ("did not complete after 20 attempts"), the last sent once REKEY_ATTEMPT_TIME
 * is over.
 */
enum { RETRIES = WS_MAX_TIMER_HANDSHAKES + 1 };

static void test_retransmit_gives_up_exact(void)
{
	struct ws_timers t;
	struct fake_rand f;
	uint64_t give_up, lo, hi;
	unsigned retries;

	CU_ASSERT_EQUAL(WS_MAX_TIMER_HANDSHAKES, 18);

	/* No jitter: every 5 s exactly. */
	init_fixed(&t, &f, 0);
	give_up = run_until_give_up(&t, T0, &retries, &lo, &hi);
	CU_ASSERT_EQUAL(retries, RETRIES);
	CU_ASSERT_EQUAL(lo, 0);
	CU_ASSERT_EQUAL(hi, 0);
	CU_ASSERT_EQUAL(give_up, T0 + (RETRIES + 1) * SECS(WS_REKEY_TIMEOUT));
	CU_ASSERT_EQUAL(give_up, T0 + SECS(100));

	/* Largest jitter: 333 ms on every one. */
	init_fixed(&t, &f, UINT32_MAX);
	give_up = run_until_give_up(&t, T0, &retries, &lo, &hi);
	CU_ASSERT_EQUAL(retries, RETRIES);
	CU_ASSERT_EQUAL(lo, MS(333));
	CU_ASSERT_EQUAL(hi, MS(333));
	CU_ASSERT_EQUAL(give_up, T0 + (RETRIES + 1) * (SECS(WS_REKEY_TIMEOUT) + MS(333)));

	/* Half way: 167 ms. */
	init_fixed(&t, &f, 0x80000000u);
	give_up = run_until_give_up(&t, T0, &retries, &lo, &hi);
	CU_ASSERT_EQUAL(lo, MS(167));
	CU_ASSERT_EQUAL(give_up, T0 + (RETRIES + 1) * (SECS(WS_REKEY_TIMEOUT) + MS(167)));
}

static void test_retransmit_gives_up_random(void)
{
	struct fake_rand f = {.state = ws_test_seed("retransmit jitter")};
	struct ws_timers t;
	uint64_t give_up, lo, hi;
	unsigned retries;

	ws_timers_init(&t, fake_rand, &f);
	/* A keepalive that would be due after the give-up, and key material. */
	ws_timers_session_derived(&t, T0 - SECS(10));
	give_up = run_until_give_up(&t, T0, &retries, &lo, &hi);
	CU_ASSERT_EQUAL(retries, RETRIES);
	CU_ASSERT(give_up >= T0 + SECS(100));
	CU_ASSERT(give_up <= T0 + SECS(100) + (RETRIES + 1) * JITTER_MAX);
	CU_ASSERT(lo < hi);     /* the jitter does vary */

	/* Given up: nothing retransmits; the pending zeroing stays where it was. */
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 - SECS(10) + SECS(WS_KEY_ZERO_AFTER_TIME));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(400)), 0);

	/* A fresh request starts a new budget of retries. */
	give_up = run_until_give_up(&t, T0 + SECS(400), &retries, &lo, &hi);
	CU_ASSERT_EQUAL(retries, RETRIES);
}

static void test_give_up_side_effects(void)
{
	struct ws_timers t;
	struct fake_rand f;
	uint64_t now = T0;

	init_fixed(&t, &f, 0);
	CU_ASSERT_TRUE(ws_timers_want_initiation(&t, now));
	send_initiation(&t, now);
	for (unsigned i = 0; i < RETRIES; i++) {
		now += SECS(WS_REKEY_TIMEOUT);
		CU_ASSERT_EQUAL(ws_timers_poll(&t, now), WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
		send_initiation(&t, now);
	}
	/* Data arrives a second before the give-up: its keepalive dies with it. */
	receive_data(&t, now + SECS(4));
	CU_ASSERT_EQUAL(t.send_keepalive, now + SECS(14));
	now += SECS(WS_REKEY_TIMEOUT);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now), WS_TIMERS_GIVE_UP);
	CU_ASSERT_EQUAL(t.send_keepalive, OFF);
	/* No key material timer was pending: one is armed now. */
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now + SECS(WS_KEY_ZERO_AFTER_TIME));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now + SECS(WS_KEY_ZERO_AFTER_TIME) - 1), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now + SECS(WS_KEY_ZERO_AFTER_TIME)),
			WS_TIMERS_ZERO_KEYS);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);

}

/* A late poll runs what is due in the order it fell due. */
static void test_late_poll_order(void)
{
	struct ws_timers t;
	struct fake_rand f;
	uint64_t now;

	/* Retransmit (5 s) before new handshake (16 s): the fresh request
	 * comes last and leaves a new retry budget. */
	init_fixed(&t, &f, 0);
	send_initiation(&t, T0);
	send_data(&t, T0 + SECS(1));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(17)), WS_TIMERS_SEND_INITIATION);
	CU_ASSERT_EQUAL(t.handshake_attempts, 0);

	/* New handshake (4 s) before retransmit (5 s): the retry comes last
	 * and counts; still one initiation, and not reported as a retry. */
	init_fixed(&t, &f, 0);
	send_data(&t, T0 - SECS(11));
	send_initiation(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(6)), WS_TIMERS_SEND_INITIATION);
	CU_ASSERT_EQUAL(t.handshake_attempts, 1);

	/* Key zeroing due at 97 s, after the last retry and before the
	 * give-up: it fires, and the give-up then finds no zeroing pending
	 * and arms another. */
	init_fixed(&t, &f, 0);
	ws_timers_session_derived(&t, T0 + SECS(97) - SECS(WS_KEY_ZERO_AFTER_TIME));
	now = T0;
	send_initiation(&t, now);
	for (unsigned i = 0; i < RETRIES; i++) {
		now += SECS(WS_REKEY_TIMEOUT);
		CU_ASSERT_EQUAL(ws_timers_poll(&t, now), WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
		send_initiation(&t, now);
	}
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now + SECS(10)), WS_TIMERS_GIVE_UP | WS_TIMERS_ZERO_KEYS);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now + SECS(10) + SECS(WS_KEY_ZERO_AFTER_TIME));
}

static void test_handshake_complete_stops_retransmit(void)
{
	struct ws_timers t;
	struct fake_rand f;

	init_fixed(&t, &f, 0);
	send_initiation(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(5)), WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
	send_initiation(&t, T0 + SECS(5));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10)), WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
	send_initiation(&t, T0 + SECS(10));
	CU_ASSERT_EQUAL(t.handshake_attempts, 2);

	/* The response comes back at 12 s. */
	receive_keepalive(&t, T0 + SECS(12));
	ws_timers_session_derived(&t, T0 + SECS(12));
	ws_timers_handshake_complete(&t, T0 + SECS(12));
	CU_ASSERT_EQUAL(t.handshake_attempts, 0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(12) + SECS(WS_KEY_ZERO_AFTER_TIME));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(15)), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(100)), 0);
}

static void test_initiation_rate_limit(void)
{
	struct ws_timers t;
	struct fake_rand f;

	init_fixed(&t, &f, 0);
	CU_ASSERT_TRUE(ws_timers_initiation_allowed(&t, T0));
	CU_ASSERT_TRUE(ws_timers_initiation_allowed(&t, 0));
	send_initiation(&t, T0);
	CU_ASSERT_FALSE(ws_timers_initiation_allowed(&t, T0));
	CU_ASSERT_FALSE(ws_timers_want_initiation(&t, T0 + SECS(5) - 1));
	CU_ASSERT_TRUE(ws_timers_want_initiation(&t, T0 + SECS(5)));

	/* A response we sent counts too. */
	ws_timers_response_sent(&t, T0 + SECS(20));
	CU_ASSERT_FALSE(ws_timers_initiation_allowed(&t, T0 + SECS(25) - 1));
	CU_ASSERT_TRUE(ws_timers_initiation_allowed(&t, T0 + SECS(25)));

	/* A fresh request restarts the retry budget even when held back. */
	init_fixed(&t, &f, 0);
	send_initiation(&t, T0);
	for (int i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(5 * i)),
				WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
		send_initiation(&t, T0 + SECS(5 * i));
	}
	CU_ASSERT_EQUAL(t.handshake_attempts, 3);
	CU_ASSERT_FALSE(ws_timers_want_initiation(&t, T0 + SECS(16)));
	CU_ASSERT_EQUAL(t.handshake_attempts, 0);

	/*
	 * As in the kernel, a retransmission is subject to the limit too: a
	 * response sent since the initiation holds it back, and the chain of
	 * retries ends there until something asks again.
	 */
	init_fixed(&t, &f, 0);
	send_initiation(&t, T0);
	ws_timers_response_sent(&t, T0 + SECS(1));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(5)), 0);
	CU_ASSERT_EQUAL(t.handshake_attempts, 1);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
}

/*
 * Initiations that crossed: each side consumed the other's and answered
 * it, at the same moment, and rejected the answer to its own (noise's
 * business). With packets waiting on both sides, each tries again
 * REKEY_TIMEOUT plus its own jitter after its answer, so the two go out
 * apart; with REKEY_TIMEOUT alone (the kernel) they would leave together
 * and cross again.
 */
static void test_crossed_initiations(void)
{
	const uint64_t answered = T0 + MS(1);
	struct ws_timers a, b;
	struct fake_rand fa, fb;
	unsigned close = 0, pairs = 1000;
	uint64_t lo = OFF, hi = 0;

	init_fixed(&a, &fa, 0);                 /* jitter 0 */
	init_fixed(&b, &fb, UINT32_MAX);        /* jitter 333 ms */
	send_initiation(&a, T0);
	send_initiation(&b, T0);
	ws_timers_response_sent(&a, answered);
	ws_timers_response_sent(&b, answered);
	/* The retransmissions are held back by the answers: their chains end. */
	CU_ASSERT_EQUAL(ws_timers_poll(&a, T0 + SECS(5)), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&b, T0 + SECS(5) + MS(333)), 0);
	CU_ASSERT_FALSE(ws_timers_want_initiation(&a, answered + SECS(5) - 1));
	CU_ASSERT_TRUE(ws_timers_want_initiation(&a, answered + SECS(5)));
	CU_ASSERT_FALSE(ws_timers_want_initiation(&b, answered + SECS(5)));
	CU_ASSERT_FALSE(ws_timers_want_initiation(&b, answered + SECS(5) + MS(333) - 1));
	CU_ASSERT_TRUE(ws_timers_want_initiation(&b, answered + SECS(5) + MS(333)));
	/* An initiation we sent holds the next one back REKEY_TIMEOUT alone. */
	send_initiation(&b, T0 + SECS(10));
	CU_ASSERT_TRUE(ws_timers_initiation_allowed(&b, T0 + SECS(15)));

	/* Random jitters: pairs of holds spread over [5 s, 5.333 s], rarely within 1 ms. */
	fa = (struct fake_rand){.state = 7};
	fb = (struct fake_rand){.state = 11};
	ws_timers_init(&a, fake_rand, &fa);
	ws_timers_init(&b, fake_rand, &fb);
	for (unsigned i = 0; i < pairs; i++) {
		uint64_t at[2];
		struct ws_timers *t[2] = {&a, &b};

		for (unsigned k = 0; k < 2; k++) {
			uint64_t x = SECS(5) - MS(1);

			ws_timers_response_sent(t[k], answered);
			while (!ws_timers_initiation_allowed(t[k], answered + x))
				x += MS(1);
			at[k] = x;
			lo = at[k] < lo ? at[k] : lo;
			hi = at[k] > hi ? at[k] : hi;
		}
		close += (at[0] > at[1] ? at[0] - at[1] : at[1] - at[0]) < MS(1);
	}
	CU_ASSERT_EQUAL(lo, SECS(5));
	CU_ASSERT(hi >= SECS(5) + MS(300) && hi <= SECS(5) + MS(333));
	CU_ASSERT(close < pairs / 30);
}

static void test_keepalive_after_receive(void)
{
	struct ws_timers t;
	struct fake_rand f;

	/* Nothing sent for 10 s after data came in: a keepalive. */
	init_fixed(&t, &f, 0);
	receive_data(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(WS_KEEPALIVE_TIMEOUT));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10) - 1), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10)), WS_TIMERS_SEND_KEEPALIVE);
	send_keepalive(&t, T0 + SECS(10));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);

	/* Data went out in between: no keepalive. */
	init_fixed(&t, &f, 0);
	receive_data(&t, T0);
	send_data(&t, T0 + SECS(3));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10)), 0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(3) + SECS(15));

	/* A received keepalive asks for none back. */
	init_fixed(&t, &f, 0);
	receive_keepalive(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);

	/* More data while one is pending: the timer does not move, and
	 * another keepalive follows 10 s after the first... */
	init_fixed(&t, &f, 0);
	receive_data(&t, T0);
	receive_data(&t, T0 + SECS(4));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(10));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10)), WS_TIMERS_SEND_KEEPALIVE);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(20));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(20)), WS_TIMERS_SEND_KEEPALIVE);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	/* ...unless the first one actually went out, which cancels it (the
	 * kernel's order of events, kept). */
	init_fixed(&t, &f, 0);
	receive_data(&t, T0);
	receive_data(&t, T0 + SECS(4));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(10)), WS_TIMERS_SEND_KEEPALIVE);
	send_keepalive(&t, T0 + SECS(10));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
}

static void test_new_handshake_after_unanswered_data(void)
{
	const uint64_t j = MS(167);     /* from 0x80000000 */
	struct ws_timers t;
	struct fake_rand f;
	uint64_t due = T0 + SECS(WS_KEEPALIVE_TIMEOUT + WS_REKEY_TIMEOUT) + j;

	init_fixed(&t, &f, 0x80000000u);
	send_data(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), due);
	send_data(&t, T0 + SECS(5));    /* a pending timer stays put */
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), due);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, due - 1), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, due), WS_TIMERS_SEND_INITIATION);
	send_initiation(&t, due);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), due + SECS(WS_REKEY_TIMEOUT) + j);

	/* Anything authenticated coming back, even a keepalive, cancels it. */
	init_fixed(&t, &f, 0);
	send_data(&t, T0);
	receive_keepalive(&t, T0 + SECS(14));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(20)), 0);
	/* And the next data sent arms it afresh. */
	send_data(&t, T0 + SECS(20));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(35));

	/* Retries under way: the last one, a second before, holds it back,
	 * and the fresh request restarts the retry budget. */
	init_fixed(&t, &f, 0);
	send_initiation(&t, T0);
	send_data(&t, T0 + SECS(1));
	for (int i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(5 * i)),
				WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
		send_initiation(&t, T0 + SECS(5 * i));
	}
	CU_ASSERT_EQUAL(t.handshake_attempts, 3);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(16)), 0);
	CU_ASSERT_EQUAL(t.handshake_attempts, 0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(20));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(20)),
			WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY);
	CU_ASSERT_EQUAL(t.handshake_attempts, 1);
}

static void test_zero_keys(void)
{
	struct ws_timers t;
	struct fake_rand f;

	init_fixed(&t, &f, 0);
	ws_timers_session_derived(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(540));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(540) - 1), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(540)), WS_TIMERS_ZERO_KEYS);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(5400)), 0);

	/* A new session pushes the zeroing out. */
	init_fixed(&t, &f, 0);
	ws_timers_session_derived(&t, T0);
	ws_timers_session_derived(&t, T0 + SECS(100));
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(540)), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(640)), WS_TIMERS_ZERO_KEYS);

	/* A poll long overdue still reports it, once. */
	init_fixed(&t, &f, 0);
	ws_timers_session_derived(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(100000)), WS_TIMERS_ZERO_KEYS);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, T0 + SECS(100001)), 0);
}

static void test_persistent_keepalive(void)
{
	struct ws_timers t;
	struct fake_rand f;
	uint64_t now = T0;

	init_fixed(&t, &f, 0);
	/* Off: traffic arms nothing. */
	send_keepalive(&t, now);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);

	/* Turning it on asks for a keepalive at once. */
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 25, now), WS_TIMERS_SEND_KEEPALIVE);
	send_keepalive(&t, now);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now + SECS(25));
		CU_ASSERT_EQUAL(ws_timers_poll(&t, now + SECS(25) - 1), 0);
		now += SECS(25);
		CU_ASSERT_EQUAL(ws_timers_poll(&t, now), WS_TIMERS_SEND_KEEPALIVE);
		send_keepalive(&t, now);
	}
	/* Traffic either way pushes it. */
	receive_keepalive(&t, now + SECS(20));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now + SECS(45));
	now += SECS(45);

	/* Setting it again is no news; a new interval applies from the next packet. */
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 25, now), 0);
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 7, now), 0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now), WS_TIMERS_SEND_KEEPALIVE);
	send_keepalive(&t, now);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), now + SECS(7));

	/* Off again: nothing pending, nothing armed. */
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 0, now), 0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	send_keepalive(&t, now + SECS(1));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, now + SECS(100)), 0);
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 1, now), WS_TIMERS_SEND_KEEPALIVE);
	CU_ASSERT_EQUAL(t.persistent_keepalive_interval, 1);
}

static void test_stop(void)
{
	struct ws_keypair_facts kp = {.birth = T0, .initiator = true};
	struct ws_timers t;
	struct fake_rand f;

	init_fixed(&t, &f, 0);
	ws_timers_set_persistent_keepalive(&t, 25, T0);
	send_initiation(&t, T0);
	send_data(&t, T0);
	receive_data(&t, T0);
	ws_timers_session_derived(&t, T0);
	CU_ASSERT_NOT_EQUAL(ws_timers_next_deadline(&t), OFF);

	ws_timers_stop(&t);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, OFF - 1), 0);

	/* A dead peer arms nothing and asks for nothing. */
	send_initiation(&t, T0 + SECS(1));
	send_data(&t, T0 + SECS(1));
	receive_data(&t, T0 + SECS(1));
	ws_timers_session_derived(&t, T0 + SECS(1));
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	CU_ASSERT_FALSE(ws_timers_want_initiation(&t, T0 + SECS(100)));
	CU_ASSERT_FALSE(ws_timers_lastminute_rekey(&t, &kp, T0 + SECS(170)));
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 0, T0), 0);
	CU_ASSERT_EQUAL(ws_timers_set_persistent_keepalive(&t, 10, T0), 0);
	CU_ASSERT_EQUAL(ws_timers_poll(&t, OFF - 1), 0);

	/* Init brings it back. */
	init_fixed(&t, &f, 0);
	receive_data(&t, T0);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), T0 + SECS(10));
}

static void test_default_random(void)
{
	struct ws_timers t;
	uint64_t lo = OFF, hi = 0;

	ws_timers_init(&t, NULL, NULL);
	for (int i = 0; i < 300; i++) {
		uint64_t now = T0 + SECS(10 * i), j;

		send_initiation(&t, now);
		CU_ASSERT_FATAL(t.retransmit_handshake >= now + SECS(5));
		j = t.retransmit_handshake - now - SECS(5);
		CU_ASSERT(j <= JITTER_MAX);
		CU_ASSERT_EQUAL(j % MS(1), 0);
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
	}
	CU_ASSERT(lo < hi);
}

static uint64_t min_deadline(const struct ws_timers *t)
{
	const uint64_t d[] = {t->retransmit_handshake, t->send_keepalive, t->new_handshake,
			      t->zero_key_material, t->persistent_keepalive};
	uint64_t m = OFF;

	for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		m = d[i] < m ? d[i] : m;
	return m;
}

/*
 * A long random life of one peer, its owner polling only at
 * next_deadline(): a poll a nanosecond early must do nothing and change
 * nothing, a poll on time must leave every deadline in the future, and
 * every kind of action must turn up along the way.
 */
static void random_event(struct ws_timers *t, struct fake_rand *f, uint64_t r,
			 int phase, uint64_t now)
{
	uint32_t a;

	if (phase == 2)         /* idle: nothing happens */
		return;
	if (phase == 1) {       /* the peer went silent: we send, it never answers */
		switch ((r >> 8) % 64) {
		case 0 ... 39: send_data(t, now); break;
		case 40 ... 49: send_keepalive(t, now); break;
		case 50:
			if (ws_timers_want_initiation(t, now))
				send_initiation(t, now);
			break;
		default: break;
		}
		return;
	}
	switch ((r >> 8) % 512) {
	case 0 ... 99: receive_data(t, now); break;
	case 100 ... 179: receive_keepalive(t, now); break;
	case 180 ... 329: send_data(t, now); break;
	case 330 ... 379: send_keepalive(t, now); break;
	case 380 ... 479:
		if (ws_timers_want_initiation(t, now))
			send_initiation(t, now);
		break;
	case 480 ... 487:       /* a response to our initiation */
		receive_keepalive(t, now);
		ws_timers_session_derived(t, now);
		ws_timers_handshake_complete(t, now);
		break;
	case 488 ... 491:       /* we answer an initiation */
		receive_keepalive(t, now);
		ws_timers_session_derived(t, now);
		send_keepalive(t, now);
		ws_timers_response_sent(t, now);
		break;
	case 492 ... 509:
		a = ws_timers_set_persistent_keepalive(t, (r >> 40) % 40, now);
		if (a & WS_TIMERS_SEND_KEEPALIVE)
			send_keepalive(t, now);
		break;
	case 510:
		if ((r >> 50) % 8 == 0)
			ws_timers_stop(t);
		break;
	default:
		if (t->stopped)
			ws_timers_init(t, fake_rand, f);
		break;
	}
}

/*
 * A long random life of one peer, busy, deserted or idle by turns, its
 * owner polling only at next_deadline(): a poll a nanosecond early must do
 * nothing and change nothing, a poll on time must leave every deadline in
 * the future, and every kind of action must turn up along the way.
 */
static void test_next_deadline_consistent(void)
{
	enum { STEPS = 50000 };
	struct fake_rand f = {.state = ws_test_seed("timers random life")};
	uint64_t s = f.state ^ 0x5555, now = T0;
	unsigned seen[5] = {0};
	struct ws_timers t;
	int phase = 0;

	ws_timers_init(&t, fake_rand, &f);
	CU_ASSERT_EQUAL(ws_timers_next_deadline(&t), OFF);
	for (unsigned step = 0; step < STEPS; step++) {
		uint64_t r = ws_test_rand(&s);
		uint64_t target = now;

		if ((r >> 56) == 0)
			phase = (r >> 8) % 3;
		switch (r % 4) {
		case 1: target += (r >> 32) % SECS(1); break;
		case 2: target += (r >> 32) % SECS(10); break;
		case 3: target += (r >> 32) % SECS(30); break;
		default: break;
		}
		if (phase == 2)
			target += (r >> 24) % SECS(100);
		for (;;) {
			uint64_t d = ws_timers_next_deadline(&t);
			struct ws_timers before;
			uint32_t a;

			CU_ASSERT_EQUAL_FATAL(d, min_deadline(&t));
			if (d > target)
				break;
			CU_ASSERT_FATAL(d > now);
			memcpy(&before, &t, sizeof(t));
			CU_ASSERT_EQUAL(ws_timers_poll(&t, d - 1), 0);
			CU_ASSERT(memcmp(&before, &t, sizeof(t)) == 0);
			a = ws_timers_poll(&t, d);
			now = d;
			CU_ASSERT_FATAL(ws_timers_next_deadline(&t) > now);
			if (a & WS_TIMERS_RETRY) {
				CU_ASSERT(a & WS_TIMERS_SEND_INITIATION);
				CU_ASSERT(t.handshake_attempts > 0);
			}
			for (unsigned b = 0; b < 5; b++)
				seen[b] += !!(a & (1u << b));
			if (a & WS_TIMERS_SEND_INITIATION)
				send_initiation(&t, now);
			if (a & WS_TIMERS_SEND_KEEPALIVE && r & (1ull << 20))
				send_keepalive(&t, now);
		}
		now = target;
		random_event(&t, &f, r, phase, now);
		CU_ASSERT_FATAL(ws_timers_next_deadline(&t) > now);
	}
	printf("initiations %u (retries %u), keepalives %u, give-ups %u, zeroings %u\n",
	       seen[0], seen[1], seen[2], seen[3], seen[4]);
	for (unsigned b = 0; b < 5; b++)
		CU_ASSERT(seen[b] > 0);
}

static const struct ws_test tests[] = {
	WS_TEST(test_rekey_after_time),
	WS_TEST(test_rekey_after_messages),
	WS_TEST(test_keypair_expired),
	WS_TEST(test_rekey_on_receive),
	WS_TEST(test_retransmit_gives_up_exact),
	WS_TEST(test_retransmit_gives_up_random),
	WS_TEST(test_give_up_side_effects),
	WS_TEST(test_late_poll_order),
	WS_TEST(test_handshake_complete_stops_retransmit),
	WS_TEST(test_initiation_rate_limit),
	WS_TEST(test_crossed_initiations),
	WS_TEST(test_keepalive_after_receive),
	WS_TEST(test_new_handshake_after_unanswered_data),
	WS_TEST(test_zero_keys),
	WS_TEST(test_persistent_keepalive),
	WS_TEST(test_stop),
	WS_TEST(test_default_random),
	WS_TEST(test_next_deadline_consistent),
	{0},
};

int main(void)
{
	return ws_test_run("timers", tests, NULL, NULL);
}
