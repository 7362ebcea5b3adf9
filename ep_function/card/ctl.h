/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * ctl.h - the control socket server (DIR/ctl.sock): one text command per
 * line in, one response out, ending with a line "ok" or "error: ...".
 *
 * Clients are untrusted: lines are bounded, responses are bounded, an idle
 * or stuck client is dropped after CTL_IDLE_MS, and nothing ever blocks the
 * daemon's event loop.
 */
#ifndef CTL_H
#define CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_SOCK_NAME	"ctl.sock"
#define CTL_MAX_CLIENTS 8
#define CTL_LINE_MAX	512
#define CTL_OUT_MAX	65536
#define CTL_IDLE_MS	10000u

/* A response being built. */
struct ctl_out {
	char buf[CTL_OUT_MAX];
	size_t len;
	bool truncated;
};

void ctl_printf(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Execute one command line (no newline); must end the response with
 * "ok\n" or "error: ...\n". */
typedef void (*ctl_exec_fn)(void *ctx, const char *line, struct ctl_out *out);

struct ctl_server;

struct ctl_server *ctl_server_create(const char *sock_path, ctl_exec_fn exec, void *ctx);
void ctl_server_destroy(struct ctl_server *s); /* also removes the socket file */

int ctl_server_max_pollfds(const struct ctl_server *s);
int ctl_server_pollfds(struct ctl_server *s, struct pollfd *pfd, int max);
void ctl_server_handle(struct ctl_server *s, const struct pollfd *pfd, int n);

/* Milliseconds until the next idle client must be dropped (UINT32_MAX: none). */
uint32_t ctl_server_next_timeout_ms(const struct ctl_server *s);

#endif /* CTL_H */
