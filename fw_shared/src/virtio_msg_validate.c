/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * virtio_msg_validate.c - the virtio-msg v1 message validator.
 *
 * The message comes from the other side of the link and is hostile: every
 * field is read byte-wise from [buf, buf + len) and every sum is computed
 * wide enough not to wrap.
 *
 * Variable-length payloads: a count or length field that claims more bytes
 * than the payload holds gives VMSG_E_COUNT; a payload longer than the
 * fields say, or shorter than the fixed part, gives VMSG_E_PAYLOAD_SIZE.
 */
#include "virtio_msg_validate.h"
#include "vmsg_bytes.h"
#include "vmsg_pcie.h"

#define VMSG_D_H2C   (1u << VMSG_DIR_DRIVER_TO_DEVICE)
#define VMSG_D_C2H   (1u << VMSG_DIR_DEVICE_TO_DRIVER)
#define VMSG_D_BOTH  (VMSG_D_H2C | VMSG_D_C2H)
#define VMSG_U32_MAX 0xffffffffull

/* The payload under inspection. */
struct vmsg_pl {
	const uint8_t *p;
	uint32_t n;
	uint32_t max_msg_size;
};

/* What one message id may look like. */
struct vmsg_rule {
	uint8_t id;
	uint8_t req_dirs;  /* directions where the request/event form is legal */
	uint8_t resp_dirs; /* directions where the response form is legal */
	const char *name;
	enum vmsg_verdict (*req)(const struct vmsg_pl *pl);
	enum vmsg_verdict (*resp)(const struct vmsg_pl *pl);
};

static const struct vmsg_validate_opts vmsg_default_opts = {
    .max_msg_size = VMSG_PCIE_MAX_MSG_SIZE,
};

/* ---- small checks ---- */

static enum vmsg_verdict pl_exact(const struct vmsg_pl *pl, uint32_t want)
{
	return pl->n == want ? VMSG_OK : VMSG_E_PAYLOAD_SIZE;
}

/* Payload of n bytes must be exactly fixed + var bytes; n >= fixed known. */
static enum vmsg_verdict pl_var(const struct vmsg_pl *pl, uint32_t fixed, uint64_t var)
{
	uint32_t rest = pl->n - fixed;

	if (var > rest)
		return VMSG_E_COUNT;
	if (var < rest)
		return VMSG_E_PAYLOAD_SIZE;
	return VMSG_OK;
}

static bool sum_wraps32(uint32_t a, uint32_t b)
{
	return (uint64_t)a + b > VMSG_U32_MAX;
}

static uint32_t pl32(const struct vmsg_pl *pl, uint32_t off)
{
	return vmsg_get_le32(pl->p + off);
}

static uint16_t pl16(const struct vmsg_pl *pl, uint32_t off)
{
	return vmsg_get_le16(pl->p + off);
}

/* ---- transport payload checks ---- */

static enum vmsg_verdict chk_empty(const struct vmsg_pl *pl)
{
	return pl_exact(pl, 0);
}

static enum vmsg_verdict chk_4(const struct vmsg_pl *pl)
{
	return pl_exact(pl, 4);
}

static enum vmsg_verdict chk_8(const struct vmsg_pl *pl)
{
	return pl_exact(pl, 8);
}

static enum vmsg_verdict chk_12(const struct vmsg_pl *pl)
{
	return pl_exact(pl, 12);
}

static enum vmsg_verdict chk_dev_info_resp(const struct vmsg_pl *pl)
{
	return pl_exact(pl, 24);
}

static enum vmsg_verdict chk_get_feat_req(const struct vmsg_pl *pl)
{
	if (pl->n != 8)
		return VMSG_E_PAYLOAD_SIZE;
	if (pl32(pl, 4) == 0)
		return VMSG_E_COUNT;
	if (sum_wraps32(pl32(pl, 0), pl32(pl, 4)))
		return VMSG_E_RANGE;
	return VMSG_OK;
}

/* Feature block list: block_index, num_blocks, features[num_blocks]. */
static enum vmsg_verdict chk_feat_blocks(const struct vmsg_pl *pl, bool need_one)
{
	uint32_t num;

	if (pl->n < 8)
		return VMSG_E_PAYLOAD_SIZE;
	num = pl32(pl, 4);
	if (need_one && num == 0)
		return VMSG_E_COUNT;
	if (sum_wraps32(pl32(pl, 0), num))
		return VMSG_E_RANGE;
	return pl_var(pl, 8, (uint64_t)num * 4u);
}

static enum vmsg_verdict chk_get_feat_resp(const struct vmsg_pl *pl)
{
	return chk_feat_blocks(pl, false);
}

