#!/usr/bin/env bash
# scripts/demo-pair.sh - `make demo` part 3: the card as a real PCI endpoint
# function. Two QEMU VMs: the card VM, an Arm one by default (aarch64 virt
# machine, CARD_ARCH=arm64; CARD_ARCH=x86_64 for an x86 card VM) with a Linux
# kernel with the PCI endpoint framework and the rig's virtual endpoint
# controller, loads pci-epf-vmsg.ko,
# creates the function through configfs (the steps shown, from
# tests/rig/scripts/epf-configfs.sh) and runs `vmsg-card --platform epf` with
# a disk (a file in the card VM), a network interface (a tap in the card VM,
# 10.77.0.1) and rng; the host VM (Debian's kernel) loads virtio_msg.ko +
# vmsg_pci.ko, pings into the card VM and makes a file system on the card's
# disk. The card kernel is built on first use (scripts/build-card-kernel.sh
# --arch arm64, cross-built, about 10 minutes on 2 cores, then cached); the
# aarch64 vmsg-card comes from build-aarch64 (make) or VMSG_CARD_AARCH64.
# Ctrl-C stops both VMs and cleans up.
set -uo pipefail
KB_NAME=demo-part3
CARD_ARCH=${CARD_ARCH:-arm64}
# shellcheck source=tests/rig/scripts/kbus-lib.sh
. "$(dirname "$0")/../tests/rig/scripts/kbus-lib.sh"
# shellcheck source=tests/rig/scripts/pair-lib.sh
. "$(dirname "$0")/../tests/rig/scripts/pair-lib.sh"
pair_init
echo "In the $PAIR_ARCH card VM, as root (tests/rig/scripts/epf-configfs.sh up,):"
sed -n '/--- steps: up/,/--- end of steps/p' "$KB_SCRIPTS/epf-configfs.sh" | sed 's/^[[:space:]]*/  # /' |
	grep -v -- '---'
echo "  # vmsg-card --platform epf --link /run/vmsg-card --blk /tmp/disk.img --net tap:vmsg0,create --rng"
echo "  # ip addr add 10.77.0.1/24 dev vmsg0; ip link set vmsg0 up"
pair_card_prelude CARD_NET_ADDR=10.77.0.1/24 \
	"CARD_SETUP='truncate -s 64M /tmp/disk.img'" \
	"CARD_DEVS='--blk /tmp/disk.img --net tap:vmsg0,create --rng'"
t=$(kb_now)
rc=1
if pair_card_start 300; then
	tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a -E '^vm: |pci_epf_vmsg' | sed 's/^/  card VM| /'
	kb_say "card VM ready after $(kb_since "$t") s; booting the host VM (the checks follow)"
	kb_vm "$(dirname "$0")/demo-pair.guest.sh" --timeout 300
	rc=$?
	tr -d '\r' <"$KB_CONSOLE" | grep -a '^vm: ' | sed 's/^vm: /  host VM| /'
	pair_card_run stats 30 'ctl list | sed "s/^/@@OUT s /"; ctl stats | grep -E "^(link_state|epoch|rx_msgs|tx_msgs|drop_malformed) " | sed "s/^/@@OUT s /"'
	echo "card VM: vmsg-card ctl list; ctl stats (excerpt)"
	pair_card_out s | sed 's/^/  card VM| /'
fi
pair_card_finish
KB_FAILS=$((KB_FAILS + $(tr -d '\r' <"$KB_CONSOLE" | grep -a -c '^vm: FAIL - ')))
[ "$rc" = 0 ] || kb_bad "host VM status $rc"
if [ "$KB_FAILS" -eq 0 ]; then
	kb_say "PASS in $(kb_since "$KB_T0") s"
	exit 0
fi
kb_say "FAILED ($KB_FAILS check(s)) in $(kb_since "$KB_T0") s"
exit 1
