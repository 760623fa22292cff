/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1/mac2, cookie replies and the under-load decision. The expected
 * macs and cookies are recomputed here straight from libb2 and libsodium,
 * not through ws_crypto, so the test does not share the code it checks.
 */
#include <blake2.h>
#include <errno.h>
#include <sodium.h>

#include "test_common.h"
#include "cookie.h"

#define SEC(s) ((uint64_t)(s) * WS_NSEC_PER_SEC)
#define MS(ms) ((uint64_t)(ms) * 1000000ULL)

static const uint64_t t0 = SEC(1000);

struct responder {
	uint8_t priv[WS_KEY_LEN], pub[WS_KEY_LEN];
	struct ws_cookie_checker checker;
};

static void responder_init(struct responder *r, uint64_t now)
{
	ws_x25519_generate(r->priv);
	CU_ASSERT_FATAL(ws_x25519_public(r->pub, r->priv) == 0);
	ws_cookie_checker_init(&r->checker, r->pub, now);
}

/* A handshake-shaped message: type, zero reserved, random body, zero macs. */
static void fake_message(uint8_t *msg, size_t len, uint8_t type)
{
	randombytes_buf(msg, len);
	msg[0] = type;
	msg[1] = msg[2] = msg[3] = 0;
	memset(msg + len - sizeof(struct ws_msg_macs), 0, sizeof(struct ws_msg_macs));
}

/* HASH(label || pub) and the 16-byte keyed BLAKE2s, through libb2 directly. */
static void ref_label_key(uint8_t key[32], const char *label, const uint8_t pub[32])
{
	uint8_t buf[8 + 32];

	memcpy(buf, label, 8);
	memcpy(buf + 8, pub, 32);
	CU_ASSERT_FATAL(blake2s(key, buf, NULL, 32, sizeof(buf), 0) == 0);
}

static void ref_mac(uint8_t mac[16], const uint8_t *in, size_t inlen, const uint8_t *key,
		    size_t keylen)
{
	CU_ASSERT_FATAL(blake2s(mac, in, key, 16, inlen, keylen) == 0);
}

static void ref_cookie(uint8_t cookie[16], const uint8_t secret[32], const struct ws_endpoint *ep)
{
	uint8_t buf[18];
	unsigned alen = ws_endpoint_addr_len(ep);

	memcpy(buf, ep->addr, alen);
	buf[alen] = (uint8_t)(ep->port >> 8);
	buf[alen + 1] = (uint8_t)ep->port;
	ref_mac(cookie, buf, alen + 2, secret, 32);
}

static const uint8_t v4a[4] = { 192, 0, 2, 2 }, v4b[4] = { 192, 0, 2, 3 };
static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void test_mac1_matches_reference(void)
{
	struct responder r;
	struct ws_cookie_maker m;
	struct ws_endpoint ep;
	uint8_t key[32], mac[16], msg[WS_MSG_INITIATION_LEN], rsp[WS_MSG_RESPONSE_LEN];

	responder_init(&r, t0);
	ws_cookie_maker_init(&m, r.pub);
	ws_endpoint_v4(&ep, v4a, 51820);
	ref_label_key(key, "mac1----", r.pub);
	CU_ASSERT(memcmp(key, m.mac1_key, 32) == 0);
	CU_ASSERT(memcmp(key, r.checker.mac1_key, 32) == 0);

	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	ref_mac(mac, msg, offsetof(struct ws_msg_initiation, macs.mac1), key, 32);
	CU_ASSERT(memcmp(mac, msg + offsetof(struct ws_msg_initiation, macs.mac1), 16) == 0);
	CU_ASSERT(ws_is_zero(msg + offsetof(struct ws_msg_initiation, macs.mac2), 16));
	CU_ASSERT(memcmp(m.last_mac1, mac, 16) == 0);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, false, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	/* Under load, a good mac1 with no cookie is still just that. */
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);

	fake_message(rsp, sizeof(rsp), WS_MSG_RESPONSE);
	ws_cookie_maker_add_macs(&m, rsp, sizeof(rsp), t0);
	ref_mac(mac, rsp, offsetof(struct ws_msg_response, macs.mac1), key, 32);
	CU_ASSERT(memcmp(mac, rsp + offsetof(struct ws_msg_response, macs.mac1), 16) == 0);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, rsp, sizeof(rsp), &ep, false, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);

	/* The cookie key is the other label over the same public key. */
	ref_label_key(key, "cookie--", r.pub);
	CU_ASSERT(memcmp(key, m.cookie_key, 32) == 0);
	CU_ASSERT(memcmp(key, r.checker.cookie_key, 32) == 0);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
}

