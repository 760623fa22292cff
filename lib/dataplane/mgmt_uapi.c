/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gateway's side of the WireGuard UAPI (lib/mgmt/uapi.h): get is a
 * snapshot of the interface and every peer, private and preshared keys
 * included (the socket is root's, mode 0600, and `wg showconf` prints
 * them); set is a sequence of the same control requests JSON-RPC uses,
 * applied in request order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"
#include "ws_crypto.h"

RTE_LOG_REGISTER(ws_uapi_logtype, wirespeed.uapi, INFO);

static int run(struct ws_gw_mgmt *m, struct ws_mgmt_req *r)
{
	int ret = ws_mgmt_call(m, r);

	if (ret != 0)
		return ret;
	ret = r->result;
	ws_mgmt_req_free(r);
	return ret;
}

static int uapi_get(void *dev, struct ws_uapi_device *out)
{
	struct ws_gw_mgmt *m = dev;
	struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_GET);
	struct ws_mgmt_peer *peers = NULL;
	unsigned n = 0;
	int ret;

	if (r == NULL)
		return -ENOMEM;
	r->mask = WS_MGMT_F_WANT_SECRETS;
	ret = ws_mgmt_call(m, r);
	if (ret != 0)
		return ret;
	out->has_private_key = r->has_private_key;
	if (r->has_private_key)
		memcpy(out->private_key, r->private_key, WS_KEY_LEN);
	out->listen_port = r->out_listen_port;
	ws_mgmt_req_free(r);

	ret = ws_mgmt_list_all(m, true, &peers, &n);
	for (unsigned i = 0; ret == 0 && i < n; i++) {
		const struct ws_mgmt_peer *p = &peers[i];
		struct ws_uapi_peer *u = ws_uapi_device_add_peer(out);

		if (u == NULL) {
			ret = -ENOMEM;
			break;
		}
		memcpy(u->public_key, p->public_key, WS_KEY_LEN);
		memcpy(u->preshared_key, p->preshared_key, WS_KEY_LEN);
		u->endpoint = p->endpoint;
		u->persistent_keepalive = p->persistent_keepalive;
		u->last_handshake_sec = p->last_handshake_sec;
		u->last_handshake_nsec = p->last_handshake_nsec;
		u->rx_bytes = p->rx_bytes;
		u->tx_bytes = p->tx_bytes;
		for (unsigned a = 0; ret == 0 && a < p->n_allowed_ips; a++)
			ret = ws_uapi_peer_add_allowed_ip(u, &p->allowed_ips[a]);
	}
	ws_mgmt_peers_free(peers, n);
	return ret;
}

static int peer_op(struct ws_gw_mgmt *m, const struct ws_uapi_peer_op *op)
{
	struct ws_mgmt_req *r;
	struct ws_config_peer *cp;
	int ret;

	if (op->flags & WS_UAPI_PEER_REMOVE) {
		r = ws_mgmt_req_new(WS_MGMT_PEER_REMOVE);
		if (r == NULL)
			return -ENOMEM;
		memcpy(r->peer.public_key, op->public_key, WS_KEY_LEN);
		ret = run(m, r);
		return ret == -ENOENT ? 0 : ret;       /* as wireguard-go: removing none is fine */
	}
	r = ws_mgmt_req_new((op->flags & WS_UAPI_PEER_UPDATE_ONLY) ? WS_MGMT_PEER_SET
								  : WS_MGMT_PEER_UPSERT);
	if (r == NULL)
		return -ENOMEM;
	cp = &r->peer;
	memcpy(cp->public_key, op->public_key, WS_KEY_LEN);
	if (op->flags & WS_UAPI_PEER_PRESHARED_KEY) {
		memcpy(cp->preshared_key, op->preshared_key, WS_KEY_LEN);
		cp->has_preshared_key = !ws_is_zero(op->preshared_key, WS_KEY_LEN);
		r->mask |= WS_MGMT_F_PSK;
	}
	if (op->flags & WS_UAPI_PEER_ENDPOINT) {
		cp->endpoint = op->endpoint;
		r->mask |= WS_MGMT_F_ENDPOINT;
	}
	if (op->flags & WS_UAPI_PEER_KEEPALIVE) {
		cp->persistent_keepalive = op->persistent_keepalive;
		r->mask |= WS_MGMT_F_KEEPALIVE;
	}
	if (op->n_allowed_ips > 0) {
		cp->allowed_ips = malloc(op->n_allowed_ips * sizeof(*cp->allowed_ips));
		if (cp->allowed_ips == NULL) {
			ws_mgmt_req_free(r);
			return -ENOMEM;
		}
		memcpy(cp->allowed_ips, op->allowed_ips, op->n_allowed_ips * sizeof(*cp->allowed_ips));
		cp->n_allowed_ips = op->n_allowed_ips;
	}
	if (op->flags & WS_UAPI_PEER_REPLACE_ALLOWED_IPS)
		r->mask |= WS_MGMT_F_ALLOWED_IPS;
	else if (op->n_allowed_ips > 0)
		r->mask |= WS_MGMT_F_ALLOWED_IPS_ADD;
	ret = run(m, r);
	if (ret == -ENOENT && (op->flags & WS_UAPI_PEER_UPDATE_ONLY))
		return 0;
	return ret;
}

