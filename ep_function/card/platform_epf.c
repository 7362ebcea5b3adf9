// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * platform_epf.c - platform epf: the card is a Linux PCI endpoint function
 * (pci-epf-vmsg.ko on a kernel with CONFIG_PCI_ENDPOINT). Not written yet:
 * registered so that the command line knows it, refused with exit status 2.
 */
#include "card_platform.h"

const struct card_platform card_platform_epf = {
    .name = "epf",
    .summary = "a Linux PCI endpoint function (pci-epf-vmsg.ko)",
    .manual = "        BAR0 is the endpoint function's BAR, doorbells its register writes,\n"
	      "        interrupts the endpoint controller's MSI-X, host memory the\n"
	      "        controller's outbound window. Needs pci-epf-vmsg.ko on a kernel with\n"
	      "        CONFIG_PCI_ENDPOINT.\n",
    .missing = "needs pci-epf-vmsg.ko, see ep_function/README.md",
};
