/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "secmem.h"
#include "sockserver.h"

struct rpc_entry {
	struct ws_rpc_method m;
	unsigned n_params;
};

struct ws_rpc {
	void *ctx;
	struct rpc_entry *methods;
	unsigned n_methods;
};

/* Client-supplied names quoted in messages are cut to this many characters. */
#define NAME_FMT "%.64s"

struct ws_rpc *ws_rpc_create(void *ctx)
{
	struct ws_rpc *rpc = calloc(1, sizeof(*rpc));

	if (rpc == NULL)
		return NULL;
	rpc->ctx = ctx;
	return rpc;
}

void ws_rpc_destroy(struct ws_rpc *rpc)
{
	if (rpc == NULL)
		return;
	free(rpc->methods);
	free(rpc);
}

static const struct rpc_entry *find_method(const struct ws_rpc *rpc, const char *name)
{
	for (unsigned i = 0; i < rpc->n_methods; i++)
		if (strcmp(rpc->methods[i].m.name, name) == 0)
			return &rpc->methods[i];
	return NULL;
}

int ws_rpc_register(struct ws_rpc *rpc, const struct ws_rpc_method *m)
{
	unsigned n = 0;
	struct rpc_entry *grown;

	if (m == NULL || m->name == NULL || m->name[0] == '\0' || m->handler == NULL ||
	    strncmp(m->name, "rpc.", 4) == 0)
		return -EINVAL;
	for (; m->params != NULL && m->params[n].name != NULL; n++) {
		if (n == WS_RPC_PARAMS_MAX || m->params[n].name[0] == '\0')
			return -EINVAL;
		for (unsigned j = 0; j < n; j++)
			if (strcmp(m->params[j].name, m->params[n].name) == 0)
				return -EINVAL;
	}
	if (find_method(rpc, m->name) != NULL)
		return -EEXIST;
	if (rpc->n_methods == WS_RPC_METHODS_MAX)
		return -ENOSPC;
	grown = realloc(rpc->methods, (rpc->n_methods + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	rpc->methods = grown;
	rpc->methods[rpc->n_methods].m = *m;
	rpc->methods[rpc->n_methods].n_params = n;
	rpc->n_methods++;
	return 0;
}

size_t ws_rpc_methods_list(const struct ws_rpc *rpc, const char **names, size_t cap)
{
	for (size_t i = 0; i < rpc->n_methods && i < cap; i++)
		names[i] = rpc->methods[i].m.name;
	return rpc->n_methods;
}

int ws_rpc_error_set(struct ws_rpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int invalid_param(struct ws_rpc_error *err, const char *name, const char *what)
{
	return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
				"Invalid params: parameter '" NAME_FMT "' %s", name, what);
}

static json_t *present(json_t *params, const char *name)
{
	json_t *v = json_is_object(params) ? json_object_get(params, name) : NULL;

	return v == NULL || json_is_null(v) ? NULL : v;
}

int ws_rpc_get_string(json_t *params, const char *name, const char **out,
		      struct ws_rpc_error *err)
{
	json_t *v = present(params, name);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return invalid_param(err, name, "must be a string");
	*out = json_string_value(v);
	return 1;
}

int ws_rpc_get_int(json_t *params, const char *name, int64_t min, int64_t max,
		   int64_t *out, struct ws_rpc_error *err)
{
	json_t *v = present(params, name);
	char what[96];

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = json_integer_value(v);
		return 1;
	}
	snprintf(what, sizeof(what), "must be an integer in %" PRId64 "..%" PRId64, min, max);
	return invalid_param(err, name, what);
}

int ws_rpc_get_bool(json_t *params, const char *name, bool *out, struct ws_rpc_error *err)
{
	json_t *v = present(params, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return invalid_param(err, name, "must be true or false");
	*out = json_is_true(v);
	return 1;
}

int ws_rpc_get_key(json_t *params, const char *name, uint8_t key[WS_KEY_LEN],
		   struct ws_rpc_error *err)
{
	json_t *v = present(params, name);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || ws_key_from_base64(key, json_string_value(v)) < 0) {
		ws_memzero(key, WS_KEY_LEN);
		return invalid_param(err, name, "must be a 32-byte key in base64 (44 characters)");
	}
	return 1;
}

/* Checks one declared parameter's value (not null). */
static int check_param(const struct ws_rpc_param *p, json_t *v, struct ws_rpc_error *err)
{
	uint8_t key[WS_KEY_LEN];
	int64_t min = p->min, max = p->max;
	int ret = 0;

	switch (p->type) {
	case WS_RPC_ANY:
		break;
	case WS_RPC_STRING:
		if (!json_is_string(v))
			ret = invalid_param(err, p->name, "must be a string");
		break;
	case WS_RPC_INT:
		if (min == 0 && max == 0) {
			min = INT64_MIN;
			max = INT64_MAX;
		}
		if (!json_is_integer(v)) {
			ret = invalid_param(err, p->name, "must be an integer");
		} else if (json_integer_value(v) < min || json_integer_value(v) > max) {
			char what[96];
			snprintf(what, sizeof(what), "must be an integer in %" PRId64 "..%" PRId64,
				 min, max);
			ret = invalid_param(err, p->name, what);
		}
		break;
	case WS_RPC_NUMBER:
		if (!json_is_number(v))
			ret = invalid_param(err, p->name, "must be a number");
		break;
	case WS_RPC_BOOL:
		if (!json_is_boolean(v))
			ret = invalid_param(err, p->name, "must be true or false");
		break;
	case WS_RPC_ARRAY:
		if (!json_is_array(v))
			ret = invalid_param(err, p->name, "must be an array");
		break;
	case WS_RPC_OBJECT:
		if (!json_is_object(v))
			ret = invalid_param(err, p->name, "must be an object");
		break;
	case WS_RPC_KEY:
		if (!json_is_string(v) || ws_key_from_base64(key, json_string_value(v)) < 0)
			ret = invalid_param(err, p->name,
					    "must be a 32-byte key in base64 (44 characters)");
		ws_memzero(key, sizeof(key));
		break;
	}
	return ret;
}

/*
 * Turns the request's params (absent, object or array) into an object
 * that satisfies the method's table, or fails with -32602.
 */
static json_t *normalize_params(const struct rpc_entry *e, json_t *params,
				struct ws_rpc_error *err)
{
	const struct ws_rpc_param *table = e->m.params;
	json_t *obj;

	if (params == NULL)
		obj = json_object();
	else if (json_is_object(params))
		obj = json_incref(params);
	else if (json_array_size(params) > e->n_params) {
		ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
				 "Invalid params: %zu positional parameters, the method takes %u",
				 json_array_size(params), e->n_params);
		return NULL;
	} else {
		obj = json_object();
		for (size_t i = 0; obj != NULL && i < json_array_size(params); i++)
			if (json_object_set(obj, table[i].name, json_array_get(params, i)) < 0) {
				json_decref(obj);
				obj = NULL;
			}
	}
	if (obj == NULL) {
		ws_rpc_error_set(err, WS_RPC_INTERNAL_ERROR, "Internal error: out of memory");
		return NULL;
	}

	const char *name;
	json_t *v;
	json_object_foreach(obj, name, v) {
		unsigned i = 0;
		while (i < e->n_params && strcmp(table[i].name, name) != 0)
			i++;
		if (i == e->n_params) {
			ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
					 "Invalid params: unknown parameter '" NAME_FMT "'", name);
			goto fail;
		}
		if (!json_is_null(v) && check_param(&table[i], v, err) < 0)
			goto fail;
	}
	for (unsigned i = 0; i < e->n_params; i++)
		if (table[i].required && present(obj, table[i].name) == NULL) {
			invalid_param(err, table[i].name, "is missing");
			goto fail;
		}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *error_reply(json_t *id, int code, const char *message, json_t *data)
{
	json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message);

	if (e != NULL && data != NULL && json_object_set(e, "data", data) < 0) {
		json_decref(e);
		e = NULL;
	}
	if (e == NULL)
		return NULL;
	return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "error", e,
			 "id", id != NULL ? id : json_null());
}

