// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * cli_manual.c - the text of `vmsg-card --help`.
 */
#include <string.h>

#include "card_ext.h"
#include "card_platform.h"
#include "cli.h"

static const char short_usage[] =
    "usage: vmsg-card --platform sim --link DIR [--host-mem FILE]\n"
    "                 [--net loopback|tap:IFNAME[,create]] [--blk FILE[,ro]]...\n"
    "                 [--rng] [--console stdio|pty] [--poll] [--no-oob]\n"
    "                 [--max-msg-size N] [--log-level L] [--pidfile F] [OPTIONS...]\n"
    "       vmsg-card ctl [--link DIR] [--timeout MS] COMMAND\n"
    "       vmsg-card --help\n";

static const char manual_head[] =
    "NAME\n"
    "    vmsg-card - virtio-msg over PCIe: the card daemon (engine + devices + platform)\n"
    "\n"
    "SYNOPSIS\n"
    "    vmsg-card --platform sim --link DIR [--host-mem FILE]\n"
    "              [--net loopback|tap:IFNAME[,create]] [--blk FILE[,ro]]...\n"
    "              [--rng] [--console stdio|pty] [--poll]\n"
    "              [--max-msg-size N] [--log-level L] [--pidfile F] [OPTIONS...]\n"
    "    vmsg-card --platform epf --link DIR [--epf-dev /dev/vmsg-epfN] [devices...]\n"
    "    vmsg-card --platform uio --link DIR --uio-config FILE [devices...]\n"
    "    vmsg-card ctl [--link DIR] [--timeout MS] add SPEC | remove DEVNUM | list | stats\n"
    "    vmsg-card --help | --version\n";

/* After the synopsis (and the test variant's lines). */
static const char manual_description[] =
    "\n"
    "DESCRIPTION\n"
    "    vmsg-card is the card side of vmsg-pcie: it offers virtio devices (net, blk,\n"
    "    console, rng) to a host over a PCIe link, transport operations being\n"
    "    virtio-msg messages carried in rings (the PCIe binding, fw_shared/include/\n"
    "    vmsg_pcie.h). It publishes BAR0 with the link READY, waits for the host to\n"
    "    ATTACH, then serves the rings until it is told to stop. It runs in the\n"
    "    foreground, logs to standard error and never waits without a bound.\n"
    "\n"
    "    The platform says where BAR0, doorbells, interrupts and host memory come\n"
    "    from; each has its own options (PLATFORMS below). A platform that is\n"
    "    registered but not written yet is refused with exit status 2.\n"
    "\n";

static const char manual_link[] =
    "    --link DIR\n"
    "        Link directory: holds the control socket ctl.sock and the platform's\n"
    "        files (sim: bar0, ivshmem.sock; epf: none); created (mode 0700) if\n"
    "        missing, locked so that one daemon uses it at a time. Default:\n"
    "        $VMSG_CARD_LINK.\n"
    "    --dma-addr-bits N\n"
    "        Width of the host DMA addresses the card can reach, 32..64, published\n"
    "        in BAR0. Default 48 (epf: the function's configfs value).\n"
    "    --net loopback | --net tap:IFNAME[,create]\n"
    "        Add a virtio-net device: loopback echoes every frame back, tap:IFNAME\n"
    "        bridges to the existing Linux tap interface IFNAME (needs CAP_NET_ADMIN;\n"
    "        make it with `ip tuntap add dev IFNAME mode tap`). A missing IFNAME is\n"
    "        an error, unless ,create is given: then a new tap IFNAME is made, and\n"
    "        removed when the device goes.\n"
    "    --blk FILE[,ro]\n"
    "        Add a virtio-blk device backed by FILE (a file or a block device);\n"
    "        ,ro makes it read-only. May be given several times.\n"
    "    --rng\n"
    "        Add a virtio-rng device.\n"
    "    --console stdio | --console pty\n"
    "        Add a virtio-console device on the daemon's standard input/output, or on\n"
    "        a new pseudo-terminal (its path is logged and shown by `ctl list`).\n"
    "    --poll\n"
    "        Busy-poll the rings instead of sleeping until a doorbell (one CPU at\n"
    "        100%, lowest latency; for benchmarks).\n"
    "    --no-oob\n"
    "        Do not offer out-of-band notifications (binding 7.5, OOB_NOTIFY):\n"
    "        every EVENT_AVAIL and EVENT_USED goes in-band through the rings, as\n"
    "        with a binding 1.0 card. Default: offered when the platform can (sim:\n"
    "        always; epf: when the function has more than 2 doorbells).\n"
    "    --max-msg-size N\n"
    "        Largest virtio-msg message, header included, 48..264. Default 264\n"
    "        (epf: the function's configfs value).\n"
    "    --max-devices N\n"
    "        Device numbers 1..N can be used, 1..256. Default 32.\n"
    "    --log-level L\n"
    "        err, warn, info (default) or debug, or a number 0..7.\n"
    "    --pidfile F\n"
    "        Write the daemon's pid to F once it is ready; removed at exit.\n";

