// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_kill.c - card death and restart.
 *  1. SIGKILL: BAR0 keeps saying RUN (the shared file outlives the card),
 *     so only PING can tell. With a 100 ms interval and 3 misses the host
 *     must declare the peer dead within (misses + 1) x interval (+ slack),
 *     report every device REMOVED and fail I/O at once. Detection time is
 *     printed.
 *  2. A new card on the same link dir: new epoch, automatic re-attach from
 *     the liveness loop, devices READY again, data flushed before the kill
 *     is there.
 *  3. SIGTERM: the card says REMOVED for each device and SHUTDOWN in BAR0;
 *     the host sees it at its next liveness tick; restart, back again.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#define IVAL_MS 100u
#define MISSES	3u

static unsigned int n_removed, n_ready, n_down, n_up;
static int down_reason;

static void on_event(void *arg, const struct vmsg_host_event *ev)
{
	(void)arg;
	switch (ev->kind) {
	case VMSG_HOST_EV_DEVICE_REMOVED:
		n_removed++;
		break;
	case VMSG_HOST_EV_DEVICE_READY:
		n_ready++;
		break;
	case VMSG_HOST_EV_LINK_DOWN:
		n_down++;
		down_reason = ev->reason;
		break;
	case VMSG_HOST_EV_LINK_UP:
		n_up++;
		break;
	default:
		break;
	}
}

/* Tick liveness until the state is want; returns the elapsed ms. */
static double tick_until(struct it_host *h, enum vmsg_host_state want, int limit_ms)
{
	uint64_t t0 = it_now_ns();

	for (;;) {
		enum vmsg_host_state st = vmsg_host_bus_liveness(h->bus);

		if (st == want)
			return it_secs_since(t0) * 1e3;
		if (it_now_ns() - t0 > (uint64_t)limit_ms * 1000000u) {
			IT_LOG("state %s, want %s after %d ms", vmsg_host_state_str(st),
			       vmsg_host_state_str(want), limit_ms);
			it_fail();
		}
		vmsg_host_bus_wait(h->bus, 5);
	}
}

static void blk_check(struct it_host *h, uint8_t *io, uint8_t pat, bool write)
{
	struct vmsg_host_blk *blk;

	CHECK_OK(vmsg_host_blk_open(h->bus, 1, 0, &blk));
	if (write) {
		memset(io, pat, 4096);
		CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, 16, io, 4096, 0) == 0);
		CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_FLUSH, 0, NULL, 0, 0) == 0);
	}
	memset(io, 0, 4096);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 16, io, 4096, 0) == 0);
	CHECK(io[0] == pat && io[4095] == pat);
	vmsg_host_blk_close(blk);
}

int main(int argc, char **argv)
{
	struct vmsg_host_bus_opts o = {.ping_interval_ms = IVAL_MS,
				       .ping_misses = MISSES,
				       .auto_reattach = true,
				       .request_timeout_ms = 1000,
				       .event_cb = on_event};
	struct vmsg_host_bus_stats bst;
	struct vmsg_host_blk *blk;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	char disk[320];
	uint8_t *io;
	uint32_t epoch0, epoch1;
	uint64_t dma, t0;
	double ms, bound;
	int r;

	it_init(argc, argv, "kill", &card, 60);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), 1u << 20, 0);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_arg(&card, "--rng");
	it_card_start(&card);
	it_host_open(&card, &h, &o);
	io = vmsg_link_alloc(h.link, 4096, 4096, &dma);
	blk_check(&h, io, 0x11, true);

	/* alive: PINGs answered for a while */
	t0 = it_now_ns();
	while (it_now_ns() - t0 < 5u * IVAL_MS * 1000000u) {
		CHECK(vmsg_host_bus_liveness(h.bus) == VMSG_HOST_RUN);
		vmsg_host_bus_wait(h.bus, 5);
	}
	vmsg_host_bus_get_stats(h.bus, &bst);
	IT_LOG("alive: %llu PINGs sent, %llu missed", (unsigned long long)bst.pings_sent,
	       (unsigned long long)bst.pings_missed);
	CHECK(bst.pings_sent >= 3 && bst.pings_missed == 0);

	/* 1. SIGKILL */
	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &blk));
	epoch0 = vmsg_host_bus_epoch(h.bus);
	n_removed = n_down = 0;
	it_card_stop(&card, 1);
	ms = tick_until(&h, VMSG_HOST_PEER_DEAD, 5000);
	/* misses x interval after the first unanswered PING, which leaves up to
	 * one interval after the kill; plus the tick period and scheduling,
	 * generous: this proves PING-driven detection, not speed on a busy
	 * shared machine */
	bound = (MISSES + 1) * IVAL_MS + 1000;
	IT_LOG("card SIGKILLed: peer dead detected in %.1f ms (PING every %u ms, %u misses; bound "
	       "%.0f ms)",
	       ms, IVAL_MS, MISSES, bound);
	CHECK(ms <= bound);
	vmsg_host_bus_poll(h.bus);
	CHECK(n_down == 1 && down_reason == -EHOSTDOWN);
	CHECK(n_removed == 2);
	CHECK(!vmsg_host_bus_device_present(h.bus, 1));
	CHECK(vmsg_host_dev_error(vmsg_host_blk_dev(blk)) == -EHOSTDOWN);
	t0 = it_now_ns();
	r = vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 0, io, 4096, 0);
	IT_LOG("I/O on a dead card: %s after %.2f ms", vmsg_host_strerror(r),
	       it_secs_since(t0) * 1e3);
	CHECK(r == -EHOSTDOWN);
	vmsg_host_blk_close(blk);

	/* 2. restart on the same link dir: automatic re-attach */
	n_ready = n_up = 0;
	it_card_start(&card);
	ms = tick_until(&h, VMSG_HOST_RUN, 5000);
	epoch1 = vmsg_host_bus_epoch(h.bus);
	vmsg_host_bus_poll(h.bus);
	IT_LOG("restarted card re-attached %.1f ms after its start: epoch %#x -> %#x, %u devices "
	       "READY",
	       ms, epoch0, epoch1, n_ready);
	CHECK(epoch1 != epoch0 && n_up == 1 && n_ready == 2);
	blk_check(&h, io, 0x11, false); /* flushed before the kill */
	blk_check(&h, io, 0x22, true);

	/* 3. SIGTERM: clean shutdown seen through BAR0 and REMOVED events */
	n_removed = n_down = 0;
	it_card_stop(&card, 0);
	ms = tick_until(&h, VMSG_HOST_GONE, 2000);
	vmsg_host_bus_poll(h.bus);
	IT_LOG("card SIGTERMed: link gone noticed in %.1f ms, %u REMOVED", ms, n_removed);
	CHECK(n_removed == 2 && n_down == 1);
	n_ready = n_up = 0;
	it_card_start(&card);
	tick_until(&h, VMSG_HOST_RUN, 5000);
	vmsg_host_bus_poll(h.bus);
	CHECK(n_up == 1 && n_ready == 2 && vmsg_host_bus_epoch(h.bus) != epoch1);
	blk_check(&h, io, 0x22, false);
	vmsg_host_bus_get_stats(h.bus, &bst);
	IT_LOG("attaches %llu, link downs %llu, PINGs sent %llu, missed %llu",
	       (unsigned long long)bst.attaches, (unsigned long long)bst.link_downs,
	       (unsigned long long)bst.pings_sent, (unsigned long long)bst.pings_missed);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
