#!/usr/bin/env bash
# Two peers, one with a preshared key, with different allowed-ips. A packet
# the second peer sends with the first peer's source address is dropped
# and counted (SOURCE_NOT_ALLOWED); both peers' own traffic flows.
set -uo pipefail
export WS_TWO_PEERS=1
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
ws_keys peer2
(umask 077; wg genpsk >"$WS_TMP/psk")
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 \
		'["10.2.0.0/24", "fd00:2::/64"]' "\"preshared_key\": \"$(cat "$WS_TMP/psk")\""),
	$(ws_peer_json "$(cat "$WS_TMP/peer2.pub")" 192.0.2.3:51820 '["10.2.1.0/24", "fd00:2:0:1::/64"]')"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820 \
	preshared-key "$WS_TMP/psk"
ws_peer2_start "$WS_TMP/peer2.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820

ws_check "peer 1 (preshared key) -> host" ws_wait_ping "$WS_NS_PEER" 10.1.0.2 10
ws_check "host -> peer 1" ws_ping "$WS_NS_HOST" 10.2.0.2 5
ws_check "peer 2 -> host" ws_wait_ping "$WS_NS_PEER2" 10.1.0.2 10
ws_check "host -> peer 2" ws_ping "$WS_NS_HOST" 10.2.1.2 5
ws_check "host -> peer 2 IPv6" ws_ping "$WS_NS_HOST" fd00:2:0:1::2 5

# Peer 2 forges peer 1's address inside its tunnel.
ws_nsx "$WS_NS_PEER2" ip addr add 10.2.0.99/32 dev "$WS_PEER2_IF"
ws_check "spoofed source from peer 2 gets no answer" \
	bash -c "! ip netns exec $WS_NS_PEER2 ping -c 3 -i 0.2 -W 1 -I 10.2.0.99 10.1.0.2 >/dev/null"
ws_check "peer 2 still works with its own address" ws_ping "$WS_NS_PEER2" 10.1.0.2 3
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "spoofed packets counted as SOURCE_NOT_ALLOWED" \
	[ "$(ws_gw_drops SOURCE_NOT_ALLOWED)" -ge 3 ]
ws_finish
