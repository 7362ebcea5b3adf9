// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_h2c.c - the h2c producer of the PCIe bus: publishing a message
 * on the h2c ring under h2c_lock, the doorbell the card asked for
 * ([NTF-1]), waiting for room (bounded, [TMO-5]), and the transport's
 * one-way events: EVENT_AVAILs that find the ring full are kept, coalesced
 * per (dev_num, queue), and sent later ([EVT-3]); rx_dwork sends them
 * (vp_h2c_service()).
 */
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

/* Longest sleep between two looks at the h2c ring while it is full. */
#define VP_H2C_WAIT_JIFFIES max(1UL, msecs_to_jiffies(10))

int vp_send_locked(struct vmsg_pci *vp, const void *msg, u32 len)
{
	int r;

	lockdep_assert_held(&vp->h2c_lock);
	if (vp->state != VP_RUN)
		return -ENODEV;
	r = vmsg_ring_produce(&vp->h2c, msg, len, vp->epoch);
	if (r == -VMSG_RING_EAGAIN) {
		vp_count(vp, VP_ST_H2C_FULL);
		return -EAGAIN;
	}
	if (r)
		return r == -VMSG_RING_EMSGSIZE ? -EMSGSIZE : -EIO;
	vp_count(vp, VP_ST_TX_MSGS);
	return 0;
}

/* [NTF-1]: after publishing, ring the doorbell if the card asked for it. */
void vp_notify_locked(struct vmsg_pci *vp)
{
	lockdep_assert_held(&vp->h2c_lock);
	if (vmsg_ring_consumer_wants_notify(&vp->h2c))
		vp_doorbell(vp, VMSG_DB_H2C, vp->h2c.local);
}

/* Publish one message and ring the doorbell if asked: 0 or -errno. */
int vp_send(struct vmsg_pci *vp, const void *msg, u32 len)
{
	unsigned long fl;
	int r;

	spin_lock_irqsave(&vp->h2c_lock, fl);
	r = vp_send_locked(vp, msg, len);
	if (!r)
		vp_notify_locked(vp);
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	return r;
}

/* Send coalesced EVENT_AVAILs in order while there is room. */
static bool vp_avail_flush_locked(struct vmsg_pci *vp)
{
	u8 m[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_event_avail))];
	u32 i, sent = 0;

	for (i = 0; i < vp->navail; i++) {
		const struct vp_avail *a = &vp->avail[i];
		size_t n = vmsg_build_event_avail(m, sizeof(m), a->dev_num,
						  a->vq, a->next_offset);

		if (vp_send_locked(vp, m, n) == -EAGAIN)
			break;
		sent++;
		vp_count(vp, VP_ST_TX_EVENTS);
	}
	if (!sent)
		return false;
	vp->navail -= sent;
	memmove(vp->avail, vp->avail + sent, vp->navail * sizeof(*vp->avail));
	return true;
}

/*
 * Keep one EVENT_AVAIL for later, coalesced per (dev_num, queue). When the
 * table is full the device is marked instead: every queue it has set up is
 * notified again once the table is empty (vp_avail_all_flush()), so none is
 * dropped ([EVT-3]).
 */
static void vp_avail_keep_locked(struct vmsg_pci *vp, const u8 *m)
{
	u16 dev = vmsg_get_le16(m + 2);
	u32 vq = vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE);
	u32 next = vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE + 4);
	u32 i;

	if (test_bit(dev, vp->avail_all)) {
		vp_count(vp, VP_ST_AVAIL_COALESCED);
		return;
	}
	for (i = 0; i < vp->navail; i++) {
		if (vp->avail[i].dev_num == dev && vp->avail[i].vq == vq) {
			/* The newest next_offset is the one that counts. */
			vp->avail[i].next_offset = next;
			vp_count(vp, VP_ST_AVAIL_COALESCED);
			return;
		}
	}
	if (vp->navail >= VP_AVAIL_SLOTS) {
		__set_bit(dev, vp->avail_all);
		vp->navail_all++;
		vp_count(vp, VP_ST_AVAIL_ALL);
		vp_info_rl(vp, "%u queues waiting: dev %u queue %u held as all of its queues\n",
			   vp->navail, dev, vq);
		return;
	}
	vp->avail[vp->navail++] = (struct vp_avail){
		.dev_num = dev, .vq = vq, .next_offset = next,
	};
	vp_count(vp, VP_ST_AVAIL_DEFERRED);
}

static bool vp_h2c_has_room(struct vmsg_pci *vp)
{
	unsigned long fl;
	bool room;

	spin_lock_irqsave(&vp->h2c_lock, fl);
	room = vp->state != VP_RUN || vmsg_ring_space(&vp->h2c) > 0;
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	return room;
}

