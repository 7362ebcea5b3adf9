/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * virtio_msg_build.c - pack virtio-msg v1 messages; no caller hand-packs bytes.
 */
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"
#include "vmsg_pcie.h"

#define T_REQ	   0u
#define T_RESP	   VIRTIO_MSG_TYPE_RESPONSE
#define T_BUS_REQ  VIRTIO_MSG_TYPE_BUS
#define T_BUS_RESP (VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE)

size_t vmsg_build_header(void *buf, uint8_t type, uint8_t msg_id, vmsg_dev_num_t dev_num,
			 uint16_t token, uint16_t msg_size)
{
	uint8_t *b = (uint8_t *)buf;

	b[0] = type;
	b[1] = msg_id;
	vmsg_put_le16(b + 2, dev_num);
	vmsg_put_le16(b + 4, token);
	vmsg_put_le16(b + 6, msg_size);
	return VIRTIO_MSG_HEADER_SIZE;
}

void vmsg_set_token(void *buf, uint16_t token)
{
	vmsg_put_le16((uint8_t *)buf + 4, token);
}

/*
 * Check that a message with payload_len payload bytes fits, write its
 * header and return a pointer to the payload (NULL if it does not fit).
 */
static uint8_t *begin(void *buf, size_t cap, uint8_t type, uint8_t msg_id, vmsg_dev_num_t dev,
		      uint16_t token, uint64_t payload_len)
{
	uint64_t total = VIRTIO_MSG_HEADER_SIZE + payload_len;

	if (!buf || total > VIRTIO_MSG_ABS_MAX_SIZE || total > cap)
		return NULL;
	vmsg_build_header(buf, type, msg_id, dev, token, (uint16_t)total);
	return (uint8_t *)buf + VIRTIO_MSG_HEADER_SIZE;
}

static size_t total_of(uint64_t payload_len)
{
	return (size_t)(VIRTIO_MSG_HEADER_SIZE + payload_len);
}

/* A message whose payload is empty. */
static size_t build_empty(void *buf, size_t cap, uint8_t type, uint8_t id, vmsg_dev_num_t dev,
			  uint16_t token)
{
	return begin(buf, cap, type, id, dev, token, 0) ? VIRTIO_MSG_HEADER_SIZE : 0;
}

/* A message whose payload is one le32. */
static size_t build_u32(void *buf, size_t cap, uint8_t type, uint8_t id, vmsg_dev_num_t dev,
			uint16_t token, uint32_t v)
{
	uint8_t *p = begin(buf, cap, type, id, dev, token, 4);

	if (!p)
		return 0;
	vmsg_put_le32(p, v);
	return total_of(4);
}

/* A message whose payload is two le32. */
static size_t build_u32x2(void *buf, size_t cap, uint8_t type, uint8_t id, vmsg_dev_num_t dev,
			  uint16_t token, uint32_t a, uint32_t b)
{
	uint8_t *p = begin(buf, cap, type, id, dev, token, 8);

	if (!p)
		return 0;
	vmsg_put_le32(p, a);
	vmsg_put_le32(p + 4, b);
	return total_of(8);
}

/* block_index, num_blocks, features[num_blocks]. */
static size_t build_features(void *buf, size_t cap, uint8_t type, uint8_t id, vmsg_dev_num_t dev,
			     uint16_t token, uint32_t block_index, const uint32_t *features,
			     uint32_t num_blocks)
{
	uint64_t len = 8u + (uint64_t)num_blocks * 4u;
	uint8_t *p;
	uint32_t i;

	if (num_blocks && !features)
		return 0;
	p = begin(buf, cap, type, id, dev, token, len);
	if (!p)
		return 0;
	vmsg_put_le32(p, block_index);
	vmsg_put_le32(p + 4, num_blocks);
	for (i = 0; i < num_blocks; i++)
		vmsg_put_le32(p + 8 + 4u * i, features[i]);
	return total_of(len);
}

