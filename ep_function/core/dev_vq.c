/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_vq.c - virtqueue registers: GET_VQUEUE, SET_VQUEUE, RESET_VQUEUE,
 * plus GET_SHM and EVENT_AVAIL.
 *
 * SET_VQUEUE has an empty response, so a refused one is answered normally
 * and simply not applied (the driver confirms with GET_VQUEUE, spec
 * "Initialization Flow"); refusals are counted in stats.refused. It is
 * applied only when: FEATURES_OK is set; index < num_queues; size is a * power of two <= max_size;
 * the queue is not configured while DRIVER_OK (spec allows provisioning an unused queue after
 * DRIVER_OK, and RESET_VQUEUE makes a queue unused again; reprogramming a live queue also sets
 * DEVICE_NEEDS_RESET, binding [RST-4]); desc/driver/device addresses are 16/2/4 aligned and each
 * area lies below 2^dma_addr_bits. A queue set while DRIVER_OK is ready at once.
 *
 * RESET_VQUEUE acts only if VIRTIO_F_RING_RESET was negotiated (spec: an
 * unsupported request is answered and ignored); the reset completes before
 * the response.
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

/* Split ring area sizes (virtio 1.x 2.7): event idx fields included. */
#define VQ_DESC_BYTES(n)   (16ull * (n))
#define VQ_DRIVER_BYTES(n) (6ull + 2ull * (n))
#define VQ_DEVICE_BYTES(n) (6ull + 8ull * (n))

static void vq_info_of(const struct vmsg_dev *d, uint32_t idx, struct vmsg_vqueue_info *vi)
{
	*vi = (struct vmsg_vqueue_info){.index = idx};
	if (idx >= d->num_queues)
		return; /* no such queue: max_size 0 */
	vi->max_size = d->queues[idx].max_size;
	vi->size = d->queues[idx].size;
	vi->desc_addr = d->queues[idx].desc_addr;
	vi->driver_addr = d->queues[idx].driver_addr;
	vi->device_addr = d->queues[idx].device_addr;
}

void dev_get_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	struct vmsg_vqueue_info vi;
	uint8_t out[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_get_vqueue_resp))];

	vq_info_of(d, vmsg_get_le32(pl), &vi);
	dev_reply(d, out, vmsg_build_get_vqueue_resp(out, sizeof(out), d->dev_num, mi->token, &vi));
}

static bool vq_areas_ok(const struct vmsg_card *c, const struct vmsg_vqueue_info *v)
{
	if ((v->desc_addr & 15u) || (v->driver_addr & 1u) || (v->device_addr & 3u))
		return false;
	return card_dma_range_ok(c, v->desc_addr, VQ_DESC_BYTES(v->size)) &&
	       card_dma_range_ok(c, v->driver_addr, VQ_DRIVER_BYTES(v->size)) &&
	       card_dma_range_ok(c, v->device_addr, VQ_DEVICE_BYTES(v->size));
}

static bool vq_set_ok(const struct vmsg_dev *d, const struct vmsg_vqueue_info *v)
{
	const struct vmsg_dev_queue *q;

	if (!(d->status & VIRTIO_MSG_STATUS_FEATURES_OK) || v->index >= d->num_queues)
		return false;
	q = &d->queues[v->index];
	if (!v->size || (v->size & (v->size - 1u)) || v->size > q->max_size)
		return false;
	if ((d->status & VIRTIO_MSG_STATUS_DRIVER_OK) && q->size)
		return false;
	return vq_areas_ok(d->card, v);
}

static void vq_parse_set(const uint8_t *pl, struct vmsg_vqueue_info *v)
{
	*v = (struct vmsg_vqueue_info){0};
	v->index = vmsg_get_le32(pl);
	v->size = vmsg_get_le32(pl + 8);
	v->desc_addr = vmsg_get_le64(pl + 16);
	v->driver_addr = vmsg_get_le64(pl + 24);
	v->device_addr = vmsg_get_le64(pl + 32);
}

static bool vq_live(const struct vmsg_dev *d, uint32_t idx)
{
	return idx < d->num_queues && (d->status & VIRTIO_MSG_STATUS_DRIVER_OK) &&
	       d->queues[idx].size;
}

void dev_set_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint8_t out[VIRTIO_MSG_HEADER_SIZE];
	struct vmsg_vqueue_info v;
	bool live;

	vq_parse_set(pl, &v);
	live = vq_live(d, v.index);
	if (vq_set_ok(d, &v)) {
		struct vmsg_dev_queue *q = &d->queues[v.index];

		dev_queue_clear(d, v.index);
		q->size = v.size;
		q->desc_addr = v.desc_addr;
		q->driver_addr = v.driver_addr;
		q->device_addr = v.device_addr;
		q->ready = (d->status & VIRTIO_MSG_STATUS_DRIVER_OK) != 0;
		card_oob_queue_set(d, v.index); /* [OOB-4] */
	} else {
		d->card->stats.refused++;
	}
	dev_reply(d, out, vmsg_build_set_vqueue_resp(out, sizeof(out), d->dev_num, mi->token));
	if (live)
		vmsg_dev_needs_reset(d); /* [RST-4]: after the answer */
}

void dev_reset_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t idx = vmsg_get_le32(pl);
	uint8_t out[VIRTIO_MSG_HEADER_SIZE];

	if (idx < d->num_queues && vmsg_dev_has_feature(d, VMSG_VIRTIO_F_RING_RESET) &&
	    (d->status & VIRTIO_MSG_STATUS_FEATURES_OK)) {
		d->ops->reset(d, idx);
		dev_queue_clear(d, idx);
		card_pending_drop_events(d->card, d->dev_num, idx);
	} else {
		d->card->stats.refused++;
	}
	dev_reply(d, out, vmsg_build_reset_vqueue_resp(out, sizeof(out), d->dev_num, mi->token));
}

/* v1 GET_SHM carries 32-bit fields: a region that does not fit is reported
 * absent (length 0) rather than truncated. */
void dev_get_shm_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t idx = vmsg_get_le32(pl);
	uint64_t addr = 0, len = 0;
	uint8_t out[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_get_shm_resp))];

	if (!d->ops->get_shm || d->ops->get_shm(d, idx, &addr, &len) < 0 || len > 0xffffffffull ||
	    addr > 0xffffffffull) {
		addr = 0;
		len = 0;
	}
	dev_reply(d, out,
		  vmsg_build_get_shm_resp(out, sizeof(out), d->dev_num, mi->token, idx,
					  (uint32_t)len, (uint32_t)addr));
}

void dev_event_avail_msg(struct vmsg_dev *d, const uint8_t *pl)
{
	dev_event_avail(d, vmsg_get_le32(pl));
}

/* EVENT_AVAIL, in-band or synthesized from a queue doorbell ([OOB-5]). */
void dev_event_avail(struct vmsg_dev *d, uint32_t vq)
{
	if (!(d->status & VIRTIO_MSG_STATUS_DRIVER_OK) || vq >= d->num_queues ||
	    !d->queues[vq].ready) {
		d->card->stats.refused++;
		return;
	}
	d->ops->queue_notify(d, vq);
}
