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

/* ---- ivshmem client ---- */

int h_ivs_recv(int sock, int64_t *value, int *fd, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct pollfd p = {.fd = sock, .events = POLLIN};
	uint64_t le;
	struct iovec iov = {.iov_base = &le, .iov_len = sizeof(le)};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	*fd = -1;
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n != (ssize_t)sizeof(le))
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[4];

			memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
			for (size_t i = 0; i < nfd; i++) {
				if (*fd < 0)
					*fd = fds[i];
				else
					close(fds[i]); /* more than one fd: not the protocol */
			}
		}
	}
	*value = (int64_t)le; /* little-endian host */
	return 0;
}

static int fail(struct h_ivs *c, const char *what)
{
	fprintf(stderr, "ivshmem client: %s\n", what);
	h_ivs_close(c);
	return -1;
}

int h_ivs_connect(struct h_ivs *c, const char *sock_path, unsigned int vectors)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	unsigned int own = 0, card = 0;
	struct stat st;
	int64_t v;
	int fd;

	memset(c, 0, sizeof(*c));
	c->shm_fd = -1;
	c->vectors = vectors;
	for (int i = 0; i < H_MAX_VECTORS; i++)
		c->card_efd[i] = c->own_efd[i] = -1;
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (c->sock < 0 || connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail(c, "connect failed");
	if (h_ivs_recv(c->sock, &v, &fd, H_TIMEOUT_MS) < 0 || v != 0 || fd >= 0)
		return fail(c, "expected protocol version 0 without fd");
	if (h_ivs_recv(c->sock, &c->id, &fd, H_TIMEOUT_MS) < 0 || c->id < 1 || c->id > 65535 ||
	    fd >= 0)
		return fail(c, "expected a client id 1..65535 without fd");
	if (h_ivs_recv(c->sock, &v, &c->shm_fd, H_TIMEOUT_MS) < 0 || v != -1 || c->shm_fd < 0)
		return fail(c, "expected -1 with the shared memory fd");
	while (own < vectors) {
		if (h_ivs_recv(c->sock, &v, &fd, H_TIMEOUT_MS) < 0 || fd < 0)
			return fail(c, "expected a peer id with an eventfd");
		if (v == c->id) {
			c->own_efd[own++] = fd;
		} else if (v == 0 && card < vectors) {
			c->card_efd[card++] = fd;
		} else {
			close(fd); /* another client's vectors */
		}
	}
	if (card != vectors)
		return fail(c, "did not get the card's (peer 0) eventfds before our own");
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
	for (int i = 0; i < H_MAX_VECTORS; i++) {
		if (c->card_efd[i] >= 0)
			close(c->card_efd[i]);
		if (c->own_efd[i] >= 0)
			close(c->own_efd[i]);
		c->card_efd[i] = c->own_efd[i] = -1;
	}
	if (c->shm)
		munmap((void *)c->shm, c->shm_size);
	c->shm = NULL;
	if (c->shm_fd >= 0)
		close(c->shm_fd);
	c->shm_fd = -1;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
}

void h_ivs_ring(const struct h_ivs *c, unsigned int n)
{
	uint64_t one = 1;

	if (write(c->card_efd[n], &one, sizeof(one)) != (ssize_t)sizeof(one))
		fprintf(stderr, "ivshmem client: ringing doorbell %u: %s\n", n, strerror(errno));
}

bool h_ivs_wait_irq(const struct h_ivs *c, unsigned int v, int timeout_ms)
{
	struct pollfd p = {.fd = c->own_efd[v], .events = POLLIN};
	uint64_t cnt;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return read(c->own_efd[v], &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt) && cnt > 0;
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
