/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drivers/crypto: every back end against published vectors, against
 * libsodium's one-shot AEAD and lib/crypto's ws_aead_encrypt, against each
 * other on random batches, and against forgeries.
 *
 * The back ends run in uninstrumented libraries, where ASan sees nothing:
 * message buffers sit between guard bytes that must survive every call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "test_common.h"
#include "ws_aead.h"
#include "ws_crypto.h"

enum { TAG = WS_AEAD_TAG_LEN, GUARD = 64, GUARD_BYTE = 0xa5 };

/* The reference: libsodium's IETF AEAD with WireGuard's nonce, built here. */
static void ref_nonce(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

static void ref_seal(uint8_t *out, const uint8_t *pt, size_t len, uint64_t counter,
		     const uint8_t key[WS_KEY_LEN])
{
	uint8_t nonce[12];
	unsigned long long clen;

	ref_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, len, NULL, 0, NULL,
						  nonce, key);
	CU_ASSERT_EQUAL_FATAL(clen, len + TAG);
}

static uint64_t rng;

static void rand_bytes(void *p, size_t len)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)ws_test_rand(&rng);
}

static uint32_t rand_below(uint32_t n)
{
	return (uint32_t)(ws_test_rand(&rng) % n);
}

/* Counters near every interesting boundary, so that all 8 bytes matter. */
static uint64_t rand_counter(void)
{
	switch (rand_below(4)) {
	case 0:
		return rand_below(1024);
	case 1:
		return UINT64_MAX - rand_below(1024);
	case 2:
		return ((uint64_t)1 << 32) + rand_below(1024) - 512;
	default:
		return ws_test_rand(&rng);
	}
}

/* One test message: its plaintext, key and counter, and the buffer we work on. */
struct msg {
	uint8_t key[WS_KEY_LEN];
	uint64_t counter;
	uint32_t len;           /* plaintext length */
	uint8_t *pt;
	uint8_t *buf;           /* len + TAG bytes, GUARD bytes either side */
};

static uint8_t *guarded_alloc(uint32_t len)
{
	uint8_t *p = malloc(GUARD + len + TAG + GUARD);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, GUARD_BYTE, GUARD + len + TAG + GUARD);
	return p + GUARD;
}

static void guarded_free(uint8_t *buf, uint32_t len)
{
	unsigned int bad = 0;

	for (int i = 0; i < GUARD; i++)
		bad += (buf[-1 - i] != GUARD_BYTE) + (buf[len + TAG + i] != GUARD_BYTE);
	CU_ASSERT_EQUAL(bad, 0);
	free(buf - GUARD);
}

static void msg_init(struct msg *m, uint32_t len)
{
	rand_bytes(m->key, sizeof(m->key));
	m->counter = rand_counter();
	m->len = len;
	m->pt = malloc(len ? len : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->pt);
	m->buf = guarded_alloc(len);
	rand_bytes(m->pt, len);
	memcpy(m->buf, m->pt, len);
}

static void msg_fini(struct msg *m)
{
	free(m->pt);
	guarded_free(m->buf, m->len);
}

static struct ws_aead_op op_of(struct msg *m, bool decrypt)
{
	return (struct ws_aead_op){
		.data = m->buf,
		.key = m->key,
		.counter = m->counter,
		.len = decrypt ? m->len + TAG : m->len,
		.status = 12345,        /* must be overwritten */
	};
}

static struct ws_aead *create_or_fail(const char *name)
{
	struct ws_aead *a = ws_aead_create(name);

	if (a == NULL)
		printf("\nws_aead_create(%s): %s\n", name, strerror(errno));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(ws_aead_name(a), name);
	return a;
}

