/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * hostmem.h - a first-fit allocator for a fixed region of host DMA memory.
 *
 * Bookkeeping is kept out of band (never inside the region, which the card
 * can write), sorted by offset. The first guard bytes are never handed out,
 * so DMA address 0 never names a buffer. Thread-safe.
 */
#ifndef VMSG_HOSTMEM_H
#define VMSG_HOSTMEM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct hostmem_blk {
	uint64_t off;
	uint64_t len;
};

struct hostmem {
	pthread_mutex_t lock;
	uint8_t *base; /* region start (DMA address dma_base) */
	uint64_t size;
	uint64_t dma_base;
	uint64_t guard;		  /* bytes at the start never allocated */
	uint64_t limit;		  /* allocations end below this offset */
	struct hostmem_blk *blks; /* allocated, sorted by off */
	size_t nblks, cap;
	uint64_t in_use;
};

int hostmem_init(struct hostmem *h, void *base, uint64_t size, uint64_t dma_base, uint64_t guard);
void hostmem_fini(struct hostmem *h);
/* Zeroed block; align a power of two (>= 64 used if smaller). */
void *hostmem_alloc(struct hostmem *h, size_t size, size_t align, uint64_t *dma);
void hostmem_free(struct hostmem *h, void *va);
void *hostmem_dma_to_va(struct hostmem *h, uint64_t dma, size_t len);
uint64_t hostmem_va_to_dma(struct hostmem *h, const void *va);
/* Allocations must stay below dma_limit (exclusive): -ERANGE if the region
 * already extends beyond it and something is allocated there. */
int hostmem_set_limit(struct hostmem *h, uint64_t dma_limit);
/* The card reaches host addresses below 2^bits only: 64 (or more) is no
 * limit, fewer than 12 is -ERANGE, else hostmem_set_limit(h, 2^bits). */
int hostmem_set_dma_bits(struct hostmem *h, uint32_t bits);

#endif /* VMSG_HOSTMEM_H */
