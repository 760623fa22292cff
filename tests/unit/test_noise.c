/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The handshake between two in-process endpoints ("a" and "b"), each with
 * its local identity, one remote (the other side), a fake index table, a
 * fake keypair pool and the cookie checker/maker the gateway puts in front
 * of noise. A reference computation written from the whitepaper on top of
 * libb2 and libsodium (not ws_crypto) checks the bytes, starting from the
 * initial chaining key and hash published by other implementations.
 */
#include <blake2.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>

#include "test_common.h"
#include "cookie.h"
#include "noise.h"

#define SEC(s) ((uint64_t)(s) * WS_NSEC_PER_SEC)
#define MS(ms) ((uint64_t)(ms) * 1000000ULL)
#define POOL 12
#define SLOTS 16

struct fake_index {
	bool used;
	uint32_t idx;
	struct ws_noise_remote *r;
	struct ws_noise_keypair *kp;
};

struct side {
	uint8_t priv[WS_KEY_LEN], pub[WS_KEY_LEN];
	struct ws_noise_local local;
	struct ws_noise_remote remote;
	bool registered;
	struct ws_cookie_checker checker;
	struct ws_cookie_maker maker;
	struct ws_endpoint ep;
	struct fake_index idx[SLOTS];
	unsigned remote_gets, index_drops;
	bool fail_index_alloc, defer_retire;
	struct ws_noise_keypair *deferred[POOL];
	unsigned ndeferred;
	struct ws_noise_keypair pool[POOL];
	bool pool_used[POOL];
};

static struct side A, B;
static uint64_t now;
static struct timespec wall;

static void advance(uint64_t ns)
{
	now += ns;
	wall.tv_sec += (time_t)(ns / WS_NSEC_PER_SEC);
	wall.tv_nsec += (long)(ns % WS_NSEC_PER_SEC);
	if (wall.tv_nsec >= (long)WS_NSEC_PER_SEC) {
		wall.tv_sec++;
		wall.tv_nsec -= (long)WS_NSEC_PER_SEC;
	}
}

/* ---- upcalls: a fake index table and keypair pool ---- */

static struct fake_index *fake_find(struct side *s, uint32_t idx)
{
	for (unsigned i = 0; i < SLOTS; i++)
		if (s->idx[i].used && s->idx[i].idx == idx)
			return &s->idx[i];
	return NULL;
}

static unsigned fake_count(const struct side *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SLOTS; i++)
		n += s->idx[i].used;
	return n;
}

static struct ws_noise_remote *up_remote_get(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	struct side *s = arg;

	s->remote_gets++;
	return s->registered && memcmp(pub, s->remote.public_key, WS_KEY_LEN) == 0 ? &s->remote
										  : NULL;
}

static int up_index_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	struct side *s = arg;

	if (s->fail_index_alloc)
		return -ENOSPC;
	for (unsigned i = 0; i < SLOTS; i++) {
		if (s->idx[i].used)
			continue;
		do
			*idx = ws_random_u32();
		while (fake_find(s, *idx) != NULL);
		s->idx[i] = (struct fake_index){ .used = true, .idx = *idx, .r = r };
		return 0;
	}
	return -ENOSPC;
}

static struct ws_noise_remote *up_index_lookup(void *arg, uint32_t idx)
{
	struct fake_index *e = fake_find(arg, idx);

	return e != NULL ? e->r : NULL;
}

static void up_index_keypair(void *arg, uint32_t idx, struct ws_noise_keypair *kp)
{
	struct fake_index *e = fake_find(arg, idx);

	CU_ASSERT_FATAL(e != NULL && e->kp == NULL);
	e->kp = kp;
}

static void up_index_drop(void *arg, uint32_t idx)
{
	struct side *s = arg;
	struct fake_index *e = fake_find(s, idx);

	CU_ASSERT_FATAL(e != NULL);
	memset(e, 0, sizeof(*e));
	s->index_drops++;
}

static struct ws_noise_keypair *up_keypair_alloc(void *arg)
{
	struct side *s = arg;

	for (unsigned i = 0; i < POOL; i++) {
		if (!s->pool_used[i]) {
			s->pool_used[i] = true;
			memset(&s->pool[i], 0xa5, sizeof(s->pool[i]));
			return &s->pool[i];
		}
	}
	return NULL;
}

/* Wiped: every byte zero but the generation, which outlives reuse by design. */
static bool keypair_wiped(const struct ws_noise_keypair *kp)
{
	struct ws_noise_keypair copy = *kp;

	copy.generation = 0;
	return ws_is_zero(&copy, sizeof(copy));
}

/* The memory is left as noise left it, so tests can look at it after the release. */
static void up_keypair_release(void *arg, struct ws_noise_keypair *kp)
{
	struct side *s = arg;
	unsigned i = (unsigned)(kp - s->pool);

	CU_ASSERT_FATAL(i < POOL && s->pool_used[i]);
	CU_ASSERT(keypair_wiped(kp));
	s->pool_used[i] = false;
}

static void up_keypair_retire(void *arg, struct ws_noise_keypair *kp)
{
	struct side *s = arg;

	CU_ASSERT(!kp->valid);
	CU_ASSERT(fake_find(s, kp->local_index) == NULL);
	if (s->defer_retire)
		s->deferred[s->ndeferred++] = kp;
	else
		ws_noise_keypair_free(kp);
}

/* The grace period ends. */
static void flush_deferred(struct side *s)
{
	for (unsigned i = 0; i < s->ndeferred; i++)
		ws_noise_keypair_free(s->deferred[i]);
	s->ndeferred = 0;
}

static unsigned pool_in_use(const struct side *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < POOL; i++)
		n += s->pool_used[i];
	return n;
}

/* ---- the two endpoints ---- */

static void side_init(struct side *s, uint8_t host)
{
	const struct ws_noise_upcalls u = {
		.arg = s,
		.remote_get = up_remote_get,
		.index_alloc = up_index_alloc,
		.index_lookup = up_index_lookup,
		.index_keypair = up_index_keypair,
		.index_drop = up_index_drop,
		.keypair_alloc = up_keypair_alloc,
		.keypair_release = up_keypair_release,
		.keypair_retire = up_keypair_retire,
	};
	const uint8_t addr[4] = { 192, 0, 2, host };

	memset(s, 0, sizeof(*s));
	ws_x25519_generate(s->priv);
	CU_ASSERT_FATAL(ws_x25519_public(s->pub, s->priv) == 0);
	CU_ASSERT_FATAL(ws_noise_local_init(&s->local, &u) == 0);
	CU_ASSERT_FATAL(ws_noise_local_set_private(&s->local, s->priv) == 0);
	ws_cookie_checker_init(&s->checker, s->pub, now);
	ws_endpoint_v4(&s->ep, addr, 51820);
}

