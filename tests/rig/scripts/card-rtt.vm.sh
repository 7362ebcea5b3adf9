# card-rtt (host VM side): the control round trip host VM -> card -> host
# VM, timed in batches of PINGs through vmsg_pci's debugfs atomic_ping
# (vp_bus_ops.request_atomic: the PING is sent and its answer busy-polled,
# one at a time). NCONF card configurations in turn (the harness changes the
# card between them: "@@MARK conf-N" asks for configuration N, the card's
# new epoch says it is there). BATCHES batches of about TARGET_MS each per
# configuration; every PING must be answered. Prints "@@RTT N MEAN_US"
# per batch (a batch's time / its PINGs, clock: /proc/timer_list).
NCONF=${NCONF:-1}
BATCHES=${BATCHES:-5}
TARGET_MS=${TARGET_MS:-1000}
ns() { awk '/^now at/ { print $3; exit }' /proc/timer_list; }
ap_ok() { awk '{ print $2 }' "$AP"; }
load_bus
check "attached (RUN) within 120 s" wait_for 120 card_is RUN
AP=$(dirname "$(stats_file)")/atomic_ping
check "vmsg_pci debugfs atomic_ping exists" test -w "$AP"
c=1
while [ $c -le "$NCONF" ] && [ "$VM_FAILS" = 0 ]; do
	if [ $c -gt 1 ]; then
		e0=$(stat_get epoch)
		mark "conf-$c"
		if ! wait_for 120 sh -c '[ "$(awk "\$1==\"epoch\"{print \$2}" '"$(stats_file)"')" != '"$e0"' ] && [ "$(awk "\$1==\"state\"{print \$2}" '"$(stats_file)"')" = RUN ]'; then
			bad "configuration $c: attached again on a new epoch within 120 s"
			break
		fi
	fi
	# warm-up, then a calibration batch for the batch size
	echo 20 >"$AP"
	o0=$(ap_ok)
	t0=$(ns)
	echo 50 >"$AP"
	t1=$(ns)
	per=$(((t1 - t0) / 50))
	[ "$per" -gt 0 ] || per=1
	n=$((TARGET_MS * 1000000 / per))
	[ "$n" -ge 20 ] || n=20
	[ "$n" -le 20000 ] || n=20000
	say "configuration $c: calibration $((per / 1000)) us per PING, batches of $n"
	b=1
	while [ $b -le "$BATCHES" ]; do
		o0=$(ap_ok)
		t0=$(ns)
		echo "$n" >"$AP"
		t1=$(ns)
		o1=$(ap_ok)
		if [ $((o1 - o0)) != "$n" ]; then
			bad "configuration $c batch $b: $((o1 - o0)) of $n PINGs answered ($(cat "$AP"))"
			break
		fi
		echo "@@RTT $c $(awk -v d=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.1f", d / n / 1000 }') $n"
		b=$((b + 1))
	done
	c=$((c + 1))
done
mark rtt-done
stat_show 'state|epoch|attaches|request_timeouts|drop_stale_epoch'
finish
