// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ivshmem_msg.c - one ivshmem protocol message (vmsg_ivshmem.h): an 8-byte
 * little-endian int64 with at most one fd, sent without blocking and
 * received against a deadline, every value and fd checked.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmsg_ivshmem.h"

int64_t ivs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t r = deadline - ivs_now_ms();

	return r < 0 ? 0 : (r > 1000000 ? 1000000 : (int)r);
}

/* Never blocks: a peer that does not drain its socket gets -EAGAIN. */
int ivs_send_msg(int sock, int64_t value, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	uint64_t le = (uint64_t)value;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	le = __builtin_bswap64(le);
#endif
	iov.iov_base = &le;
	iov.iov_len = sizeof(le);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(le))
		return -EPIPE;
	return 0;
}

/* Keep the first fd of the message, close any other: 0 or -EPROTO. */
static int take_fds(struct msghdr *mh, size_t got, int *fd)
{
	int ret = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t nfd, i;
		int fds[4];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			ret = -EPROTO;
			continue;
		}
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > 4)
			nfd = 4;
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (*fd < 0 && got == 0 && nfd == 1) {
				*fd = fds[i];
			} else {
				close(fds[i]);
				ret = -EPROTO; /* more than one fd with a message */
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		ret = -EPROTO;
	return ret;
}

int ivs_recv_msg(int sock, int64_t deadline_ms, int64_t *value, int *fd)
{
	uint8_t buf[8];
	size_t got = 0;
	uint64_t u = 0;
	int ret = 0;

	*fd = -1;
	while (got < sizeof(buf)) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * 4)];
		} ctl;
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		struct iovec iov = {.iov_base = buf + got, .iov_len = sizeof(buf) - got};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;
		int pr;

		pr = poll(&pfd, 1, remaining_ms(deadline_ms));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			ret = -errno;
			goto bad;
		}
		if (pr == 0) {
			if (got == 0)
				return 0;
			ret = -ETIMEDOUT; /* half a message: the peer is broken */
			goto bad;
		}
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = -errno;
			goto bad;
		}
		if (n == 0) {
			ret = -ECONNRESET;
			goto bad;
		}
		ret = take_fds(&mh, got, fd);
		if (ret < 0)
			goto bad;
		got += (size_t)n;
	}
	for (int i = 7; i >= 0; i--)
		u = u << 8 | buf[i];
	*value = (int64_t)u;
	return 1;
bad:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return ret;
}