static void side_pair(struct side *s, const struct side *peer, const uint8_t *psk)
{
	CU_ASSERT_FATAL(ws_noise_remote_init(&s->remote, &s->local, peer->pub, psk) == 0);
	s->registered = true;
	ws_cookie_maker_init(&s->maker, peer->pub);
}

static void setup(const uint8_t *psk_a, const uint8_t *psk_b)
{
	now = SEC(1000);
	wall = (struct timespec){ .tv_sec = 1700000000, .tv_nsec = 123456789 };
	side_init(&A, 1);
	side_init(&B, 2);
	side_pair(&A, &B, psk_a);
	side_pair(&B, &A, psk_b);
}

/* Everything goes: no index may be left in use, no keypair unreleased. */
static void side_fini(struct side *s)
{
	if (s->registered)
		ws_noise_remote_destroy(&s->remote);
	s->registered = false;
	flush_deferred(s);
	CU_ASSERT(fake_count(s) == 0);
	CU_ASSERT(pool_in_use(s) == 0);
	ws_noise_local_destroy(&s->local);
	ws_cookie_checker_destroy(&s->checker);
	ws_cookie_maker_destroy(&s->maker);
}

static void teardown(void)
{
	side_fini(&A);
	side_fini(&B);
}

/* ---- handshake steps as the gateway runs them: macs outside noise ---- */

static int initiate(struct side *s, struct ws_msg_initiation *msg)
{
	int ret = ws_noise_create_initiation(&s->remote, msg, &wall);

	if (ret == 0)
		ws_cookie_maker_add_macs(&s->maker, msg, sizeof(*msg), now);
	return ret;
}

static int consume_init(struct side *s, const struct side *from,
			const struct ws_msg_initiation *msg)
{
	struct ws_noise_remote *r = NULL;
	int ret;

	if (ws_cookie_checker_validate(&s->checker, msg, sizeof(*msg), &from->ep, false, now) ==
	    WS_COOKIE_INVALID_MAC1)
		return -EPERM;
	ret = ws_noise_consume_initiation(&s->local, msg, now, &r);
	CU_ASSERT((ret == 0) == (r == &s->remote));
	return ret;
}

static int respond(struct side *s, struct ws_msg_response *rsp)
{
	int ret = ws_noise_create_response(&s->remote, rsp);

	if (ret != 0)
		return ret;
	ws_cookie_maker_add_macs(&s->maker, rsp, sizeof(*rsp), now);
	return ws_noise_begin_session(&s->remote, now);
}

static int consume_rsp(struct side *s, const struct side *from, const struct ws_msg_response *rsp)
{
	struct ws_noise_remote *r = NULL;
	int ret;

	if (ws_cookie_checker_validate(&s->checker, rsp, sizeof(*rsp), &from->ep, false, now) ==
	    WS_COOKIE_INVALID_MAC1)
		return -EPERM;
	ret = ws_noise_consume_response(&s->local, rsp, &r);
	CU_ASSERT((ret == 0) == (r == &s->remote));
	if (ret == 0)
		ret = ws_noise_begin_session(r, now);
	return ret;
}

static void handshake(struct side *i, struct side *r)
{
	struct ws_msg_initiation init;
	struct ws_msg_response rsp;

	CU_ASSERT_FATAL(initiate(i, &init) == 0);
	CU_ASSERT_FATAL(consume_init(r, i, &init) == 0);
	CU_ASSERT_FATAL(respond(r, &rsp) == 0);
	CU_ASSERT_FATAL(consume_rsp(i, r, &rsp) == 0);
}

/* ---- transport data, as the data path will do it ---- */

static size_t seal(struct ws_noise_keypair *kp, const char *text, uint8_t *pkt)
{
	struct ws_msg_data *hdr = (struct ws_msg_data *)pkt;
	uint8_t padded[64] = { 0 };
	size_t len = strlen(text), plen = ws_msg_data_padded_len((uint32_t)len);
	uint64_t c;

	CU_ASSERT_FATAL(len <= sizeof(padded));
	CU_ASSERT_FATAL(ws_noise_keypair_next_counter(kp, &c) == 0);
	memcpy(padded, text, len);
	memset(hdr, 0, sizeof(*hdr));
	hdr->header.type = WS_MSG_DATA;
	hdr->receiver_index = htole32(kp->remote_index);
	hdr->counter = htole64(c);
	ws_aead_encrypt(pkt + sizeof(*hdr), padded, plen, NULL, 0, c, kp->send_key);
	return sizeof(*hdr) + plen + WS_AEAD_TAG_LEN;
}

static int open_data(struct side *d, const uint8_t *pkt, size_t n, const char *expect)
{
	const struct ws_msg_data *hdr = (const struct ws_msg_data *)pkt;
	uint32_t idx = le32toh(hdr->receiver_index);
	uint64_t c = le64toh(hdr->counter);
	struct fake_index *e = fake_find(d, idx);
	struct ws_noise_keypair *kp;
	uint8_t out[80];

	if (e == NULL || (kp = ws_noise_keypair_lookup(e->r, idx)) == NULL)
		return -ENOENT;
	CU_ASSERT(e->kp == kp);
	if (!ws_noise_keypair_usable(kp, now))
		return -EKEYEXPIRED;
	if (ws_aead_decrypt(out, pkt + sizeof(*hdr), n - sizeof(*hdr), NULL, 0, c,
			    kp->recv_key) != 0)
		return -EBADMSG;
	if (!ws_counter_validate(&kp->recv_window, c))
		return -EALREADY;
	ws_noise_keypair_confirm(e->r, kp);
	CU_ASSERT(memcmp(out, expect, strlen(expect)) == 0);
	return 0;
}

static int send_data(struct ws_noise_keypair *kp, struct side *d, const char *text)
{
	uint8_t pkt[128];
	size_t n;

	if (kp == NULL)
		return -ENOKEY;
	n = seal(kp, text, pkt);
	return open_data(d, pkt, n, text);
}

