// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_fw.c - the fw_shared sources the bus needs, compiled into
 * vmsg_pci.ko (Kbuild builds only sources below M): the validator every
 * message from the card goes through, the builders, and the SPSC ring.
 * Not exported; virtio_msg.ko compiles its own copy of the builders.
 */
#include "../fw_shared/src/virtio_msg_validate.c"
#include "../fw_shared/src/virtio_msg_build.c"
#include "../fw_shared/src/vmsg_ring.c"
