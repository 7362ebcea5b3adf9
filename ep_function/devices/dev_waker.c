/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* dev_waker.c - epoll set + eventfd a backend hands to the daemon. */
#include "dev_waker.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int dev_waker_init(struct dev_waker *w)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int e;

	w->kicked = false;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	w->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->evfd < 0)
		goto fail;
	ev.data.fd = w->evfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	dev_waker_fini(w);
	return -e;
}

void dev_waker_fini(struct dev_waker *w)
{
	if (w->evfd >= 0)
		close(w->evfd);
	if (w->epfd >= 0)
		close(w->epfd);
	w->evfd = -1;
	w->epfd = -1;
}

void dev_waker_kick(struct dev_waker *w)
{
	uint64_t one = 1;

	if (w->kicked || w->evfd < 0)
		return;
	/* EAGAIN only if the counter is saturated: still readable, fine. */
	if (write(w->evfd, &one, sizeof(one)) == (ssize_t)sizeof(one) || errno == EAGAIN)
		w->kicked = true;
}

bool dev_waker_clear(struct dev_waker *w)
{
	uint64_t v;

	/* Only we write the eventfd: no kick recorded, nothing to read (keeps
	 * a busy-polling daemon free of syscalls here). */
	if (!w->kicked)
		return false;
	if (w->evfd >= 0 && read(w->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return true;
	w->kicked = false;
	return true;
}

int dev_waker_watch(struct dev_waker *w, int fd, uint32_t events, uint32_t *armed)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	int op;

	if (fd < 0 || w->epfd < 0 || *armed == events)
		return 0;
	/* EPOLLHUP/EPOLLERR are reported even with no events asked for, so
	 * "not watching" means "not in the set". */
	if (!events)
		op = EPOLL_CTL_DEL;
	else if (*armed)
		op = EPOLL_CTL_MOD;
	else
		op = EPOLL_CTL_ADD;
	if (epoll_ctl(w->epfd, op, fd, &ev) < 0)
		return -errno;
	*armed = events;
	return 0;
}

int dev_waker_fd(const struct dev_waker *w)
{
	return w->epfd;
}
