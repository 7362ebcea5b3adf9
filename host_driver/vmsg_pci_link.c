// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_link.c - the link: its state, peer death ([DEAD-1]), link checks,
 * interrupts, doorbells, ctl_dwork (teardown, and re-attach when the card
 * comes back, [DEAD-2]). Attach and detach: vmsg_pci_attach.c; liveness
 * (PING): vmsg_pci_ping.c.
 *
 * Every register read goes across the link: they happen only while
 * attaching or detaching, on a PING miss, on an interrupt that found the
 * c2h ring empty, in POLL mode on an empty ring (link_state, once per
 * VMSG_PCIE_NOTIFY_RECHECK_MS) and while the card is dead (one poll per
 * VP_REVIVE_MS). A register reading all-ones means the function is gone
 * ([BAR-4]).
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/random.h>

#include "vmsg_pci.h"

bool vp_bar_gone(struct vmsg_pci *vp)
{
	if (test_bit(VP_F_FROZEN, &vp->flags))
		return false;
	return pci_dev_is_disconnected(vp->pdev) ||
	       vp_rd(vp, VP_REG(link_state)) == VP_ALL_ONES;
}

/* [DB-1], [EMU-4]: the register first, then the ivshmem doorbell. */
void vp_doorbell(struct vmsg_pci *vp, u32 idx, u32 val)
{
	if (idx >= vp->num_doorbells || test_bit(VP_F_FROZEN, &vp->flags))
		return;
	vp_wr(vp, VP_REG(doorbell) + 4 * idx, val);
	if (vp->emu_regs)
		writel(VMSG_EMU_CARD_PEER_ID << 16 | idx,
		       vp->emu_regs + VMSG_EMU_REG_DOORBELL);
	vp_count(vp, VP_ST_DOORBELLS);
}

/* State changes hold req_lock and h2c_lock (see vmsg_pci.h). */
void vp_set_state(struct vmsg_pci *vp, enum vp_state st)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->req_lock, fl);
	spin_lock(&vp->h2c_lock);
	if (vp->state == VP_RUN && st != VP_RUN) {
		vp->session++;
		vp->last_epoch = vp->epoch;
	}
	if (vp->state != VP_GONE)
		WRITE_ONCE(vp->state, st);
	spin_unlock(&vp->h2c_lock);
	spin_unlock_irqrestore(&vp->req_lock, fl);
}

/* Our own end of the session (detach, reset, shutdown): nothing is sent
 * any more, outstanding requests fail, devices are marked broken.
 */
void vp_end_session(struct vmsg_pci *vp)
{
	vp_set_state(vp, VP_DOWN);
	vp_fail_requests(vp, -1, -ENODEV);
	vp_dev_break_all(vp);
	wake_up(&vp->h2c_wq);
}

void vp_kick_ctl(struct vmsg_pci *vp, unsigned int bit, unsigned long delay)
{
	if (bit < BITS_PER_LONG)
		set_bit(bit, &vp->flags);
	if (test_bit(VP_F_REMOVING, &vp->flags))
		return;
	mod_delayed_work(vp->ctl_wq, &vp->ctl_dwork, delay);
}

/* [DEAD-1], first half, from any context: stop, fail, break; the ctl work
 * then fences and removes the devices.
 */
void vp_declare_dead(struct vmsg_pci *vp, const char *why, bool fence)
{
	unsigned long fl;
	bool was_run;

	spin_lock_irqsave(&vp->req_lock, fl);
	spin_lock(&vp->h2c_lock);
	was_run = vp->state == VP_RUN;
	if (was_run) {
		WRITE_ONCE(vp->state, VP_DEAD);
		vp->session++;
		vp->last_epoch = vp->epoch;
	}
	spin_unlock(&vp->h2c_lock);
	spin_unlock_irqrestore(&vp->req_lock, fl);
	if (!was_run)
		return;
	vp_count(vp, VP_ST_PEER_DEAD);
	vp_warn(vp, "link to the card lost (%s): removing its devices\n", why);
	vp_fail_requests(vp, -1, -ENODEV);
	vp_dev_break_all(vp);
	wake_up(&vp->h2c_wq);
	if (fence)
		set_bit(VP_F_FENCE, &vp->flags);
	vp_kick_ctl(vp, VP_F_TEARDOWN, 0);
}

/*
 * [FLR-H-4]: the card shut down. rx_dwork drains the c2h ring (final
 * responses, REMOVED events, ERRORs) before the session ends; the drain
 * runs there because it dispatches events to the virtio drivers.
 */
static void vp_shutdown_seen(struct vmsg_pci *vp)
{
	if (!test_and_set_bit(VP_F_SHUTDOWN, &vp->flags))
		vp_kick_rx(vp, 0);
}

/* [IRQ-2]: in POLL mode, on an empty ring, link_state at least every
 * VMSG_PCIE_NOTIFY_RECHECK_MS: one register read, the full check (epoch
 * too) only if the card is no longer RUN.
 */
