# The net_vmsg PMD (--vdev net_vmsg0,pci=ADDR) and vmsg-bench --pci over the
# vfio link inside the host VM (QEMU's intel-iommu, intel_iommu=on
# iommu=pt), then back to vmsg_pci (new epoch, stock drivers).
A=0000:01:00.0
P=/sys/bus/pci/devices/$A
F=/rig/files
SO=/opt/vmsg/librte_net_vmsg.so
RING=/opt/vmsg/librte_mempool_ring.so.23
epoch_now() { echo $(($(stat_get epoch))); }
# EAL arguments: huge pages, IOVA = physical address (the emulated link's
# card reads guest RAM by physical address), no PCI bus scan of DPDK's own
eal() {
	echo "-l 0-1 -n 1 --no-pci --file-prefix vmsgpmd $1 -d $RING -d $SO --vdev net_vmsg0,pci=$A"
}
check "the VM has an IOMMU (groups in /sys/kernel/iommu_groups)" \
	sh -c '[ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]'
check "plugin directory not world-writable" sh -c '[ "$(stat -c %a /opt/vmsg)" = 755 ]'
mkdir -p /dev/hugepages /var/run/dpdk
mount -t hugetlbfs nodev /dev/hugepages || bad "mount hugetlbfs"
echo 96 >/proc/sys/vm/nr_hugepages
say "huge pages: $(cat /proc/sys/vm/nr_hugepages)"
check "at least 64 huge pages reserved" [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 64 ]
load_bus
check "vmsg_pci attached (RUN) within 20 s" wait_for 20 card_is RUN
ep1=$(epoch_now)
say "epoch under vmsg_pci: $ep1"

# The usual mistake: the card still bound to vmsg_pci.
# shellcheck disable=SC2046 # eal's words are separate arguments
timeout 120 "$F/pmd_loop" --frames 10 -- $(eal --iova-mode=pa) >/tmp/busy.out 2>&1
rc=$?
sed 's/^/vm: busy: /' /tmp/busy.out | tail -n 12
check "net_vmsg pci= on a card bound to vmsg_pci: pmd_loop fails" [ "$rc" != 0 ]
check "net_vmsg pci= on a card bound to vmsg_pci: says how to rebind" \
	grep -q "bound to vmsg_pci, not vfio-pci; rebind it" /tmp/busy.out

# Hand it to vfio-pci.
echo "$A" >/sys/bus/pci/drivers/vmsg_pci/unbind
check "unbound from vmsg_pci" wait_for 10 sh -c "[ ! -e $P/driver ]"
modprobe -a vfio-pci vfio_iommu_type1 || bad "modprobe vfio-pci vfio_iommu_type1"
echo vfio-pci >"$P/driver_override"
echo "$A" >/sys/bus/pci/drivers_probe
check "bound to vfio-pci" wait_for 10 is_bound "$P" vfio-pci

# The other usual mistake here: DPDK's IOVAs are not physical addresses.
# shellcheck disable=SC2046
timeout 120 "$F/pmd_loop" --frames 10 -- $(eal --iova-mode=va) >/tmp/va.out 2>&1
rc=$?
sed 's/^/vm: iova-va: /' /tmp/va.out | tail -n 6
check "--iova-mode=va on the emulated link: pmd_loop fails" [ "$rc" != 0 ]
check "--iova-mode=va on the emulated link: says --iova-mode=pa" grep -q -- "--iova-mode=pa" /tmp/va.out

# Payload checks: every frame back, intact, in order.
t=$(up)
# shellcheck disable=SC2046
timeout 300 "$F/pmd_loop" --frames 2000 -- $(eal --iova-mode=pa) >/tmp/loop.out 2>&1
rc=$?
sed 's/^/vm: pmd_loop: /' /tmp/loop.out | tail -n 15
say "pmd_loop took $(since "$t") s"
check "pmd_loop over the vfio link: exit 0 (2000 frames back intact, in order)" [ "$rc" = 0 ]
check "pmd_loop: 2000 frames looped intact and in order" \
	grep -q "pmd_loop: 2000 frames looped intact and in order" /tmp/loop.out
check "net_vmsg attached through pci $A" grep -q "attached to pci $A" /tmp/loop.out
check "zero copy: DPDK memory mapped at its IOVA (PA)" \
	grep -q "DPDK memory mapped for the card at its IOVA (PA mode)" /tmp/loop.out

# Stock dpdk-testpmd, io forwarding started with tx_first.
t=$(up)
# shellcheck disable=SC2046
{
	sleep 20
	echo "start tx_first"
	sleep 15
	echo "stop"
	sleep 2
	echo "show port xstats 0"
	echo "quit"
} | timeout 200 "$F/dpdk-testpmd" $(eal --iova-mode=pa) -- -i --forward-mode=io \
	--total-num-mbufs 4096 >/tmp/testpmd.out 2>&1
rc=$?
say "testpmd took $(since "$t") s"
grep -E "net_vmsg|RX-packets|TX-packets|rx_errors|Bye|EAL: Error|Cannot" /tmp/testpmd.out |
	sed 's/^/vm: testpmd: /' | tail -n 20
check "dpdk-testpmd: exit 0" [ "$rc" = 0 ]
check "dpdk-testpmd: net_vmsg attached through pci $A" grep -q "attached to pci $A" /tmp/testpmd.out
rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' /tmp/testpmd.out | tail -n 1)
tx=$(sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' /tmp/testpmd.out | tail -n 1)
rxerr=$(sed -n 's/^rx_errors: *\([0-9]*\)/\1/p' /tmp/testpmd.out | tail -n 1)
check "dpdk-testpmd: frames looped through the card (RX ${rx:-none} >= 500)" \
	[ "${rx:-0}" -ge 500 ]
check "dpdk-testpmd: frames sent (TX ${tx:-none} >= 500)" [ "${tx:-0}" -ge 500 ]
check "dpdk-testpmd: no rx errors (${rxerr:-none})" [ "${rxerr:-x}" = 0 ]

# vmsg-bench latency, the card found by libpci (--pci first).
"$F/vmsg-bench" latency --pci first --mode irq --msg ping --iterations 300 --cpus 0,1 \
	>/tmp/bench.out 2>&1
rc=$?
sed 's/^/vm: bench: /' /tmp/bench.out | tail -n 25
check "vmsg-bench latency --pci first: exit 0" [ "$rc" = 0 ]
check "vmsg-bench picked $A through libpci (driver vfio-pci)" \
	grep -q -- "--pci first: $A, ids 1af4:1110, driver vfio-pci" /tmp/bench.out
check "vmsg-bench: external card at pci $A" grep -q "external card at pci $A" /tmp/bench.out
check "vmsg-bench: an irq PING row" grep -q -E "^irq +PING +[0-9]" /tmp/bench.out

# Back to vmsg_pci.
echo "$A" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"$P/driver_override"
echo "$A" >/sys/bus/pci/drivers_probe
check "bound to vmsg_pci again" wait_for 10 is_bound "$P" vmsg_pci
check "vmsg_pci attached again (RUN) within 20 s" wait_for 20 card_is RUN
ep2=$(epoch_now)
check "a new epoch ($ep1 -> $ep2)" [ "$ep2" != "$ep1" ]
check "the stock drivers bind again (2 devices) within 20 s" wait_for 20 have_ndev 2
check "virtio_rng bound" wait_for 20 sh -c 'ls /sys/bus/virtio/drivers/virtio_rng | grep -q virtio'
check "virtio_net bound (eth0)" wait_for 20 test -e /sys/class/net/eth0
finish
