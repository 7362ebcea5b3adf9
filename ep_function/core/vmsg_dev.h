/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_dev.h - what a virtio device backend (ep_function/devices) gives the
 * card engine, and what the engine gives it back.
 *
 * The engine runs the transport state machine (status, features, config
 * generation, virtqueue registers) and calls the backend only at the points
 * below. Backends process their virtqueues through the platform's host
 * memory accessors (vmsg_dev_host_read/write), treating every descriptor,
 * index, address and length from the host as hostile (fw_shared vmsg_virtq).
 */
#ifndef VMSG_DEV_H
#define VMSG_DEV_H

#include "vmsg_card.h"

#define VMSG_DEV_MAX_QUEUES 16u

/* virtio 1.x transport feature bits every backend may offer. */
#define VMSG_VIRTIO_F_RING_INDIRECT_DESC 28
#define VMSG_VIRTIO_F_RING_EVENT_IDX	 29
#define VMSG_VIRTIO_F_VERSION_1		 32
#define VMSG_VIRTIO_F_ACCESS_PLATFORM	 33
#define VMSG_VIRTIO_F_RING_RESET	 40
#define VMSG_VIRTIO_F_NOTIFICATION_DATA	 38 /* never offered (binding [OOB-8]) */

/* Per-queue state the engine keeps from SET_VQUEUE (host DMA addresses). */
struct vmsg_dev_queue {
	uint32_t max_size;
	uint32_t size; /* 0: not configured */
	uint64_t desc_addr, driver_addr, device_addr;
	bool ready; /* SET_VQUEUE done and DRIVER_OK set */
	/* backend-owned progress (reset to 0 by the engine on queue reset) */
	uint16_t last_avail;
	uint16_t used_idx;
};

struct vmsg_dev_ops {
	const char *name;   /* "net", "blk", ... */
	uint32_t device_id; /* virtio device type (1 net, 2 blk, 3 console, 4 rng) */
	/* Read config bytes [off, off + len) (engine checks the range). */
	void (*config_read)(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len);
	/* Write config bytes; return 0 or negative to refuse. May be NULL (read-only). */
	int (*config_write)(struct vmsg_dev *d, uint32_t off, const void *buf, uint32_t len);
	/* Driver set FEATURES_OK with these features: 0 accepts, negative refuses. */
	int (*set_features)(struct vmsg_dev *d, uint64_t features);
	/* DRIVER_OK was set: queues are ready. May be NULL. */
	void (*start)(struct vmsg_dev *d);
	/* Device or queue reset (vq == UINT32_MAX: whole device). Must finish
	 * before returning: no buffer is touched afterwards. */
	void (*reset)(struct vmsg_dev *d, uint32_t vq);
	/* The driver made buffers available on vq (EVENT_AVAIL or a poll). */
	void (*queue_notify)(struct vmsg_dev *d, uint32_t vq);
	/* Background work (receive from a tap, console input); may be NULL.
	 * Called from vmsg_card_poll(). */
	void (*poll)(struct vmsg_dev *d);
	/* A file descriptor (or other OS handle) the daemon should wait on for
	 * this device's background work, or -1. The engine never uses it; the
	 * daemon calls vmsg_card_poll() when it becomes readable. May be NULL. */
	int (*wait_fd)(struct vmsg_dev *d);
	/* Shared memory region idx: 0 and fill addr/len, or negative. May be NULL. */
	int (*get_shm)(struct vmsg_dev *d, uint32_t idx, uint64_t *addr, uint64_t *len);
	/* Free backend resources (after reset). */
	void (*destroy)(struct vmsg_dev *d);
	/* Human-readable one-line description for `vmsg-card ctl list`. */
	void (*describe)(struct vmsg_dev *d, char *buf, size_t len);
};

/* A device instance: the backend allocates it (embedding it or pointing to
 * its private state) and fills the first block before vmsg_card_add_device(). */
