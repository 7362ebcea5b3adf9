/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_virtq.c - split virtqueue helpers: the driver side and the device
 * side against the same fake host memory (a bounds-checked accessor), multi
 * segment chains, indirect tables, 16-bit index wrap, every hostile chain
 * shape the device must refuse (and refuse in bounded time), hostile used
 * entries on the driver side, notification suppression and event indices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmsg_virtq.h"

#define HBASE	 0x1000000000ull /* DMA address of host[0] */
#define HSIZE	 (256u * 1024u)
#define DATA_OFF (128u * 1024u) /* data buffers live above the rings */
#define QSIZE	 8u

static uint8_t host[HSIZE] __attribute__((aligned(4096)));
static struct vmsg_vq_drv_state drv_state[VMSG_VRING_MAX_SIZE];

struct acc {
	uint64_t reads, writes, faults;
};

static struct acc acc;

static bool in_host(uint64_t addr, size_t len)
{
	return addr >= HBASE && addr - HBASE <= HSIZE && len <= HSIZE - (addr - HBASE);
}

static int acc_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct acc *a = ctx;

	a->reads++;
	if (!in_host(addr, len)) {
		a->faults++;
		return -1;
	}
	memcpy(dst, host + (addr - HBASE), len);
	return 0;
}

static int acc_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	struct acc *a = ctx;

	a->writes++;
	if (!in_host(addr, len)) {
		a->faults++;
		return -1;
	}
	memcpy(host + (addr - HBASE), src, len);
	return 0;
}

static const struct vmsg_mem_ops mem = {&acc, acc_read, acc_write};

struct qp {
	struct vmsg_vq_drv drv;
	struct vmsg_vq_dev dev;
	struct vmsg_vq_chain chain;
};

static struct qp qp;

static void qp_init(uint32_t size, bool event_idx, bool indirect)
{
	memset(host, 0, sizeof(host));
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(
	    vmsg_vq_drv_init(&qp.drv, host, DATA_OFF, HBASE, size, drv_state, event_idx), 0);
	assert_int_equal(vmsg_vq_dev_init(&qp.dev, &mem, size, qp.drv.desc_addr, qp.drv.avail_addr,
					  qp.drv.used_addr, event_idx, indirect),
			 0);
}

static int setup_plain(void **state)
{
	(void)state;
	qp_init(QSIZE, false, true);
	return 0;
}

static int setup_event(void **state)
{
	(void)state;
	qp_init(QSIZE, true, true);
	return 0;
}

static uint64_t data_addr(uint32_t off)
{
	return HBASE + DATA_OFF + off;
}

static uint8_t *data_ptr(uint32_t off)
{
	return host + DATA_OFF + off;
}

static struct vmsg_vq_buf buf(uint32_t off, uint32_t len)
{
	struct vmsg_vq_buf b = {data_addr(off), len};

	return b;
}

/* ---- layout and arithmetic ---- */

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(vmsg_vring_desc_size(256), 4096);
	assert_int_equal(vmsg_vring_avail_size(256), 6 + 512);
	assert_int_equal(vmsg_vring_used_size(256), 6 + 2048);
	assert_int_equal(vmsg_vring_used_event_off(256), 4 + 512);
	assert_int_equal(vmsg_vring_avail_event_off(256), 4 + 2048);
	/* Legacy layout, 4096 alignment: 256 entries -> used at 8192. */
	assert_int_equal(vmsg_vring_used_offset(256, 4096), 8192);
	assert_int_equal(vmsg_vring_size(256, 4096), 8192 + 6 + 2048);
	assert_int_equal(vmsg_vring_used_offset(1, 4), 24);
	assert_int_equal(offsetof(struct vmsg_vring_desc, flags), 12);
	assert_int_equal(offsetof(struct vmsg_vring_used, ring), 4);
}

