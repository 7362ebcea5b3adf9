/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_card_bus.c - GET_DEVICES, PING, ERROR, hotplug and shutdown. */
#include "card_harness.h"

#include <string.h>

static size_t get_devices(struct rig *r, uint16_t off, uint16_t cnt, uint8_t *resp)
{
	uint8_t req[MSGBUF];
	size_t n = vmsg_build_bus_get_devices_req(req, sizeof(req), thost_token(&r->th), off, cnt);

	n = thost_call(&r->th, req, n, resp);
	assert_int_equal(resp[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(resp[1], VIRTIO_BUS_MSG_GET_DEVICES);
	assert_int_equal(msg_u16(resp, 0), off);
	return n;
}

static void test_get_devices_bitmap(void **state)
{
	uint8_t resp[MSGBUF];
	struct fdev *f[10];
	struct rig r;
	int i;

	(void)state;
	rig_init(&r, NULL);
	for (i = 0; i < 10; i++)
		f[i] = fdev_new(r.card, F_BASE, 8, 1);
	assert_int_equal(f[0]->d.dev_num, 1);
	assert_int_equal(f[9]->d.dev_num, 10);
	assert_int_equal(vmsg_card_remove_device(r.card, 2), 0);
	thost_attach(&r.th);

	/* devices 1, 3..10 present: window 0..15 */
	assert_int_equal(get_devices(&r, 0, 16, resp), VIRTIO_MSG_SIZE(6u + 2u));
	assert_int_equal(msg_u16(resp, 2), 16);
	assert_int_equal(msg_u16(resp, 4), 0);			  /* nothing beyond */
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE + 6], 0xfa); /* 1,3,4,5,6,7 */
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE + 7], 0x07); /* 8,9,10 */

	/* window 0..7: more at 8 */
	assert_int_equal(get_devices(&r, 0, 8, resp), VIRTIO_MSG_SIZE(6u + 1u));
	assert_int_equal(msg_u16(resp, 4), 8);
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE + 6], 0xfa);

	/* a window past everything */
	get_devices(&r, 64, 8, resp);
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE + 6], 0);
	assert_int_equal(msg_u16(resp, 4), 0);

	/* a huge window is clamped to what fits in max_msg_size */
	assert_int_equal(get_devices(&r, 0, 0xfff8, resp), 264);
	assert_int_equal(msg_u16(resp, 2), 250 * 8);
	assert_int_equal(msg_u16(resp, 4),
			 0); /* [DEV-2]: a number given out in this epoch is not reused while
			      * others are free; in a new epoch the lowest free one is */
	f[1] = fdev_new(r.card, F_BASE, 8, 1);
	assert_int_equal(f[1]->d.dev_num, 11);
	assert_int_equal(thost_drain(&r.th), 1); /* READY */
	assert_int_equal(vmsg_card_remove_device(r.card, 11), 0);
	thost_detach(&r.th);
	f[1] = fdev_new(r.card, F_BASE, 8, 1);
	assert_int_equal(f[1]->d.dev_num, 2);
	rig_fini(&r);
}

