// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_dev.c - the devices behind the card: enumeration with
 * GET_DEVICES ([BUS-1], [BUS-2]), EVENT_DEVICE hotplug ([BUS-6]..[BUS-8])
 * and removal, through virtio_msg_device_add/register/unregister/remove.
 *
 * vp->devs maps dev_num to the transport's device. Lookups for event
 * dispatch are RCU (vmsg_pci_c2h.c); additions and removals happen only in
 * ctl context (ctl_lock), so the transport's add/unregister/remove calls of
 * one device never run concurrently (virtio_msg_bus.h).
 */
#include <linux/bitmap.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

static int vp_dev_add(struct vmsg_pci *vp, u16 dev_num)
{
	struct virtio_msg_device *vmdev;
	int r;

	lockdep_assert_held(&vp->ctl_lock);
	if (!dev_num || xa_load(&vp->devs, dev_num))
		return 0; /* the bus itself, or a duplicate READY ([BUS-8]) */
	if (vp->ndevs >= vp->max_devs) {
		/* [DEV-3] */
		vp_warn_rl(vp, "dev %u ignored: already %u devices (max_devices)\n",
			   dev_num, vp->ndevs);
		return -ENOSPC;
	}
	vmdev = virtio_msg_device_add(&vp->bus, dev_num);
	if (IS_ERR(vmdev)) {
		vp_count(vp, VP_ST_DEV_ADD_FAILS);
		if (vp_running(vp))
			vp_warn_rl(vp, "dev %u: cannot add it (%ld)\n", dev_num,
				   PTR_ERR(vmdev));
		return PTR_ERR(vmdev);
	}
	r = xa_insert(&vp->devs, dev_num, vmdev, GFP_KERNEL);
	if (r) {
		virtio_msg_device_break(vmdev);
		virtio_msg_device_remove(vmdev);
		vp_count(vp, VP_ST_DEV_ADD_FAILS);
		return r;
	}
	vp->ndevs++;
	vp_count(vp, VP_ST_DEV_ADDED);
	vp_dbg(vp, "dev %u added\n", dev_num);
	/* A link lost during add: its teardown may have run already. */
	if (!vp_running(vp))
		virtio_msg_device_break(vmdev);
	/* Published: its events reach it, the driver may probe. */
	virtio_msg_device_register(vmdev);
	return 0;
}

/*
 * graceful: the card is alive and the device is still there (rmmod, PCI
 * remove, reset): unregister with live messages first. Otherwise (REMOVED,
 * link dead) break it and fail its requests first ([BUS-7]).
 */
void vp_dev_remove(struct vmsg_pci *vp, u16 dev_num, bool graceful)
{
	struct virtio_msg_device *vmdev;

	lockdep_assert_held(&vp->ctl_lock);
	vmdev = xa_load(&vp->devs, dev_num);
	if (!vmdev)
		return; /* [BUS-8]: REMOVED for an unknown device */
	if (graceful) {
		virtio_msg_device_unregister(vmdev);
	} else {
		/* What the card used before REMOVED, as in band (vmsg_pci_oob.c). */
		if (vp_running(vp))
			vp_oob_flush_dev(vp, vmdev, dev_num);
		virtio_msg_device_break(vmdev);
		vp_fail_requests(vp, dev_num, -ENODEV);
	}
	/* Unpublish, then wait for dispatches already running. */
	xa_erase(&vp->devs, dev_num);
	synchronize_rcu();
	virtio_msg_device_remove(vmdev);
	vp->ndevs--;
	vp_count(vp, VP_ST_DEV_REMOVED);
	vp_dbg(vp, "dev %u removed\n", dev_num);
}

void vp_dev_break_all(struct vmsg_pci *vp)
{
	struct virtio_msg_device *vmdev;
	unsigned long idx;

	rcu_read_lock();
	xa_for_each(&vp->devs, idx, vmdev)
		virtio_msg_device_break(vmdev);
	rcu_read_unlock();
}

void vp_dev_remove_all(struct vmsg_pci *vp, bool graceful)
{
	struct virtio_msg_device *vmdev;
	unsigned long idx;

	lockdep_assert_held(&vp->ctl_lock);
	if (!graceful)
		vp_dev_break_all(vp);
	xa_for_each(&vp->devs, idx, vmdev) {
		/* A graceful removal turns into a dead one if the link dies. */
		vp_dev_remove(vp, (u16)idx, graceful && vp_running(vp));
	}
}

/* Window size for GET_DEVICES: a multiple of 8 whose bitmap fits. */
static u32 vp_enum_count(struct vmsg_pci *vp)
{
	u32 fixed = VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_get_devices_resp));
	u32 bits = ((vp->max_msg - fixed) * 8u) & ~7u;

	return min(bits, 2048u);
}

