// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_msg_vq.c - virtqueues over virtio-msg: GET_VQUEUE / SET_VQUEUE /
 * RESET_VQUEUE, EVENT_AVAIL notifications and EVENT_USED interrupts.
 *
 * The vrings are allocated by the virtio core through the DMA API of the
 * bus's DMA device (vdev->dev.parent; VIRTIO_F_ACCESS_PLATFORM is required
 * by finalize_features), so the addresses given to SET_VQUEUE are host DMA
 * addresses. Every queue is checked with GET_VQUEUE after SET_VQUEUE.
 *
 * EVENT_USED looks the queue up in vm->vqs and runs vring_interrupt() with
 * vq_lock held; removing a queue from the table under vq_lock therefore
 * also waits for its running callback, which is what synchronize_cbs and
 * disable_vq_and_reset need.
 *
 * When a virtio-blk device dies with requests in flight, vm_fail_inflight()
 * plays the device one last time and fails them (end of file).
 */
#include <linux/bitmap.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "vmsg_bytes.h"
#include "virtio_msg_priv.h"

/* Largest split virtqueue (virtio 1.x). */
#define VM_VQ_MAX_NUM 32768u

static bool vm_notify(struct virtqueue *vq)
{
	struct virtio_msg_device *vm = to_vmdev(vq->vdev);
	u8 msg[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_event_avail))];
	size_t len;
	int ret;

	/*
	 * Nothing reaches a dead card. Returning false breaks the queue,
	 * except while vm_fail_inflight() has it unbroken: a buffer added
	 * then is completed by its next round, and the queue must stay
	 * unbroken until the driver has collected this round's errors.
	 */
	if (vm_dead(vm))
		return test_bit(VM_FAILING, &vm->flags);
	/* VIRTIO_F_NOTIFICATION_DATA is never negotiated: next_offset 0. */
	len = vmsg_build_event_avail(msg, sizeof(msg), vm->dev_num, vq->index,
				     0);
	ret = vm->bus->ops->send_event(vm->bus, msg, len);
	if (ret == -ENODEV)
		return false;
	if (ret)
		vm_warn_rl(vm, "EVENT_AVAIL for queue %u: %d\n", vq->index, ret);
	return true;
}

static int vm_get_vqueue(struct virtio_msg_device *vm, u32 index,
			 struct vmsg_vqueue_info *qi)
{
	const struct virtio_msg_get_vqueue_resp *r;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_get_vqueue_req(vm->req, vm->msg_max, vm->dev_num, 0,
					index);
	ret = vm_xfer(vm, len, sizeof(*r), sizeof(*r));
	if (ret >= 0) {
		r = vm_payload(vm);
		qi->index = le32_to_cpu(r->index);
		qi->max_size = le32_to_cpu(r->max_size);
		qi->size = le32_to_cpu(r->cur_size);
		qi->desc_addr = le64_to_cpu(r->desc_addr);
		qi->driver_addr = le64_to_cpu(r->driver_addr);
		qi->device_addr = le64_to_cpu(r->device_addr);
		ret = qi->index == index ? 0 : -EPROTO;
	}
	mutex_unlock(&vm->req_lock);
	if (ret)
		vm_fail(vm, "GET_VQUEUE", ret);
	return ret;
}

static int vm_set_vqueue(struct virtio_msg_device *vm,
			 const struct vmsg_vqueue_info *qi)
{
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_set_vqueue_req(vm->req, vm->msg_max, vm->dev_num, 0,
					qi);
	ret = vm_xfer(vm, len, 0, 0);
	mutex_unlock(&vm->req_lock);
	if (ret < 0) {
		vm_fail(vm, "SET_VQUEUE", ret);
		return ret;
	}
	return 0;
}

static int vm_reset_vqueue(struct virtio_msg_device *vm, u32 index)
{
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_reset_vqueue_req(vm->req, vm->msg_max, vm->dev_num, 0,
					  index);
	ret = vm_xfer(vm, len, 0, 0);
	mutex_unlock(&vm->req_lock);
	if (ret < 0) {
		vm_fail(vm, "RESET_VQUEUE", ret);
		return ret;
	}
	return 0;
}

