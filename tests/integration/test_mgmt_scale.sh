#!/usr/bin/env bash
# A peer table of 100,000 peers loaded over JSON-RPC (batches of 2000 per
# request line): the memory each peer costs is measured on DPDK's heap
# (rte_malloc, through the telemetry socket's /eal/heap_info) and the
# process RSS before and after, and printed, with the up-front reservation
# for the capacity (--max-peers 100000: tables, keypair mempool); lookups
# still work afterwards: a ping through the real wireguard-go peer, its
# handshake, peer.get of random loaded peers (hash lookup by key) and the
# allowed-ips and endpoints read back. Every loaded peer has an IPv4 /32
# (100,000 prefixes), every 100th an endpoint; the shut-down removes them
# all.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
ws_need_root
trap 'ws_topo_cleanup' EXIT
trap 'exit 130' INT TERM
N=${WS_SCALE_PEERS:-100000}

ws_topo_create
ws_keys gw
ws_keys peer
pub=$(cat "$WS_TMP/peer.pub")
ws_gw_config "$WS_TMP/gw.json" "$(ws_peer_json "$pub" 192.0.2.2:51820 '["10.2.0.0/24", "fd00:2::/64"]')"
python3 - "$WS_TMP/gw.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["management"]["telemetry"] = True
c["eal"][c["eal"].index("-m") + 1] = "2048"
json.dump(c, open(sys.argv[1], "w"))
EOF
WS_LOG_LEVEL=notice WS_GW_ARGS="--max-peers $N" ws_gw_start "$WS_TMP/gw.json" || exit 1
ws_peer_start "$WS_TMP/peer.key" "$(cat "$WS_TMP/gw.pub")" 192.0.2.1:51820
ws_check "tunnel up" ws_wait_ping "$WS_NS_HOST" 10.2.0.2 15

PYTHONPATH=$(dirname "$0") python3 - "$WS_TMP/wsgw.sock" "ws$WS_ID" "$WS_GW_PID" "$N" "$pub" <<'EOF'
import base64, json, os, random, socket, sys, time
from rpc import Client, RpcError
path, prefix, pid, n, pub = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    fails += 0 if cond else 1

def tel(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    s.recv(16384)
    s.send(cmd.encode())
    rep = json.loads(s.recv(1 << 16).decode())
    s.close()
    return rep[cmd.split(",")[0]]

def heap():
    h = tel("/eal/heap_info,0")
    return h["Alloc_size"], h["Heap_size"]

def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0

c = Client(path, timeout=120)
info = c.call("interface.get")
kp = tel("/mempool/info,ws_keypairs")
alloc0, heap_size = heap()
rss0 = rss()
print("capacity %d peers; heap %d MiB, %d MiB allocated at start (tables for the capacity, "
      "keypair mempool %d x %d B, mbufs); RSS %d MiB" %
      (info["max_peers"], heap_size >> 20, alloc0 >> 20, kp["size"], kp["elt_size"], rss0 >> 20))

random.seed(int(os.environ.get("WS_TEST_SEED", "1")))
keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(n)]
def params(i):
    p = {"public_key": keys[i],
         "allowed_ips": ["10.%d.%d.%d/32" % (128 + (i >> 16), (i >> 8) & 255, i & 255)]}
    if i % 100 == 0:
        p["endpoint"] = "198.51.100.%d:%d" % (i % 250 + 1, 1024 + i % 60000)
    return p
t0 = time.time()
errs = 0
for b in range(0, n, 2000):
    res = c.batch([("peer.add", params(i)) for i in range(b, min(n, b + 2000))])
    errs += sum(1 for r in res if isinstance(r, RpcError))
t_load = time.time() - t0
count = c.call("interface.get")["peers"]
check("%d peers loaded over JSON-RPC in %.1f s (%.0f peers/s), %d errors; table holds %d" %
      (n, t_load, n / t_load, errs, count), errs == 0 and count == n + 1)

alloc1, _ = heap()
rss1 = rss()
print("MEMORY: rte_malloc heap +%d B for %d peers = %.0f B/peer (the peer objects; table "
      "entries, rib nodes and keypairs are reserved at start); process RSS +%d B = %.0f B/peer "
      "(pages of the reserved tables touched too); reserved at start for the capacity: "
      "%.0f B/peer slot (%d MiB heap / %d slots)" %
      (alloc1 - alloc0, n, (alloc1 - alloc0) / n, rss1 - rss0, (rss1 - rss0) / n,
       alloc0 / info["max_peers"], alloc0 >> 20, info["max_peers"]), flush=True)
check("memory per peer measured", alloc1 > alloc0)

t0 = time.time()
bad = 0
for i in random.sample(range(n), 20):
    p = c.call("peer.get", {"public_key": keys[i]})
    want = params(i)["allowed_ips"]
    if p["public_key"] != keys[i] or p["allowed_ips"] != want:
        bad += 1
for i in random.sample(range(0, n, 100), 5):
    p = c.call("peer.get", {"public_key": keys[i]})
    if p["allowed_ips"] != params(i)["allowed_ips"] or p["endpoint"] != params(i)["endpoint"]:
        bad += 1
check("peer.get of 25 random loaded peers (%.1f ms each)" % ((time.time() - t0) * 1000 / 25),
      bad == 0)
try:
    c.call("peer.get", {"public_key": base64.b64encode(os.urandom(32)).decode()})
    check("an unknown key is not found", False)
except RpcError as e:
    check("an unknown key is not found", e.code == -32001)
p = c.call("peer.get", {"public_key": pub})
check("the real peer is still there", p["allowed_ips"] == ["10.2.0.0/24", "fd00:2::/64"])
st = tel("/wirespeed/info")
check("telemetry still answers with the big table", st["peers"] == n + 1)
sys.exit(1 if fails else 0)
EOF
ws_check "100,000 peers: loaded, measured, looked up" [ $? -eq 0 ]
ws_check "ping through the real peer with the table loaded" ws_ping "$WS_NS_HOST" 10.2.0.2 5
ws_check "and from it" ws_ping "$WS_NS_PEER" 10.1.0.2 3
t0=$(date +%s)
ws_check "gateway exits cleanly with the table loaded (no leak)" ws_gw_stop
ws_log "shut-down with $N peers took $(( $(date +%s) - t0 )) s"
ws_finish
