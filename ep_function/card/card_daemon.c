// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_daemon.c - bring the daemon up (link directory, signals, platform,
 * engine, devices, control socket, pidfile), run the loop, tear it down.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card_daemon.h"
#include "card_ext.h"
#include "card_platform.h"
#include "vcard_log.h"

/* Create DIR (one level, 0700) if missing and lock it for this daemon. */
static int lock_link_dir(struct card_daemon *d, const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		card_err("link directory %s: cannot create it: %s", dir, strerror(errno));
		return -1;
	}
	d->lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->lockfd < 0) {
		card_err("link directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			card_err("link directory %s is in use by another vmsg-card", dir);
		else
			card_err("link directory %s: flock: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_signals(struct card_daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		card_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0) {
		card_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		card_err("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		card_err("pidfile %s: write: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int setup_link(struct card_daemon *d)
{
	const struct card_opts *o = d->opts;

	if (o->platform->create(o->platform_opts, o, &d->link) < 0)
		return -1;
	d->have_link = true;
	return 0;
}

static int setup_card(struct card_daemon *d)
{
	const struct card_opts *o = d->opts;
	struct vmsg_card_config cfg;

	vmsg_card_config_defaults(&cfg);
	cfg.card_features = d->link.card_features;
	cfg.max_msg_size = d->link.max_msg_size ? d->link.max_msg_size : o->max_msg_size;
	if (d->link.ring_slot_size)
		cfg.ring_slot_size = d->link.ring_slot_size;
	if (d->link.ring_slot_count)
		cfg.ring_slot_count = d->link.ring_slot_count;
	cfg.dma_addr_bits = d->link.dma_addr_bits;
	cfg.num_vectors = d->link.num_vectors;
	cfg.num_doorbells = d->link.num_doorbells;
	if (o->no_oob)
		cfg.card_features &= ~VMSG_PCIE_F_OOB_NOTIFY;
	cfg.max_devices = o->max_devices;
	cfg.busy_poll = o->busy_poll;
	d->card = vmsg_card_create(&d->link.plat, &cfg);
	if (!d->card) {
		card_err("engine: vmsg_card_create failed (BAR0 %zu bytes, max_msg_size %u, "
			 "%u vectors, %u devices, ring slots %u x %u bytes)",
			 d->link.plat.bar0_size, cfg.max_msg_size, cfg.num_vectors, cfg.max_devices,
			 cfg.ring_slot_count, cfg.ring_slot_size);
		return -1;
	}
	for (unsigned int i = 0; i < o->n_devs; i++) {
		char err[256];

		if (card_add_device_spec(d, o->devs[i], true, err, sizeof(err)) < 0) {
			card_err("%s", err);
			return -1;
		}
	}
	return 0;
}

static int setup_ctl(struct card_daemon *d)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", d->opts->link_dir, CTL_SOCK_NAME);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		card_err("link directory path %s is too long", d->opts->link_dir);
		return -1;
	}
	/* vmsg-card-test --hostile: stats also counts the attacks */
	d->ctl = ctl_server_create(
	    path, d->opts->ext && d->opts->ext->active() ? d->opts->ext->ctl_exec : card_ctl_exec,
	    d);
	return d->ctl ? 0 : -1;
}

static void teardown(struct card_daemon *d)
{
	/* Devices reset and REMOVED, pending requests answered, link SHUTDOWN,
	 * interrupt; after this the engine consumes nothing more. */
	if (d->card)
		vmsg_card_shutdown(d->card);
	ctl_server_destroy(d->ctl);
	d->ctl = NULL;
	if (d->card)
		vmsg_card_destroy(d->card);
	d->card = NULL;
	if (d->have_link)
		d->link.ops->destroy(d->link.priv);
	d->have_link = false;
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->lockfd >= 0)
		close(d->lockfd);
}

int card_daemon_run(const struct card_opts *opts)
{
	struct card_daemon d;
	bool pidfile_written = false;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.sigfd = -1;
	d.lockfd = -1;
	d.exit_code = CARD_EXIT_OK;
	vcard_log_set_level(opts->log_level);

	/* cli_parse_daemon() refused platforms without an implementation. */
	if (!opts->platform || !opts->platform->create) {
		fprintf(stderr, "vmsg-card: no usable platform\n");
		return CARD_EXIT_USAGE;
	}

	if (setup_signals(&d) < 0 || lock_link_dir(&d, opts->link_dir) < 0 || setup_link(&d) < 0 ||
	    setup_card(&d) < 0) {
		d.exit_code = CARD_EXIT_FAIL;
		goto out;
	}
	if (opts->ext)
		opts->ext->start(&d); /* vmsg-card-test only */
	if (setup_ctl(&d) < 0) {
		d.exit_code = CARD_EXIT_FAIL;
		goto out;
	}
	if (opts->pidfile) {
		if (write_pidfile(opts->pidfile) < 0) {
			d.exit_code = CARD_EXIT_FAIL;
			goto out;
		}
		pidfile_written = true;
	}
	card_info("ready: platform %s, link %s, %u device(s), %s", d.link.ops->name, opts->link_dir,
		  opts->n_devs, opts->busy_poll ? "busy-polling" : "interrupt mode");
	card_loop_run(&d);
out:
	teardown(&d);
	if (pidfile_written && unlink(opts->pidfile) < 0 && errno != ENOENT)
		card_warn("pidfile %s: cannot remove: %s", opts->pidfile, strerror(errno));
	if (d.exit_code == CARD_EXIT_OK)
		card_info("stopped cleanly");
	return d.exit_code;
}