/* Every area below 2^dma_addr_bits (the DMA mask guarantees it; check). */
static bool vm_vq_addrs_ok(struct virtio_msg_device *vm,
			   const struct vmsg_vqueue_info *qi)
{
	u32 bits = vm->bus->dma_addr_bits;

	if (!bits || bits >= 64)
		return true;
	return !(qi->desc_addr >> bits) && !(qi->driver_addr >> bits) &&
	       !(qi->device_addr >> bits);
}

/* SET_VQUEUE with vq's rings, then GET_VQUEUE: did the device take them? */
static int vm_activate_vq(struct virtio_msg_device *vm, struct virtqueue *vq)
{
	struct vmsg_vqueue_info got, qi = {
		.index = vq->index,
		.size = virtqueue_get_vring_size(vq),
		.desc_addr = virtqueue_get_desc_addr(vq),
		.driver_addr = virtqueue_get_avail_addr(vq),
		.device_addr = virtqueue_get_used_addr(vq),
	};
	int ret;

	if (!vm_vq_addrs_ok(vm, &qi)) {
		vm_err(vm, "queue %u: ring above the card's %u-bit DMA reach\n",
		       qi.index, vm->bus->dma_addr_bits);
		return -ERANGE;
	}
	ret = vm_set_vqueue(vm, &qi);
	if (ret)
		return ret;
	ret = vm_get_vqueue(vm, qi.index, &got);
	if (ret)
		return ret;
	if (got.size != qi.size || got.desc_addr != qi.desc_addr ||
	    got.driver_addr != qi.driver_addr ||
	    got.device_addr != qi.device_addr) {
		vm_err(vm, "queue %u: device refused SET_VQUEUE (size %u, asked %u)\n",
		       qi.index, got.size, qi.size);
		return -EIO;
	}
	return 0;
}

static struct virtqueue *vm_setup_vq(struct virtio_device *vdev,
				     unsigned int index, vq_callback_t *callback,
				     const char *name, bool ctx)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	struct vmsg_vqueue_info qi;
	struct virtqueue *vq;
	unsigned int num;
	int ret;

	if (index >= vm->info.max_virtqueues) {
		vm_err(vm, "queue %u requested, device has %u\n", index,
		       vm->info.max_virtqueues);
		return ERR_PTR(-ENOENT);
	}
	ret = vm_get_vqueue(vm, index, &qi);
	if (ret)
		return ERR_PTR(ret);
	if (!qi.max_size)
		return ERR_PTR(-ENOENT);
	if (qi.size) {
		vm_err(vm, "queue %u is already set up\n", index);
		return ERR_PTR(-EBUSY);
	}
	num = rounddown_pow_of_two(min(qi.max_size, VM_VQ_MAX_NUM));

	vq = vring_create_virtqueue(index, num, SMP_CACHE_BYTES, vdev, true,
				    true, ctx, vm_notify, callback, name);
	if (!vq)
		return ERR_PTR(-ENOMEM);
	vq->num_max = num;

	ret = vm_activate_vq(vm, vq);
	if (ret) {
		vring_del_virtqueue(vq);
		return ERR_PTR(ret);
	}
	return vq;
}

int vm_find_vqs_common(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[],
		       const struct vm_find_vqs_args *args)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	struct virtqueue **tbl;
	unsigned int i, nq = 0, q = 0;
	unsigned long flags;
	vq_callback_t *cb;
	const char *name;
	bool ctx;

	for (i = 0; i < nvqs; i++)
		if (vm_vq_arg(args, i, &cb, &ctx))
			nq++;
	if (vm->vqs)
		return -EBUSY;
	tbl = kcalloc(max(nq, 1u), sizeof(*tbl), GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	spin_lock_irqsave(&vm->vq_lock, flags);
	vm->vqs = tbl;
	vm->nvqs = nq;
	spin_unlock_irqrestore(&vm->vq_lock, flags);

	for (i = 0; i < nvqs; i++) {
		struct virtqueue *vq;

		name = vm_vq_arg(args, i, &cb, &ctx);
		if (!name) {
			vqs[i] = NULL;
			continue;
		}
		vq = vm_setup_vq(vdev, q, cb, name, ctx);
		if (IS_ERR(vq)) {
			vm_del_vqs(vdev);
			return PTR_ERR(vq);
		}
		vqs[i] = vq;
		spin_lock_irqsave(&vm->vq_lock, flags);
		vm->vqs[q++] = vq;
		spin_unlock_irqrestore(&vm->vq_lock, flags);
	}
	return 0;
}