static bool app_code(int code)
{
	return code == WS_RPC_INVALID_PARAMS || code == WS_RPC_INTERNAL_ERROR ||
	       (code >= WS_RPC_APP_ERROR_MIN && code <= WS_RPC_APP_ERROR_MAX);
}

static json_t *call(struct ws_rpc *rpc, const struct rpc_entry *e, json_t *params, json_t *id)
{
	struct ws_rpc_error err = { 0 };
	json_t *result = NULL, *reply;
	int ret = e->m.handler(rpc->ctx, params, &result, &err);

	if (ret >= 0) {
		json_decref(err.data);
		if (id == NULL) {
			json_decref(result);
			return NULL;
		}
		return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0",
				 "result", result != NULL ? result : json_null(), "id", id);
	}
	json_decref(result);
	if (!app_code(err.code) || err.message[0] == '\0') {
		char buf[64];
		if (!app_code(err.code))
			err.code = WS_RPC_INTERNAL_ERROR;
		snprintf(err.message, sizeof(err.message), "%s: %s",
			 err.code == WS_RPC_INTERNAL_ERROR ? "Internal error" :
			 err.code == WS_RPC_INVALID_PARAMS ? "Invalid params" : "Server error",
			 strerror_r(-ret, buf, sizeof(buf)));
	}
	reply = id != NULL ? error_reply(id, err.code, err.message, err.data) : NULL;
	json_decref(err.data);
	return reply;
}

