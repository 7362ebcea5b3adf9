// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * link_sim.c - the emulated link: a client of the card's ivshmem server.
 *
 * The protocol is common/ivshmem (vmsg_ivshmem.h), the one implementation
 * the card's server and the tests use too: the shared memory fd is the
 * card's BAR0 followed by the emulated link page ([EMU-7]), the card (peer VMSG_EMU_CARD_PEER_ID)
 * has one eventfd per doorbell, ours are our interrupt vectors. Everything the server sends is
 * checked there (values, fd types, counts) and every read is bounded by a
 * deadline; the shared memory is checked here before it is mapped.
 *
 * Host memory is a shared file the card maps too; DMA address == offset.
 */
#include "vmsg_host_link.h"
#include "hostmem.h"
#include "vmsg_barrier.h"
#include "vmsg_ivshmem.h"
#include "vmsg_pcie.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIM_MAX_SHM	(1ull << 30)
#define SIM_MIN_SHM	(2ull * VMSG_PCIE_BAR0_MIN_SIZE) /* BAR0 + the link page */
#define SIM_DEFAULT_MEM (64ull << 20)
#define SIM_QUIET_MS	20 /* the rest of a burst already sent by the server */
#define SIM_MEM_GUARD	4096u

struct link_sim {
	struct vmsg_link link;
	char *sock_path;
	bool quiet;
	struct ivs_client ivs;
	/* the shared memory: BAR0, then the link page ([EMU-7]) */
	void *bar0;
	size_t shm_size;
	size_t bar0_size;
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

/* The ivshmem client's diagnostics (not passed when quiet). */
static void sim_ivs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sim_ivs_log(int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	fputs("vmsg link sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void sim_disconnect(struct vmsg_link *l)
{
	struct link_sim *s = to_sim(l);

	if (s->bar0)
		munmap(s->bar0, s->shm_size);
	s->bar0 = NULL;
	s->shm_size = 0;
	s->bar0_size = 0;
	ivs_client_close(&s->ivs);
}

/* [EMU-7] The card's header in the link page (the last VMSG_EMU_PAGE_SIZE
 * bytes): present and of our version, else this is no card (yet). Returns
 * BAR0's length: the card's bar0_size, capped at what precedes the page. */
static int sim_check_page(struct link_sim *s, const uint8_t *shm, size_t shm_size,
			  size_t *bar0_size)
{
	const volatile struct vmsg_emu_page *p =
	    (const volatile struct vmsg_emu_page *)(shm + shm_size - VMSG_EMU_PAGE_SIZE);
	uint32_t magic = vmsg_le32_to_cpu(p->hdr_magic);
	uint32_t ver, size;

	vmsg_rmb();
	ver = vmsg_le32_to_cpu(p->hdr_version);
	size = vmsg_le32_to_cpu(p->bar0_size);
	if (magic != VMSG_EMU_HDR_MAGIC || ver != VMSG_EMU_PAGE_VERSION) {
		sim_log(s, "no emulated link page header (magic %#x, version %u): no card", magic,
			ver);
		return -EPROTO;
	}
	*bar0_size = shm_size - VMSG_EMU_PAGE_SIZE;
	if (size < *bar0_size)
		*bar0_size = size;
	if (*bar0_size < VMSG_PCIE_BAR0_MIN_SIZE) {
		sim_log(s, "the link page declares a %u-byte BAR0: less than %u", size,
			VMSG_PCIE_BAR0_MIN_SIZE);
		return -EPROTO;
	}
	return 0;
}

static int sim_map_shm(struct link_sim *s, int fd)
{
	struct stat st;
	size_t bar0_size;
	void *p;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		sim_log(s, "shared memory fd is not a regular file or memfd");
		return -EPROTO;
	}
	if (st.st_size < (off_t)SIM_MIN_SHM || (uint64_t)st.st_size > SIM_MAX_SHM ||
	    (st.st_size & (st.st_size - 1))) {
		sim_log(s, "shared memory size %lld is not a power of two in [128 KiB, 1 GiB]",
			(long long)st.st_size);
		return -EPROTO;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r = sim_check_page(s, p, (size_t)st.st_size, &bar0_size);
	if (r < 0) {
		munmap(p, (size_t)st.st_size);
		return r;
	}
	s->bar0 = p;
	s->shm_size = (size_t)st.st_size;
	s->bar0_size = bar0_size;
	return 0;
}

static int sim_connect(struct vmsg_link *l, int timeout_ms)
{
	struct link_sim *s = to_sim(l);
	int ret;

	sim_disconnect(l);
	/* the card's doorbells 0 and 1 at least, then the rest of the burst */
	ret = ivs_client_connect(&s->ivs, s->sock_path, timeout_ms, 2, SIM_QUIET_MS,
				 s->quiet ? NULL : sim_ivs_log);
	if (ret < 0)
		return ret;
	ret = sim_map_shm(s, s->ivs.shm_fd);
	if (ret < 0) {
		sim_log(s, "connect to %s failed: %s", s->sock_path, strerror(-ret));
		sim_disconnect(l);
	}
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

	if (!r || idx >= s->ivs.n_card_fd || idx >= VMSG_PCIE_MAX_DOORBELLS)
		return -EINVAL;
	/* The register write is the doorbell on a real link; the eventfd is
	 * what the emulated one delivers. */
	VMSG_WRITE_ONCE32(&r->doorbell[idx], value);
	vmsg_mb();
	return ivs_client_ring(&s->ivs, idx);
}

static uint32_t sim_num_vectors(struct vmsg_link *l)
{
	return to_sim(l)->ivs.n_own_fd;
}

static int sim_wait_irq(struct vmsg_link *l, uint32_t vec, int timeout_ms)
{
	struct link_sim *s = to_sim(l);
	struct pollfd pfd;
	uint64_t cnt;
	int pr;

	if (vec >= s->ivs.n_own_fd)
		return -EINVAL;
	pfd.fd = s->ivs.own_fd[vec];
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

	return vec < s->ivs.n_own_fd ? s->ivs.own_fd[vec] : -1;
}

static int sim_peer_alive(struct vmsg_link *l)
{
	struct link_sim *s = to_sim(l);

	if (s->ivs.sock < 0)
		return 0;
	return ivs_client_card_alive(&s->ivs) ? 1 : 0;
}

static int sim_set_dma_bits(struct vmsg_link *l, uint32_t bits)
{
	return hostmem_set_dma_bits(&to_sim(l)->hm, bits);
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
	if (!p || !p->sock_path || (!p->mem_path && !p->mem_base))
		return -EINVAL;
	if (p->mem_base && (!p->mem_size || ((uintptr_t)p->mem_base | p->mem_dma) % 4096))
		return -EINVAL;
	size = p->mem_size ? p->mem_size : SIM_DEFAULT_MEM;
	if (size < 2 * SIM_MEM_GUARD || size % 4096)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->link.ops = &sim_ops;
	s->ivs.sock = -1;
	s->ivs.shm_fd = -1;
	s->ivs.id = -1;
	s->mem_fd = -1;
	s->quiet = p->quiet;
	s->sock_path = strdup(p->sock_path);
	if (!s->sock_path) {
		free(s);
		return -ENOMEM;
	}
	if (p->mem_base)
		ret = hostmem_init(&s->hm, p->mem_base, size, p->mem_dma, SIM_MEM_GUARD);
	else
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
	return l && l->ops == &sim_ops ? to_sim(l)->ivs.id : -1;
}