static void test_backends(void)
{
	bool ipsec_mb = false, sodium = false;
	const char *name;
	unsigned int i;

	for (i = 0; (name = ws_aead_backend_name(i)) != NULL; i++) {
		ipsec_mb |= strcmp(name, "ipsec_mb") == 0;
		sodium |= strcmp(name, "sodium") == 0;
		ws_aead_free(create_or_fail(name));
	}
	CU_ASSERT(ipsec_mb && sodium);
	CU_ASSERT_STRING_EQUAL(ws_aead_backend_name(0), "ipsec_mb");

	struct ws_aead *a = ws_aead_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(ws_aead_name(a), "ipsec_mb");
	ws_aead_free(a);
	ws_aead_free(NULL);

	const char *bad[] = {"", "ipsec-mb", "IPSEC_MB", "sodium ", "cryptodev_nope"};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CU_ASSERT_PTR_NULL(ws_aead_create(bad[i]));
		CU_ASSERT_EQUAL(errno, ENOENT);
	}
}

/*
 * Vectors from the Linux kernel's chacha20poly1305 self-test, those with
 * empty associated data. Their 8-byte nonce is read little-endian into the
 * 64-bit counter, which is exactly WireGuard's nonce construction.
 */
static const struct {
	const char *key, *nonce, *pt, *ct;
} kat[] = {
	{
		"4cf5968338e6ae7f2d292576d5752786919a277afb46c5ef9481795714594068",
		"cabf33713245778e", "",
		"eae01e9e2c91aae1db5d993f8af76992",
	},
	{
		"66ca9c232a4b4b310e92898bf493c78798a3d839f8f4a701c02e0aa67e5a7887",
		"201caa5f9cbf9230", "2d",
		"bfe15b0bdb6bf55e6c5d84443981c19cac",
	},
	{
		"8db89148f0e70abdf93fcdd9a01e424ce7de253da3d705808df282ac44165101",
		"de7befc3651b68b0",
		"9b18dbdd9a0f3ea51517dedf089d650a673012e234774bc1d9c61fabc6185017"
		"a79d3ca6c5358c1cc0a17c9f0389cae1e6e9d4d388dbb4519decb4fc52ee6df1"
		"7542c6fdbd7a8e86fc44b34ff3ea675a4113bab0dce1d32a7c22b3caac6a3798"
		"3e1d4097f79b1d366bb328bd60824734aa2f7de9a8708157d4b9770a9d29a784"
		"524fc24a403b3cd4c92adb4a53c4be80e9517f8fc7a2ce825c911e74d9d0bdd5"
		"f3fdda4d25b4bb2dac2f3d71857bcf3c7b3e0e22780c29bfe4f457b3cb49a0fc"
		"1e054e16bcd5a8a3ee0535c67cab6014551a8ec5885dd581c281a5c460dbaf77"
		"91e1cea27e7f42e3b0131c1f256021e2405f99b773ec9b2bf06511c8d00a9fd3",
		"8504c2ed8dfd975cd2b7e2c16ba3baf8c950c3c6a5e3a47cc323495ea9b932eb"
		"8a7ccae5ecfb7cc0cb7ddc2c9d9255210ac84363590a317082674103f8dff2ac"
		"a702d4d58a2dc8991966d0f6882c77d9d40d6cbd98dee77fad7e8afbe94be5f7"
		"e550a0903fd62253e3fe1bcc793bec124752a7d604e352e6939091327379b8d0"
		"31de1f9f2f0538542f350439e0a7bac652f637654c07a97eb3216f748cc9dedb"
		"651b9baa60b103306bb203c41c04f80f64af46e4659949e2eace7800d88bd52e"
		"cffc4049e858dc349c8c61bf0a8eec39a930055ad25601c7da8f4ebb43a33af9"
		"152ad0a07a873482fe8ad12d5ec7bf04535f3b36d4255c347a8dd505ce72caef"
		"7a4bbcb0105c96423a0098cd15e8b753",
	},
};

