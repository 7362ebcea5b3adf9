# vmsg-pci (libpci discovery, identity read from BAR) inside the host VM.
# MODE=card: the soft card's ivshmem device, before and after vmsg_pci
# attaches; MODE=foreign: an ivshmem device that is not a card
# (FOREIGN=no-header or ids, see pci-foreign.test.sh).
# The --json output goes to the console between "@@JSON BEGIN NAME" and
# "@@JSON END NAME" lines; the host side parses it (no python in the VM).
VP=/rig/files/vmsg-pci
A=0000:01:00.0
# run_vp NAME ARGS...: run vmsg-pci, output in /tmp/NAME.out/.err, status in /tmp/NAME.rc
run_vp() {
	_n=$1
	shift
	"$VP" "$@" >"/tmp/$_n.out" 2>"/tmp/$_n.err"
	echo $? >"/tmp/$_n.rc"
	sed "s/^/vm: $_n: /" "/tmp/$_n.out" "/tmp/$_n.err"
}
rc_of() { [ "$(cat "/tmp/$1.rc")" = "$2" ]; }
has() { grep -q -F -- "$2" "/tmp/$1.out"; }
err_has() { grep -q -F -- "$2" "/tmp/$1.err"; }
rx_seen() { "$VP" 2>/dev/null | grep -q 'counters: rx_msgs [1-9]'; }
show_json() {
	echo "@@JSON BEGIN $1"
	cat "/tmp/$1.out"
	echo "@@JSON END $1"
}

check "the ivshmem device is there" test -e /sys/bus/pci/devices/$A/vendor
check "vmsg-pci runs (its libraries came with it)" test -x "$VP"
if [ "${MODE:-}" = card ]; then
	# Before any driver: the card published READY and waits for a host.
	run_vp before
	check "before vmsg_pci: exit 0" rc_of before 0
	check "before vmsg_pci: the card listed as an emulated link" has before "$A  1af4:1110"
	check "before vmsg_pci: kind" has before "emulated link"
	check "before vmsg_pci: no driver" has before "driver: none"
	check "before vmsg_pci: magic and binding version from BAR0" \
		has before "magic 0x47534d56, binding 1.1"
	check "before vmsg_pci: link READY" has before "link READY (1)"
	check "before vmsg_pci: read from the BAR" has before "identity read from the BAR"
	check "before vmsg_pci: link page ids from the table" \
		has before "link page: ids 766d:0001 (subsystem 766d:0001, class ff0000"
	check "before vmsg_pci: no problem" sh -c '! grep -q problem /tmp/before.out'
	run_vp beforejson --json
	show_json beforejson
	load_bus
	check "vmsg_pci attached (RUN) within 20 s" wait_for 20 card_is RUN
	run_vp after
	check "after vmsg_pci: exit 0" rc_of after 0
	check "after vmsg_pci: driver vmsg_pci" has after "driver: vmsg_pci"
	check "after vmsg_pci: link RUN" has after "link RUN (2)"
	check "after vmsg_pci: read through the driver (it holds the BAR)" \
		has after "identity read from vmsg_pci's debugfs"
	ep=$(($(stat_get epoch)))
	check "after vmsg_pci: epoch $ep, as the driver's debugfs says" has after "epoch $ep,"
	check "after vmsg_pci: the host's irq_mode and epoch are visible" \
		has after "host: features"
	check "the card's counters (rx_msgs) read from BAR0 grow within 5 s" wait_for 5 rx_seen
	run_vp afterjson --json
	check "--json: exit 0" rc_of afterjson 0
	show_json afterjson
	echo "vm: debugfs epoch $ep"
	run_vp slot -s 01:00.0
	check "-s 01:00.0: the card" rc_of slot 0
	run_vp other -s 00:00.0
	check "-s 00:00.0: nothing, exit 1" rc_of other 1
	check "-s 00:00.0: says so" err_has other "vmsg-pci: no virtio-msg card found"
	run_vp otherjson -s 00:00.0 --json
	check "-s 00:00.0 --json: [] and exit 1" sh -c \
		'[ "$(cat /tmp/otherjson.out)" = "[]" ] && [ "$(cat /tmp/otherjson.rc)" = 1 ]'
	run_vp bad -s zz
	check "-s zz: usage error, exit 2" rc_of bad 2
	check "the card still RUN after all the reads" card_is RUN
else
	load_bus
	sleep 1
	check "vmsg_pci did not bind the foreign device" test ! -e /sys/bus/pci/devices/$A/driver
	run_vp foreign -v
	check "foreign: exit 1" rc_of foreign 1
	check "foreign: nothing listed" test ! -s /tmp/foreign.out
	check "foreign: says no card" err_has foreign "vmsg-pci: no virtio-msg card found"
	if [ "${FOREIGN:-}" = ids ]; then
		check "foreign: -v says the ids are not in the table" err_has foreign \
			"$A (ivshmem): not a card: link page ids 1234:5678 (subsystem 1234:0002, class 020000) not in the id table"
	else
		check "foreign: -v says there is no link page" err_has foreign \
			"$A (ivshmem): not a card: no emulated link page"
	fi
	run_vp foreignjson --json
	check "foreign --json: [] and exit 1" sh -c \
		'[ "$(cat /tmp/foreignjson.out)" = "[]" ] && [ "$(cat /tmp/foreignjson.rc)" = 1 ]'
fi
finish
