#!/usr/bin/env bash
# scripts/lint.sh [--fix] - style gates.
#   user-space C (fw_shared, ep_function, userspace_pmd, bench, tests):
#       clang-format per .clang-format (--fix rewrites the files)
#   kernel C (host_driver/, ep_function/kernel/, tests/kernel_compile/,
#   tests/rig/selftest-mod/, tests/rig/epf-module/kernel/, tests/rig/card-kernel/):
#       the kernel's checkpatch.pl --no-tree -f, from Debian's linux-source
set -euo pipefail
cd "$(dirname "$0")/.."
fix=${1:-}
rc=0

kernel_re='^(host_driver|ep_function/kernel|tests/kernel_compile|tests/rig/selftest-mod|tests/rig/epf-module/kernel|tests/rig/card-kernel)/'
mapfile -t user_files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -Ev "$kernel_re" | grep -v '^fw_shared/' || true)
mapfile -t shared_files < <(git ls-files -co --exclude-standard -- 'fw_shared/*.c' 'fw_shared/*.h' || true)
mapfile -t kernel_files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -E "$kernel_re" || true)

# fw_shared is compiled by the kernel too: it must pass both gates.
fmt_files=("${user_files[@]}" "${shared_files[@]}")
if [ "${#fmt_files[@]}" -gt 0 ]; then
	if [ "$fix" = --fix ]; then
		clang-format -i "${fmt_files[@]}"
	elif ! clang-format --dry-run -Werror "${fmt_files[@]}"; then
		echo "lint: clang-format differences above (fix: make format)"
		rc=1
	fi
fi

cp=$(scripts/checkpatch.sh --path)
# fw_shared is portable C over shared memory: it spells the kernel's
# attributes itself and its ring accessors are volatile by design.
ignore=SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE
shared_ignore=$ignore,NEW_TYPEDEFS,PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE,COMPLEX_MACRO,MACRO_ARG_REUSE,VOLATILE
for f in "${kernel_files[@]}" "${shared_files[@]}"; do
	ign=$ignore
	case $f in fw_shared/*) ign=$shared_ignore ;; esac
	if ! out=$("$cp" --no-tree --quiet --show-types --ignore "$ign" -f "$f" 2>&1); then
		echo "$out"
		rc=1
	fi
done
[ "$rc" -eq 0 ] && echo "lint: ${#fmt_files[@]} files clang-format clean, $((${#kernel_files[@]} + ${#shared_files[@]})) files checkpatch clean"
exit "$rc"
