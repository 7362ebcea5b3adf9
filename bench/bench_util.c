// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * bench_util.c - clocks, CPU pinning, machine description, watchdog.
 */
#include "bench_util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

uint64_t bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bu_sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int bu_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

bool bu_cpu_allowed(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return false;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return false;
	return CPU_ISSET(cpu, &set);
}

int bu_default_cpus(int *a, int *b)
{
	cpu_set_t set;
	int cpu, found = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (found++ == 0)
			*a = cpu;
		else
			*b = cpu;
	}
	if (found == 0)
		return -ENODEV;
	if (found == 1) {
		*b = *a;
		return 1;
	}
	return 0;
}

int bu_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int bu_parse_cpus(const char *s, int *a, int *b)
{
	const char *comma = s ? strchr(s, ',') : NULL;
	char first[16];
	uint64_t va, vb;
	size_t n;

	if (!comma)
		return -EINVAL;
	n = (size_t)(comma - s);
	if (n == 0 || n >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	if (bu_parse_u64(first, 0, CPU_SETSIZE - 1, &va) ||
	    bu_parse_u64(comma + 1, 0, CPU_SETSIZE - 1, &vb))
		return -EINVAL;
	if (!bu_cpu_allowed((int)va) || !bu_cpu_allowed((int)vb))
		return -ERANGE;
	*a = (int)va;
	*b = (int)vb;
	return 0;
}

static void cpu_model(char *out, size_t cap)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, cap, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon, *v;
		size_t len;

		/* x86: "model name"; arm64 kernels may only say "CPU part" */
		if (strncmp(line, "model name", 10) != 0)
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		len = strcspn(v, "\n");
		v[len] = '\0';
		snprintf(out, cap, "%s", v);
		break;
	}
	fclose(f);
}

void bu_machine_get(struct bu_machine *m)
{
	struct utsname u;
	struct tm tm;
	time_t now = time(NULL);

	memset(m, 0, sizeof(*m));
	m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_model(m->model, sizeof(m->model));
	if (uname(&u) == 0) {
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
		snprintf(m->hostname, sizeof(m->hostname), "%.64s", u.nodename);
	}
	m->unix_time = (int64_t)now;
	if (gmtime_r(&now, &tm))
		strftime(m->timestamp, sizeof(m->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- watchdog ---- */

static struct {
	pthread_t thread;
	bool started;
	void (*on_expire)(void);
	const char *phase;    /* written before deadline_ns (release) */
	uint64_t deadline_ns; /* 0: disarmed */
	unsigned int budget_s;
} wd;

static void *watchdog_main(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t dl = __atomic_load_n(&wd.deadline_ns, __ATOMIC_ACQUIRE);

		if (dl && bu_now_ns() > dl) {
			char msg[256];
			int n = snprintf(msg, sizeof(msg),
					 "vmsg-bench: phase '%s' exceeded its %u s budget "
					 "(dead card or starved CPU?): aborting\n",
					 wd.phase ? wd.phase : "?", wd.budget_s);

			if (n > 0 && write(2, msg, (size_t)n) < 0) {
				/* nothing more to do */
			}
			if (wd.on_expire)
				wd.on_expire();
			_exit(1);
		}
		bu_sleep_ms(50);
	}
	return NULL;
}

int bu_watchdog_start(void (*on_expire)(void))
{
	int ret;

	if (wd.started)
		return 0;
	wd.on_expire = on_expire;
	ret = pthread_create(&wd.thread, NULL, watchdog_main, NULL);
	if (ret)
		return -ret;
	pthread_detach(wd.thread);
	wd.started = true;
	return 0;
}

void bu_watchdog_arm(const char *phase, unsigned int seconds)
{
	__atomic_store_n(&wd.deadline_ns, 0, __ATOMIC_RELEASE);
	wd.phase = phase;
	wd.budget_s = seconds;
	__atomic_store_n(&wd.deadline_ns, bu_now_ns() + (uint64_t)seconds * 1000000000ull,
			 __ATOMIC_RELEASE);
}

void bu_watchdog_disarm(void)
{
	__atomic_store_n(&wd.deadline_ns, 0, __ATOMIC_RELEASE);
}

int bu_check_writable(const char *path)
{
	struct stat st;
	bool existed;
	FILE *f;

	if (!strcmp(path, "-"))
		return 0;
	existed = stat(path, &st) == 0;
	if (existed && S_ISDIR(st.st_mode))
		return -EISDIR;
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fclose(f);
	if (!existed)
		unlink(path);
	return 0;
}
