# card-vm-epc.vm.sh - the card VM half of tests/rig/card-vm-epc.test.sh
# (busybox sh; kbus-vm-lib.sh is prepended). pci-epf-test on the virtual
# endpoint controller through configfs, the standard steps; the host side
# (an ivshmem client) connects once it sees "@@MARK epc-ready".
ST=$(ls /sys/kernel/debug/pcie-vmsg-ivshmem-ep/*/state 2>/dev/null | head -n 1)
st() { awk -v k="$1" '$1 == k { print $2 }' "$ST"; }
ge() { [ "$(st "$1")" -ge "$2" ] 2>/dev/null; }
check "the controller is bound (debugfs state)" test -n "$ST"
[ -n "$ST" ] || { dmesg | tail -n 30; exit 1; }
EPC=$(ls /sys/class/pci_epc/ | head -n 1)
check "a pci_epc is registered ($EPC)" test -n "$EPC"
check "the controller is ivshmem peer 0" test "$(st own_id)" = 0
check "not started: no link reported yet" test "$(st linkups)" = 0

CFG=/sys/kernel/config/pci_ep
F=$CFG/functions/pci_epf_test/func0
mkdir "$F" && echo 0x104c >"$F/vendorid" && echo 0xb500 >"$F/deviceid" &&
	echo 0xff >"$F/baseclass_code" && echo 8 >"$F/msix_interrupts" &&
	ln -s "$F" "$CFG/controllers/$EPC/" && echo 1 >"$CFG/controllers/$EPC/start"
check "configfs: pci_epf_test func0 bound to $EPC and started" test $? = 0
check "started" test "$(st started)" = 1
check "BAR0 set at the start of the BAR space ($(st bar0_size) bytes)" ge bar0_size 4096
check "MSI-X: 8 vectors" test "$(st msix_count)" = 8
mark epc-ready

check "link up reported when the host peer connected" wait_for 120 ge linkups 1
check "link down seen when the host left" wait_for 180 ge linkdowns 1
check "a new link up when a host came back" wait_for 60 ge linkups 2
check "the card raised the host's interrupts (irqs_raised $(st irqs_raised))" ge irqs_raised 5
check "no interrupt refused while the host was there" test "$(st irqs_refused)" = 0
cat "$ST"

# One function: a second one cannot be linked (max_functions 1).
F1=$CFG/functions/pci_epf_test/func1
mkdir "$F1"
if ln -s "$F1" "$CFG/controllers/$EPC/" 2>/dev/null; then
	bad "a second function was bound to a one-function controller"
	rm "$CFG/controllers/$EPC/func1"
else
	ok "a second function is refused (one function)"
fi
rmdir "$F1"

echo 0 >"$CFG/controllers/$EPC/start"
check "stop: not started" test "$(st started)" = 0
rm "$CFG/controllers/$EPC/func0" && rmdir "$F"
check "unbind: pci-epf-test cleared BAR0" test "$(st bar0_size)" = 0
say "done in $(since "$VM_T0") s"
[ "$VM_FAILS" = 0 ]
