/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * virtio_msg.h - virtio-msg transport revision 1: wire structs and ids.
 *
 * Source: the transport chapter of the public virtio-msg v1 posting. Every
 * struct is packed, little-endian, and its size is asserted below. Points its
 * public review agreed to change in v2 are isolated: vmsg_dev_num_t (vmsg_types.h) and the GET_SHM
 * response (VIRTIO_MSG_SHM_V2 switches it to 64-bit fields).
 */
#ifndef VIRTIO_MSG_H
#define VIRTIO_MSG_H

#include "vmsg_types.h"

/* Transport revision implemented by this tree. */
#define VIRTIO_MSG_REVISION 1u

/* Common header (8 bytes). */
struct virtio_msg_header {
	uint8_t type;	    /* VIRTIO_MSG_TYPE_* bits */
	uint8_t msg_id;	    /* message id */
	vmsg_le16 dev_num;  /* device number, 0 for bus messages */
	vmsg_le16 token;    /* bus-owned correlation id */
	vmsg_le16 msg_size; /* header + payload, bytes */
} VMSG_PACKED;

#define VIRTIO_MSG_HEADER_SIZE 8u

#define VIRTIO_MSG_TYPE_RESPONSE 0x01u /* bit0: 0 request/event, 1 response */
#define VIRTIO_MSG_TYPE_BUS	 0x02u /* bit1: 0 transport, 1 bus message */
#define VIRTIO_MSG_TYPE_RESERVED 0xfcu /* bits 2..7: zero on send, ignored on receive */

/* Bus advertised max message size bounds (spec section Revisions). */
#define VIRTIO_MSG_MIN_MAX_SIZE 44u
#define VIRTIO_MSG_REC_MAX_SIZE 264u /* SHOULD NOT exceed */
/* msg_size is 16 bit: 65535 is the hard ceiling (erratum: table says 65536). */
#define VIRTIO_MSG_ABS_MAX_SIZE 65535u

/* Message id ranges (bit 6 = event, bit 7 = implementation defined). */
#define VIRTIO_MSG_ID_EVENT_BIT 0x40u
#define VIRTIO_MSG_ID_IMPL_BIT	0x80u

/* Transport message ids. */
#define VIRTIO_MSG_GET_DEVICE_INFO     0x02u
#define VIRTIO_MSG_GET_DEVICE_FEATURES 0x03u
#define VIRTIO_MSG_SET_DRIVER_FEATURES 0x04u
#define VIRTIO_MSG_GET_CONFIG	       0x05u
#define VIRTIO_MSG_SET_CONFIG	       0x06u
#define VIRTIO_MSG_GET_DEVICE_STATUS   0x07u
#define VIRTIO_MSG_SET_DEVICE_STATUS   0x08u
#define VIRTIO_MSG_GET_VQUEUE	       0x09u
#define VIRTIO_MSG_SET_VQUEUE	       0x0au
#define VIRTIO_MSG_RESET_VQUEUE	       0x0bu
#define VIRTIO_MSG_GET_SHM	       0x0cu
#define VIRTIO_MSG_EVENT_CONFIG	       0x40u
#define VIRTIO_MSG_EVENT_AVAIL	       0x41u
#define VIRTIO_MSG_EVENT_USED	       0x42u

/* Bus message ids. */
#define VIRTIO_BUS_MSG_GET_DEVICES  0x02u
#define VIRTIO_BUS_MSG_PING	    0x03u
#define VIRTIO_BUS_MSG_EVENT_DEVICE 0x40u

/* EVENT_DEVICE states. */
#define VIRTIO_BUS_DEVICE_STATE_READY	   0x0001u
#define VIRTIO_BUS_DEVICE_STATE_REMOVED	   0x0002u
#define VIRTIO_BUS_DEVICE_STATE_IMPL_FIRST 0x8000u

/* Device status bits (virtio 1.x). */
#define VIRTIO_MSG_STATUS_ACKNOWLEDGE	     0x01u
#define VIRTIO_MSG_STATUS_DRIVER	     0x02u
#define VIRTIO_MSG_STATUS_DRIVER_OK	     0x04u
#define VIRTIO_MSG_STATUS_FEATURES_OK	     0x08u
#define VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_MSG_STATUS_FAILED	     0x80u

/* ---- Transport message payloads ---- */

struct virtio_msg_get_device_info_resp {
	vmsg_le32 device_id;
	vmsg_le32 vendor_id;
	vmsg_le32 num_feature_bits; /* multiple of 32 */
	vmsg_le32 config_size;
	vmsg_le32 max_virtqueues;
	vmsg_le16 admin_vq_start;
	vmsg_le16 admin_vq_count;
} VMSG_PACKED;

struct virtio_msg_get_device_features_req {
	vmsg_le32 block_index;
	vmsg_le32 num_blocks;
} VMSG_PACKED;

struct virtio_msg_get_device_features_resp {
	vmsg_le32 block_index;
	vmsg_le32 num_blocks;
	vmsg_le32 features[]; /* num_blocks entries */
} VMSG_PACKED;

struct virtio_msg_set_driver_features_req {
	vmsg_le32 block_index;
	vmsg_le32 num_blocks;
	vmsg_le32 features[];
} VMSG_PACKED;

struct virtio_msg_get_config_req {
	vmsg_le32 offset;
	vmsg_le32 length;
} VMSG_PACKED;

struct virtio_msg_get_config_resp {
	vmsg_le32 generation;
	vmsg_le32 offset;
	vmsg_le32 length;
	uint8_t data[];
} VMSG_PACKED;

