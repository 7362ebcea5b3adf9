#!/usr/bin/env bash
# The atomic request path of vmsg_pci (busy-polled with interrupts off,
# used by the transport for config reads in atomic context): 30000
# PINGs through it from two writers of the debugfs file atomic_ping, while
# virtio-blk write/verify and /dev/hwrng reads run. Every PING must be
# answered, nothing lost or reordered into a mismatch, no kernel problem
# (lockdep is not enabled in the Debian kernel; the test still catches
# hangs and data errors). About 30 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 16M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng
kb_vm_prelude "PINGS=${PCI_ATOMIC_PINGS:-30000}"
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-atomic.vm.sh" --timeout 300
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
