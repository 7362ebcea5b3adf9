#!/usr/bin/env bash
# scripts/demo-vm.sh - `make demo` part 2: stock Linux virtio drivers in a
# QEMU q35 VM (Debian's 6.1 kernel, TCG) over the emulated PCIe card.
# The card (vmsg-card --platform sim) runs in a network namespace it owns
# with a tap device (10.78.0.1/24) and offers net, blk (a 64 MiB image), rng
# and console; the VM loads virtio_msg.ko + vmsg_pci.ko, and the stock
# virtio_net, virtio_blk, virtio-rng and virtio_console drivers bind.
# Needs root (network namespace). About a minute.
set -uo pipefail
KB_NAME=demo
. "$(dirname "$0")/../tests/rig/scripts/kbus-lib.sh"
[ "$(id -u)" = 0 ] || kb_die "the VM demo needs root (it creates a network namespace)"
kb_init
NS=vmsgdemo$$
TAP=vmsgdemo0
# shellcheck disable=SC2317 # called through KB_CLEANUP_HOOK
demo_net_cleanup() { ip netns del "$NS" 2>/dev/null; }
KB_CLEANUP_HOOK=demo_net_cleanup
echo "\$ ip netns add $NS; ip -n $NS tuntap add dev $TAP mode tap; ip -n $NS addr add 10.78.0.1/24 dev $TAP"
ip netns add "$NS" || kb_die "ip netns add failed"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap || kb_die "cannot create $TAP"
ip -n "$NS" addr add 10.78.0.1/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
real=$VMSG_CARD
VMSG_CARD=$KB_T/card-in-ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$real" >"$VMSG_CARD"
chmod +x "$VMSG_CARD"
truncate -s 64M "$KB_T/disk.img"
echo "\$ ip netns exec $NS vmsg-card --platform sim --link $KB_LINK --host-mem $KB_RAM \\"
echo "      --net tap:$TAP --blk disk.img --rng --console stdio </dev/null"
kb_card_start --net "tap:$TAP" --blk "$KB_T/disk.img" --rng --console stdio </dev/null
echo "\$ vmsg-card ctl list"
kb_ctl list
echo "\$ tests/rig/run-host-vm --modules 'virtio_msg.ko vmsg_pci.ko' --ivshmem-socket $KB_LINK/ivshmem.sock --mem-path $KB_RAM ..."
echo "(booting Debian's kernel under QEMU TCG; the VM's own output follows)"
t=$(kb_now)
kb_vm "$(dirname "$0")/demo-vm.guest.sh" --timeout 300 --mem 512M
rc=$?
echo "card side, what the VM wrote on its console:"
grep -a 'hello card' "$KB_CARD_LOG" | sed 's/^/  card| /' || echo "  card| (nothing)"
echo "\$ vmsg-card ctl stats  (excerpt)"
kb_ctl stats | grep -E '^(link_state|epoch|rx_msgs|tx_msgs|drop_malformed|attaches) ' | sed 's/^/  /'
kb_say "VM part took $(kb_since "$t") s"
kb_finish $rc
