/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * virtio_msg_validate.h - is this buffer a well-formed virtio-msg message?
 *
 * Nothing in the project parses a message without passing it through
 * vmsg_validate() first. The validator reads only within [buf, buf + len).
 */
#ifndef VIRTIO_MSG_VALIDATE_H
#define VIRTIO_MSG_VALIDATE_H

#include "virtio_msg.h"

/* Who sent the message: decides which ids are legal and whether the
 * message must be a request, a response or an event.
 */
enum vmsg_dir {
	VMSG_DIR_DRIVER_TO_DEVICE = 0, /* host -> card */
	VMSG_DIR_DEVICE_TO_DRIVER = 1, /* card -> host */
};

/* Result codes: 0 is OK, every failure has its own code for counters. */
enum vmsg_verdict {
	VMSG_OK = 0,
	VMSG_E_SHORT,	       /* len < 8 header bytes */
	VMSG_E_SIZE_MISMATCH,  /* msg_size != len */
	VMSG_E_TOO_BIG,	       /* msg_size > advertised max_msg_size */
	VMSG_E_RESERVED_TYPE,  /* type bits 2..7 set (strict mode only) */
	VMSG_E_UNKNOWN_ID,     /* msg_id not defined for this class */
	VMSG_E_WRONG_DIR,      /* id/kind not legal in this direction */
	VMSG_E_PAYLOAD_SIZE,   /* payload size wrong for this id */
	VMSG_E_COUNT,	       /* a count field does not fit the payload or limits */
	VMSG_E_RANGE,	       /* offset/length overflow or alignment violated */
	VMSG_E_RESERVED_FIELD, /* a must-be-zero payload field is not zero */
	VMSG_E_DEV_NUM,	       /* bus message with dev_num != 0 */
	VMSG_E__COUNT
};

struct vmsg_validate_opts {
	uint16_t max_msg_size; /* bus advertised maximum (44..65535) */
	bool strict_reserved;  /* reject reserved type bits instead of ignoring */
	bool allow_impl_ids;   /* accept 0x80-0xFF ids (bus-specific messages) */
};

/* Summary of a validated message (host byte order). */
struct vmsg_msg_info {
	uint8_t type;
	uint8_t msg_id;
	vmsg_dev_num_t dev_num;
	uint16_t token;
	uint16_t msg_size;
	bool is_bus;
	bool is_response;
	bool is_event;
	uint16_t payload_len;
};

enum vmsg_verdict vmsg_validate(const void *buf, size_t len, enum vmsg_dir dir,
				const struct vmsg_validate_opts *opts, struct vmsg_msg_info *info);

/* Short stable name for a verdict ("ok", "short", ...). */
const char *vmsg_verdict_str(enum vmsg_verdict v);

/* Name of a message id ("GET_CONFIG", "PING", ...), or "?" if unknown. */
const char *vmsg_msg_name(bool is_bus, uint8_t msg_id);

#endif /* VIRTIO_MSG_VALIDATE_H */
