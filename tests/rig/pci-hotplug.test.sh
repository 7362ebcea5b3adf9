#!/usr/bin/env bash
# (f) EVENT_DEVICE hotplug while I/O runs: `vmsg-card ctl add blk:...` and
# `ctl remove N` five times while dd writes to the first disk; the added
# disk is written and read, then removed while being written (set
# PCI_HOTPLUG_BUSY_REMOVE=0 to remove it idle); then an rng is added and
# removed while being read. About 30 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 32M "$KB_T/disk.img" "$KB_T/disk2.img"
kb_card_start --blk "$KB_T/disk.img"
n=${PCI_HOTPLUG_CYCLES:-5}
kb_vm_prelude "CYCLES=$n" "BUSY_REMOVE=${PCI_HOTPLUG_BUSY_REMOVE:-1}"
kb_vm_bg "$KB_SCRIPTS/pci-hotplug.vm.sh" --timeout 400
stuck=0
for c in $(seq "$n"); do
	# the first mark comes after the VM's boot: allow a loaded machine's
	kb_wait_mark "add-$c" "$([ "$c" = 1 ] && echo 300 || echo 60)" || { stuck=1; break; }
	dn=$(kb_ctl add "blk:$KB_T/disk2.img" | awk '$1 == "dev_num" { print $2 }')
	[ -n "$dn" ] || { kb_bad "cycle $c: ctl add failed"; break; }
	kb_wait_mark "remove-$c" 60 || { stuck=1; break; }
	sleep 0.3
	kb_ctl remove "$dn" >/dev/null || kb_bad "cycle $c: ctl remove $dn failed"
done
if [ $stuck = 0 ] && kb_wait_mark rng-add 60; then
	rn=$(kb_ctl add rng | awk '$1 == "dev_num" { print $2 }')
	kb_wait_mark rng-remove 60 && kb_ctl remove "$rn" >/dev/null
fi
if ! kb_wait_mark "rng-remove" 1; then
	kb_vm_abort 40
fi
kb_vm_wait
kb_finish $?
