// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_hotplug.c - `vmsg-card ctl add blk:other.img` and `ctl remove N`
 * while I/O runs on another device: the host sees READY and REMOVED, I/O on
 * the removed device fails cleanly (in-flight requests end with -ENODEV,
 * new ones are refused, nothing hangs), the other device keeps going and
 * its data stays right; a net device removed with its receive buffers
 * posted gives them all back; a device added again gets a fresh handle and
 * works.
 */
#include "harness.h"

#include "virtio_msg_build.h"

#include <errno.h>
#include <string.h>

#define NEV 64

static struct vmsg_host_event evs[NEV];
static unsigned int nev;

static void on_event(void *arg, const struct vmsg_host_event *ev)
{
	(void)arg;
	if (ev->kind == VMSG_HOST_EV_USED)
		return;
	if (nev < NEV)
		evs[nev++] = *ev;
	IT_LOG("event %d dev %u reason %d", ev->kind, ev->dev_num, ev->reason);
}

static int find_event(enum vmsg_host_event_kind k, vmsg_dev_num_t dev)
{
	unsigned int i;

	for (i = 0; i < nev; i++)
		if (evs[i].kind == k && (dev == 0 || evs[i].dev_num == dev))
			return (int)i;
	return -1;
}

struct worker {
	struct vmsg_host_blk *blk;
	uint8_t *buf;
	uint64_t seed, ops;
	uint32_t sectors;
};

/* One synchronous write + read-back on a device. */
static int worker_step(struct worker *w)
{
	uint64_t sector = it_rand(&w->seed) % (w->sectors - 8u), tag = it_rand(&w->seed);
	int r;

	memcpy(w->buf, &tag, 8);
	memset(w->buf + 8, (int)(tag & 0xff), 4096 - 8);
	r = vmsg_host_blk_io(w->blk, VMSG_HOST_BLK_T_OUT, sector, w->buf, 4096, 2000);
	if (r)
		return r;
	memset(w->buf, 0, 4096);
	r = vmsg_host_blk_io(w->blk, VMSG_HOST_BLK_T_IN, sector, w->buf, 4096, 2000);
	if (r)
		return r;
	if (memcmp(w->buf, &tag, 8) || w->buf[4095] != (uint8_t)(tag & 0xff))
		return -EIO;
	w->ops++;
	return 0;
}

/* Keep I/O going on w until the ctl child exits and pred() holds. */
static void run_until(struct worker *w, struct it_host *h, pid_t ctl, enum vmsg_host_event_kind k,
		      vmsg_dev_num_t dev)
{
	uint64_t t0 = it_now_ns();
	bool ctl_done = false;
	int st;

	for (;;) {
		CHECK_OK(worker_step(w));
		vmsg_host_bus_poll(h->bus);
		if (!ctl_done && it_ctl_done(ctl, &st)) {
			ctl_done = true;
			CHECK(st == 0);
		}
		if (ctl_done && find_event(k, dev) >= 0)
			return;
		if (it_now_ns() - t0 > 5000000000ull) {
			IT_LOG("event %d for dev %u not seen within 5 s", k, dev);
			it_fail();
		}
	}
}

static vmsg_dev_num_t read_devnum(const char *path)
{
	char buf[256] = {0};
	FILE *f = fopen(path, "r");
	unsigned int n = 0;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	if (sscanf(buf, "dev_num %u", &n) != 1)
		return 0;
	return (vmsg_dev_num_t)n;
}

