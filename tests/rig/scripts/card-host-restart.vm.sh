# card-host-restart (host VM side). PHASE=1: the first host VM attaches,
# writes to the card's disk in a loop and says "@@MARK io-running"; the
# harness then kills its QEMU. PHASE=2: a new host VM against the same
# running card VM attaches (the card's new epoch) and its disk works.
PHASE=${PHASE:-1}
load_bus
if [ "$PHASE" = 1 ]; then
	check "virtio-blk within 120 s" wait_for 120 blk_ready
	say "epoch $(stat_get epoch)"
	A=/dev/$(blk_dev)
	(while dd if=/dev/urandom of="$A" bs=64k count=64 oflag=direct 2>/dev/null; do :; done) &
	sleep 1
	mark io-running
	# the harness kills this VM's QEMU now; never get to the end
	sleep 600
	bad "still running 600 s after io-running"
	finish
fi
t=$(up)
check "attached (RUN) within 120 s" wait_for 120 card_is RUN
check "virtio-blk within 120 s" wait_for 120 blk_ready
say "attached with the disk in $(since "$t") s, epoch $(stat_get epoch)"
B=/dev/$(blk_dev)
dd if=/dev/urandom of=/tmp/pat bs=64k count=32 2>/dev/null
check "2 MiB written to the card's disk and read back" \
	sh -c "dd if=/tmp/pat of=$B bs=64k count=32 oflag=direct 2>/dev/null &&
		dd if=$B bs=64k count=32 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
check "rng bound" wait_for 30 sh -c 'ls /sys/bus/virtio/drivers/virtio_rng/ | grep -q virtio'
check "hwrng reads" sh -c '[ "$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)" = 16 ]'
stat_show 'state|epoch|attaches|attach_failures|drop_stale_epoch|drop_malformed|request_timeouts'
check "attached once (attaches $(stat_get attaches))" [ "$(stat_get attaches)" = 1 ]
check "nothing malformed from the card" [ "$(stat_get drop_malformed)" = 0 ]
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
finish
