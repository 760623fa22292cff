/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ports: find each configured ethdev, size its queues, configure offloads,
 * MTU, MAC and multicast reception, start it and wait briefly for link.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "dp_priv.h"

RTE_LOG_REGISTER(ws_app_port_log, wirespeed.port, INFO);
#define PORT_LOG(level, ...) rte_log(RTE_LOG_##level, ws_app_port_log, "port: " __VA_ARGS__)

enum {
	NB_RXD = 1024,
	NB_TXD = 1024,
	/*
	 * net_af_xdp (DPDK 22.11) gives each RX queue's fill ring and each TX
	 * queue's completion ring XSK's default 2048 descriptors (the fill ring
	 * up to twice that), and never hands back the mbufs in them or in its
	 * RX and TX rings when the port closes.
	 */
	AF_XDP_FILL = 2 * 2048,
	AF_XDP_COMP = 2048,
	LINK_WAIT_MS = 3000,
	MC_ADDRS_MAX = WS_NET_MAX_ADDRS + 1,
};

static unsigned rx_lcore_count(const struct ws_gw *gw)
{
	unsigned id, n = 0;

	RTE_LCORE_FOREACH(id)
		if (gw->lcores[id].roles & WS_ROLE_RX)
			n++;
	return n;
}

static void port_fill_net(struct ws_gw_port *p, const struct ws_config *cfg)
{
	const struct ws_config_port *pc = p->cfg;
	struct ws_net_port *net = &p->net;
	unsigned i;

	net->role = pc->role == WS_PORT_TUNNEL ? WS_NET_ROLE_TUNNEL : WS_NET_ROLE_CLEAR;
	net->listen_port = cfg->interface.listen_port;
	for (i = 0; i < pc->n_addrs; i++) {
		const struct ws_prefix *a = &pc->addrs[i];

		if (a->family == WS_AF_INET && net->n_v4 < WS_NET_MAX_ADDRS)
			memcpy(net->v4[net->n_v4++], a->addr, 4);
		else if (a->family == WS_AF_INET6 && net->n_v6 < WS_NET_MAX_ADDRS)
			memcpy(net->v6[net->n_v6++], a->addr, 16);
		else
			PORT_LOG(WARNING, "%s: more than %d addresses of a family; %u ignored\n",
				 pc->name, WS_NET_MAX_ADDRS, i);
	}
}

int ws_gw_ports_probe(struct ws_gw *gw)
{
	const struct ws_config *cfg = gw->cfg;
	unsigned n_rx = rx_lcore_count(gw), i;
	unsigned total_rxq = 0;

	gw->tunnel_port = -1;
	gw->clear_port = -1;
	for (i = 0; i < cfg->n_ports; i++) {
		const struct ws_config_port *pc = &cfg->ports[i];
		struct ws_gw_port *p = &gw->ports[i];
		struct rte_eth_dev_info info;
		int rc;

		memset(p, 0, sizeof(*p));
		p->cfg = pc;
		if (rte_eth_dev_get_port_by_name(pc->device, &p->port_id) != 0) {
			fprintf(stderr, "wirespeed: ports[%u].device: no ethdev named \"%s\" "
				"(check the EAL --vdev / -a options)\n", i, pc->device);
			return -ENODEV;
		}
		rc = rte_eth_dev_info_get(p->port_id, &info);
		if (rc != 0) {
			fprintf(stderr, "wirespeed: ports[%u]: %s: device info: %s\n", i,
				pc->device, rte_strerror(-rc));
			return rc;
		}
		p->n_rxq = RTE_MIN(pc->rx_queues, info.max_rx_queues);
		/* Every reorder/TX lcore sends on a tx queue of its own (lcore.c). */
		p->n_txq = RTE_MIN(RTE_MAX(pc->tx_queues, ws_gw_n_tx(gw)), info.max_tx_queues);
		if (p->n_rxq == 0 || p->n_txq == 0) {
			fprintf(stderr, "wirespeed: ports[%u]: %s offers no rx or tx queue\n", i,
				pc->device);
			return -ENODEV;
		}
		if (p->n_txq < ws_gw_n_tx(gw)) {
			fprintf(stderr, "wirespeed: ports[%u]: %s offers %u tx queues, %u reorder/TX "
				"lcores need one each (af_packet: qpairs=N)\n", i, pc->device,
				p->n_txq, ws_gw_n_tx(gw));
			return -EINVAL;
		}
		if (p->n_rxq < pc->rx_queues || p->n_txq < pc->tx_queues)
			PORT_LOG(NOTICE, "%s: queues capped by the device to %u rx, %u tx\n",
				 pc->name, p->n_rxq, p->n_txq);
		p->mtu = pc->mtu;
		port_fill_net(p, cfg);
		total_rxq += p->n_rxq;
		if (pc->role == WS_PORT_TUNNEL && gw->tunnel_port < 0)
			gw->tunnel_port = (int)i;
		if (pc->role == WS_PORT_CLEAR && gw->clear_port < 0)
			gw->clear_port = (int)i;
	}
	gw->n_ports = cfg->n_ports;
	if (gw->tunnel_port < 0 || gw->clear_port < 0) {
		fprintf(stderr, "wirespeed: ports: a tunnel and a clear port are needed\n");
		return -EINVAL;
	}
	if (n_rx > total_rxq)
		PORT_LOG(WARNING, "%u RX lcores but only %u rx queues: some RX lcores idle\n",
			 n_rx, total_rxq);
	return 0;
}

