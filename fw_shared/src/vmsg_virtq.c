/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_virtq.c - split virtqueue helpers (vmsg_virtq.h).
 *
 * Device side: everything comes through the memory accessor and is hostile.
 * A chain walk reads each descriptor once into a local copy, and is bounded
 * by the table it walks (queue size, or the indirect table's entries), so a
 * loop in the next links ends in an error after at most that many reads.
 *
 * Driver side: the rings are the driver's own memory; the used ring is the
 * device's answer and is checked; chain links and lengths come from the
 * private state array, never from the descriptor table the device can see.
 */
#include "vmsg_virtq.h"
#include "vmsg_barrier.h"

/* No <stdint.h> limits in the kernel build. */
#define VQ_U32_MAX 0xffffffffu
#define VQ_U64_MAX (~(uint64_t)0)

static bool is_pow2_size(uint32_t size)
{
	return size >= 1 && size <= VMSG_VRING_MAX_SIZE && (size & (size - 1)) == 0;
}

/* addr + len does not wrap: the end of the range is representable. */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return addr <= VQ_U64_MAX - len;
}

/* ---- Device side: accessor helpers ---- */

static int dev_read(struct vmsg_vq_dev *vq, uint64_t addr, void *dst, size_t len)
{
	if (vq->mem->read(vq->mem->ctx, addr, dst, len) != 0) {
		vq->stats.mem_errors++;
		return -VMSG_VQ_EFAULT;
	}
	return 0;
}

static int dev_write(struct vmsg_vq_dev *vq, uint64_t addr, const void *src, size_t len)
{
	if (vq->mem->write(vq->mem->ctx, addr, src, len) != 0) {
		vq->stats.mem_errors++;
		return -VMSG_VQ_EFAULT;
	}
	return 0;
}

static int dev_read16(struct vmsg_vq_dev *vq, uint64_t addr, uint16_t *v)
{
	vmsg_le16 x;
	int ret = dev_read(vq, addr, &x, sizeof(x));

	*v = ret ? 0 : vmsg_le16_to_cpu(x);
	return ret;
}

static int dev_write16(struct vmsg_vq_dev *vq, uint64_t addr, uint16_t v)
{
	vmsg_le16 x = vmsg_cpu_to_le16(v);

	return dev_write(vq, addr, &x, sizeof(x));
}

static int vq_fail(uint64_t *counter)
{
	(*counter)++;
	return -VMSG_VQ_EPROTO;
}

int vmsg_vq_dev_init(struct vmsg_vq_dev *vq, const struct vmsg_mem_ops *mem, uint32_t size,
		     uint64_t desc_addr, uint64_t avail_addr, uint64_t used_addr, bool event_idx,
		     bool indirect)
{
	if (!vq || !mem || !mem->read || !mem->write || !is_pow2_size(size))
		return -VMSG_VQ_EINVAL;
	if (desc_addr % VMSG_VRING_DESC_ALIGN || avail_addr % VMSG_VRING_AVAIL_ALIGN ||
	    used_addr % VMSG_VRING_USED_ALIGN)
		return -VMSG_VQ_EINVAL;
	if (!range_ok(desc_addr, vmsg_vring_desc_size(size)) ||
	    !range_ok(avail_addr, vmsg_vring_avail_size(size)) ||
	    !range_ok(used_addr, vmsg_vring_used_size(size)))
		return -VMSG_VQ_EINVAL;
	*vq = (struct vmsg_vq_dev){0};
	vq->mem = mem;
	vq->size = (uint16_t)size;
	vq->mask = (uint16_t)(size - 1);
	vq->desc_addr = desc_addr;
	vq->avail_addr = avail_addr;
	vq->used_addr = used_addr;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->kicks_enabled = true;
	return 0;
}

/* Size as u32: a queue of 32768 stores size 0x8000 in the u16 field. */
static uint32_t dev_size(const struct vmsg_vq_dev *vq)
{
	return vq->size;
}

