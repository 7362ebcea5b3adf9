/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_tx.c - card-to-host messages: the c2h ring, a small FIFO for
 * messages that found the ring full, and the c2h interrupt.
 *
 * Order is preserved: while the FIFO holds anything, new messages queue
 * behind it. An event identical to one already queued is coalesced (an
 * EVENT_USED for the same queue says nothing new). If the FIFO itself is
 * full the message is lost: counted in pending_overflow, and the device it
 * belonged to gets DEVICE_NEEDS_RESET (its event follows when room frees),
 * so nothing is lost silently. card_rx_drain() keeps CARD_PENDING_HEADROOM
 * entries free before it takes a request, so responses do not get there.
 */
#include "core_priv.h"
#include "vmsg_bytes.h"

static uint8_t *pend_entry(const struct vmsg_card *c, uint32_t i)
{
	return c->pend.buf + (size_t)(i % CARD_PENDING_SLOTS) * CARD_MSG_MAX;
}

uint32_t card_pending_free(const struct vmsg_card *c)
{
	return CARD_PENDING_SLOTS - c->pend.count;
}

void card_pending_clear(struct vmsg_card *c)
{
	c->pend.head = 0;
	c->pend.count = 0;
}

static bool msg_is_event(const uint8_t *m)
{
	return !(m[0] & VIRTIO_MSG_TYPE_RESPONSE) && (m[1] & VIRTIO_MSG_ID_EVENT_BIT);
}

static bool bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool pend_has_copy(const struct vmsg_card *c, const uint8_t *m, size_t len)
{
	uint32_t i;

	for (i = 0; i < c->pend.count; i++) {
		uint32_t at = c->pend.head + i;

		if (c->pend.len[at % CARD_PENDING_SLOTS] == len &&
		    bytes_equal(pend_entry(c, at), m, len))
			return true;
	}
	return false;
}

/* The device a lost message belonged to: transport dev_num, or the failed
 * request's dev_num for a bus ERROR. */
static vmsg_dev_num_t msg_owner(const uint8_t *m, size_t len)
{
	if (!(m[0] & VIRTIO_MSG_TYPE_BUS))
		return vmsg_get_le16(m + 2);
	if (m[1] == VMSG_PCIE_BUS_MSG_ERROR && len >= VIRTIO_MSG_SIZE(4u))
		return vmsg_get_le16(m + VIRTIO_MSG_HEADER_SIZE + 2);
	return 0;
}

/* A queued event of dev (queue vq, or any with UINT32_MAX) made stale by a
 * reset ([RST-2]: no EVENT_USED for the old queues). Responses stay. */
static bool pend_stale_event(const uint8_t *m, size_t len, vmsg_dev_num_t dev, uint32_t vq)
{
	if (!msg_is_event(m) || (m[0] & VIRTIO_MSG_TYPE_BUS) || vmsg_get_le16(m + 2) != dev)
		return false;
	if (m[1] == VIRTIO_MSG_EVENT_CONFIG)
		return vq == UINT32_MAX;
	if (m[1] != VIRTIO_MSG_EVENT_USED || len < VIRTIO_MSG_SIZE(4u))
		return false;
	return vq == UINT32_MAX || vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE) == vq;
}

void card_pending_drop_events(struct vmsg_card *c, vmsg_dev_num_t dev, uint32_t vq)
{
	uint32_t i, kept = 0, n = c->pend.count;

	for (i = 0; i < n; i++) {
		uint32_t from = (c->pend.head + i) % CARD_PENDING_SLOTS;
		uint32_t to = (c->pend.head + kept) % CARD_PENDING_SLOTS;

		if (pend_stale_event(pend_entry(c, from), c->pend.len[from], dev, vq))
			continue;
		if (to != from) {
			vmsg_copy_bytes(pend_entry(c, to), pend_entry(c, from), c->pend.len[from]);
			c->pend.len[to] = c->pend.len[from];
		}
		kept++;
	}
	c->pend.count = kept;
}

static void pend_overflow(struct vmsg_card *c, const uint8_t *m, size_t len)
{
	struct card_slot *sl = card_slot_of(c, msg_owner(m, len));

	c->stats.pending_overflow++;
	card_log(c, VMSG_LOG_ERR, "c2h queue overflow: message 0x%02x lost", m[1]);
	if (!sl || !sl->dev)
		return;
	sl->dev->status |= VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET;
	sl->reset_event_due = true;
	c->reset_events_due = true;
}

static void pend_push(struct vmsg_card *c, const uint8_t *m, size_t len)
{
	uint32_t at;

	if (msg_is_event(m) && pend_has_copy(c, m, len))
		return;
	if (c->pend.count == CARD_PENDING_SLOTS) {
		pend_overflow(c, m, len);
		return;
	}
	at = (c->pend.head + c->pend.count) % CARD_PENDING_SLOTS;
	vmsg_copy_bytes(pend_entry(c, at), m, len);
	c->pend.len[at] = (uint16_t)len;
	c->pend.count++;
}

