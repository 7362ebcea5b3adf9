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

enum card_platform_kind {
	CARD_PLATFORM_SIM,
	CARD_PLATFORM_EPF,
	CARD_PLATFORM_UIO,
};

struct card_opts {
	enum card_platform_kind platform;
	const char *link_dir;
	const char *host_mem;
	uint64_t host_mem_lowmem;
	uint64_t bar0_size;
	uint32_t vectors;
	uint32_t dma_addr_bits;
	uint32_t max_msg_size;
	uint32_t max_devices;
	int log_level;
	const char *pidfile;
	bool busy_poll;
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

enum cli_result cli_parse_daemon(int argc, char **argv, struct card_opts *o);
void cli_free_daemon(struct card_opts *o);

/* argv[0] is "ctl". */
enum cli_result cli_parse_ctl(int argc, char **argv, struct ctl_opts *o);

/* The manual (--help). */
void cli_print_manual(FILE *f);
void cli_print_short_usage(FILE *f);

/* Number parsing shared with the control commands. Sizes take K/M/G
 * suffixes (powers of 1024). 0 on success, -1 if invalid or out of range. */
int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cli_parse_size(const char *s, uint64_t *out);

#endif /* CLI_H */