int vmsg_vq_dev_avail(struct vmsg_vq_dev *vq)
{
	uint16_t idx, n;
	int ret;

	if (dev_size(vq) == 0)
		return -VMSG_VQ_EINVAL;
	ret = dev_read16(vq, vq->avail_addr + 2, &idx);
	if (ret)
		return ret;
	n = (uint16_t)(idx - vq->last_avail);
	if (n > dev_size(vq))
		return vq_fail(&vq->stats.bad_avail_idx);
	return n;
}

/* ---- Device side: chain walk ---- */

struct vq_walk {
	uint64_t table;	  /* descriptor table being walked */
	uint32_t entries; /* its size */
	uint32_t visited; /* descriptors read from it */
	bool indirect;	  /* inside an indirect table */
	bool seen_write;
	uint64_t out, in;
};

static int walk_enter_indirect(struct vmsg_vq_dev *vq, struct vq_walk *w,
			       const struct vmsg_vring_desc *d, uint16_t flags)
{
	uint64_t addr = vmsg_le64_to_cpu(d->addr);
	uint32_t len = vmsg_le32_to_cpu(d->len);

	if (!vq->indirect || w->indirect || (flags & VMSG_VRING_DESC_F_NEXT))
		return vq_fail(&vq->stats.bad_indirect);
	if (len == 0 || len % sizeof(*d) || len / sizeof(*d) > VMSG_VQ_MAX_INDIRECT ||
	    !range_ok(addr, len))
		return vq_fail(&vq->stats.bad_indirect);
	w->table = addr;
	w->entries = len / sizeof(*d);
	w->visited = 0;
	w->indirect = true;
	return 0;
}

static int walk_add_seg(struct vmsg_vq_dev *vq, struct vq_walk *w, struct vmsg_vq_chain *c,
			const struct vmsg_vring_desc *d, uint16_t flags)
{
	uint64_t addr = vmsg_le64_to_cpu(d->addr);
	uint32_t len = vmsg_le32_to_cpu(d->len);
	bool writable = (flags & VMSG_VRING_DESC_F_WRITE) != 0;
	struct vmsg_vq_seg *s;

	if (writable)
		w->seen_write = true;
	else if (w->seen_write)
		return vq_fail(&vq->stats.bad_order);
	if (!range_ok(addr, len) || w->out + w->in + len > VQ_U32_MAX)
		return vq_fail(&vq->stats.bad_len);
	if (len == 0)
		return 0;
	if (c->nsegs >= VMSG_VQ_MAX_SEGS)
		return vq_fail(&vq->stats.too_many_segs);
	s = &c->seg[c->nsegs++];
	s->addr = addr;
	s->len = len;
	s->writable = writable;
	if (writable) {
		w->in += len;
	} else {
		w->out += len;
		c->nout++;
	}
	return 0;
}

/* Read descriptor idx of the current table, bounded by the table size. */
static int walk_read_desc(struct vmsg_vq_dev *vq, struct vq_walk *w, uint32_t idx,
			  struct vmsg_vring_desc *d)
{
	if (idx >= w->entries)
		return vq_fail(&vq->stats.bad_next);
	if (++w->visited > w->entries)
		return vq_fail(&vq->stats.loops);
	return dev_read(vq, w->table + (uint64_t)idx * sizeof(*d), d, sizeof(*d));
}

static int walk_chain(struct vmsg_vq_dev *vq, uint16_t head, struct vmsg_vq_chain *c)
{
	struct vq_walk w = {.table = vq->desc_addr, .entries = dev_size(vq)};
	struct vmsg_vring_desc d;
	uint32_t idx = head;
	uint16_t flags;
	int ret;

	for (;;) {
		ret = walk_read_desc(vq, &w, idx, &d);
		if (ret)
			return ret;
		c->ndesc++;
		flags = vmsg_le16_to_cpu(d.flags);
		if (flags & VMSG_VRING_DESC_F_INDIRECT) {
			ret = walk_enter_indirect(vq, &w, &d, flags);
			if (ret)
				return ret;
			idx = 0;
			continue;
		}
		ret = walk_add_seg(vq, &w, c, &d, flags);
		if (ret)
			return ret;
		if (!(flags & VMSG_VRING_DESC_F_NEXT))
			break;
		idx = vmsg_le16_to_cpu(d.next);
	}
	c->out_bytes = (uint32_t)w.out;
	c->in_bytes = (uint32_t)w.in;
	return 1;
}

