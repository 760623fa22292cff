/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lib/crypto against published vectors. Each vector names its source; the
 * few expectations that are derived rather than published say how.
 */
#include <errno.h>
#include <pthread.h>

#include <sodium.h>

#include "test_common.h"
#include "ws_crypto.h"

static uint8_t hexbuf[1024];

/* Decodes hex that must be exactly n bytes long. */
static const uint8_t *unhex(const char *hex, size_t n)
{
	size_t got = ws_test_unhex(hexbuf, sizeof(hexbuf), hex);

	CU_ASSERT_FATAL(got == n && strlen(hex) == 2 * n);
	return hexbuf;
}

/* True when got equals the hex string; prints both sides otherwise. */
static bool eq_hex(const uint8_t *got, const char *hex)
{
	size_t n = strlen(hex) / 2;
	uint8_t want[512];

	CU_ASSERT_FATAL(n <= sizeof(want) && ws_test_unhex(want, sizeof(want), hex) == n);
	if (memcmp(got, want, n) == 0)
		return true;
	printf("\n  want %s\n  got  ", hex);
	for (size_t i = 0; i < n; i++)
		printf("%02x", got[i]);
	return false;
}

static void seq_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)i;
}

/* The key of the Linux blake2s selftest: Fibonacci bytes from {1, 1}. */
static void fib_key(uint8_t key[WS_KEY_LEN])
{
	key[0] = key[1] = 1;
	for (size_t i = 2; i < WS_KEY_LEN; i++)
		key[i] = (uint8_t)(key[i - 2] + key[i - 1]);
}

/* ---- BLAKE2s --------------------------------------------------------- */

/* RFC 7693 Appendix B: BLAKE2s-256("abc"). */
static void test_blake2s_rfc7693_abc(void)
{
	static const char want[] =
		"508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982";
	struct ws_blake2s_ctx ctx;
	uint8_t out[WS_HASH_LEN];

	ws_blake2s(out, sizeof(out), "abc", 3, NULL, 0);
	CU_ASSERT(eq_hex(out, want));

	ws_blake2s_init(&ctx, sizeof(out), NULL, 0);
	ws_blake2s_update(&ctx, "a", 1);
	ws_blake2s_update(&ctx, "", 0);
	ws_blake2s_update(&ctx, "bc", 2);
	ws_blake2s_final(&ctx, out, sizeof(out));
	CU_ASSERT(eq_hex(out, want));
	/* The keyed state is wiped once the digest is out. */
	CU_ASSERT(ws_is_zero(&ctx, sizeof(ctx)));
}

/*
 * BLAKE2 reference test vectors, testvectors/blake2s-test.txt in
 * github.com/BLAKE2/BLAKE2 (also blake2s-kat.txt): key = 00..1f,
 * in = 00..(n-1). Lengths around the 64-byte block matter most.
 */
