#!/usr/bin/env bash
# docs/vmsg-pci.md, "Naming the card in lspci": the documented commands,
# run against a crafted `lspci -F` dump (a card 766d:0001 with subsystem
# 766d:0001 and class ff0000, and an Intel e1000 at 00:03.0), name the card
# from vmsg-pcie.ids and still name the other device from the system list.
# Usage: local_ids.sh IDS_FILE. Exit 77 (skipped) without lspci or pci.ids.
set -uo pipefail
ids=$1
sys=/usr/share/misc/pci.ids
command -v lspci >/dev/null || { echo "SKIP: no lspci (Debian package pciutils)"; exit 77; }
[ -r "$sys" ] || { echo "SKIP: no $sys (Debian package pci.ids)"; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-local-ids.XXXXXX")
trap 'rm -rf "$t"' EXIT
cat >"$t/dump" <<'DUMP'
00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)
00: 86 80 0e 10 07 01 00 00 03 00 00 02 00 00 00 00
10: 00 00 00 fe 00 00 00 00 00 00 00 00 00 00 00 00
20: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11
30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00

01:00.0 Unassigned class [ff00]: Device 766d:0001
00: 6d 76 01 00 06 00 10 00 01 00 00 ff 00 00 00 00
10: 00 00 00 fd 00 00 00 00 00 00 00 00 00 00 00 00
20: 00 00 00 00 00 00 00 00 00 00 00 00 6d 76 01 00
30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
DUMP
fails=0
expect() { # expect WHAT PATTERN OUTPUT
	if grep -q -F -- "$2" <<<"$3"; then
		echo "ok   $1"
	else
		echo "FAIL $1: no '$2' in:"
		echo "$3"
		fails=$((fails + 1))
	fi
}
reject() {
	if grep -q -F -- "$2" <<<"$3"; then
		echo "FAIL $1: '$2' in:"
		echo "$3"
		fails=$((fails + 1))
	else
		echo "ok   $1"
	fi
}
out=$(lspci -F "$t/dump" -nn -d 766d: 2>/dev/null)
expect "the system list has no name for 766d (unregistered)" "Device [766d:0001]" "$out"
reject "lspci -d 766d: shows only the card" "00:03.0" "$out"
out=$(lspci -F "$t/dump" -nn -i "$ids" -d 766d: 2>/dev/null)
expect "-i vmsg-pcie.ids names the card" \
	"01:00.0 Unassigned class [ff00]: vmsg-pcie (local ids, not registered) virtio-msg PCIe card [766d:0001]" "$out"
cat "$sys" "$ids" >"$t/all.ids"
out=$(lspci -F "$t/dump" -nnv -i "$t/all.ids" 2>/dev/null)
expect "system list + ours: the card named" "virtio-msg PCIe card [766d:0001]" "$out"
expect "system list + ours: its subsystem named" \
	"Subsystem: vmsg-pcie (local ids, not registered) virtio-msg PCIe card [766d:0001]" "$out"
expect "system list + ours: other devices still named" "Intel Corporation 82540EM" "$out"
echo "$((6 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
