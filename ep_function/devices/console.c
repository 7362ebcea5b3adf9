/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * console.c - virtio-console, port 0 only (no MULTIPORT): receiveq 0 takes
 * backend input to the driver, transmitq 1 carries driver output to the
 * backend. Backends: the card's stdin/stdout, a pty, or given descriptors.
 *
 * Output is consumed at once (Linux's hvc path spins until its buffer comes
 * back) into a bounded buffer drained as the backend accepts it; what does
 * not fit is dropped and counted. Input waits in a bounded buffer for
 * receive buffers; the backend is not read while that buffer is full.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "dev_common.h"
#include "dev_waker.h"
#include "devq.h"
#include "vmsg_devices.h"

/* struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports,
 * le32 emerg_wr; all zero (no SIZE, MULTIPORT or EMERG_WRITE). */
#define CON_CFG_SIZE 12u

#define CON_RXQ		   0u
#define CON_TXQ		   1u
#define CON_QUEUE_SIZE	   128u
#define CON_IN_BUF	   4096u
#define CON_OUT_BUF	   (64u * 1024u)
#define CON_BLOCKING_CHUNK 256u /* per write on a descriptor we could not make non-blocking */
#define CON_EINTR_RETRIES  8

enum con_kind { CON_STDIO, CON_PTY, CON_FD };

struct vmsg_console {
	struct vmsg_dev dev;
	enum con_kind kind;
	struct devq rxq, txq;
	struct dev_waker waker;
	int in_fd, out_fd, slave_fd;
	bool in_nonblock, out_nonblock;
	uint32_t in_armed, out_armed;
	bool in_eof, out_dead, announced;
	bool tx_more, rx_more;
	bool restore_tty;
	struct termios saved_tty;
	char pty_path[128];
	uint32_t in_len;
	uint32_t out_head, out_len;
	uint8_t inbuf[CON_IN_BUF];
	uint8_t outbuf[CON_OUT_BUF];
	struct vmsg_console_stats st;
};

static const struct vmsg_dev_ops con_ops;

static struct vmsg_console *to_con(struct vmsg_dev *d)
{
	return (struct vmsg_console *)d->priv;
}

/* Is fd ready for events right now? (Guards blocking descriptors.) */
static bool fd_ready(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, 0) == 1 && (p.revents & (events | POLLHUP | POLLERR));
}

/* Watch input while it can go somewhere (rx_off: receiveq being reset),
 * output while some is pending. */
static void con_arm(struct vmsg_console *c, bool rx_off)
{
	uint32_t in = 0, out = 0;

	if (!rx_off && c->in_fd >= 0 && !c->in_eof && c->in_len < CON_IN_BUF && devq_ready(&c->rxq))
		in = EPOLLIN;
	if (c->out_fd >= 0 && !c->out_dead && c->out_len)
		out = EPOLLOUT;
	if (c->in_fd >= 0 && c->in_fd == c->out_fd) {
		dev_waker_watch(&c->waker, c->in_fd, in | out, &c->in_armed);
		return;
	}
	if (c->in_fd >= 0)
		dev_waker_watch(&c->waker, c->in_fd, in, &c->in_armed);
	if (c->out_fd >= 0)
		dev_waker_watch(&c->waker, c->out_fd, out, &c->out_armed);
}

/* Write buffered output to the backend as far as it takes it. */
static void con_flush(struct vmsg_console *c)
{
	uint32_t chunk;
	int eintr = 0;
	ssize_t n;

	while (c->out_len) {
		if (c->out_fd < 0 || c->out_dead) {
			c->st.tx_dropped += c->out_len;
			c->out_len = 0;
			break;
		}
		chunk = c->out_len;
		if (!c->out_nonblock) {
			if (!fd_ready(c->out_fd, POLLOUT))
				break;
			if (chunk > CON_BLOCKING_CHUNK)
				chunk = CON_BLOCKING_CHUNK;
		}
		n = write(c->out_fd, c->outbuf + c->out_head, chunk);
		if (n < 0) {
			if (errno == EINTR && ++eintr < CON_EINTR_RETRIES)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			if (c->dev.card)
				vmsg_dev_log(&c->dev, VMSG_LOG_WARN, "console: write: %s",
					     strerror(errno));
			c->out_dead = true;
			continue;
		}
		if (n == 0)
			break;
		c->out_head += (uint32_t)n;
		c->out_len -= (uint32_t)n;
		c->st.tx_bytes += (uint64_t)n;
	}
	if (!c->out_len)
		c->out_head = 0;
}

