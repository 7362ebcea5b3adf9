// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ctl.c - control socket server: bounded line reader, bounded response
 * writer, never blocking.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vcard_log.h"
#include "ctl.h"

struct ctl_conn {
	int fd; /* -1: free */
	char in[CTL_LINE_MAX];
	size_t in_len;
	struct ctl_out *out;
	size_t out_off;
	uint64_t deadline_ns;
	bool eof; /* no more input: close once the output is sent */
};

struct ctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	ctl_exec_fn exec;
	void *ctx;
	struct ctl_conn conns[CTL_MAX_CLIENTS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ctl_printf(struct ctl_out *o, const char *fmt, ...)
{
	size_t room = sizeof(o->buf) - o->len;
	va_list ap;
	int n;

	if (o->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		o->truncated = true;
		o->buf[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

static void conn_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_touch(struct ctl_conn *c)
{
	c->deadline_ns = mono_ns() + (uint64_t)CTL_IDLE_MS * 1000000ull;
}

static void run_line(struct ctl_server *s, struct ctl_conn *c, char *line)
{
	size_t n = strlen(line);

	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	c->out->len = 0;
	c->out->truncated = false;
	c->out_off = 0;
	s->exec(s->ctx, line, c->out);
	if (c->out->truncated) {
		/* Keep the protocol: the last line is still ok/error. */
		static const char tail[] = "\nerror: response truncated\n";

		c->out->len = sizeof(c->out->buf) - sizeof(tail);
		memcpy(c->out->buf + c->out->len, tail, sizeof(tail) - 1);
		c->out->len += sizeof(tail) - 1;
	}
}

/* Execute the next complete buffered line, if no response is pending. */
static void process_lines(struct ctl_server *s, struct ctl_conn *c)
{
	char line[CTL_LINE_MAX];
	char *nl;
	size_t used;

	if (c->out->len)
		return;
	nl = memchr(c->in, '\n', c->in_len);
	if (!nl) {
		if (c->in_len == sizeof(c->in)) {
			ctl_printf(c->out, "error: command longer than %d bytes\n",
				   CTL_LINE_MAX - 1);
			c->eof = true;
			c->in_len = 0;
		}
		return;
	}
	used = (size_t)(nl - c->in);
	memcpy(line, c->in, used);
	line[used] = '\0';
	memmove(c->in, nl + 1, c->in_len - used - 1);
	c->in_len -= used + 1;
	if (memchr(line, '\0', used)) {
		ctl_printf(c->out, "error: NUL byte in command\n");
		return;
	}
	run_line(s, c, line);
}

static void conn_read(struct ctl_server *s, struct ctl_conn *c)
{
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n == 0) {
		c->eof = true;
	} else if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	} else {
		c->in_len += (size_t)n;
	}
	process_lines(s, c);
	if (c->eof && !c->out->len)
		conn_close(c);
}

static void conn_write(struct ctl_server *s, struct ctl_conn *c)
{
	ssize_t n;

	n = send(c->fd, c->out->buf + c->out_off, c->out->len - c->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off < c->out->len)
		return;
	c->out->len = 0;
	c->out_off = 0;
	process_lines(s, c);
	if (c->eof && !c->out->len)
		conn_close(c);
}

static void accept_conn(struct ctl_server *s)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct ctl_conn *c = NULL;
	int fd;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			card_warn("ctl: accept on %s: %s", s->path, strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		card_warn("ctl: refusing a client of another user on %s", s->path);
		close(fd);
		return;
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->conns[i].fd < 0) {
			c = &s->conns[i];
			break;
		}
	}
	if (!c) {
		static const char busy[] = "error: too many control clients\n";

		(void)!send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	c->out = calloc(1, sizeof(*c->out));
	if (!c->out) {
		card_warn("ctl: out of memory for a client");
		close(fd);
		return;
	}
	c->fd = fd;
	conn_touch(c);
}

struct ctl_server *ctl_server_create(const char *sock_path, ctl_exec_fn exec, void *ctx)
{
	struct sockaddr_un sa;
	struct ctl_server *s;

	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		card_err("ctl: socket path %s is too long (max %zu bytes)", sock_path,
			 sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		card_err("ctl: out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", sock_path);
	s->exec = exec;
	s->ctx = ctx;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->conns[i].fd = -1;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0) {
		card_err("ctl: socket: %s", strerror(errno));
		free(s);
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (unlink(sock_path) < 0 && errno != ENOENT) {
		card_err("ctl: cannot remove stale %s: %s", sock_path, strerror(errno));
		goto fail;
	}
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		card_err("ctl: bind %s: %s", sock_path, strerror(errno));
		goto fail;
	}
	if (listen(s->listen_fd, CTL_MAX_CLIENTS) < 0) {
		card_err("ctl: listen %s: %s", sock_path, strerror(errno));
		unlink(sock_path);
		goto fail;
	}
	card_info("ctl: listening on %s", sock_path);
	return s;
fail:
	close(s->listen_fd);
	free(s);
	return NULL;
}

void ctl_server_destroy(struct ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	close(s->listen_fd);
	if (unlink(s->path) < 0 && errno != ENOENT)
		card_warn("ctl: cannot remove %s: %s", s->path, strerror(errno));
	free(s);
}

int ctl_server_max_pollfds(const struct ctl_server *s)
{
	(void)s;
	return 1 + CTL_MAX_CLIENTS;
}

int ctl_server_pollfds(struct ctl_server *s, struct pollfd *pfd, int max)
{
	int n = 0;

	if (max < ctl_server_max_pollfds(s))
		return 0;
	pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		pfd[n++] = (struct pollfd){
		    .fd = c->fd,
		    .events = c->out->len ? POLLOUT : (c->eof ? 0 : POLLIN),
		};
	}
	return n;
}

void ctl_server_handle(struct ctl_server *s, const struct pollfd *pfd, int n)
{
	uint64_t now;

	for (int k = 1; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_conn *c = &s->conns[i];

			if (c->fd != pfd[k].fd)
				continue;
			conn_touch(c);
			if (pfd[k].revents & POLLOUT)
				conn_write(s, c);
			else if (pfd[k].revents & POLLIN)
				conn_read(s, c);
			else if (pfd[k].revents & (POLLHUP | POLLERR | POLLNVAL))
				conn_close(c);
			break;
		}
	}
	now = mono_ns();
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &s->conns[i];

		if (c->fd >= 0 && now >= c->deadline_ns) {
			card_dbg("ctl: dropping an idle or stuck client");
			conn_close(c);
		}
	}
	if (n > 0 && (pfd[0].revents & POLLIN))
		accept_conn(s);
}

uint32_t ctl_server_next_timeout_ms(const struct ctl_server *s)
{
	uint64_t now = mono_ns(), best = UINT64_MAX;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		if (c->deadline_ns <= now)
			return 0;
		if (c->deadline_ns - now < best)
			best = c->deadline_ns - now;
	}
	if (best == UINT64_MAX)
		return UINT32_MAX;
	return (uint32_t)(best / 1000000ull + 1);
}
