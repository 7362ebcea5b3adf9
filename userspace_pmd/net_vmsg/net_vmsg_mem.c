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
 */
#include "net_vmsg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_malloc.h>
#include <rte_memory.h>

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

void net_vmsg_mem_teardown(struct net_vmsg_priv *p)
{
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
