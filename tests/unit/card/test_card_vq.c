/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_card_vq.c - virtqueue registers, RESET_VQUEUE, EVENT_AVAIL/USED. */
#include "card_harness.h"

#include <string.h>

#include "vmsg_virtq.h"

#define ST_ADF                                                                                     \
	(VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER | VIRTIO_MSG_STATUS_FEATURES_OK)
#define ST_RUN (ST_ADF | VIRTIO_MSG_STATUS_DRIVER_OK)
#define DESC   FAKE_VQ_BASE
#define DRV    (FAKE_VQ_BASE + 0x1000u)
#define DEVA   (FAKE_VQ_BASE + 0x2000u)

struct vq_rig {
	struct rig r;
	struct fdev f;
};

static void vq_rig_init(struct vq_rig *v, uint64_t features, uint64_t negotiated)
{
	rig_init(&v->r, NULL);
	fdev_init(&v->f, features, 8, 3);
	assert_int_equal(vmsg_card_add_device(v->r.card, &v->f.d), 1);
	thost_attach(&v->r.th);
	if (negotiated)
		assert_int_equal(dev_negotiate(&v->r.th, 1, negotiated), ST_ADF);
}

static void expect_vq(struct vq_rig *v, uint32_t idx, uint32_t size, uint64_t desc)
{
	struct vmsg_vqueue_info vi;

	dev_vq_get(&v->r.th, 1, idx, &vi);
	assert_int_equal(vi.size, size);
	assert_int_equal(vi.desc_addr, desc);
}

static void test_get_vqueue(void **state)
{
	struct vmsg_vqueue_info vi;
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, F_BASE, 0);
	dev_vq_get(&v.r.th, 1, 0, &vi);
	assert_int_equal(vi.max_size, 256);
	assert_int_equal(vi.size, 0);
	assert_int_equal(vi.desc_addr, 0);
	dev_vq_get(&v.r.th, 1, 3, &vi); /* no such queue */
	assert_int_equal(vi.max_size, 0);
	dev_vq_get(&v.r.th, 1, 0xffffffffu, &vi);
	assert_int_equal(vi.max_size, 0);
	rig_fini(&v.r);
}

static void test_set_vqueue_ok(void **state)
{
	struct vmsg_vqueue_info vi;
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, F_BASE, F_BASE);
	dev_vq_set(&v.r.th, 1, 1, 128, DESC, DRV + 2, DEVA + 4);
	dev_vq_get(&v.r.th, 1, 1, &vi);
	assert_int_equal(vi.max_size, 256);
	assert_int_equal(vi.size, 128);
	assert_int_equal(vi.desc_addr, DESC);
	assert_int_equal(vi.driver_addr, DRV + 2);
	assert_int_equal(vi.device_addr, DEVA + 4);
	assert_false(v.f.d.queues[1].ready);
	/* reprogramming before DRIVER_OK is fine */
	dev_vq_set(&v.r.th, 1, 1, 256, DESC, DRV, DEVA);
	expect_vq(&v, 1, 256, DESC);
	assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
	assert_true(v.f.d.queues[1].ready);
	assert_false(v.f.d.queues[0].ready); /* never configured */
	assert_int_equal(v.f.starts, 1);
	/* an unused queue may be provisioned after DRIVER_OK: ready at once */
	dev_vq_set(&v.r.th, 1, 0, 16, DESC + 0x4000, DRV + 0x4000, DEVA + 0x4000);
	assert_true(
	    v.f.d.queues[0].ready); /* a live queue cannot be reprogrammed: answered, unchanged, and
				     * the device asks for a reset after the answer ([RST-4]) */
	{
		struct vmsg_vqueue_info vi = {.index = 1,
					      .size = 64,
					      .desc_addr = DESC + 0x8000,
					      .driver_addr = DRV,
					      .device_addr = DEVA};
		uint8_t req[MSGBUF], m[MSGBUF];
		size_t n = vmsg_build_set_vqueue_req(req, sizeof(req), 1, 0x66, &vi);

		thost_put(&v.r.th, req, n);
		vmsg_card_poll(v.r.card);
		assert_int_equal(thost_get(&v.r.th, m), VIRTIO_MSG_HEADER_SIZE);
		assert_int_equal(HDR_TOKEN(m), 0x66);
		assert_int_equal(thost_get(&v.r.th, m), VIRTIO_MSG_SIZE(16u));
		assert_int_equal(m[1], VIRTIO_MSG_EVENT_CONFIG);
		assert_int_equal(msg_u32(m, 0), ST_RUN | VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET);
	}
	expect_vq(&v, 1, 256, DESC);
	rig_fini(&v.r);
}