static void test_need_event(void **state)
{
	(void)state;
	assert_true(vmsg_vring_need_event(0, 1, 0));
	assert_false(vmsg_vring_need_event(1, 1, 0));
	assert_true(vmsg_vring_need_event(3, 10, 3));
	assert_true(vmsg_vring_need_event(9, 10, 3));
	assert_false(vmsg_vring_need_event(10, 10, 3));
	assert_false(vmsg_vring_need_event(2, 10, 3));
	assert_false(vmsg_vring_need_event(5, 5, 5)); /* nothing new */
	/* across the 16-bit wrap */
	assert_true(vmsg_vring_need_event(0xffff, 0x0002, 0xfffe));
	assert_true(vmsg_vring_need_event(0x0001, 0x0002, 0xfffe));
	assert_false(vmsg_vring_need_event(0x0002, 0x0002, 0xfffe));
	assert_false(vmsg_vring_need_event(0xfffd, 0x0002, 0xfffe));
	/* a full lap of 0x8000: every event in the window */
	assert_true(vmsg_vring_need_event(0x4000, 0x8000, 0x0000));
}

static void test_init_checks(void **state)
{
	struct vmsg_vq_dev d;
	struct vmsg_vq_drv v;
	const struct vmsg_mem_ops no_write = {&acc, acc_read, NULL};

	(void)state;
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 0, HBASE, HBASE, HBASE, 0, 0), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 6, HBASE, HBASE, HBASE, 0, 0), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 65536, HBASE, HBASE, HBASE, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 8, HBASE + 8, HBASE, HBASE, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 8, HBASE, HBASE + 1, HBASE, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 8, HBASE, HBASE, HBASE + 2, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 8, UINT64_MAX - 15, HBASE, HBASE, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &no_write, 8, HBASE, HBASE, HBASE, 0, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_dev_init(&d, &mem, 32768, HBASE, HBASE, HBASE, 0, 0), 0);
	assert_int_equal(d.size, 32768);

	assert_int_equal(
	    vmsg_vq_drv_init(&v, host, vmsg_vq_drv_ring_bytes(8) - 1, HBASE, 8, drv_state, 0),
	    -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_init(&v, host + 8, HSIZE - 8, HBASE, 8, drv_state, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_init(&v, host, HSIZE, HBASE, 12, drv_state, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_init(&v, host, HSIZE, HBASE, 8, NULL, 0), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_init(&v, host, HSIZE, HBASE, 8, drv_state, 0), 0);
	assert_int_equal(v.used_addr % VMSG_VQ_DRV_USED_ALIGN, 0);
	assert_int_equal(vmsg_vq_drv_num_free(&v), 8);
}

/* ---- normal operation ---- */

static void test_roundtrip(void **state)
{
	struct vmsg_vq_buf out[2] = {buf(0, 10), buf(100, 20)};
	struct vmsg_vq_buf in[2] = {buf(200, 5), buf(300, 50)};
	struct vmsg_vq_chain *c = &qp.chain;
	uint8_t got[30], want[30], wr[40];
	uint32_t len;
	uint16_t id;
	int head;

	(void)state;
	for (int i = 0; i < 10; i++)
		data_ptr(0)[i] = want[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 20; i++)
		data_ptr(100)[i] = want[10 + i] = (uint8_t)(0x80 + i);
	head = vmsg_vq_drv_add(&qp.drv, out, 2, in, 2);
	assert_true(head >= 0 && head < (int)QSIZE);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE - 4);
	assert_true(vmsg_vq_drv_kick_needed(&qp.drv));
	assert_false(vmsg_vq_drv_kick_needed(&qp.drv)); /* nothing new since */

	assert_int_equal(vmsg_vq_dev_avail(&qp.dev), 1);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, c), 1);
	assert_int_equal(c->head, head);
	assert_int_equal(c->nsegs, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->ndesc, 4);
	assert_int_equal(c->out_bytes, 30);
	assert_int_equal(c->in_bytes, 55);
	assert_false(c->seg[1].writable);
	assert_true(c->seg[2].writable);
	assert_int_equal(c->seg[3].addr, data_addr(300));

	assert_int_equal(vmsg_vq_chain_read(&mem, c, 0, got, 30), 0);
	assert_memory_equal(got, want, 30);
	assert_int_equal(vmsg_vq_chain_read(&mem, c, 7, got, 6), 0); /* across segments */
	assert_memory_equal(got, want + 7, 6);
	assert_int_equal(vmsg_vq_chain_read(&mem, c, 25, got, 6), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_chain_read(&mem, c, UINT32_MAX, got, 2), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_chain_read(&mem, c, 30, got, 0), 0);

	for (int i = 0; i < 40; i++)
		wr[i] = (uint8_t)(0xc0 + i);
	assert_int_equal(vmsg_vq_chain_write(&mem, c, 3, wr, 40), 0);
	assert_memory_equal(data_ptr(203), wr, 2);
	assert_memory_equal(data_ptr(300), wr + 2, 38);
	assert_int_equal(vmsg_vq_chain_write(&mem, c, 50, wr, 6), -VMSG_VQ_EINVAL);

	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, c), 0);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, (uint16_t)head, 43), 0);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, QSIZE, 0), -VMSG_VQ_EINVAL);
	assert_true(vmsg_vq_dev_need_notify(&qp.dev));
	assert_false(vmsg_vq_dev_need_notify(&qp.dev)); /* nothing new since */

	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 43);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 0);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE);
	assert_int_equal(qp.drv.bad, 0);
	assert_int_equal(acc.faults, 0);
}

