#!/usr/bin/env bash
# Attacks on a live tunnel from the tunnel side:
#  - data messages captured on the wire and sent again are refused
#    (REPLAY) and nothing reaches the host twice;
#  - forged responses naming the gateway's pending handshake (its sender
#    index, sniffed from its initiation) do not destroy that handshake:
#    the real peer's response, held back until the forgeries are in,
#    completes it.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
WS_INJECT=${WS_INJECT:-$WS_BUILD/tests/tools/wsinject}
[ -x "$WS_INJECT" ] || { echo "error: $WS_INJECT not built" >&2; exit 1; }
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

PINGS=${PINGS:-20}
FORGED=${FORGED:-200}

ws_topo_create
ws_keys gw
ws_keys peer
peer_json=$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24"]')
ws_gw_config "$WS_TMP/gw.json" "$peer_json"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "tunnel up" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 15
gwmac=$(ws_nsx "$WS_NS_GW" cat /sys/class/net/wan0/address)

ws_log "replay: capture $PINGS echo requests peer -> host as data messages, send them again"
# Data messages from the peer to the gateway, as they leave the peer
# (ip netns exec, not ws_nsx: $! must be tcpdump itself, to stop it;
# --immediate-mode: libpcap would otherwise hold packets in a ring block
# that is lost when tcpdump is stopped).
ip netns exec "$WS_NS_PEER" tcpdump -i wan-p -Q out -U --immediate-mode -n -w "$WS_TMP/data.pcap" \
	'udp dst port 51820 and udp[8] = 4' >"$WS_TMP/tcpdump-peer.log" 2>&1 &
cap_pid=$!
WS_PIDS+=("$cap_pid")
# Echo requests as the host receives them.
ip netns exec "$WS_NS_HOST" tcpdump -i lan-h -Q in -U --immediate-mode -n -l 'icmp[icmptype] = icmp-echo' \
	>"$WS_TMP/host-echo.log" 2>"$WS_TMP/tcpdump-host.log" &
host_pid=$!
WS_PIDS+=("$host_pid")
# Both captures running before the first echo.
for _ in $(seq 100); do
	grep -q 'listening on' "$WS_TMP/tcpdump-peer.log" "$WS_TMP/tcpdump-host.log" 2>/dev/null &&
		[ "$(grep -l 'listening on' "$WS_TMP/tcpdump-peer.log" "$WS_TMP/tcpdump-host.log" | wc -l)" = 2 ] &&
		break
	sleep 0.1
done
sleep 0.3
ws_check "$PINGS pings peer -> host" ws_nsx "$WS_NS_PEER" ping -c "$PINGS" -i 0.05 -W 2 -q 10.1.0.2
sleep 0.5
kill -TERM "$cap_pid"; wait "$cap_pid" 2>/dev/null   # (INT is ignored in background jobs)
ws_nsx "$WS_NS_PEER" "$WS_INJECT" -i wan-p -M "$gwmac" pcap "$WS_TMP/data.pcap" \
	>"$WS_TMP/replay.out" 2>&1
ws_check "capture re-sent" [ $? = 0 ]
cat "$WS_TMP/replay.out"
replayed=$(awk '{ for (i = 1; i < NF; i++) if ($i == "wg_data") print $(i + 1) }' "$WS_TMP/replay.out")
sleep 1
kill -TERM "$host_pid"; wait "$host_pid" 2>/dev/null
echoes=$(grep -c 'ICMP echo request' "$WS_TMP/host-echo.log")
ws_check "gateway exits cleanly" ws_gw_stop
ws_log "replayed $replayed data messages; host saw $echoes echo requests; REPLAY $(ws_gw_drops REPLAY)"
ws_check "the capture held every echo request ($replayed >= $PINGS)" [ "${replayed:-0}" -ge "$PINGS" ]
ws_check "every replayed message refused as REPLAY" [ "$(ws_gw_drops REPLAY)" = "$replayed" ]
ws_check "the host saw each echo request exactly once" [ "$echoes" = "$PINGS" ]
ws_check "no other data-path drop" \
	[ "$(( $(ws_gw_drops DECRYPT) + $(ws_gw_drops NO_KEYPAIR) ))" = 0 ]
ws_peer_stop

ws_log "forged responses to the gateway's pending handshake ($FORGED of them)"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
# wireguard-go is stopped (SIGSTOP) while the gateway's initiation waits in
# its socket: the forgeries certainly reach the gateway first; then it
# runs again and answers.
ws_nsx "$WS_NS_PEER" "$WS_INJECT" -i wan-p -M "$gwmac" -D 192.0.2.1 -s 192.0.2.2 \
	-c "$FORGED" -k "$(cat "$WS_TMP/gw.pub")" response >"$WS_TMP/forge.out" 2>&1 &
forge_pid=$!
WS_PIDS+=("$forge_pid")
for _ in $(seq 50); do grep -q waiting "$WS_TMP/forge.out" && break; sleep 0.1; done
kill -STOP "$WS_PEER_PID"
# One echo; the gateway retries a handshake only after 5 s, so an answer
# within 4 s means the first handshake survived the forgeries.
ws_nsx "$WS_NS_HOST" ping -c 1 -W 4 10.2.0.2 >"$WS_TMP/forge-ping.log" 2>&1 &
ping_pid=$!
wait "$forge_pid"
ws_check "forger saw the initiation and sent its responses" [ $? = 0 ]
cat "$WS_TMP/forge.out"
sleep 0.2
kill -CONT "$WS_PEER_PID"
wait "$ping_pid"
ws_check "host -> peer: first echo answered despite the forgeries" [ $? = 0 ]
ws_check "gateway exits cleanly" ws_gw_stop
ws_log "handshakes_out $(ws_gw_final crypto "" handshakes_out), HANDSHAKE_INVALID $(ws_gw_drops HANDSHAKE_INVALID)"
ws_check "every forged response refused" [ "$(ws_gw_drops HANDSHAKE_INVALID)" -ge "$FORGED" ]
ws_check "one initiation was enough" [ "$(ws_gw_final crypto "" handshakes_out)" = 1 ]
ws_finish
