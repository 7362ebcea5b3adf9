#!/usr/bin/env bash
# scripts/build-kernel.sh KDIR [clean] - build (or clean) every host kernel
# module of the tree with Kbuild against KDIR. Module dirs are listed here.
# After the modules, the host driver's built-in (=y) link test
# (tests/kernel_compile/builtin/link-test.sh): both modules' objects must
# link into one kernel without a symbol defined twice.
#
# scripts/build-kernel.sh --card [clean] - the card's endpoint function
# (ep_function/kernel, pci-epf-vmsg.ko) against the card kernel: $CARD_KDIR,
# else the newest build dir of the rig's card kernel cache
# (~/.cache/vmsg-pcie/card-kernel/*/: Module.symvers and CONFIG_PCI_ENDPOINT=y).
# Without one it compile-checks against Debian's headers (scripts/kdir.sh)
# with modpost's missing-export errors as warnings (Debian's kernel has no
# CONFIG_PCI_ENDPOINT), and says that the .ko is not loadable.
set -euo pipefail
cd "$(dirname "$0")/.."

card_kdir() {
	local d best=
	if [ -n "${CARD_KDIR:-}" ]; then
		echo "$CARD_KDIR"
		return
	fi
	for d in "${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}"/card-kernel/*/src/build \
		"${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}"/card-kernel/*/build; do
		[ -f "$d/Module.symvers" ] && grep -qx 'CONFIG_PCI_ENDPOINT=y' "$d/.config" 2>/dev/null || continue
		if [ -z "$best" ] || [ "$d/Module.symvers" -nt "$best/Module.symvers" ]; then best=$d; fi
	done
	echo "$best"
}

if [ "${1:-}" = --card ]; then
	action=${2:-modules}
	kdir=$(card_kdir)
	if [ -n "$kdir" ]; then
		echo "build-kernel: $action ep_function/kernel against the card kernel $kdir"
		make -s -C "$kdir" M="$PWD/ep_function/kernel" "$action"
	else
		kdir=$(scripts/kdir.sh)
		if [ ! -d "$kdir" ]; then
			echo "build-kernel: no card kernel and no headers at $kdir (make deps)" >&2
			exit 1
		fi
		echo "build-kernel: no card kernel built (scripts/build-card-kernel.sh): compile check of ep_function/kernel against $(basename "$kdir"); the .ko is NOT loadable there"
		if ! out=$(make -s -C "$kdir" M="$PWD/ep_function/kernel" KBUILD_MODPOST_WARN=1 "$action" 2>&1); then
			echo "$out" >&2
			exit 1
		fi
		[ -z "$out" ] || echo "$out" | grep -v -e '^WARNING: modpost: ' -e '^Skipping BTF' || true
	fi
	exit 0
fi

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