void vp_poll_link(struct vmsg_pci *vp)
{
	u32 link;

	if (!vp_running(vp) || test_bit(VP_F_FROZEN, &vp->flags) ||
	    time_before(jiffies, vp->link_read +
			msecs_to_jiffies(VMSG_PCIE_NOTIFY_RECHECK_MS)))
		return;
	link = vp_rd(vp, VP_REG(link_state));
	vp->link_read = jiffies;
	if (link != VMSG_LINK_RUN)
		vp_check_link(vp, "link poll");
}

/* [CR-3], [TMO-2]: read link_state and epoch; end the session if the card
 * is not in it any more.
 */
void vp_check_link(struct vmsg_pci *vp, const char *why)
{
	u32 link, epoch;

	if (!vp_running(vp) || test_bit(VP_F_FROZEN, &vp->flags))
		return;
	vp_count(vp, VP_ST_LINK_CHECKS);
	link = vp_rd(vp, VP_REG(link_state));
	vp->link_read = jiffies;
	if (link == VP_ALL_ONES || pci_dev_is_disconnected(vp->pdev)) {
		vp_declare_dead(vp, "function gone", false);
		return;
	}
	epoch = vp_rd(vp, VP_REG(epoch));
	if (link == VMSG_LINK_RUN && epoch == READ_ONCE(vp->epoch))
		return;
	vp_info(vp, "%s: card link %s, epoch %#x (session %#x)\n", why,
		vp_link_name(link), epoch, READ_ONCE(vp->epoch));
	if (link > VMSG_LINK_SHUTDOWN)
		vp_declare_dead(vp, "invalid link state", true); /* [LINK-2] */
	else if (link == VMSG_LINK_SHUTDOWN)
		vp_shutdown_seen(vp);
	else
		vp_declare_dead(vp, "card restarted", false);
}

/* ---- interrupts ---- */

static irqreturn_t vp_irq_handler(int irq, void *data)
{
	struct vmsg_pci *vp = data;

	vp_count(vp, VP_ST_IRQS);
	set_bit(VP_F_IRQ, &vp->flags);
	vp_kick_rx(vp, 0);
	return IRQ_HANDLED;
}

/*
 * MSI-X vectors to ask for: vec_c2h, plus one per queue vector when the card
 * offers OOB_NOTIFY ([OOB-3]: fewer is fine, queues then share vectors).
 */
static int vp_msix_want(struct vmsg_pci *vp)
{
	if (!READ_ONCE(vp_param_oob) ||
	    !(vp->card_features & VMSG_PCIE_F_OOB_NOTIFY))
		return 1;
	return clamp_t(int, vp->num_vectors, 1, VMSG_PCIE_MAX_VECTORS);
}

/* [IRQ-1]: MSI-X, else MSI, else polling. Vectors are kept across sessions. */
u32 vp_setup_irq(struct vmsg_pci *vp)
{
	struct pci_dev *pdev = vp->pdev;
	unsigned int want = vp_param_irq_mode;
	int n, r;

	if (want == VP_IRQ_PARAM_POLL || !vp->num_vectors)
		return VMSG_IRQ_POLL;
	if (vp->nvec <= 0) {
		n = -ENODEV;
		if ((vp->card_features & VMSG_PCIE_F_MSIX) &&
		    (want == VP_IRQ_PARAM_AUTO || want == VP_IRQ_PARAM_MSIX))
			n = pci_alloc_irq_vectors(pdev, 1, vp_msix_want(vp),
						  PCI_IRQ_MSIX);
		if (n > 0) {
			vp->irq_mode = VMSG_IRQ_MSIX;
		} else if ((vp->card_features & VMSG_PCIE_F_MSI) &&
			   (want == VP_IRQ_PARAM_AUTO || want == VP_IRQ_PARAM_MSI)) {
			n = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
			if (n > 0)
				vp->irq_mode = VMSG_IRQ_MSI;
		}
		if (n <= 0)
			return VMSG_IRQ_POLL;
		vp->nvec = n;
		vp->irq = pci_irq_vector(pdev, 0);
		r = request_irq(vp->irq, vp_irq_handler, 0, dev_name(&pdev->dev),
				vp);
		if (r) {
			vp_warn(vp, "request_irq: %d, polling instead\n", r);
			pci_free_irq_vectors(pdev);
			vp->nvec = 0;
			vp->irq = -1;
			return VMSG_IRQ_POLL;
		}
		if (vp->irq_mode == VMSG_IRQ_MSIX)
			vp_oob_irqs_request(vp);
	}
	/* The card may have lost the mode across a restart. */
	if (vp->irq_mode == VMSG_IRQ_MSIX &&
	    !(vp->card_features & VMSG_PCIE_F_MSIX))
		return VMSG_IRQ_POLL;
	if (vp->irq_mode == VMSG_IRQ_MSI &&
	    !(vp->card_features & VMSG_PCIE_F_MSI))
		return VMSG_IRQ_POLL;
	return vp->irq_mode;
}

