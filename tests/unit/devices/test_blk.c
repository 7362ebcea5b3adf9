/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_blk.c - virtio-blk backend against the fake engine. Most tests run
 * twice: with host memory directly addressable (the kernel reads/writes the
 * file straight into/out of the host buffers, as on the sim platform) and
 * without (copies through per-request buffers, as on epf/uio).
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_engine.h"
#include "vmsg_bytes.h"

#define T_IN	   0u
#define T_OUT	   1u
#define T_FLUSH	   4u
#define T_GET_ID   8u
#define S_OK	   0
#define S_IOERR	   1
#define S_UNSUPP   2
#define F_RO	   5
#define F_SEG_MAX  2
#define F_BLK_SIZE 6
#define F_FLUSH	   9

#define DISK_BYTES   (8u * 1024u * 1024u)
#define DISK_SECTORS (DISK_BYTES / 512u)

struct blk_fixture {
	char path[64];
	int fd;
	struct tdev t;
};

static int setup_disk(struct blk_fixture *f, bool ro, bool copy)
{
	char err[256] = "";

	host_reset();
	fake_mode.no_direct = copy;
	snprintf(f->path, sizeof(f->path), "/tmp/vmsg-blk-test-XXXXXX");
	f->fd = mkstemp(f->path);
	if (f->fd < 0 || ftruncate(f->fd, DISK_BYTES) < 0)
		return -1;
	tdev_start(&f->t, vmsg_blk_create(f->path, ro, err, sizeof(err)), 0, 0);
	return 0;
}

static int setup_rw(void **state)
{
	struct blk_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? setup_disk(f, false, false) : -1;
}

/* The same, host memory only through copies (epf, uio). */
static int setup_rw_copy(void **state)
{
	struct blk_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? setup_disk(f, false, true) : -1;
}

static int setup_ro(void **state)
{
	struct blk_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? setup_disk(f, true, false) : -1;
}

static int teardown(void **state)
{
	struct blk_fixture *f = *state;

	tdev_destroy(&f->t);
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

/*
 * The next used element of queue 0, waiting for it: file I/O is asynchronous
 * (io_uring), so a request may complete after the kick returned. Sleeps on
 * the device's wait_fd and calls poll() as the daemon does; bounded (10 s).
 */
static int wait_used(struct tdev *t, uint16_t *id, uint32_t *len)
{
	struct pollfd p;
	int i;

	for (i = 0; i < 1000; i++) {
		if (tq_used(&t->q[0], id, len) == 1)
			return 1;
		p.fd = t->d->ops->wait_fd(t->d);
		p.events = POLLIN;
		p.revents = 0;
		(void)poll(&p, 1, 10);
		t->d->ops->poll(t->d);
	}
	return 0;
}

/* One request with its data in nseg host buffers; returns the status byte,
 * or -1 if the device gave the chain back without a status. */
static int blk_req(struct tdev *t, uint32_t type, uint64_t sector, const uint64_t *seg,
		   const uint32_t *len, uint32_t nseg, bool data_in, uint32_t *used_len)
{
	static struct vmsg_vq_buf out[VMSG_VQ_MAX_SEGS], in[VMSG_VQ_MAX_SEGS];
	uint32_t nout = 0, nin = 0, i, ulen = 0;
	uint64_t hdr = host_alloc(16, 16), st = host_alloc(1, 1);
	uint8_t *h = host_ptr(hdr, 16);
	uint16_t id;
	int head;

	assert_true(nseg + 2 <= VMSG_VQ_MAX_SEGS);
	vmsg_put_le32(h, type);
	vmsg_put_le32(h + 4, 0);
	vmsg_put_le64(h + 8, sector);
	*(uint8_t *)host_ptr(st, 1) = 0xee;
	out[nout++] = (struct vmsg_vq_buf){hdr, 16};
	for (i = 0; i < nseg; i++) {
		if (data_in)
			in[nin++] = (struct vmsg_vq_buf){seg[i], len[i]};
		else
			out[nout++] = (struct vmsg_vq_buf){seg[i], len[i]};
	}
	in[nin++] = (struct vmsg_vq_buf){st, 1};
	head = tq_add(&t->q[0], out, nout, in, nin);
	assert_true(head >= 0);
	tdev_kick(t, 0);
	assert_int_equal(wait_used(t, &id, &ulen), 1);
	assert_int_equal(id, head);
	if (used_len)
		*used_len = ulen;
	if (ulen == 0)
		return -1;
	return *(uint8_t *)host_ptr(st, 1);
}

static void test_features_and_config(void **state)
{
	struct blk_fixture *f = *state;
	struct vmsg_dev *d = f->t.d;
	uint8_t cfg[24];
	char line[256];

	assert_int_equal(d->ops->device_id, 2);
	assert_true(d->features & (1ull << F_SEG_MAX));
	assert_true(d->features & (1ull << F_BLK_SIZE));
	assert_true(d->features & (1ull << F_FLUSH));
	assert_false(d->features & (1ull << F_RO));
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_RING_RESET));
	d->ops->config_read(d, 0, cfg, sizeof(cfg));
	assert_int_equal(vmsg_get_le64(cfg), DISK_SECTORS);
	/* seg_max: header and status fit in one chain beside the data */
	assert_int_equal(vmsg_get_le32(cfg + 12), VMSG_VQ_MAX_SEGS - 2);
	assert_int_equal(vmsg_get_le32(cfg + 20), 512);
	d->ops->describe(d, line, sizeof(line));
	assert_non_null(strstr(line, f->path));
	/* Without VERSION_1 the device refuses FEATURES_OK. */
	assert_true(d->ops->set_features(d, 1ull << F_FLUSH) < 0);
}

