// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * platform_epf.c - platform epf's registry entry: its options, the device
 * check (a missing module, several functions, another ABI version: exit
 * status 2 with what to do) and the creation of the link (epf_link.c; the
 * character device calls are epf_dev.c, the interface
 * ep_function/kernel/vmsg_epf_abi.h, docs/epf-chardev.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card_platform.h"
#include "epf_link.h"

struct epf_opts {
	const char *dev; /* --epf-dev, or the one found in /dev */
	char found[64];
	/* Opened by the check (so that a missing module or a wrong ABI is exit
	 * status 2), handed to the link by create. */
	int fd;
	struct vmsg_epf_info info;
};

/* ---- the registry entry: options, check and creation ---- */

enum { EPF_OPT_DEV };

static const struct card_platform_opt epf_opts_table[] = {
    [EPF_OPT_DEV] = {"epf-dev", "PATH",
		     "        The function's character device. Default: the only\n"
		     "        /dev/vmsg-epfN present (several: name one).\n"},
};

static void *epf_opts_new(void)
{
	struct epf_opts *eo = calloc(1, sizeof(*eo));

	if (eo)
		eo->fd = -1;
	return eo;
}

static void epf_opts_free(void *popts)
{
	struct epf_opts *eo = popts;

	if (eo && eo->fd >= 0)
		close(eo->fd);
	free(eo);
}

static int epf_parse_opt(void *popts, unsigned int idx, const char *arg)
{
	struct epf_opts *eo = popts;

	switch (idx) {
	case EPF_OPT_DEV:
		if (!*arg || strlen(arg) >= sizeof(((struct epf_link *)0)->path)) {
			cli_usage_error("--epf-dev '%s': expected a device path such as "
					"/dev/vmsg-epf0",
					arg);
			return -1;
		}
		eo->dev = arg;
		return 0;
	default:
		return -1;
	}
}

/* What to do when there is no function: the same steps docs/epf-chardev.md
 * shows (and the card VM rig runs). */
static const char epf_no_device_help[] =
    "vmsg-card: platform epf: no /dev/" VMSG_EPF_DEV_PREFIX "N device: pci-epf-vmsg.ko is not\n"
    "  loaded, or no vmsg endpoint function is bound to a controller. On the card\n"
    "  (a kernel with CONFIG_PCI_ENDPOINT and CONFIG_PCI_ENDPOINT_CONFIGFS), as root:\n"
    "    modprobe pci-epf-vmsg          # or: insmod pci-epf-vmsg.ko\n"
    "    mount -t configfs none /sys/kernel/config   # if not mounted yet\n"
    "    cd /sys/kernel/config/pci_ep\n"
    "    mkdir functions/pci_epf_vmsg/func0\n"
    "    ln -s functions/pci_epf_vmsg/func0 controllers/EPC/   # EPC: ls /sys/class/pci_epc\n"
    "    echo 1 > controllers/EPC/start\n"
    "  then /dev/" VMSG_EPF_DEV_PREFIX "0 appears (see docs/epf-chardev.md).\n";

static int epf_check(void *popts, const struct card_opts *o)
{
	struct epf_opts *eo = popts;
	char err[512];
	bool usage;

	(void)o;
	if (!eo->dev) {
		struct epf_dev_list list;
		char names[320];
		int r = epf_dev_find(&list);

		if (r < 0) {
			fprintf(stderr, "vmsg-card: platform epf: cannot list %s: %s\n",
				EPF_DEV_DIR, strerror(-r));
			return -1;
		}
		if (list.n == 0) {
			fputs(epf_no_device_help, stderr);
			return -1;
		}
		if (list.n > 1) {
			epf_dev_list_str(&list, names, sizeof(names));
			fprintf(stderr,
				"vmsg-card: platform epf: %u endpoint functions are present (%s): "
				"choose one with --epf-dev PATH\n",
				list.n, names);
			return -1;
		}
		snprintf(eo->found, sizeof(eo->found), "%s", list.names[0]);
		eo->dev = eo->found;
	}
	eo->fd = epf_dev_open(eo->dev, &eo->info, err, sizeof(err), &usage);
	if (eo->fd < 0) {
		fprintf(stderr, "vmsg-card: platform epf: %s\n", err);
		return -1;
	}
	return 0;
}

static int epf_create(const void *popts, const struct card_opts *o, struct card_link *link)
{
	/* The check opened the device: the link takes the descriptor over
	 * (the options are the daemon's own, allocated by epf_opts_new). */
	struct epf_opts *eo = (struct epf_opts *)(uintptr_t)popts;
	int fd = eo->fd;

	eo->fd = -1;
	return epf_link_create(fd, &eo->info, eo->dev, o, link);
}

const struct card_platform card_platform_epf = {
    .name = "epf",
    .summary = "a Linux PCI endpoint function (pci-epf-vmsg.ko)",
    .manual = "        The card is pci-epf-vmsg.ko, an endpoint function on the card's own\n"
	      "        kernel (CONFIG_PCI_ENDPOINT), created and started in configfs\n"
	      "        (docs/epf-chardev.md). The daemon drives it through /dev/vmsg-epfN:\n"
	      "        BAR0 is the function's BAR memory, doorbells the host's BAR0 writes\n"
	      "        (reported by the module), interrupts the controller's MSI-X or MSI,\n"
	      "        host memory the controller's outbound window, mapped at PCI address\n"
	      "        0 when the link comes up and moved over the host area if an ATTACH\n"
	      "        declares one outside it; every host address is checked against the\n"
	      "        mapping. Ring geometry, max message size, DMA width and vectors\n"
	      "        come from the function's configfs attributes (--max-msg-size and\n"
	      "        --dma-addr-bits override them). A link down ends the host's session;\n"
	      "        unbinding the function shuts the daemon down cleanly (exit 0).\n"
	      "        Without the module or the function: exit status 2 and the steps.\n",
    .opts = epf_opts_table,
    .n_opts = sizeof(epf_opts_table) / sizeof(epf_opts_table[0]),
    .opts_new = epf_opts_new,
    .opts_free = epf_opts_free,
    .parse_opt = epf_parse_opt,
    .check = epf_check,
    .create = epf_create,
};
