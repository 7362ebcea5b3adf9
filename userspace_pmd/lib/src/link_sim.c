// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * link_sim.c - the emulated link: a client of the card's ivshmem server.
 *
 * Protocol (QEMU docs/specs/ivshmem-spec.rst): the server sends 8-byte
 * little-endian int64 messages, some carrying one fd (SCM_RIGHTS): the
 * protocol version (0), our peer id, -1 with the shared memory fd (the
 * card's BAR0), then one message per vector per peer: that peer's id and
 * an eventfd. Peer 0 is the card: writing to its eventfd N rings doorbell N.
 * Our own eventfds are our interrupt vectors. A peer id without an fd means
 * that peer left. Everything the server sends is checked (sizes, fd types,
 * counts) and every read is bounded by a deadline.
 *
 * Host memory is a shared file the card maps too; DMA address == offset.
 */
#include "vmsg_host_link.h"
#include "hostmem.h"
#include "vmsg_pcie.h"
#include "vmsg_barrier.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SIM_CARD_PEER	0
#define SIM_MAX_FDS	VMSG_PCIE_MAX_VECTORS
#define SIM_MAX_SHM	(1ull << 30)
#define SIM_DEFAULT_MEM (64ull << 20)
#define SIM_QUIET_MS	20 /* the rest of a burst already sent by the server */
#define SIM_MEM_GUARD	4096u

struct link_sim {
	struct vmsg_link link;
	char *sock_path;
	bool quiet;
	int sock;
	int peer_id;
	bool card_gone;
	/* BAR0 */
	void *bar0;
	size_t bar0_size;
	int card_fd[SIM_MAX_FDS];
	uint32_t n_card_fd;
	int own_fd[SIM_MAX_FDS];
	uint32_t n_own_fd;
	/* host memory */
	int mem_fd;
	void *mem;
	size_t mem_size;
	struct hostmem hm;
};

static struct link_sim *to_sim(struct vmsg_link *l)
{
	return (struct link_sim *)l;
}

static void sim_log(struct link_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sim_log(struct link_sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->quiet)
		return;
	va_start(ap, fmt);
	fputs("vmsg link sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(int64_t deadline)
{
	int64_t r = deadline - now_ms();

	return r < 0 ? 0 : (r > 1000000 ? 1000000 : (int)r);
}

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

/*
 * Read one 8-byte server message and at most one fd, by the deadline.
 * Returns 1 with *val (and *fd or -1), 0 if nothing arrived in time,
 * -ECONNRESET on EOF, other negative errors on protocol violations.
 */
static int sim_recv(struct link_sim *s, int64_t deadline, int64_t *val, int *fd)
{
	uint8_t buf[8];
	size_t got = 0;

	*fd = -1;
	while (got < sizeof(buf)) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * 4)];
		} ctl;
		struct pollfd pfd = {.fd = s->sock, .events = POLLIN};
		struct iovec iov = {.iov_base = buf + got, .iov_len = sizeof(buf) - got};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		struct cmsghdr *c;
		ssize_t n;
		int pr;

		pr = poll(&pfd, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0) {
			if (got == 0)
				return 0;
			return -ETIMEDOUT; /* half a message: the server is broken */
		}
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(s->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			goto eof;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			size_t nfd, i;
			int fds[4];

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
				sim_log(s, "unexpected control message type %d", c->cmsg_type);
				goto bad;
			}
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (nfd > 4)
				nfd = 4;
			memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
			for (i = 0; i < nfd; i++) {
				if (*fd < 0 && got == 0 && nfd == 1) {
					*fd = fds[i];
				} else {
					close(fds[i]);
					sim_log(s, "server sent more than one fd with a message");
					goto bad;
				}
			}
		}
		if (mh.msg_flags & MSG_CTRUNC) {
			sim_log(s, "control data truncated");
			goto bad;
		}
		got += (size_t)n;
	}
	{
		uint64_t u = (uint64_t)buf[0] | (uint64_t)buf[1] << 8 | (uint64_t)buf[2] << 16 |
			     (uint64_t)buf[3] << 24 | (uint64_t)buf[4] << 32 |
			     (uint64_t)buf[5] << 40 | (uint64_t)buf[6] << 48 |
			     (uint64_t)buf[7] << 56;

		*val = (int64_t)u;
	}
	return 1;
