#!/usr/bin/env bash
# (e) vmsg-card is killed with SIGKILL while dd writes to its virtio-blk
# disk. The VM must declare the card dead within PING interval x misses
# (0.5 s x 3, plus one interval of phase and TCG slack: 4 s allowed),
# remove the devices and not hang. Then the card is restarted on the same
# link directory and, since QEMU's ivshmem cannot take a new shared memory
# on a live connection, the ivshmem device is replugged through QMP
# (device_del, pciehp, device_add): the devices come back and work.
# PCI_CARD_KILL_IO=0 kills the card while the disk is idle instead (checks
# the bus's part alone when in-flight I/O of a dead device cannot complete).
# About 40 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
DETECT_MAX=${DETECT_MAX:-4.0}
truncate -s 64M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng
QMP=$KB_T/qmp.sock
kb_vm_prelude "KILL_IO=${PCI_CARD_KILL_IO:-1}"
kb_vm_bg "$KB_SCRIPTS/pci-card-kill.vm.sh" --timeout 150 --qmp "$QMP"

if kb_wait_mark io-running 60; then
	sleep 1
	tk=$(kb_now)
	kb_card_stop KILL
	kb_say "vmsg-card killed (SIGKILL)$([ "${PCI_CARD_KILL_IO:-1}" = 1 ] && echo ' during I/O')"
	if kb_wait_mark dead 20; then
		d=$(kb_since "$tk")
		kb_check "death detected in $d s (<= $DETECT_MAX s)" \
			awk -v d="$d" -v m="$DETECT_MAX" 'BEGIN { exit !(d <= m) }'
	else
		kb_bad "death not detected within 20 s"
	fi
	if kb_wait_mark removed 40; then
		kb_ok "devices removed $(kb_since "$tk") s after the kill"
		kb_card_start --blk "$KB_T/disk.img" --rng
		kb_say "vmsg-card restarted; replugging the ivshmem device"
		tr=$(kb_now)
		if "$KB_SCRIPTS/qmp.py" "$QMP" --timeout 30 \
			'device_del:{"id":"vmsgcard"}' wait:DEVICE_DELETED:30 \
			'chardev-remove:{"id":"ivs"}' \
			"chardev-add:{\"id\":\"ivs\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\",\"data\":{\"path\":\"$KB_LINK/ivshmem.sock\"}},\"server\":false}}}" \
			'device_add:{"driver":"ivshmem-doorbell","id":"vmsgcard","chardev":"ivs","vectors":8,"bus":"rp0"}' \
			>"$KB_T/qmp.log" 2>&1; then
			kb_ok "ivshmem device replugged in $(kb_since "$tr") s"
		else
			kb_bad "QMP replug failed: $(cat "$KB_T/qmp.log")"
		fi
		if kb_wait_mark back 120; then
			kb_ok "devices back $(kb_since "$tr") s after the restart"
		else
			kb_bad "devices did not come back"
		fi
	else
		kb_bad "devices not removed: the VM is stuck (see the console log)"
		kb_vm_abort 40
	fi
else
	kb_bad "the VM never started its I/O"
fi
kb_vm_wait
kb_finish $?
