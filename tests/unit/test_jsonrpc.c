/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * JSON-RPC 2.0 dispatch: every error code on purpose, the specification's
 * own examples, batches, parameter checking and the handler helpers; then
 * the same over a socket (8 concurrent clients, an idle one, an oversized
 * request) and wirespeedctl against it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "sockserver.h"
#include "test_common.h"

static struct ws_rpc *rpc;
static atomic_int notified;
static char tmpdir[64];
static char sock_path[100];

/* A key whose base64 must never show up in an error message. */
static const char secret_b64[] = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=";

static int h_subtract(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	int64_t a = 0, b = 0;

	(void)ctx;
	ws_rpc_get_int(params, "minuend", INT32_MIN, INT32_MAX, &a, err);
	ws_rpc_get_int(params, "subtrahend", INT32_MIN, INT32_MAX, &b, err);
	*result = json_integer(a - b);
	return 0;
}

static int h_sum(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	static const char *const names[] = { "a", "b", "c" };
	int64_t v, total = 0;

	(void)ctx;
	for (unsigned i = 0; i < 3; i++)
		if (ws_rpc_get_int(params, names[i], INT32_MIN, INT32_MAX, &v, err) == 1)
			total += v;
	*result = json_integer(total);
	return 0;
}

static int h_notify(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)result;
	(void)err;
	atomic_fetch_add(&notified, 1);
	return 0;
}

static int h_get_data(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	*result = json_pack("[s,i]", "hello", 5);
	return 0;
}

static int h_echo(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)err;
	*result = json_incref(params);
	return 0;
}

static int h_fail_internal(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	/* A result left behind on failure must not leak. */
	*result = json_string("ignored");
	return -ENOMEM;
}

static int h_fail_app(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)result;
	ws_rpc_error_set(err, -32004, "no such peer");
	err->data = json_pack("{s:s}", "public_key", "abc");
	return -ENOENT;
}

static int h_fail_bad_code(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)result;
	return ws_rpc_error_set(err, WS_RPC_PARSE_ERROR, "not a handler's code");
}

static int h_peer_list(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	*result = json_pack("[{s:s, s:s, s:[s,s], s:i, s:i, s:i, s:i},"
			    " {s:s, s:n, s:[], s:i, s:i, s:i, s:i}]",
			    "public_key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
			    "endpoint", "192.0.2.2:51820",
			    "allowed_ips", "10.2.0.0/24", "fd00:2::/64",
			    "persistent_keepalive", 25, "last_handshake", 0,
			    "rx_bytes", 1024, "tx_bytes", 3 << 20,
			    "public_key", "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",
			    "endpoint", "allowed_ips",
			    "persistent_keepalive", 0, "last_handshake", (json_int_t)time(NULL) - 65,
			    "rx_bytes", 0, "tx_bytes", 10);
	return 0;
}

static int h_gateway_info(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	*result = json_pack("{s:s, s:i, s:s, s:{s:[i], s:[i]}}", "version", "0.1.0", "uptime", 3661,
			    "crypto", "ipsec_mb", "lcores", "rx", 0, "workers", 1);
	return 0;
}

static const char prom_text[] =
	"# HELP wirespeed_peer_rx_bytes Bytes received from the peer.\n"
	"# TYPE wirespeed_peer_rx_bytes counter\n"
	"wirespeed_peer_rx_bytes{public_key=\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"} 1024\n";

static int h_stats(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	const char *format = NULL;

	(void)ctx;
	ws_rpc_get_string(params, "format", &format, err);
	if (format != NULL && strcmp(format, "prometheus") == 0)
		*result = json_string(prom_text);
	else
		*result = json_pack("{s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}], s:{s:i, s:i}}",
				    "ports", "name", "wan", "rx_packets", 10, "tx_packets", 20,
				    "name", "lan", "rx_packets", 30, "tx_packets", 40,
				    "drops", "bad_mac1", 2, "replay", 3);
	return 0;
}

/* Uses the getters on unchecked (ANY) params. */
static int h_getters(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;
	uint8_t key[WS_KEY_LEN];
	int rs, ri, rb, rk;

	(void)ctx;
	if ((rs = ws_rpc_get_string(params, "s", &s, err)) < 0 ||
	    (ri = ws_rpc_get_int(params, "i", 1, 65535, &i, err)) < 0 ||
	    (rb = ws_rpc_get_bool(params, "b", &b, err)) < 0 ||
	    (rk = ws_rpc_get_key(params, "k", key, err)) < 0)
		return -EINVAL;
	*result = json_pack("{s:i, s:s?, s:i, s:i, s:b, s:i, s:i}", "rs", rs, "s", s, "ri", ri,
			    "i", (json_int_t)i, "b", b, "rb", rb, "rk", rk);
	if (rk == 1)
		json_object_set_new(*result, "k0", json_integer(key[0]));
	return 0;
}

