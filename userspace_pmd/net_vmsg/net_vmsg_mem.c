// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * net_vmsg_mem.c - zero copy on the emulated link: the card reaches the
 * mbufs where DPDK put them.
 *
 * The soft card (vmsg-card --platform sim) maps "host memory" from the file
 * named by its --host-mem PATH, re-opened at every ATTACH; a DMA address is
 * an offset in that file. DPDK 22.11 started with --no-huge keeps all of
 * its memory in one memfd (memseg list 0, single-file segments, offset =
 * va - base). So the memory table here is that one file: every memseg must
 * report the same fd and the same va - offset, and the PMD publishes the
 * memfd at PATH as a symlink to /proc/<pid>/fd/<memfd> (the card's open()
 * follows it to the very same memory; the card and the application must run
 * as the same user, or the card as root). The library's own host memory
 * (host area, rings) is carved out of DPDK memory too, so everything the card
 * touches lives in that file. A DMA address is then va - mem_delta: no
 * lookup, no bounce buffer.
 *
 * Hugepage memory (several memseg lists, one fd each, or one fd per page)
 * would need a memory table of several files on the card: not done, refused.
 *
 * On the vfio link (pci=ADDR) the card reaches host memory by DMA address
 * through the function: the PMD maps every DPDK memory segment at its IOVA
 * in the link's VFIO container (vmsg_link_vfio_dma_map), now and as DPDK
 * allocates more (a memory event callback), so an mbuf's DMA address is its
 * buf_iova. Where the card reads by physical address (vfio no-IOMMU mode,
 * or the emulated link's ivshmem device) the IOVA must be the physical
 * address: DPDK in --iova-mode=pa, checked by the library. The library's
 * own memory (host area, rings) is an IOVA-contiguous memzone.
 */
#include "net_vmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include "vmsg_host_link.h"

struct mem_walk {
	int fd;
	uintptr_t delta;
	uint64_t end; /* highest file offset + length seen */
	int err;
	const char *why;
};

static int mem_walk_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct mem_walk *w = arg;
	size_t off = 0;
	int fd;

	(void)msl;
	if (ms->addr == NULL || ms->len == 0)
		return 0;
	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0 || rte_memseg_get_fd_offset_thread_unsafe(ms, &off) < 0) {
		w->err = -ENOTSUP;
		w->why = "a DPDK memory segment has no file descriptor (start the application "
			 "with --no-huge, which keeps DPDK memory in one memfd)";
		return -1;
	}
	if (w->fd < 0) {
		w->fd = fd;
		w->delta = (uintptr_t)ms->addr - off;
	} else if (fd != w->fd || (uintptr_t)ms->addr - off != w->delta) {
		w->err = -ENOTSUP;
		w->why = "DPDK memory spans several files (hugepages); the card maps one "
			 "file: start the application with --no-huge";
		return -1;
	}
	if (off + ms->len > w->end)
		w->end = off + ms->len;
	return 0;
}

static int publish(struct net_vmsg_priv *p)
{
	char target[64], tmp[PATH_MAX];
	int n;

	snprintf(target, sizeof(target), "/proc/%d/fd/%d", (int)getpid(), p->mem_fd);
	n = snprintf(tmp, sizeof(tmp), "%s.net_vmsg.%d", p->host_mem, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, p->host_mem) < 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	p->published = true;
	return 0;
}

int net_vmsg_mem_setup(struct net_vmsg_priv *p)
{
	struct mem_walk w = {.fd = -1};
	struct stat st;
	uint64_t dma;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		VLOG(ERR, "%s: only a primary process can drive the card", p->name);
		return -ENOTSUP;
	}
	rte_mcfg_mem_read_lock();
	ret = rte_memseg_walk_thread_unsafe(mem_walk_cb, &w);
	rte_mcfg_mem_read_unlock();
	if (ret < 0 || w.err) {
		VLOG(ERR, "%s: zero copy impossible: %s", p->name,
		     w.why ? w.why : "memory walk failed");
		return w.err ? w.err : -EIO;
	}
	if (w.fd < 0) {
		VLOG(ERR, "%s: no DPDK memory found", p->name);
		return -ENOMEM;
	}
	if (fstat(w.fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < w.end) {
		VLOG(ERR, "%s: DPDK's memory fd %d is not a file covering its segments", p->name,
		     w.fd);
		return -ENOTSUP;
	}
	p->mem_fd = w.fd;
	p->mem_size = (uint64_t)st.st_size;
	p->mem_delta = w.delta;

	p->link_mem = rte_zmalloc("net_vmsg_link", NET_VMSG_LINK_MEM, 4096);
	if (!p->link_mem) {
		VLOG(ERR, "%s: cannot allocate %u bytes of DPDK memory for the rings", p->name,
		     NET_VMSG_LINK_MEM);
		return -ENOMEM;
	}
	dma = net_vmsg_dma(p, p->link_mem);
	if (dma >= p->mem_size || NET_VMSG_LINK_MEM > p->mem_size - dma) {
		VLOG(ERR, "%s: ring memory is outside DPDK's memfd", p->name);
		return -EFAULT;
	}
	ret = publish(p);
	if (ret < 0) {
		VLOG(ERR, "%s: cannot publish DPDK memory at %s: %s", p->name, p->host_mem,
		     strerror(-ret));
		return ret;
	}
	VLOG(INFO, "%s: zero copy: DPDK memfd (%llu bytes) published at %s", p->name,
	     (unsigned long long)p->mem_size, p->host_mem);
	return 0;
}

