// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_proc.c - start, watch and stop the benchmark's own vmsg-card.
 */
#include "card_proc.h"
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CARD_STOP_WAIT_MS 3000u

/* The one card of this process, for the async-signal-safe cleanup. */
static struct card_proc *volatile g_card;

static bool is_exec(const char *p)
{
	struct stat st;

	return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int copy_path(char *out, size_t cap, const char *p)
{
	if (strlen(p) >= cap)
		return -ENAMETOOLONG;
	memcpy(out, p, strlen(p) + 1);
	return 0;
}

int card_find_binary(const char *opt, char *out, size_t cap, const char **how)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	const char *env = getenv("VMSG_CARD"), *path;
	ssize_t n;

	if (opt) {
		*how = "--card";
		if (!is_exec(opt)) {
			fprintf(stderr, "vmsg-bench: --card %s: not an executable file\n", opt);
			return -ENOENT;
		}
		return copy_path(out, cap, opt);
	}
	if (env && *env) {
		*how = "$VMSG_CARD";
		if (!is_exec(env)) {
			fprintf(stderr, "vmsg-bench: VMSG_CARD=%s: not an executable file\n", env);
			return -ENOENT;
		}
		return copy_path(out, cap, env);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/../ep_function/card/vmsg-card", exe);
			if (is_exec(cand)) {
				*how = "build tree";
				return copy_path(out, cap, cand);
			}
		}
	}
	path = getenv("PATH");
	while (path && *path) {
		size_t len = strcspn(path, ":");

		if (len > 0 && len < PATH_MAX) {
			snprintf(cand, sizeof(cand), "%.*s/vmsg-card", (int)len, path);
			if (is_exec(cand)) {
				*how = "$PATH";
				return copy_path(out, cap, cand);
			}
		}
		path += len;
		if (*path == ':')
			path++;
	}
	fprintf(stderr, "vmsg-bench: vmsg-card not found: give --card PATH or set VMSG_CARD "
			"(looked next to this program's build directory and in $PATH)\n");
	return -ENOENT;
}

int card_prepare(struct card_proc *c, const char *bin)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[CARD_PATH_MAX];
	int n;

	memset(c, 0, sizeof(*c));
	c->cpu = -1;
	if (copy_path(c->bin, sizeof(c->bin), bin))
		return -ENAMETOOLONG;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	/* link/ivshmem.sock must fit a sun_path (108 bytes) */
	n = snprintf(tmpl, sizeof(tmpl), "%s/vmsg-bench-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= 80) {
		fprintf(stderr, "vmsg-bench: TMPDIR %s is too long for a UNIX socket path\n", tmp);
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(tmpl)) {
		int e = errno;

		fprintf(stderr, "vmsg-bench: mkdtemp %s: %s\n", tmpl, strerror(e));
		return -e;
	}
	memcpy(c->dir, tmpl, strlen(tmpl) + 1);
	c->keep_log = getenv("VMSG_BENCH_KEEP") != NULL;
	snprintf(c->link_dir, sizeof(c->link_dir), "%s/link", c->dir);
	snprintf(c->sock_path, sizeof(c->sock_path), "%s/link/ivshmem.sock", c->dir);
	snprintf(c->mem_path, sizeof(c->mem_path), "%s/host-mem", c->dir);
	snprintf(c->log_path, sizeof(c->log_path), "%s/card.log", c->dir);
	snprintf(c->pid_path, sizeof(c->pid_path), "%s/card.pid", c->dir);
	g_card = c;
	return 0;
}

