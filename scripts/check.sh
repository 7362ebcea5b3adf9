#!/usr/bin/env bash
# scripts/check.sh - the whole test suite (what `make check` runs).
#
# Gates (must pass, reported on their own line, not counted as tests):
#   builds (gcc -Werror; clang ASan+UBSan; the fuzzers), the kernel modules
#   against Debian's 6.1 headers, style (clang-format, checkpatch; no shell
#   function called inside `sh -c` in an in-VM script).
# Tests (counted: passed, failed, skipped):
#   1. every meson test of the gcc build (unit, integration)
#   1b. the card side's meson tests (fw_shared, card engine, device backends,
#      the vmsg-card architecture) cross-built for aarch64, run under qemu-user
#   2. every meson test again in the ASan + UBSan build
#   3. every libFuzzer target meson defines (scripts/fuzz-targets.sh), each
#      run for CHECK_FUZZ_SECONDS (default 20)
#   4. the QEMU rig tests (tests/rig/*.test.sh)
#
# A skip is never a pass: meson's SKIP and exit status 77 of a rig test are
# counted as skipped. Under CI=true a skip fails the run unless the test is
# listed in tests/skip-allowlist.txt with the reason it cannot run there.
# `meson test`'s exit status and its testlog.json must agree (same tests as
# `meson test --list`, a failure in one is a failure in the other); any
# mismatch or unreadable log is a failure. Every gate and test has a time
# budget; one that exceeds it is stopped and fails, saying so.
#
# Environment:
#   CI=true               skips fail the run unless allowlisted
#   CHECK_RIG=REGEX       run only the rig tests whose name (e.g. pci-net,
#                         rig-selftest) matches REGEX; the others are counted
#                         as skipped ("not selected"). CHECK_RIG='^$': none.
#   CHECK_FUZZ_SECONDS    seconds per fuzz target (default 20)
#   CHECK_BUILD_BUDGET    seconds per build or style gate (default 1800)
#   CHECK_CARD_KERNEL_BUDGET seconds for the card VM kernel build (default 2400)
#   CHECK_MESON_BUDGET    seconds for one whole `meson test` run (default 1800;
#                         each meson test also has its own timeout)
#   CHECK_RIG_BUDGET      seconds per rig test (default 900)
#
# Logs go to build-check/logs/. Ends with the lines
#   gates: N passed, N failed
#   check: N passed, N failed, N skipped
# and exits non-zero if a gate or a test failed (or, under CI=true, a test
# not on the allowlist was skipped).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$PWD
out=$top/build-check
logs=$out/logs
allowlist=$top/tests/skip-allowlist.txt
rm -rf "$logs"
mkdir -p "$logs"
: "${CHECK_FUZZ_SECONDS:=20}"
: "${CHECK_BUILD_BUDGET:=1800}"
: "${CHECK_MESON_BUDGET:=1800}"
: "${CHECK_RIG_BUDGET:=900}"
: "${CHECK_RIG:=}"
ci=0
[ "${CI:-}" = true ] && ci=1

passed=0 failed=0 skipped=0 gates_ok=0 gates_bad=0
failures=() skips=() bad_skips=() gate_failures=()

note() { printf '\n=== %s\n' "$*"; }

pass() {
	passed=$((passed + 1))
	printf 'PASS %s\n' "$1"
}
# fail NAME WHY [LOG]
fail() {
	failed=$((failed + 1))
	failures+=("$1: $2")
	printf 'FAIL %s: %s%s\n' "$1" "$2" "${3:+ (log: $3)}"
}

