/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The JSON-RPC methods (docs/jsonrpc.md). Parameters are checked by the
 * dispatcher's tables first; every change and every peer read is a
 * request to the control lcore (mgmt_priv.h). Application errors:
 *   -32000 peer exists, -32001 no such peer, -32002 table full,
 *   -32003 timeout, -32004 shutting down, -32005 busy (request queue
 *   full, or an earlier request timed out and control has not taken it
 *   yet), -32010 the operation failed (data: errno). Out of memory on
 *   either side is -32603.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"
#include "ws_crypto.h"

enum {
	ERR_PEER_EXISTS = -32000,
	ERR_NO_PEER = -32001,
	ERR_TABLE_FULL = -32002,
	ERR_TIMEOUT = -32003,
	ERR_SHUTDOWN = -32004,
	ERR_BUSY = -32005,
	ERR_FAILED = -32010,
};

/* An errno from the request path or an operation, as a JSON-RPC error. */
static int fail(struct ws_rpc_error *err, int ret)
{
	switch (ret) {
	case -EEXIST:
		return ws_rpc_error_set(err, ERR_PEER_EXISTS, "peer exists");
	case -ENOENT:
		return ws_rpc_error_set(err, ERR_NO_PEER, "no such peer");
	case -ENOSPC:
		return ws_rpc_error_set(err, ERR_TABLE_FULL, "table full");
	case -ETIMEDOUT:
		return ws_rpc_error_set(err, ERR_TIMEOUT, "timeout: the control lcore did not answer");
	case -ESHUTDOWN:
		return ws_rpc_error_set(err, ERR_SHUTDOWN, "the gateway is shutting down");
	case -ENOBUFS:
		return ws_rpc_error_set(err, ERR_BUSY, "busy: too many requests queued");
	case -EBUSY:
		return ws_rpc_error_set(err, ERR_BUSY,
					"busy: the control lcore has not taken an earlier request yet");
	case -ENOMEM:
		return ws_rpc_error_set(err, WS_RPC_INTERNAL_ERROR, "Internal error: out of memory");
	default:
		ws_rpc_error_set(err, ERR_FAILED, "operation failed: %s", strerror(-ret));
		err->data = json_pack("{s:i}", "errno", -ret);
		return -EINVAL;
	}
}

/* Runs r; 0 with r done and r->result 0, or the error set (r freed). */
static int call(struct ws_gw_mgmt *m, struct ws_mgmt_req *r, struct ws_rpc_error *err)
{
	int ret = ws_mgmt_call(m, r);

	if (ret != 0)
		return fail(err, ret);
	if (r->result != 0) {
		uint32_t op = r->op;

		ret = r->result;
		ws_mgmt_req_free(r);
		/* The only bad input the parser cannot see: a key of small order (noise refuses it). */
		if (ret == -EINVAL && op == WS_MGMT_PEER_ADD)
			return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
						"public_key: not a usable public key (small order)");
		return fail(err, ret);
	}
	return 0;
}

/* allowed_ips: an array of prefixes, or one prefix as a string. */
static int get_allowed_ips(json_t *params, struct ws_config_peer *cp, bool *present,
			   struct ws_rpc_error *err)
{
	json_t *v = json_object_get(params, "allowed_ips"), *e;
	size_t i, n;

	*present = v != NULL && !json_is_null(v);
	if (!*present)
		return 0;
	if (json_is_string(v)) {
		n = 1;
	} else if (json_is_array(v)) {
		n = json_array_size(v);
	} else {
		return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
					"allowed_ips: an array of prefixes expected");
	}
	cp->allowed_ips = calloc(n != 0 ? n : 1, sizeof(*cp->allowed_ips));
	if (cp->allowed_ips == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *why = NULL;

		e = json_is_string(v) ? v : json_array_get(v, i);
		if (!json_is_string(e) ||
		    ws_prefix_parse(&cp->allowed_ips[i], json_string_value(e), &why) != 0)
			return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
						"allowed_ips[%zu]: %s", i,
						why != NULL ? why : "a prefix like 10.0.0.0/24 expected");
		ws_prefix_mask(&cp->allowed_ips[i]);
	}
	cp->n_allowed_ips = (unsigned)n;
	return 0;
}

