// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * platform_sim.c - the emulated PCIe link (BAR0 file + ivshmem server +
 * host RAM file) as a vmsg_card_platform.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host_copy.h"
#include "card_platform.h"
#include "vcard_log.h"
#include "vmsg_barrier.h"
#include "vmsg_ivshmem.h"
#include "platform_sim.h"
#include "sim_hostmem.h"

struct sim_link {
	struct sim_opts o;
	char bar0_path[PATH_MAX];
	int bar0_fd;
	volatile uint8_t *bar0; /* the shared memory: BAR0, then the link page */
	size_t shm_size;
	size_t bar0_size;
	volatile struct vmsg_emu_page *page;
	struct ivs_server *ivs;
	struct sim_hostmem hm;
	uint32_t last_host_ctrl;
	uint64_t last_host_gen;
	int last_host_id; /* -1: none */
	bool host_lost;	  /* the previous host disconnected or was replaced */
	uint64_t hosts_lost;
	uint64_t irqs, irqs_lost, irq_errors, doorbells;
	bool warned_no_host;
};

/* ---- platform ops for the engine ---- */

static int sim_host_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct sim_link *l = ctx;
	const uint8_t *p;

	if (len == 0)
		return 0;
	p = sim_hostmem_ptr(&l->hm, addr, len);
	if (!p)
		return -EFAULT;
	card_host_copy(dst, p, len);
	return 0;
}

static int sim_host_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	struct sim_link *l = ctx;
	uint8_t *p;

	if (len == 0)
		return 0;
	p = sim_hostmem_ptr(&l->hm, addr, len);
	if (!p)
		return -EFAULT;
	card_host_copy(p, src, len);
	return 0;
}

static volatile void *sim_host_map(void *ctx, uint64_t addr, size_t len)
{
	struct sim_link *l = ctx;

	return sim_hostmem_ptr(&l->hm, addr, len);
}

/* The host's RAM file is mapped here: the OS may do I/O on it directly. */
static void *sim_host_direct(void *ctx, uint64_t addr, size_t len)
{
	struct sim_link *l = ctx;

	return sim_hostmem_ptr(&l->hm, addr, len);
}

static int sim_raise_irq(void *ctx, uint32_t vector)
{
	struct sim_link *l = ctx;
	int r = ivs_server_notify_host(l->ivs, vector);

	if (r == 0) {
		l->irqs++;
		l->warned_no_host = false;
		return 0;
	}
	if (r == -ENOTCONN) {
		/* Like MSI-X with nobody listening: the interrupt is lost. */
		l->irqs_lost++;
		if (!l->warned_no_host)
			card_warn("sim: interrupt on vector %u lost: no host connected", vector);
		l->warned_no_host = true;
		return 0;
	}
	l->irq_errors++;
	card_warn("sim: raising vector %u failed: %s", vector, strerror(-r));
	return r;
}

static uint64_t sim_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- event loop hooks ---- */

static int sim_max_pollfds(void *priv)
{
	struct sim_link *l = priv;

	return ivs_server_max_pollfds(l->ivs);
}

static int sim_pollfds(void *priv, struct pollfd *pfd, int max)
{
	struct sim_link *l = priv;

	return ivs_server_pollfds(l->ivs, pfd, max);
}

static bool sim_rang(struct sim_link *l, uint32_t rang)
{
	if (!rang)
		return false;
	if (rang & (1u << VMSG_DB_CTRL))
		sim_hostmem_invalidate(&l->hm);
	l->doorbells += (uint64_t)__builtin_popcount(rang);
	return true;
}

static bool sim_handle(void *priv, const struct pollfd *pfd, int n)
{
	struct sim_link *l = priv;

	return sim_rang(l, ivs_server_handle(l->ivs, pfd, n));
}

/* Notice an ATTACH (or a new host) before the engine handles it, so that
 * the host RAM file is re-opened at the first access that follows. */