static const struct ws_rpc_param p_subtract[] = {
	{ "minuend", WS_RPC_INT, true, 0, 0 },
	{ "subtrahend", WS_RPC_INT, true, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};
static const struct ws_rpc_param p_sum[] = {
	{ "a", WS_RPC_INT, false, 0, 0 }, { "b", WS_RPC_INT, false, 0, 0 },
	{ "c", WS_RPC_INT, false, 0, 0 }, { NULL, 0, false, 0, 0 },
};
static const struct ws_rpc_param p_one[] = { { "x", WS_RPC_ANY, false, 0, 0 }, { NULL, 0, false, 0, 0 } };
static const struct ws_rpc_param p_typed[] = {
	{ "port", WS_RPC_INT, false, 1, 65535 },
	{ "name", WS_RPC_STRING, false, 0, 0 },
	{ "flag", WS_RPC_BOOL, false, 0, 0 },
	{ "key", WS_RPC_KEY, false, 0, 0 },
	{ "list", WS_RPC_ARRAY, false, 0, 0 },
	{ "obj", WS_RPC_OBJECT, false, 0, 0 },
	{ "num", WS_RPC_NUMBER, false, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};
static const struct ws_rpc_param p_getters[] = {
	{ "s", WS_RPC_ANY, false, 0, 0 }, { "i", WS_RPC_ANY, false, 0, 0 },
	{ "b", WS_RPC_ANY, false, 0, 0 }, { "k", WS_RPC_ANY, false, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};
/* Whatever wirespeedctl sends in the tests. */
static const struct ws_rpc_param p_ctl[] = {
	{ "a", WS_RPC_ANY, false, 0, 0 }, { "b", WS_RPC_ANY, false, 0, 0 },
	{ "c", WS_RPC_ANY, false, 0, 0 }, { "d", WS_RPC_ANY, false, 0, 0 },
	{ "e", WS_RPC_ANY, false, 0, 0 }, { "f", WS_RPC_ANY, false, 0, 0 },
	{ "g", WS_RPC_ANY, false, 0, 0 }, { "h", WS_RPC_ANY, false, 0, 0 },
	{ "format", WS_RPC_STRING, false, 0, 0 },
	{ NULL, 0, false, 0, 0 },
};

static const struct ws_rpc_method methods[] = {
	{ "subtract", h_subtract, p_subtract },
	{ "sum", h_sum, p_sum },
	{ "notify_hello", h_notify, p_one },
	{ "update", h_notify, p_sum },
	{ "get_data", h_get_data, NULL },
	{ "typed", h_echo, p_typed },
	{ "echo", h_echo, p_ctl },
	{ "fail_internal", h_fail_internal, NULL },
	{ "fail_app", h_fail_app, NULL },
	{ "fail_bad_code", h_fail_bad_code, NULL },
	{ "getters", h_getters, p_getters },
	{ "peer.list", h_peer_list, NULL },
	{ "gateway.info", h_gateway_info, NULL },
	{ "stats.get", h_stats, p_ctl },
};

/* Dispatches text; returns the parsed reply (NULL for none) after checking the framing. */
static json_t *rpc_call(const char *text)
{
	size_t n = 0;
	char *out = ws_rpc_dispatch(rpc, text, strlen(text), &n);
	json_t *j;

	if (out == NULL) {
		CU_ASSERT_EQUAL(errno, 0);
		return NULL;
	}
	CU_ASSERT(n > 1);
	CU_ASSERT_EQUAL(out[n - 1], '\n');
	CU_ASSERT_PTR_NULL(memchr(out, '\n', n - 1));
	j = json_loadb(out, n, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(j);
	free(out);
	return j;
}

static int err_code(json_t *reply)
{
	return (int)json_integer_value(json_object_get(json_object_get(reply, "error"), "code"));
}

static const char *err_msg(json_t *reply)
{
	const char *m = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
	return m != NULL ? m : "";
}

/* One call expected to fail with code; also checks the reply's shape and id. */
static void expect_error(const char *text, int code, const char *id_json, const char *needle)
{
	json_t *r = rpc_call(text), *id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	CU_ASSERT_PTR_NULL(json_object_get(r, "result"));
	CU_ASSERT_EQUAL(err_code(r), code);
	id = json_loads(id_json, JSON_DECODE_ANY, NULL);
	CU_ASSERT_TRUE(json_equal(json_object_get(r, "id"), id));
	if (needle != NULL && strstr(err_msg(r), needle) == NULL) {
		printf("\n  message \"%s\" lacks \"%s\"\n", err_msg(r), needle);
		CU_FAIL("message");
	}
	json_decref(id);
	json_decref(r);
}

static void expect_result(const char *text, const char *result_json, const char *id_json)
{
	json_t *r = rpc_call(text);
	json_t *want = json_loads(result_json, JSON_DECODE_ANY, NULL);
	json_t *id = json_loads(id_json, JSON_DECODE_ANY, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NULL(json_object_get(r, "error"));
	CU_ASSERT_TRUE(json_equal(json_object_get(r, "result"), want));
	CU_ASSERT_TRUE(json_equal(json_object_get(r, "id"), id));
	CU_ASSERT_EQUAL(json_object_size(r), 3);
	json_decref(want);
	json_decref(id);
	json_decref(r);
}

static void test_spec_examples(void)
{
	expect_result("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42, 23], \"id\": 1}",
		      "19", "1");
	expect_result("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [23, 42], \"id\": 2}",
		      "-19", "2");
	expect_result("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": "
		      "{\"subtrahend\": 23, \"minuend\": 42}, \"id\": 3}", "19", "3");
	atomic_store(&notified, 0);
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\": \"2.0\", \"method\": \"update\", \"params\": [1,2,3]}"));
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\"}"));
	CU_ASSERT_EQUAL(atomic_load(&notified), 2);
	expect_error("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\", \"id\": \"1\"}",
		     WS_RPC_METHOD_NOT_FOUND, "\"1\"", "foobar");
	expect_error("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]",
		     WS_RPC_PARSE_ERROR, "null", "Parse error");
	expect_error("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}",
		     WS_RPC_INVALID_REQUEST, "null", NULL);
	expect_error("[{\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},"
		     "{\"jsonrpc\": \"2.0\", \"method\"]", WS_RPC_PARSE_ERROR, "null", NULL);
}

static void test_parse_errors(void)
{
	expect_error("{", WS_RPC_PARSE_ERROR, "null", "column");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1} trailing",
		     WS_RPC_PARSE_ERROR, "null", NULL);
	/* Duplicate members would make "which id?" ambiguous. */
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1,\"id\":2}",
		     WS_RPC_PARSE_ERROR, "null", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get\\u0000data\",\"id\":1}",
		     WS_RPC_PARSE_ERROR, "null", NULL);
	expect_error("\xff\xfe", WS_RPC_PARSE_ERROR, "null", NULL);
	/* Blank lines get nothing; CR LF is a line end like LF. */
	CU_ASSERT_PTR_NULL(rpc_call(""));
	CU_ASSERT_PTR_NULL(rpc_call("  \r\n"));
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":7}\r\n", "[\"hello\",5]", "7");
}