void vm_del_vqs(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	struct virtqueue *vq, *n;
	struct virtqueue **tbl;
	unsigned long flags;
	bool reset_each;

	/* No EVENT_USED reaches these queues (or their callbacks) after this. */
	spin_lock_irqsave(&vm->vq_lock, flags);
	tbl = vm->vqs;
	vm->vqs = NULL;
	vm->nvqs = 0;
	spin_unlock_irqrestore(&vm->vq_lock, flags);
	kfree(tbl);

	/*
	 * Drivers reset the device before del_vqs, which quiesces every
	 * queue. If it was not reset (a failed probe), quiesce each queue
	 * with RESET_VQUEUE when negotiated; a device that never reached
	 * DRIVER_OK does not process its queues either way.
	 */
	reset_each = vm_has(vm, VIRTIO_F_RING_RESET) && READ_ONCE(vm->status) &&
		     !vm_dead(vm);
	list_for_each_entry_safe(vq, n, &vdev->vqs, list) {
		if (reset_each && !vq->reset && vm_reset_vqueue(vm, vq->index))
			vm_lost(vm);
		/* Not quiesced and not fenced: leak rather than free. */
		if (test_bit(VM_UNSAFE, &vm->flags))
			continue;
		vring_del_virtqueue(vq);
	}
}

void vm_synchronize_cbs(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	unsigned long flags;

	/* Callbacks run under vq_lock (vm_event_used()). */
	spin_lock_irqsave(&vm->vq_lock, flags);
	spin_unlock_irqrestore(&vm->vq_lock, flags);
}

void virtio_msg_device_notify_all(struct virtio_msg_device *vm)
{
	unsigned long flags;
	unsigned int i;

	if (vm_dead(vm))
		return;
	spin_lock_irqsave(&vm->vq_lock, flags);
	for (i = 0; i < vm->nvqs; i++)
		if (vm->vqs[i])
			virtqueue_notify(vm->vqs[i]);
	spin_unlock_irqrestore(&vm->vq_lock, flags);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_notify_all);

static void vm_vq_publish(struct virtio_msg_device *vm, struct virtqueue *vq,
			  struct virtqueue *val)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->vq_lock, flags);
	if (vq->index < vm->nvqs)
		vm->vqs[vq->index] = val;
	spin_unlock_irqrestore(&vm->vq_lock, flags);
}

int vm_disable_vq_and_reset(struct virtqueue *vq)
{
	struct virtio_msg_device *vm = to_vmdev(vq->vdev);
	int ret;

	if (!vm_has(vm, VIRTIO_F_RING_RESET))
		return -ENOENT;
	ret = vm_reset_vqueue(vm, vq->index);
	if (ret)
		return ret;
	/* Stop its EVENT_USED and wait for a running callback. */
	vm_vq_publish(vm, vq, NULL);
#ifdef CONFIG_VIRTIO_HARDEN_NOTIFICATION
	__virtqueue_break(vq);
#endif
	vq->reset = true;
	return 0;
}

int vm_enable_vq_after_reset(struct virtqueue *vq)
{
	struct virtio_msg_device *vm = to_vmdev(vq->vdev);
	struct vmsg_vqueue_info qi;
	int ret;

	if (!vq->reset)
		return -EBUSY;
	ret = vm_get_vqueue(vm, vq->index, &qi);
	if (ret)
		return ret;
	if (qi.size)
		return -EBUSY;
	ret = vm_activate_vq(vm, vq);
	if (ret)
		return ret;
	vm_vq_publish(vm, vq, vq);
#ifdef CONFIG_VIRTIO_HARDEN_NOTIFICATION
	__virtqueue_unbreak(vq);
#endif
	vq->reset = false;
	return 0;
}

