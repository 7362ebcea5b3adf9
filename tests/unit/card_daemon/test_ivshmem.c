// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_ivshmem.c - common/ivshmem, the one ivshmem implementation of the
 * emulated link: its server (with the card as peer VMSG_EMU_CARD_PEER_ID,
 * and without a card) against its client, in one process (the server runs
 * in a thread), the card as a remote client on its own socket (the card VM)
 * with the wire section of the emulated link page, and the client against
 * hostile servers.
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
	char dir[64], path[128], card_path[128];
	int shm_fd;
	void *shm;
};

static void *srv_loop(void *arg)
{
	struct srv *v = arg;
	struct pollfd pfd[1 + IVS_MAX_VECTORS + 2 + IVS_MAX_CLIENTS];

	while (!v->stop) {
		int n = ivs_server_pollfds(v->s, pfd, (int)(sizeof(pfd) / sizeof(pfd[0])));

		if (poll(pfd, (nfds_t)n, 10) > 0)
			v->rang |= ivs_server_handle(v->s, pfd, n);
	}
	return NULL;
}

static void srv_start_ex(struct srv *v, bool with_card, bool card_socket)
{
	memset(v, 0, sizeof(*v));
	h_mkdtemp(v->dir, sizeof(v->dir));
	snprintf(v->path, sizeof(v->path), "%s/ivshmem.sock", v->dir);
	v->shm_fd = memfd_create("ivs-test", MFD_CLOEXEC);
	assert_true(v->shm_fd >= 0);
	assert_int_equal(ftruncate(v->shm_fd, 65536), 0);
	v->s = ivs_server_create(v->path, v->shm_fd, VECTORS, with_card, NULL);
	assert_non_null(v->s);
	if (card_socket) {
		snprintf(v->card_path, sizeof(v->card_path), "%s/card.sock", v->dir);
		assert_int_equal(ivs_server_listen_card(v->s, v->card_path), 0);
		/* a server cannot have two cards */
		assert_int_equal(ivs_server_listen_card(v->s, v->card_path), -EINVAL);
	}
	v->shm = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, v->shm_fd, 0);
	assert_true(v->shm != MAP_FAILED);
	assert_int_equal(pthread_create(&v->th, NULL, srv_loop, v), 0);
}

static void srv_start(struct srv *v, bool with_card)
{
	srv_start_ex(v, with_card, false);
}

static void srv_stop(struct srv *v)
{
	v->stop = 1;
	pthread_join(v->th, NULL);
	ivs_server_destroy(v->s);
	munmap(v->shm, 65536);
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
	/* The server marks the peer dead on its hang-up, then reaps it and picks
	 * the new host in a later pass: wait for both. */
	for (int i = 0;
	     i < 200 && (ivs_server_num_clients(v.s) != 1 || ivs_server_host_id(v.s) != 1); i++)
		usleep(5000);
	assert_int_equal(ivs_server_num_clients(v.s), 1);
	assert_int_equal(ivs_server_host_id(v.s), 1);
	assert_true(ivs_client_card_alive(&c));
	ivs_client_close(&c);
	srv_stop(&v);
}

/* The wire section of the page at the end of the 64 KiB shared memory. */
static uint32_t wire(const struct srv *v, size_t off)
{
	const volatile uint32_t *p =
	    (const volatile uint32_t *)(const void *)((const char *)v->shm + 65536 -
						      VMSG_EMU_PAGE_SIZE + off);

	return vmsg_le32_to_cpu(*p);
}
#define WIRE(v, field) wire(v, offsetof(struct vmsg_emu_page, field))

/* Wait (bounded) until the wire says host_peer_id == host. */
static void wait_wire_host(const struct srv *v, uint32_t host)
{
	for (int i = 0; i < 400 && WIRE(v, host_peer_id) != host; i++)
		usleep(5000);
	assert_int_equal(WIRE(v, host_peer_id), host);
}

/* A raw card client: the greeting must give it id VMSG_EMU_CARD_PEER_ID,
 * the shared memory, then its own VECTORS eventfds (after any host's). */
static int card_connect(const struct srv *v, unsigned int host_vectors)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	unsigned int own = 0, other = 0;
	int64_t val;
	int s, fd;

	memcpy(sa.sun_path, v->card_path, strlen(v->card_path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ivs_recv_msg(s, ivs_now_ms() + 2000, &val, &fd), 1);
	assert_int_equal(val, IVS_PROTOCOL_VERSION);
	assert_int_equal(ivs_recv_msg(s, ivs_now_ms() + 2000, &val, &fd), 1);
	assert_int_equal(val, VMSG_EMU_CARD_PEER_ID);
	assert_int_equal(fd, -1);
	assert_int_equal(ivs_recv_msg(s, ivs_now_ms() + 2000, &val, &fd), 1);
	assert_int_equal(val, -1);
	assert_true(fd >= 0);
	close(fd);
	while (own < VECTORS) {
		assert_int_equal(ivs_recv_msg(s, ivs_now_ms() + 2000, &val, &fd), 1);
		assert_true(fd >= 0);
		close(fd);
		if (val == VMSG_EMU_CARD_PEER_ID)
			own++;
		else
			other++;
	}
	assert_int_equal(other, host_vectors);
	return s;
}

