// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_msg.c - the message plane of the PCIe bus: tokens and the
 * request table, the h2c producer (with coalesced EVENT_AVAILs when the
 * ring is full), the c2h consumer, validation, response matching and event
 * dispatch, and the virtio_msg_bus_ops the transport calls.
 *
 * Everything read from the c2h ring is hostile: vmsg_ring_consume() copies
 * each slot out and checks the indices and the length; the epoch is
 * checked; vmsg_validate() checks the message; a response completes a
 * request only if (token, dev_num) match a stored request of this session,
 * and its echoed msg_id (ERROR: req_type, req_msg_id, req_dev_num) agrees.
 */
#include <linux/bitmap.h>
#include <linux/bottom_half.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#define VP_REQ_MASK (VP_REQ_SLOTS - 1)
/* Longest sleep between two looks at the h2c ring while it is full. */
#define VP_H2C_WAIT_JIFFIES max(1UL, msecs_to_jiffies(10))

static bool vp_validate(struct vmsg_pci *vp, const void *msg, size_t len,
			enum vmsg_dir dir, struct vmsg_msg_info *mi)
{
	struct vmsg_validate_opts o = {
		.max_msg_size = (u16)READ_ONCE(vp->max_msg),
		.strict_reserved = false,
		.allow_impl_ids = false,
	};
	enum vmsg_verdict v = vmsg_validate(msg, len, dir, &o, mi);

	if (v == VMSG_OK)
		return true;
	if (dir == VMSG_DIR_DEVICE_TO_DRIVER) {
		if ((unsigned int)v < VMSG_E__COUNT)
			atomic64_inc(&vp->st_verdict[v]);
		vp_count(vp, VP_ST_DROP_MALFORMED);
	}
	vp_dbg(vp, "%s message dropped: %s\n",
	       dir == VMSG_DIR_DEVICE_TO_DRIVER ? "c2h" : "h2c",
	       vmsg_verdict_str(v));
	return false;
}

/* ---- h2c producer (h2c_lock held) ---- */

