/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_daemon.h - the running daemon: engine + platform link + control
 * socket + event loop state.
 */
#ifndef CARD_DAEMON_H
#define CARD_DAEMON_H

#include <stdbool.h>

#include "card_link.h"
#include "cli.h"
#include "ctl.h"
#include "vmsg_card.h"

struct card_daemon {
	const struct card_opts *opts;
	struct card_link link;
	bool have_link;
	struct vmsg_card *card;
	struct ctl_server *ctl;
	int sigfd;  /* SIGTERM, SIGINT, SIGHUP */
	int lockfd; /* the link directory, flock()ed */
	bool stop;
	int stop_signal;
	int exit_code;
};

/* Run the daemon with parsed options; returns the process exit status. */
int card_daemon_run(const struct card_opts *opts);

/* The event loop: returns when d->stop is set (signal) or on a fatal
 * engine error (d->exit_code set). */
void card_loop_run(struct card_daemon *d);

/* Create a device from a spec and hot-plug it; returns the dev_num or -1
 * with a reason in err. from_cli allows console:stdio. */
int card_add_device_spec(struct card_daemon *d, const char *spec, bool from_cli, char *err,
			 size_t errlen);

/* Control command executor (ctl_exec_fn). */
void card_ctl_exec(void *ctx, const char *line, struct ctl_out *out);

#endif /* CARD_DAEMON_H */
