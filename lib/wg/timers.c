/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WireGuard's per-peer timers as deadlines in a struct. Arming follows the
 * kernel's two kinds of arming: "mod" re-arms even a pending timer (the
 * deadline moves), "arm if idle" leaves a pending one alone. A stopped
 * instance arms nothing, as the kernel arms nothing for a dead peer or a
 * down interface.
 */
#include <sodium.h>

#include "timers.h"

#define OFF UINT64_MAX
#define SECS(s) ((uint64_t)(s) * WS_NSEC_PER_SEC)
#define NSEC_PER_MSEC 1000000ULL

static uint32_t default_rand(void *ctx)
{
	(void)ctx;
	return randombytes_random();
}

/* Uniform in [0, WS_REKEY_TIMEOUT_JITTER_MAX_MS) whole milliseconds. */
static uint64_t jitter(const struct ws_timers *t)
{
	uint64_t r = t->rand(t->rand_ctx);

	return ((r * WS_REKEY_TIMEOUT_JITTER_MAX_MS) >> 32) * NSEC_PER_MSEC;
}

/* Saturating, so that a far deadline can never wrap into the past. */
static uint64_t after(uint64_t now, uint64_t delta)
{
	return now > OFF - 1 - delta ? OFF - 1 : now + delta;
}

static void mod_timer(const struct ws_timers *t, uint64_t *timer, uint64_t expires)
{
	if (!t->stopped)
		*timer = expires;
}

static bool pending(uint64_t timer)
{
	return timer != OFF;
}

/* has_expired in the kernel's sense: at least secs have passed since birth. */
static bool expired(uint64_t birth, uint64_t secs, uint64_t now)
{
	return now >= birth && now - birth >= SECS(secs);
}

void ws_timers_init(struct ws_timers *t, ws_timers_rand_fn rand, void *rand_ctx)
{
	*t = (struct ws_timers){
		.retransmit_handshake = OFF,
		.send_keepalive = OFF,
		.new_handshake = OFF,
		.zero_key_material = OFF,
		.persistent_keepalive = OFF,
		.rand = rand != NULL ? rand : default_rand,
		.rand_ctx = rand_ctx,
	};
}

void ws_timers_stop(struct ws_timers *t)
{
	t->retransmit_handshake = OFF;
	t->send_keepalive = OFF;
	t->new_handshake = OFF;
	t->zero_key_material = OFF;
	t->persistent_keepalive = OFF;
	t->stopped = true;
}

void ws_timers_data_sent(struct ws_timers *t, uint64_t now)
{
	if (!pending(t->new_handshake))
		mod_timer(t, &t->new_handshake,
			  after(now, SECS(WS_KEEPALIVE_TIMEOUT + WS_REKEY_TIMEOUT) + jitter(t)));
}

void ws_timers_data_received(struct ws_timers *t, uint64_t now)
{
	if (t->stopped)
		return;
	if (!pending(t->send_keepalive))
		mod_timer(t, &t->send_keepalive, after(now, SECS(WS_KEEPALIVE_TIMEOUT)));
	else
		t->need_another_keepalive = true;
}

void ws_timers_any_authenticated_packet_sent(struct ws_timers *t, uint64_t now)
{
	(void)now;
	t->send_keepalive = OFF;
}

void ws_timers_any_authenticated_packet_received(struct ws_timers *t, uint64_t now)
{
	(void)now;
	t->new_handshake = OFF;
}

void ws_timers_any_authenticated_packet_traversal(struct ws_timers *t, uint64_t now)
{
	if (t->persistent_keepalive_interval != 0)
		mod_timer(t, &t->persistent_keepalive,
			  after(now, SECS(t->persistent_keepalive_interval)));
}

void ws_timers_handshake_initiated(struct ws_timers *t, uint64_t now)
{
	t->last_handshake_sent = now;
	t->initiation_hold = SECS(WS_REKEY_TIMEOUT);
	t->handshake_sent = true;
	mod_timer(t, &t->retransmit_handshake,
		  after(now, SECS(WS_REKEY_TIMEOUT) + jitter(t)));
}

void ws_timers_response_sent(struct ws_timers *t, uint64_t now)
{
	t->last_handshake_sent = now;
	t->initiation_hold = SECS(WS_REKEY_TIMEOUT) + jitter(t);
	t->handshake_sent = true;
}

void ws_timers_handshake_complete(struct ws_timers *t, uint64_t now)
{
	(void)now;
	t->retransmit_handshake = OFF;
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
}

void ws_timers_session_derived(struct ws_timers *t, uint64_t now)
{
	mod_timer(t, &t->zero_key_material, after(now, SECS(WS_KEY_ZERO_AFTER_TIME)));
}

uint32_t ws_timers_set_persistent_keepalive(struct ws_timers *t, uint16_t secs, uint64_t now)
{
	bool turned_on = t->persistent_keepalive_interval == 0 && secs != 0;

	(void)now;
	t->persistent_keepalive_interval = secs;
	/* The kernel lets a pending timer run out and then does nothing; off
	 * at once is the same to the peer and keeps next_deadline honest. */
	if (secs == 0)
		t->persistent_keepalive = OFF;
	/* The keepalive sent now reports its traversal, which arms the timer. */
	return turned_on && !t->stopped ? WS_TIMERS_SEND_KEEPALIVE : 0;
}

bool ws_timers_initiation_allowed(const struct ws_timers *t, uint64_t now)
{
	return !t->handshake_sent ||
	       (now >= t->last_handshake_sent && now - t->last_handshake_sent >= t->initiation_hold);
}

