#!/usr/bin/env bash
# Bounded soak, and the secrets checks (docs/security.md).
#
# The gateway with a wireguard-go peer (preshared key) runs for
# WS_SOAK_SECONDS (default 60; 600 by hand) under iperf3 UDP at a modest
# rate (WS_SOAK_RATE, default 20M), while a JSON-RPC client adds and
# removes throw-away peers (each with a preshared key) in a loop, and a
# fresh handshake is forced every WS_SOAK_REKEY seconds (default 5): by
# turns the peer drops and re-adds the gateway (`wg set ... remove`), and
# the gateway drops and re-adds the peer (peer.remove / peer.add), which
# also returns its sessions' keypairs to their mempool.
#
# Measured after a warm-up, with no traffic, at the start and at the end:
# the in-use count of every DPDK mempool (telemetry /mempool/info: size -
# common pool - lcore caches), the process RSS (VmRSS) and its open file
# descriptors. Fails on growth beyond: WS_SOAK_MBUF_TOL mbufs (64),
# 0 keypairs beyond the peer's 3, WS_SOAK_RSS_TOL_KB (16384; plus 256 MiB
# for an ASan build: its quarantine) and
# WS_SOAK_FD_TOL (2). The figures are printed as "soak: ..." lines.
# WS_SOAK_LOCK=1 turns on security.lock_memory (checks VmLck > 0).
# WS_SOAK_NATURAL_REKEY=N: the gateway is a test build whose sessions
# rekey after N seconds (meson -Drekey_after=N; scripts/test.sh runs it
# with 10): nothing is forced, and the gateway must rekey on its own, as
# initiator, about every N seconds while iperf3 runs, rotating its
# keypairs through their mempool.
#
# Secrets: the config is 0640 (the gateway must warn); the JSON-RPC and
# UAPI sockets are 0600; no private or preshared key (base64 or hex)
# appears in the gateway's output, in peer.get / peer.list / stats /
# gateway.info / interface.get replies, or in error replies to requests
# that carry a key; the gateway exits cleanly with every mbuf back.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
# 512 MB of EAL memory no longer fits the device tables of the current tree.
WS_EAL_MEM=${WS_EAL_MEM:-1024}
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

SECS=${WS_SOAK_SECONDS:-60}
RATE=${WS_SOAK_RATE:-20M}
REKEY=${WS_SOAK_REKEY:-5}
NATURAL=${WS_SOAK_NATURAL_REKEY:-0}
MBUF_TOL=${WS_SOAK_MBUF_TOL:-64}
RSS_TOL=${WS_SOAK_RSS_TOL_KB:-16384}
FD_TOL=${WS_SOAK_FD_TOL:-2}
# ASan's quarantine keeps freed blocks (256 MB by default) before reuse:
# RSS under ASan grows by up to that much with no leak (LSan checks those).
if ldd "$WS_BIN" 2>/dev/null | grep -q libasan; then
	RSS_TOL=$((RSS_TOL + 262144))
fi
HERE=$(cd "$(dirname "$0")" && pwd)

ws_topo_create
ws_keys gw
ws_keys peer
(umask 077; wg genpsk >"$WS_TMP/psk.key")
PEER_PUB=$(cat "$WS_TMP/peer.pub")
GW_PUB=$(cat "$WS_TMP/gw.pub")
PSK=$(cat "$WS_TMP/psk.key")
PEER_ALLOWED='["10.2.0.0/24", "fd00:2::/64"]'
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$PEER_PUB" "192.0.2.2:51820" \
	"$PEER_ALLOWED" "\"preshared_key\": \"$PSK\"")"
python3 - "$WS_TMP/gw.json" "${WS_SOAK_LOCK:-0}" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["management"]["uapi"] = True
c["management"]["telemetry"] = True
if sys.argv[2] == "1":
    c["security"] = {"lock_memory": True}
json.dump(c, open(sys.argv[1], "w"))
EOF
# Readable by the group: the gateway must say so (and still start).
chmod 0640 "$WS_TMP/gw.json"

WS_GW_ARGS="--stats-interval 1" ws_gw_start "$WS_TMP/gw.json" || exit 1
PID=$WS_GW_PID
SOCK=$WS_TMP/wsgw.sock
UAPI=/var/run/wireguard/wsgw$WS_ID.sock
if [ "$NATURAL" -gt 0 ]; then
	ws_check "a test build whose sessions rekey after $NATURAL s" \
		grep -q "warning: test build: sessions rekey after $NATURAL s" "$WS_TMP/gw.log"
fi
ws_check "config mode 0640: the gateway warns" \
	grep -q "warning: .*gw.json: mode 0640 lets the group read it" "$WS_TMP/gw.log"
ws_check "JSON-RPC socket is mode 0600" [ "$(stat -c %a "$SOCK" 2>/dev/null)" = 600 ]
ws_check "UAPI socket is mode 0600" [ "$(stat -c %a "$UAPI" 2>/dev/null)" = 600 ]
if [ "${WS_SOAK_LOCK:-0}" = 1 ]; then
	ws_check "memory locked (VmLck > 0)" \
		awk '$1 == "VmLck:" { exit !($2 > 0) }' "/proc/$PID/status"
