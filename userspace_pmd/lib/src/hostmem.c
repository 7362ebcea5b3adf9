// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * hostmem.c - first-fit allocator over a host DMA region (see hostmem.h).
 */
#include "hostmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOSTMEM_MIN_ALIGN 64u

int hostmem_init(struct hostmem *h, void *base, uint64_t size, uint64_t dma_base, uint64_t guard)
{
	memset(h, 0, sizeof(*h));
	if (!base || guard >= size)
		return -EINVAL;
	if (pthread_mutex_init(&h->lock, NULL))
		return -ENOMEM;
	h->base = base;
	h->size = size;
	h->dma_base = dma_base;
	h->guard = guard;
	h->limit = size;
	return 0;
}

void hostmem_fini(struct hostmem *h)
{
	free(h->blks);
	h->blks = NULL;
	h->nblks = h->cap = 0;
	pthread_mutex_destroy(&h->lock);
}

static int insert_at(struct hostmem *h, size_t pos, uint64_t off, uint64_t len)
{
	if (h->nblks == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 64;
		struct hostmem_blk *n = realloc(h->blks, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		h->blks = n;
		h->cap = ncap;
	}
	memmove(&h->blks[pos + 1], &h->blks[pos], (h->nblks - pos) * sizeof(*h->blks));
	h->blks[pos].off = off;
	h->blks[pos].len = len;
	h->nblks++;
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void *hostmem_alloc(struct hostmem *h, size_t size, size_t align, uint64_t *dma)
{
	uint64_t start, len;
	size_t i;
	void *va = NULL;

	if (size == 0 || (align & (align - 1)))
		return NULL;
	if (align < HOSTMEM_MIN_ALIGN)
		align = HOSTMEM_MIN_ALIGN;
	len = align_up(size, HOSTMEM_MIN_ALIGN);
	if (len < size)
		return NULL;
	pthread_mutex_lock(&h->lock);
	start = h->guard;
	for (i = 0; i <= h->nblks; i++) {
		uint64_t end = i < h->nblks ? h->blks[i].off : h->limit;
		uint64_t s = align_up(start, align);

		if (s >= start && s <= end && end - s >= len) {
			if (insert_at(h, i, s, len))
				break;
			h->in_use += len;
			va = h->base + s;
			memset(va, 0, len);
			if (dma)
				*dma = h->dma_base + s;
			break;
		}
		if (i < h->nblks)
			start = h->blks[i].off + h->blks[i].len;
	}
	pthread_mutex_unlock(&h->lock);
	return va;
}

void hostmem_free(struct hostmem *h, void *va)
{
	uint64_t off;
	size_t lo = 0, hi;

	if (!va || (uint8_t *)va < h->base || (uint8_t *)va >= h->base + h->size)
		return;
	off = (uint64_t)((uint8_t *)va - h->base);
	pthread_mutex_lock(&h->lock);
	hi = h->nblks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->blks[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nblks && h->blks[lo].off == off) {
		h->in_use -= h->blks[lo].len;
		memmove(&h->blks[lo], &h->blks[lo + 1], (h->nblks - lo - 1) * sizeof(*h->blks));
		h->nblks--;
	}
	pthread_mutex_unlock(&h->lock);
}

void *hostmem_dma_to_va(struct hostmem *h, uint64_t dma, size_t len)
{
	uint64_t off;

	if (dma < h->dma_base)
		return NULL;
	off = dma - h->dma_base;
	if (off > h->size || len > h->size - off)
		return NULL;
	return h->base + off;
}

uint64_t hostmem_va_to_dma(struct hostmem *h, const void *va)
{
	const uint8_t *p = va;

	if (!p || p < h->base || p >= h->base + h->size)
		return UINT64_MAX;
	return h->dma_base + (uint64_t)(p - h->base);
}

int hostmem_set_limit(struct hostmem *h, uint64_t dma_limit)
{
	uint64_t lim;
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	if (dma_limit <= h->dma_base) {
		ret = -ERANGE;
	} else {
		lim = dma_limit - h->dma_base;
		if (lim > h->size)
			lim = h->size;
		if (lim <= h->guard ||
		    (h->nblks && h->blks[h->nblks - 1].off + h->blks[h->nblks - 1].len > lim))
			ret = -ERANGE;
		else
			h->limit = lim;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int hostmem_set_dma_bits(struct hostmem *h, uint32_t bits)
{
	if (bits >= 64)
		return 0;
	if (bits < 12)
		return -ERANGE;
	return hostmem_set_limit(h, 1ull << bits);
}
