#!/usr/bin/env bash
# The benchmark suite in one go:
#   perf/run.sh [--short|--full] [--build DIR] [--out DIR]
# Builds (if needed) and runs crypto_ceiling, index_bench, cksum_bench,
# gw_bench (IPv4; IPv6 at 1 peer; 100,000 peers in a shuffled order),
# hs_bench, memif_bench.py (testpmd through two gateways over net_memif)
# and, as root, wg_compare.sh;
# merges their JSON into perf/results/<timestamp>.json and
# perf/results/latest.json, then draws perf/results/*.png (matplotlib
# from Debian, installed with apt-get when missing).
# --short (CI): seconds per tool, checks that everything runs and that the
# JSON is written and well formed (default --out perf/results/short, so CI
# never overwrites the figures docs/performance.md shows); --full (default):
# the figures, in perf/results.
# WS_BENCH_HUGEPAGES=1 runs the DPDK tools on 2 MiB pages, as a gateway is
# deployed; root reserves them first (sysctl vm.nr_hugepages=1100, and
# mount -t hugetlbfs nodev /dev/hugepages). gw_bench's JSON says which.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=full
build=${WS_BUILD:-/tmp/build-perf}
out=
while [ $# -gt 0 ]; do
	case $1 in
	--short) mode=short ;;
	--full) mode=full ;;
	--build) build=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--short|--full] [--build DIR] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done
flag=()
[ "$mode" = short ] && flag=(--short)
if [ -z "$out" ]; then
	out=$top/perf/results
	[ "$mode" = short ] && out=$top/perf/results/short
