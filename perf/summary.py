#!/usr/bin/env python3
"""Markdown tables from a perf/run.sh results file (docs/performance.md).

   summary.py perf/results/latest.json
"""
import json
import sys


def f(x, fmt="{:.2f}"):
    return fmt.format(x) if isinstance(x, (int, float)) else "-"


def main():
    doc = json.load(open(sys.argv[1]))
    print(f"Run {doc.get('timestamp')} ({doc.get('mode')}), {doc.get('cpu')}, "
          f"{doc.get('ncpu')} CPUs.\n")

    cc = doc.get("crypto_ceiling", {}).get("implementations", {})
    if cc:
        print("### Crypto ceiling (one core, Mpps; cycles/packet in brackets)\n")
        sizes = []
        for rows in cc.values():
            for r in rows:
                if r["size"] not in sizes:
                    sizes.append(r["size"])
        print("| implementation | dir | " + " | ".join(sizes) + " |")
        print("|---|---|" + "---|" * len(sizes))
        for name, rows in cc.items():
            for d in ("encrypt", "decrypt"):
                cells = []
                for s in sizes:
                    r = next((r for r in rows if r["size"] == s and r["dir"] == d), None)
                    cells.append(f"{r['mpps']:.2f} ({r['cycles_per_packet']:.0f})" if r else "-")
                print(f"| {name} | {d} | " + " | ".join(cells) + " |")
        miss = doc["crypto_ceiling"].get("unavailable", {})
        if miss:
            print("\nUnavailable: " + "; ".join(f"{k}: {v}" for k, v in miss.items()))
        print()

    ib = doc.get("index_bench", {}).get("points", [])
    if ib:
        print("### Receiver-index lookups (cycles per index, bursts of 32, same run)\n")
        print("| peers | entries | ws_index | rte_hash, same indices | ratio |")
        print("|---|---|---|---|---|")
        for p in ib:
            print(f"| {p['peers']} | {p.get('entries')} | {f(p.get('ws_index_cycles'), '{:.1f}')} | "
                  f"{f(p.get('rte_hash_cycles'), '{:.1f}')} | {f(p.get('ratio'))} |")
        print()

    ck = doc.get("cksum_bench", {}).get("points", [])
    if ck:
        print("### Outer UDP checksum (cycles per datagram, same run)\n")
        print("| outer | size | headers, checksum in software | headers, NIC completes it "
              "| seal | software sum / seal |")
        print("|---|---|---|---|---|---|")
        for p in ck:
            print(f"| {p['outer']} | {p['size']} | {f(p.get('build_sw_cksum_cycles'), '{:.1f}')} | "
                  f"{f(p.get('build_offload_cycles'), '{:.1f}')} | {f(p.get('seal_cycles'), '{:.0f}')} | "
                  f"{f(p.get('sw_sum_over_seal'))} |")
        print()

    gw = doc.get("gw_bench", {}).get("modes", {})
    for mode, per in gw.items():
        print(f"### Gateway, mode `{mode}` (per worker core; ratio = gateway / ceiling, same run)\n")
        print("Ratio is the median round's; rounds gives the lowest and highest of the rounds: "
              "a wide spread means the VM took the lcore away during one of them.\n")
        print("| peers | size | dir | gateway cyc/pkt | Mpps | Gbps | ceiling cyc/pkt | ratio | rounds |")
        print("|---|---|---|---|---|---|---|---|---|")
        for peers in sorted(per, key=int):
            res = per[peers]
            if "points" not in res:
                print(f"| {peers} | - | - | {res.get('error', 'no result')} | | | | | |")
                continue
            for p in res["points"]:
                g, c = p.get("gateway", {}), p.get("ceiling", {})
                rounds = p.get("ratio_rounds") or []
                spread = f"{min(rounds):.2f}-{max(rounds):.2f}" if rounds else "-"
                print(f"| {peers} | {p['size']} | {p['dir']} | {f(g.get('cycles_per_packet'), '{:.0f}')}"
                      f" | {f(g.get('mpps'))} | {f(g.get('gbps'))} | "
                      f"{f(c.get('cycles_per_packet'), '{:.0f}')} | {f(p.get('ratio'))} | {spread} |")
        print()
        for suffix, what in (("peers", "packet rate"), ("peers_of_ceiling", "gateway/ceiling of each, divided"),
                             ("active_peer", "the same gateway with 1 of its peers carrying all traffic,"
                                             " run right after in each round")):
            vs = {k: v for k, v in doc.get("headline", {}).items()
                  if k.startswith(f"{mode}/") and k.split("/")[1].endswith("_vs_1" + suffix)}
            if vs:
                many = next(iter(vs)).split("/")[1].split("_")[0]
                print(f"{many} peers against 1 ({what}): " +
                      ", ".join(f"{k.split('/', 2)[2]} {v:.2f}" for k, v in vs.items()) + "\n")
        setup = {k: v.get("handshake_setup_s") for k, v in per.items()}
        print("Handshake set-up (s): " + ", ".join(f"{k} peers {f(v, '{:.1f}')}"
                                                  for k, v in setup.items()) + "\n")
    v6 = {k: v for k, v in doc.get("headline", {}).items() if k.startswith("rtc-ipv6_vs_rtc/")}
    if v6:
        print("IPv6 underlay against IPv4, rtc, 1 peer (gateway/ceiling of each, divided): " +
              ", ".join(f"{k.split('/', 2)[2]} {v:.2f}" for k, v in v6.items()) + "\n")

    lat = doc.get("gw_bench", {}).get("latency", [])
    if lat:
        print("### Added latency, mode `rtc`, 1 peer (microseconds)\n")
        print("| size | dir | load | p50 | p99 | samples |")
        print("|---|---|---|---|---|---|")
        for e in lat:
            for r in e["results"]:
                print(f"| {e['size']} | {e['dir']} | {r['load']} | {f(r.get('p50_us'))} | "
                      f"{f(r.get('p99_us'))} | {r.get('samples')} |")
        print()

    hs = doc.get("hs_bench", {})
    if hs:
        h = hs.get("handshakes", {})
        print("### Handshakes and floods\n")
        print(f"Handshakes: {h.get('responses')} of {h.get('initiations')} answered, "
              f"{f(h.get('handshakes_per_s_per_lcore'), '{:.0f}')} per second per lcore "
              f"(busy time), {f(h.get('wall_handshakes_per_s'), '{:.0f}')} wall.\n")
        if "vs_x25519_floor" in h:
            print(f"X25519 alone, on the same lcore between the handshakes' chunks: "
                  f"{f(h['x25519_cycles'], '{:.0f}')} "
                  f"cycles a variable-base multiplication, {f(h['x25519_keypair_cycles'], '{:.0f}')} "
                  f"a fresh key pair; three and one a handshake allow "
                  f"{f(h['x25519_floor_per_s'], '{:.0f}')} per second at most. The gateway's "
                  f"{f(h['cycles_per_handshake'], '{:.0f}')} cycles a handshake: "
                  f"{f(h['vs_x25519_floor'], '{:.2f}')} of them X25519.\n")
        print("| mode | data | flood | data Mpps | vs no flood | initiations offered | handshakes "
              "| cookies |")
        print("|---|---|---|---|---|---|---|---|")
        for fl in hs.get("flood", []):
            for r in fl.get("runs", []):
                print(f"| {fl.get('mode')} | {fl.get('dir', 'decrypt')} | {r['flood']} | "
                      f"{f(r['data_mpps'], '{:.3f}')} | "
                      f"{f(r.get('ratio_to_no_flood'))} | {r['initiations_offered']} | "
                      f"{r['handshakes_in']} | {r['cookies_sent']} |")
        print()

    mb = doc.get("memif_bench", {})
    if mb.get("points"):
        print("### testpmd through two gateways over net_memif\n")
        print(f"{mb.get('topology')}; {mb.get('cpus')}. Ratio: {mb.get('ratio')}.\n")
        print("| size | end to end Mpps | gateway | encrypt Mpps | decrypt Mpps "
              "| CPU ns/packet | ceiling ns/packet | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for pt in mb["points"]:
            for name, g in pt.get("gateways", {}).items():
                print(f"| {pt['size']} | {f(pt.get('end_to_end_mpps'), '{:.3f}')} | {name} | "
                      f"{f(g.get('encrypt_mpps'), '{:.3f}')} | "
                      f"{f(g.get('decrypt_mpps'), '{:.3f}')} | "
                      f"{f(g.get('cpu_ns_per_packet'), '{:.0f}')} | "
                      f"{f(g.get('ceiling_ns_per_packet'), '{:.0f}')} | {f(g.get('ratio'))} |")
        print()

    wc = doc.get("wg_compare", {}).get("results", {})
    if wc:
        print("### wirespeed vs wireguard-go, veth topology, iperf3 host -> peer\n")
        print("| traffic | gateway | Mbit/s | CPU s | packets | CPU us/packet "
              "| of it kernel | busy us/packet |")
        print("|---|---|---|---|---|---|---|---|")
        for kind, r in wc.items():
            for name in ("wirespeed", "wireguard-go"):
                x = r.get(name)
                if x:
                    print(f"| {kind} | {name} | {f(x['mbit_per_s'], '{:.0f}')} | "
                          f"{f(x['cpu_s'])} | {x['packets']} | "
                          f"{f(x.get('cpu_us_per_packet'))} | "
                          f"{f(x.get('sys_us_per_packet'))} | "
                          f"{f(x.get('busy_us_per_packet'))} |")
        for kind, r in wc.items():
            print(f"\n{kind}: throughput ratio wirespeed/wireguard-go "
                  f"{f(r.get('throughput_ratio'))}, CPU per packet wireguard-go/wirespeed "
                  f"{f(r.get('cpu_per_packet_ratio_wg_go_over_wirespeed'))}, throughput per "
                  f"CPU-second ratio {f(r.get('throughput_per_cpu_ratio'))} (bound by "
                  f"the kernel's share of wirespeed's CPU: "
                  f"{f(r.get('cpu_ratio_bound_by_kernel'))})")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
