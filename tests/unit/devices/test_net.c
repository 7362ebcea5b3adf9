/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_net.c - virtio-net loopback backend against the fake engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_engine.h"
#include "vmsg_bytes.h"

#define RXQ	 0
#define TXQ	 1
#define HDR	 12u
#define MAXF	 1514u
#define RXBUF	 (HDR + MAXF)
#define QSIZE	 256u
#define F_MTU	 3
#define F_MAC	 5
#define F_STATUS 16

struct net_fixture {
	struct tdev t;
	uint64_t rx_dma[QSIZE]; /* by head id */
	uint32_t rx_posted;
	uint64_t seed;
};

static int setup(void **state)
{
	struct net_fixture *f = calloc(1, sizeof(*f));
	char err[128];

	if (!f)
		return -1;
	host_reset();
	f->seed = 0x5eed0001ull;
	tdev_start(&f->t, vmsg_net_loopback_create(NULL, err, sizeof(err)), 0, QSIZE);
	*state = f;
	return 0;
}

static int setup_noevidx(void **state)
{
	struct net_fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	tdev_restart(&f->t, 1ull << VMSG_VIRTIO_F_RING_EVENT_IDX, QSIZE);
	return 0;
}

static int teardown(void **state)
{
	struct net_fixture *f = *state;

	tdev_destroy(&f->t);
	free(f);
	return 0;
}

static void post_rx(struct net_fixture *f, uint32_t n, uint32_t size)
{
	struct vmsg_vq_buf b;
	uint32_t i;
	int head;

	for (i = 0; i < n; i++) {
		b.addr = host_alloc(size, 8);
		b.len = size;
		head = tq_add(&f->t.q[RXQ], NULL, 0, &b, 1);
		assert_true(head >= 0 && head < (int)QSIZE);
		f->rx_dma[head] = b.addr;
		f->rx_posted++;
	}
}

/* Queue one frame on tx (header and frame in 1 or 2 descriptors, or through
 * an indirect table). */
static void send_frame(struct net_fixture *f, const uint8_t *frame, uint32_t len, int how)
{
	uint64_t dma = host_alloc(HDR + len, 8);
	uint8_t *p = host_ptr(dma, HDR + len);
	struct vmsg_vq_buf b[2];
	int head;

	memset(p, 0, HDR);
	memcpy(p + HDR, frame, len);
	if (how == 0) {
		b[0] = (struct vmsg_vq_buf){dma, HDR + len};
		head = tq_add(&f->t.q[TXQ], b, 1, NULL, 0);
	} else {
		b[0] = (struct vmsg_vq_buf){dma, HDR};
		b[1] = (struct vmsg_vq_buf){dma + HDR, len};
		if (how == 1) {
			head = tq_add(&f->t.q[TXQ], b, 2, NULL, 0);
		} else {
			uint64_t tab = host_alloc(2 * 16, 16);

			head = vmsg_vq_drv_add_indirect(&f->t.q[TXQ].drv, host_ptr(tab, 32), tab, b,
							2, NULL, 0);
		}
	}
	assert_true(head >= 0);
}

static uint32_t reclaim_tx(struct net_fixture *f)
{
	uint16_t id;
	uint32_t len, n = 0;

	while (tq_used(&f->t.q[TXQ], &id, &len) == 1) {
		assert_int_equal(len, 0);
		n++;
	}
	return n;
}

/* Next received frame: its length and a pointer to it, or -1 if none. */
static int recv_frame(struct net_fixture *f, const uint8_t **frame)
{
	uint16_t id;
	uint32_t len;
	const uint8_t *p;

	if (tq_used(&f->t.q[RXQ], &id, &len) != 1)
		return -1;
	f->rx_posted--;
	if (len == 0) {
		*frame = NULL;
		return 0;
	}
	assert_true(len >= HDR);
	p = host_ptr(f->rx_dma[id], len);
	assert_int_equal(vmsg_get_le16(p + 10), 1); /* num_buffers */
	assert_int_equal(p[0], 0);		    /* flags */
	assert_int_equal(p[1], 0);		    /* gso_type */
	*frame = p + HDR;
	return (int)(len - HDR);
}

