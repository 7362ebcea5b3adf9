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

int card_main(int argc, char **argv, const struct card_ext *ext)
{
	struct card_opts opts;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
		struct ctl_opts c;

		switch (cli_parse_ctl(argc - 1, argv + 1, &c)) {
		case CLI_DONE:
			return CARD_EXIT_OK;
		case CLI_USAGE:
			return CARD_EXIT_USAGE;
		case CLI_RUN:
			break;
		}
		return ctl_client_run(&c);
	}
	switch (cli_parse_daemon(argc, argv, &opts, ext)) {
	case CLI_DONE:
		return CARD_EXIT_OK;
	case CLI_USAGE:
		return CARD_EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	rc = card_daemon_run(&opts);
	cli_free_daemon(&opts);
	return rc;
}
