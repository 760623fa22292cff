#!/usr/bin/env bash
# wirespeedctl against a running gateway, every method: gateway.info,
# interface.get/set, peer.add/set/get/list/remove, stats.get, metrics
# (stats.get format=prometheus), key.generate, gateway.shutdown; human
# output and --json; a failed call (exit 2 with the error), and the
# not-running error (exit 1) before start and after gateway.shutdown.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM
CTL=${WS_CTL:-$(dirname "$WS_BIN")/../wirespeedctl/wirespeedctl}
[ -x "$CTL" ] || { echo "error: $CTL not built" >&2; exit 1; }

ws_topo_create
ws_keys gw
ws_keys peer
pub=$(cat "$WS_TMP/peer.pub")
SOCK=$WS_TMP/wsgw.sock
ctl() { "$CTL" -s "$SOCK" "$@"; }
out=$WS_TMP/ctl.out

# ctl_is STATUS ARGS...: wirespeedctl exits with STATUS; output in $out.
ctl_is() {
	local want=$1 rc; shift
	ctl "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/    ctl| /' "$out" | head -30
	[ "$rc" = "$want" ] || { ws_log "wirespeedctl $*: exit $rc, wanted $want"; return 1; }
}
has() { grep -qE -- "$1" "$out"; }
json_is() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$out"; }

ws_check "not running: exit 1" ctl_is 1 gateway.info
ws_check "not running: says so" has "gateway not running"

ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$pub" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "tunnel up" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15

ws_check "gateway.info" ctl_is 0 gateway.info
ws_check "gateway.info: uptime, lcores, ports, crypto" \
	bash -c "grep -q '^uptime:' $out && grep -q '^lcores:' $out && grep -q 'net_af_packet0' $out && grep -q '^crypto: *ipsec_mb' $out"
ws_check "gateway.info --json" ctl_is 0 --json gateway.info
ws_check "gateway.info --json: roles and link" \
	json_is "'control' in d['lcores'][0]['roles'] and d['ports'][0]['link']['up'] in (True, False)"

ws_check "interface.get" ctl_is 0 interface.get
ws_check "interface.get: public key, never the private key" \
	bash -c "grep -q '$(cat "$WS_TMP/gw.pub")' $out && ! grep -q '$(cat "$WS_TMP/gw.key")' $out && ! grep -q private $out"
ws_check "interface.set listen_port" ctl_is 0 interface.set listen_port=51821
ws_check "interface.set: new port reported" has "listen_port: *51821"
ws_check "interface.set listen_port back" ctl_is 0 interface.set listen_port=51820

ws_check "interface.set private_key (a new identity)" ctl_is 0 --json interface.set \
	private_key="$(wg genkey | tee "$WS_TMP/gw2.key")"
ws_check "interface.set private_key: the derived public key is reported" \
	json_is "d['public_key'] == '$(wg pubkey <"$WS_TMP/gw2.key")'"
ws_check "the peer, who knows the old key, cannot reach us now" \
	bash -c "! ip netns exec $WS_NS_PEER ping -c 2 -i 0.3 -W 1 10.1.0.2 >/dev/null"
ws_check "interface.set private_key back" ctl_is 0 interface.set private_key="$(cat "$WS_TMP/gw.key")"
ws_check "the tunnel recovers with the old identity (new handshake)" \
	ws_wait_ping "$WS_NS_PEER" 10.1.0.2 20

ws_check "key.generate" ctl_is 0 --json key.generate
newpub=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["public_key"])' "$out")
ws_check "key.generate: a pair (wg pubkey agrees)" bash -c "
	[ \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"private_key\"])' $out | wg pubkey)\" = '$newpub' ]"

ws_check "peer.add" ctl_is 0 peer.add public_key="$newpub" allowed_ips=10.7.0.0/24,fd00:7::/64 \
	endpoint=192.0.2.77:51820 persistent_keepalive=0
ws_check "peer.add: shows the peer" has "10.7.0.0/24,fd00:7::/64"
ws_check "peer.add again: call fails, exit 2, message" ctl_is 2 peer.add public_key="$newpub"
ws_check "peer.add again: 'peer exists'" has "peer exists"
ws_check "peer.add bad key: exit 2, names the parameter" ctl_is 2 peer.add public_key=nonsense
ws_check "peer.add bad key: message" has "public_key"
ws_check "peer.set" ctl_is 0 peer.set public_key="$newpub" persistent_keepalive=9 allowed_ips=10.7.1.0/24,
ws_check "peer.get --json" ctl_is 0 --json peer.get public_key="$newpub"
ws_check "peer.get: set applied" \
	json_is "d['persistent_keepalive'] == 9 and d['allowed_ips'] == ['10.7.1.0/24'] and d['endpoint'] == '192.0.2.77:51820'"
ws_check "peer.list (table)" ctl_is 0 peer.list
ws_check "peer.list: header and both peers" \
	bash -c "grep -q '^PUBLIC KEY' $out && grep -q '$pub' $out && grep -q '$newpub' $out && grep -q 'every 9s' $out"
ws_check "peer.list --json" ctl_is 0 --json peer.list
ws_check "peer.list --json: the tunnel's peer has traffic and a handshake" \
	json_is "[p for p in d['peers'] if p['public_key'] == '$pub'][0]['rx_bytes'] > 0 and [p for p in d['peers'] if p['public_key'] == '$pub'][0]['last_handshake'] > 0"
ws_check "peer.remove" ctl_is 0 peer.remove public_key="$newpub"
ws_check "peer.get of the removed peer: exit 2, no such peer" ctl_is 2 peer.get public_key="$newpub"
ws_check "peer.get of the removed peer: message" has "no such peer"

ws_check "stats.get" ctl_is 0 stats.get
ws_check "stats.get: ports, lcores, drops" \
	bash -c "grep -q '^ports:' $out && grep -q '^lcores:' $out && grep -q '^drops:' $out && grep -q 'SOURCE_NOT_ALLOWED' $out"
ws_check "metrics" ctl_is 0 metrics
ws_check "metrics: Prometheus text with per-peer counters" \
	python3 -c 'import sys
t = open(sys.argv[1]).read().splitlines()
rx = [l for l in t if l.startswith("wirespeed_peer_rx_bytes_total{interface=\"%s\",public_key=\"%s\"} " % (sys.argv[2], sys.argv[3]))]
sys.exit(0 if "# TYPE wirespeed_peer_rx_bytes_total counter" in t and len(rx) == 1 and int(rx[0].split()[-1]) > 0
	and any(l.startswith("wirespeed_drops_total{interface=\"%s\",reason=\"NO_PEER\"} " % sys.argv[2]) for l in t) else 1)' \
	"$out" "wsgw$WS_ID" "$pub"
ws_check "traffic still flows" ws_ping "$WS_NS_HOST" 10.2.0.2 3

ws_check "gateway.shutdown" ctl_is 0 gateway.shutdown
for _ in $(seq 100); do
	kill -0 "$WS_GW_PID" 2>/dev/null || break
	sleep 0.1
done
ws_check "the gateway stopped, exit 0" ws_gw_stop
ws_check "after shutdown: not running, exit 1" ctl_is 1 interface.get
ws_check "after shutdown: says so" has "gateway not running"
ws_finish