struct vmsg_dev {
	/* filled by the backend */
	const struct vmsg_dev_ops *ops;
	void *priv;
	uint64_t features; /* offered (VERSION_1 and ACCESS_PLATFORM always) */
	uint32_t config_size;
	uint32_t num_queues;	 /* <= VMSG_DEV_MAX_QUEUES */
	uint32_t queue_max_size; /* power of two */
	uint32_t vendor_id;
	/* owned by the engine */
	struct vmsg_card *card;
	vmsg_dev_num_t dev_num;
	uint32_t status;
	uint64_t driver_features;
	uint32_t config_generation;
	struct vmsg_dev_queue queues[VMSG_DEV_MAX_QUEUES];
	bool removed;
};

/* Host memory, bounded by dma_addr_bits and the platform window, and only
 * while the link is RUN (binding [LINK-3]): 0 or negative. */
int vmsg_dev_host_read(struct vmsg_dev *d, uint64_t addr, void *dst, size_t len);
int vmsg_dev_host_write(struct vmsg_dev *d, uint64_t addr, const void *src, size_t len);

/*
 * (added) Host memory the OS may read or write itself: a pointer to
 * [addr, addr + len) in host RAM mapped into the card process, or NULL when
 * the range is outside the DMA window or host memory, len is 0, the link
 * is not RUN, or the platform has no such mapping (epf, uio:
 * vmsg_dev_host_direct_capable() is false there; copy with
 * vmsg_dev_host_read/write). Every address is the host's, so hostile: the
 * check is the platform's, exactly as for vmsg_dev_host_read/write. A
 * backend that hands the pointer to asynchronous I/O must have that I/O
 * finished before its reset op returns (a device stops using buffers at
 * reset).
 */
void *vmsg_dev_host_direct(struct vmsg_dev *d, uint64_t addr, size_t len);
/* The platform offers direct host memory at all (sim: yes; epf, uio: no). */
bool vmsg_dev_host_direct_capable(const struct vmsg_dev *d);

/* The card loop calls vmsg_card_poll() back to back (busy-poll mode), so a
 * backend's ops->poll() runs continuously and may serve its avail rings
 * there instead of asking for EVENT_AVAIL. */
bool vmsg_dev_busy_polled(const struct vmsg_dev *d);
/* Host memory is reachable now (attached, link RUN): polling rings without
 * a notification only makes sense then. */
bool vmsg_dev_host_ready(const struct vmsg_dev *d);

/* Tell the driver buffers were used on vq: sends EVENT_USED unless the
 * driver suppressed it (VRING_AVAIL_F_NO_INTERRUPT / event index). The
 * decision is made from host memory (avail flags, or used_event and the
 * used idx the backend published), whatever the backend's bookkeeping;
 * call it after publishing the used idx. */
void vmsg_dev_notify_used(struct vmsg_dev *d, uint32_t vq);

/* (added) Send EVENT_USED for vq without a suppression check: for backends
 * that already decided with vmsg_vq_dev_need_notify() (fw_shared
 * vmsg_virtq.h); saves the host memory reads of vmsg_dev_notify_used(). */
void vmsg_dev_send_used(struct vmsg_dev *d, uint32_t vq);

/* Config changed (backend already updated its bytes): bumps the generation
 * and sends EVENT_CONFIG, with the data when it fits. */
void vmsg_dev_config_changed(struct vmsg_dev *d, uint32_t off, uint32_t len);

/* Something went wrong that needs a reset: sets DEVICE_NEEDS_RESET and
 * sends EVENT_CONFIG. */
void vmsg_dev_needs_reset(struct vmsg_dev *d);

/* Feature negotiated? */
static inline bool vmsg_dev_has_feature(const struct vmsg_dev *d, unsigned int bit)
{
	return bit < 64 && (d->driver_features >> bit) & 1u;
}

/* Logging through the card's platform. */
void vmsg_dev_log(struct vmsg_dev *d, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* VMSG_DEV_H */
