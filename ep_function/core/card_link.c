/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_link.c - the host_ctrl mailbox: ATTACH, DETACH, and the session.
 *
 * Protocol (card side):
 * - The host writes the host_* fields, then host_ctrl last, then rings
 *   doorbell VMSG_DB_CTRL. The card reads host_ctrl; a non-zero value is a
 *   command. The card publishes the outcome (attach_error, epoch,
 *   link_state) and only then writes host_ctrl back to NONE: the host waits
 *   for host_ctrl == NONE before it reads the outcome and before it writes
 *   another command.
 * - The epoch changes whenever the link enters READY (card start, DETACH),
 *   so every session runs on an epoch no earlier session used; RUN keeps the
 *   epoch the host attached to (host_epoch).
 * - ATTACH while RUN (host driver reloaded) is DETACH + ATTACH: the DETACH
 *   makes a new epoch, so the ATTACH is checked against that one and fails
 *   with EEPOCH unless the host wrote the new epoch; the host re-reads epoch
 *   and attaches again.
 * - After vmsg_card_shutdown() commands are acknowledged and ignored
 *   (DETACH still ends the session: the card stops writing host memory).
 */
#include "core_priv.h"

/* The host-written fields, each read exactly once. */
struct attach_req {
	uint32_t version;
	uint32_t features;
	uint64_t area_addr;
	uint32_t area_size;
	uint32_t irq_mode;
	uint32_t vec_c2h;
	uint32_t epoch;
	uint32_t host_vectors;
};

static void attach_read(const struct vmsg_card *c, struct attach_req *r)
{
	uint64_t lo, hi;

	r->version = card_reg_rd(c, REG_OFF(host_version));
	r->features = card_reg_rd(c, REG_OFF(host_features));
	lo = card_reg_rd(c, REG_OFF(host_area_addr));
	hi = card_reg_rd(c, REG_OFF(host_area_addr) + 4);
	r->area_addr = lo | hi << 32;
	r->area_size = card_reg_rd(c, REG_OFF(host_area_size));
	r->irq_mode = card_reg_rd(c, REG_OFF(irq_mode));
	r->vec_c2h = card_reg_rd(c, REG_OFF(vec_c2h));
	r->epoch = card_reg_rd(c, REG_OFF(host_epoch));
	r->host_vectors = card_reg_rd(c, REG_OFF(host_vectors));
}

static uint32_t attach_check_irq(const struct vmsg_card *c, const struct attach_req *r)
{
	uint32_t need;

	if (r->irq_mode == VMSG_IRQ_POLL)
		return VMSG_ATTACH_OK;
	if (r->irq_mode == VMSG_IRQ_MSIX)
		need = VMSG_PCIE_F_MSIX;
	else if (r->irq_mode == VMSG_IRQ_MSI)
		need = VMSG_PCIE_F_MSI;
	else
		return VMSG_ATTACH_EIRQ; /* The mode's bit must be negotiated (hence offered,
					    checked before). */
	if (!(r->features & need) || r->vec_c2h >= c->cfg.num_vectors)
		return VMSG_ATTACH_EIRQ;
	return VMSG_ATTACH_OK;
}

/* Everything that can be decided from the registers alone. */
static uint32_t attach_check(const struct vmsg_card *c, const struct attach_req *r)
{
	if (VMSG_PCIE_VERSION_GET_MAJOR(r->version) != VMSG_PCIE_VERSION_MAJOR)
		return VMSG_ATTACH_EVERSION;
	if (r->features & ~c->cfg.card_features)
		return VMSG_ATTACH_EFEATURES;
	/* No BAR-only fallback here: the c2h ring must live in host memory. */
	if (!(r->features & VMSG_PCIE_F_C2H_HOST_MEM))
		return VMSG_ATTACH_EFEATURES;
	if (r->epoch != c->epoch)
		return VMSG_ATTACH_EEPOCH;
	if (!r->area_addr || r->area_addr % VMSG_HOST_AREA_ALIGN || r->area_size < c->host_area_min)
		return VMSG_ATTACH_EAREA;
	if (!card_dma_range_ok(c, r->area_addr, r->area_size))
		return VMSG_ATTACH_EAREA;
	return attach_check_irq(c, r);
}

static void line_zero(volatile uint8_t *line)
{
	uint32_t i;

	for (i = 0; i < VMSG_RING_LINE; i += 4)
		VMSG_WRITE_ONCE32(line + i, 0);
}

