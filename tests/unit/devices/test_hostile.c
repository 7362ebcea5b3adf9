/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_hostile.c - every backend against rings full of garbage: random
 * descriptors (addresses mostly inside host memory so the walk goes deep,
 * random lengths, flags and links), random avail entries and index jumps.
 * The device must neither crash nor touch memory it should not (ASan), must
 * stop with DEVICE_NEEDS_RESET rather than spin, and must work again after
 * a reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_engine.h"
#include "vmsg_bytes.h"

#define QSIZE 16u

static uint64_t rand_addr(uint64_t *seed)
{
	switch (rnd(seed, 8)) {
	case 0:
		return (uint64_t)rnd(seed, 0xffffffffu) << 32 | rnd(seed, 0xffffffffu);
	case 1:
		return HOST_BASE + HOST_SIZE - rnd(seed, 64);
	default:
		return HOST_BASE + rnd(seed, 1u << 20);
	}
}

static void garbage(struct tdev *t, uint32_t vq, uint64_t *seed)
{
	struct vmsg_vq_drv *q = &t->q[vq].drv;
	uint32_t i, n = 1 + rnd(seed, 4);
	uint16_t idx = vmsg_le16_to_cpu(q->avail->idx);

	for (i = 0; i < QSIZE; i++) {
		uint16_t fl = (uint16_t)rnd(seed, 8);

		if (rnd(seed, 4))
			fl &= 3; /* mostly no stray INDIRECT: walks go further */

		q->desc[i].addr = vmsg_cpu_to_le64(rand_addr(seed));
		q->desc[i].len =
		    vmsg_cpu_to_le32(rnd(seed, 3) ? rnd(seed, 3000) : rnd(seed, 0xffffffffu));
		q->desc[i].flags = vmsg_cpu_to_le16(fl);
		q->desc[i].next =
		    vmsg_cpu_to_le16((uint16_t)rnd(seed, rnd(seed, 8) ? QSIZE : 65536));
	}
	/* occasionally a well-formed indirect table in host memory */
	if (rnd(seed, 4) == 0) {
		uint64_t tab = HOST_BASE + (2u << 20);
		struct vmsg_vring_desc *d = host_ptr(tab, 16 * 8);

		for (i = 0; i < 8; i++) {
			d[i].addr = vmsg_cpu_to_le64(rand_addr(seed));
			d[i].len = vmsg_cpu_to_le32(rnd(seed, 2000));
			d[i].flags = vmsg_cpu_to_le16((uint16_t)(rnd(seed, 4) & 3));
			d[i].next = vmsg_cpu_to_le16((uint16_t)rnd(seed, 9));
		}
		q->desc[0].addr = vmsg_cpu_to_le64(tab);
		q->desc[0].len = vmsg_cpu_to_le32(16 * (1 + rnd(seed, 8)));
		q->desc[0].flags = vmsg_cpu_to_le16(VMSG_VRING_DESC_F_INDIRECT);
	}
	for (i = 0; i < n; i++)
		q->avail->ring[(idx + i) % QSIZE] =
		    vmsg_cpu_to_le16((uint16_t)rnd(seed, QSIZE + 2));
	idx = (uint16_t)(idx + (rnd(seed, 50) ? n : rnd(seed, 65536)));
	q->avail->idx = vmsg_cpu_to_le16(idx);
}

static void hammer(struct vmsg_dev *d, uint32_t rounds)
{
	struct tdev t;
	uint64_t seed = 0xbadc0ffee0ddf00dull ^ d->ops->device_id;
	uint32_t r, vq, resets = 0;

	host_reset();
	/* the driver side lays rings out; the garbage then overwrites them */
	tdev_start(&t, d, 0, QSIZE);
	/* fill host memory with plausible-looking junk for the walk to read */
	fill_random(host_ptr(HOST_BASE + (1u << 20), 1u << 20), 1u << 20, &seed);
	/* ... with small request types in it, so blk headers are often valid */
	for (r = 0; r < (1u << 20); r += 16)
		*(uint8_t *)host_ptr(HOST_BASE + (1u << 20) + r + 1, 3) = 0;
	for (r = 0; r < rounds; r++) {
		vq = rnd(&seed, d->num_queues);
		garbage(&t, vq, &seed);
		tdev_kick(&t, vq);
		tdev_run(&t);
		if (d->status & 0x40) {
			resets++;
			tdev_restart(&t, rnd(&seed, 2) ? 0 : 1ull << VMSG_VIRTIO_F_RING_EVENT_IDX,
				     QSIZE);
		} else if (rnd(&seed, 16) == 0) {
			tdev_reset_queue(&t, vq);
		}
	}
	assert_true(resets > 0);
	{
		struct vmsg_blk_stats b;
		struct vmsg_net_stats n;

		if (!vmsg_blk_get_stats(d, &b))
			print_message(
			    "blk: %llu reads %llu writes %llu ioerr %llu unsupp, %u resets\n",
			    (unsigned long long)b.reads, (unsigned long long)b.writes,
			    (unsigned long long)b.ioerr, (unsigned long long)b.unsupp, resets);
		if (!vmsg_net_get_stats(d, &n))
			print_message("net: %llu tx %llu tx dropped %llu rx, %u resets\n",
				      (unsigned long long)n.tx_frames,
				      (unsigned long long)n.tx_dropped,
				      (unsigned long long)n.rx_frames, resets);
	}
	/* drop every device structure the garbage may have left behind */
	tdev_destroy(&t);
}

static void test_blk(void **state)
{
	char path[] = "/tmp/vmsg-hostile-XXXXXX", err[128];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	hammer(vmsg_blk_create(path, false, err, sizeof(err)), 3000);
	close(fd);
	unlink(path);
}

static void test_net(void **state)
{
	char err[128];

	(void)state;
	hammer(vmsg_net_loopback_create(NULL, err, sizeof(err)), 3000);
}

static void test_rng(void **state)
{
	char err[128];

	(void)state;
	hammer(vmsg_rng_create(err, sizeof(err)), 3000);
}

static void test_console(void **state)
{
	char err[128];
	int in[2], out[2];

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(write(in[1], "some input for the receive queue", 32), 32);
	hammer(vmsg_console_fd_create(in[0], out[1], err, sizeof(err)), 3000);
	close(in[1]);
	close(out[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blk),
	    cmocka_unit_test(test_net),
	    cmocka_unit_test(test_rng),
	    cmocka_unit_test(test_console),
	};

	return cmocka_run_group_tests_name("devices_hostile", tests, NULL, NULL);
}
