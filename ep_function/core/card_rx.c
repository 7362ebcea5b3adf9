/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_rx.c - take messages from the h2c ring and route them.
 *
 * Each slot is copied out of BAR0 by the ring (the host can rewrite it at
 * any time), then: wrong epoch -> drop_stale; not a valid driver-to-device
 * message -> drop_malformed and verdicts[]; else routed by class. Nothing
 * dropped here is ever answered. At most CARD_RX_BUDGET slots per call, and
 * none while the c2h FIFO lacks room for their answers (back-pressure).
 */
#include "core_priv.h"

static void card_route(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *msg)
{
	if (mi->is_bus)
		card_bus_rx(c, mi, msg);
	else
		card_dev_rx(c, mi, msg);
}

/* Handle one slot; false when the ring is empty. */
static bool card_rx_one(struct vmsg_card *c)
{
	struct vmsg_msg_info mi;
	enum vmsg_verdict v;
	uint32_t epoch = 0;
	int n;

	n = vmsg_ring_consume(&c->s.h2c, c->rx, sizeof(c->rx), &epoch);
	if (n == 0)
		return false;
	c->stats.rx_msgs++;
	if (n < 0) {
		c->stats.drop_malformed++;
		return true;
	}
	if (epoch != c->epoch) {
		c->stats.drop_stale++;
		return true;
	}
	v = vmsg_validate(c->rx, (size_t)n, VMSG_DIR_DRIVER_TO_DEVICE, &c->vopts, &mi);
	if (v != VMSG_OK) {
		if ((unsigned int)v < VMSG_E__COUNT)
			c->stats.verdicts[v]++;
		c->stats.drop_malformed++;
		return true;
	}
	card_route(c, &mi, c->rx);
	return true;
}

uint32_t card_rx_drain(struct vmsg_card *c)
{
	uint32_t handled = 0;

	c->rx_more = false;
	while (card_attached(c) && handled < CARD_RX_BUDGET) {
		if (card_pending_free(c) < CARD_PENDING_HEADROOM)
			return handled;
		if (!card_rx_one(c))
			return handled;
		handled++;
	}
	c->rx_more = card_attached(c) && handled == CARD_RX_BUDGET;
	return handled;
}