static void test_forged_mac1_rejected(void)
{
	struct responder r, other;
	struct ws_cookie_maker m, wrong;
	struct ws_endpoint ep;
	uint8_t msg[WS_MSG_INITIATION_LEN], bad[WS_MSG_INITIATION_LEN];
	const size_t mac1_at = offsetof(struct ws_msg_initiation, macs.mac1);
	const size_t mac2_at = offsetof(struct ws_msg_initiation, macs.mac2);

	responder_init(&r, t0);
	responder_init(&other, t0);
	ws_cookie_maker_init(&m, r.pub);
	ws_endpoint_v4(&ep, v4a, 51820);
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);

	/* Every bit of mac1, and every byte of what it covers. */
	for (size_t i = 0; i < mac2_at; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			if (i < mac1_at && bit > 0)
				continue;
			memcpy(bad, msg, sizeof(msg));
			bad[i] ^= (uint8_t)(1u << bit);
			CU_ASSERT(ws_cookie_checker_validate(&r.checker, bad, sizeof(bad), &ep,
							     false, t0) == WS_COOKIE_INVALID_MAC1);
			CU_ASSERT(ws_cookie_checker_validate(&r.checker, bad, sizeof(bad), &ep,
							     true, t0) == WS_COOKIE_INVALID_MAC1);
		}
	}
	/* mac2 is not covered by mac1. */
	memcpy(bad, msg, sizeof(msg));
	bad[mac2_at] ^= 1;
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, bad, sizeof(bad), &ep, false, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);

	/* mac1 for another responder, a zero mac1, a truncated message. */
	CU_ASSERT(ws_cookie_checker_validate(&other.checker, msg, sizeof(msg), &ep, false, t0) ==
		  WS_COOKIE_INVALID_MAC1);
	ws_cookie_maker_init(&wrong, other.pub);
	memcpy(bad, msg, sizeof(msg));
	ws_cookie_maker_add_macs(&wrong, bad, sizeof(bad), t0);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, bad, sizeof(bad), &ep, false, t0) ==
		  WS_COOKIE_INVALID_MAC1);
	memcpy(bad, msg, sizeof(msg));
	memset(bad + mac1_at, 0, 16);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, bad, sizeof(bad), &ep, false, t0) ==
		  WS_COOKIE_INVALID_MAC1);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, 8, &ep, false, t0) ==
		  WS_COOKIE_INVALID_MAC1);

	/* A checker with no key accepts nothing. */
	ws_cookie_checker_set_key(&r.checker, NULL);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, false, t0) ==
		  WS_COOKIE_INVALID_MAC1);
	ws_cookie_checker_set_key(&r.checker, r.pub);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, false, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	ws_cookie_checker_destroy(&r.checker);
	ws_cookie_checker_destroy(&other.checker);
}

/* A responder, a maker that knows it, and an IPv4 and an IPv6 source. */
static void setup(struct responder *r, struct ws_cookie_maker *m, struct ws_endpoint *ep,
		  struct ws_endpoint *ep6)
{
	responder_init(r, t0);
	ws_cookie_maker_init(m, r->pub);
	ws_endpoint_v4(ep, v4a, 51820);
	ws_endpoint_v6(ep6, v6a, 40000);
}

/* reply answered msg from ep: checked by hand, then fed to m. */
static void check_reply(struct responder *r, struct ws_cookie_maker *m, const uint8_t *msg,
			size_t len, const struct ws_endpoint *ep, uint64_t now,
			const struct ws_msg_cookie *in)
{
	struct ws_msg_cookie reply = *in;
	uint8_t key[32], cookie[16], expect[16];
	unsigned long long plen;

	CU_ASSERT(sizeof(reply) == WS_MSG_COOKIE_LEN);
	CU_ASSERT(reply.header.type == WS_MSG_COOKIE);
	CU_ASSERT(ws_is_zero(reply.header.reserved, 3));
	CU_ASSERT(memcmp(&reply.receiver_index, msg + 4, 4) == 0);

	ref_label_key(key, "cookie--", r->pub);
	CU_ASSERT_FATAL(crypto_aead_xchacha20poly1305_ietf_decrypt(
		cookie, &plen, NULL, reply.encrypted_cookie, sizeof(reply.encrypted_cookie),
		msg + len - 32, 16, reply.nonce, key) == 0);
	CU_ASSERT(plen == 16);
	ref_cookie(expect, r->checker.secret, ep);
	CU_ASSERT(memcmp(cookie, expect, 16) == 0);

	CU_ASSERT(ws_cookie_maker_consume_reply(m, &reply, now) == 0);
	CU_ASSERT(memcmp(m->cookie, expect, 16) == 0);
	/* One reply per message sent. */
	CU_ASSERT(ws_cookie_maker_consume_reply(m, &reply, now) == -ENOENT);
}

