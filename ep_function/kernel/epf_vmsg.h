/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epf_vmsg.h - pci-epf-vmsg internals shared by its files (README.md,
 * "Module internals"). One struct vmsg_epf per configfs function; it is
 * reference counted because an open character device (and its mappings)
 * may outlive the binding and even the function.
 */
#ifndef EPF_VMSG_H
#define EPF_VMSG_H

#include <linux/configfs.h>
#include <linux/dmaengine.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "epf_compat.h"
#include "vmsg_epf_abi.h"
#include "vmsg_pcie.h"

#define VMSG_EPF_DRV_NAME "pci_epf_vmsg"

/* Binding parameters set in configfs (epf_configfs.c has their limits). */
enum vmsg_epf_param {
	VMSG_P_RING_SLOTS,
	VMSG_P_SLOT_SIZE,
	VMSG_P_MAX_MSG_SIZE,
	VMSG_P_DMA_ADDR_BITS,
	VMSG_P_BAR0_SIZE,
	VMSG_P_NUM_DOORBELLS,
	VMSG_P_POLL_BUSY_US,
	VMSG_P_POLL_INTERVAL_US,
	VMSG_P_DOORBELL_MODE,
	VMSG_P_NR,
};

#define VMSG_EPF_DB_POLL 0u
#define VMSG_EPF_DB_MSI	 1u

#define VMSG_EPF_UNBIND_WAIT	(HZ)	 /* unbind waits this long for BYE */
#define VMSG_EPF_DMA_MAX	(1u << 20)
#define VMSG_EPF_DMA_TIMEOUT	(HZ)

struct vmsg_epf {
	struct kref ref;
	struct pci_epf *epf;
	struct pci_epf_header header;	/* epf->header: configfs writes it */
	struct config_group group;	/* our attributes */

	struct mutex lock;		/* everything below unless noted */
	u32 cfg[VMSG_P_NR];		/* configfs values, frozen while bound */
	u32 run[VMSG_P_NR];		/* the values bind took */

	/* From bind to unbind. */
	bool bound;			/* BAR0 allocated, chardev registered */
	bool hw_ready;			/* header, BAR0 and vectors are in the EPC */
	bool bar_set;			/* pci_epc_set_bar() succeeded */
	const struct pci_epc_features *features;
	void *bar0;
	size_t bar0_usable;		/* below the MSI-X table */
	u32 msix_offset;		/* MSI-X table in BAR0 (0: none) */
	bool use_msix, use_msi;
	u32 num_vectors;
	u64 window_size, window_align;
	struct work_struct init_work;	/* 6.1 CORE_INIT from atomic context */
	struct work_struct link_work;	/* tears down a stale host mapping */

	/* Events: ev_lock, any context. */
	spinlock_t ev_lock;
	bool events_on;
	bool link_up;
	u32 link_gen;
	u32 ev_pending;
	u32 db_pending;
	u64 seq;
	wait_queue_head_t read_wq;

	/* The daemon (one opener). */
	bool open;
	bool bye;
	bool unbinding;
	struct address_space *mapping;
	wait_queue_head_t gone_wq;

	/* Outbound window onto host memory. */
	bool mapped;
	phys_addr_t win_phys;
	void __iomem *win_virt;
	size_t win_alloc;
	u64 map_pci;
	size_t map_size;
	u32 map_gen;			/* +1 whenever the mapping changes */
	u32 map_link_gen;
	struct page *dead_page;		/* all ones, mapped read-only */
	struct page *sink_page;		/* where writes to dead pages go */

	/* Doorbell poller (epf_poll.c). */
	struct task_struct *poll_task;
	wait_queue_head_t poll_wq;
	bool poll_kick;
	u32 db_snap[VMSG_PCIE_MAX_DOORBELLS];	/* taken at open */
	int db_irq;

	/* DMA engine (optional). */
	struct dma_chan *dma_tx, *dma_rx;
	bool dma_private;
	struct completion dma_done;
	enum dma_status dma_status;
	struct dma_chan *dma_cur;
	dma_cookie_t dma_cookie;

	/* Character device. */
	struct miscdevice misc;
	int id;
	char name[24];
	bool misc_on;
};

static inline struct vmsg_epf *to_vmsg_epf(struct config_item *item)
{
	return container_of(to_config_group(item), struct vmsg_epf, group);
}

static inline u32 vmsg_epf_bar0_read(struct vmsg_epf *dev, size_t off)
{
	return le32_to_cpu(READ_ONCE(*(__le32 *)((u8 *)dev->bar0 + off)));
}

static inline void vmsg_epf_bar0_write(struct vmsg_epf *dev, size_t off, u32 v)
{
	WRITE_ONCE(*(__le32 *)((u8 *)dev->bar0 + off), cpu_to_le32(v));
}

/* epf_main.c */
void vmsg_epf_put(struct vmsg_epf *dev);
int vmsg_epf_raise(struct vmsg_epf *dev, u32 mode, u32 vector);
void vmsg_epf_link_event(struct vmsg_epf *dev, bool up);

/* epf_configfs.c */
void vmsg_epf_cfg_defaults(u32 *cfg);
int vmsg_epf_cfg_check(struct vmsg_epf *dev, const u32 *cfg, size_t usable);
struct config_group *vmsg_epf_add_cfs(struct pci_epf *epf,
				      struct config_group *group);

/* epf_chardev.c */
int vmsg_epf_chardev_register(struct vmsg_epf *dev);
void vmsg_epf_chardev_quiesce(struct vmsg_epf *dev);
void vmsg_epf_chardev_unregister(struct vmsg_epf *dev);
void vmsg_epf_post(struct vmsg_epf *dev, u32 events, u32 doorbells);

/* epf_window.c */
extern const struct vm_operations_struct vmsg_epf_vm_ops;
int vmsg_epf_map_host(struct vmsg_epf *dev, struct vmsg_epf_map *m);
void vmsg_epf_unmap_host(struct vmsg_epf *dev);
int vmsg_epf_dma(struct vmsg_epf *dev, const struct vmsg_epf_dma *d);
void vmsg_epf_dma_init(struct vmsg_epf *dev);
void vmsg_epf_dma_release(struct vmsg_epf *dev);
int vmsg_epf_mmap(struct vmsg_epf *dev, struct vm_area_struct *vma);

/* epf_poll.c */
int vmsg_epf_poll_start(struct vmsg_epf *dev);
void vmsg_epf_poll_stop(struct vmsg_epf *dev);
int vmsg_epf_doorbell_setup(struct vmsg_epf *dev);
void vmsg_epf_doorbell_free(struct vmsg_epf *dev);

#endif /* EPF_VMSG_H */
