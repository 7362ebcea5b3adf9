#!/usr/bin/env bash
# scripts/check.sh - the whole test suite (what `make check` runs).
#
# Steps, each counted as tests in the closing tally:
#   1. user space built with gcc -Werror, every meson test (unit, integration)
#   2. the same built with ASan + UBSan (clang), every meson test again
#   3. libFuzzer targets, each run for CHECK_FUZZ_SECONDS (default 20)
#   4. kernel modules built with Kbuild against Debian's 6.1 headers
#   5. style: clang-format (user space), checkpatch (kernel code)
#   6. QEMU rig tests (tests/rig/*.test.sh), when present
# Logs go to build-check/logs/. Ends with the line `N passed, N failed` and
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build-check
logs=$out/logs
mkdir -p "$logs"
: "${CHECK_FUZZ_SECONDS:=20}"
passed=0
failed=0
failures=()

note() { printf '\n=== %s\n' "$*"; }
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	failures+=("$1")
	printf 'FAIL %s (log: %s)\n' "$1" "${2:-}"
}

# step NAME CMD...: run CMD, log it, count it as one test.
step() {
	local name=$1
	shift
	local log=$logs/$name.log
	local t0=$SECONDS
	if "$@" >"$log" 2>&1; then
		pass "$name ($((SECONDS - t0)) s)"
	else
		fail "$name" "$log"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

# meson_suite BUILDDIR LABEL: run every meson test there, count each one.
meson_suite() {
	local bdir=$1 label=$2
	meson test -C "$bdir" --print-errorlogs --num-processes 2 >"$logs/$label-test.log" 2>&1
	local json=$bdir/meson-logs/testlog.json
	if [ ! -s "$json" ]; then
		fail "$label: meson test produced no results" "$logs/$label-test.log"
		return
	fi
	while IFS=$'\t' read -r res name dur; do
		if [ "$res" = OK ] || [ "$res" = EXPECTEDFAIL ]; then
			pass "$label/$name (${dur} s)"
		elif [ "$res" = SKIP ]; then
			printf 'SKIP %s\n' "$label/$name"
		else
			fail "$label/$name: $res" "$logs/$label-test.log"
		fi
	done < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print("%s\t%s\t%.1f" % (t["result"], t["name"], t["duration"]))' "$json")
}

note "1. user space, gcc, -Werror"
rm -rf "$out/gcc"
if step build-gcc bash -c "meson setup '$out/gcc' --buildtype=debugoptimized && ninja -C '$out/gcc'"; then :; fi
[ -f "$out/gcc/build.ninja" ] && meson_suite "$out/gcc" gcc

note "2. user space, clang, ASan + UBSan"
rm -rf "$out/asan"
step build-asan bash -c "CC=clang meson setup '$out/asan' --buildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args='-fno-sanitize-recover=all -fno-omit-frame-pointer' && ninja -C '$out/asan'"
if [ -f "$out/asan/build.ninja" ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	meson_suite "$out/asan" asan
fi

note "3. fuzzers, ${CHECK_FUZZ_SECONDS} s each"
rm -rf "$out/fuzz"
if step build-fuzz bash -c "CC=clang CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
	meson setup '$out/fuzz' --buildtype=debugoptimized -Dfuzz=true -Dtests=disabled -Db_lundef=false && ninja -C '$out/fuzz' tests/fuzz_validate tests/fuzz_virtq"; then
	for f in "$out"/fuzz/tests/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		n=$(basename "$f")
		corpus=$out/fuzz/corpus-$n
		mkdir -p "$corpus"
		seeds=$top/tests/fuzz/seeds/$n
		[ -d "$seeds" ] || seeds=
		step "$n" "$f" -max_total_time="$CHECK_FUZZ_SECONDS" -timeout=10 \
			-artifact_prefix="$out/fuzz/$n-" "$corpus" $seeds
	done
fi

note "4. kernel modules against $(scripts/kver.sh)"
step kernel-build scripts/build-kernel.sh "$(scripts/kdir.sh)"

note "5. style"
step lint scripts/lint.sh

note "6. QEMU rig tests"
shopt -s nullglob
for t in tests/rig/*.test.sh; do
	step "rig-$(basename "$t" .test.sh)" "$t"
done

echo
if [ "$failed" -ne 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