/* The responder answers msg from ep with ws_cookie_checker_create_reply. */
static void reply_round_trip(struct responder *r, struct ws_cookie_maker *m, const uint8_t *msg,
			     size_t len, const struct ws_endpoint *ep, uint64_t now)
{
	struct ws_msg_cookie reply;

	CU_ASSERT_FATAL(ws_cookie_checker_create_reply(&r->checker, &reply, msg, len, ep, now) == 0);
	check_reply(r, m, msg, len, ep, now, &reply);
}

/*
 * The responder under load: one call validates and, when mac2 does not
 * carry the source's cookie, makes the reply (the gateway's path).
 */
static void test_validate_reply(void)
{
	struct responder r;
	struct ws_cookie_maker m;
	struct ws_endpoint ep, ep6, none = { 0 };
	struct ws_msg_cookie reply;
	uint8_t msg[WS_MSG_INITIATION_LEN], rsp[WS_MSG_RESPONSE_LEN];
	bool replied;

	setup(&r, &m, &ep, &ep6);

	/* No cookie yet: a reply, which the maker accepts, with the reference cookie. */
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &ep, false, t0,
						   &reply, &replied) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT(!replied);    /* not under load: mac2 is not looked at, nothing to answer */
	CU_ASSERT(ws_is_zero(&reply, sizeof(reply)));
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &ep, true, t0,
						   &reply, &replied) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT_FATAL(replied);
	check_reply(&r, &m, msg, sizeof(msg), &ep, t0, &reply);

	/* With the cookie in mac2: valid, and no reply. */
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0 + SEC(1));
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &ep, true,
						   t0 + SEC(1), &reply, &replied) ==
		  WS_COOKIE_VALID_COOKIE);
	CU_ASSERT(!replied);
	CU_ASSERT(ws_is_zero(&reply, sizeof(reply)));
	/* The same message from another source is answered again. */
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &ep6, true,
						   t0 + SEC(1), &reply, &replied) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT(replied);

	/* A bad mac1 gets nothing; nor does a source without an address. */
	msg[10] ^= 1;
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &ep, true,
						   t0 + SEC(1), &reply, &replied) ==
		  WS_COOKIE_INVALID_MAC1);
	CU_ASSERT(!replied);
	msg[10] ^= 1;
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, msg, sizeof(msg), &none, true,
						   t0 + SEC(1), &reply, &replied) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT(!replied);
	CU_ASSERT(ws_is_zero(&reply, sizeof(reply)));

	/* A response from an IPv6 source, round trip. */
	fake_message(rsp, sizeof(rsp), WS_MSG_RESPONSE);
	ws_cookie_maker_add_macs(&m, rsp, sizeof(rsp), t0 + SEC(2));
	CU_ASSERT(ws_cookie_checker_validate_reply(&r.checker, rsp, sizeof(rsp), &ep6, true,
						   t0 + SEC(2), &reply, &replied) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT_FATAL(replied);
	check_reply(&r, &m, rsp, sizeof(rsp), &ep6, t0 + SEC(2), &reply);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
}

static void test_cookie_reply_round_trip(void)
{
	struct responder r;
	struct ws_cookie_maker m;
	struct ws_endpoint ep, ep6;
	uint8_t msg[WS_MSG_INITIATION_LEN], mac[16];
	const size_t mac2_at = offsetof(struct ws_msg_initiation, macs.mac2);

	setup(&r, &m, &ep, &ep6);

	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	reply_round_trip(&r, &m, msg, sizeof(msg), &ep, t0);

	/* The next message carries mac2 = MAC(cookie, msg up to mac2). */
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0 + SEC(1));
	ref_mac(mac, msg, mac2_at, m.cookie, 16);
	CU_ASSERT(memcmp(mac, msg + mac2_at, 16) == 0);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true,
					     t0 + SEC(1)) == WS_COOKIE_VALID_COOKIE);
	/* Not under load, mac2 is not looked at. */
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, false,
					     t0 + SEC(1)) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	/* A tampered mac2 does not pass. */
	msg[mac2_at + 5] ^= 0x20;
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true,
					     t0 + SEC(1)) == WS_COOKIE_VALID_MAC1_NO_COOKIE);

	/* IPv6 sources, and responses as well as initiations. */
	uint8_t rsp[WS_MSG_RESPONSE_LEN];
	fake_message(rsp, sizeof(rsp), WS_MSG_RESPONSE);
	ws_cookie_maker_add_macs(&m, rsp, sizeof(rsp), t0 + SEC(2));
	reply_round_trip(&r, &m, rsp, sizeof(rsp), &ep6, t0 + SEC(2));
	fake_message(rsp, sizeof(rsp), WS_MSG_RESPONSE);
	ws_cookie_maker_add_macs(&m, rsp, sizeof(rsp), t0 + SEC(2));
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, rsp, sizeof(rsp), &ep6, true,
					     t0 + SEC(2)) == WS_COOKIE_VALID_COOKIE);

	/* No reply without an address to bind to. */
	struct ws_endpoint none = { 0 };
	struct ws_msg_cookie reply;
	CU_ASSERT(ws_cookie_checker_create_reply(&r.checker, &reply, rsp, sizeof(rsp), &none,
						 t0) == -EINVAL);
	CU_ASSERT(ws_cookie_checker_create_reply(&r.checker, &reply, rsp, 10, &ep, t0) == -EINVAL);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
}

