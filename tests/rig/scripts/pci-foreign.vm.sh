# [EMU-2]: an ivshmem device whose memory does not start with the magic is
# not claimed (and not written).
P=/sys/bus/pci/devices/0000:01:00.0
check "the ivshmem device is there" test -e "$P/vendor"
load_bus
sleep 1
check "vmsg_pci did not bind it" test ! -e "$P/driver"
check "no vmsg_pci debugfs entry" sh -c '! ls /sys/kernel/debug/vmsg_pci/ 2>/dev/null | grep -q 0000'
check "no virtio device" have_exactly 0
check "vmsg_pci stays loaded" grep -q '^vmsg_pci ' /proc/modules
finish
