#!/usr/bin/env bash
# card-reload: `rmmod vmsg_pci` / `modprobe vmsg_pci` RELOADS times (default
# 5) in the host VM while its devices are in use, then PCI remove + rescan
# and a function reset (pci-reload.vm.sh), with the card VM's endpoint
# function and `vmsg-card --platform epf` running throughout. Each reload is
# a new session: the card counts an attach per load (at least RELOADS + 3)
# on a new epoch each time, and no message of an old session reaches it
# (drop_stale 0, nothing malformed). The pair: tests/rig/scripts/pair-lib.sh.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
n=${CARD_RELOADS:-5}
pair_card_prelude "CARD_SETUP='truncate -s 32M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img --rng --net tap:vmsg0,create'"
vmrc=1
if pair_card_start 300; then
	kb_vm_prelude "RELOADS=$n"
	t=$(kb_now)
	kb_vm "$KB_SCRIPTS/pci-reload.vm.sh" --timeout 600
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t") s"
	pair_card_run stats 30 'ctl stats | sed "s/^/@@OUT stats /"'
	st() { pair_card_out stats | awk -v k="$1" '$1 == k { print $2 }'; }
	a=$(st attaches)
	kb_check "card: $a attaches for $n reloads + rescan + reset (>= $((n + 3)))" \
		test "${a:-0}" -ge $((n + 3))
	kb_check "card: no stale-epoch message delivered (drop_stale $(st drop_stale))" \
		test "$(st drop_stale)" = 0
	kb_check "card: nothing malformed (drop_malformed $(st drop_malformed))" \
		test "$(st drop_malformed)" = 0
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
