/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fuzz_validate.c - libFuzzer target for vmsg_validate().
 *
 * Input byte 0 picks the options (max_msg_size, strict, impl ids); the rest
 * is the message, validated in both directions. Whatever the validator
 * accepts must satisfy the invariants below; a violation traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_msg_validate.h"
#include "vmsg_bytes.h"
#include "vmsg_pcie.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static const uint16_t max_sizes[4] = {VMSG_PCIE_MAX_MSG_SIZE, VIRTIO_MSG_MIN_MAX_SIZE,
				      VIRTIO_MSG_ABS_MAX_SIZE, 43};

static void opts_from(uint8_t sel, struct vmsg_validate_opts *o)
{
	o->max_msg_size = max_sizes[sel & 3u];
	o->strict_reserved = (sel & 4u) != 0;
	o->allow_impl_ids = (sel & 8u) != 0;
}

/* Fixed part and variable length claimed by a variable-size payload. */
static void check_var(const uint8_t *p, size_t n, size_t fixed, uint64_t var)
{
	CHECK(n >= fixed);
	CHECK(n - fixed == var);
	(void)p;
}

static void check_transport(const uint8_t *p, size_t n, const struct vmsg_msg_info *in,
			    const struct vmsg_validate_opts *o)
{
	switch (in->msg_id) {
	case VIRTIO_MSG_GET_DEVICE_FEATURES:
		if (in->is_response)
			check_var(p, n, 8, 4ull * vmsg_get_le32(p + 4));
		else
			CHECK(n == 8 && vmsg_get_le32(p + 4) >= 1);
		break;
	case VIRTIO_MSG_SET_DRIVER_FEATURES:
		if (!in->is_response)
			check_var(p, n, 8, 4ull * vmsg_get_le32(p + 4));
		break;
	case VIRTIO_MSG_GET_CONFIG:
		if (in->is_response) {
			check_var(p, n, 12, vmsg_get_le32(p + 8));
		} else {
			CHECK(n == 8);
			CHECK(vmsg_get_le32(p + 4) <= VIRTIO_MSG_CONFIG_DATA_MAX(o->max_msg_size));
			CHECK((uint64_t)vmsg_get_le32(p) + vmsg_get_le32(p + 4) <= 0xffffffffull);
		}
		break;
	case VIRTIO_MSG_SET_CONFIG:
		if (!in->is_response || n != 12)
			check_var(p, n, 12, vmsg_get_le32(p + 8));
		break;
	case VIRTIO_MSG_EVENT_CONFIG:
		check_var(p, n, 16, vmsg_get_le32(p + 12));
		break;
	default:
		break;
	}
}

static void check_bus(const uint8_t *p, size_t n, const struct vmsg_msg_info *in)
{
	CHECK(in->dev_num == 0);
	if (in->msg_id == VIRTIO_BUS_MSG_GET_DEVICES && in->is_response) {
		uint16_t off = vmsg_get_le16(p), cnt = vmsg_get_le16(p + 2);
		uint16_t next = vmsg_get_le16(p + 4);

		check_var(p, n, 6, cnt / 8u);
		CHECK(cnt % 8u == 0 && off % 8u == 0);
		CHECK(next == 0 || (next % 8u == 0 && (uint32_t)next >= (uint32_t)off + cnt));
	}
	if (in->msg_id == VMSG_PCIE_BUS_MSG_ERROR) {
		CHECK(n == 8 && in->is_response);
		CHECK(vmsg_get_le16(p + 6) == 0);
	}
}

static void check_ok(const uint8_t *m, size_t size, enum vmsg_dir dir,
		     const struct vmsg_validate_opts *o, const struct vmsg_msg_info *in)
{
	CHECK(size >= VIRTIO_MSG_HEADER_SIZE);
	CHECK(in->msg_size == size);
	CHECK(in->msg_size <= o->max_msg_size);
	CHECK(in->payload_len == size - VIRTIO_MSG_HEADER_SIZE);
	CHECK(in->type == m[0] && in->msg_id == m[1]);
	CHECK(in->dev_num == vmsg_get_le16(m + 2) && in->token == vmsg_get_le16(m + 4));
	CHECK(in->is_bus == ((m[0] & VIRTIO_MSG_TYPE_BUS) != 0));
	CHECK(in->is_response == ((m[0] & VIRTIO_MSG_TYPE_RESPONSE) != 0));
	CHECK(!o->strict_reserved || (m[0] & VIRTIO_MSG_TYPE_RESERVED) == 0);
	if (in->msg_id & VIRTIO_MSG_ID_IMPL_BIT) {
		CHECK(o->allow_impl_ids || (in->is_bus && in->msg_id == VMSG_PCIE_BUS_MSG_ERROR));
		if (in->is_bus && in->msg_id == VMSG_PCIE_BUS_MSG_ERROR)
			CHECK(dir == VMSG_DIR_DEVICE_TO_DRIVER);
	}
	if (in->is_bus)
		check_bus(m + VIRTIO_MSG_HEADER_SIZE, in->payload_len, in);
	else
		check_transport(m + VIRTIO_MSG_HEADER_SIZE, in->payload_len, in, o);
	(void)vmsg_msg_name(in->is_bus, in->msg_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmsg_validate_opts o;
	struct vmsg_msg_info in;
	enum vmsg_verdict v;
	uint8_t *m;
	int d;

	if (size < 1)
		return 0;
	opts_from(data[0], &o);
	/* Exact-size heap copy so ASan catches any read past the message. */
	m = malloc(size - 1 ? size - 1 : 1);
	if (!m)
		return 0;
	memcpy(m, data + 1, size - 1);
	for (d = 0; d < 2; d++) {
		v = vmsg_validate(m, size - 1, (enum vmsg_dir)d, &o, &in);
		CHECK((unsigned int)v < VMSG_E__COUNT);
		CHECK(vmsg_verdict_str(v)[0] != '?');
		if (v == VMSG_OK)
			check_ok(m, size - 1, (enum vmsg_dir)d, &o, &in);
	}
	free(m);
	return 0;
}
