/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_pcie_abi.c - the PCIe binding ABI (fw_shared/include/vmsg_pcie.h)
 * against the normative document (docs/pcie-binding.md): register offsets
 * and sizes, ring layout, host area, bus ERROR message, ids, feature bits,
 * link/attach values and timeouts.
 *
 * The tables below are transcribed from the document, not from the header:
 * a change of either that breaks the other fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmsg_pcie.h"

#define FSIZE(type, f) sizeof(((type *)0)->f)

struct field {
	const char *name;
	size_t off, size;	  /* from the header */
	size_t doc_off, doc_size; /* from docs/pcie-binding.md */
};

#define REG(f, off, size)                                                                          \
	{                                                                                          \
#f, offsetof(struct vmsg_pcie_regs, f), FSIZE(struct vmsg_pcie_regs, f), off, size \
	}

/* docs/pcie-binding.md section 4.2, "Control block layout". */
static const struct field regs_table[] = {
    REG(magic, 0x000, 4),	    REG(version, 0x004, 4),
    REG(transport_rev, 0x008, 4),   REG(max_msg_size, 0x00c, 4),
    REG(card_features, 0x010, 4),   REG(dma_addr_bits, 0x014, 4),
    REG(num_doorbells, 0x018, 4),   REG(num_vectors, 0x01c, 4),
    REG(link_state, 0x020, 4),	    REG(epoch, 0x024, 4),
    REG(attach_error, 0x028, 4),    REG(heartbeat, 0x02c, 4),
    REG(h2c_ring_offset, 0x030, 4), REG(h2c_ring_size, 0x034, 4),
    REG(c2h_cons_offset, 0x038, 4), REG(c2h_bar_offset, 0x03c, 4),
    REG(c2h_bar_size, 0x040, 4),    REG(host_area_min, 0x044, 4),
    REG(reserved0, 0x048, 8),	    REG(host_version, 0x050, 4),
    REG(host_features, 0x054, 4),   REG(host_area_addr, 0x058, 8),
    REG(host_area_size, 0x060, 4),  REG(irq_mode, 0x064, 4),
    REG(vec_c2h, 0x068, 4),	    REG(host_epoch, 0x06c, 4),
    REG(host_ctrl, 0x070, 4),	    REG(host_vectors, 0x074, 4),
    REG(reserved1, 0x078, 8),	    REG(cnt_rx_msgs, 0x080, 8),
    REG(cnt_tx_msgs, 0x088, 8),	    REG(cnt_drop_malformed, 0x090, 8),
    REG(cnt_drop_stale, 0x098, 8),  REG(cnt_drop_no_device, 0x0a0, 8),
    REG(cnt_ring_full, 0x0a8, 8),   REG(cnt_irqs, 0x0b0, 8),
    REG(cnt_doorbells, 0x0b8, 8),   REG(reserved2, 0x0c0, 64),
    REG(doorbell, 0x100, 4 * 32),   REG(reserved2b, 0x180, 0x80),
    REG(oob_map, 0x200, 8 * 32),    REG(reserved3, 0x300, 0x1000 - 0x300),
};

#define RING(f, off, size)                                                                         \
	{                                                                                          \
#f, offsetof(struct vmsg_ring_hdr, f), FSIZE(struct vmsg_ring_hdr, f), off, size   \
	}

/* Section 5.1, ring header table. */
static const struct field ring_hdr_table[] = {
    RING(magic, 0, 4),	      RING(version, 4, 2),	 RING(hdr_size, 6, 2),
    RING(slot_size, 8, 4),    RING(slot_count, 12, 4),	 RING(prod_offset, 16, 4),
    RING(cons_offset, 20, 4), RING(slots_offset, 24, 4), RING(flags, 28, 4),
    RING(reserved, 32, 32),
};

static void check_table(const struct field *t, size_t n, size_t total)
{
	size_t i, end = 0;

	for (i = 0; i < n; i++) {
		if (t[i].off != t[i].doc_off || t[i].size != t[i].doc_size)
			fail_msg("%s: header offset 0x%zx size %zu, document 0x%zx size %zu",
				 t[i].name, t[i].off, t[i].size, t[i].doc_off, t[i].doc_size);
		/* The table covers the struct without holes or overlaps. */
		if (t[i].off != end)
			fail_msg("%s: starts at 0x%zx, previous field ends at 0x%zx", t[i].name,
				 t[i].off, end);
		end = t[i].off + t[i].size;
	}
	assert_int_equal(end, total);
}