/* The peer fields of peer.add / peer.set into r; mask gets those present. */
static int peer_params(json_t *params, struct ws_mgmt_req *r, struct ws_rpc_error *err)
{
	struct ws_config_peer *cp = &r->peer;
	const char *s;
	int64_t ka;
	bool has_ips;
	json_t *psk;
	int ret;

	ret = ws_rpc_get_key(params, "public_key", cp->public_key, err);
	if (ret < 0)
		return ret;
	psk = json_object_get(params, "preshared_key");
	if (json_is_null(psk)) {
		r->mask |= WS_MGMT_F_PSK;       /* null removes it */
	} else if (psk != NULL) {
		ret = ws_rpc_get_key(params, "preshared_key", cp->preshared_key, err);
		if (ret < 0)
			return ret;
		cp->has_preshared_key = !ws_is_zero(cp->preshared_key, WS_KEY_LEN);
		r->mask |= WS_MGMT_F_PSK;
	}
	ret = ws_rpc_get_string(params, "endpoint", &s, err);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		const char *why = NULL;

		if (ws_endpoint_parse(&cp->endpoint, s, &why) != 0)
			return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS, "endpoint: %s",
						why != NULL ? why : "host:port expected");
		r->mask |= WS_MGMT_F_ENDPOINT;
	}
	ret = ws_rpc_get_int(params, "persistent_keepalive", 0, 65535, &ka, err);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		cp->persistent_keepalive = (uint16_t)ka;
		r->mask |= WS_MGMT_F_KEEPALIVE;
	}
	ret = get_allowed_ips(params, cp, &has_ips, err);
	if (ret < 0)
		return ret;
	if (has_ips)
		r->mask |= WS_MGMT_F_ALLOWED_IPS;
	return 0;
}

static json_t *peer_result(struct ws_gw_mgmt *m, const uint8_t pub[WS_KEY_LEN],
			   struct ws_rpc_error *err, int *ret)
{
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_PEER_GET);
	json_t *out;

	if (r == NULL) {
		*ret = -ENOMEM;
		return NULL;
	}
	memcpy(r->peer.public_key, pub, WS_KEY_LEN);
	*ret = call(m, r, err);
	if (*ret != 0)
		return NULL;
	out = r->n_peers == 1 ? ws_mgmt_peer_json(&r->peers[0]) : NULL;
	ws_mgmt_req_free(r);
	if (out == NULL)
		*ret = -ENOMEM;
	return out;
}

static int peer_change(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err,
		       uint32_t op)
{
	struct ws_gw_mgmt *m = ctx;
	struct ws_mgmt_req *r = ws_mgmt_req_new(op);
	int ret;

	if (r == NULL)
		return -ENOMEM;
	ret = peer_params(params, r, err);
	if (ret == 0 && op == WS_MGMT_PEER_SET && (r->mask & WS_MGMT_F_ENDPOINT) == 0 &&
	    json_object_get(params, "endpoint") != NULL)
		ret = ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
				       "endpoint: cannot be removed, only changed");
	if (ret != 0) {
		ws_mgmt_req_free(r);
		return ret;
	}
	r->mask |= WS_MGMT_F_SNAPSHOT;
	ret = call(m, r, err);
	if (ret != 0)
		return ret;
	*result = r->n_peers == 1 ? ws_mgmt_peer_json(&r->peers[0]) : NULL;
	ws_mgmt_req_free(r);
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_peer_add(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	return peer_change(ctx, params, result, err, WS_MGMT_PEER_ADD);
}

static int m_peer_set(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	return peer_change(ctx, params, result, err, WS_MGMT_PEER_SET);
}

