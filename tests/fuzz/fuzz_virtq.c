/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fuzz_virtq.c - libFuzzer target for the split virtqueue helpers.
 *
 * Input: byte 0 picks the queue size (1..256, power of two), byte 1 options
 * (event_idx, indirect, kicks off, a driver-side round), bytes 2..3 the
 * device's starting indices; the rest fills a fake host memory holding the desc,
 * avail and used rings and data. The device pops chains (bounded), reads
 * and writes them, pushes them back and decides on notifications. The
 * accessor is the bounds check: out-of-range accesses return an error; in
 * addition, while a chain is read or written, every access must lie inside
 * one of that chain's segments of the right direction, or the target aborts.
 * The driver round checks get_used against a fuzzed used ring and that the
 * free list always accounts for every descriptor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg_virtq.h"

#define HBASE	  0x10000ull
#define HSIZE	  16384u
#define IO_MAX	  4096u
#define MAX_QSIZE 256u

static uint8_t host[HSIZE] __attribute__((aligned(4096)));
static const struct vmsg_vq_chain *io_chain; /* chain being read/written */
static bool io_write;

static bool in_host(uint64_t addr, size_t len)
{
	return addr >= HBASE && addr - HBASE <= HSIZE && len <= HSIZE - (addr - HBASE);
}

/* While a chain is read or written, the access must fall in one segment. */
static void check_in_chain(uint64_t addr, size_t len)
{
	const struct vmsg_vq_chain *c = io_chain;
	uint32_t i, first = io_write ? c->nout : 0, end = io_write ? c->nsegs : c->nout;

	for (i = first; i < end; i++)
		if (addr >= c->seg[i].addr && len <= c->seg[i].len &&
		    addr - c->seg[i].addr <= c->seg[i].len - len)
			return;
	abort();
}

static int acc_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	(void)ctx;
	if (io_chain)
		check_in_chain(addr, len);
	if (!in_host(addr, len))
		return -1;
	memcpy(dst, host + (addr - HBASE), len);
	return 0;
}

static int acc_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	(void)ctx;
	if (io_chain)
		check_in_chain(addr, len);
	if (!in_host(addr, len))
		return -1;
	memcpy(host + (addr - HBASE), src, len);
	return 0;
}

static const struct vmsg_mem_ops mem = {NULL, acc_read, acc_write};

/* Invariants of a chain the device accepted. */
static void check_chain(const struct vmsg_vq_dev *vq, const struct vmsg_vq_chain *c)
{
	uint64_t out = 0, in = 0;
	uint32_t i;

	if (c->head >= vq->size || c->nsegs > VMSG_VQ_MAX_SEGS || c->nout > c->nsegs)
		abort();
	for (i = 0; i < c->nsegs; i++) {
		const struct vmsg_vq_seg *s = &c->seg[i];

		if (s->len == 0 || s->writable != (i >= c->nout))
			abort();
		if (s->addr + s->len < s->addr)
			abort();
		if (s->writable)
			in += s->len;
		else
			out += s->len;
	}
	if (out != c->out_bytes || in != c->in_bytes || out + in > UINT32_MAX)
		abort();
}

static void chain_io(const struct vmsg_vq_chain *c, uint32_t off_seed)
{
	static uint8_t buf[IO_MAX];
	uint32_t len, off;

	io_chain = c;
	io_write = false;
	len = c->out_bytes < IO_MAX ? c->out_bytes : IO_MAX;
	off = c->out_bytes > len ? off_seed % (c->out_bytes - len + 1) : 0;
	(void)vmsg_vq_chain_read(&mem, c, off, buf, len);
	if (vmsg_vq_chain_read(&mem, c, c->out_bytes, buf, 1) != -VMSG_VQ_EINVAL)
		abort();
	io_write = true;
	len = c->in_bytes < IO_MAX ? c->in_bytes : IO_MAX;
	off = c->in_bytes > len ? off_seed % (c->in_bytes - len + 1) : 0;
	(void)vmsg_vq_chain_write(&mem, c, off, buf, len);
	if (vmsg_vq_chain_write(&mem, c, c->in_bytes, buf, 1) != -VMSG_VQ_EINVAL)
		abort();
	io_chain = NULL;
}