/* The reply to one request object (or any other batch element), or NULL. */
static json_t *handle_one(struct ws_rpc *rpc, json_t *req)
{
	struct ws_rpc_error err = { 0 };
	const struct rpc_entry *e;
	json_t *id, *version, *method, *params, *reply;

	if (!json_is_object(req))
		return error_reply(NULL, WS_RPC_INVALID_REQUEST,
				   "Invalid Request: not an object", NULL);
	id = json_object_get(req, "id");
	version = json_object_get(req, "jsonrpc");
	method = json_object_get(req, "method");
	params = json_object_get(req, "params");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id))
		return error_reply(NULL, WS_RPC_INVALID_REQUEST,
				   "Invalid Request: id must be a string, a number or null", NULL);
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
		return error_reply(id, WS_RPC_INVALID_REQUEST,
				   "Invalid Request: jsonrpc must be \"2.0\"", NULL);
	if (!json_is_string(method))
		return error_reply(id, WS_RPC_INVALID_REQUEST,
				   "Invalid Request: method must be a string", NULL);
	if (params != NULL && !json_is_object(params) && !json_is_array(params))
		return error_reply(id, WS_RPC_INVALID_REQUEST,
				   "Invalid Request: params must be an object or an array", NULL);

	e = find_method(rpc, json_string_value(method));
	if (e == NULL) {
		char msg[WS_RPC_MESSAGE_MAX];
		if (id == NULL)
			return NULL;
		snprintf(msg, sizeof(msg), "Method not found: " NAME_FMT, json_string_value(method));
		return error_reply(id, WS_RPC_METHOD_NOT_FOUND, msg, NULL);
	}
	params = normalize_params(e, params, &err);
	if (params == NULL)
		return id != NULL ? error_reply(id, err.code, err.message, NULL) : NULL;
	reply = call(rpc, e, params, id);
	json_decref(params);
	return reply;
}

/*
 * Whether an element gets a reply: requests do, and so does anything that
 * is not a well-formed notification.
 */
static bool reply_due(json_t *req)
{
	json_t *v = json_object_get(req, "jsonrpc"), *m = json_object_get(req, "method"),
	       *p = json_object_get(req, "params");

	return !json_is_object(req) || json_object_get(req, "id") != NULL ||
	       !json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0 ||
	       !json_is_string(m) || (p != NULL && !json_is_object(p) && !json_is_array(p));
}

/* handle_one, telling a reply that is due but could not be built (out of memory). */
static json_t *handle_elem(struct ws_rpc *rpc, json_t *req, bool *oom)
{
	bool due = reply_due(req);
	json_t *reply = handle_one(rpc, req);

	if (reply == NULL && due)
		*oom = true;
	return reply;
}

