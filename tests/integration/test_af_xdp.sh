#!/usr/bin/env bash
# The gateway on net_af_xdp (an XDP socket on each veth, copy mode): the
# tunnel carries traffic both ways with the wireguard-go peer, and the
# gateway stops cleanly. DPDK 22.11's PMD keeps the mbufs of its rings
# after the ports close; the gateway counts them as the driver's, up to
# what those rings hold, and still fails on anything beyond.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
ws_gw_config_af_xdp "$WS_TMP/gw.json"
ws_check "config names net_af_xdp devices only" \
	bash -c "grep -q net_af_xdp0 '$WS_TMP/gw.json' && ! grep -q net_af_packet '$WS_TMP/gw.json'"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_check "ports are XDP sockets" grep -q "net_af_xdp0" "$WS_TMP/gw.log"
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "host -> peer ping through the tunnel" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "peer -> host ping" ws_ping "$WS_NS_PEER" 10.1.0.2 5
ws_check "host -> peer ping over IPv6" ws_ping "$WS_NS_HOST" fd00:2::2 3
port=$((5300 + RANDOM % 500))
ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p "$port"
sleep 0.5
ws_check "iperf3 UDP host -> peer for 2 s" \
	ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p "$port" -t 2 -u -b 100M -l 1300
ws_check "gateway exits cleanly (exit status 0)" ws_gw_stop
ws_check "the driver's mbufs are counted as its own" \
	grep -q "kept by net_af_xdp after close" "$WS_TMP/gw.log"
ws_check "no mbuf reported lost" bash -c "! grep -q 'not returned' '$WS_TMP/gw.log'"
ws_check "thousands of packets encrypted" [ "$(ws_gw_final crypto "" encrypted)" -ge 1000 ]
ws_check "no decrypt failure" [ "$(ws_gw_drops DECRYPT)" = 0 ]
ws_finish
