#!/usr/bin/env bash
# scripts/fuzz.sh - build the libFuzzer targets (clang, ASan + UBSan) and run
# each for FUZZ_SECONDS (default 300). Corpora persist in build-fuzz/corpus-*,
# crashes land in build-fuzz/ as <target>-crash-*. Exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-300}
out=build-fuzz
if [ ! -f "$out/build.ninja" ]; then
	CC=clang CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		meson setup "$out" --buildtype=debugoptimized -Dfuzz=true -Dtests=disabled -Db_lundef=false
fi
# every fuzz target meson defines, not a fixed list
targets=$(scripts/fuzz-targets.sh "$out")
# shellcheck disable=SC2046
ninja -C "$out" $(echo "$targets" | cut -d' ' -f2)
rc=0
while read -r n path; do
	f=$out/$path
	mkdir -p "$out/corpus-$n"
	seeds=tests/fuzz/seeds/$n
	[ -d "$seeds" ] || seeds=
	echo "fuzz: $n for $secs s"
	# shellcheck disable=SC2086
	if ! "$f" -max_total_time="$secs" -timeout=10 -error_exitcode=1 -print_final_stats=1 \
		-artifact_prefix="$out/$n-" "$out/corpus-$n" $seeds </dev/null; then
		echo "fuzz: $n FOUND A CRASH (see $out/$n-*)"
		rc=1
	fi
done <<<"$targets"
exit "$rc"
