#!/usr/bin/env bash
# A flood of genuine handshake initiations (each costs the gateway a DH)
# from 2,000 spoofed source addresses on the tunnel side, while an
# established tunnel to wireguard-go carries pings and an iperf3 UDP
# stream. The gateway must go "under load": answer with cookie replies,
# rate-limit the sources that come back with a valid mac2, and keep the
# tunnel's traffic flowing.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
WS_INJECT=${WS_INJECT:-$WS_BUILD/tests/tools/wsinject}
[ -x "$WS_INJECT" ] || { echo "error: $WS_INJECT not built" >&2; exit 1; }
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

FLOOD_N=${FLOOD_N:-20000}      # initiations
FLOOD_SRC=${FLOOD_SRC:-2000}   # spoofed sources, 192.0.4.0 upwards
FLOOD_RATE=${FLOOD_RATE:-4000} # per second on average: 5 s
FLOOD_GROUP=${FLOOD_GROUP:-2500} # in groups of 2,500 ...
FLOOD_PEAK=${FLOOD_PEAK:-40000} # ... sent at 40,000/s (62 ms each), above what one lcore can DH
UDP_RATE=${UDP_RATE:-5M}

ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 \
	'["10.2.0.0/24", "fd00:2::/64"]')"
# The spoofed sources are on-link: the tunnel port's subnet is a /20 here,
# so the gateway resolves them (wsinject answers ARP) and sends them cookies.
sed -i 's#"192.0.2.1/24"#"192.0.2.1/20"#' "$WS_TMP/gw.json"
WS_GW_ARGS="--stats-interval 1" ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "tunnel up before the flood" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15
gwmac=$(ws_nsx "$WS_NS_GW" cat /sys/class/net/wan0/address)

ws_nsx "$WS_NS_HOST" iperf3 -s -1 -B 10.1.0.2 >/dev/null 2>&1 &
WS_PIDS+=($!)
sleep 0.5
ws_nsx "$WS_NS_PEER" iperf3 -c 10.1.0.2 -u -b "$UDP_RATE" -l 1000 -t 8 -J \
	>"$WS_TMP/iperf.json" 2>&1 &
iperf_pid=$!
WS_PIDS+=("$iperf_pid")
ws_nsx "$WS_NS_HOST" ping -c 40 -i 0.2 -W 1 10.2.0.2 >"$WS_TMP/flood-ping.log" 2>&1 &
ping_pid=$!
WS_PIDS+=("$ping_pid")
sleep 1
ws_log "flood: $FLOOD_N initiations from $FLOOD_SRC sources at $FLOOD_RATE/s in groups of $FLOOD_GROUP at $FLOOD_PEAK/s"
ws_nsx "$WS_NS_PEER" "$WS_INJECT" -i wan-p -M "$gwmac" -D 192.0.2.1 -s 192.0.4.0 \
	-n "$FLOOD_SRC" -c "$FLOOD_N" -r "$FLOOD_RATE" -g "$FLOOD_GROUP" -R "$FLOOD_PEAK" -b 8 -k "$(cat "$WS_TMP/gw.pub")" flood \
	>"$WS_TMP/flood.out" 2>&1
flood_rc=$?
cat "$WS_TMP/flood.out"
wait "$ping_pid"
wait "$iperf_pid"
sleep 1.5   # one more stats print
ws_check "flood tool sent every initiation" [ "$flood_rc" = 0 ]

read -r sent loss < <(awk '/packets transmitted/ { print $1, $6 }' "$WS_TMP/flood-ping.log")
ws_log "pings during the flood: $sent sent, $loss loss"
ws_check "pings answered during the flood (<= 10 % loss)" \
	awk -v l="${loss%\%}" 'BEGIN { exit !(l != "" && l + 0 <= 10) }'
read -r lost total < <(python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum"]
    print(s["lost_packets"], s["packets"])
except Exception:
    print(-1, 0)' "$WS_TMP/iperf.json")
ws_log "iperf3 UDP $UDP_RATE during the flood: $lost of $total datagrams lost"
ws_check "iperf3 UDP kept flowing (>= 90 % delivered)" \
	awk -v l="$lost" -v t="$total" 'BEGIN { exit !(t > 0 && l >= 0 && l <= t / 10) }'

# While the flood ran, the periodic stats already showed the defence.
cookies=$(ws_gw_stat crypto "" cookies_sent)
ws_log "gateway during the flood: cookies_sent $cookies," \
	"RATELIMIT $(ws_gw_drops RATELIMIT stats:), HANDSHAKE_QUEUE $(ws_gw_drops HANDSHAKE_QUEUE stats:)," \
	"handshakes_in $(ws_gw_stat crypto "" handshakes_in)"
ws_check "gateway went under load: cookie replies sent" [ "$cookies" -gt 0 ]
learnt=$(awk '{ for (i = 1; i < NF; i++) if ($i == "cookies") print $(i + 1) }' "$WS_TMP/flood.out")
ws_check "cookie replies reached the spoofed sources and decrypted (wsinject: ${learnt:-0})" \
	[ "${learnt:-0}" -gt 0 ]
ws_check "sources coming back with mac2 were rate-limited" \
	[ "$(ws_gw_drops RATELIMIT stats:)" -gt 0 ]
ws_check "tunnel still up after the flood" ws_ping "$WS_NS_HOST" 10.2.0.2 3
ws_check "gateway exits cleanly, every mbuf back" ws_gw_stop
ws_check "no decrypt failures on the tunnel" [ "$(ws_gw_drops DECRYPT)" = 0 ]
ws_finish
