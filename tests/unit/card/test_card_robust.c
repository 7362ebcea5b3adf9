/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_card_robust.c - hostile input, full rings, lossless back-pressure. */
#include "card_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg_barrier.h"

#define ST_RUN                                                                                     \
	(VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER |                                \
	 VIRTIO_MSG_STATUS_FEATURES_OK | VIRTIO_MSG_STATUS_DRIVER_OK)

static void ping_ok(struct rig *r, uint32_t data)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r->th), data);

	thost_call(&r->th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_BUS_MSG_PING);
	assert_int_equal(msg_u32(resp, 0), data);
}

/* Hand-built bad messages: (bytes, slot length, expected verdict). */
struct bad_msg {
	const char *what;
	uint8_t b[320];
	uint32_t len;
	enum vmsg_verdict v;
};

static void hdr(uint8_t *b, uint8_t type, uint8_t id, uint16_t dev, uint16_t size)
{
	b[0] = type;
	b[1] = id;
	vmsg_put_le16(b + 2, dev);
	vmsg_put_le16(b + 4, 0x55);
	vmsg_put_le16(b + 6, size);
}

static size_t make_bad(struct bad_msg *t)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t) * 12);
	t[i] = (struct bad_msg){.what = "short", .len = 4, .v = VMSG_E_SHORT};
	hdr(t[i++].b, VIRTIO_MSG_TYPE_BUS, VIRTIO_BUS_MSG_PING, 0, 4);

	t[i] = (struct bad_msg){.what = "size mismatch", .len = 12, .v = VMSG_E_SIZE_MISMATCH};
	hdr(t[i++].b, VIRTIO_MSG_TYPE_BUS, VIRTIO_BUS_MSG_PING, 0, 16);

	t[i] = (struct bad_msg){.what = "too big", .len = 300, .v = VMSG_E_TOO_BIG};
	hdr(t[i++].b, 0, VIRTIO_MSG_SET_CONFIG, 1, 300);

	t[i] = (struct bad_msg){.what = "unknown id", .len = 8, .v = VMSG_E_UNKNOWN_ID};
	hdr(t[i++].b, 0, 0x30, 1, 8);

	t[i] = (struct bad_msg){.what = "event from host", .len = 24, .v = VMSG_E_WRONG_DIR};
	hdr(t[i++].b, 0, VIRTIO_MSG_EVENT_CONFIG, 1, 24);

	t[i] = (struct bad_msg){.what = "response from host", .len = 12, .v = VMSG_E_WRONG_DIR};
	hdr(t[i++].b, VIRTIO_MSG_TYPE_RESPONSE, VIRTIO_MSG_GET_DEVICE_STATUS, 1, 12);

	t[i] = (struct bad_msg){.what = "payload", .len = 12, .v = VMSG_E_PAYLOAD_SIZE};
	hdr(t[i++].b, 0, VIRTIO_MSG_GET_DEVICE_STATUS, 1, 12);

	t[i] = (struct bad_msg){.what = "count", .len = 16, .v = VMSG_E_COUNT};
	hdr(t[i].b, 0, VIRTIO_MSG_GET_CONFIG, 1, 16); /* length 0 */
	vmsg_put_le32(t[i++].b + 8, 4);

	t[i] = (struct bad_msg){.what = "range", .len = 12, .v = VMSG_E_RANGE};
	hdr(t[i].b, VIRTIO_MSG_TYPE_BUS, VIRTIO_BUS_MSG_GET_DEVICES, 0, 12);
	vmsg_put_le16(t[i].b + 8, 3);
	vmsg_put_le16(t[i++].b + 10, 8);

	t[i] = (struct bad_msg){.what = "reserved field", .len = 48, .v = VMSG_E_RESERVED_FIELD};
	hdr(t[i].b, 0, VIRTIO_MSG_SET_VQUEUE, 1, 48);
	vmsg_put_le32(t[i].b + 12, 1);
	vmsg_put_le32(t[i++].b + 16, 64);

	t[i] = (struct bad_msg){.what = "bus dev_num", .len = 12, .v = VMSG_E_DEV_NUM};
	hdr(t[i++].b, VIRTIO_MSG_TYPE_BUS, VIRTIO_BUS_MSG_PING, 1, 12);

	t[i] = (struct bad_msg){.what = "features overflow", .len = 16, .v = VMSG_E_RANGE};
	hdr(t[i].b, 0, VIRTIO_MSG_GET_DEVICE_FEATURES, 1, 16);
	vmsg_put_le32(t[i].b + 8, 0xffffffffu);
	vmsg_put_le32(t[i++].b + 12, 2);
	return i;
}