int main(int argc, char **argv)
{
	struct vmsg_host_bus_opts o = {.event_cb = on_event};
	char disk_a[320], disk_b[320], spec[400], outf[320], num[16];
	struct worker a = {.seed = 1}, b = {.seed = 2};
	struct vmsg_host_blk *gone;
	struct vmsg_host_net *net;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	uint8_t *bufs[8];
	vmsg_dev_num_t nb, nb2;
	uint64_t dma, a_before;
	void *cookie;
	int i, r, st, failed = 0;
	pid_t ctl;

	it_init(argc, argv, "hotplug", &card, 60);
	it_make_file(it_path(&card, "a.img", disk_a, sizeof(disk_a)), 4u << 20, 0);
	it_make_file(it_path(&card, "other.img", disk_b, sizeof(disk_b)), 4u << 20, 0);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk_a);
	it_card_arg(&card, "--net");
	it_card_arg(&card, "loopback");
	it_card_start(&card);
	it_host_open(&card, &h, &o);
	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &a.blk));
	a.sectors = (uint32_t)vmsg_host_blk_info(a.blk)->capacity;
	a.buf = vmsg_link_alloc(h.link, 4096, 4096, &dma);
	CHECK_OK(vmsg_host_net_open(h.bus, 2, 256, &net));

	/* hot-add while device 1 does I/O */
	snprintf(spec, sizeof(spec), "blk:%s", disk_b);
	it_path(&card, "ctl-add.out", outf, sizeof(outf));
	ctl = it_card_ctl_async(&card, outf, "add", spec, NULL);
	nev = 0;
	run_until(&a, &h, ctl, VMSG_HOST_EV_DEVICE_READY, 0);
	nb = read_devnum(outf);
	CHECK(nb != 0 && evs[find_event(VMSG_HOST_EV_DEVICE_READY, 0)].dev_num == nb);
	CHECK(vmsg_host_bus_device_present(h.bus, nb));
	IT_LOG("hot-added dev %u seen READY after %llu ops on dev 1", nb,
	       (unsigned long long)a.ops);

	CHECK_OK(vmsg_host_blk_open(h.bus, nb, 0, &b.blk));
	b.sectors = (uint32_t)vmsg_host_blk_info(b.blk)->capacity;
	b.buf = vmsg_link_alloc(h.link, 4096, 4096, &dma);
	for (i = 0; i < 20; i++) {
		CHECK_OK(worker_step(&a));
		CHECK_OK(worker_step(&b));
	}

	/* hot-remove the new device with requests in flight on it */
	for (i = 0; i < 8; i++) {
		bufs[i] = vmsg_link_alloc(h.link, 65536, 4096, &dma);
		CHECK(bufs[i] != NULL);
		CHECK_OK(vmsg_host_blk_submit(b.blk, VMSG_HOST_BLK_T_OUT, (uint64_t)i * 128u,
					      bufs[i], 65536, bufs[i]));
		if (i == 3)
			CHECK_OK(vmsg_host_blk_kick(b.blk));
	}
	/* half of them kicked (the card may finish those), half only exposed in
	 * the avail ring: those are certainly in flight when the device goes */
	snprintf(num, sizeof(num), "%u", nb);
	ctl = it_card_ctl_async(&card, NULL, "remove", num, NULL);
	nev = 0;
	a_before = a.ops;
	run_until(&a, &h, ctl, VMSG_HOST_EV_DEVICE_REMOVED, nb);
	IT_LOG("dev %u REMOVED seen; dev 1 did %llu ops meanwhile", nb,
	       (unsigned long long)(a.ops - a_before));
	CHECK(!vmsg_host_bus_device_present(h.bus, nb));
	CHECK(vmsg_host_dev_error(vmsg_host_blk_dev(b.blk)) == -ENODEV);
	/* what completed before the removal completed; the rest fails cleanly */
	while ((r = vmsg_host_blk_complete(b.blk, &cookie, &st)) == 1)
		CHECK(st == VMSG_HOST_BLK_S_OK);
	CHECK(vmsg_host_blk_wait(b.blk, 100) == -ENODEV);
	failed = vmsg_host_blk_reclaim(b.blk, NULL, NULL);
	IT_LOG("%d requests were still in flight on the removed device", failed);
	CHECK(vmsg_host_blk_submit(b.blk, VMSG_HOST_BLK_T_IN, 0, bufs[0], 4096, NULL) == -ENODEV);
	CHECK(worker_step(&b) == -ENODEV);
	gone = b.blk;
	vmsg_host_blk_close(gone);
	/* the host knows it is gone: refused locally */
	{
		struct vmsg_host_dev *d;

		CHECK(vmsg_host_dev_open(h.bus, nb, &d) == -ENODEV);
	}
	for (i = 0; i < 20; i++)
		CHECK_OK(worker_step(&a));

	/* remove the net device (its posted receive buffers are in flight) and
	 * send it a request before the host has seen REMOVED: the card answers
	 * ERROR NO_DEVICE, or REMOVED fails it first; either way -ENODEV at once */
	{
		long long errs = it_card_stat(&card, "errors_sent");
		struct vmsg_host_req *rq;
		uint8_t m[16];
		uint16_t berr;
		uint64_t t0;

		nev = 0;
		CHECK(it_card_ctl(&card, NULL, 0, "remove", "2", NULL) == 0);
		CHECK_OK(vmsg_host_bus_submit(
		    h.bus, m, vmsg_build_get_device_status_req(m, sizeof(m), 2, 0), 0, &rq));
		t0 = it_now_ns();
		r = vmsg_host_req_wait(h.bus, rq, NULL, 0, &berr);
		IT_LOG("request racing the removal: %s (bus error %s) in %.2f ms",
		       vmsg_host_strerror(r), vmsg_host_bus_error_str(berr),
		       it_secs_since(t0) * 1e3);
		CHECK(r == -ENODEV);
		it_pump(&h, 20);
		CHECK(it_card_stat(&card, "errors_sent") == errs + 1);
		CHECK(find_event(VMSG_HOST_EV_DEVICE_REMOVED, 2) >= 0);
	}
	CHECK(vmsg_host_net_wait(net, 100) == -ENODEV);
	CHECK(vmsg_host_net_tx(net, a.buf, 64) == -ENODEV);
	r = vmsg_host_net_reclaim(net);
	IT_LOG("net dev 2 removed with %d buffers in flight, reclaimed", r);
	CHECK(r == 256);
	vmsg_host_net_close(net);

	/* add it again: READY, same number reused, a fresh handle works */
	it_path(&card, "ctl-add2.out", outf, sizeof(outf));
	ctl = it_card_ctl_async(&card, outf, "add", spec, NULL);
	nev = 0;
	run_until(&a, &h, ctl, VMSG_HOST_EV_DEVICE_READY, 0);
	nb2 = read_devnum(outf);
	IT_LOG("re-added as dev %u", nb2);
	CHECK(nb2 != 0);
	CHECK_OK(vmsg_host_blk_open(h.bus, nb2, 0, &b.blk));
	for (i = 0; i < 20; i++)
		CHECK_OK(worker_step(&b));
	IT_LOG("dev 1: %llu verified ops in total, no errors", (unsigned long long)a.ops);
	vmsg_host_blk_close(b.blk);
	vmsg_host_blk_close(a.blk);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
