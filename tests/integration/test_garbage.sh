#!/usr/bin/env bash
# Hostile input: random, truncated, mis-sized, bad-checksum, unknown-index
# and oversized frames on both ports, each of which must be counted under
# a drop reason; small-order public keys refused as peers (config load and
# JSON-RPC peer.add); initiations with a small-order ephemeral never lead
# to a handshake.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
WS_INJECT=${WS_INJECT:-$WS_BUILD/tests/tools/wsinject}
[ -x "$WS_INJECT" ] || { echo "error: $WS_INJECT not built" >&2; exit 1; }
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

GARBAGE_N=${GARBAGE_N:-3000}   # frames per port
CHATTER=${CHATTER:-40}         # the kernel's own MLD/RS frames on the veths
LOW_ORDER="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA= X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=
7P///////////////////////////////////////38= 7f///////////////////////////////////////38=
7v///////////////////////////////////////38="
allowed='["10.2.0.0/24"]'

# Sum of every drop counter (parser and gateway) in the final print.
total_drops() { awk '$1 == "final:" && $2 == "drop" { s += $4 } END { print s + 0 }' "$WS_TMP/gw.log"; }

ws_topo_create
ws_keys gw
ws_keys peer

ws_log "small-order keys in the config are refused at load"
for k in AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= 4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=; do
	ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$k" "" "$allowed")"
	ws_check "config with peer $k refused" bash -c "! timeout 60 ip netns exec $WS_NS_GW \
		$WS_BIN -- --config $WS_TMP/gw.json --idle-sleep 50 >$WS_TMP/refused.log 2>&1"
	grep -m1 -i 'peer' "$WS_TMP/refused.log" | sed 's/^/  /'
done

ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" "" "$allowed")"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_log "small-order keys refused by peer.add"
for k in $LOW_ORDER; do
	out=$(python3 "$WS_TOP/tests/integration/rpc.py" "$WS_TMP/wsgw.sock" peer.add \
		"{\"public_key\": \"$k\", \"allowed_ips\": [\"10.3.0.0/24\"]}" 2>&1)
	rc=$?
	ws_check "peer.add $k refused (-32602)" \
		bash -c "[ $rc = 2 ] && grep -q -- '-32602' <<<'$out'"
done
ws_check "the gateway still has exactly one peer" bash -c "[ \"\$(python3 \
	'$WS_TOP/tests/integration/rpc.py' '$WS_TMP/wsgw.sock' peer.list | grep -o public_key | wc -l)\" = 1 ]"

ws_log "initiations with a small-order ephemeral (registered peer's real static key)"
gwmac=$(ws_nsx "$WS_NS_GW" cat /sys/class/net/wan0/address)
lanmac=$(ws_nsx "$WS_NS_GW" cat /sys/class/net/lan0/address)
ws_check "lowinit sent" ws_nsx "$WS_NS_PEER" "$WS_INJECT" -i wan-p -M "$gwmac" \
	-D 192.0.2.1 -s 192.0.2.2 -k "$(cat "$WS_TMP/gw.pub")" -K "$WS_TMP/peer.key" lowinit

ws_log "garbage: $GARBAGE_N frames on each port"
ws_check "garbage on the tunnel port sent" ws_nsx "$WS_NS_PEER" "$WS_INJECT" -i wan-p \
	-M "$gwmac" -D 192.0.2.1 -s 192.0.2.2 -c "$GARBAGE_N" -r 3000 garbage
# Clear side: to an address no peer's allowed-ips covers, so even a frame
# that parses ends in a drop (NO_PEER, TOO_BIG).
ws_check "garbage on the clear port sent" ws_nsx "$WS_NS_HOST" "$WS_INJECT" -i lan-h \
	-M "$lanmac" -D 10.9.9.9 -s 10.1.0.2 -P 5555 -S 4444 -c "$GARBAGE_N" -r 3000 garbage
sleep 1
for d in "$WS_NS_GW:wan0" "$WS_NS_GW:lan0" "$WS_NS_PEER:wan-p" "$WS_NS_HOST:lan-h"; do
	ws_log "kernel counters ${d#*:}: $(ws_nsx "${d%%:*}" ip -s link show "${d#*:}" | awk '/RX:/ { getline; print "rx", $2, "dropped", $4 } /TX:/ { getline; print "tx", $2, "dropped", $4 }' | tr '\n' ' ')"
done
ws_check "gateway alive after the garbage" kill -0 "$WS_GW_PID"
ws_check "gateway exits cleanly, every mbuf back" ws_gw_stop

rx=$(( $(ws_gw_final port wan rx_packets) + $(ws_gw_final port lan rx_packets) ))
drops=$(total_drops)
sent=$((2 * GARBAGE_N + 7))
ws_log "frames sent $sent, received $rx, dropped $drops:"
awk '$1 == "final:" && $2 == "drop" { print "  " $3, $4 }' "$WS_TMP/gw.log"
# A frame or two in a few thousand that the kernel's veth took never shows
# up in the gateway's af_packet ring (no counter of the kernel's or the
# PMD's moves); what the gateway did receive must all be accounted for.
ws_check "the gateway received the frames ($rx of $sent, at most 0.2 % short)" \
	[ "$rx" -ge $((sent - sent / 500)) ]
# The only frames received and not dropped are the kernels' own ARP/ND
# to the gateway's addresses, which it answers: a handful per run.
ws_check "every frame received counted under a drop reason (drops $drops, received $rx)" \
	[ "$drops" -ge $((rx - 8)) ]
ws_check "nothing else dropped (drops <= sent + $CHATTER)" [ "$drops" -le $((sent + CHATTER)) ]
# The host gets ICMP frag-needed errors for the oversized frames (TOO_BIG),
# and ARP; nothing else.
ws_check "nothing forwarded to the host" \
	[ "$(ws_gw_final port lan tx_packets)" -le $(( $(ws_gw_drops TOO_BIG) + CHATTER )) ]
ws_check "small-order ephemerals: 7 initiations refused" \
	[ "$(ws_gw_drops HANDSHAKE_INVALID)" -ge 7 ]
ws_check "no handshake with the peer" \
	[ "$(ws_gw_final peer "$(cat "$WS_TMP/peer.pub")" last_handshake)" = 0 ]
ws_check "no packets encrypted or decrypted" \
	[ "$(( $(ws_gw_final crypto "" encrypted) + $(ws_gw_final crypto "" decrypted) ))" = 0 ]
ws_finish