static void test_malformed_dropped(void **state)
{
	struct bad_msg t[12];
	struct fdev f;
	struct rig r;
	size_t i, n;

	(void)state;
	rig_init(&r, NULL);
	fdev_init(&f, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	thost_attach(&r.th);
	n = make_bad(t);
	for (i = 0; i < n; i++) {
		const struct vmsg_card_stats *s = vmsg_card_stats(r.card);
		uint64_t before = s->verdicts[t[i].v];
		uint64_t mal = s->drop_malformed;

		thost_put_raw(&r.th, t[i].b, t[i].len, r.th.epoch);
		vmsg_card_poll(r.card);
		assert_int_equal(thost_drain(&r.th), 0);
		if (s->verdicts[t[i].v] != before + 1)
			fail_msg("%s: verdict %d not counted", t[i].what, t[i].v);
		assert_int_equal(s->drop_malformed, mal + 1);
		ping_ok(&r, (uint32_t)i);
	}
	assert_int_equal(vmsg_card_stats(r.card)->drop_malformed, n);
	assert_int_equal(bar_rd64(&r.fp, REG(cnt_drop_malformed)), n);
	assert_int_equal(f.d.status, 0);
	rig_fini(&r);
}

static void test_reserved_type_bits_ignored(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	n = vmsg_build_bus_ping_req(req, sizeof(req), 4, 0x1234);
	req[0] |= 0xf0;
	thost_call(&r.th, req, n, resp);
	assert_int_equal(resp[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	rig_fini(&r);
}

/* Write a slot frame by hand (bypassing the producer's checks). */
static void put_bad_frame(struct thost *th, uint16_t len)
{
	volatile uint8_t *slot =
	    th->h2c.slots + (size_t)(th->h2c.local & th->h2c.mask) * th->h2c.slot_size;

	vmsg_put_le16((uint8_t *)slot, len);
	vmsg_put_le16((uint8_t *)slot + 2, 0);
	vmsg_put_le32((uint8_t *)slot + 4, th->epoch);
	vmsg_mb();
	th->h2c.local++;
	VMSG_WRITE_ONCE32(&th->h2c.prod->idx, th->h2c.local);
}

static void test_bad_ring_frames(void **state)
{
	struct rig r;
	uint32_t far;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	put_bad_frame(&r.th, 0);
	put_bad_frame(&r.th, 400); /* longer than a slot */
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_stats(r.card)->drop_malformed, 2);
	ping_ok(&r, 1);
	/* an impossible producer index: the card resynchronises */
	far = r.th.h2c.local + 1000;
	VMSG_WRITE_ONCE32(&r.th.h2c.prod->idx, far);
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_stats(r.card)->drop_malformed, 3);
	r.th.h2c.local = far;
	r.th.h2c.cached = far;
	ping_ok(&r, 2);
	/* epoch 0 and random epochs are stale */
	{
		uint8_t req[MSGBUF];
		size_t n = vmsg_build_bus_ping_req(req, sizeof(req), 1, 1);

		thost_put_raw(&r.th, req, (uint32_t)n, 0);
		thost_put_raw(&r.th, req, (uint32_t)n, r.th.epoch + 1);
		vmsg_card_poll(r.card);
		assert_int_equal(thost_drain(&r.th), 0);
		assert_int_equal(vmsg_card_stats(r.card)->drop_stale, 2);
	}
	ping_ok(&r, 3);
	rig_fini(&r);
}

static void small_ring_rig(struct rig *r)
{
	struct vmsg_card_config cfg;

	vmsg_card_config_defaults(&cfg);
	cfg.ring_slot_count = 8;
	rig_init(r, &cfg);
	thost_attach(&r->th);
}

static void send_pings(struct rig *r, uint32_t first, uint32_t count)
{
	uint8_t req[MSGBUF];
	uint32_t i;

	for (i = 0; i < count; i++) {
		size_t n =
		    vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r->th), first + i);

		thost_put(&r->th, req, n);
	}
}

