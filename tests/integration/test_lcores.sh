#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through ws_check
# More lcores than cores: four EAL lcores on the two CPUs (--lcores
# 0@0,1@1,2@0,3@1), two workers, two reorder/TX lcores (each with its own
# tx queue: af_packet qpairs=2, whose two rx queues (a fanout) are both
# polled) and handshakes on two lcores. Handshake lcore 0 is lcore 2, a
# worker and not the control lcore: the peer's source address hashes to
# handshake lcore 0, so its handshakes are made off the control lcore and
# reach the timers as events. With a wireguard-go peer: pings both ways
# over IPv4 and IPv6, iperf3 TCP both ways, the peer pinging the gateway's
# own clear-side addresses through the tunnel (answered) and sending it
# UDP (dropped as TO_US), a clean exit with every mbuf back; then the
# gateway as initiator (the response consumed on lcore 2, the staged
# echoes flushed by control).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

ws_log "four lcores on two CPUs: rx [0], workers [1,2], tx [3,0], control 0, handshake [2,0]"
ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw0.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" "" '["10.2.0.0/24", "fd00:2::/64"]')"
cat >"$WS_TMP/lcores.jq" <<'EOF'
.eal |= map(if . == "-l" then "--lcores"
	    elif . == "0-1" then "0@0,1@1,2@0,3@1"
	    elif startswith("net_af_packet") then . + ",qpairs=2"
	    else . end)
| .ports |= map(. + {"rx_queues": 2, "tx_queues": 2})
| .lcores = {"rx": [0], "workers": [1, 2], "tx": [3, 0], "control": 0, "handshake": [2, 0]}
EOF
(umask 077; jq "$(cat "$WS_TMP/lcores.jq")" "$WS_TMP/gw0.json" >"$WS_TMP/gw.json") || exit 1
WS_GW_ARGS="--stats-interval 1" ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820

roles() { grep -q "lcore $1: $2\$" "$WS_TMP/gw.log" || { grep 'lcore [0-9]*:' "$WS_TMP/gw.log"; return 1; }; }
ws_check "lcore 0 runs rx, tx, control and handshakes" roles 0 "rx+tx+control+handshake"
ws_check "lcore 2 runs a worker and handshakes" roles 2 "worker+handshake"
ws_check "lcore 3 is the second reorder/TX lcore" roles 3 "tx"

ws_check "peer -> host IPv4 ping (peer initiates)" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "the initiation was answered on lcore 2" \
	grep -q "initiation answered on lcore 2" "$WS_TMP/gw.log"
ws_check "peer -> host IPv4 ping x10" ws_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "peer -> host IPv6 ping x10" ws_ping "$WS_NS_PEER" fd00:1::2 10
ws_check "host -> peer IPv4 ping x10" ws_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "host -> peer IPv6 ping x10" ws_ping "$WS_NS_HOST" fd00:2::2 10
ws_check "peer -> the gateway's 10.1.0.1 through the tunnel x5" ws_ping "$WS_NS_PEER" 10.1.0.1 5
ws_check "peer -> the gateway's fd00:1::1 through the tunnel x5" ws_ping "$WS_NS_PEER" fd00:1::1 5
ws_check "1420-byte echo to the gateway itself" \
	ws_nsx "$WS_NS_PEER" ping -c 2 -i 0.2 -W 2 -M "do" -s 1392 10.1.0.1
# Not an echo request: counted (TO_US) and dropped, nothing answers.
for port in 9 10 11; do
	ws_nsx "$WS_NS_PEER" bash -c "echo x >/dev/udp/10.1.0.1/$port" 2>/dev/null
done

iperf_tcp() {
	local dst=$1 port=$2; shift 2
	ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p "$port" --logfile "$WS_TMP/iperf-s$port.log"
	sleep 0.5
	ws_nsx "$WS_NS_HOST" iperf3 -c "$dst" -p "$port" -t 3 "$@" >"$WS_TMP/iperf$port.log" 2>&1 ||
		{ cat "$WS_TMP/iperf$port.log"; return 1; }
	grep -E 'sender|receiver' "$WS_TMP/iperf$port.log" | sed 's/^/    /'
}
ws_check "iperf3 TCP host -> peer (IPv4)" iperf_tcp 10.2.0.2 5201
ws_check "iperf3 TCP peer -> host (-R, IPv6)" iperf_tcp fd00:2::2 5202 -R
ws_check "ping still answered after iperf3" ws_ping "$WS_NS_PEER" 10.1.0.2 3

ws_nsx "$WS_NS_PEER" wg show "$WS_PEER_IF" | sed 's/^/    /'
ws_check "gateway exits cleanly (no leaked mbuf)" ws_gw_stop
ws_check "the handshake was answered" [ "$(ws_gw_final crypto "" handshakes_in)" -ge 1 ]
ws_check "UDP to the gateway through the tunnel counted as TO_US" \
	[ "$(ws_gw_drops TO_US)" -ge 3 ]
ws_check "no decrypt failures" [ "$(ws_gw_drops DECRYPT)" = 0 ]
ws_check "no reorder refusals" [ "$(ws_gw_drops REORDER)" = 0 ]
ws_check "no replay drops" [ "$(ws_gw_drops REPLAY)" = 0 ]

ws_log "the gateway as initiator, same lcores"
ws_gw_config "$WS_TMP/gw0.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
(umask 077; jq "$(cat "$WS_TMP/lcores.jq")" "$WS_TMP/gw0.json" >"$WS_TMP/gw.json") || exit 1
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_check "host -> peer: the very first echoes (staged) are answered" \
	ws_nsx "$WS_NS_HOST" ping -c 3 -i 0.01 -W 5 10.2.0.2
ws_check "peer -> host ping" ws_ping "$WS_NS_PEER" 10.1.0.2 3
ws_check "the response was consumed on lcore 2" \
	grep -q "handshake complete (initiator) on lcore 2" "$WS_TMP/gw.log"
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "the gateway sent the initiation" [ "$(ws_gw_final crypto "" handshakes_out)" -ge 1 ]
ws_check "no staged packet dropped" [ "$(ws_gw_drops NO_KEYPAIR)" = 0 ]
ws_finish
