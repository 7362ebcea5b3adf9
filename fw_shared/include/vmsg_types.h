/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_types.h - fixed-width and little-endian wire types for fw_shared.
 *
 * Portable: builds in the Linux kernel (__KERNEL__), in user space, in DPDK
 * and in freestanding firmware. The only headers used outside the kernel are
 * the freestanding <stdint.h>, <stddef.h> and <stdbool.h>.
 */
#ifndef VMSG_TYPES_H
#define VMSG_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <asm/byteorder.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __KERNEL__
typedef __le16 vmsg_le16;
typedef __le32 vmsg_le32;
typedef __le64 vmsg_le64;
#define vmsg_le16_to_cpu(x)	      le16_to_cpu(x)
#define vmsg_le32_to_cpu(x)	      le32_to_cpu(x)
#define vmsg_le64_to_cpu(x)	      le64_to_cpu(x)
#define vmsg_cpu_to_le16(x)	      cpu_to_le16(x)
#define vmsg_cpu_to_le32(x)	      cpu_to_le32(x)
#define vmsg_cpu_to_le64(x)	      cpu_to_le64(x)
#define VMSG_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
/* Wire fields are stored little-endian; these typedefs document that. */
typedef uint16_t vmsg_le16;
typedef uint32_t vmsg_le32;
typedef uint64_t vmsg_le64;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define vmsg_le16_to_cpu(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define vmsg_le32_to_cpu(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define vmsg_le64_to_cpu(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#else
#define vmsg_le16_to_cpu(x) ((uint16_t)(x))
#define vmsg_le32_to_cpu(x) ((uint32_t)(x))
#define vmsg_le64_to_cpu(x) ((uint64_t)(x))
#endif
#define vmsg_cpu_to_le16(x)	      vmsg_le16_to_cpu(x)
#define vmsg_cpu_to_le32(x)	      vmsg_le32_to_cpu(x)
#define vmsg_cpu_to_le64(x)	      vmsg_le64_to_cpu(x)
#define VMSG_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Wire structs are packed: their layout is the ABI, not the compiler's. */
#define VMSG_PACKED	__attribute__((packed))
#define VMSG_ALIGNED(n) __attribute__((aligned(n)))

/*
 * Device number width. virtio-msg v1 uses 16 bits; v2 is expected to widen
 * it (agreed in the public review of virtio-msg v1; docs/pcie-binding.md
 * section 14.2). Everything above the wire uses vmsg_dev_num_t.
 */
typedef uint16_t vmsg_dev_num_t;

#endif /* VMSG_TYPES_H */
