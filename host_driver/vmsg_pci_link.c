// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_link.c - the link: the control block ([ATT-H-2]), attach and
 * detach (docs/pcie-binding.md section 6), the host area, interrupts,
 * liveness (PING, [BUS-4]), peer death ([DEAD-1]) and re-attach when the
 * card comes back ([DEAD-2]).
 *
 * Every register read goes across the link: they happen only while
 * attaching or detaching, on a PING miss, on an interrupt that found the
 * c2h ring empty, in POLL mode on an empty ring (link_state, once per
 * VMSG_PCIE_NOTIFY_RECHECK_MS) and while the card is dead (one poll per
 * VP_REVIVE_MS). A register reading all-ones means the function is gone
 * ([BAR-4]).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/random.h>

#include "vmsg_pci.h"

#define VP_ALL_ONES 0xffffffffu

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

/* [IRQ-1]: MSI-X, else MSI, else polling. Vectors are kept across sessions. */
static u32 vp_setup_irq(struct vmsg_pci *vp)
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
			n = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
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
		free_irq(vp->irq, vp);
		pci_free_irq_vectors(vp->pdev);
	}
	vp->nvec = 0;
	vp->irq = -1;
}

/* ---- control block ---- */

static bool vp_region_ok(u64 off, u64 size, u64 bar_len)
{
	return off % VMSG_RING_LINE == 0 && size <= bar_len &&
	       off <= bar_len - size;
}