/* Room at the tail of the output buffer, compacting if that helps. */
static uint32_t con_out_room(struct vmsg_console *c)
{
	if (c->out_head && c->out_head + c->out_len == CON_OUT_BUF) {
		memmove(c->outbuf, c->outbuf + c->out_head, c->out_len);
		c->out_head = 0;
	}
	return CON_OUT_BUF - (c->out_head + c->out_len);
}

static void con_tx_one(struct vmsg_console *c, struct devq_req *r)
{
	uint32_t off = 0, room, n, limit = r->rlen;

	/* Drivers send at most a page per buffer: take one buffer's worth. */
	if (limit > CON_OUT_BUF) {
		c->st.tx_dropped += limit - CON_OUT_BUF;
		limit = CON_OUT_BUF;
	}
	while (off < limit) {
		room = con_out_room(c);
		if (!room) {
			con_flush(c);
			room = con_out_room(c);
		}
		if (!room) {
			c->st.tx_dropped += limit - off;
			return;
		}
		n = limit - off < room ? limit - off : room;
		if (devq_read(&c->txq, r, off, c->outbuf + c->out_head + c->out_len, n) < 0) {
			c->st.tx_dropped += limit - off;
			return;
		}
		c->out_len += n;
		off += n;
	}
}

static void con_tx_process(struct vmsg_console *c)
{
	struct devq_req r;
	uint32_t budget;
	int rc;

	c->tx_more = false;
	for (budget = 0; budget < DEV_BUDGET_CHAINS; budget++) {
		rc = devq_pop(&c->txq, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue;
		con_tx_one(c, &r);
		devq_push(&c->txq, &r, 0);
	}
	devq_notify(&c->txq);
	con_flush(c);
	if (budget >= DEV_BUDGET_CHAINS) {
		c->tx_more = true;
		dev_waker_kick(&c->waker);
	}
}

/* Buffered input into receive buffers (bounded). */
static void con_rx_deliver(struct vmsg_console *c)
{
	struct devq_req r;
	uint32_t budget, n;
	int rc;

	c->rx_more = false;
	for (budget = 0; c->in_len && budget < DEV_BUDGET_CHAINS; budget++) {
		rc = devq_pop(&c->rxq, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue;
		n = c->in_len < r.wlen ? c->in_len : r.wlen;
		if (!n || devq_write(&c->rxq, &r, 0, c->inbuf, n) < 0) {
			devq_push(&c->rxq, &r, 0);
			continue;
		}
		devq_push(&c->rxq, &r, n);
		memmove(c->inbuf, c->inbuf + n, c->in_len - n);
		c->in_len -= n;
		c->st.rx_bytes += n;
	}
	devq_notify(&c->rxq);
	if (c->in_len && budget >= DEV_BUDGET_CHAINS) {
		c->rx_more = true;
		dev_waker_kick(&c->waker);
	}
}

/* One read from the backend (if there is room and a driver), then deliver. */
static void con_rx_pump(struct vmsg_console *c)
{
	int eintr = 0;
	ssize_t n;

	con_rx_deliver(c);
	while (c->in_fd >= 0 && !c->in_eof && c->in_len < CON_IN_BUF && devq_ready(&c->rxq)) {
		if (!c->in_nonblock && !fd_ready(c->in_fd, POLLIN))
			break;
		n = read(c->in_fd, c->inbuf + c->in_len, CON_IN_BUF - c->in_len);
		if (n > 0) {
			c->in_len += (uint32_t)n;
			break;
		}
		if (n < 0 && errno == EINTR && ++eintr < CON_EINTR_RETRIES)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		/* EOF, or an error that will not go away. */
		if (c->dev.card)
			vmsg_dev_log(&c->dev, VMSG_LOG_INFO, "console: input %s",
				     n == 0 ? "closed" : strerror(errno));
		c->in_eof = true;
	}
	con_rx_deliver(c);
}

static void con_announce(struct vmsg_console *c)
{
	if (c->announced || !c->dev.card)
		return;
	c->announced = true;
	if (c->kind == CON_PTY)
		vmsg_dev_log(&c->dev, VMSG_LOG_INFO, "console: pty at %s", c->pty_path);
}

static void con_config_read(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len)
{
	(void)d;
	(void)off;
	memset(buf, 0, len);
}

static int con_set_features(struct vmsg_dev *d, uint64_t features)
{
	return dev_check_features(d, features);
}

static void con_start(struct vmsg_dev *d)
{
	struct vmsg_console *c = to_con(d);

	con_announce(c);
	con_arm(c, false);
	dev_waker_kick(&c->waker);
}

static void con_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_console *c = to_con(d);

	if (vq == UINT32_MAX || vq == CON_RXQ) {
		devq_reset(&c->rxq);
		c->rx_more = false;
	}
	if (vq == UINT32_MAX || vq == CON_TXQ) {
		devq_reset(&c->txq);
		c->tx_more = false;
	}
	con_arm(c, vq == UINT32_MAX || vq == CON_RXQ);
}

static void con_queue_notify(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_console *c = to_con(d);

	if (vq == CON_TXQ)
		con_tx_process(c);
	else if (vq == CON_RXQ)
		con_rx_pump(c);
	con_arm(c, false);
}

static void con_poll(struct vmsg_dev *d)
{
	struct vmsg_console *c = to_con(d);

	con_announce(c);
	dev_waker_clear(&c->waker);
	con_flush(c);
	if (c->tx_more)
		con_tx_process(c);
	con_rx_pump(c);
	con_arm(c, false);
}

static int con_wait_fd(struct vmsg_dev *d)
{
	return dev_waker_fd(&to_con(d)->waker);
}

static void con_destroy(struct vmsg_dev *d)
{
	struct vmsg_console *c;

	if (!d)
		return;
	c = to_con(d);
	if (c->restore_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved_tty);
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0 && c->out_fd != c->in_fd)
		close(c->out_fd);
	if (c->slave_fd >= 0)
		close(c->slave_fd);
	dev_waker_fini(&c->waker);
	free(c);
}

