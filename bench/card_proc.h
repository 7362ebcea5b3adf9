/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_proc.h - the benchmark's own soft card: a `vmsg-card --platform sim`
 * child process pinned to one CPU, with its link directory and host memory
 * file in a private temporary directory.
 *
 * At most one card runs at a time. Everything it leaves behind is removed by
 * card_stop() and, from a signal handler or the watchdog, by
 * card_emergency_cleanup() (async-signal-safe). The child gets SIGTERM if the
 * benchmark dies (PR_SET_PDEATHSIG), so a busy-polling card never outlives it.
 */
#ifndef VMSG_BENCH_CARD_PROC_H
#define VMSG_BENCH_CARD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CARD_PATH_MAX 512

struct card_proc {
	pid_t pid; /* 0: not running */
	char bin[CARD_PATH_MAX];
	char dir[CARD_PATH_MAX];       /* private temp dir */
	char link_dir[CARD_PATH_MAX];  /* DIR/link: the card's --link */
	char sock_path[CARD_PATH_MAX]; /* DIR/link/ivshmem.sock */
	char mem_path[CARD_PATH_MAX];  /* DIR/host-mem: the card's --host-mem */
	char log_path[CARD_PATH_MAX];  /* DIR/card.log: its stdout and stderr */
	char pid_path[CARD_PATH_MAX];  /* DIR/card.pid: written once ready */
	int cpu;
	bool poll;
	bool keep_log;	   /* $VMSG_BENCH_KEEP: leave card.log (and DIR) behind */
	bool net_loopback; /* --net loopback instead of --rng (throughput) */
};

/*
 * Find vmsg-card: opt (--card) if given, else $VMSG_CARD, else next to this
 * program in the build tree (../ep_function/card/vmsg-card), else in $PATH.
 * An explicit choice that is not executable is an error, never skipped.
 * *how names where it came from. 0 or -ENOENT (message printed).
 */
int card_find_binary(const char *opt, char *out, size_t cap, const char **how);

/* Create the private temporary directory (under $TMPDIR or /tmp) and fill in
 * the paths. 0 or -errno. */
int card_prepare(struct card_proc *c, const char *bin);

/*
 * Start the card: --platform sim --link DIR/link --host-mem DIR/host-mem
 * --rng [--poll] --log-level warn --pidfile DIR/card.pid, pinned to cpu.
 * Waits up to timeout_ms for the pidfile (the card is then serving its
 * ivshmem socket); a card that exits or does not become ready in time is an
 * error, with the tail of its log on stderr. 0 or -errno.
 */
int card_start(struct card_proc *c, int cpu, bool poll, unsigned int timeout_ms);

/* SIGTERM, wait up to 3 s, then SIGKILL. Returns the card's exit status
 * (0 clean, > 0 exit code, < 0 killed by a signal or not running). */
int card_stop(struct card_proc *c);

/* Print the last lines of the card's log to stderr. */
void card_log_tail(const struct card_proc *c);

/* Stop and remove the temporary directory (after card_stop). */
void card_cleanup(struct card_proc *c);

/* Async-signal-safe: kill the running card (if any) and remove the files. */
void card_emergency_cleanup(void);

#endif /* VMSG_BENCH_CARD_PROC_H */