static void test_blake2s_keyed_kat(void)
{
	static const struct { size_t n; const char *hash; } kat[] = {
		{0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
		{1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
		{2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
		{32, "c03bc642b20959cbe133a0303e0c1abff3e31ec8e1a328ec8565c36decff5265"},
		{63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"},
		{64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"},
		{65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"},
		{255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"},
	};
	uint8_t key[WS_KEY_LEN], in[256], out[WS_HASH_LEN];

	seq_bytes(key, sizeof(key));
	seq_bytes(in, sizeof(in));
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		ws_blake2s(out, sizeof(out), in, kat[i].n, key, sizeof(key));
		CU_ASSERT(eq_hex(out, kat[i].hash));
	}
}

/* RFC 7693 Appendix E self-test: (keyed) output lengths 16..32 folded into one hash. */
static void rfc7693_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t a = 0xDEAD4BAD * seed, b = 1;

	for (size_t i = 0; i < len; i++) {
		uint32_t t = a + b;

		a = b;
		b = t;
		out[i] = (uint8_t)(t >> 24);
	}
}

static void test_blake2s_rfc7693_selftest(void)
{
	static const size_t md_len[] = {16, 20, 28, 32};
	static const size_t in_len[] = {0, 3, 64, 65, 255, 1024};
	static uint8_t in[1024];
	uint8_t md[WS_HASH_LEN], key[WS_KEY_LEN];
	struct ws_blake2s_ctx grand;

	ws_blake2s_init(&grand, WS_HASH_LEN, NULL, 0);
	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < 6; j++) {
			rfc7693_seq(in, in_len[j], (uint32_t)in_len[j]);
			ws_blake2s(md, md_len[i], in, in_len[j], NULL, 0);
			ws_blake2s_update(&grand, md, md_len[i]);
			rfc7693_seq(key, md_len[i], (uint32_t)md_len[i]);
			ws_blake2s(md, md_len[i], in, in_len[j], key, md_len[i]);
			ws_blake2s_update(&grand, md, md_len[i]);
		}
	}
	ws_blake2s_final(&grand, md, WS_HASH_LEN);
	CU_ASSERT(eq_hex(md, "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe"));
}

/*
 * Linux lib/crypto/blake2s-selftest.c (v5.10) blake2s_testvecs[i]: key is
 * fib_key(), in = 00..(i-1), outlen = 1 + i % 32, keylen
 * = 13 * i % 33 taken from the end of the key. Short keys and outputs.
 */
static void test_blake2s_kernel_vectors(void)
{
	static const struct { size_t i; const char *hash; } kv[] = {
		{0, "a1"},
		{13, "bae5bb3025946dc38909c425523e"},
		{31, "dd35d2b4f6c7eaab64244efee53d4e958b6d6cbcb0f8886109b778a331fed92f"},
		{63, "23df96689186d093553324f6ba08755b591169b8b9e52c7702f647ee81ddb906"},
		{95, "eabb96f8d18b04114078420219d1bc6592d3c3d6d919e7c34097bdd4edfa5e28"},
		{127, "30f1c48e05902a97639446ffced867a7ac338c95b7cda323989d766c9da8d68a"},
	};
	uint8_t key[WS_KEY_LEN], in[256], out[WS_HASH_LEN];

	fib_key(key);
	seq_bytes(in, sizeof(in));
	for (size_t v = 0; v < sizeof(kv) / sizeof(kv[0]); v++) {
		size_t i = kv[v].i, outlen = 1 + i % 32, keylen = 13 * i % 33;

		ws_blake2s(out, outlen, in, i, key + sizeof(key) - keylen, keylen);
		CU_ASSERT(strlen(kv[v].hash) == 2 * outlen);
		CU_ASSERT(eq_hex(out, kv[v].hash));
	}
}

/* The incremental API equals one-shot for any split, key and output length. */
static void test_blake2s_incremental_splits(void)
{
	uint64_t rng = ws_test_seed("blake2s splits");
	static uint8_t in[700];
	uint8_t key[WS_KEY_LEN], a[WS_HASH_LEN], b[WS_HASH_LEN];

	for (int round = 0; round < 400; round++) {
		size_t len = ws_test_rand(&rng) % sizeof(in);
		size_t outlen = 1 + ws_test_rand(&rng) % WS_HASH_LEN;
		size_t keylen = ws_test_rand(&rng) % (WS_KEY_LEN + 1);
		struct ws_blake2s_ctx ctx;

		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)ws_test_rand(&rng);
		for (size_t i = 0; i < keylen; i++)
			key[i] = (uint8_t)ws_test_rand(&rng);
		ws_blake2s(a, outlen, in, len, key, keylen);

		ws_blake2s_init(&ctx, outlen, key, keylen);
		for (size_t off = 0; off < len;) {
			/* Mostly small pieces, sometimes a block or more. */
			size_t piece = ws_test_rand(&rng) % (round % 3 ? 17 : 150);

			if (piece > len - off)
				piece = len - off;
			ws_blake2s_update(&ctx, in + off, piece);
			off += piece;
		}
		ws_blake2s_final(&ctx, b, outlen);
		CU_ASSERT_FATAL(memcmp(a, b, outlen) == 0);
	}
}

/* ---- HMAC and KDF ---------------------------------------------------- */

/*
 * Linux lib/crypto/blake2s-selftest.c (v5.10) blake2s_hmac_testvecs: key =
 * fib_key(), message = 00..ff; then the two swapped, which
 * takes the path of a key longer than the block.
 */
static void test_hmac_blake2s_kernel_vectors(void)
{
	uint8_t key[WS_KEY_LEN], buf[256], out[WS_HASH_LEN];

	fib_key(key);
	seq_bytes(buf, sizeof(buf));

	ws_hmac_blake2s(out, key, sizeof(key), buf, sizeof(buf));
	CU_ASSERT(eq_hex(out, "cee1576982dcbf43ad564c70ed681696cfa473e8e8fc3279080a7582da3f0511"));
	ws_hmac_blake2s(out, buf, sizeof(buf), key, sizeof(key));
	CU_ASSERT(eq_hex(out, "772f0c7141f44b2bb3c6b6f960dee4523866e8bf9b96c49f60d9243799d6ec31"));
}

/*
 * wireguard-go device/kdf_test.go TestKDF. Its t0, t1, t2 are our t1, t2,
 * t3 (it names the outputs from zero). Its keys are 8, 9 and 0 bytes long;
 * ws_kdf takes a 32-byte chaining key, and HMAC zero-pads every key to the
 * 64-byte block, so the key zero-padded to 32 bytes is the same key.
 */
static const struct {
	const char *key, *input, *t1, *t2, *t3;
} wg_kdf[] = {
	{"746573742d6b6579", "746573742d696e707574",
	 "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
	 "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
	 "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"},
	{"776972656775617264", "776972656775617264",
	 "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
	 "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
	 "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"},
	{"", "",
	 "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
	 "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
	 "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"},
};

static void test_kdf_wireguard_go_vectors(void)
{
	for (size_t v = 0; v < sizeof(wg_kdf) / sizeof(wg_kdf[0]); v++) {
		uint8_t ck[WS_HASH_LEN] = {0}, in[32], t1[32], t2[32], t3[32], prk[32];
		size_t keylen = ws_test_unhex(ck, sizeof(ck), wg_kdf[v].key);
		size_t inlen = ws_test_unhex(in, sizeof(in), wg_kdf[v].input);

		ws_kdf(t1, t2, t3, ck, in, inlen);
		CU_ASSERT(eq_hex(t1, wg_kdf[v].t1));
		CU_ASSERT(eq_hex(t2, wg_kdf[v].t2));
		CU_ASSERT(eq_hex(t3, wg_kdf[v].t3));

		memset(t2, 0xa5, sizeof(t2));
		ws_kdf(t1, t2, NULL, ck, in, inlen);
		CU_ASSERT(eq_hex(t1, wg_kdf[v].t1));
		CU_ASSERT(eq_hex(t2, wg_kdf[v].t2));

		ws_kdf(t1, NULL, NULL, ck, in, inlen);
		CU_ASSERT(eq_hex(t1, wg_kdf[v].t1));

		/* The same chain by hand, with the key at its real length. */
		uint8_t one = 1;

		ws_hmac_blake2s(prk, ck, keylen, in, inlen);
		ws_hmac_blake2s(t1, prk, sizeof(prk), &one, 1);
		CU_ASSERT(eq_hex(t1, wg_kdf[v].t1));
	}
}

/* Outputs may alias the chaining key, as noise.c's "ck = KDF1(ck, x)" does. */
static void test_kdf_aliasing_and_null_outputs(void)
{
	uint8_t ck[WS_HASH_LEN] = {0}, in[16], t2[32], t3[32], buf[32];
	size_t inlen = ws_test_unhex(in, sizeof(in), wg_kdf[0].input);

	ws_test_unhex(ck, sizeof(ck), wg_kdf[0].key);
	ws_kdf(ck, t2, NULL, ck, in, inlen);
	CU_ASSERT(eq_hex(ck, wg_kdf[0].t1));
	CU_ASSERT(eq_hex(t2, wg_kdf[0].t2));

	/* A NULL in front is skipped, later outputs still come out right. */
	memset(ck, 0, sizeof(ck));
	ws_test_unhex(ck, sizeof(ck), wg_kdf[0].key);
	ws_kdf(NULL, NULL, t3, ck, in, inlen);
	CU_ASSERT(eq_hex(t3, wg_kdf[0].t3));

	/* Input aliasing an output. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, in, inlen);
	ws_kdf(buf, NULL, NULL, ck, buf, inlen);
	CU_ASSERT(eq_hex(buf, wg_kdf[0].t1));
}

/* ---- X25519 ---------------------------------------------------------- */

/* Rows of {scalar, u, X25519(scalar, u)}; out may alias the peer's point. */
static void x25519_rows(const char *const (*v)[3], size_t n)
{
	uint8_t k[32], u[32], out[32];

	for (size_t i = 0; i < n; i++) {
		memcpy(k, unhex(v[i][0], 32), 32);
		memcpy(u, unhex(v[i][1], 32), 32);
		CU_ASSERT(ws_x25519(out, k, u) == 0);
		CU_ASSERT(eq_hex(out, v[i][2]));
		CU_ASSERT(ws_x25519(u, k, u) == 0);
		CU_ASSERT(eq_hex(u, v[i][2]));
	}
}

/* RFC 7748 §5.2, the two single-shot vectors (the second has the top bit set). */
static void test_x25519_rfc7748_vectors(void)
{
	static const char *const v[][3] = {
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		 "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		 "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	};

	x25519_rows(v, sizeof(v) / sizeof(v[0]));
}

/* RFC 7748 §5.2 iterated test: k = X25519(k, u), u = old k, from k = u = 9. */
static void test_x25519_rfc7748_iterated(void)
{
	uint8_t k[32] = {9}, u[32] = {9}, next[32];

	for (int i = 1; i <= 1000; i++) {
		CU_ASSERT_FATAL(ws_x25519(next, k, u) == 0);
		memcpy(u, k, 32);
		memcpy(k, next, 32);
		if (i == 1)
			CU_ASSERT(eq_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f"
					    "7897b87bb6854b783c60e80311ae3079"));
	}
	CU_ASSERT(eq_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"));
}

/* RFC 7748 §6.1 Diffie-Hellman: public keys and the shared secret both ways. */
static void test_x25519_rfc7748_dh(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32];

	memcpy(a, unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", 32), 32);
	memcpy(b, unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", 32), 32);
	CU_ASSERT(ws_x25519_public(apub, a) == 0);
	CU_ASSERT(eq_hex(apub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
	CU_ASSERT(ws_x25519_public(bpub, b) == 0);
	CU_ASSERT(eq_hex(bpub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
	CU_ASSERT(ws_x25519(s1, a, bpub) == 0);
	CU_ASSERT(ws_x25519(s2, b, apub) == 0);
	CU_ASSERT(eq_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
	CU_ASSERT(ws_memeq(s1, s2, 32));
}

/*
 * Public keys come from Ed25519's base-point table mapped to the
 * Montgomery curve: they must be crypto_scalarmult_base's, byte for byte,
 * for any secret (clamping included), on any thread, first use or not.
 */
static void *public_matches_ladder(void *arg)
{
	unsigned n = *(const unsigned *)arg, bad = 0;
	uint8_t secret[32], ours[32], ladder[32];

	for (unsigned i = 0; i < n; i++) {
		randombytes_buf(secret, sizeof(secret));
		if (i == 0)
			memset(secret, 0xff, sizeof(secret));
		else if (i == 1)
			memset(secret, 0, sizeof(secret));
		else if (i == 2)
			memset(secret, 0, sizeof(secret)), secret[0] = 9;
		if (ws_x25519_public(ours, secret) != 0 || crypto_scalarmult_base(ladder, secret) != 0 ||
		    memcmp(ours, ladder, sizeof(ours)) != 0)
			bad++;
	}
	return (void *)(uintptr_t)bad;
}

static void test_x25519_public_by_table(void)
{
	unsigned n = 2000;
	pthread_t th;
	void *bad;

	CU_ASSERT(public_matches_ladder(&n) == NULL);
	/* A thread of its own sets up and frees its numbers (ASan sees both). */
	n = 200;
	CU_ASSERT_FATAL(pthread_create(&th, NULL, public_matches_ladder, &n) == 0);
	CU_ASSERT(pthread_join(th, &bad) == 0 && bad == NULL);
}

/*
 * Points of order 1, 2, 4 and 8 (libsodium's ref10 blacklist, the set the
 * Linux curve25519 selftest and Wycheproof's "public key = 0/1" cases draw
 * on): 0, 1, the two order-8 points, p-1, p and p+1. RFC 7748 ignores the
 * top bit of u, so each with bit 255 set is the same point again: the test
 * tries both forms.
 */
static const char *const low_order[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_x25519_low_order_rejected(void)
{
	uint8_t secret[32], pub[32], out[32];

	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		for (int trial = 0; trial < 4; trial++) {
			/* Unclamped too: the library clamps, and the order-8 factor goes. */
			ws_random(secret, sizeof(secret));
			if (trial & 1)
				ws_x25519_clamp(secret);
			memcpy(pub, unhex(low_order[i], 32), 32);
			if (trial & 2)
				pub[31] |= 0x80;
			memset(out, 0xa5, sizeof(out));
			CU_ASSERT(ws_x25519(out, secret, pub) == -EINVAL);
			CU_ASSERT(ws_is_zero(out, sizeof(out)));
		}
	}
}

/*
 * Non-canonical encodings that are not of low order must not be rejected:
 * Linux lib/crypto/curve25519-selftest.c (private {1} against 0x25 and
 * against all-ones), and draft-irtf-cfrg-cpace's X25519 test vectors for
 * u >= p (scalar af46..9aff, unclamped as published).
 */
static void test_x25519_noncanonical_accepted(void)
{
	static const char *const v[][3] = {
		{"0100000000000000000000000000000000000000000000000000000000000000",
		 "2500000000000000000000000000000000000000000000000000000000000000",
		 "3c7777caf997b264416077665b4e229d0b9548dc0cd81998ddcdc5c8533c797f"},
		{"0100000000000000000000000000000000000000000000000000000000000000",
		 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		 "b32d1362c248d62fe62619cff04dd43db73ffc1b6308ede30b78d87380f1e834"},
		{"af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff",
		 "cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
		 "e062dcd5376d58297be2618c7498f55baa07d7e03184e8aada20bca28888bf7a"},
		{"af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff",
		 "d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		 "db64dafa9b8fdd136914e61461935fe92aa372cb056314e1231bc4ec12417456"},
	};

	x25519_rows(v, sizeof(v) / sizeof(v[0]));
}

static void test_x25519_generate(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32], c[32];

	ws_x25519_generate(a);
	ws_x25519_generate(b);
	CU_ASSERT((a[0] & 7) == 0 && (a[31] & 0xc0) == 0x40);
	CU_ASSERT(!ws_memeq(a, b, 32));
	memcpy(c, a, 32);
	ws_x25519_clamp(c);
	CU_ASSERT(ws_memeq(a, c, 32));

	CU_ASSERT(ws_x25519_public(apub, a) == 0);
	CU_ASSERT(ws_x25519_public(bpub, b) == 0);
	CU_ASSERT(ws_x25519(s1, a, bpub) == 0);
	CU_ASSERT(ws_x25519(s2, b, apub) == 0);
	CU_ASSERT(ws_memeq(s1, s2, 32));
}

/* ---- ChaCha20-Poly1305 ----------------------------------------------- */

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one "
	"tip for the future, sunscreen would be it.";

/*
 * RFC 8439 §2.8.2. Its nonce 07000000 4041..47 has a non-zero constant, so
 * it cannot go through the WireGuard nonce: it checks libsodium itself.
 */
static void test_aead_rfc8439_2_8_2(void)
{
	static const char ct_tag[] =
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
		"1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116"
		"1ae10b594f09e26a7e902ecbd0600691";
	uint8_t key[32], nonce[12], ad[12], out[114 + 16];
	unsigned long long outlen = 0;

	CU_ASSERT_FATAL(strlen(sunscreen) == 114);
	memcpy(key, unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 32), 32);
	memcpy(nonce, unhex("070000004041424344454647", 12), 12);
	memcpy(ad, unhex("50515253c0c1c2c3c4c5c6c7", 12), 12);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &outlen, (const uint8_t *)sunscreen, 114,
						  ad, sizeof(ad), NULL, nonce, key);
	CU_ASSERT(outlen == sizeof(out));
	CU_ASSERT(eq_hex(out, ct_tag));
}

/*
 * RFC 8439 Appendix A.5: nonce 00000000 0102030405060708, i.e. WireGuard's
 * nonce for the counter whose little-endian bytes are 01..08.
 */
enum { A5_LEN = 265 };
static const uint64_t a5_counter = UINT64_C(0x0807060504030201);
static const char a5_key[] = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
static const char a5_ad[] = "f33388860000000000004e91";
static const char a5_ct_tag[] =	/* ciphertext, then the tag */
	"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0"
	"bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9"
	"9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130"
	"305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b"
	"eead9d67890cbb22392336fea1851f38";
static const char a5_pt[] =
	"Internet-Drafts are draft documents valid for a maximum of six months "
	"and may be updated, replaced, or obsoleted by other documents at any "
	"time. It is inappropriate to use Internet-Drafts as reference material "
	"or to cite them other than as /\xe2\x80\x9cwork in progress./\xe2\x80\x9d";

struct a5 {
	uint8_t key[32], ad[12], ct[A5_LEN + 16], buf[A5_LEN + 16];
};

static void a5_load(struct a5 *v)
{
	memcpy(v->key, unhex(a5_key, 32), 32);
	memcpy(v->ad, unhex(a5_ad, 12), 12);
	memcpy(v->ct, unhex(a5_ct_tag, A5_LEN + 16), A5_LEN + 16);
}

static void test_aead_rfc8439_a5(void)
{
	struct a5 v;

	a5_load(&v);
	CU_ASSERT_FATAL(strlen(a5_pt) == A5_LEN);
	CU_ASSERT(ws_aead_decrypt(v.buf, v.ct, sizeof(v.ct), v.ad, 12, a5_counter, v.key) == 0);
	CU_ASSERT(memcmp(v.buf, a5_pt, A5_LEN) == 0);

	ws_aead_encrypt(v.buf, (const uint8_t *)a5_pt, A5_LEN, v.ad, 12, a5_counter, v.key);
	CU_ASSERT(memcmp(v.buf, v.ct, sizeof(v.ct)) == 0);

	/* In place, both ways. */
	memcpy(v.buf, a5_pt, A5_LEN);
	ws_aead_encrypt(v.buf, v.buf, A5_LEN, v.ad, 12, a5_counter, v.key);
	CU_ASSERT(memcmp(v.buf, v.ct, sizeof(v.ct)) == 0);
	CU_ASSERT(ws_aead_decrypt(v.buf, v.buf, sizeof(v.ct), v.ad, 12, a5_counter, v.key) == 0);
	CU_ASSERT(memcmp(v.buf, a5_pt, A5_LEN) == 0);
}

/* Any change to tag, ciphertext, ad, counter or key fails, and wipes dst. */
static void test_aead_tamper(void)
{
	struct a5 v;
	uint8_t in[A5_LEN + 16];

	a5_load(&v);
	for (int what = 0; what < 6; what++) {
		uint8_t ad[12], key[32];
		uint64_t ctr = a5_counter;

		memcpy(in, v.ct, sizeof(in));
		memcpy(ad, v.ad, sizeof(ad));
		memcpy(key, v.key, sizeof(key));
		switch (what) {
		case 0: in[A5_LEN + 15] ^= 0x80; break;
		case 1: in[A5_LEN] ^= 0x01; break;
		case 2: in[0] ^= 0x01; break;
		case 3: ad[11] ^= 0x01; break;
		case 4: ctr++; break;
		case 5: key[31] ^= 0x01; break;
		}
		memset(v.buf, 0xa5, sizeof(v.buf));
		CU_ASSERT(ws_aead_decrypt(v.buf, in, sizeof(in), ad, 12, ctr, key) == -EBADMSG);
		CU_ASSERT(ws_is_zero(v.buf, A5_LEN));
		/* In place: the ciphertext itself is wiped. */
		CU_ASSERT(ws_aead_decrypt(in, in, sizeof(in), ad, 12, ctr, key) == -EBADMSG);
		CU_ASSERT(ws_is_zero(in, A5_LEN));
	}
	/* Shorter than a tag cannot verify. */
	CU_ASSERT(ws_aead_decrypt(v.buf, v.ct, 15, NULL, 0, 0, v.key) == -EBADMSG);
}

/* Keepalives (empty payload) up to a jumbo packet, in and out of place. */
static void test_aead_roundtrip(void)
{
	uint64_t rng = ws_test_seed("aead roundtrip");
	static uint8_t pt[9000], ct[9000 + 16], back[9000];
	static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 1420, 8999};
	uint8_t key[32];

	ws_random(key, sizeof(key));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		uint64_t ctr = ws_test_rand(&rng);

		for (size_t j = 0; j < len; j++)
			pt[j] = (uint8_t)ws_test_rand(&rng);
		ws_aead_encrypt(ct, pt, len, NULL, 0, ctr, key);
		CU_ASSERT(ws_aead_decrypt(back, ct, len + 16, NULL, 0, ctr, key) == 0);
		CU_ASSERT(memcmp(back, pt, len) == 0);
		/* The counter is part of the nonce: a neighbour must fail. */
		CU_ASSERT(ws_aead_decrypt(back, ct, len + 16, NULL, 0, ctr ^ 1, key) == -EBADMSG);
	}
	/* The handshake response's empty payload: no plaintext buffer at all. */
	ws_aead_encrypt(ct, NULL, 0, pt, 32, 0, key);
	CU_ASSERT(ws_aead_decrypt(NULL, ct, 16, pt, 32, 0, key) == 0);
	CU_ASSERT(ws_aead_decrypt(NULL, ct, 16, pt, 31, 0, key) == -EBADMSG);
}

/* ---- XChaCha20-Poly1305 ---------------------------------------------- */

/* draft-irtf-cfrg-xchacha-03 Appendix A.3.1. */
static void test_xaead_draft_vector(void)
{
	static const char ct_tag[] =
		"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39"
		"ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		"21f9664c97637da9768812f615c68b13b52e"
		"c0875924c1c7987947deafd8780acf49";
	uint8_t key[32], nonce[24], ad[12], ct[130], out[130];

	memcpy(key, unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 32), 32);
	memcpy(nonce, unhex("404142434445464748494a4b4c4d4e4f5051525354555657", 24), 24);
	memcpy(ad, unhex("50515253c0c1c2c3c4c5c6c7", 12), 12);
	memcpy(ct, unhex(ct_tag, 130), 130);

	ws_xaead_encrypt(out, (const uint8_t *)sunscreen, 114, ad, 12, nonce, key);
	CU_ASSERT(memcmp(out, ct, 130) == 0);
	CU_ASSERT(ws_xaead_decrypt(out, ct, 130, ad, 12, nonce, key) == 0);
	CU_ASSERT(memcmp(out, sunscreen, 114) == 0);

	ct[129] ^= 0x01;
	memset(out, 0xa5, sizeof(out));
	CU_ASSERT(ws_xaead_decrypt(out, ct, 130, ad, 12, nonce, key) == -EBADMSG);
	CU_ASSERT(ws_is_zero(out, 114));
	ct[129] ^= 0x01;
	nonce[23] ^= 0x01;
	CU_ASSERT(ws_xaead_decrypt(out, ct, 130, ad, 12, nonce, key) == -EBADMSG);
	CU_ASSERT(ws_xaead_decrypt(out, ct, 15, ad, 12, nonce, key) == -EBADMSG);

	/* Cookie replies: a 16-byte cookie, in place. */
	uint8_t cookie[32];

	ws_random(cookie, 16);
	memcpy(out, cookie, 16);
	ws_xaead_encrypt(cookie, cookie, 16, ad, 12, nonce, key);
	CU_ASSERT(ws_xaead_decrypt(cookie, cookie, 32, ad, 12, nonce, key) == 0);
	CU_ASSERT(memcmp(cookie, out, 16) == 0);
}

/* ---- TAI64N ---------------------------------------------------------- */

/*
 * Expected bytes follow the encoding of the Linux module (noise.c
 * tai64n_now) and wireguard-go (tai64n.go): 0x400000000000000a + seconds,
 * then the nanoseconds with the low 24 bits cleared, both big-endian.
 */
static void test_tai64n_known(void)
{
	static const struct { struct timespec ts; const char *label; } v[] = {
		{{0, 0}, "400000000000000a00000000"},
		{{0, 123456789}, "400000000000000a07000000"},
		{{1700000000, 999999999}, "400000006553f10a3b000000"},
		{{1700000000, 16777215}, "400000006553f10a00000000"},
		{{1700000000, 16777216}, "400000006553f10a01000000"},
		{{4294967296, 500000000}, "400000010000000a1d000000"},
	};
	uint8_t out[WS_TAI64N_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ws_tai64n(out, &v[i].ts);
		CU_ASSERT(eq_hex(out, v[i].label));
	}
}

static uint8_t *stamp(uint8_t out[WS_TAI64N_LEN], time_t sec, long nsec)
{
	struct timespec ts = {sec + nsec / 1000000000, nsec % 1000000000};

	ws_tai64n(out, &ts);
	return out;
}

/*
 * wireguard-go tai64n_test.go TestMonotonic: from 0.123456789 s, +10 ns,
 * +10 us, +1 ms and +10 ms are no later, +20 ms is. Then, over random
 * times, 20 ms apart (50 initiations a second) is always later.
 */
static void test_tai64n_rounding_and_order(void)
{
	static const struct { long add_ns; bool after; } v[] = {
		{10, false}, {10000, false}, {1000000, false}, {10000000, false}, {20000000, true},
	};
	uint64_t rng = ws_test_seed("tai64n order");
	uint8_t a[WS_TAI64N_LEN], b[WS_TAI64N_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		stamp(a, 0, 123456789);
		stamp(b, 0, 123456789 + v[i].add_ns);
		CU_ASSERT(ws_tai64n_after(b, a) == v[i].after);
		CU_ASSERT(!ws_tai64n_after(a, b));
	}
	CU_ASSERT(!ws_tai64n_after(a, a));
	/* Across a second boundary, and across a carry into a higher byte. */
	CU_ASSERT(ws_tai64n_after(stamp(b, 1700000001, 0), stamp(a, 1700000000, 999999999)));
	CU_ASSERT(ws_tai64n_after(stamp(b, 256, 0), stamp(a, 255, 999999999)));

	for (int i = 0; i < 10000; i++) {
		time_t sec = (time_t)(ws_test_rand(&rng) % 4000000000u);
		long nsec = (long)(ws_test_rand(&rng) % 1000000000u);

		stamp(a, sec, nsec);
		stamp(b, sec, nsec + 20000000);
		CU_ASSERT_FATAL(ws_tai64n_after(b, a));
		CU_ASSERT_FATAL((a[11] | b[11] | a[10] | b[10] | a[9] | b[9]) == 0);
	}
}

/* ---- util ------------------------------------------------------------ */

static void test_base64_roundtrip(void)
{
	uint8_t key[32], back[32];
	char b64[WS_KEY_B64_LEN];

	/* Expected strings from Python's base64.b64encode. */
	seq_bytes(key, sizeof(key));
	ws_key_to_base64(b64, key);
	CU_ASSERT_STRING_EQUAL(b64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	CU_ASSERT(ws_key_from_base64(back, b64) == 0);
	CU_ASSERT(memcmp(back, key, 32) == 0);

	CU_ASSERT(ws_key_from_base64(back, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=") == 0);
	CU_ASSERT(eq_hex(back, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));

	for (int i = 0; i < 200; i++) {
		ws_random(key, sizeof(key));
		memset(b64, 0x7f, sizeof(b64));
		ws_key_to_base64(b64, key);
		CU_ASSERT_FATAL(strlen(b64) == 44 && b64[43] == '=');
		CU_ASSERT_FATAL(ws_key_from_base64(back, b64) == 0);
		CU_ASSERT_FATAL(memcmp(back, key, 32) == 0);
	}
}

static void test_base64_rejects(void)
{
	static const char *const bad[] = {
		"",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",		/* 43: no padding */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",	/* 45 */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=A",	/* 45, trailing garbage */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",	/* 45, newline */
		" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",	/* leading space */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAECAwQ=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8h",		/* 44, 33 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",		/* 44, 31 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=",		/* bad char */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw_Hh8=",		/* URL-safe alphabet */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw-Hh8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX GBkaGxwdHh=",		/* inner space */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=8",		/* padding inside */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=",		/* stray low bits */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8!",		/* bad char for padding */
	};
	uint8_t key[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(key, 0xa5, sizeof(key));
		CU_ASSERT(ws_key_from_base64(key, bad[i]) == -EINVAL);
		CU_ASSERT(ws_is_zero(key, sizeof(key)));
	}
	CU_ASSERT(ws_key_from_base64(key, NULL) == -EINVAL);
}

static void test_memeq_is_zero(void)
{
	uint8_t a[64], b[64];

	ws_random(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	CU_ASSERT(ws_memeq(a, b, sizeof(a)));
	CU_ASSERT(ws_memeq(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i += 7) {
		b[i] ^= 0x10;
		CU_ASSERT(!ws_memeq(a, b, sizeof(a)));
		b[i] ^= 0x10;
	}
	memset(a, 0, sizeof(a));
	CU_ASSERT(ws_is_zero(a, sizeof(a)));
	CU_ASSERT(ws_is_zero(a, 0));
	a[63] = 1;
	CU_ASSERT(!ws_is_zero(a, sizeof(a)));
	CU_ASSERT(ws_is_zero(a, 63));
	ws_memzero(b, sizeof(b));
	CU_ASSERT(ws_is_zero(b, sizeof(b)));
}

/* The data path's tag compare: equal only when all 128 bits are. */
static void test_tag_eq(void)
{
	uint8_t a[WS_AEAD_TAG_LEN + 1], b[WS_AEAD_TAG_LEN + 1];

	for (int round = 0; round < 64; round++) {
		ws_random(a, sizeof(a));
		memcpy(b, a, sizeof(b));
		/* Unaligned too: tags sit anywhere in a packet. */
		CU_ASSERT(ws_tag_eq(a + (round & 1), b + (round & 1)));
		for (unsigned bit = 0; bit < 8 * WS_AEAD_TAG_LEN; bit++) {
			b[(round & 1) + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			CU_ASSERT(!ws_tag_eq(a + (round & 1), b + (round & 1)));
			b[(round & 1) + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		ws_random(b, sizeof(b));
		CU_ASSERT(ws_tag_eq(a, b) == (memcmp(a, b, WS_AEAD_TAG_LEN) == 0));
	}
}

/*
 * The per-thread pool behind ws_random_public: every call gets fresh
 * bytes across refills, calls of every size (odd ones that straddle a
 * refill, and large ones that bypass the pool) are filled completely,
 * and the bits come out balanced.
 */
static void test_random_public(void)
{
	enum { NONCES = 3 * WS_RANDOM_POOL_LEN / 24 + 7, NONCE = 24 };
	static uint8_t nonces[NONCES][NONCE];
	static uint8_t big[WS_RANDOM_POOL_LEN + 1];
	unsigned long ones = 0, bits = 0;
	uint8_t odd[37];

	for (unsigned i = 0; i < NONCES; i++) {
		ws_random_public(nonces[i], NONCE);
		for (unsigned j = 0; j < NONCE; j++)
			ones += (unsigned)__builtin_popcount(nonces[i][j]);
		bits += 8 * NONCE;
	}
	for (unsigned i = 0; i < NONCES; i++)
		for (unsigned j = i + 1; j < NONCES; j++)
			CU_ASSERT_FATAL(memcmp(nonces[i], nonces[j], NONCE) != 0);
	/* Over 70,000 bits: a fair source lands within 1% of half. */
	CU_ASSERT(ones > bits / 2 - bits / 100 && ones < bits / 2 + bits / 100);

	for (size_t len = 1; len <= sizeof(odd); len += 3) {
		memset(odd, 0, sizeof(odd));
		for (int tries = 0; tries < 4; tries++) {
			uint8_t once[sizeof(odd)] = {0};

			ws_random_public(once, len);
			for (size_t j = 0; j < len; j++)
				odd[j] |= once[j];
			CU_ASSERT(ws_is_zero(once + len, sizeof(once) - len));
		}
		/* Four draws leave a byte zero with odds of 2^-32. */
		for (size_t j = 0; j < len; j++)
			CU_ASSERT(odd[j] != 0);
	}
	ws_random_public(big, sizeof(big));
	CU_ASSERT(!ws_is_zero(big, 64) && !ws_is_zero(big + sizeof(big) - 64, 64));
	ws_random_public(odd, 0);
	CU_ASSERT(ws_random_public_u32() != ws_random_public_u32() ||
		  ws_random_public_u32() != ws_random_public_u32());
}

static void test_random(void)
{
	uint8_t a[32], b[32];
	unsigned seen[10] = {0};
	uint32_t x = 0;

	ws_random(a, sizeof(a));
	ws_random(b, sizeof(b));
	CU_ASSERT(!ws_is_zero(a, sizeof(a)) && !ws_memeq(a, b, sizeof(a)));
	for (int i = 0; i < 8; i++)
		x |= ws_random_u32() ^ ws_random_u32();
	CU_ASSERT(x != 0);
	for (int i = 0; i < 10000; i++) {
		uint32_t r = ws_random_uniform(10);

		CU_ASSERT_FATAL(r < 10);
		seen[r]++;
	}
	for (int i = 0; i < 10; i++)
		CU_ASSERT(seen[i] > 800 && seen[i] < 1200);
	CU_ASSERT(ws_random_uniform(1) == 0);
}

static int suite_init(void)
{
	return ws_crypto_init() == 0 ? 0 : -1;
}

static const struct ws_test tests[] = {
	WS_TEST(test_blake2s_rfc7693_abc),
	WS_TEST(test_blake2s_keyed_kat),
	WS_TEST(test_blake2s_rfc7693_selftest),
	WS_TEST(test_blake2s_kernel_vectors),
	WS_TEST(test_blake2s_incremental_splits),
	WS_TEST(test_hmac_blake2s_kernel_vectors),
	WS_TEST(test_kdf_wireguard_go_vectors),
	WS_TEST(test_kdf_aliasing_and_null_outputs),
	WS_TEST(test_x25519_rfc7748_vectors),
	WS_TEST(test_x25519_rfc7748_iterated),
	WS_TEST(test_x25519_rfc7748_dh),
	WS_TEST(test_x25519_public_by_table),
	WS_TEST(test_x25519_low_order_rejected),
	WS_TEST(test_x25519_noncanonical_accepted),
	WS_TEST(test_x25519_generate),
	WS_TEST(test_aead_rfc8439_2_8_2),
	WS_TEST(test_aead_rfc8439_a5),
	WS_TEST(test_aead_tamper),
	WS_TEST(test_aead_roundtrip),
	WS_TEST(test_xaead_draft_vector),
	WS_TEST(test_tai64n_known),
	WS_TEST(test_tai64n_rounding_and_order),
	WS_TEST(test_base64_roundtrip),
	WS_TEST(test_base64_rejects),
	WS_TEST(test_memeq_is_zero),
	WS_TEST(test_tag_eq),
	WS_TEST(test_random),
	WS_TEST(test_random_public),
	{NULL, NULL},
};

int main(void)
{
	return ws_test_run("crypto", tests, suite_init, NULL);
}