fi
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
tmp=$(mktemp -d /tmp/wsperf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" -Dtests=false >/dev/null
fi
ninja -C "$build" perf/crypto_ceiling perf/index_bench perf/cksum_bench perf/gw_bench perf/hs_bench \
	app/wirespeed/wirespeed \
	>"$tmp/ninja.log" 2>&1 || { cat "$tmp/ninja.log"; exit 1; }

log() { printf '[perf %s] %s\n' "$(date +%T)" "$*"; }
fail=0
run() {         # run NAME CMD...: the tool writes $tmp/NAME.json
	local name=$1; shift
	log "$name"
	if ! "$@" --json "$tmp/$name.json" "${flag[@]}" >"$tmp/$name.log" 2>&1; then
		log "$name FAILED:"; tail -30 "$tmp/$name.log"; fail=1
	fi
	grep -v '^EAL' "$tmp/$name.log" | sed 's/^/  /' | tail -60
}
run crypto_ceiling "$build/perf/crypto_ceiling"
run index_bench "$build/perf/index_bench"
run cksum_bench "$build/perf/cksum_bench"
# Two processes: a 100,000-peer gateway is left to process exit (gw_bench.c).
run gw_bench_rtc "$build/perf/gw_bench" --rtc-only
run gw_bench_split "$build/perf/gw_bench" --split-only
run gw_bench_rtc6 "$build/perf/gw_bench" --rtc-only --outer6 --peers 1
# The peers in a fixed random order (mode rtc-shuffled): created in id
# order, they lie in memory in that order, which by-id traffic lets the
# hardware prefetchers follow and traffic from many peers does not.
shuffled_peers=100000
[ "$mode" = short ] && shuffled_peers=1000
run gw_bench_rtcs "$build/perf/gw_bench" --rtc-only --shuffle --peers "$shuffled_peers"
run hs_bench "$build/perf/hs_bench"
run memif_bench python3 "$top/perf/memif_bench.py" --bin "$build/app/wirespeed/wirespeed" \
	--ceiling-json "$tmp/crypto_ceiling.json"
if [ "$(id -u)" -eq 0 ] && command -v wireguard-go >/dev/null; then
	log "wg_compare"
	if ! WS_BIN=$build/app/wirespeed/wirespeed bash "$top/perf/wg_compare.sh" "${flag[@]}" \
		--json "$tmp/wg_compare.json" >"$tmp/wg_compare.log" 2>&1; then
		log "wg_compare FAILED:"; tail -30 "$tmp/wg_compare.log"; fail=1
	fi
	grep -E '^\[' "$tmp/wg_compare.log" | grep -E 'Mbit|FAIL|no path' | sed 's/^/  /'
else
	log "wg_compare skipped (needs root and wireguard-go)"
	echo '{"skipped": "needs root and wireguard-go"}' >"$tmp/wg_compare.json"
fi

# Merge; a missing or malformed part is a failure.
python3 - "$tmp" "$out/$stamp.json" "$mode" "$stamp" <<'EOF' || fail=1
import json, os, platform, sys
tmp, dst, mode, stamp = sys.argv[1:5]
doc = {"timestamp": stamp, "mode": mode, "host": platform.node(),
       "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                    if l.startswith("model name")), "?"), "ncpu": os.cpu_count()}
bad = []
for part in ("crypto_ceiling", "index_bench", "cksum_bench", "gw_bench_rtc", "gw_bench_split", "gw_bench_rtc6",
             "gw_bench_rtcs", "hs_bench", "memif_bench", "wg_compare"):
    try:
        doc[part] = json.load(open(os.path.join(tmp, part + ".json")))
    except Exception as e:
        bad.append(f"{part}: {e}")
        doc[part] = {"error": str(e)}
rtc, split, rtc6, rtcs = (doc.pop("gw_bench_rtc"), doc.pop("gw_bench_split"),
                          doc.pop("gw_bench_rtc6"), doc.pop("gw_bench_rtcs"))
doc["gw_bench"] = {k: v for k, v in rtc.items() if k != "modes"}
doc["gw_bench"]["modes"] = {**rtc.get("modes", {}), **split.get("modes", {}),
                            **rtc6.get("modes", {}), **rtcs.get("modes", {})}
if "split_unavailable" in split:
    doc["gw_bench"]["split_unavailable"] = split["split_unavailable"]
# Headline ratios (same run): gateway / ceiling per worker core, 100k vs 1 peer.
g = doc.get("gw_bench", {}).get("modes", {})
head = {}
for mname, mode_res in g.items():
    peers = sorted(mode_res, key=int)
    for p in peers:
        for pt in mode_res[p].get("points", []):
            if "ratio" in pt:
                head[f"{mname}/{p}peers/{pt['size']}/{pt['dir']}/gw_over_ceiling"] = round(pt["ratio"], 3)
    if len(peers) > 1:
        one, many = mode_res[peers[0]].get("points", []), mode_res[peers[-1]].get("points", [])
        for a, b in zip(one, many):
            if "gateway" in a and "gateway" in b and a["size"] == b["size"] and a["dir"] == b["dir"]:
                head[f"{mname}/{peers[-1]}_vs_{peers[0]}peers/{a['size']}/{a['dir']}"] = \
                    round(b["gateway"]["mpps"] / a["gateway"]["mpps"], 3)
            # The points run minutes apart and the machine moves in between:
            # each against the ceiling measured beside it, then divided.
            if a.get("ratio") and b.get("ratio") and a["size"] == b["size"] and a["dir"] == b["dir"]:
                head[f"{mname}/{peers[-1]}_vs_{peers[0]}peers_of_ceiling/{a['size']}/{a['dir']}"] = \
                    round(b["ratio"] / a["ratio"], 3)
    # The same gateway with all traffic on one of its peers, run right after
    # each round (gw_bench.c): the one comparison made in a single moment.
    if peers and int(peers[-1]) > 1:
        for b in mode_res[peers[-1]].get("points", []):
            if "vs_one_active" in b:
                head[f"{mname}/{peers[-1]}_vs_1active_peer/{b['size']}/{b['dir']}"] = \
                    round(b["vs_one_active"], 3)
# IPv6 against IPv4 underlay, 1 peer, each against its own ceiling.
for k in list(head):
    if k.startswith("rtc-ipv6/1peers/") and k.endswith("/gw_over_ceiling"):
        v4 = head.get("rtc/" + k[len("rtc-ipv6/"):])
        if v4:
            head["rtc-ipv6_vs_rtc/" + k[len("rtc-ipv6/"):-len("/gw_over_ceiling")]] = \
                round(head[k] / v4, 3)
# testpmd through two gateways over net_memif: each gateway's cipher share.
for pt in doc.get("memif_bench", {}).get("points", []):
    for name, gw in pt.get("gateways", {}).items():
        if "ratio" in gw:
            head[f"memif/{pt['size']}/gateway_{name}/ceiling_over_cpu"] = round(gw["ratio"], 3)
# Handshakes against the X25519 work they need, timed on the same lcore between their chunks.
hsr = doc.get("hs_bench", {}).get("handshakes", {})
if "vs_x25519_floor" in hsr:
    head["handshakes/per_s_per_lcore"] = round(hsr["handshakes_per_s_per_lcore"])
    head["handshakes/x25519_floor_per_s"] = round(hsr["x25519_floor_per_s"])
    head["handshakes/x25519_over_handshake_cycles"] = round(hsr["vs_x25519_floor"], 3)
doc["headline"] = head
# Everything must have produced figures, not just files.
for mname, mode_res in g.items():
    for p, res in mode_res.items():
        if "error" in res:
            bad.append(f"gw_bench {mname}/{p} peers: {res['error']}")
        bad += [f"gw_bench {mname}/{p} peers {pt['size']} {pt['dir']}: {pt['error']}"
                for pt in res.get("points", []) if "error" in pt]
if not g:
    bad.append("gw_bench: no modes")
ib = doc.get("index_bench", {}).get("points", [])
if not ib or any("error" in pt or not pt.get("all_hit") for pt in ib):
    bad.append("index_bench: a point failed or missed live indices")
ck = doc.get("cksum_bench", {}).get("points", [])
if not ck or any("error" in pt or not pt.get("seal_cycles") for pt in ck):
    bad.append("cksum_bench: a point failed")
mb = doc.get("memif_bench", {})
if "error" in mb or not mb.get("points") or any("error" in pt for pt in mb["points"]) \
        or any(rc != 0 for rc in mb.get("exit", {}).values()):
    bad.append("memif_bench: " + str(mb.get("error") or "a point failed or a gateway exited non-zero"))
hs = doc.get("hs_bench", {}).get("handshakes", {})
if not hs.get("responses"):
    bad.append("hs_bench: no handshake answered")
with open(dst, "w") as f:
    json.dump(doc, f, indent=1)
json.load(open(dst))
if bad:
    print("malformed or missing parts:", "; ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
cp "$out/$stamp.json" "$out/latest.json"
log "wrote $out/$stamp.json and $out/latest.json"

# Plots (optional in short mode: CI need not install anything).
if ! python3 -c 'import matplotlib' 2>/dev/null && [ -x /usr/bin/python3 ] &&
	! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	if [ "$mode" = full ] && [ "$(id -u)" -eq 0 ]; then
		log "installing python3-matplotlib"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib \
			>"$tmp/apt.log" 2>&1 || { apt-get update -q >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib \
				>"$tmp/apt.log" 2>&1; } || log "matplotlib install failed (see apt)"
	fi
fi
py=python3
python3 -c 'import matplotlib' 2>/dev/null || py=/usr/bin/python3
if $py -c 'import matplotlib' 2>/dev/null; then
	$py "$top/perf/plot.py" "$out/latest.json" "$out" && log "plots in $out/*.png"
else
	log "no matplotlib: plots skipped"
fi
python3 "$top/perf/summary.py" "$out/latest.json" >"$out/summary.md" 2>/dev/null &&
	log "tables in $out/summary.md"
[ "$fail" = 0 ] && log "ok ($mode)" || log "FAILED ($mode)"
exit "$fail"
