#!/usr/bin/env bash
# [EMU-2]: vmsg_pci must not claim an ivshmem device that is not a card
# (its shared memory does not start with VMSG_PCIE_MAGIC) nor write to it.
# A plain ivshmem server without a card (vmsg-ivshmem-server, common/ivshmem)
# provides such a device with a file of 0x5a bytes; the file must be
# unchanged afterwards. About 5 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
SHM=$KB_T/foreign.shm
head -c $((1 << 20)) /dev/zero | tr '\000' '\132' >"$SHM"
before=$(sha256sum <"$SHM")
mkdir -p "$KB_LINK"
SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
	kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"
"$SRV" --socket "$KB_LINK/ivshmem.sock" \
	--shm-path "$SHM" --shm-size $((1 << 20)) --pidfile "$KB_T/srv.pid" \
	>"$KB_T/server.log" 2>&1 &
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_EXTRA_PIDS=$!
for _ in $(seq 100); do [ -S "$KB_LINK/ivshmem.sock" ] && break; sleep 0.05; done
kb_vm "$KB_SCRIPTS/pci-foreign.vm.sh" --timeout 120
rc=$?
kb_check "the foreign shared memory was not written" test "$(sha256sum <"$SHM")" = "$before"
kb_finish $rc