int net_vmsg_mem_setup_vfio(struct net_vmsg_priv *p)
{
	char mzname[RTE_MEMZONE_NAMESIZE];

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		VLOG(ERR, "%s: only a primary process can drive the card", p->name);
		return -ENOTSUP;
	}
	snprintf(mzname, sizeof(mzname), "vmsg_%u", (unsigned int)p->port_id);
	p->mz = rte_memzone_reserve_aligned(mzname, NET_VMSG_VFIO_MEM, SOCKET_ID_ANY,
					    RTE_MEMZONE_IOVA_CONTIG, 4096);
	if (!p->mz || p->mz->iova == RTE_BAD_IOVA) {
		VLOG(ERR,
		     "%s: cannot reserve %u bytes of IOVA-contiguous DPDK memory for the rings "
		     "(%s)%s",
		     p->name, NET_VMSG_VFIO_MEM, rte_strerror(rte_errno),
		     rte_eal_has_hugepages() ? "" : "; start DPDK with huge pages, not --no-huge");
		return -ENOMEM;
	}
	memset(p->mz->addr, 0, p->mz->len);
	return 0;
}

struct vfio_walk {
	struct net_vmsg_priv *p;
	int err;
};

static int map_seg(struct net_vmsg_priv *p, const struct rte_memseg *ms)
{
	int ret;

	if (ms->iova == RTE_BAD_IOVA) {
		VLOG(ERR,
		     "%s: DPDK memory at %p has no IOVA (--no-huge?): start DPDK with huge "
		     "pages",
		     p->name, ms->addr);
		return -EINVAL;
	}
	ret = vmsg_link_vfio_dma_map(p->link, ms->addr, ms->len, ms->iova);
	if (ret)
		VLOG(ERR,
		     "%s: DPDK memory at %p (IOVA %#" PRIx64 ", %zu bytes) not reachable by "
		     "the card: %s",
		     p->name, ms->addr, (uint64_t)ms->iova, ms->len, strerror(-ret));
	return ret;
}

static int vfio_walk_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct vfio_walk *w = arg;

	if (msl->external || ms->addr == NULL || ms->len == 0)
		return 0;
	w->err = map_seg(w->p, ms);
	return w->err ? -1 : 0;
}

/* DPDK allocated or freed memory: map or unmap its segments. */
static void mem_event_cb(enum rte_mem_event ev, const void *addr, size_t len, void *arg)
{
	struct net_vmsg_priv *p = arg;
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(addr);
	const char *cur = addr, *end = cur + len;

	if (!msl || msl->external)
		return;
	while (cur < end) {
		const struct rte_memseg *ms = rte_mem_virt2memseg(cur, msl);

		if (!ms || ms->len == 0)
			break;
		if (ev == RTE_MEM_EVENT_ALLOC)
			map_seg(p, ms);
		else
			vmsg_link_vfio_dma_unmap(p->link, ms->iova, ms->len);
		cur = (const char *)ms->addr + ms->len;
	}
}

int net_vmsg_mem_map_vfio(struct net_vmsg_priv *p)
{
	struct vfio_walk w = {.p = p};
	int ret;

	if (vmsg_link_vfio_identity(p->link) && rte_eal_iova_mode() != RTE_IOVA_PA) {
		VLOG(ERR,
		     "%s: this card reads host memory by physical address (%s): start DPDK with "
		     "--iova-mode=pa (huge pages, as root)",
		     p->name, "the emulated link's ivshmem device, or vfio no-IOMMU mode");
		return -EINVAL;
	}
	/* under the memory hotplug lock: no allocation slips between the walk
	 * and the callback */
	rte_mcfg_mem_read_lock();
	ret = rte_memseg_walk_thread_unsafe(vfio_walk_cb, &w);
	if (ret >= 0 && !w.err) {
		ret = rte_mem_event_callback_register(p->name, mem_event_cb, p);
		if (ret == 0)
			p->mem_cb = true;
		else
			VLOG(ERR, "%s: cannot follow DPDK memory allocations: %s", p->name,
			     rte_strerror(rte_errno));
	}
	rte_mcfg_mem_read_unlock();
	if (w.err)
		return w.err;
	if (ret < 0)
		return -EIO;
	VLOG(NOTICE, "%s: zero copy: DPDK memory mapped for the card at its IOVA (%s mode)",
	     p->name, rte_eal_iova_mode() == RTE_IOVA_PA ? "PA" : "VA");
	return 0;
}

void net_vmsg_mem_unfollow(struct net_vmsg_priv *p)
{
	if (p->mem_cb) {
		rte_mem_event_callback_unregister(p->name, p);
		p->mem_cb = false;
	}
}

void net_vmsg_mem_teardown(struct net_vmsg_priv *p)
{
	net_vmsg_mem_unfollow(p);
	if (p->mz) {
		/* the link (and its container) is gone by now */
		rte_memzone_free(p->mz);
		p->mz = NULL;
	}
	char buf[64], target[64];
	ssize_t n;

	if (p->published) {
		snprintf(target, sizeof(target), "/proc/%d/fd/%d", (int)getpid(), p->mem_fd);
		n = readlink(p->host_mem, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			if (strcmp(buf, target) == 0)
				unlink(p->host_mem);
		}
		p->published = false;
	}
	rte_free(p->link_mem);
	p->link_mem = NULL;
}
