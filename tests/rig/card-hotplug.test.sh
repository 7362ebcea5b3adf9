#!/usr/bin/env bash
# card-hotplug: EVENT_DEVICE hotplug while I/O runs, on the real endpoint
# function. `vmsg-card ctl add blk:...` and `ctl remove N` in the card VM
# (the daemon is `vmsg-card --platform epf`) CYCLES times (default 3) while
# the host VM's dd keeps writing to the first disk; the added disk is
# written and read back, then removed while being written; then an rng is
# added and removed while being read (pci-hotplug.vm.sh: the host sees each
# add and removal, the first disk's writer survives all of it, no request
# times out). Both consoles are checked for kernel problems (the card
# kernel has lockdep). The pair: tests/rig/scripts/pair-lib.sh. About 2 min.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
n=${CARD_HOTPLUG_CYCLES:-3}
pair_card_prelude "CARD_SETUP='truncate -s 32M /tmp/disk.img /tmp/disk2.img'" \
	"CARD_DEVS='--blk /tmp/disk.img'"
vmrc=1
# card_ctl LABEL 'ctl ARGS': run `ctl ARGS` in the card VM, its output as
# "@@OUT LABEL ..." lines; the dev_num it printed (add), if any.
card_ctl() {
	pair_card_run "$1" 60 "$2 | sed 's/^/@@OUT $1 /'" || return 1
	pair_card_out "$1" | awk '$1 == "dev_num" { print $2 }'
	return 0 # (pipefail: a remove prints no dev_num)
}
if pair_card_start 300; then
	kb_vm_prelude "CYCLES=$n" BUSY_REMOVE=1 HP_WAIT=60
	t=$(kb_now)
	kb_vm_bg "$KB_SCRIPTS/pci-hotplug.vm.sh" --timeout 900
	stuck=0
	for c in $(seq "$n"); do
		kb_wait_mark "add-$c" 400 || {
			stuck=1
			break
		}
		dn=$(card_ctl "add$c" "ctl add blk:/tmp/disk2.img")
		[ -n "$dn" ] || {
			kb_bad "cycle $c: ctl add blk in the card VM failed"
			break
		}
		kb_wait_mark "remove-$c" 120 || {
			stuck=1
			break
		}
		sleep 0.3
		kb_check "cycle $c: ctl remove $dn in the card VM" card_ctl "rm$c" "ctl remove $dn"
	done
	if [ $stuck = 0 ] && kb_wait_mark rng-add 120; then
		rn=$(card_ctl rngadd "ctl add rng")
		kb_check "ctl add rng in the card VM (dev_num ${rn:-none})" test -n "$rn"
		kb_wait_mark rng-remove 120 && card_ctl rngrm "ctl remove $rn" >/dev/null
	fi
	kb_wait_mark rng-remove 1 || kb_vm_abort 60
	kb_vm_wait
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t") s"
	pair_card_run stats 30 'ctl stats | sed "s/^/@@OUT stats /"; ctl list | sed "s/^/@@OUT list /"'
	st() { pair_card_out stats | awk -v k="$1" '$1 == k { print $2 }'; }
	kb_check "card: one device left after the hotplug (ctl list: $(pair_card_out list | grep -c -v '^ok'))" \
		test "$(pair_card_out list | grep -c -v '^ok')" = 1
	kb_check "card: nothing malformed (drop_malformed $(st drop_malformed))" test "$(st drop_malformed)" = 0
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
