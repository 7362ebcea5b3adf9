/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_bus.c - bus messages (dev_num 0): GET_DEVICES, PING, EVENT_DEVICE
 * and the binding's ERROR answer.
 *
 * Unknown bus ids (the validator lets 0x80-0xFF through) are dropped and
 * counted in drop_unsupported, never answered.
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#define BUS_GET_DEVICES_FIXED VIRTIO_MSG_SIZE(6u)

static bool dev_present(struct vmsg_card *c, uint32_t n)
{
	return n <= 0xffffu && card_live_dev(c, (vmsg_dev_num_t)n) != NULL;
}

/* Window [off, off + cnt) clamped so the bitmap fits max_msg_size. */
static uint32_t get_devices_count(const struct vmsg_card *c, uint32_t cnt)
{
	uint32_t max_bits = (c->cfg.max_msg_size - BUS_GET_DEVICES_FIXED) * 8u;

	max_bits &= ~7u;
	return cnt < max_bits ? cnt : max_bits;
}

/* Lowest present dev_num >= from, rounded down to 8, or 0 if none. */
static uint32_t get_devices_next(struct vmsg_card *c, uint32_t from)
{
	uint32_t n;

	for (n = from; n <= c->cfg.max_devices; n++)
		if (dev_present(c, n))
			return n & ~7u;
	return 0;
}

static void bus_get_devices(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint8_t bitmap[CARD_MSG_MAX];
	uint8_t out[CARD_MSG_MAX];
	uint32_t off = vmsg_get_le16(pl), cnt = vmsg_get_le16(pl + 2);
	uint32_t i, next;
	size_t n;

	cnt = get_devices_count(c, cnt);
	for (i = 0; i < cnt / 8u; i++)
		bitmap[i] = 0;
	for (i = 0; i < cnt; i++)
		if (dev_present(c, off + i))
			bitmap[i / 8u] |= (uint8_t)(1u << (i % 8u));
	next = get_devices_next(c, off + cnt);
	if (next > 0xffffu)
		next = 0;
	n = vmsg_build_bus_get_devices_resp(out, c->cfg.max_msg_size, mi->token, (uint16_t)off,
					    (uint16_t)cnt, (uint16_t)next, bitmap);
	card_send(c, out, n);
}

static void bus_ping(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint8_t out[VIRTIO_MSG_SIZE(4u)];
	size_t n;

	c->stats.pings++;
	if (mi->is_response)
		return; /* the host answering a card PING: liveness noted */
	n = vmsg_build_bus_ping_resp(out, sizeof(out), mi->token, vmsg_get_le32(pl));
	card_send(c, out, n);
}

void card_bus_rx(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *msg)
{
	const uint8_t *pl = msg + VIRTIO_MSG_HEADER_SIZE;

	if (mi->msg_id == VIRTIO_BUS_MSG_GET_DEVICES && !mi->is_response)
		bus_get_devices(c, mi, pl);
	else if (mi->msg_id == VIRTIO_BUS_MSG_PING)
		bus_ping(c, mi, pl);
	else
		c->stats.drop_unsupported++;
}

void card_bus_error(struct vmsg_card *c, const struct vmsg_msg_info *mi, uint16_t err)
{
	uint8_t out[VIRTIO_MSG_SIZE(sizeof(struct vmsg_pcie_bus_msg_error))];
	size_t n;

	if (mi->is_event || !card_negotiated(c, VMSG_PCIE_F_ERROR_MSG))
		return;
	n = vmsg_build_bus_error(out, sizeof(out), mi->token, mi->type, mi->msg_id, mi->dev_num,
				 err);
	if (n)
		c->stats.errors_sent++;
	card_send(c, out, n);
}

void card_event_device(struct vmsg_card *c, vmsg_dev_num_t dev_num, uint16_t state)
{
	uint8_t out[VIRTIO_MSG_SIZE(4u)];
	size_t n;

	if (c->link != VMSG_LINK_RUN)
		return;
	n = vmsg_build_bus_event_device(out, sizeof(out), dev_num, state);
	card_send(c, out, n);
}
