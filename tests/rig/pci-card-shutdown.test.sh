#!/usr/bin/env bash
# [FLR-H-4], [IRQ-2]: vmsg-card is stopped with SIGTERM (clean shutdown:
# EVENT_DEVICE REMOVED for every device, link SHUTDOWN, an interrupt) while
# the VM reads its virtio-blk disk and /dev/hwrng, once in interrupt mode
# and once in polling mode (vmsg_pci irq_mode=3), each in its own VM.
# The VM must remove every device and end the session by the SHUTDOWN (not
# by PING misses), without hanging, and the readers must fail and end.
# Bounds, guest clock, from the first sign of the shutdown the VM sees
# (the card's link_state no longer RUN, a device gone, or the session
# ended; polled every 50 ms):
#   - every device removed: GONE_MAX=1.0 s in both modes (the REMOVED
#     events, taken on the final interrupt or by the c2h poll; observed
#     0.1-0.2 s);
#   - the session ended (state no longer RUN): END_MAX_POLL=1.0 s in
#     polling mode (100 ms link poll; observed about 0.15 s) and
#     END_MAX_IRQ=2.0 s in interrupt mode (observed 0-1.2 s). In
#     interrupt mode the card's one final interrupt apparently finds the
#     REMOVED events in the ring, so the driver does not read link_state
#     then ([CR-3] checks it only on an empty ring); the SHUTDOWN is found
#     by the next PING exchange (one miss, then the link check), up to 2
#     PING intervals (1.0 s) later plus TCG workqueue latency.
#   Either way the session must end as "card shut down" (dmesg), with
#   fewer than 3 PING misses (never the PING dead threshold);
#   - host clock, from the SIGTERM to the VM's "removed" mark (card exit,
#     guest detection, console): DETECT_MAX=3.0 s.
# Then the card is restarted and, as in pci-card-kill.test.sh, the ivshmem
# device is replugged through QMP: the devices come back and work.
# About 20 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
GONE_MAX=${GONE_MAX:-1.0}
END_MAX_IRQ=${END_MAX_IRQ:-2.0}
END_MAX_POLL=${END_MAX_POLL:-1.0}
DETECT_MAX=${DETECT_MAX:-3.0}

# phase_status MODE RC: the VM's ok/FAIL lines and status for one phase.
phase_status() {
	local mode=$1 rc=$2
	kb_vm_results
	case $rc in
	0) ;;
	121) kb_bad "$mode: kernel problem in the VM console (rig status 121)" ;;
	122) kb_bad "$mode: the VM stopped without finishing (rig status 122)" ;;
	124) kb_bad "$mode: the VM timed out (rig status 124)" ;;
	125) kb_bad "$mode: the rig could not run (status 125)" ;;
	*) kb_bad "$mode: VM script exit status $rc" ;;
	esac
	if [ "$rc" -ge 121 ] && [ "$rc" -le 125 ]; then
		grep -a -E 'BUG|WARNING|Oops|blocked for more|rig:' "$KB_T/rig.out" | head -n 20 | sed "s/^/$KB_NAME:   /"
	fi
}

run_mode() { # run_mode irq|poll
	local mode=$1 qmp=$KB_T/qmp-$1.sock end_max tk tr rc
	KB_VM_PRELUDE=
	KB_CONSOLE=$KB_T/console-$mode.log
	truncate -s 64M "$KB_T/disk-$mode.img"
	kb_card_start --blk "$KB_T/disk-$mode.img" --rng
	if [ "$mode" = poll ]; then
		end_max=$END_MAX_POLL
		kb_vm_prelude "VMSG_PCI_ARGS=irq_mode=3"
	else
		end_max=$END_MAX_IRQ
	fi
	kb_vm_prelude "MODE=$mode" "GONE_MAX=$GONE_MAX" "END_MAX=$end_max"
	kb_say "$mode: VM with a blk read loop and an hwrng reader"
	kb_vm_bg "$KB_SCRIPTS/pci-card-shutdown.vm.sh" --timeout 150 --qmp "$qmp"

	if kb_wait_mark io-running 60; then
		sleep 1
		tk=$(kb_now)
		kb_card_stop TERM
		kb_say "$mode: vmsg-card stopped (SIGTERM) in $(kb_since "$tk") s, during I/O"
		if kb_wait_mark removed 30; then
			d=$(kb_since "$tk")
			kb_check "$mode: devices removed $d s after the SIGTERM (<= $DETECT_MAX s)" \
				awk -v d="$d" -v m="$DETECT_MAX" 'BEGIN { exit !(d <= m) }'
			kb_wait_mark restart 30 || kb_bad "$mode: the VM did not finish its checks of the ended session"
			kb_card_start --blk "$KB_T/disk-$mode.img" --rng
			kb_say "$mode: vmsg-card restarted; replugging the ivshmem device"
			tr=$(kb_now)
			if "$KB_SCRIPTS/qmp.py" "$qmp" --timeout 30 \
				'device_del:{"id":"vmsgcard"}' wait:DEVICE_DELETED:30 \
				'chardev-remove:{"id":"ivs"}' \
				"chardev-add:{\"id\":\"ivs\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\",\"data\":{\"path\":\"$KB_LINK/ivshmem.sock\"}},\"server\":false}}}" \
				'device_add:{"driver":"ivshmem-doorbell","id":"vmsgcard","chardev":"ivs","vectors":8,"bus":"rp0"}' \
				>"$KB_T/qmp-$mode.log" 2>&1; then
				kb_ok "$mode: ivshmem device replugged in $(kb_since "$tr") s"
			else
				kb_bad "$mode: QMP replug failed: $(cat "$KB_T/qmp-$mode.log")"
			fi
			if kb_wait_mark back 90; then
				kb_ok "$mode: devices back $(kb_since "$tr") s after the restart"
			else
				kb_bad "$mode: devices did not come back"
			fi
		else
			kb_bad "$mode: devices not removed within 30 s: the VM is stuck (see the console log)"
			kb_vm_abort 40
		fi
	else
		kb_bad "$mode: the VM never started its I/O"
	fi
	kb_vm_wait
	rc=$?
	phase_status "$mode" "$rc"
	kb_card_stop TERM
}

run_mode irq
run_mode poll
KB_CONSOLE=/dev/null # both phases' results are already counted
kb_finish 0