void vp_quiesce_irq(struct vmsg_pci *vp)
{
	if (vp->nvec > 0) {
		vp_oob_irqs_free(vp);
		free_irq(vp->irq, vp);
		pci_free_irq_vectors(vp->pdev);
	}
	vp->nvec = 0;
	vp->irq = -1;
}

/*
 * Second half of [DEAD-1] (ctl context): fence if asked, then remove every
 * device. graceful: the card is alive (rmmod, reset), devices are
 * unregistered with live messages first.
 */
void vp_teardown(struct vmsg_pci *vp, bool graceful)
{
	lockdep_assert_held(&vp->ctl_lock);
	if (!graceful) {
		cancel_delayed_work_sync(&vp->ping_dwork);
		if (test_and_clear_bit(VP_F_FENCE, &vp->flags) &&
		    !test_bit(VP_F_FROZEN, &vp->flags))
			pci_clear_master(vp->pdev); /* [DMA-4] */
	}
	vp_dev_remove_all(vp, graceful);
}

/*
 * While down or dead: poll link_state and epoch ([DEAD-2]); attach when
 * the card is READY (after a refusal: READY on a new epoch). A card still
 * RUN on the lost session is re-attached (DETACH first, [ATT-H-1]) only if
 * its heartbeat moves ([HB-1]: it was stalled, not dead).
 */
static bool vp_card_back(struct vmsg_pci *vp)
{
	u32 link, epoch, hb;
	bool back = false, hb_moved;

	if (test_bit(VP_F_FROZEN, &vp->flags))
		return false;
	link = vp_rd(vp, VP_REG(link_state));
	if (link == VP_ALL_ONES)
		return false;
	epoch = vp_rd(vp, VP_REG(epoch));
	hb = vp_rd(vp, VP_REG(heartbeat));
	hb_moved = vp->hb_valid && hb != vp->last_hb;
	vp->last_hb = hb;
	vp->hb_valid = true;
	if (test_and_clear_bit(VP_F_ATTACH, &vp->flags))
		back = true;
	else if (link == VMSG_LINK_READY)
		back = !test_bit(VP_F_ATTACH_BAD, &vp->flags) ||
		       epoch != vp->last_epoch;
	else if (link == VMSG_LINK_RUN)
		back = epoch != vp->last_epoch || hb_moved;
	if (back)
		vp->hb_valid = false;
	return back;
}

void vp_ctl_work(struct work_struct *work)
{
	struct vmsg_pci *vp = container_of(to_delayed_work(work),
					   struct vmsg_pci, ctl_dwork);
	enum vp_state st;

	mutex_lock(&vp->ctl_lock);
	if (test_bit(VP_F_REMOVING, &vp->flags))
		goto out;
	if (test_and_clear_bit(VP_F_TEARDOWN, &vp->flags))
		vp_teardown(vp, false);
	st = READ_ONCE(vp->state);
	if (st == VP_RUN) {
		if (test_and_clear_bit(VP_F_RESCAN, &vp->flags)) {
			vp_count(vp, VP_ST_ENUMERATIONS);
			vp_enumerate(vp, true);
		}
		vp_hotplug_run(vp);
	} else if (st == VP_DOWN || st == VP_DEAD) {
		if (vp->ndevs)
			vp_teardown(vp, false);
		if (vp_card_back(vp))
			vp_attach(vp);
		if (!vp_running(vp) && !test_bit(VP_F_FROZEN, &vp->flags))
			queue_delayed_work(vp->ctl_wq, &vp->ctl_dwork,
					   msecs_to_jiffies(VP_REVIVE_MS));
	}
out:
	mutex_unlock(&vp->ctl_lock);
}

int vp_link_init(struct vmsg_pci *vp)
{
	vp->irq = -1;
	vp->state = VP_DOWN;
	vp->next_token = (u16)get_random_u32();
	vp->poll_jiffies = 1;
	/* Unbound: it may run while an atomic requester spins on this CPU. */
	vp->rx_wq = alloc_workqueue("vmsg_pci_rx/%s",
				    WQ_UNBOUND | WQ_HIGHPRI | WQ_MEM_RECLAIM, 1,
				    pci_name(vp->pdev));
	vp->ctl_wq = alloc_ordered_workqueue("vmsg_pci_ctl/%s", 0,
					     pci_name(vp->pdev));
	if (!vp->rx_wq || !vp->ctl_wq)
		return -ENOMEM;
	return 0;
}

void vp_link_fini(struct vmsg_pci *vp)
{
	if (vp->rx_wq)
		destroy_workqueue(vp->rx_wq);
	if (vp->ctl_wq)
		destroy_workqueue(vp->ctl_wq);
	vp->rx_wq = NULL;
	vp->ctl_wq = NULL;
	if (vp->h2c_map)
		iounmap(vp->h2c_map);
	if (vp->cons_map)
		iounmap(vp->cons_map);
	vp->h2c_map = NULL;
	vp->cons_map = NULL;
}
