#!/usr/bin/env bash
# The card VM's virtual endpoint controller (tests/rig/card-kernel/) on the
# real endpoint framework: vmsg-ivshmem-server with the card VM as peer 0
# (--card-socket), the card VM (tests/rig/run-card-vm) running pci-epf-test
# through configfs on the controller, and a host peer (an ivshmem client,
# tests/rig/scripts/epf-test-host.py) that checks the header the controller
# published in the emulated link page, the link-up event, MSI-X through
# raise_irq and the outbound window (host RAM file) through map_addr, the
# refused mapping included; then a host reconnect (link down, link up).
# Builds the card kernel first when it is not cached (about 10 min cold).
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
command -v qemu-system-x86_64 >/dev/null || kb_skip "qemu-system-x86_64 not installed"
[ -f /usr/src/linux-source-6.1.tar.xz ] || kb_skip "linux-source-6.1 not installed (make deps)"
SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
	kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"
# VMSG_CARD_KDIR: a card kernel build dir to use as is (default: the cached
# one for this tree, built when missing).
KDIR=${VMSG_CARD_KDIR:-$("$KB_TOP/scripts/build-card-kernel.sh" --print-kdir)} ||
	kb_die "card kernel build failed"
KB_T=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-$KB_NAME.XXXXXX")
KB_CONSOLE=$KB_T/console.log
KB_RAM=/dev/shm/vmsg-$KB_NAME-$$.ram
trap kb_cleanup EXIT
trap 'exit 130' INT TERM
kb_say "card kernel $KDIR; logs $KB_T"

truncate -s 64M "$KB_RAM"
"$SRV" --socket "$KB_T/host.sock" --card-socket "$KB_T/card.sock" \
	--shm-path "$KB_T/bar.shm" --shm-size $((1 << 20)) --vectors 8 \
	>"$KB_T/server.log" 2>&1 &
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_EXTRA_PIDS=$!
for _ in $(seq 100); do [ -S "$KB_T/card.sock" ] && break; sleep 0.05; done

cat "$KB_SCRIPTS/kbus-vm-lib.sh" "$KB_SCRIPTS/card-vm-epc.vm.sh" >"$KB_T/vm-script.sh"
: >"$KB_CONSOLE"
VERB=(-q)
[ "${VMSG_TEST_VERBOSE:-0}" = 1 ] && VERB=()
"$KB_TOP/tests/rig/run-card-vm" --kdir "$KDIR" --card-socket "$KB_T/card.sock" \
	--host-mem "$KB_RAM" --vectors 8 --mem 256M --script "$KB_T/vm-script.sh" \
	--log "$KB_CONSOLE" --timeout 400 "${VERB[@]}" >"$KB_T/rig.out" 2>&1 &
# shellcheck disable=SC2034 # waited for by kb_vm_wait (kbus-lib.sh)
KB_VM_PID=$!

if kb_wait_mark epc-ready 240; then
	kb_ok "the card VM configured pci-epf-test on the controller"
	python3 "$KB_SCRIPTS/epf-test-host.py" "$KB_T/host.sock" "$KB_RAM" 0x104c 0xb500 \
		>"$KB_T/host.out" 2>&1
	hrc=$?
	sed "s/^/$KB_NAME: /" "$KB_T/host.out"
	KB_FAILS=$((KB_FAILS + $(grep -c '^host: FAIL' "$KB_T/host.out")))
	[ "$hrc" = 0 ] || grep -q '^host: FAIL' "$KB_T/host.out" || kb_bad "host side exited $hrc"
	sleep 1
	# a host comes back: a new link up in the card VM
	python3 "$KB_SCRIPTS/ivshmem-poke.py" "$KB_T/host.sock" 1 ||
		kb_bad "second host connection"
else
	kb_bad "the card VM did not get to epc-ready"
fi
kb_vm_wait
rc=$?
kb_check "the card VM connected to the server as peer 0" \
	grep -q 'the card (peer 0) connected' "$KB_T/server.log"
kb_finish $rc
