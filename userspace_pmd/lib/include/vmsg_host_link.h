/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_host_link.h - how the host library reaches a card: the link.
 *
 * A link gives the bus four things: the card's BAR0 mapping, doorbells
 * towards the card, interrupt vectors from the card, and host DMA memory
 * (allocation and address translation). Everything above the link is the
 * same for every link type; a link is a small ops table so that a PCI link
 * (vfio or uio) plugs in beside the emulated one (`sim`: QEMU's ivshmem
 * server protocol on a UNIX socket, host memory in a shared file whose
 * offsets are the DMA addresses).
 *
 * Return values: 0 or a positive count on success, a negative errno value on
 * failure. Not thread-safe unless stated: the bus serialises its calls; the
 * memory allocator is thread-safe.
 */
#ifndef VMSG_HOST_LINK_H
#define VMSG_HOST_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmsg_link;

struct vmsg_link_ops {
	const char *name;
	/* (Re)establish the link to the card: map BAR0, obtain the doorbells
	 * and vectors. Bounded by timeout_ms. Host memory survives. */
	int (*connect)(struct vmsg_link *l, int timeout_ms);
	/* Drop BAR0 and the vectors (host memory stays mapped). */
	void (*disconnect)(struct vmsg_link *l);
	/* BAR0 mapping (NULL when not connected); *size gets its length. */
	volatile void *(*bar0)(struct vmsg_link *l, size_t *size);
	/* Ring doorbell idx (VMSG_DB_*), value as the BAR register takes it. */
	int (*doorbell)(struct vmsg_link *l, uint32_t idx, uint32_t value);
	/* Interrupt vectors the host can receive. */
	uint32_t (*num_vectors)(struct vmsg_link *l);
	/* Wait up to timeout_ms (0: just check) for vector vec; consumes it.
	 * Returns 1 if it fired, 0 on timeout, negative on error. */
	int (*wait_irq)(struct vmsg_link *l, uint32_t vec, int timeout_ms);
	/* A pollable fd for vector vec, or -1 (optional, may be NULL). */
	int (*irq_fd)(struct vmsg_link *l, uint32_t vec);
	/* Stop the card from reaching host memory (PCI: clear Bus Master
	 * Enable) before memory it was given is freed after the peer died
	 * ([DMA-4]). May be NULL (the emulated link cannot fence). */
	void (*fence)(struct vmsg_link *l);
	/* Out-of-band peer presence: 1 alive, 0 gone, -1 unknown (may be NULL). */
	int (*peer_alive)(struct vmsg_link *l);
	/* The card reaches host addresses below 2^bits: -ERANGE if this link's
	 * memory cannot be limited to that. */
	int (*set_dma_bits)(struct vmsg_link *l, uint32_t bits);
	/* Host DMA memory, zeroed, align a power of two. NULL if exhausted. */
	void *(*mem_alloc)(struct vmsg_link *l, size_t size, size_t align, uint64_t *dma);
	void (*mem_free)(struct vmsg_link *l, void *va);
	/* Translate: NULL / UINT64_MAX when outside link memory. */
	void *(*dma_to_va)(struct vmsg_link *l, uint64_t dma, size_t len);
	uint64_t (*va_to_dma)(struct vmsg_link *l, const void *va);
	void (*destroy)(struct vmsg_link *l);
};

/* Every link implementation embeds this first. */
struct vmsg_link {
	const struct vmsg_link_ops *ops;
};

/* ---- the emulated link (vmsg-card --platform sim) ---- */

struct vmsg_link_sim_params {
	const char *sock_path; /* the card's ivshmem server socket (DIR/ivshmem.sock) */
	const char *mem_path;  /* host memory file: created if absent */
	size_t mem_size;       /* bytes (0: 64 MiB); an existing file must match */
	bool quiet;	       /* no diagnostics on stderr */
	/* Host memory the caller already has mapped, shared with the card
	 * (e.g. a DPDK application's memfd, see userspace_pmd/net_vmsg): when
	 * set, mem_path is not opened; the link allocates (rings, host area)
	 * only inside [mem_base, mem_base + mem_size), whose DMA address is
	 * mem_dma (the offset of mem_base in the file the card maps). The
	 * caller keeps the mapping alive until the link is destroyed. */
	void *mem_base;
	uint64_t mem_dma;
};

