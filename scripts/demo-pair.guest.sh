# shellcheck shell=sh
# scripts/demo-pair.guest.sh - the host VM's half of `make demo` part 3
# (busybox sh; tests/rig/scripts/kbus-vm-lib.sh is prepended): the card VM's
# endpoint function seen through vmsg_pci and the stock virtio drivers, a
# ping into the card VM's own network stack, a file system on the card's
# disk (a file in the card VM).
say "loading the project's modules: virtio_msg.ko, vmsg_pci.ko"
load_bus || finish
check "3 virtio devices (blk, net, rng) appear within 30 s" wait_for 30 have_ndev 3
for v in /sys/bus/virtio/devices/*; do
	say "$(basename "$v"): device id $(($(cat "$v/device"))), driver $(driver_of "$v")"
done
dmesg | grep -a 'emulated link: card ids' | sed 's/^.*\] /vm: dmesg: /'
check "eth0 present" wait_for 20 test -e /sys/class/net/eth0
ip addr add 10.77.0.2/24 dev eth0
ip link set eth0 up
check "ping 10.77.0.1 (the card VM's tap) answers within 20 s" wait_for 20 ping -c 1 -W 1 10.77.0.1
ping -c 3 10.77.0.1 | sed 's/^/vm: /'
check "virtio-blk disk within 20 s" wait_for 20 blk_ready
B=/dev/$(blk_dev)
mkdir -p /mnt/card
check "mkfs.ext2 on $B (the card's disk)" sh -c "mke2fs -q $B >/dev/null 2>&1"
check "mount $B" mount -t ext2 "$B" /mnt/card
dd if=/dev/urandom of=/mnt/card/hello.bin bs=1M count=4 2>/dev/null
echo "hello from the host VM" >/mnt/card/hello.txt
S=$(sha256sum </mnt/card/hello.bin | cut -d' ' -f1)
check "umount (written through to the card VM)" umount /mnt/card
echo 3 >/proc/sys/vm/drop_caches
check "mount again, read only" mount -t ext2 -o ro "$B" /mnt/card
ls -l /mnt/card | sed 's/^/vm: /'
check "hello.bin reads back with its sha256" sh -c "[ \"\$(sha256sum </mnt/card/hello.bin | cut -d' ' -f1)\" = $S ]"
umount /mnt/card
finish
