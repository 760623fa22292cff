/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Management requests, run on the control lcore (the tables' only
 * writer) by ws_gw_mgmt_poll: peer changes through device.c's functions,
 * snapshots of peers and of the interface. Each request's work is
 * bounded (a list request covers at most WS_MGMT_LIST_CHUNK peers), so
 * the data-path roles sharing the lcore keep moving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rwlock.h>

#include "control_priv.h"
#include "mgmt_priv.h"
#include "ws_crypto.h"

static struct ws_gw_peer *find(struct ws_gw *gw, const uint8_t pub[WS_KEY_LEN])
{
	return ws_peer_table_lookup(gw->peers, pub, NULL);
}

static int collect_ip(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct ws_mgmt_peer *p = arg;
	struct ws_prefix *px;

	if (p->n_allowed_ips == p->cap_allowed_ips) {
		unsigned cap = p->cap_allowed_ips != 0 ? 2 * p->cap_allowed_ips : 4;
		px = realloc(p->allowed_ips, cap * sizeof(*px));
		if (px == NULL)
			return -ENOMEM;
		p->allowed_ips = px;
		p->cap_allowed_ips = cap;
	}
	px = &p->allowed_ips[p->n_allowed_ips++];
	memset(px, 0, sizeof(*px));
	px->family = (uint8_t)family;
	px->len = cidr;
	memcpy(px->addr, addr, family == WS_AF_INET ? 4 : 16);
	return 0;
}

