# (e) the card dies (SIGKILL) while dd writes; the bus must notice within
# PING interval x misses, remove the devices without hanging, and bring
# them back when the card returns.
load_bus
check "virtio-blk disk within 20 s" wait_for 20 have_blk
B=/dev/$(blk_dev)
dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
DDPID=
if [ "${KILL_IO:-1}" = 1 ]; then
	( while :; do dd if=/dev/zero of="$B" bs=64k count=256 oflag=direct 2>/dev/null || exit 0; done ) &
	DDPID=$!
	sleep 0.5
	check "dd is writing" kill -0 $DDPID
else
	say "KILL_IO=0: the card is killed while the disk is idle"
fi
mark io-running
t=$(up)
# DEAD_WITHIN: the card-VM rig allows 16 PING misses (8 s), not 3.
check "link declared dead within ${DEAD_WITHIN:-15} s" wait_for "${DEAD_WITHIN:-15}" card_is PEER_DEAD
mark dead
say "dead after $(since "$t") s (guest clock, from io-running)"
t=$(up)
if ! wait_for 30 have_exactly 0; then
	bad "every device removed within 30 s"
	ps | grep -E ' D |kworker' | head -n 5
	finish
fi
ok "every device removed"
mark removed
say "devices removed $(since "$t") s after detection"
[ -z "$DDPID" ] ||
	check "the writer got an error and ended within 20 s" wait_for 20 sh -c "! kill -0 $DDPID 2>/dev/null"
stat_show 'state|peer_dead|ping_misses|requests_failed|devices_removed'
# CARD_GONE=1 (card-vm-kill): the card does not come back.
[ "${CARD_GONE:-0}" = 1 ] && finish
# The host side restarts the card and replugs the ivshmem device.
t=$(up)
check "devices back within 90 s" wait_for 90 have_blk
mark back
say "back $(since "$t") s after removal"
B=/dev/$(blk_dev)
check "bus RUN again" wait_for 10 card_is RUN
check "write 1 MiB after the restart" dd if=/tmp/pat of="$B" bs=64k count=16 oflag=direct 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
check "read it back" sh -c "dd if=$B bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
finish