static void test_cookie_bound_to_source(void)
{
	struct responder r;
	struct ws_cookie_maker m;
	struct ws_endpoint ep, other;
	uint8_t msg[WS_MSG_INITIATION_LEN];
	uint8_t v6_of_v4[16] = { 192, 0, 2, 2 };

	responder_init(&r, t0);
	ws_cookie_maker_init(&m, r.pub);
	ws_endpoint_v4(&ep, v4a, 51820);
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	reply_round_trip(&r, &m, msg, sizeof(msg), &ep, t0);
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true, t0) ==
		  WS_COOKIE_VALID_COOKIE);

	ws_endpoint_v4(&other, v4b, 51820);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &other, true, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	ws_endpoint_v4(&other, v4a, 51821);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &other, true, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	/* The port's byte order matters: 51820 and its byte swap are different sources. */
	ws_endpoint_v4(&other, v4a, (uint16_t)((51820 >> 8) | ((51820 & 0xff) << 8)));
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &other, true, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	ws_endpoint_v6(&other, v6_of_v4, 51820);
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &other, true, t0) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
}

static void test_secret_rotation(void)
{
	struct responder r;
	struct ws_cookie_maker m;
	struct ws_endpoint ep;
	uint8_t msg[WS_MSG_INITIATION_LEN], old_secret[32];
	const size_t mac2_at = offsetof(struct ws_msg_initiation, macs.mac2);

	responder_init(&r, t0);
	ws_cookie_maker_init(&m, r.pub);
	ws_endpoint_v4(&ep, v4a, 51820);
	fake_message(msg, sizeof(msg), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0);
	reply_round_trip(&r, &m, msg, sizeof(msg), &ep, t0);
	memcpy(old_secret, r.checker.secret, 32);

	/* The maker stops using its cookie 5 s before the secret may change. */
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0 + SEC(115) - 1);
	CU_ASSERT(!ws_is_zero(msg + mac2_at, 16));
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true,
					     t0 + SEC(120) - 1) == WS_COOKIE_VALID_COOKIE);
	CU_ASSERT(memcmp(old_secret, r.checker.secret, 32) == 0);
	/* At 120 s the secret is renewed and the old cookie is worthless. */
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true,
					     t0 + SEC(120)) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT(memcmp(old_secret, r.checker.secret, 32) != 0);
	CU_ASSERT(r.checker.secret_birthdate == t0 + SEC(120));
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0 + SEC(115));
	CU_ASSERT(ws_is_zero(msg + mac2_at, 16));

	/* A fresh reply under the new secret works again. */
	reply_round_trip(&r, &m, msg, sizeof(msg), &ep, t0 + SEC(121));
	ws_cookie_maker_add_macs(&m, msg, sizeof(msg), t0 + SEC(121));
	CU_ASSERT(ws_cookie_checker_validate(&r.checker, msg, sizeof(msg), &ep, true,
					     t0 + SEC(122)) == WS_COOKIE_VALID_COOKIE);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
}

