/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* devq.c - a backend's virtqueue over fw_shared vmsg_virtq and the engine. */
#include "devq.h"

#include <string.h>
#include <sys/uio.h>

#include "dev_common.h"
#include "virtio_msg.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

static int devq_mem_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	return vmsg_dev_host_read((struct vmsg_dev *)ctx, addr, dst, len);
}

static int devq_mem_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	return vmsg_dev_host_write((struct vmsg_dev *)ctx, addr, src, len);
}

uint64_t devq_ring_features(void)
{
	return DEV_BIT(VMSG_VIRTIO_F_RING_INDIRECT_DESC) | DEV_BIT(VMSG_VIRTIO_F_RING_EVENT_IDX);
}

void devq_init(struct devq *q, struct vmsg_dev *d, uint32_t idx)
{
	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->idx = idx;
	q->mem.ctx = d;
	q->mem.read = devq_mem_read;
	q->mem.write = devq_mem_write;
}

void devq_reset(struct devq *q)
{
	q->live = false;
	q->broken = false;
	q->pushed = false;
	q->staged = 0;
}

void devq_set_polled(struct devq *q, bool polled)
{
	if (q->polled == polled)
		return;
	q->polled = polled;
	q->live = false; /* set up again (progress kept): kicks follow the mode */
}

static struct vmsg_dev_queue *devq_regs(const struct devq *q)
{
	return q->idx < VMSG_DEV_MAX_QUEUES ? &q->dev->queues[q->idx] : NULL;
}

bool devq_ready(const struct devq *q)
{
	const struct vmsg_dev_queue *r = devq_regs(q);

	return r && q->idx < q->dev->num_queues && r->ready && r->size &&
	       (q->dev->status & VIRTIO_MSG_STATUS_DRIVER_OK) && !q->dev->removed;
}

/* Bring q->vq in line with the engine's registers; false if unusable. */
static bool devq_sync(struct devq *q)
{
	struct vmsg_dev_queue *r = devq_regs(q);

	if (q->broken || !devq_ready(q))
		return false;
	/* Any difference means the engine changed the queue behind our back
	 * (SET_VQUEUE, a clear): start over from its registers. */
	if (q->live && q->vq.desc_addr == r->desc_addr && q->vq.avail_addr == r->driver_addr &&
	    q->vq.used_addr == r->device_addr && (uint32_t)q->vq.mask + 1u == r->size &&
	    q->vq.last_avail == r->last_avail && q->vq.used_idx == r->used_idx)
		return true;
	if (vmsg_vq_dev_init(&q->vq, &q->mem, r->size, r->desc_addr, r->driver_addr, r->device_addr,
			     vmsg_dev_has_feature(q->dev, VMSG_VIRTIO_F_RING_EVENT_IDX),
			     vmsg_dev_has_feature(q->dev, VMSG_VIRTIO_F_RING_INDIRECT_DESC)) < 0) {
		vmsg_dev_log(q->dev, VMSG_LOG_WARN, "%s: queue %u: bad geometry (size %u)",
			     q->dev->ops->name, q->idx, r->size);
		q->broken = true;
		vmsg_dev_needs_reset(q->dev);
		return false;
	}
	/* Progress is the engine's (0 after a reset; kept across a restore). */
	q->vq.last_avail = r->last_avail;
	q->vq.used_idx = r->used_idx;
	q->live = true;
	/* A failed write only costs a kick we did not need. */
	if (q->polled)
		(void)vmsg_vq_dev_disable_kicks(&q->vq);
	return true;
}

static int devq_fail(struct devq *q, int rc, uint16_t before)
{
	struct vmsg_dev_queue *r = devq_regs(q);

	r->last_avail = q->vq.last_avail;
	if (q->vq.last_avail != before) {
		/* A bad chain: consumed, never returned (vmsg_virtq's rule). */
		q->bad_chains++;
		vmsg_dev_log(q->dev, VMSG_LOG_DEBUG, "%s: queue %u: malformed chain dropped (%d)",
			     q->dev->ops->name, q->idx, rc);
		return DEVQ_BAD;
	}
	vmsg_dev_log(q->dev, VMSG_LOG_ERR, "%s: queue %u: ring unusable (%d), needs reset",
		     q->dev->ops->name, q->idx, rc);
	q->broken = true;
	vmsg_dev_needs_reset(q->dev);
	return DEVQ_BROKEN;
}

int devq_pop(struct devq *q, struct devq_req *req)
{
	uint16_t before;
	int rc;

	if (!devq_sync(q))
		return q->broken ? DEVQ_BROKEN : 0;
	before = q->vq.last_avail;
	rc = vmsg_vq_dev_pop(&q->vq, &req->chain);
	if (rc == 0 && q->polled)
		return 0; /* we come back on our own: no kick wanted */
	if (rc == 0) {
		/* Empty: ask for a kick (event idx / flags), then look again so
		 * that a buffer added meanwhile is not missed. */
		rc = vmsg_vq_dev_enable_kicks(&q->vq);
		if (rc < 0)
			return devq_fail(q, rc, before);
		if (rc == 0)
			return 0;
		rc = vmsg_vq_dev_pop(&q->vq, &req->chain);
		if (rc == 0)
			return 0;
	}
	if (rc < 0)
		return devq_fail(q, rc, before);
	devq_regs(q)->last_avail = q->vq.last_avail;
	req->rlen = req->chain.out_bytes;
	req->wlen = req->chain.in_bytes;
	return 1;
}

