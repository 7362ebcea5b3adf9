/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_ring.c - vmsg_ring: header validation, produce/consume, wrap,
 * full/empty, hostile producer and consumer indices, hostile slot framing,
 * NEED_NOTIFY and an external consumer line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmsg_ring.h"

#define SLOT  VMSG_RING_DEFAULT_SLOT_SIZE
#define COUNT 8u
#define MEM   VMSG_RING_BYTES(SLOT, COUNT)
#define MAXM  (SLOT - 8u)

static uint8_t mem[MEM + 256] __attribute__((aligned(64)));
static struct vmsg_ring_idx ext_line __attribute__((aligned(64)));

struct pair {
	struct vmsg_ring p, c;
};

static int setup(void **state)
{
	static struct pair pr;

	memset(mem, 0xa5, sizeof(mem));
	memset(&ext_line, 0, sizeof(ext_line));
	memset(&pr, 0, sizeof(pr));
	assert_int_equal(vmsg_ring_format(mem, MEM, SLOT, COUNT), 0);
	assert_int_equal(vmsg_ring_attach_producer(&pr.p, mem, MEM, NULL), 0);
	assert_int_equal(vmsg_ring_attach_consumer(&pr.c, mem, MEM, NULL), 0);
	*state = &pr;
	return 0;
}

static struct vmsg_ring_hdr *hdr(void)
{
	return (struct vmsg_ring_hdr *)mem;
}

static struct vmsg_ring_idx *line(unsigned int n)
{
	return (struct vmsg_ring_idx *)(mem + n * VMSG_RING_LINE);
}

static uint8_t *slot_at(uint32_t idx)
{
	return mem + VMSG_RING_HDR_SIZE + (size_t)(idx & (COUNT - 1)) * SLOT;
}

static void fill(uint8_t *b, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 31u + i * 7u);
}

static void test_geometry(void **state)
{
	(void)state;
	assert_true(vmsg_ring_geometry_ok(SLOT, COUNT, MEM));
	assert_false(vmsg_ring_geometry_ok(SLOT, COUNT, MEM - 1));
	assert_false(vmsg_ring_geometry_ok(SLOT, 3, 1u << 20));
	assert_false(vmsg_ring_geometry_ok(SLOT, 1, 1u << 20));
	assert_false(vmsg_ring_geometry_ok(SLOT, VMSG_RING_MAX_SLOTS * 2, (size_t)1 << 30));
	assert_true(vmsg_ring_geometry_ok(64, VMSG_RING_MAX_SLOTS, (size_t)1 << 30));
	assert_false(vmsg_ring_geometry_ok(SLOT + 8, COUNT, 1u << 20));
	assert_false(vmsg_ring_geometry_ok(0, COUNT, 1u << 20));
	assert_false(vmsg_ring_geometry_ok(VMSG_RING_MAX_SLOT_SIZE + 64, COUNT, 1u << 20));
	assert_true(vmsg_ring_geometry_ok(VMSG_RING_MAX_SLOT_SIZE, COUNT, 1u << 20));
}

static void test_format(void **state)
{
	(void)state;
	assert_int_equal(vmsg_ring_format(mem, MEM - 1, SLOT, COUNT), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_format(mem + 4, MEM, SLOT, COUNT), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_format(NULL, MEM, SLOT, COUNT), -VMSG_RING_EINVAL);
	assert_int_equal(hdr()->magic, VMSG_RING_MAGIC);
	assert_int_equal(hdr()->slot_count, COUNT);
	assert_int_equal(hdr()->slot_size, SLOT);
	assert_int_equal(hdr()->hdr_size, VMSG_RING_HDR_SIZE);
	assert_int_equal(line(1)->idx, 0);
	assert_int_equal(line(2)->idx, 0);
	assert_int_equal(line(2)->flags, 0);
}

