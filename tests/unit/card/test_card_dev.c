/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_card_dev.c - device info, features, status and config messages. */
#include "card_harness.h"

#include <string.h>

#define ST_A   VIRTIO_MSG_STATUS_ACKNOWLEDGE
#define ST_D   VIRTIO_MSG_STATUS_DRIVER
#define ST_FOK VIRTIO_MSG_STATUS_FEATURES_OK
#define ST_DOK VIRTIO_MSG_STATUS_DRIVER_OK
#define ST_NR  VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET

struct dev_rig {
	struct rig r;
	struct fdev f;
};

static void dev_rig_init(struct dev_rig *dr, uint64_t features, uint32_t cfg_size)
{
	rig_init(&dr->r, NULL);
	fdev_init(&dr->f, features, cfg_size, 2);
	assert_int_equal(vmsg_card_add_device(dr->r.card, &dr->f.d), 1);
	thost_attach(&dr->r.th);
}

static void test_device_info(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct dev_rig dr;
	size_t n;

	(void)state;
	dev_rig_init(&dr, F_V1 | BIT64(5), 60); /* the engine adds ACCESS_PLATFORM */
	n = vmsg_build_get_device_info_req(req, sizeof(req), 1, 0x99);
	assert_int_equal(thost_call(&dr.r.th, req, n, resp), VIRTIO_MSG_SIZE(24u));
	assert_int_equal(resp[0], VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(resp[1], VIRTIO_MSG_GET_DEVICE_INFO);
	assert_int_equal(HDR_DEV(resp), 1);
	assert_int_equal(HDR_TOKEN(resp), 0x99);
	assert_int_equal(msg_u32(resp, 0), 42);
	assert_int_equal(msg_u32(resp, 4), 0x766d);
	assert_int_equal(msg_u32(resp, 8), 64);
	assert_true(dr.f.d.features & F_AP);
	assert_int_equal(msg_u32(resp, 12), 60);
	assert_int_equal(msg_u32(resp, 16), 2);
	assert_int_equal(msg_u16(resp, 20), 0);
	assert_int_equal(msg_u16(resp, 22), 0);
	rig_fini(&dr.r);
}

static void get_features(struct thost *th, uint32_t first, uint32_t num, uint8_t *resp)
{
	uint8_t req[MSGBUF];
	size_t n =
	    vmsg_build_get_device_features_req(req, sizeof(req), 1, thost_token(th), first, num);

	thost_call(th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_MSG_GET_DEVICE_FEATURES);
	assert_int_equal(msg_u32(resp, 0), first);
}

static void test_device_features(void **state)
{
	const uint64_t offer = F_BASE | BIT64(VMSG_VIRTIO_F_RING_RESET) | BIT64(3) | BIT64(31);
	uint8_t resp[MSGBUF];
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, offer, 8);
	get_features(&dr.r.th, 0, 4, resp);
	assert_int_equal(msg_u32(resp, 4), 4);
	assert_int_equal(msg_u32(resp, 8), (uint32_t)offer);
	assert_int_equal(msg_u32(resp, 12), (uint32_t)(offer >> 32));
	assert_int_equal(msg_u32(resp, 16), 0);
	assert_int_equal(msg_u32(resp, 20), 0);
	/* after the driver's choice, still the offer (erratum E-4, pcie-binding.md 14) */
	dev_features_set(&dr.r.th, 1, F_BASE);
	get_features(&dr.r.th, 1, 1, resp);
	assert_int_equal(msg_u32(resp, 8), (uint32_t)(offer >> 32));
	/* far blocks are zero; a huge count is clamped to one message */
	get_features(&dr.r.th, 0xfffffff0u, 0xf, resp);
	assert_int_equal(msg_u32(resp, 4), 0xf);
	assert_int_equal(msg_u32(resp, 8), 0);
	get_features(&dr.r.th, 0, 1000, resp);
	assert_int_equal(msg_u32(resp, 4), (264 - 16) / 4);
	rig_fini(&dr.r);
}

static void test_features_ok(void **state)
{
	const uint64_t offer = F_BASE | BIT64(VMSG_VIRTIO_F_ACCESS_PLATFORM) | BIT64(5);
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, offer, 8);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE | BIT64(5)), ST_A | ST_D | ST_FOK);
	assert_int_equal(dr.f.accepted_features, F_BASE | BIT64(5));
	assert_int_equal(dev_status_get(&dr.r.th, 1), ST_A | ST_D | ST_FOK);
	/* features are frozen after FEATURES_OK */
	dev_features_set(&dr.r.th, 1, F_BASE);
	assert_int_equal(dr.f.d.driver_features, F_BASE | BIT64(5));
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK | ST_DOK),
			 ST_A | ST_D | ST_FOK | ST_DOK);
	assert_int_equal(dr.f.starts, 1);
	rig_fini(&dr.r);
}

