#!/usr/bin/env bash
# JSON-RPC conformance against a running gateway: every standard error
# code a client can cause and each application error triggered on
# purpose, batches (mixed valid/invalid, all-notification, empty), a
# notification executed without a reply, an oversized request rejected,
# 8 concurrent clients, a client that connects and never sends (and one
# that sends half a line) blocking nobody; the read-only telemetry
# commands on DPDK's telemetry socket; gateway.shutdown stops it cleanly
# and removes the socket.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_scenario
# No config peers: the peer table has room for 256 (the default), so the
# test can fill it.
ws_gw_config "$WS_TMP/gw.json" ""
python3 - "$WS_TMP/gw.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["management"]["telemetry"] = True
json.dump(c, open(sys.argv[1], "w"))
EOF
ws_gw_start "$WS_TMP/gw.json" || exit 1
SOCK=$WS_TMP/wsgw.sock
ws_check "socket is mode 0600" [ "$(stat -c %a "$SOCK")" = 600 ]

PYTHONPATH=$(dirname "$0") python3 - "$SOCK" "$(cat "$WS_TMP/peer.pub")" "ws$WS_ID" <<'EOF'
import json, os, socket, sys, threading, time
from rpc import Client, RpcError

path, pub, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
fails = 0

def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        fails += 1

def err_of(c, method, params=None):
    try:
        c.call(method, params)
    except RpcError as e:
        return e.error
    return {"code": 0, "message": "no error"}

