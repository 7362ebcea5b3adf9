/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_rng_console.c - virtio-rng and virtio-console against the fake engine. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_engine.h"

static int setup(void **state)
{
	host_reset();
	*state = calloc(1, sizeof(struct tdev));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	tdev_destroy(*state);
	free(*state);
	return 0;
}

/* ---- rng ---- */

static void test_rng(void **state)
{
	struct tdev *t = *state;
	char err[128], line[128];
	const uint32_t sizes[] = {1, 64, 4096, 10000};
	uint64_t dma[4];
	uint16_t id;
	uint32_t len, i, j, nonzero;
	int head[4];

	tdev_start(t, vmsg_rng_create(err, sizeof(err)), 0, 0);
	assert_int_equal(t->d->ops->device_id, 4);
	assert_int_equal(t->d->num_queues, 1);
	for (i = 0; i < 4; i++) {
		struct vmsg_vq_buf b = {.addr = host_alloc(sizes[i], 8), .len = sizes[i]};

		dma[i] = b.addr;
		head[i] = tq_add(&t->q[0], NULL, 0, &b, 1);
		assert_true(head[i] >= 0);
	}
	tdev_kick(t, 0);
	for (i = 0; i < 4; i++) {
		const uint8_t *p;

		assert_int_equal(tq_used(&t->q[0], &id, &len), 1);
		assert_int_equal(id, head[i]);
		assert_true(len >= 1 && len <= sizes[i]);
		if (sizes[i] <= 4096)
			assert_int_equal(len, sizes[i]);
		p = host_ptr(dma[i], len);
		for (j = 0, nonzero = 0; j < len; j++)
			nonzero += p[j] != 0;
		if (len >= 64)
			assert_true(nonzero > len / 2);
	}
	assert_int_equal(tq_used(&t->q[0], &id, &len), 0);
	assert_true(fake.used_events[0] > 0);
	/* a chain with readable descriptors only: returned empty */
	{
		struct vmsg_vq_buf b = {.addr = dma[0], .len = 16};

		head[0] = tq_add(&t->q[0], &b, 1, NULL, 0);
		tdev_kick(t, 0);
		assert_int_equal(tq_used(&t->q[0], &id, &len), 1);
		assert_int_equal(len, 0);
	}
	t->d->ops->describe(t->d, line, sizeof(line));
	assert_non_null(strstr(line, "getrandom"));
}

/* ---- console ---- */

static void con_post_rx(struct tdev *t, uint32_t n, uint32_t size, uint64_t *dma)
{
	uint32_t i;
	int head;

	for (i = 0; i < n; i++) {
		struct vmsg_vq_buf b = {.addr = host_alloc(size, 8), .len = size};

		head = tq_add(&t->q[0], NULL, 0, &b, 1);
		assert_true(head >= 0);
		dma[head] = b.addr;
	}
	tdev_kick(t, 0);
}

static void con_send(struct tdev *t, const char *s)
{
	size_t n = strlen(s);
	struct vmsg_vq_buf b = {.addr = host_alloc(n, 1), .len = (uint32_t)n};

	memcpy(host_ptr(b.addr, n), s, n);
	assert_true(tq_add(&t->q[1], &b, 1, NULL, 0) >= 0);
	tdev_kick(t, 1);
}

/* Read what reached the host through receive buffers into out. */
static size_t con_collect(struct tdev *t, const uint64_t *dma, char *out, size_t cap)
{
	uint16_t id;
	uint32_t len;
	size_t n = 0;

	while (tq_used(&t->q[0], &id, &len) == 1) {
		assert_true(n + len <= cap);
		memcpy(out + n, host_ptr(dma[id], len), len);
		n += len;
	}
	return n;
}

/* Wait (bounded) for fd to become readable, then read. */
static ssize_t read_wait(int fd, char *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -1;
	n = read(fd, buf, len);
	return n;
}

/* Let the device see input on its backend: wait for wait_fd, poll it. */
static void run_until_readable(struct tdev *t)
{
	struct pollfd p = {.fd = t->d->ops->wait_fd(t->d), .events = POLLIN};

	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 2000), 1);
	tdev_run(t);
}

static void test_console_pipes(void **state)
{
	struct tdev *t = *state;
	int in[2], out[2];
	char err[128], buf[8192], line[200];
	uint64_t dma[128];
	struct vmsg_console_stats st;
	size_t n, total;
	ssize_t r;
	uint32_t i;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	tdev_start(t, vmsg_console_fd_create(in[0], out[1], err, sizeof(err)), 0, 0);
	assert_int_equal(t->d->ops->device_id, 3);
	assert_int_equal(t->d->num_queues, 2);
	assert_false(t->d->features & 1u); /* no SIZE */
	assert_false(t->d->features & 2u); /* no MULTIPORT */

	/* host -> backend */
	con_send(t, "hello ");
	con_send(t, "card\n");
	r = read_wait(out[0], buf, sizeof(buf));
	assert_int_equal(r, 11);
	assert_memory_equal(buf, "hello card\n", 11);

	/* backend -> host, held until buffers come */
	assert_int_equal(write(in[1], "typed", 5), 5);
	run_until_readable(t);
	con_post_rx(t, 4, 3, dma);
	n = con_collect(t, dma, buf, sizeof(buf));
	if (n < 5) {
		con_post_rx(t, 4, 3, dma);
		n += con_collect(t, dma, buf + n, sizeof(buf) - n);
	}
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "typed", 5);

	/* a larger stream, in order */
	con_post_rx(t, 64, 128, dma);
	for (i = 0; i < 4000; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(write(in[1], buf, 4000), 4000);
	for (total = 0, i = 0; total < 4000 && i < 100; i++) {
		char got[8192];

		tdev_run(t);
		t->d->ops->poll(t->d);
		n = con_collect(t, dma, got, sizeof(got));
		assert_memory_equal(got, buf + total, n);
		total += n;
		if (n)
			con_post_rx(t, (uint32_t)((n + 127) / 128), 128, dma);
	}
	assert_int_equal(total, 4000);

	/* input closed: no busy wait-fd afterwards */
	close(in[1]);
	tdev_run(t);
	assert_false(tdev_waitable(t));

	assert_int_equal(vmsg_console_get_stats(t->d, &st), 0);
	assert_int_equal(st.tx_bytes, 11);
	assert_int_equal(st.rx_bytes, 4005);
	t->d->ops->describe(t->d, line, sizeof(line));
	assert_non_null(strstr(line, "fd out"));
	close(out[0]);
}

