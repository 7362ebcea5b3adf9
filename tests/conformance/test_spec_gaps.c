// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_spec_gaps.c - virtio-msg v1 driver rules that no other test asserted
 * (docs/conformance.md), checked on the host library against the fake card
 * of tests/unit/hostlib:
 *  - EVENT_AVAIL names the queue and carries next offset/wrap 0, since
 *    VIRTIO_F_NOTIFICATION_DATA is never negotiated even when offered; also
 *    for a kick held back while the h2c ring is full (N35, N70);
 *  - SET_CONFIG outside config_size is refused before anything is sent
 *    (N24, N27, N57);
 *  - GET_DEVICE_FEATURES answers with fewer blocks than asked are continued
 *    from the block the device stopped at; answers that echo another first
 *    block or more blocks than asked are refused (N52).
 */
#include "common.h"

#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <string.h>

#define F_NOTIFICATION_DATA 38u
#define MAX_SEEN	    128u

struct seen {
	uint32_t vq[MAX_SEEN], next[MAX_SEEN];
	unsigned int n;
};

/* Record every EVENT_AVAIL, then let the default model count it. */
static bool avail_recorder(struct fake_card *fc, const uint8_t *m, size_t len,
			   const struct vmsg_msg_info *mi)
{
	struct seen *s = fc->priv;

	if (mi->is_bus || mi->msg_id != VIRTIO_MSG_EVENT_AVAIL)
		return false;
	assert_int_equal(len, VIRTIO_MSG_SIZE(8u));
	if (s->n < MAX_SEEN) {
		s->vq[s->n] = vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE);
		s->next[s->n] = vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE + 4);
		s->n++;
	}
	return false;
}

static void add_one(struct vmsg_host_vq *vq, uint64_t addr)
{
	struct vmsg_vq_buf b = {.addr = addr, .len = 64};

	assert_true(vmsg_host_vq_add(vq, &b, 1, NULL, 0, NULL) >= 0);
}

static void event_avail_fields(void **state)
{
	struct fixture *f = *state;
	const uint64_t nd = 1ull << F_NOTIFICATION_DATA;
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *vq;
	struct seen s = {0};
	uint8_t m[16];
	uint64_t neg;
	unsigned int i;

	f->fc->dev[1].features |= nd; /* offered, and asked for below */
	fx_attach(f);
	f->fc->hook = avail_recorder;
	f->fc->priv = &s;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_negotiate(dev, nd, &neg), 0);
	assert_int_equal(neg & nd, 0);
	assert_int_equal(f->fc->dev[1].drv_features & nd, 0);
	assert_int_equal(vmsg_host_vq_create(dev, 1, 16, &vq), 0);
	assert_int_equal(vmsg_host_dev_driver_ok(dev), 0);

	/* a kick straight into the ring */
	add_one(vq, 0x10000);
	assert_int_equal(vmsg_host_vq_kick(vq), 1);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0); /* drives the card */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.vq[0], 1);
	assert_int_equal(s.next[0], 0);

	/* a kick held back behind a full h2c ring, sent when space frees */
	f->fc->stalled = true;
	for (i = 0; i < 64; i++)
		assert_int_equal(
		    vmsg_host_bus_send_event(f->bus, m, vmsg_build_event_avail(m, 64, 1, 0, 0)), 0);
	add_one(vq, 0x10100);
	assert_int_equal(vmsg_host_vq_kick(vq), 1);
	f->fc->stalled = false;
	assert_true(vmsg_host_bus_poll(f->bus) >= 0);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
	assert_int_equal(s.n, 1 + 64 + 1);
	assert_int_equal(s.vq[s.n - 1], 1);
	for (i = 0; i < s.n; i++)
		assert_int_equal(s.next[i], 0);
	vmsg_host_vq_destroy(vq);
	vmsg_host_dev_close(dev);
}

static void set_config_range(void **state)
{
	struct fixture *f = *state;
	struct fc_dev *d = &f->fc->dev[1];
	struct vmsg_host_dev *dev;
	uint8_t buf[32];

	d->writable = true;
	memset(buf, 0x5a, sizeof(buf));
	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_info(dev)->config_size, 16);
	assert_int_equal(vmsg_host_dev_config_write(dev, 12, buf, 8), -ERANGE);
	assert_int_equal(vmsg_host_dev_config_write(dev, 16, buf, 1), -ERANGE);
	assert_int_equal(vmsg_host_dev_config_write(dev, 0, buf, 0), -ERANGE);
	assert_int_equal(vmsg_host_dev_config_write(dev, 0xfffffff0u, buf, 32), -ERANGE);
	assert_int_equal(f->fc->rx_by_id[VIRTIO_MSG_SET_CONFIG], 0);
	/* in range: sent, once, and applied */
	assert_int_equal(vmsg_host_dev_config_write(dev, 8, buf, 8), 0);
	assert_int_equal(f->fc->rx_by_id[VIRTIO_MSG_SET_CONFIG], 1);
	assert_memory_equal(d->config + 8, buf, 8);
	vmsg_host_dev_close(dev);
}

/* GET_DEVICE_FEATURES answered by priv's mode: 0 one block at a time,
 * 1 another first block echoed, 2 more blocks than asked. */
static bool feature_answers(struct fake_card *fc, const uint8_t *m, size_t len,
			    const struct vmsg_msg_info *mi)
{
	const uint8_t *p = m + VIRTIO_MSG_HEADER_SIZE;
	const int *mode = fc->priv;
	uint32_t first = vmsg_get_le32(p), num = vmsg_get_le32(p + 4), blocks[8], i;
	uint8_t out[64];

	(void)len;
	if (mi->is_bus || mi->msg_id != VIRTIO_MSG_GET_DEVICE_FEATURES)
		return false;
	if (*mode == 1)
		first++;
	num = *mode == 2 ? num + 1 : 1;
	if (num > 8)
		num = 8;
	for (i = 0; i < num; i++) {
		uint64_t b = (uint64_t)first + i;

		blocks[i] = b < 2 ? (uint32_t)(fc->dev[mi->dev_num].features >> (32 * b)) : 0;
	}
	fc_send(fc, out,
		vmsg_build_get_device_features_resp(out, sizeof(out), mi->dev_num, mi->token, first,
						    blocks, num));
	return true;
}

static void short_feature_answers(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_dev *dev;
	uint64_t neg;
	int mode = 0;

	f->fc->dev[1].num_feature_bits = 128; /* four blocks */
	fx_attach(f);
	f->fc->hook = feature_answers;
	f->fc->priv = &mode;
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_negotiate(dev, 1ull << 9, &neg), 0);
	assert_int_equal(f->fc->rx_by_id[VIRTIO_MSG_GET_DEVICE_FEATURES], 4);
	assert_int_equal(neg, (1ull << 32) | (1ull << 33) | (1ull << 9));
	assert_int_equal(f->fc->dev[1].drv_features, neg);
	mode = 1;
	assert_int_equal(vmsg_host_dev_negotiate(dev, 1ull << 9, NULL), -EPROTO);
	mode = 2;
	assert_int_equal(vmsg_host_dev_negotiate(dev, 1ull << 9, NULL), -EPROTO);
	vmsg_host_dev_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(event_avail_fields, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(set_config_range, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(short_feature_answers, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
