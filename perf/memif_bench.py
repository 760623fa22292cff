#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The gateway fed and drained by DPDK's own dpdk-testpmd over net_memif,
as operators benchmark a DPDK appliance, with the tunnel between two
wirespeed gateways (testpmd speaks no WireGuard):

  testpmd port 0 =memif= [clr] gateway A [tun] =memif= [tun] gateway B [clr] =memif= testpmd port 1

testpmd runs in flowgen mode on both ports: it sends 10.254.0.0 ->
10.253.0.0/24 UDP frames of the chosen size into each gateway's clear port
and counts and discards whatever comes back. Each gateway encrypts what
its clear port gets for the other and decrypts what the other sent, so
both do both directions. No kernel, no namespace, no root: three DPDK
processes and three unix sockets in a temporary directory.

  perf/memif_bench.py [--short] [--secs S] [--sizes 64,1420] [--json FILE]
                      [--bin WIRESPEED] [--ceiling CRYPTO_CEILING | --ceiling-json FILE]

Figures per size: packets through end to end (testpmd's RX, and the
gateways' clear-port TX), and per gateway its encrypts and decrypts per
second and its CPU time per packet (the kernel's schedstat for every
thread of the process: the two gateways share CPU 0 and testpmd's
generator has CPU 1, so wall-clock time would count the other gateway's
turns). The ratio puts IPsec-MB's cost for the same mix of encrypts and
decrypts at that size (crypto_ceiling, ws_aead ipsec_mb, measured in the
same run) over the gateway's: the share of a gateway's CPU that is the
cipher. Its cost includes the net_memif copies on RX and TX, which a NIC
does not make.

Exit status: 0 when every size moved packets end to end in both
directions and both gateways stopped cleanly, else 1.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import rpc  # noqa: E402

# testpmd 22.11's flowgen frames: fixed MACs, 10.254.0.0 -> 10.253.0.0 + flow.
FLOWGEN_SRC_MAC = "00:01:02:03:04:00"
FLOWGEN_DST_MAC = "00:01:02:03:04:01"
ETH_AND_FCS = 18          # --txpkts counts the Ethernet header and the FCS
# Rings of 4,096 slots (the client side sets them): the gateways take turns
# on CPU 0, and a turn of a few ms must not overflow the link between them.
RING = ",rsize=12"
OVERLOAD_DROPS = {"TX_FAILED", "RING_FULL", "NO_MBUF"}


def log(msg):
    print(f"[memif {time.strftime('%T')}] {msg}", flush=True)


def wg_key(cmd, data=None):
    return subprocess.run(["wg", cmd], input=data, capture_output=True, text=True,
                          check=True).stdout.strip()


class Gateway:
    """One wirespeed process: tunnel port on memif tun.sock (A serves it,
    B connects), clear port serving its own memif socket for testpmd."""

    def __init__(self, tmp, name, binary, tun_role, addr, peer_addr, tun_mac, peer_mac,
                 key, peer_pub, keepalive):
        self.name, self.tmp = name, tmp
        self.sock = os.path.join(tmp, f"{name}.rpc")
        self.clr_sock = os.path.join(tmp, f"{name}-clr.sock")
        self.logf = os.path.join(tmp, f"{name}.log")
        peer = {"public_key": peer_pub, "endpoint": f"{peer_addr}:51820",
                "allowed_ips": ["10.253.0.0/16", "10.254.0.0/16"]}
        if keepalive:
            peer["persistent_keepalive"] = keepalive
        cfg = {
            "name": f"wsm{name}{os.getpid() % 10000}",
            "eal": ["-l", "0", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                    "--file-prefix", f"wsm{name}{os.getpid()}",
                    "--vdev", f"net_memif0,role={tun_role},id=0,socket={tmp}/tun.sock,"
                              f"socket-abstract=no,mac={tun_mac}{RING}",
                    "--vdev", f"net_memif1,role=server,id=0,socket={self.clr_sock},"
                              f"socket-abstract=no,mac={FLOWGEN_DST_MAC}"],
            "ports": [
                {"name": "tun", "device": "net_memif0", "role": "tunnel",
                 "addresses": [f"{addr}/24"]},
                {"name": "clr", "device": "net_memif1", "role": "clear",
                 "addresses": ["10.252.0.1/24"]},
            ],
            "neighbors": [
                {"address": peer_addr, "mac": peer_mac, "port": "tun"},
                {"address": "10.252.0.2", "mac": FLOWGEN_SRC_MAC, "port": "clr"},
            ],
            "routes": [{"prefix": "10.253.0.0/16", "via": "10.252.0.2", "port": "clr"}],
            "interface": {"private_key": key, "listen_port": 51820, "mtu": 1420},
            "peers": [peer],
            "management": {"jsonrpc": self.sock, "uapi": False, "telemetry": False},
        }
        self.cfg = os.path.join(tmp, f"{name}.json")
        fd = os.open(self.cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(cfg, f, indent=1)
        self.binary, self.proc = binary, None

    def start(self):
        self.out = open(self.logf, "w")
        self.proc = subprocess.Popen([self.binary, "--", "--config", self.cfg,
                                      "--idle-sleep", "50"],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway {self.name} exited at start:\n{self.tail()}")
            with open(self.logf) as f:
                if any(line.startswith("wirespeed: ready") for line in f):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gateway {self.name} not ready after 30 s:\n{self.tail()}")

    def tail(self, n=30):
        with open(self.logf) as f:
            return "".join(f.readlines()[-n:])

    def call(self, method, params=None):
        return rpc.call(self.sock, method, params)

    def handshaken(self):
        return any(p.get("last_handshake", 0) for p in self.call("peer.list")["peers"])

    def cpu_ns(self):
        """Time on a CPU of every thread of the process (schedstat, ns)."""
        total = 0
        task_dir = f"/proc/{self.proc.pid}/task"
        for tid in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass        # a thread that just ended
        return total

    def snapshot(self):
        s = self.call("stats.get")
        ports = {p["name"]: p for p in s["ports"]}
        return {"cpu_ns": self.cpu_ns(), "t": time.time(),
                "encrypted": s["totals"]["encrypted"], "decrypted": s["totals"]["decrypted"],
                "clr_rx": ports["clr"]["rx_packets"], "clr_tx": ports["clr"]["tx_packets"],
                "tun_rx": ports["tun"]["rx_packets"], "tun_tx": ports["tun"]["tx_packets"],
                "drops": {k: v for k, v in s["drops"].items() if v}}

    def stop(self):
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def testpmd_start(tmp, a, b, size):
    cmd = ["dpdk-testpmd", "-l", "0-1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
           "--file-prefix", f"wsmt{os.getpid()}",
           "--vdev", f"net_memif0,role=client,id=0,socket={a.clr_sock},socket-abstract=no{RING}",
           "--vdev", f"net_memif1,role=client,id=0,socket={b.clr_sock},socket-abstract=no{RING}",
           "--", "-i", "--forward-mode=flowgen", f"--txpkts={size + ETH_AND_FCS}",
           "--flowgen-flows=64", "--nb-cores=1", "--total-num-mbufs=16384"]
    logf = open(os.path.join(tmp, f"testpmd-{size}.log"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=logf, stderr=subprocess.STDOUT,
                            text=True)
    proc.stdin.write("start\n")
    proc.stdin.flush()
    return proc, logf


def testpmd_stop(proc, logf):
    """Stop the generator, let the gateways drain, then disconnect: DPDK
    22.11's net_memif unmaps a link's shared memory when its peer goes
    away without waiting for a burst in progress on the other side, so a
    gateway still sending to testpmd at that moment would fault."""
    try:
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        time.sleep(1)
        proc.communicate("quit\n", timeout=30)
    except (subprocess.TimeoutExpired, BrokenPipeError):
        proc.kill()
        proc.wait()
    logf.close()
    text = open(logf.name).read()
    acc = text.split("Accumulated forward statistics for all ports")
    tot = {}
    if len(acc) > 1:
        for key in ("RX-packets", "TX-packets", "TX-dropped"):
            m = re.search(key + r":\s+(\d+)", acc[1])
            if m:
                tot[key] = int(m.group(1))
    return proc.returncode, tot


def ceiling_costs(args, tmp):
    """ws_aead ipsec_mb cycles per packet by (size, dir), and the TSC rate."""
    path = args.ceiling_json
    if path is None:
        path = os.path.join(tmp, "ceiling.json")
        cmd = [args.ceiling, "--json", path] + (["--short"] if args.short else [])
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    doc = json.load(open(path))
    pts = doc.get("implementations", {}).get("ws_aead_ipsec_mb", [])
    return doc.get("tsc_hz"), {(str(p["size"]), p["dir"]): p["cycles_per_packet"]
                                for p in pts if "cycles_per_packet" in p}


def per_gateway(d, secs, tsc_hz, cost, size):
    n = d["encrypted"] + d["decrypted"]
    r = {"encrypt_mpps": d["encrypted"] / secs / 1e6, "decrypt_mpps": d["decrypted"] / secs / 1e6,
         "cpu_s": d["cpu_ns"] / 1e9,
         "cpu_ns_per_packet": d["cpu_ns"] / n if n else None,
         "clear_out_mpps": d["clr_tx"] / secs / 1e6, "drops": d["drops"]}
    enc, dec = cost.get((str(size), "encrypt")), cost.get((str(size), "decrypt"))
    if n and tsc_hz and enc and dec:
        ceil_ns = (d["encrypted"] * enc + d["decrypted"] * dec) / n / tsc_hz * 1e9
        r["ceiling_ns_per_packet"] = ceil_ns
        r["ratio"] = ceil_ns / r["cpu_ns_per_packet"]
    return r


def delta(a, b):
    out = {k: b[k] - a[k] for k in a if k not in ("drops", "t")}
    out["drops"] = {k: v - a["drops"].get(k, 0) for k, v in b["drops"].items()
                    if v - a["drops"].get(k, 0)}
    return out


def wait_for(cond, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


def run_size(tmp, gws, size, secs, tsc_hz, cost):
    a, b = gws
    proc, logf = testpmd_start(tmp, a, b, size)
    point = {"size": size}
    try:
        s0 = [g.snapshot() for g in gws]
        # Both directions delivered something: the memif links are up.
        if not wait_for(lambda: all(g.snapshot()["clr_tx"] > s["clr_tx"]
                                    for g, s in zip(gws, s0)), 20):
            point["error"] = "no packets came out of both clear ports within 20 s"
            return point
        time.sleep(0.5)                 # past the start
        s1 = [g.snapshot() for g in gws]
        time.sleep(secs)
        s2 = [g.snapshot() for g in gws]
    finally:
        rc, tot = testpmd_stop(proc, logf)
    wall = sum(y["t"] - x["t"] for x, y in zip(s1, s2)) / len(gws)
    d = [delta(x, y) for x, y in zip(s1, s2)]
    point["seconds"] = wall
    point["testpmd"] = {"exit": rc, **tot}
    point["end_to_end_mpps"] = sum(x["clr_tx"] for x in d) / wall / 1e6
    point["gateways"] = {g.name: per_gateway(x, wall, tsc_hz, cost, size) for g, x in zip(gws, d)}
    if any(x["clr_tx"] == 0 for x in d):
        point["error"] = "a direction moved nothing during the measurement"
    # Overload may drop (a full link or ring, no mbuf), nothing else may.
    odd = {f"{g.name}:{k}": v for g, x in zip(gws, d) for k, v in x["drops"].items()
           if k not in OVERLOAD_DROPS}
    if odd:
        point["error"] = f"unexpected drops {odd}"
    return point


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--secs", type=float)
    ap.add_argument("--sizes")
    ap.add_argument("--json")
    ap.add_argument("--bin", default=os.environ.get("WS_BIN", "build/app/wirespeed/wirespeed"))
    ap.add_argument("--ceiling", default="build/perf/crypto_ceiling")
    ap.add_argument("--ceiling-json")
    args = ap.parse_args()
    secs = args.secs or (1.0 if args.short else 5.0)
    sizes = [int(s) for s in (args.sizes or ("64,1420" if args.short else
                                             "64,128,256,512,1024,1420")).split(",")]
    for tool in ("dpdk-testpmd", "wg"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found (Debian: dpdk-dev, wireguard-tools)", file=sys.stderr)
            return 1
    tmp = tempfile.mkdtemp(prefix="wsmemif.")
    doc = {"topology": "testpmd flowgen =memif= A =memif tunnel= B =memif= testpmd",
           "cpus": "gateways A and B share CPU 0 (one lcore each), testpmd's generator CPU 1",
           "ratio": "ws_aead ipsec_mb cost of the same encrypt/decrypt mix / gateway CPU time "
                    "per packet (net_memif copies included)",
           "points": []}
    gws, ok = [], True
    try:
        tsc_hz, cost = ceiling_costs(args, tmp)
        keys = {n: wg_key("genkey") for n in "ab"}
        pubs = {n: wg_key("pubkey", keys[n] + "\n") for n in "ab"}
        a = Gateway(tmp, "a", args.bin, "server", "192.0.2.1", "192.0.2.2",
                    "02:00:00:00:0a:01", "02:00:00:00:0b:01", keys["a"], pubs["b"], 0)
        # B initiates (its keepalive) before testpmd sends a packet: were
        # both to initiate at the same moment, the initiations would cross.
        b = Gateway(tmp, "b", args.bin, "client", "192.0.2.2", "192.0.2.1",
                    "02:00:00:00:0b:01", "02:00:00:00:0a:01", keys["b"], pubs["a"], 25)
        gws = [a, b]
        a.start()
        b.start()
        if not wait_for(lambda: a.handshaken() and b.handshaken(), 30):
            raise RuntimeError("no handshake between the gateways within 30 s")
        log("gateways up, session established")
        for size in sizes:
            p = run_size(tmp, gws, size, secs, tsc_hz, cost)
            doc["points"].append(p)
            if "error" in p:
                ok = False
                log(f"{size} B: ERROR {p['error']}")
                continue
            ga, gb = p["gateways"]["a"], p["gateways"]["b"]
            fmt = lambda g: (f"enc {g['encrypt_mpps']:.3f} dec {g['decrypt_mpps']:.3f} Mpps, "
                             f"{g['cpu_ns_per_packet'] or 0:.0f} ns CPU/pkt, "
                             f"ratio {g.get('ratio', 0):.2f}")
            log(f"{size} B: end to end {p['end_to_end_mpps']:.3f} Mpps "
                f"(testpmd RX {p['testpmd'].get('RX-packets', '?')}); "
                f"A {fmt(ga)}; B {fmt(gb)}")
    except (RuntimeError, OSError, subprocess.CalledProcessError, rpc.RpcError) as e:
        doc["error"] = str(e)
        log(f"ERROR: {e}")
        ok = False
    finally:
        for g in gws:
            rc = g.stop()
            doc.setdefault("exit", {})[g.name] = rc
            if rc != 0:
                ok = False
                log(f"gateway {g.name} exited with {rc}:\n{g.tail()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if ok or os.environ.get("WS_KEEP_TMP") != "1":
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
