/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_ext.h - an extension of the daemon that only the test variant
 * vmsg-card-test has: extra options, a hook between two engine polls, extra
 * `ctl stats` lines. The shipped vmsg-card runs without one (NULL), so that
 * no test code is linked into it; vmsg-card-test passes hostile_ext
 * (hostile_ext.c: --hostile, a card that attacks its host).
 */
#ifndef CARD_EXT_H
#define CARD_EXT_H

#include <stdbool.h>
#include <stdint.h>

#include "card_platform.h"

struct card_daemon;
struct card_opts;
struct ctl_out;

struct card_ext {
	const char *name;
	const char *synopsis; /* its SYNOPSIS line(s), indented 4, ending in \n */
	const struct card_platform_opt *opts;
	unsigned int n_opts;
	/* opts[idx] with its argument: 0, or -1 after cli_usage_error(). */
	int (*parse_opt)(struct card_opts *o, unsigned int idx, const char *arg);
	/* After every option was parsed: 0, or -1 after cli_usage_error(). */
	int (*check)(const struct card_opts *o);
	/* The engine is up (before the control socket and the loop). */
	void (*start)(struct card_daemon *d);
	/* Milliseconds until tick() wants to run (UINT32_MAX: never). */
	uint32_t (*next_ms)(void);
	/* Between two engine polls. */
	void (*tick)(struct card_daemon *d);
	/* Replaces card_ctl_exec() (and calls it) while active() is true. */
	bool (*active)(void);
	void (*ctl_exec)(void *ctx, const char *line, struct ctl_out *out);
};

/* --hostile (hostile_ext.c): linked into vmsg-card-test only. */
extern const struct card_ext hostile_ext;

/* The daemon and the ctl client: main() of vmsg-card (ext NULL) and of
 * vmsg-card-test (ext &hostile_ext). Returns the exit status. */
int card_main(int argc, char **argv, const struct card_ext *ext);

#endif /* CARD_EXT_H */
