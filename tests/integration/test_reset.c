// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_reset.c - resets with requests and buffers in flight:
 *  - control requests in flight around a device reset: GET_CONFIG and
 *    GET_DEVICE_STATUS submitted before and after SET_DEVICE_STATUS(0),
 *    all answered in order, status 0 after the reset;
 *  - virtio-blk device reset with 16 write requests in flight (half never
 *    kicked): reset bounded, every buffer reclaimed, re-init in the spec
 *    order, I/O right afterwards;
 *  - virtio-net RESET_VQUEUE on the receive queue with every receive
 *    buffer posted: all reclaimed, queue programmed again, frames flow;
 *  - virtio-net device reset while frames are in flight, then a fresh
 *    handle: frames flow.
 */
#include "harness.h"

#include "virtio_msg_build.h"

#include <errno.h>
#include <string.h>

static void control_in_flight(struct it_host *h, struct vmsg_host_blk *blk)
{
	struct vmsg_host_dev *dev = vmsg_host_blk_dev(blk);
	vmsg_dev_num_t n = vmsg_host_dev_num(dev);
	struct vmsg_host_req *r[12];
	uint8_t m[64], resp[264];
	size_t len;
	int i, k = 0, ret;

	for (i = 0; i < 4; i++) {
		len = vmsg_build_get_config_req(m, sizeof(m), n, 0, 0, 8);
		CHECK_OK(vmsg_host_bus_submit(h->bus, m, len, 0, &r[k++]));
		len = vmsg_build_get_device_status_req(m, sizeof(m), n, 0);
		CHECK_OK(vmsg_host_bus_submit(h->bus, m, len, 0, &r[k++]));
	}
	len = vmsg_build_set_device_status_req(m, sizeof(m), n, 0, 0);
	CHECK_OK(vmsg_host_bus_submit(h->bus, m, len, 0, &r[k++]));
	for (i = 0; i < 3; i++) {
		len = vmsg_build_get_device_status_req(m, sizeof(m), n, 0);
		CHECK_OK(vmsg_host_bus_submit(h->bus, m, len, 0, &r[k++]));
	}
	for (i = 0; i < k; i++) {
		ret = vmsg_host_req_wait(h->bus, r[i], resp, sizeof(resp), NULL);
		CHECK_OK(ret);
		if (i >= 8) /* the reset answer and the status reads after it */
			CHECK(resp[8] == 0 && resp[9] == 0);
		else if (i % 2)
			CHECK(resp[8] & VIRTIO_MSG_STATUS_DRIVER_OK);
	}
	IT_LOG("%d control requests around SET_DEVICE_STATUS(0) all answered", k);
}

int main(int argc, char **argv)
{
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	struct vmsg_host_blk *blk;
	struct vmsg_host_net *net;
	char disk[320];
	uint8_t *bufs[16], frame[256], rx[2048];
	uint64_t dma, t0;
	uint32_t len;
	int i, n, r;

	it_init(argc, argv, "reset", &card, 60);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), 8u << 20, 0);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_arg(&card, "--net");
	it_card_arg(&card, "loopback");
	it_card_start(&card);
	it_host_open(&card, &h, NULL);

	/* control requests in flight */
	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &blk));
	control_in_flight(&h, blk);
	CHECK_OK(vmsg_host_blk_reinit(blk));

	/* blk: device reset with data requests in flight */
	for (i = 0; i < 16; i++) {
		bufs[i] = vmsg_link_alloc(h.link, 65536, 4096, &dma);
		CHECK(bufs[i] != NULL);
		memset(bufs[i], i + 1, 65536);
		CHECK_OK(vmsg_host_blk_submit(blk, VMSG_HOST_BLK_T_OUT, (uint64_t)i * 128u, bufs[i],
					      65536, bufs[i]));
		if (i == 7)
			CHECK_OK(vmsg_host_blk_kick(blk));
	}
	t0 = it_now_ns();
	CHECK_OK(vmsg_host_dev_reset(vmsg_host_blk_dev(blk)));
	IT_LOG("blk reset with %u requests in flight took %.2f ms", vmsg_host_blk_in_flight(blk),
	       it_secs_since(t0) * 1e3);
	n = vmsg_host_blk_reclaim(blk, NULL, NULL);
	IT_LOG("reclaimed %d requests not collected before the reset", n);
	CHECK(n >= 0 && vmsg_host_blk_in_flight(blk) == 0);
	CHECK_OK(vmsg_host_blk_reinit(blk));
	memset(bufs[0], 0x5a, 65536);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, 4096, bufs[0], 65536, 0) == 0);
	memset(bufs[1], 0, 65536);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 4096, bufs[1], 65536, 0) == 0);
	CHECK(!memcmp(bufs[0], bufs[1], 65536));
	IT_LOG("blk I/O after re-init ok");
	vmsg_host_blk_close(blk);

	/* net: RESET_VQUEUE on the receive queue with every buffer posted */
	CHECK_OK(vmsg_host_net_open(h.bus, 2, 128, &net));
	CHECK(vmsg_host_dev_has(vmsg_host_net_dev(net), VMSG_HOST_F_RING_RESET));
	memset(frame, 0xee, sizeof(frame));
	r = vmsg_host_net_reset_rx(net);
	IT_LOG("RESET_VQUEUE rx: %d buffers were in flight", r);
	CHECK(r == 128);
	CHECK_OK(vmsg_host_net_tx(net, frame, sizeof(frame)));
	CHECK_OK(vmsg_host_net_tx_kick(net));
	CHECK(vmsg_host_net_wait(net, 2000) == 1);
	CHECK(vmsg_host_net_rx(net, rx, sizeof(rx), &len) == 1 && len == sizeof(frame));

	/* net: device reset with frames in flight, then a fresh handle */
	for (i = 0; i < 32; i++)
		CHECK_OK(vmsg_host_net_tx(net, frame, sizeof(frame)));
	CHECK_OK(vmsg_host_dev_reset(vmsg_host_net_dev(net)));
	r = vmsg_host_net_reclaim(net);
	IT_LOG("net device reset: %d buffers reclaimed", r);
	CHECK(r >= 128);
	vmsg_host_net_close(net);
	CHECK_OK(vmsg_host_net_open(h.bus, 2, 128, &net));
	for (i = 0; i < 32; i++)
		CHECK_OK(vmsg_host_net_tx(net, frame, sizeof(frame)));
	CHECK_OK(vmsg_host_net_tx_kick(net));
	for (n = 0; n < 32;) {
		r = vmsg_host_net_rx(net, rx, sizeof(rx), &len);
		CHECK_OK(r);
		if (r == 1) {
			CHECK(len == sizeof(frame) && !memcmp(rx, frame, len));
			n++;
			continue;
		}
		CHECK(vmsg_host_net_wait(net, 2000) == 1);
	}
	IT_LOG("net traffic after reset ok");
	vmsg_host_net_close(net);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
