// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_attach.c - attaching to the card and detaching
 * (docs/pcie-binding.md section 6): the control block read and checked
 * ([ATT-H-2], every field hostile), the host area, the ring mappings, the
 * ATTACH and DETACH commands, the session start, and vp_attach() (called by
 * ctl_dwork, vmsg_pci_link.c).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>

#include "vmsg_pci.h"

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
	vp_wr(vp, VP_REG(host_vectors), vp_oob_host_vectors(vp, feats, mode));
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

/* A new session: nothing of the previous one may leak into it. */
static void vp_msg_reset(struct vmsg_pci *vp)
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

static void vp_session_start(struct vmsg_pci *vp, u32 epoch, u32 feats,
			     u32 mode)
{
	unsigned long fl;

	vp_msg_reset(vp);
	vp->features = feats;
	vp->irq_mode = mode;
	vp_oob_session_start(vp);
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
	feats = vp->card_features & VP_HOST_FEATURES & VMSG_PCIE_F_KNOWN_1_1;
	if (!READ_ONCE(vp_param_oob))
		feats &= ~VMSG_PCIE_F_OOB_NOTIFY;
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
	if (feats & VMSG_PCIE_F_OOB_NOTIFY)
		vp_info(vp, "out-of-band notifications: %u queue doorbells, %u queue vectors\n",
			vp->num_doorbells - VMSG_OOB_DB_FIRST,
			vp_oob_host_vectors(vp, feats, mode) ?
			vp->oob_nvec - 1 : 0);
	return 0;
}

/* Attach (with [ATT-H-8] EEPOCH retries), enumerate, start PING. */
void vp_attach(struct vmsg_pci *vp)
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
			   vp_ping_jiffies());
	vp_count(vp, VP_ST_ENUMERATIONS);
	r = vp_enumerate(vp, false);
	if (r && vp_running(vp))
		vp_warn(vp, "enumeration failed (%d)\n", r);
}
