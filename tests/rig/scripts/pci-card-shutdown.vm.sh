# [FLR-H-4], [IRQ-2]: the card shuts down cleanly (SIGTERM: EVENT_DEVICE
# REMOVED for every device, link SHUTDOWN, one interrupt) while a blk read
# loop and an hwrng reader run. From the prelude: MODE (irq or poll),
# VMSG_PCI_ARGS, GONE_MAX and END_MAX (guest seconds from the first sign
# of the shutdown to every device removed, and to the session ended).
load_bus
check "virtio-blk disk within 20 s" wait_for 20 have_blk
check "hw_random uses virtio_rng within 10 s" \
	wait_for 10 sh -c 'grep -q virtio_rng /sys/class/misc/hw_random/rng_current'
if [ "$MODE" = poll ]; then
	check "bus polls (irq_mode 0)" [ "$(stat_get irq_mode)" = 0 ]
else
	check "bus uses interrupts (irq_mode $(stat_get irq_mode))" [ "$(stat_get irq_mode)" != 0 ]
fi
B=/dev/$(blk_dev)
N0=$(ndev)
dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
check "write 1 MiB before the shutdown" dd if=/tmp/pat of="$B" bs=64k count=16 oflag=direct 2>/dev/null
( while :; do dd if="$B" of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null || exit 0; done ) &
RDPID=$!
( while :; do dd if=/dev/hwrng of=/dev/null bs=64 count=1 2>/dev/null || exit 0; done ) &
RNGPID=$!
sleep 0.5
check "blk reader running" kill -0 $RDPID
check "hwrng reader running" kill -0 $RNGPID
pm0=$(stat_get ping_misses)
ev0=$(stat_get event_device_rx)
rm0=$(stat_get devices_removed)
mark io-running

# Poll every 50 ms: the first sign of the shutdown (card.link_state, read
# live from the card's registers, no longer RUN; a device gone; the session
# ended), then every device removed (t_devs) and the session ended (t_end).
# One process per sample (the stats file: state, card.link_state and the
# bus's device count), and the guest clock read right after it: a sample
# of several processes takes long enough under TCG on a loaded machine
# (0.5-1 s seen) to skew the measured times by as much as the bounds.
f=$(stats_file)
nd0=$(stat_get devices)
t_sig=
t_devs=
t_end=
read -r t0 _ </proc/uptime
while :; do
	# shellcheck disable=SC2046
	set -- $(awk 'BEGIN { s = "none"; l = "none"; n = -1 }
		$1 == "state" { s = $2 } $1 == "card.link_state" { l = $2 }
		$1 == "devices" { n = $2 } END { print s, l, n }' "$f" 2>/dev/null) none none -1
	st=$1 ls=$2 n=$3
	read -r now _ </proc/uptime
	if [ -z "$t_sig" ] && { [ "$n" -lt "$nd0" ] || [ "$st" != RUN ] || [ "$ls" != RUN ]; }; then
		t_sig=$now
		say "first sign of the shutdown: link $ls, state $st, $n device(s)"
	fi
	[ -n "$t_sig" ] && [ -z "$t_devs" ] && [ "$n" -eq 0 ] && t_devs=$now
	[ -n "$t_sig" ] && [ -z "$t_end" ] && [ "$st" != RUN ] && t_end=$now
	[ -n "$t_devs" ] && [ -n "$t_end" ] && break
	[ "${now%.*}" -ge $((${t0%.*} + 30)) ] && break
	sleep 0.05
done
if [ -z "$t_devs" ] || [ -z "$t_end" ]; then
	bad "devices removed and session ended within 30 s (link ${ls:-?}, state ${st:-?}, $(ndev) device(s))"
	# shellcheck disable=SC2009
	ps | grep -E ' D |kworker' | head -n 5
	stat_show 'state|card.link_state|ping_misses|peer_dead|event_device_rx|devices_removed'
	dmesg | tail -n 20
	finish
fi
# Snapshot of the stats of the ended session (the host restarts the card
# and replugs the ivshmem device once "restart" is marked below).
cp "$(stats_file)" /tmp/stats-end
mark removed
snap() { awk -v k="$1" '$1 == k { print $2 }' /tmp/stats-end; }
d=$(awk -v a="$t_sig" -v b="$t_devs" 'BEGIN { printf "%.2f", b - a }')
check "every device removed $d s after the first sign (<= $GONE_MAX s, guest clock)" \
	awk -v d="$d" -v m="$GONE_MAX" 'BEGIN { exit !(d <= m) }'
d=$(awk -v a="$t_sig" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }')
check "session ended $d s after the first sign (<= $END_MAX s, guest clock)" \
	awk -v d="$d" -v m="$END_MAX" 'BEGIN { exit !(d <= m) }'
say "state $(snap state), card link $(snap card.link_state)"
check "card link is SHUTDOWN" [ "$(snap card.link_state)" = SHUTDOWN ]
check "session ended by the card's SHUTDOWN (dmesg)" \
	sh -c "dmesg | grep -q 'link to the card lost (card shut down)'"
check "not declared dead by PING misses (dmesg)" \
	sh -c "! dmesg | grep -q 'link to the card lost (PING not answered)'"
pm=$(($(snap ping_misses) - pm0))
check "PING misses during the shutdown: $pm (< 3, never the dead threshold)" [ "$pm" -lt 3 ]
ev=$(($(snap event_device_rx) - ev0))
check "EVENT_DEVICE messages received: $ev (>= $N0, one REMOVED per device)" [ "$ev" -ge "$N0" ]
rmv=$(($(snap devices_removed) - rm0))
check "devices_removed +$rmv (>= $N0)" [ "$rmv" -ge "$N0" ]
check "the blk reader got an error and ended within 10 s" wait_for 10 sh -c "! kill -0 $RDPID 2>/dev/null"
check "the hwrng reader got an error and ended within 10 s" wait_for 10 sh -c "! kill -0 $RNGPID 2>/dev/null"
grep -E '^(state|card.link_state|ping_misses|peer_dead|requests_failed|event_device_rx|devices_removed) ' /tmp/stats-end |
	tr '\n' ' ' | sed 's/^/vm: stats: /'
echo
dmesg | grep -E 'vmsg_pci.*(shut down|link to the card)' | sed 's/^/vm: dmesg: /'

# The host side restarts the card and replugs the ivshmem device.
mark restart
t=$(up)
check "devices back within 90 s" wait_for 90 have_blk
mark back
say "back $(since "$t") s after the removal"
B=/dev/$(blk_dev)
check "bus RUN again" wait_for 10 card_is RUN
check "$N0 devices again" wait_for 10 have_ndev "$N0"
if [ "$MODE" = poll ]; then
	check "bus polls again (irq_mode 0)" [ "$(stat_get irq_mode)" = 0 ]
fi
check "write 1 MiB after the restart" dd if=/tmp/pat of="$B" bs=64k count=16 oflag=direct 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
check "read it back" sh -c "dd if=$B bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
check "hw_random uses virtio_rng again" \
	wait_for 10 sh -c 'grep -q virtio_rng /sys/class/misc/hw_random/rng_current'
dd if=/dev/hwrng of=/tmp/r bs=256 count=4 2>/dev/null
check "/dev/hwrng gives 1024 bytes again" [ "$(wc -c </tmp/r)" = 1024 ]
finish
