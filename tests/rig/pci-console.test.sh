#!/usr/bin/env bash
# (h) virtio-console through vmsg_pci: the VM writes a line to /dev/hvc0,
# the test reads it from the card's pty and answers with a line carrying
# the same id, which the VM reads from /dev/hvc0. About 5 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
kb_card_start --console pty
pty=$(grep -o 'pty at /dev/pts/[0-9]*' "$KB_CARD_LOG" | head -n 1 | awk '{print $3}')
[ -n "$pty" ] || kb_die "no pty in the card log"
kb_say "card console on $pty"
kb_vm_bg "$KB_SCRIPTS/pci-console.vm.sh" --timeout 120
if line=$("$KB_SCRIPTS/pty-io.py" "$pty" 'hello-from-vm-([0-9a-f]+)\r?\n' \
	'hello-from-host-{1}' 60 2>"$KB_T/pty.err"); then
	kb_ok "the VM's line arrived on the card's pty: $line"
else
	kb_bad "the VM's line did not arrive on the pty: $(cat "$KB_T/pty.err")"
fi
kb_vm_wait
kb_finish $?