/* Corrupt one header field; both attach flavours must refuse. */
static void expect_attach_fails(size_t off, uint32_t val, unsigned int width)
{
	struct vmsg_ring r;

	assert_int_equal(vmsg_ring_format(mem, MEM, SLOT, COUNT), 0);
	if (width == 2) {
		uint16_t v = (uint16_t)val;

		memcpy(mem + off, &v, 2);
	} else {
		memcpy(mem + off, &val, 4);
	}
	assert_int_equal(vmsg_ring_attach_producer(&r, mem, MEM, NULL), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_attach_consumer(&r, mem, MEM, NULL), -VMSG_RING_EINVAL);
}

#define HOFF(f) offsetof(struct vmsg_ring_hdr, f)

static void test_attach_rejects(void **state)
{
	struct vmsg_ring r;

	(void)state;
	expect_attach_fails(HOFF(magic), VMSG_RING_MAGIC ^ 1, 4);
	expect_attach_fails(HOFF(version), VMSG_RING_VERSION + 1, 2);
	expect_attach_fails(HOFF(hdr_size), VMSG_RING_HDR_SIZE + 64, 2);
	expect_attach_fails(HOFF(slot_size), SLOT + 8, 4);
	expect_attach_fails(HOFF(slot_size), 0, 4);
	expect_attach_fails(HOFF(slot_size), SLOT * 2, 4); /* exceeds mem_size */
	expect_attach_fails(HOFF(slot_size), VMSG_RING_MAX_SLOT_SIZE + 64, 4);
	expect_attach_fails(HOFF(slot_count), COUNT + 1, 4);
	expect_attach_fails(HOFF(slot_count), COUNT * 2, 4); /* exceeds mem_size */
	expect_attach_fails(HOFF(slot_count), 1, 4);
	expect_attach_fails(HOFF(slot_count), 0, 4);
	expect_attach_fails(HOFF(slot_count), 0x80000000u, 4);
	expect_attach_fails(HOFF(prod_offset), 0, 4);
	expect_attach_fails(HOFF(cons_offset), VMSG_RING_LINE, 4);
	expect_attach_fails(HOFF(slots_offset), VMSG_RING_HDR_SIZE + 64, 4);
	expect_attach_fails(HOFF(flags), 1, 4);

	assert_int_equal(vmsg_ring_format(mem, MEM, SLOT, COUNT), 0);
	assert_int_equal(vmsg_ring_attach_consumer(&r, mem, MEM - 1, NULL), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_attach_consumer(&r, mem, 64, NULL), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_attach_consumer(&r, NULL, MEM, NULL), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_attach_consumer(&r, mem, MEM, (void *)(mem + MEM + 4)),
			 -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_attach_consumer(&r, mem, MEM, NULL), 0);
	assert_int_equal(r.slot_count, COUNT);
	assert_int_equal(r.slot_size, SLOT);
	assert_int_equal(r.mask, COUNT - 1);
}

/* Geometry is cached at attach: rewriting the header later changes nothing. */
static void test_geometry_cached(void **state)
{
	struct pair *pr = *state;
	uint8_t in[16] = {1, 2, 3}, out[MAXM];
	uint32_t ep;

	hdr()->slot_count = 1u << 20;
	hdr()->slot_size = 64;
	assert_int_equal(vmsg_ring_produce(&pr->p, in, sizeof(in), 9), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), &ep), (int)sizeof(in));
	assert_int_equal(pr->c.slot_count, COUNT);
	assert_memory_equal(in, out, sizeof(in));
}