static void test_write_read_random(void **state)
{
	struct blk_fixture *f = *state;
	uint8_t *shadow = calloc(1, DISK_BYTES), *disk = malloc(DISK_BYTES);
	uint64_t seed = 0x1234abcd9876ull, seg[8];
	uint32_t len[8], nseg, total, i, iter, off, ulen;
	uint64_t sector;
	size_t mark = host_mark();

	assert_non_null(shadow);
	assert_non_null(disk);
	for (iter = 0; iter < 200; iter++) {
		nseg = 1 + rnd(&seed, 8);
		total = 0;
		for (i = 0; i < nseg; i++) {
			len[i] = 512u * (1 + rnd(&seed, 40));
			seg[i] = host_alloc(len[i], 8);
			total += len[i];
		}
		sector = rnd(&seed, DISK_SECTORS - total / 512u + 1);
		for (i = 0, off = 0; i < nseg; i++) {
			fill_random(host_ptr(seg[i], len[i]), len[i], &seed);
			memcpy(shadow + sector * 512 + off, host_ptr(seg[i], len[i]), len[i]);
			off += len[i];
		}
		assert_int_equal(blk_req(&f->t, T_OUT, sector, seg, len, nseg, false, NULL), S_OK);

		/* Read the same range back in a different segmentation. */
		len[0] = total / 2 / 512 * 512;
		len[1] = total - len[0];
		nseg = len[0] ? 2 : 1;
		if (!len[0])
			len[0] = len[1];
		for (i = 0; i < nseg; i++) {
			seg[i] = host_alloc(len[i], 8);
			memset(host_ptr(seg[i], len[i]), 0xa5, len[i]);
		}
		assert_int_equal(blk_req(&f->t, T_IN, sector, seg, len, nseg, true, &ulen), S_OK);
		assert_int_equal(ulen, total + 1);
		for (i = 0, off = 0; i < nseg; i++) {
			assert_memory_equal(host_ptr(seg[i], len[i]), shadow + sector * 512 + off,
					    len[i]);
			off += len[i];
		}
		host_release(mark);
	}
	assert_int_equal(pread(f->fd, disk, DISK_BYTES, 0), (ssize_t)DISK_BYTES);
	assert_memory_equal(disk, shadow, DISK_BYTES);
	{
		struct vmsg_blk_stats st;

		/* Each request took the path the platform allows (direct only
		 * through io_uring: none under qemu-user, which lacks it). */
		bool direct;

		assert_int_equal(vmsg_blk_get_stats(f->t.d, &st), 0);
		direct = !fake_mode.no_direct && st.async_io;
		if (!st.async_io)
			print_message("no io_uring here: the synchronous path was tested\n");
		assert_int_equal(st.direct, direct ? 400 : 0);
		assert_int_equal(fake.direct_grants > 0, direct);
	}
	free(shadow);
	free(disk);
}

