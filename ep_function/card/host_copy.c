// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * host_copy.c - see host_copy.h.
 */
#include "host_copy.h"

#include <stdint.h>
#include <string.h>

void card_host_copy(void *dst, const void *src, size_t len)
{
	if (len == 0 || (((uintptr_t)src | (uintptr_t)dst) & (len - 1)))
		goto plain;
	switch (len) {
	case 2:
		__atomic_store_n((uint16_t *)dst,
				 __atomic_load_n((const uint16_t *)src, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		return;
	case 4:
		__atomic_store_n((uint32_t *)dst,
				 __atomic_load_n((const uint32_t *)src, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		return;
	case 8:
		__atomic_store_n((uint64_t *)dst,
				 __atomic_load_n((const uint64_t *)src, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		return;
	default:
		break;
	}
plain:
	memcpy(dst, src, len);
}