static void test_known_answers(void)
{
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		for (unsigned int i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
			uint8_t key[32], nonce[8], pt[256], ct[256 + TAG], buf[256 + TAG];
			uint64_t counter = 0;

			CU_ASSERT_EQUAL_FATAL(ws_test_unhex(key, sizeof(key), kat[i].key), 32);
			CU_ASSERT_EQUAL_FATAL(ws_test_unhex(nonce, sizeof(nonce), kat[i].nonce), 8);
			size_t len = ws_test_unhex(pt, sizeof(pt), kat[i].pt);
			CU_ASSERT_EQUAL_FATAL(ws_test_unhex(ct, sizeof(ct), kat[i].ct), len + TAG);
			for (int j = 7; j >= 0; j--)
				counter = counter << 8 | nonce[j];

			memcpy(buf, pt, len);
			struct ws_aead_op op = {buf, key, counter, (uint32_t)len, 1};
			CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, &op, 1), 1);
			CU_ASSERT_EQUAL(op.status, 0);
			CU_ASSERT(memcmp(buf, ct, len + TAG) == 0);

			op = (struct ws_aead_op){buf, key, counter, (uint32_t)(len + TAG), 1};
			CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, &op, 1), 1);
			CU_ASSERT_EQUAL(op.status, 0);
			CU_ASSERT(memcmp(buf, pt, len) == 0);
		}
		ws_aead_free(a);
	}
}

/* lib/crypto's single-message AEAD and every back end give the same bytes. */
static void test_agrees_with_ws_crypto(void)
{
	static const uint32_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1420,
					1500, 4096, 9000};
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct msg m;
			msg_init(&m, lens[i]);
			uint8_t *want = malloc(m.len + TAG);
			CU_ASSERT_PTR_NOT_NULL_FATAL(want);
			ws_aead_encrypt(want, m.pt, m.len, NULL, 0, m.counter, m.key);

			struct ws_aead_op op = op_of(&m, false);
			CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, &op, 1), 1);
			CU_ASSERT(memcmp(m.buf, want, m.len + TAG) == 0);

			CU_ASSERT_EQUAL(ws_aead_decrypt(want, want, m.len + TAG, NULL, 0,
							m.counter, m.key), 0);
			CU_ASSERT(memcmp(want, m.pt, m.len) == 0);
			free(want);
			msg_fini(&m);
		}
		ws_aead_free(a);
	}
}

/*
 * Random batches through both back ends: byte-for-byte the same as
 * libsodium, then each opens what the other sealed.
 */
static void test_random_batches(void)
{
	struct ws_aead *mb = create_or_fail("ipsec_mb");
	struct ws_aead *na = create_or_fail("sodium");
	struct ws_aead_op ops_mb[WS_AEAD_BURST_MAX], ops_na[WS_AEAD_BURST_MAX];
	struct msg mm[WS_AEAD_BURST_MAX], mn[WS_AEAD_BURST_MAX];
	uint8_t want[1500 + TAG];
	unsigned int checked = 0;

	for (int round = 0; round < 300; round++) {
		unsigned int n = 1 + rand_below(WS_AEAD_BURST_MAX);

		for (unsigned int i = 0; i < n; i++) {
			msg_init(&mm[i], rand_below(1501));
			/* The same message for the other back end. */
			mn[i] = mm[i];
			mn[i].pt = malloc(mm[i].len ? mm[i].len : 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(mn[i].pt);
			mn[i].buf = guarded_alloc(mm[i].len);
			memcpy(mn[i].pt, mm[i].pt, mm[i].len);
			memcpy(mn[i].buf, mm[i].buf, mm[i].len);
			ops_mb[i] = op_of(&mm[i], false);
			ops_na[i] = op_of(&mn[i], false);
		}
		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(mb, ops_mb, n), n);
		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(na, ops_na, n), n);
		for (unsigned int i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(ops_mb[i].status, 0);
			CU_ASSERT_EQUAL(ops_na[i].status, 0);
			ref_seal(want, mm[i].pt, mm[i].len, mm[i].counter, mm[i].key);
			CU_ASSERT(memcmp(mm[i].buf, want, mm[i].len + TAG) == 0);
			CU_ASSERT(memcmp(mn[i].buf, want, mm[i].len + TAG) == 0);
			checked++;
		}

		/* Swap the sealed buffers: each back end opens the other's output. */
		for (unsigned int i = 0; i < n; i++) {
			uint8_t *t = mm[i].buf;
			mm[i].buf = mn[i].buf;
			mn[i].buf = t;
			ops_mb[i] = op_of(&mm[i], true);
			ops_na[i] = op_of(&mn[i], true);
		}
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(mb, ops_mb, n), n);
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(na, ops_na, n), n);
		for (unsigned int i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(ops_mb[i].status, 0);
			CU_ASSERT_EQUAL(ops_na[i].status, 0);
			CU_ASSERT(memcmp(mm[i].buf, mm[i].pt, mm[i].len) == 0);
			CU_ASSERT(memcmp(mn[i].buf, mn[i].pt, mn[i].len) == 0);
			msg_fini(&mm[i]);
			msg_fini(&mn[i]);
		}
	}
	CU_ASSERT(checked > 300);
	ws_aead_free(mb);
	ws_aead_free(na);
}