int vmsg_vq_dev_pop(struct vmsg_vq_dev *vq, struct vmsg_vq_chain *chain)
{
	uint16_t head;
	int ret;

	ret = vmsg_vq_dev_avail(vq);
	if (ret <= 0)
		return ret;
	/* The ring entry and descriptors are read after the index. */
	vmsg_rmb();
	ret = dev_read16(vq, vq->avail_addr + 4 + 2u * (vq->last_avail & vq->mask), &head);
	if (ret)
		return ret;
	vq->last_avail++;
	chain->head = head;
	chain->nsegs = 0;
	chain->nout = 0;
	chain->ndesc = 0;
	chain->out_bytes = 0;
	chain->in_bytes = 0;
	if (head >= dev_size(vq))
		return vq_fail(&vq->stats.bad_head);
	return walk_chain(vq, head, chain);
}

/* ---- Device side: data ---- */

/* Walk one part of the chain (readable or writable), copying through mem.
 * Exactly one of dst/src is non-NULL.
 */
static int chain_io(const struct vmsg_mem_ops *mem, const struct vmsg_vq_chain *c, bool wr,
		    uint32_t off, uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint32_t i = wr ? c->nout : 0, end = wr ? c->nsegs : c->nout;
	uint32_t total = wr ? c->in_bytes : c->out_bytes;

	if (!mem || c->nsegs > VMSG_VQ_MAX_SEGS || c->nout > c->nsegs)
		return -VMSG_VQ_EINVAL;
	if ((uint64_t)off + len > total)
		return -VMSG_VQ_EINVAL;
	for (; i < end && len; i++) {
		const struct vmsg_vq_seg *s = &c->seg[i];
		uint32_t n;
		int ret;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len ? s->len - off : len;
		ret = wr ? mem->write(mem->ctx, s->addr + off, src, n)
			 : mem->read(mem->ctx, s->addr + off, dst, n);
		if (ret)
			return -VMSG_VQ_EFAULT;
		if (wr)
			src += n;
		else
			dst += n;
		len -= n;
		off = 0;
	}
	return len ? -VMSG_VQ_EINVAL : 0;
}

int vmsg_vq_chain_read(const struct vmsg_mem_ops *mem, const struct vmsg_vq_chain *chain,
		       uint32_t off, void *dst, uint32_t len)
{
	return chain_io(mem, chain, false, off, dst, NULL, len);
}

int vmsg_vq_chain_write(const struct vmsg_mem_ops *mem, const struct vmsg_vq_chain *chain,
			uint32_t off, const void *src, uint32_t len)
{
	return chain_io(mem, chain, true, off, NULL, src, len);
}

/* ---- Device side: completion and notifications ---- */

static int dev_publish_avail_event(struct vmsg_vq_dev *vq)
{
	return dev_write16(vq, vq->used_addr + vmsg_vring_avail_event_off(dev_size(vq)),
			   vq->last_avail);
}

int vmsg_vq_dev_push(struct vmsg_vq_dev *vq, uint16_t head, uint32_t written)
{
	struct vmsg_vring_used_elem e;
	uint64_t slot;
	int ret;

	if (head >= dev_size(vq))
		return -VMSG_VQ_EINVAL;
	e.id = vmsg_cpu_to_le32(head);
	e.len = vmsg_cpu_to_le32(written);
	slot = vq->used_addr + 4 + 8u * (vq->used_idx & vq->mask);
	ret = dev_write(vq, slot, &e, sizeof(e));
	if (ret)
		return ret;
	/* The element must be visible before the index that publishes it. */
	vmsg_wmb();
	ret = dev_write16(vq, vq->used_addr + 2, (uint16_t)(vq->used_idx + 1));
	if (ret)
		return ret;
	vq->used_idx++;
	if (vq->event_idx && vq->kicks_enabled)
		return dev_publish_avail_event(vq);
	return 0;
}

