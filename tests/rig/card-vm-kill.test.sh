#!/usr/bin/env bash
# card-vm-kill: the card VM powered off the hard way (its QEMU SIGKILLed)
# while the host VM writes to the card's disk (pci-card-kill.vm.sh with
# CARD_GONE=1): the host VM declares the link dead within 25 s (16 PING misses), removes
# every device within 30 s, the writer gets an error, and the host VM then
# powers off without a hung task or a kernel problem. The card VM's console
# is checked for kernel problems up to the kill. The pair:
# tests/rig/scripts/pair-lib.sh.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
pair_card_prelude "CARD_SETUP='truncate -s 64M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img'"
vmrc=1
if pair_card_start 300; then
	kb_vm_prelude CARD_GONE=1 KILL_IO=1 DEAD_WITHIN=25
	kb_vm_bg "$KB_SCRIPTS/pci-card-kill.vm.sh" --timeout 300
	if kb_wait_mark io-running 120; then
		# the card VM's QEMU: a descendant of run-card-vm
		q=
		for p in $(pgrep -P "$PAIR_CARD_VM_PID") "$PAIR_CARD_VM_PID"; do
			q=$(pgrep -P "$p" -f qemu-system | head -n 1)
			[ -n "$q" ] && break
		done
		if [ -n "$q" ]; then
			kill -KILL "$q"
			kb_ok "card VM QEMU (pid $q) killed while the host VM writes"
		else
			kb_bad "no QEMU process under the card VM's rig"
		fi
		wait "$PAIR_CARD_VM_PID" 2>/dev/null
		PAIR_CARD_VM_PID=
	else
		kb_bad "the host VM never started its I/O"
	fi
	kb_vm_wait
	vmrc=$?
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
	pair_card_finish
fi
kb_check "card VM console: no kernel problem before the kill" \
	sh -c "! tr -d '\r' <'$PAIR_CARD_CONSOLE' | grep -a -E '^\[ *[0-9.]+\] .*(BUG|WARNING|Oops|blocked for more|lockdep|circular locking)'"
kb_finish $vmrc
