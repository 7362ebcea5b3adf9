#!/usr/bin/env bash
# The polling fallback ([IRQ-2]): vmsg_pci loaded with irq_mode=3 attaches
# with VMSG_IRQ_POLL (the card raises no interrupt) and runs the virtio-blk
# test of pci-blk.test.sh (ext2 files, 64 MiB O_DIRECT write and read back)
# on its c2h polling alone. About 20 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 96M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img"
kb_vm_prelude "VMSG_PCI_ARGS=irq_mode=3" "EXPECT_IRQ_MODE=0"
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-blk.vm.sh" --timeout 400 --mem 768M
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_check "the card raised no interrupt" \
	test "$(kb_ctl stats | awk '$1 == "sim.irqs_raised" { print $2 }')" = 0
kb_finish $rc
