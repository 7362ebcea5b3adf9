#!/usr/bin/env bash
# scripts/build-kernel.sh KDIR [clean] - build (or clean) every kernel module
# of the tree with Kbuild against KDIR. Module dirs are listed here. After
# the modules, the host driver's built-in (=y) link test
# (tests/kernel_compile/builtin/link-test.sh): both modules' objects must
# link into one kernel without a symbol defined twice.
set -euo pipefail
cd "$(dirname "$0")/.."
kdir=$1
action=${2:-modules}
if [ ! -d "$kdir" ]; then
	echo "build-kernel: no kernel headers at $kdir (install linux-headers-amd64: make deps)" >&2
	exit 1
fi
dirs=(tests/kernel_compile)
[ -f host_driver/Kbuild ] && dirs+=(host_driver)
for d in "${dirs[@]}"; do
	echo "build-kernel: $action $d against $(basename "$kdir")"
	make -s -C "$kdir" M="$PWD/$d" "$action"
done
if [ -f host_driver/Kbuild ]; then
	case $action in
	modules) tests/kernel_compile/builtin/link-test.sh "$kdir" ;;
	clean) tests/kernel_compile/builtin/link-test.sh "$kdir" clean ;;
	esac
fi
