#!/usr/bin/env bash
# [EMU-2], [EMU-7]: vmsg_pci must not claim an ivshmem device that is not a
# card, nor write to it. A plain ivshmem server without a card
# (vmsg-ivshmem-server, common/ivshmem) provides such a device:
#   1. a file of 0x5a bytes: no link page header, no magic;
#   2. a file that looks like a card (the binding's magic at 0, a valid link
#      page header) whose header carries ids that are not in vmsg_pci's id
#      table (a vendor's own function the driver does not know): "not ours".
# Each file must be unchanged afterwards, except the link page's wire
# section, which is the ivshmem server's. About 10 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
SIZE=$((1 << 20))
SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
	kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"

# Everything but the server's wire section (link page bytes 0x40..0x7f).
foreign_sum() {
	{
		head -c $((SIZE - 4096 + 64)) "$1"
		tail -c $((4096 - 128)) "$1"
	} | sha256sum
}

# run_foreign NAME FILE [prelude...]: serve FILE, boot the VM, check FILE.
run_foreign() {
	local name=$1 shm=$2 before rc srv
	shift 2
	before=$(foreign_sum "$shm")
	rm -rf "$KB_LINK"
	mkdir -p "$KB_LINK"
	"$SRV" --socket "$KB_LINK/ivshmem.sock" \
		--shm-path "$shm" --shm-size "$SIZE" --pidfile "$KB_T/srv.pid" \
		>"$KB_T/server-$name.log" 2>&1 &
	srv=$!
	# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
	KB_EXTRA_PIDS=$srv
	for _ in $(seq 100); do [ -S "$KB_LINK/ivshmem.sock" ] && break; sleep 0.05; done
	KB_VM_PRELUDE=
	kb_vm_prelude "$@"
	KB_CONSOLE=$KB_T/console-$name.log
	kb_vm "$KB_SCRIPTS/pci-foreign.vm.sh" --timeout 120
	rc=$?
	kill -TERM "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	KB_EXTRA_PIDS=
	kb_check "$name: the foreign shared memory was not written" \
		test "$(foreign_sum "$shm")" = "$before"
	return $rc
}

SHM=$KB_T/foreign.shm
head -c "$SIZE" /dev/zero | tr '\000' '\132' >"$SHM"
run_foreign no-header "$SHM" 'FOREIGN=no-header'
rc1=$?
kb_vm_results

# A card-looking memory with foreign ids: VMSG_PCIE_MAGIC, version 1.0,
# and a link page header (VMSG_EMU_HDR_MAGIC, version 1) for 1234:5678,
# subsystem 1234:0002, class 020000 (none of them in vp_ids).
SHM2=$KB_T/foreign-ids.shm
python3 - "$SHM2" "$SIZE" <<'PY' || kb_die "cannot write $SHM2"
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
b = bytearray(size)
struct.pack_into("<II", b, 0, 0x47534D56, 0x00010000)
pg = size - 4096
struct.pack_into("<IIHHHHIII", b, pg, 0x52484556, 1, 0x1234, 0x5678, 0x1234, 0x0002,
                 0x020000 << 8, size - 4096, 0)
open(path, "wb").write(b)
PY
run_foreign foreign-ids "$SHM2" 'FOREIGN=ids'
rc2=$?
[ "$rc1" -ne 0 ] && [ "$rc2" -eq 0 ] && rc2=$rc1
kb_finish "$rc2"
