# shellcheck shell=sh disable=SC2016,SC2034 # ck evaluates its quoted test
# card-epf-module.vm.sh - runs inside the card VM (tests/rig/card-epf-module.test.sh):
# pci-epf-vmsg.ko on the test-only fake-epc.ko, configured through configfs
# as on hardware, exercised by epf-abi-test. Prints "vm: ok - ..." and
# "vm: FAIL - ..." lines; the exit status is the number of failures.
P=/sys/kernel/config/pci_ep
F=$P/functions/pci_epf_vmsg/func0
A=$F/pci_epf_vmsg.0
C=$P/controllers/fake-epc
T=/rig/files/epf-abi-test
fail=0
ok() { echo "vm: ok - $*"; }
bad() {
	echo "vm: FAIL - $*"
	fail=$((fail + 1))
}
ck() { if eval "$1"; then ok "$2"; else bad "$2"; fi; }
refused() { if echo "$2" >"$A/$1" 2>/dev/null; then bad "$1=$2 accepted"; else ok "$1=$2 refused"; fi; }
up() { mkdir $F && ln -s $F $C/ && echo 1 >$C/start && echo 1 >/sys/module/fake_epc/parameters/linkup; }
down() { echo 0 >$C/start && rm $C/func0; }
run() { # run LOG ARGS...: epf-abi-test, its result lines on the console
	log=$1
	shift
	$T /dev/vmsg-epf0 "$@" >"$log" 2>&1
	grep -a '^vm: ' "$log"
	fail=$((fail + $(grep -a -c '^vm: FAIL' "$log")))
}

insmod /rig/files/fake-epc.ko || { bad "insmod fake-epc.ko"; exit 1; }
modprobe pci-epf-vmsg || { bad "modprobe pci-epf-vmsg"; exit 1; }
mkdir $F
ck '[ "$(cat $F/vendorid)" = 0x766d ] && [ "$(cat $F/deviceid)" = 0x0001 ]' "header ids default to fw_shared's"
ck '[ "$(cat $A/ring_slots)" = 64 ] && [ "$(cat $A/poll_interval_us)" = 500 ]' "binding parameters have defaults"
refused ring_slots 3
refused ring_slots 8192
refused slot_size 100
refused max_msg_size 47
refused dma_addr_bits 65
refused bar0_size 65537
refused num_doorbells 1
refused poll_interval_us 5
refused doorbell_mode msi
refused doorbell_mode junk
echo 4096 >$A/ring_slots
echo 4096 >$A/slot_size
ck '! ln -s $F $C/ 2>/dev/null' "bind refused when the h2c ring does not fit BAR0"
echo 64 >$A/ring_slots
echo 320 >$A/slot_size
echo 4 >$F/msix_interrupts
ck 'ln -s $F $C/ && echo 1 >$C/start' "bind and start"
echo 1 >/sys/module/fake_epc/parameters/linkup
ck '[ -c /dev/vmsg-epf0 ] && [ "$(cat /sys/class/misc/vmsg-epf0/function)" = func0 ]' "/dev/vmsg-epf0 names func0"
refused ring_slots 128
run /tmp/basic.log basic

# unbind with the daemon open, no BYE: UNBIND + POLLHUP, SHUTDOWN by the module
r0=$(cat /sys/module/fake_epc/parameters/raised)
$T /dev/vmsg-epf0 hold >/tmp/hold.log 2>&1 &
hp=$!
sleep 4
t0=$(date +%s)
down
t1=$(date +%s)
wait $hp
grep -a '^vm: ' /tmp/hold.log
fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/hold.log)))
ck '[ $((t1 - t0)) -le 3 ]' "unbind waited for the daemon a bounded time ($((t1 - t0)) s)"
ck '[ $(($(cat /sys/module/fake_epc/parameters/raised) - r0)) = 2 ]' "vec_c2h raised with SHUTDOWN (and the test's own)"
ck 'dmesg | grep -q "did not say BYE"' "the module told the host SHUTDOWN"
ck '! rmmod pci_epf_vmsg 2>/dev/null' "rmmod refused while func0 exists"
rmdir $F

# BAR0 with a hostile irq_mode and vec_c2h: nothing raised but the test's own
up
r0=$(cat /sys/module/fake_epc/parameters/raised)
HOSTILE=1 $T /dev/vmsg-epf0 hold >/tmp/hostile.log 2>&1 &
hp=$!
sleep 4
down
wait $hp
fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/hostile.log)))
ck '[ $(($(cat /sys/module/fake_epc/parameters/raised) - r0)) = 1 ]' "hostile irq_mode/vec_c2h: no vector raised at unbind"
rmdir $F

# BYE: unbind does not wait and does not write SHUTDOWN
up
$T /dev/vmsg-epf0 holdbye >/tmp/bye.log 2>&1 &
hp=$!
sleep 4
dmesg -c >/dev/null
down
wait $hp
fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/bye.log)))
ck '! dmesg | grep -q "did not say BYE"' "after BYE the module leaves SHUTDOWN to the daemon"
rmdir $F

# the daemon killed with its mappings, a new one opens; a link that comes back
up
$T /dev/vmsg-epf0 hold >/dev/null 2>&1 &
hp=$!
sleep 3
kill -9 $hp
wait $hp
$T /dev/vmsg-epf0 relink >/tmp/relink.log 2>&1 &
hp=$!
for _ in $(seq 50); do grep -q ready /tmp/relink.log && break; sleep 0.2; done
echo 1 >/sys/module/fake_epc/parameters/linkup
wait $hp
grep -a '^vm: ' /tmp/relink.log
fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/relink.log)))

# the file outlives unbind and rmdir; rmmod waits for it
$T /dev/vmsg-epf0 hold >/tmp/outlive.log 2>&1 &
hp=$!
sleep 4
down
rmdir $F
ck '! rmmod pci_epf_vmsg 2>/dev/null' "rmmod refused while a file is open"
wait $hp
fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/outlive.log)))
ck 'rmmod pci_epf_vmsg' "rmmod once the file is closed"

# load, bind, use, unbind, unload: 5 rounds
for i in 1 2 3 4 5; do
	if ! { modprobe pci-epf-vmsg && up && $T /dev/vmsg-epf0 >/tmp/round.log 2>&1 &&
		down && rmdir $F && rmmod pci_epf_vmsg; }; then
		bad "round $i"
	fi
	fail=$((fail + $(grep -a -c '^vm: FAIL' /tmp/round.log)))
done
ok "5 load/bind/unbind/unload rounds"
exit $fail
