// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * cli.c - parse the daemon's and the ctl client's command lines.
 * Every error names the option and the value and ends in exit status 2.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "card_ext.h"
#include "card_platform.h"
#include "cli.h"
#include "vcard_log.h"

#define DEFAULT_DMA_ADDR_BITS 48u
#define DEFAULT_MAX_DEVICES   32u
#define MAX_MAX_DEVICES	      256u
#define TAP_IFNAME_MAX	      15 /* IFNAMSIZ - 1 */

static int add_dev(struct card_opts *o, const char *prefix, const char *arg)
{
	size_t n;
	char *spec;

	if (o->n_devs >= CARD_MAX_DEV_ARGS) {
		cli_usage_error("too many devices on the command line (max %d)", CARD_MAX_DEV_ARGS);
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
	OPT_DMA_BITS,
	OPT_NET,
	OPT_BLK,
	OPT_RNG,
	OPT_CONSOLE,
	OPT_POLL,
	OPT_NO_OOB,
	OPT_MAX_MSG,
	OPT_MAX_DEVICES,
	OPT_LOG_LEVEL,
	OPT_PIDFILE,
	OPT_VERSION,
	OPT_TIMEOUT,
	OPT_EXT = 512,		/* + index in ext->opts */
	OPT_PLATFORM_OPT = 768, /* + index in plat_opt_names[] */
};

static const struct option common_longopts[] = {
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"link", required_argument, NULL, OPT_LINK},
    {"dma-addr-bits", required_argument, NULL, OPT_DMA_BITS},
    {"net", required_argument, NULL, OPT_NET},
    {"blk", required_argument, NULL, OPT_BLK},
    {"rng", no_argument, NULL, OPT_RNG},
    {"console", required_argument, NULL, OPT_CONSOLE},
    {"poll", no_argument, NULL, OPT_POLL},
    {"no-oob", no_argument, NULL, OPT_NO_OOB},
    {"max-msg-size", required_argument, NULL, OPT_MAX_MSG},
    {"max-devices", required_argument, NULL, OPT_MAX_DEVICES},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
};

#define N_COMMON	  (sizeof(common_longopts) / sizeof(common_longopts[0]))
#define MAX_LONGOPTS	  96
#define MAX_PLAT_OPT_ARGS 64

/*
 * The getopt table: the common options, the extension's, and every
 * platform's (each name once: the platform is not known before the whole
 * command line is read). A platform option is kept aside with its argument
 * and handed to the chosen platform afterwards.
 */
struct daemon_parse {
	struct option longopts[MAX_LONGOPTS];
	const char *plat_opt_names[MAX_LONGOPTS];
	unsigned int n_plat_opt_names;
	struct {
		const char *name;
		const char *arg;
	} plat_args[MAX_PLAT_OPT_ARGS];
	unsigned int n_plat_args;
	const char *platform_name;
	bool console_stdio;
};

static bool longopt_known(const struct daemon_parse *p, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(p->longopts[i].name, name) == 0)
			return true;
	return false;
}

static void build_longopts(struct daemon_parse *p, const struct card_ext *ext)
{
	unsigned int n = 0;

	for (size_t i = 0; i < N_COMMON; i++)
		p->longopts[n++] = common_longopts[i];
	for (unsigned int i = 0; ext && i < ext->n_opts && n + 1 < MAX_LONGOPTS; i++)
		p->longopts[n++] = (struct option){
		    ext->opts[i].name, ext->opts[i].arg ? required_argument : no_argument, NULL,
		    OPT_EXT + (int)i};
	for (unsigned int k = 0; card_platforms[k]; k++) {
		const struct card_platform *pl = card_platforms[k];

		for (unsigned int i = 0; i < pl->n_opts && n + 1 < MAX_LONGOPTS; i++) {
			if (longopt_known(p, n, pl->opts[i].name))
				continue;
			p->plat_opt_names[p->n_plat_opt_names] = pl->opts[i].name;
			p->longopts[n++] = (struct option){
			    pl->opts[i].name, pl->opts[i].arg ? required_argument : no_argument,
			    NULL, OPT_PLATFORM_OPT + (int)p->n_plat_opt_names++};
		}
	}
	p->longopts[n] = (struct option){NULL, 0, NULL, 0};
}

