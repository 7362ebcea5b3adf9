// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * harness.c - integration test support (see harness.h).
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *it_name = "it";
int it_failures;
static struct it_card *it_the_card;
static bool it_keep;

uint64_t it_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double it_secs_since(uint64_t t0)
{
	return (double)(it_now_ns() - t0) / 1e9;
}

uint64_t it_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

uint64_t it_hash(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	size_t i;

	if (!h)
		h = 1469598103934665603ull;
	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void it_cleanup(void)
{
	struct it_card *c = it_the_card;

	if (!c)
		return;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	/* entries may vanish while we walk (the card removes its own files):
	 * walk again until the directory is gone */
	for (int i = 0; c->dir[0] && !it_keep && i < 5 && access(c->dir, F_OK) == 0; i++)
		nftw(c->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	it_the_card = NULL;
}

static void it_dump_log(void)
{
	char buf[4096];
	FILE *f;
	long sz;

	if (!it_the_card || !it_the_card->log_path[0])
		return;
	f = fopen(it_the_card->log_path, "r");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	sz = (long)fread(buf, 1, sizeof(buf) - 1, f);
	buf[sz > 0 ? sz : 0] = '\0';
	fclose(f);
	fprintf(stderr, "---- card log (tail) ----\n%s---- end of card log ----\n", buf);
}

void it_fail(void)
{
	it_failures++;
	it_dump_log();
	exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "integration test: time limit reached\n";

	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
	it_dump_log();
	it_cleanup();
	_exit(1);
}

static void on_term(int sig)
{
	(void)sig;
	it_cleanup();
	_exit(1);
}

void it_init(int argc, char **argv, const char *name, struct it_card *card, unsigned int alarm_s)
{
	const char *bin = argc > 1 ? argv[1] : getenv("VMSG_CARD");
	char tmpl[] = "/tmp/vmsg-it-XXXXXX";

	it_name = name;
	memset(card, 0, sizeof(*card));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bin || access(bin, X_OK)) {
		IT_LOG("SKIP: no vmsg-card binary (argv[1] or $VMSG_CARD)");
		exit(77);
	}
	snprintf(card->card_bin, sizeof(card->card_bin), "%s", bin);
	if (!mkdtemp(tmpl)) {
		IT_LOG("mkdtemp: %s", strerror(errno));
		exit(1);
	}
	snprintf(card->dir, sizeof(card->dir), "%s", tmpl);
	snprintf(card->link_dir, sizeof(card->link_dir), "%s/link", tmpl);
	snprintf(card->mem_path, sizeof(card->mem_path), "%s/host-mem", tmpl);
	snprintf(card->log_path, sizeof(card->log_path), "%s/card.log", tmpl);
	it_keep = getenv("VMSG_IT_KEEP") != NULL;
	it_the_card = card;
	atexit(it_cleanup);
	signal(SIGALRM, on_alarm);
	signal(SIGINT, on_term);
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	alarm(alarm_s);
	it_make_file(card->mem_path, IT_MEM_SIZE, 0);
	IT_LOG("dir %s", card->dir);
}

void it_card_arg(struct it_card *card, const char *arg)
{
	if (card->nargs >= IT_MAX_CARD_ARGS - 1) {
		IT_LOG("too many card arguments");
		it_fail();
	}
	card->args[card->nargs++] = arg;
}

const char *it_path(struct it_card *card, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", card->dir, name);
	return buf;
}

void it_make_file(const char *path, size_t size, int random)
{
	uint64_t seed = 0x1234567u ^ size;
	uint8_t block[65536];
	size_t done = 0;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		IT_LOG("create %s: %s", path, strerror(errno));
		it_fail();
	}
	if (!random) {
		if (ftruncate(fd, (off_t)size)) {
			IT_LOG("ftruncate %s: %s", path, strerror(errno));
			it_fail();
		}
		close(fd);
		return;
	}
	while (done < size) {
		size_t n = size - done < sizeof(block) ? size - done : sizeof(block), i;

		for (i = 0; i + 8 <= n; i += 8) {
			uint64_t r = it_rand(&seed);

			memcpy(block + i, &r, 8);
		}
		if (write(fd, block, n) != (ssize_t)n) {
			IT_LOG("write %s: %s", path, strerror(errno));
			it_fail();
		}
		done += n;
	}
	close(fd);
}