eof:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -ECONNRESET;
bad:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -EPROTO;
}

static void sim_close_fds(struct link_sim *s)
{
	uint32_t i;

	for (i = 0; i < s->n_card_fd; i++)
		close(s->card_fd[i]);
	for (i = 0; i < s->n_own_fd; i++)
		close(s->own_fd[i]);
	s->n_card_fd = s->n_own_fd = 0;
}

static void sim_disconnect(struct vmsg_link *l)
{
	struct link_sim *s = to_sim(l);

	if (s->bar0)
		munmap(s->bar0, s->bar0_size);
	s->bar0 = NULL;
	s->bar0_size = 0;
	sim_close_fds(s);
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	s->peer_id = -1;
	s->card_gone = false;
}

/* One peer message after setup: vectors of a peer, or a peer leaving. */
static int sim_peer_msg(struct link_sim *s, int64_t val, int fd)
{
	if (val < 0 || val > 0xffff) {
		if (fd >= 0)
			close(fd);
		sim_log(s, "bad peer id %lld", (long long)val);
		return -EPROTO;
	}
	if (fd < 0) {
		if (val == SIM_CARD_PEER) {
			s->card_gone = true;
			sim_log(s, "the card (peer 0) left");
		}
		return 0;
	}
	if (!is_eventfd(fd)) {
		close(fd);
		sim_log(s, "peer %lld sent an fd that is not an eventfd", (long long)val);
		return -EPROTO;
	}
	if (val == SIM_CARD_PEER && !s->card_gone) {
		if (s->n_card_fd >= SIM_MAX_FDS) {
			close(fd);
			sim_log(s, "card sent more than %u vectors", SIM_MAX_FDS);
			return -EPROTO;
		}
		s->card_fd[s->n_card_fd++] = fd;
	} else if (val == s->peer_id) {
		if (s->n_own_fd >= SIM_MAX_FDS) {
			close(fd);
			sim_log(s, "server sent more than %u own vectors", SIM_MAX_FDS);
			return -EPROTO;
		}
		s->own_fd[s->n_own_fd++] = fd;
	} else {
		close(fd); /* another host peer: nothing to do with us */
	}
	return 0;
}

static int sim_open_socket(struct link_sim *s, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(s->sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->sock_path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			s->sock = fd;
			return 0;
		}
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
			return -errno;
		if (remaining(deadline) == 0)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

static int sim_map_shm(struct link_sim *s, int fd)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		sim_log(s, "shared memory fd is not a regular file or memfd");
		return -EPROTO;
	}
	if (st.st_size < (off_t)VMSG_PCIE_BAR0_MIN_SIZE || (uint64_t)st.st_size > SIM_MAX_SHM ||
	    (st.st_size & (st.st_size - 1))) {
		sim_log(s, "shared memory size %lld is not a power of two in [64 KiB, 1 GiB]",
			(long long)st.st_size);
		return -EPROTO;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	s->bar0 = p;
	s->bar0_size = (size_t)st.st_size;
	return 0;
}

