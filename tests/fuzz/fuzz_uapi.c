/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for the WireGuard configuration protocol: arbitrary
 * bytes into the set parser, the framing and the request handler. A parse
 * either fails with a reason and leaves nothing behind, or yields
 * operations that keep the documented invariants; the get reply built
 * from them parses back; framing agrees with itself wherever it resumes.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Ilib -Ilib/crypto -Ilib/mgmt tests/fuzz/fuzz_uapi.c \
 *     lib/mgmt/uapi.c lib/mgmt/uapi_server.c lib/mgmt/sockserver.c \
 *     lib/mgmt/addr.c lib/crypto/util.c lib/crypto/x25519.c \
 *     lib/crypto/blake2s.c lib/crypto/aead.c lib/crypto/tai64n.c \
 *     $(pkg-config --cflags --libs libsodium libb2) -o /tmp/fuzz_uapi
 *   mkdir -p /tmp/fuzz_uapi_corpus
 *   printf 'set=1\nlisten_port=1\npublic_key=%064d\nallowed_ip=10.0.0.0/8\n\n' 0 \
 *     > /tmp/fuzz_uapi_corpus/seed
 *   /tmp/fuzz_uapi /tmp/fuzz_uapi_corpus -max_len=4096 -max_total_time=120
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockserver.h"
#include "uapi.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	SET_FLAGS = WS_UAPI_SET_PRIVATE_KEY | WS_UAPI_SET_LISTEN_PORT | WS_UAPI_SET_FWMARK |
		    WS_UAPI_SET_REPLACE_PEERS,
	PEER_FLAGS = WS_UAPI_PEER_REMOVE | WS_UAPI_PEER_UPDATE_ONLY | WS_UAPI_PEER_PRESHARED_KEY |
		     WS_UAPI_PEER_ENDPOINT | WS_UAPI_PEER_KEEPALIVE |
		     WS_UAPI_PEER_REPLACE_ALLOWED_IPS,
};

/* The device a set describes, reported back by get. */
static int fake_get_from(const struct ws_uapi_set *s, struct ws_uapi_device *out)
{
	out->has_private_key = (s->flags & WS_UAPI_SET_PRIVATE_KEY) != 0;
	memcpy(out->private_key, s->private_key, WS_KEY_LEN);
	out->listen_port = s->listen_port;
	out->fwmark = s->fwmark;
	for (unsigned i = 0; i < s->n_peers; i++) {
		struct ws_uapi_peer *p = ws_uapi_device_add_peer(out);
		if (p == NULL)
			return -ENOMEM;
		memcpy(p->public_key, s->peers[i].public_key, WS_KEY_LEN);
		memcpy(p->preshared_key, s->peers[i].preshared_key, WS_KEY_LEN);
		p->endpoint = s->peers[i].endpoint;
		p->persistent_keepalive = s->peers[i].persistent_keepalive;
		for (unsigned j = 0; j < s->peers[i].n_allowed_ips; j++)
			if (ws_uapi_peer_add_allowed_ip(p, &s->peers[i].allowed_ips[j]) < 0)
				return -ENOMEM;
	}
	return 0;
}

static struct ws_uapi_set last;
static int fake_set(void *dev, const struct ws_uapi_set *s)
{
	(void)dev;
	return s->n_peers % 3 == 2 ? -EADDRINUSE : 0;
}

static int fake_get(void *dev, struct ws_uapi_device *out)
{
	(void)dev;
	return fake_get_from(&last, out);
}

static const struct ws_uapi_ops ops = { .get = fake_get, .set = fake_set };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return ws_crypto_init() < 0;
}

static void check_set(const struct ws_uapi_set *s)
{
	if (s->flags & ~(uint32_t)SET_FLAGS)
		abort();
	for (unsigned i = 0; i < s->n_peers; i++) {
		const struct ws_uapi_peer_op *op = &s->peers[i];
		if (op->flags & ~(uint32_t)PEER_FLAGS)
			abort();
		if ((op->flags & WS_UAPI_PEER_REMOVE) &&
		    (op->flags != WS_UAPI_PEER_REMOVE || op->n_allowed_ips != 0))
			abort();
		if ((op->flags & WS_UAPI_PEER_ENDPOINT) && op->endpoint.family == WS_AF_NONE)
			abort();
		for (unsigned j = 0; j < op->n_allowed_ips; j++) {
			struct ws_prefix p = op->allowed_ips[j];
			ws_prefix_mask(&p);
			if (memcmp(&p, &op->allowed_ips[j], sizeof(p)) != 0 ||
			    p.len > ws_family_bits(p.family))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *req = (const char *)data;
	const char *why = NULL;
	unsigned line = 0;
	char *reply = NULL;
	size_t n = 0;
	int ret;

	ret = ws_uapi_parse_set(req, size, &last, &line, &why);
	if (ret < 0) {
		if ((ret != -EINVAL && ret != -EPROTO && ret != -ENOMEM) || why == NULL ||
		    last.peers != NULL || last.n_peers != 0 || last.flags != 0)
			abort();
	} else {
		check_set(&last);
		/* What was set can be reported: get of that device is well formed. */
		if (ws_uapi_handle(&ops, "get=1\n\n", 7, &reply, &n) != 0 || reply == NULL ||
		    n < 9 || memcmp(reply + n - 9, "errno=0\n\n", 9) != 0)
			abort();
		free(reply);
		reply = NULL;
	}

	/* Framing: resuming after any prefix that held no request changes nothing. */
	size_t full = ws_uapi_frame(req, size, 0);
	if (full > size)
		abort();
	for (size_t from = 1; from <= size && from <= 64; from++)
		if (ws_uapi_frame(req, from, 0) == 0 && ws_uapi_frame(req, size, from) != full)
			abort();

	/* The handler on the first framed request: a reply or a close, never both. */
	if (full > 0) {
		ret = ws_uapi_handle(&ops, req, full, &reply, &n);
		if ((ret == WS_SOCK_CLOSE) != (reply == NULL) || (ret != 0 && ret != WS_SOCK_CLOSE))
			abort();
		if (reply != NULL && (n < 9 || reply[n - 1] != '\n' || reply[n - 2] != '\n'))
			abort();
		free(reply);
	}
	ws_uapi_set_free(&last);
	return 0;
}