static pid_t spawn(const char *bin, const char *const *argv, const char *out_path, int out_fd)
{
	pid_t pid = fork();

	if (pid < 0) {
		IT_LOG("fork: %s", strerror(errno));
		it_fail();
	}
	if (pid == 0) {
		int fd = out_fd;

		if (out_path)
			fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			if (out_fd < 0)
				dup2(fd, 2);
		}
		alarm(0);
		signal(SIGALRM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void it_card_start(struct it_card *card)
{
	const char *argv[IT_MAX_CARD_ARGS + 16];
	char pidfile[320];
	uint64_t t0 = it_now_ns();
	int n = 0, i, st;

	snprintf(pidfile, sizeof(pidfile), "%s/card.pid", card->dir);
	unlink(pidfile);
	argv[n++] = card->card_bin;
	argv[n++] = "--platform";
	argv[n++] = "sim";
	argv[n++] = "--link";
	argv[n++] = card->link_dir;
	argv[n++] = "--host-mem";
	argv[n++] = card->mem_path;
	argv[n++] = "--pidfile";
	argv[n++] = pidfile;
	for (i = 0; i < card->nargs; i++)
		argv[n++] = card->args[i];
	argv[n] = NULL;
	card->pid = spawn(card->card_bin, argv, card->log_path, -1);
	for (;;) {
		if (access(pidfile, F_OK) == 0)
			break;
		if (waitpid(card->pid, &st, WNOHANG) == card->pid) {
			card->pid = 0;
			IT_LOG("vmsg-card exited during startup (status %#x)", st);
			it_fail();
		}
		if (it_now_ns() - t0 > (uint64_t)IT_STARTUP_MS * 1000000u) {
			IT_LOG("vmsg-card not ready after %d ms", IT_STARTUP_MS);
			it_fail();
		}
		sleep_ms(5);
	}
	IT_LOG("card pid %d ready in %.1f ms", (int)card->pid, it_secs_since(t0) * 1e3);
}

void it_card_stop(struct it_card *card, int kill9)
{
	uint64_t t0 = it_now_ns();
	int st;

	if (card->pid <= 0)
		return;
	kill(card->pid, kill9 ? SIGKILL : SIGTERM);
	for (;;) {
		if (waitpid(card->pid, &st, WNOHANG) == card->pid)
			break;
		if (it_now_ns() - t0 > 5000000000ull) {
			IT_LOG("vmsg-card did not exit on %s: killing",
			       kill9 ? "SIGKILL" : "SIGTERM");
			kill(card->pid, SIGKILL);
			waitpid(card->pid, &st, 0);
			break;
		}
		sleep_ms(2);
	}
	card->pid = 0;
}

static int ctl_argv(struct it_card *card, const char **argv, const char *cmd, va_list ap)
{
	int n = 0;
	const char *a;

	argv[n++] = card->card_bin;
	argv[n++] = "ctl";
	argv[n++] = "--link";
	argv[n++] = card->link_dir;
	argv[n++] = "--timeout";
	argv[n++] = "5000";
	argv[n++] = cmd;
	while (n < 30 && (a = va_arg(ap, const char *)) != NULL)
		argv[n++] = a;
	argv[n] = NULL;
	return n;
}

int it_card_ctl(struct it_card *card, char *out, size_t outlen, const char *cmd, ...)
{
	const char *argv[32];
	uint64_t t0 = it_now_ns();
	size_t got = 0;
	int pfd[2], st = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, cmd);
	ctl_argv(card, argv, cmd, ap);
	va_end(ap);
	if (pipe(pfd)) {
		IT_LOG("pipe: %s", strerror(errno));
		it_fail();
	}
	pid = spawn(card->card_bin, argv, NULL, pfd[1]);
	close(pfd[1]);
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		char tmp[1024];
		ssize_t n;

		if (poll(&p, 1, 100) > 0) {
			n = read(pfd[0], tmp, sizeof(tmp));
			if (n <= 0)
				break;
			if (out && got + (size_t)n < outlen) {
				memcpy(out + got, tmp, (size_t)n);
				got += (size_t)n;
			}
		}
		if (it_now_ns() - t0 > 10000000000ull) {
			IT_LOG("vmsg-card ctl %s: no answer in 10 s", cmd);
			kill(pid, SIGKILL);
			break;
		}
	}
	close(pfd[0]);
	if (out && outlen)
		out[got < outlen ? got : outlen - 1] = '\0';
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t it_card_ctl_async(struct it_card *card, const char *outfile, const char *cmd, ...)
{
	const char *argv[32];
	va_list ap;

	va_start(ap, cmd);
	ctl_argv(card, argv, cmd, ap);
	va_end(ap);
	return spawn(card->card_bin, argv, outfile, -1);
}

int it_ctl_done(pid_t pid, int *status)
{
	int st;

	if (waitpid(pid, &st, WNOHANG) != pid)
		return 0;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 1;
}

long long it_card_stat(struct it_card *card, const char *key)
{
	static char out[16384];
	size_t kl = strlen(key);
	char *line;

	if (it_card_ctl(card, out, sizeof(out), "stats", NULL) != 0)
		return -1;
	for (line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			return strtoll(line + kl + 1, NULL, 0);
	return -1;
}

void it_host_open(struct it_card *card, struct it_host *h, const struct vmsg_host_bus_opts *o)
{
	struct vmsg_link_sim_params p = {0};
	char sock[320];
	int ret;

	memset(h, 0, sizeof(*h));
	snprintf(sock, sizeof(sock), "%s/ivshmem.sock", card->link_dir);
	p.sock_path = sock;
	p.mem_path = card->mem_path;
	p.mem_size = IT_MEM_SIZE;
	ret = vmsg_link_sim_create(&p, &h->link);
	if (ret) {
		IT_LOG("vmsg_link_sim_create: %s", vmsg_host_strerror(ret));
		it_fail();
	}
	if (o)
		h->opts = *o;
	ret = vmsg_host_bus_create(h->link, &h->opts, &h->bus);
	if (ret) {
		IT_LOG("vmsg_host_bus_create: %s", vmsg_host_strerror(ret));
		it_fail();
	}
	ret = vmsg_host_bus_attach(h->bus);
	if (ret) {
		IT_LOG("attach: %s (attach_error %s)", vmsg_host_strerror(ret),
		       vmsg_host_attach_error_str(vmsg_host_bus_attach_error(h->bus)));
		it_fail();
	}
	IT_LOG("attached: epoch %#x, max_msg_size %u, host_features %#x",
	       vmsg_host_bus_epoch(h->bus), vmsg_host_bus_max_msg_size(h->bus),
	       vmsg_host_bus_host_features(h->bus));
}

void it_host_close(struct it_host *h)
{
	vmsg_host_bus_destroy(h->bus);
	vmsg_link_destroy(h->link);
	h->bus = NULL;
	h->link = NULL;
}

void it_pump(struct it_host *h, int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000u;

	while (it_now_ns() < end)
		vmsg_host_bus_wait(h->bus, 10);
}
