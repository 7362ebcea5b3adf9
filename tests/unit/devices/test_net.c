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
	};

	return cmocka_run_group_tests_name("devices_net", tests, NULL, NULL);
}
