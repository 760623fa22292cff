/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1/mac2 and cookie replies. The cookie binds the source address and
 * port exactly as the Linux kernel encodes them (address bytes, then the
 * port in network byte order); only the responder ever computes it, so
 * the encoding matters for nothing but our own checks.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cookie.h"

static const char label_mac1[8] = "mac1----";
static const char label_cookie[8] = "cookie--";

/* Both handshake messages carry the sender index right after the header. */
_Static_assert(offsetof(struct ws_msg_initiation, sender_index) == sizeof(struct ws_msg_header),
	       "initiation sender index");
_Static_assert(offsetof(struct ws_msg_response, sender_index) == sizeof(struct ws_msg_header),
	       "response sender index");
#define HANDSHAKE_MIN_LEN (sizeof(struct ws_msg_header) + sizeof(uint32_t) + \
			   sizeof(struct ws_msg_macs))

#define SECS(s) ((int64_t)(s) * (int64_t)WS_NSEC_PER_SEC)

/* key = HASH(label || public key) */
static void derive_key(uint8_t key[WS_KEY_LEN], const char label[8], const uint8_t pub[WS_KEY_LEN])
{
	struct ws_blake2s_ctx ctx;

	ws_blake2s_init(&ctx, WS_KEY_LEN, NULL, 0);
	ws_blake2s_update(&ctx, label, 8);
	ws_blake2s_update(&ctx, pub, WS_KEY_LEN);
	ws_blake2s_final(&ctx, key, WS_KEY_LEN);
}