static struct ws_noise_keypair *cur(struct side *s)
{
	return ws_noise_keypair_current(&s->remote, now);
}

/* ---- a reference computation from the whitepaper, on libb2 and libsodium ---- */

static const char *initial_ck_hex =
	"60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
static const char *initial_h_hex =
	"2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";

static void ref_hash2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
	blake2s_state st;

	blake2s_init(&st, 32);
	blake2s_update(&st, a, alen);
	blake2s_update(&st, b, blen);
	blake2s_final(&st, out, 32);
}

static void ref_hmac(uint8_t out[32], const uint8_t key[32], const void *in, size_t len)
{
	uint8_t pad[64], inner[32];

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, 32);
	for (int i = 0; i < 64; i++)
		pad[i] ^= 0x36;
	ref_hash2(inner, pad, 64, in, len);
	for (int i = 0; i < 64; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ref_hash2(out, pad, 64, inner, 32);
}

/* KDF_n: t0 = HMAC(ck, in), t1 = HMAC(t0, 1), t_i = HMAC(t0, t_{i-1} || i). */
static void ref_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t ck[32],
		    const void *in, size_t len)
{
	uint8_t t0[32], buf[33];
	uint8_t *outs[3] = { t1, t2, t3 };

	ref_hmac(t0, ck, in, len);
	buf[0] = 1;
	ref_hmac(buf, t0, buf, 1);
	for (int i = 0; i < 3 && outs[i] != NULL; i++) {
		if (i > 0) {
			buf[32] = (uint8_t)(i + 1);
			ref_hmac(buf, t0, buf, 33);
		}
		memcpy(outs[i], buf, 32);
	}
}

static void ref_dh(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
	CU_ASSERT_FATAL(crypto_scalarmult(out, priv, pub) == 0);
}

static int ref_open(uint8_t *out, const uint8_t key[32], const uint8_t *ct, size_t len,
		    const uint8_t h[32])
{
	static const uint8_t zero_nonce[12];
	unsigned long long mlen;

	return crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, ct, len, h, 32,
							 zero_nonce, key);
}

static void test_initial_constants(void)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t ck[32], h[32], want[32];

	CU_ASSERT(blake2s(ck, construction, NULL, 32, strlen(construction), 0) == 0);
	ws_test_unhex(want, 32, initial_ck_hex);
	CU_ASSERT(memcmp(ck, want, 32) == 0);
	ref_hash2(h, ck, 32, identifier, strlen(identifier));
	ws_test_unhex(want, 32, initial_h_hex);
	CU_ASSERT(memcmp(h, want, 32) == 0);
}

/* Replays a whole handshake from the responder's private key and the initiator's ephemeral. */
static void test_matches_reference(void)
{
	uint8_t psk[32], ck[32], h[32], k[32], dh[32], tau[32], t1[32], t2[32];
	uint8_t e_priv[32], plain[32], none[1];
	struct ws_msg_initiation init;
	struct ws_msg_response rsp;

	randombytes_buf(psk, sizeof(psk));
	setup(psk, psk);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	memcpy(e_priv, A.remote.ephemeral_private, 32);

	/* Message 1, as B reads it. */
	CU_ASSERT(memcmp(&init, "\x01\x00\x00\x00", 4) == 0);
	CU_ASSERT(fake_find(&A, le32toh(init.sender_index)) != NULL);
	ws_test_unhex(ck, 32, initial_ck_hex);
	ws_test_unhex(h, 32, initial_h_hex);
	ref_hash2(h, h, 32, B.pub, 32);
	ref_hash2(h, h, 32, init.unencrypted_ephemeral, 32);
	ref_kdf(ck, NULL, NULL, ck, init.unencrypted_ephemeral, 32);
	ref_dh(dh, B.priv, init.unencrypted_ephemeral);
	ref_kdf(ck, k, NULL, ck, dh, 32);
	CU_ASSERT_FATAL(ref_open(plain, k, init.encrypted_static, 48, h) == 0);
	CU_ASSERT(memcmp(plain, A.pub, 32) == 0);
	ref_hash2(h, h, 32, init.encrypted_static, 48);
	ref_dh(dh, B.priv, A.pub);
	ref_kdf(ck, k, NULL, ck, dh, 32);
	CU_ASSERT_FATAL(ref_open(plain, k, init.encrypted_timestamp, 28, h) == 0);
	ref_hash2(h, h, 32, init.encrypted_timestamp, 28);
	/* TAI64N: 2^62 + 10 + seconds, then nanoseconds, big-endian. */
	uint64_t label = 0;
	uint32_t nsec = 0;
	for (int i = 0; i < 8; i++)
		label = label << 8 | plain[i];
	for (int i = 8; i < 12; i++)
		nsec = nsec << 8 | plain[i];
	CU_ASSERT(label == 0x400000000000000aULL + (uint64_t)wall.tv_sec);
	CU_ASSERT(nsec <= (uint32_t)wall.tv_nsec && (uint32_t)wall.tv_nsec - nsec < (1u << 24));
	CU_ASSERT(memcmp(A.remote.hash, h, 32) == 0);
	CU_ASSERT(memcmp(A.remote.chaining_key, ck, 32) == 0);

	/* Message 2, as A reads it. */
	CU_ASSERT_FATAL(consume_init(&B, &A, &init) == 0);
	CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
	CU_ASSERT(memcmp(&rsp, "\x02\x00\x00\x00", 4) == 0);
	CU_ASSERT(rsp.receiver_index == init.sender_index);
	CU_ASSERT(fake_find(&B, le32toh(rsp.sender_index)) != NULL);
	ref_hash2(h, h, 32, rsp.unencrypted_ephemeral, 32);
	ref_kdf(ck, NULL, NULL, ck, rsp.unencrypted_ephemeral, 32);
	ref_dh(dh, e_priv, rsp.unencrypted_ephemeral);
	ref_kdf(ck, NULL, NULL, ck, dh, 32);
	ref_dh(dh, A.priv, rsp.unencrypted_ephemeral);
	ref_kdf(ck, NULL, NULL, ck, dh, 32);
	ref_kdf(ck, tau, k, ck, psk, 32);
	ref_hash2(h, h, 32, tau, 32);
	CU_ASSERT(ref_open(none, k, rsp.encrypted_nothing, 16, h) == 0);

	/* Transport keys: T1 is the initiator's sending key. */
	ref_kdf(t1, t2, NULL, ck, "", 0);
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp) == 0);
	CU_ASSERT_FATAL(A.remote.current != NULL && B.remote.next != NULL);
	CU_ASSERT(memcmp(A.remote.current->send_key, t1, 32) == 0);
	CU_ASSERT(memcmp(A.remote.current->recv_key, t2, 32) == 0);
	CU_ASSERT(memcmp(B.remote.next->recv_key, t1, 32) == 0);
	CU_ASSERT(memcmp(B.remote.next->send_key, t2, 32) == 0);
	/* The ephemeral is gone once the response is consumed. */
	CU_ASSERT(ws_is_zero(A.remote.ephemeral_private, 32));
	teardown();
}

