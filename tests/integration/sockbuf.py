#!/usr/bin/env python3
"""Give a running process's UDP sockets larger buffers: sockbuf.py PID BYTES.

Debian's wireguard-go (0.0.20220316) leaves its UDP sockets at the kernel
default (net.core.rmem_default, 208 KiB: about 90 datagrams), and inside a
network namespace that sysctl is read-only. Later wireguard-go releases set
7 MiB with SO_RCVBUFFORCE themselves. This takes a copy of each of the
process's IPv4/IPv6 datagram sockets (pidfd_getfd, Linux 5.6; root) and sets
the same on it: the copy refers to the same socket, so the process's own
receive path gets the larger buffer. Prints one line per socket changed;
exits 1 if there was none.
"""
import ctypes
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # the same number on every architecture
# <asm-generic/socket.h>; Python's socket module does not name them.
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33


def main():
    pid, size = int(sys.argv[1]), int(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    changed = 0
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                continue
            s = socket.socket(fileno=fd)
            try:
                if s.family not in (socket.AF_INET, socket.AF_INET6) or s.type != socket.SOCK_DGRAM:
                    continue
                s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
                s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, size)
                print("pid %d fd %s (%s): receive buffer %d, send buffer %d" % (
                    pid, name, s.getsockname(),
                    s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                    s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)))
                changed += 1
            finally:
                s.close()
    finally:
        os.close(pidfd)
    return 0 if changed else 1


if __name__ == "__main__":
    sys.exit(main())
