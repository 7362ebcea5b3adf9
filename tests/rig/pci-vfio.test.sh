#!/usr/bin/env bash
# The vfio link of libvmsg_host (issue 11 section 2) in the host VM. Debian
# 12's kernel has no vfio no-IOMMU mode (CONFIG_VFIO_NOIOMMU unset), so the
# VM gets QEMU's intel-iommu (intel_iommu=on iommu=pt: vmsg_pci keeps
# identity DMA, vfio gets a type1 container). The emulated link's card reads
# guest RAM by physical address, so the link maps its huge-page host memory
# at IOVA = physical address. Unbind vmsg_pci, bind vfio-pci,
# vmsg-host-demo --pci (blk, net loopback, rng, PINGs), then vmsg_pci again
# (new epoch, stock drivers). About 60 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
DEMO=$(kb_find_built userspace_pmd/tools/vmsg-host-demo) ||
	kb_die "vmsg-host-demo not built (meson setup build && ninja -C build)"
VP=$(kb_find_built userspace_pmd/tools/vmsg_pci/vmsg-pci) ||
	kb_die "vmsg-pci not built (meson setup build && ninja -C build)"
kb_init
truncate -s 16M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --net loopback --rng
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-vfio.vm.sh" --timeout 300 --file "$DEMO" --file "$VP" \
	--qemu-arg -device --qemu-arg intel-iommu,intremap=on \
	--stock-modules vfio_iommu_type1 --append 'intel_iommu=on iommu=pt'
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_finish $rc