static void check_handshake(const uint8_t *psk)
{
	struct ws_msg_initiation init;
	struct ws_msg_response rsp;
	struct ws_noise_keypair *ka, *kb;

	setup(psk, psk);
	CU_ASSERT(sizeof(init) == 148 && sizeof(rsp) == 92);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(init.header.type == 1 && ws_is_zero(init.header.reserved, 3));
	CU_ASSERT(A.remote.state == WS_NOISE_CREATED_INITIATION && fake_count(&A) == 1);
	CU_ASSERT_FATAL(consume_init(&B, &A, &init) == 0);
	CU_ASSERT(B.remote.state == WS_NOISE_CONSUMED_INITIATION);
	CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
	CU_ASSERT(rsp.header.type == 2 && ws_is_zero(rsp.header.reserved, 3));
	CU_ASSERT(B.remote.state == WS_NOISE_ZEROED);
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp) == 0);
	CU_ASSERT(A.remote.state == WS_NOISE_ZEROED);

	/* The responder may not send before the initiator has used the keys. */
	ka = cur(&A);
	kb = B.remote.next;
	CU_ASSERT_FATAL(ka != NULL && kb != NULL);
	CU_ASSERT(cur(&B) == NULL);
	CU_ASSERT(ka->is_initiator && !kb->is_initiator);
	CU_ASSERT(ka->remote_index == kb->local_index && kb->remote_index == ka->local_index);
	CU_ASSERT(memcmp(ka->send_key, kb->recv_key, 32) == 0);
	CU_ASSERT(memcmp(ka->recv_key, kb->send_key, 32) == 0);
	CU_ASSERT(memcmp(ka->send_key, ka->recv_key, 32) != 0);
	CU_ASSERT(fake_count(&A) == 1 && fake_count(&B) == 1);

	/* First data confirms B's keypair: next becomes current. */
	CU_ASSERT(send_data(ka, &B, "ping from a") == 0);
	CU_ASSERT(B.remote.current == kb && B.remote.next == NULL);
	CU_ASSERT(cur(&B) == kb);
	CU_ASSERT(send_data(kb, &A, "pong from b, a little longer") == 0);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT(send_data(ka, &B, "more") == 0);
		CU_ASSERT(send_data(kb, &A, "") == 0);  /* keepalive */
	}
	CU_ASSERT(ka->send_counter == 6 && kb->send_counter == 6);

	/* A replayed or forged data packet does not get through. */
	uint8_t pkt[128];
	size_t n = seal(ka, "once", pkt);
	CU_ASSERT(open_data(&B, pkt, n, "once") == 0);
	CU_ASSERT(open_data(&B, pkt, n, "once") == -EALREADY);
	n = seal(ka, "twice", pkt);
	pkt[n - 1] ^= 1;
	CU_ASSERT(open_data(&B, pkt, n, "twice") == -EBADMSG);
	teardown();
}

static void test_handshake_without_psk(void)
{
	check_handshake(NULL);
}

static void test_handshake_with_psk(void)
{
	uint8_t psk[32];

	randombytes_buf(psk, sizeof(psk));
	check_handshake(psk);
}

static void test_psk_mismatch(void)
{
	uint8_t psk1[32], psk2[32];
	struct ws_msg_initiation init;
	struct ws_msg_response rsp;

	randombytes_buf(psk1, sizeof(psk1));
	randombytes_buf(psk2, sizeof(psk2));
	const uint8_t *cases[][2] = { { psk1, psk2 }, { psk1, NULL }, { NULL, psk2 } };
	for (unsigned c = 0; c < 3; c++) {
		setup(cases[c][0], cases[c][1]);
		CU_ASSERT_FATAL(initiate(&A, &init) == 0);
		/* The psk enters only at the response: B cannot tell yet. */
		CU_ASSERT_FATAL(consume_init(&B, &A, &init) == 0);
		CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
		CU_ASSERT(consume_rsp(&A, &B, &rsp) == -EBADMSG);
		CU_ASSERT(cur(&A) == NULL);
		CU_ASSERT(A.remote.state == WS_NOISE_CREATED_INITIATION);
		teardown();
	}
}

static void test_replayed_initiation(void)
{
	struct ws_msg_initiation init;

	setup(NULL, NULL);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);
	advance(SEC(1));
	CU_ASSERT(consume_init(&B, &A, &init) == -ESTALE);

	/* Also once the session it started exists. */
	struct ws_msg_response rsp;
	CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp) == 0);
	advance(SEC(10));
	CU_ASSERT(consume_init(&B, &A, &init) == -ESTALE);
	CU_ASSERT(B.remote.state == WS_NOISE_ZEROED && B.remote.next != NULL);
	teardown();
}

static void test_old_timestamp(void)
{
	struct ws_msg_initiation init;
	struct timespec later;

	setup(NULL, NULL);
	advance(SEC(5));
	later = wall;
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);

	/* Equal: the same wall clock again (and less than 2^24 ns later). */
	advance(SEC(1));
	wall = later;
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -ESTALE);
	wall.tv_nsec += 1000;
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -ESTALE);
	/* Older. */
	advance(SEC(1));
	wall = later;
	wall.tv_sec -= 1;
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -ESTALE);
	/* Newer. */
	wall = later;
	wall.tv_nsec += 1 << 24;
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);
	teardown();
}

static void test_initiation_flood(void)
{
	struct ws_msg_initiation init;

	setup(NULL, NULL);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);
	wall.tv_sec++;  /* newer timestamps, so only the rate is at stake */
	advance(MS(19));
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -EBUSY);
	advance(MS(1) - 1);
	CU_ASSERT(consume_init(&B, &A, &init) == -EBUSY);
	advance(1);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);
	teardown();
}