static void test_zero_len_segments(void **state)
{
	struct vmsg_vq_buf out[3] = {buf(0, 4), buf(0, 0), buf(8, 4)};
	struct vmsg_vq_buf in[1] = {buf(16, 0)};

	(void)state;
	assert_true(vmsg_vq_drv_add(&qp.drv, out, 3, in, 1) >= 0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	assert_int_equal(qp.chain.ndesc, 4);
	assert_int_equal(qp.chain.nsegs, 2); /* empty ones walked, not stored */
	assert_int_equal(qp.chain.out_bytes, 8);
	assert_int_equal(qp.chain.in_bytes, 0);
}

static void test_indirect(void **state)
{
	struct vmsg_vring_desc *table = (struct vmsg_vring_desc *)data_ptr(4096);
	struct vmsg_vq_buf out[3] = {buf(0, 1), buf(1, 2), buf(3, 3)};
	struct vmsg_vq_buf in[2] = {buf(100, 7), buf(200, 9)};
	struct vmsg_vq_chain *c = &qp.chain;
	uint8_t got[6];
	uint32_t len;
	uint16_t id;
	int head;

	(void)state;
	for (int i = 0; i < 6; i++)
		data_ptr(0)[i] = (uint8_t)(i * 3);
	head = vmsg_vq_drv_add_indirect(&qp.drv, table, data_addr(4096), out, 3, in, 2);
	assert_true(head >= 0);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE - 1);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, c), 1);
	assert_int_equal(c->head, head);
	assert_int_equal(c->nsegs, 5);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->ndesc, 6); /* the indirect descriptor + 5 */
	assert_int_equal(c->out_bytes, 6);
	assert_int_equal(c->in_bytes, 16);
	assert_int_equal(vmsg_vq_chain_read(&mem, c, 0, got, 6), 0);
	assert_memory_equal(got, data_ptr(0), 6);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, c->head, 16), 0);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 16);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE);

	/* Not negotiated: the device refuses the indirect descriptor. */
	qp.dev.indirect = false;
	assert_true(vmsg_vq_drv_add_indirect(&qp.drv, table, data_addr(4096), out, 1, NULL, 0) >=
		    0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, c), -VMSG_VQ_EPROTO);
	assert_int_equal(qp.dev.stats.bad_indirect, 1);
}

/* Many laps around a queue of 4: the 16-bit indices wrap several times. */
static void test_index_wrap(void **state)
{
	struct vmsg_vq_buf in = buf(64, 16);
	uint32_t laps = 70000, seq = 0, done = 0, len;
	uint16_t id;

	(void)state;
	qp_init(4, true, false);
	vmsg_vq_drv_enable_cb(&qp.drv);
	while (done < laps) {
		uint32_t n = seq % 3 + 1;

		for (uint32_t k = 0; k < n; k++) {
			assert_true(vmsg_vq_drv_add(&qp.drv, NULL, 0, &in, 1) >= 0);
		}
		for (uint32_t k = 0; k < n; k++) {
			assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
			assert_int_equal(vmsg_vq_dev_push(&qp.dev, qp.chain.head, (done + k) % 17),
					 0);
		}
		for (uint32_t k = 0; k < n; k++) {
			assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
			assert_int_equal(len, (done + k) % 17);
		}
		done += n;
		seq++;
	}
	assert_true(done > 65536);
	assert_int_equal(qp.dev.last_avail, (uint16_t)done);
	assert_int_equal(qp.dev.used_idx, (uint16_t)done);
	assert_int_equal(qp.drv.last_used, (uint16_t)done);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), 4);
	assert_int_equal(qp.drv.bad, 0);
}

