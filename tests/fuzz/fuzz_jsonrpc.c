/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for JSON-RPC dispatch: arbitrary bytes as one request
 * line into ws_rpc_dispatch against a table with every parameter type.
 * Whatever comes in, the reply is nothing or exactly one line of JSON (an
 * object, or a non-empty array for a batch) whose errors carry standard
 * or application codes; ASan/UBSan catch the rest.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Ilib -Ilib/crypto -Ilib/mgmt tests/fuzz/fuzz_jsonrpc.c \
 *     lib/mgmt/jsonrpc.c lib/mgmt/sockserver.c lib/crypto/util.c \
 *     lib/crypto/x25519.c lib/crypto/blake2s.c lib/crypto/aead.c \
 *     lib/crypto/tai64n.c \
 *     $(pkg-config --cflags --libs jansson libsodium libb2) -o /tmp/fuzz_jsonrpc
 *   mkdir -p /tmp/fuzz_jsonrpc_corpus
 *   echo '{"jsonrpc":"2.0","method":"peer.add","params":{"port":1},"id":1}' \
 *     > /tmp/fuzz_jsonrpc_corpus/seed
 *   /tmp/fuzz_jsonrpc /tmp/fuzz_jsonrpc_corpus -max_len=4096 -max_total_time=120
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ws_rpc *rpc;

/* Uses every getter; fails in every way a handler can, depending on input. */
static int h_any(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;
	uint8_t key[WS_KEY_LEN];

	(void)ctx;
	if (ws_rpc_get_string(params, "name", &s, err) < 0 ||
	    ws_rpc_get_int(params, "port", 1, 65535, &i, err) < 0 ||
	    ws_rpc_get_bool(params, "flag", &b, err) < 0 ||
	    ws_rpc_get_key(params, "public_key", key, err) < 0)
		return -EINVAL;
	if (i == 2)
		return -ENOMEM;
	if (i == 3) {
		ws_rpc_error_set(err, -32010, "application error %s", s != NULL ? s : "");
		err->data = json_pack("{s:b}", "flag", b);
		*result = json_true();
		return -ENOENT;
	}
	if (i == 4)
		return ws_rpc_error_set(err, 12345, "not a handler's code");
	*result = json_incref(params);
	return 0;
}

static const struct ws_rpc_param params[] = {
	{ "name", WS_RPC_STRING, false, 0, 0 },
	{ "port", WS_RPC_INT, false, 1, 65535 },
	{ "flag", WS_RPC_BOOL, false, 0, 0 },
	{ "public_key", WS_RPC_KEY, false, 0, 0 },
	{ "list", WS_RPC_ARRAY, false, 0, 0 },
	{ "obj", WS_RPC_OBJECT, false, 0, 0 },
	{ "num", WS_RPC_NUMBER, false, 0, 0 },
	{ "any", WS_RPC_ANY, false, 0, 0 },
	{ "n", WS_RPC_INT, true, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};

static const struct ws_rpc_param optional[] = {
	{ "port", WS_RPC_INT, false, 1, 65535 },
	{ "name", WS_RPC_ANY, false, 0, 0 },
	{ "flag", WS_RPC_ANY, false, 0, 0 },
	{ "public_key", WS_RPC_ANY, false, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ws_rpc_method m[] = {
		{ "peer.add", h_any, params },
		{ "peer.get", h_any, optional },
		{ "gateway.info", h_any, NULL },
	};

	(void)argc;
	(void)argv;
	if (ws_crypto_init() < 0)
		return 1;
	rpc = ws_rpc_create(NULL);
	for (size_t i = 0; rpc != NULL && i < sizeof(m) / sizeof(m[0]); i++)
		if (ws_rpc_register(rpc, &m[i]) < 0)
			abort();
	return rpc == NULL;
}

static void check_reply(json_t *r)
{
	json_t *e = json_object_get(r, "error");

	if (!json_is_object(r) || json_object_size(r) != 3 || json_object_get(r, "id") == NULL ||
	    !json_is_string(json_object_get(r, "jsonrpc")))
		abort();
	if (e != NULL) {
		json_int_t code = json_integer_value(json_object_get(e, "code"));
		if (!json_is_string(json_object_get(e, "message")) ||
		    !(code == -32700 || (code >= -32603 && code <= -32600) ||
		      (code >= -32099 && code <= -32000)))
			abort();
	} else if (json_object_get(r, "result") == NULL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *out = ws_rpc_dispatch(rpc, (const char *)data, size, &n);
	json_t *r;

	if (out == NULL) {
		if (errno != 0)
			abort();
		return 0;
	}
	if (n < 2 || out[n - 1] != '\n' || memchr(out, '\n', n - 1) != NULL)
		abort();
	r = json_loadb(out, n - 1, 0, NULL);
	if (json_is_array(r)) {
		size_t i;
		json_t *e;
		if (json_array_size(r) == 0)
			abort();
		json_array_foreach(r, i, e)
			check_reply(e);
	} else {
		check_reply(r);
	}
	json_decref(r);
	free(out);
	return 0;
}