static void test_unknown_peer_and_wrong_key(void)
{
	struct ws_msg_initiation init;
	struct side *c = aligned_alloc(_Alignof(struct side), sizeof(*c));
	uint8_t stranger[32];

	CU_ASSERT_FATAL(c != NULL);
	setup(NULL, NULL);
	side_init(c, 3);

	/* C knows B, B does not know C: well-formed, but no such peer. */
	side_pair(c, &B, NULL);
	unsigned gets = B.remote_gets;
	CU_ASSERT_FATAL(initiate(c, &init) == 0);
	CU_ASSERT(consume_init(&B, c, &init) == -ENOENT);
	CU_ASSERT(B.remote_gets == gets + 1);
	CU_ASSERT(B.remote.state == WS_NOISE_ZEROED);

	/* A initiates to a key that is not B's: mac1 fails, and so would noise. */
	ws_x25519_generate(stranger);
	CU_ASSERT_FATAL(ws_x25519_public(stranger, stranger) == 0);
	ws_noise_remote_destroy(&A.remote);
	CU_ASSERT_FATAL(ws_noise_remote_init(&A.remote, &A.local, stranger, NULL) == 0);
	ws_cookie_maker_init(&A.maker, stranger);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -EPERM);
	gets = B.remote_gets;
	struct ws_noise_remote *r;
	CU_ASSERT(ws_noise_consume_initiation(&B.local, &init, now, &r) == -EBADMSG);
	CU_ASSERT(r == NULL && B.remote_gets == gets);
	side_fini(c);
	free(c);
	teardown();
}

static void test_forged_mac1_dropped(void)
{
	struct ws_msg_initiation init, bad;

	setup(NULL, NULL);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	unsigned gets = B.remote_gets;
	for (size_t i = 0; i < offsetof(struct ws_msg_initiation, macs.mac2); i++) {
		memcpy(&bad, &init, sizeof(bad));
		((uint8_t *)&bad)[i] ^= 0x10;
		CU_ASSERT(consume_init(&B, &A, &bad) == -EPERM);
	}
	/* Dropped before any DH: noise never looked for a peer. */
	CU_ASSERT(B.remote_gets == gets);
	CU_ASSERT(consume_init(&B, &A, &init) == 0);
	teardown();
}

static void snapshot(const struct ws_noise_remote *r, uint8_t out[140])
{
	memcpy(out, r->hash, 32);
	memcpy(out + 32, r->chaining_key, 32);
	memcpy(out + 64, r->ephemeral_private, 32);
	memcpy(out + 96, r->remote_ephemeral, 32);
	memcpy(out + 128, &r->local_index, 4);
	memcpy(out + 132, &r->remote_index, 4);
	out[136] = (uint8_t)r->state;
	out[137] = r->has_local_index;
	out[138] = out[139] = 0;
}

/* A forged response fails and leaves the pending handshake exactly as it was. */
static void reject_response(const struct ws_msg_response *bad, int expect)
{
	struct ws_noise_remote *r = &A.remote;
	uint8_t before[140], after[140];

	snapshot(&A.remote, before);
	CU_ASSERT(ws_noise_consume_response(&A.local, bad, &r) == expect);
	CU_ASSERT(r == NULL);
	snapshot(&A.remote, after);
	CU_ASSERT(memcmp(before, after, sizeof(before)) == 0);
	CU_ASSERT(A.remote.current == NULL && A.remote.next == NULL);
}

static void test_forged_response(void)
{
	static const uint8_t order8[32] = {
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 };
	struct ws_msg_initiation init;
	struct ws_msg_response rsp, bad;
	struct ws_noise_remote *r;
	uint8_t e[32];

	setup(NULL, NULL);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT_FATAL(consume_init(&B, &A, &init) == 0);
	CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
	CU_ASSERT(A.remote.state == WS_NOISE_CREATED_INITIATION);

	/* Random bytes under the right type and receiver index. */
	for (int i = 0; i < 5; i++) {
		randombytes_buf(&bad, sizeof(bad));
		memset(&bad.header, 0, sizeof(bad.header));
		bad.header.type = WS_MSG_RESPONSE;
		bad.receiver_index = rsp.receiver_index;
		reject_response(&bad, -EBADMSG);
	}
	/* Correct indices and tag, another (valid) ephemeral. */
	memcpy(&bad, &rsp, sizeof(bad));
	ws_x25519_generate(e);
	CU_ASSERT_FATAL(ws_x25519_public(bad.unencrypted_ephemeral, e) == 0);
	reject_response(&bad, -EBADMSG);
	/* A small-order ephemeral, a flipped tag bit, a wrong receiver, a bad header. */
	memcpy(bad.unencrypted_ephemeral, order8, 32);
	reject_response(&bad, -EBADMSG);
	memcpy(&bad, &rsp, sizeof(bad));
	bad.encrypted_nothing[7] ^= 4;
	reject_response(&bad, -EBADMSG);
	memcpy(&bad, &rsp, sizeof(bad));
	bad.receiver_index ^= 1;
	reject_response(&bad, -ENOENT);
	memcpy(&bad, &rsp, sizeof(bad));
	bad.header.reserved[2] = 1;
	reject_response(&bad, -EBADMSG);

	/* The genuine response still completes the handshake. */
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp) == 0);
	CU_ASSERT(send_data(cur(&A), &B, "after the forgeries") == 0);
	CU_ASSERT(send_data(cur(&B), &A, "and back") == 0);
	/* And it cannot be replayed. */
	CU_ASSERT(ws_noise_consume_response(&A.local, &rsp, &r) == -ENOENT);
	teardown();
}

