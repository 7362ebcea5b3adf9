/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * harness.h - integration test support: a real `vmsg-card --platform sim`
 * process in a temporary directory, the host library attached to it over
 * real shared memory, bounded waits everywhere, and cleanup on every exit.
 *
 * Each test program takes the vmsg-card path as argv[1] (meson passes it)
 * or $VMSG_CARD. Exit status: 0 pass, 1 fail, 77 skip. The struct it_card
 * given to it_init() must outlive main() (static): the cleanup runs at exit.
 */
#ifndef VMSG_IT_HARNESS_H
#define VMSG_IT_HARNESS_H

#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"
#include "vmsg_host_drivers.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#define IT_MAX_CARD_ARGS 32
#define IT_STARTUP_MS	 5000
#define IT_MEM_SIZE	 (64u << 20)

struct it_card {
	char card_bin[4096];
	char dir[256];	    /* temp dir: link dir, files */
	char link_dir[300]; /* dir/link */
	char mem_path[300]; /* dir/host-mem */
	char log_path[300]; /* dir/card.log */
	pid_t pid;
	const char *args[IT_MAX_CARD_ARGS];
	int nargs;
};

struct it_host {
	struct vmsg_link *link;
	struct vmsg_host_bus *bus;
	struct vmsg_host_bus_opts opts;
};

extern const char *it_name;
extern int it_failures;

#define IT_LOG(...)                                                                                \
	do {                                                                                       \
		fprintf(stderr, "[%s] ", it_name);                                                 \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			IT_LOG("CHECK failed at %s:%d: %s", __FILE__, __LINE__, #cond);            \
			it_fail();                                                                 \
		}                                                                                  \
	} while (0)

#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		long _r = (long)(expr);                                                            \
		if (_r < 0) {                                                                      \
			IT_LOG("CHECK_OK failed at %s:%d: %s = %ld (%s)", __FILE__, __LINE__,      \
			       #expr, _r, vmsg_host_strerror((int)_r));                            \
			it_fail();                                                                 \
		}                                                                                  \
	} while (0)

/* Print the card log, clean up, exit 1. */
void it_fail(void) __attribute__((noreturn));

/* Parse argv, create the temp dir, install cleanup (atexit, signals), a
 * whole-test alarm (seconds). */
void it_init(int argc, char **argv, const char *name, struct it_card *card, unsigned int alarm_s);

/* Device args for the card ("--blk", path, "--net", "loopback", ...). */
void it_card_arg(struct it_card *card, const char *arg);
/* Path of a file in the test dir. */
const char *it_path(struct it_card *card, const char *name, char *buf, size_t len);
/* Create a file of size bytes (zeros, or random if random). */
void it_make_file(const char *path, size_t size, int random);

/* Start vmsg-card; wait (bounded) for its ivshmem socket. */
void it_card_start(struct it_card *card);
/* SIGTERM (or SIGKILL when kill9), wait for exit (bounded). */
void it_card_stop(struct it_card *card, int kill9);
/* Run `vmsg-card ctl --link DIR ARGS...`; its stdout into out. Exit status. */
int it_card_ctl(struct it_card *card, char *out, size_t outlen, const char *cmd, ...);
/* Start `vmsg-card ctl` without waiting; it_ctl_done() polls it. */
pid_t it_card_ctl_async(struct it_card *card, const char *outfile, const char *cmd, ...);
int it_ctl_done(pid_t pid, int *status);
/* Value of "key" in `ctl stats` output, or -1. */
long long it_card_stat(struct it_card *card, const char *key);

/* Create the sim link (host memory file) and the bus; attach. */
void it_host_open(struct it_card *card, struct it_host *h, const struct vmsg_host_bus_opts *o);
void it_host_close(struct it_host *h);

/* Pump the bus (events) for ms milliseconds. */
void it_pump(struct it_host *h, int ms);

uint64_t it_now_ns(void);
double it_secs_since(uint64_t t0);
/* xorshift PRNG */
uint64_t it_rand(uint64_t *s);
uint64_t it_hash(const void *p, size_t n, uint64_t h);

#endif /* VMSG_IT_HARNESS_H */