bool ws_timers_want_initiation(struct ws_timers *t, uint64_t now)
{
	if (t->stopped)
		return false;
	t->handshake_attempts = 0;
	return ws_timers_initiation_allowed(t, now);
}

static uint32_t expired_retransmit_handshake(struct ws_timers *t, uint64_t now)
{
	if (t->handshake_attempts > WS_MAX_TIMER_HANDSHAKES) {
		t->send_keepalive = OFF;
		/* Leaves nothing of a half-made exchange behind for long. */
		if (!pending(t->zero_key_material))
			mod_timer(t, &t->zero_key_material,
				  after(now, SECS(WS_KEY_ZERO_AFTER_TIME)));
		return WS_TIMERS_GIVE_UP;
	}
	t->handshake_attempts++;
	if (!ws_timers_initiation_allowed(t, now))
		return 0;
	return WS_TIMERS_SEND_INITIATION | WS_TIMERS_RETRY;
}

static uint32_t expired_send_keepalive(struct ws_timers *t, uint64_t now)
{
	if (t->need_another_keepalive) {
		t->need_another_keepalive = false;
		mod_timer(t, &t->send_keepalive, after(now, SECS(WS_KEEPALIVE_TIMEOUT)));
	}
	return WS_TIMERS_SEND_KEEPALIVE;
}

static uint32_t expired_new_handshake(struct ws_timers *t, uint64_t now)
{
	return ws_timers_want_initiation(t, now) ? WS_TIMERS_SEND_INITIATION : 0;
}

static uint32_t expired_zero_key_material(struct ws_timers *t, uint64_t now)
{
	(void)t;
	(void)now;
	return WS_TIMERS_ZERO_KEYS;
}

static uint32_t expired_persistent_keepalive(struct ws_timers *t, uint64_t now)
{
	(void)now;
	return t->persistent_keepalive_interval != 0 ? WS_TIMERS_SEND_KEEPALIVE : 0;
}

uint64_t ws_timers_next_deadline(const struct ws_timers *t)
{
	uint64_t d = t->retransmit_handshake;

	if (t->send_keepalive < d)
		d = t->send_keepalive;
	if (t->new_handshake < d)
		d = t->new_handshake;
	if (t->zero_key_material < d)
		d = t->zero_key_material;
	if (t->persistent_keepalive < d)
		d = t->persistent_keepalive;
	return d;
}

/*
 * Due timers run earliest first, as they would have fired had the poll
 * been on time: of a retry and a fresh request, the later one sets the
 * retry count, and a zeroing due before a give-up fires before the give-up
 * arms another. Each timer runs at most once per poll; one that re-arms
 * itself does so from now onwards.
 */
uint32_t ws_timers_poll(struct ws_timers *t, uint64_t now)
{
	const struct {
		uint64_t *deadline;
		uint32_t (*expire)(struct ws_timers *, uint64_t);
	} timers[] = {
		{ &t->retransmit_handshake, expired_retransmit_handshake },
		{ &t->send_keepalive, expired_send_keepalive },
		{ &t->new_handshake, expired_new_handshake },
		{ &t->zero_key_material, expired_zero_key_material },
		{ &t->persistent_keepalive, expired_persistent_keepalive },
	};
	enum { NR = sizeof(timers) / sizeof(timers[0]) };
	uint32_t actions = 0, fired = 0;

	if (t->stopped)
		return 0;
	for (;;) {
		unsigned next = NR;
		uint32_t a;

		for (unsigned i = 0; i < NR; i++)
			if (!(fired & (1u << i)) && pending(*timers[i].deadline) &&
			    *timers[i].deadline <= now &&
			    (next == NR || *timers[i].deadline < *timers[next].deadline))
				next = i;
		if (next == NR)
			break;
		fired |= 1u << next;
		*timers[next].deadline = OFF;
		a = timers[next].expire(t, now);
		/* One initiation answers both timers; it is a retry only if
		 * both asked for a retry. */
		if (a & actions & WS_TIMERS_SEND_INITIATION &&
		    !(a & actions & WS_TIMERS_RETRY)) {
			a &= ~WS_TIMERS_RETRY;
			actions &= ~WS_TIMERS_RETRY;
		}
		actions |= a;
	}
	return actions;
}

bool ws_timers_rekey_on_send(const struct ws_keypair_facts *kp, uint64_t now)
{
	return kp->counter > WS_REKEY_AFTER_MESSAGES ||
	       (kp->initiator && expired(kp->birth, WS_REKEY_AFTER_TIME, now));
}

/*
 * An initiator that only receives never meets the send-side check; it
 * renews here instead, once, early enough (KEEPALIVE_TIMEOUT +
 * REKEY_TIMEOUT) that the handshake completes before the keypair dies.
 */
bool ws_timers_rekey_on_receive(const struct ws_keypair_facts *kp, bool lastminute_sent,
				uint64_t now)
{
	return !lastminute_sent && kp->initiator &&
	       expired(kp->birth,
		       WS_REJECT_AFTER_TIME - WS_KEEPALIVE_TIMEOUT - WS_REKEY_TIMEOUT, now);
}

bool ws_timers_lastminute_rekey(struct ws_timers *t, const struct ws_keypair_facts *kp,
				uint64_t now)
{
	if (t->stopped || !ws_timers_rekey_on_receive(kp, t->sent_lastminute_handshake, now))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

bool ws_timers_keypair_expired(const struct ws_keypair_facts *kp, uint64_t now)
{
	return kp->counter >= WS_REJECT_AFTER_MESSAGES ||
	       expired(kp->birth, WS_REJECT_AFTER_TIME, now);
}