/* mac1 covers the message up to mac1, mac2 up to mac2 (so mac1 included). */
static void compute_mac1(uint8_t mac[WS_COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t key[WS_KEY_LEN])
{
	ws_blake2s(mac, WS_COOKIE_LEN, msg, len - sizeof(struct ws_msg_macs), key, WS_KEY_LEN);
}

static void compute_mac2(uint8_t mac[WS_COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t cookie[WS_COOKIE_LEN])
{
	ws_blake2s(mac, WS_COOKIE_LEN, msg, len - WS_COOKIE_LEN, cookie, WS_COOKIE_LEN);
}

static bool expired(uint64_t birthdate, int64_t max_age, uint64_t now)
{
	return (int64_t)(now - birthdate) >= max_age;
}

void ws_cookie_checker_init(struct ws_cookie_checker *c, const uint8_t our_pub[WS_KEY_LEN],
			    uint64_t now)
{
	memset(c, 0, sizeof(*c));
	rte_rwlock_init(&c->lock);
	ws_random(c->secret, sizeof(c->secret));
	c->secret_birthdate = now;
	ws_cookie_checker_set_key(c, our_pub);
}

void ws_cookie_checker_set_key(struct ws_cookie_checker *c, const uint8_t our_pub[WS_KEY_LEN])
{
	rte_rwlock_write_lock(&c->lock);
	if (our_pub != NULL) {
		derive_key(c->mac1_key, label_mac1, our_pub);
		derive_key(c->cookie_key, label_cookie, our_pub);
		c->has_key = true;
	} else {
		ws_memzero(c->mac1_key, sizeof(c->mac1_key));
		ws_memzero(c->cookie_key, sizeof(c->cookie_key));
		c->has_key = false;
	}
	rte_rwlock_write_unlock(&c->lock);
}

void ws_cookie_checker_destroy(struct ws_cookie_checker *c)
{
	ws_memzero(c->secret, sizeof(c->secret));
	ws_memzero(c->mac1_key, sizeof(c->mac1_key));
	ws_memzero(c->cookie_key, sizeof(c->cookie_key));
	c->has_key = false;
}

/* Under c->lock (read). Renews the secret when it is too old, briefly taking the lock for writing. */
static int make_cookie(struct ws_cookie_checker *c, uint8_t cookie[WS_COOKIE_LEN],
		       const struct ws_endpoint *src, uint64_t now)
{
	unsigned alen = ws_endpoint_addr_len(src);
	uint8_t port_be[2] = { (uint8_t)(src->port >> 8), (uint8_t)src->port };
	struct ws_blake2s_ctx ctx;

	if (alen == 0)
		return -EINVAL;
	if (expired(c->secret_birthdate, SECS(WS_COOKIE_SECRET_MAX_AGE), now)) {
		rte_rwlock_read_unlock(&c->lock);
		rte_rwlock_write_lock(&c->lock);
		if (expired(c->secret_birthdate, SECS(WS_COOKIE_SECRET_MAX_AGE), now)) {
			ws_random(c->secret, sizeof(c->secret));
			c->secret_birthdate = now;
		}
		rte_rwlock_write_unlock(&c->lock);
		rte_rwlock_read_lock(&c->lock);
	}
	ws_blake2s_init(&ctx, WS_COOKIE_LEN, c->secret, sizeof(c->secret));
	ws_blake2s_update(&ctx, src->addr, alen);
	ws_blake2s_update(&ctx, port_be, sizeof(port_be));
	ws_blake2s_final(&ctx, cookie, WS_COOKIE_LEN);
	ws_memzero(&ctx, sizeof(ctx));
	return 0;
}

/* Under c->lock (read): the cookie reply answering msg (macs last), sealed with cookie. */
static void seal_reply(const struct ws_cookie_checker *c, struct ws_msg_cookie *dst,
		       const uint8_t *msg, size_t len, const uint8_t cookie[WS_COOKIE_LEN])
{
	const struct ws_msg_macs *macs = (const struct ws_msg_macs *)(msg + len - sizeof(*macs));

	dst->header.type = WS_MSG_COOKIE;
	/* Echoed as it came: the index is opaque bytes to us. */
	memcpy(&dst->receiver_index, msg + sizeof(struct ws_msg_header),
	       sizeof(dst->receiver_index));
	ws_random_public(dst->nonce, sizeof(dst->nonce));
	/* The mac1 as AD ties the reply to the message it answers. */
	ws_xaead_encrypt(dst->encrypted_cookie, cookie, WS_COOKIE_LEN, macs->mac1,
			 WS_COOKIE_LEN, dst->nonce, c->cookie_key);
}

/*
 * ws_cookie_checker_validate, and when reply is not NULL and mac2 does not
 * carry src's cookie, the cookie reply made with the same cookie.
 */
static enum ws_cookie_mac_state check(struct ws_cookie_checker *c, const void *msg, size_t len,
				      const struct ws_endpoint *src, bool check_cookie,
				      uint64_t now, struct ws_msg_cookie *reply, bool *replied)
{
	const struct ws_msg_macs *macs;
	enum ws_cookie_mac_state ret = WS_COOKIE_INVALID_MAC1;
	uint8_t mac[WS_COOKIE_LEN], cookie[WS_COOKIE_LEN];

	if (len < HANDSHAKE_MIN_LEN)
		return ret;
	macs = (const struct ws_msg_macs *)((const uint8_t *)msg + len - sizeof(*macs));

	rte_rwlock_read_lock(&c->lock);
	if (!c->has_key)
		goto out;
	compute_mac1(mac, msg, len, c->mac1_key);
	if (!ws_memeq(mac, macs->mac1, WS_COOKIE_LEN))
		goto out;
	ret = WS_COOKIE_VALID_MAC1_NO_COOKIE;
	if (!check_cookie || make_cookie(c, cookie, src, now) != 0)
		goto out;
	compute_mac2(mac, msg, len, cookie);
	if (ws_memeq(mac, macs->mac2, WS_COOKIE_LEN)) {
		ret = WS_COOKIE_VALID_COOKIE;
	} else if (reply != NULL) {
		seal_reply(c, reply, msg, len, cookie);
		*replied = true;
	}
	ws_memzero(cookie, sizeof(cookie));
out:
	rte_rwlock_read_unlock(&c->lock);
	return ret;
}

enum ws_cookie_mac_state ws_cookie_checker_validate(struct ws_cookie_checker *c,
						    const void *msg, size_t len,
						    const struct ws_endpoint *src,
						    bool check_cookie, uint64_t now)
{
	return check(c, msg, len, src, check_cookie, now, NULL, NULL);
}

enum ws_cookie_mac_state ws_cookie_checker_validate_reply(struct ws_cookie_checker *c,
							  const void *msg, size_t len,
							  const struct ws_endpoint *src,
							  bool check_cookie, uint64_t now,
							  struct ws_msg_cookie *reply,
							  bool *replied)
{
	memset(reply, 0, sizeof(*reply));
	*replied = false;
	return check(c, msg, len, src, check_cookie, now, reply, replied);
}

int ws_cookie_checker_create_reply(struct ws_cookie_checker *c, struct ws_msg_cookie *dst,
				   const void *msg, size_t len,
				   const struct ws_endpoint *src, uint64_t now)
{
	uint8_t cookie[WS_COOKIE_LEN];
	int ret = -EINVAL;

	memset(dst, 0, sizeof(*dst));
	if (len < HANDSHAKE_MIN_LEN)
		return ret;
	rte_rwlock_read_lock(&c->lock);
	if (!c->has_key || make_cookie(c, cookie, src, now) != 0)
		goto out;
	seal_reply(c, dst, msg, len, cookie);
	ret = 0;
out:
	rte_rwlock_read_unlock(&c->lock);
	ws_memzero(cookie, sizeof(cookie));
	return ret;
}

void ws_cookie_maker_init(struct ws_cookie_maker *m, const uint8_t peer_pub[WS_KEY_LEN])
{
	memset(m, 0, sizeof(*m));
	rte_spinlock_init(&m->lock);
	derive_key(m->mac1_key, label_mac1, peer_pub);
	derive_key(m->cookie_key, label_cookie, peer_pub);
}

void ws_cookie_maker_destroy(struct ws_cookie_maker *m)
{
	ws_memzero(m->cookie, sizeof(m->cookie));
	m->cookie_valid = false;
	m->have_sent_mac1 = false;
}

void ws_cookie_maker_add_macs(struct ws_cookie_maker *m, void *msg, size_t len, uint64_t now)
{
	struct ws_msg_macs *macs;

	if (len < HANDSHAKE_MIN_LEN)
		return;
	macs = (struct ws_msg_macs *)((uint8_t *)msg + len - sizeof(*macs));

	rte_spinlock_lock(&m->lock);
	compute_mac1(macs->mac1, msg, len, m->mac1_key);
	memcpy(m->last_mac1, macs->mac1, WS_COOKIE_LEN);
	m->have_sent_mac1 = true;
	/* Stop using a cookie a little before the responder's secret may have changed. */
	if (m->cookie_valid &&
	    !expired(m->cookie_birthdate,
		     SECS(WS_COOKIE_SECRET_MAX_AGE - WS_COOKIE_SECRET_LATENCY), now))
		compute_mac2(macs->mac2, msg, len, m->cookie);
	else
		memset(macs->mac2, 0, WS_COOKIE_LEN);
	rte_spinlock_unlock(&m->lock);
}

int ws_cookie_maker_consume_reply(struct ws_cookie_maker *m, const struct ws_msg_cookie *src,
				  uint64_t now)
{
	uint8_t cookie[WS_COOKIE_LEN];
	int ret;

	if (src->header.type != WS_MSG_COOKIE || src->header.reserved[0] != 0 ||
	    src->header.reserved[1] != 0 || src->header.reserved[2] != 0)
		return -EBADMSG;

	rte_spinlock_lock(&m->lock);
	ret = -ENOENT;
	if (!m->have_sent_mac1)
		goto out;
	ret = -EBADMSG;
	if (ws_xaead_decrypt(cookie, src->encrypted_cookie, sizeof(src->encrypted_cookie),
			     m->last_mac1, WS_COOKIE_LEN, src->nonce, m->cookie_key) != 0)
		goto out;
	memcpy(m->cookie, cookie, sizeof(cookie));
	m->cookie_birthdate = now;
	m->cookie_valid = true;
	/* One reply per message sent: a second one for the same mac1 is a replay. */
	m->have_sent_mac1 = false;
	ret = 0;
out:
	rte_spinlock_unlock(&m->lock);
	ws_memzero(cookie, sizeof(cookie));
	return ret;
}

bool ws_cookie_under_load(struct ws_load *load, uint32_t handshake_queue_depth,
			  uint32_t queue_bound, uint64_t now)
{
	uint64_t until;

	if (handshake_queue_depth >= queue_bound / WS_UNDER_LOAD_DIVISOR) {
		__atomic_store_n(&load->until, now + SECS(WS_UNDER_LOAD_HOLD_SECS),
				 __ATOMIC_RELAXED);
		return true;
	}
	until = __atomic_load_n(&load->until, __ATOMIC_RELAXED);
	return until != 0 && (int64_t)(now - until) < 0;
}