static int snapshot(struct ws_gw *gw, struct ws_mgmt_req *r, struct ws_gw_peer *gp)
{
	struct ws_mgmt_peer *p;

	if (r->n_peers == r->cap_peers) {
		unsigned cap = r->cap_peers != 0 ? 2 * r->cap_peers : 8;
		p = realloc(r->peers, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		r->peers = p;
		r->cap_peers = cap;
	}
	p = &r->peers[r->n_peers++];
	memset(p, 0, sizeof(*p));
	p->id = gp->id;
	memcpy(p->public_key, gp->noise.public_key, WS_KEY_LEN);
	rte_spinlock_lock(&gp->noise.lock);
	p->has_preshared_key = !ws_is_zero(gp->noise.preshared_key, WS_KEY_LEN);
	if (r->mask & WS_MGMT_F_WANT_SECRETS)
		memcpy(p->preshared_key, gp->noise.preshared_key, WS_KEY_LEN);
	rte_spinlock_unlock(&gp->noise.lock);
	ws_gw_peer_endpoint_get(gp, &p->endpoint);
	p->persistent_keepalive = gp->persistent_keepalive;
	p->last_handshake_sec = __atomic_load_n(&gp->last_handshake_sec, __ATOMIC_RELAXED);
	p->last_handshake_nsec = __atomic_load_n(&gp->last_handshake_nsec, __ATOMIC_RELAXED);
	p->rx_bytes = __atomic_load_n(&gp->rx_bytes, __ATOMIC_RELAXED);
	p->tx_bytes = __atomic_load_n(&gp->tx_bytes, __ATOMIC_RELAXED);
	p->rx_packets = __atomic_load_n(&gp->rx_packets, __ATOMIC_RELAXED);
	p->tx_packets = __atomic_load_n(&gp->tx_packets, __ATOMIC_RELAXED);
	return ws_allowedips_walk_peer(gw->allowedips, gp->id, collect_ip, p);
}

static void set_keepalive(struct ws_gw *gw, struct ws_gw_peer *p, uint16_t secs, uint64_t now)
{
	p->persistent_keepalive = secs;
	/*
	 * Turned on: a keepalive now, as the kernel does (or a handshake
	 * first when there is no session); its traversal arms the timer.
	 */
	if (ws_timers_set_persistent_keepalive(&p->timers, secs, now) & WS_TIMERS_SEND_KEEPALIVE)
		ws_ctl_flush_staged(gw, p, true, now);
	/* Control's timer wheel moves a peer only when told: the new deadline may be earlier. */
	ws_ctl_timer_arm(gw, p, now);
}

/* Replaces (or extends) the peer's allowed-ips with the request's. */
static int set_allowed(struct ws_gw *gw, struct ws_gw_peer *gp, const struct ws_mgmt_req *r)
{
	const struct ws_config_peer *cp = &r->peer;
	struct ws_mgmt_peer cur = { 0 };
	struct ws_prefix *all;
	unsigned n;
	int ret;

	if (r->mask & WS_MGMT_F_ALLOWED_IPS)
		return ws_gw_peer_set_allowed_ips(gw, cp->public_key, cp->allowed_ips,
						  cp->n_allowed_ips);
	if (cp->n_allowed_ips == 0)
		return 0;
	ret = ws_allowedips_walk_peer(gw->allowedips, gp->id, collect_ip, &cur);
	n = cur.n_allowed_ips + cp->n_allowed_ips;
	all = ret == 0 ? realloc(cur.allowed_ips, n * sizeof(*all)) : NULL;
	if (all == NULL) {
		free(cur.allowed_ips);
		return -ENOMEM;
	}
	memcpy(all + cur.n_allowed_ips, cp->allowed_ips, cp->n_allowed_ips * sizeof(*all));
	ret = ws_gw_peer_set_allowed_ips(gw, cp->public_key, all, n);
	free(all);
	return ret;
}

static int peer_set(struct ws_gw *gw, struct ws_mgmt_req *r, uint64_t now, bool create)
{
	const struct ws_config_peer *cp = &r->peer;
	struct ws_gw_peer *p = find(gw, cp->public_key);
	int ret;

	if (p == NULL)
		/* The add takes every field the set carries. */
		return create ? ws_gw_peer_add(gw, cp) : -ENOENT;
	if (r->mask & WS_MGMT_F_PSK)
		ws_noise_remote_set_psk(&p->noise, cp->has_preshared_key ? cp->preshared_key : NULL);
	if (r->mask & WS_MGMT_F_ENDPOINT) {
		ret = ws_gw_peer_set_endpoint(gw, cp->public_key, &cp->endpoint);
		if (ret != 0)
			return ret;
	}
	if (r->mask & WS_MGMT_F_KEEPALIVE)
		set_keepalive(gw, p, cp->persistent_keepalive, now);
	if (r->mask & (WS_MGMT_F_ALLOWED_IPS | WS_MGMT_F_ALLOWED_IPS_ADD))
		return set_allowed(gw, p, r);
	return 0;
}

static int remove_one(void *arg, uint32_t id, void *obj)
{
	struct ws_gw_peer *p = obj;

	RTE_SET_USED(id);
	return ws_gw_peer_remove(arg, p->noise.public_key);
}

static int peer_list(struct ws_gw *gw, struct ws_mgmt_req *r)
{
	uint32_t cap = ws_peer_table_capacity(gw->peers), id;
	int ret = 0;

	for (id = r->list_start; id < cap && r->n_peers < r->list_max && ret == 0; id++) {
		struct ws_gw_peer *p = ws_peer_table_get(gw->peers, id);

		if (p != NULL)
			ret = snapshot(gw, r, p);
	}
	r->list_next = id < cap ? id : UINT32_MAX;
	return ret;
}

static int iface_set(struct ws_gw *gw, struct ws_mgmt_req *r)
{
	int ret;

	if (r->mask & WS_MGMT_F_PRIVATE_KEY) {
		bool zero = ws_is_zero(r->private_key, WS_KEY_LEN);
		uint8_t pub[WS_KEY_LEN];

		ret = ws_noise_local_set_private(&gw->noise, zero ? NULL : r->private_key);
		if (ret != 0)
			return ret;
		if (!zero && ws_noise_local_public(&gw->noise, pub))
			ws_cookie_checker_set_key(&gw->cookie, pub);
		else
			ws_cookie_checker_set_key(&gw->cookie, NULL);
		ws_memzero(pub, sizeof(pub));
	}
	if ((r->mask & WS_MGMT_F_LISTEN_PORT) && gw->tunnel_port >= 0)
		/* RX reads it per packet; a 16-bit store is atomic. */
		__atomic_store_n(&gw->ports[gw->tunnel_port].net.listen_port, r->listen_port,
				 __ATOMIC_RELEASE);
	return 0;
}

static void iface_get(struct ws_gw *gw, struct ws_mgmt_req *r)
{
	rte_rwlock_read_lock(&gw->noise.lock);
	r->has_private_key = gw->noise.has_identity;
	if (r->has_private_key && (r->mask & WS_MGMT_F_WANT_SECRETS))
		memcpy(r->private_key, gw->noise.private_key, WS_KEY_LEN);
	rte_rwlock_read_unlock(&gw->noise.lock);
	if (!ws_noise_local_public(&gw->noise, r->public_key))
		memset(r->public_key, 0, WS_KEY_LEN);
	r->out_listen_port = gw->tunnel_port >= 0 ?
		__atomic_load_n(&gw->ports[gw->tunnel_port].net.listen_port, __ATOMIC_ACQUIRE) : 0;
	r->n_total_peers = ws_peer_table_count(gw->peers);
	r->peer_capacity = ws_peer_table_capacity(gw->peers);
}

void ws_mgmt_exec(struct ws_gw *gw, struct ws_mgmt_req *r, uint64_t now)
{
	struct ws_gw_peer *p;

	switch (r->op) {
	case WS_MGMT_PEER_ADD:
		r->result = ws_gw_peer_add(gw, &r->peer);
		break;
	case WS_MGMT_PEER_SET:
		r->result = peer_set(gw, r, now, false);
		break;
	case WS_MGMT_PEER_UPSERT:
		r->result = peer_set(gw, r, now, true);
		break;
	case WS_MGMT_PEER_REMOVE:
		r->result = ws_gw_peer_remove(gw, r->peer.public_key);
		break;
	case WS_MGMT_PEER_REMOVE_ALL:
		r->result = ws_peer_table_walk(gw->peers, remove_one, gw);
		break;
	case WS_MGMT_PEER_LIST:
		r->result = peer_list(gw, r);
		break;
	case WS_MGMT_PEER_GET:
		p = find(gw, r->peer.public_key);
		r->result = p != NULL ? snapshot(gw, r, p) : -ENOENT;
		break;
	case WS_MGMT_IFACE_GET:
		iface_get(gw, r);
		r->result = 0;
		break;
	case WS_MGMT_IFACE_SET:
		r->result = iface_set(gw, r);
		break;
	default:
		r->result = -EOPNOTSUPP;
	}
	/* The changed peer as it now is, saving the caller a second round trip. */
	if (r->result == 0 && (r->mask & WS_MGMT_F_SNAPSHOT) &&
	    (r->op == WS_MGMT_PEER_ADD || r->op == WS_MGMT_PEER_SET)) {
		p = find(gw, r->peer.public_key);
		r->result = p != NULL ? snapshot(gw, r, p) : -ENOENT;
	}
}