static void test_regs_layout(void **state)
{
	size_t i;

	(void)state;
	check_table(regs_table, sizeof(regs_table) / sizeof(regs_table[0]),
		    sizeof(struct vmsg_pcie_regs));
	assert_int_equal(sizeof(struct vmsg_pcie_regs), VMSG_PCIE_REGS_SIZE);
	assert_int_equal(VMSG_PCIE_REGS_SIZE, 0x1000);
	assert_int_equal(VMSG_PCIE_BAR0_MIN_SIZE, 0x10000);
	assert_int_equal(VMSG_PCIE_MAX_DOORBELLS, 32);
	assert_int_equal(VMSG_PCIE_MAX_VECTORS, 32);
	for (i = 0; i < VMSG_PCIE_MAX_DOORBELLS; i++)
		assert_int_equal(offsetof(struct vmsg_pcie_regs, doorbell) + 4 * i, 0x100 + 4 * i);
	/* 64-bit fields are naturally aligned (single-copy access where possible). */
	assert_int_equal(offsetof(struct vmsg_pcie_regs, host_area_addr) % 8, 0);
	assert_int_equal(offsetof(struct vmsg_pcie_regs, cnt_rx_msgs) % 8, 0);
}

static void test_ring_layout(void **state)
{
	(void)state;
	check_table(ring_hdr_table, sizeof(ring_hdr_table) / sizeof(ring_hdr_table[0]),
		    sizeof(struct vmsg_ring_hdr));
	assert_int_equal(VMSG_RING_LINE, 64);
	assert_int_equal(sizeof(struct vmsg_ring_hdr), VMSG_RING_LINE);
	assert_int_equal(sizeof(struct vmsg_ring_idx), VMSG_RING_LINE);
	assert_int_equal(offsetof(struct vmsg_ring_idx, idx), 0);
	assert_int_equal(offsetof(struct vmsg_ring_idx, flags), 4);
	assert_int_equal(VMSG_RING_HDR_SIZE, 3 * VMSG_RING_LINE);
	assert_int_equal(VMSG_RING_F_NEED_NOTIFY, 1);

	/* Slot framing: len, flags, epoch, then the message at 8. */
	assert_int_equal(sizeof(struct vmsg_slot_hdr), 8);
	assert_int_equal(offsetof(struct vmsg_slot_hdr, len), 0);
	assert_int_equal(offsetof(struct vmsg_slot_hdr, flags), 2);
	assert_int_equal(offsetof(struct vmsg_slot_hdr, epoch), 4);

	assert_int_equal(VMSG_RING_BYTES(320, 64), 192 + 320 * 64);
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void test_ring_constants(void **state)
{
	const uint32_t slot = VMSG_RING_DEFAULT_SLOT_SIZE, n = VMSG_RING_DEFAULT_SLOTS;

	(void)state;
	/* Every slot holds the framing and the largest message. */
	assert_true(slot >= sizeof(struct vmsg_slot_hdr) + VMSG_PCIE_MAX_MSG_SIZE);
	assert_int_equal(slot % VMSG_RING_SLOT_ALIGN, 0);
	assert_int_equal(VMSG_RING_SLOT_ALIGN % VMSG_RING_LINE, 0);
	/* ... and is the smallest multiple of 64 that does (320). */
	assert_true(slot - VMSG_RING_SLOT_ALIGN <
		    sizeof(struct vmsg_slot_hdr) + VMSG_PCIE_MAX_MSG_SIZE);
	assert_int_equal(slot, 320);
	assert_int_equal(VMSG_RING_MAX_SLOT_SIZE % VMSG_RING_SLOT_ALIGN, 0);
	assert_true(VMSG_RING_MAX_SLOT_SIZE >= slot);
	/* Slot lengths fit the le16 len field. */
	assert_true(VMSG_RING_MAX_SLOT_SIZE - 8 <= 0xffff);

	assert_true(pow2(VMSG_RING_MIN_SLOTS) && pow2(VMSG_RING_MAX_SLOTS) && pow2(n));
	assert_true(n >= VMSG_RING_MIN_SLOTS && n <= VMSG_RING_MAX_SLOTS);
	assert_int_equal(VMSG_RING_MIN_SLOTS, 2);
	assert_int_equal(VMSG_RING_MAX_SLOTS, 4096);
	/* The largest ring does not overflow the u32 arithmetic of VMSG_RING_BYTES. */
	assert_true((uint64_t)VMSG_RING_HDR_SIZE +
			(uint64_t)VMSG_RING_MAX_SLOT_SIZE * VMSG_RING_MAX_SLOTS <=
		    UINT32_MAX);
	assert_int_equal(VMSG_RING_BYTES(VMSG_RING_MAX_SLOT_SIZE, VMSG_RING_MAX_SLOTS),
			 (uint64_t)VMSG_RING_HDR_SIZE +
			     (uint64_t)VMSG_RING_MAX_SLOT_SIZE * VMSG_RING_MAX_SLOTS);
	assert_int_equal(VMSG_RING_VERSION, 1);
}

/* Section 4.2, "Default BAR0 layout". */
static void test_default_bar0_layout(void **state)
{
	const uint32_t ring = VMSG_RING_BYTES(VMSG_RING_DEFAULT_SLOT_SIZE, VMSG_RING_DEFAULT_SLOTS);
	const uint32_t cons = VMSG_BAR0_C2H_CONS_OFFSET;

	(void)state;
	assert_int_equal(ring, 20672);
	assert_int_equal(VMSG_BAR0_H2C_RING_OFFSET, 0x1000);
	assert_true(VMSG_BAR0_H2C_RING_OFFSET >= VMSG_PCIE_REGS_SIZE);
	assert_int_equal(VMSG_BAR0_H2C_RING_OFFSET % VMSG_RING_LINE, 0);
	/* The default ring fits in the smallest BAR0 after the control block. */
	assert_true(VMSG_BAR0_H2C_RING_OFFSET + ring <= VMSG_PCIE_BAR0_MIN_SIZE);
	assert_int_equal(VMSG_BAR0_H2C_RING_OFFSET + ring - 1, 0x60bf);

	/* c2h consumer line: 0xf00, 64-aligned, in reserved3, inside the block. */
	assert_int_equal(cons, 0x0f00);
	assert_int_equal(cons % VMSG_RING_LINE, 0);
	assert_true(cons >= offsetof(struct vmsg_pcie_regs, reserved3));
	assert_true(cons + VMSG_RING_LINE <= VMSG_PCIE_REGS_SIZE);
}

/* Section 5.3, host area. */
static void test_host_area(void **state)
{
	const uint32_t ring = VMSG_RING_BYTES(VMSG_RING_DEFAULT_SLOT_SIZE, VMSG_RING_DEFAULT_SLOTS);
	uint32_t min;

	(void)state;
	assert_int_equal(VMSG_HOST_AREA_H2C_CONS_OFFSET, 0);
	assert_int_equal(VMSG_HOST_AREA_C2H_RING_OFFSET,
			 VMSG_HOST_AREA_H2C_CONS_OFFSET + VMSG_RING_LINE);
	assert_int_equal(VMSG_HOST_AREA_C2H_RING_OFFSET % VMSG_RING_LINE, 0);
	assert_int_equal(VMSG_HOST_AREA_ALIGN, 4096);
	assert_true(pow2(VMSG_HOST_AREA_ALIGN));
	/* The document's default host_area_min. */
	min = (VMSG_HOST_AREA_C2H_RING_OFFSET + ring + VMSG_HOST_AREA_ALIGN - 1) &
	      ~(VMSG_HOST_AREA_ALIGN - 1);
	assert_int_equal(min, 0x6000);
}

static void test_message_sizes(void **state)
{
	(void)state;
	assert_int_equal(VMSG_PCIE_MAX_MSG_SIZE, 264);
	assert_int_equal(VMSG_PCIE_MIN_MSG_SIZE, 48);
	/* Errata E-1: the two 48-byte messages must fit the smallest bus. */
	assert_int_equal(VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_set_vqueue_req)),
			 VMSG_PCIE_MIN_MSG_SIZE);
	assert_int_equal(VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_get_vqueue_resp)),
			 VMSG_PCIE_MIN_MSG_SIZE);
	assert_true(VMSG_PCIE_MIN_MSG_SIZE >= VIRTIO_MSG_MIN_MAX_SIZE);
	assert_true(VMSG_PCIE_MAX_MSG_SIZE <= VIRTIO_MSG_ABS_MAX_SIZE);
	/* Errata E-3: config chunks at the cap. */
	assert_int_equal(VIRTIO_MSG_CONFIG_DATA_MAX(VMSG_PCIE_MAX_MSG_SIZE), 244);
	assert_int_equal(VIRTIO_MSG_EVENT_CONFIG_DATA_MAX(VMSG_PCIE_MAX_MSG_SIZE), 240);
}

