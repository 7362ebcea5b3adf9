# (d) the bus goes away and comes back while its devices are in use:
# rmmod/modprobe vmsg_pci N times, PCI remove + rescan, function reset.
# "In use": ext2 mounted from the virtio-blk disk with a reader looping
# over a file, a /dev/hwrng reader, eth0 (virtio-net) up.
N=${RELOADS:-20}
PCI=/sys/bus/pci/devices/0000:01:00.0
all_devs() { blk_ready && dev_of_type 4 >/dev/null && dev_of_type 1 >/dev/null; }
BG=
start_use() {
	B=/dev/$(blk_dev)
	mount -t ext2 -o ro "$B" /mnt/d || return 1
	(cd /mnt/d && sha256sum -c /tmp/sums >/dev/null) || return 1
	(while cat /mnt/d/f >/dev/null 2>&1; do :; done) &
	BG="$!"
	(while dd if=/dev/hwrng of=/dev/null bs=64 count=4 2>/dev/null; do :; done) &
	BG="$BG $!"
	ip link set eth0 up 2>/dev/null
	sleep 0.2
}
stop_use() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	BG=
	umount /mnt/d 2>/dev/null || umount -l /mnt/d 2>/dev/null
}

load_bus
check "net, blk and rng devices within 20 s" wait_for 20 all_devs
B=/dev/$(blk_dev)
mkfs.ext2 -q "$B" >/dev/null 2>&1
mkdir -p /mnt/d
mount -t ext2 "$B" /mnt/d && dd if=/dev/urandom of=/mnt/d/f bs=64k count=32 2>/dev/null
(cd /mnt/d && sha256sum f) >/tmp/sums
umount /mnt/d

t0=$(up)
i=1
okc=0
while [ $i -le "$N" ]; do
	if ! start_use; then
		bad "round $i: filesystem usable and intact"
		break
	fi
	t=$(up)
	if ! rmmod vmsg_pci; then
		bad "round $i: rmmod vmsg_pci"
		break
	fi
	rt=$(since "$t")
	if ! have_exactly 0; then
		bad "round $i: every virtio device gone after rmmod"
		break
	fi
	stop_use
	t=$(up)
	modprobe vmsg_pci
	if ! wait_for 20 all_devs; then
		bad "round $i: devices back after modprobe"
		break
	fi
	say "round $i: rmmod ${rt} s, back in $(since "$t") s"
	okc=$((okc + 1))
	i=$((i + 1))
done
check "$N rmmod/modprobe rounds with the devices in use ($(since "$t0") s)" [ "$okc" = "$N" ]

check "filesystem still intact" start_use
t=$(up)
check "PCI remove with the devices in use" sh -c "echo 1 > $PCI/remove"
check "the devices are gone" have_exactly 0
say "PCI remove took $(since "$t") s"
stop_use
t=$(up)
echo 1 >/sys/bus/pci/rescan
check "devices back after a PCI rescan within 20 s" wait_for 20 all_devs
say "rescan: back in $(since "$t") s"

if [ -e "$PCI/reset" ]; then
	check "filesystem usable before the reset" start_use
	t=$(up)
	check "function reset with the devices in use" sh -c "echo 1 > $PCI/reset"
	stop_use
	check "devices back after the reset within 20 s" wait_for 20 all_devs
	say "reset: devices back in $(since "$t") s"
	check "filesystem intact after the reset" start_use
	stop_use
else
	bad "no $PCI/reset: the function reset (FLR-H-1) cannot be tested"
fi
stat_show 'state|attaches|detaches|devices_added|devices_removed|request_timeouts|drop_no_device'
check "no request timed out since the last load" [ "$(stat_get request_timeouts)" = 0 ]
# An event dropped for a device not yet published was the lost EVENT_USED
# that left a partition scan (and the next mount) waiting forever.
check "no event dropped for an unknown device since the last load" [ "$(stat_get drop_no_device)" = 0 ]
finish
