// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_card_hostmem.c - the sim platform's window into host RAM: bounds,
 * DMA width, the q35 split layout, lazy (re)mapping after ATTACH, replaced
 * mappings' addresses kept reserved.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim_hostmem.h"
#include "vcard_log.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static char dir[256];
static char path[300];

static void make_file(uint64_t size)
{
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static uint8_t file_byte(uint64_t off)
{
	uint8_t b = 0xee;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	close(fd);
	return b;
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/vmsg-hostmem.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/ram", dir);
	vcard_log_set_level(VMSG_LOG_ERR - 1); /* the failures below are expected */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_flat_bounds(void **state)
{
	struct sim_hostmem h;
	uint8_t *p;

	(void)state;
	make_file(MiB);
	sim_hostmem_init(&h, path, 0, 64);
	p = sim_hostmem_ptr(&h, 0, 1);
	assert_non_null(p);
	assert_non_null(sim_hostmem_ptr(&h, MiB - 1, 1));
	assert_non_null(sim_hostmem_ptr(&h, 0, MiB));
	assert_null(sim_hostmem_ptr(&h, MiB, 1));
	assert_null(sim_hostmem_ptr(&h, MiB - 1, 2));
	assert_null(sim_hostmem_ptr(&h, 0, MiB + 1));
	assert_null(sim_hostmem_ptr(&h, UINT64_MAX, 2)); /* wraps */
	assert_null(sim_hostmem_ptr(&h, UINT64_MAX - 7, 8));
	assert_null(sim_hostmem_ptr(&h, 16, 0));
	/* DMA address == file offset. */
	sim_hostmem_ptr(&h, 4660, 1)[0] = 0x5a;
	assert_int_equal(file_byte(4660), 0x5a);
	assert_int_equal(h.maps, 1);
	sim_hostmem_fini(&h);
}

static void test_dma_width(void **state)
{
	struct sim_hostmem h;

	(void)state;
	make_file(2 * MiB);
	sim_hostmem_init(&h, path, 0, 20); /* the card reaches 1 MiB only */
	assert_non_null(sim_hostmem_ptr(&h, MiB - 1, 1));
	assert_null(sim_hostmem_ptr(&h, MiB - 1, 2));
	assert_null(sim_hostmem_ptr(&h, MiB, 1));
	sim_hostmem_fini(&h);
}

static void test_missing_file_then_attach(void **state)
{
	struct sim_hostmem h;

	(void)state;
	sim_hostmem_init(&h, NULL, 0, 64);
	assert_null(sim_hostmem_ptr(&h, 0, 1)); /* no --host-mem at all */
	sim_hostmem_fini(&h);

	unlink(path);
	sim_hostmem_init(&h, path, 0, 64);
	assert_null(sim_hostmem_ptr(&h, 0, 1)); /* not created yet */
	assert_null(sim_hostmem_ptr(&h, 0, 1));
	make_file(MiB);
	/* A failed open leaves the window stale: the next access retries. */
	assert_non_null(sim_hostmem_ptr(&h, 0, 1));
	sim_hostmem_fini(&h);
}

static void test_remap_only_when_changed(void **state)
{
	struct sim_hostmem h;
	uint8_t *p1, *p2;

	(void)state;
	make_file(MiB);
	sim_hostmem_init(&h, path, 0, 64);
	p1 = sim_hostmem_ptr(&h, 0, 1);
	assert_non_null(p1);
	/* Same file after an ATTACH: same mapping, pointers stay valid. */
	sim_hostmem_invalidate(&h);
	assert_ptr_equal(sim_hostmem_ptr(&h, 0, 1), p1);
	assert_int_equal(h.maps, 1);
	/* The host recreated it, bigger: a new mapping; the old one is kept
	 * until the next re-map. */
	make_file(2 * MiB);
	sim_hostmem_invalidate(&h);
	p2 = sim_hostmem_ptr(&h, MiB, 1);
	assert_non_null(p2);
	assert_int_equal(h.maps, 2);
	assert_ptr_equal(h.old_map, p1);
	p1[0] = 1; /* still mapped: no fault */
	/* Without an ATTACH nothing is re-checked. */
	make_file(MiB / 2);
	assert_non_null(sim_hostmem_ptr(&h, MiB, 1));
	sim_hostmem_invalidate(&h);
	assert_null(sim_hostmem_ptr(&h, MiB, 1));
	assert_non_null(sim_hostmem_ptr(&h, 0, 1));
	assert_int_equal(h.maps, 3);
	/* The first mapping is two re-maps old now: its pages are gone but its
	 * addresses stay reserved, so kernel I/O still aimed at them (a direct
	 * pointer) faults instead of reaching a mapping made later. */
	{
		int pfd[2];
		void *again;

		assert_int_equal(pipe(pfd), 0);
		errno = 0;
		assert_int_equal(write(pfd[1], p1, 1), -1);
		assert_int_equal(errno, EFAULT);
		close(pfd[0]);
		close(pfd[1]);
		again = mmap(p1, MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0);
		assert_true(again == MAP_FAILED);
		assert_int_equal(errno, EEXIST);
	}
	sim_hostmem_fini(&h);
}

static void test_q35_split(void **state)
{
	const uint64_t size = 3 * GiB; /* sparse */
	struct sim_hostmem h;
	uint8_t *p;

	(void)state;
	make_file(size);
	/* Flat would be wrong for a q35 guest this big: refused. */
	sim_hostmem_init(&h, path, 0, 64);
	assert_null(sim_hostmem_ptr(&h, 0, 1));
	sim_hostmem_fini(&h);

	sim_hostmem_init(&h, path, 2 * GiB, 48);
	p = sim_hostmem_ptr(&h, 2 * GiB - 1, 1);
	assert_non_null(p);
	p[0] = 0x11;
	assert_int_equal(file_byte(2 * GiB - 1), 0x11);
	assert_null(sim_hostmem_ptr(&h, 2 * GiB - 1, 2)); /* into the PCI hole */
	assert_null(sim_hostmem_ptr(&h, 3 * GiB, 1));	  /* the hole */
	p = sim_hostmem_ptr(&h, 4 * GiB, 1);
	assert_non_null(p);
	p[0] = 0x22;
	assert_int_equal(file_byte(2 * GiB), 0x22);
	assert_non_null(sim_hostmem_ptr(&h, 5 * GiB - 1, 1)); /* last byte */
	assert_null(sim_hostmem_ptr(&h, 5 * GiB, 1));
	assert_null(sim_hostmem_ptr(&h, 5 * GiB - 1, 2));
	sim_hostmem_fini(&h);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flat_bounds),
	    cmocka_unit_test(test_dma_width),
	    cmocka_unit_test(test_missing_file_then_attach),
	    cmocka_unit_test(test_remap_only_when_changed),
	    cmocka_unit_test(test_q35_split),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