static int uapi_set(void *dev, const struct ws_uapi_set *req)
{
	struct ws_gw_mgmt *m = dev;
	uint8_t own[WS_KEY_LEN];
	bool has_own = false;
	int ret;

	if ((req->flags & WS_UAPI_SET_FWMARK) && req->fwmark != 0)
		return -EOPNOTSUPP;
	if ((req->flags & WS_UAPI_SET_LISTEN_PORT) && req->listen_port == 0)
		return -EINVAL;         /* no kernel here to pick a random port */
	if (req->flags & (WS_UAPI_SET_PRIVATE_KEY | WS_UAPI_SET_LISTEN_PORT)) {
		struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_SET);

		if (r == NULL)
			return -ENOMEM;
		if (req->flags & WS_UAPI_SET_PRIVATE_KEY) {
			memcpy(r->private_key, req->private_key, WS_KEY_LEN);
			r->mask |= WS_MGMT_F_PRIVATE_KEY;
		}
		if (req->flags & WS_UAPI_SET_LISTEN_PORT) {
			r->listen_port = req->listen_port;
			r->mask |= WS_MGMT_F_LISTEN_PORT;
		}
		ret = run(m, r);
		if (ret != 0)
			return ret;
	}
	if (req->flags & WS_UAPI_SET_REPLACE_PEERS) {
		struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_PEER_REMOVE_ALL);

		if (r == NULL)
			return -ENOMEM;
		ret = run(m, r);
		if (ret != 0)
			return ret;
	}
	if (req->n_peers > 0) {
		struct ws_mgmt_req *r = ws_mgmt_req_new(WS_MGMT_IFACE_GET);

		if (r == NULL)
			return -ENOMEM;
		ret = ws_mgmt_call(m, r);
		if (ret != 0)
			return ret;
		has_own = r->has_private_key;
		memcpy(own, r->public_key, WS_KEY_LEN);
		ws_mgmt_req_free(r);
	}
	for (unsigned i = 0; i < req->n_peers; i++) {
		/* A section for our own public key is ignored, as wireguard-go does. */
		if (has_own && ws_memeq(req->peers[i].public_key, own, WS_KEY_LEN))
			continue;
		ret = peer_op(m, &req->peers[i]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static void uapi_error(void *dev, int err, unsigned line, const char *why)
{
	RTE_SET_USED(dev);
	rte_log(RTE_LOG_NOTICE, ws_uapi_logtype, "wirespeed.uapi: request failed: %s (line %u: %s)\n",
		strerror(err < 0 ? -err : err), line, why != NULL ? why : "-");
}

void ws_mgmt_uapi_ops(struct ws_gw_mgmt *m, struct ws_uapi_ops *ops)
{
	ops->dev = m;
	ops->get = uapi_get;
	ops->set = uapi_set;
	ops->error = uapi_error;
}
