/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-peer timers of WireGuard (whitepaper section 6) as a state
 * machine with no clock, thread or network of its own: the owner reports
 * events with the time they happened (ns, monotonic), polls at
 * ws_timers_next_deadline() and carries out the actions the poll returns.
 * The rules are the kernel module's, timer for timer:
 *
 *   retransmit handshake  REKEY_TIMEOUT + jitter after an initiation went
 *                         out; resends it (a retry) while no more than
 *                         WS_MAX_TIMER_HANDSHAKES retries were made, then
 *                         gives up: 19 retries, 20 initiations, a give-up
 *                         100 s (+ jitters) after the first, as the kernel
 *                         and wireguard-go count
 *   send keepalive        KEEPALIVE_TIMEOUT after data came in, unless an
 *                         authenticated packet went out meanwhile
 *   new handshake         KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after
 *                         data went out, unless any authenticated packet
 *                         came back meanwhile
 *   zero key material     3 x REJECT_AFTER_TIME after a session was derived
 *   persistent keepalive  the configured interval after any authenticated
 *                         packet crossed, in either direction
 *
 * Jitter is drawn from [0, WS_REKEY_TIMEOUT_JITTER_MAX_MS) whole ms with
 * the random source given at init, so tests can fix it.
 * One departure from the kernel: an initiation is held back REKEY_TIMEOUT
 * after our last initiation, but REKEY_TIMEOUT plus a jitter after our
 * last response (the kernel: REKEY_TIMEOUT after either). Two peers whose
 * initiations crossed each answered the other's within one network delay
 * of each other, and each rejected the answer to its own; with packets
 * waiting on both sides, both would try again the same REKEY_TIMEOUT
 * later and could cross again, every time. The jitter parts them. The
 * peer sees nothing but initiations no more often than before.
 *
 * Sending an initiation, the owner reports, in order:
 * any_authenticated_packet_traversal, any_authenticated_packet_sent,
 * handshake_initiated. Sending a response: session_derived, traversal,
 * any_authenticated_packet_sent, response_sent. Sending data:
 * traversal, any_authenticated_packet_sent, then data_sent unless all
 * were keepalives. Receiving an authenticated packet:
 * any_authenticated_packet_received, traversal, then data_received if it
 * was not a keepalive. A consumed response: session_derived, then
 * handshake_complete, then the staged packets or a keepalive go out to
 * confirm the session. The first data on a keypair we responded for:
 * handshake_complete.
 *
 * One owner thread per instance; nothing here locks.
 */
#ifndef WS_TIMERS_H
#define WS_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

/* Retries before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
#define WS_MAX_TIMER_HANDSHAKES (WS_REKEY_ATTEMPT_TIME / WS_REKEY_TIMEOUT)

/* What ws_timers_poll() asks the owner to do; a bitmask. */
enum ws_timers_action {
	WS_TIMERS_SEND_INITIATION = 1u << 0, /* rate limit already checked */
	WS_TIMERS_RETRY = 1u << 1,           /* with SEND_INITIATION: a retransmission */
	WS_TIMERS_SEND_KEEPALIVE = 1u << 2,  /* or the staged packets, if any */
	WS_TIMERS_GIVE_UP = 1u << 3,         /* drop the staged packets */
	WS_TIMERS_ZERO_KEYS = 1u << 4,       /* wipe handshake and keypairs */
};

/* Uniform 32-bit random numbers. */
typedef uint32_t (*ws_timers_rand_fn)(void *ctx);

/* Embeddable; read-only outside timers.c. Deadlines are UINT64_MAX when off. */
struct ws_timers {
	uint64_t retransmit_handshake;
	uint64_t send_keepalive;
	uint64_t new_handshake;
	uint64_t zero_key_material;
	uint64_t persistent_keepalive;
	uint64_t last_handshake_sent;   /* initiation or response */
	uint64_t initiation_hold;       /* ns after it before an initiation may go out */
	uint32_t handshake_attempts;    /* retries of the current handshake */
	uint16_t persistent_keepalive_interval; /* seconds, 0 = off */
	bool handshake_sent;            /* last_handshake_sent is meaningful */
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	bool stopped;
	ws_timers_rand_fn rand;
	void *rand_ctx;
};

/* All timers off. rand NULL: libsodium's generator. */
void ws_timers_init(struct ws_timers *t, ws_timers_rand_fn rand, void *rand_ctx);
/* Peer removed or interface down: everything off, later events ignored
 * until ws_timers_init(). */
void ws_timers_stop(struct ws_timers *t);

/* Events. */
void ws_timers_data_sent(struct ws_timers *t, uint64_t now);
void ws_timers_data_received(struct ws_timers *t, uint64_t now);
void ws_timers_any_authenticated_packet_sent(struct ws_timers *t, uint64_t now);
void ws_timers_any_authenticated_packet_received(struct ws_timers *t, uint64_t now);
void ws_timers_any_authenticated_packet_traversal(struct ws_timers *t, uint64_t now);
void ws_timers_handshake_initiated(struct ws_timers *t, uint64_t now);
void ws_timers_response_sent(struct ws_timers *t, uint64_t now);
void ws_timers_handshake_complete(struct ws_timers *t, uint64_t now);
void ws_timers_session_derived(struct ws_timers *t, uint64_t now);
/* Returns WS_TIMERS_SEND_KEEPALIVE when this turns keepalives on. */
uint32_t ws_timers_set_persistent_keepalive(struct ws_timers *t, uint16_t secs,
					    uint64_t now);

/* Run the timers due at now; returns the actions (0 when none). */
uint32_t ws_timers_poll(struct ws_timers *t, uint64_t now);
/* Earliest armed deadline, UINT64_MAX when none. */
uint64_t ws_timers_next_deadline(const struct ws_timers *t);

/*
 * A fresh (not retry) initiation is wanted outside the timers: no usable
 * keypair for staged packets, or the rekey checks below said so. Starts a
 * new retry budget even when rate-limited, and returns whether one may go
 * out now.
 */
bool ws_timers_want_initiation(struct ws_timers *t, uint64_t now);
/* The rate limit alone: at most one handshake message per REKEY_TIMEOUT
 * (plus a jitter after a response, see above). */
bool ws_timers_initiation_allowed(const struct ws_timers *t, uint64_t now);

/* What the data path knows of the current keypair. */
struct ws_keypair_facts {
	uint64_t birth;         /* ns, when the session was derived */
	uint64_t counter;       /* next counter: messages sent (or received) so far */
	bool initiator;         /* we sent the initiation that made it */
};

/* After sending on it: past REKEY_AFTER_MESSAGES, or initiator and
 * REKEY_AFTER_TIME old. */
bool ws_timers_rekey_on_send(const struct ws_keypair_facts *kp, uint64_t now);
/* After receiving on it: initiator, REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT -
 * REKEY_TIMEOUT old, and no last-minute handshake sent since the last one
 * completed. */
bool ws_timers_rekey_on_receive(const struct ws_keypair_facts *kp, bool lastminute_sent,
				uint64_t now);
/* The same with the peer's flag, which it sets when true (once per handshake). */
bool ws_timers_lastminute_rekey(struct ws_timers *t, const struct ws_keypair_facts *kp,
				uint64_t now);
/* Unusable: REJECT_AFTER_TIME old, or its counter at REJECT_AFTER_MESSAGES. */
bool ws_timers_keypair_expired(const struct ws_keypair_facts *kp, uint64_t now);

#endif /* WS_TIMERS_H */
