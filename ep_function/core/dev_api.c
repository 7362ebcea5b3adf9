/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_api.c - what device backends call: host memory access, EVENT_USED
 * with the driver's suppression respected, logging.
 *
 * vmsg_dev_notify_used() decides on its own, from host memory, so that it
 * does not depend on how a backend keeps its ring progress: without
 * EVENT_IDX it reads the avail flags (VRING_AVAIL_F_NO_INTERRUPT); with it,
 * it reads used_event and the used idx the backend published, and applies
 * the event index rule against the used idx of its last decision. A failed
 * read sends the event (a spurious notification beats a hang). Backends that
 * already decided with vmsg_vq_dev_need_notify() call vmsg_dev_send_used()
 * and save those reads.
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"
#include "vmsg_virtq.h"

/* [LINK-3]: host memory only while a session is RUN. */
static bool host_access_ok(const struct vmsg_card *c, uint64_t addr, size_t len)
{
	return c && card_attached(c) && c->link == VMSG_LINK_RUN && card_dma_range_ok(c, addr, len);
}

int vmsg_dev_host_read(struct vmsg_dev *d, uint64_t addr, void *dst, size_t len)
{
	struct vmsg_card *c = d ? d->card : NULL;

	if (!host_access_ok(c, addr, len) || (!dst && len))
		return -1;
	if (len == 0)
		return 0;
	return c->plat.host_read(c->plat.ctx, addr, dst, len) < 0 ? -1 : 0;
}

int vmsg_dev_host_write(struct vmsg_dev *d, uint64_t addr, const void *src, size_t len)
{
	struct vmsg_card *c = d ? d->card : NULL;
	if (!host_access_ok(c, addr, len) || (!src && len))
		return -1;
	if (len == 0)
		return 0;
	return c->plat.host_write(c->plat.ctx, addr, src, len) < 0 ? -1 : 0;
}

void *vmsg_dev_host_direct(struct vmsg_dev *d, uint64_t addr, size_t len)
{
	struct vmsg_card *c = d ? d->card : NULL;

	if (!c || !c->plat.host_direct || len == 0 || !host_access_ok(c, addr, len))
		return NULL;
	return c->plat.host_direct(c->plat.ctx, addr, len);
}

bool vmsg_dev_host_direct_capable(const struct vmsg_dev *d)
{
	return d && d->card && d->card->plat.host_direct;
}

bool vmsg_dev_busy_polled(const struct vmsg_dev *d)
{
	return d && d->card && d->card->cfg.busy_poll;
}

bool vmsg_dev_host_ready(const struct vmsg_dev *d)
{
	const struct vmsg_card *c = d ? d->card : NULL;

	return c && card_attached(c) && c->link == VMSG_LINK_RUN;
}

static bool host_le16(struct vmsg_dev *d, uint64_t addr, uint16_t *v)
{
	uint8_t b[2];

	if (vmsg_dev_host_read(d, addr, b, sizeof(b)))
		return false;
	*v = vmsg_get_le16(b);
	return true;
}

static bool used_wanted(struct vmsg_dev *d, uint32_t vq)
{
	struct card_slot *sl = card_slot_of(d->card, d->dev_num);
	const struct vmsg_dev_queue *q = &d->queues[vq];
	uint16_t flags, event, used;
	bool need;

	vmsg_mb(); /* the backend's used idx write goes before our reads */
	if (!vmsg_dev_has_feature(d, VMSG_VIRTIO_F_RING_EVENT_IDX)) {
		if (!host_le16(d, q->driver_addr, &flags))
			return true;
		return !(flags & VMSG_VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (!host_le16(d, q->driver_addr + vmsg_vring_used_event_off(q->size), &event) ||
	    !host_le16(d, q->device_addr + 2u, &used))
		return true;
	need = vmsg_vring_need_event(event, used, sl->used_signalled[vq]);
	sl->used_signalled[vq] = used;
	return need;
}

static bool used_queue_live(const struct vmsg_dev *d, uint32_t vq)
{
	return d && d->card && !d->removed && vq < d->num_queues && d->queues[vq].ready &&
	       d->card->link == VMSG_LINK_RUN;
}

void vmsg_dev_send_used(struct vmsg_dev *d, uint32_t vq)
{
	uint8_t out[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_event_used))];

	if (!used_queue_live(d, vq))
		return;
	if (card_oob_raise(d, vq))
		return; /* [OOB-6]: the queue's vector instead */
	dev_reply(d, out, vmsg_build_event_used(out, sizeof(out), d->dev_num, vq));
}

void vmsg_dev_notify_used(struct vmsg_dev *d, uint32_t vq)
{
	if (used_queue_live(d, vq) && used_wanted(d, vq))
		vmsg_dev_send_used(d, vq);
}

/* "NAME" + decimal dev_num + ": " into buf (no printf in the engine). */
static void dev_log_prefix(char *buf, size_t size, const char *name, uint32_t num)
{
	char digits[10];
	size_t n = 0, k = 0;

	while (*name && n + 1 < size)
		buf[n++] = *name++;
	do {
		digits[k++] = (char)('0' + num % 10u);
		num /= 10u;
	} while (num && k < sizeof(digits));
	while (k && n + 1 < size)
		buf[n++] = digits[--k];
	if (n + 1 < size)
		buf[n++] = ':';
	if (n + 1 < size)
		buf[n++] = ' ';
	buf[n] = '\0';
}

void vmsg_dev_log(struct vmsg_dev *d, int level, const char *fmt, ...)
{
	const struct vmsg_card_platform *p;
	char prefix[48];
	va_list ap;

	if (!d || !d->card || !d->card->plat.log)
		return;
	p = &d->card->plat;
	dev_log_prefix(prefix, sizeof(prefix), d->ops && d->ops->name ? d->ops->name : "dev",
		       (uint32_t)d->dev_num);
	va_start(ap, fmt);
	p->log(p->ctx, level, prefix, fmt, ap);
	va_end(ap);
}
