#!/usr/bin/env bash
# pci-epf-vmsg.ko alone in the card VM, on the test-only controller
# tests/rig/epf-module/kernel/fake-epc.ko (no host VM): configfs as on
# hardware (defaults, every refused value, a bind that does not fit),
# /dev/vmsg-epf0 from user space (tests/rig/epf-module/epf-abi-test.c:
# ioctl argument checks, one opener, mmap bounds, doorbell events, MAP_HOST,
# CPU copies, dead pages), unbind with the daemon open (UNBIND, POLLHUP,
# bounded wait, SHUTDOWN + vec_c2h by the module, hostile irq_mode/vec_c2h),
# BYE, a killed daemon, a link that went and came back, a file that outlives
# its function, and 5 load/bind/unbind/unload rounds; the console checked
# for kernel problems (lockdep kernel). Needs the card-VM rig
# (tests/rig/run-card-vm, scripts/build-card-kernel.sh). About 60 s cached.
# Environment: CARD_KDIR (a card kernel build dir), VMSG_TEST_VERBOSE=1.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
command -v qemu-system-x86_64 >/dev/null || kb_skip "qemu-system-x86_64 not installed"
if [ ! -x "$KB_TOP/tests/rig/run-card-vm" ] || [ ! -x "$KB_TOP/scripts/build-card-kernel.sh" ]; then
	kb_skip "the card-VM rig (tests/rig/run-card-vm, scripts/build-card-kernel.sh) is not in this tree"
fi
SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
	kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"
# CARD_KDIR: a card kernel build dir to use instead of the cached one
KDIR=${CARD_KDIR:-$("$KB_TOP/scripts/build-card-kernel.sh" --print-kdir)} ||
	kb_die "card kernel build failed"
KB_T=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-$KB_NAME.XXXXXX")
KB_CONSOLE=$KB_T/console.log
KB_RAM=/dev/shm/vmsg-$KB_NAME-$$.ram
trap kb_cleanup EXIT
trap 'exit 130' INT TERM
kb_say "card kernel $KDIR; logs $KB_T"

# The modules, built against the card kernel in copies (the tree's objects
# stay those of scripts/build-kernel.sh).
cp -r "$KB_TOP/ep_function/kernel" "$KB_T/epf"
cp -r "$KB_TOP/tests/rig/epf-module/kernel" "$KB_T/fake"
echo "ccflags-y += -I$KB_TOP/fw_shared/include" >>"$KB_T/epf/Kbuild"
for d in epf fake; do
	nice make -s -C "$KDIR" M="$KB_T/$d" modules >"$KB_T/build-$d.log" 2>&1 ||
		{ cat "$KB_T/build-$d.log"; kb_die "building $d against $KDIR failed"; }
done
cc -static -O2 -std=gnu11 -Wall -Wextra -Werror -I"$KB_TOP/ep_function/kernel" \
	-o "$KB_T/epf-abi-test" "$KB_TOP/tests/rig/epf-module/epf-abi-test.c" ||
	kb_die "epf-abi-test does not build (static libc: libc6-dev)"

"$SRV" --socket "$KB_T/host.sock" --card-socket "$KB_T/card.sock" \
	--shm-path "$KB_T/bar.shm" --shm-size $((1 << 20)) --vectors 8 \
	>"$KB_T/server.log" 2>&1 &
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_EXTRA_PIDS=$!
for _ in $(seq 100); do [ -S "$KB_T/card.sock" ] && break; sleep 0.05; done

VERB=(-q)
[ "${VMSG_TEST_VERBOSE:-0}" = 1 ] && VERB=()
"$KB_TOP/tests/rig/run-card-vm" --kdir "$KDIR" --card-socket "$KB_T/card.sock" \
	--host-mem "$KB_RAM" --host-mem-size 64M --mem 256M \
	--modules "$KB_T/epf/pci-epf-vmsg.ko" --file "$KB_T/fake/fake-epc.ko" \
	--file "$KB_T/epf-abi-test" --script "$KB_SCRIPTS/card-epf-module.vm.sh" \
	--log "$KB_CONSOLE" --timeout 400 "${VERB[@]}" >"$KB_T/rig.out" 2>&1
kb_finish $?
