/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Control's side of the neighbor cache: learning from ARP/ND, answering
 * ARP requests and neighbor solicitations for our addresses, echo
 * replies, probes, and frames held while their next hop resolves (bounded:
 * WS_CTL_NH_MAX next hops, WS_CTL_HELD_MAX frames, WS_CTL_HOLD_NS each).
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>

#include "addr.h"
#include "control_priv.h"

enum { ND_NEIGHBOR_SOLICIT = 135 };

void ws_ctl_out(struct ws_gw *gw, struct rte_mbuf *m, unsigned port)
{
	struct ws_pkt_meta *meta = ws_meta(m);

	meta->port = port;
	meta->dir = 0;
	meta->flags = 0;
	if (rte_ring_enqueue(gw->ctl_out, m) != 0)
		ws_ctl_drop(gw, m, WS_GW_DROP_RING_FULL);
}

/* addr on-link on port: src gets our address in that prefix. */
static bool on_link(const struct ws_gw_port *port, uint8_t family, const uint8_t *addr,
		    struct ws_endpoint *src)
{
	struct ws_ipaddr a = { .family = family };

	if (port->cfg == NULL)
		return false;
	memcpy(a.addr, addr, family == WS_AF_INET ? 4 : 16);
	for (unsigned i = 0; i < port->cfg->n_addrs; i++) {
		const struct ws_prefix *px = &port->cfg->addrs[i];

		if (px->family == family && ws_prefix_contains(px, &a)) {
			memset(src, 0, sizeof(*src));
			src->family = family;
			memcpy(src->addr, px->addr, 16);
			return true;
		}
	}
	return false;
}

static bool first_addr(const struct ws_gw_port *port, uint8_t family, struct ws_endpoint *src)
{
	memset(src, 0, sizeof(*src));
	src->family = family;
	if (family == WS_AF_INET && port->net.n_v4 > 0)
		memcpy(src->addr, port->net.v4[0], 4);
	else if (family == WS_AF_INET6 && port->net.n_v6 > 0)
		memcpy(src->addr, port->net.v6[0], 16);
	else
		return false;
	return true;
}

int ws_ctl_tunnel_route(struct ws_gw *gw, const struct ws_endpoint *dst,
			struct ws_endpoint *nh, struct ws_endpoint *src)
{
	const struct ws_gw_port *port = &gw->ports[gw->tunnel_port];
	const struct ws_ipaddr *via;

	memset(nh, 0, sizeof(*nh));
	nh->family = dst->family;
	if (on_link(port, dst->family, dst->addr, src)) {
		memcpy(nh->addr, dst->addr, 16);
		return 0;
	}
	if (port->cfg == NULL)
		return -ENETUNREACH;
	via = dst->family == WS_AF_INET ? &port->cfg->gateway4 : &port->cfg->gateway6;
	if (via->family != dst->family)
		return -ENETUNREACH;
	memcpy(nh->addr, via->addr, 16);
	if (!on_link(port, via->family, via->addr, src) && !first_addr(port, dst->family, src))
		return -ENETUNREACH;
	return 0;
}

