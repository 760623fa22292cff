#!/usr/bin/env bash
# The demo command. Installs what is missing and builds; then shows what
# the tree can do today: until the DPDK data plane lands (issue 3) that is
# the protocol core completing WireGuard handshakes and exchanging data
# between two in-process endpoints, with and without a preshared key.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
ws_ensure_deps

if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build; fi
ninja -C build

echo
echo "== protocol core: handshakes, cookies and data between two endpoints =="
meson test -C build --suite unit noise cookie --verbose 2>&1 | grep -E '^\s+Test:|passed|failed|^Run Summary|asserts|tests ' || true
meson test -C build --suite unit noise cookie
