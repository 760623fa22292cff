/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-only commands on DPDK's telemetry socket
 * (/var/run/dpdk/<prefix>/dpdk_telemetry.v2; dpdk-telemetry.py):
 *   /wirespeed/info            name, version, uptime, keys, counts
 *   /wirespeed/stats           totals, per port, drops by reason
 *   /wirespeed/peers[,KEY]     peers ("peer_<id>", the first WS_TEL_PEERS_MAX), or one
 * The callbacks run on DPDK's telemetry threads and take the same
 * request path to the control lcore as JSON-RPC. DPDK cannot unregister
 * a command, so they reach the gateway through a pointer that
 * ws_mgmt_telemetry_detach clears under a lock; afterwards they answer
 * an error.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_telemetry.h>

#include "mgmt_priv.h"
#include "ws_crypto.h"

enum { WS_TEL_PEERS_MAX = 64 };

static pthread_rwlock_t tel_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct ws_gw_mgmt *tel_mgmt;
static bool tel_registered;

static struct ws_gw_mgmt *tel_enter(void)
{
	pthread_rwlock_rdlock(&tel_lock);
	if (tel_mgmt == NULL) {
		pthread_rwlock_unlock(&tel_lock);
		return NULL;
	}
	return tel_mgmt;
}

static void tel_leave(void)
{
	pthread_rwlock_unlock(&tel_lock);
}

static void add_key(struct rte_tel_data *d, const char *name, const uint8_t key[WS_KEY_LEN])
{
	char b64[WS_KEY_B64_LEN];

	ws_key_to_base64(b64, key);
	rte_tel_data_add_dict_string(d, name, b64);
}

static int tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ws_gw_mgmt *m;
	json_t *info;
	int ret = 0;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	m = tel_enter();
	if (m == NULL)
		return -ESHUTDOWN;
	info = ws_mgmt_info_json(m);
	tel_leave();
	if (info == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", json_string_value(json_object_get(info, "name")));
	rte_tel_data_add_dict_string(d, "version",
				     json_string_value(json_object_get(info, "version")));
	rte_tel_data_add_dict_string(d, "crypto", json_string_value(json_object_get(info, "crypto")));
	rte_tel_data_add_dict_u64(d, "uptime",
				  (uint64_t)json_integer_value(json_object_get(info, "uptime")));
	if (json_is_string(json_object_get(info, "public_key")))
		rte_tel_data_add_dict_string(d, "public_key",
					     json_string_value(json_object_get(info, "public_key")));
	rte_tel_data_add_dict_u64(d, "listen_port",
				  (uint64_t)json_integer_value(json_object_get(info, "listen_port")));
	rte_tel_data_add_dict_u64(d, "peers",
				  (uint64_t)json_integer_value(json_object_get(info, "peers")));
	rte_tel_data_add_dict_u64(d, "max_peers",
				  (uint64_t)json_integer_value(json_object_get(info, "max_peers")));
	rte_tel_data_add_dict_u64(d, "lcores", json_array_size(json_object_get(info, "lcores")));
	rte_tel_data_add_dict_u64(d, "ports", json_array_size(json_object_get(info, "ports")));
	json_decref(info);
	return ret;
}

/* A JSON object of integers (or of objects of integers, one level) as telemetry dicts. */
static void dict_of_ints(struct rte_tel_data *d, json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		if (json_is_integer(v))
			rte_tel_data_add_dict_u64(d, k, (uint64_t)json_integer_value(v));
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ws_gw_mgmt *m;
	struct rte_tel_data *drops, *port;
	json_t *st, *p;
	size_t i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	m = tel_enter();
	if (m == NULL)
		return -ESHUTDOWN;
	st = ws_mgmt_stats_json(m);
	tel_leave();
	if (st == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "uptime", (uint64_t)json_integer_value(json_object_get(st, "uptime")));
	dict_of_ints(d, json_object_get(st, "totals"));
	json_array_foreach(json_object_get(st, "ports"), i, p) {
		char name[RTE_TEL_MAX_STRING_LEN];

		port = rte_tel_data_alloc();
		if (port == NULL)
			break;
		rte_tel_data_start_dict(port);
		dict_of_ints(port, p);
		snprintf(name, sizeof(name), "port_%s", json_string_value(json_object_get(p, "name")));
		rte_tel_data_add_dict_container(d, name, port, 0);
	}
	drops = rte_tel_data_alloc();
	if (drops != NULL) {
		const char *k;
		json_t *v;

		rte_tel_data_start_dict(drops);
		/* Non-zero ones: the whole table would not fit one telemetry reply with the rest. */
		json_object_foreach(json_object_get(st, "drops"), k, v)
			if (json_integer_value(v) != 0)
				rte_tel_data_add_dict_u64(drops, k, (uint64_t)json_integer_value(v));
		rte_tel_data_add_dict_container(d, "drops", drops, 0);
	}
	json_decref(st);
	return 0;
}

