#!/usr/bin/env bash
# card-rtt: smoke test of tests/rig/card-rtt.sh --quick (the control round
# trip host VM -> card -> host VM on the endpoint function beside the soft
# card): both parts run, every PING is answered, the table, the RESULT lines
# and the ratio are printed. Checks the output, never the speed. About 2 min.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
name=card-rtt
out=$(mktemp "${TMPDIR:-/tmp}/vmsg-card-rtt.XXXXXX")
trap 'rm -f "$out"' EXIT
t0=$(date +%s)
"$top/tests/rig/card-rtt.sh" --quick >"$out" 2>&1
rc=$?
sed "s/^/$name: /" "$out"
[ "$rc" = 77 ] && exit 77
fails=0
chk() {
	local what=$1
	shift
	if "$@"; then
		echo "$name: ok - $what"
	else
		echo "$name: FAIL - $what"
		fails=$((fails + 1))
	fi
}
num='[0-9]+(\.[0-9]+)?'
chk "card-rtt.sh --quick exits 0" test "$rc" = 0
chk "a soft-card result (median min max batches pings)" \
	grep -q -E "^RESULT sim eventfd $num $num $num 2 [0-9]+$" "$out"
chk "an endpoint-function result at poll_interval_us 500, poll_busy_us 50" \
	grep -q -E "^RESULT epf 500:50 $num $num $num 2 [0-9]+$" "$out"
chk "the ratio printed" grep -q -E "^RESULT ratio epf:500:50/sim $num$" "$out"
chk "the table's header" grep -q '^card .*median us' "$out"
if [ "$fails" = 0 ]; then
	echo "$name: PASS in $(($(date +%s) - t0)) s"
	exit 0
fi
echo "$name: FAILED ($fails check(s)) in $(($(date +%s) - t0)) s"
exit 1
