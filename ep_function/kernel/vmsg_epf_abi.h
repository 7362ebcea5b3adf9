/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause */
/*
 * vmsg_epf_abi.h - the one interface between pci-epf-vmsg.ko and the card
 * daemon (vmsg-card --platform epf): a character device per endpoint
 * function, /dev/vmsg-epfN (N in the order functions are bound; the
 * function's configfs name is in /sys/class/misc/vmsg-epfN/function).
 * Documented in docs/epf-chardev.md. Compiled by the module and by the
 * daemon (uapi style: linux/types.h and linux/ioctl.h only).
 *
 * One opener at a time: a second open() fails with -EBUSY.
 *
 * mmap():
 *   offset VMSG_EPF_MMAP_BAR0, length <= bar0_size: the function's BAR0
 *     memory (what the host sees as BAR0), shared, read-write.
 *   offset VMSG_EPF_MMAP_HOST, length <= map_size of the last
 *     VMSG_EPF_IOC_MAP_HOST: the outbound window onto host memory, host PCI
 *     address map_pci_addr at offset 0. When the mapping is replaced or torn
 *     down (link down, unbind, rmmod) the pages of an existing user mapping
 *     are replaced by a dead page (reads all ones, writes dropped, as on a
 *     link that went away): the daemon never faults, it learns from the
 *     events below and maps again.
 *
 * read(): whole struct vmsg_epf_event records (at least one per read; -EAGAIN
 *   with O_NONBLOCK when none). Doorbell bits accumulate until read.
 * poll(): POLLIN when an event is pending; POLLHUP once the function is
 *   being unbound (the daemon should shut down: VMSG_EPF_IOC_BYE).
 *
 * Every ioctl argument is checked; reserved fields must be zero (-EINVAL).
 */
#ifndef VMSG_EPF_ABI_H
#define VMSG_EPF_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMSG_EPF_ABI_VERSION 1u
#define VMSG_EPF_DEV_PREFIX  "vmsg-epf" /* /dev/vmsg-epf0, ... */

#define VMSG_EPF_MMAP_BAR0 0x0ull
#define VMSG_EPF_MMAP_HOST 0x100000000ull

/* struct vmsg_epf_info.flags */
#define VMSG_EPF_INFO_MSIX    (1u << 0) /* vectors are MSI-X */
#define VMSG_EPF_INFO_MSI     (1u << 1) /* vectors are MSI (when no MSI-X) */
#define VMSG_EPF_INFO_DMA     (1u << 2) /* VMSG_EPF_IOC_DMA uses a DMA engine */
#define VMSG_EPF_INFO_LINK_UP (1u << 3) /* the host link is up now */
#define VMSG_EPF_INFO_HW_DOORBELL (1u << 4) /* doorbells by interrupt, not polled */

struct vmsg_epf_info {
	__u32 abi_version;	/* VMSG_EPF_ABI_VERSION */
	__u32 flags;		/* VMSG_EPF_INFO_* */
	__u64 bar0_size;	/* BAR0 bytes for the daemon, mmap at MMAP_BAR0 (MSI-X table above) */
	__u64 window_size;	/* largest host mapping the controller can make */
	__u64 window_align;	/* host mappings start at a multiple of this */
	__u32 num_vectors;	/* vectors VMSG_EPF_IOC_RAISE_IRQ accepts */
	__u32 link_generation;	/* +1 on every link up and link down */
	/* The function's configfs binding parameters (daemon defaults). */
	__u32 ring_slots;	/* h2c/c2h ring slots */
	__u32 slot_size;	/* bytes per ring slot */
	__u32 max_msg_size;	/* 48..264 */
	__u32 dma_addr_bits;	/* published in BAR0: 32..64 */
	__u32 num_doorbells;	/* BAR0 doorbell registers watched */
	__u32 poll_busy_us;	/* after activity, busy-poll this long */
	__u32 poll_interval_us; /* idle doorbell poll period */
	__u32 reserved0;
	char epc_name[32];	/* the endpoint controller, NUL-terminated */
	char function[32];	/* the configfs function name, NUL-terminated */
	__u64 reserved[4];
};

/* Map host PCI addresses [pci_addr, pci_addr + size) through the outbound
 * window (replacing the previous mapping). The module aligns the start down
 * to window_align; out: the mapped range. -ENOLINK while the link is down,
 * -EINVAL when it cannot be mapped (too large, overflow), -ENOMEM when the
 * controller has no window space left.
 */
struct vmsg_epf_map {
	__u64 pci_addr;		/* in */
	__u64 size;		/* in: > 0 */
	__u64 map_pci_addr;	/* out: host address at mmap offset VMSG_EPF_MMAP_HOST */
	__u64 map_size;		/* out: bytes mapped (>= what was asked beyond pci_addr) */
	__u64 reserved[2];
};

/* Raise vector towards the host: MSI-X if the host enabled it, else MSI.
 * -EINVAL for vector >= num_vectors, -ENOLINK when the link is down,
 * -EIO when the controller refused.
 */
struct vmsg_epf_irq {
	__u32 vector;
	__u32 reserved;
};

/* Copy between the daemon's buffer and host memory, by DMA when the
 * controller has a channel, else by the CPU through the window. The host
 * range must lie inside the current mapping (-EFAULT otherwise).
 */
#define VMSG_EPF_DMA_TO_HOST   1u
#define VMSG_EPF_DMA_FROM_HOST 2u
struct vmsg_epf_dma {
	__u64 host_addr;	/* host PCI address */
	__u64 user_addr;	/* daemon buffer */
	__u32 len;		/* 1 .. 1 MiB */
	__u32 dir;		/* VMSG_EPF_DMA_* */
	__u64 reserved;
};

/* Events (read()). */
#define VMSG_EPF_EV_DOORBELL  (1u << 0) /* doorbells[] bits: registers that changed */
#define VMSG_EPF_EV_LINK_UP   (1u << 1)
#define VMSG_EPF_EV_LINK_DOWN (1u << 2) /* host mapping torn down: map again after LINK_UP */
#define VMSG_EPF_EV_UNBIND    (1u << 3) /* function going away: shut down, then BYE */

struct vmsg_epf_event {
	__u32 events;		/* VMSG_EPF_EV_* since the last read */
	__u32 doorbells;	/* bit i: doorbell[i] changed */
	__u32 link_generation;	/* after these events */
	__u32 reserved;
	__u64 seq;		/* records read so far, 1-based */
};

#define VMSG_EPF_IOC_MAGIC 'V'
#define VMSG_EPF_IOC_GET_INFO  _IOR(VMSG_EPF_IOC_MAGIC, 0x40, struct vmsg_epf_info)
#define VMSG_EPF_IOC_MAP_HOST  _IOWR(VMSG_EPF_IOC_MAGIC, 0x41, struct vmsg_epf_map)
#define VMSG_EPF_IOC_UNMAP_HOST _IO(VMSG_EPF_IOC_MAGIC, 0x42)
#define VMSG_EPF_IOC_RAISE_IRQ _IOW(VMSG_EPF_IOC_MAGIC, 0x43, struct vmsg_epf_irq)
#define VMSG_EPF_IOC_DMA       _IOW(VMSG_EPF_IOC_MAGIC, 0x44, struct vmsg_epf_dma)
/*
 * The daemon has told the host (SHUTDOWN) and is leaving: the module stops
 * waiting for it on unbind.
 */
#define VMSG_EPF_IOC_BYE       _IO(VMSG_EPF_IOC_MAGIC, 0x45)

#endif /* VMSG_EPF_ABI_H */