/* generation, offset, length, data[data_len] (config messages). */
static size_t build_cfg(void *buf, size_t cap, uint8_t type, uint8_t id, vmsg_dev_num_t dev,
			uint16_t token, const uint32_t hdr[3], const void *data, uint32_t data_len)
{
	uint64_t len = 12u + (uint64_t)data_len;
	uint8_t *p;

	if (data_len && !data)
		return 0;
	p = begin(buf, cap, type, id, dev, token, len);
	if (!p)
		return 0;
	vmsg_put_le32(p, hdr[0]);
	vmsg_put_le32(p + 4, hdr[1]);
	vmsg_put_le32(p + 8, hdr[2]);
	vmsg_copy_bytes(p + 12, data, data_len);
	return total_of(len);
}

/* ---- transport requests ---- */

size_t vmsg_build_get_device_info_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token)
{
	return build_empty(buf, cap, T_REQ, VIRTIO_MSG_GET_DEVICE_INFO, dev, token);
}

size_t vmsg_build_get_device_features_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					  uint32_t block_index, uint32_t num_blocks)
{
	return build_u32x2(buf, cap, T_REQ, VIRTIO_MSG_GET_DEVICE_FEATURES, dev, token, block_index,
			   num_blocks);
}

size_t vmsg_build_set_driver_features_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					  uint32_t block_index, const uint32_t *features,
					  uint32_t num_blocks)
{
	return build_features(buf, cap, T_REQ, VIRTIO_MSG_SET_DRIVER_FEATURES, dev, token,
			      block_index, features, num_blocks);
}

size_t vmsg_build_get_config_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t offset, uint32_t length)
{
	return build_u32x2(buf, cap, T_REQ, VIRTIO_MSG_GET_CONFIG, dev, token, offset, length);
}

size_t vmsg_build_set_config_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t generation, uint32_t offset, const void *data,
				 uint32_t length)
{
	const uint32_t hdr[3] = {generation, offset, length};

	return build_cfg(buf, cap, T_REQ, VIRTIO_MSG_SET_CONFIG, dev, token, hdr, data, length);
}

size_t vmsg_build_get_device_status_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token)
{
	return build_empty(buf, cap, T_REQ, VIRTIO_MSG_GET_DEVICE_STATUS, dev, token);
}

size_t vmsg_build_set_device_status_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					uint32_t status)
{
	return build_u32(buf, cap, T_REQ, VIRTIO_MSG_SET_DEVICE_STATUS, dev, token, status);
}

size_t vmsg_build_get_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t index)
{
	return build_u32(buf, cap, T_REQ, VIRTIO_MSG_GET_VQUEUE, dev, token, index);
}

size_t vmsg_build_set_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 const struct vmsg_vqueue_info *vq)
{
	uint8_t *p;

	if (!vq)
		return 0;
	p = begin(buf, cap, T_REQ, VIRTIO_MSG_SET_VQUEUE, dev, token, 40);
	if (!p)
		return 0;
	vmsg_put_le32(p, vq->index);
	vmsg_put_le32(p + 4, 0);
	vmsg_put_le32(p + 8, vq->size);
	vmsg_put_le32(p + 12, 0);
	vmsg_put_le64(p + 16, vq->desc_addr);
	vmsg_put_le64(p + 24, vq->driver_addr);
	vmsg_put_le64(p + 32, vq->device_addr);
	return total_of(40);
}

size_t vmsg_build_reset_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				   uint32_t index)
{
	return build_u32(buf, cap, T_REQ, VIRTIO_MSG_RESET_VQUEUE, dev, token, index);
}

size_t vmsg_build_get_shm_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
			      uint32_t index)
{
	return build_u32(buf, cap, T_REQ, VIRTIO_MSG_GET_SHM, dev, token, index);
}

/* ---- transport responses ---- */

