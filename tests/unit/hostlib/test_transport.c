// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_transport.c - the driver-side transport against the fake card:
 * init order, feature blocks, FEATURES_OK refusal, bounded reset polling,
 * chunked config reads with generation re-reads, SET_CONFIG retried after a
 * stale generation, virtqueue programming and its checks, echo checks.
 */
#include "common.h"

#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <string.h>

static uint8_t order[64];
static unsigned int norder;

static bool recorder(struct fake_card *fc, const uint8_t *m, size_t len,
		     const struct vmsg_msg_info *mi)
{
	(void)fc;
	(void)m;
	(void)len;
	if (!mi->is_bus && norder < sizeof(order))
		order[norder++] = mi->msg_id;
	return false;
}

static void init_order(void **state)
{
	static const uint8_t want[] = {
	    VIRTIO_MSG_GET_DEVICE_INFO,	    VIRTIO_MSG_SET_DEVICE_STATUS, /* reset */
	    VIRTIO_MSG_SET_DEVICE_STATUS,				  /* ACKNOWLEDGE */
	    VIRTIO_MSG_SET_DEVICE_STATUS,				  /* DRIVER */
	    VIRTIO_MSG_GET_DEVICE_FEATURES, VIRTIO_MSG_SET_DRIVER_FEATURES,
	    VIRTIO_MSG_SET_DEVICE_STATUS, /* FEATURES_OK */
	    VIRTIO_MSG_GET_DEVICE_STATUS, /* did it stick */
	    VIRTIO_MSG_GET_VQUEUE,	    VIRTIO_MSG_SET_VQUEUE,
	    VIRTIO_MSG_GET_VQUEUE,	    VIRTIO_MSG_SET_DEVICE_STATUS, /* DRIVER_OK */
	};
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *vq;
	uint64_t neg;

	fx_attach(f);
	f->fc->hook = recorder;
	norder = 0;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_info(dev)->device_id, 2);
	assert_int_equal(
	    vmsg_host_dev_negotiate(dev, (1ull << 9) | (1ull << 7) | (1ull << 34), &neg), 0);
	assert_int_equal(neg, (1ull << 32) | (1ull << 33) | (1ull << 9));
	assert_int_equal(f->fc->dev[1].drv_features, neg);
	assert_int_equal(vmsg_host_vq_create(dev, 0, 100, &vq), 0);
	assert_int_equal(vmsg_host_vq_size(vq), 64); /* 100 rounded down */
	assert_int_equal(f->fc->dev[1].vq[0].size, 64);
	assert_int_equal(vmsg_host_dev_driver_ok(dev), 0);
	assert_int_equal(norder, sizeof(want));
	assert_memory_equal(order, want, sizeof(want));
	assert_int_equal(f->fc->dev[1].status, 0xf);
	/* a kick is an EVENT_AVAIL */
	{
		struct vmsg_vq_buf b = {.addr = 0x10000, .len = 64};

		assert_true(vmsg_host_vq_add(vq, &b, 1, NULL, 0, NULL) >= 0);
		assert_int_equal(vmsg_host_vq_kick(vq), 1);
		assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
		assert_int_equal(f->fc->avails, 1);
	}
	/* the queue is active now: another create is refused */
	vmsg_host_vq_destroy(vq); /* no RING_RESET negotiated: resets the device */
	assert_int_equal(f->fc->dev[1].status, 0);
	vmsg_host_dev_close(dev);
}

static void many_feature_blocks(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;

	f->fc->dev[1].num_feature_bits = 1024; /* 32 blocks: several messages at 48 bytes */
	*(volatile uint32_t *)(f->fc->bar0 + offsetof(struct vmsg_pcie_regs, max_msg_size)) =
	    vmsg_cpu_to_le32(48);
	fx_attach(f);
	norder = 0;
	f->fc->hook = recorder;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_negotiate(dev, 1ull << 9, NULL), 0);
	/* (48 - 16) / 4 = 8 blocks per message: 4 GET and 4 SET */
	assert_int_equal(f->fc->rx_by_id[VIRTIO_MSG_GET_DEVICE_FEATURES], 4);
	assert_int_equal(f->fc->rx_by_id[VIRTIO_MSG_SET_DRIVER_FEATURES], 4);
	vmsg_host_dev_close(dev);
}