static void peer_dict(struct rte_tel_data *t, const struct ws_mgmt_peer *p)
{
	char ep[WS_ENDPOINT_STR_MAX] = "(none)";

	rte_tel_data_start_dict(t);
	add_key(t, "public_key", p->public_key);
	if (p->endpoint.family != WS_AF_NONE)
		ws_endpoint_format(ep, sizeof(ep), &p->endpoint);
	rte_tel_data_add_dict_string(t, "endpoint", ep);
	rte_tel_data_add_dict_u64(t, "allowed_ips", p->n_allowed_ips);
	rte_tel_data_add_dict_u64(t, "persistent_keepalive", p->persistent_keepalive);
	rte_tel_data_add_dict_u64(t, "last_handshake", (uint64_t)p->last_handshake_sec);
	rte_tel_data_add_dict_u64(t, "rx_bytes", p->rx_bytes);
	rte_tel_data_add_dict_u64(t, "tx_bytes", p->tx_bytes);
}

static int tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ws_gw_mgmt *m;
	struct ws_mgmt_req *r;
	uint8_t key[WS_KEY_LEN];
	bool one = params != NULL && params[0] != '\0';
	int ret;

	RTE_SET_USED(cmd);
	if (one && ws_key_from_base64(key, params) != 0)
		return -EINVAL;
	r = ws_mgmt_req_new(one ? WS_MGMT_PEER_GET : WS_MGMT_PEER_LIST);
	if (r == NULL)
		return -ENOMEM;
	if (one)
		memcpy(r->peer.public_key, key, WS_KEY_LEN);
	r->list_max = WS_TEL_PEERS_MAX;
	m = tel_enter();
	if (m == NULL) {
		ws_mgmt_req_free(r);
		return -ESHUTDOWN;
	}
	ret = ws_mgmt_call(m, r);
	tel_leave();
	if (ret != 0)
		return ret;
	ret = r->result;
	if (ret == 0 && one)
		peer_dict(d, &r->peers[0]);
	if (ret == 0 && !one) {
		/*
		 * Named by table id: base64 keys are not names a telemetry
		 * dict takes, and an array cannot hold dicts in DPDK 22.11.
		 */
		rte_tel_data_start_dict(d);
		for (unsigned i = 0; i < r->n_peers; i++) {
			struct rte_tel_data *t = rte_tel_data_alloc();
			char name[32];

			if (t == NULL)
				break;
			peer_dict(t, &r->peers[i]);
			snprintf(name, sizeof(name), "peer_%u", r->peers[i].id);
			rte_tel_data_add_dict_container(d, name, t, 0);
		}
	}
	ws_mgmt_req_free(r);
	return ret;
}

int ws_mgmt_telemetry_register(struct ws_gw_mgmt *m)
{
	int ret = 0;

	pthread_rwlock_wrlock(&tel_lock);
	tel_mgmt = m;
	pthread_rwlock_unlock(&tel_lock);
	if (tel_registered)
		return 0;
	ret = rte_telemetry_register_cmd("/wirespeed/info", tel_info,
					 "The gateway: name, version, uptime, public key, counts. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/wirespeed/stats", tel_stats,
						 "Counters summed over lcores: totals, ports, drops by reason. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/wirespeed/peers", tel_peers,
						 "Peers (the first 64) by public key, or one: /wirespeed/peers,KEY");
	if (ret == 0)
		tel_registered = true;
	return ret;
}

void ws_mgmt_telemetry_detach(void)
{
	pthread_rwlock_wrlock(&tel_lock);
	tel_mgmt = NULL;
	pthread_rwlock_unlock(&tel_lock);
}
