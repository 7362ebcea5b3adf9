#!/usr/bin/env bash
# (c) virtio-rng through vmsg_pci: /dev/hwrng gives data; at poweroff the
# driver's shutdown DETACHes. About 5 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
kb_card_start --rng
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-rng.vm.sh" --timeout 120
rc=$?
kb_say "VM run took $(kb_since "$t") s"
# [DET-4]: poweroff -f runs the driver's shutdown, which detaches.
kb_check "shutdown detached the card" \
	sh -c "tr -d '\\r' <'$KB_CONSOLE' | grep -a -q 'vmsg_pci .*shutdown: card detached'"
kb_finish $rc