fi

ws_peer_start "$WS_TMP/peer.key" "$GW_PUB" 192.0.2.1:51820 preshared-key "$WS_TMP/psk.key"
ws_check "tunnel up (host -> peer)" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 20

# sample LABEL: one "soak: LABEL ..." line with the figures, also kept in
# $WS_TMP/sample.LABEL (key=value lines) for the comparison. Mempool use
# comes from the gateway's "stats: mempool NAME in_use N size M" lines
# (--stats-interval 1; lcore caches count as in use).
sample() {
	local label=$1 rss fds
	sleep 2.5   # a stats print taken after the traffic stopped
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status")
	fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
	{
		echo "rss_kb=$rss"
		echo "fds=$fds"
		awk '$1 == "stats:" && $2 == "mempool" { u[$3] = $5 }
			END { for (n in u) print "pool_" n "=" u[n] }' "$WS_TMP/gw.log" | sort
	} >"$WS_TMP/sample.$label"
	echo "soak: $label $(tr '\n' ' ' <"$WS_TMP/sample.$label")"
}
val() { awk -F= -v k="$2" '$1 == k { print $2 }' "$WS_TMP/sample.$1"; }

iperf_udp() {  # SECONDS LOGFILE
	ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p 5301 --logfile "$WS_TMP/iperf-s.log"
	sleep 0.5
	ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p 5301 -u -b "$RATE" -l 1200 -t "$1" \
		--connect-timeout 5000 >"$2" 2>&1
}

# Warm-up: traffic, a handshake each way, one churn round; then quiet.
iperf_udp 5 "$WS_TMP/iperf-warm.log"
ws_check "warm-up iperf3 UDP ran" grep -q receiver "$WS_TMP/iperf-warm.log"
sample start
ws_check "mempool figures at the start" grep -q '^pool_ws_mbuf=' "$WS_TMP/sample.start"

# The churn client: runs until the stop file appears; its figures and
# every reply it got go to files the secrets check reads.
cat >"$WS_TMP/churn.py" <<'EOF'
import base64, json, os, sys, time
sys.path.insert(0, sys.argv[1])
from rpc import Client, RpcError
sock, stop, out, secrets, gw_key_file = sys.argv[2:7]
gw_priv = open(gw_key_file).read().strip()
c = Client(sock)
replies = open(out, "w")
psks = open(secrets, "w")
def key():
    return base64.b64encode(os.urandom(32)).decode()
rounds = added = removed = errors = 0
while not os.path.exists(stop):
    batch = []
    for i in range(8):
        psk = key()
        psks.write(psk + "\n")
        batch.append({"public_key": key(), "preshared_key": psk,
                      "endpoint": "192.0.2.%d:%d" % (100 + i, 40000 + rounds % 1000),
                      "allowed_ips": ["10.3.%d.%d/32" % (rounds % 250, i)]})
    for p in batch:
        replies.write(json.dumps(c.call("peer.add", p)) + "\n")
        added += 1
    for p in batch[:2]:
        replies.write(json.dumps(c.call("peer.get", [p["public_key"]])) + "\n")
    replies.write(json.dumps(c.call("peer.list")) + "\n")
    for p in batch:
        replies.write(json.dumps(c.call("peer.remove", {"public_key": p["public_key"]})) + "\n")
        removed += 1
    # Requests carrying keys that fail: the error must not quote them.
    for bad in ({"public_key": gw_priv, "allowed_ips": "not-a-prefix"},
                {"public_key": key(), "preshared_key": gw_priv[:40]},
                {"public_key": gw_priv + "AAAA"}):
        try:
            c.call("peer.add", bad)
            replies.write("unexpected success\n")
        except RpcError as e:
            replies.write(json.dumps(e.error) + "\n")
            errors += 1
    for m in ("gateway.info", "interface.get", "stats.get"):
        replies.write(json.dumps(c.call(m)) + "\n")
    rounds += 1
    time.sleep(0.2)
c.close()
print("rounds=%d added=%d removed=%d errors=%d" % (rounds, added, removed, errors))
EOF
rm -f "$WS_TMP/stop"
python3 "$WS_TMP/churn.py" "$HERE" "$SOCK" "$WS_TMP/stop" "$WS_TMP/replies.log" \
	"$WS_TMP/churn-psks.key" "$WS_TMP/gw.key" >"$WS_TMP/churn.log" 2>&1 &
CHURN=$!
WS_PIDS+=("$CHURN")

hs_total() {   # [out]: the gateway's initiations only
	python3 "$HERE/rpc.py" "$SOCK" stats.get |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]
print(t["handshakes_out"] if sys.argv[1:] == ["out"] else t["handshakes_in"] + t["handshakes_out"])' "$@"
}
HS0=$(hs_total)
HS0_OUT=$(hs_total out)
iperf_udp "$SECS" "$WS_TMP/iperf-soak.log" &
IPERF=$!
WS_PIDS+=("$IPERF")
forced=0 gw_side=0
end=$((SECONDS + SECS))
while [ "$NATURAL" -gt 0 ] && [ $SECONDS -lt $end ]; do
	sleep 1         # the gateway rekeys by itself
