#!/usr/bin/env bash
# (c) virtio-rng through vmsg_pci: /dev/hwrng gives data. About 5 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
kb_card_start --rng
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-rng.vm.sh" --timeout 120
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