static void test_drv_add_errors(void **state)
{
	struct vmsg_vq_buf b[QSIZE + 1];
	struct vmsg_vring_desc *table = (struct vmsg_vring_desc *)data_ptr(4096);

	(void)state;
	for (uint32_t i = 0; i <= QSIZE; i++)
		b[i] = buf(i * 8, 8);
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, NULL, 0, NULL, 0), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, NULL, 1, NULL, 0), -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, b, QSIZE + 1, NULL, 0), -VMSG_VQ_EINVAL);
	b[0].len = UINT32_MAX;
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, b, 2, NULL, 0), -VMSG_VQ_EINVAL);
	b[0].len = 8;
	assert_true(vmsg_vq_drv_add(&qp.drv, b, 5, NULL, 0) >= 0);
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, b, 4, NULL, 0), -VMSG_VQ_EAGAIN);
	assert_true(vmsg_vq_drv_add(&qp.drv, b, 3, NULL, 0) >= 0);
	assert_int_equal(vmsg_vq_drv_add_indirect(&qp.drv, table, data_addr(4096), b, 1, NULL, 0),
			 -VMSG_VQ_EAGAIN);
	assert_int_equal(vmsg_vq_drv_add_indirect(&qp.drv, NULL, data_addr(4096), b, 1, NULL, 0),
			 -VMSG_VQ_EINVAL);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), 0);
}

/* ---- hostile driver: hand-made rings ---- */

static struct vmsg_vring_desc *hdesc(uint32_t i)
{
	return &qp.drv.desc[i];
}

static void set_desc(struct vmsg_vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = vmsg_cpu_to_le64(addr);
	d->len = vmsg_cpu_to_le32(len);
	d->flags = vmsg_cpu_to_le16(flags);
	d->next = vmsg_cpu_to_le16(next);
}

/* Publish head as the next avail entry, behind the driver library's back. */
static void offer(uint16_t head)
{
	uint16_t idx = vmsg_le16_to_cpu(qp.drv.avail->idx);

	qp.drv.avail->ring[idx % qp.drv.size] = vmsg_cpu_to_le16(head);
	qp.drv.avail->idx = vmsg_cpu_to_le16((uint16_t)(idx + 1));
}

/* Pop must fail with -EPROTO, bump exactly the counter given, consume the
 * entry, and read a bounded number of descriptors.
 */
static void expect_bad_chain_rc(int rc, uint64_t *counter, uint64_t max_reads)
{
	struct vmsg_vq_dev_stats before = qp.dev.stats;
	uint64_t c0 = *counter, reads = acc.reads;
	uint16_t last = qp.dev.last_avail;

	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), rc);
	assert_int_equal(*counter, c0 + 1);
	assert_int_equal(qp.dev.last_avail, (uint16_t)(last + 1));
	assert_true(acc.reads - reads <= max_reads + 2); /* + avail idx and entry */
	/* exactly one counter moved */
	assert_int_equal(
	    qp.dev.stats.bad_avail_idx + qp.dev.stats.bad_head + qp.dev.stats.bad_next +
		qp.dev.stats.loops + qp.dev.stats.bad_indirect + qp.dev.stats.bad_order +
		qp.dev.stats.bad_len + qp.dev.stats.too_many_segs + qp.dev.stats.mem_errors,
	    before.bad_avail_idx + before.bad_head + before.bad_next + before.loops +
		before.bad_indirect + before.bad_order + before.bad_len + before.too_many_segs +
		before.mem_errors + 1);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 0);
}

static void expect_bad_chain(uint64_t *counter, uint64_t max_reads)
{
	expect_bad_chain_rc(-VMSG_VQ_EPROTO, counter, max_reads);
}

