#!/usr/bin/env bash
# Binding 7.5 (OOB_NOTIFY): the same vmsg_pci module against a card that
# offers out-of-band notifications and, in a second VM, one that does not
# (vmsg-card --no-oob). With OOB: per-queue doorbells and vectors carry the
# disk's notifications (no in-band EVENT_AVAIL), and disks hot-added and
# removed while another is written take and give back doorbells; without:
# everything in-band. The card's own counters are checked from outside.
# About 60-120 s under TCG (two VM boots).
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
n=${PCI_OOB_CYCLES:-3}
card_stat() { kb_ctl stats | awk -v k="$1" '$1 == k { print $2 }'; }

run_mode() { # run_mode oob|inband
	local mode=$1 rc stuck=0 dn
	KB_VM_PRELUDE=
	KB_CONSOLE=$KB_T/console-$mode.log
	truncate -s 48M "$KB_T/disk-$mode.img"
	truncate -s 8M "$KB_T/disk2-$mode.img"
	if [ "$mode" = oob ]; then
		kb_card_start --blk "$KB_T/disk-$mode.img"
	else
		kb_card_start --no-oob --blk "$KB_T/disk-$mode.img"
	fi
	kb_vm_prelude "MODE=$mode" "CYCLES=$n" "VMSG_PCI_ARGS=oob=1"
	kb_vm_bg "$KB_SCRIPTS/pci-oob.vm.sh" --timeout 300
	if [ "$mode" = oob ]; then
		for c in $(seq "$n"); do
			kb_wait_mark "add-$c" 120 || { stuck=1; break; }
			dn=$(kb_ctl add "blk:$KB_T/disk2-$mode.img" | awk '$1 == "dev_num" { print $2 }')
			[ -n "$dn" ] || { kb_bad "$mode: cycle $c: ctl add failed"; break; }
			kb_wait_mark "remove-$c" 120 || { stuck=1; break; }
			kb_ctl remove "$dn" >/dev/null || kb_bad "$mode: cycle $c: ctl remove $dn failed"
		done
	fi
	if [ $stuck = 1 ] || ! kb_wait_mark done 180; then
		kb_vm_abort 40
	fi
	kb_vm_wait
	rc=$?
	kb_vm_results
	[ "$rc" = 0 ] || kb_bad "$mode: VM status $rc"
	if [ "$mode" = oob ]; then
		kb_check "$mode: the card acted on queue doorbells ($(card_stat oob_doorbells))" \
			test "$(card_stat oob_doorbells)" -gt 0
		kb_check "$mode: the card raised queue vectors ($(card_stat oob_irqs))" \
			test "$(card_stat oob_irqs)" -gt 0
	else
		kb_check "$mode: no queue doorbell, no queue vector on the card" \
			test "$(card_stat oob_doorbells)/$(card_stat oob_irqs)" = 0/0
	fi
	kb_card_stop TERM
}

run_mode oob
run_mode inband
KB_CONSOLE=/dev/null # both phases' results are already counted
kb_finish 0
