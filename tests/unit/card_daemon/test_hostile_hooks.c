// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_hostile_hooks.c - the engine's test hooks behind `vmsg-card
 * --hostile` (vmsg_card.h, "test hooks"), on the card unit tests' fake
 * platform and test host (tests/unit/card/card_harness.c).
 *
 * What hostile.c relies on: an injection lands between the engine's
 * messages and never in front of one that waits; it never takes a slot
 * the host has not consumed nor the room the caller keeps for the engine;
 * an impossible producer index makes the host resynchronise without losing
 * any engine message, which waits until the host caught up.
 */
#include "card_harness.h"
#include "vmsg_card_test.h"

#define SLOTS 8u

static void rig8(struct rig *r)
{
	struct vmsg_card_config cfg;
	struct attach_args a;

	vmsg_card_config_defaults(&cfg);
	cfg.ring_slot_count = SLOTS;
	cfg.card_features |= VMSG_PCIE_F_MSIX;
	cfg.num_vectors = FAKE_NUM_VECTORS;
	rig_init(r, &cfg);
	/* MSI-X with NEED_NOTIFY set, as the host library runs */
	attach_args_default(&r->th, &a);
	a.features |= VMSG_PCIE_F_MSIX;
	a.irq_mode = VMSG_IRQ_MSIX;
	assert_int_equal(thost_attach_with(&r->th, &a), VMSG_ATTACH_OK);
	vmsg_ring_set_need_notify(&r->th.c2h, true);
}

static void send_pings(struct rig *r, uint32_t first, uint32_t count)
{
	uint8_t req[MSGBUF];

	for (uint32_t i = 0; i < count; i++)
		thost_put(
		    &r->th, req,
		    vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r->th), first + i));
}

/* Next c2h slot as the host sees it: length (or negative), epoch. */
static int host_take(struct rig *r, uint8_t *m, uint32_t *epoch)
{
	return vmsg_ring_consume(&r->th.c2h, m, MSGBUF, epoch);
}

static void expect_ping(struct rig *r, uint32_t data)
{
	uint8_t m[MSGBUF];

	assert_true(thost_get(&r->th, m) > 0);
	assert_int_equal(m[1], VIRTIO_BUS_MSG_PING);
	assert_int_equal(msg_u32(m, 0), data);
}

static void test_refused_when_not_attached(void **state)
{
	struct vmsg_card_test_c2h_info info;
	struct vmsg_card_test_req req[4];
	uint8_t m[16] = {0};
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	assert_int_equal(vmsg_card_test_c2h_info(r.card, &info), VMSG_CARD_TEST_REFUSED);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, m, 8, 1, 0), VMSG_CARD_TEST_REFUSED);
	assert_int_equal(vmsg_card_test_c2h_inject_raw(r.card, 0, 0, 1, m, 8, 0),
			 VMSG_CARD_TEST_REFUSED);
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, 1000, NULL, NULL), VMSG_CARD_TEST_REFUSED);
	assert_int_equal(vmsg_card_test_h2c_requests(r.card, req, 4), 0);
	assert_int_equal(vmsg_card_test_c2h_recent(r.card, 0, m, sizeof(m), NULL), 0);
	assert_int_equal(vmsg_card_test_c2h_inject(NULL, m, 8, 1, 0), VMSG_CARD_TEST_REFUSED);
	rig_fini(&r);
}

static void test_inject_between_messages(void **state)
{
	uint8_t m[MSGBUF], g[MSGBUF];
	uint32_t epoch, irqs;
	struct rig r;
	size_t n;

	(void)state;
	rig8(&r);
	send_pings(&r, 0, 3);
	vmsg_card_poll(r.card);
	n = vmsg_build_bus_event_device(g, sizeof(g), 1, VIRTIO_BUS_DEVICE_STATE_REMOVED);
	irqs = r.fp.irqs;
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, n, r.th.epoch + 1u, 1), 0);
	assert_true(r.fp.irqs > irqs); /* the host asked for interrupts */
	send_pings(&r, 3, 1);
	vmsg_card_poll(r.card);
	expect_ping(&r, 0);
	expect_ping(&r, 1);
	expect_ping(&r, 2);
	assert_int_equal(host_take(&r, m, &epoch), (int)n); /* exactly as given */
	assert_int_equal(epoch, r.th.epoch + 1u);
	assert_memory_equal(m, g, n);
	expect_ping(&r, 3);
	/* the engine does not count what it did not send */
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 4);
	rig_fini(&r);
}

static void test_inject_keeps_room(void **state)
{
	struct vmsg_card_test_c2h_info info;
	uint8_t g[MSGBUF] = {1, 2, 3};
	struct rig r;

	(void)state;
	rig8(&r);
	send_pings(&r, 0, 6);
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_test_c2h_info(r.card, &info), 0);
	assert_int_equal(info.slot_count, SLOTS);
	assert_int_equal(info.free, 2);
	assert_int_equal(info.prod, 6);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 3, 7, 3), VMSG_CARD_TEST_BUSY);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 3, 7, 2), 0);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 3, 7, 0), 0);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 3, 7, 0), VMSG_CARD_TEST_BUSY);
	/* too long for a slot, empty */
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, info.slot_size, 7, 0),
			 VMSG_CARD_TEST_REFUSED);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 0, 7, 0), VMSG_CARD_TEST_REFUSED);
	rig_fini(&r);
}

/* Engine messages waiting in its queue: nothing may overtake them. */
static void test_busy_while_engine_waits(void **state)
{
	uint8_t g[8] = {0};
	struct rig r;

	(void)state;
	rig8(&r);
	send_pings(&r, 0, SLOTS);
	vmsg_card_poll(r.card);
	send_pings(&r, SLOTS, 2);
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_stats(r.card)->ring_full, 2);
	for (uint32_t i = 0; i < SLOTS; i++)
		expect_ping(&r, i);
	/* room in the ring now, but two engine answers still queued */
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 8, 1, 0), VMSG_CARD_TEST_BUSY);
	assert_int_equal(vmsg_card_test_c2h_inject_raw(r.card, 0, 0, 1, g, 8, 0),
			 VMSG_CARD_TEST_BUSY);
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, 1000, NULL, NULL), VMSG_CARD_TEST_BUSY);
	vmsg_card_poll(r.card);
	expect_ping(&r, SLOTS);
	expect_ping(&r, SLOTS + 1);
	assert_int_equal(vmsg_card_test_c2h_inject(r.card, g, 8, 1, 0), 0);
	rig_fini(&r);
}

static void test_raw_slot(void **state)
{
	uint8_t m[MSGBUF], p[MSGBUF];
	struct vmsg_card_test_c2h_info info;
	uint32_t epoch = 0;
	struct rig r;
	size_t n;

	(void)state;
	rig8(&r);
	assert_int_equal(vmsg_card_test_c2h_info(r.card, &info), 0);
	n = vmsg_build_bus_ping_resp(p, sizeof(p), 77, 0xabcd);
	assert_int_equal(vmsg_card_test_c2h_inject_raw(r.card, 0, 0, r.th.epoch, p, n, 0), 0);
	assert_int_equal(vmsg_card_test_c2h_inject_raw(r.card, (uint16_t)(info.slot_size - 7u), 0,
						       r.th.epoch, p, n, 0),
			 0);
	assert_int_equal(vmsg_card_test_c2h_inject_raw(r.card, 0xffff, 0, r.th.epoch, p, 4096, 0),
			 0);
	/* a raw framing that is fine is delivered as is, flags included */
	assert_int_equal(
	    vmsg_card_test_c2h_inject_raw(r.card, (uint16_t)n, 0x5a5a, 0x1234, p, n, 0), 0);
	assert_int_equal(host_take(&r, m, &epoch), -VMSG_RING_EPROTO);
	assert_int_equal(host_take(&r, m, &epoch), -VMSG_RING_EPROTO);
	assert_int_equal(host_take(&r, m, &epoch), -VMSG_RING_EPROTO);
	assert_int_equal(r.th.c2h.bad, 3);
	assert_int_equal(host_take(&r, m, &epoch), (int)n);
	assert_int_equal(epoch, 0x1234);
	assert_memory_equal(m, p, n);
	/* the engine's own traffic is unaffected */
	send_pings(&r, 5, 1);
	vmsg_card_poll(r.card);
	expect_ping(&r, 5);
	rig_fini(&r);
}

/* The host reads the impossible index, resynchronises, nothing is lost. */
static void check_jump(uint32_t delta)
{
	uint32_t from = 0, to = 0, epoch;
	uint8_t m[MSGBUF];
	struct rig r;

	rig8(&r);
	send_pings(&r, 0, 2);
	vmsg_card_poll(r.card);
	/* unread slots: a jump would make the host drop them */
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, delta, NULL, NULL), VMSG_CARD_TEST_BUSY);
	expect_ping(&r, 0);
	expect_ping(&r, 1);
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, SLOTS, NULL, NULL),
			 VMSG_CARD_TEST_REFUSED); /* possible index: no attack */
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, delta, &from, &to), 0);
	assert_int_equal(from, 2);
	assert_int_equal(to, 2u + delta);
	/* the engine answers before the host looked: its answers wait */
	send_pings(&r, 2, 3);
	vmsg_card_poll(r.card);
	assert_int_equal(vmsg_card_stats(r.card)->tx_msgs, 2);
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, delta, NULL, NULL), VMSG_CARD_TEST_BUSY);
	/* the host sees the impossible index: counts it, resynchronises */
	assert_int_equal(host_take(&r, m, &epoch), -VMSG_RING_EPROTO);
	assert_int_equal(r.th.c2h.bad, 1);
	assert_int_equal(r.th.c2h.local, to);
	assert_int_equal(host_take(&r, m, &epoch), 0);
	/* then everything the engine had, in order */
	vmsg_card_poll(r.card);
	expect_ping(&r, 2);
	expect_ping(&r, 3);
	expect_ping(&r, 4);
	assert_int_equal(vmsg_card_stats(r.card)->pending_overflow, 0);
	/* and it keeps working from the new index, jumps included */
	send_pings(&r, 5, SLOTS);
	vmsg_card_poll(r.card);
	for (uint32_t i = 0; i < SLOTS; i++)
		expect_ping(&r, 5 + i);
	assert_int_equal(vmsg_card_test_c2h_jump(r.card, delta, NULL, NULL), 0);
	assert_int_equal(host_take(&r, m, &epoch), -VMSG_RING_EPROTO);
	send_pings(&r, 13, 1);
	vmsg_card_poll(r.card);
	expect_ping(&r, 13);
	rig_fini(&r);
}

static void test_jump_forward(void **state)
{
	(void)state;
	check_jump(SLOTS + 1u);
	check_jump(0x7fffffffu);
}

static void test_jump_backward(void **state)
{
	(void)state;
	check_jump(0xffffffffu); /* one behind the consumer */
	check_jump(0x80000000u);
}

static void test_h2c_requests_and_recent(void **state)
{
	struct vmsg_card_test_req req[8];
	uint8_t m[MSGBUF];
	uint16_t t1, t2;
	uint32_t epoch = 0;
	unsigned int n;
	struct rig r;
	size_t len;

	(void)state;
	rig8(&r);
	t1 = thost_token(&r.th);
	len = vmsg_build_get_device_status_req(m, sizeof(m), 3, t1);
	thost_put(&r.th, m, len);
	len = vmsg_build_event_avail(m, sizeof(m), 3, 0, 0); /* no token: not listed */
	thost_put(&r.th, m, len);
	t2 = thost_token(&r.th);
	len = vmsg_build_bus_ping_req(m, sizeof(m), t2, 9);
	thost_put(&r.th, m, len);
	thost_put_raw(&r.th, m, (uint32_t)len, r.th.epoch + 1u); /* old epoch: not listed */
	n = vmsg_card_test_h2c_requests(r.card, req, 8);
	assert_int_equal(n, 2);
	assert_int_equal(req[0].token, t2); /* newest first */
	assert_true(req[0].pending);
	assert_int_equal(req[0].type, VIRTIO_MSG_TYPE_BUS);
	assert_int_equal(req[0].msg_id, VIRTIO_BUS_MSG_PING);
	assert_int_equal(req[1].token, t1);
	assert_int_equal(req[1].dev_num, 3);
	assert_int_equal(req[1].msg_id, VIRTIO_MSG_GET_DEVICE_STATUS);
	assert_int_equal(vmsg_card_test_h2c_requests(r.card, req, 1), 1);
	vmsg_card_poll(r.card);
	n = vmsg_card_test_h2c_requests(r.card, req, 8);
	assert_int_equal(n, 2);
	assert_false(req[0].pending);
	/* the card answered ERROR (no device 3) then the PING */
	assert_int_equal(vmsg_card_test_c2h_recent(r.card, 0, m, sizeof(m), &epoch),
			 VIRTIO_MSG_SIZE(4u));
	assert_int_equal(epoch, r.th.epoch);
	assert_int_equal(m[1], VIRTIO_BUS_MSG_PING);
	assert_int_equal(vmsg_get_le16(m + 4), t2);
	assert_int_equal(vmsg_card_test_c2h_recent(r.card, 1, m, sizeof(m), &epoch),
			 VIRTIO_MSG_SIZE(8u));
	assert_int_equal(m[1], VMSG_PCIE_BUS_MSG_ERROR);
	assert_int_equal(vmsg_get_le16(m + 4), t1);
	assert_int_equal(vmsg_card_test_c2h_recent(r.card, 2, m, sizeof(m), &epoch), 0);
	assert_int_equal(vmsg_card_test_c2h_recent(r.card, SLOTS, m, sizeof(m), &epoch), 0);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_when_not_attached),
	    cmocka_unit_test(test_inject_between_messages),
	    cmocka_unit_test(test_inject_keeps_room),
	    cmocka_unit_test(test_busy_while_engine_waits),
	    cmocka_unit_test(test_raw_slot),
	    cmocka_unit_test(test_jump_forward),
	    cmocka_unit_test(test_jump_backward),
	    cmocka_unit_test(test_h2c_requests_and_recent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
