/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_msg.c - transport messages: routing to a device, GET_DEVICE_INFO and
 * feature negotiation.
 *
 * Routing rules: during shutdown every request gets ERROR SHUTDOWN; an
 * unknown or removed dev_num gets ERROR NO_DEVICE (both only if the host * negotiated
 * VMSG_PCIE_F_ERROR_MSG; events are never answered); an implementation-defined id (0x80-0xFF) is
 * dropped and counted in drop_unsupported ([ERR-2]: a 1.0 card never sends ERROR UNSUPPORTED).
 * Responses carry the request's token and dev_num.
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#define DEV_FEATURE_BLOCKS 2u /* 64 feature bits */

void dev_reply(struct vmsg_dev *d, const void *msg, size_t len)
{
	card_send(d->card, msg, len);
}

static uint32_t dev_num_feature_bits(const struct vmsg_dev *d)
{
	return (d->features >> 32) ? 64u : 32u;
}

static void dev_get_info(struct vmsg_dev *d, const struct vmsg_msg_info *mi)
{
	struct vmsg_device_info di = {
	    .device_id = d->ops->device_id,
	    .vendor_id = d->vendor_id,
	    .num_feature_bits = dev_num_feature_bits(d),
	    .config_size = d->config_size,
	    .max_virtqueues = d->num_queues,
	    .admin_vq_start = 0,
	    .admin_vq_count = 0,
	};
	uint8_t out[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_get_device_info_resp))];

	dev_reply(d, out,
		  vmsg_build_get_device_info_resp(out, sizeof(out), d->dev_num, mi->token, &di));
}

static uint32_t feature_block(uint64_t f, uint64_t block)
{
	return block < DEV_FEATURE_BLOCKS ? (uint32_t)(f >> (32u * block)) : 0u;
}

/* Always the device's offer, zero beyond 64 bits (erratum E-4 of the public
 * virtio-msg v1 posting, docs/pcie-binding.md section 14: read literally, the
 * v1 text would have it return the driver's choice);
 * num_blocks is clamped to what fits in one message. */
static void dev_get_features(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t blocks[(CARD_MSG_MAX - VIRTIO_MSG_SIZE(8u)) / 4u];
	uint32_t first = vmsg_get_le32(pl), num = vmsg_get_le32(pl + 4);
	uint32_t fit = (d->card->cfg.max_msg_size - VIRTIO_MSG_SIZE(8u)) / 4u;
	uint8_t out[CARD_MSG_MAX];
	uint32_t i;

	if (num > fit)
		num = fit;
	for (i = 0; i < num; i++)
		blocks[i] = feature_block(d->features, (uint64_t)first + i);
	dev_reply(d, out,
		  vmsg_build_get_device_features_resp(out, d->card->cfg.max_msg_size, d->dev_num,
						      mi->token, first, blocks, num));
}

/* Stored only before FEATURES_OK; bits beyond 64 poison FEATURES_OK. */
static void dev_set_features(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	struct card_slot *sl = card_slot_of(d->card, d->dev_num);
	uint32_t first = vmsg_get_le32(pl), num = vmsg_get_le32(pl + 4);
	uint8_t out[VIRTIO_MSG_HEADER_SIZE];
	uint32_t i;

	if (d->status & VIRTIO_MSG_STATUS_FEATURES_OK) {
		d->card->stats.refused++;
	} else {
		for (i = 0; i < num; i++) {
			uint64_t b = (uint64_t)first + i;
			uint32_t v = vmsg_get_le32(pl + 8u + 4u * i);

			if (b < DEV_FEATURE_BLOCKS) {
				d->driver_features &= ~(0xffffffffull << (32u * b));
				d->driver_features |= (uint64_t)v << (32u * b);
			} else if (v) {
				sl->bad_feature_bits = true;
			}
		}
	}
	dev_reply(d, out,
		  vmsg_build_set_driver_features_resp(out, sizeof(out), d->dev_num, mi->token));
}

static void dev_dispatch(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	switch (mi->msg_id) {
	case VIRTIO_MSG_GET_DEVICE_INFO:
		dev_get_info(d, mi);
		break;
	case VIRTIO_MSG_GET_DEVICE_FEATURES:
		dev_get_features(d, mi, pl);
		break;
	case VIRTIO_MSG_SET_DRIVER_FEATURES:
		dev_set_features(d, mi, pl);
		break;
	case VIRTIO_MSG_GET_CONFIG:
		dev_get_config_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_SET_CONFIG:
		dev_set_config_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_GET_DEVICE_STATUS:
		dev_get_status_msg(d, mi);
		break;
	case VIRTIO_MSG_SET_DEVICE_STATUS:
		dev_set_status_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_GET_VQUEUE:
		dev_get_vqueue_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_SET_VQUEUE:
		dev_set_vqueue_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_RESET_VQUEUE:
		dev_reset_vqueue_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_GET_SHM:
		dev_get_shm_msg(d, mi, pl);
		break;
	case VIRTIO_MSG_EVENT_AVAIL:
		dev_event_avail_msg(d, pl);
		break;
	default:
		d->card->stats.drop_unsupported++;
		break;
	}
}

void card_dev_rx(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *msg)
{
	struct vmsg_dev *d;

	if (mi->is_response) {
		c->stats.drop_unsupported++; /* only implementation ids get here */
		return;
	}
	if (mi->msg_id & VIRTIO_MSG_ID_IMPL_BIT) {
		c->stats.drop_unsupported++; /* [ERR-2]: dropped, never answered */
		return;
	}
	if (c->shutdown) {
		card_bus_error(c, mi, VMSG_PCIE_ERR_SHUTDOWN);
		return;
	}
	d = card_live_dev(c, mi->dev_num);
	if (!d) {
		c->stats.drop_no_device++;
		card_bus_error(c, mi, VMSG_PCIE_ERR_NO_DEVICE);
		return;
	}
	dev_dispatch(d, mi, msg + VIRTIO_MSG_HEADER_SIZE);
}
