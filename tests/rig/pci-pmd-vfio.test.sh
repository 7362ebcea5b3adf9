#!/usr/bin/env bash
# The net_vmsg PMD and vmsg-bench on the vfio link (issue 11) in the host
# VM, with QEMU's intel-iommu as in pci-vfio.test.sh (Debian 12's kernel has
# no vfio no-IOMMU mode). The soft card offers net loopback and rng. In the
# VM: the card handed from vmsg_pci to vfio-pci; Debian's stock dpdk-testpmd
# and the tests/pmd pmd_loop app (copied in with their shared libraries)
# load net_vmsg with --vdev net_vmsg0,pci=ADDR on 2 MiB huge pages in
# --iova-mode=pa (the emulated link's card reads guest RAM by physical
# address); pmd_loop checks every frame's payload, testpmd io-forwards;
# the usual mistakes give their errors (still bound to vmsg_pci, IOVA not
# the physical address); vmsg-bench latency --pci first (libpci discovery);
# then back to vmsg_pci: new epoch, stock drivers. About 3 min (TCG).
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
SO=$(kb_find_built userspace_pmd/net_vmsg/librte_net_vmsg.so) ||
	kb_die "librte_net_vmsg.so not built (meson setup build && ninja -C build)"
LOOP=$(kb_find_built tests/pmd/pmd_loop) ||
	kb_die "pmd_loop not built (meson setup build && ninja -C build)"
BENCH=$(kb_find_built bench/vmsg-bench) ||
	kb_die "vmsg-bench not built (meson setup build && ninja -C build)"
VP=$(kb_find_built userspace_pmd/tools/vmsg_pci/vmsg-pci) ||
	kb_die "vmsg-pci not built (meson setup build && ninja -C build)"
TESTPMD=$(command -v dpdk-testpmd) || kb_die "dpdk-testpmd not installed (make deps: dpdk)"
# the ring mempool driver is a plugin testpmd does not link: copy it in too
PMDS=$(dirname "$(ldd "$TESTPMD" | sed -n 's/.*=> \(.*librte_bus_vdev\.so[^ ]*\).*/\1/p')")
RING=$PMDS/librte_mempool_ring.so.23
[ -e "$RING" ] || kb_die "$RING missing (Debian's librte-mempool-ring23)"
# glibc loads libgcc_s at run time (thread cancellation at DPDK's exit): not in ldd's list
GCCS=$(ldconfig -p | sed -n 's/^\tlibgcc_s\.so\.1 (libc6,x86-64) => //p' | head -n 1)
[ -n "$GCCS" ] || kb_die "libgcc_s.so.1 not found (ldconfig -p)"
kb_init
kb_card_start --net loopback --rng
t=$(kb_now)
# plugins in /opt/vmsg (DPDK refuses a plugin in a world-writable directory)
kb_vm "$KB_SCRIPTS/pci-pmd-vfio.vm.sh" --timeout 600 --mem 768M \
	--file "$SO:/opt/vmsg/librte_net_vmsg.so" --file "$RING:/opt/vmsg/librte_mempool_ring.so.23" \
	--file "$GCCS:$GCCS" --file "$LOOP" --file "$TESTPMD" --file "$BENCH" --file "$VP" \
	--qemu-arg -device --qemu-arg intel-iommu,intremap=on \
	--stock-modules vfio_iommu_type1 --append 'intel_iommu=on iommu=pt'
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
