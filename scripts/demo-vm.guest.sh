# shellcheck shell=sh
# scripts/demo-vm.guest.sh - the in-VM half of `make demo` part 2 (busybox
# sh; tests/rig/scripts/kbus-vm-lib.sh is prepended by the host half).
# Every step is a check: a device that does not appear or an I/O that fails
# is a "vm: FAIL" line and the demo fails. Helpers used through `wait_for`
# or `check` are functions of this shell, never called inside `sh -c` (a
# child shell does not have them).

# bound_to ID DRIVER: the virtio device with device id ID is bound to DRIVER.
bound_to() {
	_v=$(dev_of_type "$1") && is_bound "$_v" "$2"
}
# file_sum FILE WANT: FILE's sha256 is WANT.
file_sum() { [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$2" ]; }
# section TITLE: a heading with the guest time since the script started.
section() { say "--- $* --- (at $(since "$VM_T0") s)"; }
# rng_gives N: /dev/hwrng returns N bytes.
rng_gives() { [ "$(dd if=/dev/hwrng bs="$1" count=1 2>/dev/null | wc -c)" = "$1" ]; }

say "loading the project's modules: virtio_msg.ko, vmsg_pci.ko"
load_bus || finish
check "4 virtio devices appear within 30 s" wait_for 30 have_ndev 4
for t in "1 virtio_net net" "2 virtio_blk blk" "3 virtio_console console" "4 virtio_rng rng"; do
	# shellcheck disable=SC2086 # split "ID DRIVER NAME"
	set -- $t
	check "virtio-$3 (device id $1) bound to the stock $2 driver" wait_for 20 bound_to "$1" "$2"
done
[ "$VM_FAILS" -eq 0 ] || finish
section "/sys/bus/virtio/devices (bound to the stock Linux drivers)"
for v in /sys/bus/virtio/devices/*; do
	ap=no
	feat_bit "$v" 33 && ap=yes
	say "$(basename "$v"): device id $(($(cat "$v/device"))), driver $(driver_of "$v"), ACCESS_PLATFORM negotiated: $ap"
done

section "virtio-net: ping the card's tap in the demo network namespace"
check "eth0 present" wait_for 20 test -e /sys/class/net/eth0
check "eth0 configured 10.78.0.2/24 and up" ip addr add 10.78.0.2/24 dev eth0
ip link set eth0 up
check "ping 10.78.0.1 answers within 20 s" wait_for 20 ping -c 1 -W 1 10.78.0.1
if ping -c 3 -i 0.3 10.78.0.1 >/tmp/ping.out; then
	ok "3 more pings answered"
else
	bad "3 more pings answered"
fi
sed 's/^/vm:   /' /tmp/ping.out

section "virtio-blk: a file system on the card's disk"
b=$(blk_dev)
if check "block device /dev/$b" have_blk; then
	mkdir -p /mnt/card
	check "mkfs.ext2 /dev/$b" sh -c "mkfs.ext2 -q -b 4096 /dev/$b >/dev/null 2>&1"
	check "mount /dev/$b (ext2)" mount -t ext2 "/dev/$b" /mnt/card
	check "write a 4 MiB file" dd if=/dev/urandom of=/mnt/card/hello.bin bs=1M count=4 2>/dev/null
	sum=$(sha256sum </mnt/card/hello.bin | cut -d' ' -f1)
	check "unmount (the file is on the card's disk, not in the VM's RAM)" \
		sh -c "umount /mnt/card && ! test -e /mnt/card/hello.bin"
	check "mount again" mount -t ext2 "/dev/$b" /mnt/card
	check "4 MiB file read back from the card's disk, sha256 $sum verified" \
		file_sum /mnt/card/hello.bin "$sum"
	umount /mnt/card
fi

section "virtio-rng"
check "hw_random uses virtio_rng" wait_for 10 grep -q virtio_rng /sys/class/misc/hw_random/rng_current
check "/dev/hwrng gives 32 bytes" rng_gives 32
say "32 random bytes from the card: $(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"

section "virtio-console"
check "/dev/hvc0 exists" wait_for 10 test -c /dev/hvc0
check "a line written to /dev/hvc0" sh -c 'echo "hello card, this is the host VM speaking through /dev/hvc0" >/dev/hvc0'

section "the bus driver's counters (debugfs)"
stat_show 'state|epoch|tx_msgs|rx_msgs|irqs|request_timeouts|rx_malformed'
finish