bool vmsg_vq_dev_need_notify(struct vmsg_vq_dev *vq)
{
	uint16_t old = vq->signalled_used, v;
	bool valid = vq->signalled_valid;

	/* Our used idx write must be visible before we read the driver's wish. */
	vmsg_mb();
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (valid && old == vq->used_idx)
		return false;
	if (vq->event_idx) {
		if (dev_read16(vq, vq->avail_addr + vmsg_vring_used_event_off(dev_size(vq)), &v))
			return true;
		return !valid || vmsg_vring_need_event(v, vq->used_idx, old);
	}
	if (dev_read16(vq, vq->avail_addr, &v))
		return true;
	return !(v & VMSG_VRING_AVAIL_F_NO_INTERRUPT);
}

int vmsg_vq_dev_enable_kicks(struct vmsg_vq_dev *vq)
{
	int ret;

	if (dev_size(vq) == 0)
		return -VMSG_VQ_EINVAL;
	vq->kicks_enabled = true;
	if (vq->event_idx)
		ret = dev_publish_avail_event(vq);
	else
		ret = dev_write16(vq, vq->used_addr, 0);
	if (ret)
		return ret;
	/* Re-check after publishing: a buffer added meanwhile sent no kick. */
	vmsg_mb();
	ret = vmsg_vq_dev_avail(vq);
	return ret > 0 ? 1 : ret;
}

int vmsg_vq_dev_disable_kicks(struct vmsg_vq_dev *vq)
{
	if (dev_size(vq) == 0)
		return -VMSG_VQ_EINVAL;
	vq->kicks_enabled = false;
	/* With event_idx the stale avail_event already stops kicks. */
	if (vq->event_idx)
		return 0;
	return dev_write16(vq, vq->used_addr, VMSG_VRING_USED_F_NO_NOTIFY);
}

/* ---- Driver side ---- */

static uint16_t drv_rd16(const void *p)
{
	return vmsg_le16_to_cpu(VMSG_READ_ONCE16(p));
}

static void drv_wr16(void *p, uint16_t v)
{
	VMSG_WRITE_ONCE16(p, vmsg_cpu_to_le16(v));
}

static void *drv_used_event(struct vmsg_vq_drv *vq)
{
	return (uint8_t *)vq->avail + vmsg_vring_used_event_off(vq->size);
}

static void *drv_avail_event(struct vmsg_vq_drv *vq)
{
	return (uint8_t *)vq->used + vmsg_vring_avail_event_off(vq->size);
}

int vmsg_vq_drv_init(struct vmsg_vq_drv *vq, void *mem, size_t mem_size, uint64_t dma_base,
		     uint32_t size, struct vmsg_vq_drv_state *state, bool event_idx)
{
	size_t used_off = vmsg_vring_used_offset(size, VMSG_VQ_DRV_USED_ALIGN);
	uint8_t *m = mem;
	uint32_t i;

	if (!vq || !mem || !state || !is_pow2_size(size))
		return -VMSG_VQ_EINVAL;
	if ((uintptr_t)mem % VMSG_VRING_DESC_ALIGN || dma_base % VMSG_VRING_DESC_ALIGN)
		return -VMSG_VQ_EINVAL;
	if (mem_size < vmsg_vq_drv_ring_bytes(size) ||
	    !range_ok(dma_base, vmsg_vq_drv_ring_bytes(size)))
		return -VMSG_VQ_EINVAL;
	for (i = 0; i < vmsg_vq_drv_ring_bytes(size); i++)
		m[i] = 0;
	*vq = (struct vmsg_vq_drv){0};
	vq->desc = mem;
	vq->avail = (struct vmsg_vring_avail *)(m + vmsg_vring_desc_size(size));
	vq->used = (struct vmsg_vring_used *)(m + used_off);
	vq->state = state;
	vq->desc_addr = dma_base;
	vq->avail_addr = dma_base + vmsg_vring_desc_size(size);
	vq->used_addr = dma_base + used_off;
	vq->size = size;
	vq->mask = (uint16_t)(size - 1);
	vq->num_free = (uint16_t)size;
	vq->event_idx = event_idx;
	for (i = 0; i < size; i++) {
		state[i].next = (uint16_t)(i + 1);
		state[i].ndesc = 0;
		state[i].in_len = 0;
	}
	return 0;
}

