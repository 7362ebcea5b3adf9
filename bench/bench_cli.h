/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * bench_cli.h - the manual and usage errors shared by every command.
 */
#ifndef VMSG_BENCH_CLI_H
#define VMSG_BENCH_CLI_H

#include <stdio.h>

#define BENCH_EXIT_OK	 0
#define BENCH_EXIT_FAIL	 1 /* runtime failure: card, link, timeout, output file */
#define BENCH_EXIT_USAGE 2 /* bad arguments, or a command not implemented yet */

/* The whole manual (`vmsg-bench --help`). */
void bench_manual(FILE *out);

/* "vmsg-bench: MESSAGE" + a pointer to --help on stderr; returns BENCH_EXIT_USAGE. */
int bench_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VMSG_BENCH_CLI_H */
