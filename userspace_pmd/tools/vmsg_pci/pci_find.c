// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * pci_find.c - vmsg-pci's discovery with libpci (pci_alloc, pci_scan_bus,
 * pci_fill_info), shared with vmsg-bench --pci.
 */
#include "pci_find.h"

#include <errno.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg_pcie.h"

#define VPCI_EXIT_ERROR 2
#define VPCI_FILL_WANTED                                                                           \
	(PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS | PCI_FILL_BASES | \
	 PCI_FILL_SIZES | PCI_FILL_IO_FLAGS | PCI_FILL_DRIVER | PCI_FILL_IOMMU_GROUP)

static void __attribute__((noreturn, format(printf, 1, 2))) lib_error(char *msg, ...)
{
	va_list ap;

	fprintf(stderr, "%s: libpci: ", program_invocation_short_name);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(VPCI_EXIT_ERROR);
}

static void __attribute__((format(printf, 1, 2))) lib_warning(char *msg, ...)
{
	va_list ap;

	fprintf(stderr, "%s: libpci warning: ", program_invocation_short_name);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2))) lib_debug(char *msg, ...)
{
	(void)msg;
}

/* Fill what libpci knows; false (and why) if a field we need is missing. */
static bool fill_dev(struct pci_dev *p, struct vpci_dev *d, const char *sysfs, int bar)
{
	int known = pci_fill_info(p, VPCI_FILL_WANTED);
	char *s;

	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%04x:%02x:%02x.%u", (unsigned int)p->domain & 0xffffu,
		 p->bus, p->dev, p->func);
	d->vendor = p->vendor_id;
	d->device = p->device_id;
	d->subvendor = p->subsys_vendor_id;
	d->subdevice = p->subsys_id;
	d->class_code = (uint32_t)p->device_class << 8 | p->prog_if;
	d->revision = p->rev_id;
	d->iommu_group = -1;
	d->bar = bar;
	if (known & PCI_FILL_DRIVER) {
		s = pci_get_string_property(p, PCI_FILL_DRIVER);
		if (s)
			snprintf(d->driver, sizeof(d->driver), "%s", s);
	}
	if (known & PCI_FILL_IOMMU_GROUP) {
		s = pci_get_string_property(p, PCI_FILL_IOMMU_GROUP);
		if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 9)
			d->iommu_group = atoi(s);
	}
	d->bar_phys = p->base_addr[bar] & PCI_ADDR_MEM_MASK;
	d->bar_size = p->size[bar];
	snprintf(d->resource, sizeof(d->resource), "%s/devices/%04x:%02x:%02x.%u/resource%d", sysfs,
		 (unsigned int)p->domain & 0xffffu, p->bus, p->dev, p->func, bar);
	if (!(known & PCI_FILL_SIZES) || !d->bar_size) {
		snprintf(d->error, sizeof(d->error), "BAR%d is not implemented (no size)", bar);
		return false;
	}
	if ((known & PCI_FILL_IO_FLAGS) ? !(p->flags[bar] & PCI_IORESOURCE_MEM)
					: (p->base_addr[bar] & PCI_BASE_ADDRESS_SPACE_IO)) {
		snprintf(d->error, sizeof(d->error), "BAR%d is not a memory BAR", bar);
		return false;
	}
	return true;
}

/*
 * The resource file could not be mapped (EINVAL): a kernel with
 * CONFIG_IO_STRICT_DEVMEM (Debian's) refuses user mappings of a BAR a
 * driver holds. vmsg_pci offers its live copy of the control block in
 * debugfs; for another driver, say what holds the BAR.
 */
static enum vpci_probe driver_fallback(struct vpci_dev *d)
{
	uint64_t bar0_len = d->bar_size;
	char path[128], err[sizeof(d->error)];

