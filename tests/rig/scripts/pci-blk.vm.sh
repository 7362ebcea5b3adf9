# (b) virtio-blk: ext2 with random files survives umount/mount; 64 MiB
# written raw and read back.
load_bus
check "virtio-blk disk appears within 20 s" wait_for 20 have_blk
B=/dev/$(blk_dev)
[ -z "${EXPECT_IRQ_MODE:-}" ] ||
	check "bus uses irq_mode $EXPECT_IRQ_MODE" [ "$(stat_get irq_mode)" = "$EXPECT_IRQ_MODE" ]
say "disk $B, $(cat "/sys/block/$(blk_dev)/size") sectors"
mkdir -p /mnt/d
t=$(up)
check "mkfs.ext2 $B" sh -c "mkfs.ext2 -q -b 4096 $B 24M >/dev/null 2>&1 || mke2fs -q $B >/dev/null"
check "mount" mount -t ext2 "$B" /mnt/d
i=0
while [ $i -lt 8 ]; do
	dd if=/dev/urandom of=/mnt/d/f$i bs=64k count=$((i * 7 + 1)) 2>/dev/null
	i=$((i + 1))
done
mkdir -p /mnt/d/sub && dd if=/dev/urandom of=/mnt/d/sub/big bs=1M count=4 2>/dev/null
(cd /mnt/d && sha256sum f* sub/big) >/tmp/sums
check "umount (flushes through the card)" umount /mnt/d
echo 3 >/proc/sys/vm/drop_caches
check "mount again" mount -t ext2 -o ro "$B" /mnt/d
check "sha256 of 9 files after remount" sh -c "cd /mnt/d && sha256sum -c /tmp/sums >/dev/null"
umount /mnt/d
say "filesystem part took $(since "$t") s"

t=$(up)
dd if=/dev/urandom of=/tmp/pat bs=1M count=64 2>/dev/null
P=$(sha256sum </tmp/pat | cut -d' ' -f1)
echo "@@PATTERN $P"
t=$(up)
check "dd 64 MiB to $B (O_DIRECT)" dd if=/tmp/pat of="$B" bs=1M count=64 oflag=direct conv=fsync 2>/dev/null
w=$(since "$t")
say "64 MiB written in $w s"
echo 3 >/proc/sys/vm/drop_caches
t=$(up)
R=$(dd if="$B" bs=1M count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
say "64 MiB read back in $(since "$t") s"
check "read-back sha256 matches" [ "$R" = "$P" ]
rm -f /tmp/pat
stat_show 'tx_msgs|rx_msgs|irqs|doorbells|h2c_ring_full|avail_deferred|avail_coalesced|request_timeouts|drop_malformed'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
# [EVT-3]: nothing dropped by design; nothing still held back when idle.
W="$(stat_get avail_waiting)/$(stat_get avail_all_waiting)"
check "no EVENT_AVAIL left waiting ($W)" [ "$W" = 0/0 ]
mark dd-done
finish
