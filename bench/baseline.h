/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * baseline.h - the machine's limit for a round trip between two CPUs,
 * measured in the same run as the link so that the ratio is meaningful on
 * a noisy, shared machine.
 *
 * shm:     one cache line each way, both sides busy-polling (what a polled
 *          ring can at best do between these two CPUs).
 * eventfd: a blocking write/read pair each way, both sides sleeping (what an
 *          interrupt-driven ring can at best do with the kernel's wake-ups).
 *
 * The calling thread is the initiator and must already run on cpu_a; the
 * responder is a thread pinned to cpu_b. samples receives n round trips in
 * nanoseconds (CLOCK_MONOTONIC deltas), after warmup unrecorded ones.
 * Returns 0 or -errno. shm: a responder that stops answering for timeout_ms
 * is -ETIMEDOUT. eventfd: reads block (that is the point); the program's
 * watchdog bounds them.
 */
#ifndef VMSG_BENCH_BASELINE_H
#define VMSG_BENCH_BASELINE_H

#include <stddef.h>
#include <stdint.h>

int baseline_shm(int cpu_b, size_t warmup, size_t n, uint64_t *samples, unsigned int timeout_ms);
int baseline_eventfd(int cpu_b, size_t warmup, size_t n, uint64_t *samples);

#endif /* VMSG_BENCH_BASELINE_H */