/*
 * Sealed copies of one message, each with one bit flipped at the given bit
 * positions of ciphertext || tag; every one must be refused and wiped.
 */
static void check_flips(struct ws_aead *a, uint32_t len, const uint32_t *bits,
			unsigned int nbits)
{
	struct msg m;
	struct ws_aead_op *ops = calloc(nbits, sizeof(*ops));
	uint8_t **bufs = calloc(nbits, sizeof(*bufs));
	uint8_t *zero = calloc(1, len + 1);

	CU_ASSERT_FATAL(ops != NULL && bufs != NULL && zero != NULL);
	msg_init(&m, len);
	ref_seal(m.buf, m.pt, len, m.counter, m.key);
	for (unsigned int i = 0; i < nbits; i++) {
		bufs[i] = guarded_alloc(len);
		memcpy(bufs[i], m.buf, len + TAG);
		bufs[i][bits[i] / 8] ^= (uint8_t)(1u << (bits[i] % 8));
		ops[i] = (struct ws_aead_op){bufs[i], m.key, m.counter, len + TAG, 0};
	}
	CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, ops, nbits), 0);
	unsigned int refused = 0, wiped = 0;
	for (unsigned int i = 0; i < nbits; i++) {
		refused += ops[i].status == -EBADMSG;
		wiped += memcmp(bufs[i], zero, len) == 0;
		guarded_free(bufs[i], len);
	}
	CU_ASSERT_EQUAL(refused, nbits);
	CU_ASSERT_EQUAL(wiped, nbits);

	/* The untouched message still opens: the refusals were the flips. */
	struct ws_aead_op op = op_of(&m, true);
	CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, &op, 1), 1);
	CU_ASSERT(memcmp(m.buf, m.pt, len) == 0);

	msg_fini(&m);
	free(zero);
	free(bufs);
	free(ops);
}

static void test_bit_flips(void)
{
	enum { SHORT = 129, SAMPLES = 600 };
	uint32_t bits[(SHORT + TAG) * 8];
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		/* Keepalive: only a tag, all 128 bits. */
		for (uint32_t i = 0; i < TAG * 8; i++)
			bits[i] = i;
		check_flips(a, 0, bits, TAG * 8);

		/* Every bit of a short message and its tag. */
		for (uint32_t i = 0; i < (SHORT + TAG) * 8; i++)
			bits[i] = i;
		check_flips(a, SHORT, bits, (SHORT + TAG) * 8);

		/* A random length: sampled ciphertext bits plus every tag bit. */
		uint32_t len = 1 + rand_below(9000);
		for (uint32_t i = 0; i < SAMPLES; i++)
			bits[i] = rand_below(len * 8);
		for (uint32_t i = 0; i < TAG * 8; i++)
			bits[SAMPLES + i] = len * 8 + i;
		check_flips(a, len, bits, SAMPLES + TAG * 8);

		ws_aead_free(a);
	}
}