static const char manual_tail[] =
    "    -h, --help\n"
    "        Print this manual.\n"
    "    --version\n"
    "        Print the version.\n"
    "\n"
    "CONTROL COMMANDS\n"
    "    The running daemon listens on DIR/ctl.sock (UNIX stream). A command is one\n"
    "    line; the response is zero or more lines followed by a line `ok` or\n"
    "    `error: REASON`. `vmsg-card ctl` sends one command and prints the response.\n"
    "    ctl options: --link DIR (default $VMSG_CARD_LINK), --timeout MS (connect and\n"
    "    answer deadline, default 5000).\n"
    "\n"
    "    add blk:FILE[,ro] | add net:loopback | add net:tap:IFNAME[,create] | add rng |\n"
    "    add console:pty\n"
    "        Hot-plug a device; prints `dev_num N`. If the host is attached it gets\n"
    "        EVENT_DEVICE READY.\n"
    "    remove DEVNUM\n"
    "        Hot-unplug a device: the host gets EVENT_DEVICE REMOVED, the device is\n"
    "        reset and freed.\n"
    "    list\n"
    "        One line per device: dev_num, type, status, description.\n"
    "    stats\n"
    "        Link state, epoch, engine counters, drops per validator verdict and the\n"
    "        platform's counters (prefixed sim. or epf.), one `key value` per\n"
    "        line; with the test variant vmsg-card-test also its attack counters.\n"
    "\n"
    "FILES\n"
    "    DIR/bar0          ivshmem shared memory (sim): BAR0 (registers, doorbells,\n"
    "                      the h2c ring), then the 4 KiB emulated link page.\n"
    "    DIR/ivshmem.sock  ivshmem server socket (sim) for QEMU and the host library.\n"
    "    DIR/ctl.sock      control socket.\n"
    "    /dev/vmsg-epfN    the endpoint function's character device (epf).\n"
    "    The files in DIR are removed when the daemon exits.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  clean shutdown (SIGTERM or SIGINT; epf: the function was unbound), or\n"
    "       ctl command answered `ok`.\n"
    "    1  runtime failure (link directory, socket, device setup), or ctl command\n"
    "       answered `error: ...`.\n"
    "    2  bad arguments, (epf) no usable endpoint function: module not loaded\n"
    "       or function not created, another ABI version, or the function in use\n"
    "       by another daemon, or (uio) a bad configuration file (FILE:LINE:\n"
    "       reason), no /dev/mem or UIO device, or a range the kernel refuses.\n"
    "    3  ctl: the daemon is not running or did not answer in time.\n"
    "\n"
    "    On SIGTERM or SIGINT the daemon removes every device (the host gets\n"
    "    EVENT_DEVICE REMOVED), sets the link to SHUTDOWN, raises an interrupt,\n"
    "    removes its files and exits 0.\n"
    "\n"
    "EXAMPLES\n"
    "    Soft card with a disk and a loopback NIC, host RAM shared with QEMU:\n"
    "        vmsg-card --platform sim --link /tmp/card --host-mem /dev/shm/host-ram \\\n"
    "                  --blk disk.img --net loopback --rng\n"
    "        qemu-system-x86_64 -machine q35,memory-backend=ram -m 1G \\\n"
    "          -object memory-backend-file,id=ram,size=1G,mem-path=/dev/shm/host-ram,"
    "share=on \\\n"
    "          -chardev socket,path=/tmp/card/ivshmem.sock,id=ivs \\\n"
    "          -device ivshmem-doorbell,chardev=ivs,vectors=8 ...\n"
    "    Hot-plug and inspect:\n"
    "        vmsg-card ctl --link /tmp/card add blk:/tmp/second.img,ro\n"
    "        vmsg-card ctl --link /tmp/card list\n"
    "        vmsg-card ctl --link /tmp/card remove 2\n"
    "        VMSG_CARD_LINK=/tmp/card vmsg-card ctl stats\n"
    "    On a card whose kernel runs pci-epf-vmsg.ko (the function created and\n"
    "    started in configfs, see docs/epf-chardev.md):\n"
    "        vmsg-card --platform epf --link /run/vmsg-card --blk /srv/disk.img \\\n"
    "                  --net tap:vmsg0,create\n";