static void test_invalid_requests(void)
{
	expect_error("1", WS_RPC_INVALID_REQUEST, "null", "not an object");
	expect_error("\"x\"", WS_RPC_INVALID_REQUEST, "null", NULL);
	expect_error("null", WS_RPC_INVALID_REQUEST, "null", NULL);
	expect_error("{\"method\":\"get_data\",\"id\":1}", WS_RPC_INVALID_REQUEST, "1", "jsonrpc");
	expect_error("{\"jsonrpc\":\"1.0\",\"method\":\"get_data\",\"id\":1}",
		     WS_RPC_INVALID_REQUEST, "1", "jsonrpc");
	expect_error("{\"jsonrpc\":2.0,\"method\":\"get_data\",\"id\":1}", WS_RPC_INVALID_REQUEST, "1", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1}", WS_RPC_INVALID_REQUEST, "1", "method");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}", WS_RPC_INVALID_REQUEST, "1", "method");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"params\":\"x\",\"id\":1}",
		     WS_RPC_INVALID_REQUEST, "1", "params");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"params\":3,\"id\":1}",
		     WS_RPC_INVALID_REQUEST, "1", "params");
	/* An id of a wrong type cannot be echoed: null. */
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":true}",
		     WS_RPC_INVALID_REQUEST, "null", "id");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":{}}",
		     WS_RPC_INVALID_REQUEST, "null", "id");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":[1]}",
		     WS_RPC_INVALID_REQUEST, "null", "id");
	/* Invalid even without an id: answered anyway. */
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":5}", WS_RPC_INVALID_REQUEST, "null", NULL);
	/* rpc.* names are reserved: never registered, so not found. */
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}",
		     WS_RPC_METHOD_NOT_FOUND, "1", NULL);
}