static void make_frame(uint8_t *buf, uint32_t seq, uint32_t len, uint64_t *seed)
{
	fill_random(buf, len, seed);
	vmsg_put_le32(buf, seq);
}

static void test_config(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_dev *d = f->t.d, *d2;
	uint8_t cfg[12], mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	char line[200], err[128];

	assert_int_equal(d->ops->device_id, 1);
	assert_int_equal(d->num_queues, 2);
	assert_true(d->features & (1ull << F_MAC));
	assert_true(d->features & (1ull << F_STATUS));
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_RING_RESET));
	assert_true(d->config_size >= 12);
	d->ops->config_read(d, 0, cfg, 12);
	assert_int_equal(cfg[0] & 1, 0);		 /* unicast */
	assert_int_equal(cfg[0] & 2, 2);		 /* locally administered */
	assert_int_equal(vmsg_get_le16(cfg + 6) & 1, 1); /* LINK_UP */
	assert_int_equal(vmsg_get_le16(cfg + 10), 1500);

	d2 = vmsg_net_loopback_create(mac, err, sizeof(err));
	assert_non_null(d2);
	d2->ops->config_read(d2, 0, cfg, 6);
	assert_memory_equal(cfg, mac, 6);
	d2->ops->describe(d2, line, sizeof(line));
	assert_non_null(strstr(line, "02:11:22:33:44:55"));
	assert_non_null(strstr(line, "loopback"));
	vmsg_device_destroy(d2);
}

static void run_1000(struct net_fixture *f)
{
	enum { N = 1000 };
	uint8_t *expect = malloc((size_t)N * MAXF);
	uint32_t elen[N], sent = 0, got = 0, iter, k, i;
	const uint8_t *fr;
	int len;
	size_t mark;

	assert_non_null(expect);
	for (i = 0; i < N; i++) {
		elen[i] = 14 + rnd(&f->seed, MAXF - 14 + 1);
		make_frame(expect + (size_t)i * MAXF, i, elen[i], &f->seed);
	}
	mark = host_mark();
	for (iter = 0; iter < 20000 && got < N; iter++) {
		if (f->rx_posted == 0 && f->t.q[TXQ].drv.in_flight == 0)
			host_release(mark); /* nothing in flight: recycle memory */
		/* Receive buffers come in random bursts, sometimes not at all,
		 * so frames are often held; in flight stays under the bound. */
		if (f->rx_posted < 48 && rnd(&f->seed, 2)) {
			post_rx(f, 1 + rnd(&f->seed, 16), RXBUF);
			tdev_kick(&f->t, RXQ);
		}
		k = 1 + rnd(&f->seed, 40);
		if (k > 200 - (sent - got))
			k = 200 - (sent - got);
		for (i = 0; i < k && sent < N && vmsg_vq_drv_num_free(&f->t.q[TXQ].drv) >= 2;
		     i++, sent++)
			send_frame(f, expect + (size_t)sent * MAXF, elen[sent], (int)(sent % 3));
		tdev_kick(&f->t, TXQ);
		tdev_run(&f->t);
		reclaim_tx(f);
		while ((len = recv_frame(f, &fr)) >= 0) {
			assert_non_null(fr);
			assert_true(got < sent);
			assert_int_equal((uint32_t)len, elen[got]);
			assert_memory_equal(fr, expect + (size_t)got * MAXF, elen[got]);
			got++;
		}
	}
	assert_int_equal(got, N);
	free(expect);
}

static void test_loopback_1000(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;

	run_1000(f);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.tx_frames, 1000);
	assert_int_equal(st.rx_frames, 1000);
	assert_int_equal(st.rx_dropped + st.tx_dropped + st.rx_too_small, 0);
	assert_true(fake.used_events[RXQ] > 0);
	assert_true(fake.used_events[TXQ] > 0);
}

