/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_virtq.h - split virtqueue (virtio 1.x) layout and helpers.
 *
 * Device side (the card): the rings live in host memory, reached only
 * through a struct vmsg_mem_ops accessor; every index, descriptor and length
 * read from there is hostile and checked before use, every chain walk is
 * bounded.
 * Driver side (host library, tests): the rings live in memory the driver
 * owns, reached by pointer; what the device writes back (used ring) is
 * checked, and the driver's bookkeeping (free list, chain lengths) is kept
 * in private memory the device cannot reach.
 *
 * Memory ordering: vmsg_barrier.h, dma strength.
 */
#ifndef VMSG_VIRTQ_H
#define VMSG_VIRTQ_H

#include "vmsg_types.h"

/* ---- Split ring layout (virtio 1.x, 2.7) ---- */
#define VMSG_VRING_DESC_F_NEXT	   1u /* chain continues with .next */
#define VMSG_VRING_DESC_F_WRITE	   2u /* device writes (else reads) */
#define VMSG_VRING_DESC_F_INDIRECT 4u /* buffer holds a descriptor table */

#define VMSG_VRING_AVAIL_F_NO_INTERRUPT 1u /* driver: no used notifications */
#define VMSG_VRING_USED_F_NO_NOTIFY	1u /* device: no avail kicks */

#define VMSG_VRING_MAX_SIZE    32768u /* split queue size: power of two, 1..32768 */
#define VMSG_VRING_DESC_ALIGN  16u
#define VMSG_VRING_AVAIL_ALIGN 2u
#define VMSG_VRING_USED_ALIGN  4u

struct vmsg_vring_desc {
	vmsg_le64 addr; /* buffer DMA address */
	vmsg_le32 len;
	vmsg_le16 flags; /* VMSG_VRING_DESC_F_* */
	vmsg_le16 next;
} VMSG_PACKED;

struct vmsg_vring_avail {
	vmsg_le16 flags; /* VMSG_VRING_AVAIL_F_* */
	vmsg_le16 idx;
	vmsg_le16 ring[]; /* size entries, then le16 used_event */
} VMSG_PACKED;

struct vmsg_vring_used_elem {
	vmsg_le32 id;  /* head of the used chain (le32 on the wire) */
	vmsg_le32 len; /* bytes written into the device-writable part */
} VMSG_PACKED;

struct vmsg_vring_used {
	vmsg_le16 flags; /* VMSG_VRING_USED_F_* */
	vmsg_le16 idx;
	struct vmsg_vring_used_elem ring[]; /* size entries, then le16 avail_event */
} VMSG_PACKED;

VMSG_STATIC_ASSERT(sizeof(struct vmsg_vring_desc) == 16, "vring desc");
VMSG_STATIC_ASSERT(sizeof(struct vmsg_vring_avail) == 4, "vring avail");
VMSG_STATIC_ASSERT(sizeof(struct vmsg_vring_used_elem) == 8, "vring used elem");
VMSG_STATIC_ASSERT(sizeof(struct vmsg_vring_used) == 4, "vring used");

/* Area sizes in bytes, event fields included (virtio 1.x 2.7). */
static inline size_t vmsg_vring_desc_size(uint32_t num)
{
	return (size_t)16 * num;
}

static inline size_t vmsg_vring_avail_size(uint32_t num)
{
	return 6 + (size_t)2 * num;
}

static inline size_t vmsg_vring_used_size(uint32_t num)
{
	return 6 + (size_t)8 * num;
}

/* Byte offsets of the event fields inside the avail and used areas. */
static inline size_t vmsg_vring_used_event_off(uint32_t num)
{
	return 4 + (size_t)2 * num;
}

static inline size_t vmsg_vring_avail_event_off(uint32_t num)
{
	return 4 + (size_t)8 * num;
}

/* One contiguous layout: desc | avail | pad to used_align | used. */
static inline size_t vmsg_vring_used_offset(uint32_t num, size_t used_align)
{
	size_t off = vmsg_vring_desc_size(num) + vmsg_vring_avail_size(num);

	return (off + used_align - 1) & ~(used_align - 1);
}

static inline size_t vmsg_vring_size(uint32_t num, size_t used_align)
{
	return vmsg_vring_used_offset(num, used_align) + vmsg_vring_used_size(num);
}

/*
 * Event index rule (virtio 1.x 2.7.7.2): having moved an index from old to
 * new_idx, notify the other side iff it asked to be told when the index
 * passes event_idx, i.e. event_idx lies in [old, new_idx). 16-bit wrap safe.
 */
static inline bool vmsg_vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* Error returns: negative errno-style values (no errno.h here). */
#define VMSG_VQ_EFAULT 14 /* the memory accessor refused an access */
#define VMSG_VQ_EINVAL 22 /* caller error (bad argument, range) */
#define VMSG_VQ_EAGAIN 11 /* driver: not enough free descriptors */
#define VMSG_VQ_EPROTO 71 /* the other side broke the ring rules */