/* EVENT_USED (interrupt context): run the queue's vring_interrupt(). */
void vm_event_used(struct virtio_msg_device *vm, const u8 *pl, size_t n)
{
	unsigned long flags;
	u32 index;

	if (n != sizeof(struct virtio_msg_event_used)) {
		vm_warn_rl(vm, "malformed EVENT_USED dropped\n");
		return;
	}
	index = vmsg_get_le32(pl);
	spin_lock_irqsave(&vm->vq_lock, flags);
	if (index < vm->nvqs && vm->vqs[index])
		vring_interrupt(0, vm->vqs[index]);
	else
		vm_dbg(vm, "EVENT_USED for unknown queue %u\n", index);
	spin_unlock_irqrestore(&vm->vq_lock, flags);
}

/* ---- a dead device's in-flight buffers ---- */

/* Rounds of vm_fail_inflight() (buffers added while it runs). */
#define VM_FAIL_ROUNDS 8

/*
 * Kernel address of the len bytes (in one page) at DMA address addr of the
 * bus's DMA device, or NULL. Behind an IOMMU (DMA domain) only an address
 * mapped for the device translates; with dma-direct it is the physical
 * address (the card could have written it itself). Other DMA ops: NULL.
 */
static void *vm_dma_to_cpu(struct device *dev, dma_addr_t addr, size_t len)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	phys_addr_t pa;
	struct page *pg;

	if (!len || addr + len - 1 < addr)
		return NULL;
	if (dom && iommu_is_dma_domain(dom))
		pa = iommu_iova_to_phys(dom, addr);
	else if (!get_dma_ops(dev))
		pa = dma_to_phys(dev, addr);
	else
		return NULL;
	if (!pa || pa == (phys_addr_t)-1 ||
	    PFN_DOWN(pa) != PFN_DOWN(pa + len - 1) || !pfn_valid(PFN_DOWN(pa)))
		return NULL;
	pg = pfn_to_page(PFN_DOWN(pa));
	if (PageHighMem(pg))
		return NULL;
	return page_address(pg) + offset_in_page(pa);
}

/*
 * The last descriptor of the chain at head, into *d. Bounds: indices
 * below num, each descriptor in at most one chain of this pass (seen: no
 * loop, no overlap); an indirect table only as the chain's sole
 * descriptor, a whole number of entries (at most VM_VQ_MAX_NUM), each
 * read through vm_dma_to_cpu() (the driver allocated and mapped it), at
 * most that many steps, no nesting.
 */
static bool vm_chain_last(struct virtio_msg_device *vm, const struct vring *vr,
			  u16 head, unsigned long *seen, struct vring_desc *d)
{
	struct virtio_device *vdev = &vm->vdev;
	unsigned int i = head, steps = 0, cnt;
	const struct vring_desc *t;
	u32 tlen;
	u64 tbl;
	u16 fl;

	for (;;) {
		if (i >= vr->num || __test_and_set_bit(i, seen))
			return false;
		memcpy(d, &vr->desc[i], sizeof(*d));
		fl = virtio16_to_cpu(vdev, d->flags);
		if (!(fl & VRING_DESC_F_NEXT))
			break;
		steps++;
		i = virtio16_to_cpu(vdev, d->next);
	}
	if (!(fl & VRING_DESC_F_INDIRECT))
		return true;
	tlen = virtio32_to_cpu(vdev, d->len);
	cnt = tlen / sizeof(*d);
	tbl = virtio64_to_cpu(vdev, d->addr);
	if (steps || !cnt || tlen % sizeof(*d) || cnt > VM_VQ_MAX_NUM)
		return false;
	for (i = 0, steps = 0; i < cnt && steps < cnt; steps++) {
		t = vm_dma_to_cpu(vm->bus->dma_dev, tbl + i * sizeof(*d),
				  sizeof(*d));
		if (!t)
			return false;
		memcpy(d, t, sizeof(*d));
		fl = virtio16_to_cpu(vdev, d->flags);
		if (fl & VRING_DESC_F_INDIRECT)
			return false;
		if (!(fl & VRING_DESC_F_NEXT))
			return true;
		i = virtio16_to_cpu(vdev, d->next);
	}
	return false;
}