static void test_held_then_delivered(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;
	uint8_t frame[MAXF];
	const uint8_t *fr;
	uint32_t i, lens[300];
	uint64_t seed = 99;
	int len;

	/* 10 frames, no receive buffers: held */
	for (i = 0; i < 10; i++) {
		lens[i] = 60 + i;
		make_frame(frame, i, lens[i], &seed);
		send_frame(f, frame, lens[i], 1);
	}
	tdev_kick(&f->t, TXQ);
	assert_int_equal(reclaim_tx(f), 10);
	assert_int_equal(recv_frame(f, &fr), -1);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 10);

	/* buffers come: delivered in order */
	post_rx(f, 20, RXBUF);
	tdev_kick(&f->t, RXQ);
	seed = 99;
	for (i = 0; i < 10; i++) {
		make_frame(frame, i, lens[i], &seed);
		len = recv_frame(f, &fr);
		assert_int_equal(len, (int)lens[i]);
		assert_memory_equal(fr, frame, lens[i]);
	}
	assert_int_equal(recv_frame(f, &fr), -1);

	/* the held queue is bounded: beyond it frames are dropped and counted */
	tdev_reset_queue(&f->t, RXQ);
	f->rx_posted = 0;
	for (i = 0; i < 300; i++) {
		send_frame(f, frame, 64, 0);
		if (vmsg_vq_drv_num_free(&f->t.q[TXQ].drv) < 2 || i == 299) {
			tdev_kick(&f->t, TXQ);
			tdev_run(&f->t);
			reclaim_tx(f);
		}
	}
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_true(st.pending > 0 && st.pending < 300);
	assert_int_equal(st.pending + st.rx_dropped, 300);
	post_rx(f, QSIZE, RXBUF);
	tdev_kick(&f->t, RXQ);
	tdev_run(&f->t);
	for (i = 0; recv_frame(f, &fr) == 64; i++)
		;
	assert_int_equal(i, st.pending);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 0);
}

static void test_small_rx_buffer(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;
	uint8_t frame[MAXF];
	const uint8_t *fr;
	uint64_t seed = 7;

	post_rx(f, 1, HDR + 100);
	post_rx(f, 1, RXBUF);
	make_frame(frame, 1, 200, &seed);
	send_frame(f, frame, 200, 0);
	make_frame(frame, 2, 90, &seed);
	send_frame(f, frame, 90, 0);
	tdev_kick(&f->t, TXQ);
	assert_int_equal(recv_frame(f, &fr), 0); /* the small buffer: returned empty */
	assert_int_equal(recv_frame(f, &fr), 90);
	assert_memory_equal(fr, frame, 90);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.rx_too_small, 1);
}

static void test_hostile_tx(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;
	struct vmsg_vq_buf b[2];
	uint64_t big = host_alloc(20000, 8), small = host_alloc(64, 8);
	uint8_t frame[64];
	const uint8_t *fr;
	uint64_t seed = 3;

	memset(host_ptr(small, 64), 0, 64);
	post_rx(f, 8, RXBUF);
	/* header cut short */
	b[0] = (struct vmsg_vq_buf){small, 8};
	assert_true(tq_add(&f->t.q[TXQ], b, 1, NULL, 0) >= 0);
	/* header and a frame shorter than an Ethernet header */
	b[0] = (struct vmsg_vq_buf){small, HDR + 4};
	assert_true(tq_add(&f->t.q[TXQ], b, 1, NULL, 0) >= 0);
	/* a writable descriptor in a tx chain */
	b[0] = (struct vmsg_vq_buf){small, HDR + 50};
	b[1] = (struct vmsg_vq_buf){small, 10};
	assert_true(tq_add(&f->t.q[TXQ], b, 1, &b[1], 1) >= 0);
	/* oversized */
	b[0] = (struct vmsg_vq_buf){big, 20000};
	assert_true(tq_add(&f->t.q[TXQ], b, 1, NULL, 0) >= 0);
	/* outside host memory */
	b[0] = (struct vmsg_vq_buf){small, HDR};
	b[1] = (struct vmsg_vq_buf){HOST_BASE + HOST_SIZE - 10, 60};
	assert_true(tq_add(&f->t.q[TXQ], b, 2, NULL, 0) >= 0);
	tdev_kick(&f->t, TXQ);
	assert_int_equal(reclaim_tx(f), 5);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.tx_dropped, 5);
	assert_int_equal(recv_frame(f, &fr), -1);
	/* still works */
	make_frame(frame, 42, 64, &seed);
	send_frame(f, frame, 64, 1);
	tdev_kick(&f->t, TXQ);
	assert_int_equal(recv_frame(f, &fr), 64);
	assert_memory_equal(fr, frame, 64);
	assert_int_equal(fake.needs_reset, 0);
}

