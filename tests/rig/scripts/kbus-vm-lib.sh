# shellcheck shell=sh
# tests/rig/scripts/kbus-vm-lib.sh - helpers for the in-VM part of the
# vmsg_pci rig tests (busybox sh). kbus-lib.sh prepends this file to each
# test's VM script. Results go to the console as "vm: ok - ..." and
# "vm: FAIL - ..." lines, which the host side collects; "@@MARK NAME"
# lines synchronize with the host side (kb_wait_mark).

VM_FAILS=0
up() { cut -d' ' -f1 /proc/uptime; }
VM_T0=$(up)
say() { echo "vm: $*"; }
ok() { echo "vm: ok - $*"; }
bad() {
	echo "vm: FAIL - $*"
	VM_FAILS=$((VM_FAILS + 1))
}
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else bad "$_d"; fi
}
mark() { echo "@@MARK $1"; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }
# wait_for SECONDS COMMAND...: poll every 0.1 s, bounded.
wait_for() {
	_t=$1
	shift
	_s=$(up)
	while :; do
		"$@" && return 0
		awk -v a="$_s" -v b="$(up)" -v t="$_t" 'BEGIN { exit !(b - a >= t) }' && return 1
		sleep 0.1
	done
}
stats_file() { ls /sys/kernel/debug/vmsg_pci/*/stats 2>/dev/null | head -n 1; }
stat_get() {
	_f=$(stats_file)
	[ -n "$_f" ] && awk -v k="$1" '$1 == k { print $2 }' "$_f"
}
stat_show() {
	_f=$(stats_file)
	[ -n "$_f" ] && grep -E "^($1) " "$_f" | tr '\n' ' ' | sed 's/^/vm: stats: /'
	echo
}
ndev() { ls /sys/bus/virtio/devices 2>/dev/null | wc -l; }
have_ndev() { [ "$(ndev)" -ge "$1" ]; }
have_exactly() { [ "$(ndev)" -eq "$1" ]; }
# dev_of_type ID: the virtio device (sysfs dir) with device id ID (decimal).
dev_of_type() {
	for _v in /sys/bus/virtio/devices/*; do
		[ -e "$_v/device" ] || continue
		[ "$(($(cat "$_v/device")))" = "$1" ] && echo "$_v" && return 0
	done
	return 1
}
driver_of() { basename "$(readlink "$1/driver" 2>/dev/null)" 2>/dev/null; }
is_bound() { [ "$(driver_of "$1")" = "$2" ]; }
# feat_bit DEV BIT: the negotiated feature bit is set.
feat_bit() { [ "$(cut -c$(($2 + 1)) "$1/features")" = 1 ]; }
# VMSG_PCI_ARGS: module parameters (e.g. irq_mode=3), from kb_vm_prelude.
load_bus() {
	# shellcheck disable=SC2086
	modprobe vmsg_pci ${VMSG_PCI_ARGS:-} || {
		bad "modprobe vmsg_pci"
		return 1
	}
}
blk_dev() {
	_v=$(dev_of_type 2) || return 1
	ls "$_v/block" 2>/dev/null | head -n 1
}
have_blk() { _b=$(blk_dev) && [ -b "/dev/$_b" ]; }
# The disk can be opened: /dev/vdX and its sysfs entry exist from the start
# of virtio_blk's device_add_disk(), which opens the disk to the block layer
# (and scans it) only later; an open before that fails (ENXIO), one during
# the scan waits for it. A read of the first sector checks both.
blk_ready() {
	have_blk && dd if="/dev/$(blk_dev)" of=/dev/null bs=512 count=1 2>/dev/null
}
card_state() { stat_get state; }
card_is() { [ "$(stat_get state)" = "$1" ]; }
finish() {
	say "done in $(since "$VM_T0") s (guest), $VM_FAILS failure(s)"
	[ "$VM_FAILS" -eq 0 ] && exit 0
	exit 1
}
# Hung task watchdog: the rig sets a short hung task timeout
# (run-host-vm --hung-task-secs). When the kernel reports a blocked task,
# say so as a failure, dump every blocked task (sysrq w: also the killable
# waits the detector skips) and the bus counters, and stop the VM at once
# (sysrq b: poweroff would wait for the stuck devices) instead of sitting
# until the rig's timeout. A grandchild of the script (reparented to
# init), so that the tests' bare "wait" does not wait for it.
hung_watch() {
	while sleep 2; do
		_h=$(dmesg | grep -m 1 'blocked for more than') || continue
		echo "vm: FAIL - a task hung in the kernel: ${_h#*] }"
		echo w >/proc/sysrq-trigger
		stat_show '[a-z_0-9]+'
		sleep 2
		echo b >/proc/sysrq-trigger
	done
}
(hung_watch </dev/null &)
# ---- end of kbus-vm-lib.sh; the test's own part follows ----