static void send_probe(struct ws_gw *gw, const struct ws_neigh_probe *pr)
{
	struct ws_endpoint src;
	struct rte_mbuf *m;
	unsigned port;
	uint8_t *buf;
	int len = -EINVAL;

	for (port = 0; port < gw->n_ports; port++)
		if (on_link(&gw->ports[port], pr->family, pr->addr, &src))
			break;
	if (port == gw->n_ports)
		return;
	m = rte_pktmbuf_alloc(gw->pool);
	if (m == NULL) {
		ws_ctl_stats(gw)->drops[WS_GW_DROP_NO_MBUF]++;
		return;
	}
	buf = (uint8_t *)rte_pktmbuf_append(m, WS_NET_ND_LEN);
	if (pr->family == WS_AF_INET) {
		len = ws_net_build_arp(buf, WS_NET_ND_LEN, RTE_ARP_OP_REQUEST,
				       &gw->ports[port].net.mac, src.addr, NULL, pr->addr);
		if (len > 0 && pr->unicast)
			memcpy(buf, &pr->mac, RTE_ETHER_ADDR_LEN);
	} else {
		len = ws_net_build_ns(buf, WS_NET_ND_LEN, &gw->ports[port].net.mac, src.addr,
				      pr->addr, pr->unicast ? &pr->mac : NULL);
	}
	if (len < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_trim(m, WS_NET_ND_LEN - len);
	ws_ctl_out(gw, m, port);
}

/* Held frames. */

static void nh_release(struct ws_gw *gw, struct ws_ctl_nh *e, const struct rte_ether_addr *mac)
{
	struct rte_mbuf *m = e->head, *next;

	for (; m != NULL; m = next) {
		next = ws_meta(m)->next;
		ws_meta(m)->next = NULL;
		if (mac != NULL) {
			memcpy(rte_pktmbuf_mtod(m, void *), mac, RTE_ETHER_ADDR_LEN);
			ws_ctl_out(gw, m, e->port);
		} else {
			ws_ctl_drop(gw, m, WS_GW_DROP_NO_NEIGHBOR);
		}
	}
	gw->dev->n_held -= e->n;
	memset(e, 0, sizeof(*e));
}

static void nh_resolve(struct ws_gw *gw, struct ws_ctl_nh *e, uint64_t now)
{
	struct ws_neigh_probe pr;
	struct rte_ether_addr mac;
	int ret = ws_neigh_resolve(gw->neigh, e->addr.family, e->addr.addr, now, &pr);

	switch (ret) {
	case WS_NEIGH_READY:
		if (ws_neigh_usable(ws_neigh_lookup(gw->neigh, e->addr.family, e->addr.addr, &mac)))
			nh_release(gw, e, &mac);
		break;
	case WS_NEIGH_SEND_PROBE:
		send_probe(gw, &pr);
		break;
	case WS_NEIGH_WAIT:
		break;
	default:
		nh_release(gw, e, NULL);
		break;
	}
}

static struct ws_ctl_nh *nh_get(struct ws_gw_device *dev, unsigned port,
				const struct ws_endpoint *nh)
{
	struct ws_ctl_nh *free_slot = NULL;

	for (unsigned i = 0; i < WS_CTL_NH_MAX; i++) {
		struct ws_ctl_nh *e = &dev->nh[i];

		if (!e->used) {
			if (free_slot == NULL)
				free_slot = e;
		} else if (e->port == port && e->addr.family == nh->family &&
			   memcmp(e->addr.addr, nh->addr, ws_endpoint_addr_len(nh)) == 0) {
			return e;
		}
	}
	if (free_slot != NULL) {
		free_slot->used = true;
		free_slot->port = port;
		memset(&free_slot->addr, 0, sizeof(free_slot->addr));
		free_slot->addr.family = nh->family;
		memcpy(free_slot->addr.addr, nh->addr, ws_endpoint_addr_len(nh));
	}
	return free_slot;
}

void ws_ctl_xmit_via(struct ws_gw *gw, struct rte_mbuf *m, unsigned port,
		     const struct ws_endpoint *nh, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	struct rte_ether_addr mac;
	struct ws_ctl_nh *e;

	if (nh->family != WS_AF_INET && nh->family != WS_AF_INET6) {
		ws_ctl_drop(gw, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	if (ws_neigh_usable(ws_neigh_lookup(gw->neigh, nh->family, nh->addr, &mac))) {
		memcpy(rte_pktmbuf_mtod(m, void *), &mac, RTE_ETHER_ADDR_LEN);
		ws_ctl_out(gw, m, port);
		return;
	}
	if (!ws_ctl_on_control(gw)) {
		/* A handshake lcore: the held frames are control's; hand it over as TX does. */
		if (ws_dp_neigh_enqueue(gw, m, port, nh) != 0)
			ws_ctl_drop(gw, m, WS_GW_DROP_RING_FULL);
		return;
	}
	e = dev->n_held < WS_CTL_HELD_MAX ? nh_get(dev, port, nh) : NULL;
	if (e == NULL) {
		ws_ctl_drop(gw, m, WS_GW_DROP_NO_NEIGHBOR);
		return;
	}
	ws_meta(m)->next = NULL;
	if (e->tail == NULL)
		e->head = m;
	else
		ws_meta(e->tail)->next = m;
	e->tail = m;
	dev->n_held++;
	if (e->n++ == 0) {
		e->since = now;
		nh_resolve(gw, e, now);
	}
}

void ws_ctl_hold_in(struct ws_gw *gw, struct rte_mbuf *m, uint64_t now)
{
	struct ws_pkt_meta *meta = ws_meta(m);
	struct ws_endpoint nh = meta->nh;

	if (meta->port >= gw->n_ports || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) {
		ws_ctl_drop(gw, m, WS_GW_DROP_NO_ROUTE);
		return;
	}
	ws_ctl_xmit_via(gw, m, meta->port, &nh, now);
}

/* Send what resolved, drop what failed or waited too long. */
static void nh_scan(struct ws_gw *gw, uint64_t now)
{
	struct ws_gw_device *dev = gw->dev;
	struct rte_ether_addr mac;

	for (unsigned i = 0; i < WS_CTL_NH_MAX && dev->n_held > 0; i++) {
		struct ws_ctl_nh *e = &dev->nh[i];
		enum ws_neigh_state st;

		if (!e->used)
			continue;
		st = ws_neigh_lookup(gw->neigh, e->addr.family, e->addr.addr, &mac);
		if (ws_neigh_usable(st))
			nh_release(gw, e, &mac);
		else if (st == WS_NEIGH_FAILED || now - e->since > WS_CTL_HOLD_NS)
			nh_release(gw, e, NULL);
		else if (st == WS_NEIGH_NONE)
			nh_resolve(gw, e, now);
	}
}

void ws_ctl_neigh_poll(struct ws_gw *gw, uint64_t now)
{
	struct ws_neigh_probe pr[16];
	unsigned n = ws_neigh_poll(gw->neigh, now, pr, RTE_DIM(pr));

	for (unsigned i = 0; i < n; i++)
		send_probe(gw, &pr[i]);
	nh_scan(gw, now);
}

void ws_ctl_neigh_free_held(struct ws_gw *gw)
{
	if (gw->dev == NULL)
		return;
	for (unsigned i = 0; i < WS_CTL_NH_MAX; i++)
		if (gw->dev->nh[i].used)
			nh_release(gw, &gw->dev->nh[i], NULL);
}

/* ARP, ND and echo addressed to us. */

void ws_ctl_neigh_in(struct ws_gw *gw, struct rte_mbuf *m, const struct ws_net_pkt *pkt,
		     uint64_t now)
{
	unsigned port = ws_meta(m)->port;
	const struct rte_ether_addr *our = &gw->ports[port].net.mac;
	const struct ws_net_nbr *nb = &pkt->nbr;
	struct rte_ether_addr peer_mac;
	uint8_t *buf;
	int len = -EINVAL;

	ws_neigh_learn_pkt(gw->neigh, pkt, now);
	if (!(nb->flags & WS_NET_NBR_F_FOR_US) ||
	    !((pkt->kind == WS_NET_KIND_ARP && nb->op == RTE_ARP_OP_REQUEST) ||
	      (pkt->kind == WS_NET_KIND_ND && nb->op == ND_NEIGHBOR_SOLICIT))) {
		rte_pktmbuf_free(m);
		nh_scan(gw, now);
		return;
	}
	/* Answer to the frame's sender, rebuilding the frame in the same mbuf. */
	peer_mac = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	struct ws_net_nbr req = *nb;
	rte_pktmbuf_reset(m);
	buf = (uint8_t *)rte_pktmbuf_append(m, WS_NET_ND_LEN);
	if (buf != NULL && pkt->kind == WS_NET_KIND_ARP) {
		len = ws_net_build_arp(buf, WS_NET_ND_LEN, RTE_ARP_OP_REPLY, our, req.target,
				       &req.lladdr, req.addr);
	} else if (buf != NULL) {
		static const uint8_t unspec[16];
		bool dad = memcmp(req.addr, unspec, 16) == 0;

		len = ws_net_build_na(buf, WS_NET_ND_LEN, our, req.target,
				      dad ? NULL : &peer_mac, dad ? NULL : req.addr,
				      WS_NET_NBR_F_ROUTER | WS_NET_NBR_F_OVERRIDE |
				      (dad ? 0 : WS_NET_NBR_F_SOLICITED));
	}
	if (len < 0) {
		rte_pktmbuf_free(m);
	} else {
		rte_pktmbuf_trim(m, WS_NET_ND_LEN - len);
		ws_ctl_out(gw, m, port);
	}
	nh_scan(gw, now);
}

void ws_ctl_echo_in(struct ws_gw *gw, struct rte_mbuf *m, const struct ws_net_pkt *pkt)
{
	unsigned port = ws_meta(m)->port;
	int len = ws_net_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), pkt,
				    &gw->ports[port].net.mac);

	if (len < 0) {
		ws_ctl_stats(gw)->parse_drops[WS_NET_DROP_ICMP_INVALID]++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((uint32_t)len < rte_pktmbuf_data_len(m))
		rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - len);
	ws_ctl_out(gw, m, port);
}