# The allowlist: "NAME  # why" per line (NAME may be a shell pattern, e.g.
# */devices_net_tap); blank lines and comment lines are ignored.
allow_pats=()
allow_bad=()
if [ -f "$allowlist" ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		pat=${line%%#*}
		pat=${pat%"${pat##*[![:space:]]}"}
		why=${line#"$pat"}
		why=${why#*#}
		if [ -z "$pat" ] || [ "$why" = "$line" ] || [ -z "${why// /}" ]; then
			allow_bad+=("$line")
		else
			allow_pats+=("$pat")
		fi
	done <"$allowlist"
fi
allowed() {
	local p
	for p in ${allow_pats[@]+"${allow_pats[@]}"}; do
		# shellcheck disable=SC2053
		[[ $1 == $p ]] && return 0
	done
	return 1
}

# skip NAME WHY
skip() {
	skipped=$((skipped + 1))
	if allowed "$1"; then
		skips+=("$1: $2 (allowlisted)")
		printf 'SKIP %s: %s (allowlisted)\n' "$1" "$2"
	else
		skips+=("$1: $2")
		[ "$ci" = 1 ] && bad_skips+=("$1")
		printf 'SKIP %s: %s%s\n' "$1" "$2" \
			"$([ "$ci" = 1 ] && echo ' - not on tests/skip-allowlist.txt: fails the run under CI=true')"
	fi
}

# The command being waited for (stopped with its process group on Ctrl-C).
cur_pid=
# The background build of the card VM kernels (its own process group).
prebuild_pid=
stop_prebuild() {
	[ -n "$prebuild_pid" ] && kill -TERM -- "-$prebuild_pid" 2>/dev/null
	prebuild_pid=
}
# shellcheck disable=SC2317 # a trap handler
on_signal() {
	trap - INT TERM
	if [ -n "$cur_pid" ]; then
		kill -TERM "$cur_pid" 2>/dev/null
		wait "$cur_pid" 2>/dev/null
	fi
	stop_prebuild
	printf '\ncheck: interrupted\n'
	exit 130
}
trap on_signal INT TERM

# run_budget BUDGET LOG CMD...: run CMD (stdin /dev/null, output to LOG)
# under `timeout`, which stops its whole process group at the budget.
# Sets RC, SECS, and OVER=1 if the budget was exceeded.
run_budget() {
	local budget=$1 log=$2 t0=$SECONDS
	shift 2
	timeout -k 20 "$budget" "$@" </dev/null >"$log" 2>&1 &
	cur_pid=$!
	wait "$cur_pid"
	RC=$?
	cur_pid=
	SECS=$((SECONDS - t0))
	OVER=0
	if { [ "$RC" = 124 ] || [ "$RC" = 137 ]; } && [ "$SECS" -ge "$budget" ]; then
		OVER=1
	fi
}

show_tail() { tail -n "${2:-30}" "$1" | sed 's/^/    /'; }

# gate NAME BUDGET CMD...: a build or style step; must pass, not a test.
gate() {
	local name=$1 budget=$2 log=$logs/$1.log
	shift 2
	run_budget "$budget" "$log" "$@"
	if [ "$RC" = 0 ]; then
		gates_ok=$((gates_ok + 1))
		printf 'GATE ok %s (%s s)\n' "$name" "$SECS"
		return 0
	fi
	gates_bad=$((gates_bad + 1))
	if [ "$OVER" = 1 ]; then
		gate_failures+=("$name: exceeded its time budget of $budget s, stopped")
		printf 'GATE FAILED %s: exceeded its time budget of %s s, stopped (log: %s)\n' "$name" "$budget" "$log"
	else
		gate_failures+=("$name: exit status $RC")
		printf 'GATE FAILED %s: exit status %s (log: %s)\n' "$name" "$RC" "$log"
	fi
	show_tail "$log"
	return 1
}

# gate_fail NAME WHY: a gate that failed without running a command.
gate_fail() {
	gates_bad=$((gates_bad + 1))
	gate_failures+=("$1: $2")
	printf 'GATE FAILED %s: %s\n' "$1" "$2"
}

# test_step NAME BUDGET CMD...: one counted test; exit 0 passes, 77 skips
# (the reason is the last line of its output that mentions SKIP).
test_step() {
	local name=$1 budget=$2 log=$logs/${1//\//-}.log why
	shift 2
	run_budget "$budget" "$log" "$@"
	if [ "$OVER" = 1 ]; then
		fail "$name" "exceeded its time budget of $budget s, stopped" "$log"
		show_tail "$log"
	elif [ "$RC" = 0 ]; then
		pass "$name ($SECS s)"
	elif [ "$RC" = 77 ]; then
		why=$(grep -a -i 'skip' "$log" | tail -n 1 | sed 's/^.*SKIP: //' | cut -c1-160)
		skip "$name" "${why:-exit status 77, no reason printed}"
	else
		why=$(grep -a 'FAIL' "$log" | tail -n 1 | cut -c1-160)
		fail "$name" "exit status $RC${why:+: $why}" "$log"
		show_tail "$log"
	fi
}

# meson_suite BUILDDIR LABEL: run every meson test there, count each one.
meson_suite() {
	local bdir=$1 label=$2 log=$logs/$2-test.log list=$logs/$2-list.txt
	local json=$bdir/meson-logs/testlog.json parsed=$logs/$2-results.tsv
	local mrc res name dur why nfail=0
	rm -f "$json"
	if ! meson test -C "$bdir" --no-rebuild --list >"$list" 2>&1; then
		fail "$label" "meson test --list failed" "$list"
		return
	fi
	run_budget "$CHECK_MESON_BUDGET" "$log" meson test -C "$bdir" --no-rebuild \
		--print-errorlogs --num-processes 2
	mrc=$RC
	if [ "$OVER" = 1 ]; then
		fail "$label" "meson test exceeded its time budget of $CHECK_MESON_BUDGET s, stopped" "$log"
	fi
	# Each line: RESULT<TAB>NAME<TAB>SECONDS<TAB>SKIP REASON or, for a
	# failure, the file with the test's output; or BAD<TAB>what is
	# inconsistent. Non-zero exit: unreadable log.
	if ! python3 - "$json" "$list" "$logs/$label" >"$parsed" 2>"$parsed.err" <<'EOF'; then
import json, sys

def short(n):
    # "project:suite / name" -> "suite/name"
    suite, _, test = n.partition(" / ")
    return suite.split(":", 1)[-1] + "/" + test if test else n

listed = [l.strip() for l in open(sys.argv[2]) if " / " in l]
seen = {}
for i, line in enumerate(open(sys.argv[1]), 1):
    if not line.strip():
        continue
    try:
        t = json.loads(line)
        name, res, dur = t["name"], t["result"], float(t["duration"])
    except (ValueError, KeyError, TypeError) as e:
        sys.exit("testlog.json line %d: %s" % (i, e))
    seen[name] = seen.get(name, 0) + 1
    why = ""
    if res not in ("OK", "EXPECTEDFAIL", "SKIP"):
        # the failed test's own output, in LABEL-SUITE-NAME.log
        why = sys.argv[3] + "-" + short(name).replace("/", "-") + ".log"
        with open(why, "w") as f:
            f.write((t.get("stdout") or "") + (t.get("stderr") or ""))
    if res == "SKIP":
        out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
        lines = [l.strip() for l in out.splitlines() if "skip" in l.lower()]
        why = lines[-1].split("SKIP: ")[-1][:160] if lines else "no reason printed"
    print("%s\t%s\t%.1f\t%s" % (res, short(name), dur, why.replace("\t", " ")))
for n in listed:
    if n not in seen:
        print("BAD\t%s is listed by meson test --list but has no result" % short(n))
for n, c in seen.items():
    if n not in listed:
        print("BAD\t%s has a result but is not listed by meson test --list" % short(n))
    if c > 1:
        print("BAD\t%s has %d results" % (short(n), c))
if not listed:
    print("BAD\tmeson test --list lists no test")
EOF
		fail "$label" "testlog.json unreadable: $(tail -n 1 "$parsed.err")" "$json"
		return
	fi
	while IFS=$'\t' read -r res name dur why; do
		case $res in
		OK | EXPECTEDFAIL) pass "$label/$name (${dur} s)" ;;
		SKIP) skip "$label/$name" "$why" ;;
		BAD) fail "$label" "$name" "$log" ;;
		TIMEOUT)
			nfail=$((nfail + 1))
			fail "$label/$name" "exceeded its meson timeout (tests/meson.build) after ${dur} s" "$why"
			show_tail "$why" 20
			;;
		*)
			nfail=$((nfail + 1))
			fail "$label/$name" "$res" "$why"
			show_tail "$why" 20
			;;
		esac
	done <"$parsed"
	if [ "$mrc" != 0 ] && [ "$nfail" = 0 ] && [ "$OVER" = 0 ]; then
		fail "$label" "meson test exited $mrc but testlog.json records no failure" "$log"
		show_tail "$log"
	elif [ "$mrc" = 0 ] && [ "$nfail" != 0 ]; then
		fail "$label" "meson test exited 0 but testlog.json records $nfail failure(s)" "$log"
	fi
}