static void test_reset_drops_pending(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;
	uint8_t frame[64] = {0};

	send_frame(f, frame, 64, 0);
	tdev_kick(&f->t, TXQ);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 1);
	tdev_restart(&f->t, 0, QSIZE);
	f->rx_posted = 0;
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 0);
	run_1000(f);
}

/* ---- bursts: many sizes, ring wrap, hostile chains inside a burst ---- */

#define BQ 32u /* small rings: they wrap many times */

enum { H_OUTSIDE, H_SHORT, H_WRITABLE, H_OVERSIZED, H_RING, H_KINDS };

struct hostile_bufs {
	uint64_t small, big;
};

/* A hostile transmit chain. The net-level ones (buffer outside host memory,
 * header + less than an Ethernet header, a writable descriptor, over 16 KiB)
 * come back used with length 0, counted in tx_dropped; H_RING breaks the ring
 * rules (address + length wraps the 64-bit space): consumed, never returned,
 * counted in bad_chains. */
static void send_hostile(struct net_fixture *f, const struct hostile_bufs *hb, int kind)
{
	struct tq *q = &f->t.q[TXQ];
	struct vmsg_vq_buf b[2];
	int head;

	switch (kind) {
	case H_OUTSIDE:
		b[0] = (struct vmsg_vq_buf){hb->small, HDR};
		b[1] = (struct vmsg_vq_buf){HOST_BASE + HOST_SIZE - 10, 60};
		head = tq_add(q, b, 2, NULL, 0);
		break;
	case H_SHORT:
		b[0] = (struct vmsg_vq_buf){hb->small, HDR + 4};
		head = tq_add(q, b, 1, NULL, 0);
		break;
	case H_WRITABLE:
		b[0] = (struct vmsg_vq_buf){hb->small, HDR + 50};
		b[1] = (struct vmsg_vq_buf){hb->small, 10};
		head = tq_add(q, b, 1, &b[1], 1);
		break;
	case H_OVERSIZED:
		b[0] = (struct vmsg_vq_buf){hb->big, HDR + 16385};
		head = tq_add(q, b, 1, NULL, 0);
		break;
	default:
		b[0] = (struct vmsg_vq_buf){hb->small, HDR + 60};
		head = tq_add(q, b, 1, NULL, 0);
		assert_true(head >= 0);
		q->drv.desc[head].addr = vmsg_cpu_to_le64(UINT64_MAX - 8);
		break;
	}
	assert_true(head >= 0);
}

/* Frames of every size through rings of BQ entries that wrap many times,
 * receive buffers plentiful, then missing (frames held, the hold's byte
 * ring wrapping), then trickling in; a hostile chain inside one transmit
 * burst in three. polled: the card busy-polls (poll() back to back, no
 * EVENT_AVAIL, and the driver must never be asked for one); else every
 * burst comes with a kick. Every good frame must come back once, intact,
 * in order; every hostile one dropped and counted. */
