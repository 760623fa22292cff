#!/usr/bin/env bash
# The peer restarts with the same keys: it initiates a new handshake, the
# gateway accepts it (newer timestamp) and traffic resumes both ways.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "traffic before the restart" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "peer -> host before the restart" ws_ping "$WS_NS_PEER" 10.1.0.2 3

ws_peer_stop
sleep 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "peer -> host after the restart (new handshake)" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "host -> peer after the restart" ws_ping "$WS_NS_HOST" 10.2.0.2 5
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "two handshakes or more" \
	[ $(($(ws_gw_final crypto "" handshakes_in) + $(ws_gw_final crypto "" handshakes_out))) -ge 2 ]
ws_finish
