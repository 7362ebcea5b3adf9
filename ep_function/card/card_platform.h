/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_platform.h - the platform registry: where BAR0, doorbells, interrupts
 * and host memory come from. One file per platform (platform_sim.c,
 * platform_epf.c, platform_uio.c), each defining one struct card_platform;
 * card_platform.c lists them. The command line finds a platform by name
 * (--platform), hands it the options it declares, and the daemon asks it
 * for a struct card_link (card_link.h). A platform that is not written yet
 * has create == NULL and says what it needs in `missing`: vmsg-card then
 * refuses it with exit status 2.
 */
#ifndef CARD_PLATFORM_H
#define CARD_PLATFORM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "card_link.h"
#include "cli.h"

/* An option of one platform (or of the test extension, card_ext.h). */
struct card_platform_opt {
	const char *name; /* long option without "--" */
	const char *arg;  /* its argument in the manual ("FILE"), NULL for a flag */
	const char *help; /* manual text: lines indented 8, each ending in \n */
};

struct card_platform {
	const char *name;
	const char *summary; /* one line for the manual and the error listing */
	const char *manual;  /* its paragraph in PLATFORMS: lines indented 8 */
	const char *missing; /* not implemented yet: what it needs (then create is NULL) */
	const struct card_platform_opt *opts;
	unsigned int n_opts;
	/* Its option struct with defaults (NULL: out of memory), and its release. */
	void *(*opts_new)(void);
	void (*opts_free)(void *popts);
	/* opts[idx] was given with arg (NULL for a flag): 0, or -1 after
	 * cli_usage_error(). */
	int (*parse_opt)(void *popts, unsigned int idx, const char *arg);
	/* After every option was parsed: 0, or -1 after cli_usage_error(). */
	int (*check)(void *popts, const struct card_opts *o);
	/* Bring the link up and fill *link: 0, or -1 after logging why. */
	int (*create)(const void *popts, const struct card_opts *o, struct card_link *link);
};

extern const struct card_platform card_platform_sim;
extern const struct card_platform card_platform_epf;
extern const struct card_platform card_platform_uio;

/* Every platform in manual order, NULL-terminated. */
extern const struct card_platform *const card_platforms[];

/* By name; NULL if unknown. */
const struct card_platform *card_platform_find(const char *name);

/* "sim, epf, uio (not implemented yet)". */
void card_platform_list(char *buf, size_t len);

/* Engine memory and logging for platforms on a C library (vmsg_card_platform
 * zalloc, free and log). */
void *card_platform_zalloc(void *ctx, size_t size);
void card_platform_free(void *ctx, void *p);
void card_platform_log(void *ctx, int level, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif /* CARD_PLATFORM_H */