static void burst_loop(struct net_fixture *f, bool polled)
{
	enum { N = 4000 };
	struct hostile_bufs hb = {host_alloc(HDR + 64, 8), host_alloc(HDR + 16385, 8)};
	uint8_t *expect = malloc((size_t)N * MAXF);
	uint32_t elen[N], sent = 0, got = 0, net_bad = 0, ring_bad = 0, max_pending = 0;
	uint32_t iter, i, k, hpos, posted, chains = 0, wholes = 0;
	unsigned int ev_rx, ev_tx;
	bool whole;
	struct vmsg_net_stats st;
	const uint8_t *fr;
	size_t mark;
	int len;

	assert_non_null(expect);
	memset(host_ptr(hb.small, HDR + 64), 0, HDR + 64);
	for (i = 0; i < N; i++) {
		switch (i % 5) {
		case 0:
			elen[i] = 14; /* the smallest frame */
			break;
		case 1:
			elen[i] = MAXF;
			break;
		case 2:
			elen[i] = 14 + rnd(&f->seed, 64);
			break;
		default:
			elen[i] = 14 + rnd(&f->seed, MAXF - 14 + 1);
		}
		make_frame(expect + (size_t)i * MAXF, i, elen[i], &f->seed);
	}
	mark = host_mark();
	for (iter = 0; iter < 100000 && got < N; iter++) {
		uint32_t phase = iter % 240, room;

		if (f->rx_posted == 0 && f->t.q[TXQ].drv.in_flight == ring_bad)
			host_release(mark); /* nothing the card may still read */
		/* receive buffers: all it can take, then none (frames held), then
		 * a few at a time for long (the hold never empties: its byte ring
		 * wraps) */
		room = vmsg_vq_drv_num_free(&f->t.q[RXQ].drv);
		posted = phase < 20 ? room : phase < 40 ? 0 : rnd(&f->seed, 8);
		if (posted > room)
			posted = room;
		if (posted) {
			post_rx(f, posted, RXBUF);
			if (!polled)
				tdev_kick(&f->t, RXQ);
		}
		/* a transmit burst, a hostile chain somewhere inside one in three;
		 * at most 200 frames on their way back (the hold takes 256) */
		k = 1 + rnd(&f->seed, BQ);
		if (k > 200 - (sent - got))
			k = 200 - (sent - got);
		hpos = iter % 3 == 0 ? rnd(&f->seed, k) : UINT32_MAX;
		for (i = 0; i < k && sent < N && vmsg_vq_drv_num_free(&f->t.q[TXQ].drv) >= 2; i++) {
			if (i == hpos) {
				int kind = (int)((iter / 3) % H_KINDS);

				/* each ring-breaking chain costs the driver its
				 * descriptors for good: a few are enough */
				if (kind == H_RING && ring_bad >= 6)
					kind = H_SHORT;

				send_hostile(f, &hb, kind);
				if (kind == H_RING)
					ring_bad++;
				else
					net_bad++;
				chains++;
				continue;
			}
			send_frame(f, expect + (size_t)sent * MAXF, elen[sent], (int)(sent % 3));
			sent++;
			chains++;
		}
		ev_rx = fake.used_events[RXQ];
		ev_tx = fake.used_events[TXQ];
		assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
		/* nothing held and a buffer for each frame: the whole burst must
		 * come back now, a hostile chain inside it or not */
		whole = st.pending == 0 && f->rx_posted >= sent - got;
		if (polled) {
			/* the card never asked for a kick (the first one, before
			 * it ever looked at the ring, aside) */
			if (iter > 0)
				assert_false(vmsg_vq_drv_kick_needed(&f->t.q[TXQ].drv));
			else
				(void)vmsg_vq_drv_kick_needed(&f->t.q[TXQ].drv);
			f->t.d->ops->poll(f->t.d);
		} else {
			tdev_kick(&f->t, TXQ);
			tdev_run(&f->t);
		}
		/* one burst (BQ < the budget): one used notification per queue
		 * (plus one for held frames delivered at the end of a poll) */
		assert_true(fake.used_events[TXQ] - ev_tx <= 1);
		assert_true(fake.used_events[RXQ] - ev_rx <= 2);
		reclaim_tx(f);
		while ((len = recv_frame(f, &fr)) >= 0) {
			assert_non_null(fr);
			assert_true(got < sent);
			assert_int_equal((uint32_t)len, elen[got]);
			assert_memory_equal(fr, expect + (size_t)got * MAXF, elen[got]);
			got++;
		}
		if (whole) {
			assert_int_equal(got, sent);
			wholes += hpos != UINT32_MAX;
		}
		assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
		if (st.pending > max_pending)
			max_pending = (uint32_t)st.pending;
	}
	assert_int_equal(got, N);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.tx_frames, N);
	assert_int_equal(st.rx_frames, N);
	assert_int_equal(st.tx_dropped, net_bad);
	assert_int_equal(st.bad_chains, ring_bad);
	assert_int_equal(st.rx_dropped + st.rx_too_small, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(fake.needs_reset, 0);
	/* what the run was meant to cover did happen */
	assert_true(ring_bad >= 3 && net_bad >= 4 * 3);
	assert_true(chains > 20 * BQ); /* the rings wrapped */
	assert_true(max_pending >= 100);
	assert_true(wholes >= 10);
	free(expect);
}

