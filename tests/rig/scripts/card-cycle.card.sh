# shellcheck shell=sh
# card-cycle.card.sh - sourced by the card VM's pair script
# (pair-card.vm.sh, through CARD_SETUP) for tests/rig/card-cycle.test.sh:
# the three ways the endpoint function goes away and comes back with a host
# attached, as a user does them in configfs. Uses daemon_start and DPID of
# pair-card.vm.sh. Each prints "cycle: ..." lines on failure and returns
# non-zero.
CFS=/sys/kernel/config/pci_ep
FDIR=$CFS/functions/pci_epf_vmsg/func0
cyc_epc() { ls /sys/class/pci_epc | head -n 1; }
cyc_fail() {
	echo "cycle: $*"
	return 1
}
# daemon_reap: the daemon ends by itself on unbind (UNBIND event: SHUTDOWN to
# the host, BYE, exit 0): wait for it, at most 30 s, then SIGKILL.
daemon_reap() {
	[ -n "$DPID" ] || return 0
	(
		sleep 30
		kill -KILL "$DPID" 2>/dev/null
	) &
	_w=$!
	wait "$DPID"
	_rc=$?
	kill "$_w" 2>/dev/null
	DPID=
	[ "$_rc" = 0 ] || cyc_fail "vmsg-card exit status $_rc after unbind (0 expected)"
}
# unbind: stop the controller, remove the controller link (the daemon tells
# the host SHUTDOWN and exits 0), link again, start, daemon again. 6.1's
# configfs WARNs (WARN_ON_ONCE in pci_epc_epf_unlink) on an unlink while the
# controller is started: the stop comes first, as in the documented steps.
cycle_unbind() {
	_e=$(cyc_epc)
	echo 0 >"$CFS/controllers/$_e/start" || cyc_fail "start 0" || return 1
	rm "$CFS/controllers/$_e/func0" || cyc_fail "rm controllers/$_e/func0" || return 1
	daemon_reap || return 1
	[ ! -e /dev/vmsg-epf0 ] || cyc_fail "/dev/vmsg-epf0 still there after unbind" || return 1
	ln -s "$FDIR" "$CFS/controllers/$_e/" || cyc_fail "ln -s func0 $_e" || return 1
	echo 1 >"$CFS/controllers/$_e/start" || cyc_fail "start 1" || return 1
	daemon_start || cyc_fail "vmsg-card did not start again"
}
# start: `echo 0 > start`, a second, `echo 1 > start`; the daemon runs on.
cycle_start() {
	_e=$(cyc_epc)
	_w0=$(grep -c 'raise_irq(' /tmp/card.log)
	_r0=$(grep -c 'refuses interrupts' /tmp/card.log)
	echo 0 >"$CFS/controllers/$_e/start" || cyc_fail "start 0" || return 1
	sleep 1
	# what the stopped controller did meanwhile (6.1: no event to the function)
	echo "cycinfo: stopped 1 s: $(ctl stats | grep -E '^epf\.(link|irq_errors|irqs_lost) ' | tr '\n' ' ')" \
		"controller: $(grep -E '^(started|link_up|irqs_refused) ' /sys/kernel/debug/pcie-vmsg-ivshmem-ep/*/state | tr '\n' ' ')"
	echo 1 >"$CFS/controllers/$_e/start" || cyc_fail "start 1" || return 1
	kill -0 "$DPID" || cyc_fail "vmsg-card ended across start 0/1" || return 1
	# interrupts refused meanwhile: one warning for the run, none per interrupt
	_w1=$(grep -c 'raise_irq(' /tmp/card.log)
	_r1=$(grep -c 'refuses interrupts' /tmp/card.log)
	[ "$_w1" = "$_w0" ] || cyc_fail "the engine warned per refused interrupt ($_w0 -> $_w1)" || return 1
	[ $((_r1 - _r0)) -le 1 ] || cyc_fail "refused interrupts warned $((_r1 - _r0)) times in one stop"
}
# rmmod: the documented teardown (start 0, unbind, rmdir, rmmod; the daemon
# reaped after the unbind), then the documented bring-up and the daemon.
cycle_rmmod() {
	_e=$(cyc_epc)
	echo 0 >"$CFS/controllers/$_e/start" || cyc_fail "start 0" || return 1
	rm "$CFS/controllers/$_e/func0" || cyc_fail "rm controllers/$_e/func0" || return 1
	daemon_reap || return 1
	rmdir "$FDIR" || cyc_fail "rmdir func0" || return 1
	rmmod pci-epf-vmsg || cyc_fail "rmmod pci-epf-vmsg" || return 1
	! grep -q '^pci_epf_vmsg ' /proc/modules || cyc_fail "pci_epf_vmsg still loaded" || return 1
	sh /rig/files/epf-configfs.sh up || cyc_fail "epf-configfs.sh up" || return 1
	daemon_start || cyc_fail "vmsg-card did not start again"
}
# cycle_leftovers: what must be there exactly once after the rounds.
cycle_leftovers() {
	echo "@@OUT left devs $(ls /dev | grep -c '^vmsg-epf')"
	echo "@@OUT left misc $(ls /sys/class/misc | grep -c '^vmsg-epf')"
	echo "@@OUT left funcs $(ls $CFS/functions/pci_epf_vmsg | wc -l)"
	echo "@@OUT left refcnt $(cat /sys/module/pci_epf_vmsg/refcnt)"
	for _f in /sys/kernel/debug/pcie-vmsg-ivshmem-ep/*/state; do
		sed 's/^/@@OUT left epc./' "$_f"
	done
}
