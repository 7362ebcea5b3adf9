// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * daemon_harness.c - process and ivshmem-client helpers for the vmsg-card
 * daemon tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "vmsg_ivshmem.h"

const char *h_card_bin;

int h_init(int argc, char **argv)
{
	h_card_bin = argc > 1 ? argv[1] : getenv("VMSG_CARD_BIN");
	if (!h_card_bin || access(h_card_bin, X_OK) < 0) {
		fprintf(stderr, "usage: %s PATH-TO-vmsg-card (or set VMSG_CARD_BIN)\n", argv[0]);
		return -1;
	}
	unsetenv("VMSG_CARD_LINK");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void exec_card(const char *const *args)
{
	const char *argv[64];
	int n = 0;

	argv[n++] = h_card_bin;
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	execv(h_card_bin, (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", h_card_bin, strerror(errno));
	_exit(127);
}

int h_wait_exit(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(st))
				*status = WEXITSTATUS(st);
			else
				*status = 128 + WTERMSIG(st);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return -1;
		sleep_ms(5);
	}
}

static void drain_into(int fd, char *buf, size_t cap, size_t *len, bool *open)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		*open = false;
		return;
	}
	if (*len + 1 < cap) {
		size_t k = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;

		memcpy(buf + *len, tmp, k);
		*len += k;
		buf[*len] = '\0';
	}
}

void h_run_card(struct h_run *r, const char *const *args)
{
	int out[2], err[2];
	size_t ol = 0, el = 0;
	bool oo = true, eo = true;
	int64_t deadline = now_ms() + H_TIMEOUT_MS;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		exec_card(args);
	}
	close(out[1]);
	close(err[1]);
	while ((oo || eo) && now_ms() < deadline) {
		struct pollfd p[2] = {{.fd = oo ? out[0] : -1, .events = POLLIN},
				      {.fd = eo ? err[0] : -1, .events = POLLIN}};
		int64_t left = deadline - now_ms();

		if (poll(p, 2, (int)(left > 0 ? left : 0)) <= 0)
			continue;
		if (p[0].revents)
			drain_into(out[0], r->out, sizeof(r->out), &ol, &oo);
		if (p[1].revents)
			drain_into(err[0], r->err, sizeof(r->err), &el, &eo);
	}
	close(out[0]);
	close(err[0]);
	if (pid > 0 && h_wait_exit(pid, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 1),
				   &r->status) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		r->status = -1;
	}
}

pid_t h_spawn_card(const char *const *args, const char *log_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int nul = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			dup2(fd, 2);
		if (nul >= 0)
			dup2(nul, 0);
		exec_card(args);
	}
	return pid;
}

bool h_wait_path(const char *path, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (access(path, F_OK) < 0) {
		if (now_ms() >= deadline)
			return false;
		sleep_ms(5);
	}
	return true;
}

void h_mkdtemp(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, len, "%s/vmsg-card-test.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		fprintf(stderr, "mkdtemp %s: %s\n", buf, strerror(errno));
		abort();
	}
}

static void rm_flat(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_flat(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void h_rm_tree(const char *dir)
{
	rm_flat(dir);
}

/* ---- ivshmem client: common/ivshmem (vmsg_ivshmem.h) ---- */

int h_ivs_recv(int sock, int64_t *value, int *fd, int timeout_ms)
{
	return ivs_recv_msg(sock, ivs_now_ms() + timeout_ms, value, fd) == 1 ? 0 : -1;
}

static void h_ivs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void h_ivs_log(int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	fputs("ivshmem client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int fail(struct h_ivs *c, const char *what)
{
	fprintf(stderr, "ivshmem client: %s\n", what);
	h_ivs_close(c);
	return -1;
}

int h_ivs_connect(struct h_ivs *c, const char *sock_path, unsigned int vectors)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->shm_fd = -1;
	c->vectors = vectors;
	c->cl_valid = true; /* ivs_client_connect() leaves cl closable */
	/* every vector of the card and ours: the server sends them in one burst */
	if (ivs_client_connect(&c->cl, sock_path, H_TIMEOUT_MS, vectors, 50, h_ivs_log) < 0)
		return fail(c, "connect or greeting failed");
	c->sock = c->cl.sock;
	c->id = c->cl.id;
	c->shm_fd = c->cl.shm_fd;
	if (c->cl.n_card_fd != vectors || c->cl.n_own_fd != vectors)
		return fail(c,
			    "did not get the card's (peer 0) and our own eventfds, one per vector");
	if (fstat(c->shm_fd, &st) < 0 || st.st_size <= 0)
		return fail(c, "fstat shm");
	c->shm_size = (size_t)st.st_size;
	c->shm = mmap(NULL, c->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->shm_fd, 0);
	if (c->shm == MAP_FAILED) {
		c->shm = NULL;
		return fail(c, "mmap shm");
	}
	return 0;
}

void h_ivs_close(struct h_ivs *c)
{
	if (c->shm)
		munmap((void *)c->shm, c->shm_size);
	c->shm = NULL;
	if (c->cl_valid)
		ivs_client_close(&c->cl);
	c->cl_valid = false;
	c->sock = -1;
	c->shm_fd = -1;
}

void h_ivs_ring(const struct h_ivs *c, unsigned int n)
{
	int r = ivs_client_ring(&c->cl, n);

	if (r < 0)
		fprintf(stderr, "ivshmem client: ringing doorbell %u: %s\n", n, strerror(-r));
}

bool h_ivs_wait_irq(const struct h_ivs *c, unsigned int v, int timeout_ms)
{
	struct pollfd p = {.fd = v < c->cl.n_own_fd ? c->cl.own_fd[v] : -1, .events = POLLIN};
	uint64_t cnt;

	if (p.fd < 0 || poll(&p, 1, timeout_ms) <= 0)
		return false;
	return read(p.fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt) && cnt > 0;
}

bool h_wait_reg(const struct h_ivs *c, size_t off, uint32_t want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		uint32_t v = *(volatile uint32_t *)(c->shm + off);

		if (v == want)
			return true;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(2);
	}
}