/* One common option; returns 0, CLI_DONE or -1 (error printed). */
static int daemon_opt(struct card_opts *o, struct daemon_parse *p, int c, const char *arg)
{
	switch (c) {
	case OPT_PLATFORM:
		p->platform_name = arg;
		return 0;
	case OPT_LINK:
		if (!*arg) {
			cli_usage_error("--link: empty directory name");
			return -1;
		}
		o->link_dir = arg;
		return 0;
	case OPT_DMA_BITS:
		if (cli_parse_u32(arg, VMSG_PCIE_DMA_ADDR_BITS_MIN, VMSG_PCIE_DMA_ADDR_BITS_MAX,
				  &o->dma_addr_bits) < 0) {
			cli_usage_error("--dma-addr-bits '%s': expected 32..64", arg);
			return -1;
		}
		o->dma_addr_bits_given = true;
		return 0;
	case OPT_NET:
		if (strcmp(arg, "loopback") == 0)
			return add_dev(o, "net:", arg);
		if (strncmp(arg, "tap:", 4) == 0 && valid_tap_name(arg + 4))
			return add_dev(o, "net:", arg);
		cli_usage_error("--net '%s': expected loopback or tap:IFNAME[,create] (IFNAME "
				"1..15 printable characters)",
				arg);
		return -1;
	case OPT_BLK:
		if (!*arg || arg[0] == ',') {
			cli_usage_error("--blk '%s': expected FILE or FILE,ro", arg);
			return -1;
		}
		return add_dev(o, "blk:", arg);
	case OPT_RNG:
		return add_dev(o, "rng", "");
	case OPT_CONSOLE:
		if (strcmp(arg, "stdio") == 0) {
			if (p->console_stdio) {
				cli_usage_error("--console stdio given twice: only one console can "
						"use standard input");
				return -1;
			}
			p->console_stdio = true;
		} else if (strcmp(arg, "pty") != 0) {
			cli_usage_error("--console '%s': expected stdio or pty", arg);
			return -1;
		}
		return add_dev(o, "console:", arg);
	case OPT_POLL:
		o->busy_poll = true;
		return 0;
	case OPT_NO_OOB:
		o->no_oob = true;
		return 0;
	case OPT_MAX_MSG:
		if (cli_parse_u32(arg, VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE,
				  &o->max_msg_size) < 0) {
			cli_usage_error("--max-msg-size '%s': expected %u..%u", arg,
					VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
			return -1;
		}
		o->max_msg_size_given = true;
		return 0;
	case OPT_MAX_DEVICES:
		if (cli_parse_u32(arg, 1, MAX_MAX_DEVICES, &o->max_devices) < 0) {
			cli_usage_error("--max-devices '%s': expected 1..256", arg);
			return -1;
		}
		return 0;
	case OPT_LOG_LEVEL:
		o->log_level = vcard_log_parse_level(arg);
		if (o->log_level < 0) {
			cli_usage_error("--log-level '%s': expected err, warn, info, debug or 0..7",
					arg);
			return -1;
		}
		return 0;
	case OPT_PIDFILE:
		if (!*arg) {
			cli_usage_error("--pidfile: empty file name");
			return -1;
		}
		o->pidfile = arg;
		return 0;
	case 'h':
		cli_print_manual(stdout, o->ext);
		return CLI_DONE;
	case OPT_VERSION:
		printf("vmsg-card%s %s (PCIe binding %u.%u)\n", o->ext ? "-test" : "",
		       VMSG_CARD_VERSION, VMSG_PCIE_VERSION_MAJOR, VMSG_PCIE_VERSION_MINOR);
		return CLI_DONE;
	default:
		if (c >= OPT_PLATFORM_OPT && c < OPT_PLATFORM_OPT + (int)p->n_plat_opt_names) {
			if (p->n_plat_args >= MAX_PLAT_OPT_ARGS) {
				cli_usage_error("too many platform options");
				return -1;
			}
			p->plat_args[p->n_plat_args].name = p->plat_opt_names[c - OPT_PLATFORM_OPT];
			p->plat_args[p->n_plat_args++].arg = arg;
			return 0;
		}
		if (o->ext && c >= OPT_EXT && c < OPT_EXT + (int)o->ext->n_opts)
			return o->ext->parse_opt(o, (unsigned int)(c - OPT_EXT), arg);
		/* getopt already printed what was wrong. */
		fprintf(stderr, "Try 'vmsg-card --help' for the manual.\n");
		return -1;
	}
}

/* Which platform declares option name (for the error message). */
static const char *platform_with_opt(const char *name)
{
	for (unsigned int k = 0; card_platforms[k]; k++)
		for (unsigned int i = 0; i < card_platforms[k]->n_opts; i++)
			if (strcmp(card_platforms[k]->opts[i].name, name) == 0)
				return card_platforms[k]->name;
	return "?";
}

/* The platform named on the command line, and its options. */
static int choose_platform(struct card_opts *o, struct daemon_parse *p)
{
	const struct card_platform *pl;
	char known[160];

	card_platform_list(known, sizeof(known));
	if (!p->platform_name) {
		cli_usage_error("--platform is required (known platforms: %s)", known);
		return -1;
	}
	pl = card_platform_find(p->platform_name);
	if (!pl) {
		cli_usage_error("--platform '%s': unknown platform; known platforms: %s",
				p->platform_name, known);
		return -1;
	}
	o->platform = pl;
	if (pl->opts_new) {
		o->platform_opts = pl->opts_new();
		if (!o->platform_opts) {
			fprintf(stderr, "vmsg-card: out of memory\n");
			return -1;
		}
	}
	for (unsigned int a = 0; a < p->n_plat_args; a++) {
		unsigned int i;

		for (i = 0; i < pl->n_opts; i++)
			if (strcmp(pl->opts[i].name, p->plat_args[a].name) == 0)
				break;
		if (i == pl->n_opts) {
			cli_usage_error("--%s is an option of platform %s, not of platform %s",
					p->plat_args[a].name,
					platform_with_opt(p->plat_args[a].name), pl->name);
			return -1;
		}
		if (pl->parse_opt(o->platform_opts, i, p->plat_args[a].arg) < 0)
			return -1;
	}
	if (!pl->create) {
		fprintf(stderr, "vmsg-card: platform %s: not implemented yet (%s)\n", pl->name,
			pl->missing ? pl->missing : "no implementation");
		return -1;
	}
	if (pl->check && pl->check(o->platform_opts, o) < 0)
		return -1;
	return 0;
}

enum cli_result cli_parse_daemon(int argc, char **argv, struct card_opts *o,
				 const struct card_ext *ext)
{
	static struct daemon_parse p;
	int c;

	memset(o, 0, sizeof(*o));
	memset(&p, 0, sizeof(p));
	o->ext = ext;
	o->dma_addr_bits = DEFAULT_DMA_ADDR_BITS;
	o->max_msg_size = VMSG_PCIE_MAX_MSG_SIZE;
	o->max_devices = DEFAULT_MAX_DEVICES;
	o->log_level = VMSG_LOG_INFO;
	o->link_dir = getenv(CARD_LINK_ENV);
	if (o->link_dir && !*o->link_dir)
		o->link_dir = NULL;
	build_longopts(&p, ext);

	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", p.longopts, NULL)) != -1) {
		int r = daemon_opt(o, &p, c, optarg);

		if (r == CLI_DONE) {
			cli_free_daemon(o);
			return CLI_DONE;
		}
		if (r < 0)
			goto usage;
	}
	if (optind < argc) {
		cli_usage_error("unexpected argument '%s'%s", argv[optind],
				strcmp(argv[optind], "ctl") == 0 ? " (ctl must come first)" : "");
		goto usage;
	}
	if (choose_platform(o, &p) < 0)
		goto usage;
	if (!o->link_dir) {
		cli_usage_error("--link DIR is required for platform %s (or set %s)",
				o->platform->name, CARD_LINK_ENV);
		goto usage;
	}
	if (ext && ext->check && ext->check(o) < 0)
		goto usage;
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
	if (o->platform && o->platform->opts_free)
		o->platform->opts_free(o->platform_opts);
	o->platform_opts = NULL;
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
				cli_usage_error("ctl --timeout '%s': expected 1..600000 ms",
						optarg);
				return CLI_USAGE;
			}
			break;
		case 'h':
			cli_print_manual(stdout, NULL);
			return CLI_DONE;
		default:
			fprintf(stderr, "Try 'vmsg-card --help' for the manual.\n");
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		cli_usage_error("ctl: missing command (add SPEC, remove DEVNUM, list, stats)");
		return CLI_USAGE;
	}
	if (!ctl_command_known(argc - optind, argv + optind)) {
		cli_usage_error("ctl: bad command '%s': expected add SPEC, remove DEVNUM, list or "
				"stats",
				argv[optind]);
		return CLI_USAGE;
	}
	if (!o->link_dir || !*o->link_dir) {
		cli_usage_error("ctl: no link directory: pass --link DIR or set %s", CARD_LINK_ENV);
		return CLI_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (strchr(argv[i], '\n') || strchr(argv[i], '\r') ||
		    used + n + 2 > sizeof(o->line)) {
			cli_usage_error("ctl: command too long or contains a line break");
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