static int setup_burst(void **state)
{
	struct net_fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	tdev_restart(&f->t, 0, BQ);
	return 0;
}

static int setup_burst_polled(void **state)
{
	struct net_fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	fake_mode.busy_poll = true;
	tdev_restart(&f->t, 0, BQ);
	return 0;
}

static int setup_burst_polled_noevidx(void **state)
{
	struct net_fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	fake_mode.busy_poll = true;
	tdev_restart(&f->t, 1ull << VMSG_VIRTIO_F_RING_EVENT_IDX, BQ);
	return 0;
}

static void test_burst_notified(void **state)
{
	burst_loop(*state, false);
}

static void test_burst_polled(void **state)
{
	burst_loop(*state, true);
}

/* Busy-polled while the host is unreachable (link not RUN): the rings are
 * left alone, nothing breaks; traffic resumes when it comes back. */
static void test_polled_host_down(void **state)
{
	struct net_fixture *f = *state;
	uint8_t frame[100];
	const uint8_t *fr;
	uint64_t seed = 11;
	int i;

	post_rx(f, 4, RXBUF);
	make_frame(frame, 1, sizeof(frame), &seed);
	send_frame(f, frame, sizeof(frame), 0);
	fake_mode.host_down = true;
	for (i = 0; i < 100; i++)
		f->t.d->ops->poll(f->t.d);
	assert_int_equal(fake.needs_reset, 0);
	assert_int_equal(fake.host_faults, 0);
	fake_mode.host_down = false;
	f->t.d->ops->poll(f->t.d);
	assert_int_equal(recv_frame(f, &fr), (int)sizeof(frame));
	assert_memory_equal(fr, frame, sizeof(frame));
	assert_int_equal(reclaim_tx(f), 1);
}

/* A receive chain that breaks the ring rules between two good ones, in one
 * burst: consumed and counted, and the frame goes to the next buffer. */
static void test_hostile_rx_in_burst(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_net_stats st;
	struct vmsg_vq_buf b;
	uint8_t frame[3][200];
	const uint8_t *fr;
	uint64_t seed = 5;
	int head, i;

	post_rx(f, 1, RXBUF);
	b = (struct vmsg_vq_buf){host_alloc(RXBUF, 8), RXBUF};
	head = tq_add(&f->t.q[RXQ], NULL, 0, &b, 1);
	assert_true(head >= 0);
	f->t.q[RXQ].drv.desc[head].addr = vmsg_cpu_to_le64(UINT64_MAX - 8);
	post_rx(f, 2, RXBUF);
	for (i = 0; i < 3; i++) {
		make_frame(frame[i], (uint32_t)i, 100 + (uint32_t)i, &seed);
		send_frame(f, frame[i], 100 + (uint32_t)i, i % 3);
	}
	tdev_kick(&f->t, TXQ);
	for (i = 0; i < 3; i++) {
		assert_int_equal(recv_frame(f, &fr), 100 + i);
		assert_memory_equal(fr, frame[i], 100 + (uint32_t)i);
	}
	assert_int_equal(recv_frame(f, &fr), -1);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.bad_chains, 1);
	assert_int_equal(st.rx_frames, 3);
	assert_int_equal(st.rx_too_small + st.rx_dropped + st.tx_dropped, 0);
	assert_int_equal(fake.needs_reset, 0);
}

