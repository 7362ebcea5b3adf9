// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_oob.c - out-of-band notifications (VMSG_PCIE_F_OOB_NOTIFY,
 * docs/pcie-binding.md 7.5): per-queue doorbells host -> card and per-queue
 * MSI-X vectors card -> host, for the queues the transport sets up while the
 * feature is negotiated.
 *
 * Setup (before the queue's SET_VQUEUE, [OOB-3]): a free doorbell n in
 * 2..num_doorbells-1 and a vector (1 + (n - 2) mod (oob_nvec - 1): queues
 * share vectors when there are fewer than queues; VMSG_OOB_VEC_NONE without
 * spare vectors) are written to oob_map[n]. No free doorbell: the queue
 * stays in-band.
 *
 * Kick ([OOB-5]): one posted write of the slot's counter into doorbell[n]
 * (and the ivshmem Doorbell register on the emulated link); no lock, no
 * ring slot. Vector ([OOB-6], [OOB-7]): the handler runs in hard interrupt
 * context and calls virtio_msg_device_used() for every queue of this host's
 * own map on that vector: vring_interrupt() straight from the handler, no
 * work item. The card's value is never trusted: a vector with no queue, or
 * with nothing used, is counted and ignored.
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/rcupdate.h>

#include "vmsg_pci.h"

static bool vp_oob_on(struct vmsg_pci *vp)
{
	return vp_running(vp) && (vp->features & VMSG_PCIE_F_OOB_NOTIFY);
}

static void vp_oob_map_write(struct vmsg_pci *vp, u32 n, u16 dev, u16 q,
			     u16 vec)
{
	u32 off = VP_REG(oob_map) + n * sizeof(struct vmsg_pcie_oob_entry);

	if (test_bit(VP_F_FROZEN, &vp->flags) || READ_ONCE(vp->state) == VP_GONE)
		return;
	vp_wr(vp, off, (u32)dev | (u32)q << 16);
	vp_wr(vp, off + 4, vec);
}

static u16 vp_oob_vector_for(struct vmsg_pci *vp, u32 n)
{
	if (vp->irq_mode != VMSG_IRQ_MSIX || vp->oob_nvec < 2)
		return VMSG_OOB_VEC_NONE;
	return 1 + (n - VMSG_OOB_DB_FIRST) % (vp->oob_nvec - 1);
}

int vp_oob_setup(struct virtio_msg_bus *bus, u16 dev_num, u32 index)
{
	struct vmsg_pci *vp = bus->priv;
	unsigned long fl;
	int h = -ENOSPC;
	u32 n;

	if (!vp_oob_on(vp) || !dev_num || index > U16_MAX)
		return -EOPNOTSUPP;
	spin_lock_irqsave(&vp->oob_lock, fl);
	for (n = VMSG_OOB_DB_FIRST; vmsg_oob_db_ok(n, vp->num_doorbells); n++) {
		struct vp_oob_slot *s = &vp->oob[n];

		if (s->dev_num)
			continue;
		s->dev_num = dev_num;
		s->queue = index;
		s->vector = vp_oob_vector_for(vp, n);
		/* the card only looks at changes: any start value */
		atomic_set(&s->seq, vp_rd(vp, VP_REG(doorbell) + 4 * n));
		vp_oob_map_write(vp, n, dev_num, index, s->vector);
		h = n;
		break;
	}
	spin_unlock_irqrestore(&vp->oob_lock, fl);
	/* The entry reaches the card before the SET_VQUEUE that follows. */
	wmb();
	vp_count(vp, h >= 0 ? VP_ST_OOB_QUEUES : VP_ST_OOB_NO_SLOT);
	return h;
}

int vp_oob_kick(struct virtio_msg_bus *bus, int handle)
{
	struct vmsg_pci *vp = bus->priv;
	struct vp_oob_slot *s;
	u32 v;

	if (unlikely(!vp_running(vp) || handle < (int)VMSG_OOB_DB_FIRST ||
		     handle >= (int)vp->num_doorbells ||
		     test_bit(VP_F_FROZEN, &vp->flags)))
		return -ENODEV;
	s = &vp->oob[handle];
	v = atomic_inc_return(&s->seq);
	/* [DB-1]: the register, then on the emulated link the ivshmem doorbell. */
	writel(v, vp->regs + VP_REG(doorbell) + 4 * handle);
	if (vp->emu_regs)
		writel(VMSG_EMU_CARD_PEER_ID << 16 |
		       vmsg_emu_db_vector(handle, vp->num_vectors),
		       vp->emu_regs + VMSG_EMU_REG_DOORBELL);
	atomic64_inc(&s->kicks);
	return 0;
}

void vp_oob_release(struct virtio_msg_bus *bus, int handle)
{
	struct vmsg_pci *vp = bus->priv;
	unsigned long fl;

	if (handle < (int)VMSG_OOB_DB_FIRST ||
	    handle >= (int)VMSG_PCIE_MAX_DOORBELLS)
		return;
	spin_lock_irqsave(&vp->oob_lock, fl);
	if (vp->oob[handle].dev_num) {
		vp->oob[handle].dev_num = 0;
		vp->oob[handle].vector = VMSG_OOB_VEC_NONE;
		vp_oob_map_write(vp, handle, 0, 0, VMSG_OOB_VEC_NONE);
	}
	spin_unlock_irqrestore(&vp->oob_lock, fl);
}

/* [OOB-9]: a session starts with an empty map (the devices of the last
 * session were removed before the attach, so no slot is held).
 */
void vp_oob_session_start(struct vmsg_pci *vp)
{
	unsigned long fl;
	u32 n;

	spin_lock_irqsave(&vp->oob_lock, fl);
	for (n = 0; n < VMSG_PCIE_MAX_DOORBELLS; n++) {
		if (vp->oob[n].dev_num)
			vp_warn(vp, "doorbell %u still held by dev %u queue %u\n",
				n, vp->oob[n].dev_num, vp->oob[n].queue);
		vp->oob[n].dev_num = 0;
		vp->oob[n].vector = VMSG_OOB_VEC_NONE;
		vp_oob_map_write(vp, n, 0, 0, VMSG_OOB_VEC_NONE);
	}
	spin_unlock_irqrestore(&vp->oob_lock, fl);
}

/* [OOB-2]: the vectors the host enabled, written before ATTACH. */
u32 vp_oob_host_vectors(struct vmsg_pci *vp, u32 feats, u32 mode)
{
	if (!(feats & VMSG_PCIE_F_OOB_NOTIFY) || mode != VMSG_IRQ_MSIX)
		return 0;
	return vp->oob_nvec;
}

/* [OOB-7]: this host's own map decides; the card's vector only wakes us. */
static irqreturn_t vp_oob_irq(int irq, void *data)
{
	struct vp_oob_vec *ov = data;
	struct vmsg_pci *vp = ov->vp;
	struct virtio_msg_device *vmdev;
	bool any = false;
	u32 n, nd = READ_ONCE(vp->num_doorbells);

	vp_count(vp, VP_ST_OOB_IRQS);
	rcu_read_lock();
	for (n = VMSG_OOB_DB_FIRST; vmsg_oob_db_ok(n, nd); n++) {
		struct vp_oob_slot *s = &vp->oob[n];
		u16 dev = READ_ONCE(s->dev_num);

		if (!dev || READ_ONCE(s->vector) != ov->vec)
			continue;
		/* vp_dev_remove(): unpublished, then synchronize_rcu(). */
		vmdev = xa_load(&vp->devs, dev);
		if (!vmdev)
			continue;
		virtio_msg_device_used(vmdev, READ_ONCE(s->queue));
		any = true;
	}
	rcu_read_unlock();
	if (!any)
		vp_count(vp, VP_ST_OOB_IRQS_IDLE);
	return IRQ_HANDLED;
}

/*
 * [OOB-7] and [BUS-6]: a device the card removed is about to be broken. In
 * band, every EVENT_USED the card sent before its EVENT_DEVICE REMOVED is
 * dispatched before it (one ring, in order). A queue vector is not ordered
 * with that ring: it may be handled after the device is broken, where
 * vring_interrupt() drops it, and the driver never collects buffers the
 * card used (virtio_blk's remove then waits for them forever). So each of
 * the device's out-of-band queues is run once here, in the context the rx
 * path gives EVENT_USED (vp_dispatch()); vring_interrupt() does nothing
 * on a queue with nothing used. ctl context, ctl_lock held: vmdev stays.
 */
void vp_oob_flush_dev(struct vmsg_pci *vp, struct virtio_msg_device *vmdev,
		      u16 dev_num)
{
	u32 n, nd = READ_ONCE(vp->num_doorbells);
	unsigned long fl;

	lockdep_assert_held(&vp->ctl_lock);
	local_bh_disable();
	for (n = VMSG_OOB_DB_FIRST; vmsg_oob_db_ok(n, nd); n++) {
		struct vp_oob_slot *s = &vp->oob[n];

		if (READ_ONCE(s->dev_num) != dev_num ||
		    READ_ONCE(s->vector) == VMSG_OOB_VEC_NONE)
			continue;
		local_irq_save(fl);
		virtio_msg_device_used(vmdev, READ_ONCE(s->queue));
		local_irq_restore(fl);
	}
	local_bh_enable();
}

/*
 * After vector 0 (vec_c2h) has its handler: one handler per further vector
 * allocated. oob_nvec counts vector 0 and the contiguous ones that got a
 * handler; per-queue vectors are 1..oob_nvec-1.
 */
int vp_oob_irqs_request(struct vmsg_pci *vp)
{
	int v, r;

	vp->oob_nvec = vp->nvec > 0 ? 1 : 0;
	for (v = 1; v < vp->nvec && v < VMSG_PCIE_MAX_VECTORS; v++) {
		vp->oob_vec[v].vp = vp;
		vp->oob_vec[v].vec = v;
		r = request_irq(pci_irq_vector(vp->pdev, v), vp_oob_irq, 0,
				dev_name(&vp->pdev->dev), &vp->oob_vec[v]);
		if (r) {
			vp_warn(vp, "request_irq for queue vector %d: %d\n", v, r);
			break;
		}
		vp->oob_nvec = v + 1;
	}
	return vp->oob_nvec;
}

void vp_oob_irqs_free(struct vmsg_pci *vp)
{
	int v;

	for (v = 1; v < vp->oob_nvec; v++)
		free_irq(pci_irq_vector(vp->pdev, v), &vp->oob_vec[v]);
	vp->oob_nvec = 0;
}