static void test_low_order_keys(void)
{
	uint8_t pts[7][32] = { { 0 }, { 1 } };
	static const uint8_t o8a[32] = {
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 };
	static const uint8_t o8b[32] = {
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
		0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
		0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 };
	struct ws_noise_remote r;
	struct ws_noise_local bare;
	struct ws_msg_initiation init;
	uint8_t out[32];

	memcpy(pts[2], o8a, 32);
	memcpy(pts[3], o8b, 32);
	for (int p = 4; p < 7; p++) {  /* p - 1, p, p + 1 */
		memset(pts[p], 0xff, 32);
		pts[p][0] = (uint8_t)(0xec + (p - 4));
		pts[p][31] = 0x7f;
	}
	setup(NULL, NULL);
	CU_ASSERT_FATAL(ws_noise_local_init(&bare, &A.local.u) == 0);
	for (int p = 0; p < 7; p++) {
		CU_ASSERT(ws_x25519(out, A.priv, pts[p]) == -EINVAL);
		CU_ASSERT(ws_noise_remote_init(&r, &A.local, pts[p], NULL) == -EINVAL);
		/* Refused even before we have a key of our own. */
		CU_ASSERT(ws_noise_remote_init(&r, &bare, pts[p], NULL) == -EINVAL);

		/* An initiation whose ephemeral has small order dies at es, before any lookup. */
		CU_ASSERT_FATAL(initiate(&A, &init) == 0);
		memcpy(init.unencrypted_ephemeral, pts[p], 32);
		unsigned gets = B.remote_gets;
		struct ws_noise_remote *rp;
		CU_ASSERT(ws_noise_consume_initiation(&B.local, &init, now, &rp) == -EBADMSG);
		CU_ASSERT(B.remote_gets == gets);
	}
	CU_ASSERT(TAILQ_EMPTY(&bare.remotes));
	CU_ASSERT(ws_noise_remote_init(&r, &bare, B.pub, NULL) == 0);
	ws_noise_remote_destroy(&r);

	/* Should a zero static-static ever be there, nothing proceeds. */
	memset(B.remote.static_static, 0, 32);
	CU_ASSERT(ws_noise_create_initiation(&B.remote, &init, &wall) == -EINVAL);
	CU_ASSERT(fake_count(&B) == 0);
	advance(SEC(1));
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -EINVAL);
	teardown();
}

static void test_under_load_cookie(void)
{
	struct ws_load load = { 0 };
	struct ws_msg_initiation init;
	struct ws_msg_response rsp;
	struct ws_msg_cookie reply;
	struct ws_noise_remote *r;
	const uint32_t bound = WS_MAX_QUEUED_HANDSHAKES;

	setup(NULL, NULL);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(ws_is_zero(&init.macs.mac2, 16));

	/* The gateway: under load, valid mac1 without cookie gets a reply, no DH. */
	bool busy = ws_cookie_under_load(&load, bound / 8, bound, now);
	CU_ASSERT_FATAL(busy);
	unsigned gets = B.remote_gets;
	CU_ASSERT_FATAL(ws_cookie_checker_validate(&B.checker, &init, sizeof(init), &A.ep, busy,
						   now) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT_FATAL(ws_cookie_checker_create_reply(&B.checker, &reply, &init, sizeof(init),
						       &A.ep, now) == 0);
	CU_ASSERT(B.remote_gets == gets && B.remote.state == WS_NOISE_ZEROED);

	/* A finds the remote by the reply's receiver index, learns the cookie. */
	CU_ASSERT_FATAL(up_index_lookup(&A, le32toh(reply.receiver_index)) == &A.remote);
	CU_ASSERT_FATAL(ws_cookie_maker_consume_reply(&A.maker, &reply, now) == 0);

	/* The retry carries mac2 and goes through, still under load. */
	advance(SEC(WS_REKEY_TIMEOUT));
	busy = ws_cookie_under_load(&load, bound, bound, now);
	CU_ASSERT_FATAL(busy);
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(!ws_is_zero(&init.macs.mac2, 16));
	/* The cookie is A's address's: the same bytes from elsewhere do not pass. */
	CU_ASSERT(ws_cookie_checker_validate(&B.checker, &init, sizeof(init), &B.ep, busy, now) ==
		  WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CU_ASSERT_FATAL(ws_cookie_checker_validate(&B.checker, &init, sizeof(init), &A.ep, busy,
						   now) == WS_COOKIE_VALID_COOKIE);
	CU_ASSERT_FATAL(ws_noise_consume_initiation(&B.local, &init, now, &r) == 0);
	CU_ASSERT_FATAL(respond(&B, &rsp) == 0);
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp) == 0);
	CU_ASSERT(send_data(cur(&A), &B, "through the cookie") == 0);
	CU_ASSERT(send_data(cur(&B), &A, "welcome") == 0);
	teardown();
}

static void test_rotation(void)
{
	struct ws_noise_keypair *a1, *b1, *a2, *b2, *a3, *b3, *a4;
	uint8_t pkt[128];
	size_t n;

	setup(NULL, NULL);
	handshake(&A, &B);
	a1 = cur(&A);
	b1 = B.remote.next;
	CU_ASSERT(send_data(a1, &B, "1") == 0);

	/* A initiates again: new current, old current kept as previous. */
	advance(SEC(1));
	n = seal(b1, "in flight on the old keys", pkt);
	handshake(&A, &B);
	a2 = cur(&A);
	b2 = B.remote.next;
	CU_ASSERT(a2 != a1 && A.remote.previous == a1 && A.remote.next == NULL);
	CU_ASSERT(B.remote.current == b1 && B.remote.previous == NULL);
	CU_ASSERT(open_data(&A, pkt, n, "in flight on the old keys") == 0);
	CU_ASSERT(send_data(a2, &B, "2") == 0);
	CU_ASSERT(B.remote.current == b2 && B.remote.previous == b1 && B.remote.next == NULL);
	CU_ASSERT(fake_count(&A) == 2 && fake_count(&B) == 2);

	/* B initiates: A's new keypair waits in next, A's previous goes. */
	advance(SEC(1));
	handshake(&B, &A);
	b3 = cur(&B);
	a3 = A.remote.next;
	CU_ASSERT(B.remote.previous == b2 && A.remote.current == a2 && A.remote.previous == NULL);
	CU_ASSERT(fake_count(&A) == 2 && fake_count(&B) == 2);

	/* A initiates while a3 is unconfirmed: a3 becomes previous, a2 goes. */
	advance(SEC(1));
	handshake(&A, &B);
	a4 = cur(&A);
	CU_ASSERT(A.remote.previous == a3 && A.remote.next == NULL);
	CU_ASSERT(ws_noise_keypair_lookup(&A.remote, a3->local_index) == a3);
	CU_ASSERT(send_data(b3, &A, "b still sends on its current") == 0);
	CU_ASSERT(send_data(a4, &B, "4") == 0);
	CU_ASSERT(B.remote.current->local_index == a4->remote_index);
	CU_ASSERT(B.remote.previous == b3);
	CU_ASSERT(pool_in_use(&A) == 2 && pool_in_use(&B) == 2);
	teardown();
}

