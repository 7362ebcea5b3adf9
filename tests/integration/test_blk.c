// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_blk.c - virtio-blk: 64 MiB of random writes (random sizes, random
 * sector offsets, 16 in flight, never two overlapping in flight) to a
 * 32 MiB disk, a flush, then the whole disk read back through the device
 * and straight from the backing file: both must hash like the host's
 * shadow copy. Throughput printed. argv[2] "poll": polling mode.
 */
#include "harness.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define DISK_BYTES  (32u << 20)
#define TOTAL_WRITE (64ull << 20)
#define INFLIGHT    16u
#define MAX_IO	    (64u << 10)

struct slot {
	uint8_t *buf;
	uint64_t sector;
	uint32_t len;
	bool busy;
};

static bool overlaps(struct slot *s, uint64_t sector, uint32_t len)
{
	uint64_t a0 = sector * 512u, a1 = a0 + len;
	unsigned int i;

	for (i = 0; i < INFLIGHT; i++) {
		uint64_t b0 = s[i].sector * 512u, b1 = b0 + s[i].len;

		if (s[i].busy && a0 < b1 && b0 < a1)
			return true;
	}
	return false;
}

static void drain(struct vmsg_host_blk *blk, struct slot *slots, unsigned int *inflight, bool block)
{
	void *cookie;
	int st, r;

	for (;;) {
		r = vmsg_host_blk_complete(blk, &cookie, &st);
		CHECK_OK(r);
		if (r == 1) {
			struct slot *s = cookie;

			CHECK(s >= slots && s < slots + INFLIGHT && s->busy);
			if (st != VMSG_HOST_BLK_S_OK)
				IT_LOG("request status %d", st);
			CHECK(st == VMSG_HOST_BLK_S_OK);
			s->busy = false;
			(*inflight)--;
			block = false;
			continue;
		}
		if (!block || *inflight == 0)
			return;
		r = vmsg_host_blk_wait(blk, 5000);
		CHECK_OK(r);
		if (r == 0) {
			IT_LOG("no completion in 5 s with %u in flight", *inflight);
			it_fail();
		}
	}
}