static void le32_bytes(uint32_t v, uint8_t b[4])
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static void test_identity_values(void **state)
{
	const uint8_t vmsg[4] = {'V', 'M', 'S', 'G'}, vrng[4] = {'V', 'R', 'N', 'G'};
	uint8_t b[4];

	(void)state;
	/* Magic values are the ASCII names stored little-endian. */
	le32_bytes(VMSG_PCIE_MAGIC, b);
	assert_memory_equal(b, vmsg, 4);
	le32_bytes(VMSG_RING_MAGIC, b);
	assert_memory_equal(b, vrng, 4);

	assert_int_equal(VMSG_PCIE_VERSION, 0x00010001);
	assert_int_equal(VMSG_PCIE_VERSION_GET_MAJOR(VMSG_PCIE_VERSION), 1);
	assert_int_equal(VMSG_PCIE_VERSION_GET_MAJOR(0x0001ffffu), 1);
	assert_int_equal(VMSG_PCIE_VERSION_GET_MAJOR(0x00020000u), 2);
	assert_int_equal(VIRTIO_MSG_REVISION, 1);
	assert_int_equal(VMSG_PCIE_DMA_ADDR_BITS_MIN, 32);
	assert_int_equal(VMSG_PCIE_DMA_ADDR_BITS_MAX, 64);
}

