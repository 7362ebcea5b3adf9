# The atomic request path (bus->ops->request_atomic: interrupts off, the
# requester polls the c2h ring itself) under load: PINGs through it, from
# the debugfs hook atomic_ping, while virtio-blk write/verify loops and an
# rng reader keep events and responses flowing through the same ring.
N=${PINGS:-30000}
load_bus
check "virtio-blk and rng within 20 s" wait_for 20 sh -c 'ls /sys/block | grep -q vd && ls /sys/bus/virtio/drivers/virtio_rng 2>/dev/null | grep -q virtio'
B=/dev/$(blk_dev)
A=$(dirname "$(stats_file)")/atomic_ping
dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null
(
	i=0
	while :; do
		dd if=/tmp/p of="$B" bs=64k count=16 seek=$((i % 8 * 16)) oflag=direct 2>/dev/null || exit 1
		dd if="$B" bs=64k count=16 skip=$((i % 8 * 16)) iflag=direct 2>/dev/null | cmp -s - /tmp/p || exit 2
		i=$((i + 1))
	done
) &
IO=$!
(while dd if=/dev/hwrng of=/dev/null bs=64 count=2 2>/dev/null; do :; done) &
RNG=$!
t=$(up)
r=0
while [ $r -lt 3 ]; do
	echo $((N / 3)) >"$A" &
	echo $((N / 3)) >"$A"
	wait $!
	r=$((r + 1))
done
say "$(cat "$A") (sent ok failed last_error) in $(since "$t") s"
# A PING answered later than the 1 s busy-wait (the soft card is a process
# on a shared machine and may not run for that long) fails with -ETIMEDOUT
# and its late response must be dropped as unmatched: never delivered to a
# later request, never lost. So: every failure is a timeout, each timeout has
# its late answer dropped, and they stay rare.
set -- $(cat "$A")
SENT=$1 FAILED=$3 LASTERR=$4
check "$SENT atomic PINGs sent" [ "$SENT" -ge $((N / 3 * 6)) ]
check "failures are timeouts only ($FAILED, last error $LASTERR)" \
	sh -c "[ $FAILED = 0 ] || [ $LASTERR = -110 ]"
check "at most 1 in 1000 timed out ($FAILED)" [ $((FAILED * 1000)) -le "$SENT" ]
check "blk write/verify loop still running (no mismatch)" kill -0 $IO
kill $IO $RNG 2>/dev/null
wait 2>/dev/null
stat_show 'atomic_requests|deferred_by_atomic|request_timeouts|drop_unmatched|drop_deferred_full|rx_events|rx_responses'
check "request timeouts = the atomic PINGs that failed ($FAILED)" [ "$(stat_get request_timeouts)" = "$FAILED" ]
w=0 # a late answer may still be on its way
while [ "$(stat_get drop_unmatched)" != "$FAILED" ] && [ $w -lt 50 ]; do
	sleep 0.1
	w=$((w + 1))
done
check "every late answer dropped as unmatched, none lost ($FAILED)" [ "$(stat_get drop_unmatched)" = "$FAILED" ]
check "bus still RUN" card_is RUN
finish