static void test_keypair_expiry(void)
{
	struct ws_noise_keypair *ka;
	uint64_t born, c;

	setup(NULL, NULL);
	handshake(&A, &B);
	ka = cur(&A);
	born = now;
	CU_ASSERT(send_data(ka, &B, "young") == 0);
	advance(SEC(WS_REJECT_AFTER_TIME) - 1);
	CU_ASSERT(cur(&A) == ka && ws_noise_keypair_usable(ka, now));
	CU_ASSERT(send_data(cur(&B), &A, "just in time") == 0);
	advance(1);
	CU_ASSERT(now - born == SEC(WS_REJECT_AFTER_TIME));
	CU_ASSERT(!ws_noise_keypair_usable(ka, now) && cur(&A) == NULL && cur(&B) == NULL);
	CU_ASSERT(send_data(B.remote.current, &A, "too old") == -EKEYEXPIRED);
	/* A clock read just before the keypair's birth does not make it old. */
	CU_ASSERT(ws_noise_keypair_usable(ka, born - 1));

	/* The counter runs out at REJECT_AFTER_MESSAGES and stays out. */
	advance(SEC(1));
	handshake(&A, &B);
	ka = cur(&A);
	ka->send_counter = WS_REJECT_AFTER_MESSAGES - 1;
	CU_ASSERT(ws_noise_keypair_usable(ka, now));
	CU_ASSERT(ws_noise_keypair_next_counter(ka, &c) == 0 && c == WS_REJECT_AFTER_MESSAGES - 1);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(ws_noise_keypair_next_counter(ka, &c) == -EKEYEXPIRED);
	CU_ASSERT(ka->send_counter == WS_REJECT_AFTER_MESSAGES);
	CU_ASSERT(!ws_noise_keypair_usable(ka, now) && cur(&A) == NULL);
	teardown();
}

/* RX lcores take counters concurrently: each one handed out exactly once. */
enum { COUNTER_THREADS = 4, COUNTERS_PER_THREAD = 50000 };
static uint8_t counter_seen[COUNTER_THREADS * COUNTERS_PER_THREAD];

