// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * baseline.c - shared-memory and eventfd ping-pong between two CPUs.
 */
#include "vmsg_barrier.h"
#include "baseline.h"
#include "bench_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SPIN_CHECK_EVERY 4096u /* spins between two clock reads */

/* ---- shared memory: one line each way ---- */

struct shm_pp {
	_Alignas(64) uint64_t ping; /* initiator -> responder */
	_Alignas(64) uint64_t pong; /* responder -> initiator */
	_Alignas(64) int cpu;
	int pin_err;
	bool stop;
	unsigned int timeout_ms;
};

/* Spin until pp->pong == want; false after timeout_ms. */
static bool spin_until(const struct shm_pp *pp, uint64_t want, unsigned int timeout_ms)
{
	uint64_t deadline = 0;
	unsigned int spins = 0;

	while (__atomic_load_n(&pp->pong, __ATOMIC_ACQUIRE) != want) {
		vmsg_cpu_relax();
		if (++spins % SPIN_CHECK_EVERY)
			continue;
		if (!deadline)
			deadline = bu_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		else if (bu_now_ns() > deadline)
			return false;
	}
	return true;
}

static void *shm_responder(void *arg)
{
	struct shm_pp *pp = arg;
	uint64_t seq = 0;

	pp->pin_err = bu_pin_self(pp->cpu);
	for (;;) {
		/* wait for the next ping; the stop flag is checked while idle */
		uint64_t v;
		unsigned int spins = 0;

		while ((v = __atomic_load_n(&pp->ping, __ATOMIC_ACQUIRE)) == seq) {
			vmsg_cpu_relax();
			if (++spins % SPIN_CHECK_EVERY == 0 &&
			    __atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
				return NULL;
		}
		seq = v;
		__atomic_store_n(&pp->pong, v, __ATOMIC_RELEASE);
	}
}

int baseline_shm(int cpu_b, size_t warmup, size_t n, uint64_t *samples, unsigned int timeout_ms)
{
	struct shm_pp *pp;
	pthread_t th;
	size_t i;
	int ret = 0;

	pp = aligned_alloc(64, sizeof(*pp));
	if (!pp)
		return -ENOMEM;
	*pp = (struct shm_pp){.cpu = cpu_b, .timeout_ms = timeout_ms};
	ret = pthread_create(&th, NULL, shm_responder, pp);
	if (ret) {
		free(pp);
		return -ret;
	}
	for (i = 0; i < warmup + n; i++) {
		uint64_t seq = i + 1, t0, t1;

		t0 = bu_now_ns();
		__atomic_store_n(&pp->ping, seq, __ATOMIC_RELEASE);
		if (!spin_until(pp, seq, timeout_ms)) {
			ret = -ETIMEDOUT;
			break;
		}
		t1 = bu_now_ns();
		if (i >= warmup)
			samples[i - warmup] = t1 - t0;
	}
	__atomic_store_n(&pp->stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (!ret && pp->pin_err)
		ret = pp->pin_err;
	free(pp);
	return ret;
}

/* ---- eventfd: a blocking write/read each way ---- */

struct efd_pp {
	int to_b, to_a; /* eventfds: initiator writes to_b, responder writes to_a */
	int cpu;
	int pin_err;
	bool stop;
};

static void *efd_responder(void *arg)
{
	struct efd_pp *pp = arg;
	uint64_t v;

	pp->pin_err = bu_pin_self(pp->cpu);
	for (;;) {
		if (read(pp->to_b, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (__atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
			return NULL;
		v = 1;
		if (write(pp->to_a, &v, sizeof(v)) != (ssize_t)sizeof(v))
			return NULL;
	}
}

/* A blocking read, restarted after a signal. */
static int efd_read(int fd)
{
	uint64_t v;

	for (;;) {
		if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int baseline_eventfd(int cpu_b, size_t warmup, size_t n, uint64_t *samples)
{
	struct efd_pp pp = {.to_b = -1, .to_a = -1, .cpu = cpu_b};
	pthread_t th;
	uint64_t one = 1;
	size_t i;
	int ret = 0;

	pp.to_b = eventfd(0, EFD_CLOEXEC);
	pp.to_a = eventfd(0, EFD_CLOEXEC);
	if (pp.to_b < 0 || pp.to_a < 0) {
		ret = -errno;
		goto out;
	}
	ret = pthread_create(&th, NULL, efd_responder, &pp);
	if (ret) {
		ret = -ret;
		goto out;
	}
	for (i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		t0 = bu_now_ns();
		if (write(pp.to_b, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
			ret = -errno;
			break;
		}
		ret = efd_read(pp.to_a);
		if (ret)
			break;
		t1 = bu_now_ns();
		if (i >= warmup)
			samples[i - warmup] = t1 - t0;
	}
	__atomic_store_n(&pp.stop, true, __ATOMIC_RELEASE);
	if (write(pp.to_b, &one, sizeof(one)) != (ssize_t)sizeof(one) && !ret)
		ret = -errno;
	pthread_join(th, NULL);
	if (!ret && pp.pin_err)
		ret = pp.pin_err;
out:
	if (pp.to_b >= 0)
		close(pp.to_b);
	if (pp.to_a >= 0)
		close(pp.to_a);
	return ret;
}