/* text, word-wrapped at 78 columns, every line indented by indent. */
static void print_wrapped(FILE *f, int indent, const char *text)
{
	const char *p = text;

	while (*p) {
		int width = 78 - indent, n = 0, cut = 0;

		while (p[n] && n < width) {
			if (p[n] == ' ')
				cut = n;
			n++;
		}
		if (p[n] && cut > 0)
			n = cut;
		fprintf(f, "%*s%.*s\n", indent, "", n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* Each option at indent, its help (indented 8 in the tables) 4 deeper. */
static void print_opts(FILE *f, int indent, const struct card_platform_opt *opts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *h = opts[i].help;

		fprintf(f, "%*s--%s%s%s\n", indent, "", opts[i].name, opts[i].arg ? " " : "",
			opts[i].arg ? opts[i].arg : "");
		while (*h) {
			size_t len = strcspn(h, "\n");

			fprintf(f, "%*s%.*s\n", indent - 4, "", (int)len, h);
			h += len;
			if (*h == '\n')
				h++;
		}
	}
}

void cli_print_manual(FILE *f, const struct card_ext *ext)
{
	fputs(manual_head, f);
	if (ext && ext->synopsis)
		fputs(ext->synopsis, f);
	fputs(manual_description, f);
	fputs("PLATFORMS\n", f);
	for (unsigned int k = 0; card_platforms[k]; k++) {
		const struct card_platform *p = card_platforms[k];

		fprintf(f, "    %s - %s%s\n", p->name, p->summary,
			p->create ? "" : " (not implemented yet)");
		fputs(p->manual, f);
		if (!p->create) {
			fputs("        Refused with exit status 2 until it is written:\n", f);
			print_wrapped(f, 12, p->missing);
		}
		if (p->n_opts) {
			fprintf(f, "        Options of platform %s:\n", p->name);
			print_opts(f, 8, p->opts, p->n_opts);
		}
		fputs("\n", f);
	}
	fputs("OPTIONS\n    --platform ", f);
	for (unsigned int k = 0; card_platforms[k]; k++)
		fprintf(f, "%s%s", k ? "|" : "", card_platforms[k]->name);
	fputs("\n        Where BAR0, doorbells, interrupts and host memory come from. Required.\n"
	      "        A platform's own options (PLATFORMS) are refused with another one.\n",
	      f);
	fputs(manual_link, f);
	if (ext)
		print_opts(f, 4, ext->opts, ext->n_opts);
	fputs(manual_tail, f);
}

void cli_print_short_usage(FILE *f)
{
	fputs(short_usage, f);
}
