#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A small JSON-RPC 2.0 client for the integration tests (stdlib only).

  rpc.py SOCKET METHOD [PARAMS_JSON]   one call; prints the result as JSON,
                                       exit 0, or the error object, exit 2
  rpc.py SOCKET --raw TEXT             sends TEXT (a newline added when
                                       missing), prints the reply line(s)

As a module: Client(path).call(method, params), .send_raw(bytes),
.recv_line(timeout).
"""
import itertools
import json
import socket
import sys

_ids = itertools.count(1)


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message"))
        self.error = error
        self.code = error.get("code")


class Client:
    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        if not data.endswith(b"\n"):
            data += b"\n"
        self.sock.sendall(data)

    def recv_line(self, timeout=None):
        """The next reply line as parsed JSON; None on EOF or timeout."""
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return None
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            return None
        finally:
            self.sock.settimeout(old)
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, obj):
        self.send_raw(json.dumps(obj))
        return self.recv_line()

    def call(self, method, params=None):
        req = {"jsonrpc": "2.0", "id": next(_ids), "method": method}
        if params is not None:
            req["params"] = params
        rep = self.request(req)
        if rep is None:
            raise RpcError({"code": None, "message": "no reply"})
        if "error" in rep:
            raise RpcError(rep["error"])
        return rep["result"]

    def batch(self, calls):
        """calls: [(method, params)]; returns the results in order (errors as RpcError)."""
        reqs = []
        for method, params in calls:
            r = {"jsonrpc": "2.0", "id": next(_ids), "method": method}
            if params is not None:
                r["params"] = params
            reqs.append(r)
        reps = self.request(reqs)
        by_id = {r.get("id"): r for r in reps}
        out = []
        for r in reqs:
            rep = by_id.get(r["id"])
            out.append(RpcError(rep["error"]) if rep is None or "error" in rep
                       else rep["result"])
        return out


def call(path, method, params=None):
    c = Client(path)
    try:
        return c.call(method, params)
    finally:
        c.close()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    c = Client(argv[1])
    if argv[2] == "--raw":
        c.send_raw(argv[3] if len(argv) > 3 else "")
        rep = c.recv_line(timeout=5)
        print(json.dumps(rep) if rep is not None else "")
        return 0
    params = json.loads(argv[3]) if len(argv) > 3 else None
    try:
        print(json.dumps(c.call(argv[2], params)))
    except RpcError as e:
        print(json.dumps(e.error))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