# The card VM kernels (step 4b) are built, when not cached, in the background
# from the start at the lowest priority, so they use what the builds and
# tests of steps 1-4 leave idle (one core during the fuzzers, the waits of
# the meson tests) without slowing those down; the 4b gates then find them
# built, or wait for them (build-card-kernel.sh serialises a build per arch
# with flock) and report their outcome. Cached: a few seconds.
setsid nice -n 19 bash -c 'scripts/build-card-kernel.sh; scripts/build-card-kernel.sh --arch arm64' \
	</dev/null >"$logs/card-kernel-prebuild.log" 2>&1 &
prebuild_pid=$!
echo "card VM kernels: built (or looked up) in the background from now on (log: $logs/card-kernel-prebuild.log)"

note "1. user space, gcc, -Werror"
rm -rf "$out/gcc"
gate build-gcc "$CHECK_BUILD_BUDGET" bash -c "meson setup '$out/gcc' --buildtype=debugoptimized -Dtests=enabled \
	&& ninja -C '$out/gcc'" && meson_suite "$out/gcc" gcc

note "1b. card side cross-built for aarch64, tests under qemu-user"
rm -rf "$out/aarch64"
gate build-aarch64 "$CHECK_BUILD_BUDGET" bash -c "meson setup '$out/aarch64' --cross-file scripts/cross-aarch64.ini \
	-Dcard_only=true --buildtype=debugoptimized && ninja -C '$out/aarch64'" && meson_suite "$out/aarch64" aarch64

