/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_poll.c - one round of engine work, the counters, and accessors.
 */
#include "core_priv.h"

static void card_count_doorbells(struct vmsg_card *c)
{
	static const uint32_t db[2] = {VMSG_DB_H2C, VMSG_DB_CTRL};
	uint32_t i;

	for (i = 0; i < 2; i++) {
		uint32_t v = card_reg_rd(c, REG_OFF(doorbell) + 4u * db[i]);

		if (v != c->last_db[i]) {
			c->last_db[i] = v;
			c->stats.doorbells++;
		}
	}
}

/* Section 12: the counters in BAR0, each written only when it changed since
 * the last write (an idle pass stores nothing); card_publish() forgets the
 * mirror when it zeroes the control block. */
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, cnt_doorbells) ==
		       offsetof(struct vmsg_pcie_regs, cnt_rx_msgs) + 7u * 8u,
		   "the eight counters are consecutive, in stats order");

static void card_mirror_stats(struct vmsg_card *c)
{
	const struct vmsg_card_stats *s = &c->stats;
	const uint64_t v[8] = {s->rx_msgs,	  s->tx_msgs,	s->drop_malformed, s->drop_stale,
			       s->drop_no_device, s->ring_full, s->irqs,	   s->doorbells};
	uint32_t i;

	for (i = 0; i < 8; i++) {
		if (v[i] == c->cnt_mirror[i])
			continue;
		c->cnt_mirror[i] = v[i];
		card_reg_wr64(c, REG_OFF(cnt_rx_msgs) + 8u * i, v[i]);
	}
}

static void card_heartbeat(struct vmsg_card *c)
{
	if (c->link == VMSG_LINK_SHUTDOWN)
		return;
	card_reg_wr(c, REG_OFF(heartbeat), ++c->heartbeat);
}

int vmsg_card_poll(struct vmsg_card *c)
{
	uint32_t handled = 0;

	if (!c)
		return -1;
	c->in_poll = true;
	card_heartbeat(c);
	card_count_doorbells(c);
	card_link_poll(c);
	card_flush(c);
	handled = card_rx_drain(c);
	card_oob_poll(c);
	card_devices_poll(c);
	card_flush(c);
	card_irq_flush(c);
	card_irq_recheck(c);
	card_mirror_stats(c);
	c->in_poll = false;
	return (int)handled;
}

uint32_t vmsg_card_next_timeout_ms(const struct vmsg_card *c)
{
	if (!c)
		return CARD_IDLE_TIMEOUT_MS;
	if (c->rx_more)
		return 0;
	if (c->pend.count)
		return 1;
	return CARD_IDLE_TIMEOUT_MS;
}

const struct vmsg_card_stats *vmsg_card_stats(const struct vmsg_card *c)
{
	return &c->stats;
}

enum vmsg_link_state vmsg_card_link_state(const struct vmsg_card *c)
{
	return c->link;
}

uint32_t vmsg_card_epoch(const struct vmsg_card *c)
{
	return c->epoch;
}

const struct vmsg_card_platform *vmsg_card_platform(const struct vmsg_card *c)
{
	return &c->plat;
}
