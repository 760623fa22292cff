#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Holds one thread of a running process still, as a stuck lcore would be.

  hold_thread.py PID COMM[,COMM...] READY_FILE

Finds the thread of PID whose /proc comm is one of the COMMs (DPDK 22.11
names lcore N's thread rte-worker-N, later releases lcore-worker-N), stops it with
PTRACE_SEIZE + PTRACE_INTERRUPT (the process's other threads run on),
writes READY_FILE, and holds the thread until stdin closes or a line is
read; then detaches (the thread resumes). If this process dies, the
kernel detaches the thread too: a failed test never leaves it stopped.
"""
import ctypes
import os
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def ptrace(req, tid):
    if libc.ptrace(req, tid, None, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "ptrace(%#x, %d): %s" % (req, tid, os.strerror(err)))


def find_thread(pid, comms):
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() in comms:
                return int(tid)
    raise SystemExit("no thread named %s in process %d" % (" or ".join(comms), pid))


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    pid, comms, ready = int(argv[1]), argv[2].split(","), argv[3]
    tid = find_thread(pid, comms)
    ptrace(PTRACE_SEIZE, tid)
    ptrace(PTRACE_INTERRUPT, tid)
    os.waitpid(tid, WALL)
    with open(ready, "w") as f:
        f.write("%d\n" % tid)
    sys.stdin.readline()
    ptrace(PTRACE_DETACH, tid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