c = Client(path)
# Standard errors.
c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "peer.list"')
r = c.recv_line(5)
check("-32700 parse error, id null", r and r["error"]["code"] == -32700 and r["id"] is None)
r = c.request({"jsonrpc": "2.0", "id": 2})
check("-32600 request without method", r and r["error"]["code"] == -32600 and r["id"] == 2)
r = c.request({"jsonrpc": "1.0", "id": 3, "method": "peer.list"})
check("-32600 wrong jsonrpc version", r and r["error"]["code"] == -32600)
r = c.request(42)
check("-32600 not an object", r and r["error"]["code"] == -32600 and r["id"] is None)
e = err_of(c, "peer.frobnicate")
check("-32601 unknown method", e["code"] == -32601)
e = err_of(c, "peer.add", {"public_key": "not base64"})
check("-32602 names public_key", e["code"] == -32602 and "public_key" in e["message"])
e = err_of(c, "peer.add", {"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
check("-32602 public key of small order", e["code"] == -32602 and "public_key" in e["message"])
e = err_of(c, "peer.add", {})
check("-32602 missing public_key", e["code"] == -32602 and "public_key" in e["message"])
e = err_of(c, "peer.add", {"public_key": pub, "endpoint": "nowhere"})
check("-32602 names endpoint", e["code"] == -32602 and "endpoint" in e["message"])
e = err_of(c, "peer.add", {"public_key": pub, "allowed_ips": ["10.0.0.0/33"]})
check("-32602 names allowed_ips", e["code"] == -32602 and "allowed_ips" in e["message"])
e = err_of(c, "peer.add", {"public_key": pub, "persistent_keepalive": 70000})
check("-32602 names persistent_keepalive",
      e["code"] == -32602 and "persistent_keepalive" in e["message"])
e = err_of(c, "peer.add", {"public_key": pub, "colour": "red"})
check("-32602 unknown parameter named", e["code"] == -32602 and "colour" in e["message"])
e = err_of(c, "stats.get", {"format": "xml"})
check("-32602 names format", e["code"] == -32602 and "format" in e["message"])
e = err_of(c, "interface.set", {"listen_port": 0})
check("-32602 names listen_port", e["code"] == -32602 and "listen_port" in e["message"])

# Application errors.
added = c.call("peer.add", {"public_key": pub, "allowed_ips": ["10.2.0.0/24"],
                            "endpoint": "192.0.2.2:51820"})
check("peer.add returns the peer", added["public_key"] == pub and
      added["allowed_ips"] == ["10.2.0.0/24"] and added["has_preshared_key"] is False)
e = err_of(c, "peer.add", {"public_key": pub})
check("-32000 peer exists", e["code"] == -32000)
gone = c.call("key.generate")["public_key"]
e = err_of(c, "peer.remove", {"public_key": gone})
check("-32001 no such peer (remove)", e["code"] == -32001)
e = err_of(c, "peer.get", [gone])
check("-32001 no such peer (get, positional params)", e["code"] == -32001)
e = err_of(c, "peer.set", {"public_key": gone, "persistent_keepalive": 5})
check("-32001 no such peer (set)", e["code"] == -32001)
psk = c.call("key.generate")["private_key"]
s = c.call("peer.set", {"public_key": pub, "preshared_key": psk, "persistent_keepalive": 0})
check("peer.set: preshared key reported as a boolean only",
      s["has_preshared_key"] is True and psk not in json.dumps(s))
s = c.call("peer.set", {"public_key": pub, "preshared_key": None})
check("peer.set: preshared_key null removes it", s["has_preshared_key"] is False)

# Fill the table: -32002 once it is full (capacity from interface.get).
cap = c.call("interface.get")["max_peers"]
have = c.call("interface.get")["peers"]
keys = [c.call("key.generate")["public_key"] for _ in range(cap - have + 3)]
res = c.batch([("peer.add", {"public_key": k}) for k in keys])
full = [r for r in res if isinstance(r, RpcError)]
check("table fills to its capacity %d" % cap, c.call("interface.get")["peers"] == cap)
check("-32002 table full for the 3 past it", len(full) == 3 and
      all(r.code == -32002 for r in full))
res = c.batch([("peer.remove", {"public_key": k}) for k in keys])
check("batch of removes", sum(1 for r in res if not isinstance(r, RpcError)) == cap - have)

# Batches.
r = c.request([{"jsonrpc": "2.0", "id": 10, "method": "interface.get"},
               {"jsonrpc": "2.0", "id": 11, "method": "nope"},
               {"foo": "bar"},
               {"jsonrpc": "2.0", "method": "key.generate"},
               {"jsonrpc": "2.0", "id": 12, "method": "peer.get", "params": [pub]}])
by = {x.get("id"): x for x in r} if isinstance(r, list) else {}
check("mixed batch: 4 replies (notification unanswered)", isinstance(r, list) and len(r) == 4)
check("mixed batch: valid ones answered", "result" in by.get(10, {}) and
      by.get(12, {}).get("result", {}).get("public_key") == pub)
check("mixed batch: -32601 and -32600 inside", by.get(11, {}).get("error", {}).get("code") == -32601
      and by.get(None, {}).get("error", {}).get("code") == -32600)
c.send_raw(json.dumps([{"jsonrpc": "2.0", "method": "key.generate"},
                       {"jsonrpc": "2.0", "method": "interface.get"}]))
check("all-notification batch: no reply", c.recv_line(1.0) is None)
r = c.request([])
check("empty batch: one -32600", isinstance(r, dict) and r["error"]["code"] == -32600)
# A notification is executed.
k2 = c.call("key.generate")["public_key"]
c.send_raw(json.dumps({"jsonrpc": "2.0", "method": "peer.add", "params": {"public_key": k2}}))
check("notification: no reply", c.recv_line(1.0) is None)
check("notification: executed", c.call("peer.get", {"public_key": k2})["public_key"] == k2)
c.call("peer.remove", {"public_key": k2})

# A client that never sends, and one stuck half-way through a line.
idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
idle.connect(path)
half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
half.connect(path)
half.sendall(b'{"jsonrpc": "2.0", "id": 1, "meth')
t0 = time.time()
check("others served while idle clients hang on", Client(path).call("interface.get")["peers"] == 1
      and time.time() - t0 < 1.0)

# 8 concurrent clients, 50 calls each.
ok = [0] * 8
def worker(i):
    cl = Client(path)
    for j in range(50):
        try:
            if j % 2:
                if cl.call("peer.get", {"public_key": pub})["public_key"] == pub:
                    ok[i] += 1
            elif cl.call("stats.get")["uptime"] >= 0:
                ok[i] += 1
        except RpcError:
            pass
    cl.close()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
t0 = time.time()
[t.start() for t in ts]
[t.join() for t in ts]
check("8 concurrent clients x 50 calls all answered (%.2f s)" % (time.time() - t0), sum(ok) == 400)
idle.close()
half.close()

# Oversized request: -32600, then the connection is closed.
big = Client(path)
big.send_raw(b'{"jsonrpc": "2.0", "id": 5, "method": "peer.list", "params": {"x": "' +
             b"a" * (1 << 20) + b'"}}')
r = big.recv_line(5)
check("oversized request: -32600", r is not None and r["error"]["code"] == -32600)
check("oversized request: connection closed", big.recv_line(5) is None)
check("server still fine afterwards", c.call("interface.get")["peers"] == 1)

# Prometheus text.
text = c.call("stats.get", {"format": "prometheus"})
check("prometheus: per-peer rx bytes with HELP/TYPE",
      "# TYPE wirespeed_peer_rx_bytes_total counter" in text and
      ('public_key="%s"' % pub) in text and
      "# HELP wirespeed_peer_last_handshake_seconds" in text and
      'wirespeed_drops_total{' in text and 'reason="DECRYPT"' in text and
      "# TYPE wirespeed_lcore_busy_seconds_total counter" in text and
      'wirespeed_lcore_loop_seconds_total{' in text)
st = c.call("stats.get")
check("stats.get: ports, lcores, drops by reason",
      len(st["ports"]) == 2 and len(st["lcores"]) >= 2 and "SOURCE_NOT_ALLOWED" in st["drops"])
check("stats.get: each lcore's busy_us within its loop_us, the loop running",
      all(0 <= l["busy_us"] <= l["loop_us"] and l["loop_us"] > 0 for l in st["lcores"]))

# Telemetry (DPDK's socket, the protocol dpdk-telemetry.py speaks).
def tel(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    s.recv(16384)
    s.send(cmd.encode())
    rep = json.loads(s.recv(1 << 16).decode())
    s.close()
    return rep
try:
    cmds = tel("/")["/"]
    check("telemetry lists /wirespeed/ commands",
          all(x in cmds for x in ("/wirespeed/info", "/wirespeed/stats", "/wirespeed/peers")))
    info = tel("/wirespeed/info")["/wirespeed/info"]
    check("telemetry /wirespeed/info", info["peers"] == 1 and info["name"].startswith("wsgw"))
    peers = tel("/wirespeed/peers")["/wirespeed/peers"]
    check("telemetry /wirespeed/peers", list(peers) == ["peer_0"] and
          peers["peer_0"]["public_key"] == pub and
          peers["peer_0"]["endpoint"] == "192.0.2.2:51820")
    one = tel("/wirespeed/peers," + pub)["/wirespeed/peers"]
    check("telemetry /wirespeed/peers,KEY", one["public_key"] == pub)
    stats = tel("/wirespeed/stats")["/wirespeed/stats"]
    check("telemetry /wirespeed/stats", "port_wan" in stats and "drops" in stats)
except (OSError, KeyError, ValueError) as ex:
    check("telemetry socket answers (%r)" % ex, False)

r = c.call("gateway.shutdown")
check("gateway.shutdown answered", r == {"stopping": True})
sys.exit(1 if fails else 0)
EOF
ws_check "JSON-RPC conformance" [ $? -eq 0 ]
for _ in $(seq 100); do
	kill -0 "$WS_GW_PID" 2>/dev/null || break
	sleep 0.1
done
ws_check "gateway.shutdown stopped the gateway, exit 0" ws_gw_stop
ws_check "JSON-RPC socket removed" [ ! -e "$SOCK" ]
ws_check "final counters printed" grep -q '^final: uptime' "$WS_TMP/gw.log"
ws_finish
