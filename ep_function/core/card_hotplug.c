/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_hotplug.c - the device table: add, remove, lookup, shutdown.
 *
 * dev_num 0 is the bus; devices get the lowest free number in
 * 1..max_devices. A removed number may be reused by a later add (the host
 * saw REMOVED, then sees READY). Backends must not add or remove devices
 * from inside their own callbacks.
 */
#include "core_priv.h"

struct card_slot *card_slot_of(struct vmsg_card *c, vmsg_dev_num_t dev_num)
{
	if (dev_num == 0 || dev_num > c->cfg.max_devices)
		return NULL;
	return &c->slots[dev_num];
}

/* The device behind dev_num if the host may talk to it. */
struct vmsg_dev *card_live_dev(struct vmsg_card *c, vmsg_dev_num_t dev_num)
{
	struct card_slot *sl = card_slot_of(c, dev_num);

	if (!sl || !sl->dev || sl->dev->removed || c->shutdown)
		return NULL;
	return sl->dev;
}

static bool dev_pow2(uint32_t v)
{
	return v && !(v & (v - 1u));
}

static bool dev_valid(const struct vmsg_dev *d)
{
	const struct vmsg_dev_ops *o = d->ops;

	if (!o || !o->config_read || !o->set_features || !o->reset || !o->queue_notify)
		return false;
	if (d->num_queues > VMSG_DEV_MAX_QUEUES)
		return false;
	if (d->num_queues &&
	    (!dev_pow2(d->queue_max_size) || d->queue_max_size > CARD_MAX_QUEUE_SIZE))
		return false;
	return true;
}

static void dev_init_engine_fields(struct vmsg_card *c, struct vmsg_dev *d, vmsg_dev_num_t n)
{
	uint32_t q; /* [DMA-3]: every device offers both. */
	d->features |= 1ull << VMSG_VIRTIO_F_VERSION_1 | 1ull << VMSG_VIRTIO_F_ACCESS_PLATFORM;
	/* [OOB-8], [EVT-4]: a doorbell carries no next_offset. */
	d->features &= ~(1ull << VMSG_VIRTIO_F_NOTIFICATION_DATA);
	d->card = c;
	d->dev_num = n;
	d->status = 0;
	d->driver_features = 0;
	d->removed = false;
	for (q = 0; q < VMSG_DEV_MAX_QUEUES; q++) {
		d->queues[q] = (struct vmsg_dev_queue){0};
		d->queues[q].max_size = q < d->num_queues ? d->queue_max_size : 0;
	}
}

/* [DEV-2]: the lowest free number not given out in this epoch, else the
 * lowest free one (0 if the table is full). */
static uint32_t free_dev_num(const struct vmsg_card *c)
{
	uint32_t n, any = 0;

	for (n = 1; n <= c->cfg.max_devices; n++) {
		if (c->slots[n].dev)
			continue;
		if (c->slots[n].used_epoch != c->epoch)
			return n;
		if (!any)
			any = n;
	}
	return any;
}

int vmsg_card_add_device(struct vmsg_card *c, struct vmsg_dev *d)
{
	uint32_t n;

	if (!c || !d || !dev_valid(d) || c->shutdown)
		return -1;
	n = free_dev_num(c);
	if (!n)
		return -1;
	c->slots[n] = (struct card_slot){.used_epoch = c->epoch};
	dev_init_engine_fields(c, d, (vmsg_dev_num_t)n);
	c->slots[n].dev = d;
	if (n > c->dev_top)
		c->dev_top = n;
	card_log(c, VMSG_LOG_INFO, "device %u added (%s)", (unsigned int)n,
		 d->ops->name ? d->ops->name : "?");
	card_event_device(c, (vmsg_dev_num_t)n, VIRTIO_BUS_DEVICE_STATE_READY);
	return (int)n;
}

int vmsg_card_remove_device(struct vmsg_card *c, vmsg_dev_num_t dev_num)
{
	struct card_slot *sl = c ? card_slot_of(c, dev_num) : NULL;
	struct vmsg_dev *d;

	if (!sl || !sl->dev)
		return -1;
	d = sl->dev;
	/* [BUS-6]: quiesced before the host hears REMOVED. */
	dev_full_reset(d);
	d->removed = true;
	if (!c->shutdown)
		card_event_device(c, dev_num, VIRTIO_BUS_DEVICE_STATE_REMOVED);
	*sl = (struct card_slot){.used_epoch = sl->used_epoch};
	if (d->ops->destroy)
		d->ops->destroy(d);
	return 0;
}

struct vmsg_dev *vmsg_card_device(struct vmsg_card *c, vmsg_dev_num_t dev_num)
{
	struct card_slot *sl = c ? card_slot_of(c, dev_num) : NULL;

	return sl ? sl->dev : NULL;
}

void card_devices_poll(struct vmsg_card *c)
{
	uint32_t n;

	/* Every pass: only the slots that ever held a device (dev_top). */
	for (n = 1; n <= c->dev_top; n++) {
		struct vmsg_dev *d = c->slots[n].dev;

		if (d && !d->removed && d->ops->poll)
			d->ops->poll(d);
	}
}

void card_devices_reset(struct vmsg_card *c)
{
	uint32_t n;

	for (n = 1; n <= c->cfg.max_devices; n++)
		if (c->slots[n].dev)
			dev_full_reset(c->slots[n].dev);
}

/* [FLR-C-3]. Devices stay registered (marked removed) until destroy. */
void vmsg_card_shutdown(struct vmsg_card *c)
{
	uint32_t n, irq_mode, vec;
	bool was_in_poll;

	if (!c || c->shutdown)
		return;
	was_in_poll = c->in_poll;
	c->in_poll = true; /* one interrupt at the end, not one per message */
	for (n = 1; n <= c->cfg.max_devices; n++) {
		struct vmsg_dev *d = c->slots[n].dev;

		if (!d || d->removed)
			continue;
		dev_full_reset(d);
		card_event_device(c, (vmsg_dev_num_t)n, VIRTIO_BUS_DEVICE_STATE_REMOVED);
		d->removed = true;
	}
	c->shutdown = true;
	card_flush(c);
	card_rx_drain(c); /* consumed requests get ERROR SHUTDOWN */
	card_flush(c);
	irq_mode = c->s.live ? c->s.irq_mode : VMSG_IRQ_POLL;
	vec = c->s.vec_c2h;
	card_session_drop(c); /* [LINK-3]: host access ends before the state */
	card_set_link(c, VMSG_LINK_SHUTDOWN);
	c->in_poll = was_in_poll;
	card_irq_raise(c, irq_mode, vec);
}