static int vp_send_locked(struct vmsg_pci *vp, const void *msg, u32 len)
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
static void vp_notify_locked(struct vmsg_pci *vp)
{
	lockdep_assert_held(&vp->h2c_lock);
	if (vmsg_ring_consumer_wants_notify(&vp->h2c))
		vp_doorbell(vp, VMSG_DB_H2C, vp->h2c.local);
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

/* ---- request table (req_lock) ---- */

static struct vp_req *vp_req_alloc_locked(struct vmsg_pci *vp)
{
	u32 i;

	lockdep_assert_held(&vp->req_lock);
	if (vp->nreqs >= VP_REQ_SLOTS - 1)
		return NULL;
	/* [TOK-2]: sequential, wrapping, never 0, never one in use. */
	for (i = 0; i < 2 * VP_REQ_SLOTS; i++) {
		u16 t = vp->next_token++;
		struct vp_req *r;

		if (!t)
			continue;
		r = &vp->reqs[t & VP_REQ_MASK];
		if (r->kind != VP_REQ_FREE)
			continue;
		memset(r, 0, sizeof(*r));
		r->token = t;
		r->session = vp->session;
		vp->nreqs++;
		return r;
	}
	return NULL;
}

static void vp_req_free_locked(struct vmsg_pci *vp, struct vp_req *r)
{
	r->kind = VP_REQ_FREE;
	r->comp = NULL;
	r->resp = NULL;
	vp->nreqs--;
}

static void vp_req_done_locked(struct vp_req *r, int result)
{
	r->done = true;
	r->result = result;
	if (r->comp)
		complete(r->comp);
}

/* Fail outstanding requests of dev_num (-1: all) with err. */
void vp_fail_requests(struct vmsg_pci *vp, int dev_num, int err)
{
	unsigned long fl;
	u32 i;

	spin_lock_irqsave(&vp->req_lock, fl);
	for (i = 0; i < VP_REQ_SLOTS; i++) {
		struct vp_req *r = &vp->reqs[i];

		if (r->kind == VP_REQ_FREE || r->done)
			continue;
		if (dev_num >= 0 && r->dev_num != dev_num)
			continue;
		if (r->kind == VP_REQ_PING) {
			if (vp->ping_token == r->token)
				vp->ping_token = 0;
			vp_req_free_locked(vp, r);
			continue;
		}
		vp_count(vp, VP_ST_REQ_FAILED);
		vp_req_done_locked(r, err);
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
}

/*
 * Check a request from the transport, store it in the table and build the
 * wire copy (with its token) in buf. Returns the slot's token or -errno.
 */
static int vp_req_start(struct vmsg_pci *vp, const void *req, size_t len,
			void *resp, size_t resp_cap, struct completion *comp,
			u8 *buf)
{
	struct vmsg_msg_info mi;
	struct vp_req *r;
	unsigned long fl;
	int ret;

	if (len < VIRTIO_MSG_HEADER_SIZE || len > VP_MSG_MAX ||
	    len > READ_ONCE(vp->max_msg))
		return -EMSGSIZE;
	memcpy(buf, req, len);
	vmsg_set_token(buf, 1);
	if (!vp_validate(vp, buf, len, VMSG_DIR_DRIVER_TO_DEVICE, &mi) ||
	    mi.is_response || mi.is_event) {
		vp_warn_rl(vp, "refusing a malformed request (id 0x%02x)\n",
			   buf[1]);
		return -EIO;
	}
	spin_lock_irqsave(&vp->req_lock, fl);
	if (vp->state != VP_RUN) {
		ret = -ENODEV;
		goto out;
	}
	r = vp_req_alloc_locked(vp);
	if (!r) {
		vp_warn_rl(vp, "request table full\n");
		ret = -EIO;
		goto out;
	}
	r->kind = VP_REQ_WAIT;
	r->type = mi.type;
	r->msg_id = mi.msg_id;
	r->dev_num = mi.dev_num;
	r->resp = resp;
	r->resp_cap = resp_cap;
	r->comp = comp;
	ret = r->token;
	vmsg_set_token(buf, r->token);
out:
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return ret;
}

/* Retire a request; returns its result, -ETIMEDOUT if it has none. */
static int vp_req_finish(struct vmsg_pci *vp, u16 token)
{
	struct vp_req *r = &vp->reqs[token & VP_REQ_MASK];
	unsigned long fl;
	int ret = -ETIMEDOUT;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_WAIT && r->token == token) {
		if (r->done)
			ret = r->result;
		vp_req_free_locked(vp, r);
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return ret;
}

static bool vp_req_is_done(struct vmsg_pci *vp, u16 token)
{
	struct vp_req *r = &vp->reqs[token & VP_REQ_MASK];
	unsigned long fl;
	bool done;

	spin_lock_irqsave(&vp->req_lock, fl);
	done = r->kind != VP_REQ_WAIT || r->token != token || r->done;
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return done;
}

/* ---- c2h: matching responses ---- */

static int vp_error_result(u16 err)
{
	if (err == VMSG_PCIE_ERR_NO_DEVICE || err == VMSG_PCIE_ERR_SHUTDOWN)
		return -ENODEV;
	return -EIO;
}

static void vp_complete(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
			const u8 *msg, size_t len)
{
	const u8 *pl = msg + VIRTIO_MSG_HEADER_SIZE;
	const u8 tmask = VIRTIO_MSG_TYPE_RESPONSE | VIRTIO_MSG_TYPE_BUS;
	struct vp_req *r = &vp->reqs[mi->token & VP_REQ_MASK];
	bool is_error = mi->is_bus && mi->msg_id == VMSG_PCIE_BUS_MSG_ERROR;
	unsigned long fl;
	int res;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_FREE || r->done || r->token != mi->token ||
	    r->session != vp->session) {
		vp_count(vp, VP_ST_DROP_UNMATCHED);
		goto out;
	}
	if (is_error) {
		/* [ERR-4], [TOK-3]: matched by token and req_dev_num. */
		if (vmsg_get_le16(pl + 2) != r->dev_num) {
			vp_count(vp, VP_ST_DROP_UNMATCHED);
			goto out;
		}
		vp_count(vp, VP_ST_ERRORS_RX);
		if (pl[1] != r->msg_id || (pl[0] & tmask) != (r->type & tmask)) {
			vp_count(vp, VP_ST_DROP_ECHO);
			res = -EIO;
		} else {
			res = vp_error_result(vmsg_get_le16(pl + 4));
		}
	} else {
		if (mi->dev_num != r->dev_num) {
			vp_count(vp, VP_ST_DROP_UNMATCHED);
			goto out;
		}
		if (mi->msg_id != r->msg_id ||
		    mi->is_bus != !!(r->type & VIRTIO_MSG_TYPE_BUS)) {
			/* [TOK-3]: not its answer; fail it at once. */
			vp_count(vp, VP_ST_DROP_ECHO);
			res = -EIO;
		} else if (r->kind == VP_REQ_PING) {
			if (vmsg_get_le32(pl) != r->ping_data) {
				/* [BUS-4]: wrong data does not count. */
				vp_count(vp, VP_ST_DROP_ECHO);
				goto out;
			}
			res = 0;
		} else if (len > r->resp_cap) {
			res = -EMSGSIZE;
		} else {
			memcpy(r->resp, msg, len);
			res = len;
		}
	}
	vp_count(vp, VP_ST_RX_RESPONSES);
	if (r->kind == VP_REQ_PING) {
		if (!res) {
			vp->ping_misses = 0;
			vp_count(vp, VP_ST_PINGS_OK);
		}
		if (vp->ping_token == r->token)
			vp->ping_token = 0;
		vp_req_free_locked(vp, r);
		goto out;
	}
	vp_req_done_locked(r, res);
out:
	spin_unlock_irqrestore(&vp->req_lock, fl);
}

/* ---- c2h: events, ordering, the consumers ---- */

/*
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
struct vp_poller {
	u16 own_token;		/* the atomic request's token */
	bool nested;		/* inside rx_dwork's dispatch on this CPU */
	bool kicked;		/* rx_dwork kicked for what was deferred */
};

