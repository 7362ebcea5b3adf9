#!/usr/bin/env bash
# card-cycle: the endpoint function goes away and comes back ROUNDS times
# (default 10) with a host attached, as a user does it in configfs
# (tests/rig/scripts/card-cycle.card.sh), the three ways in turn:
#   unbind - `rm controllers/EPC/func0` (the daemon tells the host SHUTDOWN
#            and exits 0), `ln -s` again, `start 1`, the daemon again;
#   start  - `echo 0 > start`, 1 s, `echo 1 > start`, the daemon running on
#            (6.1 gives the function no event at stop: the host sees the
#            link come back as a new epoch, docs/card-vm-rig.md; the
#            interrupts the stopped controller refuses are warned once,
#            not one engine warning each);
#   rmmod  - start 0, unbind, rmdir, `rmmod pci-epf-vmsg`, then the
#            documented bring-up (epf-configfs.sh up) and the daemon.
# Each round the host VM (card-cycle.vm.sh) must see its session end and
# attach again on a new epoch with its disk back (1 MiB written and read
# back). Afterwards exactly one function, one /dev/vmsg-epf0 and one misc
# device exist in the card VM; both consoles are checked for kernel
# problems (the card kernel has lockdep and atomic-sleep checks). The pair:
# tests/rig/scripts/pair-lib.sh. About 3-4 min under TCG.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
n=${CARD_CYCLE_ROUNDS:-10}
pair_card_prelude "CARD_SETUP='truncate -s 16M /tmp/disk.img; . /rig/files/card-cycle.card.sh'" \
	"CARD_DEVS='--blk /tmp/disk.img --rng'"
vmrc=1
kinds=(unbind start rmmod)
if pair_card_start 300 --file "$KB_SCRIPTS/card-cycle.card.sh"; then
	kb_vm_prelude "ROUNDS=$n"
	t0=$(kb_now)
	kb_vm_bg "$KB_SCRIPTS/card-cycle.vm.sh" --timeout 1800
	for r in $(seq "$n"); do
		kb_wait_mark "ready-$r" 300 || {
			kb_bad "the host VM did not get to round $r"
			break
		}
		k=${kinds[$(((r - 1) % 3))]}
		t=$(kb_now)
		if pair_card_run "$k$r" 180 "cycle_$k"; then
			kb_ok "round $r: $k done in the card VM in $(kb_since "$t") s"
		else
			kb_bad "round $r: $k in the card VM"
			break
		fi
	done
	kb_wait_mark rounds-done 300 || kb_vm_abort 60
	kb_vm_wait
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t0") s"
	pair_card_run left 30 cycle_leftovers
	left() { pair_card_out left | awk -v k="$1" '$1 == k { print $2 }'; }
	kb_check "card: one /dev/vmsg-epf device left ($(left devs))" test "$(left devs)" = 1
	kb_check "card: one vmsg-epf misc device left ($(left misc))" test "$(left misc)" = 1
	kb_check "card: one function directory left ($(left funcs))" test "$(left funcs)" = 1
	kb_say "card: pci_epf_vmsg refcnt $(left refcnt); controller: $(pair_card_out left |
		grep -E '^epc\.(started|link_up|linkups|linkdowns|irqs_raised|irqs_refused|mapped|bar0_size) ' |
		sed 's/^epc\.//' | tr '\n' ' ')"
	kb_check "card: the controller is started with BAR0 set and the window mapped" \
		test "$(left epc.started)/$(left epc.mapped)" = 1/1 -a "$(left epc.bar0_size)" != 0
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a -E '^cyc(le|info): ' | sed "s/^/$KB_NAME: card: /"
pair_card_finish
kb_finish $vmrc
