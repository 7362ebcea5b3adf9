// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_c2h.c - the c2h consumer of the PCIe bus: rx_dwork and atomic
 * requesters take messages from the c2h ring, check them and act on them:
 * responses complete requests (vmsg_pci_req.c), events go to the virtio
 * device, the card's PING is answered, EVENT_DEVICE queued for ctl_dwork.
 * Who may act on what, and when a message waits in the deferred queue:
 * vmsg_pci_evq.c.
 *
 * Everything read from the c2h ring is hostile: vmsg_ring_consume() copies
 * each slot out and checks the indices and the length; the epoch is
 * checked; vmsg_validate() checks the message; a response completes a
 * request only if (token, dev_num) match a stored request of this session,
 * and its echoed msg_id (ERROR: req_type, req_msg_id, req_dev_num) agrees.
 */
#include <linux/bottom_half.h>
#include <linux/rcupdate.h>

#include "vmsg_pci.h"
#include "vmsg_bytes.h"

/* Check a message either way; a bad c2h one is counted per verdict. */
bool vp_validate(struct vmsg_pci *vp, const void *msg, size_t len,
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
void vp_rx_poll_atomic(struct vmsg_pci *vp, u8 *buf, u16 own_token)
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
