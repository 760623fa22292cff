# shellcheck shell=bash
# Namespace topologies for the integration tests and the demo.
#
#   [host ns]  lan-h  10.1.0.2/24, fd00:1::2/64
#        |  veth
#   [gw ns]    lan0 (DPDK af_packet)  wirespeed  wan0 (DPDK af_packet)
#        |  veth
#   [peer ns]  wan-p  192.0.2.2/24, 2001:db8:1::2/64
#              wireguard-go <ifname>: 10.2.0.2/24, fd00:2::2/64
#
# WS_TWO_PEERS=1 adds a second peer namespace (192.0.2.3, tunnel 10.2.1.2):
# wan0 is then a bridge in the gw ns with one veth to each peer.
#
# Names carry a per-run id so that runs never collide, and everything is
# torn down by ws_topo_cleanup, which callers arm with a trap on EXIT.

WS_ID=${WS_ID:-$$}
WS_NS_HOST=wsh-$WS_ID
WS_NS_GW=wsg-$WS_ID
WS_NS_PEER=wsp-$WS_ID
WS_NS_PEER2=wsq-$WS_ID
WS_PEER_IF=wsp$WS_ID           # wireguard-go interface; <= 15 characters
WS_PEER2_IF=wsq$WS_ID
WS_TOP=${WS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WS_BUILD=${WS_BUILD:-$WS_TOP/build}
WS_BIN=${WS_BIN:-$WS_BUILD/app/wirespeed/wirespeed}
WS_GW_PID=
WS_TMP=${WS_TMP:-$(mktemp -d /tmp/wirespeed-it.XXXXXX)}
mkdir -p "$WS_TMP"
WS_PIDS=()

ws_log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

ws_nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Offloads off on the kernel side: the gateway sees every frame as it is on
# the wire (no partial checksums, no GSO super-frames through af_packet).
ws_no_offload() {
	ws_nsx "$1" ethtool -K "$2" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
}

ws_topo_create() {
	ip netns add "$WS_NS_HOST"
	ip netns add "$WS_NS_GW"
	ip netns add "$WS_NS_PEER"
	ip link add lan-h netns "$WS_NS_HOST" type veth peer name lan0 netns "$WS_NS_GW"
	if [ "${WS_TWO_PEERS:-0}" = 1 ]; then
		# wan0 is a bridge in the gateway namespace; the gateway's
		# af_packet port sits on it, each peer on a member veth.
		ip netns add "$WS_NS_PEER2"
		ws_nsx "$WS_NS_PEER2" ip link set lo up
		ws_nsx "$WS_NS_GW" ip link add wan0 type bridge
		ip link add wan-p netns "$WS_NS_PEER" type veth peer name wanb1 netns "$WS_NS_GW"
		ip link add wan-p netns "$WS_NS_PEER2" type veth peer name wanb2 netns "$WS_NS_GW"
		for dev in wanb1 wanb2; do
			ws_nsx "$WS_NS_GW" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
			ws_nsx "$WS_NS_GW" ip link set "$dev" master wan0 up
			ws_no_offload "$WS_NS_GW" "$dev"
		done
		ws_nsx "$WS_NS_PEER2" ip link set wan-p up
		ws_nsx "$WS_NS_PEER2" ip addr add 192.0.2.3/24 dev wan-p
		ws_nsx "$WS_NS_PEER2" ip -6 addr add 2001:db8:1::3/64 dev wan-p nodad
		ws_no_offload "$WS_NS_PEER2" wan-p
	else
		ip link add wan-p netns "$WS_NS_PEER" type veth peer name wan0 netns "$WS_NS_GW"
	fi
	local ns dev
	for ns in "$WS_NS_HOST" "$WS_NS_GW" "$WS_NS_PEER"; do
		ws_nsx "$ns" ip link set lo up
	done
	for dev in lan0 wan0; do
		ws_nsx "$WS_NS_GW" ip link set "$dev" up
		ws_nsx "$WS_NS_GW" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
		ws_no_offload "$WS_NS_GW" "$dev"
	done
	ws_nsx "$WS_NS_HOST" ip link set lan-h up
	ws_nsx "$WS_NS_HOST" ip addr add 10.1.0.2/24 dev lan-h
	ws_nsx "$WS_NS_HOST" ip -6 addr add fd00:1::2/64 dev lan-h nodad
	ws_nsx "$WS_NS_HOST" ip route add 10.2.0.0/16 via 10.1.0.1
	ws_nsx "$WS_NS_HOST" ip -6 route add fd00:2::/48 via fd00:1::1
	ws_no_offload "$WS_NS_HOST" lan-h
	ws_nsx "$WS_NS_PEER" ip link set wan-p up
	ws_nsx "$WS_NS_PEER" ip addr add 192.0.2.2/24 dev wan-p
	ws_nsx "$WS_NS_PEER" ip -6 addr add 2001:db8:1::2/64 dev wan-p nodad
	ws_no_offload "$WS_NS_PEER" wan-p
}

# ws_wg_sockbuf PID: 7 MiB socket buffers on wireguard-go's UDP sockets.
# Debian's wireguard-go (0.0.20220316) keeps the kernel default of 208 KiB,
# about 90 datagrams: descheduled for a few tens of milliseconds on a shared
# box, it drops what the gateway delivered (ss -uam showed hundreds of drops
# per 20 s run on its socket, none on iperf3's, even on an idle box). Later
# wireguard-go releases ask for 7 MiB themselves; sockbuf.py gives Debian's
# the same. The sockets are made anew when the listen port changes, so this
# follows `wg set ... listen-port`.
ws_wg_sockbuf() {
	python3 "$WS_TOP/tests/integration/sockbuf.py" "$1" 7340032 >>"$WS_TMP/sockbuf.log" 2>&1 ||
		ws_log "WARN: wireguard-go (pid $1) keeps its default socket buffers"
}

# ws_wg_start NS IFNAME PRIVKEY_FILE GW_PUBKEY ENDPOINT ADDR4/LEN ADDR6/LEN [wg set args...]
# Starts Debian's wireguard-go in NS and configures it with wg; pid in WS_LAST_PID.
ws_wg_start() {
	local ns=$1 ifname=$2 key=$3 gwpub=$4 endpoint=$5 a4=$6 a6=$7; shift 7
	WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" \
		wireguard-go -f "$ifname" >"$WS_TMP/wireguard-go-$ifname.log" 2>&1 &
	local pid=$!
	WS_PIDS+=("$pid")
	for _ in $(seq 50); do
		[ -S "/var/run/wireguard/$ifname.sock" ] && break
		sleep 0.1
	done
	ws_nsx "$ns" wg set "$ifname" private-key "$key" listen-port 51820 \
		peer "$gwpub" endpoint "$endpoint" allowed-ips 10.1.0.0/24,fd00:1::/64 "$@"
	ws_wg_sockbuf "$pid"
	ws_nsx "$ns" ip addr add "$a4" dev "$ifname"
	ws_nsx "$ns" ip -6 addr add "$a6" dev "$ifname" nodad
	ws_nsx "$ns" ip link set "$ifname" mtu 1420 up
	ws_nsx "$ns" ip route add 10.1.0.0/24 dev "$ifname" 2>/dev/null || true
	ws_nsx "$ns" ip -6 route add fd00:1::/64 dev "$ifname" 2>/dev/null || true
	WS_LAST_PID=$pid
}

# ws_peer_start PRIVKEY_FILE GW_PUBKEY ENDPOINT [extra wg set args...]
# Starts Debian's wireguard-go in the peer namespace and configures it with wg.
ws_peer_start() {
	ws_wg_start "$WS_NS_PEER" "$WS_PEER_IF" "$1" "$2" "$3" 10.2.0.2/24 fd00:2::2/64 "${@:4}"
	WS_PEER_PID=$WS_LAST_PID
}

# The second peer (WS_TWO_PEERS=1): tunnel addresses 10.2.1.2/24, fd00:2:0:1::2/64.
ws_peer2_start() {
	ws_wg_start "$WS_NS_PEER2" "$WS_PEER2_IF" "$1" "$2" "$3" 10.2.1.2/24 fd00:2:0:1::2/64 "${@:4}"
}

ws_peer_stop() {
	if [ -n "${WS_PEER_PID:-}" ]; then
		kill "$WS_PEER_PID" 2>/dev/null || true
		wait "$WS_PEER_PID" 2>/dev/null || true
		WS_PEER_PID=
	fi
	rm -f "/var/run/wireguard/$WS_PEER_IF.sock"
}

ws_topo_cleanup() {
	local pid
	for pid in "${WS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${WS_PIDS[@]}"; do
		timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
	done
	rm -f "/var/run/wireguard/$WS_PEER_IF.sock"
	local ns
	rm -f "/var/run/wireguard/$WS_PEER2_IF.sock"
	for ns in "$WS_NS_HOST" "$WS_NS_GW" "$WS_NS_PEER" "$WS_NS_PEER2"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	[ "${WS_KEEP_TMP:-0}" = 1 ] || rm -rf "$WS_TMP"
}

# ws_scenario: the start most scenarios share: root and the binary
# checked, teardown armed for any exit, the topology, keys "gw" and "peer".
ws_scenario() {
	ws_need_root
	trap 'ws_topo_cleanup' EXIT
	trap 'exit 130' INT TERM
	ws_topo_create
	ws_keys gw
	ws_keys peer
}

# ws_keys NAME: $WS_TMP/NAME.key (mode 0600) and $WS_TMP/NAME.pub.
ws_keys() {
	(umask 077; wg genkey >"$WS_TMP/$1.key")
	wg pubkey <"$WS_TMP/$1.key" >"$WS_TMP/$1.pub"
}

# ws_gw_config FILE PEERS_JSON: the gateway's config for this topology
# (af_packet on wan0/lan0, no hugepages, two lcores), mode 0600.
# PEERS_JSON is the body of the "peers" array. --in-memory cannot go with
# --no-huge in DPDK 22.11 (it implies --legacy-mem): --no-shconf and a
# unique --file-prefix keep runs apart instead.
ws_gw_config() {
	local file=$1 peers=$2
	(umask 077; cat >"$file" <<EOF
{
  "name": "wsgw$WS_ID",
  "eal": ["-l", "${WS_LCORES:-0-1}", "--no-huge", "-m", "${WS_EAL_MEM:-512}", "--no-pci", "--no-shconf",
          "--file-prefix", "ws$WS_ID", "--log-level", "wirespeed.*:${WS_LOG_LEVEL:-info}",
          "--vdev", "net_af_packet0,iface=wan0", "--vdev", "net_af_packet1,iface=lan0"],
  "crypto": "${WS_CRYPTO:-ipsec_mb}",
  "ports": [
    {"name": "wan", "device": "net_af_packet0", "role": "tunnel",
     "addresses": ["192.0.2.1/24", "2001:db8:1::1/64"]},
    {"name": "lan", "device": "net_af_packet1", "role": "clear",
     "addresses": ["10.1.0.1/24", "fd00:1::1/64"]}
  ],
  "interface": {"private_key": "$(cat "$WS_TMP/gw.key")", "listen_port": 51820, "mtu": 1420},
  "peers": [$peers],
  "management": {"jsonrpc": "$WS_TMP/wsgw.sock", "uapi": false, "telemetry": false}
}
EOF
	)
}

# ws_gw_config_af_xdp FILE: the same gateway on net_af_xdp (an XDP socket
# on queue 0 of each veth) in place of net_af_packet.
ws_gw_config_af_xdp() {
	sed -i 's/net_af_packet\([01]\),iface=\([a-z0-9]*\)/net_af_xdp\1,iface=\2,start_queue=0,queue_count=1/g
		s/net_af_packet/net_af_xdp/g' "$1"
}

# ws_peer_json PUBKEY ENDPOINT ALLOWED_IPS_JSON [extra json members]
ws_peer_json() {
	local ep=""
	[ -n "$2" ] && ep="\"endpoint\": \"$2\", "
	printf '{"public_key": "%s", %s"allowed_ips": %s%s}' "$1" "$ep" "$3" "${4:+, $4}"
}

# Sanitizer options for a gateway built with -Dsanitize=true (a plain build
# ignores them): leaks are reported at exit, DPDK's EAL start-up allocations
# are suppressed (tests/unit/lsan.supp), any report fails the scenario
# (ws_gw_sanitizer_check, called by ws_gw_stop and ws_finish).
WS_ASAN_OPTIONS=${WS_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
WS_LSAN_OPTIONS=${WS_LSAN_OPTIONS:-suppressions=$WS_TOP/tests/unit/lsan.supp:print_suppressions=0}
WS_UBSAN_OPTIONS=${WS_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
WS_SAN_LOGS=0

# ws_gw_start CONFIG: runs the gateway in the gw namespace, waits for "ready".
ws_gw_start() {
	local cfg=$1
	WS_SAN_CHECKED=0
	# shellcheck disable=SC2086
	ip netns exec "$WS_NS_GW" env ASAN_OPTIONS="$WS_ASAN_OPTIONS" \
		LSAN_OPTIONS="$WS_LSAN_OPTIONS" UBSAN_OPTIONS="$WS_UBSAN_OPTIONS" \
		"$WS_BIN" -- --config "$cfg" \
		--idle-sleep "${WS_IDLE_SLEEP:-50}" ${WS_GW_ARGS:-} \
		>"$WS_TMP/gw.log" 2>&1 &
	WS_GW_PID=$!
	WS_PIDS+=("$WS_GW_PID")
	for _ in $(seq 300); do
		grep -q '^wirespeed: ready' "$WS_TMP/gw.log" 2>/dev/null && return 0
		if ! kill -0 "$WS_GW_PID" 2>/dev/null; then
			ws_log "gateway exited during start-up:"
			cat "$WS_TMP/gw.log"
			return 1
		fi
		sleep 0.1
	done
	ws_log "gateway not ready after 30 s:"
	cat "$WS_TMP/gw.log"
	return 1
}

# ws_gw_stop: SIGTERM, wait; returns the gateway's exit status. Its final
# counters are the "final: " lines of $WS_TMP/gw.log.
ws_gw_stop() {
	local rc=0
	[ -n "$WS_GW_PID" ] || return 0
	kill -TERM "$WS_GW_PID" 2>/dev/null || true
	wait "$WS_GW_PID" || rc=$?
	WS_GW_PID=
	ws_gw_sanitizer_check
	return $rc
}

# ws_gw_sanitizer_check: a failure if the gateway's log holds an ASan, LSan
# or UBSan report (the log is kept as $WS_TMP/gw-sanitizer.N.log).
ws_gw_sanitizer_check() {
	[ "${WS_SAN_CHECKED:-0}" = 1 ] && return 0
	[ -f "$WS_TMP/gw.log" ] || return 0
	WS_SAN_CHECKED=1
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WS_TMP/gw.log"; then
		WS_SAN_LOGS=$((WS_SAN_LOGS + 1))
		cp "$WS_TMP/gw.log" "$WS_TMP/gw-sanitizer.$WS_SAN_LOGS.log"
		ws_log "FAIL: sanitizer report in the gateway log ($WS_TMP/gw-sanitizer.$WS_SAN_LOGS.log):"
		grep -E -A 12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
			"$WS_TMP/gw.log" | head -60 | sed 's/^/  gw| /'
		WS_FAILS=$((WS_FAILS + 1))
	fi
	# Every run: no private or preshared key of this run ($WS_TMP/*.key)
	# in the gateway's output (docs/security.md).
	local keys
	keys=$(find "$WS_TMP" -maxdepth 1 -name '*.key' -type f -size +0 | tr '\n' ' ')
	if [ -n "$keys" ] && ! ws_no_secrets "$keys" "$WS_TMP/gw.log" >/dev/null; then
		ws_log "FAIL: a private or preshared key is in the gateway's output"
		WS_FAILS=$((WS_FAILS + 1))
	fi
}

# ws_gw_final WHAT NAME KEY: a value from the gateway's final counters, e.g.
# ws_gw_final port wan rx_packets, ws_gw_final crypto "" decrypted,
# ws_gw_final peer PUBKEY rx_bytes. ws_gw_stat: the same from the latest
# --stats-interval print.
ws_gw_value() {
	awk -v pfx="$1" -v w="$2" -v n="$3" -v k="$4" '
		$1 == pfx && $2 == w {
			hit = (n == "")
			for (i = 3; i <= NF; i++) if ($i == n) hit = 1
			if (!hit) next
			for (i = 3; i < NF; i++) if ($i == k) v = $(i + 1)
		}
		END { print (v == "" ? 0 : v) }' "$WS_TMP/gw.log"
}
ws_gw_final() { ws_gw_value final: "$@"; }
ws_gw_stat() { ws_gw_value stats: "$@"; }

# ws_gw_drops REASON [PREFIX]: count of one drop reason (0 when absent), from
# the final counters, or with PREFIX "stats:" from the latest periodic print.
ws_gw_drops() {
	awk -v r="$1" -v p="${2:-final:}" '$1 == p && $2 == "drop" && $3 == r { v = $4 }
		END { print (v == "" ? 0 : v) }' "$WS_TMP/gw.log"
}

# ws_wait_ping NS ADDR [TRIES]: until one echo comes back.
ws_wait_ping() {
	local ns=$1 addr=$2 t=${3:-15}
	for _ in $(seq "$t"); do
		ws_nsx "$ns" ping -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
	done
	return 1
}

# ws_ping NS ADDR COUNT: COUNT echoes, all answered.
ws_ping() {
	ws_nsx "$1" ping -c "$3" -i 0.2 -W 2 "$2" >"$WS_TMP/ping.log" 2>&1 ||
		{ cat "$WS_TMP/ping.log"; return 1; }
}

# ws_peer_transfer NS IFNAME: "rx tx" bytes of the (single) peer per wg show.
ws_peer_transfer() {
	ws_nsx "$1" wg show "$2" transfer | awk '{ print $2, $3; exit }'
}

# ws_near A B SLACK: |A - B| <= SLACK.
ws_near() {
	awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= s) }'
}

# ws_le A B: A <= B (counters past 2^53 are not a concern here).
ws_le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'
}

