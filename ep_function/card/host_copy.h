/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * host_copy.h - copying to and from host memory the way a link does, for the
 * platforms that reach host memory through a CPU mapping (sim: the host RAM
 * file; epf: the outbound window).
 */
#ifndef HOST_COPY_H
#define HOST_COPY_H

#include <stddef.h>

/*
 * Copy len bytes between host memory and local memory. A DMA read or write
 * of a naturally aligned 2, 4 or 8 bytes is one TLP on a real link, so the
 * peer sees it whole; memcpy() gives no such promise (glibc copies 2 bytes
 * as a word load plus a byte load, which tore the host's 16-bit avail index
 * as it crossed a multiple of 256). Such accesses are single loads and
 * stores here, like the hardware; anything else is a memcpy().
 */
void card_host_copy(void *dst, const void *src, size_t len);

#endif /* HOST_COPY_H */