static void test_hostile_avail_idx(void **state)
{
	(void)state;
	qp.drv.avail->idx = vmsg_cpu_to_le16(QSIZE + 1);
	assert_int_equal(vmsg_vq_dev_avail(&qp.dev), -VMSG_VQ_EPROTO);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), -VMSG_VQ_EPROTO);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), -VMSG_VQ_EPROTO);
	assert_int_equal(qp.dev.stats.bad_avail_idx, 3);
	assert_int_equal(qp.dev.last_avail, 0); /* nothing consumed */
	/* idx behind last_avail is a jump of almost 2^16 */
	qp.dev.last_avail = 5;
	qp.drv.avail->idx = vmsg_cpu_to_le16(4);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), -VMSG_VQ_EPROTO);
	/* exactly size ahead is legal */
	qp.dev.last_avail = 0;
	qp.drv.avail->idx = vmsg_cpu_to_le16(QSIZE);
	assert_int_equal(vmsg_vq_dev_avail(&qp.dev), QSIZE);
}

static void test_hostile_indices(void **state)
{
	uint64_t d = data_addr(0);

	(void)state;
	offer(QSIZE); /* head out of range */
	expect_bad_chain(&qp.dev.stats.bad_head, 1);
	offer(0xffff);
	expect_bad_chain(&qp.dev.stats.bad_head, 1);

	set_desc(hdesc(0), d, 4, VMSG_VRING_DESC_F_NEXT, QSIZE); /* next out of range */
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_next, 2);
}

static void test_hostile_loops(void **state)
{
	uint64_t d = data_addr(0);

	(void)state;
	set_desc(hdesc(3), d, 4, VMSG_VRING_DESC_F_NEXT, 3); /* self loop */
	offer(3);
	expect_bad_chain(&qp.dev.stats.loops, QSIZE + 2);

	set_desc(hdesc(0), d, 4, VMSG_VRING_DESC_F_NEXT, 1); /* 0 -> 1 -> 0 */
	set_desc(hdesc(1), d, 4, VMSG_VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.loops, QSIZE + 2);

	/* Every descriptor chained into a ring-sized cycle: longer than the ring. */
	for (uint16_t i = 0; i < QSIZE; i++)
		set_desc(hdesc(i), d, 0, VMSG_VRING_DESC_F_NEXT, (uint16_t)((i + 1) % QSIZE));
	offer(2);
	expect_bad_chain(&qp.dev.stats.loops, QSIZE + 2);
}

static void test_hostile_loops_big_queue(void **state)
{
	uint64_t d = data_addr(0);
	const uint32_t n = 4096;

	(void)state;
	qp_init(n, false, false);
	/* A chain through every descriptor, then back: bounded by the size. */
	for (uint32_t i = 0; i < n; i++)
		set_desc(hdesc(i), d, 0, VMSG_VRING_DESC_F_NEXT, (uint16_t)((i * 7 + 1) % n));
	offer(0);
	expect_bad_chain(&qp.dev.stats.loops, n + 2);
}

static void test_hostile_indirect(void **state)
{
	struct vmsg_vring_desc *t = (struct vmsg_vring_desc *)data_ptr(8192);
	uint64_t ta = data_addr(8192), d = data_addr(0);

	(void)state;
	/* nested indirect */
	set_desc(&t[0], d, 4, VMSG_VRING_DESC_F_NEXT, 1);
	set_desc(&t[1], ta, 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	set_desc(hdesc(0), ta, 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 4);

	/* indirect together with NEXT */
	set_desc(&t[1], d, 4, 0, 0);
	set_desc(hdesc(0), ta, 32, VMSG_VRING_DESC_F_INDIRECT | VMSG_VRING_DESC_F_NEXT, 1);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 2);

	/* table length 0, not a multiple of 16, over the cap, wrapping */
	set_desc(hdesc(0), ta, 0, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 2);
	set_desc(hdesc(0), ta, 24, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 2);
	set_desc(hdesc(0), ta, 16 * (VMSG_VQ_MAX_INDIRECT + 1), VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 2);
	set_desc(hdesc(0), UINT64_MAX - 15, 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_indirect, 2);

	/* loop inside the table */
	set_desc(&t[0], d, 4, VMSG_VRING_DESC_F_NEXT, 1);
	set_desc(&t[1], d, 4, VMSG_VRING_DESC_F_NEXT, 0);
	set_desc(hdesc(0), ta, 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.loops, 5);

	/* next out of the table */
	set_desc(&t[1], d, 4, VMSG_VRING_DESC_F_NEXT, 2);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_next, 4);

	/* a table the accessor cannot reach */
	set_desc(hdesc(0), HBASE + HSIZE, 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad_chain_rc(-VMSG_VQ_EFAULT, &qp.dev.stats.mem_errors, 2);
}