size_t vmsg_build_get_device_info_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				       const struct vmsg_device_info *di)
{
	uint8_t *p;

	if (!di)
		return 0;
	p = begin(buf, cap, T_RESP, VIRTIO_MSG_GET_DEVICE_INFO, dev, token, 24);
	if (!p)
		return 0;
	vmsg_put_le32(p, di->device_id);
	vmsg_put_le32(p + 4, di->vendor_id);
	vmsg_put_le32(p + 8, di->num_feature_bits);
	vmsg_put_le32(p + 12, di->config_size);
	vmsg_put_le32(p + 16, di->max_virtqueues);
	vmsg_put_le16(p + 20, di->admin_vq_start);
	vmsg_put_le16(p + 22, di->admin_vq_count);
	return total_of(24);
}

size_t vmsg_build_get_device_features_resp(void *buf, size_t cap, vmsg_dev_num_t dev,
					   uint16_t token, uint32_t block_index,
					   const uint32_t *features, uint32_t num_blocks)
{
	return build_features(buf, cap, T_RESP, VIRTIO_MSG_GET_DEVICE_FEATURES, dev, token,
			      block_index, features, num_blocks);
}

size_t vmsg_build_set_driver_features_resp(void *buf, size_t cap, vmsg_dev_num_t dev,
					   uint16_t token)
{
	return build_empty(buf, cap, T_RESP, VIRTIO_MSG_SET_DRIVER_FEATURES, dev, token);
}

size_t vmsg_build_get_config_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  uint32_t generation, uint32_t offset, const void *data,
				  uint32_t length)
{
	const uint32_t hdr[3] = {generation, offset, length};

	return build_cfg(buf, cap, T_RESP, VIRTIO_MSG_GET_CONFIG, dev, token, hdr, data, length);
}

size_t vmsg_build_set_config_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  uint32_t generation, uint32_t offset, uint32_t length,
				  const void *echo)
{
	const uint32_t hdr[3] = {generation, offset, length};

	return build_cfg(buf, cap, T_RESP, VIRTIO_MSG_SET_CONFIG, dev, token, hdr, echo,
			 echo ? length : 0);
}

size_t vmsg_build_get_device_status_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					 uint32_t status)
{
	return build_u32(buf, cap, T_RESP, VIRTIO_MSG_GET_DEVICE_STATUS, dev, token, status);
}

size_t vmsg_build_set_device_status_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					 uint32_t status)
{
	return build_u32(buf, cap, T_RESP, VIRTIO_MSG_SET_DEVICE_STATUS, dev, token, status);
}

size_t vmsg_build_get_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  const struct vmsg_vqueue_info *vq)
{
	uint8_t *p;

	if (!vq)
		return 0;
	p = begin(buf, cap, T_RESP, VIRTIO_MSG_GET_VQUEUE, dev, token, 40);
	if (!p)
		return 0;
	vmsg_put_le32(p, vq->index);
	vmsg_put_le32(p + 4, vq->max_size);
	vmsg_put_le32(p + 8, vq->size);
	vmsg_put_le32(p + 12, 0);
	vmsg_put_le64(p + 16, vq->desc_addr);
	vmsg_put_le64(p + 24, vq->driver_addr);
	vmsg_put_le64(p + 32, vq->device_addr);
	return total_of(40);
}

size_t vmsg_build_set_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token)
{
	return build_empty(buf, cap, T_RESP, VIRTIO_MSG_SET_VQUEUE, dev, token);
}

size_t vmsg_build_reset_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token)
{
	return build_empty(buf, cap, T_RESP, VIRTIO_MSG_RESET_VQUEUE, dev, token);
}

size_t vmsg_build_get_shm_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
			       uint32_t index, uint32_t length, uint32_t address)
{
	uint8_t *p = begin(buf, cap, T_RESP, VIRTIO_MSG_GET_SHM, dev, token, 12);

	if (!p)
		return 0;
	vmsg_put_le32(p, index);
	vmsg_put_le32(p + 4, length);
	vmsg_put_le32(p + 8, address);
	return total_of(12);
}

/* ---- transport events ---- */