static int sim_connect(struct vmsg_link *l, int timeout_ms)
{
	struct link_sim *s = to_sim(l);
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int64_t val;
	int fd, ret, step = 0;

	sim_disconnect(l);
	ret = sim_open_socket(s, deadline);
	if (ret)
		return ret;
	/* version, our id, shared memory */
	while (step < 3) {
		ret = sim_recv(s, deadline, &val, &fd);
		if (ret == 0)
			ret = -ETIMEDOUT;
		if (ret < 0)
			goto fail;
		if (step == 0 && (val != 0 || fd >= 0)) {
			sim_log(s, "unsupported ivshmem protocol version %lld", (long long)val);
			ret = -EPROTO;
		} else if (step == 1 && (val <= 0 || val > 0xffff || fd >= 0)) {
			sim_log(s, "bad peer id %lld", (long long)val);
			ret = -EPROTO;
		} else if (step == 1) {
			s->peer_id = (int)val;
		} else if (step == 2 && (val != -1 || fd < 0)) {
			sim_log(s, "expected the shared memory fd, got %lld", (long long)val);
			ret = -EPROTO;
		} else if (step == 2) {
			ret = sim_map_shm(s, fd);
		}
		if (fd >= 0)
			close(fd);
		if (ret < 0)
			goto fail;
		step++;
	}
	/* peers' vectors; ours come last in the server's burst */
	while (s->n_own_fd == 0 || s->n_card_fd < 2) {
		ret = sim_recv(s, deadline, &val, &fd);
		if (ret == 0)
			ret = -ETIMEDOUT;
		if (ret < 0)
			goto fail;
		ret = sim_peer_msg(s, val, fd);
		if (ret < 0)
			goto fail;
		if (s->card_gone) {
			ret = -ECONNRESET;
			goto fail;
		}
	}
	for (;;) {
		ret = sim_recv(s, now_ms() + SIM_QUIET_MS, &val, &fd);
		if (ret <= 0)
			break;
		ret = sim_peer_msg(s, val, fd);
		if (ret < 0)
			goto fail;
	}
	if (ret < 0 && ret != -ETIMEDOUT)
		goto fail;
	return 0;
fail:
	sim_log(s, "connect to %s failed: %s", s->sock_path, strerror(-ret));
	sim_disconnect(l);
	return ret;
}

static volatile void *sim_bar0(struct vmsg_link *l, size_t *size)
{
	struct link_sim *s = to_sim(l);

	if (size)
		*size = s->bar0_size;
	return s->bar0;
}

