#!/usr/bin/env bash
# tests/pmd/pmd_test.sh - the net_vmsg PMD against a fresh soft card.
#
# Usage: pmd_test.sh MODE VMSG_CARD VMSG_CARD_TEST PMD_SO PMD_LOOP
#   loop     pmd_loop: 20000 frames (60..1514 bytes) through the card's net
#            loopback, every one intact and in order, counters exact
#   loop_poll  the same against a busy-polling card (--poll: the loopback
#            serves its rings from the poll loop, in bursts, without kicks)
#   testpmd_poll  testpmd as below against a busy-polling card; the PMD's
#            transmit kicks must stay rare (the card asks for none)
#   remove   pmd_loop, then `vmsg-card ctl remove` while the port runs: link
#            down, bursts empty; `ctl add net:loopback`: link up, frames again
#   testpmd  Debian's stock dpdk-testpmd -d PMD_SO, io forwarding started with
#            tx_first through the loopback for a few seconds: RX and TX
#            packets counted, no RX errors, clean exit
#   hostile  a hostile card (vmsg-card-test --hostile all, one attack every
#            5 ms) while testpmd forwards for 20 s: no crash, no hang, frames
#            still loop, the bus counters show the drops
#   usedrun  the card moves the used idx far ahead: the PMD counts it, takes
#            the port down for good, testpmd quits cleanly
#   kill     the card is SIGKILLed while testpmd forwards: port down, testpmd
#            quits cleanly within its bound
# Exit 0 pass, 1 fail. The card runs in a temp dir, killed at exit; every
# step is bounded by timeout.
set -uo pipefail
mode=$1 card=$2 card_test=$3 so=$4 app=$5
dir=$(mktemp -d /tmp/vmsg-pmd-test.XXXXXX)
cpid=
sodir=
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	rm -rf "$dir" /var/run/dpdk/"vmsg-pmd-$$"
	[ -n "$sodir" ] && rm -rf "$sodir"
}
trap cleanup EXIT

# DPDK loads a plugin only if neither it nor a directory above it is
# world-writable (a build tree under /tmp is): then load a private copy.
insecure() {
	local p
	p=$(realpath "$1")
	while :; do
		[ -n "$(find "$p" -maxdepth 0 -perm -o+w 2>/dev/null)" ] && return 0
		[ "$p" = / ] && return 1
		p=$(dirname "$p")
	done
}
if insecure "$so"; then
	base=${XDG_CACHE_HOME:-$HOME/.cache}/vmsg-pcie
	mkdir -p "$base" && chmod go-w "$base"
	sodir=$(mktemp -d "$base/pmd-test.XXXXXX")
	cp "$so" "$sodir/" && so=$sodir/$(basename "$so")
	insecure "$so" && { echo "pmd_test: no safe place for the PMD ($so)" >&2; exit 1; }
	echo "pmd_test: the build tree is under a world-writable directory: loading a copy, $so"
fi
fail() {
	echo "pmd_test $mode: FAIL: $*" >&2
	echo "---- card log ----" >&2
	tail -30 "$dir/card.log" >&2
	exit 1
}

card_args=()
case $mode in
loop_poll | testpmd_poll) card_args=(--poll) ;;
hostile) card=$card_test card_args=(--hostile all --hostile-rate 5) ;;
usedrun) card=$card_test card_args=(--hostile usedrun --hostile-rate 200) ;;
esac
mkdir -p "$dir/link"
"$card" "${card_args[@]}" --platform sim --link "$dir/link" --host-mem "$dir/host-mem" --net loopback \
	>"$dir/card.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do
	[ -S "$dir/link/ivshmem.sock" ] && grep -q ready "$dir/card.log" && break
	sleep 0.05
done
grep -q ready "$dir/card.log" || fail "card did not start"

# dev=1 pins the device number; without it (remove) the PMD follows the
# next virtio-net device the card adds (the card gives it a new number)
pin=,dev=1
[ "$mode" = remove ] && pin=
eal=(-l 0-1 --no-huge -m 256 --no-pci --file-prefix "vmsg-pmd-$$" -d "$so"
	--vdev "net_vmsg0,link=$dir/link,host-mem=$dir/host-mem$pin")
ctl=("$card" ctl --link "$dir/link" --timeout 5000)

case $mode in
loop | loop_poll)
	timeout 90 "$app" --frames 20000 -- "${eal[@]}" || fail "pmd_loop failed ($?)"
	;;
remove)
	timeout 120 "$app" --frames 5000 --remove "${ctl[*]} remove 1" "${ctl[*]} add net:loopback" \
		-- "${eal[@]}" || fail "pmd_loop --remove failed ($?)"
	;;
