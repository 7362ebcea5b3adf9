// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * cli.c - parse the daemon's and the ctl client's command lines.
 * Every error names the option and the value and ends in exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vcard_log.h"
#include "cli.h"
#include "hostile.h"
#include "platform_sim.h"
#include "sim_hostmem.h"

#define DEFAULT_DMA_ADDR_BITS 48u
#define DEFAULT_MAX_DEVICES   32u
#define MAX_MAX_DEVICES	      256u
#define TAP_IFNAME_MAX	      15 /* IFNAMSIZ - 1 */

int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != '\0')
		return -1;
	if (shift && v > (~0ull >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmsg-card: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fprintf(stderr, "Try 'vmsg-card --help' for the manual.\n");
}

static int add_dev(struct card_opts *o, const char *prefix, const char *arg)
{
	size_t n;
	char *spec;

	if (o->n_devs >= CARD_MAX_DEV_ARGS) {
		usage_error("too many devices on the command line (max %d)", CARD_MAX_DEV_ARGS);
		return -1;
	}
	n = strlen(prefix) + strlen(arg) + 1;
	spec = malloc(n);
	if (!spec) {
		fprintf(stderr, "vmsg-card: out of memory\n");
		return -1;
	}
	snprintf(spec, n, "%s%s", prefix, arg);
	o->devs[o->n_devs++] = spec;
	return 0;
}

/* "IFNAME[,create][,mac=...]": the name is checked here, the options by the
 * device spec parser. */
static bool valid_tap_name(const char *name)
{
	size_t n = strcspn(name, ",");

	if (n == 0 || n > TAP_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ' ' || name[i] == ':' || name[i] == ',' ||
		    (unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			return false;
	return true;
}

enum {
	OPT_PLATFORM = 256,
	OPT_LINK,
	OPT_HOST_MEM,
	OPT_HOST_MEM_LOWMEM,
	OPT_BAR0_SIZE,
	OPT_VECTORS,
	OPT_DMA_BITS,
	OPT_NET,
	OPT_BLK,
	OPT_RNG,
	OPT_CONSOLE,
	OPT_POLL,
	OPT_MAX_MSG,
	OPT_MAX_DEVICES,
	OPT_LOG_LEVEL,
	OPT_PIDFILE,
	OPT_VERSION,
	OPT_TIMEOUT,
	OPT_HOSTILE,
	OPT_HOSTILE_RATE,
};

static const struct option daemon_longopts[] = {
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"link", required_argument, NULL, OPT_LINK},
    {"host-mem", required_argument, NULL, OPT_HOST_MEM},
    {"host-mem-lowmem", required_argument, NULL, OPT_HOST_MEM_LOWMEM},
    {"bar0-size", required_argument, NULL, OPT_BAR0_SIZE},
    {"vectors", required_argument, NULL, OPT_VECTORS},
    {"dma-addr-bits", required_argument, NULL, OPT_DMA_BITS},
    {"net", required_argument, NULL, OPT_NET},
    {"blk", required_argument, NULL, OPT_BLK},
    {"rng", no_argument, NULL, OPT_RNG},
    {"console", required_argument, NULL, OPT_CONSOLE},
    {"poll", no_argument, NULL, OPT_POLL},
    {"max-msg-size", required_argument, NULL, OPT_MAX_MSG},
    {"max-devices", required_argument, NULL, OPT_MAX_DEVICES},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"hostile", required_argument, NULL, OPT_HOSTILE},
    {"hostile-rate", required_argument, NULL, OPT_HOSTILE_RATE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0, CLI_DONE or -1 (error printed). */
static int daemon_opt(struct card_opts *o, int c, const char *arg, bool *have_platform,
		      bool *console_stdio)
{
	switch (c) {
	case OPT_PLATFORM:
		if (strcmp(arg, "sim") == 0)
			o->platform = CARD_PLATFORM_SIM;
		else if (strcmp(arg, "epf") == 0)
			o->platform = CARD_PLATFORM_EPF;
		else if (strcmp(arg, "uio") == 0)
			o->platform = CARD_PLATFORM_UIO;
		else {
			usage_error("--platform '%s': expected sim, epf or uio", arg);
			return -1;
		}
		*have_platform = true;
		return 0;
	case OPT_LINK:
		if (!*arg) {
			usage_error("--link: empty directory name");
			return -1;
		}
		o->link_dir = arg;
		return 0;
	case OPT_HOST_MEM:
		if (!*arg) {
			usage_error("--host-mem: empty file name");
			return -1;
		}
		o->host_mem = arg;
		return 0;
	case OPT_HOST_MEM_LOWMEM:
		if (cli_parse_size(arg, &o->host_mem_lowmem) < 0 || o->host_mem_lowmem == 0 ||
		    o->host_mem_lowmem > SIM_4G || (o->host_mem_lowmem & 0xfffff)) {
			usage_error("--host-mem-lowmem '%s': expected a size in (0, 4G], a "
				    "multiple of 1M (q35: 2G)",
				    arg);
			return -1;
		}
		return 0;
	case OPT_BAR0_SIZE:
		if (cli_parse_size(arg, &o->bar0_size) < 0 ||
		    o->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE || o->bar0_size > SIM_MAX_BAR0_SIZE ||
		    (o->bar0_size & (o->bar0_size - 1))) {
			usage_error("--bar0-size '%s': expected a power of two from 64K to 1G "
				    "(QEMU ivshmem needs a power of two)",
				    arg);
			return -1;
		}
		return 0;
	case OPT_VECTORS:
		if (cli_parse_u32(arg, 2, VMSG_PCIE_MAX_VECTORS, &o->vectors) < 0) {
			usage_error("--vectors '%s': expected 2..32", arg);
			return -1;
		}
		return 0;
	case OPT_DMA_BITS:
		if (cli_parse_u32(arg, VMSG_PCIE_DMA_ADDR_BITS_MIN, VMSG_PCIE_DMA_ADDR_BITS_MAX,
				  &o->dma_addr_bits) < 0) {
			usage_error("--dma-addr-bits '%s': expected 32..64", arg);
			return -1;
		}
		return 0;
	case OPT_NET:
		if (strcmp(arg, "loopback") == 0)
			return add_dev(o, "net:", arg);
		if (strncmp(arg, "tap:", 4) == 0 && valid_tap_name(arg + 4))
			return add_dev(o, "net:", arg);
		usage_error("--net '%s': expected loopback or tap:IFNAME[,create] (IFNAME "
			    "1..15 printable characters)",
			    arg);
		return -1;
	case OPT_BLK:
		if (!*arg || arg[0] == ',') {
			usage_error("--blk '%s': expected FILE or FILE,ro", arg);
			return -1;
		}
		return add_dev(o, "blk:", arg);
	case OPT_RNG:
		return add_dev(o, "rng", "");
	case OPT_CONSOLE:
		if (strcmp(arg, "stdio") == 0) {
			if (*console_stdio) {
				usage_error("--console stdio given twice: only one console can "
					    "use standard input");
				return -1;
			}
			*console_stdio = true;
		} else if (strcmp(arg, "pty") != 0) {
			usage_error("--console '%s': expected stdio or pty", arg);
			return -1;
		}
		return add_dev(o, "console:", arg);
	case OPT_POLL:
		o->busy_poll = true;
		return 0;
	case OPT_MAX_MSG:
		if (cli_parse_u32(arg, VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE,
				  &o->max_msg_size) < 0) {
			usage_error("--max-msg-size '%s': expected %u..%u", arg,
				    VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
			return -1;
		}
		return 0;
	case OPT_MAX_DEVICES:
		if (cli_parse_u32(arg, 1, MAX_MAX_DEVICES, &o->max_devices) < 0) {
			usage_error("--max-devices '%s': expected 1..256", arg);
			return -1;
		}
		return 0;
	case OPT_LOG_LEVEL:
		o->log_level = vcard_log_parse_level(arg);
		if (o->log_level < 0) {
			usage_error("--log-level '%s': expected err, warn, info, debug or 0..7",
				    arg);
			return -1;
		}
		return 0;
	case OPT_PIDFILE:
		if (!*arg) {
			usage_error("--pidfile: empty file name");
			return -1;
		}
		o->pidfile = arg;
		return 0;
	case OPT_HOSTILE: {
		const char *bad;
		uint32_t mask;

		if (hostile_parse_modes(arg, &mask, &bad) < 0) {
			usage_error("--hostile '%s': unknown or empty mode '%.*s': expected "
				    "garbage, badsize, badid, badtoken, badevent, stale, badslot, "
				    "badindex or all, comma-separated",
				    arg, (int)strcspn(bad, ","), bad);
			return -1;
		}
		o->hostile_modes |= mask;
		return 0;
	}
	case OPT_HOSTILE_RATE:
		if (cli_parse_u32(arg, 1, HOSTILE_MAX_RATE_MS, &o->hostile_rate_ms) < 0) {
			usage_error("--hostile-rate '%s': expected 1..%u ms", arg,
				    HOSTILE_MAX_RATE_MS);
			return -1;
		}
		return 0;
	case 'h':
		cli_print_manual(stdout);
		return CLI_DONE;
	case OPT_VERSION:
		printf("vmsg-card %s (PCIe binding %u.%u)\n", VMSG_CARD_VERSION,
		       VMSG_PCIE_VERSION_MAJOR, VMSG_PCIE_VERSION_MINOR);
		return CLI_DONE;
	default:
		/* getopt already printed what was wrong. */
		fprintf(stderr, "Try 'vmsg-card --help' for the manual.\n");
		return -1;
	}
}

enum cli_result cli_parse_daemon(int argc, char **argv, struct card_opts *o)
{
	bool have_platform = false, console_stdio = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->bar0_size = VMSG_PCIE_BAR0_MIN_SIZE;
	o->vectors = SIM_DEFAULT_VECTORS;
	o->dma_addr_bits = DEFAULT_DMA_ADDR_BITS;
	o->max_msg_size = VMSG_PCIE_MAX_MSG_SIZE;
	o->max_devices = DEFAULT_MAX_DEVICES;
	o->log_level = VMSG_LOG_INFO;
	o->link_dir = getenv(CARD_LINK_ENV);
	if (o->link_dir && !*o->link_dir)
		o->link_dir = NULL;

	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", daemon_longopts, NULL)) != -1) {
		int r = daemon_opt(o, c, optarg, &have_platform, &console_stdio);

		if (r == CLI_DONE) {
			cli_free_daemon(o);
			return CLI_DONE;
		}
		if (r < 0)
			goto usage;
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'%s", argv[optind],
			    strcmp(argv[optind], "ctl") == 0 ? " (ctl must come first)" : "");
		goto usage;
	}
	if (!have_platform) {
		usage_error("--platform is required (sim, epf or uio)");
		goto usage;
	}
	if (o->platform == CARD_PLATFORM_SIM && !o->link_dir) {
		usage_error("--link DIR is required for platform sim (or set %s)", CARD_LINK_ENV);
		goto usage;
	}
	if (o->host_mem_lowmem && !o->host_mem) {
		usage_error("--host-mem-lowmem needs --host-mem FILE");
		goto usage;
	}
	if (o->hostile_rate_ms && !o->hostile_modes) {
		usage_error("--hostile-rate needs --hostile MODE");
		goto usage;
	}
	return CLI_RUN;
usage:
	cli_free_daemon(o);
	return CLI_USAGE;
}

void cli_free_daemon(struct card_opts *o)
{
	for (unsigned int i = 0; i < o->n_devs; i++)
		free(o->devs[i]);
	o->n_devs = 0;
}

static const struct option ctl_longopts[] = {
    {"link", required_argument, NULL, OPT_LINK},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool ctl_command_known(int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "list") == 0 || strcmp(verb, "stats") == 0)
		return argc == 1;
	if (strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0)
		return argc == 2;
	return false;
}

enum cli_result cli_parse_ctl(int argc, char **argv, struct ctl_opts *o)
{
	size_t used = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = CARD_CTL_DEFAULT_TIMEOUT_MS;
	o->link_dir = getenv(CARD_LINK_ENV);
	if (o->link_dir && !*o->link_dir)
		o->link_dir = NULL;

	opterr = 1;
	optind = 1;
	/* "+": stop at the first command word (its argument may start with '-'). */
	while ((c = getopt_long(argc, argv, "+h", ctl_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LINK:
			o->link_dir = optarg;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_u32(optarg, 1, 600000, &o->timeout_ms) < 0) {
				usage_error("ctl --timeout '%s': expected 1..600000 ms", optarg);
				return CLI_USAGE;
			}
			break;
		case 'h':
			cli_print_manual(stdout);
			return CLI_DONE;
		default:
			fprintf(stderr, "Try 'vmsg-card --help' for the manual.\n");
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage_error("ctl: missing command (add SPEC, remove DEVNUM, list, stats)");
		return CLI_USAGE;
	}
	if (!ctl_command_known(argc - optind, argv + optind)) {
		usage_error("ctl: bad command '%s': expected add SPEC, remove DEVNUM, list or "
			    "stats",
			    argv[optind]);
		return CLI_USAGE;
	}
	if (!o->link_dir || !*o->link_dir) {
		usage_error("ctl: no link directory: pass --link DIR or set %s", CARD_LINK_ENV);
		return CLI_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (strchr(argv[i], '\n') || strchr(argv[i], '\r') ||
		    used + n + 2 > sizeof(o->line)) {
			usage_error("ctl: command too long or contains a line break");
			return CLI_USAGE;
		}
		if (used)
			o->line[used++] = ' ';
		memcpy(o->line + used, argv[i], n);
		used += n;
		o->line[used] = '\0';
	}
	return CLI_RUN;
}
