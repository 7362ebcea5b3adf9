/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * virtio_msg_build.h - build every virtio-msg v1 message (and the PCIe
 * binding's bus ERROR) into a caller buffer.
 *
 * Every builder takes the buffer and its capacity and returns the total
 * message size (header included), or 0 if the message does not fit the
 * buffer, would exceed the 16-bit msg_size, or a data pointer is NULL with a
 * non-zero length. Builders pack what they are given: they do not enforce
 * the validator's semantic rules, so keep messages within the bus
 * max_msg_size by passing that as the capacity.
 *
 * Requests and events flow host -> card unless the name says otherwise;
 * responses and EVENT_CONFIG/EVENT_USED/EVENT_DEVICE/ERROR flow card -> host.
 * Events carry token 0.
 */
#ifndef VIRTIO_MSG_BUILD_H
#define VIRTIO_MSG_BUILD_H

#include "virtio_msg.h"

/* GET_DEVICE_INFO response fields, host byte order. */
struct vmsg_device_info {
	uint32_t device_id;
	uint32_t vendor_id;
	uint32_t num_feature_bits;
	uint32_t config_size;
	uint32_t max_virtqueues;
	uint16_t admin_vq_start;
	uint16_t admin_vq_count;
};

/*
 * GET_VQUEUE response / SET_VQUEUE request fields, host byte order.
 * max_size is only sent in the GET_VQUEUE response; size is cur_size there.
 */
struct vmsg_vqueue_info {
	uint32_t index;
	uint32_t max_size;
	uint32_t size;
	uint64_t desc_addr;
	uint64_t driver_addr;
	uint64_t device_addr;
};

/* Write the 8-byte header at buf (no capacity check: buf holds >= 8 bytes). */
size_t vmsg_build_header(void *buf, uint8_t type, uint8_t msg_id, vmsg_dev_num_t dev_num,
			 uint16_t token, uint16_t msg_size);

/* Rewrite the token of a built message (the bus assigns tokens). */
void vmsg_set_token(void *buf, uint16_t token);

/* ---- transport requests (host -> card) ---- */
size_t vmsg_build_get_device_info_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token);
size_t vmsg_build_get_device_features_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					  uint32_t block_index, uint32_t num_blocks);
size_t vmsg_build_set_driver_features_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					  uint32_t block_index, const uint32_t *features,
					  uint32_t num_blocks);
size_t vmsg_build_get_config_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t offset, uint32_t length);
size_t vmsg_build_set_config_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t generation, uint32_t offset, const void *data,
				 uint32_t length);
size_t vmsg_build_get_device_status_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token);
size_t vmsg_build_set_device_status_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					uint32_t status);
size_t vmsg_build_get_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 uint32_t index);
size_t vmsg_build_set_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				 const struct vmsg_vqueue_info *vq);
size_t vmsg_build_reset_vqueue_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				   uint32_t index);
size_t vmsg_build_get_shm_req(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
			      uint32_t index);

/* ---- transport responses (card -> host) ---- */
size_t vmsg_build_get_device_info_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				       const struct vmsg_device_info *di);
size_t vmsg_build_get_device_features_resp(void *buf, size_t cap, vmsg_dev_num_t dev,
					   uint16_t token, uint32_t block_index,
					   const uint32_t *features, uint32_t num_blocks);
size_t vmsg_build_set_driver_features_resp(void *buf, size_t cap, vmsg_dev_num_t dev,
					   uint16_t token);
size_t vmsg_build_get_config_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  uint32_t generation, uint32_t offset, const void *data,
				  uint32_t length);
/* echo may be NULL: then no data follows (the echo is optional). */
size_t vmsg_build_set_config_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  uint32_t generation, uint32_t offset, uint32_t length,
				  const void *echo);
size_t vmsg_build_get_device_status_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					 uint32_t status);
size_t vmsg_build_set_device_status_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
					 uint32_t status);
size_t vmsg_build_get_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
				  const struct vmsg_vqueue_info *vq);
size_t vmsg_build_set_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token);
size_t vmsg_build_reset_vqueue_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token);
size_t vmsg_build_get_shm_resp(void *buf, size_t cap, vmsg_dev_num_t dev, uint16_t token,
			       uint32_t index, uint32_t length, uint32_t address);

/* ---- transport events ---- */
/* card -> host; data may be NULL only when length is 0. */
size_t vmsg_build_event_config(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t device_status,
			       uint32_t generation, uint32_t offset, const void *data,
			       uint32_t length);
/* host -> card */
size_t vmsg_build_event_avail(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t vq_index,
			      uint32_t next_offset);
/* card -> host */
size_t vmsg_build_event_used(void *buf, size_t cap, vmsg_dev_num_t dev, uint32_t vq_index);

/* ---- bus messages (dev_num 0) ---- */
size_t vmsg_build_bus_get_devices_req(void *buf, size_t cap, uint16_t token, uint16_t offset,
				      uint16_t count);
/* bitmap holds count / 8 bytes (count a multiple of 8). */
size_t vmsg_build_bus_get_devices_resp(void *buf, size_t cap, uint16_t token, uint16_t offset,
				       uint16_t count, uint16_t next_offset, const uint8_t *bitmap);
/* PING goes both ways. */
size_t vmsg_build_bus_ping_req(void *buf, size_t cap, uint16_t token, uint32_t data);
size_t vmsg_build_bus_ping_resp(void *buf, size_t cap, uint16_t token, uint32_t data);
size_t vmsg_build_bus_event_device(void *buf, size_t cap, vmsg_dev_num_t device_number,
				   uint16_t state);
/* PCIe binding bus ERROR (VMSG_PCIE_BUS_MSG_ERROR) answering a request. */
size_t vmsg_build_bus_error(void *buf, size_t cap, uint16_t token, uint8_t req_type,
			    uint8_t req_msg_id, vmsg_dev_num_t req_dev_num, uint16_t error);

#endif /* VIRTIO_MSG_BUILD_H */
