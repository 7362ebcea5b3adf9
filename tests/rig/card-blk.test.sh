#!/usr/bin/env bash
# card-blk: virtio-blk from the card VM's `vmsg-card --platform epf` (a
# backing file in the card VM's tmpfs) to the host VM's stock virtio_blk
# over the real endpoint function: pci-blk.vm.sh in the host VM (ext2 with
# random files, umount, mount, sha256; 64 MiB written O_DIRECT and read
# back), then the backing file's first 64 MiB hashed inside the card VM
# against the host VM's pattern. The pair: tests/rig/scripts/pair-lib.sh.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
pair_card_prelude "CARD_SETUP='truncate -s 96M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img'"
vmrc=0
if pair_card_start 300; then
	t=$(kb_now)
	kb_vm "$KB_SCRIPTS/pci-blk.vm.sh" --timeout 600
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t") s"
	want=$(tr -d '\r' <"$KB_CONSOLE" | grep -a -o '^@@PATTERN [0-9a-f]*' | awk '{print $2}')
	pair_card_run sum 360 'echo "@@OUT sum $(head -c $((64 << 20)) /tmp/disk.img | sha256sum | cut -d" " -f1)"'
	got=$(pair_card_out sum)
	kb_check "the card VM's backing file holds the 64 MiB the host VM wrote" \
		test -n "$want" -a "$want" = "$got"
	pair_card_run stats 30 'ctl stats | sed "s/^/@@OUT stats /"'
	pair_card_out stats | grep -E '^(rx_msgs|tx_msgs|drop|epf\.|uio\.)' | head -n 12 | tr '\n' ' ' |
		sed "s/^/$KB_NAME: card stats: /"
	echo
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
