#!/usr/bin/env bash
# Who starts the handshake. Responder: the gateway knows no endpoint for
# the peer, the peer pings first. Initiator: the host pings first; the
# gateway stages the packets, completes a handshake and delivers them.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
allowed='["10.2.0.0/24", "fd00:2::/64"]'

ws_log "gateway as responder (no endpoint configured)"
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" "" "$allowed")"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "host -> peer fails before the peer spoke" \
	bash -c "! ip netns exec $WS_NS_HOST ping -c 1 -W 1 10.2.0.2 >/dev/null"
ws_check "peer -> host ping (peer initiates)" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "host -> peer ping after the handshake" ws_ping "$WS_NS_HOST" 10.2.0.2 5
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "one handshake answered" [ "$(ws_gw_final crypto "" handshakes_in)" -ge 1 ]
ws_peer_stop

ws_log "gateway as initiator (host pings first; staged packets delivered)"
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 "$allowed")"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
# Three echoes sent at once, before any handshake: all staged, all answered.
ws_check "host -> peer: the very first echoes are answered" \
	ws_nsx "$WS_NS_HOST" ping -c 3 -i 0.01 -W 5 10.2.0.2
ws_check "peer -> host ping" ws_ping "$WS_NS_PEER" 10.1.0.2 5
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "the gateway sent the initiation" [ "$(ws_gw_final crypto "" handshakes_out)" -ge 1 ]
ws_check "no staged packet overflowed" [ "$(ws_gw_drops STAGED_OVERFLOW)" = 0 ]
ws_finish
