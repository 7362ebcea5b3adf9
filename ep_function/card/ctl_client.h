/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * ctl_client.h - `vmsg-card ctl`: send one command to DIR/ctl.sock, print
 * the response, every step bounded by the timeout.
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include "cli.h"

/* Returns the exit status: CARD_EXIT_OK ("ok"), CARD_EXIT_FAIL ("error:"),
 * CARD_EXIT_NODAEMON (not running, no answer in time, bad answer). */
int ctl_client_run(const struct ctl_opts *o);

#endif /* CTL_CLIENT_H */
