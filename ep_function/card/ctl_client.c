// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ctl_client.c - the control socket client.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_client.h"

#define RESP_MAX (CTL_OUT_MAX + 64)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		return r > 0;
	}
}

static int connect_ctl(const char *path, int64_t deadline)
{
	struct sockaddr_un sa;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vmsg-card: ctl: socket path %s is too long\n", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "vmsg-card: ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno != EAGAIN && errno != EINPROGRESS) {
		fprintf(stderr,
			"vmsg-card: ctl: cannot connect to %s: %s (is vmsg-card running "
			"with this --link?)\n",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Listen backlog full: wait for room, bounded. */
	if (wait_fd(fd, POLLOUT, deadline) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		fprintf(stderr, "vmsg-card: ctl: cannot connect to %s: %s\n", path,
			err ? strerror(err) : "timed out");
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Is the last complete line of resp[0..len) a final line? */
static int final_line(const char *resp, size_t len, size_t *line_at)
{
	size_t start;

	if (len == 0 || resp[len - 1] != '\n')
		return 0;
	start = len - 1;
	while (start > 0 && resp[start - 1] != '\n')
		start--;
	*line_at = start;
	if (len - start == 3 && memcmp(resp + start, "ok\n", 3) == 0)
		return 1;
	if (len - start >= 7 && memcmp(resp + start, "error:", 6) == 0)
		return 2;
	return 0;
}

int ctl_client_run(const struct ctl_opts *o)
{
	char path[PATH_MAX], req[sizeof(o->line) + 1];
	int64_t deadline = now_ms() + o->timeout_ms;
	char *resp;
	size_t len = 0, at = 0;
	int fd, r, fin = 0;

	r = snprintf(path, sizeof(path), "%s/%s", o->link_dir, CTL_SOCK_NAME);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		fprintf(stderr, "vmsg-card: ctl: link directory path %s is too long\n",
			o->link_dir);
		return CARD_EXIT_USAGE;
	}
	fd = connect_ctl(path, deadline);
	if (fd < 0)
		return CARD_EXIT_NODAEMON;
	r = snprintf(req, sizeof(req), "%s\n", o->line);
	r = send_all(fd, req, (size_t)r, deadline);
	if (r < 0) {
		fprintf(stderr, "vmsg-card: ctl: sending to %s: %s\n", path, strerror(-r));
		close(fd);
		return CARD_EXIT_NODAEMON;
	}
	resp = malloc(RESP_MAX + 1);
	if (!resp) {
		fprintf(stderr, "vmsg-card: ctl: out of memory\n");
		close(fd);
		return CARD_EXIT_FAIL;
	}
	while (!fin) {
		ssize_t n;

		r = wait_fd(fd, POLLIN, deadline);
		if (r <= 0) {
			fprintf(stderr, "vmsg-card: ctl: no answer from %s within %u ms\n", path,
				o->timeout_ms);
			break;
		}
		n = recv(fd, resp + len, RESP_MAX - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr,
				"vmsg-card: ctl: %s closed the connection before the end "
				"of the answer%s%s\n",
				path, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			break;
		}
		len += (size_t)n;
		fin = final_line(resp, len, &at);
		if (!fin && len == RESP_MAX) {
			fprintf(stderr, "vmsg-card: ctl: answer from %s too long\n", path);
			break;
		}
	}
	close(fd);
	if (fin == 1) {
		fwrite(resp, 1, at, stdout);
	} else if (fin == 2) {
		fwrite(resp, 1, at, stdout);
		fprintf(stderr, "vmsg-card: ctl: %.*s", (int)(len - at), resp + at);
	}
	free(resp);
	return fin == 1 ? CARD_EXIT_OK : fin == 2 ? CARD_EXIT_FAIL : CARD_EXIT_NODAEMON;
}