static void *take_counters(void *arg)
{
	uint64_t c;

	for (int i = 0; i < COUNTERS_PER_THREAD; i++) {
		if (ws_noise_keypair_next_counter(arg, &c) != 0 || c >= sizeof(counter_seen))
			return arg;
		__atomic_fetch_add(&counter_seen[c], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_counter_concurrent(void)
{
	pthread_t th[COUNTER_THREADS];
	void *bad = NULL, *ret;

	setup(NULL, NULL);
	handshake(&A, &B);
	memset(counter_seen, 0, sizeof(counter_seen));
	for (int i = 0; i < COUNTER_THREADS; i++)
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, take_counters, cur(&A)) == 0);
	for (int i = 0; i < COUNTER_THREADS; i++) {
		pthread_join(th[i], &ret);
		bad = bad != NULL ? bad : ret;
	}
	CU_ASSERT(bad == NULL);
	CU_ASSERT(cur(&A)->send_counter == sizeof(counter_seen));
	size_t once = 0;
	for (size_t i = 0; i < sizeof(counter_seen); i++)
		once += counter_seen[i] == 1;
	CU_ASSERT(once == sizeof(counter_seen));
	teardown();
}

static void test_clear_wipes(void)
{
	struct ws_msg_initiation init;

	setup(NULL, NULL);
	handshake(&A, &B);
	CU_ASSERT(send_data(cur(&A), &B, "x") == 0);
	advance(SEC(1));
	handshake(&A, &B);
	advance(SEC(1));
	handshake(&B, &A);
	advance(SEC(1));
	/* A responder install empties previous, so at most two slots are full at once. */
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(A.remote.current && A.remote.next && !A.remote.previous);
	CU_ASSERT(fake_count(&A) == 3 && pool_in_use(&A) == 2);
	unsigned drops = A.index_drops;

	ws_noise_remote_clear(&A.remote);
	CU_ASSERT(!A.remote.current && !A.remote.previous && !A.remote.next);
	CU_ASSERT(A.index_drops == drops + 3 && fake_count(&A) == 0);
	CU_ASSERT(pool_in_use(&A) == 0);
	for (int i = 0; i < POOL; i++)
		CU_ASSERT(keypair_wiped(&A.pool[i]));
	CU_ASSERT(A.remote.state == WS_NOISE_ZEROED && !A.remote.has_local_index);
	CU_ASSERT(ws_is_zero(A.remote.hash, 32) && ws_is_zero(A.remote.chaining_key, 32));
	CU_ASSERT(ws_is_zero(A.remote.ephemeral_private, 32));
	/* The replay protection survives: it is not key material. */
	CU_ASSERT(!ws_is_zero(A.remote.latest_timestamp, WS_TAI64N_LEN));

	/* And a fresh handshake works after it. */
	advance(SEC(1));
	handshake(&A, &B);
	CU_ASSERT(send_data(cur(&A), &B, "again") == 0);
	teardown();
}

static void test_deferred_retire(void)
{
	struct ws_noise_keypair *a1;

	setup(NULL, NULL);
	A.defer_retire = true;
	handshake(&A, &B);
	a1 = cur(&A);
	for (int i = 0; i < 2; i++) {
		advance(SEC(1));
		handshake(&A, &B);
	}
	/* a1 left the slots and the index table but readers may still hold it. */
	CU_ASSERT_FATAL(A.ndeferred == 1 && A.deferred[0] == a1);
	CU_ASSERT(!a1->valid && !ws_is_zero(a1->send_key, 32));
	CU_ASSERT(ws_noise_keypair_lookup(&A.remote, a1->local_index) == NULL);
	CU_ASSERT(pool_in_use(&A) == 3);
	flush_deferred(&A);
	CU_ASSERT(pool_in_use(&A) == 2 && keypair_wiped(a1));
	teardown();
}

static void test_set_private(void)
{
	uint8_t priv2[32], pub2[32], ss[32];
	struct ws_msg_initiation init;
	struct ws_noise_keypair *kb;

	setup(NULL, NULL);
	handshake(&A, &B);
	CU_ASSERT(send_data(cur(&A), &B, "x") == 0);
	kb = cur(&B);

	/* The same key again changes nothing. */
	CU_ASSERT(ws_noise_local_set_private(&B.local, B.priv) == 0);
	CU_ASSERT(cur(&B) == kb);

	ws_x25519_generate(priv2);
	CU_ASSERT_FATAL(ws_x25519_public(pub2, priv2) == 0);
	CU_ASSERT(ws_noise_local_set_private(&B.local, priv2) == 0);
	ws_cookie_checker_set_key(&B.checker, pub2);
	CU_ASSERT(ws_noise_local_public(&B.local, ss) && memcmp(ss, pub2, 32) == 0);
	ref_dh(ss, priv2, A.pub);
	CU_ASSERT(memcmp(B.remote.static_static, ss, 32) == 0);
	CU_ASSERT(cur(&B) == NULL && !kb->valid);

	/* A still uses the old key: refused. With the new one: fine. */
	advance(SEC(1));
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(consume_init(&B, &A, &init) == -EPERM);
	struct ws_noise_remote *r;
	CU_ASSERT(ws_noise_consume_initiation(&B.local, &init, now, &r) == -EBADMSG);
	ws_noise_remote_destroy(&A.remote);
	CU_ASSERT_FATAL(ws_noise_remote_init(&A.remote, &A.local, pub2, NULL) == 0);
	ws_cookie_maker_init(&A.maker, pub2);
	memcpy(B.pub, pub2, 32);
	handshake(&A, &B);
	CU_ASSERT(send_data(cur(&A), &B, "new key") == 0);

	/* Without a key nothing is created or consumed. */
	CU_ASSERT(ws_noise_local_set_private(&B.local, NULL) == 0);
	CU_ASSERT(!ws_noise_local_public(&B.local, ss));
	CU_ASSERT(ws_noise_create_initiation(&B.remote, &init, &wall) == -ENOKEY);
	advance(SEC(1));
	CU_ASSERT_FATAL(initiate(&A, &init) == 0);
	CU_ASSERT(ws_noise_consume_initiation(&B.local, &init, now, &r) == -ENOKEY);
	teardown();
}

static void test_state_errors(void)
{
	struct ws_msg_initiation init1, init2, bad;
	struct ws_msg_response rsp1, rsp2;
	struct ws_noise_remote *r;
	uint8_t before[140], after[140];

	setup(NULL, NULL);
	CU_ASSERT(ws_noise_create_response(&B.remote, &rsp1) == -EINVAL);
	CU_ASSERT(ws_noise_begin_session(&B.remote, now) == -EINVAL);
	CU_ASSERT_FATAL(initiate(&A, &init1) == 0);
	CU_ASSERT(ws_noise_begin_session(&A.remote, now) == -EINVAL);
	memcpy(&bad, &init1, sizeof(bad));
	bad.header.type = WS_MSG_RESPONSE;
	CU_ASSERT(ws_noise_consume_initiation(&B.local, &bad, now, &r) == -EBADMSG);
	memcpy(&bad, &init1, sizeof(bad));
	bad.header.reserved[0] = 1;
	CU_ASSERT(ws_noise_consume_initiation(&B.local, &bad, now, &r) == -EBADMSG);
	CU_ASSERT(ws_noise_consume_response(&A.local, (const void *)&init1, &r) == -EBADMSG);
	CU_ASSERT_FATAL(consume_init(&B, &A, &init1) == 0);
	CU_ASSERT(ws_noise_begin_session(&B.remote, now) == -EINVAL);

	/* The responder's index allocation fails: it can try again. */
	B.fail_index_alloc = true;
	CU_ASSERT(ws_noise_create_response(&B.remote, &rsp1) == -ENOSPC);
	CU_ASSERT(B.remote.state == WS_NOISE_CONSUMED_INITIATION);
	B.fail_index_alloc = false;
	CU_ASSERT_FATAL(respond(&B, &rsp1) == 0);

	/* A new initiation replaces the index: the answer to the old one is dead. */
	advance(SEC(1));
	CU_ASSERT_FATAL(initiate(&A, &init2) == 0);
	CU_ASSERT(fake_count(&A) == 1 && fake_find(&A, le32toh(init1.sender_index)) == NULL);
	CU_ASSERT(consume_rsp(&A, &B, &rsp1) == -ENOENT);

	/* The initiator's allocation fails: the pending initiation stays valid. */
	snapshot(&A.remote, before);
	A.fail_index_alloc = true;
	CU_ASSERT(initiate(&A, &bad) == -ENOSPC);
	CU_ASSERT(ws_is_zero(&bad, sizeof(bad)));
	A.fail_index_alloc = false;
	snapshot(&A.remote, after);
	CU_ASSERT(memcmp(before, after, sizeof(before)) == 0);
	CU_ASSERT_FATAL(consume_init(&B, &A, &init2) == 0);
	CU_ASSERT_FATAL(respond(&B, &rsp2) == 0);
	CU_ASSERT_FATAL(consume_rsp(&A, &B, &rsp2) == 0);
	CU_ASSERT(send_data(cur(&A), &B, "x") == 0);
	teardown();
}

static int suite_init(void)
{
	return ws_crypto_init() == 0 ? 0 : -1;
}

static const struct ws_test tests[] = {
	WS_TEST(test_initial_constants),
	WS_TEST(test_matches_reference),
	WS_TEST(test_handshake_without_psk),
	WS_TEST(test_handshake_with_psk),
	WS_TEST(test_psk_mismatch),
	WS_TEST(test_replayed_initiation),
	WS_TEST(test_old_timestamp),
	WS_TEST(test_initiation_flood),
	WS_TEST(test_unknown_peer_and_wrong_key),
	WS_TEST(test_forged_mac1_dropped),
	WS_TEST(test_forged_response),
	WS_TEST(test_low_order_keys),
	WS_TEST(test_under_load_cookie),
	WS_TEST(test_rotation),
	WS_TEST(test_keypair_expiry),
	WS_TEST(test_counter_concurrent),
	WS_TEST(test_clear_wipes),
	WS_TEST(test_deferred_retire),
	WS_TEST(test_set_private),
	WS_TEST(test_state_errors),
	{ 0 },
};

int main(void)
{
	return ws_test_run("noise", tests, suite_init, NULL);
}
