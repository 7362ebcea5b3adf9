/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * bench_util.h - clocks, CPU pinning, machine description and the watchdog
 * that bounds every phase of vmsg-bench.
 */
#ifndef VMSG_BENCH_UTIL_H
#define VMSG_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BU_NS_PER_US 1000.0

/* CLOCK_MONOTONIC in nanoseconds (the clock every sample is taken with). */
uint64_t bu_now_ns(void);

/* Sleep for ms milliseconds (EINTR-safe). */
void bu_sleep_ms(unsigned int ms);

/* CPU pinning of the calling thread (0 or -errno). */
int bu_pin_self(int cpu);
/* The first two CPUs this process may run on; both the same CPU when it may
 * only use one (returns 1 then, 0 for two distinct CPUs, -errno). */
int bu_default_cpus(int *a, int *b);
/* "A,B": two CPU numbers, each allowed by the affinity mask. 0 or -EINVAL. */
int bu_parse_cpus(const char *s, int *a, int *b);
/* Is the CPU in this process's affinity mask? */
bool bu_cpu_allowed(int cpu);

/* Parse a decimal count in [min, max]; 0 or -EINVAL. */
int bu_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Can path be written (an output file named on the command line)? Checked
 * before any work, so that a bad path does not cost a whole run: the file is
 * opened for appending (nothing in it is lost) and removed again if this
 * call created it. "-" (stdout) is fine. 0 or -errno. */
int bu_check_writable(const char *path);

/* Machine description for the report. */
struct bu_machine {
	long nproc;	  /* online CPUs */
	char model[128];  /* /proc/cpuinfo "model name" of the first CPU */
	char kernel[128]; /* uname -r */
	char hostname[72];
	char timestamp[32]; /* ISO 8601 UTC, e.g. 2025-01-31T12:00:00Z */
	int64_t unix_time;
};
void bu_machine_get(struct bu_machine *m);

/*
 * Watchdog: one thread that aborts the whole program when a phase overruns
 * its budget, so that a dead card, a stuck peer thread or a starved CPU can
 * never hang the benchmark. on_expire runs on the watchdog thread before
 * _exit(1) and must only use async-signal-safe calls (it is also what the
 * signal handlers run).
 */
int bu_watchdog_start(void (*on_expire)(void));
void bu_watchdog_arm(const char *phase, unsigned int seconds);
void bu_watchdog_disarm(void);

#endif /* VMSG_BENCH_UTIL_H */