static void drv_set_desc(struct vmsg_vring_desc *d, const struct vmsg_vq_buf *b, uint16_t flags,
			 uint16_t next)
{
	d->addr = vmsg_cpu_to_le64(b->addr);
	d->len = vmsg_cpu_to_le32(b->len);
	d->flags = vmsg_cpu_to_le16(flags);
	d->next = vmsg_cpu_to_le16(next);
}

/* Check a buffer list; on success *in_len = bytes the device may write. */
static int drv_check_bufs(const struct vmsg_vq_buf *out, uint32_t nout,
			  const struct vmsg_vq_buf *in, uint32_t nin, uint32_t max,
			  uint32_t *in_len)
{
	uint64_t total = 0, in_total = 0;
	uint32_t i;

	if ((nout && !out) || (nin && !in) || nout > max || nin > max || nout + nin == 0 ||
	    nout + nin > max)
		return -VMSG_VQ_EINVAL;
	for (i = 0; i < nout; i++)
		total += out[i].len;
	for (i = 0; i < nin; i++)
		in_total += in[i].len;
	if (total + in_total > VQ_U32_MAX)
		return -VMSG_VQ_EINVAL;
	*in_len = (uint32_t)in_total;
	return 0;
}

static const struct vmsg_vq_buf *drv_buf(const struct vmsg_vq_buf *out, uint32_t nout,
					 const struct vmsg_vq_buf *in, uint32_t i)
{
	return i < nout ? &out[i] : &in[i - nout];
}

static uint16_t drv_seg_flags(uint32_t i, uint32_t nout, uint32_t n)
{
	return (uint16_t)((i >= nout ? VMSG_VRING_DESC_F_WRITE : 0) |
			  (i + 1 < n ? VMSG_VRING_DESC_F_NEXT : 0));
}

/* Take n descriptors off the free list; the chain follows state[].next. */
static uint16_t drv_alloc(struct vmsg_vq_drv *vq, uint32_t n, uint32_t in_len)
{
	uint16_t head = vq->free_head, idx = head;
	uint32_t i;

	for (i = 0; i < n; i++)
		idx = vq->state[idx].next;
	vq->free_head = idx;
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->state[head].ndesc = (uint16_t)n;
	vq->state[head].in_len = in_len;
	return head;
}

/* Make head available to the device. */
static int drv_publish(struct vmsg_vq_drv *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & vq->mask] = vmsg_cpu_to_le16(head);
	/* Descriptors and ring entry before the index. */
	vmsg_dma_wmb();
	vq->avail_idx++;
	drv_wr16(&vq->avail->idx, vq->avail_idx);
	vq->in_flight++;
	return head;
}

int vmsg_vq_drv_add(struct vmsg_vq_drv *vq, const struct vmsg_vq_buf *out, uint32_t nout,
		    const struct vmsg_vq_buf *in, uint32_t nin)
{
	uint32_t in_len, i, n = nout + nin;
	uint16_t head, idx;
	int ret;

	ret = drv_check_bufs(out, nout, in, nin, vq->size, &in_len);
	if (ret)
		return ret;
	if (n > vq->num_free)
		return -VMSG_VQ_EAGAIN;
	head = drv_alloc(vq, n, in_len);
	for (i = 0, idx = head; i < n; i++, idx = vq->state[idx].next)
		drv_set_desc(&vq->desc[idx], drv_buf(out, nout, in, i), drv_seg_flags(i, nout, n),
			     i + 1 < n ? vq->state[idx].next : 0);
	return drv_publish(vq, head);
}