static enum vmsg_verdict chk_set_feat_req(const struct vmsg_pl *pl)
{
	return chk_feat_blocks(pl, true);
}

static enum vmsg_verdict chk_get_cfg_req(const struct vmsg_pl *pl)
{
	uint32_t len;

	if (pl->n != 8)
		return VMSG_E_PAYLOAD_SIZE;
	len = pl32(pl, 4);
	if (len == 0 || len > VIRTIO_MSG_CONFIG_DATA_MAX(pl->max_msg_size))
		return VMSG_E_COUNT;
	if (sum_wraps32(pl32(pl, 0), len))
		return VMSG_E_RANGE;
	return VMSG_OK;
}

/* generation, offset, length, data[]: data may be absent when echo_opt. */
static enum vmsg_verdict chk_cfg_data(const struct vmsg_pl *pl, bool need_one, bool echo_opt)
{
	uint32_t len;

	if (pl->n < 12)
		return VMSG_E_PAYLOAD_SIZE;
	len = pl32(pl, 8);
	if (need_one && len == 0)
		return VMSG_E_COUNT;
	if (sum_wraps32(pl32(pl, 4), len))
		return VMSG_E_RANGE;
	if (echo_opt && pl->n == 12)
		return VMSG_OK;
	return pl_var(pl, 12, len);
}

static enum vmsg_verdict chk_get_cfg_resp(const struct vmsg_pl *pl)
{
	return chk_cfg_data(pl, false, false);
}

static enum vmsg_verdict chk_set_cfg_req(const struct vmsg_pl *pl)
{
	return chk_cfg_data(pl, true, false);
}

static enum vmsg_verdict chk_set_cfg_resp(const struct vmsg_pl *pl)
{
	return chk_cfg_data(pl, false, true);
}

static enum vmsg_verdict chk_get_vq_resp(const struct vmsg_pl *pl)
{
	if (pl->n != 40)
		return VMSG_E_PAYLOAD_SIZE;
	if (pl32(pl, 12) != 0)
		return VMSG_E_RESERVED_FIELD;
	return VMSG_OK;
}

static enum vmsg_verdict chk_set_vq_req(const struct vmsg_pl *pl)
{
	if (pl->n != 40)
		return VMSG_E_PAYLOAD_SIZE;
	if (pl32(pl, 4) != 0 || pl32(pl, 12) != 0)
		return VMSG_E_RESERVED_FIELD;
	return VMSG_OK;
}

static enum vmsg_verdict chk_event_config(const struct vmsg_pl *pl)
{
	uint32_t len;

	if (pl->n < 16)
		return VMSG_E_PAYLOAD_SIZE;
	len = pl32(pl, 12);
	if (sum_wraps32(pl32(pl, 8), len))
		return VMSG_E_RANGE;
	return pl_var(pl, 16, len);
}

/* ---- bus payload checks ---- */

static enum vmsg_verdict chk_get_devs_req(const struct vmsg_pl *pl)
{
	uint16_t off, cnt;

	if (pl->n != 4)
		return VMSG_E_PAYLOAD_SIZE;
	off = pl16(pl, 0);
	cnt = pl16(pl, 2);
	if (off % 8u || cnt % 8u || cnt == 0)
		return VMSG_E_RANGE;
	if ((uint32_t)off + cnt > 0x10000u)
		return VMSG_E_RANGE;
	return VMSG_OK;
}

static enum vmsg_verdict chk_get_devs_resp(const struct vmsg_pl *pl)
{
	uint16_t off, cnt, next;

	if (pl->n < 6)
		return VMSG_E_PAYLOAD_SIZE;
	off = pl16(pl, 0);
	cnt = pl16(pl, 2);
	next = pl16(pl, 4);
	if (off % 8u || cnt % 8u || (uint32_t)off + cnt > 0x10000u)
		return VMSG_E_RANGE;
	if (next != 0 && (next % 8u || (uint32_t)next < (uint32_t)off + cnt))
		return VMSG_E_RANGE;
	return pl_var(pl, 6, cnt / 8u);
}

static enum vmsg_verdict chk_event_device(const struct vmsg_pl *pl)
{
	uint16_t state;

	if (pl->n != 4)
		return VMSG_E_PAYLOAD_SIZE;
	state = pl16(pl, 2);
	if (state == VIRTIO_BUS_DEVICE_STATE_READY || state == VIRTIO_BUS_DEVICE_STATE_REMOVED ||
	    state >= VIRTIO_BUS_DEVICE_STATE_IMPL_FIRST)
		return VMSG_OK;
	return VMSG_E_RANGE;
}

