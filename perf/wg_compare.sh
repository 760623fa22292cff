#!/usr/bin/env bash
# wirespeed (net_af_packet on veth) against Debian's wireguard-go doing the
# same job, on the integration tests' namespace topology (lib.sh), one after
# the other in the same run, with the same iperf3 traffic:
#
#   [host ns] lan-h 10.1.0.2 --veth-- [gw ns] lan0 | GATEWAY | wan0 --veth-- [peer ns]
#                                                        wan-p 192.0.2.2, wireguard-go 10.2.0.2
#
# GATEWAY is first wirespeed, then wireguard-go (kernel forwarding between
# lan0 and its tun device). Per gateway: iperf3 TCP and UDP host -> peer
# (the gateway encrypts); throughput from iperf3's receiver, packets from
# the gw namespace's veth counters (both directions), CPU time from
# /proc/PID/stat (utime + stime, and stime alone) of the gateway process;
# for wirespeed also its lcores' busy time (stats.get busy_us: polls that
# moved packets, wall TSC, so time the vCPU was taken away counts too).
#
#   perf/wg_compare.sh [--short] [--json FILE]    (root; WS_BIN = wirespeed binary)
#   WS_PMD=af_xdp perf/wg_compare.sh ...          wirespeed on net_af_xdp instead
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"

secs=5
json=
while [ $# -gt 0 ]; do
	case $1 in
	--short) secs=1 ;;
	--json) json=$2; shift ;;
	*) echo "usage: $0 [--short] [--json FILE]" >&2; exit 2 ;;
	esac
	shift
done
ws_need_root
command -v wireguard-go >/dev/null && command -v iperf3 >/dev/null ||
	{ echo "error: wireguard-go and iperf3 are needed" >&2; exit 1; }
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