/* Wrong counter, wrong key, truncated: refused like a forgery. */
static void test_wrong_context(void)
{
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);
		struct msg m[4];
		struct ws_aead_op ops[4];

		for (int i = 0; i < 4; i++) {
			msg_init(&m[i], 100);
			ref_seal(m[i].buf, m[i].pt, m[i].len, m[i].counter, m[i].key);
			ops[i] = op_of(&m[i], true);
		}
		ops[0].counter ^= 1;
		ops[1].counter ^= (uint64_t)1 << 63;
		m[2].key[31] ^= 0x80;
		ops[3].len--;
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, ops, 4), 0);
		for (int i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(ops[i].status, -EBADMSG);
			msg_fini(&m[i]);
		}
		ws_aead_free(a);
	}
}

/* Good and forged buffers in one batch: exactly the forged ones are refused. */
static void test_mixed_batch(void)
{
	enum { N = 150 };       /* more than one internal batch */
	struct msg m[N];
	struct ws_aead_op ops[N];
	bool forged[N];
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		for (int round = 0; round < 20; round++) {
			unsigned int nforged = 0;
			uint8_t zero[1500] = {0};

			for (unsigned int i = 0; i < N; i++) {
				msg_init(&m[i], rand_below(1501));
				ref_seal(m[i].buf, m[i].pt, m[i].len, m[i].counter, m[i].key);
				forged[i] = rand_below(3) == 0;
				if (forged[i]) {
					uint32_t bit = rand_below((m[i].len + TAG) * 8);
					m[i].buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
					nforged++;
				}
				ops[i] = op_of(&m[i], true);
			}
			CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, ops, N), N - nforged);
			for (unsigned int i = 0; i < N; i++) {
				if (forged[i]) {
					CU_ASSERT_EQUAL(ops[i].status, -EBADMSG);
					CU_ASSERT(memcmp(m[i].buf, zero, m[i].len) == 0);
				} else {
					CU_ASSERT_EQUAL(ops[i].status, 0);
					CU_ASSERT(memcmp(m[i].buf, m[i].pt, m[i].len) == 0);
				}
				msg_fini(&m[i]);
			}
		}
		ws_aead_free(a);
	}
}

/* Lengths at the edges, and ops that must be refused without being touched. */
static void test_lengths(void)
{
	static const uint32_t lens[] = {0, 16, 9000, WS_AEAD_MAX_LEN - TAG};
	uint8_t small[TAG] = {0}, key[WS_KEY_LEN] = {0};
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct msg m;
			msg_init(&m, lens[i]);
			uint8_t *want = malloc(m.len + TAG);
			CU_ASSERT_PTR_NOT_NULL_FATAL(want);
			ref_seal(want, m.pt, m.len, m.counter, m.key);

			struct ws_aead_op op = op_of(&m, false);
			CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, &op, 1), 1);
			CU_ASSERT_EQUAL(op.status, 0);
			CU_ASSERT(memcmp(m.buf, want, m.len + TAG) == 0);
			op = op_of(&m, true);
			CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, &op, 1), 1);
			CU_ASSERT_EQUAL(op.status, 0);
			CU_ASSERT(memcmp(m.buf, m.pt, m.len) == 0);
			free(want);
			msg_fini(&m);
		}

		/* Decrypt below a tag's length, NULL pointers, too long: -EINVAL. */
		struct ws_aead_op bad[TAG + 5];
		unsigned int nbad = 0;
		for (uint32_t len = 0; len < TAG; len++)
			bad[nbad++] = (struct ws_aead_op){small, key, 0, len, 0};
		bad[nbad++] = (struct ws_aead_op){NULL, key, 0, TAG, 0};
		bad[nbad++] = (struct ws_aead_op){small, NULL, 0, TAG, 0};
		bad[nbad++] = (struct ws_aead_op){small, key, 0, WS_AEAD_MAX_LEN + 1, 0};
		bad[nbad++] = (struct ws_aead_op){small, key, 0, UINT32_MAX, 0};
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, bad, nbad), 0);
		for (unsigned int i = 0; i < nbad; i++)
			CU_ASSERT_EQUAL(bad[i].status, -EINVAL);

		nbad = 0;
		bad[nbad++] = (struct ws_aead_op){NULL, key, 0, 0, 0};
		bad[nbad++] = (struct ws_aead_op){small, NULL, 0, 0, 0};
		bad[nbad++] = (struct ws_aead_op){small, key, 0, WS_AEAD_MAX_LEN - TAG + 1, 0};
		bad[nbad++] = (struct ws_aead_op){small, key, 0, UINT32_MAX, 0};
		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, bad, nbad), 0);
		for (unsigned int i = 0; i < nbad; i++)
			CU_ASSERT_EQUAL(bad[i].status, -EINVAL);
		for (unsigned int i = 0; i < TAG; i++)
			CU_ASSERT_EQUAL(small[i], 0);

		/* An invalid op in the middle of a batch spoils only itself. */
		struct msg m[3];
		struct ws_aead_op ops[3];
		for (int i = 0; i < 3; i++) {
			msg_init(&m[i], 64);
			ops[i] = op_of(&m[i], false);
		}
		ops[1].len = WS_AEAD_MAX_LEN;
		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, ops, 3), 2);
		CU_ASSERT_EQUAL(ops[0].status, 0);
		CU_ASSERT_EQUAL(ops[1].status, -EINVAL);
		CU_ASSERT_EQUAL(ops[2].status, 0);
		CU_ASSERT(memcmp(m[1].buf, m[1].pt, 64) == 0);
		for (int i = 0; i < 3; i++)
			msg_fini(&m[i]);

		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, NULL, 0), 0);
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, NULL, 0), 0);
		ws_aead_free(a);
	}
}

