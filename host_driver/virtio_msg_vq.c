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
 * When a virtio-blk device dies with requests in flight, the transport
 * fails them (virtio_msg_compat_blk.c, while virtio_blk does not).
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>

#include "vmsg_bytes.h"
#include "virtio_msg_priv.h"

/* vq->priv: 0, or the bus's out-of-band handle + 1 (oob_setup). */
static int vm_vq_oob(struct virtqueue *vq)
{
	return (int)((uintptr_t)vq->priv - 1);
}

static void vm_oob_setup(struct virtio_msg_device *vm, struct virtqueue *vq)
{
	const struct virtio_msg_bus_ops *ops = vm->bus->ops;
	int h;

	if (vq->priv || !ops->oob_setup || !ops->oob_kick || !ops->oob_release)
		return;
	h = ops->oob_setup(vm->bus, vm->dev_num, vq->index);
	if (h >= 0)
		vq->priv = (void *)((uintptr_t)h + 1);
}

static void vm_oob_release(struct virtio_msg_device *vm, struct virtqueue *vq)
{
	if (!vq->priv)
		return;
	vm->bus->ops->oob_release(vm->bus, vm_vq_oob(vq));
	vq->priv = NULL;
}

static bool vm_notify(struct virtqueue *vq)
{
	struct virtio_msg_device *vm = to_vmdev(vq->vdev);
	u8 msg[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_event_avail))];
	size_t len;
	int ret;

	/*
	 * Nothing reaches a dead card. Returning false breaks the queue,
	 * except while vmsg_blk_fail_inflight() has it unbroken: a buffer added
	 * then is completed by its next round, and the queue must stay
	 * unbroken until the driver has collected this round's errors.
	 */
	if (vm_dead(vm))
		return test_bit(VM_FAILING, &vm->flags);
	if (vq->priv) {
		/* Out of band: one doorbell write, no message, no shared lock. */
		ret = vm->bus->ops->oob_kick(vm->bus, vm_vq_oob(vq));
	} else {
		/* NOTIFICATION_DATA is never negotiated: next_offset 0. */
		len = vmsg_build_event_avail(msg, sizeof(msg), vm->dev_num,
					     vq->index, 0);
		ret = vm->bus->ops->send_event(vm->bus, msg, len);
	}
	if (!ret)
		return true;
	/*
	 * Not sent (the bus keeps what only waits for room): the device
	 * would never see the buffer, so the queue is reported broken.
	 */
	if (ret != -ENODEV)
		vm_err_rl(vm, "EVENT_AVAIL for queue %u not sent (%d): queue broken\n",
			  vq->index, ret);
	return false;
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
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r));
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
		vmsg_fail(vm, "GET_VQUEUE", ret);
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
	ret = vmsg_xfer(vm, len, 0, 0);
	mutex_unlock(&vm->req_lock);
	if (ret < 0) {
		vmsg_fail(vm, "SET_VQUEUE", ret);
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
	ret = vmsg_xfer(vm, len, 0, 0);
	mutex_unlock(&vm->req_lock);
	if (ret < 0) {
		vmsg_fail(vm, "RESET_VQUEUE", ret);
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
	/* The bus maps the queue's doorbell/vector before SET_VQUEUE. */
	vm_oob_setup(vm, vq);
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
	vq->priv = NULL;

	ret = vm_activate_vq(vm, vq);
	if (ret) {
		vm_oob_release(vm, vq);
		vring_del_virtqueue(vq);
		return ERR_PTR(ret);
	}
	return vq;
}

int vmsg_find_vqs_common(struct virtio_device *vdev, unsigned int nvqs,
			 struct virtqueue *vqs[],
			 const struct vmsg_find_vqs_args *args)
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
			vmsg_del_vqs(vdev);
			return PTR_ERR(vq);
		}
		vqs[i] = vq;
		spin_lock_irqsave(&vm->vq_lock, flags);
		vm->vqs[q++] = vq;
		spin_unlock_irqrestore(&vm->vq_lock, flags);
	}
	return 0;
}

void vmsg_del_vqs(struct virtio_device *vdev)
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
			vmsg_lost(vm);
		vm_oob_release(vm, vq);
		/* Not quiesced and not fenced: leak rather than free. */
		if (test_bit(VM_UNSAFE, &vm->flags))
			continue;
		vring_del_virtqueue(vq);
	}
}

void vmsg_synchronize_cbs(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	unsigned long flags;

	/* Callbacks run under vq_lock (vmsg_event_used()). */
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

int vmsg_disable_vq_and_reset(struct virtqueue *vq)
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
	vm_oob_release(vm, vq);
#ifdef CONFIG_VIRTIO_HARDEN_NOTIFICATION
	__virtqueue_break(vq);
#endif
	vq->reset = true;
	return 0;
}

int vmsg_enable_vq_after_reset(struct virtqueue *vq)
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
void vmsg_event_used(struct virtio_msg_device *vm, const u8 *pl, size_t n)
{
	if (n != sizeof(struct virtio_msg_event_used)) {
		vm_warn_rl(vm, "malformed EVENT_USED dropped\n");
		return;
	}
	virtio_msg_device_used(vm, vmsg_get_le32(pl));
}

void virtio_msg_device_used(struct virtio_msg_device *vm, u32 index)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->vq_lock, flags);
	if (index < vm->nvqs && vm->vqs[index])
		vring_interrupt(0, vm->vqs[index]);
	else
		vm_dbg(vm, "EVENT_USED for unknown queue %u\n", index);
	spin_unlock_irqrestore(&vm->vq_lock, flags);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_used);