static void test_roundtrip(void **state)
{
	struct pair *pr = *state;
	uint8_t in[MAXM], out[MAXM];
	uint32_t ep = 0;

	for (uint32_t len = 1; len <= MAXM; len += 37) {
		fill(in, len, len);
		memset(out, 0, sizeof(out));
		assert_int_equal(vmsg_ring_produce(&pr->p, in, len, 0x1234u + len), 0);
		assert_int_equal(vmsg_ring_pending(&pr->c), 1);
		assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), &ep), (int)len);
		assert_int_equal(ep, 0x1234u + len);
		assert_memory_equal(in, out, len);
	}
	/* Unaligned source and destination take the byte path. */
	fill(in, 100, 5);
	assert_int_equal(vmsg_ring_produce(&pr->p, in + 1, 99, 1), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, out + 3, sizeof(out) - 3, NULL), 99);
	assert_memory_equal(in + 1, out + 3, 99);
	/* Framing on the wire: len, flags 0, epoch, little-endian. */
	assert_int_equal(vmsg_ring_produce(&pr->p, in, 44, 0xdeadbeefu), 0);
	{
		struct vmsg_slot_hdr sh;

		memcpy(&sh, slot_at(pr->p.local - 1), sizeof(sh));
		assert_int_equal(vmsg_le16_to_cpu(sh.len), 44);
		assert_int_equal(sh.flags, 0);
		assert_int_equal(vmsg_le32_to_cpu(sh.epoch), 0xdeadbeefu);
	}
	assert_int_equal(line(1)->idx, pr->p.local);
}

static void test_empty_full(void **state)
{
	struct pair *pr = *state;
	uint8_t buf[MAXM] = {0};

	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(vmsg_ring_pending(&pr->c), 0);
	assert_int_equal(vmsg_ring_space(&pr->p), COUNT);
	for (uint32_t i = 0; i < COUNT; i++) {
		buf[0] = (uint8_t)i;
		assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);
	}
	assert_int_equal(vmsg_ring_space(&pr->p), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), -VMSG_RING_EAGAIN);
	assert_int_equal(vmsg_ring_pending(&pr->c), COUNT);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 8);
	assert_int_equal(buf[0], 0);
	assert_int_equal(vmsg_ring_space(&pr->p), 1);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), -VMSG_RING_EAGAIN);
	for (uint32_t i = 1; i <= COUNT; i++) {
		assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 8);
		assert_int_equal(buf[0], (uint8_t)(i == COUNT ? 0 : i));
	}
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(pr->c.bad, 0);
	assert_int_equal(pr->p.bad, 0);
}

static void test_msgsize(void **state)
{
	struct pair *pr = *state;
	uint8_t buf[SLOT] = {0};

	assert_int_equal(vmsg_ring_produce(&pr->p, buf, MAXM + 1, 0), -VMSG_RING_EMSGSIZE);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, UINT32_MAX, 0), -VMSG_RING_EMSGSIZE);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 0, 0), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_produce(&pr->p, NULL, 8, 0), -VMSG_RING_EINVAL);
	assert_int_equal(vmsg_ring_pending(&pr->c), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, MAXM, 0), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), (int)MAXM);
}

/* Start both indices just below 2^32 and run several laps across the wrap. */
static void test_wrap_u32(void **state)
{
	struct pair *pr = *state;
	uint8_t in[64], out[MAXM];
	const uint32_t start = UINT32_MAX - 5;

	line(1)->idx = vmsg_cpu_to_le32(start);
	line(2)->idx = vmsg_cpu_to_le32(start);
	assert_int_equal(vmsg_ring_attach_producer(&pr->p, mem, MEM, NULL), 0);
	assert_int_equal(vmsg_ring_attach_consumer(&pr->c, mem, MEM, NULL), 0);
	assert_int_equal(pr->p.local, start);
	assert_int_equal(vmsg_ring_space(&pr->p), COUNT);
	for (uint32_t i = 0; i < 5 * COUNT; i++) {
		uint32_t n = i % COUNT + 1;

		for (uint32_t k = 0; k < n; k++) {
			fill(in, sizeof(in), i * 100 + k);
			assert_int_equal(vmsg_ring_produce(&pr->p, in, sizeof(in), i), 0);
		}
		assert_int_equal(vmsg_ring_pending(&pr->c), n);
		for (uint32_t k = 0; k < n; k++) {
			fill(in, sizeof(in), i * 100 + k);
			assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL),
					 (int)sizeof(in));
			assert_memory_equal(in, out, sizeof(in));
		}
	}
	assert_true(pr->p.local < start); /* wrapped */
	assert_int_equal(pr->c.local, pr->p.local);
	assert_int_equal(pr->c.bad, 0);
}