static void child_exec(const struct card_proc *c, int logfd, pid_t parent)
{
	const char *argv[16];
	cpu_set_t set;
	int i = 0, nul;

	/* die with the benchmark: a busy-polling card must not outlive it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		dprintf(2, "vmsg-bench: cannot pin the card to CPU %d: %s\n", c->cpu,
			strerror(errno));
		_exit(127);
	}
	argv[i++] = c->bin;
	argv[i++] = "--platform";
	argv[i++] = "sim";
	argv[i++] = "--link";
	argv[i++] = c->link_dir;
	argv[i++] = "--host-mem";
	argv[i++] = c->mem_path;
	if (c->net_loopback) {
		argv[i++] = "--net";
		argv[i++] = "loopback";
	} else {
		argv[i++] = "--rng";
	}
	argv[i++] = "--log-level";
	argv[i++] = "warn";
	argv[i++] = "--pidfile";
	argv[i++] = c->pid_path;
	if (c->poll)
		argv[i++] = "--poll";
	argv[i] = NULL;
	execv(c->bin, (char *const *)argv);
	dprintf(2, "vmsg-bench: exec %s: %s\n", c->bin, strerror(errno));
	_exit(127);
}

int card_start(struct card_proc *c, int cpu, bool poll, unsigned int timeout_ms)
{
	uint64_t deadline = bu_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	pid_t parent = getpid(), pid;
	int logfd, status;

	if (c->pid > 0)
		return -EBUSY;
	c->cpu = cpu;
	c->poll = poll;
	unlink(c->pid_path);
	logfd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return -errno;
	dprintf(logfd, "---- vmsg-bench: starting %s (%s mode) on CPU %d ----\n", c->bin,
		poll ? "poll" : "irq", cpu);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(logfd);
		return -e;
	}
	if (pid == 0)
		child_exec(c, logfd, parent);
	close(logfd);
	c->pid = pid;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			c->pid = 0;
			fprintf(stderr, "vmsg-bench: vmsg-card exited during start-up (%s %d)\n",
				WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			card_log_tail(c);
			return -ECHILD;
		}
		if (access(c->pid_path, F_OK) == 0)
			return 0;
		if (bu_now_ns() > deadline) {
			fprintf(stderr, "vmsg-bench: vmsg-card not ready after %u ms\n",
				timeout_ms);
			card_log_tail(c);
			card_stop(c);
			return -ETIMEDOUT;
		}
		bu_sleep_ms(5);
	}
}

int card_stop(struct card_proc *c)
{
	uint64_t deadline = bu_now_ns() + CARD_STOP_WAIT_MS * 1000000ull;
	int status = 0;
	pid_t w;

	if (c->pid <= 0)
		return -1;
	kill(c->pid, SIGTERM);
	while ((w = waitpid(c->pid, &status, WNOHANG)) == 0 && bu_now_ns() < deadline)
		bu_sleep_ms(5);
	if (w == 0) {
		fprintf(stderr, "vmsg-bench: vmsg-card ignored SIGTERM for %u ms: killing it\n",
			CARD_STOP_WAIT_MS);
		kill(c->pid, SIGKILL);
		w = waitpid(c->pid, &status, 0);
	}
	c->pid = 0;
	if (w < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -WTERMSIG(status);
}

void card_log_tail(const struct card_proc *c)
{
	char buf[2048];
	long sz;
	size_t got;
	FILE *f = fopen(c->log_path, "r");

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	fclose(f);
	fprintf(stderr, "---- vmsg-card log (%s, tail) ----\n%s---- end of log ----\n", c->log_path,
		buf);
}

/* Only async-signal-safe calls below this line. */

static void remove_files(const struct card_proc *c)
{
	static const char *const link_files[] = {"bar0", "ivshmem.sock", "ctl.sock"};
	char p[CARD_PATH_MAX + 32];
	size_t i, n;

	if (!c->dir[0])
		return;
	n = strlen(c->link_dir);
	for (i = 0; i < sizeof(link_files) / sizeof(link_files[0]); i++) {
		size_t m = strlen(link_files[i]);

		if (n + 1 + m + 1 > sizeof(p))
			continue;
		memcpy(p, c->link_dir, n);
		p[n] = '/';
		memcpy(p + n + 1, link_files[i], m + 1);
		unlink(p);
	}
	rmdir(c->link_dir);
	unlink(c->mem_path);
	unlink(c->pid_path);
	if (!c->keep_log)
		unlink(c->log_path);
	rmdir(c->dir);
}

void card_cleanup(struct card_proc *c)
{
	card_stop(c);
	remove_files(c);
	if (g_card == c)
		g_card = NULL;
}

void card_emergency_cleanup(void)
{
	struct card_proc *c = g_card;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
	int i, status;

	if (!c)
		return;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		for (i = 0; i < 200 && waitpid(c->pid, &status, WNOHANG) == 0; i++)
			nanosleep(&ts, NULL);
		if (i == 200) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
		}
		c->pid = 0;
	}
	remove_files(c);
}