/* Receive everything available (polling the card between batches) and
 * check the PING data runs first, first + 1, ... */
static uint32_t recv_pings_in_order(struct rig *r, uint32_t first, uint32_t limit)
{
	uint8_t m[MSGBUF];
	uint32_t got = 0, rounds;

	for (rounds = 0; rounds < 64 && got < limit; rounds++) {
		while (got < limit && thost_get(&r->th, m)) {
			assert_int_equal(m[1], VIRTIO_BUS_MSG_PING);
			assert_int_equal(msg_u32(m, 0), first + got);
			got++;
		}
		vmsg_card_poll(r->card);
	}
	return got;
}

static void test_c2h_full_then_drained(void **state)
{
	struct rig r;

	(void)state;
	small_ring_rig(&r);
	send_pings(&r, 0, 8);
	vmsg_card_poll(r.card);
	send_pings(&r, 8, 8);
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_stats(r.card)->ring_full, 8);
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 8);
	assert_int_equal(vmsg_card_next_timeout_ms(r.card), 1);
	assert_int_equal(recv_pings_in_order(&r, 0, 16), 16);
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 16);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 0);
	assert_int_equal(bar_rd64(&r.fp, REG(cnt_ring_full)), 8);
	rig_fini(&r);
}

static void test_backpressure_lossless(void **state)
{
	uint32_t sent = 0, got = 0, round;
	struct rig r;

	(void)state;
	small_ring_rig(&r);
	/* the host keeps sending and does not read: the card stops taking
	 * requests before it would have to drop an answer */
	for (round = 0; round < 20; round++) {
		uint32_t room = vmsg_ring_space(&r.th.h2c);

		send_pings(&r, sent, room);
		sent += room;
		vmsg_card_poll(r.card);
	}
	assert_true(sent > 8 + 64);
	assert_true(vmsg_ring_space(&r.th.h2c) == 0);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 0);
	got = recv_pings_in_order(&r, 0, sent);
	assert_int_equal(got, sent);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 0);
	rig_fini(&r);
}

static void test_hostile_c2h_consumer(void **state)
{
	volatile struct vmsg_ring_idx *cons;
	struct rig r;

	(void)state;
	small_ring_rig(&r);
	cons = (volatile struct vmsg_ring_idx *)(r.fp.bar0 + VMSG_BAR0_C2H_CONS_OFFSET);
	send_pings(&r, 0, 8);
	vmsg_card_poll(r.card);			    /* c2h full, nothing read yet */
	VMSG_WRITE_ONCE32(&cons->idx, 0x80000000u); /* impossible consumer index */
	send_pings(&r, 8, 3);
	vmsg_card_poll(r.card);
	/* unread slots are never overwritten: the three wait */
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 8);
	assert_int_equal(vmsg_card_stats(r.card)->ring_full, 3);
	/* the host's own consumer rewrites its index as it reads */
	assert_int_equal(recv_pings_in_order(&r, 0, 11), 11);
	rig_fini(&r);
}

static void run_device(struct rig *r, struct fdev *f, uint64_t features)
{
	fdev_init(f, features, 8, 1);
	assert_int_equal(vmsg_card_add_device(r->card, &f->d), 1);
	assert_int_equal(thost_drain(&r->th), 1); /* EVENT_DEVICE READY */
	assert_int_equal(dev_negotiate(&r->th, 1, F_BASE) & VIRTIO_MSG_STATUS_FEATURES_OK,
			 VIRTIO_MSG_STATUS_FEATURES_OK);
	dev_vq_set(&r->th, 1, 0, 64, FAKE_VQ_BASE, FAKE_VQ_BASE + 0x1000, FAKE_VQ_BASE + 0x2000);
	assert_int_equal(dev_status_set(&r->th, 1, ST_RUN), ST_RUN);
}

