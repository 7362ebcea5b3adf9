// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_enum.c - enumerate a card with net (loopback), blk (temp file), rng
 * and console; initialise each device in the spec's order and move a little
 * data through each; PING round trip; the card's counters agree.
 */
#include "harness.h"

#include "virtio_msg_build.h"

#include <pthread.h>
#include <string.h>

#define THREADS	   4
#define PER_THREAD 500

struct thr {
	struct vmsg_host_bus *bus;
	vmsg_dev_num_t dev;
	int fails;
};

/* Several threads share the bus: PINGs and status reads, all answered. */
static void *hammer(void *arg)
{
	struct thr *t = arg;
	uint8_t m[16], resp[264];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		if (i % 2 == 0 && vmsg_host_bus_ping(t->bus, NULL) != 0)
			t->fails++;
		if (i % 2 == 1 && vmsg_host_bus_request(
				      t->bus, m, vmsg_build_get_device_status_req(m, 16, t->dev, 0),
				      resp, sizeof(resp), 0) != 12)
			t->fails++;
	}
	return NULL;
}

static void check_console(struct it_host *h, vmsg_dev_num_t n)
{
	struct vmsg_host_vq *vqs[2] = {0};
	struct vmsg_host_dev *dev;
	struct vmsg_link *l = h->link;
	struct vmsg_vq_buf out;
	uint32_t st, len;
	uint64_t dma;
	void *c;
	char *buf;

	CHECK_OK(vmsg_host_dev_open(h->bus, n, &dev));
	CHECK(vmsg_host_dev_info(dev)->device_id == VMSG_HOST_VIRTIO_ID_CONSOLE);
	CHECK_OK(vmsg_host_dev_setup(dev, 0, 2, 64, vqs));
	CHECK_OK(vmsg_host_dev_get_status(dev, &st));
	CHECK(st == (VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER |
		     VIRTIO_MSG_STATUS_FEATURES_OK | VIRTIO_MSG_STATUS_DRIVER_OK));
	/* transmit a line on port 0 */
	buf = vmsg_link_alloc(l, 64, 64, &dma);
	CHECK(buf != NULL);
	len = (uint32_t)snprintf(buf, 64, "hello from the host\n");
	out.addr = dma;
	out.len = len;
	CHECK_OK(vmsg_host_vq_add(vqs[1], &out, 1, NULL, 0, buf));
	CHECK_OK(vmsg_host_vq_kick(vqs[1]));
	CHECK(vmsg_host_vq_wait(vqs[1], 2000) == 1);
	CHECK(vmsg_host_vq_get_used(vqs[1], &c, &len) == 1 && c == buf);
	CHECK_OK(vmsg_host_dev_reset(dev));
	vmsg_host_vq_destroy(vqs[0]);
	vmsg_host_vq_destroy(vqs[1]);
	vmsg_host_dev_close(dev);
	vmsg_link_free(l, buf);
	IT_LOG("console dev %u: init + 1 tx line ok", n);
}