static void test_hostile_prod_index(void **state)
{
	struct pair *pr = *state;
	uint8_t buf[MAXM] = {0};
	uint32_t hostile = pr->c.local + COUNT + 1;

	line(1)->idx = vmsg_cpu_to_le32(hostile);
	assert_int_equal(vmsg_ring_pending(&pr->c), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), -VMSG_RING_EPROTO);
	assert_int_equal(pr->c.bad, 1);
	/* Resynchronised: consumer index published at the producer's. */
	assert_int_equal(pr->c.local, hostile);
	assert_int_equal(vmsg_le32_to_cpu(line(2)->idx), hostile);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 0);

	/* Producer index moved backwards: just as impossible. */
	line(1)->idx = vmsg_cpu_to_le32(hostile - 1);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), -VMSG_RING_EPROTO);
	assert_int_equal(pr->c.bad, 2);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 0);

	/* Exactly slot_count ahead is legal (a full ring). */
	line(1)->idx = vmsg_cpu_to_le32(pr->c.local + COUNT);
	assert_int_equal(vmsg_ring_pending(&pr->c), COUNT);
}

static void test_hostile_slot_len(void **state)
{
	struct pair *pr = *state;
	uint8_t in[64], out[MAXM];
	uint16_t bad_len;

	fill(in, sizeof(in), 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vmsg_ring_produce(&pr->p, in, sizeof(in), 7), 0);
	bad_len = (uint16_t)(MAXM + 1);
	memcpy(slot_at(0), &bad_len, 2);
	bad_len = 0xffff;
	memcpy(slot_at(1), &bad_len, 2);
	bad_len = 0;
	memcpy(slot_at(2), &bad_len, 2);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL), -VMSG_RING_EPROTO);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL), -VMSG_RING_EPROTO);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL), -VMSG_RING_EPROTO);
	assert_int_equal(pr->c.bad, 3);
	/* Longer than the caller's buffer: skipped, not truncated. */
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(vmsg_ring_consume(&pr->c, out, 63, NULL), -VMSG_RING_EPROTO);
	assert_int_equal(out[0], 0x5a);
	assert_int_equal(pr->c.bad, 4);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL), 64);
	assert_memory_equal(in, out, 64);
	assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL), 0);
	/* Every skipped slot was released to the producer. */
	assert_int_equal(vmsg_ring_space(&pr->p), COUNT);
}

static void test_hostile_cons_index(void **state)
{
	struct pair *pr = *state;
	uint8_t buf[16] = {0};

	/* Consumer claims to be ahead of the producer. */
	line(2)->idx = vmsg_cpu_to_le32(pr->p.local + 4 * COUNT);
	assert_int_equal(vmsg_ring_space(&pr->p), COUNT); /* last sane value kept */
	assert_int_equal(pr->p.bad, 1);
	for (uint32_t i = 0; i < COUNT; i++)
		assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), -VMSG_RING_EAGAIN);
	assert_true(pr->p.bad >= 2);
	/* A sane index again: the producer goes on. */
	line(2)->idx = vmsg_cpu_to_le32(pr->p.local - (COUNT - 2));
	assert_int_equal(vmsg_ring_space(&pr->p), 2);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);

	/* An attach with impossible indices starts "full", never overwrites. */
	line(1)->idx = vmsg_cpu_to_le32(100);
	line(2)->idx = vmsg_cpu_to_le32(5000);
	assert_int_equal(vmsg_ring_attach_producer(&pr->p, mem, MEM, NULL), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), -VMSG_RING_EAGAIN);
}