static void con_describe(struct vmsg_dev *d, char *buf, size_t len)
{
	struct vmsg_console *c = to_con(d);
	const char *what = c->kind == CON_PTY ? c->pty_path : c->kind == CON_STDIO ? "stdio" : "fd";

	snprintf(buf, len, "%s%s out %" PRIu64 " in %" PRIu64 " bytes, dropped %" PRIu64,
		 c->kind == CON_PTY ? "pty " : "", what, c->st.tx_bytes, c->st.rx_bytes,
		 c->st.tx_dropped);
}

static const struct vmsg_dev_ops con_ops = {
    .name = "console",
    .device_id = VMSG_VIRTIO_ID_CONSOLE,
    .config_read = con_config_read,
    .config_write = NULL,
    .set_features = con_set_features,
    .start = con_start,
    .reset = con_reset,
    .queue_notify = con_queue_notify,
    .poll = con_poll,
    .wait_fd = con_wait_fd,
    .get_shm = NULL,
    .destroy = con_destroy,
    .describe = con_describe,
};

int vmsg_console_get_stats(struct vmsg_dev *d, struct vmsg_console_stats *st)
{
	if (!d || d->ops != &con_ops)
		return -1;
	*st = to_con(d)->st;
	return 0;
}

const char *vmsg_console_pty_path(struct vmsg_dev *d)
{
	if (!d || d->ops != &con_ops || to_con(d)->kind != CON_PTY)
		return NULL;
	return to_con(d)->pty_path;
}