static void sim_before_card_poll(void *priv)
{
	struct sim_link *l = priv;
	volatile struct vmsg_pcie_regs *regs = (volatile struct vmsg_pcie_regs *)l->bar0;
	uint32_t ctrl = vmsg_le32_to_cpu(regs->host_ctrl);
	uint64_t gen = ivs_server_host_generation(l->ivs);

	if (ctrl != l->last_host_ctrl) {
		l->last_host_ctrl = ctrl;
		if (ctrl == VMSG_HOST_CTRL_ATTACH)
			sim_hostmem_invalidate(&l->hm);
	}
	if (gen != l->last_host_gen) {
		int id = ivs_server_host_id(l->ivs);

		l->last_host_gen = gen;
		sim_hostmem_invalidate(&l->hm);
		/* Like a link down or hot reset on real PCIe: the previous host's
		 * session cannot continue (its interrupts now go elsewhere). */
		if (l->last_host_id >= 0 && id != l->last_host_id) {
			card_info("sim: host peer %d is gone: ending its session", l->last_host_id);
			l->host_lost = true;
			l->hosts_lost++;
		}
		l->last_host_id = id;
	}
}

static bool sim_take_host_lost(void *priv)
{
	struct sim_link *l = priv;
	bool lost = l->host_lost;

	l->host_lost = false;
	return lost;
}