	if (strcmp(d->driver, "vmsg_pci") != 0) {
		char drv[sizeof(d->driver)];

		snprintf(drv, sizeof(drv), "%s", d->driver);
		snprintf(d->error, sizeof(d->error),
			 "BAR%d held by %s: this kernel refuses to map it from user space "
			 "(CONFIG_IO_STRICT_DEVMEM)",
			 d->bar, drv);
		return VPCI_PROBE_ERROR;
	}
	/* vmsg_pci checked the link page; BAR0 is at most what precedes it */
	if (d->kind == VPCI_KIND_EMU && bar0_len >= VMSG_EMU_PAGE_SIZE)
		bar0_len -= VMSG_EMU_PAGE_SIZE;
	snprintf(path, sizeof(path), "/sys/kernel/debug/vmsg_pci/%s/regs", d->addr);
	if (vpci_probe_regs_file(path, d, bar0_len) == VPCI_PROBE_OK)
		return VPCI_PROBE_OK;
	snprintf(err, sizeof(err), "%s", d->error);
	snprintf(d->error, sizeof(d->error),
		 "BAR%d held by vmsg_pci (unmappable here) and its debugfs copy unreadable: %.150s",
		 d->bar, err);
	return VPCI_PROBE_ERROR;
}

int vpci_discover(const char *slot, bool verbose, struct vpci_dev *devs, unsigned int max,
		  unsigned int *n_out, unsigned int *skipped, bool *unchecked, char *why,
		  size_t why_len)
{
	struct pci_filter filter;
	struct pci_access *acc;
	const char *sysfs;
	unsigned int n = 0;

	*skipped = 0;
	*unchecked = false;
	acc = pci_alloc();
	acc->error = lib_error;
	acc->warning = lib_warning;
	acc->debug = lib_debug;
	pci_filter_init(acc, &filter);
	if (slot) {
		char *err = pci_filter_parse_slot(&filter, (char *)slot);

		if (err) {
			pci_cleanup(acc);
			snprintf(why, why_len, "-s '%s': %s", slot, err);
			return -EINVAL;
		}
	}
	pci_init(acc);
	sysfs = pci_get_param(acc, "sysfs.path");
	if (!sysfs || !*sysfs)
		sysfs = "/sys/bus/pci";
	pci_scan_bus(acc);

	for (struct pci_dev *p = acc->devices; p; p = p->next) {
		struct vpci_dev *d = &devs[n];
		enum vpci_kind kind;
		int bar;

		pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
				     PCI_FILL_SUBSYS);
		if (!pci_filter_match(&filter, p))
			continue;
		if (vmsg_pcie_card_ids_match(p->vendor_id, p->device_id, p->subsys_vendor_id,
					     p->subsys_id,
					     (uint32_t)p->device_class << 8 | p->prog_if)) {
			kind = VPCI_KIND_CARD;
			bar = 0;
		} else if (p->vendor_id == VMSG_EMU_VENDOR_ID &&
			   p->device_id == VMSG_EMU_DEVICE_ID) {
			kind = VPCI_KIND_EMU;
			bar = VMSG_EMU_SHMEM_BAR;
		} else {
			continue;
		}
		if (n == max) {
			fprintf(stderr, "vmsg-pci: more than %u cards: the rest are not listed\n",
				max);
			break;
		}
		bool usable = fill_dev(p, d, sysfs, bar);

		d->kind = kind;
		if (!usable) {
			if (kind == VPCI_KIND_CARD) {
				n++;
			} else if (verbose) {
				fprintf(stderr, "vmsg-pci: %s (ivshmem): not a card: %s\n", d->addr,
					d->error);
			}
			continue;
		}
		enum vpci_probe r = vpci_probe_file(d->resource, d, why, why_len);

		if (r == VPCI_PROBE_ERROR && d->map_errno == EINVAL && d->driver[0])
			r = driver_fallback(d);
		switch (r) {
		case VPCI_PROBE_NOT_OURS:
			(*skipped)++;
			if (verbose)
				fprintf(stderr, "vmsg-pci: %s (ivshmem): not a card: %s\n", d->addr,
					why);
			break;
		case VPCI_PROBE_ERROR:
			if (kind == VPCI_KIND_EMU) {
				*unchecked = true;
				fprintf(stderr,
					"vmsg-pci: %s (ivshmem): cannot tell whether it is a card: "
					"%s\n",
					d->addr, d->error);
				break;
			}
			n++;
			break;
		case VPCI_PROBE_OK:
			n++;
			break;
		}
	}
	pci_cleanup(acc);
	*n_out = n;
	return 0;
}
