/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_status.c - the device status state machine and device/queue resets.
 *
 * SET_DEVICE_STATUS(s):
 * - s == 0: full reset, finished before the response (ops->reset returns
 *   only when no buffer is touched any more), so a GET_DEVICE_STATUS that
 *   follows reads 0. Queues, features and status are cleared; the config
 *   generation is kept (it never goes back, spec "not automatically reset"). * - DEVICE_NEEDS_RESET
 * is device-owned: the driver's copy of it is ignored and the device's value kept. Bits virtio does
 * not define (0x10, 0x20, 8..31) are ignored too: never stored, never reported.
 * - Any other write must keep every bit already set. A write that drops a
 *   bit (other than by reset) is refused: the status stays unchanged and is
 *   reported as is. We do not set DEVICE_NEEDS_RESET for it: the request was
 *   refused, nothing broke, and the spec only requires the answer to be
 *   accurate ("MUST report the resulting status accurately"). * - FEATURES_OK newly set: kept only
 * if the driver's features are a subset of the offer, include VERSION_1 and ACCESS_PLATFORM
 * (binding [DMA-3]), carry no bits beyond 64, and ops->set_features() accepts them; otherwise
 * cleared in the answer.
 * - DRIVER_OK newly set: kept only with FEATURES_OK; then every configured *   queue becomes ready
 * and ops->start() runs. Resets also drop this device's queued events ([RST-2]: nothing about the
 * old queues reaches the host after the status-0 answer).
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#define ST_FEATURES_OK VIRTIO_MSG_STATUS_FEATURES_OK
#define ST_DRIVER_OK   VIRTIO_MSG_STATUS_DRIVER_OK
#define ST_NEEDS_RESET VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET
/* The bits a driver may set (virtio 1.x 2.1); others are not stored. */
#define ST_DRIVER_BITS                                                                             \
	(VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER | ST_DRIVER_OK |                 \
	 ST_FEATURES_OK | VIRTIO_MSG_STATUS_FAILED)

void dev_queue_clear(struct vmsg_dev *d, uint32_t vq)
{
	struct card_slot *sl = card_slot_of(d->card, d->dev_num);
	struct vmsg_dev_queue *q = &d->queues[vq];
	uint32_t max = q->max_size;

	*q = (struct vmsg_dev_queue){0};
	q->max_size = max;
	if (sl)
		sl->used_signalled[vq] = 0;
	card_oob_queue_clear(d->card, sl, vq);
}

void dev_full_reset(struct vmsg_dev *d)
{
	struct card_slot *sl = card_slot_of(d->card, d->dev_num);
	uint32_t q;

	d->ops->reset(d, UINT32_MAX);
	for (q = 0; q < VMSG_DEV_MAX_QUEUES; q++)
		dev_queue_clear(d, q);
	d->status = 0;
	d->driver_features = 0;
	if (sl) {
		sl->bad_feature_bits = false;
		sl->reset_event_due = false;
	}
	card_pending_drop_events(d->card, d->dev_num, UINT32_MAX);
}

static bool dev_features_acceptable(struct vmsg_dev *d)
{
	struct card_slot *sl = card_slot_of(d->card, d->dev_num);

	if (sl && sl->bad_feature_bits)
		return false;
	if (d->driver_features & ~d->features)
		return false; /* [DMA-3]: addresses are host DMA addresses; both bits are required.
			       */
	if (!vmsg_dev_has_feature(d, VMSG_VIRTIO_F_VERSION_1) ||
	    !vmsg_dev_has_feature(d, VMSG_VIRTIO_F_ACCESS_PLATFORM))
		return false;
	return d->ops->set_features(d, d->driver_features) == 0;
}

static void dev_start(struct vmsg_dev *d)
{
	uint32_t q;

	for (q = 0; q < d->num_queues; q++)
		if (d->queues[q].size)
			d->queues[q].ready = true;
	if (d->ops->start)
		d->ops->start(d);
}

/* Apply a non-zero status write; returns the resulting status. */
static uint32_t dev_status_write(struct vmsg_dev *d, uint32_t want)
{
	uint32_t keep = d->status & ST_NEEDS_RESET;
	uint32_t cur = d->status & ~ST_NEEDS_RESET;
	uint32_t add;
	want &= ST_DRIVER_BITS;
	if (cur & ~want) {
		d->card->stats.refused++;
		return d->status;
	}
	add = want & ~cur;
	if ((add & ST_FEATURES_OK) && !dev_features_acceptable(d)) {
		want &= ~ST_FEATURES_OK;
		d->card->stats.refused++;
	}
	if ((add & ST_DRIVER_OK) && !(want & ST_FEATURES_OK)) {
		want &= ~ST_DRIVER_OK;
		d->card->stats.refused++;
	}
	d->status = want | keep;
	if ((add & ST_DRIVER_OK) && (want & ST_DRIVER_OK))
		dev_start(d);
	return d->status;
}

void dev_set_status_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t want = vmsg_get_le32(pl);
	uint8_t out[VIRTIO_MSG_SIZE(4u)];
	uint32_t st;

	if (want == 0) {
		dev_full_reset(d);
		st = 0;
	} else {
		st = dev_status_write(d, want);
	}
	dev_reply(d, out,
		  vmsg_build_set_device_status_resp(out, sizeof(out), d->dev_num, mi->token, st));
}

void dev_get_status_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi)
{
	uint8_t out[VIRTIO_MSG_SIZE(4u)];

	dev_reply(
	    d, out,
	    vmsg_build_get_device_status_resp(out, sizeof(out), d->dev_num, mi->token, d->status));
}
