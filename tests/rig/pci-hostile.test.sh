#!/usr/bin/env bash
# (i) a hostile card: `vmsg-card-test --hostile all` (the test variant of
# vmsg-card; the shipped one has no attack code) injects garbage, wrong
# sizes and ids, unmatched and duplicated responses, out-of-range events,
# READY storms, stale epochs, impossible slot lengths and producer indices
# into the c2h ring while the VM writes, reads back and verifies files and
# reads /dev/hwrng for 20 s. vmsg_pci must drop and count all of it, lose
# nothing, not declare the card dead, and the kernel must stay clean.
# About 40 s. VMSG_CARD_HOSTILE_SEED makes a run repeatable.
set -uo pipefail
KB_CARD_NAME=vmsg-card-test
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 32M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng --hostile all --hostile-rate "${PCI_HOSTILE_RATE:-20}"
grep -i seed "$KB_CARD_LOG" | head -n 1 | sed "s/^/$KB_NAME: /"
kb_vm_prelude "SECS=${PCI_HOSTILE_SECS:-20}"
kb_vm_bg "$KB_SCRIPTS/pci-hostile.vm.sh" --timeout 300
kb_wait_mark hostile-done 200
kb_ctl stats | grep '^hostile\.' | tr '\n' ' ' | sed "s/^/$KB_NAME: card attacks: /"
echo
kb_vm_wait
kb_finish $?