static size_t sim_describe(void *priv, char *buf, size_t len)
{
	struct sim_link *l = priv;
	int host = ivs_server_host_id(l->ivs);
	char hostbuf[16];
	int n;

	if (host >= 0)
		snprintf(hostbuf, sizeof(hostbuf), "%d", host);
	else
		snprintf(hostbuf, sizeof(hostbuf), "none");
	n = snprintf(buf, len,
		     "platform sim\n"
		     "sim.link_dir %s\n"
		     "sim.shm %s %zu\n"
		     "sim.bar0 %zu\n"
		     "sim.vectors %u\n"
		     "sim.clients %u\n"
		     "sim.host_peer %s\n"
		     "sim.hosts_lost %llu\n"
		     "sim.host_mem %s\n"
		     "sim.host_mem_mapped %zu\n"
		     "sim.host_mem_maps %llu\n"
		     "sim.host_mem_refused %llu\n"
		     "sim.doorbells %llu\n"
		     "sim.irqs_raised %llu\n"
		     "sim.irqs_lost %llu\n"
		     "sim.irq_errors %llu\n",
		     l->o.dir, l->bar0_path, l->shm_size, l->bar0_size, l->o.vectors,
		     ivs_server_num_clients(l->ivs), hostbuf, (unsigned long long)l->hosts_lost,
		     l->o.host_mem ? l->o.host_mem : "none", l->hm.map ? l->hm.size : 0,
		     (unsigned long long)l->hm.maps, (unsigned long long)l->hm.refused,
		     (unsigned long long)l->doorbells, (unsigned long long)l->irqs,
		     (unsigned long long)l->irqs_lost, (unsigned long long)l->irq_errors);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

/* [EMU-7] The card's half of the emulated link page: what an endpoint
 * controller puts in config space (the binding's ids from fw_shared), the
 * BAR0 size and the card's peer id; the magic last. */
static void sim_write_page(struct sim_link *l)
{
	volatile struct vmsg_emu_page *p = l->page;

	p->hdr_magic = 0;
	vmsg_mb();
	p->hdr_version = vmsg_cpu_to_le32(VMSG_EMU_PAGE_VERSION);
	p->vendor_id = vmsg_cpu_to_le16(VMSG_PCIE_VENDOR_ID);
	p->device_id = vmsg_cpu_to_le16(VMSG_PCIE_DEVICE_ID);
	p->subsys_vendor_id = vmsg_cpu_to_le16(VMSG_PCIE_SUBSYS_VENDOR_ID);
	p->subsys_id = vmsg_cpu_to_le16(VMSG_PCIE_SUBSYS_ID);
	p->class_rev = vmsg_cpu_to_le32(VMSG_PCIE_CLASS << 8);
	p->bar0_size = vmsg_cpu_to_le32((uint32_t)l->bar0_size);
	p->card_peer_id = vmsg_cpu_to_le32(VMSG_EMU_CARD_PEER_ID);
	for (unsigned int i = 0; i < sizeof(p->hdr_reserved) / sizeof(p->hdr_reserved[0]); i++)
		p->hdr_reserved[i] = 0;
	vmsg_mb();
	p->hdr_magic = vmsg_cpu_to_le32(VMSG_EMU_HDR_MAGIC);
	vmsg_mb();
}

/* The card is gone: its header is no longer valid (magic first). */
static void sim_clear_page(struct sim_link *l)
{
	volatile struct vmsg_emu_page *p = l->page;

	if (!p)
		return;
	p->hdr_magic = 0;
	vmsg_mb();
	for (unsigned int i = 1; i < offsetof(struct vmsg_emu_page, wire_magic) / 4; i++)
		((volatile uint32_t *)p)[i] = 0;
	l->page = NULL;
}

static void sim_destroy(void *priv)
{
	struct sim_link *l = priv;

	if (!l)
		return;
	ivs_server_destroy(l->ivs);
	sim_hostmem_fini(&l->hm);
	sim_clear_page(l);
	if (l->bar0)
		munmap((void *)l->bar0, l->shm_size);
	if (l->bar0_fd >= 0)
		close(l->bar0_fd);
	if (l->bar0_path[0] && unlink(l->bar0_path) < 0 && errno != ENOENT)
		card_warn("sim: cannot remove %s: %s", l->bar0_path, strerror(errno));
	free(l);
}

static const struct card_link_ops sim_link_ops = {
    .name = "sim",
    .max_pollfds = sim_max_pollfds,
    .pollfds = sim_pollfds,
    .handle = sim_handle,
    .before_card_poll = sim_before_card_poll,
    .take_host_lost = sim_take_host_lost,
    .describe = sim_describe,
    .destroy = sim_destroy,
};

/* A fresh BAR0 file every run: a QEMU still holding the previous one keeps
 * its own (dead) copy instead of seeing this card's registers change under
 * it. */
static int make_bar0(struct sim_link *l)
{
	void *m;
	int n;

	n = snprintf(l->bar0_path, sizeof(l->bar0_path), "%s/%s", l->o.dir, SIM_BAR0_NAME);
	if (n < 0 || (size_t)n >= sizeof(l->bar0_path)) {
		card_err("sim: link directory path %s is too long", l->o.dir);
		l->bar0_path[0] = '\0';
		return -1;
	}
	if (unlink(l->bar0_path) < 0 && errno != ENOENT) {
		card_err("sim: cannot remove stale %s: %s", l->bar0_path, strerror(errno));
		l->bar0_path[0] = '\0';
		return -1;
	}
	l->bar0_fd = open(l->bar0_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->bar0_fd < 0) {
		card_err("sim: create %s: %s", l->bar0_path, strerror(errno));
		l->bar0_path[0] = '\0';
		return -1;
	}
	if (ftruncate(l->bar0_fd, (off_t)l->o.shm_size) < 0) {
		card_err("sim: size %s to %llu bytes: %s", l->bar0_path,
			 (unsigned long long)l->o.shm_size, strerror(errno));
		return -1;
	}
	m = mmap(NULL, (size_t)l->o.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, l->bar0_fd, 0);
	if (m == MAP_FAILED) {
		card_err("sim: mmap %s: %s", l->bar0_path, strerror(errno));
		return -1;
	}
	l->bar0 = m;
	l->shm_size = (size_t)l->o.shm_size;
	l->bar0_size = l->shm_size - VMSG_EMU_PAGE_SIZE;
	l->page = (volatile struct vmsg_emu_page *)(l->bar0 + l->bar0_size);
	sim_write_page(l);
	return 0;
}

int sim_link_create(const struct sim_opts *o, struct card_link *link)
{
	char sock_path[PATH_MAX];
	struct sim_link *l;
	int n;

	if (o->shm_size < SIM_MIN_SHM_SIZE || o->shm_size > SIM_MAX_SHM_SIZE ||
	    (o->shm_size & (o->shm_size - 1))) {
		card_err("sim: shared memory size %llu: must be a power of two in [%llu, %llu] "
			 "(QEMU ivshmem needs a power of two)",
			 (unsigned long long)o->shm_size, (unsigned long long)SIM_MIN_SHM_SIZE,
			 (unsigned long long)SIM_MAX_SHM_SIZE);
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		card_err("sim: out of memory");
		return -1;
	}
	l->o = *o;
	l->bar0_fd = -1;
	sim_hostmem_init(&l->hm, o->host_mem, o->host_mem_lowmem, o->dma_addr_bits);
	if (make_bar0(l) < 0)
		goto fail;
	n = snprintf(sock_path, sizeof(sock_path), "%s/%s", o->dir, SIM_SOCK_NAME);
	if (n < 0 || (size_t)n >= sizeof(sock_path)) {
		card_err("sim: link directory path %s is too long", o->dir);
		goto fail;
	}
	l->ivs = ivs_server_create(sock_path, l->bar0_fd, o->vectors, true, vcard_log);
	if (!l->ivs)
		goto fail;
	/* [EMU-7]: the card is the server here, so it keeps the wire section. */
	ivs_server_set_wire(l->ivs, (void *)(uintptr_t)l->page);
	l->last_host_gen = ivs_server_host_generation(l->ivs);
	l->last_host_id = -1;

	memset(link, 0, sizeof(*link));
	link->ops = &sim_link_ops;
	link->priv = l;
	link->plat.ctx = l;
	link->plat.bar0 = l->bar0;
	link->plat.bar0_size = l->bar0_size;
	link->plat.host_read = sim_host_read;
	link->plat.host_write = sim_host_write;
	link->plat.host_map = sim_host_map;
	link->plat.host_direct = sim_host_direct;
	link->plat.raise_irq = sim_raise_irq;
	link->plat.now_ns = sim_now_ns;
	link->plat.zalloc = card_platform_zalloc;
	link->plat.free = card_platform_free;
	link->plat.log = card_platform_log;
	link->num_vectors = o->vectors;
	link->dma_addr_bits = o->dma_addr_bits;
	/* [OOB-1]: the engine watches every doorbell register on each poll, and
	 * any ivshmem vector wakes the loop ([EMU-4]); vectors are the host's. */
	link->num_doorbells = VMSG_PCIE_MAX_DOORBELLS;
	link->card_features = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_ERROR_MSG |
			      VMSG_PCIE_F_OOB_NOTIFY;
	card_info("sim: shared memory %s (%zu bytes: BAR0 %zu + link page), host memory %s",
		  l->bar0_path, l->shm_size, l->bar0_size, o->host_mem ? o->host_mem : "none");
	if (!o->host_mem)
		card_warn("sim: no --host-mem: the card cannot reach host memory, so every "
			  "ATTACH is refused (its c2h ring lives in host memory)");
	return 0;
fail:
	sim_destroy(l);
	return -1;
}

/* ---- the registry entry: options and creation ---- */

enum { SIM_OPT_HOST_MEM, SIM_OPT_HOST_MEM_LOWMEM, SIM_OPT_SHM_SIZE, SIM_OPT_VECTORS };

static const struct card_platform_opt sim_opts_table[] = {
    [SIM_OPT_HOST_MEM] =
	{"host-mem", "FILE",
	 "        The host's RAM as a shared file; without it the card cannot reach\n"
	 "        host memory and every ATTACH is refused.\n"},
    [SIM_OPT_HOST_MEM_LOWMEM] =
	{"host-mem-lowmem", "SIZE",
	 "        The file is a q35 guest's RAM split at SIZE (QEMU does this\n"
	 "        from 2.75 GiB of RAM up, with SIZE 2G): DMA addresses below\n"
	 "        SIZE are file offsets, the rest of the file is at 4 GiB.\n"
	 "        Without this option files of 2.75 GiB or more are refused.\n"},
    [SIM_OPT_SHM_SIZE] = {"shm-size", "SIZE",
			  "        ivshmem shared memory size, a power of two from 128K to 1G:\n"
			  "        BAR0 is SIZE minus the 4 KiB link page. Default 128K.\n"},
    [SIM_OPT_VECTORS] = {"vectors", "N",
			 "        ivshmem vectors per peer (doorbells and interrupts), 2..32.\n"
			 "        Default 8; must match QEMU's ivshmem-doorbell vectors=N.\n"},
};

static void *sim_opts_new(void)
{
	struct sim_opts *so = calloc(1, sizeof(*so));

	if (so) {
		so->shm_size = SIM_MIN_SHM_SIZE;
		so->vectors = SIM_DEFAULT_VECTORS;
	}
	return so;
}

static void sim_opts_free(void *popts)
{
	free(popts);
}

static int sim_parse_opt(void *popts, unsigned int idx, const char *arg)
{
	struct sim_opts *so = popts;

	switch (idx) {
	case SIM_OPT_HOST_MEM:
		if (!*arg) {
			cli_usage_error("--host-mem: empty file name");
			return -1;
		}
		so->host_mem = arg;
		return 0;
	case SIM_OPT_HOST_MEM_LOWMEM:
		if (cli_parse_size(arg, &so->host_mem_lowmem) < 0 || so->host_mem_lowmem == 0 ||
		    so->host_mem_lowmem > SIM_4G || (so->host_mem_lowmem & 0xfffff)) {
			cli_usage_error("--host-mem-lowmem '%s': expected a size in (0, 4G], a "
					"multiple of 1M (q35: 2G)",
					arg);
			return -1;
		}
		return 0;
	case SIM_OPT_SHM_SIZE:
		if (cli_parse_size(arg, &so->shm_size) < 0 || so->shm_size < SIM_MIN_SHM_SIZE ||
		    so->shm_size > SIM_MAX_SHM_SIZE || (so->shm_size & (so->shm_size - 1))) {
			cli_usage_error("--shm-size '%s': expected a power of two from 128K to 1G "
					"(QEMU ivshmem needs a power of two)",
					arg);
			return -1;
		}
		return 0;
	case SIM_OPT_VECTORS:
		if (cli_parse_u32(arg, 2, VMSG_PCIE_MAX_VECTORS, &so->vectors) < 0) {
			cli_usage_error("--vectors '%s': expected 2..32", arg);
			return -1;
		}
		return 0;
	default:
		return -1;
	}
}

static int sim_check(void *popts, const struct card_opts *o)
{
	struct sim_opts *so = popts;

	(void)o;
	if (so->host_mem_lowmem && !so->host_mem) {
		cli_usage_error("--host-mem-lowmem needs --host-mem FILE");
		return -1;
	}
	return 0;
}

static int sim_create(const void *popts, const struct card_opts *o, struct card_link *link)
{
	struct sim_opts so = *(const struct sim_opts *)popts;

	so.dir = o->link_dir;
	so.dma_addr_bits = o->dma_addr_bits;
	return sim_link_create(&so, link);
}

const struct card_platform card_platform_sim = {
    .name = "sim",
    .summary = "an emulated PCIe link on one machine (QEMU ivshmem-doorbell)",
    .manual = "        The ivshmem shared memory is the file DIR/bar0 (a power of two in\n"
	      "        size), served with QEMU's ivshmem server protocol on the UNIX socket\n"
	      "        DIR/ivshmem.sock, so that QEMU's ivshmem-doorbell device (as BAR2 of\n"
	      "        the guest's device) or the user-space host library can map it. BAR0\n"
	      "        is all of it but the last 4 KiB, the emulated link page, where the\n"
	      "        card publishes the binding's PCI ids and the BAR0 size (cleared at\n"
	      "        exit) and the server which peer is the host. The card is ivshmem\n"
	      "        peer 0: a host ringing peer 0 vector N rings doorbell N (0: h2c\n"
	      "        ring, 1: host_ctrl). Clients get ids from 1; the most recently\n"
	      "        connected client is the host, whose vector V the card raises as\n"
	      "        interrupt V; when the host disconnects or is replaced, its session\n"
	      "        ends as on a link down. The host's RAM is the shared file given\n"
	      "        with --host-mem (QEMU memory-backend-file,share=on, or the host\n"
	      "        library's file): a host DMA address is an offset in that file. It\n"
	      "        is opened at the first host access after each ATTACH, and every\n"
	      "        access is checked against its size and the DMA width.\n",
    .opts = sim_opts_table,
    .n_opts = sizeof(sim_opts_table) / sizeof(sim_opts_table[0]),
    .opts_new = sim_opts_new,
    .opts_free = sim_opts_free,
    .parse_opt = sim_parse_opt,
    .check = sim_check,
    .create = sim_create,
};
