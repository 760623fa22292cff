#!/usr/bin/env python3
"""Draw perf/results/*.png from a perf/run.sh results file.

   plot.py RESULTS.json OUTDIR

throughput_mpps.png / throughput_gbps.png: Mpps and Gbps per core against
packet size (inner IP bytes) for the IPsec-MB ceiling, the gateway
in-process (one lcore, run to completion, 1 peer) and, as markers at the
iperf3 datagram size, wirespeed and wireguard-go on the veth topology.
The thick black line is the ceiling gw_bench measured on the worker's core
right before each gateway point; the thin lines are crypto_ceiling's run,
earlier in the suite (on a shared machine they can differ a lot).
"""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SIZES = ["64", "128", "256", "512", "1024", "1420"]
UDP_IP_BYTES = 1300 + 28   # wg_compare.sh: iperf3 -l 1300


def series(points, key, dirn):
    xs, ys = [], []
    for p in points:
        if p.get("dir") == dirn and p.get("size") in SIZES and key(p) is not None:
            xs.append(int(p["size"]))
            ys.append(key(p))
    return xs, ys


def main():
    doc = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    ceil = doc.get("crypto_ceiling", {}).get("implementations", {})
    gw = doc.get("gw_bench", {}).get("modes", {})
    rtc = gw.get("rtc", {})
    first = sorted(rtc, key=int)[0] if rtc else None
    gpts = rtc.get(first, {}).get("points", []) if first else []
    wgc = doc.get("wg_compare", {}).get("results", {}).get("udp", {})
    for metric, label in (("mpps", "Mpps per core"), ("gbps", "Gbit/s per core")):
        fig, ax = plt.subplots(figsize=(8, 5))
        for dirn, style in (("encrypt", "-"), ("decrypt", "--")):
            for name, pts in (("crypto_ceiling: IPsec-MB raw", ceil.get("ipsec_mb_raw", [])),
                              ("crypto_ceiling: libsodium", ceil.get("libsodium", [])),
                              ("crypto_ceiling: cryptodev", ceil.get("cryptodev_ipsec_mb", []))):
                xs, ys = series(pts, lambda p: p.get(metric), dirn)
                if xs:
                    ax.plot(xs, ys, style, marker=".", linewidth=0.8, alpha=0.6,
                            label=f"{name} ({dirn})")
            # The ceiling gw_bench measured right before each gateway point.
            xs, ys = series(gpts, lambda p: p.get("ceiling", {}).get(metric), dirn)
            if xs:
                ax.plot(xs, ys, style, marker="x", linewidth=2, color="black",
                        label=f"ceiling, same run and core ({dirn})")
            xs, ys = series(gpts, lambda p: p.get("gateway", {}).get(metric), dirn)
            if xs:
                ax.plot(xs, ys, style, marker="o", linewidth=2,
                        label=f"gateway in-process, {first} peer(s) ({dirn})")
        for name, mark in (("wirespeed", "s"), ("wireguard-go", "^")):
            r = wgc.get(name)
            if r and r.get("mbit_per_s"):
                y = r["mbit_per_s"] / 1e3 if metric == "gbps" else \
                    r["mbit_per_s"] * 1e6 / (UDP_IP_BYTES * 8) / 1e6
                ax.plot([UDP_IP_BYTES], [y], mark, markersize=10,
                        label=f"{name}, veth + iperf3 UDP (whole process)")
        ax.set_xlabel("packet size (inner IP bytes)")
        ax.set_ylabel(label)
        ax.set_xscale("log", base=2)
        ax.set_xticks([int(s) for s in SIZES])
        ax.set_xticklabels(SIZES)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title(f"wirespeed {doc.get('timestamp', '')} ({doc.get('mode', '')}): "
                     f"{doc.get('cpu', '')}", fontsize=8)
        fig.tight_layout()
        fig.savefig(f"{out}/throughput_{metric}.png", dpi=110)
        plt.close(fig)


if __name__ == "__main__":
    main()