/* Bursts longer than one internal batch, with one key shared by all ops. */
static void test_long_burst(void)
{
	enum { N = 3 * WS_AEAD_BURST_MAX + 7 };
	struct msg m[N];
	struct ws_aead_op ops[N];
	uint8_t want[1420 + TAG];
	const char *name;

	for (unsigned int b = 0; (name = ws_aead_backend_name(b)) != NULL; b++) {
		struct ws_aead *a = create_or_fail(name);

		for (unsigned int i = 0; i < N; i++) {
			msg_init(&m[i], rand_below(1421));
			memcpy(m[i].key, m[0].key, WS_KEY_LEN);
			m[i].counter = m[0].counter + i;
			ops[i] = op_of(&m[i], false);
		}
		CU_ASSERT_EQUAL(ws_aead_encrypt_burst(a, ops, N), N);
		for (unsigned int i = 0; i < N; i++) {
			CU_ASSERT_EQUAL(ops[i].status, 0);
			ref_seal(want, m[i].pt, m[i].len, m[i].counter, m[i].key);
			CU_ASSERT(memcmp(m[i].buf, want, m[i].len + TAG) == 0);
			ops[i] = op_of(&m[i], true);
		}
		CU_ASSERT_EQUAL(ws_aead_decrypt_burst(a, ops, N), N);
		for (unsigned int i = 0; i < N; i++) {
			CU_ASSERT_EQUAL(ops[i].status, 0);
			CU_ASSERT(memcmp(m[i].buf, m[i].pt, m[i].len) == 0);
			msg_fini(&m[i]);
		}
		ws_aead_free(a);
	}
}

static int suite_init(void)
{
	if (sodium_init() < 0)
		return -1;
	rng = ws_test_seed("aead_batch");
	return 0;
}

static const struct ws_test tests[] = {
	WS_TEST(test_backends),
	WS_TEST(test_known_answers),
	WS_TEST(test_agrees_with_ws_crypto),
	WS_TEST(test_random_batches),
	WS_TEST(test_bit_flips),
	WS_TEST(test_wrong_context),
	WS_TEST(test_mixed_batch),
	WS_TEST(test_lengths),
	WS_TEST(test_long_burst),
	{0},
};

int main(void)
{
	return ws_test_run("aead_batch", tests, suite_init, NULL);
}