static void test_set_vqueue_refused(void **state)
{
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, F_BASE, 0);
	/* before FEATURES_OK */
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, DRV, DEVA);
	expect_vq(&v, 0, 0, 0);
	assert_int_equal(dev_negotiate(&v.r.th, 1, F_BASE), ST_ADF);
	dev_vq_set(&v.r.th, 1, 3, 64, DESC, DRV, DEVA);	 /* index */
	dev_vq_set(&v.r.th, 1, 0, 0, DESC, DRV, DEVA);	 /* size 0 */
	dev_vq_set(&v.r.th, 1, 0, 48, DESC, DRV, DEVA);	 /* not a power of two */
	dev_vq_set(&v.r.th, 1, 0, 512, DESC, DRV, DEVA); /* > max */
	dev_vq_set(&v.r.th, 1, 0, 64, DESC + 8, DRV, DEVA);
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, DRV + 1, DEVA);
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, DRV, DEVA + 2);
	dev_vq_set(&v.r.th, 1, 0, 64, 1ull << 40, DRV, DEVA); /* beyond 40 bits */
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, (1ull << 40) - 4, DEVA);
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, DRV, 0xfffffffffffffffcull);
	expect_vq(&v, 0, 0, 0);
	assert_int_equal(vmsg_card_stats(v.r.card)->refused, 11);
	rig_fini(&v.r);
}

static void test_reset_vqueue(void **state)
{
	const uint64_t f = F_BASE | BIT64(VMSG_VIRTIO_F_RING_RESET);
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct vq_rig v;
	size_t n;

	(void)state;
	vq_rig_init(&v, f, f);
	dev_vq_set(&v.r.th, 1, 2, 64, DESC, DRV, DEVA);
	assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
	v.f.d.queues[2].last_avail = 5;
	v.f.resets = 0;
	n = vmsg_build_reset_vqueue_req(req, sizeof(req), 1, 0x31, 2);
	assert_int_equal(thost_call(&v.r.th, req, n, resp), VIRTIO_MSG_HEADER_SIZE);
	assert_int_equal(resp[1], VIRTIO_MSG_RESET_VQUEUE);
	assert_int_equal(v.f.resets, 1);
	assert_int_equal(v.f.last_reset_vq, 2);
	assert_false(v.f.d.queues[2].ready);
	assert_int_equal(v.f.d.queues[2].last_avail, 0);
	expect_vq(&v, 2, 0, 0);
	/* and it can be set again while DRIVER_OK */
	dev_vq_set(&v.r.th, 1, 2, 32, DESC + 0x100, DRV, DEVA);
	expect_vq(&v, 2, 32, DESC + 0x100);
	assert_true(v.f.d.queues[2].ready);
	/* bad index: answered, nothing reset */
	n = vmsg_build_reset_vqueue_req(req, sizeof(req), 1, 0x32, 9);
	thost_call(&v.r.th, req, n, resp);
	assert_int_equal(v.f.resets, 1);
	rig_fini(&v.r);
}

static void test_reset_vqueue_not_negotiated(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct vq_rig v;
	size_t n;

	(void)state;
	vq_rig_init(&v, F_BASE | BIT64(VMSG_VIRTIO_F_RING_RESET), F_BASE);
	dev_vq_set(&v.r.th, 1, 0, 64, DESC, DRV, DEVA);
	v.f.resets = 0;
	n = vmsg_build_reset_vqueue_req(req, sizeof(req), 1, 0x31, 0);
	thost_call(&v.r.th, req, n, resp);
	assert_int_equal(v.f.resets, 0);
	expect_vq(&v, 0, 64, DESC);
	rig_fini(&v.r);
}

static void test_event_avail(void **state)
{
	uint8_t req[MSGBUF];
	struct vq_rig v;
	size_t n;

	(void)state;
	vq_rig_init(&v, F_BASE, F_BASE);
	dev_vq_set(&v.r.th, 1, 1, 64, DESC, DRV, DEVA);
	n = vmsg_build_event_avail(req, sizeof(req), 1, 1, 0);
	thost_call_none(&v.r.th, req, n); /* not DRIVER_OK yet */
	assert_int_equal(v.f.notifies, 0);
	assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
	thost_call_none(&v.r.th, req, n);
	assert_int_equal(v.f.notifies, 1);
	assert_int_equal(v.f.last_notify_vq, 1);
	n = vmsg_build_event_avail(req, sizeof(req), 1, 0, 0); /* queue 0 not set */
	thost_call_none(&v.r.th, req, n);
	n = vmsg_build_event_avail(req, sizeof(req), 1, 77, 0);
	thost_call_none(&v.r.th, req, n);
	assert_int_equal(v.f.notifies, 1);
	rig_fini(&v.r);
}

static void put_le16(struct vq_rig *v, uint64_t addr, uint16_t val)
{
	vmsg_put_le16(fake_host_ptr(&v->r.fp, addr), val);
}

static size_t used_events(struct vq_rig *v)
{
	uint8_t m[MSGBUF];
	size_t n = 0;

	while (thost_get(&v->r.th, m)) {
		assert_int_equal(m[1], VIRTIO_MSG_EVENT_USED);
		assert_int_equal(HDR_DEV(m), 1);
		assert_int_equal(msg_u32(m, 0), 1);
		n++;
	}
	return n;
}