static void test_out_of_range(void **state)
{
	struct blk_fixture *f = *state;
	uint64_t seg = host_alloc(4096, 8);
	uint32_t one = 512, two = 1024, odd = 700;

	assert_int_equal(blk_req(&f->t, T_IN, DISK_SECTORS - 1, &seg, &one, 1, true, NULL), S_OK);
	assert_int_equal(blk_req(&f->t, T_OUT, DISK_SECTORS - 1, &seg, &one, 1, false, NULL), S_OK);
	assert_int_equal(blk_req(&f->t, T_IN, DISK_SECTORS, &seg, &one, 1, true, NULL), S_IOERR);
	assert_int_equal(blk_req(&f->t, T_OUT, DISK_SECTORS, &seg, &one, 1, false, NULL), S_IOERR);
	assert_int_equal(blk_req(&f->t, T_IN, DISK_SECTORS - 1, &seg, &two, 1, true, NULL),
			 S_IOERR);
	/* sector * 512 overflows 64 bits */
	assert_int_equal(blk_req(&f->t, T_IN, UINT64_MAX, &seg, &one, 1, true, NULL), S_IOERR);
	assert_int_equal(blk_req(&f->t, T_OUT, UINT64_MAX / 512 + 1, &seg, &one, 1, false, NULL),
			 S_IOERR);
	/* not a whole number of sectors */
	assert_int_equal(blk_req(&f->t, T_IN, 0, &seg, &odd, 1, true, NULL), S_IOERR);
	assert_int_equal(blk_req(&f->t, T_OUT, 0, &seg, &odd, 1, false, NULL), S_IOERR);
	/* still fine afterwards */
	assert_int_equal(blk_req(&f->t, T_IN, 0, &seg, &one, 1, true, NULL), S_OK);
}

static void test_unsupported_flush_get_id(void **state)
{
	struct blk_fixture *f = *state;
	struct vmsg_blk_stats st0, st1;
	uint64_t seg = host_alloc(64, 8);
	uint32_t idlen = 20, ulen;
	char *id;

	assert_int_equal(vmsg_blk_get_stats(f->t.d, &st0), 0);
	assert_int_equal(blk_req(&f->t, 11 /* DISCARD */, 0, &seg, &idlen, 1, false, NULL),
			 S_UNSUPP);
	assert_int_equal(blk_req(&f->t, 0xdeadbeefu, 0, NULL, NULL, 0, false, NULL), S_UNSUPP);
	assert_int_equal(blk_req(&f->t, T_FLUSH, 0, NULL, NULL, 0, false, NULL), S_OK);
	assert_int_equal(vmsg_blk_get_stats(f->t.d, &st1), 0);
	assert_int_equal(st1.flushes, st0.flushes + 1);
	assert_int_equal(st1.unsupp, st0.unsupp + 2);

	memset(host_ptr(seg, 64), 0, 64);
	assert_int_equal(blk_req(&f->t, T_GET_ID, 0, &seg, &idlen, 1, true, &ulen), S_OK);
	id = host_ptr(seg, 64);
	assert_int_equal(strnlen(id, 20), 20);
	assert_memory_equal(id, "vmsg", 4);
	assert_int_equal(id[20], 0); /* nothing beyond the 20 bytes */
	/* a short id buffer gets what fits */
	idlen = 8;
	memset(host_ptr(seg, 64), 0, 64);
	assert_int_equal(blk_req(&f->t, T_GET_ID, 0, &seg, &idlen, 1, true, NULL), S_OK);
	assert_int_equal(strnlen(id, 20), 8);
}

