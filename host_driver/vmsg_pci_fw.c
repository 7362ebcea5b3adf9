// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_fw.c - the fw_shared SPSC ring (the PCIe binding's rings),
 * compiled into vmsg_pci.ko, its only user (Kbuild builds only sources
 * below M). The message builders and the validator come from virtio_msg.ko
 * (virtio_msg_fw.c), so no fw_shared symbol is defined twice.
 */
#include "../fw_shared/src/vmsg_ring.c"