/* Lay out both rings for a new session; false if the host area is unusable. */
static bool session_rings(struct vmsg_card *c, volatile uint8_t *area)
{
	volatile uint8_t *c2h_mem = area + VMSG_HOST_AREA_C2H_RING_OFFSET;
	volatile uint8_t *h2c_cons = area + VMSG_HOST_AREA_H2C_CONS_OFFSET;
	volatile uint8_t *c2h_cons = c->bar0 + VMSG_BAR0_C2H_CONS_OFFSET;
	struct card_session *s = &c->s;

	if ((uintptr_t)area & 7u)
		return false;
	if (vmsg_ring_format(c2h_mem, c->ring_bytes, c->cfg.ring_slot_size, c->cfg.ring_slot_count))
		return false;
	line_zero(h2c_cons);
	line_zero(c2h_cons);
	if (card_format_h2c(c))
		return false;
	if (vmsg_ring_attach_consumer(&s->h2c, c->bar0 + VMSG_BAR0_H2C_RING_OFFSET, c->ring_bytes,
				      (volatile struct vmsg_ring_idx *)h2c_cons))
		return false;
	if (vmsg_ring_attach_producer(&s->c2h, c2h_mem, c->ring_bytes,
				      (volatile struct vmsg_ring_idx *)c2h_cons))
		return false;
	/* An event-driven loop wants the h2c doorbell; a busy-polling one
	 * spares the host that posted write (NEED_NOTIFY clear). */
	vmsg_ring_set_need_notify(&s->h2c, !c->cfg.busy_poll);
	/* [ORD-6]: a read back through the window completes the posted
	 * writes to the host area before link_state says RUN. */
	return vmsg_le32_to_cpu(VMSG_READ_ONCE32(c2h_mem)) == VMSG_RING_MAGIC;
}

/*
 * Map only what the engine uses of the host area: the c2h ring and the h2c
 * consumer line, host_area_min bytes from its start (published in BAR0).
 * The host declares area_size (up to 4 GiB), checked against the DMA window
 * but never mapped whole: a platform that maps through an outbound window
 * would otherwise burn window space on memory the card never touches.
 */
static uint32_t session_start(struct vmsg_card *c, const struct attach_req *r)
{
	volatile uint8_t *area = NULL;

	if (c->plat.host_map)
		area = (volatile uint8_t *)c->plat.host_map(c->plat.ctx, r->area_addr,
							    c->host_area_min);
	if (!area)
		return VMSG_ATTACH_EAREA;
	card_devices_reset(c); /* [ATT-C-5]: every device starts at status 0 */
	if (!session_rings(c, area))
		return VMSG_ATTACH_EAREA;
	c->s.host_features = r->features;
	c->s.irq_mode = r->irq_mode;
	c->s.vec_c2h = r->vec_c2h;
	/* [OOB-2]: hostile; only ever used through vmsg_oob_vector_ok(). */
	c->s.host_vectors = (r->features & VMSG_PCIE_F_OOB_NOTIFY) ? r->host_vectors : 0;
	card_oob_session_start(c);
	c->s.area_addr = r->area_addr;
	c->s.area_size = r->area_size;
	c->s.area = area;
	c->s.live = true;
	c->recheck_ns = c->plat.now_ns(c->plat.ctx);
	c->recheck_cons = 0;
	return VMSG_ATTACH_OK;
}

/* Forget the session: queued messages dropped, no more host access. */
void card_session_drop(struct vmsg_card *c)
{
	card_pending_clear(c);
	c->s = (struct card_session){0};
	c->irq_due = false;
	c->rx_more = false;
}

/* Stop serving the session: devices reset first, then forget it. */
void card_session_end(struct vmsg_card *c)
{
	card_devices_reset(c);
	card_session_drop(c);
}

static void card_detach(struct vmsg_card *c)
{
	bool was_live = c->s.live;

	card_session_end(c);
	if (was_live)
		c->stats.detaches++;
	if (c->shutdown)
		return;
	card_new_epoch(c);
	card_set_link(c, VMSG_LINK_READY);
}

static void card_attach(struct vmsg_card *c)
{
	struct attach_req r;
	uint32_t err;

	if (c->shutdown)
		return;
	if (c->link == VMSG_LINK_RUN)
		card_detach(c);
	attach_read(c, &r);
	err = attach_check(c, &r);
	if (err == VMSG_ATTACH_OK)
		err = session_start(c, &r);
	card_reg_wr(c, REG_OFF(attach_error), err);
	if (err != VMSG_ATTACH_OK) {
		card_log(c, VMSG_LOG_WARN, "attach refused: error %u", (unsigned int)err);
		return;
	}
	c->stats.attaches++;
	card_set_link(c, VMSG_LINK_RUN);
	card_irq_force(c);
}

void card_link_poll(struct vmsg_card *c)
{
	uint32_t ctrl = card_reg_rd(c, REG_OFF(host_ctrl));

	if (ctrl == VMSG_HOST_CTRL_NONE)
		return;
	if (ctrl == VMSG_HOST_CTRL_ATTACH)
		card_attach(c);
	else if (ctrl == VMSG_HOST_CTRL_DETACH)
		card_detach(c);
	else
		card_log(c, VMSG_LOG_WARN, "host_ctrl %u ignored", (unsigned int)ctrl);
	/* The outcome is published; now acknowledge the command. */
	vmsg_mb();
	card_reg_wr(c, REG_OFF(host_ctrl), VMSG_HOST_CTRL_NONE);
}

void vmsg_card_host_lost(struct vmsg_card *c)
{
	if (!c)
		return;
	if (c->s.live)
		c->stats.detaches++;
	card_session_end(c);
	if (c->shutdown)
		return;
	card_publish(c);
}
