// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * link_vfio.c - the PCI link: a card (or the emulated link's ivshmem
 * device) bound to vfio-pci, reached through VFIO (container + group).
 *
 *   BAR0       the binding's BAR0 is a VFIO region mapped into the process
 *              (BAR 0 of a card; BAR 2 of an ivshmem device, up to its link
 *              page, whose header is checked under the host driver's rule).
 *   doorbells  the BAR0 doorbell register write (and, on the emulated link,
 *              the ivshmem doorbell register naming the card's peer).
 *   vectors    the function's MSI-X vectors, each signalled on an eventfd
 *              (VFIO_DEVICE_SET_IRQS).
 *   memory     one region of host DMA memory. With an IOMMU (type1) it is
 *              mapped at a fixed IOVA; without one (vfio no-IOMMU mode) the
 *              DMA address is the physical address, so the region is made
 *              of huge pages and must be physically contiguous. On the
 *              emulated link the card reads host RAM by guest-physical
 *              address, beside any IOMMU: there the IOVA must be the
 *              physical address in both modes (identity mapping).
 *   fence      clears Bus Master Enable in the function's command register.
 *
 * Every value read from BAR0 is the card's: the bus checks the control
 * block; this file checks the link page and the VFIO answers it uses.
 */
#include "vmsg_host_link.h"
#include "hostmem.h"
#include "vmsg_barrier.h"
#include "vmsg_pcie.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define VFIO_DEFAULT_MEM (8ull << 20)
#define VFIO_MEM_GUARD	 4096u
#define VFIO_IOVA_BASE	 (1ull << 20) /* type1, real card: where host memory sits */
#define VFIO_HUGE	 (2ull << 20)
#define VFIO_EMU_REGS	 0x100u /* ivshmem BAR0 registers */

struct link_vfio {
	struct vmsg_link link;
	char addr[32];
	bool quiet;
	bool emu; /* ivshmem: the binding's BAR0 is BAR 2 */
	bool noiommu;
	int container, group, dev;
	/* the binding's BAR0 */
	void *bar_map;
	size_t bar_map_len;
	size_t bar0_size;
	/* ivshmem registers (emulated link) */
	void *emu_regs;
	size_t emu_regs_len;
	uint64_t cfg_off; /* config space region offset in the device fd */
	int irq_fd[VMSG_PCIE_MAX_VECTORS];
	uint32_t nvec;
	/* host memory */
	void *mem;
	size_t mem_size;
	uint64_t iova;
	bool dma_mapped;
	bool mem_owned; /* mem is ours (else the caller's, mem_base) */
	struct hostmem hm;
};

static struct link_vfio *to_vfio(struct vmsg_link *l)
{
	return (struct link_vfio *)l;
}

static void vf_log(struct link_vfio *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vf_log(struct link_vfio *v, const char *fmt, ...)
{
	va_list ap;

	if (v->quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "vmsg link vfio %s: ", v->addr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int cfg_read(struct link_vfio *v, uint32_t off, void *buf, size_t len)
{
	ssize_t n = pread(v->dev, buf, len, (off_t)(v->cfg_off + off));

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int cfg_write16(struct link_vfio *v, uint32_t off, uint16_t val)
{
	ssize_t n = pwrite(v->dev, &val, 2, (off_t)(v->cfg_off + off));

	return n == 2 ? 0 : n < 0 ? -errno : -EIO;
}

static int set_master(struct link_vfio *v, bool on)
{
	uint16_t cmd;
	int r = cfg_read(v, PCI_COMMAND, &cmd, 2);

	if (r)
		return r;
	cmd = vmsg_le16_to_cpu(cmd);
	cmd |= PCI_COMMAND_MEMORY;
	if (on)
		cmd |= PCI_COMMAND_MASTER;
	else
		cmd &= (uint16_t)~PCI_COMMAND_MASTER;
	return cfg_write16(v, PCI_COMMAND, vmsg_cpu_to_le16(cmd));
}

static int region_info(struct link_vfio *v, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, ri) < 0 ? -errno : 0;
}

static int map_bar(struct link_vfio *v, uint32_t bar, size_t want, int prot, void **map,
		   size_t *len)
{
	struct vfio_region_info ri;
	void *p;
	int r = region_info(v, VFIO_PCI_BAR0_REGION_INDEX + bar, &ri);

	if (r)
		return r;
	if (!ri.size || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		vf_log(v, "BAR%u cannot be mapped through VFIO (size %llu, flags %#x)", bar,
		       (unsigned long long)ri.size, ri.flags);
		return -ENODEV;
	}
	if (want == 0 || want > ri.size)
		want = (size_t)ri.size;
	p = mmap(NULL, want, prot, MAP_SHARED, v->dev, (off_t)ri.offset);
	if (p == MAP_FAILED)
		return -errno;
	*map = p;
	*len = want;
	return 0;
}

/* [EMU-7]: the host driver's rule (vmsg_pci's vp_emu_page()). */
static int check_emu_page(struct link_vfio *v)
{
	const volatile uint8_t *pg;
	uint32_t magic, ver, size, class_rev, ids, sub;

	if (v->bar_map_len < (size_t)VMSG_PCIE_BAR0_MIN_SIZE + VMSG_EMU_PAGE_SIZE) {
		vf_log(v, "ivshmem BAR2 (%zu bytes) too small for a card", v->bar_map_len);
		return -ENODEV;
	}
	pg = (const volatile uint8_t *)v->bar_map + v->bar_map_len - VMSG_EMU_PAGE_SIZE;
#define PG32(f)                                                                                    \
	vmsg_le32_to_cpu(*(const volatile uint32_t *)(pg + offsetof(struct vmsg_emu_page, f)))
	magic = PG32(hdr_magic);
	vmsg_rmb();
	ver = PG32(hdr_version);
	ids = PG32(vendor_id);
	sub = PG32(subsys_vendor_id);
	class_rev = PG32(class_rev);
	size = PG32(bar0_size);
#undef PG32
	if (magic != VMSG_EMU_HDR_MAGIC || ver != VMSG_EMU_PAGE_VERSION) {
		vf_log(v, "ivshmem device without a card's link page (magic %#x, version %u)",
		       magic, ver);
		return -ENODEV;
	}
	if (!vmsg_pcie_card_ids_match((uint16_t)ids, (uint16_t)(ids >> 16), (uint16_t)sub,
				      (uint16_t)(sub >> 16), class_rev >> 8)) {
		vf_log(v,
		       "link page ids %04x:%04x (subsystem %04x:%04x, class %06x) not in the id "
		       "table: not a card",
		       ids & 0xffff, ids >> 16, sub & 0xffff, sub >> 16, class_rev >> 8);
		return -ENODEV;
	}
	v->bar0_size = v->bar_map_len - VMSG_EMU_PAGE_SIZE;
	if (size < v->bar0_size)
		v->bar0_size = size;
	if (v->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE) {
		vf_log(v, "link page declares a %u-byte BAR0", size);
		return -ENODEV;
	}
	return 0;
}

static void vfio_disconnect(struct vmsg_link *l)
{
	struct link_vfio *v = to_vfio(l);
	struct vfio_irq_set off = {
	    .argsz = sizeof(off),
	    .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	    .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};

	if (v->nvec)
		ioctl(v->dev, VFIO_DEVICE_SET_IRQS, &off);
	for (uint32_t i = 0; i < v->nvec; i++)
		close(v->irq_fd[i]);
	v->nvec = 0;
	if (v->bar_map)
		munmap(v->bar_map, v->bar_map_len);
	if (v->emu_regs)
		munmap(v->emu_regs, v->emu_regs_len);
	v->bar_map = NULL;
	v->emu_regs = NULL;
	v->bar0_size = 0;
}

static int setup_irqs(struct link_vfio *v)
{
	struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX};
	struct vfio_irq_set *set;
	uint32_t n;
	int r = 0;

	if (ioctl(v->dev, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return -errno;
	n = ii.count < VMSG_PCIE_MAX_VECTORS ? ii.count : VMSG_PCIE_MAX_VECTORS;
	if (!n || !(ii.flags & VFIO_IRQ_INFO_EVENTFD)) {
		vf_log(v, "no MSI-X vectors through VFIO: polling only");
		return 0;
	}
	set = calloc(1, sizeof(*set) + n * sizeof(int32_t));
	if (!set)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		v->irq_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->irq_fd[i] < 0) {
			r = -errno;
			for (uint32_t j = 0; j < i; j++)
				close(v->irq_fd[j]);
			free(set);
			return r;
		}
		((int32_t *)set->data)[i] = v->irq_fd[i];
	}
	set->argsz = (uint32_t)(sizeof(*set) + n * sizeof(int32_t));
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = 0;
	set->count = n;
	if (ioctl(v->dev, VFIO_DEVICE_SET_IRQS, set) < 0) {
		r = -errno;
		vf_log(v, "VFIO_DEVICE_SET_IRQS (MSI-X, %u vectors): %s", n, strerror(errno));
		for (uint32_t i = 0; i < n; i++)
			close(v->irq_fd[i]);
	} else {
		v->nvec = n;
	}
	free(set);
	return r;
}

static int vfio_connect(struct vmsg_link *l, int timeout_ms)
{
	struct link_vfio *v = to_vfio(l);
	int r;

	(void)timeout_ms;
	vfio_disconnect(l);
	r = map_bar(v, v->emu ? VMSG_EMU_SHMEM_BAR : 0, 0, PROT_READ | PROT_WRITE, &v->bar_map,
		    &v->bar_map_len);
	if (r)
		goto fail;
	if (v->emu) {
		r = check_emu_page(v);
		if (!r)
			r = map_bar(v, 0, VFIO_EMU_REGS, PROT_READ | PROT_WRITE, &v->emu_regs,
				    &v->emu_regs_len);
	} else {
		v->bar0_size = v->bar_map_len;
		if (v->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE) {
			vf_log(v, "BAR0 is %zu bytes, under the binding's %u", v->bar0_size,
			       VMSG_PCIE_BAR0_MIN_SIZE);
			r = -ENODEV;
		}
	}
	if (!r)
		r = set_master(v, true);
	if (!r)
		r = setup_irqs(v);
	if (!r)
		return 0;
fail:
	vf_log(v, "connect failed: %s", strerror(-r));
	vfio_disconnect(l);
	return r;
}

static volatile void *vfio_bar0(struct vmsg_link *l, size_t *size)
{
	struct link_vfio *v = to_vfio(l);

	if (size)
		*size = v->bar0_size;
	return v->bar0_size ? v->bar_map : NULL;
}

static int vfio_doorbell(struct vmsg_link *l, uint32_t idx, uint32_t value)
{
	struct link_vfio *v = to_vfio(l);
	volatile struct vmsg_pcie_regs *r = v->bar_map;

	if (!v->bar0_size || idx >= VMSG_PCIE_MAX_DOORBELLS)
		return -EINVAL;
	VMSG_WRITE_ONCE32(&r->doorbell[idx], value);
	if (v->emu) {
		/* the emulated link delivers it as an ivshmem interrupt to the card's peer */
		vmsg_mb();
		VMSG_WRITE_ONCE32(
		    (volatile uint32_t *)((volatile uint8_t *)v->emu_regs + VMSG_EMU_REG_DOORBELL),
		    VMSG_EMU_CARD_PEER_ID << 16 | idx);
	}
	return 0;
}

static uint32_t vfio_num_vectors(struct vmsg_link *l)
{
	return to_vfio(l)->nvec;
}

static int vfio_wait_irq(struct vmsg_link *l, uint32_t vec, int timeout_ms)
{
	struct link_vfio *v = to_vfio(l);
	struct pollfd pfd;
	uint64_t cnt;
	int pr;

	if (vec >= v->nvec)
		return -EINVAL;
	pfd.fd = v->irq_fd[vec];
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

static int vfio_irq_fd(struct vmsg_link *l, uint32_t vec)
{
	struct link_vfio *v = to_vfio(l);

	return vec < v->nvec ? v->irq_fd[vec] : -1;
}

static void vfio_fence(struct vmsg_link *l)
{
	struct link_vfio *v = to_vfio(l);

	if (set_master(v, false))
		vf_log(v, "cannot clear Bus Master Enable");
}

static int vfio_set_dma_bits(struct vmsg_link *l, uint32_t bits)
{
	return hostmem_set_dma_bits(&to_vfio(l)->hm, bits);
}

static void *vfio_mem_alloc(struct vmsg_link *l, size_t size, size_t align, uint64_t *dma)
{
	return hostmem_alloc(&to_vfio(l)->hm, size, align, dma);
}

static void vfio_mem_free(struct vmsg_link *l, void *va)
{
	hostmem_free(&to_vfio(l)->hm, va);
}

static void *vfio_dma_to_va(struct vmsg_link *l, uint64_t dma, size_t len)
{
	return hostmem_dma_to_va(&to_vfio(l)->hm, dma, len);
}

static uint64_t vfio_va_to_dma(struct vmsg_link *l, const void *va)
{
	return hostmem_va_to_dma(&to_vfio(l)->hm, va);
}

static void vfio_destroy(struct vmsg_link *l)
{
	struct link_vfio *v = to_vfio(l);

	vfio_disconnect(l);
	if (v->dev >= 0)
		set_master(v, false);
	if (v->dma_mapped) {
		struct vfio_iommu_type1_dma_unmap um = {
		    .argsz = sizeof(um), .iova = v->iova, .size = v->mem_size};

		ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &um);
	}
	hostmem_fini(&v->hm);
	if (v->mem && v->mem_owned)
		munmap(v->mem, v->mem_size);
	if (v->dev >= 0)
		close(v->dev);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	free(v);
}

static const struct vmsg_link_ops vfio_ops = {
    .name = "vfio",
    .connect = vfio_connect,
    .disconnect = vfio_disconnect,
    .bar0 = vfio_bar0,
    .doorbell = vfio_doorbell,
    .num_vectors = vfio_num_vectors,
    .wait_irq = vfio_wait_irq,
    .irq_fd = vfio_irq_fd,
    .fence = vfio_fence,
    .set_dma_bits = vfio_set_dma_bits,
    .mem_alloc = vfio_mem_alloc,
    .mem_free = vfio_mem_free,
    .dma_to_va = vfio_dma_to_va,
    .va_to_dma = vfio_va_to_dma,
    .destroy = vfio_destroy,
};

/* Physical address of va from an open /proc/self/pagemap (needs
 * CAP_SYS_ADMIN for the frame numbers). */
static int phys_of_fd(int fd, const void *va, uint64_t *pa)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t ent, vpn = (uint64_t)(uintptr_t)va / (uint64_t)psz;
	ssize_t n = pread(fd, &ent, sizeof(ent), (off_t)(vpn * sizeof(ent)));

	if (n != sizeof(ent))
		return n < 0 ? -errno : -EIO;
	if (!(ent & (1ull << 63)) || !(ent & ((1ull << 55) - 1)))
		return -EPERM; /* not present, or frame numbers hidden (not root) */
	*pa = (ent & ((1ull << 55) - 1)) * (uint64_t)psz + (uint64_t)(uintptr_t)va % (uint64_t)psz;
	return 0;
}

static int phys_of(const void *va, uint64_t *pa)
{
	int r, fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	r = phys_of_fd(fd, va, pa);
	close(fd);
	return r;
}

/* Where DMA address = PA: is [va, va + len) at physical address iova? */
static int check_identity(struct link_vfio *v, const void *va, size_t len, uint64_t iova)
{
	uint64_t pa = 0;
	int r = 0, fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		r = -errno;
	for (size_t off = 0; !r && off < len; off += 4096) {
		r = phys_of_fd(fd, (const uint8_t *)va + off, &pa);
		if (r) {
			vf_log(v,
			       "cannot read the physical address of memory at %p: %s (run as root)",
			       (const void *)((const uint8_t *)va + off), strerror(-r));
		} else if (pa != iova + off) {
			vf_log(v,
			       "memory at %p has IOVA %#" PRIx64 " but physical address %#" PRIx64
			       ": this card reads host memory by physical address (%s)",
			       (const void *)((const uint8_t *)va + off), iova + off, pa,
			       v->emu ? "the emulated link" : "vfio no-IOMMU mode");
			r = -EINVAL;
		}
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* The caller's memory (mem_base): checked, not mapped (the caller maps it). */
static int setup_caller_mem(struct link_vfio *v, void *base, size_t size, uint64_t iova)
{
	int r;

	v->mem = base;
	v->mem_size = size;
	v->iova = iova;
	if (v->noiommu || v->emu) {
		r = check_identity(v, base, size, iova);
		if (r)
			return r;
	}
	return hostmem_init(&v->hm, base, size, iova, VFIO_MEM_GUARD);
}

/* Host memory: huge pages, physically contiguous where DMA address = PA. */
static int setup_mem(struct link_vfio *v, size_t size)
{
	bool identity = v->noiommu || v->emu;
	uint64_t pa0 = 0, pa = 0;
	int r;

	size = (size + VFIO_HUGE - 1) & ~(VFIO_HUGE - 1);
	v->mem_owned = true;
	v->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (v->mem == MAP_FAILED) {
		v->mem = NULL;
		if (identity) {
			vf_log(v,
			       "no %zu MiB of 2 MiB huge pages for host memory: %s (echo N > "
			       "/proc/sys/vm/nr_hugepages)",
			       size >> 20, strerror(errno));
			return -ENOMEM;
		}
		v->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (v->mem == MAP_FAILED) {
			v->mem = NULL;
			return -errno;
		}
	}
	v->mem_size = size;
	if (identity) {
		for (size_t off = 0; off < size; off += VFIO_HUGE) {
			r = phys_of((uint8_t *)v->mem + off, &pa);
			if (r) {
				vf_log(v,
				       "cannot read the physical address of host memory: %s (run "
				       "as root)",
				       strerror(-r));
				return r;
			}
			if (off == 0)
				pa0 = pa;
			else if (pa != pa0 + off) {
				vf_log(v,
				       "host memory (%zu MiB of huge pages) is not physically "
				       "contiguous: ask for less (one huge page always is) or "
				       "reserve huge pages at "
				       "boot",
				       size >> 20);
				return -ENOMEM;
			}
		}
		v->iova = pa0;
	} else {
		v->iova = VFIO_IOVA_BASE;
	}
	if (!v->noiommu) {
		struct vfio_iommu_type1_dma_map m = {
		    .argsz = sizeof(m),
		    .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		    .vaddr = (uint64_t)(uintptr_t)v->mem,
		    .iova = v->iova,
		    .size = size,
		};

		if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
			r = -errno;
			vf_log(v, "VFIO_IOMMU_MAP_DMA of %zu bytes at IOVA %#" PRIx64 ": %s", size,
			       v->iova, strerror(errno));
			return r;
		}
		v->dma_mapped = true;
	}
	return hostmem_init(&v->hm, v->mem, size, v->iova, VFIO_MEM_GUARD);
}

/* The function's driver and IOMMU group, with the usual mistakes named. */
static int open_group(struct link_vfio *v)
{
	char path[PATH_MAX], link[PATH_MAX], dev[64];
	struct vfio_group_status gs = {.argsz = sizeof(gs)};
	const char *drv, *grp;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", v->addr);
	if (access(path, F_OK) < 0) {
		vf_log(v, "no such PCI function");
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", v->addr);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	drv = n > 0 ? strrchr(link, '/') + 1 : "";
	if (strcmp(drv, "vfio-pci") != 0) {
		vf_log(v,
		       "bound to %s, not vfio-pci; rebind it:\n"
		       "  echo %s > /sys/bus/pci/devices/%s/driver/unbind\n"
		       "  echo vfio-pci > /sys/bus/pci/devices/%s/driver_override\n"
		       "  echo %s > /sys/bus/pci/drivers_probe",
		       *drv ? drv : "no driver", v->addr, v->addr, v->addr, v->addr);
		return -EBUSY;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", v->addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		vf_log(v, "no IOMMU group: no IOMMU, and vfio's no-IOMMU mode is off or not built "
			  "(modprobe vfio enable_unsafe_noiommu_mode=1; Debian 12's kernel lacks "
			  "CONFIG_VFIO_NOIOMMU: enable the IOMMU, intel_iommu=on / amd_iommu=on)");
		return -ENODEV;
	}
	link[n] = '\0';
	grp = strrchr(link, '/') + 1;
	snprintf(dev, sizeof(dev), "/dev/vfio/noiommu-%s", grp);
	v->group = open(dev, O_RDWR | O_CLOEXEC);
	if (v->group >= 0) {
		v->noiommu = true;
	} else {
		snprintf(dev, sizeof(dev), "/dev/vfio/%s", grp);
		v->group = open(dev, O_RDWR | O_CLOEXEC);
	}
	if (v->group < 0) {
		int e = errno;

		vf_log(v, "cannot open %s: %s%s", dev, strerror(e),
		       e == EACCES || e == EPERM ? " (run as root or give the user the group)"
		       : e == EBUSY		 ? " (in use by another process)"
						 : "");
		return -e;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) < 0)
		return -errno;
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vf_log(v, "IOMMU group %s is not viable: bind every function of it to vfio-pci",
		       grp);
		return -EBUSY;
	}
	return 0;
}

int vmsg_link_vfio_create(const struct vmsg_link_vfio_params *p, struct vmsg_link **out)
{
	struct vfio_region_info ri;
	struct link_vfio *v;
	uint16_t id[2], sub[2];
	uint32_t class_rev;
	int r;

	*out = NULL;
	/* the address goes into /sys paths: hex digits, ':' and '.' only */
	if (!p || !p->pci_addr || strlen(p->pci_addr) >= sizeof(v->addr) - 5 ||
	    strspn(p->pci_addr, "0123456789abcdefABCDEF:.") != strlen(p->pci_addr) ||
	    !strchr(p->pci_addr, ':'))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->link.ops = &vfio_ops;
	v->container = v->group = v->dev = -1;
	v->quiet = p->quiet;
	/* accept BB:DD.F as lspci prints it */
	snprintf(v->addr, sizeof(v->addr), "%s%s",
		 strchr(p->pci_addr, ':') == strrchr(p->pci_addr, ':') ? "0000:" : "", p->pci_addr);
	r = open_group(v);
	if (r)
		goto fail;
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		r = -errno;
		vf_log(v, "cannot open /dev/vfio/vfio: %s (modprobe vfio-pci)", strerror(errno));
		goto fail;
	}
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(v->container, VFIO_CHECK_EXTENSION,
		   v->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU)) {
		vf_log(v, "VFIO API %d or IOMMU type %s not supported%s",
		       ioctl(v->container, VFIO_GET_API_VERSION),
		       v->noiommu ? "no-IOMMU" : "type1v2",
		       v->noiommu ? "" : " (modprobe vfio_iommu_type1)");
		r = -ENOTSUP;
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0 ||
	    ioctl(v->container, VFIO_SET_IOMMU,
		  v->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU) < 0) {
		r = -errno;
		vf_log(v, "cannot set up the VFIO container: %s%s", strerror(-r),
		       r == -EPERM ? " (no interrupt remapping: see the kernel log; "
				     "vfio_iommu_type1 allow_unsafe_interrupts=1 where that is "
				     "acceptable)"
				   : "");
		goto fail;
	}
	v->dev = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->addr);
	if (v->dev < 0) {
		r = -errno;
		vf_log(v, "VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));
		goto fail;
	}
	r = region_info(v, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (r)
		goto fail;
	v->cfg_off = ri.offset;
	r = cfg_read(v, PCI_VENDOR_ID, id, 4);
	if (!r)
		r = cfg_read(v, PCI_SUBSYSTEM_VENDOR_ID, sub, 4);
	if (!r)
		r = cfg_read(v, PCI_CLASS_REVISION, &class_rev, 4);
	if (r)
		goto fail;
	if (vmsg_pcie_card_ids_match(vmsg_le16_to_cpu(id[0]), vmsg_le16_to_cpu(id[1]),
				     vmsg_le16_to_cpu(sub[0]), vmsg_le16_to_cpu(sub[1]),
				     vmsg_le32_to_cpu(class_rev) >> 8)) {
		v->emu = false;
	} else if (vmsg_le16_to_cpu(id[0]) == VMSG_EMU_VENDOR_ID &&
		   vmsg_le16_to_cpu(id[1]) == VMSG_EMU_DEVICE_ID) {
		v->emu = true;
	} else {
		vf_log(v, "ids %04x:%04x (subsystem %04x:%04x) are not a card's",
		       vmsg_le16_to_cpu(id[0]), vmsg_le16_to_cpu(id[1]), vmsg_le16_to_cpu(sub[0]),
		       vmsg_le16_to_cpu(sub[1]));
		r = -ENODEV;
		goto fail;
	}
	if (p->mem_base) {
		if (!p->mem_size || p->mem_size > SIZE_MAX / 2 || (p->mem_iova & 4095) ||
		    ((uintptr_t)p->mem_base & 4095)) {
			r = -EINVAL;
			goto fail;
		}
		r = setup_caller_mem(v, p->mem_base, p->mem_size, p->mem_iova);
	} else {
		r = setup_mem(v, p->mem_size ? p->mem_size : VFIO_DEFAULT_MEM);
	}
	if (r)
		goto fail;
	*out = &v->link;
	return 0;
fail:
	vfio_destroy(&v->link);
	return r;
}

int vmsg_link_vfio_dma_map(struct vmsg_link *l, void *va, size_t len, uint64_t iova)
{
	struct link_vfio *v;
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m),
	    .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	if (!l || l->ops != &vfio_ops)
		return -ENOTSUP;
	v = to_vfio(l);
	if (!va || !len || ((uintptr_t)va & 4095) || (iova & 4095) || (len & 4095))
		return -EINVAL;
	if (v->noiommu || v->emu) {
		int r = check_identity(v, va, len, iova);

		if (r || v->noiommu)
			return r;
		/* the emulated card reads by physical address beside the IOMMU;
		 * the mapping keeps a real card's view identical */
	}
	m.vaddr = (uint64_t)(uintptr_t)va;
	m.iova = iova;
	m.size = len;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
		int e = errno;

		if (e == EEXIST)
			return 0;
		vf_log(v, "VFIO_IOMMU_MAP_DMA of %zu bytes at IOVA %#" PRIx64 ": %s", len, iova,
		       strerror(e));
		return -e;
	}
	return 0;
}

int vmsg_link_vfio_dma_unmap(struct vmsg_link *l, uint64_t iova, size_t len)
{
	struct link_vfio *v;
	struct vfio_iommu_type1_dma_unmap um = {.argsz = sizeof(um), .iova = iova, .size = len};

	if (!l || l->ops != &vfio_ops)
		return -ENOTSUP;
	v = to_vfio(l);
	if (v->noiommu)
		return 0;
	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &um) < 0 ? -errno : 0;
}

bool vmsg_link_vfio_identity(struct vmsg_link *l)
{
	return l && l->ops == &vfio_ops && (to_vfio(l)->noiommu || to_vfio(l)->emu);
}
