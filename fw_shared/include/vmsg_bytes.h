/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_bytes.h - little-endian loads and stores on unaligned bytes, and a
 * byte copy that needs no string.h.
 *
 * Every wire field is read and written through these helpers, so a buffer
 * may sit at any address and the host byte order does not matter.
 */
#ifndef VMSG_BYTES_H
#define VMSG_BYTES_H

#include "vmsg_types.h"

static inline uint16_t vmsg_get_le16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;

	return (uint16_t)(b[0] | (uint16_t)b[1] << 8);
}

static inline uint32_t vmsg_get_le32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t vmsg_get_le64(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;

	return (uint64_t)vmsg_get_le32(b) | (uint64_t)vmsg_get_le32(b + 4) << 32;
}

static inline void vmsg_put_le16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void vmsg_put_le32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void vmsg_put_le64(void *p, uint64_t v)
{
	uint8_t *b = (uint8_t *)p;

	vmsg_put_le32(b, (uint32_t)v);
	vmsg_put_le32(b + 4, (uint32_t)(v >> 32));
}

/* Copy n bytes; the ranges must not overlap. */
static inline void vmsg_copy_bytes(void *dst, const void *src, size_t n)
{
	uint8_t *d = (uint8_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i];
}

static inline void vmsg_zero_bytes(void *dst, size_t n)
{
	uint8_t *d = (uint8_t *)dst;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = 0;
}

#endif /* VMSG_BYTES_H */