int main(int argc, char **argv)
{
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	char disk[320], out[4096];
	vmsg_dev_num_t devs[16];
	struct vmsg_host_bus_stats st;
	struct vmsg_host_blk *blk;
	struct vmsg_host_net *net;
	struct vmsg_host_rng *rng;
	uint8_t *io, frame[128], rbuf[2048], rnd[64];
	uint32_t rlen, i, seen = 0;
	uint64_t rtt, dma;
	size_t n;
	int r;

	it_init(argc, argv, "enum", &card, 60);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), 1u << 20, 1);
	it_card_arg(&card, "--net");
	it_card_arg(&card, "loopback");
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_arg(&card, "--rng");
	it_card_arg(&card, "--console");
	it_card_arg(&card, "pty");
	it_card_start(&card);
	it_host_open(&card, &h, NULL);

	CHECK_OK(vmsg_host_bus_get_devices(h.bus, devs, 16, &n));
	IT_LOG("GET_DEVICES: %zu devices", n);
	CHECK(n == 4);
	for (i = 0; i < n; i++) {
		struct vmsg_host_dev *dev;

		CHECK_OK(vmsg_host_dev_open(h.bus, devs[i], &dev));
		IT_LOG(
		    "dev %u: device_id %u, %u feature bits, config %u bytes, %u queues", devs[i],
		    vmsg_host_dev_info(dev)->device_id, vmsg_host_dev_info(dev)->num_feature_bits,
		    vmsg_host_dev_info(dev)->config_size, vmsg_host_dev_info(dev)->max_virtqueues);
		seen |= 1u << vmsg_host_dev_info(dev)->device_id;
		vmsg_host_dev_close(dev);
	}
	CHECK(seen == (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4));

	for (i = 0; i < n; i++) {
		struct vmsg_host_dev *dev;
		uint32_t id;

		CHECK_OK(vmsg_host_dev_open(h.bus, devs[i], &dev));
		id = vmsg_host_dev_info(dev)->device_id;
		vmsg_host_dev_close(dev);
		if (id == VMSG_HOST_VIRTIO_ID_BLK) {
			CHECK_OK(vmsg_host_blk_open(h.bus, devs[i], 0, &blk));
			CHECK(vmsg_host_blk_info(blk)->capacity == (1u << 20) / 512u);
			CHECK(vmsg_host_dev_has(vmsg_host_blk_dev(blk), VMSG_HOST_F_VERSION_1));
			CHECK(
			    vmsg_host_dev_has(vmsg_host_blk_dev(blk), VMSG_HOST_F_ACCESS_PLATFORM));
			io = vmsg_link_alloc(h.link, 4096, 4096, &dma);
			CHECK(io != NULL);
			memset(io, 0xa5, 4096);
			CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, 8, io, 4096, 0) == 0);
			memset(io, 0, 4096);
			CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 8, io, 4096, 0) == 0);
			CHECK(io[0] == 0xa5 && io[4095] == 0xa5);
			CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_FLUSH, 0, NULL, 0, 0) == 0);
			vmsg_link_free(h.link, io);
			vmsg_host_blk_close(blk);
			IT_LOG("blk dev %u: init + write/read/flush ok", devs[i]);
		} else if (id == VMSG_HOST_VIRTIO_ID_NET) {
			CHECK_OK(vmsg_host_net_open(h.bus, devs[i], 0, &net));
			for (rlen = 0; rlen < sizeof(frame); rlen++)
				frame[rlen] = (uint8_t)rlen;
			CHECK_OK(vmsg_host_net_tx(net, frame, sizeof(frame)));
			CHECK_OK(vmsg_host_net_tx_kick(net));
			CHECK(vmsg_host_net_wait(net, 2000) == 1);
			CHECK(vmsg_host_net_rx(net, rbuf, sizeof(rbuf), &rlen) == 1);
			CHECK(rlen == sizeof(frame) && !memcmp(rbuf, frame, rlen));
			IT_LOG("net dev %u: mac %02x:%02x:%02x:%02x:%02x:%02x, loopback ok",
			       devs[i], vmsg_host_net_mac(net)[0], vmsg_host_net_mac(net)[1],
			       vmsg_host_net_mac(net)[2], vmsg_host_net_mac(net)[3],
			       vmsg_host_net_mac(net)[4], vmsg_host_net_mac(net)[5]);
			vmsg_host_net_close(net);
		} else if (id == VMSG_HOST_VIRTIO_ID_RNG) {
			CHECK_OK(vmsg_host_rng_open(h.bus, devs[i], &rng));
			memset(rnd, 0, sizeof(rnd));
			r = vmsg_host_rng_read(rng, rnd, sizeof(rnd), 2000);
			CHECK(r > 0);
			IT_LOG("rng dev %u: %d bytes", devs[i], r);
			vmsg_host_rng_close(rng);
		} else {
			check_console(&h, devs[i]);
		}
	}
	CHECK_OK(vmsg_host_bus_ping(h.bus, &rtt));
	IT_LOG("PING round trip %.1f us", (double)rtt / 1e3);
	{
		struct thr th[THREADS];
		pthread_t tid[THREADS];
		uint64_t t0 = it_now_ns();

		for (i = 0; i < THREADS; i++) {
			th[i].bus = h.bus;
			th[i].dev = devs[i % n];
			th[i].fails = 0;
			CHECK(pthread_create(&tid[i], NULL, hammer, &th[i]) == 0);
		}
		for (i = 0; i < THREADS; i++) {
			pthread_join(tid[i], NULL);
			CHECK(th[i].fails == 0);
		}
		IT_LOG("%d threads x %d requests on one bus: all answered, %.0f requests/s",
		       THREADS, PER_THREAD, THREADS * PER_THREAD / it_secs_since(t0));
	}
	vmsg_host_bus_get_stats(h.bus, &st);
	CHECK(st.rx_malformed == 0 && st.rx_unsolicited == 0 && st.rx_mismatch == 0 &&
	      st.timeouts == 0 && st.rx_stale_epoch == 0);
	IT_LOG("host: %llu msgs out, %llu in, %llu irqs, %llu doorbells",
	       (unsigned long long)st.tx_msgs, (unsigned long long)st.rx_msgs,
	       (unsigned long long)st.irqs, (unsigned long long)st.doorbells);
	CHECK(it_card_ctl(&card, out, sizeof(out), "list", NULL) == 0);
	IT_LOG("ctl list:\n%s", out);
	CHECK(it_card_stat(&card, "drop_malformed") == 0);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
