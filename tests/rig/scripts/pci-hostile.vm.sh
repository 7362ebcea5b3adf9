# (i) the card attacks (vmsg-card --hostile all) while the VM does real
# work: every hostile message must be dropped and counted, nothing real
# lost, no kernel problem, no false peer death.
SECS=${SECS:-20}
load_bus
check "virtio-blk and rng within 20 s" wait_for 20 sh -c 'ls /sys/block | grep -q vd && ls /sys/bus/virtio/drivers/virtio_rng 2>/dev/null | grep -q virtio'
B=/dev/$(blk_dev)
mkfs.ext2 -q "$B" >/dev/null 2>&1
mkdir -p /mnt/d
check "mount" mount -t ext2 "$B" /mnt/d
t0=$(up)
n=0
fails=0
while awk -v a="$t0" -v b="$(up)" -v s="$SECS" 'BEGIN { exit !(b - a < s) }'; do
	dd if=/dev/urandom of=/tmp/p bs=64k count=8 2>/dev/null
	s=$(sha256sum </tmp/p | cut -d' ' -f1)
	cp /tmp/p /mnt/d/f$((n % 4)) && sync
	echo 3 >/proc/sys/vm/drop_caches
	[ "$(sha256sum </mnt/d/f$((n % 4)) | cut -d' ' -f1)" = "$s" ] || fails=$((fails + 1))
	dd if=/dev/hwrng of=/dev/null bs=64 count=2 2>/dev/null || fails=$((fails + 1))
	n=$((n + 1))
done
check "$n write/read/verify rounds under attack, $fails failure(s)" [ "$fails" = 0 -a "$n" -gt 0 ]
check "umount" umount /mnt/d
check "bus still RUN (no false peer death)" card_is RUN
check "no peer death declared" [ "$(stat_get peer_dead)" = 0 ]
check "the disk is still there" have_blk
stat_show 'drop_malformed|drop_ring_bad|drop_stale_epoch|drop_unmatched|drop_echo_mismatch|drop_no_device|drop_unsupported|request_timeouts|device_add_failures|event_device_rx|enumerations|rx_msgs'
grep drop_verdict "$(stats_file)" | tr '\n' ' ' | sed 's/^/vm: /'
echo
check "malformed messages were dropped" [ "$(stat_get drop_malformed)" -gt 0 ]
check "stale-epoch messages were dropped" [ "$(stat_get drop_stale_epoch)" -gt 0 ]
check "unmatched responses were dropped" [ "$(stat_get drop_unmatched)" -gt 0 ]
check "bad slots and producer indices were dropped" [ "$(stat_get drop_ring_bad)" -gt 0 ]
# The drop counters, for the host side to set against the card's attack
# counts; three times, as a kernel message on the console can cut a line
# (the host side takes each counter's largest value).
for _i in 1 2 3; do
	grep -E '^(drop_|device_add_failures |oob_irqs_no_queue )' "$(stats_file)" | sed 's/^/@@STAT /'
done
mark hostile-done
finish