size_t vmsg_build_event_config(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t device_status,
			       uint32_t generation, uint32_t offset, const void *data,
			       uint32_t length)
{
	uint64_t len = 16u + (uint64_t)length;
	uint8_t *p;

	if (length && !data)
		return 0;
	p = begin(buf, cap, T_REQ, VIRTIO_MSG_EVENT_CONFIG, dev, 0, len);
	if (!p)
		return 0;
	vmsg_put_le32(p, device_status);
	vmsg_put_le32(p + 4, generation);
	vmsg_put_le32(p + 8, offset);
	vmsg_put_le32(p + 12, length);
	vmsg_copy_bytes(p + 16, data, length);
	return total_of(len);
}

size_t vmsg_build_event_avail(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t vq_index,
			      uint32_t next_offset)
{
	return build_u32x2(buf, cap, T_REQ, VIRTIO_MSG_EVENT_AVAIL, dev, 0, vq_index, next_offset);
}

size_t vmsg_build_event_used(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t vq_index)
{
	return build_u32(buf, cap, T_REQ, VIRTIO_MSG_EVENT_USED, dev, 0, vq_index);
}

/* ---- bus messages ---- */

size_t vmsg_build_bus_get_devices_req(void *buf, size_t cap, uint16_t token, uint16_t offset,
				      uint16_t count)
{
	uint8_t *p = begin(buf, cap, T_BUS_REQ, VIRTIO_BUS_MSG_GET_DEVICES, 0, token, 4);

	if (!p)
		return 0;
	vmsg_put_le16(p, offset);
	vmsg_put_le16(p + 2, count);
	return total_of(4);
}

size_t vmsg_build_bus_get_devices_resp(void *buf, size_t cap, uint16_t token, uint16_t offset,
				       uint16_t count, uint16_t next_offset, const uint8_t *bitmap)
{
	uint32_t bytes = count / 8u;
	uint8_t *p;

	if (bytes && !bitmap)
		return 0;
	p = begin(buf, cap, T_BUS_RESP, VIRTIO_BUS_MSG_GET_DEVICES, 0, token, 6u + bytes);
	if (!p)
		return 0;
	vmsg_put_le16(p, offset);
	vmsg_put_le16(p + 2, count);
	vmsg_put_le16(p + 4, next_offset);
	vmsg_copy_bytes(p + 6, bitmap, bytes);
	return total_of(6u + bytes);
}

size_t vmsg_build_bus_ping_req(void *buf, size_t cap, uint16_t token, uint32_t data)
{
	return build_u32(buf, cap, T_BUS_REQ, VIRTIO_BUS_MSG_PING, 0, token, data);
}

size_t vmsg_build_bus_ping_resp(void *buf, size_t cap, uint16_t token, uint32_t data)
{
	return build_u32(buf, cap, T_BUS_RESP, VIRTIO_BUS_MSG_PING, 0, token, data);
}

size_t vmsg_build_bus_event_device(void *buf, size_t cap, vmsg_dev_num_t device_number,
				   uint16_t state)
{
	uint8_t *p = begin(buf, cap, T_BUS_REQ, VIRTIO_BUS_MSG_EVENT_DEVICE, 0, 0, 4);

	if (!p)
		return 0;
	vmsg_put_le16(p, device_number);
	vmsg_put_le16(p + 2, state);
	return total_of(4);
}

size_t vmsg_build_bus_error(void *buf, size_t cap, uint16_t token, uint8_t req_type,
			    uint8_t req_msg_id, vmsg_dev_num_t req_dev_num, uint16_t error)
{
	uint8_t *p = begin(buf, cap, T_BUS_RESP, VMSG_PCIE_BUS_MSG_ERROR, 0, token, 8);

	if (!p)
		return 0;
	p[0] = req_type;
	p[1] = req_msg_id;
	vmsg_put_le16(p + 2, req_dev_num);
	vmsg_put_le16(p + 4, error);
	vmsg_put_le16(p + 6, 0);
	return total_of(8);
}
