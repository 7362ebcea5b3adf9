# [EMU-2], [EMU-7]: an ivshmem device that is not a card is not claimed
# (and not written): FOREIGN=no-header (no link page header, no magic) or
# FOREIGN=ids (a link page header whose ids are not in the id table).
P=/sys/bus/pci/devices/0000:01:00.0
check "the ivshmem device is there" test -e "$P/vendor"
load_bus
sleep 1
check "vmsg_pci did not bind it" test ! -e "$P/driver"
check "no vmsg_pci debugfs entry" sh -c '! ls /sys/kernel/debug/vmsg_pci/ 2>/dev/null | grep -q 0000'
check "no virtio device" have_exactly 0
check "vmsg_pci stays loaded" grep -q '^vmsg_pci ' /proc/modules
if [ "${FOREIGN:-}" = ids ]; then
	check "the probe says whose ids it saw and why not ours" \
		sh -c "dmesg | grep -q 'link page ids 1234:5678 (subsystem 1234:0002, class 020000) not in the id table: not ours'"
fi
finish
