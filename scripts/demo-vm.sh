#!/usr/bin/env bash
# scripts/demo-vm.sh - `make demo` part 2: stock Linux virtio drivers in a
# QEMU q35 VM (Debian's 6.1 kernel, TCG) over the emulated PCIe card.
# The card (vmsg-card --platform sim) runs in a network namespace it owns
# with a tap device (10.78.0.1/24) and offers net, blk (a 64 MiB image), rng
# and console; the VM loads virtio_msg.ko + vmsg_pci.ko, and the stock
# virtio_net, virtio_blk, virtio-rng and virtio_console drivers bind.
# The VM's checks are shown as they run. Needs root (network namespace).
# Under a minute. Ctrl-C stops it and cleans up: nothing is left behind
# (temporary directory, namespace, tap, /dev/shm file, processes); after a
# failure the logs are kept and their directory is named.
set -uo pipefail
KB_NAME=demo
# shellcheck source=tests/rig/scripts/kbus-lib.sh
. "$(dirname "$0")/../tests/rig/scripts/kbus-lib.sh"
[ "$(id -u)" = 0 ] || kb_die "the VM demo needs root (it creates a network namespace)"
kb_init
NS=vmsgdemo$$
TAP=vmsgdemo0
DEMO_INTERRUPTED=
# shellcheck disable=SC2317 # called through KB_CLEANUP_HOOK
demo_cleanup() {
	ip netns del "$NS" 2>/dev/null
	# The disk image is big and says nothing a log does not.
	rm -f "$KB_T/disk.img"
	if [ -n "$DEMO_INTERRUPTED" ]; then
		rm -rf "$KB_T"
		rm -f "$KB_RAM" "$KB_RAM.layout"
		kb_say "cleaned up: VM and card stopped; $NS, $KB_RAM and $KB_T removed"
		KB_T= # kb_cleanup: nothing left to keep
	fi
}
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_CLEANUP_HOOK=demo_cleanup
# Ctrl-C (or kill): a clear word instead of a verdict on a VM that was
# stopped on purpose. kb_cleanup (the EXIT trap) then stops everything.
# shellcheck disable=SC2317 # called through trap
demo_interrupted() {
	DEMO_INTERRUPTED=$1
	trap '' INT TERM
	echo
	kb_say "interrupted ($1): stopping the VM and the card"
	exit 130
}
trap 'demo_interrupted SIGINT' INT
trap 'demo_interrupted SIGTERM' TERM

echo "\$ ip netns add $NS; ip -n $NS tuntap add dev $TAP mode tap; ip -n $NS addr add 10.78.0.1/24 dev $TAP"
ip netns add "$NS" || kb_die "ip netns add failed"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap || kb_die "cannot create $TAP"
ip -n "$NS" addr add 10.78.0.1/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
real=$VMSG_CARD
VMSG_CARD=$KB_T/card-in-ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$real" >"$VMSG_CARD"
chmod +x "$VMSG_CARD"
truncate -s 64M "$KB_T/disk.img"
echo "\$ ip netns exec $NS vmsg-card --platform sim --link $KB_LINK --host-mem $KB_RAM \\"
echo "      --net tap:$TAP --blk disk.img --rng --console stdio </dev/null"
kb_card_start --net "tap:$TAP" --blk "$KB_T/disk.img" --rng --console stdio </dev/null
echo "\$ vmsg-card ctl list"
kb_ctl list
echo "\$ tests/rig/run-host-vm --modules 'virtio_msg.ko vmsg_pci.ko' --ivshmem-socket $KB_LINK/ivshmem.sock --mem-path $KB_RAM ..."
echo "(booting Debian's kernel under QEMU TCG; the VM's checks follow as they run)"
t=$(kb_now)
kb_vm_bg "$(dirname "$0")/demo-vm.guest.sh" --timeout 180 --mem 512M

# Stream, while the VM runs, the VM script's lines and the rig's boot time.
# Complete lines only; the loop is this shell's own (nothing to leave behind).
demo_stream() { # FILE VAR REGEX: print FILE's matching lines after line $VAR
	local f=$1 var=$2 re=$3 n total
	n=${!var}
	[ -r "$f" ] || return 0
	total=$(wc -l <"$f") || return 0
	[ "$total" -ge "$n" ] || n=0 # truncated (the rig starts a new log)
	if [ "$total" -gt "$n" ]; then
		sed -n "$((n + 1)),${total}p" "$f" | tr -d '\r' | grep -a -E "$re"
	fi
	printf -v "$var" '%s' "$total"
}
# shellcheck disable=SC2034 # read through demo_stream's VAR
con_n=0 rig_n=0
while :; do
	alive=0
	kill -0 "$KB_VM_PID" 2>/dev/null && alive=1
	demo_stream "$KB_T/rig.out" rig_n '^rig: (booted|TIMEOUT|FAIL)'
	demo_stream "$KB_CONSOLE" con_n '^vm: '
	[ "$alive" = 1 ] || break
	sleep 0.2
done
wait "$KB_VM_PID"
rc=$?
KB_VM_PID=

# Verdict (the VM's lines were shown above).
fails=$(tr -d '\r' <"$KB_CONSOLE" | grep -a -c '^vm: FAIL - ')
oks=$(tr -d '\r' <"$KB_CONSOLE" | grep -a -c '^vm: ok - ')
KB_FAILS=$((KB_FAILS + fails))
case $rc in
0) ;;
121) kb_bad "kernel problem in the VM console (rig status 121)" ;;
122) kb_bad "the VM stopped without finishing (rig status 122: panic, poweroff or crash)" ;;
124) kb_bad "the VM timed out (rig status 124)" ;;
125) kb_bad "the rig could not run (status 125)" ;;
*) [ "$fails" -gt 0 ] || kb_bad "VM script exit status $rc" ;;
esac
if [ "$rc" -ge 121 ] && [ "$rc" -le 125 ]; then
	grep -a -E 'BUG|WARNING|Oops|blocked for more|^rig:' "$KB_T/rig.out" | grep -v 'console log:' |
		head -n 20 | sed "s/^/$KB_NAME:   /"
fi
# The other end of the console check: only when the VM got that far.
if tr -d '\r' <"$KB_CONSOLE" | grep -a -q '^vm: ok - a line written to /dev/hvc0'; then
	echo "card side, what the VM wrote on its console:"
	if grep -a 'hello card' "$KB_CARD_LOG" | sed 's/^/  card| /' | grep .; then
		kb_ok "the VM's line reached the card's console"
	else
		echo "  card| (nothing)"
		kb_bad "the VM's line did not reach the card's console"
	fi
fi
echo "\$ vmsg-card ctl stats  (excerpt)"
kb_ctl stats | grep -E '^(link_state|epoch|rx_msgs|tx_msgs|drop_malformed|attaches) ' | sed 's/^/  /'
kb_say "VM part took $(kb_since "$t") s, $oks check(s) passed in the VM"
if [ "$KB_FAILS" -eq 0 ]; then
	kb_say "PASS in $(kb_since "$KB_T0") s"
	exit 0
fi
kb_say "FAILED ($KB_FAILS check(s)) in $(kb_since "$KB_T0") s; console log: $KB_CONSOLE"
exit 1