GW_WG_IF=wsc$WS_ID
GW_WG_PID=
results=$WS_TMP/compare.txt
: >"$results"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sys_ticks() { awk '{ print $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# wirespeed's own account (stats.get): microseconds its lcores spent in
# polls that moved packets, summed; "-" for wireguard-go, which sleeps
# when idle, so its CPU time is already its busy time.
busy_us() {
	[ "$1" = wirespeed ] || { echo -; return; }
	PYTHONPATH="$here/../tests/integration" python3 -c 'import sys, rpc
print(sum(l["busy_us"] for l in rpc.call(sys.argv[1], "stats.get")["lcores"]))' \
		"$WS_TMP/wsgw.sock" 2>/dev/null || echo -
}
gw_packets() {
	ws_nsx "$WS_NS_GW" cat /proc/net/dev |
		awk '$1 == "lan0:" || $1 == "wan0:" { n += $3 } END { print n + 0 }'
}

# measure NAME PID KIND: one iperf3 run host -> peer; appends a result line.
measure() {
	local name=$1 pid=$2 kind=$3 port=$((5300 + RANDOM % 500)) args=()
	[ "$kind" = udp ] && args=(-u -b 2G -l 1300)
	ws_nsx "$WS_NS_PEER" iperf3 -s -1 -D -p "$port" --logfile "$WS_TMP/iperf-s-$name-$kind.log"
	sleep 0.5
	local c0 p0 c1 p1 b0 b1 s0 s1 busy=-
	c0=$(cpu_ticks "$pid"); s0=$(sys_ticks "$pid"); p0=$(gw_packets); b0=$(busy_us "$name")
	ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p "$port" -t "$secs" -J "${args[@]}" \
		>"$WS_TMP/iperf-$name-$kind.json" 2>"$WS_TMP/iperf-$name-$kind.err"
	c1=$(cpu_ticks "$pid"); s1=$(sys_ticks "$pid"); p1=$(gw_packets); b1=$(busy_us "$name")
	[ "$b0" != - ] && [ "$b1" != - ] && busy=$((b1 - b0))
	local bps
	bps=$(python3 -c 'import json,sys
e = json.load(open(sys.argv[1]))["end"]
s = e.get("sum_received") or e.get("sum") or {}
print(s.get("bits_per_second", 0))' "$WS_TMP/iperf-$name-$kind.json" 2>/dev/null || echo 0)
	echo "$name $kind $bps $((c1 - c0)) $((p1 - p0)) $busy $((s1 - s0))" >>"$results"
	ws_log "$name $kind: $(awk -v b="$bps" 'BEGIN { printf "%.1f", b / 1e6 }') Mbit/s," \
		"$((c1 - c0)) CPU ticks, $((p1 - p0)) packets through the gw namespace"
}

ws_topo_create
ws_keys gw
ws_keys peer

# 1. wirespeed, one lcore (the box has two cores and iperf3 and the peer need one).
WS_LCORES=${WS_LCORES:-0} ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 '["10.2.0.0/24"]')"
if [ "${WS_PMD:-af_packet}" = af_xdp ]; then
	ws_gw_config_af_xdp "$WS_TMP/gw.json"
fi
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10 || { ws_log "no path through wirespeed"; exit 1; }
measure wirespeed "$WS_GW_PID" tcp
measure wirespeed "$WS_GW_PID" udp
ws_gw_stop || ws_log "wirespeed exit status non-zero"
ws_peer_stop

# 2. wireguard-go in the gw namespace, the kernel routing lan0 <-> tunnel.
ws_nsx "$WS_NS_GW" sysctl -qw net.ipv4.ip_forward=1
ws_nsx "$WS_NS_GW" ip addr add 10.1.0.1/24 dev lan0
ws_nsx "$WS_NS_GW" ip addr add 192.0.2.1/24 dev wan0
WG_PROCESS_FOREGROUND=1 ip netns exec "$WS_NS_GW" wireguard-go -f "$GW_WG_IF" \
	>"$WS_TMP/wireguard-go-gw.log" 2>&1 &
GW_WG_PID=$!
WS_PIDS+=("$GW_WG_PID")
for _ in $(seq 50); do
	[ -S "/var/run/wireguard/$GW_WG_IF.sock" ] && break
	sleep 0.1
done
ws_nsx "$WS_NS_GW" wg set "$GW_WG_IF" private-key "$WS_TMP/gw.key" listen-port 51820 \
	peer "$(cat "$WS_TMP/peer.pub")" endpoint 192.0.2.2:51820 allowed-ips 10.2.0.0/24
ws_wg_sockbuf "$GW_WG_PID"
ws_nsx "$WS_NS_GW" ip link set "$GW_WG_IF" mtu 1420 up
ws_nsx "$WS_NS_GW" ip route add 10.2.0.0/24 dev "$GW_WG_IF"
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_wait_ping "$WS_NS_HOST" 10.2.0.2 10 || { ws_log "no path through wireguard-go"; exit 1; }
measure wireguard-go "$GW_WG_PID" tcp
measure wireguard-go "$GW_WG_PID" udp
rm -f "/var/run/wireguard/$GW_WG_IF.sock"

python3 - "$results" "$(getconf CLK_TCK)" "$secs" "${json:-}" <<'EOF'
import json, sys
rows, hz, secs, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
res = {}
for line in open(rows):
    name, kind, bps, ticks, pkts, busy, sys_ticks = line.split()
    bps, cpu, pkts = float(bps), float(ticks) / hz, int(pkts)
    r = res.setdefault(kind, {})[name] = {
        "mbit_per_s": bps / 1e6, "cpu_s": cpu, "sys_s": float(sys_ticks) / hz,
        "packets": pkts, "seconds": secs,
        "cpu_us_per_packet": cpu * 1e6 / pkts if pkts else None,
        "sys_us_per_packet": float(sys_ticks) / hz * 1e6 / pkts if pkts else None,
        "mbit_per_cpu_s": bps / 1e6 * secs / cpu if cpu else None}
    if busy != "-":
        b = int(busy) / 1e6
        r["busy_s"] = b
        r["busy_us_per_packet"] = b * 1e6 / pkts if pkts else None
        r["mbit_per_busy_s"] = bps / 1e6 * secs / b if b else None
for kind, r in res.items():
    a, b = r.get("wirespeed"), r.get("wireguard-go")
    if a and b:
        r["throughput_ratio"] = a["mbit_per_s"] / b["mbit_per_s"] if b["mbit_per_s"] else None
        if a["cpu_us_per_packet"] and b["cpu_us_per_packet"]:
            r["cpu_per_packet_ratio_wg_go_over_wirespeed"] = \
                b["cpu_us_per_packet"] / a["cpu_us_per_packet"]
        if a["mbit_per_cpu_s"] and b["mbit_per_cpu_s"]:
            r["throughput_per_cpu_ratio"] = a["mbit_per_cpu_s"] / b["mbit_per_cpu_s"]
        # wirespeed's busy time against wireguard-go's CPU time (it
        # blocks when idle, so its CPU time is all busy time).
        # The kernel's share in wirespeed's own system calls (af_packet
        # or af_xdp TX, veth, the receiving namespace's stack) bounds the
        # CPU ratio even were wirespeed's user time zero.
        if a["sys_us_per_packet"] and b["cpu_us_per_packet"]:
            r["cpu_ratio_bound_by_kernel"] = b["cpu_us_per_packet"] / a["sys_us_per_packet"]
        if a.get("mbit_per_busy_s") and b["mbit_per_cpu_s"]:
            r["throughput_per_busy_cpu_ratio"] = a["mbit_per_busy_s"] / b["mbit_per_cpu_s"]
doc = {"topology": "tests/integration lib.sh, af_packet on veth", "results": res,
       "note": "wirespeed busy-polls with --idle-sleep 50: its CPU time counts polling; "
               "busy_s is the time its lcores spent in polls that moved packets (stats.get), "
               "kernel time of its af_packet system calls included"}
text = json.dumps(doc, indent=1)
if out:
    open(out, "w").write(text + "\n")
print(text)
EOF
