/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the handshake and transport harnesses and by gen_seeds.c: a
 * deterministic random source, fixed identities, and prepared protocol
 * state ("sides") with the fake index table and keypair accounting that
 * the gateway's device.c provides in production.
 *
 *   A: the gateway (the side under test)
 *   B: its one registered peer
 *   C: a stranger that knows A's public key but is not registered at A
 *
 * Every input starts from the same state: fz_reset() reseeds the random
 * source and builds the sides again, so an input replays identically and
 * gen_seeds.c can write messages that the harnesses accept byte for byte.
 * fz_teardown() destroys the sides and traps if an index or a keypair
 * outlived them.
 *
 * Inputs are small scripts: a flags byte, then operations, each an opcode
 * byte followed by its arguments; missing argument bytes read as zero.
 */
#ifndef WS_FUZZ_WG_H
#define WS_FUZZ_WG_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "noise.h"
#include "ws_crypto.h"

/* Each harness uses part of this file. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

#define FZ_SLOTS 16
#define FZ_MS(ms) ((uint64_t)(ms) * 1000000ULL)

enum fz_flags {
	FZ_F_PSK = 1 << 0,          /* A and B share a preshared key */
	FZ_F_PSK_MISMATCH = 1 << 1, /* B holds a different one: nothing may complete */
	FZ_F_UNDER_LOAD = 1 << 2,   /* start under load (mac2 required) */
	FZ_F_V6 = 1 << 3,           /* messages come from an IPv6 endpoint */
};

/*
 * Operations of each harness (opcode modulo the count). Arguments in
 * brackets, little-endian; "mut" is pos, xor: byte pos of the message is
 * XORed with xor (0: unchanged); "remac" recomputes mac1/mac2 as the
 * sender would, so that a mutated body reaches the consumer.
 */
enum fz_init_op {
	FZ_INIT_RAW,       /* [148 bytes][remac] an arbitrary initiation */
	FZ_INIT_PEER,      /* [skew s8][mut][remac] B initiates (wall clock + skew) */
	FZ_INIT_STRANGER,  /* C initiates; A must refuse it */
	FZ_INIT_REPLAY,    /* the last message again, unchanged */
	FZ_INIT_ADVANCE,   /* [ms u16] */
	FZ_INIT_LOAD,      /* toggle "under load" */
	FZ_INIT_COOKIE,    /* B learns the cookie from A's last cookie reply */
	FZ_INIT_CLEAR,     /* A wipes B's session (key zeroing, removal) */
	FZ_INIT_NOPS
};

enum fz_resp_op {
	FZ_RESP_RAW,       /* [92 bytes][bit0: set A's pending index, bit1: remac] */
	FZ_RESP_PEER,      /* [mut][remac] B answers A's pending initiation */
	FZ_RESP_INIT,      /* A initiates again (20 ms later) and B consumes it */
	FZ_RESP_REPLAY,
	FZ_RESP_ADVANCE,   /* [ms u16] */
	FZ_RESP_LOAD,
	FZ_RESP_CLEAR,     /* A wipes its handshake with B */
	FZ_RESP_NOPS
};

enum fz_cookie_op {
	FZ_COOKIE_RAW,     /* [64 bytes][bit0: set A's pending index] */
	FZ_COOKIE_PEER,    /* [mut] B answers A's last message with a cookie reply */
	FZ_COOKIE_SEND,    /* A sends a new initiation (new mac1; mac2 if it has a cookie) */
	FZ_COOKIE_REPLAY,
	FZ_COOKIE_ADVANCE, /* [seconds u8] */
	FZ_COOKIE_NOPS
};

enum fz_data_op {
	FZ_DATA_RAW,       /* [len u16][len bytes] a whole data message */
	FZ_DATA_SEAL,      /* [mode][counter arg u64][len u16][len bytes][mut] sealed with the known key */
	FZ_DATA_REPLAY,
	FZ_DATA_FLUSH,     /* end the burst */
	FZ_DATA_NOPS
};

enum fz_seal_mode {
	FZ_SEAL_NEXT,      /* one past the highest counter sealed so far */
	FZ_SEAL_ABS,       /* the counter argument */
	FZ_SEAL_BACK,      /* highest sealed minus the argument (mod 2^16) */
	FZ_SEAL_NMODES
};

/* ---- deterministic randombytes for libsodium (and so for ws_random) ---- */

static uint64_t fz_rng_state;

static uint64_t fz_rng_next(void)
{
	uint64_t z = (fz_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *fz_rng_name(void)
{
	return "wirespeed-fuzz";
}

static uint32_t fz_rng_random(void)
{
	return (uint32_t)fz_rng_next();
}

static void fz_rng_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t v = fz_rng_next();

		memcpy(p + i, &v, size - i < 8 ? size - i : 8);
	}
}

static randombytes_implementation fz_rng_impl = {
	.implementation_name = fz_rng_name,
	.random = fz_rng_random,
	.buf = fz_rng_buf,
};

/* Once per process, before anything draws a random byte. */
static int fz_crypto_init(void)
{
	if (randombytes_set_implementation(&fz_rng_impl) != 0)
		return -1;
	return ws_crypto_init();
}