static void vp_dispatch(struct vmsg_pci *vp, u16 dev_num, const u8 *msg,
			size_t len)
{
	struct virtio_msg_device *vmdev;
	unsigned long fl;

	/*
	 * The virtqueue callbacks run inside: give them the context of an
	 * interrupt handler (bottom halves and interrupts off, as VDUSE
	 * does), so that e.g. napi_schedule() runs its softirq on return.
	 * RCU: vp_dev_remove() unpublishes, then synchronize_rcu().
	 */
	local_bh_disable();
	rcu_read_lock();
	vmdev = xa_load(&vp->devs, dev_num);
	if (vmdev) {
		local_irq_save(fl);
		WRITE_ONCE(vp->rx_disp_dev, dev_num);
		virtio_msg_device_event(vmdev, msg, len);
		WRITE_ONCE(vp->rx_disp_dev, 0);
		local_irq_restore(fl);
	}
	rcu_read_unlock();
	local_bh_enable();
	if (!vmdev)
		vp_count(vp, VP_ST_DROP_NO_DEVICE);
}

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

static bool vp_evq_full(struct vmsg_pci *vp)
{
	return READ_ONCE(vp->evq_count) >= VP_EVQ_SLOTS;
}

/* Oldest deferred message into buf; its length, 0 if none. */
static size_t vp_evq_pop(struct vmsg_pci *vp, u8 *buf)
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