static void test_features_ok_refused(void **state)
{
	struct dev_rig dr;
	uint8_t req[MSGBUF], resp[MSGBUF];
	uint32_t blk = 1;
	size_t n;

	(void)state;
	dev_rig_init(&dr, F_BASE | BIT64(5), 8);
	/* not a subset of the offer */
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE | BIT64(6)), ST_A | ST_D);
	assert_int_equal(dr.f.set_features_calls, 0);
	assert_int_equal(dev_status_get(&dr.r.th, 1), ST_A | ST_D);
	/* DRIVER_OK without FEATURES_OK is not taken */
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_DOK), ST_A | ST_D);
	assert_int_equal(dr.f.starts, 0);
	/* VERSION_1 missing */
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_AP | BIT64(5)), ST_A | ST_D);
	/* ACCESS_PLATFORM missing ([DMA-3]) */
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_V1 | BIT64(5)), ST_A | ST_D);
	/* the backend refuses */
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	dr.f.set_features_ret = -1;
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE), ST_A | ST_D);
	assert_int_equal(dr.f.set_features_calls, 1);
	dr.f.set_features_ret = 0;
	/* bits in a block beyond 64 */
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	dev_features_set(&dr.r.th, 1, F_BASE);
	n = vmsg_build_set_driver_features_req(req, sizeof(req), 1, 5, 2, &blk, 1);
	thost_call(&dr.r.th, req, n, resp);
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK), ST_A | ST_D);
	/* after a reset the same device negotiates fine */
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE), ST_A | ST_D | ST_FOK);
	assert_true(vmsg_card_stats(dr.r.card)->refused >= 6);
	rig_fini(&dr.r);
}

static void test_status_transitions(void **state)
{
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, F_BASE, 8);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE), ST_A | ST_D | ST_FOK);
	/* dropping bits is refused: unchanged */
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_FOK), ST_A | ST_D | ST_FOK);
	assert_int_equal(dev_status_get(&dr.r.th, 1), ST_A | ST_D | ST_FOK);
	/* the driver cannot set or clear NEEDS_RESET */
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK | ST_NR),
			 ST_A | ST_D | ST_FOK); /* undefined bits are ignored */
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK | 0x30 | 0xff00),
			 ST_A | ST_D | ST_FOK);
	/* FAILED may be added */
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK | 0x80),
			 ST_A | ST_D | ST_FOK | 0x80);
	rig_fini(&dr.r);
}

static void test_reset_completes_first(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct dev_rig dr;
	uint32_t gen;
	size_t n;

	(void)state;
	dev_rig_init(&dr, F_BASE, 8);
	assert_int_equal(dev_negotiate(&dr.r.th, 1, F_BASE), ST_A | ST_D | ST_FOK);
	dev_vq_set(&dr.r.th, 1, 0, 64, FAKE_VQ_BASE, FAKE_VQ_BASE + 0x1000, FAKE_VQ_BASE + 0x2000);
	assert_int_equal(dev_status_set(&dr.r.th, 1, ST_A | ST_D | ST_FOK | ST_DOK),
			 ST_A | ST_D | ST_FOK | ST_DOK);
	vmsg_dev_config_changed(&dr.f.d, 0, 4);
	assert_int_equal(thost_drain(&dr.r.th), 1);
	gen = dr.f.d.config_generation;
	dr.f.resets = 0;
	/* SET_DEVICE_STATUS(0) then GET_DEVICE_STATUS in the same batch */
	n = vmsg_build_set_device_status_req(req, sizeof(req), 1, 0x10, 0);
	thost_put(&dr.r.th, req, n);
	n = vmsg_build_get_device_status_req(req, sizeof(req), 1, 0x11);
	thost_put(&dr.r.th, req, n);
	vmsg_card_poll(dr.r.card);
	assert_int_equal(dr.f.resets, 1);
	assert_int_equal(dr.f.last_reset_vq, UINT32_MAX);
	assert_int_equal(thost_get(&dr.r.th, resp), VIRTIO_MSG_SIZE(4u));
	assert_int_equal(HDR_TOKEN(resp), 0x10);
	assert_int_equal(msg_u32(resp, 0), 0);
	assert_int_equal(thost_get(&dr.r.th, resp), VIRTIO_MSG_SIZE(4u));
	assert_int_equal(HDR_TOKEN(resp), 0x11);
	assert_int_equal(msg_u32(resp, 0), 0);
	/* queues and features cleared, generation kept */
	assert_int_equal(dr.f.d.queues[0].size, 0);
	assert_false(dr.f.d.queues[0].ready);
	assert_int_equal(dr.f.d.queues[0].max_size, 256);
	assert_int_equal(dr.f.d.driver_features, 0);
	assert_int_equal(dr.f.d.config_generation, gen);
	rig_fini(&dr.r);
}

