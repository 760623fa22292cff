#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through ws_check
# A stuck control lcore: the data path runs on lcore 0, control on lcore 1,
# and lcore 1's thread is stopped from outside (ptrace, hold_thread.py).
# Traffic keeps flowing; the JSON-RPC call that was waiting gets -32003
# after the 5 s management timeout; calls after it fail at once with
# -32005 (busy) instead of each waiting out the timeout, while
# gateway.info and stats.get, which read shared counters, still answer;
# `wg show` fails at once; once the thread runs again, calls succeed. Then, with the thread
# held again, SIGTERM: a call gets -32004 (shutting down), and once the
# thread is released the gateway exits 0 with every mbuf back and both
# sockets removed.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'release; ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)

ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw0.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24"]')"
(umask 077; jq '.lcores = {"rx": [0], "workers": [0], "tx": [0], "control": 1}
	| .management.uapi = true' "$WS_TMP/gw0.json" >"$WS_TMP/gw.json") || exit 1
SOCK=$WS_TMP/wsgw.sock
UAPI=/var/run/wireguard/wsgw$WS_ID.sock
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "lcore 1 runs control, lcore 0 the data path" \
	grep -Eq "lcore 0: rx\+worker\+tx( \(inline[^)]*\))?\$" "$WS_TMP/gw.log"
ws_check "tunnel up" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15
# ARP requests to the gateway's own addresses are answered by control: the
# neighbours' kernels would re-probe a stale entry for the gateway within
# seconds and get no answer while it is held. Pin those entries so that
# what is measured is the gateway's data path alone.
pin_neigh() {
	local ns=$1 addr=$2 dev=$3 mac
	mac=$(ws_nsx "$ns" ip neigh show "$addr" dev "$dev" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
	[ -n "$mac" ] && ws_nsx "$ns" ip neigh replace "$addr" lladdr "$mac" dev "$dev" nud permanent
}
ws_check "host and peer pin the gateway's MACs" \
	bash -c "$(declare -f ws_nsx pin_neigh); pin_neigh $WS_NS_HOST 10.1.0.1 lan-h && pin_neigh $WS_NS_PEER 192.0.2.1 wan-p"

# hold / release: stop and resume the control lcore's thread.
HOLD_PID=
hold() {
	rm -f "$WS_TMP/held"
	mkfifo "$WS_TMP/hold.fifo" 2>/dev/null
	exec 7<>"$WS_TMP/hold.fifo"
	python3 "$HERE/hold_thread.py" "$WS_GW_PID" rte-worker-1,lcore-worker-1 "$WS_TMP/held" \
		<"$WS_TMP/hold.fifo" &
	HOLD_PID=$!
	for _ in $(seq 50); do
		[ -s "$WS_TMP/held" ] && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}
release() {
	[ -n "$HOLD_PID" ] || return 0
	echo >&7
	wait "$HOLD_PID"
	local rc=$?
	exec 7>&-
	HOLD_PID=
	return $rc
}

# call_is CODE MAX_SECONDS MIN_SECONDS METHOD [PARAMS_JSON]: the call fails
# with CODE (0: succeeds) within the time bounds.
call_is() {
	local want=$1 max=$2 min=$3 method=$4 params=${5:-null}
	python3 - "$SOCK" "$method" "$want" "$min" "$max" "$HERE" "$params" <<'EOF'
import json, sys, time
sys.path.insert(0, sys.argv[6])
import rpc
sock, method, want, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
t = time.monotonic()
try:
    rpc.call(sock, method, json.loads(sys.argv[7]))
    code, msg = 0, "ok"
except rpc.RpcError as e:
    code, msg = e.code, e.error.get("message")
dt = time.monotonic() - t
print("    %s: %s (%s) after %.2f s" % (method, code, msg, dt))
sys.exit(0 if code == want and lo <= dt <= hi else 1)
EOF
}

ws_check "control lcore answers before the stall" call_is 0 2 0 peer.list
ws_check "control lcore's thread held" hold
ws_check "traffic flows while control is stuck" ws_ping "$WS_NS_HOST" 10.2.0.2 10
ws_check "a call waiting on the stuck lcore: -32003 after the timeout" \
	call_is -32003 8 4.5 peer.list
ws_check "the next call: -32005 at once" call_is -32005 0.5 0 interface.get
ws_check "and the next, on another method: -32005 at once" call_is -32005 0.5 0 peer.get \
	"{\"public_key\": \"$(cat "$WS_TMP/peer.pub")\"}"
ws_check "gateway.info is answered from shared state, not by control" \
	call_is 0 0.5 0 gateway.info
ws_check "and so is stats.get" call_is 0 0.5 0 stats.get
wg_fails_fast() {
	local t0 rc
	t0=$(date +%s%N)
	wg show "wsgw$WS_ID" >"$WS_TMP/wg.out" 2>&1
	rc=$?
	sed 's/^/    wg| /' "$WS_TMP/wg.out"
	[ "$rc" -ne 0 ] && [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ]
}
ws_check "wg show fails at once" wg_fails_fast
ws_check "traffic still flows" ws_ping "$WS_NS_PEER" 10.1.0.2 5
ws_check "thread released" release
ws_check "calls succeed again" call_is 0 2 0 peer.list
ws_check "wg show works again" bash -c "wg show wsgw$WS_ID | grep -q 'latest handshake'"
ws_check "traffic after the stall" ws_ping "$WS_NS_HOST" 10.2.0.2 5

ws_check "held again" hold
kill -TERM "$WS_GW_PID"
sleep 0.5
ws_check "a call during shutdown: -32004" call_is -32004 1 0 peer.list
ws_check "the gateway waits for the held lcore" kill -0 "$WS_GW_PID"
ws_check "released" release
ws_check "gateway exits 0 (no leaked mbuf)" ws_gw_stop
ws_check "JSON-RPC socket removed" [ ! -e "$SOCK" ]
ws_check "UAPI socket removed" [ ! -e "$UAPI" ]
ws_finish
