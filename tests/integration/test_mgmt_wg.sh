#!/usr/bin/env bash
# Debian's wg(8) against the gateway's UAPI socket: a gateway with no
# peers; `wg set <gw> peer ... allowed-ips ... endpoint ...` adds the
# wireguard-go peer and traffic flows; `wg show`, `wg show dump` and
# `wg showconf` report it (showconf round-trips through `wg setconf`
# syntax); `wg set ... persistent-keepalive` changes it live; `wg set ...
# remove` removes it and traffic stops; the socket is removed on exit.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
ws_gw_config "$WS_TMP/gw.json" ""
python3 - "$WS_TMP/gw.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["management"]["uapi"] = True
json.dump(c, open(sys.argv[1], "w"))
EOF
GW=wsgw$WS_ID
UAPI=/var/run/wireguard/$GW.sock
ws_gw_start "$WS_TMP/gw.json" || exit 1
PEER_PUB=$(cat "$WS_TMP/peer.pub")
GW_PUB=$(cat "$WS_TMP/gw.pub")
ws_check "UAPI socket exists, mode 0600" [ "$(stat -c %a "$UAPI" 2>/dev/null)" = 600 ]
ws_peer_start "$WS_TMP/peer.key" "$GW_PUB" 192.0.2.1:51820

# lib.sh's config says "telemetry": false: DPDK's socket is there, our commands are not.
ws_check "telemetry off: no /wirespeed/ commands on DPDK's telemetry socket" python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % sys.argv[1])
s.recv(16384)
s.send(b"/")
cmds = json.loads(s.recv(1 << 16).decode())["/"]
sys.exit(0 if "/ethdev/list" in cmds and not [c for c in cmds if c.startswith("/wirespeed")] else 1)' "ws$WS_ID"
ws_check "wg show: no peers yet" bash -c "[ \"\$(wg show $GW peers)\" = '' ]"
ws_check "wg show: our public key" bash -c "[ \"\$(wg show $GW public-key)\" = '$GW_PUB' ]"
ws_check "wg show: listen port" bash -c "[ \"\$(wg show $GW listen-port)\" = 51820 ]"
ws_check "wg set: add the peer" \
	wg set "$GW" peer "$PEER_PUB" allowed-ips 10.2.0.0/24,fd00:2::/64 endpoint 192.0.2.2:51820
ws_check "traffic through the peer added with wg set (v4)" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15
ws_check "traffic through the peer added with wg set (v6)" ws_ping "$WS_NS_HOST" fd00:2::2 3
ws_check "and from the peer" ws_ping "$WS_NS_PEER" 10.1.0.2 3

wg show "$GW" >"$WS_TMP/show.txt" 2>&1
sed 's/^/  show| /' "$WS_TMP/show.txt"
ws_check "wg show: the peer, endpoint, allowed ips" bash -c "
	grep -q 'peer: $PEER_PUB' $WS_TMP/show.txt &&
	grep -q 'endpoint: 192.0.2.2:51820' $WS_TMP/show.txt &&
	grep -q 'allowed ips: 10.2.0.0/24, fd00:2::/64' $WS_TMP/show.txt &&
	grep -q 'latest handshake:' $WS_TMP/show.txt && grep -q 'transfer:' $WS_TMP/show.txt &&
	grep -q 'private key: (hidden)' $WS_TMP/show.txt"

wg show "$GW" dump >"$WS_TMP/dump.txt"
ws_check "wg show dump: interface line with our keys and port" bash -c "
	head -1 $WS_TMP/dump.txt | awk -F'\t' '\$1 == \"$(cat "$WS_TMP/gw.key")\" && \$2 == \"$GW_PUB\" && \$3 == 51820' | grep -q ."
ws_check "wg show dump: peer line, handshake and counters non-zero" bash -c "
	awk -F'\t' 'NR == 2 && \$1 == \"$PEER_PUB\" && \$3 == \"192.0.2.2:51820\" &&
		\$4 == \"10.2.0.0/24,fd00:2::/64\" && \$5 > 0 && \$6 > 0 && \$7 > 0' $WS_TMP/dump.txt | grep -q ."