struct virtio_msg_set_config_req {
	vmsg_le32 generation;
	vmsg_le32 offset;
	vmsg_le32 length;
	uint8_t data[];
} VMSG_PACKED;

struct virtio_msg_set_config_resp {
	vmsg_le32 generation;
	vmsg_le32 offset;
	vmsg_le32 length; /* bytes applied, 0 if rejected */
	uint8_t data[];	  /* optional echo */
} VMSG_PACKED;

struct virtio_msg_get_device_status_resp {
	vmsg_le32 status;
} VMSG_PACKED;

struct virtio_msg_set_device_status_req {
	vmsg_le32 status;
} VMSG_PACKED;

struct virtio_msg_set_device_status_resp {
	vmsg_le32 status;
} VMSG_PACKED;

struct virtio_msg_get_vqueue_req {
	vmsg_le32 index;
} VMSG_PACKED;

struct virtio_msg_get_vqueue_resp {
	vmsg_le32 index;
	vmsg_le32 max_size;
	vmsg_le32 cur_size;
	vmsg_le32 reserved;
	vmsg_le64 desc_addr;
	vmsg_le64 driver_addr;
	vmsg_le64 device_addr;
} VMSG_PACKED;

struct virtio_msg_set_vqueue_req {
	vmsg_le32 index;
	vmsg_le32 reserved0;
	vmsg_le32 size;
	vmsg_le32 reserved1;
	vmsg_le64 desc_addr;
	vmsg_le64 driver_addr;
	vmsg_le64 device_addr;
} VMSG_PACKED;

struct virtio_msg_reset_vqueue_req {
	vmsg_le32 index;
} VMSG_PACKED;

struct virtio_msg_get_shm_req {
	vmsg_le32 index;
} VMSG_PACKED;

/* v1 layout; v2 widens length and address to 64 bits (agreed in v1's review). */
struct virtio_msg_get_shm_resp {
	vmsg_le32 index;
	vmsg_le32 length;
	vmsg_le32 address;
} VMSG_PACKED;

struct virtio_msg_event_config {
	vmsg_le32 device_status;
	vmsg_le32 generation;
	vmsg_le32 offset;
	vmsg_le32 length; /* 0: driver re-reads with GET_CONFIG */
	uint8_t data[];
} VMSG_PACKED;

struct virtio_msg_event_avail {
	vmsg_le32 vq_index;
	vmsg_le32 next_offset; /* bits 30:0 offset, bit 31 wrap; 0 if unused */
} VMSG_PACKED;

struct virtio_msg_event_used {
	vmsg_le32 vq_index;
} VMSG_PACKED;

/* ---- Bus message payloads ---- */

struct virtio_bus_msg_get_devices_req {
	vmsg_le16 offset; /* multiple of 8 */
	vmsg_le16 count;  /* multiple of 8 */
} VMSG_PACKED;

struct virtio_bus_msg_get_devices_resp {
	vmsg_le16 offset;
	vmsg_le16 count;
	vmsg_le16 next_offset; /* 0 or aligned >= offset + count */
	uint8_t bitmap[];      /* count / 8 bytes, LSB first */
} VMSG_PACKED;

struct virtio_bus_msg_ping {
	vmsg_le32 data;
} VMSG_PACKED;

struct virtio_bus_msg_event_device {
	vmsg_le16 device_number;
	vmsg_le16 device_bus_state;
} VMSG_PACKED;

/* ---- Sizes (header included) ---- */

#define VIRTIO_MSG_SIZE(payload) (VIRTIO_MSG_HEADER_SIZE + (payload))

/* Config data bytes that fit in one message of max_size (erratum: 244 at 264). */
#define VIRTIO_MSG_CONFIG_DATA_MAX(max_size)	   ((max_size)-VIRTIO_MSG_SIZE(12u))
#define VIRTIO_MSG_EVENT_CONFIG_DATA_MAX(max_size) ((max_size)-VIRTIO_MSG_SIZE(16u))

VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_header) == 8, "header");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_device_info_resp) == 24, "dev info");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_device_features_req) == 8, "get feat");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_device_features_resp) == 8, "get feat r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_driver_features_req) == 8, "set feat");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_config_req) == 8, "get cfg");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_config_resp) == 12, "get cfg r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_config_req) == 12, "set cfg");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_config_resp) == 12, "set cfg r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_device_status_resp) == 4, "status");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_device_status_req) == 4, "set status");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_device_status_resp) == 4, "set status r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_vqueue_req) == 4, "get vq");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_vqueue_resp) == 40, "get vq r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_set_vqueue_req) == 40, "set vq");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_reset_vqueue_req) == 4, "reset vq");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_shm_req) == 4, "get shm");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_get_shm_resp) == 12, "get shm r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_event_config) == 16, "ev cfg");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_event_avail) == 8, "ev avail");
VMSG_STATIC_ASSERT(sizeof(struct virtio_msg_event_used) == 4, "ev used");
VMSG_STATIC_ASSERT(sizeof(struct virtio_bus_msg_get_devices_req) == 4, "get devs");
VMSG_STATIC_ASSERT(sizeof(struct virtio_bus_msg_get_devices_resp) == 6, "get devs r");
VMSG_STATIC_ASSERT(sizeof(struct virtio_bus_msg_ping) == 4, "ping");
VMSG_STATIC_ASSERT(sizeof(struct virtio_bus_msg_event_device) == 4, "ev dev");

#endif /* VIRTIO_MSG_H */