int main(int argc, char **argv)
{
	bool poll = argc > 2 && !strcmp(argv[2], "poll");
	struct vmsg_host_bus_opts o = {.poll_mode = poll};
	struct slot slots[INFLIGHT] = {0};
	struct vmsg_host_bus_stats bst;
	struct vmsg_host_blk *blk;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	char disk[320];
	uint8_t *shadow, *file;
	uint64_t seed = 0x9e3779b97f4a7c15ull, written = 0, t0, nreq = 0, dma, hs, hd, hf;
	unsigned int inflight = 0, i;
	double secs;
	int fd;

	it_init(argc, argv, poll ? "blk-poll" : "blk", &card, 120);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), DISK_BYTES, 1);
	shadow = malloc(DISK_BYTES);
	file = malloc(DISK_BYTES);
	CHECK(shadow && file);
	fd = open(disk, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, shadow, DISK_BYTES, 0) == DISK_BYTES);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_start(&card);
	it_host_open(&card, &h, &o);
	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &blk));
	CHECK(vmsg_host_blk_info(blk)->capacity == DISK_BYTES / 512u);
	CHECK(vmsg_host_blk_info(blk)->flush);
	for (i = 0; i < INFLIGHT; i++) {
		slots[i].buf = vmsg_link_alloc(h.link, MAX_IO, 4096, &dma);
		CHECK(slots[i].buf != NULL);
	}

	t0 = it_now_ns();
	while (written < TOTAL_WRITE || inflight) {
		bool queued = false;

		for (i = 0; i < INFLIGHT && written < TOTAL_WRITE; i++) {
			struct slot *s = &slots[i];
			uint32_t len, k;
			uint64_t sector;

			if (s->busy)
				continue;
			do {
				len = (uint32_t)(it_rand(&seed) % (MAX_IO / 512u) + 1u) * 512u;
				sector = it_rand(&seed) % (DISK_BYTES / 512u - len / 512u + 1u);
			} while (overlaps(slots, sector, len));
			for (k = 0; k < len; k += 8) {
				uint64_t r = it_rand(&seed);

				memcpy(s->buf + k, &r, 8);
			}
			memcpy(shadow + sector * 512u, s->buf, len);
			s->sector = sector;
			s->len = len;
			s->busy = true;
			CHECK_OK(
			    vmsg_host_blk_submit(blk, VMSG_HOST_BLK_T_OUT, sector, s->buf, len, s));
			inflight++;
			nreq++;
			written += len;
			queued = true;
		}
		if (queued)
			CHECK_OK(vmsg_host_blk_kick(blk));
		drain(blk, slots, &inflight, true);
	}
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_FLUSH, 0, NULL, 0, 5000) == 0);
	secs = it_secs_since(t0);
	IT_LOG("wrote %.1f MiB in %llu requests in %.2f s: %.1f MiB/s, %.0f IOPS (%s mode)",
	       (double)written / 1048576.0, (unsigned long long)nreq, secs,
	       (double)written / 1048576.0 / secs, (double)nreq / secs, poll ? "poll" : "irq");

	/* flush honoured: the backing file already holds every byte */
	CHECK(pread(fd, file, DISK_BYTES, 0) == DISK_BYTES);
	hs = it_hash(shadow, DISK_BYTES, 0);
	hf = it_hash(file, DISK_BYTES, 0);
	IT_LOG("shadow hash %016llx, backing file hash %016llx", (unsigned long long)hs,
	       (unsigned long long)hf);
	CHECK(hs == hf);

	/* read the whole disk back through the device */
	memset(file, 0, DISK_BYTES);
	t0 = it_now_ns();
	{
		uint64_t off = 0;

		while (off < DISK_BYTES || inflight) {
			bool queued = false;

			for (i = 0; i < INFLIGHT && off < DISK_BYTES; i++) {
				if (slots[i].busy)
					continue;
				slots[i].sector = off / 512u;
				slots[i].len = MAX_IO;
				slots[i].busy = true;
				CHECK_OK(vmsg_host_blk_submit(blk, VMSG_HOST_BLK_T_IN, off / 512u,
							      slots[i].buf, MAX_IO, &slots[i]));
				inflight++;
				off += MAX_IO;
				queued = true;
			}
			if (queued)
				CHECK_OK(vmsg_host_blk_kick(blk));
			/* copy out completed reads */
			for (;;) {
				void *cookie;
				int st, r = vmsg_host_blk_complete(blk, &cookie, &st);

				CHECK_OK(r);
				if (r == 0)
					break;
				CHECK(st == VMSG_HOST_BLK_S_OK);
				struct slot *s = cookie;

				memcpy(file + s->sector * 512u, s->buf, s->len);
				s->busy = false;
				inflight--;
			}
			if (inflight == INFLIGHT || (off >= DISK_BYTES && inflight))
				CHECK(vmsg_host_blk_wait(blk, 5000) == 1);
		}
	}
	secs = it_secs_since(t0);
	hd = it_hash(file, DISK_BYTES, 0);
	IT_LOG("read back %u MiB in %.2f s: %.1f MiB/s, device hash %016llx", DISK_BYTES >> 20,
	       secs, (double)DISK_BYTES / 1048576.0 / secs, (unsigned long long)hd);
	CHECK(hd == hs);

	vmsg_host_bus_get_stats(h.bus, &bst);
	IT_LOG("host bus: %llu msgs out, %llu in, %llu irqs, %llu doorbells, %llu h2c-full waits",
	       (unsigned long long)bst.tx_msgs, (unsigned long long)bst.rx_msgs,
	       (unsigned long long)bst.irqs, (unsigned long long)bst.doorbells,
	       (unsigned long long)bst.h2c_full_waits);
	CHECK(bst.rx_malformed == 0 && bst.timeouts == 0);
	vmsg_host_blk_close(blk);
	it_host_close(&h);
	it_card_stop(&card, 0);
	close(fd);
	free(shadow);
	free(file);
	IT_LOG("PASS");
	return 0;
}