static void test_ids(void)
{
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":\"abc\"}", "[\"hello\",5]", "\"abc\"");
	/* id null is a request, not a notification. */
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":null}", "[\"hello\",5]", "null");
	expect_result("{\"id\":1.5,\"method\":\"get_data\",\"jsonrpc\":\"2.0\"}", "[\"hello\",5]", "1.5");
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":9007199254740993}",
		      "[\"hello\",5]", "9007199254740993");
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":-3}", "[\"hello\",5]", "-3");
}

static void test_invalid_params(void)
{
	const char *pre = "{\"jsonrpc\":\"2.0\",\"id\":4,";
	char buf[512];

#define CALL(rest) (snprintf(buf, sizeof(buf), "%s%s}", pre, rest), buf)
	expect_error(CALL("\"method\":\"subtract\",\"params\":[42]"),
		     WS_RPC_INVALID_PARAMS, "4", "'subtrahend' is missing");
	expect_error(CALL("\"method\":\"subtract\",\"params\":{\"minuend\":1}"),
		     WS_RPC_INVALID_PARAMS, "4", "'subtrahend'");
	expect_error(CALL("\"method\":\"subtract\",\"params\":{\"minuend\":1,\"subtrahend\":null}"),
		     WS_RPC_INVALID_PARAMS, "4", "'subtrahend' is missing");
	expect_error(CALL("\"method\":\"subtract\",\"params\":[1,2,3]"),
		     WS_RPC_INVALID_PARAMS, "4", "3 positional");
	expect_error(CALL("\"method\":\"subtract\",\"params\":{\"minuend\":1,\"subtrahend\":2,\"x\":3}"),
		     WS_RPC_INVALID_PARAMS, "4", "unknown parameter 'x'");
	expect_error(CALL("\"method\":\"subtract\",\"params\":[\"1\",2]"),
		     WS_RPC_INVALID_PARAMS, "4", "'minuend' must be an integer");
	expect_error(CALL("\"method\":\"subtract\",\"params\":[1.5,2]"),
		     WS_RPC_INVALID_PARAMS, "4", "'minuend'");
	expect_error(CALL("\"method\":\"get_data\",\"params\":[1]"), WS_RPC_INVALID_PARAMS, "4", NULL);
	expect_error(CALL("\"method\":\"get_data\",\"params\":{\"a\":1}"),
		     WS_RPC_INVALID_PARAMS, "4", "'a'");
	expect_result(CALL("\"method\":\"get_data\",\"params\":{}"), "[\"hello\",5]", "4");
	expect_result(CALL("\"method\":\"get_data\",\"params\":[]"), "[\"hello\",5]", "4");

	expect_error(CALL("\"method\":\"typed\",\"params\":{\"port\":0}"),
		     WS_RPC_INVALID_PARAMS, "4", "'port' must be an integer in 1..65535");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"port\":65536}"),
		     WS_RPC_INVALID_PARAMS, "4", "'port'");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"name\":1}"),
		     WS_RPC_INVALID_PARAMS, "4", "'name' must be a string");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"flag\":\"yes\"}"),
		     WS_RPC_INVALID_PARAMS, "4", "'flag'");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"list\":{}}"),
		     WS_RPC_INVALID_PARAMS, "4", "'list' must be an array");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"obj\":[]}"),
		     WS_RPC_INVALID_PARAMS, "4", "'obj' must be an object");
	expect_error(CALL("\"method\":\"typed\",\"params\":{\"num\":\"1\"}"),
		     WS_RPC_INVALID_PARAMS, "4", "'num' must be a number");
	/* A bad key is named, never quoted. */
	json_t *r = rpc_call(CALL("\"method\":\"typed\",\"params\":{\"key\":\"YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY\"}"));
	CU_ASSERT_EQUAL(err_code(r), WS_RPC_INVALID_PARAMS);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(r), "'key'"));
	CU_ASSERT_PTR_NULL(strstr(err_msg(r), "YWJj"));
	json_decref(r);
	snprintf(buf, sizeof(buf), "%s\"method\":\"typed\",\"params\":{\"port\":51820,\"name\":\"n\","
		 "\"flag\":false,\"key\":\"%s\",\"list\":[],\"obj\":{},\"num\":2.5}}", pre, secret_b64);
	r = rpc_call(buf);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(r, "result")), 7);
	json_decref(r);
	/* Positional params arrive as an object. */
	expect_result(CALL("\"method\":\"typed\",\"params\":[1,\"x\"]"), "{\"port\":1,\"name\":\"x\"}", "4");
	/* Notifications with bad params are not answered. */
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[1]}"));
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\"}"));
#undef CALL
}

