# The vfio link of libvmsg_host inside the host VM (QEMU's intel-iommu,
# intel_iommu=on iommu=pt): the card's ivshmem device handed from vmsg_pci
# to vfio-pci, vmsg-host-demo --pci runs blk, net and rng through the card,
# then back to vmsg_pci (new epoch, stock drivers).
A=0000:01:00.0
P=/sys/bus/pci/devices/$A
DEMO=/rig/files/vmsg-host-demo
VP=/rig/files/vmsg-pci
epoch_now() { echo $(($(stat_get epoch))); }
drv() { driver_of "$P"; }
check "the VM has an IOMMU (groups in /sys/kernel/iommu_groups)" \
	sh -c '[ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]'
check "the card's function has an IOMMU group" test -e "$P/iommu_group"
load_bus
check "vmsg_pci attached (RUN) within 20 s" wait_for 20 card_is RUN
ep1=$(epoch_now)
say "epoch under vmsg_pci: $ep1"
# The usual mistake: the card still bound to vmsg_pci.
"$DEMO" --pci "$A" >/tmp/busy.out 2>&1
rc=$?
sed 's/^/vm: busy: /' /tmp/busy.out
check "--pci on a card bound to vmsg_pci: exit 1" [ "$rc" = 1 ]
check "--pci on a card bound to vmsg_pci: says how to rebind" \
	grep -q "bound to vmsg_pci, not vfio-pci; rebind it" /tmp/busy.out
# Hand it to vfio-pci.
echo "$A" >/sys/bus/pci/drivers/vmsg_pci/unbind
check "unbound from vmsg_pci" wait_for 10 sh -c "[ ! -e $P/driver ]"
modprobe -a vfio-pci vfio_iommu_type1 || bad "modprobe vfio-pci vfio_iommu_type1"
echo vfio-pci >"$P/driver_override"
echo "$A" >/sys/bus/pci/drivers_probe
check "bound to vfio-pci" wait_for 10 is_bound "$P" vfio-pci
"$VP" -s "$A" >/tmp/vp.out 2>&1
sed 's/^/vm: vmsg-pci: /' /tmp/vp.out
check "vmsg-pci: driver vfio-pci" grep -q "driver: vfio-pci" /tmp/vp.out
echo 16 >/proc/sys/vm/nr_hugepages
say "huge pages: $(cat /proc/sys/vm/nr_hugepages)"
"$DEMO" --pci "$A" --mem-mib 2 --blk-mib 1 --frames 200 >/tmp/demo.out 2>&1
rc=$?
sed 's/^/vm: demo: /' /tmp/demo.out
check "vmsg-host-demo --pci over vfio: exit 0" [ "$rc" = 0 ]
check "vmsg-host-demo --pci: all checks passed" grep -q "all checks passed" /tmp/demo.out
check "blk verified" grep -q "blk: wrote 1 MiB + flush" /tmp/demo.out
check "net frames came back" grep -q "net: 200 frames" /tmp/demo.out
# Back to vmsg_pci.
echo "$A" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"$P/driver_override"
echo "$A" >/sys/bus/pci/drivers_probe
check "bound to vmsg_pci again" wait_for 10 is_bound "$P" vmsg_pci
check "vmsg_pci attached again (RUN) within 20 s" wait_for 20 card_is RUN
ep2=$(epoch_now)
check "a new epoch ($ep1 -> $ep2)" [ "$ep2" != "$ep1" ]
check "the stock drivers bind again (3 devices) within 20 s" wait_for 20 have_ndev 3
check "virtio_rng bound" wait_for 20 sh -c 'ls /sys/bus/virtio/drivers/virtio_rng | grep -q virtio'
finish