/*
 * virtio-blk: set the status byte of the request at head, the last byte
 * of its last descriptor (device-writable), to VIRTIO_BLK_S_IOERR.
 */
static bool vm_fail_blk_req(struct virtio_msg_device *vm,
			    const struct vring *vr, u16 head,
			    unsigned long *seen)
{
	struct virtio_device *vdev = &vm->vdev;
	struct vring_desc d;
	u8 *status;
	u32 dlen;

	if (!vm_chain_last(vm, vr, head, seen, &d))
		return false;
	dlen = virtio32_to_cpu(vdev, d.len);
	if (!(virtio16_to_cpu(vdev, d.flags) & VRING_DESC_F_WRITE) || !dlen)
		return false;
	status = vm_dma_to_cpu(vm->bus->dma_dev,
			       virtio64_to_cpu(vdev, d.addr) + dlen - 1, 1);
	if (!status)
		return false;
	WRITE_ONCE(*status, VIRTIO_BLK_S_IOERR);
	return true;
}

/*
 * One queue: fail the requests between used->idx and avail->idx as the
 * device would (status byte, used element with length 1, write barrier,
 * used->idx), then let the driver collect them: vring_interrupt() does
 * nothing on a broken queue and virtqueue_get_buf() returns nothing from
 * one, so the queue is unbroken around the interrupt and broken again
 * (virtblk_done() collects inside the interrupt). Returns the number
 * completed. vq_lock held (callbacks run under it, as for EVENT_USED).
 */
static unsigned int vm_fail_vq(struct virtio_msg_device *vm,
			       struct virtqueue *vq, unsigned long *seen)
{
	struct virtio_device *vdev = &vm->vdev;
	const struct vring *vr = virtqueue_get_vring(vq);
	u16 avail, used, n, k, head, slot;

	if (vq->reset)
		return 0;
	avail = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->idx));
	used = virtio16_to_cpu(vdev, READ_ONCE(vr->used->idx));
	n = avail - used;
	if (!n)
		return 0;
	if (n > vr->num) {
		vm_err(vm, "queue %u: used index %u, avail index %u, size %u: its requests stay pending\n",
		       vq->index, used, avail, vr->num);
		return 0;
	}
	virt_rmb();	/* avail entries after avail->idx */
	bitmap_zero(seen, vr->num);
	for (k = 0; k < n; k++) {
		slot = (u16)(used + k) % vr->num;
		head = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->ring[slot]));
		if (!vm_fail_blk_req(vm, vr, head, seen)) {
			vm_err(vm, "queue %u: bad chain at head %u: %u requests stay pending\n",
			       vq->index, head, n - k);
			break;
		}
		vr->used->ring[slot].id = cpu_to_virtio32(vdev, head);
		vr->used->ring[slot].len = cpu_to_virtio32(vdev, 1);
	}
	if (!k)
		return 0;
	virt_wmb();	/* status bytes and used elements before used->idx */
	WRITE_ONCE(vr->used->idx, cpu_to_virtio16(vdev, used + k));
	__virtqueue_unbreak(vq);
	vring_interrupt(0, vq);
	__virtqueue_break(vq);
	return k;
}

