#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through ws_check
# The tunnel port on a device that completes UDP checksums (DPDK's
# net_tap, which offers RTE_ETH_TX_OFFLOAD_UDP_CKSUM, as real NICs do),
# with an IPv6 underlay, where every datagram needs one: the gateway
# leaves the sum to the device (pseudo-header in the field, the mbuf's
# offload flags set) and the stock peer's kernel accepts every datagram.
# The tap sits on a bridge in the gateway namespace with the veth to the
# peer. Pings of every size up to the tunnel MTU and iperf3 both ways; the
# peer namespace counts no UDP checksum error.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

tap=wst$WS_ID
br=wsb$WS_ID
ws_topo_create
ws_nsx "$WS_NS_GW" ip link add "$br" type bridge
ws_nsx "$WS_NS_GW" sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1"
ws_nsx "$WS_NS_GW" ip link set wan0 master "$br"
ws_nsx "$WS_NS_GW" ip link set "$br" up
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" "[2001:db8:1::2]:51820" '["10.2.0.0/24", "fd00:2::/64"]')"
sed -i "s/\"net_af_packet0,iface=wan0\"/\"net_tap0,iface=$tap\"/; s/\"device\": \"net_af_packet0\"/\"device\": \"net_tap0\"/" \
	"$WS_TMP/gw.json"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_nsx "$WS_NS_GW" sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
# The kernel side of the tap takes the port's MAC; given another, the
# bridge forwards frames for the gateway to the tap instead of keeping them.
ws_nsx "$WS_NS_GW" ip link set "$tap" address 02:00:00:00:77:77
ws_nsx "$WS_NS_GW" ip link set "$tap" master "$br" up
ws_check "the tunnel port on net_tap completes checksums" \
	grep -q "wan: tunnel role, .*checksums offloaded" "$WS_TMP/gw.log"
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" "[2001:db8:1::1]:51820"
ws_nsx "$WS_NS_PEER" nstat -n >/dev/null 2>&1

ws_check "host -> peer IPv4 ping (first contact)" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15
ws_check "host -> peer IPv6 ping x10" ws_ping "$WS_NS_HOST" fd00:2::2 10
sizes_ok() {
	local s
	for s in 0 1 7 100 555 1000 1391 1392; do
		ws_nsx "$WS_NS_HOST" ping -c 1 -W 2 -M "do" -s "$s" 10.2.0.2 >/dev/null || return 1
	done
}
ws_check "pings of every size up to the tunnel MTU" sizes_ok
ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p 5401 --logfile "$WS_TMP/iperf-s.log"
sleep 0.5
ws_check "iperf3 TCP host -> peer, 3 s" \
	ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p 5401 -t 3 -J --logfile "$WS_TMP/iperf-up.json"
ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p 5402 --logfile "$WS_TMP/iperf-s2.log"
sleep 0.5
ws_check "iperf3 TCP peer -> host (reverse), 3 s" \
	ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p 5402 -t 3 -R -J --logfile "$WS_TMP/iperf-down.json"
ws_nsx "$WS_NS_PEER" nstat >"$WS_TMP/nstat-peer.txt" 2>/dev/null
csum=$(awk '$1 == "Udp6InCsumErrors" { print $2 }' "$WS_TMP/nstat-peer.txt")
ws_log "peer namespace: Udp6InCsumErrors ${csum:-0}"
ws_check "the peer's kernel found no bad UDP checksum" [ "${csum:-0}" = 0 ]
ws_check "gateway exits cleanly (no leaked mbuf, keypair or peer)" ws_gw_stop
ws_finish