# The byte counters agree with the peer's own view (whole data messages both sides).
read -r prx ptx < <(ws_peer_transfer "$WS_NS_PEER" "$WS_PEER_IF")
read -r grx gtx < <(awk -F'\t' 'NR == 2 { print $6, $7 }' "$WS_TMP/dump.txt")
ws_log "gateway rx/tx $grx/$gtx, peer rx/tx $prx/$ptx"
ws_check "dump counters match the peer's (within a keepalive or two)" \
	bash -c "awk -v a=$grx -v b=$ptx -v c=$gtx -v d=$prx 'BEGIN { exit !((a-b)^2 <= 320^2 && (c-d)^2 <= 320^2) }'"

wg showconf "$GW" >"$WS_TMP/showconf.txt"
ws_check "wg showconf: private key, port, peer section" bash -c "
	grep -q '^PrivateKey = $(cat "$WS_TMP/gw.key")' $WS_TMP/showconf.txt &&
	grep -q '^ListenPort = 51820' $WS_TMP/showconf.txt &&
	grep -q '^PublicKey = $PEER_PUB' $WS_TMP/showconf.txt &&
	grep -q '^AllowedIPs = 10.2.0.0/24, fd00:2::/64' $WS_TMP/showconf.txt &&
	grep -q '^Endpoint = 192.0.2.2:51820' $WS_TMP/showconf.txt"
# showconf's output is a valid setconf input: syncconf applies it as is.
ws_check "wg syncconf with showconf's output (no change)" wg syncconf "$GW" "$WS_TMP/showconf.txt"
ws_check "traffic unaffected by syncconf" ws_ping "$WS_NS_HOST" 10.2.0.2 3

tx_of() { wg show "$GW" transfer | awk '{ print $3 }'; }
sleep 1
tx0=$(tx_of)
ws_check "wg set: persistent keepalive, live" wg set "$GW" peer "$PEER_PUB" persistent-keepalive 1
ws_check "wg show: keepalive 1" bash -c "wg show $GW persistent-keepalive | grep -q '	1$'"
sleep 3.5
tx1=$(tx_of)
ws_log "sent to the peer in 3.5 quiet seconds with keepalive 1: $((tx1 - tx0)) bytes"
ws_check "keepalives flow at once (>= 2 x 32 bytes)" [ "$((tx1 - tx0))" -ge 64 ]
ws_check "wg set: keepalive off" wg set "$GW" peer "$PEER_PUB" persistent-keepalive off
ws_check "wg set: allowed ips changed" wg set "$GW" peer "$PEER_PUB" allowed-ips 10.2.0.0/24
ws_check "wg show: allowed ips now v4 only" \
	bash -c "[ \"\$(wg show $GW allowed-ips | cut -f2)\" = 10.2.0.0/24 ]"
ws_check "IPv6 no longer routed to the peer" \
	bash -c "! ip netns exec $WS_NS_HOST ping -c 2 -i 0.2 -W 1 fd00:2::2 >/dev/null"
ws_check "IPv4 still is" ws_ping "$WS_NS_HOST" 10.2.0.2 3

ws_check "wg set: remove the peer" wg set "$GW" peer "$PEER_PUB" remove
ws_check "wg show: no peers" bash -c "[ \"\$(wg show $GW peers)\" = '' ]"
ws_check "traffic stops once removed" \
	bash -c "! ip netns exec $WS_NS_HOST ping -c 3 -i 0.3 -W 1 10.2.0.2 >/dev/null"
ws_check "a bad wg set fails with an error" \
	bash -c "! wg set $GW listen-port 0 2>/dev/null"
ws_check "gateway exits cleanly" ws_gw_stop
ws_check "UAPI socket removed on exit" [ ! -e "$UAPI" ]
ws_check "packets to the removed peer counted as NO_PEER" [ "$(ws_gw_drops NO_PEER)" -ge 3 ]
ws_finish
