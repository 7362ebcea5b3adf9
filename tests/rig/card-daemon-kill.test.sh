#!/usr/bin/env bash
# card-daemon-kill: `vmsg-card --platform epf` killed with SIGKILL in the card
# VM and started again on the same function, ROUNDS times (default 2). The
# host VM (pci-reattach.vm.sh) must notice the loss within 25 s (16 PING misses), remove the
# devices, attach again on a new epoch and find its disk working. The kill
# falls between the host's disk writes (pci-reattach.vm.sh writes after each
# re-attach), not inside one. The pair: tests/rig/scripts/pair-lib.sh.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
n=${CARD_KILL_ROUNDS:-2}
pair_card_prelude "CARD_SETUP='truncate -s 16M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img --rng'"
vmrc=1
if pair_card_start 300; then
	kb_vm_prelude "ROUNDS=$n" LOSS_WITHIN=25
	kb_vm_bg "$KB_SCRIPTS/pci-reattach.vm.sh" --timeout 400
	for r in $(seq "$n"); do
		kb_wait_mark "ready-$r" 120 || break
		sleep 0.5
		kb_check "round $r: vmsg-card SIGKILLed and started again in the card VM" \
			pair_card_run kill 60 'daemon_stop KILL; daemon_start'
	done
	kb_vm_wait
	vmrc=$?
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