static void test_hostile_order_and_len(void **state)
{
	struct vmsg_vring_desc *t = (struct vmsg_vring_desc *)data_ptr(8192);
	uint64_t d = data_addr(0);

	(void)state;
	/* readable after writable */
	set_desc(hdesc(0), d, 4, VMSG_VRING_DESC_F_NEXT | VMSG_VRING_DESC_F_WRITE, 1);
	set_desc(hdesc(1), d, 4, 0, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_order, 2);

	/* the same inside an indirect table */
	set_desc(&t[0], d, 4, VMSG_VRING_DESC_F_NEXT | VMSG_VRING_DESC_F_WRITE, 1);
	set_desc(&t[1], d, 4, 0, 0);
	set_desc(hdesc(2), data_addr(8192), 32, VMSG_VRING_DESC_F_INDIRECT, 0);
	offer(2);
	expect_bad_chain(&qp.dev.stats.bad_order, 3);

	/* total length over u32 */
	set_desc(hdesc(0), d, 0x80000000u, VMSG_VRING_DESC_F_NEXT, 1);
	set_desc(hdesc(1), d, 0x80000000u, VMSG_VRING_DESC_F_WRITE, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_len, 2);

	/* buffer wrapping the 64-bit address space */
	set_desc(hdesc(0), UINT64_MAX - 2, 8, 0, 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.bad_len, 1);

	/* more segments than a chain holds */
	for (uint16_t i = 0; i <= VMSG_VQ_MAX_SEGS; i++)
		set_desc(&t[i], d + i, 1, VMSG_VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	t[VMSG_VQ_MAX_SEGS].flags = 0;
	set_desc(hdesc(0), data_addr(8192), 16 * (VMSG_VQ_MAX_SEGS + 1), VMSG_VRING_DESC_F_INDIRECT,
		 0);
	offer(0);
	expect_bad_chain(&qp.dev.stats.too_many_segs, VMSG_VQ_MAX_SEGS + 2);

	/* ... while exactly VMSG_VQ_MAX_SEGS is fine */
	t[VMSG_VQ_MAX_SEGS - 1].flags = 0;
	offer(0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	assert_int_equal(qp.chain.nsegs, VMSG_VQ_MAX_SEGS);
	assert_int_equal(qp.chain.out_bytes, VMSG_VQ_MAX_SEGS);
}

static void test_hostile_memory(void **state)
{
	(void)state;
	/* Descriptor table outside what the accessor reaches. */
	assert_int_equal(vmsg_vq_dev_init(&qp.dev, &mem, QSIZE, HBASE + HSIZE, qp.drv.avail_addr,
					  qp.drv.used_addr, false, false),
			 0);
	offer(0);
	expect_bad_chain_rc(-VMSG_VQ_EFAULT, &qp.dev.stats.mem_errors, 1);
	/* Avail ring outside: nothing consumed, error every time. */
	assert_int_equal(vmsg_vq_dev_init(&qp.dev, &mem, QSIZE, qp.drv.desc_addr, HBASE + HSIZE,
					  qp.drv.used_addr, false, false),
			 0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), -VMSG_VQ_EFAULT);
	assert_int_equal(vmsg_vq_dev_avail(&qp.dev), -VMSG_VQ_EFAULT);
	assert_true(vmsg_vq_dev_need_notify(&qp.dev)); /* unreadable: notify */
	/* Used ring outside: push fails, used_idx unchanged. */
	assert_int_equal(vmsg_vq_dev_init(&qp.dev, &mem, QSIZE, qp.drv.desc_addr, qp.drv.avail_addr,
					  HBASE + HSIZE, false, false),
			 0);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, 0, 0), -VMSG_VQ_EFAULT);
	assert_int_equal(qp.dev.used_idx, 0);
	assert_int_equal(vmsg_vq_dev_enable_kicks(&qp.dev), -VMSG_VQ_EFAULT);
	/* A segment the accessor refuses: chain_read reports it. */
	qp.chain.nsegs = 1;
	qp.chain.nout = 1;
	qp.chain.out_bytes = 8;
	qp.chain.seg[0].addr = HBASE + HSIZE - 4;
	qp.chain.seg[0].len = 8;
	{
		uint8_t b[8];

		assert_int_equal(vmsg_vq_chain_read(&mem, &qp.chain, 0, b, 8), -VMSG_VQ_EFAULT);
		assert_int_equal(vmsg_vq_chain_read(&mem, &qp.chain, 0, b, 4), 0);
	}
}

