/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_ring.h - single-producer single-consumer message ring over shared
 * memory (layout: vmsg_pcie.h, "Rings"). Each side attaches its own view.
 *
 * The ring memory is hostile: the consumer copies every slot out before it
 * looks at it and checks every index and length; geometry is read once at
 * attach and cached, never re-read. Memory ordering: vmsg_barrier.h.
 */
#ifndef VMSG_RING_H
#define VMSG_RING_H

#include "vmsg_pcie.h"

struct vmsg_ring {
	volatile uint8_t *base;		     /* ring start (header) */
	volatile struct vmsg_ring_idx *prod; /* producer index line */
	volatile struct vmsg_ring_idx *cons; /* consumer index line (may be remote) */
	volatile uint8_t *slots;
	uint32_t slot_size;
	uint32_t slot_count;
	uint32_t mask;
	uint32_t local;	  /* producer: next index to write; consumer: next to read */
	uint32_t cached;  /* last seen index of the other side */
	uint64_t bad;	  /* impossible indices / lengths seen from the peer */
	bool is_producer; /* which line this view owns (vmsg_ring_reset_local) */
};

/* Slot of free-running index idx (framing word first). For code that must
 * look at slots in place, e.g. the card engine's test hooks; the ring's own
 * functions are the only ones that read or write slots otherwise.
 */
static inline volatile uint8_t *vmsg_ring_slot(const struct vmsg_ring *r, uint32_t idx)
{
	return r->slots + (size_t)(idx & r->mask) * r->slot_size;
}

/* Error returns are negative errno-style values (portable, no errno.h). */
#define VMSG_RING_EINVAL   22
#define VMSG_RING_EAGAIN   11
#define VMSG_RING_EMSGSIZE 90
#define VMSG_RING_EPROTO   71

/* Geometry is valid: power-of-two count in range, slot size multiple of 64,
 * slot_size >= 8 + 44, total fits in mem_size.
 */
bool vmsg_ring_geometry_ok(uint32_t slot_size, uint32_t slot_count, size_t mem_size);

/* Write a fresh header at mem and zero both index lines inside it. */
int vmsg_ring_format(volatile void *mem, size_t mem_size, uint32_t slot_size, uint32_t slot_count);

/*
 * Attach a view. mem/mem_size: where header, prod line and slots live; mem
 * and cons_line must be 8-byte aligned (-EINVAL otherwise).
 * cons_line: where the consumer index lives; NULL means the line inside the
 * ring. The header is validated (magic, version, offsets, geometry within
 * mem_size); returns 0 or -VMSG_RING_EINVAL. Indices start from the values
 * found in memory.
 */
int vmsg_ring_attach_producer(struct vmsg_ring *r, volatile void *mem, size_t mem_size,
			      volatile struct vmsg_ring_idx *cons_line);
int vmsg_ring_attach_consumer(struct vmsg_ring *r, volatile void *mem, size_t mem_size,
			      volatile struct vmsg_ring_idx *cons_line);

/* Producer: copy one message (len <= slot_size - 8) into the next slot with
 * the given epoch, then publish it. 0, -EAGAIN if full, -EMSGSIZE,
 * -EINVAL (len 0 or msg NULL). An impossible consumer index (ahead of the
 * producer, or more than slot_count behind) is counted in r->bad and reads
 * as "full": a hostile consumer cannot make the producer overwrite slots.
 */
int vmsg_ring_produce(struct vmsg_ring *r, const void *msg, uint32_t len, uint32_t epoch);

/* Producer: does the consumer want a notification (NEED_NOTIFY set)? */
bool vmsg_ring_consumer_wants_notify(const struct vmsg_ring *r);

/* Producer: free slots right now. */
uint32_t vmsg_ring_space(struct vmsg_ring *r);

/*
 * Consumer: copy the next message into buf (buflen >= slot_size - 8 is always
 * enough). Returns its length (> 0), 0 if the ring is empty, or
 * -EPROTO if the producer index or the slot length is impossible (the slot
 * is skipped and counted in r->bad; on an impossible producer index the
 * consumer resynchronises to it). *epoch receives the slot's epoch.
 */
int vmsg_ring_consume(struct vmsg_ring *r, void *buf, uint32_t buflen, uint32_t *epoch);

/* Consumer: messages waiting (0 if the producer index is impossible). */
uint32_t vmsg_ring_pending(struct vmsg_ring *r);

/* Consumer: set or clear NEED_NOTIFY in the consumer line. After setting it,
 * call vmsg_ring_pending() again before sleeping (lost-wakeup rule).
 */
void vmsg_ring_set_need_notify(struct vmsg_ring *r, bool on);

/* Both: reset the view and the indices in memory to 0 (new epoch). Only the
 * side that owns a line writes it; see docs/pcie-binding.md, Attach.
 */
void vmsg_ring_reset_local(struct vmsg_ring *r);

#endif /* VMSG_RING_H */
