#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the CUnit suites,
# the integration scenarios (network namespaces, the gateway on af_packet,
# Debian's wireguard-go as the far peer; root only), then builds and runs
# the unit suites again under AddressSanitizer + UBSan.
#   scripts/test.sh                      everything
#   WS_SKIP_ASAN=1 scripts/test.sh       skip the sanitizer pass
#   WS_SKIP_INTEGRATION=1 scripts/test.sh  skip the namespace scenarios
#   WS_SKIP_FUZZ=1 scripts/test.sh       skip the short libFuzzer pass
#   WS_SKIP_PERF=1 scripts/test.sh       skip the short benchmark pass
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
ws_ensure_deps

passed=0
failed=0
failures=()

# meson's summary gives "Ok: N" and "Fail: N" (plus timeouts); count them.
run_meson_tests() {
	local dir=$1 label=$2 suite=$3 log rc=0 ok fail names
	shift 3
	log=$(mktemp)
	meson test -C "$dir" --suite "$suite" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log" || rc=$?
	ok=$(awk '/^Ok:/ {print $2}' "$log"); ok=${ok:-0}
	fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
	passed=$((passed + ok))
	failed=$((failed + fail))
	if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ]; then
		# Name the failed tests, so the summary's last lines say which.
		names=$(awk '/^ *[0-9]+\/[0-9]+ / && / (FAIL|TIMEOUT|UNEXPECTEDPASS) / {
			for (i = 1; i <= NF; i++) if ($i == "/") { print $(i + 1); break } }' "$log" |
			paste -sd, -)
		failures+=("$label${names:+ ($names)}")
		[ "$fail" -eq 0 ] && failed=$((failed + 1))
	fi
	rm -f "$log"
	return 0
}

configure() {
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir"
}

echo "== build (release) =="
configure build
echo "== unit tests =="
run_meson_tests build "unit" unit

if [ "${WS_SKIP_INTEGRATION:-0}" != 1 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "== integration tests (netns + wireguard-go) =="
		run_meson_tests build "integration" integration
	else
		echo "== integration tests skipped: they need root for network namespaces =="
	fi
fi

if [ "${WS_SKIP_ASAN:-0}" != 1 ]; then
	echo "== build (ASan + UBSan) =="
	configure build-asan -Dsanitize=true
	echo "== unit tests under ASan + UBSan =="
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export LSAN_OPTIONS=suppressions=$top/tests/unit/lsan.supp:print_suppressions=0
	run_meson_tests build-asan "unit (asan)" unit
	if [ "${WS_SKIP_INTEGRATION:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
		# Every scenario but those whose verdict rests on throughput (zero
		# loss at a fixed rate, 100k-peer load time, the soak's RSS): an
		# instrumented gateway is several times slower, so they would
		# measure ASan, not the gateway. They run above on the release build.
		echo "== integration tests against the ASan + UBSan gateway =="
		run_meson_tests build-asan "integration (asan)" integration \
			handshake peers roaming restart config_example lcores \
			mgmt_rpc mgmt_wg mgmt_ctl mgmt_stall flood garbage replay faults
	fi
fi

# One-off steps that pass or fail as a whole count as one test each.
run_step() {
	local label=$1; shift
	echo "== $label =="
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$label")
	fi
}

# The soak once more against a test build whose sessions rekey after 10 s
# (meson -Drekey_after=10; only the gateway is built), 40 s: the gateway rekeys
# on its own a few times a minute and nothing may grow.
if [ "${WS_SKIP_INTEGRATION:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
	rekey_soak() {
		if [ -f build-rekey/build.ninja ]; then
			meson setup --reconfigure build-rekey -Drekey_after=10 >/dev/null
		else
			meson setup build-rekey -Drekey_after=10 >/dev/null
		fi &&
		ninja -C build-rekey app/wirespeed/wirespeed >/dev/null &&
		WS_BIN=$top/build-rekey/app/wirespeed/wirespeed WS_SOAK_NATURAL_REKEY=10 \
			WS_SOAK_SECONDS=40 bash tests/integration/test_soak.sh
	}
	run_step "soak, sessions rekeying every 10 s (test build)" rekey_soak
fi
if [ "${WS_SKIP_FUZZ:-0}" != 1 ]; then
	run_step "fuzz: every harness 20 s (libFuzzer, ASan + UBSan)" \
		env FUZZ_JOBS=2 bash scripts/fuzz.sh 20
fi
if [ "${WS_SKIP_PERF:-0}" != 1 ]; then
	run_step "perf suite (short: runs and writes its JSON)" \
		bash perf/run.sh --short --build build
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
