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

/* Checks the payload of one message kind. */
typedef enum vmsg_verdict (*vmsg_chk_fn)(const struct vmsg_pl *pl);

/* What one message id may look like. */
struct vmsg_rule {
	uint8_t req_dirs;  /* directions where the request/event form is legal */
	uint8_t resp_dirs; /* directions where the response form is legal */
	const char *name;
	vmsg_chk_fn req;
	vmsg_chk_fn resp;
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

/* ---- rules per id ---- */

#define REQ_RESP VMSG_D_H2C, VMSG_D_C2H /* request host->card, response card->host */

static bool set_rule(struct vmsg_rule *r, uint8_t req_dirs, uint8_t resp_dirs, const char *name,
		     vmsg_chk_fn req, vmsg_chk_fn resp)
{
	r->req_dirs = req_dirs;
	r->resp_dirs = resp_dirs;
	r->name = name;
	r->req = req;
	r->resp = resp;
	return true;
}

static bool transport_rule(uint8_t id, struct vmsg_rule *r)
{
	switch (id) {
	case VIRTIO_MSG_GET_DEVICE_INFO:
		return set_rule(r, REQ_RESP, "GET_DEVICE_INFO", chk_empty, chk_dev_info_resp);
	case VIRTIO_MSG_GET_DEVICE_FEATURES:
		return set_rule(r, REQ_RESP, "GET_DEVICE_FEATURES", chk_get_feat_req,
				chk_get_feat_resp);
	case VIRTIO_MSG_SET_DRIVER_FEATURES:
		return set_rule(r, REQ_RESP, "SET_DRIVER_FEATURES", chk_set_feat_req, chk_empty);
	case VIRTIO_MSG_GET_CONFIG:
		return set_rule(r, REQ_RESP, "GET_CONFIG", chk_get_cfg_req, chk_get_cfg_resp);
	case VIRTIO_MSG_SET_CONFIG:
		return set_rule(r, REQ_RESP, "SET_CONFIG", chk_set_cfg_req, chk_set_cfg_resp);
	case VIRTIO_MSG_GET_DEVICE_STATUS:
		return set_rule(r, REQ_RESP, "GET_DEVICE_STATUS", chk_empty, chk_4);
	case VIRTIO_MSG_SET_DEVICE_STATUS:
		return set_rule(r, REQ_RESP, "SET_DEVICE_STATUS", chk_4, chk_4);
	case VIRTIO_MSG_GET_VQUEUE:
		return set_rule(r, REQ_RESP, "GET_VQUEUE", chk_4, chk_get_vq_resp);
	case VIRTIO_MSG_SET_VQUEUE:
		return set_rule(r, REQ_RESP, "SET_VQUEUE", chk_set_vq_req, chk_empty);
	case VIRTIO_MSG_RESET_VQUEUE:
		return set_rule(r, REQ_RESP, "RESET_VQUEUE", chk_4, chk_empty);
	case VIRTIO_MSG_GET_SHM:
		return set_rule(r, REQ_RESP, "GET_SHM", chk_4, chk_12);
	case VIRTIO_MSG_EVENT_CONFIG:
		return set_rule(r, VMSG_D_C2H, 0, "EVENT_CONFIG", chk_event_config, NULL);
	case VIRTIO_MSG_EVENT_AVAIL:
		return set_rule(r, VMSG_D_H2C, 0, "EVENT_AVAIL", chk_8, NULL);
	case VIRTIO_MSG_EVENT_USED:
		return set_rule(r, VMSG_D_C2H, 0, "EVENT_USED", chk_4, NULL);
	default:
		return false;
	}
}

static bool bus_rule(uint8_t id, struct vmsg_rule *r)
{
	switch (id) {
	case VIRTIO_BUS_MSG_GET_DEVICES:
		return set_rule(r, REQ_RESP, "GET_DEVICES", chk_get_devs_req, chk_get_devs_resp);
	case VIRTIO_BUS_MSG_PING:
		return set_rule(r, VMSG_D_BOTH, VMSG_D_BOTH, "PING", chk_4, chk_4);
	case VIRTIO_BUS_MSG_EVENT_DEVICE:
		return set_rule(r, VMSG_D_C2H, 0, "EVENT_DEVICE", chk_event_device, NULL);
	case VMSG_PCIE_BUS_MSG_ERROR:
		return set_rule(r, 0, VMSG_D_C2H, "ERROR", NULL, chk_bus_error);
	default:
		return false;
	}
}

static bool find_rule(bool is_bus, uint8_t msg_id, struct vmsg_rule *r)
{
	return is_bus ? bus_rule(msg_id, r) : transport_rule(msg_id, r);
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
	struct vmsg_rule r;
	struct vmsg_pl pl;
	uint8_t dirs;

	if (!find_rule(info->is_bus, info->msg_id, &r)) {
		if ((info->msg_id & VIRTIO_MSG_ID_IMPL_BIT) && o->allow_impl_ids)
			return VMSG_OK;
		return VMSG_E_UNKNOWN_ID;
	}
	dirs = info->is_response ? r.resp_dirs : r.req_dirs;
	if (!(dirs & (1u << dir)))
		return VMSG_E_WRONG_DIR;
	pl.p = b + VIRTIO_MSG_HEADER_SIZE;
	pl.n = info->payload_len;
	pl.max_msg_size = o->max_msg_size;
	return info->is_response ? r.resp(&pl) : r.req(&pl);
}

enum vmsg_verdict vmsg_validate(const void *buf, size_t len, enum vmsg_dir dir,
				const struct vmsg_validate_opts *opts, struct vmsg_msg_info *info)
{
	const struct vmsg_validate_opts *o = opts;
	struct vmsg_validate_opts def;
	struct vmsg_msg_info scratch;
	enum vmsg_verdict v;

	if (!o) {
		def.max_msg_size = VMSG_PCIE_MAX_MSG_SIZE;
		def.strict_reserved = false;
		def.allow_impl_ids = false;
		o = &def;
	}
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

const char *vmsg_verdict_str(enum vmsg_verdict v)
{
	switch (v) {
	case VMSG_OK:
		return "ok";
	case VMSG_E_SHORT:
		return "short";
	case VMSG_E_SIZE_MISMATCH:
		return "size_mismatch";
	case VMSG_E_TOO_BIG:
		return "too_big";
	case VMSG_E_RESERVED_TYPE:
		return "reserved_type";
	case VMSG_E_UNKNOWN_ID:
		return "unknown_id";
	case VMSG_E_WRONG_DIR:
		return "wrong_dir";
	case VMSG_E_PAYLOAD_SIZE:
		return "payload_size";
	case VMSG_E_COUNT:
		return "count";
	case VMSG_E_RANGE:
		return "range";
	case VMSG_E_RESERVED_FIELD:
		return "reserved_field";
	case VMSG_E_DEV_NUM:
		return "dev_num";
	default:
		return "?";
	}
}

const char *vmsg_msg_name(bool is_bus, uint8_t msg_id)
{
	struct vmsg_rule r;

	return find_rule(is_bus, msg_id, &r) ? r.name : "?";
}