static void test_handler_errors(void)
{
	json_t *r;

	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"fail_internal\",\"id\":1}",
		     WS_RPC_INTERNAL_ERROR, "1", "Cannot allocate memory");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"fail_bad_code\",\"id\":2}",
		     WS_RPC_INTERNAL_ERROR, "2", "Internal error");
	r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"fail_app\",\"id\":3}");
	CU_ASSERT_EQUAL(err_code(r), -32004);
	CU_ASSERT_STRING_EQUAL(err_msg(r), "no such peer");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
		json_object_get(r, "error"), "data"), "public_key")), "abc");
	json_decref(r);
	/* Failing notifications: silent, and nothing leaks (ASan). */
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"fail_app\"}"));
	CU_ASSERT_PTR_NULL(rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"fail_internal\"}"));
}

static void test_getters(void)
{
	char buf[512];
	json_t *r;

	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1}",
		      "{\"rs\":0,\"s\":null,\"ri\":0,\"i\":0,\"b\":false,\"rb\":0,\"rk\":0}", "1");
	expect_result("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,"
		      "\"params\":{\"s\":\"x\",\"i\":80,\"b\":true,\"k\":null}}",
		      "{\"rs\":1,\"s\":\"x\",\"ri\":1,\"i\":80,\"b\":true,\"rb\":1,\"rk\":0}", "1");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,\"params\":{\"s\":2}}",
		     WS_RPC_INVALID_PARAMS, "1", "'s' must be a string");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,\"params\":{\"i\":0}}",
		     WS_RPC_INVALID_PARAMS, "1", "'i' must be an integer in 1..65535");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,\"params\":{\"b\":1}}",
		     WS_RPC_INVALID_PARAMS, "1", "'b' must be true or false");
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,\"params\":{\"k\":\"short\"}}",
		     WS_RPC_INVALID_PARAMS, "1", "'k' must be a 32-byte key");
	snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"method\":\"getters\",\"id\":1,"
		 "\"params\":{\"k\":\"%s\"}}", secret_b64);
	r = rpc_call(buf);
	/* "abc..." in base64: the first key byte is 'a'. */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "result"), "k0")), 'a');
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "result"), "rk")), 1);
	json_decref(r);
}

static void test_batches(void)
{
	json_t *r, *e;
	size_t i;

	/* The specification's mixed batch. */
	atomic_store(&notified, 0);
	r = rpc_call("[{\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},"
		     "{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", \"params\": [7]},"
		     "{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42,23], \"id\": \"2\"},"
		     "{\"foo\": \"boo\"},"
		     "{\"jsonrpc\": \"2.0\", \"method\": \"foo.get\", \"params\": {\"name\": \"myself\"}, \"id\": \"5\"},"
		     "{\"jsonrpc\": \"2.0\", \"method\": \"get_data\", \"id\": \"9\"}]");
	CU_ASSERT_TRUE_FATAL(json_is_array(r));
	CU_ASSERT_EQUAL(json_array_size(r), 5);
	CU_ASSERT_EQUAL(atomic_load(&notified), 1);
	json_array_foreach(r, i, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		if (id == NULL) {
			CU_ASSERT_EQUAL(err_code(e), WS_RPC_INVALID_REQUEST);
		} else if (strcmp(id, "1") == 0) {
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "result")), 7);
		} else if (strcmp(id, "2") == 0) {
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "result")), 19);
		} else if (strcmp(id, "5") == 0) {
			CU_ASSERT_EQUAL(err_code(e), WS_RPC_METHOD_NOT_FOUND);
		} else {
			CU_ASSERT_STRING_EQUAL(id, "9");
			CU_ASSERT_TRUE(json_is_array(json_object_get(e, "result")));
		}
	}
	json_decref(r);

	/* Not requests: one error each. */
	r = rpc_call("[1,2,3]");
	CU_ASSERT_EQUAL(json_array_size(r), 3);
	json_array_foreach(r, i, e) {
		CU_ASSERT_EQUAL(err_code(e), WS_RPC_INVALID_REQUEST);
		CU_ASSERT_TRUE(json_is_null(json_object_get(e, "id")));
	}
	json_decref(r);
	r = rpc_call("[1]");
	CU_ASSERT_TRUE(json_is_array(r) && json_array_size(r) == 1);
	json_decref(r);
	/* A batch inside a batch is just an invalid element. */
	r = rpc_call("[[{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1}]]");
	CU_ASSERT_EQUAL(json_array_size(r), 1);
	CU_ASSERT_EQUAL(err_code(json_array_get(r, 0)), WS_RPC_INVALID_REQUEST);
	json_decref(r);

	/* Empty: one error object, not an array. */
	expect_error("[]", WS_RPC_INVALID_REQUEST, "null", "empty batch");
	expect_error(" [ ] ", WS_RPC_INVALID_REQUEST, "null", NULL);

	/* Only notifications: no reply at all, every one run. */
	atomic_store(&notified, 0);
	CU_ASSERT_PTR_NULL(rpc_call("[{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\",\"params\":[1,2,4]},"
				    "{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\",\"params\":[7]},"
				    "{\"jsonrpc\":\"2.0\",\"method\":\"fail_app\"}]"));
	CU_ASSERT_EQUAL(atomic_load(&notified), 1);
}

