// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_loop.c - the daemon's event loop.
 *
 * One thread waits in poll() on: the signalfd, the platform's descriptors
 * (ivshmem listener, doorbell eventfds, client sockets), the control socket
 * and every device's wait_fd, for at most vmsg_card_next_timeout_ms(). Every
 * wakeup ends in vmsg_card_poll(). In busy-poll mode the engine is polled
 * back to back and the descriptors are checked without waiting once per
 * millisecond; the clock is read once every BUSY_CLOCK_EVERY passes, not on
 * every pass (it was a quarter of the card's time in the poll-mode round
 * trip, bench/README.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "card_daemon.h"
#include "card_ext.h"
#include "vcard_log.h"
#include "vmsg_dev.h"

/* Never sleep longer than this, whatever the engine says (housekeeping). */
#define LOOP_MAX_SLEEP_MS 1000u
#define BUSY_FD_CHECK_NS  1000000ull
#define BUSY_CLOCK_EVERY  64u /* passes: a few microseconds */

struct loop_fds {
	struct pollfd *pfd;
	int cap;
	int n;
	int link_at, link_n;
	int ctl_at, ctl_n;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void build_fds(struct card_daemon *d, struct loop_fds *f)
{
	f->n = 0;
	f->pfd[f->n++] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
	f->link_at = f->n;
	f->link_n = d->link.ops->pollfds(d->link.priv, f->pfd + f->n, f->cap - f->n);
	f->n += f->link_n;
	f->ctl_at = f->n;
	f->ctl_n = ctl_server_pollfds(d->ctl, f->pfd + f->n, f->cap - f->n);
	f->n += f->ctl_n;
	for (uint32_t n = 1; n <= d->opts->max_devices && f->n < f->cap; n++) {
		struct vmsg_dev *dev = vmsg_card_device(d->card, (vmsg_dev_num_t)n);
		int fd;

		if (!dev || dev->removed || !dev->ops->wait_fd)
			continue;
		fd = dev->ops->wait_fd(dev);
		if (fd >= 0)
			f->pfd[f->n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
}

static void read_signals(struct card_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (!d->stop)
			card_info("signal %s received: shutting down",
				  strsignal((int)si.ssi_signo));
		d->stop = true;
		d->stop_signal = (int)si.ssi_signo;
	}
}

static void handle_fds(struct card_daemon *d, struct loop_fds *f)
{
	if (f->pfd[0].revents)
		read_signals(d);
	d->link.ops->handle(d->link.priv, f->pfd + f->link_at, f->link_n);
	if (d->link.ops->take_stop && d->link.ops->take_stop(d->link.priv, &d->exit_code))
		d->stop = true;
	/* After the link: a ctl "remove" may free a device whose fd is in the
	 * array, and device fds need no handling besides the engine poll. */
	ctl_server_handle(d->ctl, f->pfd + f->ctl_at, f->ctl_n);
}

static bool poll_card(struct card_daemon *d)
{
	int r;

	d->link.ops->before_card_poll(d->link.priv);
	if (d->link.ops->take_host_lost && d->link.ops->take_host_lost(d->link.priv))
		vmsg_card_host_lost(d->card);
	r = vmsg_card_poll(d->card);
	if (r < 0) {
		card_err("engine: fatal platform error (%d): shutting down", r);
		d->exit_code = CARD_EXIT_FAIL;
		d->stop = true;
		return false;
	}
	/* vmsg-card-test --hostile: attacks go in between two engine polls */
	if (d->opts->ext)
		d->opts->ext->tick(d);
	return true;
}

static uint32_t sleep_ms(struct card_daemon *d)
{
	uint32_t t = vmsg_card_next_timeout_ms(d->card);
	uint32_t c = ctl_server_next_timeout_ms(d->ctl);

	if (c < t)
		t = c;
	c = d->opts->ext ? d->opts->ext->next_ms() : UINT32_MAX;
	if (c < t)
		t = c;
	return t < LOOP_MAX_SLEEP_MS ? t : LOOP_MAX_SLEEP_MS;
}

void card_loop_run(struct card_daemon *d)
{
	struct loop_fds f;
	uint64_t next_fd_check = 0;
	uint32_t passes = 0;

	f.cap = 1 + d->link.ops->max_pollfds(d->link.priv) + ctl_server_max_pollfds(d->ctl) +
		(int)d->opts->max_devices;
	f.pfd = calloc((size_t)f.cap, sizeof(*f.pfd));
	if (!f.pfd) {
		card_err("event loop: out of memory");
		d->exit_code = CARD_EXIT_FAIL;
		return;
	}
	/* Serve whatever is already pending (a host attached before we ran). */
	poll_card(d);
	while (!d->stop) {
		int r;

		if (d->opts->busy_poll) {
			if (++passes % BUSY_CLOCK_EVERY != 0 || mono_ns() < next_fd_check) {
				poll_card(d);
				continue;
			}
			next_fd_check = mono_ns() + BUSY_FD_CHECK_NS;
		}
		build_fds(d, &f);
		r = poll(f.pfd, (nfds_t)f.n, d->opts->busy_poll ? 0 : (int)sleep_ms(d));
		if (r < 0 && errno != EINTR) {
			card_err("event loop: poll: %s", strerror(errno));
			d->exit_code = CARD_EXIT_FAIL;
			break;
		}
		if (r > 0)
			handle_fds(d, &f);
		if (d->stop)
			break;
		poll_card(d);
	}
	free(f.pfd);
}