int devq_read(struct devq *q, struct devq_req *r, uint32_t off, void *buf, uint32_t len)
{
	return vmsg_vq_chain_read(&q->mem, &r->chain, off, buf, len);
}

int devq_write(struct devq *q, struct devq_req *r, uint32_t off, const void *buf, uint32_t len)
{
	return vmsg_vq_chain_write(&q->mem, &r->chain, off, buf, len);
}

int devq_iov(struct devq *q, const struct devq_req *r, bool writable, uint32_t off, uint32_t len,
	     struct iovec *iov, uint32_t max)
{
	const struct vmsg_vq_chain *c = &r->chain;
	uint32_t i = writable ? c->nout : 0, end = writable ? c->nsegs : c->nout;
	uint32_t total = writable ? c->in_bytes : c->out_bytes, n = 0, take;
	void *p;

	if (c->nsegs > VMSG_VQ_MAX_SEGS || c->nout > c->nsegs || (uint64_t)off + len > total)
		return DEVQ_IOV_RANGE;
	for (; i < end && len; i++) {
		const struct vmsg_vq_seg *s = &c->seg[i];

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		if (n >= max)
			return DEVQ_IOV_RANGE;
		take = s->len - off < len ? s->len - off : len;
		/* The host's address, checked (window, host memory) before
		 * anything may use it. */
		p = vmsg_dev_host_direct(q->dev, s->addr + off, take);
		if (!p)
			return DEVQ_IOV_REFUSED;
		iov[n].iov_base = p;
		iov[n].iov_len = take;
		n++;
		len -= take;
		off = 0;
	}
	return len ? DEVQ_IOV_RANGE : (int)n;
}

int devq_push(struct devq *q, struct devq_req *r, uint32_t len)
{
	int rc;

	if (!q->live || q->broken)
		return -1;
	if (len > r->wlen)
		len = r->wlen;
	rc = vmsg_vq_dev_push(&q->vq, r->chain.head, len);
	if (rc < 0) {
		vmsg_dev_log(q->dev, VMSG_LOG_ERR, "%s: queue %u: cannot write used ring (%d)",
			     q->dev->ops->name, q->idx, rc);
		q->broken = true;
		vmsg_dev_needs_reset(q->dev);
		return rc;
	}
	devq_regs(q)->used_idx = q->vq.used_idx;
	q->pushed = true;
	return 0;
}

static int devq_broke(struct devq *q, int rc)
{
	vmsg_dev_log(q->dev, VMSG_LOG_ERR, "%s: queue %u: cannot write used ring (%d)",
		     q->dev->ops->name, q->idx, rc);
	q->broken = true;
	q->staged = 0;
	vmsg_dev_needs_reset(q->dev);
	return rc;
}

int devq_commit(struct devq *q)
{
	uint32_t size, start, first, n = q->staged;
	uint64_t ring;
	uint8_t idx[2];
	int rc;

	if (!n)
		return 0;
	if (!q->live || q->broken) {
		q->staged = 0;
		return -1;
	}
	size = (uint32_t)q->vq.mask + 1u;
	start = q->vq.used_idx & q->vq.mask;
	first = n < size - start ? n : size - start;
	ring = q->vq.used_addr + 4u;
	rc = q->mem.write(q->mem.ctx, ring + 8u * start, q->stage, 8u * first);
	if (!rc && n > first)
		rc = q->mem.write(q->mem.ctx, ring, q->stage + 8u * first, 8u * (n - first));
	if (rc)
		return devq_broke(q, rc);
	/* The elements must be visible before the index that publishes them. */
	vmsg_wmb();
	vmsg_put_le16(idx, (uint16_t)(q->vq.used_idx + n));
	rc = q->mem.write(q->mem.ctx, q->vq.used_addr + 2u, idx, sizeof(idx));
	if (!rc && q->vq.event_idx && q->vq.kicks_enabled) {
		vmsg_put_le16(idx, q->vq.last_avail);
		rc = q->mem.write(q->mem.ctx, q->vq.used_addr + vmsg_vring_avail_event_off(size),
				  idx, sizeof(idx));
	}
	q->vq.used_idx = (uint16_t)(q->vq.used_idx + n);
	devq_regs(q)->used_idx = q->vq.used_idx;
	q->staged = 0;
	q->pushed = true;
	return rc ? devq_broke(q, rc) : 0;
}

int devq_stage(struct devq *q, struct devq_req *r, uint32_t len)
{
	uint8_t *e;

	if (!q->live || q->broken)
		return -1;
	if (r->chain.head > q->vq.mask)
		return -1; /* never: pop checked it */
	if (len > r->wlen)
		len = r->wlen;
	e = q->stage + 8u * q->staged;
	vmsg_put_le32(e, r->chain.head);
	vmsg_put_le32(e + 4, len);
	/* Never more in flight than the ring holds: a full stage goes out. */
	if (++q->staged >= DEVQ_STAGE_MAX || q->staged > q->vq.mask)
		return devq_commit(q);
	return 0;
}

void devq_notify(struct devq *q)
{
	if (!q->pushed)
		return;
	q->pushed = false;
	/* NO_INTERRUPT / used_event decided here, against our own used idx. */
	if (q->live && vmsg_vq_dev_need_notify(&q->vq))
		vmsg_dev_send_used(q->dev, q->idx);
}