/* EVENT_AVAIL only when the card waits for one (interrupt mode, with and
 * without EVENT_IDX): a receive buffer posted while nothing waits for one
 * must not need a kick (the card only takes receive buffers when frames
 * come), one posted while a frame is held must; a transmit chain posted
 * after the card drained the ring must. */
static void test_kicks_when_needed(void **state)
{
	struct net_fixture *f = *state;
	struct vmsg_vq_drv *rx = &f->t.q[RXQ].drv, *tx = &f->t.q[TXQ].drv;
	struct vmsg_net_stats st;
	uint8_t frame[3][80];
	const uint8_t *fr;
	uint64_t seed = 21;
	int i;

	for (i = 0; i < 3; i++)
		make_frame(frame[i], (uint32_t)i, sizeof(frame[i]), &seed);
	post_rx(f, 1, RXBUF);
	(void)vmsg_vq_drv_kick_needed(rx); /* before the card looked: either */
	tdev_kick(&f->t, RXQ);
	send_frame(f, frame[0], sizeof(frame[0]), 0);
	(void)vmsg_vq_drv_kick_needed(tx);
	tdev_kick(&f->t, TXQ);
	assert_int_equal(recv_frame(f, &fr), (int)sizeof(frame[0]));
	assert_memory_equal(fr, frame[0], sizeof(frame[0]));
	assert_int_equal(reclaim_tx(f), 1);

	/* nothing waits for a receive buffer: no kick for a refill */
	post_rx(f, 1, RXBUF);
	assert_false(vmsg_vq_drv_kick_needed(rx));
	/* the transmit ring was drained: the next chain needs a kick */
	send_frame(f, frame[1], sizeof(frame[1]), 1);
	assert_true(vmsg_vq_drv_kick_needed(tx));
	tdev_kick(&f->t, TXQ);
	assert_int_equal(recv_frame(f, &fr), (int)sizeof(frame[1]));
	assert_memory_equal(fr, frame[1], sizeof(frame[1]));
	assert_int_equal(reclaim_tx(f), 1);

	/* no receive buffer left: the next frame is held, and the buffer
	 * the driver posts for it needs a kick */
	send_frame(f, frame[2], sizeof(frame[2]), 2);
	assert_true(vmsg_vq_drv_kick_needed(tx));
	tdev_kick(&f->t, TXQ);
	assert_int_equal(reclaim_tx(f), 1);
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 1);
	post_rx(f, 1, RXBUF);
	assert_true(vmsg_vq_drv_kick_needed(rx));
	tdev_kick(&f->t, RXQ);
	assert_int_equal(recv_frame(f, &fr), (int)sizeof(frame[2]));
	assert_memory_equal(fr, frame[2], sizeof(frame[2]));
	assert_int_equal(vmsg_net_get_stats(f->t.d, &st), 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.rx_frames, 3);
	assert_int_equal(st.rx_bufs, 3);
	assert_int_equal(st.rx_kicks, 2);
	assert_int_equal(st.tx_kicks, 3);
	assert_int_equal(fake.needs_reset, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback_1000, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback_1000, setup_noevidx, teardown),
	    cmocka_unit_test_setup_teardown(test_held_then_delivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_small_rx_buffer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_tx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_drops_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_burst_notified, setup_burst, teardown),
	    cmocka_unit_test_setup_teardown(test_burst_polled, setup_burst_polled, teardown),
	    cmocka_unit_test_setup_teardown(test_burst_polled, setup_burst_polled_noevidx,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_polled_host_down, setup_burst_polled, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_rx_in_burst, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kicks_when_needed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kicks_when_needed, setup_noevidx, teardown),
	};

	return cmocka_run_group_tests_name("devices_net", tests, NULL, NULL);
}
