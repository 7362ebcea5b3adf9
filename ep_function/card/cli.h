/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * cli.h - vmsg-card command line: daemon options and `ctl` client options.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifndef VMSG_CARD_VERSION
#define VMSG_CARD_VERSION "unknown"
#endif

#define CARD_EXIT_OK	   0
#define CARD_EXIT_FAIL	   1 /* runtime failure, or the daemon answered "error" */
#define CARD_EXIT_USAGE	   2 /* bad arguments, unimplemented platform */
#define CARD_EXIT_NODAEMON 3 /* ctl: daemon not reachable or not answering */

#define CARD_MAX_DEV_ARGS	    32
#define CARD_LINK_ENV		    "VMSG_CARD_LINK"
#define CARD_CTL_DEFAULT_TIMEOUT_MS 5000u

struct card_platform;
struct card_ext;

struct card_opts {
	const struct card_platform *platform; /* card_platform.h */
	void *platform_opts;		      /* the platform's own options, owned */
	const struct card_ext *ext;	      /* vmsg-card-test only (card_ext.h), else NULL */
	const char *link_dir;
	uint32_t dma_addr_bits;
	uint32_t max_msg_size;
	bool dma_addr_bits_given, max_msg_size_given; /* on the command line */
	uint32_t max_devices;
	int log_level;
	const char *pidfile;
	bool busy_poll;
	bool no_oob; /* --no-oob: do not offer VMSG_PCIE_F_OOB_NOTIFY */
	/* Set by vmsg-card-test's extension (hostile_ext.c) only; 0 in vmsg-card. */
	uint32_t hostile_modes;	  /* TEST ONLY: 1 << enum hostile_mode, 0 = off */
	uint32_t hostile_rate_ms; /* 0: HOSTILE_DEFAULT_RATE_MS */
	unsigned int n_devs;
	char *devs[CARD_MAX_DEV_ARGS]; /* device specs ("blk:FILE,ro"), owned */
};

struct ctl_opts {
	const char *link_dir;
	uint32_t timeout_ms;
	char line[512]; /* the command, one line without the newline */
};

enum cli_result {
	CLI_RUN = 0,   /* options parsed: go on */
	CLI_DONE = 1,  /* --help or --version printed: exit 0 */
	CLI_USAGE = 2, /* error printed on stderr: exit 2 */
};

/* ext: the test variant's extra options (NULL in vmsg-card). */
enum cli_result cli_parse_daemon(int argc, char **argv, struct card_opts *o,
				 const struct card_ext *ext);
void cli_free_daemon(struct card_opts *o);

/* argv[0] is "ctl". */
enum cli_result cli_parse_ctl(int argc, char **argv, struct ctl_opts *o);

/* The manual (--help), with ext's options if not NULL. */
void cli_print_manual(FILE *f, const struct card_ext *ext);

/* "vmsg-card: MESSAGE" and the --help hint on stderr (exit status 2 follows). */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_short_usage(FILE *f);

/* Number parsing shared with the control commands. Sizes take K/M/G
 * suffixes (powers of 1024). 0 on success, -1 if invalid or out of range. */
int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cli_parse_size(const char *s, uint64_t *out);

#endif /* CLI_H */