# ws_no_secrets KEYFILES FILES...: succeeds when no key of KEYFILES (a
# space-separated list of files of base64 keys, one a line, as wg genkey
# and wg genpsk write them) appears in any of FILES, in base64 or in hex
# (the UAPI spelling); names the files that hold one. Use:
#   ws_check "no key in the log" ws_no_secrets "$WS_TMP/gw.key" "$WS_TMP/gw.log"
ws_no_secrets() {
	local keys=$1 pat=$WS_TMP/.secret-patterns; shift
	# 20 base64 characters (120 bits) identify a key; hex as UAPI spells it.
	# shellcheck disable=SC2086
	python3 -c '
import base64, binascii, sys
for f in sys.argv[1:]:
    for k in open(f).read().split():
        print(k[:20])
        try:
            print(binascii.hexlify(base64.b64decode(k, validate=True)).decode())
        except (binascii.Error, ValueError):
            pass' $keys >"$pat"
	[ -s "$pat" ] || { ws_log "ws_no_secrets: no keys in $keys"; return 1; }
	if grep -lF -f "$pat" "$@" 2>/dev/null; then
		ws_log "a key of $keys is in the file(s) above"
		return 1
	fi
	return 0
}

# Test bookkeeping: ws_check DESCRIPTION COMMAND...
WS_FAILS=0
ws_check() {
	local what=$1; shift
	if "$@"; then
		ws_log "ok: $what"
	else
		ws_log "FAIL: $what"
		WS_FAILS=$((WS_FAILS + 1))
	fi
}

ws_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: needs root (network namespaces)" >&2
		exit 77
	fi
	if [ ! -x "$WS_BIN" ]; then
		echo "error: $WS_BIN not built" >&2
		exit 1
	fi
}

# ws_finish: the gateway's log on failure; the exit status for the runner.
ws_finish() {
	if [ -z "$WS_GW_PID" ]; then
		ws_gw_sanitizer_check
	fi
	if [ "$WS_FAILS" -ne 0 ]; then
		ws_log "gateway log (tail):"
		sed 's/^/  gw| /' "$WS_TMP/gw.log" 2>/dev/null | tail -80
		exit 1
	fi
	exit 0
}