/* The card's PING: answer it ([BUS-5]); never waits for room. */
static void vp_answer_ping(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
			   const u8 *msg)
{
	u8 m[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_ping))];
	unsigned long fl;
	size_t n;

	vp_count(vp, VP_ST_CARD_PINGS);
	n = vmsg_build_bus_ping_resp(m, sizeof(m), mi->token,
				     vmsg_get_le32(msg + VIRTIO_MSG_HEADER_SIZE));
	spin_lock_irqsave(&vp->h2c_lock, fl);
	if (!vp_send_locked(vp, m, n))
		vp_notify_locked(vp);
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
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
static bool vp_defer(struct vmsg_pci *vp, struct vp_poller *pl,
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

/* Act on a validated message of this session (pl: an atomic poller). */
static void vp_handle(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
		      const u8 *msg, size_t len, struct vp_poller *pl)
{
	const u8 *p = msg + VIRTIO_MSG_HEADER_SIZE;

	if (mi->is_bus && !mi->is_response) {
		/* Not ordered against responses: acted on at once. */
		if (mi->msg_id == VIRTIO_BUS_MSG_EVENT_DEVICE) {
			vp_count(vp, VP_ST_HOTPLUG_EVENTS);
			vp_hotplug_queue(vp, vmsg_get_le16(p),
					 vmsg_get_le16(p + 2));
		} else if (mi->msg_id == VIRTIO_BUS_MSG_PING) {
			vp_answer_ping(vp, mi, msg);
		} else {
			vp_count(vp, VP_ST_DROP_UNSUPPORTED);
		}
		return;
	}
	if (vp_defer(vp, pl, mi, msg, len))
		return;
	if (mi->is_response) {
		vp_complete(vp, mi, msg, len);
		return;
	}
	/* The validator lets only EVENT_CONFIG and EVENT_USED through here. */
	vp_dispatch(vp, mi->dev_num, msg, len);
}

/* One message copied out of the c2h ring. */
static void vp_rx_one(struct vmsg_pci *vp, const u8 *msg, size_t len,
		      u32 epoch, struct vp_poller *pl)
{
	struct vmsg_msg_info mi;

	vp_count(vp, VP_ST_RX_MSGS);
	/* [RING-6]: len (checked by the ring), epoch, then the validator. */
	if (epoch != READ_ONCE(vp->epoch)) {
		vp_count(vp, VP_ST_DROP_STALE);
		return;
	}
	if (!vp_validate(vp, msg, len, VMSG_DIR_DEVICE_TO_DRIVER, &mi))
		return;
	if (!mi.is_response)
		vp_count(vp, VP_ST_RX_EVENTS);
	vp_handle(vp, &mi, msg, len, pl);
}

/* A deferred message (validated when it was taken from the ring). */
static void vp_rx_deferred(struct vmsg_pci *vp, const u8 *msg, size_t len)
{
	struct vmsg_msg_info mi;
	struct vmsg_validate_opts o = {
		.max_msg_size = VP_MSG_MAX,
	};

	if (vmsg_validate(msg, len, VMSG_DIR_DEVICE_TO_DRIVER, &o, &mi) ==
	    VMSG_OK)
		vp_handle(vp, &mi, msg, len, NULL);
}

/* Take one slot: > 0 length, 0 empty, < 0 bad slot (counted). */
static int vp_c2h_take(struct vmsg_pci *vp, u8 *buf, u32 *epoch)
{
	unsigned long fl;
	int n = 0;

	spin_lock_irqsave(&vp->c2h_lock, fl);
	if (vp->state == VP_RUN)
		n = vmsg_ring_consume(&vp->c2h, buf, vp->max_msg, epoch);
	spin_unlock_irqrestore(&vp->c2h_lock, fl);
	if (n < 0) {
		vp_count(vp, VP_ST_DROP_RING);
		vp_warn_rl(vp, "c2h ring: impossible index or slot length\n");
	}
	return n;
}

static u32 vp_c2h_pending(struct vmsg_pci *vp)
{
	unsigned long fl;
	u32 n = 0;

	spin_lock_irqsave(&vp->c2h_lock, fl);
	if (vp->state == VP_RUN)
		n = vmsg_ring_pending(&vp->c2h);
	spin_unlock_irqrestore(&vp->c2h_lock, fl);
	return n;
}

/* NEED_NOTIFY in the c2h consumer line (BAR0), [NTF-3]. */
static void vp_c2h_notify(struct vmsg_pci *vp, bool on)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->c2h_lock, fl);
	if (vp->state == VP_RUN) {
		vmsg_ring_set_need_notify(&vp->c2h, on);
		/* Flush the posted write before the caller re-reads prod. */
		if (on)
			(void)vp_rd(vp, VP_REG(link_state));
	}
	spin_unlock_irqrestore(&vp->c2h_lock, fl);
}