static void test_read_only(void **state)
{
	struct blk_fixture *f = *state;
	uint64_t seg = host_alloc(1024, 8);
	uint32_t len = 1024;
	uint8_t disk[1024];

	assert_true(f->t.d->features & (1ull << F_RO));
	memset(host_ptr(seg, len), 0x77, len);
	assert_int_equal(blk_req(&f->t, T_OUT, 0, &seg, &len, 1, false, NULL), S_IOERR);
	assert_int_equal(pread(f->fd, disk, sizeof(disk), 0), (ssize_t)sizeof(disk));
	for (len = 0; len < sizeof(disk); len++)
		assert_int_equal(disk[len], 0);
	len = 1024;
	assert_int_equal(blk_req(&f->t, T_IN, 2, &seg, &len, 1, true, NULL), S_OK);
	assert_int_equal(*(uint8_t *)host_ptr(seg, 1), 0);
	assert_int_equal(blk_req(&f->t, T_FLUSH, 0, NULL, NULL, 0, false, NULL), S_OK);
}

/* Add a raw chain of descriptors (flags as given) and kick. */
static int raw_chain(struct tdev *t, const struct vmsg_vq_buf *b, const uint16_t *wflags,
		     uint32_t n)
{
	struct vmsg_vq_buf out[8], in[8];
	uint32_t nout = 0, nin = 0, i;

	for (i = 0; i < n; i++) {
		if (wflags[i])
			in[nin++] = b[i];
		else
			out[nout++] = b[i];
	}
	return tq_add(&t->q[0], out, nout, in, nin);
}

static void test_hostile_chains(void **state)
{
	struct blk_fixture *f = *state;
	struct tdev *t = &f->t;
	uint64_t hdr = host_alloc(16, 16), st = host_alloc(1, 1), data = host_alloc(512, 8);
	struct vmsg_vq_buf b[4];
	uint16_t w[4], id;
	uint32_t ulen, one = 512;
	int head;

	memset(host_ptr(hdr, 16), 0, 16);
	/* header too short (8 bytes) */
	b[0] = (struct vmsg_vq_buf){hdr, 8};
	b[1] = (struct vmsg_vq_buf){st, 1};
	w[0] = 0;
	w[1] = 1;
	*(uint8_t *)host_ptr(st, 1) = 0xee;
	head = raw_chain(t, b, w, 2);
	tdev_kick(t, 0);
	assert_int_equal(wait_used(t, &id, &ulen), 1);
	assert_int_equal(id, head);
	assert_int_equal(*(uint8_t *)host_ptr(st, 1), S_IOERR);

	/* header in a writable descriptor */
	b[0] = (struct vmsg_vq_buf){hdr, 16};
	w[0] = 1;
	*(uint8_t *)host_ptr(st, 1) = 0xee;
	head = raw_chain(t, b, w, 2);
	tdev_kick(t, 0);
	assert_int_equal(wait_used(t, &id, &ulen), 1);
	assert_int_equal(id, head);
	assert_int_equal(*(uint8_t *)host_ptr(st, 1), S_IOERR);

	/* no writable byte at all: dropped (used, length 0) */
	w[0] = 0;
	head = raw_chain(t, b, w, 1);
	tdev_kick(t, 0);
	assert_int_equal(wait_used(t, &id, &ulen), 1);
	assert_int_equal(id, head);
	assert_int_equal(ulen, 0);

	/* zero-length descriptors in the middle are harmless */
	b[0] = (struct vmsg_vq_buf){hdr, 16};
	b[1] = (struct vmsg_vq_buf){data, 0};
	b[2] = (struct vmsg_vq_buf){data, 512};
	b[3] = (struct vmsg_vq_buf){st, 1};
	w[0] = 0;
	w[1] = 1;
	w[2] = 1;
	w[3] = 1;
	*(uint8_t *)host_ptr(st, 1) = 0xee;
	head = raw_chain(t, b, w, 4);
	tdev_kick(t, 0);
	assert_int_equal(tq_used(&t->q[0], &id, &ulen), 1);
	assert_int_equal(*(uint8_t *)host_ptr(st, 1), S_OK);

	/* a data buffer outside host memory: IOERR, nothing touched */
	b[0] = (struct vmsg_vq_buf){hdr, 16};
	b[1] = (struct vmsg_vq_buf){HOST_BASE - 4096, 512};
	b[2] = (struct vmsg_vq_buf){st, 1};
	w[0] = 0;
	w[1] = 1;
	w[2] = 1;
	*(uint8_t *)host_ptr(st, 1) = 0xee;
	head = raw_chain(t, b, w, 3);
	tdev_kick(t, 0);
	assert_int_equal(tq_used(&t->q[0], &id, &ulen), 1);
	assert_int_equal(*(uint8_t *)host_ptr(st, 1), S_IOERR);

	/* a descriptor loop: consumed and never returned; the queue goes on */
	b[0] = (struct vmsg_vq_buf){hdr, 16};
	b[1] = (struct vmsg_vq_buf){st, 1};
	w[0] = 0;
	w[1] = 1;
	head = raw_chain(t, b, w, 2);
	{
		struct vmsg_vring_desc *dt = t->q[0].drv.desc;
		uint16_t second = vmsg_le16_to_cpu(dt[head].next);

		dt[second].flags =
		    vmsg_cpu_to_le16(VMSG_VRING_DESC_F_WRITE | VMSG_VRING_DESC_F_NEXT);
		dt[second].next = vmsg_cpu_to_le16((uint16_t)head);
	}
	tdev_kick(t, 0);
	assert_int_equal(tq_used(&t->q[0], &id, &ulen), 0);
	assert_int_equal(fake.needs_reset, 0);
	assert_int_equal(blk_req(t, T_IN, 0, &data, &one, 1, true, NULL), S_OK);
}

