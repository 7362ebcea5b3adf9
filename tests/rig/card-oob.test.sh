#!/usr/bin/env bash
# card-oob: binding 7.5 on the real endpoint function: pci-epf-vmsg with 8
# doorbells (configfs num_doorbells, epf-configfs.sh's NUM_DOORBELLS), so
# `vmsg-card --platform epf` offers OOB_NOTIFY; the host VM's vmsg_pci
# negotiates it, the disk's kicks are queue doorbells that the function's
# poll thread sees (no in-band EVENT_AVAIL), 16 MiB written and read back
# (pci-oob.vm.sh, MODE=oob, no hotplug). The function gives the host one
# vector here (vec_c2h), so EVENT_USED stays in-band (OOB_VECTORS=0); the
# card's counters are read inside the card VM. About 95 s. The pair:
# tests/rig/scripts/pair-lib.sh. Several minutes under TCG (two VMs).
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
pair_card_prelude "export NUM_DOORBELLS=8" \
	"CARD_SETUP='truncate -s 48M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img'"
vmrc=0
if pair_card_start 300; then
	t=$(kb_now)
	kb_vm_prelude "MODE=oob" "CYCLES=0" "OOB_VECTORS=0" "VMSG_PCI_ARGS=oob=1"
	kb_vm "$KB_SCRIPTS/pci-oob.vm.sh" --timeout 600
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t") s"
	pair_card_run stats 30 'ctl stats | sed "s/^/@@OUT stats /"'
	db=$(pair_card_out stats | awk '$1 == "oob_doorbells" { print $2 }')
	kb_check "the endpoint function's daemon acted on queue doorbells (${db:-none})" \
		test "${db:-0}" -gt 0
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
