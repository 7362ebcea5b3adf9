/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_ring_stress.c - one producer thread, one consumer thread, one ring.
 *
 * Phase 1 (polling): 1,000,000 messages of pseudo-random sizes (8..264),
 * each carrying its sequence number and a checksum; the consumer checks
 * every one (order, length, epoch, content).
 * Phase 2 (notify): the consumer sleeps on a doorbell (semaphore) after
 * setting NEED_NOTIFY and re-checking the ring; the producer rings it when
 * the consumer asks. A lost wakeup shows up as a doorbell wait that times
 * out while messages are pending, and fails the test.
 *
 * Bounded: the main thread is a watchdog; if neither thread makes progress
 * for STALL_SECONDS it stops both and fails instead of hanging.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vmsg_ring.h"

#define SLOT	      VMSG_RING_DEFAULT_SLOT_SIZE
#define COUNT	      VMSG_RING_DEFAULT_SLOTS
#define MEM	      VMSG_RING_BYTES(SLOT, COUNT)
#define MSGS_POLL     1000000u
#define MSGS_NOTIFY   200000u
#define MIN_LEN	      8u
#define MAX_LEN	      VMSG_PCIE_MAX_MSG_SIZE
#define STALL_SECONDS 10
#define WAIT_SECONDS  5
#define EPOCH	      0x5eed0001u

static uint8_t ring_mem[MEM] __attribute__((aligned(64)));
static struct vmsg_ring_idx cons_line __attribute__((aligned(64)));

struct stress {
	struct vmsg_ring prod, cons;
	uint32_t total;
	bool notify;
	sem_t doorbell;
	/* shared between the threads and the watchdog */
	uint64_t progress; /* bumped by both threads */
	bool stop;	   /* watchdog -> threads */
	/* consumer results, read after join */
	uint32_t received;
	uint32_t errors;
	uint32_t lost_wakeups;
	uint32_t first_bad_seq;
	uint32_t sleeps;
	/* producer results */
	uint32_t doorbells;
	int prod_err;
};

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint32_t msg_len(uint32_t seq)
{
	return MIN_LEN + mix(seq) % (MAX_LEN - MIN_LEN + 1);
}

