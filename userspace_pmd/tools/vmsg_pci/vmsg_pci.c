// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * vmsg-pci - find the virtio-msg PCIe cards of this host with libpci
 * (pciutils) and show what each one is: address, ids, driver, BAR, and the
 * binding identity read (read-only) from its BAR0 control block.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_find.h"
#include "pci_probe.h"
#include "vmsg_pcie.h"

#define VPCI_EXIT_FOUND 0
#define VPCI_EXIT_NONE	1
#define VPCI_EXIT_ERROR 2
#define VPCI_MAX_DEVS	64

static const char manual[] =
    "NAME\n"
    "    vmsg-pci - list the virtio-msg PCIe cards of this host and their binding identity\n"
    "\n"
    "SYNOPSIS\n"
    "    vmsg-pci [--json] [-s [[[DOMAIN:]BUS:]DEV][.[FUNC]]] [-v]\n"
    "    vmsg-pci --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    vmsg-pci scans the PCI bus with libpci (pciutils' library: the same view as\n"
    "    lspci) and lists every function that is a vmsg-pcie card:\n"
    "\n"
    "    card      a function matching the binding's id table (vendor 766d, device\n"
    "              0001, any subsystem; or any vendor and device with subsystem\n"
    "              766d:0001 and class ff0000). Its BAR 0 is the binding's BAR0.\n"
    "    emulated  QEMU's ivshmem-doorbell (1af4:1110) whose BAR 2 ends with a valid\n"
    "              emulated link page whose ids match that same table, and whose BAR 2\n"
    "              starts with the binding's control block (magic VMSG, binding 1.x):\n"
    "              the rule the host driver vmsg_pci applies before it claims one.\n"
    "              Other ivshmem devices are not listed (-v says why).\n"
    "\n"
    "    For each card it prints the PCI address, the function's ids, the driver bound\n"
    "    to it (vmsg_pci, vfio-pci, ... or none), its IOMMU group, the BAR holding the\n"
    "    binding's BAR0 (address, size, sysfs resource file) and, read from that BAR,\n"
    "    the binding identity: magic, binding version, link state, epoch, attach error,\n"
    "    heartbeat, card features, DMA address bits, message size, doorbells,\n"
    "    vectors, h2c ring geometry, the host-written fields and the card's counters.\n"
    "    Emulated cards also show the link page (the card's ids, the server's wire\n"
    "    section). Values a host would refuse are listed as problems.\n"
    "\n"
    "    The BAR is mapped read-only from /sys/bus/pci/devices/ADDR/resourceN and only\n"
    "    read: listing a card never disturbs the driver using it. Reading a BAR needs\n"
    "    root (the resource files are mode 0600); without it cards are still listed\n"
    "    from their ids, with the reason the identity could not be read, and ivshmem\n"
    "    devices cannot be checked. Every value read from a BAR is checked before it\n"
    "    is used as an offset or a size.\n"
    "\n"
    "    A kernel built with CONFIG_IO_STRICT_DEVMEM (Debian's) refuses user mappings\n"
    "    of a BAR a driver holds. For a card bound to vmsg_pci the identity is then\n"
    "    read from the driver's live copy of the control block,\n"
    "    /sys/kernel/debug/vmsg_pci/ADDR/regs (debugfs mounted; the h2c ring header\n"
    "    and the link page are not read then), and the output says so.\n"
    "\n"
    "OPTIONS\n"
    "    --json\n"
    "        Print one JSON array, one object per card (fields: address, kind,\n"
    "        vendor_id, device_id, subsystem_vendor_id, subsystem_id, class, revision,\n"
    "        driver (null if none), iommu_group, bar, bar_phys, bar_size, bar0_len,\n"
    "        resource, link_page (emulated only), identity_source (\"BAR\" or\n"
    "        \"vmsg_pci debugfs\"), identity (null when not read, then error says\n"
    "        why) with its fields, counters and problems). Ids are hex\n"
    "        strings without 0x. Nothing found prints [].\n"
    "    -s [[[DOMAIN:]BUS:]DEV][.[FUNC]]\n"
    "        Only the functions at this address, as lspci -s reads it.\n"
    "    -v, --verbose\n"
    "        Also say on standard error why each ivshmem device is not a card.\n"
    "    -h, --help\n"
    "        Print this manual.\n"
    "    --version\n"
    "        Print the version.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  at least one card was found (even one whose identity could not be read).\n"
    "    1  no card: every candidate was checked and none is a card (the message\n"
    "       `vmsg-pci: no virtio-msg card found` goes to standard error; --json\n"
    "       prints []).\n"
    "    2  an error: bad arguments, libpci could not scan the bus, or no card was\n"
    "       found while an ivshmem device could not be checked (its BAR unreadable,\n"
    "       e.g. not root), so \"no card\" cannot be said.\n"
    "\n"
    "EXAMPLES\n"
    "    List the cards (as root, to read the identity):\n"
    "        sudo vmsg-pci\n"
    "    Only the function at 01:00.0, as JSON:\n"
    "        sudo vmsg-pci -s 01:00.0 --json\n"
    "    The same functions seen by lspci (see docs/vmsg-pci.md to name them):\n"
    "        lspci -nn -d 766d:\n"
    "        lspci -nn -d 1af4:1110\n"
    "    Before binding a card to vfio-pci, find its IOMMU group and driver:\n"
    "        sudo vmsg-pci --json | grep -E '\"(address|driver|iommu_group)\"'\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmsg-pci: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nvmsg-pci: see vmsg-pci --help\n", stderr);
	return VPCI_EXIT_ERROR;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static struct vpci_dev devs[VPCI_MAX_DEVS];
	bool json = false, verbose = false, unchecked = false;
	char *slot = NULL, why[200];
	unsigned int n = 0, skipped = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			slot = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(manual, stdout);
			return 0;
		case 'V':
			printf("vmsg-pci %s (binding %u.%u, libpci %s)\n", VMSG_PCI_VERSION,
			       VMSG_PCIE_VERSION_MAJOR, VMSG_PCIE_VERSION_MINOR, VMSG_PCI_LIBPCI);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	if (vpci_discover(slot, verbose, devs, VPCI_MAX_DEVS, &n, &skipped, &unchecked, why,
			  sizeof(why)) < 0)
		return usage_error("%s", why);

	if (json)
		vpci_print_json(stdout, devs, n);
	else
		for (unsigned int i = 0; i < n; i++)
			vpci_print_text(stdout, &devs[i]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("vmsg-pci: standard output");
		return VPCI_EXIT_ERROR;
	}
	if (n)
		return VPCI_EXIT_FOUND;
	if (unchecked) {
		fprintf(stderr, "vmsg-pci: no card found, but some ivshmem device could not be "
				"checked (see above)\n");
		return VPCI_EXIT_ERROR;
	}
	fprintf(stderr, "vmsg-pci: no virtio-msg card found%s\n",
		skipped ? " (ivshmem devices without the card's signature: -v says why)" : "");
	return VPCI_EXIT_NONE;
}