static void test_broken_ring_needs_reset(void **state)
{
	struct blk_fixture *f = *state;
	struct tdev *t = &f->t;
	uint64_t data = host_alloc(512, 8);
	uint32_t one = 512;

	/* avail idx far ahead of anything the driver could have posted */
	t->q[0].drv.avail->idx = vmsg_cpu_to_le16(t->q[0].drv.avail_idx + 1000);
	tdev_kick(t, 0);
	assert_int_equal(fake.needs_reset, 1);
	assert_true(t->d->status & 0x40);
	tdev_kick(t, 0);
	assert_int_equal(fake.needs_reset, 1); /* reported once */
	tdev_restart(t, 0, 0);
	assert_int_equal(blk_req(t, T_IN, 0, &data, &one, 1, true, NULL), S_OK);
}

static void test_budget_and_wait_fd(void **state)
{
	struct blk_fixture *f = *state;
	struct tdev *t = &f->t;
	uint64_t hdr, st[100];
	struct vmsg_vq_buf out, in;
	uint16_t id;
	uint32_t ulen, i, done = 0;

	tdev_run(t);
	assert_false(tdev_waitable(t));
	for (i = 0; i < 100; i++) {
		hdr = host_alloc(16, 16);
		vmsg_put_le32(host_ptr(hdr, 16), T_FLUSH);
		st[i] = host_alloc(1, 1);
		*(uint8_t *)host_ptr(st[i], 1) = 0xee;
		out = (struct vmsg_vq_buf){hdr, 16};
		in = (struct vmsg_vq_buf){st[i], 1};
		assert_true(tq_add(&t->q[0], &out, 1, &in, 1) >= 0);
	}
	tdev_kick(t, 0);
	while (tq_used(&t->q[0], &id, &ulen) == 1)
		done++;
	assert_true(done < 100); /* bounded work per notify */
	/* ... and the device asks to come back (its budget, or completions
	 * of what it has in flight) until everything is done. */
	while (done < 100 && wait_used(t, &id, &ulen) == 1)
		done++;
	assert_int_equal(done, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(*(uint8_t *)host_ptr(st[i], 1), S_OK);
	/* The completion eventfd may be signalled once more after the last
	 * completion was reaped (io_uring posts it per CQE): a poll may find
	 * nothing, then the device must be quiet, with nothing more used. */
	tdev_run(t);
	assert_false(tdev_waitable(t));
	assert_int_equal(tq_used(&t->q[0], &id, &ulen), 0);
	assert_true(fake.used_events[0] > 0);
}

static void test_queue_reset(void **state)
{
	struct blk_fixture *f = *state;
	uint64_t data = host_alloc(512, 8);
	uint32_t one = 512;

	assert_int_equal(blk_req(&f->t, T_IN, 0, &data, &one, 1, true, NULL), S_OK);
	tdev_reset_queue(&f->t, 0);
	assert_int_equal(blk_req(&f->t, T_IN, 0, &data, &one, 1, true, NULL), S_OK);
	/* and without EVENT_IDX / INDIRECT on a small ring */
	tdev_restart(&f->t, (1ull << VMSG_VIRTIO_F_RING_EVENT_IDX), 8);
	for (int i = 0; i < 40; i++)
		assert_int_equal(blk_req(&f->t, T_IN, (uint64_t)i, &data, &one, 1, true, NULL),
				 S_OK);
}

/* A request with seg_max data segments (what Linux sends for 1 MiB in
 * 4 KiB pages) is served; one more segment is a malformed chain. */
static void test_seg_max(void **state)
{
	struct blk_fixture *f = *state;
	struct tdev *t = &f->t;
	struct vmsg_vq_buf out[VMSG_VQ_MAX_SEGS + 1], in[VMSG_VQ_MAX_SEGS + 1];
	uint32_t n = VMSG_VQ_MAX_SEGS - 2, i, ulen;
	uint64_t hdr = host_alloc(16, 16), st = host_alloc(1, 1), data;
	uint16_t id;
	int head;

	data = host_alloc(512u * (n + 1), 8);
	fill_random(host_ptr(data, 512u * n), 512u * n, &(uint64_t){42});
	vmsg_put_le32(host_ptr(hdr, 16), T_OUT);
	vmsg_put_le64((uint8_t *)host_ptr(hdr, 16) + 8, 0);
	out[0] = (struct vmsg_vq_buf){hdr, 16};
	for (i = 0; i < n; i++)
		out[1 + i] = (struct vmsg_vq_buf){data + 512u * i, 512};
	in[0] = (struct vmsg_vq_buf){st, 1};
	head = tq_add(&t->q[0], out, n + 1, in, 1);
	assert_true(head >= 0);
	tdev_kick(t, 0);
	assert_int_equal(wait_used(t, &id, &ulen), 1);
	assert_int_equal(id, head);
	assert_int_equal(*(uint8_t *)host_ptr(st, 1), S_OK);
	{
		uint8_t *disk = malloc(512u * n);

		assert_non_null(disk);
		assert_int_equal(pread(f->fd, disk, 512u * n, 0), (ssize_t)(512u * n));
		assert_memory_equal(disk, host_ptr(data, 512u * n), 512u * n);
		free(disk);
	}
	/* n + 1 data segments: too many for a chain, dropped (length 0) */
	for (i = 0; i <= n; i++)
		out[1 + i] = (struct vmsg_vq_buf){data + 512u * i, 512};
	head = tq_add(&t->q[0], out, n + 2, in, 1);
	if (head >= 0) {
		tdev_kick(t, 0);
		assert_int_equal(wait_used(t, &id, &ulen), 1);
		assert_int_equal(ulen, 0);
	}
}

/* Requests in flight when their queue is reset: their completions must not
 * touch the new ring or the old buffers; the queue works afterwards. */
static void test_reset_in_flight(void **state)
{
	struct blk_fixture *f = *state;
	struct tdev *t = &f->t;
	struct vmsg_vq_buf out, in[2];
	uint64_t hdr, data[24], st, one_seg = host_alloc(512, 8);
	uint32_t i, ulen, one = 512, len = 64 * 1024;
	uint16_t id;
	int k, head[24];
	bool done[24] = {false};
	static uint8_t snap[24][64 * 1024];

	for (i = 0; i < 24; i++) {
		hdr = host_alloc(16, 16);
		vmsg_put_le32(host_ptr(hdr, 16), T_IN);
		vmsg_put_le64((uint8_t *)host_ptr(hdr, 16) + 8, i * 128u);
		data[i] = host_alloc(len, 8);
		memset(host_ptr(data[i], len), 0x5c, len);
		st = host_alloc(1, 1);
		out = (struct vmsg_vq_buf){hdr, 16};
		in[0] = (struct vmsg_vq_buf){data[i], len};
		in[1] = (struct vmsg_vq_buf){st, 1};
		head[i] = tq_add(&t->q[0], &out, 1, in, 2);
		assert_true(head[i] >= 0);
	}
	/* Out of the page cache, so that the reads are likely still running
	 * when the queue is reset (not asserted: timing). */
	(void)fdatasync(f->fd);
	(void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED);
	tdev_kick(t, 0);
	/* Page-cache reads may complete inside the kick: those are used. */
	while (tq_used(&t->q[0], &id, &ulen) == 1)
		for (i = 0; i < 24; i++)
			if (head[i] == id)
				done[i] = true;
	tdev_reset_queue(t, 0);
	/* What the buffers hold once the reset returned: from then on the
	 * device must not write them (direct: the reset waited for the I/O
	 * on them; copy: stale completions are dropped). */
	for (i = 0; i < 24; i++)
		memcpy(snap[i], host_ptr(data[i], len), len);
	/* Let the kernel finish and the device see the completions. */
	for (k = 0; k < 50; k++) {
		usleep(2000);
		t->d->ops->poll(t->d);
	}
	assert_int_equal(tq_used(&t->q[0], &id, &ulen), 0);
	for (i = 0; i < 24; i++) {
		uint8_t *p = host_ptr(data[i], len);
		uint32_t j;

		assert_memory_equal(p, snap[i], len);
		if (done[i] || !fake_mode.no_direct)
			continue;
		for (j = 0; j < len; j++)
			if (p[j] != 0x5c)
				break;
		/* IN data is copied only at completion: a stale one never. */
		assert_int_equal(j, len);
	}
	assert_int_equal(blk_req(t, T_IN, 0, &one_seg, &one, 1, true, NULL), S_OK);
}

/*
 * The direct path (the kernel on host memory) and the copy path (through a
 * buffer) give the same bytes, both ways: written by one, read back by the
 * other, in different segmentations, over a multi-segment 1 MiB request
 * like Linux's (4 KiB pieces, not contiguous).
 */
static void test_direct_and_copy_agree(void **state)
{
	struct blk_fixture *f = *state;
	enum { N = 256, PIECE = 4096 };
	static uint64_t seg[N];
	static uint32_t len[N];
	uint8_t *ref = malloc((size_t)N * PIECE), *disk = malloc((size_t)N * PIECE);
	uint64_t seed = 0xfeedface1234ull, sector = 4096;
	struct vmsg_blk_stats st0, st1;
	uint32_t i, round, ulen, n = VMSG_VQ_MAX_SEGS - 2;
	size_t mark = host_mark();

	assert_non_null(ref);
	assert_non_null(disk);
	for (round = 0; round < 4; round++) {
		/* rounds 0, 2: write direct, read copy; 1, 3: the reverse */
		bool wdirect = round % 2 == 0;
		uint32_t total = 0;

		for (i = 0; i < n; i++) {
			len[i] = PIECE;
			/* a gap between pieces: never one contiguous range */
			seg[i] = host_alloc(PIECE + 512, 4096);
			fill_random(host_ptr(seg[i], PIECE), PIECE, &seed);
			memcpy(ref + total, host_ptr(seg[i], PIECE), PIECE);
			total += PIECE;
		}
		fake_mode.no_direct = !wdirect;
		assert_int_equal(vmsg_blk_get_stats(f->t.d, &st0), 0);
		assert_int_equal(blk_req(&f->t, T_OUT, sector, seg, len, n, false, NULL), S_OK);
		assert_int_equal(vmsg_blk_get_stats(f->t.d, &st1), 0);
		assert_int_equal(st1.direct - st0.direct, wdirect && st1.async_io ? 1 : 0);
		assert_int_equal(pread(f->fd, disk, total, (off_t)sector * 512), (ssize_t)total);
		assert_memory_equal(disk, ref, total);

		/* read back by the other path into 3 pieces of odd sizes */
		fake_mode.no_direct = wdirect;
		len[0] = 512 * 3;
		len[1] = total / 2;
		len[2] = total - len[0] - len[1];
		for (i = 0; i < 3; i++) {
			seg[i] = host_alloc(len[i], 8);
			memset(host_ptr(seg[i], len[i]), 0xa5, len[i]);
		}
		assert_int_equal(blk_req(&f->t, T_IN, sector, seg, len, 3, true, &ulen), S_OK);
		assert_int_equal(ulen, total + 1);
		assert_int_equal(vmsg_blk_get_stats(f->t.d, &st0), 0);
		assert_int_equal(st0.direct - st1.direct, wdirect || !st0.async_io ? 0 : 1);
		assert_memory_equal(host_ptr(seg[0], len[0]), ref, len[0]);
		assert_memory_equal(host_ptr(seg[1], len[1]), ref + len[0], len[1]);
		assert_memory_equal(host_ptr(seg[2], len[2]), ref + len[0] + len[1], len[2]);
		host_release(mark);
		sector += total / 512;
	}
	free(ref);
	free(disk);
}

/*
 * A chain whose data points (partly) outside host memory is refused on the
 * direct path before the kernel sees any of it: IOERR, counted, the part
 * inside untouched (IN) and the file untouched (OUT); the queue goes on.
 * Without io_uring (qemu-user) the synchronous copy path serves the same
 * chains: IOERR and the file untouched too, but an IN has copied what came
 * before the bad piece, and nothing is counted as direct.
 */
static void test_direct_hostile_buffers(void **state)
{
	struct blk_fixture *f = *state;
	uint64_t good = host_alloc(4096, 4096), seg[2];
	uint32_t len[2] = {4096, 4096};
	struct vmsg_blk_stats st0, st1;
	uint8_t disk[8192], zero[8192];
	unsigned int faults;
	size_t k;

	memset(zero, 0, sizeof(zero));
	assert_int_equal(vmsg_blk_get_stats(f->t.d, &st0), 0);
	/* [good | crossing the end of host memory] */
	seg[0] = good;
	seg[1] = HOST_BASE + HOST_SIZE - 2048;
	for (k = 0; k < 3; k++) {
		uint64_t bad[3] = {HOST_BASE + HOST_SIZE - 2048, HOST_BASE - 4096,
				   0xfffffffffffff000ull - 8192};

		seg[1] = bad[k];
		memset(host_ptr(good, 4096), 0x3c, 4096);
		faults = fake.host_faults;
		assert_int_equal(blk_req(&f->t, T_IN, 0, seg, len, 2, true, NULL), S_IOERR);
		assert_true(fake.host_faults > faults);
		for (size_t j = 0; st0.async_io && j < 4096; j++)
			assert_int_equal(((uint8_t *)host_ptr(good, 4096))[j], 0x3c);
		assert_int_equal(blk_req(&f->t, T_OUT, 0, seg, len, 2, false, NULL), S_IOERR);
		assert_int_equal(pread(f->fd, disk, sizeof(disk), 0), (ssize_t)sizeof(disk));
		assert_memory_equal(disk, zero, sizeof(disk));
	}
	assert_int_equal(vmsg_blk_get_stats(f->t.d, &st1), 0);
	assert_int_equal(st1.direct_refused - st0.direct_refused, st0.async_io ? 6 : 0);
	assert_int_equal(st1.direct, st0.direct);
	/* the device still works, directly (with io_uring) */
	memset(host_ptr(good, 4096), 0x3c, 4096);
	assert_int_equal(blk_req(&f->t, T_OUT, 0, &good, len, 1, false, NULL), S_OK);
	assert_int_equal(vmsg_blk_get_stats(f->t.d, &st0), 0);
	assert_int_equal(st0.direct, st1.direct + (st0.async_io ? 1 : 0));
	assert_int_equal(pread(f->fd, disk, 4096, 0), 4096);
	assert_int_equal(disk[0], 0x3c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_features_and_config, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_write_read_random, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_range, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_unsupported_flush_get_id, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_chains, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_ring_needs_reset, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_budget_and_wait_fd, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_reset, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_in_flight, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_seg_max, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_direct_and_copy_agree, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_direct_hostile_buffers, setup_rw, teardown),
	    /* the same through copies only (epf, uio) */
	    cmocka_unit_test_setup_teardown(test_write_read_random, setup_rw_copy, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_range, setup_rw_copy, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_chains, setup_rw_copy, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_reset, setup_rw_copy, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_in_flight, setup_rw_copy, teardown),
	    cmocka_unit_test_setup_teardown(test_seg_max, setup_rw_copy, teardown),
	};

	return cmocka_run_group_tests_name("devices_blk", tests, NULL, NULL);
}
