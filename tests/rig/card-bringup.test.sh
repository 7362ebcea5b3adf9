#!/usr/bin/env bash
# card-bringup: the card-VM pair (tests/rig/scripts/pair-lib.sh). The card VM
# creates a pci-epf-vmsg function through configfs with the documented steps
# (tests/rig/scripts/epf-configfs.sh, quoted by docs/epf-chardev.md) and a
# vendor/device id of a product (accepted by the id table's subsystem +
# class rule), and runs `vmsg-card --platform epf` with blk, net (its own
# tap), rng and console; the host VM (vmsg_pci) matches the function by
# those ids and the four stock virtio drivers bind (pci-devices.vm.sh).
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"

# The documented steps are the ones the test runs.
doc_steps() { sed -n '/--- steps: up/,/--- end of steps/p' "$1" | sed 's/^[[:space:]]*//'; }
kb_check "docs/epf-chardev.md quotes the steps of tests/rig/scripts/epf-configfs.sh" \
	cmp -s <(doc_steps "$KB_TOP/docs/epf-chardev.md") <(doc_steps "$KB_TOP/tests/rig/scripts/epf-configfs.sh")
[ -n "$(doc_steps "$KB_TOP/docs/epf-chardev.md")" ] || kb_bad "no steps block in docs/epf-chardev.md"

pair_init
pair_card_prelude VENDORID=0x10ee DEVICEID=0x9038 \
	"CARD_SETUP='truncate -s 16M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img --net tap:vmsg0,create --rng --console pty'"
t=$(kb_now)
if pair_card_start 300; then
	kb_say "card VM ready after $(kb_since "$t") s"
	pair_card_run ids 30 'for a in vendorid deviceid subsys_vendor_id subsys_id baseclass_code; do echo "@@OUT ids $a $(cat /sys/kernel/config/pci_ep/functions/pci_epf_vmsg/func0/$a)"; done'
	ids=$(pair_card_out ids | while read -r a v; do printf '%s=%#x ' "$a" "$((v))"; done)
	kb_check "configfs holds the product ids ($ids)" \
		test "$ids" = "vendorid=0x10ee deviceid=0x9038 subsys_vendor_id=0x766d subsys_id=0x1 baseclass_code=0xff "
	t=$(kb_now)
	kb_vm "$KB_SCRIPTS/pci-devices.vm.sh" --timeout 300
	vmrc=$?
	kb_say "host VM run took $(kb_since "$t") s"
	kb_check "the host driver matched the function by the configfs ids" \
		grep -a -q 'emulated link: card ids 10ee:9038 (subsystem 766d:0001, class ff0000)' "$KB_CONSOLE"
	pair_card_run stats 30 'ctl stats | sed "s/^/@@OUT stats /"; ctl list | sed "s/^/@@OUT list /"'
	kb_check "card: ctl list shows 4 devices" test "$(pair_card_out list | grep -c dev_num)" -ge 4 -o \
		"$(pair_card_out list | grep -c -E 'net|blk|rng|console')" -ge 4
	pair_card_out stats | grep -E '^(state|link|epoch|rx_msgs|tx_msgs)' | head -n 8 | sed "s/^/$KB_NAME: card stats: /"
else
	vmrc=0
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
