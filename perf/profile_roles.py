#!/usr/bin/env python3
"""Share of perf samples per gateway role and per leaf function, counting
only samples whose call chain passes through gwh_poll (the gateway's polls
in perf/gw_bench: the traffic generator and the ceiling are left out).

   perf script -i perf.data | python3 perf/profile_roles.py [FRAME]
(record with --call-graph dwarf so that the chains are complete). FRAME,
e.g. run_point, keeps only samples that also pass through that function
(the measured points, not the handshakes that set the peers up).
"""
import collections
import sys

ROLES = ("ws_rx_poll", "ws_worker_poll", "ws_tx_poll", "ws_control_poll",
         "ws_handshake_poll")


def samples(lines):
    cur = []
    for line in lines:
        if not line.strip():
            if cur:
                yield cur
            cur = []
        else:
            cur.append(line.rstrip("\n"))
    if cur:
        yield cur


def frame_name(line):
    parts = line.split()
    return parts[1].split("+")[0] if len(parts) > 1 else "?"


def main():
    need = sys.argv[1] if len(sys.argv) > 1 else None
    total = 0
    roles, leaves = collections.Counter(), collections.Counter()
    for s in samples(sys.stdin):
        frames = [frame_name(l) for l in s[1:]]
        if "gwh_poll" not in frames or (need and need not in frames):
            continue
        total += 1
        roles[next((f for f in reversed(frames) if f in ROLES), "rcu/other")] += 1
        leaf = frames[0]
        if leaf.startswith(("imb_", "submit_job", "flush_job")):
            leaf = "IPsec-MB (libIPSec_MB)"
        leaves[leaf] += 1
    if total == 0:
        print("no samples under gwh_poll")
        return 1
    print(f"samples under gwh_poll: {total}")
    for k, n in roles.most_common():
        print(f"{100 * n / total:5.1f}% {k}")
    print("--- leaf functions")
    for k, n in leaves.most_common(30):
        print(f"{100 * n / total:5.1f}% {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