static void test_console_output_backpressure(void **state)
{
	struct tdev *t = *state;
	int in[2], out[2];
	char err[128], chunk[4096];
	struct vmsg_console_stats st;
	uint16_t id;
	uint32_t len, i, used = 0;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	tdev_start(t, vmsg_console_fd_create(in[0], out[1], err, sizeof(err)), 0, 0);
	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	/* Nobody reads the pipe: output is consumed anyway (buffers come back)
	 * and what the backend cannot take is dropped, counted. */
	for (i = 0; i < 100; i++) {
		con_send(t, chunk);
		while (tq_used(&t->q[1], &id, &len) == 1)
			used++;
	}
	assert_int_equal(used, 100);
	assert_int_equal(vmsg_console_get_stats(t->d, &st), 0);
	assert_true(st.tx_dropped > 0);
	assert_true(st.tx_bytes > 0);
	assert_true(st.tx_bytes + st.tx_dropped <= 100u * 4095u);
	close(in[1]);
	close(out[0]);
}

static void test_console_pty(void **state)
{
	struct tdev *t = *state;
	char err[128] = "", buf[256], line[300];
	const char *path;
	uint64_t dma[128];
	struct termios tio;
	ssize_t r;
	size_t n = 0;
	int s, i;

	tdev_start(t, vmsg_console_pty_create(err, sizeof(err)), 0, 0);
	path = vmsg_console_pty_path(t->d);
	assert_non_null(path);
	t->d->ops->describe(t->d, line, sizeof(line));
	assert_non_null(strstr(line, path));
	s = open(path, O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(s, TCSANOW, &tio), 0);

	con_send(t, "login: ");
	r = read_wait(s, buf, sizeof(buf));
	assert_int_equal(r, 7);
	assert_memory_equal(buf, "login: ", 7);

	con_post_rx(t, 8, 64, dma);
	assert_int_equal(write(s, "root\r", 5), 5);
	for (i = 0; i < 50 && n < 5; i++) {
		run_until_readable(t);
		n += con_collect(t, dma, buf + n, sizeof(buf) - n);
	}
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "root\r", 5);
	close(s);
	/* the user went away: the device does not spin on a hang-up */
	tdev_run(t);
	assert_false(tdev_waitable(t));
}

/* Child: stdin a pipe, stdout a regular file that already holds a line.
 * Exit status: 0 when host output was appended after it and input arrived. */
static int stdio_child(int in_rd, int out_fd)
{
	struct tdev t;
	char err[128], buf[64];
	uint64_t dma[128];
	size_t n = 0;
	int i;

	if (dup2(in_rd, 0) < 0 || dup2(out_fd, 1) < 0)
		return 10;
	close(in_rd);
	close(out_fd);
	host_reset();
	tdev_start(&t, vmsg_console_stdio_create(err, sizeof(err)), 0, 0);
	con_send(&t, "from-host\n");
	con_post_rx(&t, 4, 32, dma);
	for (i = 0; i < 50 && n < 8; i++) {
		struct pollfd p = {.fd = t.d->ops->wait_fd(t.d), .events = POLLIN};

		if (poll(&p, 1, 100) == 1)
			tdev_run(&t);
		n += con_collect(&t, dma, buf + n, sizeof(buf) - n);
	}
	tdev_destroy(&t);
	if (n != 8 || memcmp(buf, "to-card\n", 8))
		return 11;
	return 0;
}

static void test_console_stdio(void **state)
{
	char path[] = "/tmp/vmsg-con-XXXXXX", buf[64];
	int in[2], fd, status;
	pid_t pid;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path); /* nothing left in /tmp if an assertion or a timeout ends the test */
	assert_int_equal(write(fd, "log line\n", 9), 9);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(write(in[1], "to-card\n", 8), 8);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(in[1]);
		_exit(stdio_child(in[0], fd));
	}
	close(in[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 19);
	assert_string_equal(buf, "log line\nfrom-host\n");
	close(in[1]);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rng, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_pipes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_output_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_pty, setup, teardown),
	    cmocka_unit_test(test_console_stdio),
	};

	return cmocka_run_group_tests_name("devices_rng_console", tests, NULL, NULL);
}