static void test_states_and_codes(void **state)
{
	const uint32_t attach[] = {VMSG_ATTACH_OK,    VMSG_ATTACH_EFEATURES, VMSG_ATTACH_EEPOCH,
				   VMSG_ATTACH_EAREA, VMSG_ATTACH_EIRQ,	     VMSG_ATTACH_EVERSION};
	size_t i, j;

	(void)state;
	assert_int_equal(VMSG_LINK_INIT, 0);
	assert_int_equal(VMSG_LINK_READY, 1);
	assert_int_equal(VMSG_LINK_RUN, 2);
	assert_int_equal(VMSG_LINK_SHUTDOWN, 3);
	assert_int_equal(VMSG_LINK_PEER_DEAD, 4);
	assert_int_equal(VMSG_HOST_CTRL_NONE, 0);
	assert_int_equal(VMSG_HOST_CTRL_ATTACH, 1);
	assert_int_equal(VMSG_HOST_CTRL_DETACH, 2);
	assert_int_equal(VMSG_IRQ_POLL, 0);
	assert_int_equal(VMSG_IRQ_MSIX, 1);
	assert_int_equal(VMSG_IRQ_MSI, 2);
	for (i = 0; i < sizeof(attach) / sizeof(attach[0]); i++)
		for (j = i + 1; j < sizeof(attach) / sizeof(attach[0]); j++)
			assert_int_not_equal(attach[i], attach[j]);
	assert_int_equal(VMSG_ATTACH_OK, 0);
	assert_int_equal(VMSG_ATTACH_EFEATURES, 1);
	assert_int_equal(VMSG_ATTACH_EEPOCH, 2);
	assert_int_equal(VMSG_ATTACH_EAREA, 3);
	assert_int_equal(VMSG_ATTACH_EIRQ, 4);
	assert_int_equal(VMSG_ATTACH_EVERSION, 5);
	assert_int_equal(VMSG_DB_H2C, 0);
	assert_int_equal(VMSG_DB_CTRL, 1);
	assert_true(VMSG_DB_CTRL < VMSG_PCIE_MAX_DOORBELLS);
}