done
while [ "$NATURAL" = 0 ] && [ $SECONDS -lt $end ]; do
	sleep "$REKEY"
	[ $SECONDS -lt $end ] || break
	if [ $((forced % 2)) = 0 ]; then
		ws_nsx "$WS_NS_PEER" wg set "$WS_PEER_IF" peer "$GW_PUB" remove
		ws_nsx "$WS_NS_PEER" wg set "$WS_PEER_IF" peer "$GW_PUB" endpoint 192.0.2.1:51820 \
			allowed-ips 10.1.0.0/24,fd00:1::/64 preshared-key "$WS_TMP/psk.key"
	else
		python3 "$HERE/rpc.py" "$SOCK" peer.remove "{\"public_key\": \"$PEER_PUB\"}" >/dev/null
		python3 "$HERE/rpc.py" "$SOCK" peer.add "{\"public_key\": \"$PEER_PUB\", \
\"endpoint\": \"192.0.2.2:51820\", \"allowed_ips\": $PEER_ALLOWED, \
\"preshared_key\": \"$PSK\"}" >/dev/null
		gw_side=$((gw_side + 1))
	fi
	# The side that lost the session sends first: it starts the handshake.
	if [ $((forced % 2)) = 0 ]; then
		ws_nsx "$WS_NS_PEER" ping -c 1 -W 1 10.1.0.2 >/dev/null 2>&1 || true
	else
		ws_nsx "$WS_NS_HOST" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1 || true
	fi
	forced=$((forced + 1))
done
wait "$IPERF"
ws_check "soak iperf3 UDP ran to the end" grep -q receiver "$WS_TMP/iperf-soak.log"
touch "$WS_TMP/stop"
wait "$CHURN"
ws_check "churn client finished cleanly" [ $? -eq 0 ]
HS1=$(hs_total)
echo "soak: ${SECS}s, $forced handshakes forced ($gw_side by peer.remove/add)," \
	"handshakes $HS0 -> $HS1, churn: $(cat "$WS_TMP/churn.log")"
grep -E 'receiver|sender' "$WS_TMP/iperf-soak.log" | sed 's/^/soak: iperf3 /'
ws_check "every forced handshake happened (>= $forced new)" ws_le $((HS0 + forced)) "$HS1"
if [ "$NATURAL" -gt 0 ]; then
	HS1_OUT=$(hs_total out)
	want=$((SECS / NATURAL - 2))
	echo "soak: the gateway initiated $((HS1_OUT - HS0_OUT)) handshakes in ${SECS}s (rekey after ${NATURAL}s)"
	ws_check "the gateway rekeyed on its own (>= $want initiations)" \
		ws_le $((HS0_OUT + want)) "$HS1_OUT"
fi
ws_check "churn added and removed peers" grep -qE 'rounds=[1-9][0-9]* .*errors=[1-9]' \
	"$WS_TMP/churn.log"
ws_check "tunnel still up after the soak" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10

sample end
for k in $(awk -F= '$1 ~ /^pool_/ { print $1 }' "$WS_TMP/sample.start"); do
	a=$(val start "$k") b=$(val end "$k")
	# Packet buffers move with traffic; one live peer holds at most 3
	# keypairs (the throw-away ones none); other pools: allowed-ips nodes.
	case $k in
	pool_ws_mbuf) tol=$MBUF_TOL ;;
	pool_ws_keypairs) tol=3 ;;
	*) tol=2 ;;
	esac
	ws_check "$k in use: $a -> ${b:-missing} (tolerance $tol)" ws_le "${b:-999999999}" $((a + tol))
done
ws_check "RSS: $(val start rss_kb) -> $(val end rss_kb) kB (tolerance $RSS_TOL)" \
	ws_le "$(val end rss_kb)" $(($(val start rss_kb) + RSS_TOL))
ws_check "open fds: $(val start fds) -> $(val end fds) (tolerance $FD_TOL)" \
	ws_le "$(val end fds)" $(($(val start fds) + FD_TOL))

ws_check "gateway exits cleanly (every mbuf back)" ws_gw_stop
ws_check "JSON-RPC socket removed" [ ! -e "$SOCK" ]
ws_check "UAPI socket removed" [ ! -e "$UAPI" ]
KEYS="$WS_TMP/gw.key $WS_TMP/psk.key"
n_psk=$(wc -l <"$WS_TMP/churn-psks.key")
ws_check "$n_psk throw-away preshared keys were used" [ "$n_psk" -gt 0 ]
ws_check "no key in the gateway's output" ws_no_secrets "$KEYS" "$WS_TMP/gw.log"
ws_check "no key in the JSON-RPC replies and errors" \
	ws_no_secrets "$KEYS $WS_TMP/churn-psks.key" \
	"$WS_TMP/replies.log" "$WS_TMP/gw.log"
# The check itself: it does find a key that is there.
finds_planted() { ! ws_no_secrets "$WS_TMP/psk.key" "$WS_TMP/psk.key" >/dev/null; }
ws_check "ws_no_secrets finds a planted key" finds_planted
ws_finish