/* ---- hostile device: used ring written behind the library's back ---- */

static void put_used(uint32_t id, uint32_t len)
{
	uint16_t idx = vmsg_le16_to_cpu(qp.drv.used->idx);

	qp.drv.used->ring[idx % qp.drv.size].id = vmsg_cpu_to_le32(id);
	qp.drv.used->ring[idx % qp.drv.size].len = vmsg_cpu_to_le32(len);
	qp.drv.used->idx = vmsg_cpu_to_le16((uint16_t)(idx + 1));
}

static void test_hostile_used(void **state)
{
	struct vmsg_vq_buf out = buf(0, 8), in[2] = {buf(64, 16), buf(128, 16)};
	uint32_t len;
	uint16_t id;
	int h1, h2;

	(void)state;
	h1 = vmsg_vq_drv_add(&qp.drv, &out, 1, in, 2);
	h2 = vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0);
	assert_true(h1 >= 0 && h2 >= 0);

	/* used idx jumps past what is in flight: nothing consumed */
	qp.drv.used->idx = vmsg_cpu_to_le16(3);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), -VMSG_VQ_EPROTO);
	assert_int_equal(id, VMSG_VQ_NO_ID);
	assert_int_equal(qp.drv.last_used, 0);
	qp.drv.used->idx = 0;

	put_used(QSIZE, 0); /* id out of range */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), -VMSG_VQ_EPROTO);
	assert_int_equal(id, VMSG_VQ_NO_ID);
	put_used((uint32_t)h1 + 1, 0); /* inside a chain, not a head */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), -VMSG_VQ_EPROTO);
	assert_int_equal(id, VMSG_VQ_NO_ID);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE - 4);

	put_used((uint32_t)h1, 33); /* longer than the 32 writable bytes */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), -VMSG_VQ_EPROTO);
	assert_int_equal(id, h1); /* freed: the caller drops its buffers */
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE - 1);

	put_used((uint32_t)h1, 0); /* no longer in flight: a double completion */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), -VMSG_VQ_EPROTO);
	assert_int_equal(id, VMSG_VQ_NO_ID);

	put_used((uint32_t)h2, 0); /* the honest one still works */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(id, h2);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE);
	assert_int_equal(qp.drv.bad, 5);

	/* The free list survived: the whole ring can be used again. */
	for (uint32_t i = 0; i < QSIZE; i++)
		assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_int_equal(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0), -VMSG_VQ_EAGAIN);
}

/* The device cannot corrupt the free list through the descriptor table. */
static void test_desc_table_untrusted(void **state)
{
	struct vmsg_vq_buf b[3] = {buf(0, 1), buf(1, 1), buf(2, 1)};
	uint32_t len;
	uint16_t id;
	int head;

	(void)state;
	head = vmsg_vq_drv_add(&qp.drv, b, 3, NULL, 0);
	assert_true(head >= 0);
	for (uint32_t i = 0; i < QSIZE; i++)
		hdesc(i)->next = vmsg_cpu_to_le16(0xbeef);
	put_used((uint32_t)head, 0);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), QSIZE);
	for (uint32_t i = 0; i < QSIZE / 2; i++)
		assert_true(vmsg_vq_drv_add(&qp.drv, b, 2, NULL, 0) >= 0);
	assert_int_equal(vmsg_vq_drv_num_free(&qp.drv), 0);
}

/* ---- notification suppression ---- */