/* Create (or reuse) and map the host memory file; does not connect. */
int vmsg_link_sim_create(const struct vmsg_link_sim_params *p, struct vmsg_link **out);

/* Peer id the ivshmem server gave us (-1 when not connected). */
int vmsg_link_sim_peer_id(struct vmsg_link *l);

/* ---- the PCI link: a function bound to vfio-pci ---- */

struct vmsg_link_vfio_params {
	const char *pci_addr; /* DDDD:BB:DD.F (or BB:DD.F): a card, or an ivshmem device
				 carrying the emulated link */
	size_t mem_size;      /* host DMA memory, bytes (0: 8 MiB), rounded up to 2 MiB */
	bool quiet;	      /* no diagnostics on stderr */
	/* Host memory the caller already has, IOVA-contiguous at mem_iova (e.g.
	 * a DPDK memzone, see userspace_pmd/net_vmsg): the link allocates (host
	 * area, rings) only inside [mem_base, mem_base + mem_size) and does not
	 * map it in the IOMMU: the caller maps it, and everything else the card
	 * reaches, with vmsg_link_vfio_dma_map(). Where DMA address = physical
	 * address the link checks that mem_iova is. */
	void *mem_base;
	uint64_t mem_iova;
};

/*
 * Open the function through VFIO (its IOMMU group, or vfio's no-IOMMU
 * mode), check its ids (and, for ivshmem, the emulated link page, under the
 * host driver's rule) and set up host memory; connect maps BAR0 and the
 * MSI-X vectors. Errors are said on stderr: bound to another driver (with
 * the commands to rebind), no IOMMU group, no permission, ids not a card's,
 * no huge pages. Needs root where DMA address = physical address (no-IOMMU
 * mode, and the emulated link, whose card reads host RAM by physical
 * address): 2 MiB huge pages, physically contiguous (docs/vmsg-pci.md).
 */
int vmsg_link_vfio_create(const struct vmsg_link_vfio_params *p, struct vmsg_link **out);

/*
 * Make [va, va + len) reachable by the card at iova (memory of the caller's,
 * e.g. DPDK's mbufs): VFIO_IOMMU_MAP_DMA in the link's container (an
 * existing identical mapping is not an error). Where DMA address =
 * physical address (no-IOMMU mode, the emulated link) nothing is mapped but
 * iova must be the physical address of va, checked every 4 KiB through
 * /proc/self/pagemap (root): -EINVAL otherwise. -ENOTSUP on another link.
 * Thread-safe against the bus (no link state touched).
 */
int vmsg_link_vfio_dma_map(struct vmsg_link *l, void *va, size_t len, uint64_t iova);
/* Undo one vmsg_link_vfio_dma_map() (same iova and len). */
int vmsg_link_vfio_dma_unmap(struct vmsg_link *l, uint64_t iova, size_t len);
/* True when the card's DMA address is the physical address (no IOMMU
 * translation: vfio no-IOMMU mode, or the emulated link). */
bool vmsg_link_vfio_identity(struct vmsg_link *l);

/* ---- convenience wrappers ---- */

static inline void *vmsg_link_alloc(struct vmsg_link *l, size_t size, size_t align, uint64_t *dma)
{
	return l->ops->mem_alloc(l, size, align, dma);
}

static inline void vmsg_link_free(struct vmsg_link *l, void *va)
{
	if (va)
		l->ops->mem_free(l, va);
}

static inline void *vmsg_link_dma_to_va(struct vmsg_link *l, uint64_t dma, size_t len)
{
	return l->ops->dma_to_va(l, dma, len);
}

static inline uint64_t vmsg_link_va_to_dma(struct vmsg_link *l, const void *va)
{
	return l->ops->va_to_dma(l, va);
}

static inline void vmsg_link_destroy(struct vmsg_link *l)
{
	if (l)
		l->ops->destroy(l);
}

#endif /* VMSG_HOST_LINK_H */
