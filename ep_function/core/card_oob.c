/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_oob.c - out-of-band notifications (VMSG_PCIE_F_OOB_NOTIFY, binding
 * section 7.5): per-queue doorbells host -> card and per-queue vectors
 * card -> host.
 *
 * The host writes oob_map[n] = (dev_num, queue, vector) before the queue's
 * SET_VQUEUE. When the engine applies that SET_VQUEUE it reads the map once
 * and keeps its own copy ([OOB-4]): doorbell n -> (dev, queue) in c->oob,
 * queue -> (n, vector) in the device's slot. Every field is hostile: a
 * doorbell index outside 2..num_doorbells-1 is never looked at, a vector
 * outside what both sides have (or vec_c2h, or any in POLL mode) becomes
 * VMSG_OOB_VEC_NONE (in-band EVENT_USED). A change of doorbell[n] is an
 * EVENT_AVAIL for the copy's queue, through the same checks as the in-band
 * message ([OOB-5]).
 */
#include "core_priv.h"
#include "vmsg_bytes.h"

static uint32_t oob_num_doorbells(const struct vmsg_card *c)
{
	return c->cfg.num_doorbells;
}

static uint16_t map_rd16(const struct vmsg_card *c, uint32_t n, uint32_t field)
{
	size_t off = REG_OFF(oob_map) + (size_t)n * sizeof(struct vmsg_pcie_oob_entry) + field;
	uint32_t w = card_reg_rd(c, off & ~(size_t)3u);

	return (uint16_t)(off & 2u ? w >> 16 : w);
}

void card_oob_queue_clear(struct vmsg_card *c, struct card_slot *sl, uint32_t vq)
{
	uint32_t n;

	if (!sl || vq >= VMSG_DEV_MAX_QUEUES)
		return;
	n = sl->oob_db[vq];
	if (n && n < VMSG_PCIE_MAX_DOORBELLS && sl->dev && c->oob[n].dev_num == sl->dev->dev_num &&
	    c->oob[n].queue == vq)
		c->oob[n] = (struct card_oob_db){0};
	sl->oob_db[vq] = 0;
	sl->oob_vec[vq] = VMSG_OOB_VEC_NONE;
}

/* The queue's SET_VQUEUE was applied: take its map entry, if any. */
void card_oob_queue_set(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_card *c = d->card;
	struct card_slot *sl = card_slot_of(c, d->dev_num);
	uint32_t n, vec;

	if (!sl || vq >= VMSG_DEV_MAX_QUEUES)
		return;
	card_oob_queue_clear(c, sl, vq);
	if (!card_negotiated(c, VMSG_PCIE_F_OOB_NOTIFY))
		return;
	for (n = VMSG_OOB_DB_FIRST; vmsg_oob_db_ok(n, oob_num_doorbells(c)); n++) {
		struct card_oob_db *o = &c->oob[n];
		struct card_slot *old;

		if (map_rd16(c, n, offsetof(struct vmsg_pcie_oob_entry, dev_num)) != d->dev_num ||
		    map_rd16(c, n, offsetof(struct vmsg_pcie_oob_entry, queue)) != vq)
			continue;
		vec = map_rd16(c, n, offsetof(struct vmsg_pcie_oob_entry, vector));
		if (vec != VMSG_OOB_VEC_NONE &&
		    vmsg_oob_vector_ok(vec, c->s.irq_mode, c->s.host_vectors, c->cfg.num_vectors,
				       c->s.vec_c2h) == VMSG_OOB_VEC_NONE) {
			c->stats.oob_map_bad++;
			vec = VMSG_OOB_VEC_NONE;
		}
		/* A doorbell another live queue kept goes to the newer queue. */
		old = o->dev_num ? card_slot_of(c, o->dev_num) : NULL;
		if (old && o->queue < VMSG_DEV_MAX_QUEUES && old->oob_db[o->queue] == n) {
			c->stats.oob_map_bad++;
			old->oob_db[o->queue] = 0;
			old->oob_vec[o->queue] = VMSG_OOB_VEC_NONE;
		}
		o->dev_num = d->dev_num;
		o->queue = (uint16_t)vq;
		sl->oob_db[vq] = (uint8_t)n;
		sl->oob_vec[vq] = (uint16_t)vec;
		/* Only changes from now on are kicks. */
		c->last_db[n] = card_reg_rd(c, REG_OFF(doorbell) + 4u * n);
		return;
	}
}

/* [OOB-9]: a new session starts with no copy and fresh doorbell baselines. */
void card_oob_session_start(struct vmsg_card *c)
{
	uint32_t n;

	for (n = 0; n < VMSG_PCIE_MAX_DOORBELLS; n++) {
		c->oob[n] = (struct card_oob_db){0};
		if (n >= VMSG_OOB_DB_FIRST)
			c->last_db[n] = card_reg_rd(c, REG_OFF(doorbell) + 4u * n);
	}
}

/* [OOB-5]: every changed queue doorbell is an EVENT_AVAIL for its queue. */
void card_oob_poll(struct vmsg_card *c)
{
	uint32_t n;

	if (!card_negotiated(c, VMSG_PCIE_F_OOB_NOTIFY) || c->link != VMSG_LINK_RUN)
		return;
	for (n = VMSG_OOB_DB_FIRST; vmsg_oob_db_ok(n, oob_num_doorbells(c)); n++) {
		uint32_t v = card_reg_rd(c, REG_OFF(doorbell) + 4u * n);
		const struct card_oob_db *o = &c->oob[n];
		struct vmsg_dev *d;

		if (v == c->last_db[n])
			continue;
		c->last_db[n] = v;
		c->stats.doorbells++;
		d = o->dev_num ? card_live_dev(c, o->dev_num) : NULL;
		if (!d) {
			c->stats.oob_db_unmapped++;
			continue;
		}
		c->stats.oob_doorbells++;
		dev_event_avail(d, o->queue);
	}
}

/* [OOB-6]: raise the queue's vector instead of EVENT_USED; false: in-band. */
bool card_oob_raise(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_card *c = d->card;
	struct card_slot *sl;
	uint32_t vec;

	if (!card_negotiated(c, VMSG_PCIE_F_OOB_NOTIFY) || vq >= VMSG_DEV_MAX_QUEUES)
		return false;
	sl = card_slot_of(c, d->dev_num);
	if (!sl || !sl->oob_db[vq] || sl->oob_vec[vq] == VMSG_OOB_VEC_NONE)
		return false;
	vec = sl->oob_vec[vq];
	vmsg_wmb(); /* [ORD-1]: the used ring before the interrupt */
	card_irq_raise(c, c->s.irq_mode, vec);
	c->stats.oob_irqs++;
	return true;
}