static void test_register(void)
{
	static const struct ws_rpc_param dup[] = {
		{ "a", WS_RPC_INT, false, 0, 0 }, { "a", WS_RPC_INT, false, 0, 0 }, { NULL, 0, false, 0, 0 },
	};
	static const struct ws_rpc_param empty[] = { { "", WS_RPC_INT, false, 0, 0 }, { NULL, 0, false, 0, 0 } };
	struct ws_rpc *r = ws_rpc_create(NULL);
	struct ws_rpc_method m = { "m", h_get_data, NULL };
	const char *names[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ws_rpc_methods_list(r, names, 4), 0);
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), 0);
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EEXIST);
	m.name = "rpc.x";
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EINVAL);
	m.name = "";
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EINVAL);
	m.name = "n";
	m.handler = NULL;
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EINVAL);
	m.handler = h_get_data;
	m.params = dup;
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EINVAL);
	m.params = empty;
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), -EINVAL);
	m.params = p_sum;
	CU_ASSERT_EQUAL(ws_rpc_register(r, &m), 0);
	CU_ASSERT_EQUAL(ws_rpc_methods_list(r, names, 1), 2);
	CU_ASSERT_STRING_EQUAL(names[0], "m");
	CU_ASSERT_EQUAL(ws_rpc_methods_list(r, names, 4), 2);
	CU_ASSERT_STRING_EQUAL(names[1], "n");
	ws_rpc_destroy(r);
	ws_rpc_destroy(NULL);

	size_t n = ws_rpc_methods_list(rpc, names, 0);
	CU_ASSERT_EQUAL(n, sizeof(methods) / sizeof(methods[0]));
}

/* ---- over a socket ---- */

struct runner {
	struct ws_sockserver *s;
	pthread_t thread;
	atomic_bool stop;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	while (!atomic_load(&r->stop))
		ws_sockserver_run(r->s, 1000);
	return NULL;
}

static void start(struct runner *r, size_t max_request)
{
	r->s = ws_rpc_listen(rpc, sock_path, max_request);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->s);
	atomic_store(&r->stop, false);
	pthread_create(&r->thread, NULL, run_thread, r);
}

static void stop(struct runner *r)
{
	atomic_store(&r->stop, true);
	ws_sockserver_wake(r->s);
	pthread_join(r->thread, NULL);
	ws_sockserver_destroy(r->s);
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool send_str(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		s += n;
		len -= (size_t)n;
	}
	return true;
}

/* The next reply line, parsed; NULL on EOF, error or timeout. */
static json_t *read_reply(int fd)
{
	char buf[8192];
	size_t n = 0;

	while (n + 1 < sizeof(buf)) {
		if (recv(fd, buf + n, 1, 0) != 1)
			return NULL;
		if (buf[n] == '\n')
			return json_loadb(buf, n, 0, NULL);
		n++;
	}
	return NULL;
}

static bool closed_by_server(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, 0);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

struct worker {
	int id, ok;
};

