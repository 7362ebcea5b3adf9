// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_ivshmem.c - common/ivshmem, the one ivshmem implementation of the
 * emulated link: its server (with the card as peer VMSG_EMU_CARD_PEER_ID,
 * and without a card) against its client, in one process (the server runs
 * in a thread), and the client against hostile servers.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "vmsg_ivshmem.h"

#define VECTORS 4u

struct srv {
	struct ivs_server *s;
	pthread_t th;
	volatile int stop;
	volatile uint32_t rang;
	char dir[64], path[128];
	int shm_fd;
};

static void *srv_loop(void *arg)
{
	struct srv *v = arg;
	struct pollfd pfd[1 + IVS_MAX_VECTORS + IVS_MAX_CLIENTS];

	while (!v->stop) {
		int n = ivs_server_pollfds(v->s, pfd, (int)(sizeof(pfd) / sizeof(pfd[0])));

		if (poll(pfd, (nfds_t)n, 10) > 0)
			v->rang |= ivs_server_handle(v->s, pfd, n);
	}
	return NULL;
}

static void srv_start(struct srv *v, bool with_card)
{
	memset(v, 0, sizeof(*v));
	h_mkdtemp(v->dir, sizeof(v->dir));
	snprintf(v->path, sizeof(v->path), "%s/ivshmem.sock", v->dir);
	v->shm_fd = memfd_create("ivs-test", MFD_CLOEXEC);
	assert_true(v->shm_fd >= 0);
	assert_int_equal(ftruncate(v->shm_fd, 65536), 0);
	v->s = ivs_server_create(v->path, v->shm_fd, VECTORS, with_card, NULL);
	assert_non_null(v->s);
	assert_int_equal(pthread_create(&v->th, NULL, srv_loop, v), 0);
}

