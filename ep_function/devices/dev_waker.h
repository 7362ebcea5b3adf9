/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_waker.h - the one file descriptor a backend gives the daemon
 * (ops->wait_fd): an epoll set holding the backend's own descriptors (tap,
 * pty, stdin, stdout) and an eventfd the backend kicks when it stopped on a
 * work budget and must be called again. A descriptor is removed from the set
 * while the backend cannot make progress on it (no receive buffers, EOF,
 * nothing to write), so the daemon never spins on a level-triggered fd.
 */
#ifndef DEV_WAKER_H
#define DEV_WAKER_H

#include <stdbool.h>
#include <stdint.h>

struct dev_waker {
	int epfd;
	int evfd;
	bool kicked;
};

/* 0 or -errno. */
int dev_waker_init(struct dev_waker *w);
void dev_waker_fini(struct dev_waker *w);

/* Ask to be called again soon (idempotent until cleared). */
void dev_waker_kick(struct dev_waker *w);
/* Consume a pending kick; true if there was one. */
bool dev_waker_clear(struct dev_waker *w);

/* Watch fd for events (EPOLLIN / EPOLLOUT), or stop watching it (events 0).
 * *armed tracks the state so repeated calls are cheap. 0 or -errno. */
int dev_waker_watch(struct dev_waker *w, int fd, uint32_t events, uint32_t *armed);

int dev_waker_fd(const struct dev_waker *w);

#endif /* DEV_WAKER_H */