static void *rpc_client(void *arg)
{
	struct worker *w = arg;
	char req[160], want_id[32];
	int fd = client();

	for (int k = 0; fd >= 0 && k < 100; k++) {
		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"subtract\","
			 "\"params\":[%d,%d],\"id\":\"c%d-%d\"}\n", w->id * 1000 + k, k, w->id, k);
		snprintf(want_id, sizeof(want_id), "c%d-%d", w->id, k);
		if (!send_str(fd, req))
			break;
		json_t *r = read_reply(fd);
		if (r == NULL)
			break;
		if (json_integer_value(json_object_get(r, "result")) == w->id * 1000 &&
		    strcmp(json_string_value(json_object_get(r, "id")), want_id) == 0)
			w->ok++;
		json_decref(r);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_socket_concurrent_clients(void)
{
	struct runner r;
	pthread_t t[8];
	struct worker w[8];
	int idle;

	start(&r, 0);
	/* Connected, silent, and in nobody's way. */
	idle = client();
	CU_ASSERT(idle >= 0);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .id = i + 1 };
		pthread_create(&t[i], NULL, rpc_client, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].ok, 100);
	}
	close(idle);
	stop(&r);
}

static void test_socket_oversized_and_batches(void)
{
	struct runner r;
	json_t *rep;
	char big[6000];
	int fd;

	start(&r, 4096);
	fd = client();
	CU_ASSERT_FATAL(fd >= 0);
	/* A notification gets nothing: the next line answers the next request. */
	CU_ASSERT(send_str(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\"}\n"
			   "[{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\"}]\n"
			   "\n"
			   "[{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1},"
			   "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":2}]\n"));
	rep = read_reply(fd);
	CU_ASSERT_TRUE(json_is_array(rep) && json_array_size(rep) == 2);
	CU_ASSERT_EQUAL(err_code(json_array_get(rep, 1)), WS_RPC_METHOD_NOT_FOUND);
	json_decref(rep);
	/* A parse error leaves the connection usable. */
	CU_ASSERT(send_str(fd, "{oops\n{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":3}\n"));
	rep = read_reply(fd);
	CU_ASSERT_EQUAL(err_code(rep), WS_RPC_PARSE_ERROR);
	json_decref(rep);
	rep = read_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rep, "id")), 3);
	json_decref(rep);
	/* Oversized: -32600 with id null, then the connection is closed. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":4", 40);
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT(send_str(fd, big));
	rep = read_reply(fd);
	CU_ASSERT_EQUAL(err_code(rep), WS_RPC_INVALID_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(rep), "4096"));
	CU_ASSERT_TRUE(json_is_null(json_object_get(rep, "id")));
	json_decref(rep);
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* Others are unaffected. */
	fd = client();
	CU_ASSERT(send_str(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":5}\n"));
	rep = read_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rep, "id")), 5);
	json_decref(rep);
	close(fd);
	stop(&r);
}

/* ---- wirespeedctl against the server ---- */

static char ctl_path[PATH_MAX];

/* build/tests/unit/test_jsonrpc -> build/app/wirespeedctl/wirespeedctl */
static bool find_ctl(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env = getenv("WIRESPEEDCTL");

	if (env != NULL) {
		snprintf(ctl_path, sizeof(ctl_path), "%s", env);
		return access(ctl_path, X_OK) == 0;
	}
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (slash == NULL)
			return false;
		*slash = '\0';
	}
	snprintf(ctl_path, sizeof(ctl_path), "%.3900s/app/wirespeedctl/wirespeedctl", exe);
	return access(ctl_path, X_OK) == 0;
}