static void features_refused(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;

	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	f->fc->dev[1].refuse_features = true;
	assert_int_equal(vmsg_host_dev_negotiate(dev, 0, NULL), -EOPNOTSUPP);
	assert_true(f->fc->dev[1].status & VIRTIO_MSG_STATUS_FAILED);
	f->fc->dev[1].refuse_features = false;
	f->fc->dev[1].features &= ~(1ull << 33); /* no ACCESS_PLATFORM */
	assert_int_equal(vmsg_host_dev_negotiate(dev, 0, NULL), -EOPNOTSUPP);
	vmsg_host_dev_close(dev);
}

static void reset_polls(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev_stats st;
	struct vmsg_host_dev *dev;
	uint64_t t0;

	f->opts.reset_timeout_ms = 100;
	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	f->fc->dev[1].status = 0xf;
	f->fc->dev[1].reset_delay = 3;
	assert_int_equal(vmsg_host_dev_reset(dev), 0);
	vmsg_host_dev_get_stats(dev, &st);
	assert_int_equal(st.reset_polls, 3);
	f->fc->dev[1].status = 0xf;
	f->fc->dev[1].reset_never = true;
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_dev_reset(dev), -ETIMEDOUT);
	/* the option, not VMSG_PCIE_RESET_TIMEOUT_MS (5 s) */
	assert_true(fx_now_ms() - t0 >= 100 && fx_now_ms() - t0 < 3000);
	/* [RST-3]: the card is considered failed */
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_PEER_DEAD);
	assert_int_equal(vmsg_host_dev_error(dev), -ETIMEDOUT);
	vmsg_host_dev_close(dev);
}

static void config_generation(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev_stats st;
	struct vmsg_host_dev *dev;
	struct fc_dev *d = &f->fc->dev[1];
	uint8_t buf[64], in[20];
	uint32_t gen, i;

	for (i = 0; i < 64; i++)
		d->config[i] = (uint8_t)i;
	d->config_size = 64;
	d->writable = true;
	d->gen = 5;
	/* 48-byte messages: 28 bytes of config per GET_CONFIG */
	*(volatile uint32_t *)(f->fc->bar0 + offsetof(struct vmsg_pcie_regs, max_msg_size)) =
	    vmsg_cpu_to_le32(48);
	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	/* the generation moves between the chunks of the first pass */
	d->gen_bump_mid_read = 1;
	assert_int_equal(vmsg_host_dev_config_read(dev, 0, buf, 64, &gen), 0);
	assert_int_equal(gen, 6);
	for (i = 0; i < 64; i++)
		assert_int_equal(buf[i], i);
	vmsg_host_dev_get_stats(dev, &st);
	assert_int_equal(st.config_rereads, 1);
	assert_int_equal(vmsg_host_dev_config_read(dev, 60, buf, 8, NULL), -ERANGE);
	assert_int_equal(vmsg_host_dev_config_read(dev, 0, buf, 0, NULL), -ERANGE);

	/* the device changes its config before our write lands: refused, the
	 * library re-reads the generation and retries */
	memset(in, 0xaa, sizeof(in));
	d->gen_bump_before_set = 1;
	assert_int_equal(vmsg_host_dev_config_write(dev, 40, in, 20), 0);
	assert_memory_equal(d->config + 40, in, 20);
	vmsg_host_dev_get_stats(dev, &st);
	assert_int_equal(st.config_retries, 1);
	assert_int_equal(vmsg_host_dev_generation(dev), 7);
	/* a write longer than one message is chunked */
	memset(buf, 0x55, 40);
	assert_int_equal(vmsg_host_dev_config_write(dev, 0, buf, 40), 0);
	assert_memory_equal(d->config, buf, 40);
	/* a generation that never settles: bounded */
	d->gen_bump_before_set = 1000;
	assert_int_equal(vmsg_host_dev_config_write(dev, 0, in, 4), -EAGAIN);
	/* read-only config: refused at the current generation, no retry loop */
	d->gen_bump_before_set = 0;
	d->writable = false;
	vmsg_host_dev_get_stats(dev, &st);
	i = (uint32_t)st.config_retries;
	assert_int_equal(vmsg_host_dev_config_write(dev, 0, in, 4), -EPERM);
	vmsg_host_dev_get_stats(dev, &st);
	assert_int_equal(st.config_retries, i);
	vmsg_host_dev_close(dev);
}

