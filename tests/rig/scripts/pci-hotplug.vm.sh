# (f) hotplug while I/O runs: the host side adds and removes devices with
# `vmsg-card ctl` while dd keeps writing to the first disk (vda).
# HP_WAIT: seconds allowed for each add or removal to show (default 20;
# the card-VM pair, card-hotplug.test.sh, allows more).
CYCLES=${CYCLES:-5}
HP_WAIT=${HP_WAIT:-20}
nblk() { ls -d /sys/block/vd* 2>/dev/null | wc -l; }
nblk_is() { [ "$(nblk)" -eq "$1" ]; }
rng_bound() { ls /sys/bus/virtio/drivers/virtio_rng/ 2>/dev/null | grep -q virtio; }
load_bus
check "first disk within $HP_WAIT s" wait_for "$HP_WAIT" have_blk
A=/dev/$(blk_dev)
( while dd if=/dev/zero of="$A" bs=64k count=128 oflag=direct 2>/dev/null; do :; done ) &
IO=$!
dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
c=1
while [ $c -le "$CYCLES" ]; do
	mark "add-$c"
	t=$(up)
	if ! wait_for "$HP_WAIT" nblk_is 2; then
		bad "cycle $c: no hot-added disk after $HP_WAIT s ($(nblk) disk(s), expected 2)"
		break
	fi
	N=$(ls -d /sys/block/vd* | xargs -n1 basename | grep -v "^$(basename "$A")\$" | head -n 1)
	at=$(since "$t")
	if ! dd if=/tmp/pat of=/dev/$N bs=64k count=16 oflag=direct 2>/dev/null ||
		! dd if=/dev/$N bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/pat; then
		bad "cycle $c: writing or reading back the hot-added disk $N failed"
		break
	fi
	if [ "${BUSY_REMOVE:-1}" = 1 ]; then
		( while dd if=/tmp/pat of=/dev/$N bs=64k count=16 oflag=direct 2>/dev/null; do :; done ) &
		IO2=$!
	fi
	mark "remove-$c"
	t=$(up)
	if ! wait_for "$HP_WAIT" nblk_is 1; then
		bad "cycle $c: the hot-removed disk $N is still there after $HP_WAIT s"
		break
	fi
	[ "${BUSY_REMOVE:-1}" = 1 ] && ! wait_for 10 sh -c "! kill -0 $IO2 2>/dev/null" && {
		bad "cycle $c: the writer of the removed disk $N still runs 10 s after the removal (its I/O did not fail)"
		break
	}
	if ! kill -0 $IO 2>/dev/null; then
		bad "cycle $c: the writer on $A ended (its dd failed during the hotplug of $N)"
		break
	fi
	ok "cycle $c: $N added in $at s, used, removed in $(since "$t") s$([ "${BUSY_REMOVE:-1}" = 1 ] && echo ' while being written'), dd on $A unaffected"
	c=$((c + 1))
done
mark rng-add
check "hot-added rng bound within $HP_WAIT s" wait_for "$HP_WAIT" rng_bound
( while dd if=/dev/hwrng of=/dev/null bs=64 count=1 2>/dev/null; do :; done ) &
RNGIO=$!
sleep 0.5
mark rng-remove
check "rng hot-removed while being read" wait_for "$HP_WAIT" sh -c '! ls /sys/bus/virtio/drivers/virtio_rng/ | grep -q virtio'
kill $RNGIO 2>/dev/null
check "the writer on $A still runs (it survived all of it)" kill -0 $IO
kill $IO
wait 2>/dev/null
stat_show 'event_device_rx|devices_added|devices_removed|request_timeouts|drop_no_device|requests_failed'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
finish