/* Runs wirespeedctl with args; returns its exit status, output (stdout + stderr) in out. */
static int ctl(char *out, size_t cap, const char *args)
{
	char cmd[PATH_MAX + 1024];
	size_t n = 0;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", ctl_path, args);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_in(const char *out, const char *needle)
{
	if (strstr(out, needle) == NULL) {
		printf("\n  output lacks \"%s\":\n%s\n", needle, out);
		CU_FAIL("wirespeedctl output");
	}
}

static void test_wirespeedctl(void)
{
	char out[8192], args[512], dead_path[100];
	struct runner r;
	json_t *j, *want;

	if (!find_ctl()) {
		printf("\n  wirespeedctl not built next to this test; skipped (set WIRESPEEDCTL)\n");
		return;
	}
	start(&r, 0);
#define CTL(fmt, ...) (snprintf(args, sizeof(args), "-s %s " fmt, sock_path, ##__VA_ARGS__), \
		       ctl(out, sizeof(out), args))
	CU_ASSERT_EQUAL(CTL("gateway.info"), 0);
	expect_in(out, "version: 0.1.0");
	expect_in(out, "uptime:  1h 1m 1s");
	expect_in(out, "lcores:\n  rx:      0\n  workers: 1\n");

	CU_ASSERT_EQUAL(CTL("peer.list"), 0);
	expect_in(out, "PUBLIC KEY");
	expect_in(out, "LATEST HANDSHAKE");
	expect_in(out, "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=  192.0.2.2:51820  10.2.0.0/24,fd00:2::/64");
	expect_in(out, "never");
	expect_in(out, "1.00 KiB");
	expect_in(out, "3.00 MiB");
	expect_in(out, "every 25s");
	expect_in(out, "(none)");
	expect_in(out, "1m 5s ago");

	CU_ASSERT_EQUAL(CTL("--json peer.list"), 0);
	j = json_loads(out, 0, NULL);
	CU_ASSERT_TRUE(json_is_array(j) && json_array_size(j) == 2);
	json_decref(j);

	/* How key=value words become params. */
	CU_ASSERT_EQUAL(CTL("-j echo a=1 b=x,y c:='\"3\"' d=true e='[1,2]' f=1.5 g=null b=z "
			    "h=10.0.0.0/24, format=%s", secret_b64), 0);
	j = json_loads(out, 0, NULL);
	want = json_pack("{s:i, s:[s,s,s], s:s, s:b, s:[i,i], s:f, s:n, s:[s], s:s}",
			 "a", 1, "b", "x", "y", "z", "c", "3", "d", 1, "e", 1, 2, "f", 1.5,
			 "g", "h", "10.0.0.0/24", "format", secret_b64);
	CU_ASSERT_TRUE(json_equal(j, want));
	if (!json_equal(j, want))
		printf("\n  got: %s\n", out);
	json_decref(j);
	json_decref(want);

	CU_ASSERT_EQUAL(CTL("stats.get"), 0);
	expect_in(out, "ports:\n  NAME  RX PACKETS  TX PACKETS\n  wan   10          20\n");
	expect_in(out, "drops:\n  bad_mac1: 2\n  replay:   3\n");

	CU_ASSERT_EQUAL(CTL("metrics"), 0);
	CU_ASSERT_STRING_EQUAL(out, prom_text);

	CU_ASSERT_EQUAL(CTL("fail_app"), 2);
	expect_in(out, "fail_app failed: no such peer (code -32004)");
	expect_in(out, "\"public_key\":\"abc\"");
	CU_ASSERT_EQUAL(CTL("--json fail_app"), 2);
	expect_in(out, "\"code\": -32004");
	CU_ASSERT_EQUAL(CTL("nosuch.method"), 2);
	expect_in(out, "Method not found");
	CU_ASSERT_EQUAL(CTL("subtract minuend=1"), 2);
	expect_in(out, "'subtrahend' is missing");
	CU_ASSERT_EQUAL(CTL("echo notkeyvalue"), 64);
	CU_ASSERT_EQUAL(CTL(""), 64);
	CU_ASSERT_EQUAL(ctl(out, sizeof(out), "--help"), 0);
	expect_in(out, "key:=JSON");
	stop(&r);

	/* Not running: the socket is gone. */
	CU_ASSERT_EQUAL(CTL("gateway.info"), 1);
	expect_in(out, "gateway not running? no socket at ");
	/* A socket nobody answers on: the timeout. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(dead_path, sizeof(dead_path), "%s/mute.sock", tmpdir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", dead_path);
	CU_ASSERT_EQUAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL(listen(lfd, 4), 0);
	snprintf(args, sizeof(args), "-s %s -t 1 gateway.info", dead_path);
	CU_ASSERT_EQUAL(ctl(out, sizeof(out), args), 1);
	expect_in(out, "no reply from");
	close(lfd);
	unlink(dead_path);
#undef CTL
}

static int suite_init(void)
{
	if (ws_crypto_init() < 0)
		return -1;
	rpc = ws_rpc_create(NULL);
	if (rpc == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (ws_rpc_register(rpc, &methods[i]) < 0)
			return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ws_jsonrpc_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/wg0.sock", tmpdir);
	return 0;
}

static int suite_cleanup(void)
{
	ws_rpc_destroy(rpc);
	unlink(sock_path);
	return rmdir(tmpdir);
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_spec_examples),
		WS_TEST(test_parse_errors),
		WS_TEST(test_invalid_requests),
		WS_TEST(test_ids),
		WS_TEST(test_invalid_params),
		WS_TEST(test_handler_errors),
		WS_TEST(test_getters),
		WS_TEST(test_batches),
		WS_TEST(test_register),
		WS_TEST(test_socket_concurrent_clients),
		WS_TEST(test_socket_oversized_and_batches),
		WS_TEST(test_wirespeedctl),
		{ 0 },
	};
	return ws_test_run("jsonrpc", tests, suite_init, suite_cleanup);
}