unsigned ws_gw_ports_descriptors(const struct ws_gw *gw)
{
	unsigned i, n = 0;

	for (i = 0; i < gw->n_ports; i++)
		n += gw->ports[i].n_rxq * NB_RXD + gw->ports[i].n_txq * NB_TXD;
	return n;
}

/*
 * ND needs the solicited-node groups of our IPv6 addresses (and all-nodes
 * for router advertisements). A device without a multicast filter list
 * falls back to all-multicast, then to promiscuous mode.
 */
static void port_multicast(struct ws_gw_port *p)
{
	struct rte_ether_addr mc[MC_ADDRS_MAX];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t group[16];
	uint32_t n = 0;
	unsigned i;
	int rc;

	if (p->net.n_v6 == 0)
		return;
	ws_net_ipv6_mcast_mac(all_nodes, &mc[n++]);
	for (i = 0; i < p->net.n_v6; i++) {
		ws_net_solicited_node(p->net.v6[i], group);
		ws_net_ipv6_mcast_mac(group, &mc[n++]);
	}
	rc = rte_eth_dev_set_mc_addr_list(p->port_id, mc, n);
	if (rc == 0)
		return;
	rc = rte_eth_allmulticast_enable(p->port_id);
	if (rc == 0 && rte_eth_allmulticast_get(p->port_id) == 1) {
		PORT_LOG(INFO, "%s: all-multicast on (no multicast filter list)\n", p->cfg->name);
		return;
	}
	rc = rte_eth_promiscuous_enable(p->port_id);
	if (rc == 0)
		PORT_LOG(INFO, "%s: promiscuous on, for IPv6 neighbor discovery\n", p->cfg->name);
	else
		PORT_LOG(WARNING, "%s: cannot receive multicast: IPv6 ND may fail\n",
			 p->cfg->name);
}