/*
 * Devices marked "all queues pending": once the table is empty, re-notify
 * each one's queues (through send_event(), which keeps what does not fit).
 * Ends: a device's bit is set again only while the table is full.
 */
static void vp_avail_all_flush(struct vmsg_pci *vp)
{
	struct virtio_msg_device *vmdev;
	unsigned long fl, dev;

	for (;;) {
		spin_lock_irqsave(&vp->h2c_lock, fl);
		if (vp->navail || !vp->navail_all || vp->state != VP_RUN ||
		    !vmsg_ring_space(&vp->h2c)) {
			spin_unlock_irqrestore(&vp->h2c_lock, fl);
			return;
		}
		dev = find_first_bit(vp->avail_all, VP_DEV_NUMS);
		if (dev >= VP_DEV_NUMS) {
			vp->navail_all = 0;
			spin_unlock_irqrestore(&vp->h2c_lock, fl);
			return;
		}
		__clear_bit(dev, vp->avail_all);
		vp->navail_all--;
		spin_unlock_irqrestore(&vp->h2c_lock, fl);
		/* vp_dev_remove(): unpublished, then synchronize_rcu(). */
		rcu_read_lock();
		vmdev = xa_load(&vp->devs, dev);
		if (vmdev)
			virtio_msg_device_notify_all(vmdev);
		rcu_read_unlock();
	}
}

/*
 * rx_dwork, after each pass: send what was kept while the ring was full,
 * wake requesters waiting for room. *navail: notifications still held.
 */
void vp_h2c_service(struct vmsg_pci *vp, u32 *navail)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->h2c_lock, fl);
	if (vp->navail && vp->state == VP_RUN && vp_avail_flush_locked(vp))
		vp_notify_locked(vp);
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	vp_avail_all_flush(vp);
	*navail = READ_ONCE(vp->navail) + READ_ONCE(vp->navail_all);
	if (wq_has_sleeper(&vp->h2c_wq))
		wake_up(&vp->h2c_wq);
}

/* Publish buf; sleeping requesters wait for room up to deadline. */
int vp_send_wait(struct vmsg_pci *vp, const u8 *buf, size_t len,
		 unsigned long deadline)
{
	long left;
	int r;

	for (;;) {
		r = vp_send(vp, buf, len);
		if (r != -EAGAIN)
			return r;
		/* [TMO-5]: a ring that stays full fails the request. */
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		wait_event_timeout(vp->h2c_wq, vp_h2c_has_room(vp),
				   min_t(long, left, VP_H2C_WAIT_JIFFIES));
	}
}

/*
 * The transport's send_event() (virtio_msg_bus.h): 0 when sent or kept for
 * later (an EVENT_AVAIL while the ring is full), else the error: -ENODEV
 * (no session), -EINVAL (malformed), -EAGAIN (ring full, not an
 * EVENT_AVAIL), -EMSGSIZE/-EIO (the ring refused it). The event is then
 * dropped: the caller must know.
 */
int vp_send_event(struct vmsg_pci *vp, const void *msg, size_t len)
{
	const u8 *m = msg;
	bool later = false;
	unsigned long fl;
	bool avail;
	int r;

	if (len < VIRTIO_MSG_HEADER_SIZE || len > READ_ONCE(vp->max_msg) ||
	    vmsg_get_le16(m + 6) != len || (m[0] & VIRTIO_MSG_TYPE_RESPONSE)) {
		vp_warn_rl(vp, "malformed event (id 0x%02x, %zu bytes) not sent\n",
			   len ? m[0] : 0, len);
		return -EINVAL;
	}
	avail = !(m[0] & VIRTIO_MSG_TYPE_BUS) &&
		m[1] == VIRTIO_MSG_EVENT_AVAIL &&
		len == VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_event_avail));

	spin_lock_irqsave(&vp->h2c_lock, fl);
	if (vp->state != VP_RUN) {
		spin_unlock_irqrestore(&vp->h2c_lock, fl);
		return -ENODEV;
	}
	/* Older coalesced notifications go first. */
	if (vp->navail && vp_avail_flush_locked(vp))
		vp_notify_locked(vp);
	r = vp->navail ? -EAGAIN : vp_send_locked(vp, m, len);
	if (!r) {
		vp_count(vp, VP_ST_TX_EVENTS);
		vp_notify_locked(vp);
	} else if (r == -EAGAIN && avail) {
		/* [EVT-3]: never dropped: kept, coalesced, sent later. */
		vp_avail_keep_locked(vp, m);
		later = true;
	} else {
		vp_warn_rl(vp, "event 0x%02x not sent: %d\n", m[1], r);
	}
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	if (later)
		vp_kick_rx(vp, 1);
	return later ? 0 : r;
}
