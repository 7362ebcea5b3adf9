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
check "all atomic PINGs answered" sh -c "[ \"\$(cut -d' ' -f3 $A)\" = 0 ] && [ \"\$(cut -d' ' -f1 $A)\" -ge $((N / 3 * 6)) ]"
check "blk write/verify loop still running (no mismatch)" kill -0 $IO
kill $IO $RNG 2>/dev/null
wait 2>/dev/null
stat_show 'atomic_requests|deferred_by_atomic|request_timeouts|drop_unmatched|drop_deferred_full|rx_events|rx_responses'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
check "no unmatched response" [ "$(stat_get drop_unmatched)" = 0 ]
check "bus still RUN" card_is RUN
finish
