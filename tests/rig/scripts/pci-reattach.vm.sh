# [DEAD-2] in place: the card drops the session (link down as seen by the
# card) and re-enters READY on a new epoch; the bus notices (PING), removes
# the devices, attaches again and re-enumerates: the devices come back.
ROUNDS=${ROUNDS:-3}
load_bus
check "virtio-blk within 20 s" wait_for 20 have_blk
dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
r=1
while [ $r -le "$ROUNDS" ]; do
	e0=$(stat_get epoch)
	a0=$(stat_get attaches)
	mark "ready-$r"
	t=$(up)
	# The dead state can be brief (the card is READY again at once), so
	# watch the counters, not the transient state.
	# LOSS_WITHIN: the card-VM rig allows 16 PING misses (8 s), not 3.
	if ! wait_for "${LOSS_WITHIN:-15}" sh -c '[ "$(awk "\$1==\"attaches\"{print \$2}" '"$(stats_file)"')" -gt '"$a0"' ] || [ "$(awk "\$1==\"state\"{print \$2}" '"$(stats_file)"')" != RUN ]'; then
		bad "round $r: session loss noticed within ${LOSS_WITHIN:-15} s"
		break
	fi
	d=$(since "$t")
	if ! wait_for 20 sh -c '[ "$(awk "\$1==\"state\"{print \$2}" '"$(stats_file)"')" = RUN ] && [ -n "$(ls /sys/bus/virtio/drivers/virtio_blk/ | grep virtio)" ]'; then
		bad "round $r: attached again with the disk back within 20 s"
		break
	fi
	wait_for 10 have_blk
	B=/dev/$(blk_dev)
	if ! dd if=/tmp/pat of="$B" bs=64k count=16 oflag=direct 2>/dev/null ||
		! dd if="$B" bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/pat; then
		bad "round $r: disk works after the re-attach"
		break
	fi
	e1=$(stat_get epoch)
	if [ "$e0" = "$e1" ]; then
		bad "round $r: new epoch"
		break
	fi
	ok "round $r: loss noticed in ${d} s, re-attached (epoch $e0 -> $e1) in $(since "$t") s, disk works"
	r=$((r + 1))
done
stat_show 'state|attaches|peer_dead|ping_misses|devices_added|devices_removed|drop_stale_epoch'
check "attached $((ROUNDS + 1)) times" [ "$(stat_get attaches)" = $((ROUNDS + 1)) ]
finish