int vmsg_vq_drv_add_indirect(struct vmsg_vq_drv *vq, struct vmsg_vring_desc *table,
			     uint64_t table_dma, const struct vmsg_vq_buf *out, uint32_t nout,
			     const struct vmsg_vq_buf *in, uint32_t nin)
{
	struct vmsg_vq_buf tb;
	uint32_t in_len, i, n = nout + nin;
	uint16_t head;
	int ret;

	if (!table)
		return -VMSG_VQ_EINVAL;
	ret = drv_check_bufs(out, nout, in, nin, VMSG_VQ_MAX_INDIRECT, &in_len);
	if (ret)
		return ret;
	if (vq->num_free == 0)
		return -VMSG_VQ_EAGAIN;
	for (i = 0; i < n; i++)
		drv_set_desc(&table[i], drv_buf(out, nout, in, i), drv_seg_flags(i, nout, n),
			     (uint16_t)(i + 1 < n ? i + 1 : 0));
	head = drv_alloc(vq, 1, in_len);
	tb.addr = table_dma;
	tb.len = n * (uint32_t)sizeof(*table);
	drv_set_desc(&vq->desc[head], &tb, VMSG_VRING_DESC_F_INDIRECT, 0);
	return drv_publish(vq, head);
}

bool vmsg_vq_drv_kick_needed(struct vmsg_vq_drv *vq)
{
	uint16_t old = vq->kicked_avail, new_idx = vq->avail_idx;

	/* The avail idx store must be visible before we read the device's wish. */
	vmsg_dma_mb();
	vq->kicked_avail = new_idx;
	if (vq->event_idx)
		return vmsg_vring_need_event(drv_rd16(drv_avail_event(vq)), new_idx, old);
	if (old == new_idx)
		return false;
	return !(drv_rd16(&vq->used->flags) & VMSG_VRING_USED_F_NO_NOTIFY);
}

/* Return a used chain to the free list; its writable length. */
static uint32_t drv_free(struct vmsg_vq_drv *vq, uint16_t head)
{
	struct vmsg_vq_drv_state *st = vq->state;
	uint16_t n = st[head].ndesc, tail = head, i;

	for (i = 1; i < n; i++)
		tail = st[tail].next;
	st[tail].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + n);
	st[head].ndesc = 0;
	vq->in_flight--;
	return st[head].in_len;
}

static int drv_bad(struct vmsg_vq_drv *vq)
{
	vq->bad++;
	return -VMSG_VQ_EPROTO;
}

int vmsg_vq_drv_get_used(struct vmsg_vq_drv *vq, uint16_t *id, uint32_t *len)
{
	const struct vmsg_vring_used_elem *e;
	uint16_t n = (uint16_t)(drv_rd16(&vq->used->idx) - vq->last_used);
	uint32_t rid, rlen, in_len;

	*id = VMSG_VQ_NO_ID;
	*len = 0;
	if (n == 0)
		return 0;
	if (n > vq->in_flight)
		return drv_bad(vq);
	/* Read the element only after the index that published it. */
	vmsg_dma_rmb();
	e = &vq->used->ring[vq->last_used & vq->mask];
	rid = vmsg_le32_to_cpu(VMSG_READ_ONCE32(&e->id));
	rlen = vmsg_le32_to_cpu(VMSG_READ_ONCE32(&e->len));
	vq->last_used++;
	if (rid >= vq->size || vq->state[rid].ndesc == 0)
		return drv_bad(vq);
	in_len = drv_free(vq, (uint16_t)rid);
	*id = (uint16_t)rid;
	if (rlen > in_len)
		return drv_bad(vq);
	*len = rlen;
	return 1;
}

bool vmsg_vq_drv_enable_cb(struct vmsg_vq_drv *vq)
{
	if (vq->event_idx) {
		drv_wr16(drv_used_event(vq), vq->last_used);
	} else {
		vq->avail_flags &= (uint16_t)~VMSG_VRING_AVAIL_F_NO_INTERRUPT;
		drv_wr16(&vq->avail->flags, vq->avail_flags);
	}
	/* Publish the wish before re-checking: an entry used meanwhile sent
	 * no interrupt.
	 */
	vmsg_dma_mb();
	return drv_rd16(&vq->used->idx) != vq->last_used;
}

void vmsg_vq_drv_disable_cb(struct vmsg_vq_drv *vq)
{
	vq->avail_flags |= VMSG_VRING_AVAIL_F_NO_INTERRUPT;
	drv_wr16(&vq->avail->flags, vq->avail_flags);
}