testpmd | testpmd_poll)
	command -v dpdk-testpmd >/dev/null || fail "dpdk-testpmd not installed (make deps)"
	# interactive: start with one burst sent first, let io forwarding loop it
	out=$({
		sleep 3
		echo "start tx_first"
		sleep 4
		echo "stop"
		sleep 1
		echo "show port xstats 0"
		echo "quit"
	} | timeout 60 dpdk-testpmd "${eal[@]}" -- -i --forward-mode=io --total-num-mbufs 4096 2>&1)
	rc=$?
	echo "$out" | tail -60
	[ "$rc" = 0 ] || fail "dpdk-testpmd exited with $rc"
	echo "$out" | grep -q "attached to" || fail "PMD not attached"
	rx=$(echo "$out" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -1)
	tx=$(echo "$out" | sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' | tail -1)
	rxerr=$(echo "$out" | sed -n 's/^rx_errors: *\([0-9]*\)/\1/p' | tail -1)
	[ -n "$rx" ] && [ "$rx" -ge 1000 ] || fail "RX-packets '$rx' (want >= 1000)"
	[ -n "$tx" ] && [ "$tx" -ge 1000 ] || fail "TX-packets '$tx' (want >= 1000)"
	[ "${rxerr:-0}" = 0 ] || fail "rx_errors $rxerr"
	if [ "$mode" = testpmd_poll ]; then
		kicks=$(echo "$out" | sed -n 's/^tx_q0_kicks: *\([0-9]*\)/\1/p' | tail -1)
		[ -n "$kicks" ] || fail "xstat tx_q0_kicks missing"
		# a polling card asks for no EVENT_AVAIL: at most a few (start-up,
		# and the 16-bit event index wrapping once per 65536 frames)
		[ "$kicks" -le $((rx / 20000 + 4)) ] || fail "$kicks transmit kicks for $rx frames"
		echo "pmd_test testpmd_poll: $kicks transmit kicks for $rx frames"
	fi
	echo "pmd_test testpmd: io forwarding looped $rx frames through the card"
	;;
hostile | usedrun)
	secs=20
	[ "$mode" = usedrun ] && secs=5
	command -v dpdk-testpmd >/dev/null || fail "dpdk-testpmd not installed (make deps)"
	out=$({
		sleep 3
		echo "start tx_first"
		sleep "$secs"
		echo "stop"
		sleep 1
		echo "show port xstats 0"
		echo "show port info 0"
		echo "quit"
	} | timeout $((secs + 40)) dpdk-testpmd "${eal[@]}" -- -i --forward-mode=io \
		--total-num-mbufs 4096 2>&1)
	rc=$?
	echo "$out" | grep -E "net_vmsg|Link status|hostile|bus_rx|_errors:|RX-packets|TX-packets" | tail -40
	[ "$rc" = 0 ] || fail "dpdk-testpmd exited with $rc against a hostile card"
	xs() { echo "$out" | sed -n "s/^$1: *\([0-9]*\)/\1/p" | tail -1; }
	if [ "$mode" = hostile ]; then
		dropped=$(($(xs bus_rx_malformed) + $(xs bus_rx_bad_slot) + $(xs bus_rx_stale_epoch) +
			$(xs bus_rx_unsolicited) + $(xs bus_rx_bad_event) + $(xs bus_rx_unknown_dev)))
		rx=$(echo "$out" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -1)
		[ "$dropped" -ge 100 ] || fail "only $dropped hostile messages counted as dropped in 20 s"
		[ -n "$rx" ] && [ "$rx" -ge 1000 ] || fail "RX-packets '$rx': forwarding did not survive"
		echo "pmd_test hostile: $dropped hostile messages dropped, $rx frames looped"
	else
		h=$(($(xs rx_q0_hostile) + $(xs tx_q0_hostile)))
		[ "$h" -ge 1 ] || fail "the used-ring attack was not counted"
		echo "$out" | grep -q "Link status: down" || fail "port still up on a broken ring"
		echo "pmd_test usedrun: $h hostile used rings counted, port down"
	fi
	;;
kill)
	# the card dies (SIGKILL) while testpmd forwards: the port goes down,
	# testpmd stops and quits cleanly, no hang (bounded by timeout)
	command -v dpdk-testpmd >/dev/null || fail "dpdk-testpmd not installed (make deps)"
	out=$({
		sleep 3
		echo "start tx_first"
		sleep 2
		kill -9 "$cpid"
		sleep 6
		echo "show port info 0"
		echo "stop"
		echo "quit"
	} | timeout 60 dpdk-testpmd "${eal[@]}" -- -i --forward-mode=io --total-num-mbufs 4096 2>&1)
	rc=$?
	cpid=
	echo "$out" | tail -40
	[ "$rc" = 0 ] || fail "dpdk-testpmd exited with $rc after the card died"
	echo "$out" | grep -q "link to the card lost" || fail "the PMD did not notice the dead card"
	echo "$out" | grep -q "Link status: down" || fail "port not down after the card died"
	;;
*)
	echo "usage: pmd_test.sh loop|remove|testpmd|hostile|usedrun|kill VMSG_CARD PMD_SO [PMD_LOOP]" >&2
	exit 2
	;;
esac
echo "pmd_test $mode: passed"
