// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_main.c - the daemon, or `ctl ...` the control client; shared by
 * vmsg-card (main.c) and the test variant vmsg-card-test (main_test.c).
 */
#include <string.h>

#include "card_daemon.h"
#include "card_ext.h"
#include "cli.h"
#include "ctl_client.h"

/* A parse that does not run: its exit status (--help, --version, usage). */
static int parse_exit(enum cli_result r)
{
	return r == CLI_DONE ? CARD_EXIT_OK : CARD_EXIT_USAGE;
}

int card_main(int argc, char **argv, const struct card_ext *ext)
{
	struct card_opts opts;
	enum cli_result r;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
		struct ctl_opts c;

		r = cli_parse_ctl(argc - 1, argv + 1, &c);
		return r == CLI_RUN ? ctl_client_run(&c) : parse_exit(r);
	}
	r = cli_parse_daemon(argc, argv, &opts, ext);
	if (r != CLI_RUN)
		return parse_exit(r);
	rc = card_daemon_run(&opts);
	cli_free_daemon(&opts);
	return rc;
}