static char *to_line(json_t *reply, size_t *reply_len)
{
	const size_t flags = JSON_COMPACT;
	size_t n = json_dumpb(reply, NULL, 0, flags);
	char *line;

	if (n == 0) {
		errno = ENOMEM;
		return NULL;
	}
	line = malloc(n + 1);
	if (line == NULL)
		return NULL;
	/* The second pass may allocate too (and fail): a short line is no reply. */
	if (json_dumpb(reply, line, n, flags) != n) {
		free(line);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	*reply_len = n + 1;
	return line;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

char *ws_rpc_dispatch(struct ws_rpc *rpc, const char *line, size_t len, size_t *reply_len)
{
	json_error_t jerr;
	json_t *root, *reply;
	char *out = NULL;
	bool oom = false;
	unsigned long failed;

	if (blank(line, len)) {
		errno = 0;
		return NULL;
	}
	failed = ws_secmem_alloc_failures();
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (ws_secmem_alloc_failures() != failed ||
	    (root == NULL && json_error_code(&jerr) == json_error_out_of_memory)) {
		/*
		 * An allocation failed while parsing: the value may be damaged
		 * or the "syntax error" false (secmem.h). Not the client's fault.
		 */
		json_decref(root);
		root = NULL;
		reply = error_reply(NULL, WS_RPC_INTERNAL_ERROR, "Internal error: out of memory",
				    NULL);
		oom = reply == NULL;
	} else if (root == NULL) {
		char msg[WS_RPC_MESSAGE_MAX];
		snprintf(msg, sizeof(msg), "Parse error at line %d, column %d",
			 jerr.line, jerr.column);
		reply = error_reply(NULL, WS_RPC_PARSE_ERROR, msg, NULL);
		oom = reply == NULL;
	} else if (!json_is_array(root)) {
		reply = handle_elem(rpc, root, &oom);
	} else if (json_array_size(root) == 0) {
		reply = error_reply(NULL, WS_RPC_INVALID_REQUEST,
				    "Invalid Request: empty batch", NULL);
		oom = reply == NULL;
	} else {
		reply = json_array();
		oom = reply == NULL;
		for (size_t i = 0; reply != NULL && i < json_array_size(root); i++) {
			json_t *r = handle_elem(rpc, json_array_get(root, i), &oom);
			if (r != NULL && json_array_append_new(reply, r) < 0)
				oom = true;
		}
		/* All notifications: nothing at all is sent. */
		if (reply != NULL && json_array_size(reply) == 0 && !oom) {
			json_decref(reply);
			reply = NULL;
		}
	}
	if (reply != NULL && !oom)
		out = to_line(reply, reply_len);
	if (out == NULL && (oom || reply != NULL)) {
		/*
		 * Some reply could not be built: a fixed error line, which
		 * needs nothing from jansson, rather than a client left waiting.
		 */
		static const char line_oom[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,"
			"\"message\":\"Internal error: out of memory\"},\"id\":null}\n";

		out = strdup(line_oom);
		if (out != NULL)
			*reply_len = sizeof(line_oom) - 1;
	}
	json_decref(reply);
	json_decref(root);
	if (out == NULL)
		errno = oom || reply != NULL ? ENOMEM : 0;
	return out;
}

char *ws_rpc_error_line(int code, const char *message, size_t *reply_len)
{
	json_t *reply = error_reply(NULL, code, message, NULL);
	char *out;

	if (reply == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	out = to_line(reply, reply_len);
	json_decref(reply);
	return out;
}

static size_t rpc_frame(const char *buf, size_t len, size_t from)
{
	const char *nl = memchr(buf + from, '\n', len - from);

	return nl == NULL ? 0 : (size_t)(nl - buf) + 1;
}

static int rpc_handle(void *ctx, struct ws_sockconn *c, const char *req, size_t len)
{
	size_t n = 0;
	char *reply = ws_rpc_dispatch(ctx, req, len, &n);
	int ret = 0;

	if (reply == NULL)
		return errno == 0 ? 0 : -errno;
	if (ws_sockconn_send(c, reply, n) < 0)
		ret = -ENOBUFS;
	/* A reply may carry a key (key.generate). */
	ws_memzero(reply, n);
	free(reply);
	return ret;
}

static void rpc_oversized(void *ctx, struct ws_sockconn *c, size_t max_request)
{
	char msg[WS_RPC_MESSAGE_MAX];
	size_t n = 0;
	char *reply;

	(void)ctx;
	snprintf(msg, sizeof(msg), "Invalid Request: request larger than %zu bytes", max_request);
	reply = ws_rpc_error_line(WS_RPC_INVALID_REQUEST, msg, &n);
	if (reply != NULL)
		ws_sockconn_send(c, reply, n);
	free(reply);
}

static const struct ws_sockserver_ops rpc_ops = {
	.frame = rpc_frame,
	.handle = rpc_handle,
	.oversized = rpc_oversized,
};

struct ws_sockserver *ws_rpc_listen(struct ws_rpc *rpc, const char *path, size_t max_request)
{
	struct ws_sockserver_conf conf = {
		.path = path,
		.ops = &rpc_ops,
		.ctx = rpc,
		.max_request = max_request,
	};

	return ws_sockserver_create(&conf);
}
