# shellcheck shell=sh
# pair-card.vm.sh - the card VM's script for the card-VM pair tests
# (tests/rig/scripts/pair-lib.sh prepends kbus-vm-lib.sh and a prelude).
# pci-epf-vmsg through configfs (epf-configfs.sh up, the documented steps),
# `vmsg-card --platform epf` with the devices in CARD_DEVS, "@@MARK
# card-ready"; then commands from the harness, one per line on the command
# port (run-card-vm --cmd-socket: /dev/ttyS1 on x86_64, /dev/hvc0 on arm64): "ID SHELL COMMAND..." runs the command and
# prints "@@RESULT ID STATUS" and "@@MARK ID"; "quit" ends: daemon stopped
# (SIGTERM, exit 0 expected), configfs down, module removed.
# Prelude variables: CARD_DEVS (vmsg-card device options), CARD_SETUP
# (commands run before the daemon starts), CARD_NET_ADDR (an address for
# the card's tap vmsg0, e.g. 10.77.0.1/24), VENDORID/DEVICEID/MSIX.
F=/rig/files
CARD=$F/vmsg-card
LINK=/run/vmsg-card
DPID=
export VENDORID DEVICEID MSIX BAR0_SIZE
# daemon_start: vmsg-card in the background, ready once its pidfile exists.
daemon_start() {
	rm -f /run/card.pid
	# shellcheck disable=SC2086 # CARD_DEVS is a list of options
	$CARD --platform epf --link $LINK --pidfile /run/card.pid $CARD_DEVS >>/tmp/card.log 2>&1 &
	DPID=$!
	wait_for 30 test -s /run/card.pid
}
# daemon_stop [SIG]: stop it; returns its exit status (SIGTERM: 0 expected).
daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -"${1:-TERM}" "$DPID"
	wait "$DPID"
	_rc=$?
	DPID=
	return $_rc
}
ctl() { $CARD ctl --link $LINK --timeout 5000 "$@"; }
card_log() { sed 's/^/card-log: /' /tmp/card.log; }

check "configfs up (epf-configfs.sh, the documented steps)" sh $F/epf-configfs.sh up
check "/dev/vmsg-epf0 exists" test -c /dev/vmsg-epf0
[ -z "${CARD_SETUP:-}" ] || eval "$CARD_SETUP"
check "vmsg-card --platform epf started" daemon_start
if [ "$VM_FAILS" != 0 ]; then
	card_log
	dmesg | tail -n 20
	finish
fi
if [ -n "${CARD_NET_ADDR:-}" ]; then
	check "the card's tap vmsg0 exists" wait_for 10 test -e /sys/class/net/vmsg0
	ip addr add "$CARD_NET_ADDR" dev vmsg0
	ip link set vmsg0 up
fi
mark card-ready

CMD_TTY=/dev/ttyS1
[ -c /dev/hvc0 ] && CMD_TTY=/dev/hvc0
stty -F $CMD_TTY raw -echo clocal 2>/dev/null
while read -r id cmd; do
	[ "$id" = quit ] && break
	[ -n "$id" ] || continue
	eval "$cmd"
	echo "@@RESULT $id $?"
	mark "$id"
done <$CMD_TTY

if [ -n "$DPID" ]; then
	check "vmsg-card exits 0 on SIGTERM" daemon_stop TERM
fi
card_log | tail -n 30
check "configfs down (epf-configfs.sh down)" sh $F/epf-configfs.sh down
check "pci_epf_vmsg unloaded" sh -c '! grep -q "^pci_epf_vmsg " /proc/modules'
finish
