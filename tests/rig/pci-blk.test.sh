#!/usr/bin/env bash
# (b) virtio-blk through vmsg_pci: mkfs.ext2, random files, umount, mount,
# sha256 verified; then 64 MiB written with O_DIRECT and read back, and the
# card's backing file checked from outside the VM. About 30-60 s under TCG.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 96M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img"
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-blk.vm.sh" --timeout 400 --mem 768M
rc=$?
kb_say "VM run took $(kb_since "$t") s"
want=$(tr -d '\r' <"$KB_CONSOLE" | grep -a -o '^@@PATTERN [0-9a-f]*' | awk '{print $2}')
got=$(head -c $((64 << 20)) "$KB_T/disk.img" | sha256sum | cut -d' ' -f1)
kb_check "the card's backing file holds the 64 MiB the VM wrote" \
	test -n "$want" -a "$want" = "$got"
kb_finish $rc
