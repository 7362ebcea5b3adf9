#!/usr/bin/env bash
# (a) The four devices of the soft card (net, blk, console, rng) bind to
# Linux's stock virtio drivers over vmsg_pci, with the right device ids and
# VIRTIO_F_ACCESS_PLATFORM (bit 33) negotiated. About 10 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 16M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng --net loopback --console pty
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-devices.vm.sh" --timeout 120
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
