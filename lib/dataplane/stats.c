/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Drop-reason names and the sum of the per-lcore counters. Each lcore
 * writes only its own ws_lcore_stats with plain stores; readers sum
 * without locks and may see a counter one update behind, never torn
 * (aligned 64-bit loads).
 */
#include <string.h>

#include "dp_priv.h"

RTE_LOG_REGISTER(ws_dp_logtype, wirespeed.datapath, NOTICE);

static const char *const drop_names[WS_GW_DROP_MAX] = {
#define _(n, s) [WS_GW_DROP_##n] = #n,
	foreach_ws_gw_drop
#undef _
};

static const char *const drop_descs[WS_GW_DROP_MAX] = {
#define _(n, s) [WS_GW_DROP_##n] = s,
	foreach_ws_gw_drop
#undef _
};

const char *ws_gw_drop_name(enum ws_gw_drop reason)
{
	if ((unsigned)reason >= WS_GW_DROP_MAX)
		return "UNKNOWN";
	return drop_names[reason];
}

const char *ws_gw_drop_desc(enum ws_gw_drop reason)
{
	if ((unsigned)reason >= WS_GW_DROP_MAX)
		return "unknown drop reason";
	return drop_descs[reason];
}

void ws_gw_stats_sum(const struct ws_gw *gw, struct ws_lcore_stats *out)
{
	unsigned l, i;

	memset(out, 0, sizeof(*out));
	for (l = 0; l < RTE_MAX_LCORE; l++) {
		const struct ws_lcore_stats *s = &gw->stats[l];

		for (i = 0; i < WS_MAX_PORTS; i++) {
			out->rx_packets[i] += s->rx_packets[i];
			out->rx_bytes[i] += s->rx_bytes[i];
			out->tx_packets[i] += s->tx_packets[i];
			out->tx_bytes[i] += s->tx_bytes[i];
		}
		out->encrypted += s->encrypted;
		out->decrypted += s->decrypted;
		out->handshakes_in += s->handshakes_in;
		out->handshakes_out += s->handshakes_out;
		out->cookies_sent += s->cookies_sent;
		out->keepalives_rx += s->keepalives_rx;
		out->icmp_too_big += s->icmp_too_big;
		for (i = 0; i < WS_NET_DROP_MAX; i++)
			out->parse_drops[i] += s->parse_drops[i];
		for (i = 0; i < WS_GW_DROP_MAX; i++)
			out->drops[i] += s->drops[i];
	}
}