/*
 * The device is dead: fail every request it still holds, so that the
 * driver unwinds and its remove does not wait for them forever. 6.1's
 * virtio_blk has no request timeout and del_gendisk() in virtblk_remove()
 * waits for every request; it ends a request with the status byte, which
 * it does not initialize (a stale VIRTIO_BLK_S_OK would report an unwritten
 * write as done), and ignores the used length. So the status byte is set
 * to VIRTIO_BLK_S_IOERR: the request fails with -EIO, never with success.
 *
 * Only virtio-blk. The other types the card offers do not need it, and
 * for them a completion would be invisible or wrong (6.1 sources):
 * virtio_net's callbacks only schedule NAPI, which runs after the queue is
 * broken again and collects nothing, and its remove reclaims every buffer
 * (virtqueue_detach_unused_buf() returns each buffer the driver still owns,
 * in flight or not; only the driver can call it, with its own token, and
 * virtio_blk never does); a used transmit buffer would count as sent.
 * virtio-rng's remove completes the pending read itself. virtio_console
 * would hand a reader an empty buffer (EOF), and its control queue ignores
 * the used length (a stale message would be parsed again). Unknown types
 * may read a stale status as success (virtio-scsi's response). Their
 * buffers stay in flight, as before, and their drivers reclaim them.
 *
 * Called by virtio_msg_device_remove() before the driver's remove, in this
 * order: the device is dead (no request, no notification reaches the card)
 * and its queues are broken (no new request); the bus has fenced the card
 * (virtio_msg_bus.h: a dead card is fenced before its devices are removed),
 * so the host alone owns the vrings; then this. A bus that cannot fence
 * (the emulated link: clearing bus mastering does not stop a soft card)
 * leaves a race with a card that is stalled rather than dead: it may still
 * complete a request while this runs, and a used element or the used index
 * written by both is lost or duplicated. The driver then rejects the
 * element ("id %u is not a head!"), breaks the queue, and the rest stays
 * pending; a status byte written by both is the card's OK only if the
 * card finished the request. A device lost without a fence (VM_UNSAFE)
 * is not touched at all.
 *
 * Which requests: the device's in-flight requests are taken to be the
 * avail entries from used->idx to avail->idx, which is exact for a device
 * that uses buffers in the order they were made available, as the card's
 * blk does (one request at a time). For an out-of-order device it is a
 * guess, checked only by the bounds here and by the driver, as above. The
 * chains are read from the host's own descriptor table; their addresses
 * are DMA addresses the card could read and write before it died, so they
 * are translated with vm_dma_to_cpu() and checked, never used as pointers.
 *
 * Rounds: a queue is unbroken while the driver collects, so another CPU
 * may add a request then (its notification is dropped, vm_notify()).
 * virtio_blk adds under its queue spinlock, an RCU read-side section:
 * after synchronize_rcu() every add that saw a queue unbroken has
 * published its request, and the next round fails it. Done when a round
 * finds nothing, at most VM_FAIL_ROUNDS rounds.
 */
void vm_fail_inflight(struct virtio_msg_device *vm)
{
	unsigned int i, n, round, total = 0;
	unsigned long *seen, flags;

	if (vm->vdev.id.device != VIRTIO_ID_BLOCK || !vm_dead(vm) ||
	    !test_bit(VM_VDEV_LIVE, &vm->flags))
		return;
	if (test_bit(VM_UNSAFE, &vm->flags)) {
		vm_err(vm, "card not fenced: in-flight requests stay pending\n");
		return;
	}
	if (vm_has(vm, VIRTIO_F_RING_PACKED)) {
		vm_err(vm, "packed virtqueues: in-flight requests stay pending\n");
		return;
	}
	seen = bitmap_zalloc(VM_VQ_MAX_NUM, GFP_KERNEL);
	if (!seen)
		return;
	set_bit(VM_FAILING, &vm->flags);
	/*
	 * VM_FAILING before any queue is unbroken: vm_notify() of an add
	 * that saw one unbroken (virtqueue_kick_prepare()'s full barrier is
	 * between the two) reads it set.
	 */
	smp_mb__after_atomic();
	for (round = 0; round < VM_FAIL_ROUNDS; round++) {
		synchronize_rcu();
		n = 0;
		spin_lock_irqsave(&vm->vq_lock, flags);
		for (i = 0; i < vm->nvqs; i++)
			if (vm->vqs[i])
				n += vm_fail_vq(vm, vm->vqs[i], seen);
		spin_unlock_irqrestore(&vm->vq_lock, flags);
		if (!n)
			break;
		total += n;
	}
	clear_bit(VM_FAILING, &vm->flags);
	bitmap_free(seen);
	if (total)
		vm_warn(vm, "device dead: %u in-flight requests failed with an I/O error (%u rounds)\n",
			total, round);
	if (round == VM_FAIL_ROUNDS)
		vm_err(vm, "requests still being added after %u rounds: the last stay pending\n",
		       round);
}
