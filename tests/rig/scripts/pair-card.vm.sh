# shellcheck shell=sh
# pair-card.vm.sh - the card VM's script for the card-VM pair tests
# (tests/rig/scripts/pair-lib.sh prepends kbus-vm-lib.sh and a prelude).
# pci-epf-vmsg through configfs (epf-configfs.sh up, the documented steps),
# `vmsg-card --platform epf` with the devices in CARD_DEVS, "@@MARK
# card-ready"; then commands from the harness, one per line on the command
# port (run-card-vm --cmd-socket: /dev/ttyS1 on x86_64, /dev/hvc0 on arm64):
# "ID SHELL COMMAND..." prints "@@ACK ID" once read, runs the command and
# prints "@@RESULT ID STATUS" and "@@MARK ID"; "quit" ends: daemon stopped
# (SIGTERM, exit 0 expected), configfs down, module removed.
# Prelude variables: CARD_DEVS (vmsg-card device options), CARD_SETUP
# (commands run before the daemon starts), CARD_NET_ADDR (an address for
# the card's tap vmsg0, e.g. 10.77.0.1/24), VENDORID/DEVICEID/MSIX;
# CARD_PLATFORM=uio (card-uio-* tests): no endpoint controller, the daemon
# runs `--platform uio` over the config uio-setup.sh generates (UIO_IDS: the
# binding's ids for the link page header).
F=/rig/files
CARD=$F/vmsg-card
LINK=/run/vmsg-card
DPID=
CARD_PLATFORM=${CARD_PLATFORM:-epf}
UIO_CONF=/run/uio.conf
PLAT_ARGS="--platform epf"
[ "$CARD_PLATFORM" = uio ] && PLAT_ARGS="--platform uio --uio-config $UIO_CONF"
export VENDORID DEVICEID MSIX BAR0_SIZE
# daemon_start: vmsg-card in the background, ready once its pidfile exists.
daemon_start() {
	rm -f /run/card.pid
	# shellcheck disable=SC2086 # CARD_DEVS is a list of options
	# shellcheck disable=SC2086 # PLAT_ARGS too
	$CARD $PLAT_ARGS --link $LINK --pidfile /run/card.pid $CARD_DEVS >>/tmp/card.log 2>&1 &
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

if [ "$CARD_PLATFORM" = uio ]; then
	check "no endpoint controller, link page header and $UIO_CONF (uio-setup.sh up)" \
		env IDS="$UIO_IDS" sh $F/uio-setup.sh up $UIO_CONF
	cat $UIO_CONF
else
	check "configfs up (epf-configfs.sh, the documented steps)" sh $F/epf-configfs.sh up
	check "/dev/vmsg-epf0 exists" test -c /dev/vmsg-epf0
fi
[ -z "${CARD_SETUP:-}" ] || eval "$CARD_SETUP"
check "vmsg-card --platform $CARD_PLATFORM started" daemon_start
# uio: the config's interrupt target must be the host that connects
[ "$CARD_PLATFORM" != uio ] ||
	(sh $F/uio-setup.sh check $UIO_CONF >/tmp/uio-check.log 2>&1; echo $? >/tmp/uio-check.rc) &
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
	echo "@@ACK $id" # the harness may hang up now (pair_card_send)
	[ "$id" = quit ] && break
	[ -n "$id" ] || continue
	eval "$cmd"
	echo "@@RESULT $id $?"
	mark "$id"
done <$CMD_TTY

if [ -n "$DPID" ] && [ "$CARD_PLATFORM" = uio ]; then
	ctl stats | grep '^uio\.' >/tmp/uio-stats
	sed 's/^/uio-stats: /' /tmp/uio-stats
	check "uio: doorbells seen by polling, interrupts raised, no host address refused" \
		awk '$1 == "uio.doorbells" { d = $2 } $1 == "uio.irqs_raised" { i = $2 }
		     $1 == "uio.host_refused" { r = $2 } END { exit !(d > 0 && i > 0 && r == 0) }' /tmp/uio-stats
fi
if [ -n "$DPID" ]; then
	check "vmsg-card exits 0 on SIGTERM" daemon_stop TERM
fi
card_log | tail -n 30
if [ "$CARD_PLATFORM" = uio ]; then
	cat /tmp/uio-check.log
	check "the config's interrupt target was the wire's host peer (uio-setup.sh check)" \
		grep -qx 0 /tmp/uio-check.rc
	check "link page header cleared (uio-setup.sh down)" sh $F/uio-setup.sh down
else
	check "configfs down (epf-configfs.sh down)" sh $F/epf-configfs.sh down
	check "pci_epf_vmsg unloaded" sh -c '! grep -q "^pci_epf_vmsg " /proc/modules'
fi
finish