static int m_peer_remove(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	struct ws_gw_mgmt *m = ctx;
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_PEER_REMOVE);
	int ret;

	if (r == NULL)
		return -ENOMEM;
	ret = ws_rpc_get_key(params, "public_key", r->peer.public_key, err);
	if (ret < 0) {
		ws_mgmt_req_free(r);
		return ret;
	}
	ret = call(m, r, err);
	if (ret != 0)
		return ret;
	*result = json_pack("{s:O,s:b}", "public_key", json_object_get(params, "public_key"),
			    "removed", 1);
	ws_mgmt_req_free(r);
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_peer_get(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	uint8_t pub[WS_KEY_LEN];
	int ret = ws_rpc_get_key(params, "public_key", pub, err);

	if (ret < 0)
		return ret;
	*result = peer_result(ctx, pub, err, &ret);
	return ret;
}

static int m_peer_list(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	struct ws_mgmt_peer *peers;
	unsigned n;
	json_t *arr;
	int ret;

	RTE_SET_USED(params);
	ret = ws_mgmt_list_all(ctx, false, &peers, &n);
	if (ret != 0)
		return fail(err, ret);
	arr = json_array();
	for (unsigned i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, ws_mgmt_peer_json(&peers[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	ws_mgmt_peers_free(peers, n);
	if (arr == NULL)
		return -ENOMEM;
	*result = json_pack("{s:o}", "peers", arr);
	return *result != NULL ? 0 : -ENOMEM;
}

static int iface_result(struct ws_gw_mgmt *m, json_t **result, struct ws_rpc_error *err)
{
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_GET);
	char pub[WS_KEY_B64_LEN];
	int ret;

	if (r == NULL)
		return -ENOMEM;
	ret = call(m, r, err);
	if (ret != 0)
		return ret;
	/* Never the private key: only the public key derived from it. */
	ws_key_to_base64(pub, r->public_key);
	*result = json_pack("{s:s,s:s?,s:i,s:I,s:I}", "name", m->gw->cfg->name,
			    "public_key", r->has_private_key ? pub : NULL,
			    "listen_port", (int)r->out_listen_port,
			    "peers", (json_int_t)r->n_total_peers,
			    "max_peers", (json_int_t)r->peer_capacity);
	ws_mgmt_req_free(r);
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_iface_get(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	RTE_SET_USED(params);
	return iface_result(ctx, result, err);
}

static int m_iface_set(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	struct ws_gw_mgmt *m = ctx;
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_SET);
	int64_t port;
	int ret;

	if (r == NULL)
		return -ENOMEM;
	ret = ws_rpc_get_key(params, "private_key", r->private_key, err);
	if (ret == 1) {
		r->mask |= WS_MGMT_F_PRIVATE_KEY;
		if (ws_is_zero(r->private_key, WS_KEY_LEN))
			ret = ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
					       "private_key: the all-zero key is not a key");
	}
	if (ret >= 0)
		ret = ws_rpc_get_int(params, "listen_port", 1, 65535, &port, err);
	if (ret == 1) {
		r->listen_port = (uint16_t)port;
		r->mask |= WS_MGMT_F_LISTEN_PORT;
	}
	if (ret < 0) {
		ws_mgmt_req_free(r);
		return ret;
	}
	ret = call(m, r, err);
	if (ret != 0)
		return ret;
	ws_mgmt_req_free(r);
	return iface_result(m, result, err);
}

static int m_key_generate(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	uint8_t priv[WS_KEY_LEN], pub[WS_KEY_LEN];
	char spriv[WS_KEY_B64_LEN], spub[WS_KEY_B64_LEN];

	RTE_SET_USED(ctx);
	RTE_SET_USED(params);
	ws_x25519_generate(priv);
	if (ws_x25519_public(pub, priv) != 0) {
		ws_memzero(priv, sizeof(priv));
		return ws_rpc_error_set(err, WS_RPC_INTERNAL_ERROR, "key generation failed");
	}
	ws_key_to_base64(spriv, priv);
	ws_key_to_base64(spub, pub);
	*result = json_pack("{s:s,s:s}", "private_key", spriv, "public_key", spub);
	ws_memzero(priv, sizeof(priv));
	ws_memzero(spriv, sizeof(spriv));
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_stats_get(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	const char *format = "json";
	int ret = ws_rpc_get_string(params, "format", &format, err);

	if (ret < 0)
		return ret;
	if (strcmp(format, "prometheus") == 0) {
		char *text = ws_mgmt_prometheus(ctx);

		if (text == NULL)
			return fail(err, -errno);
		*result = json_string(text);
		free(text);
	} else if (strcmp(format, "json") == 0) {
		*result = ws_mgmt_stats_json(ctx);
	} else {
		return ws_rpc_error_set(err, WS_RPC_INVALID_PARAMS,
					"format: \"json\" or \"prometheus\" expected");
	}
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_gateway_info(void *ctx, json_t *params, json_t **result, struct ws_rpc_error *err)
{
	RTE_SET_USED(params);
	RTE_SET_USED(err);
	*result = ws_mgmt_info_json(ctx);
	return *result != NULL ? 0 : -ENOMEM;
}

static int m_gateway_shutdown(void *ctx, json_t *params, json_t **result,
			      struct ws_rpc_error *err)
{
	struct ws_gw_mgmt *m = ctx;

	RTE_SET_USED(params);
	RTE_SET_USED(err);
	/* As SIGTERM does: every lcore leaves its loop, main shuts down in order. */
	__atomic_store_n(&m->gw->stop, true, __ATOMIC_RELEASE);
	*result = json_pack("{s:b}", "stopping", 1);
	return *result != NULL ? 0 : -ENOMEM;
}

static const struct ws_rpc_param p_peer[] = {
	{ "public_key", WS_RPC_KEY, true, 0, 0 },
	{ "endpoint", WS_RPC_STRING, false, 0, 0 },
	{ "allowed_ips", WS_RPC_ANY, false, 0, 0 },
	{ "persistent_keepalive", WS_RPC_INT, false, 0, 65535 },
	{ "preshared_key", WS_RPC_ANY, false, 0, 0 },
	{ NULL, WS_RPC_ANY, false, 0, 0 },
};
static const struct ws_rpc_param p_pubkey[] = {
	{ "public_key", WS_RPC_KEY, true, 0, 0 },
	{ NULL, WS_RPC_ANY, false, 0, 0 },
};
static const struct ws_rpc_param p_iface_set[] = {
	{ "private_key", WS_RPC_KEY, false, 0, 0 },
	{ "listen_port", WS_RPC_INT, false, 1, 65535 },
	{ NULL, WS_RPC_ANY, false, 0, 0 },
};
static const struct ws_rpc_param p_stats[] = {
	{ "format", WS_RPC_STRING, false, 0, 0 },
	{ NULL, WS_RPC_ANY, false, 0, 0 },
};

static const struct ws_rpc_method methods[] = {
	{ "gateway.info", m_gateway_info, NULL },
	{ "gateway.shutdown", m_gateway_shutdown, NULL },
	{ "interface.get", m_iface_get, NULL },
	{ "interface.set", m_iface_set, p_iface_set },
	{ "peer.add", m_peer_add, p_peer },
	{ "peer.set", m_peer_set, p_peer },
	{ "peer.remove", m_peer_remove, p_pubkey },
	{ "peer.get", m_peer_get, p_pubkey },
	{ "peer.list", m_peer_list, NULL },
	{ "stats.get", m_stats_get, p_stats },
	{ "key.generate", m_key_generate, NULL },
};

int ws_mgmt_rpc_register(struct ws_gw_mgmt *m)
{
	for (unsigned i = 0; i < RTE_DIM(methods); i++) {
		int ret = ws_rpc_register(m->rpc, &methods[i]);

		if (ret != 0)
			return ret;
	}
	return 0;
}
