#!/usr/bin/env bash
# Roaming: the peer moves to another UDP port, then to another address;
# the gateway follows the source of its authenticated packets and traffic
# continues both ways.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
WS_GW_ARGS="--stats-interval 1" ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820

ws_check "peer -> host before roaming" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "host -> peer before roaming" ws_ping "$WS_NS_HOST" 10.2.0.2 3

ws_nsx "$WS_NS_PEER" wg set "$WS_PEER_IF" listen-port 51999
ws_wg_sockbuf "$WS_PEER_PID"                 # its sockets were made anew
ws_check "peer (new port) -> host" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 5
ws_check "host -> peer follows the new port" ws_ping "$WS_NS_HOST" 10.2.0.2 5
sleep 1.2
ws_check "gateway's endpoint is now 192.0.2.2:51999" \
	grep -q "^stats: peer .* endpoint 192.0.2.2:51999 " "$WS_TMP/gw.log"

# New address: the old one goes away, the peer's packets leave from the new one.
# (Deleting a primary address takes its secondaries along: delete first.)
ws_nsx "$WS_NS_PEER" ip addr del 192.0.2.2/24 dev wan-p
ws_nsx "$WS_NS_PEER" ip addr add 192.0.2.22/24 dev wan-p
# wireguard-go keeps sending from the source address it last used (sticky
# sockets) and does not notice it is gone; setting the endpoint again
# forgets it, as a roaming client does on a network change.
ws_nsx "$WS_NS_PEER" wg set "$WS_PEER_IF" peer "$(cat "$WS_TMP/gw.pub")" endpoint 192.0.2.1:51820
ws_check "peer (new address) -> host" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 8
ws_check "host -> peer follows the new address" ws_ping "$WS_NS_HOST" 10.2.0.2 5
sleep 1.2
ws_check "gateway's endpoint is now 192.0.2.22:51999" \
	grep -q "^stats: peer .* endpoint 192.0.2.22:51999 " "$WS_TMP/gw.log"
ws_check "gateway exits cleanly" ws_gw_stop
ws_finish