/* ---- Device side ---- */

/* Host memory accessor: 0, or negative if [addr, addr + len) is not
 * reachable (the accessor is the bounds check). Accesses take effect in
 * call order (a DMA engine completes each one before returning).
 */
struct vmsg_mem_ops {
	void *ctx;
	int (*read)(void *ctx, uint64_t addr, void *dst, size_t len);
	int (*write)(void *ctx, uint64_t addr, const void *src, size_t len);
};

#define VMSG_VQ_MAX_SEGS     256u  /* segments one chain may carry (blk seg_max 254, as QEMU) */
#define VMSG_VQ_MAX_INDIRECT 1024u /* entries of one indirect table */

struct vmsg_vq_seg {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

/* A popped descriptor chain: readable segments first, then writable ones
 * (seg[0..nout) readable, seg[nout..nsegs) writable). Zero-length
 * descriptors are walked and checked but not stored.
 */
struct vmsg_vq_chain {
	uint16_t head; /* id to give back to vmsg_vq_dev_push() */
	uint16_t nsegs;
	uint16_t nout;
	uint16_t ndesc;	    /* descriptors walked (indirect table included) */
	uint32_t out_bytes; /* driver -> device (readable) */
	uint32_t in_bytes;  /* device -> driver (writable) */
	struct vmsg_vq_seg seg[VMSG_VQ_MAX_SEGS];
};

/* Hostile input seen, by kind (each pop error bumps exactly one). */
struct vmsg_vq_dev_stats {
	uint64_t bad_avail_idx; /* avail idx ran more than size ahead */
	uint64_t bad_head;	/* head index >= size */
	uint64_t bad_next;	/* next index out of its table */
	uint64_t loops;		/* more descriptors than the table holds */
	uint64_t bad_indirect;	/* not negotiated, nested, with NEXT, bad len */
	uint64_t bad_order;	/* readable descriptor after a writable one */
	uint64_t bad_len;	/* total over u32, or addr + len wraps */
	uint64_t too_many_segs; /* over VMSG_VQ_MAX_SEGS */
	uint64_t mem_errors;	/* accessor refused a ring or table access */
};

struct vmsg_vq_dev {
	const struct vmsg_mem_ops *mem;
	uint64_t desc_addr, avail_addr, used_addr; /* host DMA addresses */
	uint16_t size;				   /* power of two, 1..32768 */
	uint16_t mask;
	uint16_t last_avail;	 /* next avail ring entry to take */
	uint16_t used_idx;	 /* next used ring entry to fill */
	uint16_t signalled_used; /* used_idx at the last notify decision */
	bool signalled_valid;
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	bool kicks_enabled;
	struct vmsg_vq_dev_stats stats;
};

/*
 * size: power of two 1..32768; desc/avail/used: host DMA addresses aligned
 * 16/2/4 whose areas do not wrap the 64-bit space. Progress starts at 0; a
 * caller restoring a queue may then set last_avail and used_idx. Kicks
 * start enabled. 0 or -EINVAL.
 */
int vmsg_vq_dev_init(struct vmsg_vq_dev *vq, const struct vmsg_mem_ops *mem, uint32_t size,
		     uint64_t desc_addr, uint64_t avail_addr, uint64_t used_addr, bool event_idx,
		     bool indirect);

/*
 * Take the next available chain. 1 with *chain filled, 0 if none, negative
 * on hostile input: -EPROTO (counted in stats) or -EFAULT (accessor refused).
 * A bad avail index consumes nothing (every later call fails the same way:
 * the queue is broken, the device should ask for a reset); a bad chain
 * consumes its avail entry so that the next call moves on, and is never
 * returned to the used ring.
 */
int vmsg_vq_dev_pop(struct vmsg_vq_dev *vq, struct vmsg_vq_chain *chain);

/* Copy [off, off + len) of the chain's readable bytes into dst, or dst into
 * its writable bytes. 0, -EINVAL if the range exceeds that part, -EFAULT.
 */
int vmsg_vq_chain_read(const struct vmsg_mem_ops *mem, const struct vmsg_vq_chain *chain,
		       uint32_t off, void *dst, uint32_t len);
int vmsg_vq_chain_write(const struct vmsg_mem_ops *mem, const struct vmsg_vq_chain *chain,
			uint32_t off, const void *src, uint32_t len);

/* Give a chain back: used elem, barrier, used idx (and, with event_idx and
 * kicks enabled, avail_event = last_avail). 0, -EINVAL, -EFAULT.
 */
int vmsg_vq_dev_push(struct vmsg_vq_dev *vq, uint16_t head, uint32_t written);

/* After one or more pushes: must the driver be interrupted (EVENT_USED)?
 * Event index rule with used_event, else the NO_INTERRUPT flag. True when
 * the ring cannot be read (better a spurious interrupt than a hang).
 */
bool vmsg_vq_dev_need_notify(struct vmsg_vq_dev *vq);

/* Driver kicks (EVENT_AVAIL). Disable while polling; enable returns 1 if
 * buffers arrived meanwhile (process them: lost-wakeup rule), 0 if none,
 * or negative like vmsg_vq_dev_pop.
 */
int vmsg_vq_dev_enable_kicks(struct vmsg_vq_dev *vq);
int vmsg_vq_dev_disable_kicks(struct vmsg_vq_dev *vq);

/* Available chains not yet popped, or negative like vmsg_vq_dev_pop. */
int vmsg_vq_dev_avail(struct vmsg_vq_dev *vq);

/* ---- Driver side ---- */

/* Private per-descriptor bookkeeping: the device cannot reach it. */
struct vmsg_vq_drv_state {
	uint16_t next;	 /* free list / chain link (the ring's copy is untrusted) */
	uint16_t ndesc;	 /* head: descriptors in the chain; 0 when not in flight */
	uint32_t in_len; /* head: writable bytes the device may report */
};

struct vmsg_vq_drv {
	struct vmsg_vring_desc *desc;
	struct vmsg_vring_avail *avail;
	struct vmsg_vring_used *used;
	struct vmsg_vq_drv_state *state;
	uint64_t desc_addr, avail_addr, used_addr; /* DMA addresses for SET_VQUEUE */
	uint32_t size;
	uint16_t mask;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;    /* shadow of avail->idx */
	uint16_t kicked_avail; /* avail_idx at the last kick decision */
	uint16_t last_used;
	uint16_t avail_flags; /* shadow of avail->flags */
	uint16_t in_flight;   /* chains given to the device */
	bool event_idx;
	uint64_t bad; /* hostile used entries seen */
};

/* A buffer for the device: DMA address and length. */
struct vmsg_vq_buf {
	uint64_t addr;
	uint32_t len;
};

#define VMSG_VQ_DRV_USED_ALIGN 64u /* used ring on its own cache line */
#define VMSG_VQ_NO_ID	       0xffffu

/* Bytes of ring memory vmsg_vq_drv_init() needs for a queue of size. */
static inline size_t vmsg_vq_drv_ring_bytes(uint32_t size)
{
	return vmsg_vring_size(size, VMSG_VQ_DRV_USED_ALIGN);
}

/*
 * Lay the rings out in mem (16-byte aligned, >= vmsg_vq_drv_ring_bytes),
 * whose DMA address is dma_base, and zero them. state: size entries of
 * private memory. size: power of two 1..32768. 0 or -EINVAL.
 */
int vmsg_vq_drv_init(struct vmsg_vq_drv *vq, void *mem, size_t mem_size, uint64_t dma_base,
		     uint32_t size, struct vmsg_vq_drv_state *state, bool event_idx);

/* Expose out (device-readable) then in (device-writable) buffers as one
 * chain of direct descriptors. Head id, -EAGAIN if not enough free
 * descriptors, -EINVAL (no buffers, more than size, lengths over u32).
 */
int vmsg_vq_drv_add(struct vmsg_vq_drv *vq, const struct vmsg_vq_buf *out, uint32_t nout,
		    const struct vmsg_vq_buf *in, uint32_t nin);

/* Same through one indirect descriptor: table (nout + nin entries, at most
 * VMSG_VQ_MAX_INDIRECT, 16-byte aligned, DMA address table_dma) is filled
 * by this call and must stay untouched until the chain is used.
 */
int vmsg_vq_drv_add_indirect(struct vmsg_vq_drv *vq, struct vmsg_vring_desc *table,
			     uint64_t table_dma, const struct vmsg_vq_buf *out, uint32_t nout,
			     const struct vmsg_vq_buf *in, uint32_t nin);

/* After adds: must the device be kicked (EVENT_AVAIL)? */
bool vmsg_vq_drv_kick_needed(struct vmsg_vq_drv *vq);

/*
 * Take one used chain: 1 with *id and *len, 0 if none, -EPROTO on a hostile
 * used ring (counted in vq->bad): an idx more than the chains in flight
 * ahead consumes nothing; an entry whose id is out of range or not a head
 * in flight is skipped; an entry whose len exceeds the chain's writable
 * bytes frees the chain. *id is then the chain freed (drop its buffers) or
 * VMSG_VQ_NO_ID.
 */
int vmsg_vq_drv_get_used(struct vmsg_vq_drv *vq, uint16_t *id, uint32_t *len);

/* Used notifications from the device: enable returns true if used entries
 * are already waiting (poll them: lost-wakeup rule).
 */
bool vmsg_vq_drv_enable_cb(struct vmsg_vq_drv *vq);
void vmsg_vq_drv_disable_cb(struct vmsg_vq_drv *vq);

static inline uint32_t vmsg_vq_drv_num_free(const struct vmsg_vq_drv *vq)
{
	return vq->num_free;
}

#endif /* VMSG_VIRTQ_H */