static int sim_doorbell(struct vmsg_link *l, uint32_t idx, uint32_t value)
{
	struct link_sim *s = to_sim(l);
	volatile struct vmsg_pcie_regs *r = s->bar0;
	uint64_t one = 1;

	if (!r || idx >= s->n_card_fd || idx >= VMSG_PCIE_MAX_DOORBELLS)
		return -EINVAL;
	/* The register write is the doorbell on a real link; the eventfd is
	 * what the emulated one delivers. */
	VMSG_WRITE_ONCE32(&r->doorbell[idx], value);
	vmsg_mb();
	if (write(s->card_fd[idx], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

static uint32_t sim_num_vectors(struct vmsg_link *l)
{
	return to_sim(l)->n_own_fd;
}

static int sim_wait_irq(struct vmsg_link *l, uint32_t vec, int timeout_ms)
{
	struct link_sim *s = to_sim(l);
	struct pollfd pfd;
	uint64_t cnt;
	int pr;

	if (vec >= s->n_own_fd)
		return -EINVAL;
	pfd.fd = s->own_fd[vec];
	pfd.events = POLLIN;
	do
		pr = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return -errno;
	if (pr == 0)
		return 0;
	if (read(pfd.fd, &cnt, sizeof(cnt)) != sizeof(cnt) && errno != EAGAIN)
		return -errno;
	return 1;
}

static int sim_irq_fd(struct vmsg_link *l, uint32_t vec)
{
	struct link_sim *s = to_sim(l);

	return vec < s->n_own_fd ? s->own_fd[vec] : -1;
}

static int sim_peer_alive(struct vmsg_link *l)
{
	struct link_sim *s = to_sim(l);
	int64_t val;
	int fd, ret;

	if (s->sock < 0)
		return 0;
	while (!s->card_gone) {
		ret = sim_recv(s, now_ms(), &val, &fd);
		if (ret == 0)
			break;
		if (ret < 0) {
			s->card_gone = true; /* the server is the card */
			break;
		}
		if (sim_peer_msg(s, val, fd) < 0)
			s->card_gone = true;
	}
	return s->card_gone ? 0 : 1;
}

static int sim_set_dma_bits(struct vmsg_link *l, uint32_t bits)
{
	struct link_sim *s = to_sim(l);

	if (bits >= 64)
		return 0;
	if (bits < 12)
		return -ERANGE;
	return hostmem_set_limit(&s->hm, 1ull << bits);
}

static void *sim_mem_alloc(struct vmsg_link *l, size_t size, size_t align, uint64_t *dma)
{
	return hostmem_alloc(&to_sim(l)->hm, size, align, dma);
}

static void sim_mem_free(struct vmsg_link *l, void *va)
{
	hostmem_free(&to_sim(l)->hm, va);
}

static void *sim_dma_to_va(struct vmsg_link *l, uint64_t dma, size_t len)
{
	return hostmem_dma_to_va(&to_sim(l)->hm, dma, len);
}

static uint64_t sim_va_to_dma(struct vmsg_link *l, const void *va)
{
	return hostmem_va_to_dma(&to_sim(l)->hm, va);
}

static void sim_destroy(struct vmsg_link *l)
{
	struct link_sim *s = to_sim(l);

	sim_disconnect(l);
	hostmem_fini(&s->hm);
	if (s->mem)
		munmap(s->mem, s->mem_size);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	free(s->sock_path);
	free(s);
}

static const struct vmsg_link_ops sim_ops = {
    .name = "sim",
    .connect = sim_connect,
    .disconnect = sim_disconnect,
    .bar0 = sim_bar0,
    .doorbell = sim_doorbell,
    .num_vectors = sim_num_vectors,
    .wait_irq = sim_wait_irq,
    .irq_fd = sim_irq_fd,
    .peer_alive = sim_peer_alive,
    .set_dma_bits = sim_set_dma_bits,
    .mem_alloc = sim_mem_alloc,
    .mem_free = sim_mem_free,
    .dma_to_va = sim_dma_to_va,
    .va_to_dma = sim_va_to_dma,
    .destroy = sim_destroy,
};

static int sim_open_mem(struct link_sim *s, const char *path, size_t size)
{
	struct stat st;
	int ret;

	s->mem_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->mem_fd < 0)
		return -errno;
	if (fstat(s->mem_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size == 0) {
		if (ftruncate(s->mem_fd, (off_t)size) < 0)
			return -errno;
	} else if ((uint64_t)st.st_size != size) {
		sim_log(s, "%s is %lld bytes, expected %zu", path, (long long)st.st_size, size);
		return -EINVAL;
	}
	s->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->mem_fd, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		return -errno;
	}
	s->mem_size = size;
	ret = hostmem_init(&s->hm, s->mem, size, 0, SIM_MEM_GUARD);
	return ret;
}

int vmsg_link_sim_create(const struct vmsg_link_sim_params *p, struct vmsg_link **out)
{
	struct link_sim *s;
	size_t size;
	int ret;

	*out = NULL;
	if (!p || !p->sock_path || !p->mem_path)
		return -EINVAL;
	size = p->mem_size ? p->mem_size : SIM_DEFAULT_MEM;
	if (size < 2 * SIM_MEM_GUARD || size % 4096)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->link.ops = &sim_ops;
	s->sock = -1;
	s->peer_id = -1;
	s->mem_fd = -1;
	s->quiet = p->quiet;
	s->sock_path = strdup(p->sock_path);
	if (!s->sock_path) {
		free(s);
		return -ENOMEM;
	}
	ret = sim_open_mem(s, p->mem_path, size);
	if (ret) {
		if (s->mem)
			munmap(s->mem, s->mem_size);
		if (s->mem_fd >= 0)
			close(s->mem_fd);
		free(s->sock_path);
		free(s);
		return ret;
	}
	*out = &s->link;
	return 0;
}

int vmsg_link_sim_peer_id(struct vmsg_link *l)
{
	return l && l->ops == &sim_ops ? to_sim(l)->peer_id : -1;
}