static size_t get_config(struct thost *th, uint32_t off, uint32_t len, uint8_t *resp)
{
	uint8_t req[MSGBUF];
	size_t n = vmsg_build_get_config_req(req, sizeof(req), 1, thost_token(th), off, len);

	n = thost_call(th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_MSG_GET_CONFIG);
	assert_int_equal(msg_u32(resp, 4), off);
	return n;
}

static size_t set_config(struct thost *th, uint32_t gen, uint32_t off, const void *data,
			 uint32_t len, uint8_t *resp)
{
	uint8_t req[MSGBUF];
	size_t n =
	    vmsg_build_set_config_req(req, sizeof(req), 1, thost_token(th), gen, off, data, len);

	n = thost_call(th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_MSG_SET_CONFIG);
	assert_int_equal(msg_u32(resp, 4), off);
	return n;
}

static void test_config_read(void **state)
{
	uint8_t resp[MSGBUF];
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, F_BASE, 300);
	dr.f.d.config_generation = 7;
	assert_int_equal(get_config(&dr.r.th, 4, 8, resp), VIRTIO_MSG_SIZE(12u + 8u));
	assert_int_equal(msg_u32(resp, 0), 7);
	assert_int_equal(msg_u32(resp, 8), 8);
	assert_memory_equal(resp + VIRTIO_MSG_HEADER_SIZE + 12, dr.f.cfg + 4, 8);
	/* the largest chunk that fits: 244 bytes at 264 */
	assert_int_equal(get_config(&dr.r.th, 56, 244, resp), 264);
	assert_memory_equal(resp + VIRTIO_MSG_HEADER_SIZE + 12, dr.f.cfg + 56, 244);
	/* out of range: answered with length 0 */
	assert_int_equal(get_config(&dr.r.th, 296, 8, resp), VIRTIO_MSG_SIZE(12u));
	assert_int_equal(msg_u32(resp, 8), 0);
	assert_int_equal(msg_u32(resp, 0), 7);
	assert_int_equal(get_config(&dr.r.th, 0xffffff00u, 8, resp), VIRTIO_MSG_SIZE(12u));
	assert_int_equal(vmsg_card_stats(dr.r.card)->refused, 2);
	rig_fini(&dr.r);
}

static void test_config_write(void **state)
{
	const uint8_t data[4] = {9, 8, 7, 6};
	uint8_t resp[MSGBUF];
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, F_BASE, 32);
	dr.f.d.config_generation = 3;
	set_config(&dr.r.th, 3, 8, data, 4, resp);
	assert_int_equal(msg_u32(resp, 0), 3);
	assert_int_equal(msg_u32(resp, 8), 4);
	assert_memory_equal(dr.f.cfg + 8, data, 4);
	/* stale generation refused */
	set_config(&dr.r.th, 2, 0, data, 4, resp);
	assert_int_equal(msg_u32(resp, 8), 0);
	assert_int_equal(msg_u32(resp, 0), 3);
	assert_int_not_equal(dr.f.cfg[0], 9);
	/* out of range, backend refusal, read-only */
	set_config(&dr.r.th, 3, 30, data, 4, resp);
	assert_int_equal(msg_u32(resp, 8), 0);
	dr.f.config_write_ret = -1;
	set_config(&dr.r.th, 3, 0, data, 4, resp);
	assert_int_equal(msg_u32(resp, 8), 0);
	dr.f.config_write_ret = 0;
	dr.f.ops.config_write = NULL;
	set_config(&dr.r.th, 3, 0, data, 4, resp);
	assert_int_equal(msg_u32(resp, 8), 0);
	assert_int_equal(vmsg_card_stats(dr.r.card)->refused, 4);
	rig_fini(&dr.r);
}

static void test_config_write_relaxed(void **state)
{
	const uint8_t data[2] = {1, 2};
	struct vmsg_card_config cfg;
	uint8_t resp[MSGBUF];
	struct fdev f;
	struct rig r;

	(void)state;
	vmsg_card_config_defaults(&cfg);
	cfg.strict_config_generation = false;
	rig_init(&r, &cfg);
	fdev_init(&f, F_BASE, 16, 1);
	assert_int_equal(vmsg_card_add_device(r.card, &f.d), 1);
	thost_attach(&r.th);
	set_config(&r.th, 1234, 2, data, 2, resp);
	assert_int_equal(msg_u32(resp, 8), 2);
	rig_fini(&r);
}

