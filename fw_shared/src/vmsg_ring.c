/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_ring.c - SPSC message ring over shared memory (vmsg_ring.h).
 *
 * Indices are free-running u32 counters; slot = index & mask. The producer
 * caches the consumer index and re-reads it only when the ring looks full.
 * Everything read from ring memory comes from the peer and is checked:
 *
 * - producer index impossible (prod - local > slot_count): the consumer
 *   counts it and resynchronises to the producer's index, dropping every slot
 *   in between. Nothing stale or half-written is ever delivered; the ring
 *   works again as soon as the producer behaves.
 * - consumer index impossible (local - cons > slot_count): the producer
 *   counts it and keeps its last sane value, so a hostile consumer can make
 *   the ring look full, never make the producer overwrite unread slots.
 * - slot length 0, > slot_size - 8 or > buflen: counted, slot skipped.
 *
 * The slot framing is read with one 8-byte access into a local copy and only
 * that copy is checked and used (no double fetch of len); the message bytes
 * are then copied out into the caller's buffer, which the caller validates.
 */
#include "vmsg_ring.h"
#include "vmsg_barrier.h"

#define RING_MEM_ALIGN 8u

/* Plain caller memory read or written 8 bytes at a time. */
typedef uint64_t __attribute__((may_alias)) ring_u64_alias;

static bool ring_misaligned(const volatile void *p)
{
	return ((uintptr_t)p & (RING_MEM_ALIGN - 1)) != 0;
}

static void ring_copy_in(volatile uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint32_t i = 0;

	if ((((uintptr_t)dst | (uintptr_t)src) & 7) == 0) {
		for (; i + 8 <= len; i += 8)
			*(volatile uint64_t *)(dst + i) = *(const ring_u64_alias *)(src + i);
	}
	for (; i < len; i++)
		dst[i] = src[i];
}

static void ring_copy_out(uint8_t *dst, const volatile uint8_t *src, uint32_t len)
{
	uint32_t i = 0;

	if ((((uintptr_t)dst | (uintptr_t)src) & 7) == 0) {
		for (; i + 8 <= len; i += 8)
			*(ring_u64_alias *)(dst + i) = *(const volatile uint64_t *)(src + i);
	}
	for (; i < len; i++)
		dst[i] = src[i];
}

static uint32_t line_idx(const volatile struct vmsg_ring_idx *l)
{
	return vmsg_le32_to_cpu(VMSG_READ_ONCE32(&l->idx));
}

static void line_set_idx(volatile struct vmsg_ring_idx *l, uint32_t v)
{
	VMSG_WRITE_ONCE32(&l->idx, vmsg_cpu_to_le32(v));
}

bool vmsg_ring_geometry_ok(uint32_t slot_size, uint32_t slot_count, size_t mem_size)
{
	if (slot_count < VMSG_RING_MIN_SLOTS || slot_count > VMSG_RING_MAX_SLOTS)
		return false;
	if (slot_count & (slot_count - 1))
		return false;
	if (slot_size % VMSG_RING_SLOT_ALIGN != 0 || slot_size > VMSG_RING_MAX_SLOT_SIZE)
		return false;
	if (slot_size < sizeof(struct vmsg_slot_hdr) + VIRTIO_MSG_MIN_MAX_SIZE)
		return false;
	return (uint64_t)VMSG_RING_BYTES(slot_size, slot_count) <= (uint64_t)mem_size;
}

static void ring_zero(volatile uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = 0;
}

int vmsg_ring_format(volatile void *mem, size_t mem_size, uint32_t slot_size, uint32_t slot_count)
{
	volatile struct vmsg_ring_hdr *h = mem;

	if (!mem || ring_misaligned(mem) || !vmsg_ring_geometry_ok(slot_size, slot_count, mem_size))
		return -VMSG_RING_EINVAL;
	/* Invalidate first, fill in, publish the magic last. */
	VMSG_WRITE_ONCE32(&h->magic, 0);
	vmsg_wmb();
	ring_zero((volatile uint8_t *)mem + 4, VMSG_RING_HDR_SIZE - 4);
	h->version = vmsg_cpu_to_le16(VMSG_RING_VERSION);
	h->hdr_size = vmsg_cpu_to_le16(VMSG_RING_HDR_SIZE);
	h->slot_size = vmsg_cpu_to_le32(slot_size);
	h->slot_count = vmsg_cpu_to_le32(slot_count);
	h->prod_offset = vmsg_cpu_to_le32(VMSG_RING_LINE);
	h->cons_offset = vmsg_cpu_to_le32(2 * VMSG_RING_LINE);
	h->slots_offset = vmsg_cpu_to_le32(VMSG_RING_HDR_SIZE);
	vmsg_wmb();
	VMSG_WRITE_ONCE32(&h->magic, vmsg_cpu_to_le32(VMSG_RING_MAGIC));
	vmsg_wmb();
	return 0;
}