static void test_notify_flags(void **state)
{
	struct vmsg_vq_buf out = buf(0, 8);
	uint32_t len;
	uint16_t id;

	(void)state;
	/* driver suppresses used interrupts */
	vmsg_vq_drv_disable_cb(&qp.drv);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, qp.chain.head, 0), 0);
	assert_false(vmsg_vq_dev_need_notify(&qp.dev));
	assert_true(vmsg_vq_drv_enable_cb(&qp.drv)); /* one is already waiting */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_false(vmsg_vq_drv_enable_cb(&qp.drv));

	/* device suppresses kicks */
	assert_int_equal(vmsg_vq_dev_disable_kicks(&qp.dev), 0);
	assert_int_equal(vmsg_le16_to_cpu(qp.drv.used->flags), VMSG_VRING_USED_F_NO_NOTIFY);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_false(vmsg_vq_drv_kick_needed(&qp.drv));
	assert_int_equal(vmsg_vq_dev_enable_kicks(&qp.dev), 1); /* lost-wakeup re-check */
	assert_int_equal(qp.drv.used->flags, 0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	assert_int_equal(vmsg_vq_dev_enable_kicks(&qp.dev), 0);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, qp.chain.head, 0), 0);
	assert_true(vmsg_vq_dev_need_notify(&qp.dev));
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_true(vmsg_vq_drv_kick_needed(&qp.drv));
}

static void test_event_idx(void **state)
{
	struct vmsg_vq_buf out = buf(0, 8);
	uint16_t heads[3], id;
	uint32_t len;

	(void)state;
	/* Kicks: the device asks to be told past last_avail (0). */
	assert_int_equal(vmsg_vq_dev_enable_kicks(&qp.dev), 0);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_true(vmsg_vq_drv_kick_needed(&qp.drv)); /* 0 in [0, 1) */
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_false(vmsg_vq_drv_kick_needed(&qp.drv)); /* device has not caught up */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
		heads[i] = qp.chain.head;
	}
	/* push moves avail_event to last_avail (2) */
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, heads[0], 0), 0);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_true(vmsg_vq_drv_kick_needed(&qp.drv));
	/* kicks disabled: avail_event stays behind, no kick */
	assert_int_equal(vmsg_vq_dev_disable_kicks(&qp.dev), 0);
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	heads[2] = qp.chain.head;
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, heads[1], 0), 0);
	assert_true(vmsg_vq_drv_add(&qp.drv, &out, 1, NULL, 0) >= 0);
	assert_false(vmsg_vq_drv_kick_needed(&qp.drv));

	/* Interrupts: first decision after init always notifies. */
	assert_true(vmsg_vq_dev_need_notify(&qp.dev));
	/* driver wants to hear past used entry 0 */
	assert_true(vmsg_vq_drv_enable_cb(&qp.drv));
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_false(vmsg_vq_drv_enable_cb(&qp.drv));		     /* used_event = 2 */
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, heads[2], 0), 0); /* used 2 -> 3 */
	assert_true(vmsg_vq_dev_need_notify(&qp.dev));
	assert_int_equal(vmsg_vq_dev_pop(&qp.dev, &qp.chain), 1);
	assert_int_equal(vmsg_vq_dev_push(&qp.dev, qp.chain.head, 0), 0); /* 3 -> 4 */
	assert_false(vmsg_vq_dev_need_notify(&qp.dev)); /* driver has not caught up */
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 1);
	assert_int_equal(vmsg_vq_drv_get_used(&qp.drv, &id, &len), 0);
	assert_int_equal(qp.drv.bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_need_event),
	    cmocka_unit_test(test_init_checks),
	    cmocka_unit_test_setup(test_roundtrip, setup_plain),
	    cmocka_unit_test_setup(test_zero_len_segments, setup_plain),
	    cmocka_unit_test_setup(test_indirect, setup_plain),
	    cmocka_unit_test(test_index_wrap),
	    cmocka_unit_test_setup(test_drv_add_errors, setup_plain),
	    cmocka_unit_test_setup(test_hostile_avail_idx, setup_plain),
	    cmocka_unit_test_setup(test_hostile_indices, setup_plain),
	    cmocka_unit_test_setup(test_hostile_loops, setup_plain),
	    cmocka_unit_test(test_hostile_loops_big_queue),
	    cmocka_unit_test_setup(test_hostile_indirect, setup_plain),
	    cmocka_unit_test_setup(test_hostile_order_and_len, setup_plain),
	    cmocka_unit_test_setup(test_hostile_memory, setup_plain),
	    cmocka_unit_test_setup(test_hostile_used, setup_plain),
	    cmocka_unit_test_setup(test_desc_table_untrusted, setup_plain),
	    cmocka_unit_test_setup(test_notify_flags, setup_plain),
	    cmocka_unit_test_setup(test_event_idx, setup_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
