/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * pci_find.h - the discovery of vmsg-pci with libpci (pciutils), shared by
 * vmsg-pci and vmsg-bench --pci: every function with the binding's ids, and
 * every QEMU ivshmem device whose BAR 2 carries a card's link page, with
 * what libpci knows (ids, driver, IOMMU group, BAR) and the binding
 * identity read from BAR0 where it can be.
 */
#ifndef VMSG_PCI_FIND_H
#define VMSG_PCI_FIND_H

#include <stdbool.h>
#include <stddef.h>

#include "pci_probe.h"

/*
 * Scan the PCI buses (slot: a pciutils slot filter "[[dom:]bus:]dev.fn",
 * or NULL for every function). Fills devs[0..*n) (at most max); skipped
 * counts ivshmem devices that are not cards, unchecked is set when one
 * could not be checked (said on stderr). Returns 0, or -EINVAL with why
 * for a bad slot. libpci's fatal errors exit the process (status 2).
 */
int vpci_discover(const char *slot, bool verbose, struct vpci_dev *devs, unsigned int max,
		  unsigned int *n, unsigned int *skipped, bool *unchecked, char *why,
		  size_t why_len);

#endif /* VMSG_PCI_FIND_H */