/* Validate a private copy of the header against the fixed layout. */
static bool ring_hdr_ok(const struct vmsg_ring_hdr *h, size_t mem_size)
{
	if (vmsg_le32_to_cpu(h->magic) != VMSG_RING_MAGIC)
		return false;
	if (vmsg_le16_to_cpu(h->version) != VMSG_RING_VERSION)
		return false;
	if (vmsg_le16_to_cpu(h->hdr_size) != VMSG_RING_HDR_SIZE)
		return false;
	if (vmsg_le32_to_cpu(h->prod_offset) != VMSG_RING_LINE ||
	    vmsg_le32_to_cpu(h->cons_offset) != 2 * VMSG_RING_LINE ||
	    vmsg_le32_to_cpu(h->slots_offset) != VMSG_RING_HDR_SIZE)
		return false;
	if (vmsg_le32_to_cpu(h->flags) != 0)
		return false;
	return vmsg_ring_geometry_ok(vmsg_le32_to_cpu(h->slot_size),
				     vmsg_le32_to_cpu(h->slot_count), mem_size);
}

static int ring_attach(struct vmsg_ring *r, volatile void *mem, size_t mem_size,
		       volatile struct vmsg_ring_idx *cons_line, bool producer)
{
	volatile uint8_t *base = mem;
	struct vmsg_ring_hdr h;

	if (!r || !mem || ring_misaligned(mem) || mem_size < VMSG_RING_HDR_SIZE)
		return -VMSG_RING_EINVAL;
	if (cons_line && ring_misaligned(cons_line))
		return -VMSG_RING_EINVAL;
	/* One snapshot: the header is never read again. */
	ring_copy_out((uint8_t *)&h, base, sizeof(h));
	vmsg_rmb();
	if (!ring_hdr_ok(&h, mem_size))
		return -VMSG_RING_EINVAL;

	*r = (struct vmsg_ring){0};
	r->base = base;
	r->prod = (volatile struct vmsg_ring_idx *)(base + VMSG_RING_LINE);
	r->cons =
	    cons_line ? cons_line : (volatile struct vmsg_ring_idx *)(base + 2 * VMSG_RING_LINE);
	r->slots = base + VMSG_RING_HDR_SIZE;
	r->slot_size = vmsg_le32_to_cpu(h.slot_size);
	r->slot_count = vmsg_le32_to_cpu(h.slot_count);
	r->mask = r->slot_count - 1;
	r->is_producer = producer;
	return 0;
}

int vmsg_ring_attach_producer(struct vmsg_ring *r, volatile void *mem, size_t mem_size,
			      volatile struct vmsg_ring_idx *cons_line)
{
	int ret = ring_attach(r, mem, mem_size, cons_line, true);

	if (ret)
		return ret;
	r->local = line_idx(r->prod);
	r->cached = line_idx(r->cons);
	/* Keep the invariant local - cached <= slot_count: an impossible
	 * consumer index reads as "full" until the consumer shows a sane one.
	 */
	if (r->local - r->cached > r->slot_count)
		r->cached = r->local - r->slot_count;
	return 0;
}

int vmsg_ring_attach_consumer(struct vmsg_ring *r, volatile void *mem, size_t mem_size,
			      volatile struct vmsg_ring_idx *cons_line)
{
	int ret = ring_attach(r, mem, mem_size, cons_line, false);

	if (ret)
		return ret;
	r->local = line_idx(r->cons);
	r->cached = line_idx(r->prod);
	return 0;
}

/* Producer: re-read the consumer index; keep the last sane value if the
 * one in memory is impossible.
 */
static void ring_refresh_cons(struct vmsg_ring *r)
{
	uint32_t cons = line_idx(r->cons);

	/* Slots the consumer released may be written only after this read
	 * ([ORD-4]: a load, then stores).
	 */
	vmsg_ring_ldmb();
	if (r->local - cons > r->slot_count) {
		r->bad++;
		return;
	}
	r->cached = cons;
}

