// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_net.c - virtio-net loopback: 100k frames of random sizes (60..1514)
 * go out and come back intact and in order. At most WINDOW frames are
 * between transmit and receive, below the receive ring and the card's
 * loopback queue, so nothing is dropped for lack of buffers. Throughput
 * printed. argv[2] "poll": polling mode; argv[3]: frame count.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#define WINDOW 128u

static uint32_t frame_len(uint64_t seq)
{
	uint64_t s = seq * 0x9e3779b97f4a7c15ull + 1;

	return 60u + (uint32_t)(it_rand(&s) % (1514u - 60u + 1u));
}

static void frame_fill(uint8_t *f, uint64_t seq, uint32_t len)
{
	uint64_t s = seq ^ 0x5bd1e995u, r = 0;
	uint32_t i;

	memset(f, 0xff, 6); /* broadcast destination */
	memcpy(f + 6, "\x02\0\0\0\0\1", 6);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental ethertype */
	memcpy(f + 14, &seq, 8);
	for (i = 22; i < len; i++) {
		if ((i - 22) % 8 == 0)
			r = it_rand(&s);
		f[i] = (uint8_t)(r >> (8 * ((i - 22) % 8)));
	}
}

int main(int argc, char **argv)
{
	bool poll = argc > 2 && !strcmp(argv[2], "poll");
	uint64_t total = argc > 3 ? strtoull(argv[3], NULL, 0) : 100000u;
	struct vmsg_host_bus_opts o = {.poll_mode = poll};
	struct vmsg_host_net_stats ns;
	struct vmsg_host_bus_stats bst;
	struct vmsg_host_net *net;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	uint8_t tx[2048], rx[2048], want[2048];
	uint64_t sent = 0, rcvd = 0, bytes = 0, t0, last_progress;
	double secs;
	char out[4096];

	it_init(argc, argv, poll ? "net-poll" : "net", &card, 120);
	it_card_arg(&card, "--net");
	it_card_arg(&card, "loopback");
	it_card_start(&card);
	it_host_open(&card, &h, &o);
	CHECK_OK(vmsg_host_net_open(h.bus, 1, 256, &net));

	t0 = last_progress = it_now_ns();
	while (rcvd < total) {
		bool progress = false;
		uint32_t len;
		int r;

		while (sent < total && sent - rcvd < WINDOW) {
			len = frame_len(sent);
			frame_fill(tx, sent, len);
			r = vmsg_host_net_tx(net, tx, len);
			if (r == -EAGAIN)
				break;
			CHECK_OK(r);
			sent++;
			progress = true;
		}
		if (progress)
			CHECK_OK(vmsg_host_net_tx_kick(net));
		while ((r = vmsg_host_net_rx(net, rx, sizeof(rx), &len)) == 1) {
			uint64_t seq;

			memcpy(&seq, rx + 14, 8);
			if (seq != rcvd) {
				IT_LOG("frame %llu arrived when %llu was expected",
				       (unsigned long long)seq, (unsigned long long)rcvd);
				it_fail();
			}
			CHECK(len == frame_len(rcvd));
			frame_fill(want, rcvd, len);
			if (memcmp(rx, want, len)) {
				IT_LOG("frame %llu corrupted", (unsigned long long)rcvd);
				it_fail();
			}
			rcvd++;
			bytes += len;
			progress = true;
		}
		CHECK_OK(r);
		if (progress) {
			CHECK_OK(vmsg_host_net_rx_kick(net));
			last_progress = it_now_ns();
			continue;
		}
		vmsg_host_net_tx_reclaim(net);
		if (sent - rcvd > 0 || sent == total) {
			r = vmsg_host_net_wait(net, 100);
			CHECK_OK(r);
		}
		if (it_now_ns() - last_progress > 5000000000ull) {
			vmsg_host_net_get_stats(net, &ns);
			IT_LOG("stalled: sent %llu, received %llu", (unsigned long long)sent,
			       (unsigned long long)rcvd);
			it_card_ctl(&card, out, sizeof(out), "list", NULL);
			IT_LOG("card: %s", out);
			vmsg_host_vq_describe(vmsg_host_net_vq(net, 0), out, sizeof(out));
			IT_LOG("rx %s", out);
			vmsg_host_vq_describe(vmsg_host_net_vq(net, 1), out, sizeof(out));
			IT_LOG("tx %s", out);
			it_fail();
		}
	}
	secs = it_secs_since(t0);
	vmsg_host_net_get_stats(net, &ns);
	vmsg_host_bus_get_stats(h.bus, &bst);
	IT_LOG("%llu frames (%.1f MB) looped back in order in %.2f s: %.0f frames/s, %.1f Mbit/s "
	       "(%s mode)",
	       (unsigned long long)rcvd, (double)bytes / 1e6, secs, (double)rcvd / secs,
	       (double)bytes * 8 / secs / 1e6, poll ? "poll" : "irq");
	IT_LOG("kicks: tx %llu, rx %llu; bus: %llu msgs out, %llu in, %llu irqs; bad rx %llu",
	       (unsigned long long)ns.tx_kicks, (unsigned long long)ns.rx_kicks,
	       (unsigned long long)bst.tx_msgs, (unsigned long long)bst.rx_msgs,
	       (unsigned long long)bst.irqs, (unsigned long long)ns.rx_bad);
	CHECK(ns.rx_bad == 0 && bst.rx_malformed == 0);
	CHECK(it_card_ctl(&card, out, sizeof(out), "list", NULL) == 0);
	IT_LOG("card: %s", out);
	CHECK(strstr(out, "dropped 0") != NULL);
	vmsg_host_net_close(net);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
