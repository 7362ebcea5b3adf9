#!/usr/bin/env bash
# [DEAD-2]: the card ends the session on its side and re-enters READY with
# a new epoch in the same BAR (here: another ivshmem client connects and
# leaves, which the soft card handles as a link down). vmsg_pci must notice
# (PING misses, then link_state/epoch), remove the devices, attach again
# and re-enumerate, 3 times. About 20 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 16M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng
n=${PCI_REATTACH_ROUNDS:-3}
kb_vm_prelude "ROUNDS=$n"
kb_vm_bg "$KB_SCRIPTS/pci-reattach.vm.sh" --timeout 200
for r in $(seq "$n"); do
	kb_wait_mark "ready-$r" 60 || break
	sleep 0.5
	"$KB_SCRIPTS/ivshmem-poke.py" "$KB_LINK/ivshmem.sock" 0.3 ||
		kb_bad "round $r: could not poke the ivshmem server"
done
kb_vm_wait
rc=$?
kb_check "the card saw the host replaced $n times" \
	test "$(kb_ctl stats | awk '$1 == "sim.hosts_lost" { print $2 }')" -ge "$n"
kb_finish $rc