static void test_event_coalescing(void **state)
{
	struct fdev f;
	struct rig r;
	int i;

	(void)state;
	small_ring_rig(&r);
	run_device(&r, &f, F_BASE);
	send_pings(&r, 0, 8);
	vmsg_card_poll(r.card); /* c2h now full */
	for (i = 0; i < 5; i++)
		vmsg_dev_send_used(&f.d, 0);
	assert_int_equal(recv_pings_in_order(&r, 0, 8), 8);
	vmsg_card_poll(r.card);
	assert_int_equal(thost_drain(&r.th), 1);
	rig_fini(&r);
}

static void test_pending_overflow_needs_reset(void **state)
{
	uint8_t m[MSGBUF];
	uint32_t i, got = 0, last_status = 0;
	struct fdev f;
	struct rig r;

	(void)state;
	small_ring_rig(&r);
	run_device(&r, &f, F_BASE);
	for (i = 0; i < 8 + 64 + 1; i++)
		vmsg_dev_config_changed(&f.d, 0, 4);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 1);
	assert_int_equal(f.d.status & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET,
			 VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET);
	for (i = 0; i < 32; i++) {
		while (thost_get(&r.th, m)) {
			assert_int_equal(m[1], VIRTIO_MSG_EVENT_CONFIG);
			last_status = msg_u32(m, 0);
			got++;
		}
		vmsg_card_poll(r.card);
	}
	assert_int_equal(got, 8 + 64 + 1);
	assert_int_equal(last_status & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET,
			 VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(dev_status_get(&r.th, 1) & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET,
			 VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET);
	rig_fini(&r);
}

static void test_reset_drops_queued_events(void **state)
{
	const uint64_t rr = F_BASE | BIT64(VMSG_VIRTIO_F_RING_RESET);
	uint8_t req[MSGBUF], m[MSGBUF];
	uint32_t got = 0, used = 0;
	struct fdev f;
	struct rig r;
	size_t n;

	(void)state;
	small_ring_rig(&r);
	fdev_init(&f, rr, 8, 2);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	assert_int_equal(thost_drain(&r.th), 1);
	assert_int_equal(dev_negotiate(&r.th, 1, rr) & VIRTIO_MSG_STATUS_FEATURES_OK,
			 VIRTIO_MSG_STATUS_FEATURES_OK);
	dev_vq_set(&r.th, 1, 0, 64, FAKE_VQ_BASE, FAKE_VQ_BASE + 0x1000, FAKE_VQ_BASE + 0x2000);
	dev_vq_set(&r.th, 1, 1, 64, FAKE_VQ_BASE + 0x4000, FAKE_VQ_BASE + 0x5000,
		   FAKE_VQ_BASE + 0x6000);
	assert_int_equal(dev_status_set(&r.th, 1, ST_RUN), ST_RUN);
	send_pings(&r, 0, 8);
	vmsg_card_poll(r.card); /* c2h full */
	vmsg_dev_send_used(&f.d, 0);
	vmsg_dev_send_used(&f.d, 1);
	/* RESET_VQUEUE 0: its queued EVENT_USED goes, queue 1's stays */
	n = vmsg_build_reset_vqueue_req(req, sizeof(req), 1, 0x70, 0);
	thost_put(&r.th, req, n);
	vmsg_card_poll(r.card);
	/* SET_DEVICE_STATUS(0): queue 1's goes too; both answers stay */
	n = vmsg_build_set_device_status_req(req, sizeof(req), 1, 0x71, 0);
	thost_put(&r.th, req, n);
	vmsg_card_poll(r.card);
	assert_int_equal(recv_pings_in_order(&r, 0, 8), 8);
	for (n = 0; n < 8; n++) {
		while (thost_get(&r.th, m)) {
			used += m[1] == VIRTIO_MSG_EVENT_USED;
			got++;
		}
		vmsg_card_poll(r.card);
	}
	assert_int_equal(used, 0);
	assert_int_equal(got, 2); /* the two responses */
	rig_fini(&r);
}