static void test_card_socket(void **state)
{
	struct ivs_client c, d;
	struct srv v;
	uint32_t gen0, gen;
	int64_t val;
	int card, card2, fd;

	(void)state;
	srv_start_ex(&v, false, true);
	ivs_server_set_wire(v.s, (char *)v.shm + 65536 - VMSG_EMU_PAGE_SIZE);
	/* no host, no card yet (the thread may poll: read through the wire) */
	assert_int_equal(WIRE(&v, wire_magic), VMSG_EMU_WIRE_MAGIC);
	assert_int_equal(WIRE(&v, wire_version), VMSG_EMU_PAGE_VERSION);
	assert_int_equal(WIRE(&v, host_peer_id), VMSG_EMU_NO_PEER);
	assert_int_equal(WIRE(&v, card_connected), 0);
	gen0 = WIRE(&v, host_generation);

	/* the card VM connects first: peer 0, its own vectors only */
	card = card_connect(&v, 0);
	for (int i = 0; i < 400 && !WIRE(&v, card_connected); i++)
		usleep(5000);
	assert_int_equal(WIRE(&v, card_connected), 1);
	assert_true(ivs_server_card_connected(v.s));
	assert_int_equal(WIRE(&v, host_generation), gen0); /* no host change */

	/* a second card is refused: the server closes it after accepting */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		memcpy(sa.sun_path, v.card_path, strlen(v.card_path) + 1);
		card2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(card2, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(ivs_recv_msg(card2, ivs_now_ms() + 2000, &val, &fd), -ECONNRESET);
		close(card2);
	}

	/* a host connects: it gets the card's vectors; the card hears of it;
	 * the wire names it and the generation moves (link up) */
	assert_int_equal(ivs_client_connect(&c, v.path, 2000, VECTORS, 50, NULL), 0);
	assert_int_equal(c.n_card_fd, VECTORS);
	wait_wire_host(&v, (uint32_t)c.id);
	gen = WIRE(&v, host_generation);
	assert_int_equal(gen, gen0 + 1);
	for (unsigned int i = 0; i < VECTORS; i++) {
		assert_int_equal(ivs_recv_msg(card, ivs_now_ms() + 2000, &val, &fd), 1);
		assert_int_equal(val, c.id);
		assert_true(fd >= 0);
		close(fd);
	}
	/* the host rings the card: a remote card's doorbells are not the server's */
	assert_int_equal(ivs_client_ring(&c, 1), 0);
	usleep(50000);
	assert_int_equal(v.rang, 0u);

	/* a second host replaces the first (link down + up: one more step) */
	assert_int_equal(ivs_client_connect(&d, v.path, 2000, VECTORS, 50, NULL), 0);
	wait_wire_host(&v, (uint32_t)d.id);
	assert_int_equal(WIRE(&v, host_generation), gen + 1);
	ivs_client_close(&d);
	wait_wire_host(&v, (uint32_t)c.id);
	assert_int_equal(WIRE(&v, host_generation), gen + 2);

	/* the card leaves: the host hears it, the wire says so */
	close(card);
	for (int i = 0; i < 400 && WIRE(&v, card_connected); i++)
		usleep(5000);
	assert_int_equal(WIRE(&v, card_connected), 0);
	for (int i = 0; i < 400 && ivs_client_card_alive(&c); i++)
		usleep(5000);
	assert_false(ivs_client_card_alive(&c));

	/* a card may come back (the card VM rebooted): peer 0 again, and it
	 * gets the host's vectors before its own */
	card = card_connect(&v, VECTORS);
	for (int i = 0; i < 400 && !WIRE(&v, card_connected); i++)
		usleep(5000);
	assert_int_equal(WIRE(&v, card_connected), 1);

	/* the host leaves: no host, the generation moves (link down) */
	ivs_client_close(&c);
	wait_wire_host(&v, VMSG_EMU_NO_PEER);
	assert_int_equal(WIRE(&v, host_generation), gen + 3);
	close(card);
	srv_stop(&v);
}

/* A built-in card (the soft card's own server) maintains the wire too, and
 * a new server continues the generation it finds. */
static void test_card_wire(void **state)
{
	struct ivs_client c;
	struct srv v;
	char *page;

	(void)state;
	srv_start(&v, true);
	page = (char *)v.shm + 65536 - VMSG_EMU_PAGE_SIZE;
	/* an earlier server's wire */
	{
		uint32_t magic = vmsg_cpu_to_le32(VMSG_EMU_WIRE_MAGIC), g = vmsg_cpu_to_le32(41);

		memcpy(page + offsetof(struct vmsg_emu_page, wire_magic), &magic, 4);
		memcpy(page + offsetof(struct vmsg_emu_page, host_generation), &g, 4);
	}
	ivs_server_set_wire(v.s, page);
	assert_int_equal(WIRE(&v, card_connected), 1);
	assert_int_equal(WIRE(&v, host_peer_id), VMSG_EMU_NO_PEER);
	assert_int_equal(WIRE(&v, host_generation), 42);
	assert_int_equal(ivs_client_connect(&c, v.path, 2000, VECTORS, 50, NULL), 0);
	wait_wire_host(&v, (uint32_t)c.id);
	assert_int_equal(WIRE(&v, host_generation), 43);
	ivs_client_close(&c);
	wait_wire_host(&v, VMSG_EMU_NO_PEER);
	assert_int_equal(WIRE(&v, host_generation), 44);
	v.stop = 1;
	pthread_join(v.th, NULL);
	ivs_server_destroy(v.s);
	v.s = NULL;
	/* destroy: no card any more */
	assert_int_equal(WIRE(&v, card_connected), 0);
	munmap(v.shm, 65536);
	close(v.shm_fd);
	h_rm_tree(v.dir);
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
	    cmocka_unit_test(test_card_server),	    cmocka_unit_test(test_plain_server),
	    cmocka_unit_test(test_card_socket),	    cmocka_unit_test(test_card_wire),
	    cmocka_unit_test(test_hostile_servers),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
