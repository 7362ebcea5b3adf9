# Binding 7.5, out-of-band notifications, one VM per card mode (MODE):
#   oob:    OOB_NOTIFY negotiated: the disk's queue has a doorbell and a
#           vector, kicks are doorbell writes (no in-band EVENT_AVAIL) and
#           completions come on queue vectors; CYCLES disks are hot-added,
#           used and removed while dd writes to the first one, each taking
#           a doorbell and giving it back;
#   inband: the card does not offer it (vmsg-card --no-oob): the same host
#           module sends every EVENT_AVAIL in-band, no doorbell is mapped.
# OOB_VECTORS=0: the card has no queue vectors to give (an endpoint function
# with MSI only): doorbells out of band, EVENT_USED in-band. CYCLES=0: no
# hotplug (the host side of the test does not drive the card's ctl).
CYCLES=${CYCLES:-3}
nblk() { ls -d /sys/block/vd* 2>/dev/null | wc -l; }
nblk_is() { [ "$(nblk)" -eq "$1" ]; }
noob() { grep -c '^oob\.' "$(stats_file)"; }
noob_is() { [ "$(noob)" -eq "$1" ]; }
# io_ok DEV MIB: write a pattern with O_DIRECT, read it back, compare.
io_ok() {
	dd if=/dev/urandom of=/tmp/pat bs=1M count="$2" 2>/dev/null &&
		dd if=/tmp/pat of="$1" bs=1M count="$2" oflag=direct conv=fsync 2>/dev/null &&
		dd if="$1" bs=1M count="$2" iflag=direct 2>/dev/null | cmp -s - /tmp/pat
}
load_bus
check "disk within 20 s" wait_for 20 blk_ready
A=/dev/$(blk_dev)
f=$(stat_get features)
if [ "$MODE" = oob ]; then
	check "OOB_NOTIFY negotiated (features $f)" [ $((f & 16)) = 16 ]
	[ "${OOB_VECTORS:-1}" = 0 ] ||
		check "queue vectors enabled ($(stat_get oob_vectors) with vec_c2h)" [ "$(stat_get oob_vectors)" -ge 2 ]
	check "the disk's queue holds a doorbell" noob_is 1
	grep '^oob\.' "$(stats_file)" | sed 's/^/vm: /'
else
	check "OOB_NOTIFY not negotiated (features $f)" [ $((f & 16)) = 0 ]
	check "no queue holds a doorbell" noob_is 0
fi
e0=$(stat_get tx_events)
i0=$(stat_get oob_irqs)
check "16 MiB written and read back on $A" io_ok "$A" 16
e1=$(stat_get tx_events)
i1=$(stat_get oob_irqs)
say "during the I/O: in-band EVENT_AVAIL $((e1 - e0)), queue vector interrupts $((i1 - i0))"
if [ "$MODE" = oob ]; then
	check "no in-band EVENT_AVAIL for the mapped queue" [ "$e1" = "$e0" ]
	if [ "${OOB_VECTORS:-1}" = 0 ]; then
		check "no queue vector: completions in-band" [ "$i1" = 0 ]
	else
		check "completions came on the queue vector" [ "$i1" -gt "$i0" ]
	fi
	k=$(grep '^oob\.' "$(stats_file)" | awk '{ s += $NF } END { print s + 0 }')
	check "the doorbell was rung ($k kicks)" [ "$k" -gt 0 ]
else
	check "in-band EVENT_AVAIL sent" [ "$e1" -gt "$e0" ]
	check "no queue vector interrupt" [ "$i1" = 0 ]
fi

if [ "$MODE" = oob ] && [ "$CYCLES" -gt 0 ]; then
	( while dd if=/dev/zero of="$A" bs=64k count=64 oflag=direct 2>/dev/null; do :; done ) &
	IO=$!
	c=1
	while [ $c -le "$CYCLES" ]; do
		mark "add-$c"
		if ! wait_for 30 nblk_is 2; then
			bad "cycle $c: no hot-added disk after 30 s"
			break
		fi
		N=$(ls -d /sys/block/vd* | xargs -n1 basename | grep -v "^$(basename "$A")\$" | head -n 1)
		wait_for 20 sh -c "dd if=/dev/$N of=/dev/null bs=512 count=1 2>/dev/null"
		check "cycle $c: the hot-added disk's queue took a doorbell" noob_is 2
		check "cycle $c: 4 MiB written and read back on $N" io_ok "/dev/$N" 4
		mark "remove-$c"
		if ! wait_for 30 nblk_is 1; then
			bad "cycle $c: the removed disk $N is still there after 30 s"
			break
		fi
		check "cycle $c: its doorbell was given back" wait_for 10 noob_is 1
		check "cycle $c: the writer on $A still runs" kill -0 $IO
		c=$((c + 1))
	done
	kill $IO 2>/dev/null
	wait 2>/dev/null
	check "after the cycles: 4 MiB written and read back on $A" io_ok "$A" 4
fi
stat_show 'features|oob_vectors|oob_queues_mapped|oob_queues_inband|oob_irqs|oob_irqs_no_queue|tx_events|rx_events|irqs|doorbells|request_timeouts'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
mark done
finish