void vp_kick_rx(struct vmsg_pci *vp, unsigned long delay)
{
	if (!delay)
		mod_delayed_work(vp->rx_wq, &vp->rx_dwork, 0);
	else
		queue_delayed_work(vp->rx_wq, &vp->rx_dwork, delay);
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

static void vp_h2c_service(struct vmsg_pci *vp, u32 *navail)
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

/*
 * rx_dwork: one step = the oldest deferred message, else one ring slot,
 * under rx_lock. Returns 1 if a message (or a bad slot) was handled.
 */
static int vp_rx_step(struct vmsg_pci *vp, u8 *buf)
{
	unsigned long fl;
	u32 epoch = 0;
	int len, r = 1;

	local_bh_disable();
	spin_lock_irqsave(&vp->rx_lock, fl);
	WRITE_ONCE(vp->rx_cpu, smp_processor_id());
	len = vp_evq_pop(vp, buf);
	if (len) {
		vp_rx_deferred(vp, buf, len);
	} else {
		len = vp_c2h_take(vp, buf, &epoch);
		if (len > 0)
			vp_rx_one(vp, buf, len, epoch, NULL);
		else if (!len)
			r = 0;
	}
	WRITE_ONCE(vp->rx_cpu, -1);
	spin_unlock_irqrestore(&vp->rx_lock, fl);
	local_bh_enable();
	return r;
}

/*
 * [FLR-H-4]: the card is in SHUTDOWN and publishes nothing more: take what
 * it published before (bounded by the ring and the deferred queue), then
 * end the session, failing what is left.
 */
static void vp_rx_drain(struct vmsg_pci *vp, u8 *buf)
{
	u32 n, max = vp->c2h.slot_count + VP_EVQ_SLOTS;

	for (n = 0; n < max && vp_rx_step(vp, buf); n++)
		;
	vp_info(vp, "card shut down: %u messages drained\n", n);
	vp_declare_dead(vp, "card shut down", false);
}

void vp_rx_work(struct work_struct *work)
{
	struct vmsg_pci *vp = container_of(to_delayed_work(work),
					   struct vmsg_pci, rx_dwork);
	bool irq = test_and_clear_bit(VP_F_IRQ, &vp->flags);
	u8 buf[VP_MSG_MAX];
	u32 n = 0, navail;

	if (!vp_running(vp)) {
		wake_up(&vp->h2c_wq);
		return;
	}
	if (test_bit(VP_F_SHUTDOWN, &vp->flags)) {
		vp_rx_drain(vp, buf);
		return;
	}
	while (n < VP_RX_BUDGET && vp_rx_step(vp, buf))
		n++;
	vp_h2c_service(vp, &navail);

	if (n >= VP_RX_BUDGET) {
		/* Busy: stop the card's interrupts and come back at once. */
		vp_count(vp, VP_ST_RX_BUDGET_HIT);
		if (vp->irq_mode != VMSG_IRQ_POLL &&
		    !test_and_set_bit(VP_F_NOTIFY_OFF, &vp->flags))
			vp_c2h_notify(vp, false);
		vp_kick_rx(vp, 0);
		return;
	}
	if (test_and_clear_bit(VP_F_NOTIFY_OFF, &vp->flags)) {
		/* Idle again: re-arm, then look once more (lost wake-up). */
		vp_c2h_notify(vp, true);
		if (vp_c2h_pending(vp)) {
			vp_kick_rx(vp, 0);
			return;
		}
	}
	if (irq && !n) {
		/* [CR-3]: an interrupt and nothing to read: link change? */
		vp_count(vp, VP_ST_IRQS_EMPTY);
		vp_check_link(vp, "interrupt on an empty ring");
	}
	if (vp->irq_mode == VMSG_IRQ_POLL) {
		if (!n)
			vp_poll_link(vp);
		vp_kick_rx(vp, vp->poll_jiffies);
	} else if (navail) {
		vp_kick_rx(vp, 1);
	}
}

/* Atomic requester (preemption off): take slots itself, see above. */
static void vp_rx_poll_atomic(struct vmsg_pci *vp, u8 *buf, u16 own_token)
{
	int cpu = smp_processor_id();
	struct vp_poller pl = {
		.own_token = own_token,
		.nested = READ_ONCE(vp->rx_cpu) == cpu,
	};
	bool nested = pl.nested;
	unsigned long fl = 0;
	u32 epoch = 0, n;
	int len;

	if (!nested) {
		if (!spin_trylock_irqsave(&vp->rx_lock, fl))
			return;	/* rx_dwork is at work: it completes us */
		WRITE_ONCE(vp->rx_cpu, cpu);
	}
	for (n = 0; n < VP_RX_BUDGET && !vp_evq_full(vp); n++) {
		len = vp_c2h_take(vp, buf, &epoch);
		if (!len)
			break;
		if (len > 0)
			vp_rx_one(vp, buf, len, epoch, &pl);
		if (vp_req_is_done(vp, own_token))
			break;
	}
	if (!nested) {
		WRITE_ONCE(vp->rx_cpu, -1);
		spin_unlock_irqrestore(&vp->rx_lock, fl);
	}
}

/* ---- bus ops ---- */

/* Publish buf; sleeping requesters wait for room up to deadline. */
static int vp_send_wait(struct vmsg_pci *vp, const u8 *buf, size_t len,
			unsigned long deadline)
{
	unsigned long fl;
	long left;
	int r;

	for (;;) {
		spin_lock_irqsave(&vp->h2c_lock, fl);
		r = vp_send_locked(vp, buf, len);
		if (!r)
			vp_notify_locked(vp);
		spin_unlock_irqrestore(&vp->h2c_lock, fl);
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

int vp_request(struct vmsg_pci *vp, const void *req, size_t len, void *resp,
	       size_t resp_cap, unsigned int timeout_ms)
{
	DECLARE_COMPLETION_ONSTACK(done);
	unsigned long deadline;
	u8 buf[VP_MSG_MAX];
	int token, r;
	long left;

	might_sleep();
	if (!timeout_ms)
		timeout_ms = VMSG_PCIE_REQUEST_TIMEOUT_MS;
	deadline = jiffies + msecs_to_jiffies(timeout_ms);
	token = vp_req_start(vp, req, len, resp, resp_cap, &done, buf);
	if (token < 0)
		return token;
	vp_count(vp, VP_ST_TX_REQUESTS);
	r = vp_send_wait(vp, buf, len, deadline);
	if (r) {
		/* Not sent; a result (link lost meanwhile) wins. */
		int f = vp_req_finish(vp, token);

		if (f != -ETIMEDOUT)
			r = f;
		if (r == -ETIMEDOUT)
			vp_count(vp, VP_ST_REQ_TIMEOUTS);
		return r;
	}
	if (vp->irq_mode == VMSG_IRQ_POLL)
		vp_kick_rx(vp, 1);
	left = (long)(deadline - jiffies);
	if (left > 0)
		wait_for_completion_timeout(&done, left);
	r = vp_req_finish(vp, token);
	if (r == -ETIMEDOUT) {
		vp_count(vp, VP_ST_REQ_TIMEOUTS);
		vp_warn_rl(vp, "request 0x%02x to dev %u timed out (%u ms)\n",
			   buf[1], vmsg_get_le16(buf + 2), timeout_ms);
		/* [TMO-2]: is the card still there? */
		vp_check_link(vp, "request timeout");
	}
	return r;
}

static int vp_op_request(struct virtio_msg_bus *bus, const void *req,
			 size_t len, void *resp, size_t resp_cap,
			 unsigned int timeout_ms)
{
	return vp_request(bus->priv, req, len, resp, resp_cap, timeout_ms);
}

static int vp_op_request_atomic(struct virtio_msg_bus *bus, const void *req,
				size_t len, void *resp, size_t resp_cap,
				unsigned int timeout_us)
{
	struct vmsg_pci *vp = bus->priv;
	u8 buf[VP_MSG_MAX], rx[VP_MSG_MAX];
	unsigned long fl;
	u64 deadline;
	int token, r;

	if (!timeout_us)
		timeout_us = VMSG_PCIE_REQUEST_TIMEOUT_MS * 1000u;
	deadline = ktime_get_ns() + (u64)timeout_us * NSEC_PER_USEC;
	token = vp_req_start(vp, req, len, resp, resp_cap, NULL, buf);
	if (token < 0)
		return token;
	vp_count(vp, VP_ST_ATOMIC_REQUESTS);
	for (;;) {
		spin_lock_irqsave(&vp->h2c_lock, fl);
		r = vp_send_locked(vp, buf, len);
		if (!r)
			vp_notify_locked(vp);
		spin_unlock_irqrestore(&vp->h2c_lock, fl);
		if (r != -EAGAIN)
			break;
		if (ktime_get_ns() > deadline) {
			r = -ETIMEDOUT;
			break;
		}
		udelay(5);
	}
	if (r) {
		int f = vp_req_finish(vp, token);

		if (f != -ETIMEDOUT)
			r = f;
		goto out;
	}
	/* Bounded busy poll: the interrupt may never come (irqs off). */
	while (!vp_req_is_done(vp, token) && ktime_get_ns() <= deadline) {
		preempt_disable();
		vp_rx_poll_atomic(vp, rx, token);
		preempt_enable();
		if (vp_req_is_done(vp, token))
			break;
		udelay(2);
	}
	r = vp_req_finish(vp, token);
out:
	if (r == -ETIMEDOUT)
		vp_count(vp, VP_ST_REQ_TIMEOUTS);
	if (READ_ONCE(vp->evq_count))
		vp_kick_rx(vp, 0);
	return r;
}

static int vp_op_send_event(struct virtio_msg_bus *bus, const void *msg,
			    size_t len)
{
	struct vmsg_pci *vp = bus->priv;
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
	/* 0: sent or held for later; else dropped, the transport breaks the queue. */
	return later ? 0 : r;
}

static int vp_op_fence(struct virtio_msg_bus *bus, u16 dev_num)
{
	struct vmsg_pci *vp = bus->priv;

	vp_warn(vp, "transport lost control of dev %u: treating the card as failed\n",
		dev_num);
	vp_declare_dead(vp, "device reset timed out", true);
	if (vp->emu)
		return -EOPNOTSUPP; /* clearing BME does not stop a soft card */
	pci_clear_master(vp->pdev);
	return 0;
}

const struct virtio_msg_bus_ops vp_bus_ops = {
	.request = vp_op_request,
	.request_atomic = vp_op_request_atomic,
	.send_event = vp_op_send_event,
	.fence = vp_op_fence,
};

/* ---- PING ([BUS-4]) ---- */

int vp_send_ping(struct vmsg_pci *vp)
{
	u8 m[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_ping))];
	struct vp_req *r;
	unsigned long fl;
	u16 token;
	u32 data;
	size_t n;
	int rc;

	spin_lock_irqsave(&vp->req_lock, fl);
	r = vp->state == VP_RUN ? vp_req_alloc_locked(vp) : NULL;
	if (!r) {
		spin_unlock_irqrestore(&vp->req_lock, fl);
		return -ENODEV;
	}
	r->kind = VP_REQ_PING;
	r->type = VIRTIO_MSG_TYPE_BUS;
	r->msg_id = VIRTIO_BUS_MSG_PING;
	r->ping_data = ++vp->ping_seq;
	token = r->token;
	data = r->ping_data;
	vp->ping_token = token;
	spin_unlock_irqrestore(&vp->req_lock, fl);

	n = vmsg_build_bus_ping_req(m, sizeof(m), token, data);
	spin_lock_irqsave(&vp->h2c_lock, fl);
	rc = vp_send_locked(vp, m, n);
	if (!rc)
		vp_notify_locked(vp);
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	if (!rc) {
		vp_count(vp, VP_ST_PINGS_SENT);
		return 0;
	}
	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_PING && r->token == token) {
		vp_req_free_locked(vp, r);
		if (vp->ping_token == token)
			vp->ping_token = 0;
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return rc;
}

/* A new session: nothing of the previous one may leak into it. */
void vp_msg_reset(struct vmsg_pci *vp)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->h2c_lock, fl);
	vp->navail = 0;
	bitmap_zero(vp->avail_all, VP_DEV_NUMS);
	vp->navail_all = 0;
	spin_unlock_irqrestore(&vp->h2c_lock, fl);
	spin_lock_irqsave(&vp->evq_lock, fl);
	vp->evq_head = 0;
	vp->evq_count = 0;
	vp->hpq_head = 0;
	vp->hpq_count = 0;
	spin_unlock_irqrestore(&vp->evq_lock, fl);
	clear_bit(VP_F_NOTIFY_OFF, &vp->flags);
	clear_bit(VP_F_RESCAN, &vp->flags);
}