static bool vq_liar(struct fake_card *fc, const uint8_t *m, size_t len,
		    const struct vmsg_msg_info *mi)
{
	uint8_t out[64];
	struct vmsg_vqueue_info vi = {0};
	int *mode = fc->priv;

	(void)len;
	if (mi->is_bus)
		return false;
	if (mi->msg_id == VIRTIO_MSG_SET_VQUEUE && *mode == 1) {
		/* answered, not applied */
		fc_send(fc, out,
			vmsg_build_set_vqueue_resp(out, sizeof(out), mi->dev_num, mi->token));
		return true;
	}
	if (mi->msg_id == VIRTIO_MSG_GET_VQUEUE && *mode == 2) {
		vi.index = vmsg_get_le32(m + 8) + 1; /* wrong echo */
		vi.max_size = 64;
		fc_send(fc, out,
			vmsg_build_get_vqueue_resp(out, sizeof(out), mi->dev_num, mi->token, &vi));
		return true;
	}
	if (mi->msg_id == VIRTIO_MSG_GET_VQUEUE && *mode == 3) {
		vi.index = vmsg_get_le32(m + 8);
		vi.max_size = 64;
		vi.size = 64; /* already active */
		fc_send(fc, out,
			vmsg_build_get_vqueue_resp(out, sizeof(out), mi->dev_num, mi->token, &vi));
		return true;
	}
	return false;
}

static void vq_checks(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev_stats st;
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *vq;
	int mode = 0;

	fx_attach(f);
	f->fc->hook = vq_liar;
	f->fc->priv = &mode;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_vq_create(dev, 0, 0, &vq), -EINVAL); /* features first */
	assert_int_equal(vmsg_host_dev_negotiate(dev, 0, NULL), 0);
	assert_int_equal(vmsg_host_vq_create(dev, 5, 0, &vq), -EINVAL); /* beyond max_virtqueues */
	mode = 1;
	assert_int_equal(vmsg_host_vq_create(dev, 0, 0, &vq), -EPROTO);
	mode = 2;
	assert_int_equal(vmsg_host_vq_create(dev, 0, 0, &vq), -EPROTO);
	vmsg_host_dev_get_stats(dev, &st);
	assert_int_equal(st.echo_mismatch, 1);
	mode = 3;
	assert_int_equal(vmsg_host_vq_create(dev, 0, 0, &vq), -EBUSY);
	mode = 0;
	assert_int_equal(vmsg_host_vq_create(dev, 1, 0, &vq), 0);
	assert_int_equal(vmsg_host_vq_size(vq), 256);
	assert_int_equal(vmsg_host_vq_reset(vq), -EOPNOTSUPP); /* RING_RESET not negotiated */
	assert_int_equal(vmsg_host_dev_reset(dev), 0);
	assert_false(vmsg_host_vq_active(vq));
	assert_int_equal(vmsg_host_vq_add(vq, NULL, 0, NULL, 0, NULL), -ESTALE);
	assert_int_equal(vmsg_host_vq_reclaim(vq, NULL, NULL), 0);
	vmsg_host_dev_close(dev); /* frees the queue */
}

static void shm_and_status(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;
	uint64_t addr, len;
	uint32_t st;

	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_get_shm(dev, 2, &addr, &len), 0);
	assert_int_equal(addr, 0x20000);
	assert_int_equal(len, 0x1000);
	assert_int_equal(vmsg_host_dev_set_status(dev, VIRTIO_MSG_STATUS_ACKNOWLEDGE, &st), 0);
	assert_int_equal(st, VIRTIO_MSG_STATUS_ACKNOWLEDGE);
	assert_int_equal(vmsg_host_dev_get_status(dev, &st), 0);
	assert_int_equal(st, VIRTIO_MSG_STATUS_ACKNOWLEDGE);
	assert_int_equal(vmsg_host_dev_driver_ok(dev), -EINVAL); /* no FEATURES_OK yet */
	{
		struct vmsg_host_dev *none;

		assert_int_equal(vmsg_host_dev_open(f->bus, 0, &none), -EINVAL);
		assert_null(none);
	}
	vmsg_host_dev_close(dev);
}

static void bad_device_info(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;

	f->fc->dev[1].num_feature_bits = 33;
	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), -EPROTO);
	f->fc->dev[1].num_feature_bits = 64;
	f->fc->dev[1].config_size = 1u << 20;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(init_order, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(many_feature_blocks, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(features_refused, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(reset_polls, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(config_generation, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(vq_checks, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(shm_and_status, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(bad_device_info, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