/* [ATT-H-2], [REG-3]..[REG-7], [BAR-3], [SEC-H-2]. */
static int vp_read_identity(struct vmsg_pci *vp)
{
	u32 magic = vp_rd(vp, VP_REG(magic));
	u32 ver = vp_rd(vp, VP_REG(version));
	u32 h2c_off, h2c_size, cons, amin;

	if (magic == VP_ALL_ONES)
		return -ENODEV;
	if (magic != VMSG_PCIE_MAGIC) {
		vp_err(vp, "control block magic %#x is not VMSG\n", magic);
		return -ENODEV;
	}
	if (VMSG_PCIE_VERSION_GET_MAJOR(ver) != VMSG_PCIE_VERSION_MAJOR) {
		vp_err(vp, "binding version %u.%u not supported (want %u.x)\n",
		       ver >> 16, ver & 0xffff, VMSG_PCIE_VERSION_MAJOR);
		return -EPROTONOSUPPORT;
	}
	vp->transport_rev = vp_rd(vp, VP_REG(transport_rev));
	vp->max_msg = vp_rd(vp, VP_REG(max_msg_size));
	vp->card_features = vp_rd(vp, VP_REG(card_features));
	vp->dma_bits = vp_rd(vp, VP_REG(dma_addr_bits));
	vp->num_doorbells = vp_rd(vp, VP_REG(num_doorbells));
	vp->num_vectors = vp_rd(vp, VP_REG(num_vectors));
	h2c_off = vp_rd(vp, VP_REG(h2c_ring_offset));
	h2c_size = vp_rd(vp, VP_REG(h2c_ring_size));
	cons = vp_rd(vp, VP_REG(c2h_cons_offset));
	amin = vp_rd(vp, VP_REG(host_area_min));

	if (vp->transport_rev < VIRTIO_MSG_REVISION) {
		vp_err(vp, "transport revision %u unsupported\n",
		       vp->transport_rev);
		return -EPROTONOSUPPORT;
	}
	if (vp->max_msg < VMSG_PCIE_MIN_MSG_SIZE ||
	    vp->max_msg > VMSG_PCIE_MAX_MSG_SIZE) {
		vp_err(vp, "max_msg_size %u outside [%u, %u]\n", vp->max_msg,
		       VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
		return -EPROTO;
	}
	if (vp->dma_bits < VMSG_PCIE_DMA_ADDR_BITS_MIN ||
	    vp->dma_bits > VMSG_PCIE_DMA_ADDR_BITS_MAX) {
		vp_err(vp, "dma_addr_bits %u outside [%u, %u]\n", vp->dma_bits,
		       VMSG_PCIE_DMA_ADDR_BITS_MIN, VMSG_PCIE_DMA_ADDR_BITS_MAX);
		return -EPROTO;
	}
	if (vp->num_doorbells <= VMSG_DB_CTRL ||
	    vp->num_doorbells > VMSG_PCIE_MAX_DOORBELLS ||
	    vp->num_vectors > VMSG_PCIE_MAX_VECTORS) {
		vp_err(vp, "num_doorbells %u / num_vectors %u unusable\n",
		       vp->num_doorbells, vp->num_vectors);
		return -EPROTO;
	}
	if (h2c_off < VMSG_PCIE_REGS_SIZE || h2c_size < VMSG_RING_HDR_SIZE ||
	    !vp_region_ok(h2c_off, h2c_size, vp->bar_len)) {
		vp_err(vp, "h2c ring [%#x, +%#x) outside BAR (%#llx bytes)\n",
		       h2c_off, h2c_size, (u64)vp->bar_len);
		return -EPROTO;
	}
	if (!vp_region_ok(cons, VMSG_RING_LINE, vp->bar_len) ||
	    (cons < VMSG_PCIE_REGS_SIZE &&
	     cons < offsetof(struct vmsg_pcie_regs, reserved3)) ||
	    ((u64)cons + VMSG_RING_LINE > h2c_off &&
	     cons < (u64)h2c_off + h2c_size)) {
		vp_err(vp, "c2h consumer line %#x unusable\n", cons);
		return -EPROTO;
	}
	if (!(vp->card_features & VMSG_PCIE_F_C2H_HOST_MEM)) {
		vp_err(vp, "card offers only the BAR-only c2h ring (not implemented by this host)\n");
		return -EOPNOTSUPP;
	}
	if (amin > VP_HOST_AREA_MAX || amin < VMSG_HOST_AREA_C2H_RING_OFFSET +
						VMSG_RING_HDR_SIZE) {
		vp_err(vp, "host_area_min %u unusable\n", amin);
		return -EPROTO;
	}
	vp->h2c_off = h2c_off;
	vp->h2c_size = h2c_size;
	vp->cons_off = cons;
	return 0;
}

/* Map the h2c ring write-combining ([BAR-2]) and the c2h consumer line. */
static int vp_map_rings(struct vmsg_pci *vp)
{
	resource_size_t start = pci_resource_start(vp->pdev, vp->bar);

	if (vp->h2c_map)
		iounmap(vp->h2c_map);
	if (vp->cons_map)
		iounmap(vp->cons_map);
	vp->cons_map = NULL;
	vp->h2c_map = ioremap_wc(start + vp->h2c_off, vp->h2c_size);
	if (!vp->h2c_map)
		return -ENOMEM;
	if (vp->cons_off >= VMSG_PCIE_REGS_SIZE) {
		vp->cons_map = ioremap(start + vp->cons_off, VMSG_RING_LINE);
		if (!vp->cons_map)
			return -ENOMEM;
	}
	return 0;
}

static void __iomem *vp_cons_line(struct vmsg_pci *vp)
{
	return vp->cons_map ? vp->cons_map : vp->regs + vp->cons_off;
}

void vp_free_area(struct vmsg_pci *vp)
{
	if (vp->area)
		dma_free_coherent(&vp->pdev->dev, vp->area_size, vp->area,
				  vp->area_dma);
	vp->area = NULL;
	vp->area_size = 0;
}

/*
 * [PLACE-1]: coherent, 4 KiB aligned, below 2^dma_addr_bits. Called only
 * when the card is READY (it forgot every old address, [CR-1]) or has
 * never seen the area, so an old area may be freed here.
 */
static int vp_alloc_area(struct vmsg_pci *vp, u32 min)
{
	size_t want = ALIGN(max_t(size_t, min, PAGE_SIZE), VMSG_HOST_AREA_ALIGN);
	u64 limit = DMA_BIT_MASK(vp->dma_bits);

	if (vp->area && vp->area_size >= want &&
	    vp->area_dma + vp->area_size - 1 <= limit) {
		memset(vp->area, 0, vp->area_size);
		return 0;
	}
	vp_free_area(vp);
	vp->area = dma_alloc_coherent(&vp->pdev->dev, want, &vp->area_dma,
				      GFP_KERNEL);
	if (!vp->area)
		return -ENOMEM;
	vp->area_size = want;
	if (!IS_ALIGNED(vp->area_dma, VMSG_HOST_AREA_ALIGN) ||
	    vp->area_dma + want - 1 > limit) {
		vp_free_area(vp);
		return -ENOMEM;
	}
	memset(vp->area, 0, want);
	return 0;
}

/* Wait (bounded) until host_ctrl reads NONE: the card took the command. */
static int vp_wait_ctrl_ack(struct vmsg_pci *vp, unsigned int ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);
	u32 ctrl;

	for (;;) {
		ctrl = vp_rd(vp, VP_REG(host_ctrl));
		if (ctrl == VMSG_HOST_CTRL_NONE)
			return 0;
		if (ctrl == VP_ALL_ONES)
			return -ENODEV;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
}

static void vp_ctrl_cmd(struct vmsg_pci *vp, u32 cmd)
{
	vp_wr(vp, VP_REG(host_ctrl), cmd);
	vp_doorbell(vp, VMSG_DB_CTRL, ++vp->ctrl_count);
}

/* [DET-1]: DETACH and wait for READY; the caller stopped using the rings. */
int vp_detach(struct vmsg_pci *vp)
{
	unsigned long deadline;
	u32 link;
	int r;

	if (test_bit(VP_F_FROZEN, &vp->flags) || vp_bar_gone(vp))
		return -ENODEV;
	/* [ATT-H-11]: a pending command is waited for (then overridden). */
	vp_wait_ctrl_ack(vp, VMSG_PCIE_ATTACH_TIMEOUT_MS / 5);
	vp_ctrl_cmd(vp, VMSG_HOST_CTRL_DETACH);
	deadline = jiffies + msecs_to_jiffies(VMSG_PCIE_ATTACH_TIMEOUT_MS);
	r = vp_wait_ctrl_ack(vp, VMSG_PCIE_ATTACH_TIMEOUT_MS);
	while (!r) {
		link = vp_rd(vp, VP_REG(link_state));
		if (link == VMSG_LINK_READY || link == VMSG_LINK_SHUTDOWN ||
		    link == VMSG_LINK_INIT)
			break;
		if (link == VP_ALL_ONES)
			r = -ENODEV;
		else if (time_after(jiffies, deadline))
			r = -ETIMEDOUT;
		else
			usleep_range(1000, 2000);
	}
	if (r) {
		vp_warn(vp, "DETACH not acknowledged (%d)\n", r);
		return r;
	}
	vp_count(vp, VP_ST_DETACHES);
	return 0;
}

/* [ATT-H-1]: wait for READY; a RUN left by a previous host is detached. */
static int vp_wait_ready(struct vmsg_pci *vp)
{
	unsigned long deadline =
		jiffies + msecs_to_jiffies(VMSG_PCIE_ATTACH_TIMEOUT_MS);
	bool detached = false;
	u32 link;

	for (;;) {
		link = vp_rd(vp, VP_REG(link_state));
		if (link == VMSG_LINK_READY)
			return 0;
		if (link == VP_ALL_ONES)
			return -ENODEV;
		if (link > VMSG_LINK_SHUTDOWN) {
			vp_err(vp, "invalid link state %#x\n", link);
			return -EPROTO;
		}
		if (link == VMSG_LINK_RUN && !detached) {
			vp_info(vp, "card still attached to a previous session: detaching\n");
			detached = true;
			if (vp_detach(vp))
				return -ETIMEDOUT;
			continue;
		}
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(5000, 10000);
	}
}

/* ATTACH on epoch; 0 attached, -EAGAIN epoch moved, other -errno. */
static int vp_attach_cmd(struct vmsg_pci *vp, u32 epoch, u32 feats, u32 mode)
{
	u32 err, link, e;
	int r;

	/* [ATT-H-7], [ORD-6]: every host_* field, then host_ctrl, doorbell. */
	vp_wr(vp, VP_REG(host_version), VMSG_PCIE_VERSION);
	vp_wr(vp, VP_REG(host_features), feats);
	vp_wr(vp, VP_REG(host_area_addr), lower_32_bits(vp->area_dma));
	vp_wr(vp, VP_REG(host_area_addr) + 4, upper_32_bits(vp->area_dma));
	vp_wr(vp, VP_REG(host_area_size), vp->area_size);
	vp_wr(vp, VP_REG(irq_mode), mode);
	vp_wr(vp, VP_REG(vec_c2h), 0);
	vp_wr(vp, VP_REG(host_epoch), epoch);
	vp_ctrl_cmd(vp, VMSG_HOST_CTRL_ATTACH);
	/* [ATT-H-8] */
	r = vp_wait_ctrl_ack(vp, VMSG_PCIE_ATTACH_TIMEOUT_MS);
	if (r)
		return r;
	err = vp_rd(vp, VP_REG(attach_error));
	link = vp_rd(vp, VP_REG(link_state));
	e = vp_rd(vp, VP_REG(epoch));
	if (err == VMSG_ATTACH_EEPOCH)
		return -EAGAIN;
	if (err != VMSG_ATTACH_OK) {
		vp_err(vp, "ATTACH refused: %s (%u)\n", vp_attach_err_name(err),
		       err);
		return -EPROTO;
	}
	if (link != VMSG_LINK_RUN || e != epoch)
		return -EAGAIN;
	return 0;
}

/* [ATT-H-9]: attach both rings; nothing read from the card is trusted. */
static int vp_attach_rings(struct vmsg_pci *vp)
{
	/* The ring code takes volatile pointers: plain ones convert. */
	struct vmsg_ring_idx *c2h_cons =
		(__force struct vmsg_ring_idx *)vp_cons_line(vp);
	struct vmsg_ring_idx *h2c_cons =
		(struct vmsg_ring_idx *)((u8 *)vp->area +
					 VMSG_HOST_AREA_H2C_CONS_OFFSET);
	u8 *c2h_mem = (u8 *)vp->area + VMSG_HOST_AREA_C2H_RING_OFFSET;
	u32 max;
	int r;

	r = vmsg_ring_attach_consumer(&vp->c2h, c2h_mem,
				      vp->area_size - VMSG_HOST_AREA_C2H_RING_OFFSET,
				      c2h_cons);
	if (r) {
		vp_err(vp, "c2h ring header in the host area is invalid\n");
		return -EPROTO;
	}
	r = vmsg_ring_attach_producer(&vp->h2c, (__force void *)vp->h2c_map,
				      vp->h2c_size, h2c_cons);
	if (r) {
		vp_err(vp, "h2c ring header in BAR0 is invalid\n");
		return -EPROTO;
	}
	max = min3(vp->max_msg, vp->h2c.slot_size - 8, vp->c2h.slot_size - 8);
	if (max < VMSG_PCIE_MIN_MSG_SIZE) {
		vp_err(vp, "ring slots too small for %u-byte messages\n",
		       VMSG_PCIE_MIN_MSG_SIZE);
		return -EPROTO;
	}
	vp->max_msg = max;
	return 0;
}

static void vp_session_start(struct vmsg_pci *vp, u32 epoch, u32 feats,
			     u32 mode)
{
	unsigned long fl;

	vp_msg_reset(vp);
	vp->features = feats;
	vp->irq_mode = mode;
	vp->bus.max_msg_size = vp->max_msg;
	vp->bus.revision = VIRTIO_MSG_REVISION;
	vp->bus.dma_addr_bits = vp->dma_bits;
	vp->ping_misses = 0;
	vp->ping_token = 0;
	vp->link_read = jiffies;
	clear_bit(VP_F_SHUTDOWN, &vp->flags);
	spin_lock_irqsave(&vp->req_lock, fl);
	spin_lock(&vp->h2c_lock);
	WRITE_ONCE(vp->epoch, epoch);
	vp->session++;
	if (vp->state != VP_GONE)
		WRITE_ONCE(vp->state, VP_RUN);
	spin_unlock(&vp->h2c_lock);
	spin_unlock_irqrestore(&vp->req_lock, fl);
	/* [NTF-3]: in MSIX/MSI mode the flag is set once and left set. */
	vmsg_ring_set_need_notify(&vp->c2h, mode != VMSG_IRQ_POLL);
	(void)vp_rd(vp, VP_REG(link_state));
}

static const char *vp_irq_mode_name(u32 mode)
{
	switch (mode) {
	case VMSG_IRQ_MSIX:
		return "MSI-X";
	case VMSG_IRQ_MSI:
		return "MSI";
	default:
		return "polling";
	}
}

/* One attach, [ATT-H-1]..[ATT-H-9]. 0, -EAGAIN (retry), other -errno. */
static int vp_attach_once(struct vmsg_pci *vp)
{
	u32 epoch, feats, mode, amin;
	int r;

	r = vp_wait_ready(vp);
	if (r == -ETIMEDOUT)
		return -EBUSY; /* not READY: not the card's fault yet */
	if (r)
		return r;
	r = vp_read_identity(vp);
	if (r)
		return r;
	epoch = vp_rd(vp, VP_REG(epoch));
	if (!epoch || epoch == VP_ALL_ONES)
		return -EAGAIN;
	/* [ATT-H-4], [FEAT-2] */
	feats = vp->card_features & VP_HOST_FEATURES & VMSG_PCIE_F_KNOWN_1_0;
	/* [ATT-H-5], [DMA-2] */
	r = dma_set_mask_and_coherent(&vp->pdev->dev,
				      DMA_BIT_MASK(vp->dma_bits));
	if (r) {
		vp_err(vp, "cannot set a %u-bit DMA mask\n", vp->dma_bits);
		return r;
	}
	amin = vp_rd(vp, VP_REG(host_area_min));
	r = vp_alloc_area(vp, amin);
	if (r)
		return r;
	r = vp_map_rings(vp);
	if (r)
		return r;
	/* [ATT-H-6], [IRQ-4] */
	mode = vp_setup_irq(vp);
	if (mode == VMSG_IRQ_MSIX)
		feats &= ~VMSG_PCIE_F_MSI;
	else if (mode == VMSG_IRQ_MSI)
		feats &= ~VMSG_PCIE_F_MSIX;
	else
		feats &= ~(VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI);
	pci_set_master(vp->pdev);
	r = vp_attach_cmd(vp, epoch, feats, mode);
	if (r)
		return r;
	r = vp_attach_rings(vp);
	if (r) {
		vp_detach(vp);
		return r;
	}
	vp_session_start(vp, epoch, feats, mode);
	vp_count(vp, VP_ST_ATTACHES);
	vp_info(vp, "attached: epoch %#x, features %#x, %s, %u-byte messages, %u+%u ring slots, %u-bit DMA\n",
		epoch, feats, vp_irq_mode_name(mode), vp->max_msg,
		vp->h2c.slot_count, vp->c2h.slot_count, vp->dma_bits);
	return 0;
}

/* Attach (with [ATT-H-8] EEPOCH retries), enumerate, start PING. */
static void vp_attach(struct vmsg_pci *vp)
{
	int r = -EAGAIN, i;

	for (i = 0; i < VP_ATTACH_TRIES && r == -EAGAIN; i++)
		r = vp_attach_once(vp);
	if (r) {
		vp_count(vp, VP_ST_ATTACH_FAILS);
		vp->last_epoch = vp_rd(vp, VP_REG(epoch));
		if (r == -ETIMEDOUT) {
			/* The card may hold the area's address: fence it. */
			vp_warn(vp, "ATTACH not acknowledged: card unresponsive\n");
			pci_clear_master(vp->pdev);
		} else if (r == -EBUSY) {
			vp_info(vp, "card not ready (link %s): waiting for it\n",
				vp_link_name(vp_rd(vp, VP_REG(link_state))));
		} else if (r != -ENODEV) {
			vp_warn(vp, "attach failed (%d): waiting for the card to restart\n",
				r);
			set_bit(VP_F_ATTACH_BAD, &vp->flags);
		}
		vp_set_state(vp, VP_DEAD);
		return;
	}
	clear_bit(VP_F_ATTACH_BAD, &vp->flags);
	vp_kick_rx(vp, 0);
	queue_delayed_work(system_wq, &vp->ping_dwork,
			   msecs_to_jiffies(VMSG_PCIE_PING_INTERVAL_MS));
	vp_count(vp, VP_ST_ENUMERATIONS);
	r = vp_enumerate(vp, false);
	if (r && vp_running(vp))
		vp_warn(vp, "enumeration failed (%d)\n", r);
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

/* [BUS-4], [TMO-4] */
void vp_ping_work(struct work_struct *work)
{
	struct vmsg_pci *vp = container_of(to_delayed_work(work),
					   struct vmsg_pci, ping_dwork);
	bool missed = false;
	unsigned long fl;
	u32 misses;
	int r;

	if (!vp_running(vp))
		return;
	spin_lock_irqsave(&vp->req_lock, fl);
	if (vp->ping_token) {
		struct vp_req *rq = &vp->reqs[vp->ping_token & (VP_REQ_SLOTS - 1)];

		if (rq->kind == VP_REQ_PING && rq->token == vp->ping_token) {
			rq->kind = VP_REQ_FREE;
			vp->nreqs--;
		}
		vp->ping_token = 0;
		vp->ping_misses++;
		missed = true;
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
	if (missed) {
		vp_count(vp, VP_ST_PING_MISSES);
		vp_check_link(vp, "PING not answered");
	}
	if (!vp_running(vp))
		return;
	misses = READ_ONCE(vp->ping_misses);
	if (misses >= VMSG_PCIE_PING_MISSES) {
		vp_declare_dead(vp, "PING not answered", true);
		return;
	}
	r = vp_send_ping(vp);
	if (r == -EAGAIN) {
		/* The card does not even take messages: that is a miss. */
		spin_lock_irqsave(&vp->req_lock, fl);
		vp->ping_misses++;
		spin_unlock_irqrestore(&vp->req_lock, fl);
		vp_count(vp, VP_ST_PING_MISSES);
	}
	/* Also a safety net against a lost interrupt. */
	vp_kick_rx(vp, 0);
	queue_delayed_work(system_wq, &vp->ping_dwork,
			   msecs_to_jiffies(VMSG_PCIE_PING_INTERVAL_MS));
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