static enum vmsg_verdict chk_bus_error(const struct vmsg_pl *pl)
{
	uint16_t err;

	if (pl->n != 8)
		return VMSG_E_PAYLOAD_SIZE;
	if (pl16(pl, 6) != 0)
		return VMSG_E_RESERVED_FIELD;
	err = pl16(pl, 4);
	if (err < VMSG_PCIE_ERR_NO_DEVICE || err > VMSG_PCIE_ERR_BUSY)
		return VMSG_E_RANGE;
	return VMSG_OK;
}

/* ---- rule tables ---- */

static const struct vmsg_rule vmsg_transport_rules[] = {
    {VIRTIO_MSG_GET_DEVICE_INFO, VMSG_D_H2C, VMSG_D_C2H, "GET_DEVICE_INFO", chk_empty,
     chk_dev_info_resp},
    {VIRTIO_MSG_GET_DEVICE_FEATURES, VMSG_D_H2C, VMSG_D_C2H, "GET_DEVICE_FEATURES",
     chk_get_feat_req, chk_get_feat_resp},
    {VIRTIO_MSG_SET_DRIVER_FEATURES, VMSG_D_H2C, VMSG_D_C2H, "SET_DRIVER_FEATURES",
     chk_set_feat_req, chk_empty},
    {VIRTIO_MSG_GET_CONFIG, VMSG_D_H2C, VMSG_D_C2H, "GET_CONFIG", chk_get_cfg_req,
     chk_get_cfg_resp},
    {VIRTIO_MSG_SET_CONFIG, VMSG_D_H2C, VMSG_D_C2H, "SET_CONFIG", chk_set_cfg_req,
     chk_set_cfg_resp},
    {VIRTIO_MSG_GET_DEVICE_STATUS, VMSG_D_H2C, VMSG_D_C2H, "GET_DEVICE_STATUS", chk_empty, chk_4},
    {VIRTIO_MSG_SET_DEVICE_STATUS, VMSG_D_H2C, VMSG_D_C2H, "SET_DEVICE_STATUS", chk_4, chk_4},
    {VIRTIO_MSG_GET_VQUEUE, VMSG_D_H2C, VMSG_D_C2H, "GET_VQUEUE", chk_4, chk_get_vq_resp},
    {VIRTIO_MSG_SET_VQUEUE, VMSG_D_H2C, VMSG_D_C2H, "SET_VQUEUE", chk_set_vq_req, chk_empty},
    {VIRTIO_MSG_RESET_VQUEUE, VMSG_D_H2C, VMSG_D_C2H, "RESET_VQUEUE", chk_4, chk_empty},
    {VIRTIO_MSG_GET_SHM, VMSG_D_H2C, VMSG_D_C2H, "GET_SHM", chk_4, chk_12},
    {VIRTIO_MSG_EVENT_CONFIG, VMSG_D_C2H, 0, "EVENT_CONFIG", chk_event_config, NULL},
    {VIRTIO_MSG_EVENT_AVAIL, VMSG_D_H2C, 0, "EVENT_AVAIL", chk_8, NULL},
    {VIRTIO_MSG_EVENT_USED, VMSG_D_C2H, 0, "EVENT_USED", chk_4, NULL},
};

static const struct vmsg_rule vmsg_bus_rules[] = {
    {VIRTIO_BUS_MSG_GET_DEVICES, VMSG_D_H2C, VMSG_D_C2H, "GET_DEVICES", chk_get_devs_req,
     chk_get_devs_resp},
    {VIRTIO_BUS_MSG_PING, VMSG_D_BOTH, VMSG_D_BOTH, "PING", chk_4, chk_4},
    {VIRTIO_BUS_MSG_EVENT_DEVICE, VMSG_D_C2H, 0, "EVENT_DEVICE", chk_event_device, NULL},
    {VMSG_PCIE_BUS_MSG_ERROR, 0, VMSG_D_C2H, "ERROR", NULL, chk_bus_error},
};

#define VMSG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct vmsg_rule *find_rule(bool is_bus, uint8_t msg_id)
{
	const struct vmsg_rule *t = is_bus ? vmsg_bus_rules : vmsg_transport_rules;
	size_t n = is_bus ? VMSG_ARRAY_LEN(vmsg_bus_rules) : VMSG_ARRAY_LEN(vmsg_transport_rules);
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].id == msg_id)
			return &t[i];
	return NULL;
}

/* ---- the validator ---- */

