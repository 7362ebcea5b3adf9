#!/usr/bin/env bash
# (g) virtio-net through vmsg_pci into a network namespace: the card runs
# in a fresh netns owning tap device vmsgtap0 (10.77.0.1/24); the VM's eth0
# is 10.77.0.2. Ping, then 16 MiB over TCP each way (busybox nc in the VM,
# Python on this side), sha256 compared. Needs root (netns). About 30 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
[ "$(id -u)" = 0 ] || kb_skip "needs root for a network namespace"
command -v ip >/dev/null || kb_skip "needs iproute2"
kb_init
NS=vmsgns$$
TAP=vmsgtap0
# shellcheck disable=SC2317 # called through KB_CLEANUP_HOOK
kb_net_cleanup() { ip netns del "$NS" 2>/dev/null; }
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_CLEANUP_HOOK=kb_net_cleanup
ip netns add "$NS" || kb_die "ip netns add failed"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap || kb_die "cannot create $TAP"
ip -n "$NS" addr add 10.77.0.1/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
# The card joins the namespace to open the tap; its sockets are files.
VMSG_CARD_REAL=$VMSG_CARD
VMSG_CARD=$KB_T/card-in-ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$VMSG_CARD_REAL" >"$VMSG_CARD"
chmod +x "$VMSG_CARD"
kb_card_start --net "tap:$TAP"
XF="ip netns exec $NS python3 $KB_SCRIPTS/tcp-xfer.py"
# Listening before the VM exists: its nc must find the port open.
$XF recv 5001 $((16 << 20)) "$KB_T/rx.bin" 240 2>"$KB_T/recv.err" &
RXPID=$!
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_EXTRA_PIDS=$RXPID
kb_vm_bg "$KB_SCRIPTS/pci-net.vm.sh" --timeout 300
if kb_wait_mark tx-ready 90; then
	t=$(kb_now)
	if wait $RXPID; then
		want=$(tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@TXSUM' | awk '{print $2}')
		kb_check "16 MiB VM -> namespace in $(kb_since "$t") s, sha256 matches" \
			test "$(sha256sum <"$KB_T/rx.bin" | cut -d' ' -f1)" = "$want"
	else
		kb_bad "VM -> namespace transfer: $(tail -n 1 "$KB_T/recv.err")"
	fi
	rm -f "$KB_T/rx.bin"
	if kb_wait_mark rx-listen 60; then
		head -c $((16 << 20)) /dev/urandom >"$KB_T/tx.bin"
		t=$(kb_now)
		$XF send 10.77.0.2 5002 "$KB_T/tx.bin" 120 || kb_bad "namespace -> VM send"
		kb_wait_mark net-done 120
		got=$(tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@RXSUM' | awk '{print $2}')
		kb_check "16 MiB namespace -> VM in $(kb_since "$t") s, sha256 matches" \
			test "$(sha256sum <"$KB_T/tx.bin" | cut -d' ' -f1)" = "$got"
		rm -f "$KB_T/tx.bin"
	fi
else
	kb_bad "the VM never got ready to send"
fi
kb_vm_wait
kb_finish $?