static void port_wait_link(struct ws_gw_port *p)
{
	struct rte_eth_link link;
	char buf[RTE_ETH_LINK_MAX_STR_LEN];
	unsigned waited;

	memset(&link, 0, sizeof(link));
	for (waited = 0; waited <= LINK_WAIT_MS; waited += 100) {
		if (rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			break;
		rte_delay_ms(100);
	}
	rte_eth_link_to_str(buf, sizeof(buf), &link);
	PORT_LOG(INFO, "%s (%s, port %u): %s\n", p->cfg->name, p->cfg->device, p->port_id, buf);
}

static int port_start(struct ws_gw *gw, struct ws_gw_port *p)
{
	const uint64_t cksum_rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	const uint64_t cksum_tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	const char *name = p->cfg->name;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxconf;
	struct rte_eth_txconf txconf;
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD, q;
	int socket = rte_eth_dev_socket_id(p->port_id);
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	int rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		goto fail;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = p->mtu;
	conf.rxmode.offloads = info.rx_offload_capa & cksum_rx;
	conf.txmode.offloads = info.tx_offload_capa & cksum_tx;
	if (p->n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	p->sw_ipv4_cksum = !(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	p->sw_l4_cksum = !(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM);

	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto fail;
	p->kept_at_close = 0;
	if (info.driver_name != NULL && strcmp(info.driver_name, "net_af_xdp") == 0)
		p->kept_at_close = p->n_rxq * (AF_XDP_FILL + nb_rxd) +
				   p->n_txq * (nb_txd + AF_XDP_COMP);
	rxconf = info.default_rxconf;
	rxconf.offloads = conf.rxmode.offloads;
	for (q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned)socket, &rxconf,
					    gw->pool);
		if (rc != 0)
			goto fail;
	}
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned)socket, &txconf);
		if (rc != 0)
			goto fail;
	}
	rc = rte_eth_dev_set_mtu(p->port_id, p->mtu);
	if (rc == -ENOTSUP)
		PORT_LOG(NOTICE, "%s: the device cannot set its MTU; %u assumed\n", name, p->mtu);
	else if (rc != 0)
		goto fail;
	if (p->cfg->has_mac) {
		struct rte_ether_addr a;

		memcpy(a.addr_bytes, p->cfg->mac, RTE_ETHER_ADDR_LEN);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &a);
		if (rc != 0) {
			fprintf(stderr, "wirespeed: ports[%u].mac: the device cannot take it: %s\n",
				(unsigned)(p - gw->ports), rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_macaddr_get(p->port_id, &p->net.mac);
	if (rc != 0)
		goto fail;
	/* Frames for other stations are dropped by the classifier anyway. */
	rte_eth_promiscuous_disable(p->port_id);
	port_multicast(p);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0)
		goto fail;
	rte_ether_format_addr(mac, sizeof(mac), &p->net.mac);
	PORT_LOG(INFO, "%s: %s role, mac %s, mtu %u, %u rx / %u tx queues, checksums %s\n",
		 name, ws_port_role_name(p->cfg->role), mac, p->mtu, p->n_rxq, p->n_txq,
		 p->sw_ipv4_cksum || p->sw_l4_cksum ? "in software" : "offloaded");
	port_wait_link(p);
	return 0;
fail:
	fprintf(stderr, "wirespeed: port %s (%s): %s\n", name, p->cfg->device,
		rte_strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -rc;
}

int ws_gw_ports_start(struct ws_gw *gw)
{
	unsigned i;
	int rc;

	for (i = 0; i < gw->n_ports; i++) {
		rc = port_start(gw, &gw->ports[i]);
		if (rc != 0) {
			while (i-- > 0) {
				rte_eth_dev_stop(gw->ports[i].port_id);
				rte_eth_dev_close(gw->ports[i].port_id);
			}
			return rc;
		}
	}
	rc = ws_dp_routes_build(gw);
	if (rc != 0) {
		fprintf(stderr, "wirespeed: route tables: %s\n", rte_strerror(-rc));
		for (i = 0; i < gw->n_ports; i++) {
			rte_eth_dev_stop(gw->ports[i].port_id);
			rte_eth_dev_close(gw->ports[i].port_id);
		}
	}
	return rc;
}

/* Closing releases the mbufs held in the rx descriptor rings. */
void ws_gw_ports_stop(struct ws_gw *gw)
{
	unsigned i;

	ws_dp_routes_free(gw);
	for (i = 0; i < gw->n_ports; i++) {
		rte_eth_dev_stop(gw->ports[i].port_id);
		rte_eth_dev_close(gw->ports[i].port_id);
	}
}
