#!/usr/bin/env bash
# Faults, one gateway run:
#  - the peer (wireguard-go) is killed during an iperf3 transfer and
#    started again with the same keys: traffic resumes by itself (the
#    gateway re-initiates after 15 s of sending unanswered);
#  - a clear-side next hop that never answers ARP: packets for it are
#    queued, then counted NO_NEIGHBOR, none leaked;
#  - a clear-side next hop that answered and then goes silent: with the
#    neighbor entry's reachable time cut to 2 s (--neigh-reachable), the
#    gateway re-probes it, gives up after its probes and counts what
#    follows NO_NEIGHBOR;
#  - JSON-RPC clients that send half a request and hang up: the gateway
#    keeps serving;
#  - SIGTERM with iperf3 running at full speed: clean exit, every mbuf
#    back, the JSON-RPC socket removed.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

UNANSWERED=${UNANSWERED:-20}   # echoes toward a next hop that never answers ARP
STALE=${STALE:-100}            # echoes, 10 s, toward a next hop that went silent
HALF=${HALF:-50}               # JSON-RPC clients hanging up mid-request

ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 \
	'["10.2.0.0/24"]')"
WS_GW_ARGS="--stats-interval 1 --neigh-reachable 2000" ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "tunnel up" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15

ws_log "peer killed 3 s into a 28 s iperf3 UDP transfer (host -> peer), back 2 s later"
ws_nsx "$WS_NS_PEER" iperf3 -s -J >/dev/null 2>&1 &   # -J: the client gets its intervals
WS_PIDS+=($!)
sleep 0.5
ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -u -b 2M -t 28 -i 1 -J --get-server-output \
	>"$WS_TMP/iperf-kill.json" 2>&1 &
iperf_pid=$!
WS_PIDS+=("$iperf_pid")
sleep 3
hs_before=$(ws_gw_stat crypto "" handshakes_in)
ws_peer_stop
sleep 2
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
wait "$iperf_pid"
ws_check "iperf3 finished without error" [ $? = 0 ]
# What the peer's iperf3 server received, second by second: how many
# seconds got nothing, from which second on data arrived again. The
# server may close with a last interval of a few milliseconds after the
# client stopped, empty or not: only whole seconds count.
python3 - "$WS_TMP/iperf-kill.json" >"$WS_TMP/iperf-kill.txt" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    iv = [i["sum"]["bytes"] for i in j["server_output_json"]["intervals"]
          if i["sum"]["seconds"] >= 0.5]
except Exception:
    iv = []
dead = [n for n, b in enumerate(iv) if b == 0]
back = next((n for n in range(max(dead, default=0), len(iv)) if iv[n] > 0), -1)
tail = iv[-5:]
print(len(iv), len(dead), back, int(len(tail) == 5 and all(b > 0 for b in tail)))
PY
read -r n_iv n_dead back tail_ok <"$WS_TMP/iperf-kill.txt"
ws_log "peer received in $n_iv seconds, $n_dead of them nothing; data again from second $back"
ws_check "the outage was seen (seconds without data)" [ "$n_dead" -ge 1 ]
# Nobody touches the gateway: it re-initiates once it has sent for
# KEEPALIVE + REKEY_TIMEOUT (15 s) without hearing back.
ws_check "traffic resumed by itself (the last 5 s all carried data)" [ "$tail_ok" = 1 ]
sleep 1.2
ws_check "a new handshake with the restarted peer" \
	[ "$(ws_gw_stat crypto "" handshakes_in)" -gt "$hs_before" ]
ws_check "tunnel up after the restart" ws_ping "$WS_NS_HOST" 10.2.0.2 3

ws_log "next hop 10.1.0.77 never answers ARP: $UNANSWERED echoes toward it"
ws_nsx "$WS_NS_PEER" ping -c "$UNANSWERED" -i 0.1 -W 1 10.1.0.77 >/dev/null 2>&1
sleep 4   # past the resolution's retries
ws_check "the gateway still forwards to the host" ws_ping "$WS_NS_PEER" 10.1.0.2 3
sleep 1.2
nn_silent=$(ws_gw_drops NO_NEIGHBOR stats:)
ws_check "every echo toward the silent next hop counted NO_NEIGHBOR ($nn_silent = $UNANSWERED)" \
	[ "$nn_silent" = "$UNANSWERED" ]

