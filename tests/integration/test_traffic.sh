#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through ws_check
# Traffic both ways through the gateway with a wireguard-go peer, over an
# IPv4 (argument 4, the default) or an IPv6 (argument 6) underlay, with
# IPv4 and IPv6 inside: pings, iperf3 TCP both ways, iperf3 UDP at a modest
# rate with no loss, and byte counters that agree between the peer's
# `wg show` and the gateway's statistics. A second argument "rtc" runs the
# gateway on one lcore, where a burst goes from RX through crypto to TX
# inline; otherwise the worker has lcore 1 and the rings and the reorder
# stage are between.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

outer=${1:-4}
if [ "${2:-}" = rtc ]; then
	export WS_LCORES=0
	ws_log "one lcore: every role, the inline path"
fi
if [ "$outer" = 6 ]; then
	gw_ep="[2001:db8:1::1]:51820" peer_ep="[2001:db8:1::2]:51820"
else
	gw_ep="192.0.2.1:51820" peer_ep="192.0.2.2:51820"
fi
ws_log "traffic over an IPv$outer underlay"

ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" "$peer_ep" '["10.2.0.0/24", "fd00:2::/64"]')"
WS_GW_ARGS="--stats-interval 1" ws_gw_start "$WS_TMP/gw.json" || exit 1
if [ "${2:-}" = rtc ]; then
	ws_check "the one lcore runs inline" grep -q "lcore 0: .*(inline" "$WS_TMP/gw.log"
else
	ws_check "RX and worker on separate lcores (rings between)" \
		bash -c "! grep -q '(inline' '$WS_TMP/gw.log'"
fi
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" "$gw_ep"

ws_check "host -> peer IPv4 ping (first contact)" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "host -> peer IPv4 ping x10" ws_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "host -> peer IPv6 ping x10" ws_ping "$WS_NS_HOST" fd00:2::2 10
ws_check "peer -> host IPv4 ping x10" ws_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "peer -> host IPv6 ping x10" ws_ping "$WS_NS_PEER" fd00:1::2 10
ws_check "1420-byte IPv4 packets (exactly the tunnel MTU)" \
	ws_nsx "$WS_NS_HOST" ping -c 3 -i 0.2 -W 2 -M "do" -s 1392 10.2.0.2

# Quiet now, every echo answered: the byte counters must agree to the
# byte, but for the handshake messages wireguard-go counts as well.
pub=$(cat "$WS_TMP/peer.pub")
sleep 1.5
read -r peer_rx peer_tx < <(ws_peer_transfer "$WS_NS_PEER" "$WS_PEER_IF")
sleep 1.2
gw_rx=$(ws_gw_stat peer "$pub" rx_bytes)
gw_tx=$(ws_gw_stat peer "$pub" tx_bytes)
ws_log "after the pings: peer rx $peer_rx tx $peer_tx; gateway rx $gw_rx tx $gw_tx"
ws_check "peer's tx bytes == gateway's rx bytes (+ handshakes)" ws_near "$peer_tx" "$gw_rx" 240
ws_check "peer's rx bytes == gateway's tx bytes (+ handshakes)" ws_near "$peer_rx" "$gw_tx" 240

iperf_tcp() {
	local dst=$1 port=$2; shift 2
	ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p "$port" --logfile "$WS_TMP/iperf-s$port.log"
	sleep 0.5
	ws_nsx "$WS_NS_HOST" iperf3 -c "$dst" -p "$port" -t 3 "$@" >"$WS_TMP/iperf$port.log" 2>&1 ||
		{ cat "$WS_TMP/iperf$port.log"; return 1; }
	grep -E 'sender|receiver' "$WS_TMP/iperf$port.log" | sed 's/^/    /'
}
# UDP receive-buffer overflows in the peer namespace: wireguard-go's outer
# socket and iperf3's inner one both live there.
peer_rcvbuf_errors() {
	ws_nsx "$WS_NS_PEER" nstat -az UdpRcvbufErrors Udp6RcvbufErrors 2>/dev/null |
		awk '$1 ~ /RcvbufErrors/ { s += $2 } END { print s + 0 }'
}
# No loss at a modest rate. On a starved machine the peer's sockets may
# overflow after the gateway delivered everything: that loss is accepted
# only when the peer's own kernel counted at least as many overflows and
# the gateway encrypted every datagram and dropped none on the data path.
iperf_udp() {
	local dst=$1 port=$2 lost sent enc0 enc1 err0 err1
	ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p "$port" --logfile "$WS_TMP/iperf-s$port.log"
	sleep 1.2
	enc0=$(ws_gw_stat crypto "" encrypted)
	err0=$(peer_rcvbuf_errors)
	ws_nsx "$WS_NS_HOST" iperf3 -c "$dst" -p "$port" -u -b 20M -l 1200 -t 3 -J \
		>"$WS_TMP/iperf$port.json" 2>&1 || { cat "$WS_TMP/iperf$port.json"; return 1; }
	read -r lost sent < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]["sum"]; print(e["lost_packets"], e["packets"])' \
		"$WS_TMP/iperf$port.json")
	ws_log "    UDP lost/sent: $lost $sent"
	[ "$lost" = 0 ] && return 0
	sleep 1.2
	enc1=$(ws_gw_stat crypto "" encrypted)
	err1=$(peer_rcvbuf_errors)
	ws_log "    gateway encrypted $((enc1 - enc0)); peer socket overflows $((err1 - err0))"
	[ $((enc1 - enc0)) -ge "$sent" ] && [ $((err1 - err0)) -ge "$lost" ] &&
		[ "$(ws_gw_drops RING_FULL stats:)" = 0 ] && [ "$(ws_gw_drops NO_ROOM stats:)" = 0 ] &&
		[ "$(ws_gw_drops TX_FAILED stats:)" = 0 ] && [ "$(ws_gw_drops NO_MBUF stats:)" = 0 ]
}
ws_check "iperf3 TCP host -> peer (IPv4)" iperf_tcp 10.2.0.2 5201
ws_check "iperf3 TCP peer -> host (-R, IPv4)" iperf_tcp 10.2.0.2 5202 -R
ws_check "iperf3 TCP host -> peer (IPv6)" iperf_tcp fd00:2::2 5203
ws_check "iperf3 UDP 20 Mbit/s host -> peer, no loss" iperf_udp 10.2.0.2 5204

read -r peer_rx peer_tx < <(ws_peer_transfer "$WS_NS_PEER" "$WS_PEER_IF")
ws_nsx "$WS_NS_PEER" wg show "$WS_PEER_IF" | sed 's/^/    /'
ws_check "gateway exits cleanly (no leaked mbuf)" ws_gw_stop
gw_rx=$(ws_gw_final peer "$pub" rx_bytes)
gw_tx=$(ws_gw_final peer "$pub" tx_bytes)
ws_log "after iperf3: peer rx $peer_rx tx $peer_tx; gateway rx $gw_rx tx $gw_tx"
# TCP at full speed loses packets in the peer's kernel when wireguard-go
# falls behind; what one side received cannot exceed what the other sent.
ws_check "gateway received no more than the peer sent" ws_le "$gw_rx" "$((peer_tx + 240))"
ws_check "peer received no more than the gateway sent" ws_le "$peer_rx" "$((gw_tx + 240))"
ws_check "no decrypt failures" [ "$(ws_gw_drops DECRYPT)" = 0 ]
ws_check "no replay drops" [ "$(ws_gw_drops REPLAY)" = 0 ]
ws_finish
