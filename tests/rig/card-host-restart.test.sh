#!/usr/bin/env bash
# card-host-restart: the host VM restarted the hard way while the card runs.
# A first host VM attaches and writes to the card's disk; its QEMU is
# SIGKILLed mid-I/O (the ivshmem server sees the host peer leave); the card
# VM's controller must report the link down, the endpoint function and
# `vmsg-card --platform epf` keep running. A new host VM is then started
# against the same card VM (same RAM file, same server): the controller
# reports a link up, the function a link down + up (6.1 has no link-down
# event, docs/card-vm-rig.md), the daemon ends the old session (host lost,
# new epoch, READY) and the new host attaches on that epoch with its disk
# and rng working; no message of the old host's session is delivered
# (drop_stale 0). The pair: tests/rig/scripts/pair-lib.sh. About 1.5 min.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
pair_card_prelude "CARD_SETUP='truncate -s 16M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img --rng'"
vmrc=1
# snap LABEL: the card daemon's ctl stats and the controller's state.
snap() {
	pair_card_run "$1" 30 "ctl stats | sed 's/^/@@OUT $1 /'; sed 's/^/@@OUT $1 epc./' /sys/kernel/debug/pcie-vmsg-ivshmem-ep/*/state"
}
val() { pair_card_out "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }
epc_down() {
	snap "$1" && [ "$(val "$1" epc.link_up)" = 0 ]
}
if pair_card_start 300; then
	kb_vm_prelude PHASE=1
	kb_vm_bg "$KB_SCRIPTS/card-host-restart.vm.sh" --timeout 900
	if kb_wait_mark io-running 600; then
		snap s1
		e1=$(val s1 epoch)
		d1=$(val s1 epc.linkdowns)
		q=
		for p in $(pgrep -P "$KB_VM_PID") "$KB_VM_PID"; do
			q=$(pgrep -P "$p" -f qemu-system | head -n 1)
			[ -n "$q" ] && break
		done
		if [ -n "$q" ]; then
			kill -KILL "$q"
			kb_ok "first host VM's QEMU (pid $q) killed while it writes to the card's disk (card epoch $e1)"
		else
			kb_bad "no QEMU process under the host VM's rig"
		fi
		wait "$KB_VM_PID" 2>/dev/null
		KB_VM_PID=
		cp "$KB_CONSOLE" "$KB_T/host1-console.log"
		n1=$(tr -d '\r' <"$KB_T/host1-console.log" | grep -a -c '^vm: FAIL - ')
		tr -d '\r' <"$KB_T/host1-console.log" | grep -a '^vm: ' | sed "s/^/$KB_NAME: host 1: /"
		kb_check "first host VM: no failure before the kill ($n1)" test "$n1" = 0
		kb_check "first host VM: no kernel problem in its console up to the kill" \
			"$KB_RIG" --check-log "$KB_T/host1-console.log"
		# the card sees the host leave: the controller's link goes down
		t=$(kb_now)
		ok=1 i=0
		while [ "$(kb_since "$t" | cut -d. -f1)" -lt 180 ]; do
			i=$((i + 1))
			epc_down "down$i" && ok=0 && break
			sleep 1
		done
		kb_check "card: the controller reports the link down after the host left ($(kb_since "$t") s; linkdowns $d1 -> $(val "down$i" epc.linkdowns))" \
			test $ok = 0
		kb_check "card: vmsg-card still runs with the host gone" pair_card_run alive 30 'kill -0 $DPID'
		kb_vm_prelude PHASE=2
		t=$(kb_now)
		kb_vm "$KB_SCRIPTS/card-host-restart.vm.sh" --timeout 600
		vmrc=$?
		kb_say "second host VM run took $(kb_since "$t") s"
		snap s2
		kb_check "card: the controller reported a link up for the new host (linkups $(val s1 epc.linkups) -> $(val s2 epc.linkups))" \
			test "$(val s2 epc.linkups)" -gt "$(val s1 epc.linkups)"
		kb_check "card: the function reported the link down and up (epf.link_downs $(val s1 epf.link_downs) -> $(val s2 epf.link_downs), link_ups $(val s1 epf.link_ups) -> $(val s2 epf.link_ups))" \
			test "$(val s2 epf.link_downs)" -gt "$(val s1 epf.link_downs)" -a \
			"$(val s2 epf.link_ups)" -gt "$(val s1 epf.link_ups)"
		e2=$(tr -d '\r' <"$KB_CONSOLE" | grep -a -o 'attached with the disk in .* epoch 0x[0-9a-f]*' | awk '{ print $NF }')
		kb_check "the new host attached on a new epoch (card's before the kill $e1, new host's ${e2:-none})" \
			test -n "$e1" -a -n "$e2" -a "$((e1))" != "$((e2))"
		kb_check "card: attached again (attaches $(val s1 attaches) -> $(val s2 attaches))" \
			test "$(val s2 attaches)" -gt "$(val s1 attaches)"
		kb_check "card: no stale-epoch message delivered (drop_stale $(val s2 drop_stale))" \
			test "$(val s2 drop_stale)" = 0
		kb_check "card: nothing malformed (drop_malformed $(val s2 drop_malformed))" \
			test "$(val s2 drop_malformed)" = 0
	else
		kb_bad "the first host VM never started its I/O"
		kb_vm_abort 10
		kb_vm_wait
	fi
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
