// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_evq.c - the deferred queue of the PCIe bus (evq): messages an
 * atomic requester took from the c2h ring but must not act on itself.
 *
 * Order (virtio_msg_bus.h): a device's events and responses take effect in
 * the order the card sent them. Two kinds of consumers take slots: rx_dwork
 * and atomic requesters (which poll the ring themselves, [SEC-H-4]). Taking
 * one slot and acting on it happens under rx_lock, so neither overtakes the
 * other. An atomic requester must not call into virtio drivers (it may run
 * inside one of their callbacks, or under their locks): it defers the
 * transport events it takes to the deferred queue (evq), and with them
 * every later response of the same device, except its own response; bus
 * responses (PING, GET_DEVICES) have no order with device events and are
 * never held back. rx_dwork acts on the deferred queue before it takes
 * another slot. An atomic requester only tries rx_lock (never waits for
 * it: rx_lock is held across driver callbacks); when rx_dwork holds it,
 * rx_dwork completes the request. Nested inside rx_dwork's dispatch on the
 * same CPU (rx_cpu), it takes slots without rx_lock and also holds back
 * the responses of the device being dispatched (rx_disp_dev).
 */
#include <linux/string.h>

#include "vmsg_pci.h"
#include "vmsg_bytes.h"

static bool vp_evq_push(struct vmsg_pci *vp, const u8 *msg, size_t len)
{
	struct vp_evmsg *e;
	unsigned long fl;

	spin_lock_irqsave(&vp->evq_lock, fl);
	if (vp->evq_count >= VP_EVQ_SLOTS) {
		spin_unlock_irqrestore(&vp->evq_lock, fl);
		return false;
	}
	e = &vp->evq[(vp->evq_head + vp->evq_count) % VP_EVQ_SLOTS];
	e->len = len;
	memcpy(e->buf, msg, len);
	vp->evq_count++;
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	return true;
}

bool vp_evq_full(struct vmsg_pci *vp)
{
	return READ_ONCE(vp->evq_count) >= VP_EVQ_SLOTS;
}

/* Oldest deferred message into buf; its length, 0 if none. */
size_t vp_evq_pop(struct vmsg_pci *vp, u8 *buf)
{
	unsigned long fl;
	size_t len = 0;

	spin_lock_irqsave(&vp->evq_lock, fl);
	if (vp->evq_count) {
		len = vp->evq[vp->evq_head].len;
		memcpy(buf, vp->evq[vp->evq_head].buf, len);
		vp->evq_head = (vp->evq_head + 1) % VP_EVQ_SLOTS;
		vp->evq_count--;
	}
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	return len;
}

/* The device a message is ordered with (0: none, a bus message). */
static u16 vp_order_dev(const struct vmsg_msg_info *mi, const u8 *msg)
{
	if (!mi->is_bus)
		return mi->dev_num;
	if (mi->msg_id == VMSG_PCIE_BUS_MSG_ERROR)
		return vmsg_get_le16(msg + VIRTIO_MSG_HEADER_SIZE + 2);
	return 0;
}

static bool vp_evq_has_dev(struct vmsg_pci *vp, u16 dev)
{
	unsigned long fl;
	bool found = false;
	u32 i;

	spin_lock_irqsave(&vp->evq_lock, fl);
	for (i = 0; i < vp->evq_count && !found; i++) {
		const struct vp_evmsg *e =
			&vp->evq[(vp->evq_head + i) % VP_EVQ_SLOTS];
		struct vmsg_msg_info mi = {
			.is_bus = !!(e->buf[0] & VIRTIO_MSG_TYPE_BUS),
			.msg_id = e->buf[1],
			.dev_num = vmsg_get_le16(e->buf + 2),
		};

		found = vp_order_dev(&mi, e->buf) == dev;
	}
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	return found;
}

/* Keep a message for rx_dwork (poller context); false: act on it now. */
bool vp_defer(struct vmsg_pci *vp, struct vp_poller *pl,
	      const struct vmsg_msg_info *mi, const u8 *msg, size_t len)
{
	u16 dev;

	if (!pl)
		return false;
	if (mi->is_response) {
		dev = vp_order_dev(mi, msg);
		if (mi->token == pl->own_token || !dev)
			return false;
		if (!(pl->nested && dev == READ_ONCE(vp->rx_disp_dev)) &&
		    !vp_evq_has_dev(vp, dev))
			return false;
	}
	if (!pl->kicked) {
		pl->kicked = true;
		vp_kick_rx(vp, 0);
	}
	if (vp_evq_push(vp, msg, len)) {
		vp_count(vp, VP_ST_DEFERRED);
		return true;
	}
	if (mi->is_response)
		return false; /* late rather than lost */
	vp_count(vp, VP_ST_DROP_EVQ_FULL);
	return true;
}
