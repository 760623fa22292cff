/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) on jansson: a
 * method table and the dispatch of one newline-delimited request line,
 * batches included. Transport-free; ws_rpc_listen puts it on a
 * ws_sockserver.
 *
 * Each method declares its parameters; the dispatcher checks them before
 * the handler runs (-32602 naming the parameter) and hands the handler
 * an object even when the client sent positional (array) params.
 * Handlers return 0 with *result (a new reference, NULL for null), or a
 * negative errno with err filled in: -32602, -32603 or an application
 * code in -32000..-32099 with an optional data member. A failure that
 * leaves err untouched becomes -32603.
 */
#ifndef WS_JSONRPC_H
#define WS_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ws_crypto.h"

struct ws_sockserver;

enum ws_rpc_code {
	WS_RPC_PARSE_ERROR = -32700,
	WS_RPC_INVALID_REQUEST = -32600,
	WS_RPC_METHOD_NOT_FOUND = -32601,
	WS_RPC_INVALID_PARAMS = -32602,
	WS_RPC_INTERNAL_ERROR = -32603,
	WS_RPC_APP_ERROR_MAX = -32000,  /* application errors: -32099..-32000 */
	WS_RPC_APP_ERROR_MIN = -32099,
};

enum {
	WS_RPC_MESSAGE_MAX = 160,
	WS_RPC_METHODS_MAX = 256,
	WS_RPC_PARAMS_MAX = 32,
};

struct ws_rpc_error {
	int code;                       /* 0: not set */
	char message[WS_RPC_MESSAGE_MAX];
	json_t *data;                   /* optional; the dispatcher takes the reference */
};

typedef int (*ws_rpc_handler)(void *ctx, json_t *params, json_t **result,
			      struct ws_rpc_error *err);

enum ws_rpc_type {
	WS_RPC_ANY,
	WS_RPC_STRING,
	WS_RPC_INT,                     /* an integer in [min, max] */
	WS_RPC_NUMBER,                  /* integer or real */
	WS_RPC_BOOL,
	WS_RPC_ARRAY,
	WS_RPC_OBJECT,
	WS_RPC_KEY,                     /* a 32-byte key in base64, as wg(8) prints it */
};

struct ws_rpc_param {
	const char *name;
	enum ws_rpc_type type;
	bool required;
	int64_t min, max;               /* WS_RPC_INT; both 0 means any integer */
};

/*
 * A method. name, params and the strings they point to must outlive the
 * registry (static tables). params ends with an entry whose name is NULL;
 * positional params map onto it in order. NULL params: the method takes
 * none.
 */
struct ws_rpc_method {
	const char *name;
	ws_rpc_handler handler;
	const struct ws_rpc_param *params;
};

struct ws_rpc;

/* An empty registry whose handlers get ctx. NULL and errno on failure. */
struct ws_rpc *ws_rpc_create(void *ctx);
void ws_rpc_destroy(struct ws_rpc *rpc);

/*
 * Adds a method: 0, -EEXIST for a name taken, -EINVAL for an empty name,
 * the reserved "rpc." prefix, a parameter table past WS_RPC_PARAMS_MAX or
 * with an empty or repeated name, -ENOSPC past WS_RPC_METHODS_MAX.
 */
int ws_rpc_register(struct ws_rpc *rpc, const struct ws_rpc_method *m);

/* Registered method names in registration order; returns the count, fills up to cap. */
size_t ws_rpc_methods_list(const struct ws_rpc *rpc, const char **names, size_t cap);

/*
 * Handles one request line (a single request or a batch; a trailing
 * newline or CR is ignored). Returns the reply as one line ending in
 * '\n' (free() it; *reply_len its length without a NUL), or NULL when
 * nothing is to be sent: notifications, all-notification batches and
 * blank lines, or when out of memory (errno set then, 0 otherwise).
 */
char *ws_rpc_dispatch(struct ws_rpc *rpc, const char *line, size_t len, size_t *reply_len);

/* A reply line with id null carrying an error; for transport failures. */
char *ws_rpc_error_line(int code, const char *message, size_t *reply_len);

/*
 * Serves rpc on a Unix socket at path (see ws_sockserver_create); requests
 * over max_request bytes (0: default) get -32600 and the client is closed.
 */
struct ws_sockserver *ws_rpc_listen(struct ws_rpc *rpc, const char *path, size_t max_request);

/* Sets err; returns -EINVAL so a handler can `return ws_rpc_error_set(...)`. */
int ws_rpc_error_set(struct ws_rpc_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Typed parameter getters for handlers. Each returns 1 with *out set
 * when the parameter is present, 0 when it is absent or null, and
 * -EINVAL with err set to -32602 (naming the parameter, never quoting
 * its value) when it is of the wrong type or out of range. Strings stay
 * owned by params.
 */
int ws_rpc_get_string(json_t *params, const char *name, const char **out,
		      struct ws_rpc_error *err);
int ws_rpc_get_int(json_t *params, const char *name, int64_t min, int64_t max,
		   int64_t *out, struct ws_rpc_error *err);
int ws_rpc_get_bool(json_t *params, const char *name, bool *out, struct ws_rpc_error *err);
/* The key is wiped when the value is not a valid key. */
int ws_rpc_get_key(json_t *params, const char *name, uint8_t key[WS_KEY_LEN],
		   struct ws_rpc_error *err);

#endif /* WS_JSONRPC_H */
