// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * sim_hostmem.c - lazy, bounds-checked mapping of the host RAM file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcard_log.h"
#include "sim_hostmem.h"

void sim_hostmem_init(struct sim_hostmem *h, const char *path, uint64_t lowmem,
		      uint32_t dma_addr_bits)
{
	memset(h, 0, sizeof(*h));
	h->path = path;
	h->lowmem = lowmem;
	h->dma_limit = dma_addr_bits >= 64 ? 0 : 1ull << dma_addr_bits;
	h->stale = true;
}

static void unmap(uint8_t **map, size_t *size)
{
	if (*map)
		munmap(*map, *size);
	*map = NULL;
	*size = 0;
}

/*
 * A mapping two ATTACHes old: its pages go, its addresses stay reserved
 * (PROT_NONE, no memory behind them) for the life of the process. Backends
 * hand host memory pointers to the kernel for asynchronous I/O
 * (vmsg_dev_host_direct); one that is still running then must fault
 * (EFAULT), never land in a later mapping that reused the addresses.
 * Costs address space only: the file's size per host restart.
 */
static void retire(uint8_t **map, size_t *size)
{
	if (*map &&
	    mmap(*map, *size, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		munmap(*map, *size); /* no reservation: at least the pages go */
	*map = NULL;
	*size = 0;
}

void sim_hostmem_fini(struct sim_hostmem *h)
{
	unmap(&h->map, &h->size);
	unmap(&h->old_map, &h->old_size);
}

void sim_hostmem_invalidate(struct sim_hostmem *h)
{
	h->stale = true;
	h->warned = false;
}

#define hm_fail(h, ...)                                                                            \
	do {                                                                                       \
		if (!(h)->warned)                                                                  \
			card_err(__VA_ARGS__);                                                     \
		(h)->warned = true;                                                                \
	} while (0)

static int remap(struct sim_hostmem *h)
{
	struct stat st;
	uint8_t *m;
	int fd;

	if (!h->path) {
		hm_fail(h, "host memory: the host accessed DMA memory but no --host-mem FILE "
			   "was given");
		return -1;
	}
	fd = open(h->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		hm_fail(h, "host memory: open %s: %s", h->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		hm_fail(h, "host memory: stat %s: %s", h->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		hm_fail(h, "host memory: %s is not a non-empty regular file", h->path);
		goto fail;
	}
	if (h->map && st.st_dev == h->dev && st.st_ino == h->ino && (size_t)st.st_size == h->size) {
		close(fd); /* same file, same size: keep the mapping */
		h->stale = false;
		return 0;
	}
	if ((uint64_t)st.st_size >= SIM_Q35_SPLIT_THRESHOLD && h->lowmem == 0) {
		hm_fail(h,
			"host memory: %s is %lld bytes; a q35 guest that big splits its RAM at "
			"2 GiB, which needs --host-mem-lowmem 2G (or use a smaller file)",
			h->path, (long long)st.st_size);
		goto fail;
	}
	if (h->lowmem && (uint64_t)st.st_size <= h->lowmem) {
		hm_fail(h, "host memory: %s (%lld bytes) is not larger than --host-mem-lowmem",
			h->path, (long long)st.st_size);
		goto fail;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		hm_fail(h, "host memory: %s is too big to map", h->path);
		goto fail;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		hm_fail(h, "host memory: mmap %s (%lld bytes): %s", h->path, (long long)st.st_size,
			strerror(errno));
		goto fail;
	}
	close(fd);
	retire(&h->old_map, &h->old_size);
	h->old_map = h->map;
	h->old_size = h->size;
	h->map = m;
	h->size = (size_t)st.st_size;
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->stale = false;
	h->maps++;
	card_info("host memory: mapped %s (%zu bytes%s)", h->path, h->size,
		  h->lowmem ? ", q35 split layout" : "");
	return 0;
fail:
	close(fd);
	return -1;
}

/* DMA address to file offset; false when the range is not RAM. */
static bool translate(const struct sim_hostmem *h, uint64_t addr, uint64_t len, uint64_t *off)
{
	uint64_t end = addr + len;

	if (len == 0 || end < addr)
		return false;
	if (h->dma_limit && end > h->dma_limit)
		return false;
	if (!h->lowmem) {
		*off = addr;
	} else if (end <= h->lowmem) {
		*off = addr;
	} else if (addr >= SIM_4G) {
		*off = h->lowmem + (addr - SIM_4G);
		if (*off < h->lowmem) /* overflow */
			return false;
	} else {
		return false; /* in or across the PCI hole */
	}
	return *off <= h->size && len <= h->size - *off;
}

uint8_t *sim_hostmem_ptr(struct sim_hostmem *h, uint64_t addr, size_t len)
{
	uint64_t off;

	if (h->stale && remap(h) < 0)
		return NULL;
	if (!h->map || !translate(h, addr, len, &off)) {
		h->refused++;
		return NULL;
	}
	return h->map + off;
}
