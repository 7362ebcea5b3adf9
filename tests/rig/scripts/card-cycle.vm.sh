# card-cycle (host VM side): the card's endpoint function goes away and comes
# back ROUNDS times (unbind, start 0/1, rmmod/insmod: card-cycle.test.sh
# does them in the card VM after each "@@MARK ready-N"). Each round the bus
# must see its session end (a SHUTDOWN, or the link's new epoch found by a
# PING miss) and attach again on a new epoch with the disk back and working.
# Bounds are generous (a TCG card VM re-creating its function on a loaded
# machine): LOSS_WAIT s for the loss, BACK_WAIT s for the re-attach.
ROUNDS=${ROUNDS:-10}
LOSS_WAIT=${LOSS_WAIT:-120}
BACK_WAIT=${BACK_WAIT:-240}
sf() { stats_file; }
load_bus
check "virtio-blk within 30 s" wait_for 30 blk_ready
dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
r=1
while [ $r -le "$ROUNDS" ]; do
	e0=$(stat_get epoch)
	a0=$(stat_get attaches)
	s0=$(dmesg | grep -c "card link SHUTDOWN")
	mark "ready-$r"
	t=$(up)
	# The gap can be brief (the card is READY again quickly): watch the
	# counters, not only the transient state.
	if ! wait_for "$LOSS_WAIT" sh -c '[ "$(awk "\$1==\"attaches\"{print \$2}" '"$(sf)"')" -gt '"$a0"' ] || [ "$(awk "\$1==\"state\"{print \$2}" '"$(sf)"')" != RUN ]'; then
		bad "round $r: the session's end noticed within $LOSS_WAIT s"
		break
	fi
	d=$(since "$t")
	if ! wait_for "$BACK_WAIT" sh -c '[ "$(awk "\$1==\"state\"{print \$2}" '"$(sf)"')" = RUN ] && [ "$(awk "\$1==\"attaches\"{print \$2}" '"$(sf)"')" -gt '"$a0"' ] && [ -n "$(ls /sys/bus/virtio/drivers/virtio_blk/ | grep virtio)" ]'; then
		bad "round $r: attached again with the disk back within $BACK_WAIT s (state $(stat_get state))"
		break
	fi
	if ! wait_for 30 blk_ready; then
		bad "round $r: the disk is readable within 30 s of the re-attach"
		break
	fi
	B=/dev/$(blk_dev)
	if ! dd if=/tmp/pat of="$B" bs=64k count=16 oflag=direct 2>/dev/null ||
		! dd if="$B" bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/pat; then
		bad "round $r: the disk works after the re-attach (1 MiB written and read back)"
		break
	fi
	e1=$(stat_get epoch)
	if [ "$e0" = "$e1" ]; then
		bad "round $r: new epoch (still $e0)"
		break
	fi
	how="epoch changed"
	[ "$(dmesg | grep -c "card link SHUTDOWN")" -gt "$s0" ] && how="SHUTDOWN"
	ok "round $r: session end noticed in ${d} s ($how), re-attached (epoch $e0 -> $e1) in $(since "$t") s, disk works"
	r=$((r + 1))
done
mark rounds-done
stat_show 'state|attaches|attach_failures|detaches|peer_dead|ping_misses|devices_added|devices_removed|drop_stale_epoch|request_timeouts'
check "attached $((ROUNDS + 1)) times or more (attaches $(stat_get attaches))" \
	[ "$(stat_get attaches)" -ge $((ROUNDS + 1)) ]
check "no message of an old session delivered (drop_stale_epoch counts the dropped ones: $(stat_get drop_stale_epoch); malformed $(stat_get drop_malformed))" \
	[ "$(stat_get drop_malformed)" = 0 ]
finish