static void test_event_config(void **state)
{
	uint8_t m[MSGBUF];
	struct dev_rig dr;
	uint32_t gen;

	(void)state;
	dev_rig_init(&dr, F_BASE, 300);
	gen = dr.f.d.config_generation;
	vmsg_dev_config_changed(&dr.f.d, 16, 6);
	assert_int_equal(thost_get(&dr.r.th, m), VIRTIO_MSG_SIZE(16u + 6u));
	assert_int_equal(m[0], 0);
	assert_int_equal(m[1], VIRTIO_MSG_EVENT_CONFIG);
	assert_int_equal(HDR_DEV(m), 1);
	assert_int_equal(msg_u32(m, 4), gen + 1);
	assert_int_equal(msg_u32(m, 8), 16);
	assert_int_equal(msg_u32(m, 12), 6);
	assert_memory_equal(m + VIRTIO_MSG_HEADER_SIZE + 16, dr.f.cfg + 16, 6);
	/* too big for one message: no data, the driver re-reads */
	vmsg_dev_config_changed(&dr.f.d, 0, 241);
	assert_int_equal(thost_get(&dr.r.th, m), VIRTIO_MSG_SIZE(16u));
	assert_int_equal(msg_u32(m, 4), gen + 2);
	assert_int_equal(msg_u32(m, 12), 0);
	vmsg_dev_config_changed(&dr.f.d, 0, 240);
	assert_int_equal(thost_get(&dr.r.th, m), 264);
	/* NEEDS_RESET */
	vmsg_dev_needs_reset(&dr.f.d);
	assert_int_equal(thost_get(&dr.r.th, m), VIRTIO_MSG_SIZE(16u));
	assert_int_equal(msg_u32(m, 0) & ST_NR, ST_NR);
	assert_int_equal(dev_status_get(&dr.r.th, 1), ST_NR);
	assert_int_equal(dev_status_set(&dr.r.th, 1, 0), 0);
	assert_int_equal(dev_status_get(&dr.r.th, 1), 0);
	/* not attached: nothing sent, generation still moves */
	thost_detach(&dr.r.th);
	vmsg_dev_config_changed(&dr.f.d, 0, 4);
	assert_int_equal(dr.f.d.config_generation, gen + 4);
	rig_fini(&dr.r);
}

static void test_shm(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	struct dev_rig dr;
	size_t n;

	(void)state;
	dev_rig_init(&dr, F_BASE, 8);
	dr.f.has_shm = true;
	n = vmsg_build_get_shm_req(req, sizeof(req), 1, 3, 1);
	assert_int_equal(thost_call(&dr.r.th, req, n, resp), VIRTIO_MSG_SIZE(12u));
	assert_int_equal(msg_u32(resp, 0), 1);
	assert_int_equal(msg_u32(resp, 4), 0x200000);
	assert_int_equal(msg_u32(resp, 8), 0x40000000);
	n = vmsg_build_get_shm_req(req, sizeof(req), 1, 4, 0);
	thost_call(&dr.r.th, req, n, resp);
	assert_int_equal(msg_u32(resp, 4), 0);
	dr.f.ops.get_shm = NULL;
	n = vmsg_build_get_shm_req(req, sizeof(req), 1, 5, 1);
	thost_call(&dr.r.th, req, n, resp);
	assert_int_equal(msg_u32(resp, 4), 0);
	rig_fini(&dr.r);
}

static void test_device_poll_called(void **state)
{
	struct dev_rig dr;

	(void)state;
	dev_rig_init(&dr, F_BASE, 8);
	dr.f.polls = 0;
	vmsg_card_poll(dr.r.card);
	vmsg_card_poll(dr.r.card);
	assert_int_equal(dr.f.polls, 2);
	rig_fini(&dr.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_device_info),
	    cmocka_unit_test(test_device_features),
	    cmocka_unit_test(test_features_ok),
	    cmocka_unit_test(test_features_ok_refused),
	    cmocka_unit_test(test_status_transitions),
	    cmocka_unit_test(test_reset_completes_first),
	    cmocka_unit_test(test_config_read),
	    cmocka_unit_test(test_config_write),
	    cmocka_unit_test(test_config_write_relaxed),
	    cmocka_unit_test(test_event_config),
	    cmocka_unit_test(test_shm),
	    cmocka_unit_test(test_device_poll_called),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
