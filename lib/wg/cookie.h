/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WireGuard's mac1/mac2 and cookie replies (whitepaper section 5.4.4 and
 * 5.4.7), the defence of the responder against handshake floods.
 *
 *   mac1   = MAC(HASH("mac1----" || responder public key), msg up to mac1)
 *   cookie = MAC(secret, source address || source port), secret renewed
 *            every WS_COOKIE_SECRET_MAX_AGE
 *   mac2   = MAC(cookie, msg up to mac2)
 *
 * where MAC is 16-byte keyed BLAKE2s. The checker (one per interface)
 * validates received handshake messages and answers them with cookie
 * replies; the maker (one per peer) adds the macs to the messages we send
 * and learns cookies from the replies we receive. Noise never sees the
 * macs: the caller adds them after noise created a message and checks
 * them before noise consumes one. Times are the caller's monotonic
 * nanoseconds ("now").
 */
#ifndef WS_COOKIE_H
#define WS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_rwlock.h>
#include <rte_spinlock.h>

#include "endpoint.h"
#include "messages.h"

enum ws_cookie_mac_state {
	WS_COOKIE_INVALID_MAC1 = 0,       /* drop */
	WS_COOKIE_VALID_MAC1_NO_COOKIE,   /* under load: answer with a cookie reply */
	WS_COOKIE_VALID_COOKIE,           /* mac2 proves the source address */
};

/* Responder side; validate and create_reply may run on several lcores. */
struct ws_cookie_checker {
	rte_rwlock_t lock;
	bool has_key;
	uint8_t mac1_key[WS_KEY_LEN];
	uint8_t cookie_key[WS_KEY_LEN];   /* encrypts cookie replies */
	uint8_t secret[WS_HASH_LEN];
	uint64_t secret_birthdate;
};

/* our_pub may be NULL (no identity yet: every message is invalid). */
void ws_cookie_checker_init(struct ws_cookie_checker *c, const uint8_t our_pub[WS_KEY_LEN],
			    uint64_t now);
/* After our static key changed (ws_noise_local_set_private). */
void ws_cookie_checker_set_key(struct ws_cookie_checker *c, const uint8_t our_pub[WS_KEY_LEN]);
void ws_cookie_checker_destroy(struct ws_cookie_checker *c);

/*
 * Check a received initiation or response (msg, len bytes, macs last)
 * that came from src. mac2 is looked at only when check_cookie (under
 * load); otherwise a good mac1 gives WS_COOKIE_VALID_MAC1_NO_COOKIE.
 */
enum ws_cookie_mac_state ws_cookie_checker_validate(struct ws_cookie_checker *c,
						    const void *msg, size_t len,
						    const struct ws_endpoint *src,
						    bool check_cookie, uint64_t now);

/*
 * What a responder does with a received initiation or response: as
 * ws_cookie_checker_validate, and when check_cookie (under load) and mac1
 * is good but mac2 does not carry src's cookie
 * (WS_COOKIE_VALID_MAC1_NO_COOKIE), also the cookie reply to send back,
 * made in the same pass with the cookie computed once for both. *replied
 * says whether *reply was made (not for an unknown address family);
 * *reply is zeroed otherwise.
 */
enum ws_cookie_mac_state ws_cookie_checker_validate_reply(struct ws_cookie_checker *c,
							  const void *msg, size_t len,
							  const struct ws_endpoint *src,
							  bool check_cookie, uint64_t now,
							  struct ws_msg_cookie *reply,
							  bool *replied);

/*
 * Answer msg (an initiation or response from src whose mac1 was valid)
 * with a cookie reply to its sender index. 0, or -EINVAL (bad length,
 * unknown address family, no key).
 */
int ws_cookie_checker_create_reply(struct ws_cookie_checker *c, struct ws_msg_cookie *dst,
				   const void *msg, size_t len,
				   const struct ws_endpoint *src, uint64_t now);

/* Initiator side (and the responder's response), one per peer. */
struct ws_cookie_maker {
	rte_spinlock_t lock;
	uint8_t mac1_key[WS_KEY_LEN];
	uint8_t cookie_key[WS_KEY_LEN];   /* decrypts cookie replies */
	bool cookie_valid;
	uint8_t cookie[WS_COOKIE_LEN];
	uint64_t cookie_birthdate;
	bool have_sent_mac1;
	uint8_t last_mac1[WS_COOKIE_LEN];
};

void ws_cookie_maker_init(struct ws_cookie_maker *m, const uint8_t peer_pub[WS_KEY_LEN]);
void ws_cookie_maker_destroy(struct ws_cookie_maker *m);

/*
 * Fill in mac1 and mac2 of an outgoing handshake message (len bytes,
 * macs last). mac2 is zero unless we hold a cookie younger than
 * WS_COOKIE_SECRET_MAX_AGE - WS_COOKIE_SECRET_LATENCY.
 */
void ws_cookie_maker_add_macs(struct ws_cookie_maker *m, void *msg, size_t len, uint64_t now);

/*
 * Learn the cookie in a reply to the last message we sent. -ENOENT when
 * no mac1 was sent since the last cookie learnt, -EBADMSG when it is not a
 * cookie reply or does not decrypt (wrong key, or not an answer to our
 * last mac1).
 */
int ws_cookie_maker_consume_reply(struct ws_cookie_maker *m, const struct ws_msg_cookie *src,
				  uint64_t now);

/*
 * Under load when the handshake queue holds at least bound /
 * WS_UNDER_LOAD_DIVISOR messages, and for WS_UNDER_LOAD_HOLD_SECS after
 * the last time it did. Any lcore may call it.
 */
struct ws_load {
	uint64_t until;   /* under load while now < until; 0: never was */
};
bool ws_cookie_under_load(struct ws_load *load, uint32_t handshake_queue_depth,
			  uint32_t queue_bound, uint64_t now);

#endif /* WS_COOKIE_H */
