# scripts/demo-vm.guest.sh - the in-VM half of `make demo` part 2 (busybox
# sh; tests/rig/scripts/kbus-vm-lib.sh is prepended by the host half).
say "loading the project's modules: virtio_msg.ko, vmsg_pci.ko"
load_bus
check "4 virtio devices appear within 30 s" wait_for 30 have_ndev 4
for d in 1 2 3 4; do wait_for 20 sh -c "v=\$(dev_of_type $d) && [ -n \"\$(driver_of \$v)\" ]"; done
say "--- /sys/bus/virtio/devices (bound to the stock Linux drivers) ---"
for v in /sys/bus/virtio/devices/*; do
	ap=no
	feat_bit "$v" 33 && ap=yes
	say "$(basename "$v"): device id $(($(cat "$v/device"))), driver $(driver_of "$v"), ACCESS_PLATFORM negotiated: $ap"
done
say "--- virtio-net: ping the card's tap in the demo network namespace ---"
check "eth0 present" wait_for 20 test -e /sys/class/net/eth0
ip addr add 10.78.0.2/24 dev eth0
ip link set eth0 up
check "ping 10.78.0.1 answers within 20 s" wait_for 20 ping -c 1 -W 1 10.78.0.1
ping -c 3 -i 0.3 10.78.0.1 | sed 's/^/vm:   /'
say "--- virtio-blk: a file system on the card's disk ---"
b=$(blk_dev)
check "block device /dev/$b" test -b "/dev/$b"
mkfs.ext2 -q "/dev/$b" 2>/dev/null || mke2fs -q "/dev/$b"
mkdir -p /mnt/card
mount "/dev/$b" /mnt/card
dd if=/dev/urandom of=/mnt/card/hello.bin bs=1M count=8 2>/dev/null
sum=$(sha256sum </mnt/card/hello.bin | cut -d' ' -f1)
umount /mnt/card
mount "/dev/$b" /mnt/card
check "8 MiB file written, remounted, sha256 $sum verified" \
	sh -c "[ \"\$(sha256sum </mnt/card/hello.bin | cut -d' ' -f1)\" = $sum ]"
umount /mnt/card
say "--- virtio-rng ---"
say "current hwrng: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
check "/dev/hwrng gives 32 bytes" sh -c '[ "$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | wc -c)" = 32 ]'
say "32 random bytes from the card: $(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
say "--- virtio-console ---"
check "/dev/hvc0 exists" wait_for 10 test -c /dev/hvc0
echo "hello card, this is the host VM speaking through /dev/hvc0" >/dev/hvc0
say "--- the bus driver's counters (debugfs) ---"
stat_show 'state|epoch|tx_msgs|rx_msgs|irqs|request_timeouts|rx_malformed'
finish
