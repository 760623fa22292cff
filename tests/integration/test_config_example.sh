#!/usr/bin/env bash
# The example config runs as written: the reference EAL line (--no-huge with
# --in-memory), ports on af_packet, ARP and echo answered for our addresses
# on both ports, a clean exit with every mbuf back.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM

ws_topo_create
cfg=$WS_TMP/example.json
# Only the management socket moves into the run's own directory.
sed "s|/run/wirespeed/wg0.sock|$WS_TMP/wg0.sock|" \
	"$(dirname "$0")/../../config/gateway-af_packet.json" >"$cfg"
chmod 600 "$cfg"
ws_gw_start "$cfg" || exit 1
ws_check "the --in-memory/--no-huge pair was rewritten" grep -q "runs as --no-shconf" "$WS_TMP/gw.log"
ws_check "host pings the gateway's clear address" ws_wait_ping "$WS_NS_HOST" 10.1.0.1 10
ws_check "host pings the gateway's clear IPv6 address" ws_wait_ping "$WS_NS_HOST" fd00:1::1 10
ws_check "peer ns pings the gateway's tunnel address" ws_wait_ping "$WS_NS_PEER" 192.0.2.1 10
ws_check "gateway exits cleanly" ws_gw_stop
ws_finish