static void test_notify_used_flags(void **state)
{
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, F_BASE, F_BASE);
	dev_vq_set(&v.r.th, 1, 1, 64, DESC, DRV, DEVA);
	vmsg_dev_notify_used(&v.f.d, 1); /* not ready: nothing */
	assert_int_equal(used_events(&v), 0);
	assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 1);
	put_le16(&v, DRV, VMSG_VRING_AVAIL_F_NO_INTERRUPT);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 0);
	vmsg_dev_send_used(&v.f.d, 1); /* the backend decided itself */
	assert_int_equal(used_events(&v), 1);
	vmsg_dev_notify_used(&v.f.d, 7);
	assert_int_equal(used_events(&v), 0);
	rig_fini(&v.r);
}

static void test_notify_used_event_idx(void **state)
{
	const uint64_t f = F_BASE | BIT64(VMSG_VIRTIO_F_RING_EVENT_IDX);
	const uint64_t used_event = DRV + vmsg_vring_used_event_off(64);
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, f, f);
	dev_vq_set(&v.r.th, 1, 1, 64, DESC, DRV, DEVA);
	assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
	put_le16(&v, DRV, VMSG_VRING_AVAIL_F_NO_INTERRUPT); /* ignored with EVENT_IDX */
	/* the driver wants to hear when used idx passes 0 */
	put_le16(&v, used_event, 0);
	put_le16(&v, DEVA + 2, 1);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 1);
	/* 1 -> 3, driver still waits on 0: already told */
	put_le16(&v, DEVA + 2, 3);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 0);
	/* driver moves used_event to 4; 3 -> 5 crosses it */
	put_le16(&v, used_event, 4);
	put_le16(&v, DEVA + 2, 5);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 1);
	/* wrap: 0xfffe -> 0x0002 with used_event 0xffff */
	v.f.d.queues[1].used_idx = 0;
	put_le16(&v, used_event, 0xfffd);
	put_le16(&v, DEVA + 2, 0xfffe);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 1);
	put_le16(&v, used_event, 0xffff);
	put_le16(&v, DEVA + 2, 2);
	vmsg_dev_notify_used(&v.f.d, 1);
	assert_int_equal(used_events(&v), 1);
	rig_fini(&v.r);
}

static void test_notify_used_unreadable(void **state)
{
	const uint64_t feats[2] = {F_BASE, F_BASE | BIT64(VMSG_VIRTIO_F_RING_EVENT_IDX)};
	struct vq_rig v;
	int k;

	(void)state;
	for (k = 0; k < 2; k++) {
		vq_rig_init(&v, feats[k], feats[k]);
		/* valid for the engine (40 bits) but outside the fake host memory */
		dev_vq_set(&v.r.th, 1, 1, 64, 0x800000000ull, 0x800001000ull, 0x800002000ull);
		assert_int_equal(dev_status_set(&v.r.th, 1, ST_RUN), ST_RUN);
		vmsg_dev_notify_used(&v.f.d, 1);
		assert_int_equal(used_events(&v), 1); /* better spurious than lost */
		rig_fini(&v.r);
	}
}

static void test_host_memory_bounds(void **state)
{
	uint8_t b[8] = {0};
	struct vq_rig v;

	(void)state;
	vq_rig_init(&v, F_BASE, 0);
	assert_int_equal(vmsg_dev_host_write(&v.f.d, DESC, b, 8), 0);
	assert_int_equal(vmsg_dev_host_read(&v.f.d, DESC, b, 8), 0);
	assert_true(vmsg_dev_host_read(&v.f.d, 1ull << 40, b, 8) < 0);
	assert_true(vmsg_dev_host_read(&v.f.d, (1ull << 40) - 4, b, 8) < 0);
	assert_true(vmsg_dev_host_write(&v.f.d, 0xfffffffffffffffcull, b, 8) < 0);
	assert_true(vmsg_dev_host_read(&v.f.d, 0x900000000ull, b, 8) < 0); /* platform */
	assert_true(vmsg_dev_host_read(NULL, DESC, b, 8) < 0);
	/* [LINK-3]: no host memory access outside RUN */
	thost_detach(&v.r.th);
	assert_true(vmsg_dev_host_read(&v.f.d, DESC, b, 8) < 0);
	assert_true(vmsg_dev_host_write(&v.f.d, DESC, b, 8) < 0);
	rig_fini(&v.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_vqueue),
	    cmocka_unit_test(test_set_vqueue_ok),
	    cmocka_unit_test(test_set_vqueue_refused),
	    cmocka_unit_test(test_reset_vqueue),
	    cmocka_unit_test(test_reset_vqueue_not_negotiated),
	    cmocka_unit_test(test_event_avail),
	    cmocka_unit_test(test_notify_used_flags),
	    cmocka_unit_test(test_notify_used_event_idx),
	    cmocka_unit_test(test_notify_used_unreadable),
	    cmocka_unit_test(test_host_memory_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