static void test_maker_refuses_unsolicited(void)
{
	struct responder r, other;
	struct ws_cookie_maker m;
	struct ws_endpoint ep;
	struct ws_msg_cookie reply, bad;
	uint8_t sent[WS_MSG_INITIATION_LEN], unrelated[WS_MSG_INITIATION_LEN];

	responder_init(&r, t0);
	responder_init(&other, t0);
	ws_cookie_maker_init(&m, r.pub);
	ws_endpoint_v4(&ep, v4a, 51820);

	/* Nothing sent yet: nothing to be answered. */
	fake_message(sent, sizeof(sent), WS_MSG_INITIATION);
	CU_ASSERT(ws_cookie_checker_create_reply(&r.checker, &reply, sent, sizeof(sent), &ep,
						 t0) == 0);
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &reply, t0) == -ENOENT);

	/* A reply to a message we did not send (other mac1 as AD). */
	ws_cookie_maker_add_macs(&m, sent, sizeof(sent), t0);
	fake_message(unrelated, sizeof(unrelated), WS_MSG_INITIATION);
	ws_cookie_maker_add_macs(&m, unrelated, sizeof(unrelated), t0);
	CU_ASSERT(ws_cookie_checker_create_reply(&r.checker, &reply, sent, sizeof(sent), &ep,
						 t0) == 0);
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &reply, t0) == -EBADMSG);
	CU_ASSERT(!m.cookie_valid);

	/* Encrypted under another responder's key, tampered, or of the wrong type. */
	CU_ASSERT(ws_cookie_checker_create_reply(&other.checker, &reply, unrelated,
						 sizeof(unrelated), &ep, t0) == 0);
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &reply, t0) == -EBADMSG);
	CU_ASSERT(ws_cookie_checker_create_reply(&r.checker, &reply, unrelated, sizeof(unrelated),
						 &ep, t0) == 0);
	for (size_t i = 4; i < sizeof(reply); i++) {
		if (i < offsetof(struct ws_msg_cookie, nonce))
			continue; /* the receiver index is the caller's business */
		memcpy(&bad, &reply, sizeof(bad));
		((uint8_t *)&bad)[i] ^= 0x80;
		CU_ASSERT(ws_cookie_maker_consume_reply(&m, &bad, t0) == -EBADMSG);
	}
	memcpy(&bad, &reply, sizeof(bad));
	bad.header.type = WS_MSG_RESPONSE;
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &bad, t0) == -EBADMSG);
	memcpy(&bad, &reply, sizeof(bad));
	bad.header.reserved[1] = 1;
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &bad, t0) == -EBADMSG);
	CU_ASSERT(!m.cookie_valid);

	/* Failures did not use up the pending mac1: the genuine reply still works. */
	CU_ASSERT(ws_cookie_maker_consume_reply(&m, &reply, t0) == 0);
	CU_ASSERT(m.cookie_valid);
	ws_cookie_maker_destroy(&m);
	ws_cookie_checker_destroy(&r.checker);
	ws_cookie_checker_destroy(&other.checker);
}

static void test_under_load_hysteresis(void)
{
	struct ws_load load = { 0 };
	const uint32_t bound = WS_MAX_QUEUED_HANDSHAKES;

	CU_ASSERT(!ws_cookie_under_load(&load, 0, bound, t0));
	CU_ASSERT(!ws_cookie_under_load(&load, bound / 8 - 1, bound, t0));
	CU_ASSERT(ws_cookie_under_load(&load, bound / 8, bound, t0));
	/* The queue drains, yet the load is held for a second. */
	CU_ASSERT(ws_cookie_under_load(&load, 0, bound, t0 + MS(500)));
	CU_ASSERT(ws_cookie_under_load(&load, 0, bound, t0 + SEC(1) - 1));
	CU_ASSERT(!ws_cookie_under_load(&load, 0, bound, t0 + SEC(1)));
	/* Every time it is past the threshold the hold restarts. */
	CU_ASSERT(ws_cookie_under_load(&load, bound, bound, t0 + SEC(2)));
	CU_ASSERT(ws_cookie_under_load(&load, bound / 8 + 1, bound, t0 + SEC(2) + MS(900)));
	CU_ASSERT(ws_cookie_under_load(&load, 1, bound, t0 + SEC(3) + MS(899)));
	CU_ASSERT(!ws_cookie_under_load(&load, 1, bound, t0 + SEC(3) + MS(900)));
	/* Another bound, another threshold. */
	CU_ASSERT(!ws_cookie_under_load(&load, 15, 128, t0 + SEC(10)));
	CU_ASSERT(ws_cookie_under_load(&load, 16, 128, t0 + SEC(10)));
}

static int suite_init(void)
{
	return ws_crypto_init() == 0 ? 0 : -1;
}

static const struct ws_test tests[] = {
	WS_TEST(test_mac1_matches_reference),
	WS_TEST(test_forged_mac1_rejected),
	WS_TEST(test_cookie_reply_round_trip),
	WS_TEST(test_validate_reply),
	WS_TEST(test_cookie_bound_to_source),
	WS_TEST(test_secret_rotation),
	WS_TEST(test_maker_refuses_unsolicited),
	WS_TEST(test_under_load_hysteresis),
	{ 0 },
};

int main(void)
{
	return ws_test_run("cookie", tests, suite_init, NULL);
}