/* 0 sent, 1 ring full, -1 dropped (cannot ever be sent). */
static int ring_put(struct vmsg_card *c, const void *m, size_t len)
{
	int r = vmsg_ring_produce(&c->s.c2h, m, (uint32_t)len, c->epoch);

	if (r == 0) {
		c->stats.tx_msgs++;
		c->irq_due = true;
		return 0;
	}
	if (r == -VMSG_RING_EAGAIN)
		return 1;
	card_log(c, VMSG_LOG_ERR, "c2h produce failed (%d)", r);
	return -1;
}

void card_send(struct vmsg_card *c, const void *msg, size_t len)
{
	int r = 1;

	if (!card_attached(c) || len == 0 || len > CARD_MSG_MAX)
		return;
	if (c->pend.count == 0)
		r = ring_put(c, msg, len);
	if (r > 0) {
		/* The ring is full (or others wait already): this one waits. */
		c->stats.ring_full++;
		pend_push(c, msg, len);
	}
	if (!c->in_poll)
		card_irq_flush(c);
}

/* Resend NEEDS_RESET events that an overflow swallowed. The scan runs only
 * after an overflow (reset_events_due), not on every engine pass. */
static void flush_reset_events(struct vmsg_card *c)
{
	uint32_t n;

	if (!c->reset_events_due)
		return;
	c->reset_events_due = false;
	for (n = 1; n <= c->cfg.max_devices; n++) {
		struct card_slot *sl = &c->slots[n];

		if (c->pend.count) {
			c->reset_events_due = true; /* the rest when room frees */
			return;
		}

		if (!sl->reset_event_due)
			continue;
		sl->reset_event_due = false;
		if (sl->dev)
			dev_send_event_config(sl->dev, 0, 0);
	}
}

void card_flush(struct vmsg_card *c)
{
	uint32_t budget = CARD_PENDING_SLOTS;

	if (!card_attached(c))
		return;
	while (c->pend.count && budget--) {
		uint32_t at = c->pend.head % CARD_PENDING_SLOTS;

		if (ring_put(c, pend_entry(c, at), c->pend.len[at]) > 0)
			return;
		c->pend.head = (c->pend.head + 1u) % CARD_PENDING_SLOTS;
		c->pend.count--;
	}
	flush_reset_events(c);
}

void card_irq_raise(struct vmsg_card *c, uint32_t irq_mode, uint32_t vec)
{
	if (irq_mode == VMSG_IRQ_POLL)
		return;
	if (c->plat.raise_irq(c->plat.ctx, vec) == 0)
		c->stats.irqs++;
	else
		card_log(c, VMSG_LOG_WARN, "raise_irq(%u) failed", (unsigned int)vec);
}

/* Interrupt for ring traffic: only if the host asked (NEED_NOTIFY). */
void card_irq_flush(struct vmsg_card *c)
{
	if (!c->irq_due || !card_attached(c))
		return;
	c->irq_due = false;
	if (c->s.irq_mode != VMSG_IRQ_POLL && vmsg_ring_consumer_wants_notify(&c->s.c2h))
		card_irq_raise(c, c->s.irq_mode, c->s.vec_c2h);
}

/* [NTF-5] (b): the host asked for interrupts, messages sit unread and its
 * consumer index did not move for a whole period: the interrupt (or our
 * view of its flag) may have been lost, raise it again. */
void card_irq_recheck(struct vmsg_card *c)
{
	const uint64_t period = (uint64_t)VMSG_PCIE_NOTIFY_RECHECK_MS * 1000000u;
	uint32_t unread, cons;
	uint64_t now;

	if (!card_attached(c) || c->s.irq_mode == VMSG_IRQ_POLL)
		return;
	now = c->plat.now_ns(c->plat.ctx);
	if (now - c->recheck_ns < period)
		return;
	c->recheck_ns = now;
	unread = c->s.c2h.slot_count - vmsg_ring_space(&c->s.c2h);
	cons = c->s.c2h.cached;
	if (unread && cons == c->recheck_cons && vmsg_ring_consumer_wants_notify(&c->s.c2h))
		card_irq_raise(c, c->s.irq_mode, c->s.vec_c2h);
	c->recheck_cons = cons;
}

/* Interrupt for a link change (RUN, SHUTDOWN): unconditional unless POLL. */
void card_irq_force(struct vmsg_card *c)
{
	c->irq_due = false;
	if (card_attached(c))
		card_irq_raise(c, c->s.irq_mode, c->s.vec_c2h);
}
