#!/usr/bin/env bash
# check_no_test_code.sh NM VMSG_CARD VMSG_CARD_TEST LIBVMSG_CORE LIBVMSG_CORE_TEST LIBFW_SHARED
#
# What ships holds no test code, and the OS-free engine uses no C library:
#  1. the shipped vmsg-card and libvmsg_core.a define no symbol of the test
#     code (hostile*, vmsg_card_test_*, *inject*, mode attacks);
#  2. the test variants do (else check 1 would prove nothing);
#  3. every symbol libvmsg_core.a needs from outside is defined by itself or
#     by libfw_shared.a, except memcpy/memset/memmove (what a freestanding C
#     compiler may emit for struct copies).
# Exit 0 when all hold; every failure is printed.
set -uo pipefail
nm=$1 card=$2 card_test=$3 core=$4 core_test=$5 fw=$6
fail=0
test_re='hostile|vmsg_card_test_|inject|card_ext_test|do_badindex|do_garbage'

defined() { "$nm" --defined-only "$1" 2>/dev/null | awk 'NF >= 3 {print $3}' | sort -u; }

for f in "$card" "$core"; do
	bad=$(defined "$f" | grep -E "$test_re")
	if [ -n "$bad" ]; then
		echo "FAIL: $(basename "$f") ships test code:" $bad
		fail=1
	else
		echo "ok: $(basename "$f") defines no test symbol"
	fi
done
for f in "$card_test" "$core_test"; do
	if defined "$f" | grep -E "$test_re" >/dev/null; then
		echo "ok: $(basename "$f") (test variant) has the test code"
	else
		echo "FAIL: $(basename "$f") has no test symbol: the pattern no longer matches"
		fail=1
	fi
done
for s in hostile_start hostile_tick vmsg_card_test_c2h_inject; do
	if ! { defined "$card_test"; defined "$core_test"; } | grep -x "$s" >/dev/null; then
		echo "FAIL: $s not found in the test variants"
		fail=1
	fi
done

undef=$("$nm" --undefined-only "$core" 2>/dev/null | awk '$1 == "U" {print $2}' | sort -u)
have=$({ defined "$core"; defined "$fw"; } | sort -u)
missing=$(comm -23 <(echo "$undef") <(echo "$have") | grep -vxE 'memcpy|memset|memmove|__(a|ub)san_[A-Za-z0-9_]+|__sanitizer_[A-Za-z0-9_]+|__asan_[A-Za-z0-9_]+|_GLOBAL_OFFSET_TABLE_|__stack_chk_fail')
if [ -n "$missing" ]; then
	echo "FAIL: libvmsg_core.a needs symbols from outside the engine and fw_shared:" $missing
	fail=1
else
	echo "ok: libvmsg_core.a needs nothing but fw_shared (and memcpy/memset)"
fi
exit $fail
