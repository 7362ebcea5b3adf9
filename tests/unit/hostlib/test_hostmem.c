// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_hostmem.c - the host DMA memory allocator: guard, alignment,
 * zeroing, reuse, exhaustion, translation, DMA limit.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void basics(void **state)
{
	struct hostmem h;
	uint8_t *mem = aligned_alloc(4096, 1u << 20);
	uint64_t d1, d2, d3;
	void *a, *b, *c;

	(void)state;
	memset(mem, 0xcc, 1u << 20);
	assert_int_equal(hostmem_init(&h, mem, 1u << 20, 0x100000000ull, 4096), 0);
	a = hostmem_alloc(&h, 100, 64, &d1);
	assert_non_null(a);
	assert_true(d1 >= 0x100000000ull + 4096); /* the guard page is never handed out */
	assert_int_equal(((uint8_t *)a)[99], 0);  /* zeroed */
	b = hostmem_alloc(&h, 5000, 4096, &d2);
	assert_non_null(b);
	assert_int_equal(d2 % 4096, 0);
	assert_ptr_equal(hostmem_dma_to_va(&h, d2, 5000), b);
	assert_int_equal(hostmem_va_to_dma(&h, b), d2);
	assert_null(hostmem_dma_to_va(&h, 0x100000000ull + (1u << 20) - 10, 11));
	assert_null(hostmem_dma_to_va(&h, 5, 1));
	assert_int_equal(hostmem_va_to_dma(&h, mem - 1), UINT64_MAX);
	hostmem_free(&h, a);
	c = hostmem_alloc(&h, 64, 64, &d3);
	assert_ptr_equal(c, a); /* first fit reuses the hole */
	assert_null(hostmem_alloc(&h, 2u << 20, 64, NULL));
	assert_null(hostmem_alloc(&h, 64, 3, NULL)); /* alignment not a power of two */
	hostmem_free(&h, (uint8_t *)b + 64);	     /* not a block start: ignored */
	assert_int_equal(h.nblks, 2);
	/* the limit cannot cut below what is allocated */
	assert_int_equal(hostmem_set_limit(&h, 0x100000000ull + 8192), -ERANGE);
	hostmem_free(&h, b);
	hostmem_free(&h, c);
	assert_int_equal(hostmem_set_limit(&h, 0x100000000ull + 65536), 0);
	assert_null(hostmem_alloc(&h, 65536, 64, NULL));
	assert_non_null(hostmem_alloc(&h, 32768, 64, NULL));
	hostmem_fini(&h);
	free(mem);
}

static void many(void **state)
{
	struct hostmem h;
	uint8_t *mem = aligned_alloc(4096, 4u << 20);
	void *p[512];
	uint64_t seed = 7;
	int i, round;

	(void)state;
	assert_int_equal(hostmem_init(&h, mem, 4u << 20, 0, 4096), 0);
	memset(p, 0, sizeof(p));
	for (round = 0; round < 20000; round++) {
		seed = seed * 6364136223846793005ull + 1;
		i = (int)((seed >> 33) % 512);
		if (p[i]) {
			hostmem_free(&h, p[i]);
			p[i] = NULL;
		} else {
			size_t sz = 1 + (size_t)((seed >> 13) % 16384);

			p[i] = hostmem_alloc(&h, sz, (size_t)64 << ((seed >> 50) % 4), NULL);
			assert_non_null(p[i]);
		}
	}
	for (i = 0; i < 512; i++)
		hostmem_free(&h, p[i]);
	assert_int_equal(h.nblks, 0);
	assert_int_equal(h.in_use, 0);
	hostmem_fini(&h);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basics),
	    cmocka_unit_test(many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