note "2. user space, clang, ASan + UBSan"
rm -rf "$out/asan"
if gate build-asan "$CHECK_BUILD_BUDGET" bash -c "CC=clang meson setup '$out/asan' --buildtype=debug -Dtests=enabled \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args='-fno-sanitize-recover=all -fno-omit-frame-pointer' && ninja -C '$out/asan'"; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	meson_suite "$out/asan" asan
fi

note "3. fuzzers, ${CHECK_FUZZ_SECONDS} s each"
rm -rf "$out/fuzz"
if gate fuzz-setup "$CHECK_BUILD_BUDGET" bash -c "CC=clang \
	CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
	meson setup '$out/fuzz' --buildtype=debugoptimized -Dfuzz=true -Dtests=disabled -Db_lundef=false"; then
	if scripts/fuzz-targets.sh "$out/fuzz" >"$logs/fuzz-targets.txt" 2>&1; then
		mapfile -t fuzz < "$logs/fuzz-targets.txt"
		printf 'fuzz targets: %s\n' "$(cut -d' ' -f1 "$logs/fuzz-targets.txt" | tr '\n' ' ')"
		# shellcheck disable=SC2046 # one word per target
		if gate build-fuzz "$CHECK_BUILD_BUDGET" ninja -C "$out/fuzz" $(cut -d' ' -f2 "$logs/fuzz-targets.txt"); then
			for t in "${fuzz[@]}"; do
				n=${t%% *}
				f=$out/fuzz/${t#* }
				corpus=$out/fuzz/corpus-$n
				mkdir -p "$corpus"
				seeds=$top/tests/fuzz/seeds/$n
				[ -d "$seeds" ] || seeds=
				# libFuzzer reports a finding with exit status 77 by default,
				# which test_step would count as a skip: make it 1.
				# shellcheck disable=SC2086
				test_step "fuzz/$n" $((CHECK_FUZZ_SECONDS + 120)) "$f" -max_total_time="$CHECK_FUZZ_SECONDS" \
					-timeout=10 -error_exitcode=1 -artifact_prefix="$out/fuzz/$n-" "$corpus" $seeds
			done
		fi
	else
		gate_fail fuzz-targets "$(tail -n 1 "$logs/fuzz-targets.txt")"
	fi
fi

note "4. kernel modules against $(scripts/kver.sh)"
gate kernel-build "$CHECK_BUILD_BUDGET" scripts/build-kernel.sh "$(scripts/kdir.sh)"

note "4b. card VM kernel (Debian linux-source-6.1 + tests/rig/card-kernel, cached) and pci-epf-vmsg.ko"
# Cold: about 10 min per arch on 2 idle cores, started in the background at the
# top (see there); cached: seconds. The card-* rig tests need both.
if gate card-kernel "${CHECK_CARD_KERNEL_BUDGET:-2400}" scripts/build-card-kernel.sh; then
	gate card-module "$CHECK_BUILD_BUDGET" bash -c 'CARD_KDIR=$(scripts/build-card-kernel.sh --print-kdir) \
		scripts/build-kernel.sh --card'
fi
# The Arm card (card-arm64-* rig tests): the arm64 card kernel, cross-built
# (tinyconfig + the same fragment; cold about as long as the x86_64 one), and
# pci-epf-vmsg.ko for it, built in a copy (the in-tree objects are x86_64's).
if gate card-kernel-arm64 "${CHECK_CARD_KERNEL_BUDGET:-2400}" scripts/build-card-kernel.sh --arch arm64; then
	gate card-module-arm64 "$CHECK_BUILD_BUDGET" bash -c 'set -e
		k=$(scripts/build-card-kernel.sh --arch arm64 --print-kdir)
		a=$(scripts/build-card-kernel.sh --arch arm64 --print-make-args)
		d=$PWD/build-check/epf-arm64
		rm -rf "$d" && mkdir -p "$d" && cp ep_function/kernel/*.[ch] ep_function/kernel/Kbuild "$d/"
		echo "ccflags-y += -I$PWD/fw_shared/include" >>"$d/Kbuild"
		make -s -C "$k" $a M="$d" modules
		file "$d/pci-epf-vmsg.ko" | tee /dev/stderr | grep -q "ARM aarch64"'
fi

note "5. style"
gate lint "$CHECK_BUILD_BUDGET" scripts/lint.sh
# no shell function of an in-VM script called inside `sh -c` (not defined there)
gate vm-scripts 60 tests/rig/check-vm-scripts.py

note "6. QEMU rig tests${CHECK_RIG:+ matching CHECK_RIG=$CHECK_RIG}"
shopt -s nullglob
for t in tests/rig/*.test.sh; do
	n=$(basename "$t" .test.sh)
	if [ -n "$CHECK_RIG" ] && ! [[ $n =~ $CHECK_RIG ]]; then
		skip "rig/$n" "not selected (CHECK_RIG='$CHECK_RIG')"
		continue
	fi
	test_step "rig/$n" "$CHECK_RIG_BUDGET" "$t"
done

if [ ${#allow_bad[@]} -gt 0 ]; then
	for l in "${allow_bad[@]}"; do gate_fail skip-allowlist "entry without a reason ('NAME  # why'): $l"; done
fi

echo
if [ ${#gate_failures[@]} -gt 0 ]; then
	echo "Gates failed:"
	printf '  %s\n' "${gate_failures[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
if [ ${#skips[@]} -gt 0 ]; then
	echo "Skipped (did not run; not a pass):"
	printf '  %s\n' "${skips[@]}"
fi
if [ ${#bad_skips[@]} -gt 0 ]; then
	echo "Under CI=true these skips fail the run (not on tests/skip-allowlist.txt):"
	printf '  %s\n' "${bad_skips[@]}"
fi
stop_prebuild
rc=0
[ "$gates_bad" -eq 0 ] && [ "$failed" -eq 0 ] && [ ${#bad_skips[@]} -eq 0 ] || rc=1
red='' yellow='' green='' off=''
if [ -t 1 ]; then
	red=$'\e[1;31m' yellow=$'\e[1;33m' green=$'\e[1;32m' off=$'\e[0m'
fi
if [ "$failed" -gt 0 ] || [ ${#bad_skips[@]} -gt 0 ]; then
	col=$red
elif [ "$skipped" -gt 0 ]; then
	col=$yellow
else
	col=$green
fi
gcol=$green
[ "$gates_bad" -eq 0 ] || gcol=$red
echo "${gcol}gates: $gates_ok passed, $gates_bad failed${off}"
echo "${col}check: $passed passed, $failed failed, $skipped skipped${off}"
exit "$rc"
