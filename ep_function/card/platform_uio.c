// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * platform_uio.c - platform uio: a fixed-function PCIe bridge (such as
 * Versal CPM) whose BAR, doorbells and DMA window are mapped through UIO.
 * Not written yet: registered so that the command line knows it, refused
 * with exit status 2.
 */
#include "card_platform.h"

const struct card_platform card_platform_uio = {
    .name = "uio",
    .summary = "a fixed-function bridge through UIO (Versal CPM)",
    .manual = "        BAR0, doorbells, interrupts and the DMA window of a fixed-function\n"
	      "        bridge mapped through UIO.\n",
    .missing = "needs the BAR and doorbell map of a fixed-function bridge, see "
	       "ep_function/README.md",
};