# Resolved, then gone: the host drops 10.1.0.78 (so answers neither ARP nor
# echoes for it). The entry stays REACHABLE for up to 2 s, 3 unicast
# probes 1 s apart go unanswered, then it is FAILED and what follows drops
# at once: of 100 echoes over 10 s, roughly the last half.
ws_log "next hop 10.1.0.78 answers, then goes silent: $STALE echoes toward it over 10 s"
ws_nsx "$WS_NS_HOST" ip addr add 10.1.0.78/24 dev lan-h
ws_check "10.1.0.78 answers through the tunnel" ws_wait_ping "$WS_NS_PEER" 10.1.0.78 10
ws_nsx "$WS_NS_HOST" ip addr del 10.1.0.78/24 dev lan-h
ws_nsx "$WS_NS_HOST" timeout 12 tcpdump -e -n -l -i lan-h "arp and arp[24:4] = 0x0a01004e" \
	>"$WS_TMP/probes.txt" 2>/dev/null &
WS_PIDS+=($!)
ws_nsx "$WS_NS_PEER" ping -c "$STALE" -i 0.1 -W 1 10.1.0.78 >/dev/null 2>&1
sleep 1.2
stale_nn=$(( $(ws_gw_drops NO_NEIGHBOR stats:) - nn_silent ))
ws_log "NO_NEIGHBOR toward the silenced next hop: $stale_nn of $STALE; ARP requests seen at the host:"
sed 's/^/    /' "$WS_TMP/probes.txt"
probes=$(grep -c "Request who-has 10.1.0.78" "$WS_TMP/probes.txt")
ws_check "the gateway re-probed the silenced next hop: 1..3 ARP requests ($probes), unicast" \
	[ "$probes" -ge 1 ] && [ "$probes" -le 3 ] && ! grep -q "ff:ff:ff:ff:ff:ff" "$WS_TMP/probes.txt"
ws_check "echoes after the probes failed counted NO_NEIGHBOR (20 <= $stale_nn <= 80)" \
	[ "$stale_nn" -ge 20 ] && [ "$stale_nn" -le 80 ]
ws_check "the host is still reached" ws_ping "$WS_NS_PEER" 10.1.0.2 3

ws_log "$HALF JSON-RPC clients hang up mid-request"
python3 - "$WS_TMP/wsgw.sock" "$HALF" <<'PY'
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if i % 2 == 0:
        s.sendall(b'{"jsonrpc": "2.0", "id": %d, "method": "peer.li' % i)
    else:   # a whole request, gone before the answer
        s.sendall(b'{"jsonrpc": "2.0", "id": %d, "method": "stats.get"}\n' % i)
    s.close()
PY
ws_check "python clients ran" [ $? = 0 ]
ws_check "the gateway answers a whole request afterwards" \
	python3 "$WS_TOP/tests/integration/rpc.py" "$WS_TMP/wsgw.sock" peer.list
ws_check "the gateway is alive" kill -0 "$WS_GW_PID"

ws_log "SIGTERM during an iperf3 TCP transfer at full speed"
ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -t 10 >/dev/null 2>&1 &
WS_PIDS+=($!)
sleep 3
rx_busy=$(ws_gw_stat port lan rx_packets)
t0=$(date +%s%N)
ws_check "gateway exits cleanly under load, every mbuf back" ws_gw_stop
ws_log "exit took $(( ($(date +%s%N) - t0) / 1000000 )) ms; lan rx_packets $rx_busy at the last print"
ws_check "the transfer was running (lan rx_packets > 10000)" [ "$rx_busy" -gt 10000 ]
ws_check "final counters printed" grep -q '^final: crypto' "$WS_TMP/gw.log"
ws_check "JSON-RPC socket removed" [ ! -e "$WS_TMP/wsgw.sock" ]
nn=$(ws_gw_drops NO_NEIGHBOR)
ws_log "NO_NEIGHBOR $nn in all"
ws_check "no other NO_NEIGHBOR drops ($nn = $UNANSWERED + $stale_nn)" \
	[ "$nn" = $((UNANSWERED + stale_nn)) ]
ws_finish
