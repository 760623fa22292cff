#!/usr/bin/env bash
# The demo: installs what is missing, builds, then runs the gateway on two
# af_packet ports between three network namespaces and sends real traffic
# through it to and from a stock wireguard-go peer:
#
#   host 10.1.0.2 --- [lan0  wirespeed  wan0] --- peer 192.0.2.2, wireguard-go 10.2.0.2
#
# Needs root (network namespaces). Everything is torn down on exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
ws_ensure_deps

if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build; fi
ninja -C build

if [ "$(id -u)" -ne 0 ]; then
	echo "the demo needs root for its network namespaces" >&2
	exit 1
fi

WS_BUILD=$top/build
. tests/integration/lib.sh
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s ==\n' "$*"; }

step "topology: host ns, gateway ns (DPDK af_packet on lan0/wan0), peer ns"
ws_topo_create
ws_keys gw
ws_keys peer
ws_gw_config "$WS_TMP/gw.json" \
	"$(ws_peer_json "$(cat "$WS_TMP/peer.pub")" 192.0.2.2:51820 \
		'["10.2.0.0/24", "fd00:2::/64"]' '"persistent_keepalive": 25')"
echo "config: $WS_TMP/gw.json (mode $(stat -c %a "$WS_TMP/gw.json"))"

step "gateway"
WS_GW_ARGS="--stats-interval 5" ws_gw_start "$WS_TMP/gw.json"
grep -E 'lcore|port:|mempool' "$WS_TMP/gw.log" || true

step "wireguard-go peer"
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820

step "first contact: the gateway stages the packet and completes a handshake"
# With persistent_keepalive the gateway sent an initiation at start-up,
# before wireguard-go listened; its retry waits REKEY_TIMEOUT (5 s).
ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15
grep 'wirespeed.control: .*handshake' "$WS_TMP/gw.log" || true

step "ping host -> peer (IPv4, IPv6), peer -> host"
ws_nsx "$WS_NS_HOST" ping -c 3 -i 0.3 -W 3 10.2.0.2
ws_nsx "$WS_NS_HOST" ping -6 -c 3 -i 0.3 -W 3 fd00:2::2
ws_nsx "$WS_NS_PEER" ping -c 3 -i 0.3 -W 3 10.1.0.2

step "iperf3 TCP, host -> peer and peer -> host (-R), 3 s each"
ws_nsx "$WS_NS_PEER" iperf3 -s -D -1 -p 5201 --logfile "$WS_TMP/iperf-s.log"
sleep 0.5
ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p 5201 -t 3 | tail -4
ws_nsx "$WS_NS_PEER" iperf3 -s -D -1 -p 5202 --logfile "$WS_TMP/iperf-s2.log"
sleep 0.5
ws_nsx "$WS_NS_HOST" iperf3 -c 10.2.0.2 -p 5202 -t 3 -R | tail -4

step "the peer's view: wg show"
ws_nsx "$WS_NS_PEER" wg show "$WS_PEER_IF"

step "the gateway's counters (exit statistics)"
rc=0
ws_gw_stop || rc=$?
grep '^final: ' "$WS_TMP/gw.log" | sed 's/^final: /  /'
if [ "$rc" -ne 0 ]; then
	echo "gateway exited with status $rc" >&2
	tail -20 "$WS_TMP/gw.log" >&2
	exit 1
fi
echo
echo "demo complete"