static void device_round(uint32_t size, uint8_t opt, uint16_t start)
{
	static struct vmsg_vq_chain chain;
	struct vmsg_vq_dev vq;
	uint64_t desc = HBASE, avail = desc + vmsg_vring_desc_size(size);
	uint64_t used = HBASE + vmsg_vring_used_offset(size, 4);
	uint32_t i;

	if (vmsg_vq_dev_init(&vq, &mem, size, desc, avail, used, opt & 1, opt & 2))
		abort();
	vq.last_avail = start;
	vq.used_idx = start;
	if (opt & 4)
		(void)vmsg_vq_dev_disable_kicks(&vq);
	for (i = 0; i < 2 * size + 4; i++) {
		int rc = vmsg_vq_dev_pop(&vq, &chain);

		if (rc == 0)
			break;
		if (rc < 0)
			continue;
		check_chain(&vq, &chain);
		chain_io(&chain, i * 2654435761u);
		(void)vmsg_vq_dev_push(&vq, chain.head, chain.in_bytes);
		(void)vmsg_vq_dev_need_notify(&vq);
		if ((i & 3) == 3)
			(void)vmsg_vq_dev_enable_kicks(&vq);
	}
}

/* Driver side: fill the queue, then let a fuzzed used ring answer. */
static void driver_round(uint32_t size, bool event_idx, const uint8_t *data, size_t len)
{
	static uint8_t ring[32768] __attribute__((aligned(4096)));
	static struct vmsg_vq_drv_state st[MAX_QSIZE];
	static struct vmsg_vring_desc table[8];
	uint16_t ndesc[MAX_QSIZE] = {0};
	struct vmsg_vq_buf b[4] = {{0x1000, 8}, {0x2000, 16}, {0x3000, 32}, {0x4000, 64}};
	uint32_t in_flight_desc = 0, i, n;
	struct vmsg_vq_drv vq;
	uint16_t id;
	size_t used_off;

	if (vmsg_vq_drv_init(&vq, ring, sizeof(ring), 0x100000, size, st, event_idx))
		abort();
	for (i = 0; i < size; i++) {
		uint8_t k = len ? data[i % len] : 0;
		int head = (k & 0x80) && i == 0
			       ? vmsg_vq_drv_add_indirect(&vq, table, 0x9000, b, 2, b + 2, 2)
			       : vmsg_vq_drv_add(&vq, b, k & 1, b + 1, (k >> 1) % 3 + 1);

		n = (k & 0x80) && i == 0 ? 1 : (k & 1) + (k >> 1) % 3 + 1;
		if (head == -VMSG_VQ_EAGAIN)
			break;
		if (head == -VMSG_VQ_EINVAL && n > size)
			continue;
		if (head < 0 || head >= (int)size || ndesc[head])
			abort();
		ndesc[head] = (uint16_t)n;
		in_flight_desc += n;
		(void)vmsg_vq_drv_kick_needed(&vq);
	}
	used_off = (size_t)((uint8_t *)vq.used - ring);
	n = (uint32_t)(vmsg_vring_used_size(size) < len ? vmsg_vring_used_size(size) : len);
	memcpy(ring + used_off, data, n);
	for (i = 0; i < 2 * size + 4; i++) {
		uint32_t ulen;
		int rc = vmsg_vq_drv_get_used(&vq, &id, &ulen);

		if (rc == 0)
			break;
		if (id != VMSG_VQ_NO_ID) {
			if (id >= size || !ndesc[id])
				abort(); /* freed something not in flight */
			in_flight_desc -= ndesc[id];
			ndesc[id] = 0;
		}
		if (vmsg_vq_drv_num_free(&vq) + in_flight_desc != size)
			abort();
		(void)vmsg_vq_drv_enable_cb(&vq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t qsize;
	size_t n;

	if (size < 4)
		return 0;
	qsize = 1u << (data[0] % 9);
	memset(host, 0, sizeof(host));
	n = size - 4 < HSIZE ? size - 4 : HSIZE;
	memcpy(host, data + 4, n);
	device_round(qsize, data[1], (uint16_t)(data[2] << 8 | data[3]));
	if (data[1] & 0x80)
		driver_round(qsize, data[1] & 1, data + 4, size - 4);
	return 0;
}