/* Device numbers present, one GET_DEVICES window after another. */
static int vp_get_devices(struct vmsg_pci *vp, unsigned long *present)
{
	u8 req[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_get_devices_req))];
	u8 resp[VP_MSG_MAX];
	u32 off = 0, i, want = vp_enum_count(vp);
	const u8 *pl = resp + VIRTIO_MSG_HEADER_SIZE;
	int r;

	for (i = 0; i < VP_ENUM_MAX_REQS; i++) {
		u32 cnt = min(want, VP_DEV_NUMS - off);
		u32 roff, rcnt, next, b;
		size_t n;

		n = vmsg_build_bus_get_devices_req(req, sizeof(req), 0, off, cnt);
		r = vp_request(vp, req, n, resp, sizeof(resp),
			       VMSG_PCIE_REQUEST_TIMEOUT_MS);
		if (r < 0)
			return r;
		/* Validated by the bus: sizes, alignment, next >= off + cnt. */
		roff = vmsg_get_le16(pl);
		rcnt = vmsg_get_le16(pl + 2);
		next = vmsg_get_le16(pl + 4);
		if (roff != off || rcnt > cnt) {
			/* [BUS-2] */
			vp_warn(vp, "GET_DEVICES answered window %u+%u for %u+%u\n",
				roff, rcnt, off, cnt);
			return -EPROTO;
		}
		for (b = 0; b < rcnt; b++)
			if (pl[6 + b / 8] & (1u << (b % 8)))
				__set_bit(off + b, present);
		if (!next || next <= off)
			return 0;
		off = next;
	}
	return 0;
}

/*
 * [ATT-H-10], [BUS-1]. reconcile: also remove the devices the card no
 * longer reports (after EVENT_DEVICE notices were lost).
 */
int vp_enumerate(struct vmsg_pci *vp, bool reconcile)
{
	struct virtio_msg_device *vmdev;
	unsigned long *present, idx;
	unsigned int n;
	int r;

	lockdep_assert_held(&vp->ctl_lock);
	present = bitmap_zalloc(VP_DEV_NUMS, GFP_KERNEL);
	if (!present)
		return -ENOMEM;
	r = vp_get_devices(vp, present);
	if (r)
		goto out;
	__clear_bit(0, present); /* [DEV-1]: 0 is the bus */
	if (reconcile) {
		xa_for_each(&vp->devs, idx, vmdev)
			if (!test_bit(idx, present))
				vp_dev_remove(vp, (u16)idx, false);
	}
	vp_info(vp, "%u device(s) behind the card\n",
		bitmap_weight(present, VP_DEV_NUMS));
	for_each_set_bit(n, present, VP_DEV_NUMS) {
		if (!vp_running(vp))
			break;
		vp_dev_add(vp, n);
	}
out:
	bitmap_free(present);
	return r;
}

/* From the rx path, any context. */
void vp_hotplug_queue(struct vmsg_pci *vp, u16 dev_num, u16 state)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->evq_lock, fl);
	if (vp->hpq_count >= VP_HPQ_SLOTS) {
		set_bit(VP_F_RESCAN, &vp->flags);
	} else {
		vp->hpq[(vp->hpq_head + vp->hpq_count) % VP_HPQ_SLOTS] =
			(struct vp_hp){ .dev_num = dev_num, .state = state };
		vp->hpq_count++;
	}
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	vp_kick_ctl(vp, BITS_PER_LONG, 0);
}

static bool vp_hotplug_pop(struct vmsg_pci *vp, struct vp_hp *hp)
{
	unsigned long fl;
	bool got = false;

	spin_lock_irqsave(&vp->evq_lock, fl);
	if (vp->hpq_count) {
		*hp = vp->hpq[vp->hpq_head];
		vp->hpq_head = (vp->hpq_head + 1) % VP_HPQ_SLOTS;
		vp->hpq_count--;
		got = true;
	}
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	return got;
}

/* ctl context: apply queued EVENT_DEVICE notices in order. */
void vp_hotplug_run(struct vmsg_pci *vp)
{
	struct vp_hp hp;
	u32 i;

	for (i = 0; i < VP_HPQ_SLOTS && vp_running(vp); i++) {
		if (!vp_hotplug_pop(vp, &hp))
			break;
		if (hp.state == VIRTIO_BUS_DEVICE_STATE_READY) {
			vp_info_rl(vp, "dev %u: EVENT_DEVICE READY\n",
				   hp.dev_num);
			vp_dev_add(vp, hp.dev_num);
		} else if (hp.state == VIRTIO_BUS_DEVICE_STATE_REMOVED) {
			vp_info_rl(vp, "dev %u: EVENT_DEVICE REMOVED\n",
				   hp.dev_num);
			vp_dev_remove(vp, hp.dev_num, false);
		} else {
			vp_count(vp, VP_ST_DROP_UNSUPPORTED); /* [BUS-8] */
		}
	}
	if (READ_ONCE(vp->hpq_count) && vp_running(vp))
		vp_kick_ctl(vp, BITS_PER_LONG, 0);
}
