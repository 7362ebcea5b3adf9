/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_config.c - configuration space: GET_CONFIG, SET_CONFIG and
 * EVENT_CONFIG, with the generation count.
 *
 * A request outside [0, config_size) is answered with length 0 and no data
 * (counted in stats.refused): the requester gets its one answer and sees
 * the refusal. SET_CONFIG is also refused (length 0) when the generation is
 * stale and strict_config_generation is set, or when the backend has no
 * config_write or refuses the bytes. A driver write does not bump the
 * generation; a backend that changes other bytes as a side effect calls
 * vmsg_dev_config_changed() from config_write.
 */
#include "core_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

static bool cfg_range_ok(const struct vmsg_dev *d, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= d->config_size;
}

void dev_get_config_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t off = vmsg_get_le32(pl), len = vmsg_get_le32(pl + 4);
	uint32_t max = VIRTIO_MSG_CONFIG_DATA_MAX(d->card->cfg.max_msg_size);
	uint8_t data[VIRTIO_MSG_CONFIG_DATA_MAX(CARD_MSG_MAX)];
	uint8_t out[CARD_MSG_MAX];

	if (len > max || !cfg_range_ok(d, off, len)) {
		d->card->stats.refused++;
		len = 0;
	} else {
		d->ops->config_read(d, off, data, len);
	}
	dev_reply(d, out,
		  vmsg_build_get_config_resp(out, sizeof(out), d->dev_num, mi->token,
					     d->config_generation, off, data, len));
}

static uint32_t cfg_apply(struct vmsg_dev *d, uint32_t gen, uint32_t off, const uint8_t *data,
			  uint32_t len)
{
	if (d->card->cfg.strict_config_generation && gen != d->config_generation)
		return 0;
	if (!cfg_range_ok(d, off, len) || !d->ops->config_write)
		return 0;
	if (d->ops->config_write(d, off, data, len) < 0)
		return 0;
	return len;
}

void dev_set_config_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl)
{
	uint32_t gen = vmsg_get_le32(pl), off = vmsg_get_le32(pl + 4);
	uint32_t len = vmsg_get_le32(pl + 8);
	uint8_t out[VIRTIO_MSG_SIZE(12u)];
	uint32_t done;

	/* The validator tied len to the payload; keep a local guard anyway. */
	if ((uint32_t)mi->payload_len < 12u || len != mi->payload_len - 12u)
		len = 0;
	done = len ? cfg_apply(d, gen, off, pl + 12, len) : 0;
	if (done != len || !len)
		d->card->stats.refused++;
	dev_reply(d, out,
		  vmsg_build_set_config_resp(out, sizeof(out), d->dev_num, mi->token,
					     d->config_generation, off, done, NULL));
}

/* EVENT_CONFIG with the current status and generation; the data of
 * [off, off + len) is included when it fits in one message. */
void dev_send_event_config(struct vmsg_dev *d, uint32_t off, uint32_t len)
{
	uint32_t max = VIRTIO_MSG_EVENT_CONFIG_DATA_MAX(d->card->cfg.max_msg_size);
	uint8_t data[VIRTIO_MSG_EVENT_CONFIG_DATA_MAX(CARD_MSG_MAX)];
	uint8_t out[CARD_MSG_MAX];

	if (d->card->link != VMSG_LINK_RUN || d->removed)
		return;
	if (len > max || !cfg_range_ok(d, off, len))
		len = 0;
	if (len)
		d->ops->config_read(d, off, data, len);
	dev_reply(d, out,
		  vmsg_build_event_config(out, sizeof(out), d->dev_num, d->status,
					  d->config_generation, off, data, len));
}

void vmsg_dev_config_changed(struct vmsg_dev *d, uint32_t off, uint32_t len)
{
	if (!d || !d->card)
		return;
	d->config_generation++;
	dev_send_event_config(d, off, len);
}

void vmsg_dev_needs_reset(struct vmsg_dev *d)
{
	if (!d || !d->card)
		return;
	d->status |= VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET;
	dev_send_event_config(d, 0, 0);
}