/* ---- input cursor ---- */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static bool fz_more(const struct fz_in *in)
{
	return in->n > 0;
}

static void fz_take(struct fz_in *in, void *dst, size_t len)
{
	size_t k = in->n < len ? in->n : len;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	in->p += k;
	in->n -= k;
}

static uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v;

	fz_take(in, &v, 1);
	return v;
}

static uint16_t fz_u16(struct fz_in *in)
{
	uint8_t b[2];

	fz_take(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint64_t fz_u64(struct fz_in *in)
{
	uint8_t b[8];
	uint64_t v = 0;

	fz_take(in, b, 8);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* ---- sides ---- */

struct fz_index {
	bool used;
	uint32_t idx;
	struct ws_noise_remote *r;
	struct ws_noise_keypair *kp;
};

struct fz_side {
	uint8_t pub[WS_KEY_LEN];
	struct ws_noise_local local;
	struct ws_noise_remote remote;      /* A: B; B and C: A */
	bool has_remote;
	struct ws_cookie_checker checker;   /* for messages sent to us */
	struct ws_cookie_maker maker;       /* for messages we send to remote */
	struct ws_endpoint ep;              /* where this side sends from */
	struct fz_index idx[FZ_SLOTS];
};

static struct fz_side fz_a, fz_b, fz_c;
static uint64_t fz_now;
static struct timespec fz_wall;
static long fz_live_keypairs;

static struct fz_index *fz_find(struct fz_side *s, uint32_t idx)
{
	for (unsigned i = 0; i < FZ_SLOTS; i++)
		if (s->idx[i].used && s->idx[i].idx == idx)
			return &s->idx[i];
	return NULL;
}

static struct ws_noise_remote *fz_remote_get(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	struct fz_side *s = arg;

	return s->has_remote && memcmp(pub, s->remote.public_key, WS_KEY_LEN) == 0 ? &s->remote
										  : NULL;
}

static int fz_index_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	struct fz_side *s = arg;

	for (unsigned i = 0; i < FZ_SLOTS; i++) {
		if (s->idx[i].used)
			continue;
		do
			*idx = ws_random_u32();
		while (fz_find(s, *idx) != NULL);
		s->idx[i] = (struct fz_index){ .used = true, .idx = *idx, .r = r };
		return 0;
	}
	return -ENOSPC;
}

static struct ws_noise_remote *fz_index_lookup(void *arg, uint32_t idx)
{
	struct fz_index *e = fz_find(arg, idx);

	return e != NULL && e->kp == NULL ? e->r : NULL;
}

static void fz_index_keypair(void *arg, uint32_t idx, struct ws_noise_keypair *kp)
{
	struct fz_index *e = fz_find(arg, idx);

	CHECK(e != NULL && e->kp == NULL);
	e->kp = kp;
}

static void fz_index_drop(void *arg, uint32_t idx)
{
	struct fz_index *e = fz_find(arg, idx);

	/* Dropping an index that is not held means the layer lost track of one. */
	CHECK(e != NULL);
	memset(e, 0, sizeof(*e));
}

static struct ws_noise_keypair *fz_keypair_alloc(void *arg)
{
	(void)arg;
	fz_live_keypairs++;
	return aligned_alloc(_Alignof(struct ws_noise_keypair), sizeof(struct ws_noise_keypair));
}

static void fz_keypair_release(void *arg, struct ws_noise_keypair *kp)
{
	(void)arg;
	fz_live_keypairs--;
	free(kp);
}

static const struct ws_noise_upcalls fz_upcalls = {
	.remote_get = fz_remote_get,
	.index_alloc = fz_index_alloc,
	.index_lookup = fz_index_lookup,
	.index_keypair = fz_index_keypair,
	.index_drop = fz_index_drop,
	.keypair_alloc = fz_keypair_alloc,
	.keypair_release = fz_keypair_release,
};

static void fz_side_init(struct fz_side *s, uint8_t key_byte, const uint8_t ep_last)
{
	uint8_t priv[WS_KEY_LEN];
	struct ws_noise_upcalls u = fz_upcalls;

	memset(s, 0, sizeof(*s));
	u.arg = s;
	CHECK(ws_noise_local_init(&s->local, &u) == 0);
	memset(priv, key_byte, sizeof(priv));
	CHECK(ws_noise_local_set_private(&s->local, priv) == 0);
	CHECK(ws_noise_local_public(&s->local, s->pub));
	ws_cookie_checker_init(&s->checker, s->pub, fz_now);
	s->ep.family = WS_AF_INET;
	s->ep.port = 51820;
	s->ep.addr[0] = 192;
	s->ep.addr[2] = 2;
	s->ep.addr[3] = ep_last;
}

static void fz_side_pair(struct fz_side *s, const struct fz_side *peer, const uint8_t *psk)
{
	CHECK(ws_noise_remote_init(&s->remote, &s->local, peer->pub, psk) == 0);
	s->has_remote = true;
	ws_cookie_maker_init(&s->maker, peer->pub);
}

static void fz_side_v6(struct fz_side *s)
{
	uint8_t last = s->ep.addr[3];

	memset(s->ep.addr, 0, sizeof(s->ep.addr));
	s->ep.family = WS_AF_INET6;
	s->ep.addr[0] = 0x20;
	s->ep.addr[1] = 0x01;
	s->ep.addr[2] = 0x0d;
	s->ep.addr[3] = 0xb8;
	s->ep.addr[15] = last;
}

/* The starting state of every input, drawn from a fixed random stream. */
static void fz_reset(uint8_t flags)
{
	uint8_t psk_a[WS_KEY_LEN], psk_b[WS_KEY_LEN];
	bool psk = flags & (FZ_F_PSK | FZ_F_PSK_MISMATCH);

	fz_rng_state = 0x5eedULL;
	fz_now = 1000 * WS_NSEC_PER_SEC;
	fz_wall.tv_sec = 1700000000;
	fz_wall.tv_nsec = 0;
	fz_live_keypairs = 0;
	memset(psk_a, 0x5a, sizeof(psk_a));
	memcpy(psk_b, psk_a, sizeof(psk_b));
	if (flags & FZ_F_PSK_MISMATCH)
		psk_b[0] ^= 1;

	fz_side_init(&fz_a, 0x41, 1);
	fz_side_init(&fz_b, 0x42, 2);
	fz_side_init(&fz_c, 0x43, 3);
	if (flags & FZ_F_V6) {
		fz_side_v6(&fz_a);
		fz_side_v6(&fz_b);
		fz_side_v6(&fz_c);
	}
	fz_side_pair(&fz_a, &fz_b, psk ? psk_a : NULL);
	fz_side_pair(&fz_b, &fz_a, psk ? psk_b : NULL);
	fz_side_pair(&fz_c, &fz_a, NULL);
}

static void fz_side_fini(struct fz_side *s)
{
	if (s->has_remote)
		ws_noise_remote_destroy(&s->remote);
	ws_noise_local_destroy(&s->local);
	ws_cookie_checker_destroy(&s->checker);
	ws_cookie_maker_destroy(&s->maker);
	/* Every index the layer took was given back. */
	for (unsigned i = 0; i < FZ_SLOTS; i++)
		CHECK(!s->idx[i].used);
}

static void fz_teardown(void)
{
	fz_side_fini(&fz_a);
	fz_side_fini(&fz_b);
	fz_side_fini(&fz_c);
	CHECK(fz_live_keypairs == 0);
}

static void fz_advance(uint64_t ns)
{
	fz_now += ns;
	fz_wall.tv_sec += (time_t)(ns / WS_NSEC_PER_SEC);
	fz_wall.tv_nsec += (long)(ns % WS_NSEC_PER_SEC);
	if (fz_wall.tv_nsec >= (long)WS_NSEC_PER_SEC) {
		fz_wall.tv_sec++;
		fz_wall.tv_nsec -= (long)WS_NSEC_PER_SEC;
	}
}

/* A wall clock skewed by s seconds (a peer whose clock is off). */
static struct timespec fz_wall_skewed(int8_t s)
{
	struct timespec w = fz_wall;

	w.tv_sec += s;
	return w;
}

/* B made its keypair with A's: each side's send key is the other's receive key. */
static void fz_check_keys_agree(const struct ws_noise_keypair *x, const struct ws_noise_keypair *y)
{
	CHECK(x != NULL && y != NULL);
	CHECK(x->local_index == y->remote_index && x->remote_index == y->local_index);
	CHECK(memcmp(x->send_key, y->recv_key, WS_KEY_LEN) == 0);
	CHECK(memcmp(x->recv_key, y->send_key, WS_KEY_LEN) == 0);
	CHECK(x->is_initiator != y->is_initiator);
}

/* A initiates to B, which (not under load) must take it. */
static void fz_a_initiates(struct ws_msg_initiation *msg)
{
	struct ws_noise_remote *r;

	CHECK(ws_noise_create_initiation(&fz_a.remote, msg, &fz_wall) == 0);
	ws_cookie_maker_add_macs(&fz_a.maker, msg, sizeof(*msg), fz_now);
	CHECK(ws_cookie_checker_validate(&fz_b.checker, msg, sizeof(*msg), &fz_a.ep, false,
					 fz_now) == WS_COOKIE_VALID_MAC1_NO_COOKIE);
	CHECK(ws_noise_consume_initiation(&fz_b.local, msg, fz_now, &r) == 0);
	CHECK(r == &fz_b.remote);
}

/* Remembers the messages a consumer accepted; accepting one twice is a replay. */
struct fz_seen {
	unsigned n;
	uint8_t hash[32][16];
};

static bool fz_seen_add(struct fz_seen *s, const void *msg, size_t len)
{
	uint8_t h[16];

	ws_blake2s(h, sizeof(h), msg, len, NULL, 0);
	for (unsigned i = 0; i < s->n && i < 32; i++)
		if (memcmp(s->hash[i], h, sizeof(h)) == 0)
			return false;
	memcpy(s->hash[s->n % 32], h, sizeof(h));
	s->n++;
	return true;
}

#endif /* WS_FUZZ_WG_H */