static void srv_stop(struct srv *v)
{
	v->stop = 1;
	pthread_join(v->th, NULL);
	ivs_server_destroy(v->s);
	close(v->shm_fd);
	h_rm_tree(v->dir);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static void test_card_server(void **state)
{
	struct ivs_client c, d;
	struct srv v;
	uint64_t cnt;

	(void)state;
	srv_start(&v, true);
	assert_int_equal(ivs_client_connect(&c, v.path, 2000, VECTORS, 50, NULL), 0);
	assert_int_equal(c.id, 1);
	assert_true(c.shm_fd >= 0);
	assert_int_equal(c.n_card_fd, VECTORS); /* peer VMSG_EMU_CARD_PEER_ID */
	assert_int_equal(c.n_own_fd, VECTORS);
	assert_true(ivs_client_card_alive(&c));
	/* client rings card vector 1: the server reports doorbell 1 */
	assert_int_equal(ivs_client_ring(&c, 1), 0);
	for (int i = 0; i < 200 && !(v.rang & 2u); i++)
		usleep(5000);
	assert_int_equal(v.rang, 2u);
	assert_int_equal(ivs_client_ring(&c, VECTORS), -EINVAL);
	/* the card raises vector 3 of the host (the newest client) */
	assert_int_equal(ivs_server_host_id(v.s), 1);
	assert_int_equal(ivs_server_notify_host(v.s, 3), 0);
	assert_true(readable(c.own_fd[3], 1000));
	assert_int_equal(read(c.own_fd[3], &cnt, sizeof(cnt)), (ssize_t)sizeof(cnt));
	assert_int_equal(ivs_server_notify_host(v.s, VECTORS), -EINVAL);
	/* a second client becomes the host; the first hears of it */
	assert_int_equal(ivs_client_connect(&d, v.path, 2000, VECTORS, 50, NULL), 0);
	assert_int_equal(d.id, 2);
	for (int i = 0; i < 200 && ivs_server_host_id(v.s) != 2; i++)
		usleep(5000);
	assert_int_equal(ivs_server_host_id(v.s), 2);
	assert_int_equal(ivs_server_num_clients(v.s), 2);
	ivs_client_close(&d);
	for (int i = 0; i < 200 && ivs_server_num_clients(v.s) != 1; i++)
		usleep(5000);
	assert_int_equal(ivs_server_host_id(v.s), 1);
	assert_true(ivs_client_card_alive(&c));
	ivs_client_close(&c);
	srv_stop(&v);
}

static void test_plain_server(void **state)
{
	struct ivs_client c;
	struct srv v;

	(void)state;
	srv_start(&v, false);
	assert_int_equal(ivs_client_connect(&c, v.path, 2000, 0, 50, NULL), 0);
	assert_int_equal(c.n_card_fd, 0); /* no card: nobody to ring */
	assert_int_equal(c.n_own_fd, VECTORS);
	assert_int_equal(ivs_client_ring(&c, 0), -EINVAL);
	/* a client that waits for the card's vectors gives up, bounded */
	ivs_client_close(&c);
	assert_int_equal(ivs_client_connect(&c, v.path, 300, 2, 10, NULL), -ETIMEDOUT);
	srv_stop(&v);
}

/* ---- the client against a hostile server ---- */

struct evil {
	int lfd;
	int mode;
	char path[96];
	char dir[64];
	pthread_t th;
};

enum { EVIL_VERSION, EVIL_NOT_EVENTFD, EVIL_HALF, EVIL_TWO_FDS };

static void *evil_loop(void *arg)
{
	struct evil *e = arg;
	int s = accept(e->lfd, NULL, NULL);
	int pipefd[2];

	if (s < 0)
		return NULL;
	switch (e->mode) {
	case EVIL_VERSION:
		ivs_send_msg(s, 1, -1);
		break;
	case EVIL_NOT_EVENTFD:
		assert_int_equal(pipe(pipefd), 0);
		ivs_send_msg(s, 0, -1);
		ivs_send_msg(s, 1, -1);
		ivs_send_msg(s, -1, pipefd[0]);
		ivs_send_msg(s, 0, pipefd[1]); /* the card's "eventfd" is a pipe */
		close(pipefd[0]);
		close(pipefd[1]);
		break;
	case EVIL_HALF:
		assert_int_equal(send(s, "\0\0\0", 3, 0), 3);
		break;
	case EVIL_TWO_FDS: {
		int fds[2] = {eventfd(0, 0), eventfd(0, 0)};
		union {
			char b[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr a;
		} ctl;
		uint64_t zero = 0;
		struct iovec iov = {.iov_base = &zero, .iov_len = 8};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		assert_int_equal(sendmsg(s, &mh, 0), 8);
		close(fds[0]);
		close(fds[1]);
		break;
	}
	}
	usleep(600000); /* keep the socket open past the client's deadline */
	close(s);
	return NULL;
}

static int evil_connect(int mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ivs_client c;
	struct evil e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.mode = mode;
	h_mkdtemp(e.dir, sizeof(e.dir));
	snprintf(e.path, sizeof(e.path), "%.80s/evil.sock", e.dir);
	memcpy(sa.sun_path, e.path, sizeof(e.path));
	e.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(e.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(e.lfd, 1), 0);
	assert_int_equal(pthread_create(&e.th, NULL, evil_loop, &e), 0);
	ret = ivs_client_connect(&c, e.path, 400, 2, 10, NULL);
	assert_int_equal(c.sock, -1); /* closed on failure */
	pthread_join(e.th, NULL);
	close(e.lfd);
	h_rm_tree(e.dir);
	return ret;
}

static void test_hostile_servers(void **state)
{
	(void)state;
	assert_int_equal(evil_connect(EVIL_VERSION), -EPROTO);
	assert_int_equal(evil_connect(EVIL_NOT_EVENTFD), -EPROTO);
	assert_int_equal(evil_connect(EVIL_HALF), -ETIMEDOUT);
	assert_int_equal(evil_connect(EVIL_TWO_FDS), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_card_server),
	    cmocka_unit_test(test_plain_server),
	    cmocka_unit_test(test_hostile_servers),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
