#!/usr/bin/env bash
# (d) rmmod vmsg_pci / modprobe vmsg_pci 20 times while the devices are in
# use (mounted ext2 being read, /dev/hwrng being read, eth0 up), then PCI
# remove + rescan through sysfs, then a function reset through sysfs
# (reset_prepare/reset_done); the devices come back every time and the
# filesystem stays intact. About 60 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 32M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng --net loopback
kb_vm_prelude "RELOADS=${PCI_RELOADS:-20}"
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-reload.vm.sh" --timeout 400
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