static void parse_header(const uint8_t *b, struct vmsg_msg_info *info)
{
	info->type = b[0];
	info->msg_id = b[1];
	info->dev_num = vmsg_get_le16(b + 2);
	info->token = vmsg_get_le16(b + 4);
	info->msg_size = vmsg_get_le16(b + 6);
	info->is_bus = (info->type & VIRTIO_MSG_TYPE_BUS) != 0;
	info->is_response = (info->type & VIRTIO_MSG_TYPE_RESPONSE) != 0;
	info->is_event = (info->msg_id & VIRTIO_MSG_ID_EVENT_BIT) != 0;
	if (info->msg_size >= VIRTIO_MSG_HEADER_SIZE)
		info->payload_len = (uint16_t)(info->msg_size - VIRTIO_MSG_HEADER_SIZE);
}

static enum vmsg_verdict check_header(const struct vmsg_msg_info *info, size_t len,
				      const struct vmsg_validate_opts *o)
{
	if (o->max_msg_size < VIRTIO_MSG_MIN_MAX_SIZE)
		return VMSG_E_TOO_BIG;
	if (len != info->msg_size)
		return VMSG_E_SIZE_MISMATCH;
	if (info->msg_size > o->max_msg_size)
		return VMSG_E_TOO_BIG;
	if (o->strict_reserved && (info->type & VIRTIO_MSG_TYPE_RESERVED))
		return VMSG_E_RESERVED_TYPE;
	if (info->is_bus && info->dev_num != 0)
		return VMSG_E_DEV_NUM;
	return VMSG_OK;
}

static enum vmsg_verdict check_body(const uint8_t *b, const struct vmsg_msg_info *info,
				    enum vmsg_dir dir, const struct vmsg_validate_opts *o)
{
	const struct vmsg_rule *r = find_rule(info->is_bus, info->msg_id);
	struct vmsg_pl pl;
	uint8_t dirs;

	if (!r) {
		if ((info->msg_id & VIRTIO_MSG_ID_IMPL_BIT) && o->allow_impl_ids)
			return VMSG_OK;
		return VMSG_E_UNKNOWN_ID;
	}
	dirs = info->is_response ? r->resp_dirs : r->req_dirs;
	if (!(dirs & (1u << dir)))
		return VMSG_E_WRONG_DIR;
	pl.p = b + VIRTIO_MSG_HEADER_SIZE;
	pl.n = info->payload_len;
	pl.max_msg_size = o->max_msg_size;
	return info->is_response ? r->resp(&pl) : r->req(&pl);
}

enum vmsg_verdict vmsg_validate(const void *buf, size_t len, enum vmsg_dir dir,
				const struct vmsg_validate_opts *opts, struct vmsg_msg_info *info)
{
	const struct vmsg_validate_opts *o = opts ? opts : &vmsg_default_opts;
	struct vmsg_msg_info scratch;
	enum vmsg_verdict v;

	if (!info)
		info = &scratch;
	vmsg_zero_bytes(info, sizeof(*info));
	if (!buf || len < VIRTIO_MSG_HEADER_SIZE)
		return VMSG_E_SHORT;
	parse_header((const uint8_t *)buf, info);
	v = check_header(info, len, o);
	if (v != VMSG_OK)
		return v;
	if (dir != VMSG_DIR_DRIVER_TO_DEVICE && dir != VMSG_DIR_DEVICE_TO_DRIVER)
		return VMSG_E_WRONG_DIR;
	return check_body((const uint8_t *)buf, info, dir, o);
}

/* ---- names ---- */

static const char *const vmsg_verdict_names[VMSG_E__COUNT] = {
    [VMSG_OK] = "ok",
    [VMSG_E_SHORT] = "short",
    [VMSG_E_SIZE_MISMATCH] = "size_mismatch",
    [VMSG_E_TOO_BIG] = "too_big",
    [VMSG_E_RESERVED_TYPE] = "reserved_type",
    [VMSG_E_UNKNOWN_ID] = "unknown_id",
    [VMSG_E_WRONG_DIR] = "wrong_dir",
    [VMSG_E_PAYLOAD_SIZE] = "payload_size",
    [VMSG_E_COUNT] = "count",
    [VMSG_E_RANGE] = "range",
    [VMSG_E_RESERVED_FIELD] = "reserved_field",
    [VMSG_E_DEV_NUM] = "dev_num",
};

const char *vmsg_verdict_str(enum vmsg_verdict v)
{
	if ((unsigned int)v >= VMSG_E__COUNT || !vmsg_verdict_names[v])
		return "?";
	return vmsg_verdict_names[v];
}

const char *vmsg_msg_name(bool is_bus, uint8_t msg_id)
{
	const struct vmsg_rule *r = find_rule(is_bus, msg_id);

	return r ? r->name : "?";
}
