// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ivshmem_client.c - the client side of the ivshmem protocol
 * (vmsg_ivshmem.h): connect, greeting, peers coming and going. The server
 * is the card: everything it sends is checked (values, fd types, counts)
 * and every wait is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmsg_ivshmem.h"

#define clog(c, level, ...)                                                                        \
	do {                                                                                       \
		if ((c)->log)                                                                      \
			(c)->log(level, __VA_ARGS__);                                              \
	} while (0)

static bool is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

void ivs_client_close(struct ivs_client *c)
{
	for (unsigned int i = 0; i < c->n_card_fd; i++)
		close(c->card_fd[i]);
	for (unsigned int i = 0; i < c->n_own_fd; i++)
		close(c->own_fd[i]);
	c->n_card_fd = c->n_own_fd = 0;
	if (c->shm_fd >= 0)
		close(c->shm_fd);
	c->shm_fd = -1;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	c->id = -1;
	c->card_gone = false;
}

/* One peer message after the greeting: vectors of a peer, or a peer leaving. */
static int peer_msg(struct ivs_client *c, int64_t val, int fd)
{
	if (val < 0 || val > IVS_MAX_ID) {
		if (fd >= 0)
			close(fd);
		clog(c, IVS_LOG_ERR, "ivshmem: bad peer id %lld", (long long)val);
		return -EPROTO;
	}
	if (fd < 0) {
		if (val == IVS_CARD_PEER_ID) {
			c->card_gone = true;
			clog(c, IVS_LOG_INFO, "ivshmem: the card (peer %d) left", IVS_CARD_PEER_ID);
		}
		return 0;
	}
	if (!is_eventfd(fd)) {
		close(fd);
		clog(c, IVS_LOG_ERR, "ivshmem: peer %lld sent an fd that is not an eventfd",
		     (long long)val);
		return -EPROTO;
	}
	if (val == IVS_CARD_PEER_ID && !c->card_gone) {
		if (c->n_card_fd >= IVS_MAX_VECTORS) {
			close(fd);
			clog(c, IVS_LOG_ERR, "ivshmem: card sent more than %d vectors",
			     IVS_MAX_VECTORS);
			return -EPROTO;
		}
		c->card_fd[c->n_card_fd++] = fd;
	} else if (val == c->id) {
		if (c->n_own_fd >= IVS_MAX_VECTORS) {
			close(fd);
			clog(c, IVS_LOG_ERR, "ivshmem: server sent more than %d own vectors",
			     IVS_MAX_VECTORS);
			return -EPROTO;
		}
		c->own_fd[c->n_own_fd++] = fd;
	} else {
		close(fd); /* another client's vectors: nothing to do with us */
	}
	return 0;
}

static int open_socket(struct ivs_client *c, const char *path, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			c->sock = fd;
			return 0;
		}
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
			return -errno;
		if (ivs_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

/* Version, our id, the shared memory fd. */
static int greeting(struct ivs_client *c, int64_t deadline)
{
	for (int step = 0; step < 3; step++) {
		int64_t val;
		int fd, ret;

		ret = ivs_recv_msg(c->sock, deadline, &val, &fd);
		if (ret == 0)
			ret = -ETIMEDOUT;
		if (ret < 0)
			return ret;
		if (step == 0 && (val != IVS_PROTOCOL_VERSION || fd >= 0)) {
			clog(c, IVS_LOG_ERR, "ivshmem: unsupported protocol version %lld",
			     (long long)val);
			ret = -EPROTO;
		} else if (step == 1 && (val <= 0 || val > IVS_MAX_ID || fd >= 0)) {
			clog(c, IVS_LOG_ERR, "ivshmem: bad peer id %lld", (long long)val);
			ret = -EPROTO;
		} else if (step == 1) {
			c->id = (int)val;
		} else if (step == 2 && (val != -1 || fd < 0)) {
			clog(c, IVS_LOG_ERR, "ivshmem: expected the shared memory fd, got %lld",
			     (long long)val);
			ret = -EPROTO;
		} else if (step == 2) {
			c->shm_fd = fd;
			fd = -1;
		}
		if (fd >= 0)
			close(fd);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int ivs_client_connect(struct ivs_client *c, const char *sock_path, int timeout_ms,
		       unsigned int min_card_vectors, int quiet_ms, ivs_log_fn log)
{
	int64_t deadline = ivs_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int64_t val;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->shm_fd = -1;
	c->id = -1;
	c->log = log;
	ret = open_socket(c, sock_path, deadline);
	if (ret == 0)
		ret = greeting(c, deadline);
	/* Peers' vectors, the card's first; ours come last in the burst. */
	while (ret == 0 && (c->n_own_fd == 0 || c->n_card_fd < min_card_vectors)) {
		ret = ivs_recv_msg(c->sock, deadline, &val, &fd);
		if (ret == 0)
			ret = -ETIMEDOUT;
		if (ret > 0)
			ret = peer_msg(c, val, fd);
		if (ret == 0 && c->card_gone)
			ret = -ECONNRESET;
	}
	/* The rest of the burst the server already sent. */
	while (ret == 0) {
		int r = ivs_recv_msg(c->sock, ivs_now_ms() + quiet_ms, &val, &fd);

		if (r == 0 || r == -ETIMEDOUT)
			break;
		ret = r < 0 ? r : peer_msg(c, val, fd);
	}
	if (ret < 0) {
		clog(c, IVS_LOG_ERR, "ivshmem: connect to %s failed: %s", sock_path,
		     strerror(-ret));
		ivs_client_close(c);
		return ret;
	}
	return 0;
}

bool ivs_client_card_alive(struct ivs_client *c)
{
	int64_t val;
	int fd, ret;

	if (c->sock < 0)
		return false;
	while (!c->card_gone) {
		ret = ivs_recv_msg(c->sock, ivs_now_ms(), &val, &fd);
		if (ret == 0)
			break;
		if (ret < 0 || peer_msg(c, val, fd) < 0)
			c->card_gone = true; /* the server is the card */
	}
	return !c->card_gone;
}

int ivs_client_ring(const struct ivs_client *c, unsigned int n)
{
	uint64_t one = 1;

	if (n >= c->n_card_fd)
		return -EINVAL;
	if (write(c->card_fd[n], &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -errno;
	return 0;
}