static struct vmsg_console *con_alloc(enum con_kind kind, char *err, size_t errlen)
{
	struct vmsg_console *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		dev_err(err, errlen, "console: out of memory");
		return NULL;
	}
	c->kind = kind;
	c->in_fd = c->out_fd = c->slave_fd = -1;
	c->dev.ops = &con_ops;
	c->dev.priv = c;
	rc = dev_waker_init(&c->waker);
	if (rc < 0) {
		dev_err(err, errlen, "console: cannot create wait fd: %s", strerror(-rc));
		free(c);
		return NULL;
	}
	c->dev.features = dev_transport_features();
	c->dev.config_size = CON_CFG_SIZE;
	c->dev.num_queues = 2;
	c->dev.queue_max_size = CON_QUEUE_SIZE;
	devq_init(&c->rxq, &c->dev, CON_RXQ);
	devq_init(&c->txq, &c->dev, CON_TXQ);
	return c;
}

static bool set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

struct vmsg_dev *vmsg_console_fd_create(int in_fd, int out_fd, char *err, size_t errlen)
{
	struct vmsg_console *c = con_alloc(CON_FD, err, errlen);

	if (!c)
		return NULL;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->in_nonblock = in_fd >= 0 && set_nonblock(in_fd);
	c->out_nonblock = out_fd >= 0 && set_nonblock(out_fd);
	return &c->dev;
}

/* A private non-blocking description of one of our standard streams (a
 * terminal or a pipe), so the daemon's own stdin/stdout stay as they are;
 * a regular file is shared as it is (it never blocks, and a reopen would
 * lose its offset); else a dup used behind poll(). */
static int reopen_std(int fd, int flags, bool *nonblock)
{
	struct stat sb;
	char path[32];
	int nfd;

	if (fstat(fd, &sb) < 0)
		return -1;
	if (S_ISREG(sb.st_mode)) {
		*nonblock = true;
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0) {
		*nonblock = true;
		return nfd;
	}
	*nonblock = false;
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

struct vmsg_dev *vmsg_console_stdio_create(char *err, size_t errlen)
{
	struct vmsg_console *c = con_alloc(CON_STDIO, err, errlen);
	struct termios t;

	if (!c)
		return NULL;
	c->in_fd = reopen_std(STDIN_FILENO, O_RDONLY, &c->in_nonblock);
	c->out_fd = reopen_std(STDOUT_FILENO, O_WRONLY, &c->out_nonblock);
	if (c->out_fd < 0) {
		dev_err(err, errlen, "console: stdout: %s", strerror(errno));
		con_destroy(&c->dev);
		return NULL;
	}
	/* A terminal on stdin: characters as typed, no local echo (the host's
	 * getty echoes); keep signals so ^C still stops the daemon. */
	if (c->in_fd >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved_tty) == 0) {
		t = c->saved_tty;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
		t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		c->restore_tty = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	return &c->dev;
}

struct vmsg_dev *vmsg_console_pty_create(char *err, size_t errlen)
{
	struct vmsg_console *c = con_alloc(CON_PTY, err, errlen);
	struct termios t;
	int fd;

	if (!c)
		return NULL;
	fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (fd < 0) {
		dev_err(err, errlen, "console: cannot open a pty: %s", strerror(errno));
		goto fail;
	}
	c->in_fd = c->out_fd = fd;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || !set_nonblock(fd) || grantpt(fd) < 0 ||
	    unlockpt(fd) < 0 || ptsname_r(fd, c->pty_path, sizeof(c->pty_path)) != 0) {
		dev_err(err, errlen, "console: cannot set up the pty: %s", strerror(errno));
		goto fail;
	}
	c->in_nonblock = c->out_nonblock = true;
	/* Hold the slave open: the master then never sees a hang-up when a
	 * user disconnects, and the raw mode set here stays. */
	c->slave_fd = open(c->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave_fd < 0) {
		dev_err(err, errlen, "console: cannot open %s: %s", c->pty_path, strerror(errno));
		goto fail;
	}
	if (tcgetattr(c->slave_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(c->slave_fd, TCSANOW, &t);
	}
	return &c->dev;
fail:
	con_destroy(&c->dev);
	return NULL;
}
