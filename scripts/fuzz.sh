#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan + UBSan) in
# build-fuzz and runs each for SECONDS (default 20). Fails on any crash,
# leak, timeout or sanitizer report; the input that caused it is kept
# under tests/fuzz/regressions/<harness>/ and replayed on every later run.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]   e.g. scripts/fuzz.sh 20
#   FUZZ_JOBS=2 scripts/fuzz.sh 600          two harnesses at a time
#   scripts/fuzz.sh --seeds                  rewrite tests/fuzz/corpus with gen_seeds
#   FUZZ_ARGS="-seed=1 -only_ascii=1" scripts/fuzz.sh 60 config   extra libFuzzer flags
#
# Corpora: tests/fuzz/corpus/<harness> (committed seeds, read only),
# build-fuzz/fuzz-corpus/<harness> (what the fuzzer finds, kept between
# local runs), tests/fuzz/regressions/<harness> (kept failures). Logs and
# a summary line per harness (executions, coverage) go to
# build-fuzz/fuzz-logs/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${FUZZ_BUILD:-$top/build-fuzz}
jobs=${FUZZ_JOBS:-1}

seeds_only=0
secs=20
if [ "${1:-}" = "--seeds" ]; then
	seeds_only=1
	shift
elif [ $# -gt 0 ]; then
	secs=$1
	shift
fi
case $secs in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number" >&2; exit 2;; esac

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		h=${f#tests/fuzz/fuzz_}
		harnesses+=("${h%.c}")
	done
fi

declare -A max_len=([classify]=4096 [config]=8192 [initiation]=2048 [response]=2048
		    [cookie]=1024 [transport]=8192 [jsonrpc]=8192 [uapi]=8192)

echo "== configure and build $build (clang, -Dfuzz=true) =="
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" -Dfuzz=true >/dev/null
else
	CC=clang meson setup "$build" -Dfuzz=true >/dev/null
fi
targets=(tests/fuzz/gen_seeds)
for h in "${harnesses[@]}"; do
	targets+=("tests/fuzz/fuzz_$h")
done
ninja -C "$build" "${targets[@]}"

if [ "$seeds_only" = 1 ]; then
	"$build/tests/fuzz/gen_seeds" tests/fuzz/corpus
	exit 0
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
logs=$build/fuzz-logs
mkdir -p "$logs"

# One harness: replay the seeds and kept regressions, then fuzz for $secs.
run_one() {
	local h=$1 exe=$build/tests/fuzz/fuzz_$1 work=$build/fuzz-corpus/$1
	local seeds=tests/fuzz/corpus/$1 regress=tests/fuzz/regressions/$1
	local art=$build/fuzz-artifacts/$1 log=$logs/$1.log rc=0 dirs=() extra=()
	read -ra extra <<<"${FUZZ_ARGS:-}"
	mkdir -p "$work" "$art"
	rm -f "$art"/*
	[ -d "$seeds" ] && dirs+=("$seeds")
	[ -d "$regress" ] && dirs+=("$regress")
	(
		if [ ${#dirs[@]} -gt 0 ]; then
			echo "-- replay ${dirs[*]}"
			"$exe" -runs=0 -artifact_prefix="$art/" "${dirs[@]}" || exit 1
		fi
		echo "-- fuzz ${secs}s"
		"$exe" -max_total_time="$secs" -max_len="${max_len[$h]:-4096}" -timeout=25 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
			"${extra[@]}" "$work" "${dirs[@]}"
	) >"$log" 2>&1 || rc=$?
	if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$log"; then
		[ "$rc" -eq 0 ] && rc=1
	fi
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$regress"
		for a in "$art"/*; do
			[ -f "$a" ] || continue
			cp "$a" "$regress/$(basename "$a")"
			echo "fuzz.sh: $h: kept $regress/$(basename "$a")" >>"$log"
		done
	fi
	summarize "$h" "$rc" >"$logs/$h.summary"
	return "$rc"
}

# "<harness> <PASS|FAIL> secs=S execs=N cov=C ft=F corpus=K"
summarize() {
	local h=$1 rc=$2 log=$logs/$1.log execs cov ft corp
	execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -n 1)
	cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	ft=$(grep -oE ' ft: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	corp=$(grep -oE ' corp: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	echo "$h $([ "$rc" -eq 0 ] && echo PASS || echo FAIL) secs=$secs execs=${execs:-0}" \
	     "cov=${cov:-0} ft=${ft:-0} corpus=${corp:-0}"
}

failed=()
declare -A pids=()
reap() {
	local h
	for h in "${!pids[@]}"; do
		if ! kill -0 "${pids[$h]}" 2>/dev/null; then
			if ! wait "${pids[$h]}"; then
				failed+=("$h")
			fi
			cat "$logs/$h.summary"
			unset "pids[$h]"
		fi
	done
}

echo "== fuzzing ${#harnesses[@]} harnesses for ${secs}s each, $jobs at a time =="
for h in "${harnesses[@]}"; do
	if [ ! -x "$build/tests/fuzz/fuzz_$h" ]; then
		echo "fuzz.sh: no harness fuzz_$h in $build" >&2
		failed+=("$h")
		continue
	fi
	run_one "$h" &
	pids[$h]=$!
	while [ ${#pids[@]} -ge "$jobs" ]; do
		sleep 1
		reap
	done
done
while [ ${#pids[@]} -gt 0 ]; do
	sleep 1
	reap
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED: ${failed[*]} (logs in $logs, inputs kept under tests/fuzz/regressions/)"
	for h in "${failed[@]}"; do
		if [ -f "$logs/$h.log" ]; then
			grep -m 5 -E "ERROR|runtime error|SUMMARY|kept" "$logs/$h.log" || true
		fi
	done
	exit 1
fi
echo "fuzz.sh: all ${#harnesses[@]} harnesses ran ${secs}s each without a finding"