/* Section 8.5. */
static void test_bus_error(void **state)
{
	(void)state;
	assert_int_equal(VMSG_PCIE_BUS_MSG_ERROR, 0x80);
	/* Implementation-defined request/response range 0x80-0xBF. */
	assert_true(VMSG_PCIE_BUS_MSG_ERROR & VIRTIO_MSG_ID_IMPL_BIT);
	assert_false(VMSG_PCIE_BUS_MSG_ERROR & VIRTIO_MSG_ID_EVENT_BIT);
	assert_int_equal(sizeof(struct vmsg_pcie_bus_msg_error), 8);
	assert_int_equal(offsetof(struct vmsg_pcie_bus_msg_error, req_type), 0);
	assert_int_equal(offsetof(struct vmsg_pcie_bus_msg_error, req_msg_id), 1);
	assert_int_equal(offsetof(struct vmsg_pcie_bus_msg_error, req_dev_num), 2);
	assert_int_equal(offsetof(struct vmsg_pcie_bus_msg_error, error), 4);
	assert_int_equal(offsetof(struct vmsg_pcie_bus_msg_error, reserved), 6);
	assert_int_equal(VIRTIO_MSG_SIZE(sizeof(struct vmsg_pcie_bus_msg_error)), 16);
	assert_true(VIRTIO_MSG_SIZE(sizeof(struct vmsg_pcie_bus_msg_error)) <=
		    VMSG_PCIE_MIN_MSG_SIZE);
	assert_int_equal(VMSG_PCIE_ERR_NO_DEVICE, 1);
	assert_int_equal(VMSG_PCIE_ERR_SHUTDOWN, 2);
	assert_int_equal(VMSG_PCIE_ERR_UNSUPPORTED, 3);
	assert_int_equal(VMSG_PCIE_ERR_BUSY, 4);
}

static void test_feature_bits(void **state)
{
	const uint32_t f[] = {VMSG_PCIE_F_C2H_HOST_MEM, VMSG_PCIE_F_MSIX,
			      VMSG_PCIE_F_MSI,		VMSG_PCIE_F_ERROR_MSG,
			      VMSG_PCIE_F_OOB_NOTIFY,	VMSG_PCIE_F_DMA_ENGINE};
	uint32_t all = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		assert_true(pow2(f[i])); /* exactly one bit */
		assert_int_equal(all & f[i], 0);
		all |= f[i];
	}
	/* Section 4.3: bits 0..5 in this order. */
	assert_int_equal(VMSG_PCIE_F_C2H_HOST_MEM, 1u << 0);
	assert_int_equal(VMSG_PCIE_F_MSIX, 1u << 1);
	assert_int_equal(VMSG_PCIE_F_MSI, 1u << 2);
	assert_int_equal(VMSG_PCIE_F_ERROR_MSG, 1u << 3);
	assert_int_equal(VMSG_PCIE_F_OOB_NOTIFY, 1u << 4);
	assert_int_equal(VMSG_PCIE_F_DMA_ENGINE, 1u << 5);
	/* 1.0 negotiates everything defined except OOB_NOTIFY; 1.1 everything. */
	assert_int_equal(VMSG_PCIE_F_KNOWN_1_0 & VMSG_PCIE_F_OOB_NOTIFY, 0);
	assert_int_equal(VMSG_PCIE_F_KNOWN_1_0, all & ~VMSG_PCIE_F_OOB_NOTIFY);
	assert_int_equal(VMSG_PCIE_F_KNOWN_1_1, all);
}