static void test_rx_budget(void **state)
{
	struct vmsg_card_config cfg;
	struct rig r;
	int handled;

	(void)state;
	vmsg_card_config_defaults(&cfg);
	cfg.ring_slot_count = 128;
	rig_init(&r, &cfg);
	thost_attach(&r.th);
	send_pings(&r, 0, 100);
	handled = vmsg_card_poll(r.card);
	assert_true(handled > 0 && handled <= 64);
	assert_int_equal(vmsg_card_next_timeout_ms(r.card), 0);
	assert_int_equal(recv_pings_in_order(&r, 0, 100), 100);
	rig_fini(&r);
}

static void test_not_attached_no_traffic(void **state)
{
	struct fdev f;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	fdev_init(&f, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	vmsg_dev_config_changed(&f.d, 0, 4);
	vmsg_dev_needs_reset(&f.d);
	vmsg_dev_notify_used(&f.d, 0);
	assert_int_equal(vmsg_card_poll(r.card), 0);
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 0);
	rig_fini(&r);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Random small value, sometimes anything. */
static uint32_t rsmall(uint32_t lim)
{
	return rnd() % 8 ? rnd() % lim : rnd();
}

/* Payload of a plausible request for id (bus or transport). */
static uint32_t random_payload(uint8_t *p, bool bus, uint8_t id)
{
	static const uint32_t status[] = {0, 1, 3, 0xb, 0xf, 0x8b, 0x4f, 0x40};
	uint32_t n = rnd() % 8, i;

	if (bus) {
		vmsg_put_le16(p, (uint16_t)(rsmall(4) * 8));
		vmsg_put_le16(p + 2, (uint16_t)(8 + rsmall(4) * 8));
		return 4;
	}
	for (i = 0; i < 48; i++)
		p[i] = 0;
	vmsg_put_le32(p, rsmall(4));
	switch (id) {
	case VIRTIO_MSG_GET_DEVICE_INFO:
	case VIRTIO_MSG_GET_DEVICE_STATUS:
		return 0;
	case VIRTIO_MSG_SET_DRIVER_FEATURES:
		if (rnd() % 2) { /* what the fake devices offer (EVENT_IDX, V1, AP, RESET) */
			vmsg_put_le32(p, 0);
			vmsg_put_le32(p + 4, 2);
			vmsg_put_le32(p + 8, rnd() % 2 ? 1u << 29 : 0);
			vmsg_put_le32(p + 12, 0x103);
			return 16;
		}
		vmsg_put_le32(p + 4, n);
		for (i = 0; i < n; i++)
			vmsg_put_le32(p + 8 + 4 * i, rnd());
		return 8 + 4 * n;
	case VIRTIO_MSG_GET_DEVICE_FEATURES:
	case VIRTIO_MSG_GET_CONFIG:
		vmsg_put_le32(p, rsmall(80));
		vmsg_put_le32(p + 4, 1 + rsmall(8));
		return 8;
	case VIRTIO_MSG_SET_CONFIG:
		vmsg_put_le32(p, rsmall(3));
		vmsg_put_le32(p + 4, rsmall(80));
		vmsg_put_le32(p + 8, n + 1);
		return 12 + n + 1;
	case VIRTIO_MSG_SET_DEVICE_STATUS:
		vmsg_put_le32(p, status[rnd() % 8] | (rnd() % 16 ? 0 : rnd()));
		return 4;
	case VIRTIO_MSG_SET_VQUEUE:
		vmsg_put_le32(p + 8, 1u << (rsmall(10) % 32));
		vmsg_put_le64(p + 16, FAKE_VQ_BASE + rsmall(4) * 0x1000);
		vmsg_put_le64(p + 24, FAKE_VQ_BASE + 0x8000 + rsmall(4) * 0x1000);
		vmsg_put_le64(p + 32, FAKE_VQ_BASE + 0x10000 + rsmall(4) * 0x1000);
		return 40;
	case VIRTIO_MSG_EVENT_AVAIL:
		return 8;
	default:
		return 4;
	}
}

/* Mostly well-formed requests to random devices, some garbage. */
static uint32_t random_msg(uint8_t *b)
{
	static const uint8_t tids[] = {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				       0x09, 0x0a, 0x0b, 0x0c, 0x41, 0x80, 0xc1};
	uint32_t len, i;
	bool bus;

	if (rnd() % 8 == 0) {
		len = 1 + rnd() % 300;
		for (i = 0; i < len; i++)
			b[i] = (uint8_t)rnd();
		return len;
	}
	bus = rnd() % 8 == 0;
	b[0] = bus ? VIRTIO_MSG_TYPE_BUS : 0;
	b[1] = bus ? (uint8_t)(2 + rnd() % 2) : tids[rnd() % sizeof(tids)];
	vmsg_put_le16(b + 2, (uint16_t)(bus ? 0 : rnd() % 5));
	vmsg_put_le16(b + 4, (uint16_t)rnd());
	len = 8 + random_payload(b + 8, bus, b[1]);
	vmsg_put_le16(b + 6, (uint16_t)len);
	if (rnd() % 32 == 0)
		b[8 + rnd() % 8] ^= (uint8_t)(1u << (rnd() % 8)); /* a flipped bit */
	return len;
}

static void test_random_storm(void **state)
{
	uint8_t msg[320];
	struct fdev f[3];
	struct rig r;
	uint32_t i, j;

	(void)state;
	rig_init(&r, NULL);
	for (i = 0; i < 3; i++) {
		fdev_init(&f[i],
			  F_BASE | BIT64(VMSG_VIRTIO_F_RING_RESET) |
			      BIT64(VMSG_VIRTIO_F_RING_EVENT_IDX),
			  i * 40, i + 1);
		f[i].has_shm = true;
		assert_int_equal(vmsg_card_add_device(r.card, &f[i].d), (int)i + 1);
	}
	thost_attach(&r.th);
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < 1 + rnd() % 8 && vmsg_ring_space(&r.th.h2c); j++)
			thost_put_raw(&r.th, msg, random_msg(msg), rnd() % 32 ? r.th.epoch : rnd());
		vmsg_card_poll(r.card);
		if (rnd() % 64 == 0)
			vmsg_dev_config_changed(&f[rnd() % 3].d, rnd() % 64, rnd() % 64);
		if (rnd() % 64 == 0)
			vmsg_dev_notify_used(&f[rnd() % 3].d, rnd() % 4);
		thost_drain(&r.th); /* every message the card sends validates */
	}
	if (getenv("CARD_TEST_STATS")) {
		const struct vmsg_card_stats *s = vmsg_card_stats(r.card);

		fprintf(stderr,
			"rx %llu tx %llu malformed %llu stale %llu nodev %llu unsup %llu refused "
			"%llu err %llu\n",
			(unsigned long long)s->rx_msgs, (unsigned long long)s->tx_msgs,
			(unsigned long long)s->drop_malformed, (unsigned long long)s->drop_stale,
			(unsigned long long)s->drop_no_device,
			(unsigned long long)s->drop_unsupported, (unsigned long long)s->refused,
			(unsigned long long)s->errors_sent);
		for (i = 0; i < 3; i++)
			fprintf(stderr, "dev%u status %x starts %u notifies %u resets %u\n", i + 1,
				f[i].d.status, f[i].starts, f[i].notifies, f[i].resets);
	}
	assert_true(vmsg_card_stats(r.card)->rx_msgs > 20000);
	assert_true(vmsg_card_stats(r.card)->drop_malformed > 0);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 0);
	ping_ok(&r, 0xabcdef);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_malformed_dropped),
	    cmocka_unit_test(test_reserved_type_bits_ignored),
	    cmocka_unit_test(test_bad_ring_frames),
	    cmocka_unit_test(test_c2h_full_then_drained),
	    cmocka_unit_test(test_backpressure_lossless),
	    cmocka_unit_test(test_hostile_c2h_consumer),
	    cmocka_unit_test(test_event_coalescing),
	    cmocka_unit_test(test_pending_overflow_needs_reset),
	    cmocka_unit_test(test_reset_drops_queued_events),
	    cmocka_unit_test(test_rx_budget),
	    cmocka_unit_test(test_not_attached_no_traffic),
	    cmocka_unit_test(test_random_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
