/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * core_alloc.c - the engine's only use of the C library allocator.
 *
 * vmsg_card_create() is the only caller. Firmware without a libc heap
 * builds its own file defining these two functions instead of this one.
 */
#include <stdlib.h>

#include "core_priv.h"

void *vmsg_core_zalloc(size_t size)
{
	return calloc(1, size);
}

void vmsg_core_free(void *p)
{
	free(p);
}