/* Section 7.5: the queue map entry, the vector and doorbell range rules. */
static void test_oob_abi(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vmsg_pcie_oob_entry), 8);
	assert_int_equal(offsetof(struct vmsg_pcie_oob_entry, dev_num), 0);
	assert_int_equal(offsetof(struct vmsg_pcie_oob_entry, queue), 2);
	assert_int_equal(offsetof(struct vmsg_pcie_oob_entry, vector), 4);
	assert_int_equal(VMSG_OOB_DB_FIRST, 2);
	assert_int_equal(VMSG_OOB_VEC_NONE, 0xffff);
	/* entry n describes doorbell n: one entry per doorbell register */
	assert_int_equal(VMSG_OOB_MAP_COUNT, VMSG_PCIE_MAX_DOORBELLS);
	/* the default c2h consumer line does not overlap the map */
	assert_true(VMSG_BAR0_C2H_CONS_OFFSET >= offsetof(struct vmsg_pcie_regs, oob_map) +
						     sizeof(((struct vmsg_pcie_regs *)0)->oob_map));

	/* [OOB-4]: hostile vectors become NONE (in-band). */
	assert_int_equal(vmsg_oob_vector_ok(1, VMSG_IRQ_MSIX, 8, 8, 0), 1);
	assert_int_equal(vmsg_oob_vector_ok(7, VMSG_IRQ_MSIX, 8, 8, 0), 7);
	assert_int_equal(vmsg_oob_vector_ok(8, VMSG_IRQ_MSIX, 8, 8, 0), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(5, VMSG_IRQ_MSIX, 4, 8, 0), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(5, VMSG_IRQ_MSIX, 32, 4, 0), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(0, VMSG_IRQ_MSIX, 8, 8, 0), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(3, VMSG_IRQ_MSIX, 8, 8, 3), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(1, VMSG_IRQ_POLL, 8, 8, 0), VMSG_OOB_VEC_NONE);
	assert_int_equal(vmsg_oob_vector_ok(0xffff, VMSG_IRQ_MSIX, 0xffffffffu, 0xffffffffu, 0),
			 VMSG_OOB_VEC_NONE);
	/* a host claiming 2^32-1 vectors is bounded by the card's own count */
	assert_int_equal(vmsg_oob_vector_ok(9, VMSG_IRQ_MSI, 0xffffffffu, 8, 0), VMSG_OOB_VEC_NONE);
	/* [OOB-5]: doorbells 0 and 1 never carry a queue; nothing at or above the count. */
	assert_false(vmsg_oob_db_ok(0, 32));
	assert_false(vmsg_oob_db_ok(1, 32));
	assert_true(vmsg_oob_db_ok(2, 32));
	assert_true(vmsg_oob_db_ok(31, 32));
	assert_false(vmsg_oob_db_ok(32, 32));
	assert_false(vmsg_oob_db_ok(5, 5));
	assert_false(vmsg_oob_db_ok(40, 0xffffffffu));
	/* [EMU-4]: an ivshmem vector that exists. */
	assert_int_equal(vmsg_emu_db_vector(3, 8), 3);
	assert_int_equal(vmsg_emu_db_vector(8, 8), VMSG_DB_H2C);
	assert_int_equal(vmsg_emu_db_vector(31, 2), VMSG_DB_H2C);
}

static void test_timeouts(void **state)
{
	(void)state;
	assert_int_equal(VMSG_PCIE_ATTACH_TIMEOUT_MS, 5000);
	assert_int_equal(VMSG_PCIE_REQUEST_TIMEOUT_MS, 2000);
	assert_int_equal(VMSG_PCIE_RESET_TIMEOUT_MS, 5000);
	assert_int_equal(VMSG_PCIE_PING_INTERVAL_MS, 500);
	assert_int_equal(VMSG_PCIE_PING_MISSES, 3);
	assert_int_equal(VMSG_PCIE_NOTIFY_RECHECK_MS, 100);
	assert_int_equal(VMSG_PCIE_SET_CONFIG_TRIES, 3);
	/* A lost notification is recovered well before a request times out,
	 * and the card's periodic checks are faster than the PING period. */
	assert_true(VMSG_PCIE_NOTIFY_RECHECK_MS < VMSG_PCIE_PING_INTERVAL_MS);
	assert_true(VMSG_PCIE_PING_INTERVAL_MS < VMSG_PCIE_REQUEST_TIMEOUT_MS);
}

static void test_ids(void **state)
{
	(void)state;
	assert_int_equal(VMSG_PCIE_VENDOR_ID, 0x766d);
	assert_int_equal(VMSG_PCIE_DEVICE_ID, 0x0001);
	assert_int_equal(VMSG_PCIE_SUBSYS_VENDOR_ID, 0x766d);
	assert_int_equal(VMSG_PCIE_SUBSYS_ID, 0x0001);
	assert_int_equal(VMSG_PCIE_CLASS, 0xff0000);
	/* Never virtio-pci's vendor: virtio-pci would claim the function. */
	assert_int_not_equal(VMSG_PCIE_VENDOR_ID, 0x1af4);
	assert_int_not_equal(VMSG_PCIE_SUBSYS_VENDOR_ID, 0x1af4);
	/* The emulated link is QEMU's ivshmem-doorbell, memory in BAR 2. */
	assert_int_equal(VMSG_EMU_VENDOR_ID, 0x1af4);
	assert_int_equal(VMSG_EMU_DEVICE_ID, 0x1110);
	assert_int_equal(VMSG_EMU_SHMEM_BAR, 2);
	assert_int_equal(VMSG_EMU_REG_IVPOSITION, 0x08);
	assert_int_equal(VMSG_EMU_REG_DOORBELL, 0x0c);
	assert_int_equal(VMSG_EMU_CARD_PEER_ID, 0);
}

