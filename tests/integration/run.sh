#!/usr/bin/env bash
# Runs every integration scenario (root needed) and prints "N passed, N failed".
#   tests/integration/run.sh [test_name ...]
# WS_BUILD (default: build) names the build directory holding the gateway.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tests=("test_traffic.sh 4" "test_traffic.sh 6" "test_tx_offload.sh" "test_handshake.sh" "test_peers.sh"
       "test_roaming.sh" "test_restart.sh" "test_config_example.sh" "test_lcores.sh"
       "test_mgmt_rpc.sh" "test_mgmt_wg.sh" "test_mgmt_live.sh" "test_mgmt_ctl.sh"
       "test_mgmt_scale.sh" "test_flood.sh" "test_garbage.sh" "test_replay.sh"
       "test_faults.sh" "test_soak.sh")
[ $# -gt 0 ] && tests=("$@")
passed=0 failed=0 skipped=0 failures=()
for t in "${tests[@]}"; do
	echo "=== $t"
	# shellcheck disable=SC2086
	bash "$here"/$t
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); failures+=("$t") ;;
	esac
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
[ "$skipped" -gt 0 ] && echo "skipped: $skipped (not root?)"
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