int vmsg_ring_produce(struct vmsg_ring *r, const void *msg, uint32_t len, uint32_t epoch)
{
	volatile uint8_t *slot;
	uint64_t frame;

	if (len > r->slot_size - sizeof(struct vmsg_slot_hdr))
		return -VMSG_RING_EMSGSIZE;
	if (len == 0 || !msg)
		return -VMSG_RING_EINVAL;
	if (r->local - r->cached >= r->slot_count) {
		ring_refresh_cons(r);
		if (r->local - r->cached >= r->slot_count)
			return -VMSG_RING_EAGAIN;
	}
	slot = vmsg_ring_slot(r, r->local);
	/* struct vmsg_slot_hdr {len, flags = 0, epoch} as one LE 64-bit word */
	frame = (uint64_t)len | ((uint64_t)epoch << 32);
	*(volatile uint64_t *)slot = vmsg_cpu_to_le64(frame);
	ring_copy_in(slot + sizeof(struct vmsg_slot_hdr), msg, len);
	vmsg_wmb();
	r->local++;
	line_set_idx(r->prod, r->local);
	return 0;
}

bool vmsg_ring_consumer_wants_notify(const struct vmsg_ring *r)
{
	/* Our index write must be visible before we look at the flag. */
	vmsg_mb();
	return (vmsg_le32_to_cpu(VMSG_READ_ONCE32(&r->cons->flags)) & VMSG_RING_F_NEED_NOTIFY) != 0;
}

uint32_t vmsg_ring_space(struct vmsg_ring *r)
{
	ring_refresh_cons(r);
	return r->slot_count - (r->local - r->cached);
}

/* Consumer: publish our index once the slots before it are copied out
 * ([ORD-3]: loads, then the store).
 */
static void ring_publish_cons(struct vmsg_ring *r)
{
	vmsg_ring_ldmb();
	line_set_idx(r->cons, r->local);
}

/* Consumer: skip the current slot as malformed. */
static int ring_drop_slot(struct vmsg_ring *r)
{
	r->bad++;
	r->local++;
	ring_publish_cons(r);
	return -VMSG_RING_EPROTO;
}

int vmsg_ring_consume(struct vmsg_ring *r, void *buf, uint32_t buflen, uint32_t *epoch)
{
	const volatile uint8_t *slot;
	uint32_t prod, len;
	uint64_t frame;

	if (!buf)
		return -VMSG_RING_EINVAL;
	prod = line_idx(r->prod);
	r->cached = prod;
	if (prod == r->local)
		return 0;
	if (prod - r->local > r->slot_count) {
		/* Resynchronise: drop everything up to the producer's index. */
		r->bad++;
		r->local = prod;
		ring_publish_cons(r);
		return -VMSG_RING_EPROTO;
	}
	vmsg_ring_rmb(); /* [ORD-2] */
	slot = vmsg_ring_slot(r, r->local);
	frame = vmsg_le64_to_cpu(*(const volatile uint64_t *)slot);
	len = (uint32_t)(frame & 0xffffu);
	if (len == 0 || len > r->slot_size - sizeof(struct vmsg_slot_hdr) || len > buflen)
		return ring_drop_slot(r);
	ring_copy_out(buf, slot + sizeof(struct vmsg_slot_hdr), len);
	if (epoch)
		*epoch = (uint32_t)(frame >> 32);
	r->local++;
	ring_publish_cons(r);
	return (int)len;
}

uint32_t vmsg_ring_pending(struct vmsg_ring *r)
{
	uint32_t prod = line_idx(r->prod);
	uint32_t n = prod - r->local;

	r->cached = prod;
	return n > r->slot_count ? 0 : n;
}

void vmsg_ring_set_need_notify(struct vmsg_ring *r, bool on)
{
	VMSG_WRITE_ONCE32(&r->cons->flags, vmsg_cpu_to_le32(on ? VMSG_RING_F_NEED_NOTIFY : 0u));
	/* The flag must be visible before the caller re-reads the index. */
	vmsg_mb();
}

void vmsg_ring_reset_local(struct vmsg_ring *r)
{
	if (r->is_producer) {
		line_set_idx(r->prod, 0);
	} else {
		line_set_idx(r->cons, 0);
		VMSG_WRITE_ONCE32(&r->cons->flags, 0);
	}
	vmsg_wmb();
	r->local = 0;
	r->cached = 0;
}