static const char *pci_ids_path(void)
{
	static const char *const paths[] = {"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
					    "/usr/share/pci.ids"};
	const char *env = getenv("VMSG_PCI_IDS");
	size_t i;

	if (env && *env)
		return access(env, R_OK) == 0 ? env : NULL;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

static bool hex4(const char *s, unsigned int *v)
{
	char buf[5];
	char *end;
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
		buf[i] = s[i];
	}
	buf[4] = 0;
	*v = (unsigned int)strtoul(buf, &end, 16);
	return true;
}

/*
 * Neither our vendor id (as a vendor or a subsystem vendor) nor our
 * (vendor, device) and (subvendor, subdevice) pairs may appear in pci.ids.
 * Format: "vvvv  name", "\tdddd  name", "\t\tssss ssss  name"; the class
 * list ("C xx  name") ends the vendor part.
 */
static void test_ids_not_in_pci_ids(void **state)
{
	const char *path = pci_ids_path();
	unsigned int vendor = 0xffffffffu, a, b;
	unsigned long lines = 0, vendors = 0;
	char line[512];
	FILE *f;

	(void)state;
	/* main() runs this test only once it found the file */
	if (!path)
		fail_msg("pci.ids disappeared");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (line[0] == 'C' && line[1] == ' ')
			break;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (line[0] != '\t' && hex4(line, &vendor)) {
			vendors++;
			if (vendor == VMSG_PCIE_VENDOR_ID || vendor == VMSG_PCIE_SUBSYS_VENDOR_ID)
				fail_msg("%s:%lu: vendor 0x%04x is assigned: %s", path, lines,
					 vendor, line);
		} else if (line[0] == '\t' && line[1] != '\t' && hex4(line + 1, &a)) {
			if (vendor == VMSG_PCIE_VENDOR_ID && a == VMSG_PCIE_DEVICE_ID)
				fail_msg("%s:%lu: (vendor, device) pair listed", path, lines);
		} else if (line[0] == '\t' && line[1] == '\t' && hex4(line + 2, &a) &&
			   line[6] == ' ' && hex4(line + 7, &b)) {
			if (a == VMSG_PCIE_SUBSYS_VENDOR_ID || a == VMSG_PCIE_VENDOR_ID)
				fail_msg("%s:%lu: subsystem vendor 0x%04x listed (%04x:%04x)", path,
					 lines, a, a, b);
		}
	}
	fclose(f);
	/* A parser that saw nothing would pass anything. */
	assert_true(vendors > 1000);
	print_message("[  INFO    ] %s: %lu vendors, none is 0x%04x\n", path, vendors,
		      VMSG_PCIE_VENDOR_ID);
}

/*
 * Without arguments: the ABI tables. With "pci-ids" (its own meson test,
 * pcie_abi_pci_ids): our ids against pci.ids; when no pci.ids is installed
 * that test exits 77, which meson and scripts/check.sh count as skipped,
 * never as a pass.
 */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regs_layout),
	    cmocka_unit_test(test_ring_layout),
	    cmocka_unit_test(test_ring_constants),
	    cmocka_unit_test(test_default_bar0_layout),
	    cmocka_unit_test(test_host_area),
	    cmocka_unit_test(test_message_sizes),
	    cmocka_unit_test(test_identity_values),
	    cmocka_unit_test(test_states_and_codes),
	    cmocka_unit_test(test_bus_error),
	    cmocka_unit_test(test_feature_bits),
	    cmocka_unit_test(test_oob_abi),
	    cmocka_unit_test(test_timeouts),
	    cmocka_unit_test(test_ids),
	};
	const struct CMUnitTest pci_ids_tests[] = {
	    cmocka_unit_test(test_ids_not_in_pci_ids),
	};

	if (argc > 1 && !strcmp(argv[1], "pci-ids")) {
		if (!pci_ids_path()) {
			fprintf(stderr,
				"SKIP: pci.ids not found (/usr/share/misc/pci.ids, package "
				"pci.ids, or $VMSG_PCI_IDS): vendor-id uniqueness not checked\n");
			return 77;
		}
		return cmocka_run_group_tests(pci_ids_tests, NULL, NULL);
	}
	if (argc > 1) {
		fprintf(stderr, "usage: %s [pci-ids]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