static void test_need_notify(void **state)
{
	struct pair *pr = *state;

	assert_false(vmsg_ring_consumer_wants_notify(&pr->p));
	vmsg_ring_set_need_notify(&pr->c, true);
	assert_int_equal(vmsg_le32_to_cpu(line(2)->flags), VMSG_RING_F_NEED_NOTIFY);
	assert_true(vmsg_ring_consumer_wants_notify(&pr->p));
	vmsg_ring_set_need_notify(&pr->c, false);
	assert_int_equal(line(2)->flags, 0);
	assert_false(vmsg_ring_consumer_wants_notify(&pr->p));
}

static void test_external_cons_line(void **state)
{
	struct pair *pr = *state;
	uint8_t in[40], out[MAXM];

	line(2)->idx = vmsg_cpu_to_le32(0x77u); /* the in-ring line is not used */
	assert_int_equal(vmsg_ring_attach_producer(&pr->p, mem, MEM, &ext_line), 0);
	assert_int_equal(vmsg_ring_attach_consumer(&pr->c, mem, MEM, &ext_line), 0);
	assert_ptr_equal(pr->c.cons, &ext_line);
	fill(in, sizeof(in), 9);
	for (uint32_t i = 0; i < 3 * COUNT; i++) {
		assert_int_equal(vmsg_ring_produce(&pr->p, in, sizeof(in), i), 0);
		assert_int_equal(vmsg_ring_consume(&pr->c, out, sizeof(out), NULL),
				 (int)sizeof(in));
		assert_int_equal(vmsg_le32_to_cpu(ext_line.idx), i + 1);
	}
	assert_int_equal(vmsg_le32_to_cpu(line(2)->idx), 0x77u);
	vmsg_ring_set_need_notify(&pr->c, true);
	assert_int_equal(vmsg_le32_to_cpu(ext_line.flags), VMSG_RING_F_NEED_NOTIFY);
	assert_int_equal(line(2)->flags, 0);
	assert_true(vmsg_ring_consumer_wants_notify(&pr->p));
}

static void test_reset_local(void **state)
{
	struct pair *pr = *state;
	uint8_t buf[16] = {0};

	for (int i = 0; i < 3; i++)
		assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 8);
	vmsg_ring_set_need_notify(&pr->c, true);

	vmsg_ring_reset_local(&pr->p);
	assert_int_equal(line(1)->idx, 0);
	assert_int_equal(vmsg_le32_to_cpu(line(2)->idx), 1); /* not the producer's line */
	assert_int_equal(pr->p.local, 0);

	vmsg_ring_reset_local(&pr->c);
	assert_int_equal(line(2)->idx, 0);
	assert_int_equal(line(2)->flags, 0);
	assert_int_equal(pr->c.local, 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(vmsg_ring_produce(&pr->p, buf, 8, 0), 0);
	assert_int_equal(vmsg_ring_consume(&pr->c, buf, sizeof(buf), NULL), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_geometry),
	    cmocka_unit_test_setup(test_format, setup),
	    cmocka_unit_test(test_attach_rejects),
	    cmocka_unit_test_setup(test_geometry_cached, setup),
	    cmocka_unit_test_setup(test_roundtrip, setup),
	    cmocka_unit_test_setup(test_empty_full, setup),
	    cmocka_unit_test_setup(test_msgsize, setup),
	    cmocka_unit_test_setup(test_wrap_u32, setup),
	    cmocka_unit_test_setup(test_hostile_prod_index, setup),
	    cmocka_unit_test_setup(test_hostile_slot_len, setup),
	    cmocka_unit_test_setup(test_hostile_cons_index, setup),
	    cmocka_unit_test_setup(test_need_notify, setup),
	    cmocka_unit_test_setup(test_external_cons_line, setup),
	    cmocka_unit_test_setup(test_reset_local, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