static uint32_t checksum(const uint8_t *p, uint32_t len, uint32_t seq)
{
	uint32_t h = 2166136261u ^ seq ^ (len << 20);

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Layout: seq (4) | checksum of everything after it (4) | pattern bytes. */
static uint32_t build_msg(uint8_t *buf, uint32_t seq)
{
	uint32_t len = msg_len(seq), sum;

	memcpy(buf, &seq, 4);
	for (uint32_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(mix(seq + i) >> 8);
	sum = checksum(buf + 8, len - 8, seq);
	memcpy(buf + 4, &sum, 4);
	return len;
}

static bool check_msg(const uint8_t *buf, int len, uint32_t seq)
{
	uint32_t got_seq, sum;

	if (len < (int)MIN_LEN || (uint32_t)len != msg_len(seq))
		return false;
	memcpy(&got_seq, buf, 4);
	memcpy(&sum, buf + 4, 4);
	return got_seq == seq && sum == checksum(buf + 8, (uint32_t)len - 8, seq);
}

static bool stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void bump(struct stress *s)
{
	__atomic_fetch_add(&s->progress, 1, __ATOMIC_RELAXED);
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[MAX_LEN];

	for (uint32_t seq = 0; seq < s->total && !stopped(s); seq++) {
		uint32_t len = build_msg(buf, seq);
		int rc;

		while ((rc = vmsg_ring_produce(&s->prod, buf, len, EPOCH)) == -VMSG_RING_EAGAIN) {
			if (stopped(s))
				return NULL;
			sched_yield();
		}
		if (rc != 0) {
			s->prod_err = rc;
			return NULL;
		}
		if (s->notify && vmsg_ring_consumer_wants_notify(&s->prod)) {
			s->doorbells++;
			sem_post(&s->doorbell);
		}
		bump(s);
	}
	return NULL;
}

/* Consumer found the ring empty: poll, or sleep on the doorbell. */
static void consumer_idle(struct stress *s)
{
	struct timespec ts;
	int rc;

	if (!s->notify) {
		sched_yield();
		return;
	}
	vmsg_ring_set_need_notify(&s->cons, true);
	if (vmsg_ring_pending(&s->cons) == 0) {
		s->sleeps++;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += WAIT_SECONDS;
		do {
			rc = sem_timedwait(&s->doorbell, &ts);
		} while (rc != 0 && errno == EINTR);
		/* Timed out with messages waiting: a wakeup was lost. */
		if (rc != 0 && vmsg_ring_pending(&s->cons) != 0)
			s->lost_wakeups++;
	}
	vmsg_ring_set_need_notify(&s->cons, false);
}

static void *consumer(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[SLOT];
	uint32_t epoch;

	while (s->received < s->total && !stopped(s)) {
		int len = vmsg_ring_consume(&s->cons, buf, sizeof(buf), &epoch);

		if (len == 0) {
			consumer_idle(s);
			continue;
		}
		if (len < 0 || epoch != EPOCH || !check_msg(buf, len, s->received)) {
			if (s->errors++ == 0)
				s->first_bad_seq = s->received;
		}
		s->received++;
		bump(s);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Watchdog: true if both threads finished, false if they stalled. */
static bool watchdog(struct stress *s, pthread_t *t)
{
	uint64_t last = 0;
	double last_change = now_s();
	const struct timespec tick = {0, 20 * 1000 * 1000};

	for (;;) {
		uint64_t p = __atomic_load_n(&s->progress, __ATOMIC_RELAXED);

		if (p >= 2ull * s->total)
			break;
		if (p != last) {
			last = p;
			last_change = now_s();
		} else if (now_s() - last_change > STALL_SECONDS) {
			__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
			sem_post(&s->doorbell);
			pthread_join(t[0], NULL);
			pthread_join(t[1], NULL);
			return false;
		}
		nanosleep(&tick, NULL);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	return true;
}

static void run(uint32_t total, bool notify)
{
	static struct stress s;
	pthread_t t[2];
	bool finished;
	double t0;

	memset(&s, 0, sizeof(s));
	memset(&cons_line, 0, sizeof(cons_line));
	s.total = total;
	s.notify = notify;
	assert_int_equal(sem_init(&s.doorbell, 0, 0), 0);
	assert_int_equal(vmsg_ring_format(ring_mem, sizeof(ring_mem), SLOT, COUNT), 0);
	assert_int_equal(vmsg_ring_attach_producer(&s.prod, ring_mem, sizeof(ring_mem), &cons_line),
			 0);
	assert_int_equal(vmsg_ring_attach_consumer(&s.cons, ring_mem, sizeof(ring_mem), &cons_line),
			 0);
	t0 = now_s();
	assert_int_equal(pthread_create(&t[1], NULL, consumer, &s), 0);
	assert_int_equal(pthread_create(&t[0], NULL, producer, &s), 0);
	finished = watchdog(&s, t);
	printf("# %s: %u msgs in %.2f s, %u sleeps, %u doorbells\n", notify ? "notify" : "poll",
	       s.received, now_s() - t0, s.sleeps, s.doorbells);
	sem_destroy(&s.doorbell);
	if (s.errors)
		printf("# first bad message: seq %u\n", s.first_bad_seq);
	assert_true(finished);
	assert_int_equal(s.prod_err, 0);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.received, total);
	assert_int_equal(s.lost_wakeups, 0);
	assert_int_equal(s.cons.bad, 0);
	assert_int_equal(s.prod.bad, 0);
	assert_int_equal(vmsg_ring_pending(&s.cons), 0);
	assert_int_equal(vmsg_ring_space(&s.prod), COUNT);
}

static void test_stress_poll(void **state)
{
	(void)state;
	run(MSGS_POLL, false);
}

static void test_stress_notify(void **state)
{
	(void)state;
	run(MSGS_NOTIFY, true);
}

/* The checker itself must be able to fail. */
static void test_checker(void **state)
{
	uint8_t buf[MAX_LEN];
	uint32_t len = build_msg(buf, 42);

	(void)state;
	assert_true(check_msg(buf, (int)len, 42));
	assert_false(check_msg(buf, (int)len, 43));
	assert_false(check_msg(buf, (int)len - 1, 42));
	buf[len - 1] ^= 1;
	assert_false(check_msg(buf, (int)len, 42));
	for (uint32_t seq = 0; seq < 10000; seq++) {
		assert_true(msg_len(seq) >= MIN_LEN);
		assert_true(msg_len(seq) <= MAX_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checker),
	    cmocka_unit_test(test_stress_poll),
	    cmocka_unit_test(test_stress_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