static void test_ping(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	n = vmsg_build_bus_ping_req(req, sizeof(req), 0xbeef, 0xdeadbeef);
	assert_int_equal(thost_call(&r.th, req, n, resp), VIRTIO_MSG_SIZE(4u));
	assert_int_equal(resp[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(resp[1], VIRTIO_BUS_MSG_PING);
	assert_int_equal(msg_u32(resp, 0), 0xdeadbeef);
	assert_int_equal(HDR_DEV(resp), 0); /* dev_num 0 */
	/* a PING response from the host is accepted silently */
	n = vmsg_build_bus_ping_resp(req, sizeof(req), 9, 1);
	thost_call_none(&r.th, req, n);
	assert_int_equal(vmsg_card_stats(r.card)->pings, 2);
	assert_int_equal(vmsg_card_stats(r.card)->drop_malformed, 0);
	rig_fini(&r);
}

static void test_unknown_bus_id(void **state)
{
	uint8_t req[MSGBUF];
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	n = vmsg_build_header(req, VIRTIO_MSG_TYPE_BUS, 0x85, 0, 1, 8);
	thost_call_none(&r.th, req, n);
	n = vmsg_build_header(req, VIRTIO_MSG_TYPE_BUS, 0xc5, 0, 0, 8);
	thost_call_none(&r.th, req, n);
	/* a host "response" with an implementation id: nobody asked */
	n = vmsg_build_header(req, VIRTIO_MSG_TYPE_RESPONSE, 0x90, 1, 0, 8);
	thost_call_none(&r.th, req, n);
	assert_int_equal(vmsg_card_stats(r.card)->drop_unsupported, 3);
	rig_fini(&r);
}

static void expect_error(const uint8_t *resp, const uint8_t *req, uint16_t err)
{
	assert_int_equal(resp[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(resp[1], VMSG_PCIE_BUS_MSG_ERROR);
	assert_int_equal(HDR_DEV(resp), 0);
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE], req[0]);
	assert_int_equal(resp[VIRTIO_MSG_HEADER_SIZE + 1], req[1]);
	assert_int_equal(msg_u16(resp, 2), HDR_DEV(req));
	assert_int_equal(msg_u16(resp, 4), err);
}

static void test_unknown_dev_error(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	fdev_new(r.card, F_BASE, 8, 1);
	thost_attach(&r.th);
	n = vmsg_build_get_device_info_req(req, sizeof(req), 5, 0x1234);
	thost_call(&r.th, req, n, resp);
	expect_error(resp, req, VMSG_PCIE_ERR_NO_DEVICE);
	n = vmsg_build_get_device_info_req(req, sizeof(req), 0, 0x1235);
	thost_call(&r.th, req, n, resp);
	expect_error(resp, req, VMSG_PCIE_ERR_NO_DEVICE);
	n = vmsg_build_get_device_info_req(req, sizeof(req), 0xffff, 0x1236);
	thost_call(&r.th, req, n, resp);
	expect_error(resp, req, VMSG_PCIE_ERR_NO_DEVICE);
	/* events are never answered */
	n = vmsg_build_event_avail(req, sizeof(req), 5, 0, 0);
	thost_call_none(&r.th, req, n);
	assert_int_equal(vmsg_card_stats(r.card)->drop_no_device, 4);
	assert_int_equal(vmsg_card_stats(r.card)->errors_sent,
			 3); /* implementation-defined ids are dropped, never answered ([ERR-2]) */
	n = vmsg_build_header(req, 0, 0x90, 1, 0x77, 8);
	thost_call_none(&r.th, req, n);
	n = vmsg_build_header(req, 0, 0x90, 9, 0x78, 8);
	thost_call_none(&r.th, req, n);
	assert_int_equal(vmsg_card_stats(r.card)->drop_unsupported, 2);
	assert_int_equal(vmsg_card_stats(r.card)->errors_sent, 3);
	rig_fini(&r);
}

static void test_no_error_without_feature(void **state)
{
	uint8_t req[MSGBUF];
	struct attach_args a;
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	attach_args_default(&r.th, &a);
	a.features = VMSG_PCIE_F_C2H_HOST_MEM;
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_OK);
	n = vmsg_build_get_device_info_req(req, sizeof(req), 3, 1);
	thost_call_none(&r.th, req, n);
	assert_int_equal(vmsg_card_stats(r.card)->drop_no_device, 1);
	rig_fini(&r);
}

static void expect_event_device(struct rig *r, uint16_t dev, uint16_t st)
{
	uint8_t m[MSGBUF];

	assert_int_equal(thost_get(&r->th, m), VIRTIO_MSG_SIZE(4u));
	assert_int_equal(m[0], VIRTIO_MSG_TYPE_BUS);
	assert_int_equal(m[1], VIRTIO_BUS_MSG_EVENT_DEVICE);
	assert_int_equal(msg_u16(m, 0), dev);
	assert_int_equal(msg_u16(m, 2), st);
}

static void test_hotplug(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct fdev f;
	struct rig r;
	uint64_t tx;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	fdev_init(&f, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	expect_event_device(&r, 1, VIRTIO_BUS_DEVICE_STATE_READY);
	assert_ptr_equal(vmsg_card_device(r.card, 1), &f.d);
	assert_int_equal(dev_status_set(&r.th, 1, VIRTIO_MSG_STATUS_ACKNOWLEDGE), 1);
	f.resets = 0;
	tx = vmsg_card_stats(r.card)->tx_msgs;
	assert_int_equal(vmsg_card_remove_device(r.card, 1), 0);
	expect_event_device(&r, 1, VIRTIO_BUS_DEVICE_STATE_REMOVED);
	assert_int_equal(f.resets, 1);
	assert_int_equal(f.tx_at_reset, tx); /* [BUS-6]: reset before REMOVED */
	assert_true(f.destroyed);
	assert_true(f.d.removed);
	assert_null(vmsg_card_device(r.card, 1));
	assert_int_equal(vmsg_card_remove_device(r.card, 1), -1);
	n = vmsg_build_get_device_status_req(req, sizeof(req), 1, 0x42);
	thost_call(&r.th, req, n, resp);
	expect_error(resp, req, VMSG_PCIE_ERR_NO_DEVICE); /* not RUN: no event */
	thost_detach(&r.th);
	fdev_init(&f, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	thost_attach(&r.th);
	assert_int_equal(thost_drain(&r.th), 0);
	rig_fini(&r);
}

static void test_add_device_checks(void **state)
{
	struct vmsg_card_config cfg;
	struct fdev f, g[3];
	struct rig r;

	(void)state;
	vmsg_card_config_defaults(&cfg);
	cfg.max_devices = 2;
	rig_init(&r, &cfg);
	fdev_init(&f, F_BASE, 8, VMSG_DEV_MAX_QUEUES + 1);
	assert_true(vmsg_card_add_device(r.card, &f.d) < 0);
	fdev_init(&f, F_BASE, 8, 1);
	f.d.queue_max_size = 100;
	assert_true(vmsg_card_add_device(r.card, &f.d) < 0);
	fdev_init(&f, F_BASE, 8, 1);
	f.ops.reset = NULL;
	assert_true(vmsg_card_add_device(r.card, &f.d) < 0);
	fdev_init(&g[0], 0, 8, 1);
	fdev_init(&g[1], F_BASE, 8, 1);
	fdev_init(&g[2], F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &g[0].d), 1);
	assert_true(g[0].d.features & F_BASE); /* VERSION_1 always offered */
	assert_int_equal(vmsg_card_add_device(r.card, &g[1].d), 2);
	assert_true(vmsg_card_add_device(r.card, &g[2].d) < 0); /* table full */
	rig_fini(&r);
	assert_true(g[0].destroyed && g[1].destroyed && !g[2].destroyed);
}

static void test_shutdown(void **state)
{
	uint8_t req[MSGBUF], m[MSGBUF];
	struct attach_args a;
	struct fdev f1, f2;
	struct rig r;
	uint32_t irqs;
	size_t n, n2;

	(void)state;
	rig_init(&r, NULL);
	fdev_init(&f1, F_BASE, 8, 1);
	fdev_init(&f2, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f1.d), 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f2.d), 2);
	attach_args_default(&r.th, &a);
	a.irq_mode = VMSG_IRQ_MSI;
	a.features |= VMSG_PCIE_F_MSI;
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_OK);
	irqs = r.fp.irqs;
	/* requests already in the ring when the card shuts down */
	n = vmsg_build_get_device_status_req(req, sizeof(req), 1, 0x42);
	thost_put(&r.th, req, n);
	n2 = vmsg_build_bus_ping_req(m, sizeof(m), 0x43, 5);
	thost_put(&r.th, m, n2);
	vmsg_card_shutdown(r.card);
	assert_int_equal(r.fp.irqs, irqs + 1);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_SHUTDOWN);
	assert_int_equal(vmsg_card_link_state(r.card), VMSG_LINK_SHUTDOWN);
	expect_event_device(&r, 1, VIRTIO_BUS_DEVICE_STATE_REMOVED);
	expect_event_device(&r, 2, VIRTIO_BUS_DEVICE_STATE_REMOVED);
	assert_int_equal(f1.tx_at_reset, 0); /* reset before REMOVED */
	assert_int_equal(f2.tx_at_reset, 1);
	assert_int_equal(thost_get(&r.th, m), VIRTIO_MSG_SIZE(8u));
	expect_error(m, req, VMSG_PCIE_ERR_SHUTDOWN);
	assert_int_equal(HDR_TOKEN(m), 0x42);
	assert_int_equal(thost_get(&r.th, m), VIRTIO_MSG_SIZE(4u));
	assert_int_equal(m[1], VIRTIO_BUS_MSG_PING);
	assert_int_equal(thost_drain(&r.th), 0);
	/* after SHUTDOWN nothing more is consumed or written */
	thost_put(&r.th, req, n);
	vmsg_card_poll(r.card);
	assert_int_equal(thost_drain(&r.th), 0);
	assert_int_equal(vmsg_get_le32(fake_host_ptr(&r.fp, FAKE_AREA_ADDR)), 2); /* h2c cons */
	assert_true(vmsg_card_add_device(r.card, &f1.d) < 0);
	vmsg_dev_config_changed(&f1.d, 0, 4);
	assert_int_equal(thost_drain(&r.th), 0);
	/* commands are acknowledged and ignored: the link stays SHUTDOWN */
	bar_wr(&r.fp, REG(host_ctrl), VMSG_HOST_CTRL_ATTACH);
	vmsg_card_poll(r.card);
	assert_int_equal(bar_rd(&r.fp, REG(host_ctrl)), 0);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_SHUTDOWN);
	bar_wr(&r.fp, REG(host_ctrl), VMSG_HOST_CTRL_DETACH);
	vmsg_card_poll(r.card);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_SHUTDOWN);
	assert_int_equal(r.fp.irqs, irqs + 1);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_devices_bitmap),
	    cmocka_unit_test(test_ping),
	    cmocka_unit_test(test_unknown_bus_id),
	    cmocka_unit_test(test_unknown_dev_error),
	    cmocka_unit_test(test_no_error_without_feature),
	    cmocka_unit_test(test_hotplug),
	    cmocka_unit_test(test_add_device_checks),
	    cmocka_unit_test(test_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
