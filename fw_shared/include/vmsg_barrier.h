/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_barrier.h - memory ordering for memory shared across the link.
 *
 * Three strengths, weakest first:
 *
 *   vmsg_smp_mb/rmb/wmb()  plain cacheable memory shared between CPUs of one
 *                          machine (the soft card's shared file, tests).
 *   vmsg_dma_mb/rmb/wmb()  cacheable memory shared with a coherent device
 *                          (virtqueues in host RAM read by the card).
 *   vmsg_mb/rmb/wmb()      I/O strength: also orders uncached and
 *                          write-combining mappings (a BAR mapped WC on the
 *                          host, the card's outbound window). Rings in
 *                          vmsg_ring.c use this strength.
 *
 * The rule every ring and queue follows:
 *
 *   producer: write the slot;  vmsg_wmb();  write the producer index.
 *   consumer: read the producer index;  vmsg_rmb();  read the slot.
 *   consumer: copy the slot out;  vmsg_mb();  write the consumer index
 *             (the slot may be overwritten as soon as the index is seen).
 *   producer: read the consumer index;  vmsg_mb();  write the freed slot.
 *   notify:   write the index;  vmsg_mb();  read the peer's "wake me" flag
 *             (and the sleeper: write the flag;  vmsg_mb();  re-read index).
 *
 * The two consumer steps may use the ring barriers instead, which are the
 * I/O-strength ones everywhere but in x86 user space:
 *
 *   vmsg_ring_rmb()   index, then slot: loads from write-back or uncached
 *                     memory (a consumer never reads a ring through a
 *                     write-combining mapping, [BAR-2]).
 *   vmsg_ring_ldmb()  loads (the slot), then a store (the consumer index),
 *                     whatever the store's memory type.
 *
 * x86 orders loads with loads and loads with later stores for every memory
 * type but write-combining reads (SDM vol. 3, 8.2.2 and 11.3), so in user
 * space both are compiler barriers; lfence and mfence there cost a third of
 * a ping-pong round trip (bench/README.md, "poll-mode round trip"). The
 * kernel keeps rmb()/mb(). Store->load (notify) still needs vmsg_mb().
 *
 * Indices and flags in shared memory are read and written exactly once per
 * use with VMSG_READ_ONCE{16,32,64}/VMSG_WRITE_ONCE{16,32,64}: the compiler
 * may neither tear, merge nor re-read them. The pointer must be naturally
 * aligned. The accessors take a void pointer so that a field of a packed
 * wire struct can be passed (its address is aligned in every layout here).
 *
 * Under ThreadSanitizer (which does not model fences) the user-space
 * accessors become acquire loads and release stores: strictly stronger, so
 * the race detector sees the ordering the barriers provide.
 */
#ifndef VMSG_BARRIER_H
#define VMSG_BARRIER_H

#include "vmsg_types.h"

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <asm/barrier.h>

#define vmsg_barrier()	 barrier()
#define vmsg_cpu_relax() cpu_relax() /* inside a bounded spin */
#define vmsg_mb()	 mb()	     /* I/O strength */
#define vmsg_rmb()	 rmb()	     /* I/O strength */
#define vmsg_wmb()	 wmb()	     /* I/O strength */
#define vmsg_dma_mb()	 dma_mb()    /* coherent DMA */
#define vmsg_dma_rmb()	 dma_rmb()   /* coherent DMA */
#define vmsg_dma_wmb()	 dma_wmb()   /* coherent DMA */
#define vmsg_smp_mb()	 smp_mb()    /* CPU to CPU */
#define vmsg_smp_rmb()	 smp_rmb()   /* CPU to CPU */
#define vmsg_smp_wmb()	 smp_wmb()   /* CPU to CPU */
#define vmsg_ring_rmb()	 rmb()	     /* see above */
#define vmsg_ring_ldmb() mb()	     /* see above */

#define VMSG_READ_ONCE16(p)	READ_ONCE(*(const volatile u16 *)(p))
#define VMSG_READ_ONCE32(p)	READ_ONCE(*(const volatile u32 *)(p))
#define VMSG_READ_ONCE64(p)	READ_ONCE(*(const volatile u64 *)(p))
#define VMSG_WRITE_ONCE16(p, v) WRITE_ONCE(*(volatile u16 *)(p), (u16)(v))
#define VMSG_WRITE_ONCE32(p, v) WRITE_ONCE(*(volatile u32 *)(p), (u32)(v))
#define VMSG_WRITE_ONCE64(p, v) WRITE_ONCE(*(volatile u64 *)(p), (u64)(v))

#else /* user space, DPDK, firmware: GCC/clang builtins */

#define vmsg_barrier() __asm__ __volatile__("" : : : "memory")

/* Inside a bounded spin: let the sibling hyperthread (or the core) breathe. */
static inline void vmsg_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" : : : "memory");
#else
	vmsg_barrier();
#endif
}

#if defined(__x86_64__) || defined(__i386__)
/* x86 is TSO: only store->load needs a fence for cacheable memory; sfence
 * and lfence order write-combining and non-temporal accesses.
 */
#define vmsg_mb()	 __asm__ __volatile__("mfence" : : : "memory")
#define vmsg_rmb()	 __asm__ __volatile__("lfence" : : : "memory")
#define vmsg_wmb()	 __asm__ __volatile__("sfence" : : : "memory")
#define vmsg_dma_mb()	 __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_dma_rmb()	 vmsg_barrier()
#define vmsg_dma_wmb()	 vmsg_barrier()
#define vmsg_smp_rmb()	 vmsg_barrier()
#define vmsg_smp_wmb()	 vmsg_barrier()
#define vmsg_ring_rmb()	 vmsg_barrier() /* loads are ordered (no WC reads) */
#define vmsg_ring_ldmb() vmsg_barrier() /* loads never pass later stores */
#elif defined(__aarch64__)
#define vmsg_mb()      __asm__ __volatile__("dsb sy" : : : "memory")
#define vmsg_rmb()     __asm__ __volatile__("dsb ld" : : : "memory")
#define vmsg_wmb()     __asm__ __volatile__("dsb st" : : : "memory")
#define vmsg_dma_mb()  __asm__ __volatile__("dmb osh" : : : "memory")
#define vmsg_dma_rmb() __asm__ __volatile__("dmb oshld" : : : "memory")
#define vmsg_dma_wmb() __asm__ __volatile__("dmb oshst" : : : "memory")
#define vmsg_smp_rmb() __asm__ __volatile__("dmb ishld" : : : "memory")
#define vmsg_smp_wmb() __asm__ __volatile__("dmb ishst" : : : "memory")
#elif defined(__riscv)
#define vmsg_mb()      __asm__ __volatile__("fence iorw, iorw" : : : "memory")
#define vmsg_rmb()     __asm__ __volatile__("fence ir, ir" : : : "memory")
#define vmsg_wmb()     __asm__ __volatile__("fence ow, ow" : : : "memory")
#define vmsg_dma_mb()  __asm__ __volatile__("fence rw, rw" : : : "memory")
#define vmsg_dma_rmb() __asm__ __volatile__("fence r, r" : : : "memory")
#define vmsg_dma_wmb() __asm__ __volatile__("fence w, w" : : : "memory")
#define vmsg_smp_rmb() __asm__ __volatile__("fence r, r" : : : "memory")
#define vmsg_smp_wmb() __asm__ __volatile__("fence w, w" : : : "memory")
#else
/* Unknown architecture: the strongest fence the compiler knows. */
#define vmsg_mb()      __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_rmb()     __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_wmb()     __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_dma_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_dma_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_dma_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vmsg_smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define vmsg_smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#define vmsg_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#ifndef vmsg_ring_rmb
#define vmsg_ring_rmb()	 vmsg_rmb()
#define vmsg_ring_ldmb() vmsg_mb()
#endif

#if defined(__SANITIZE_THREAD__)
#define VMSG_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMSG_TSAN 1
#endif
#endif

#ifdef VMSG_TSAN
#define VMSG_ONCE_LOAD	__ATOMIC_ACQUIRE
#define VMSG_ONCE_STORE __ATOMIC_RELEASE
#else
#define VMSG_ONCE_LOAD	__ATOMIC_RELAXED
#define VMSG_ONCE_STORE __ATOMIC_RELAXED
#endif

static inline uint16_t vmsg_read_once16(const volatile void *p)
{
	return __atomic_load_n((const volatile uint16_t *)p, VMSG_ONCE_LOAD);
}

static inline uint32_t vmsg_read_once32(const volatile void *p)
{
	return __atomic_load_n((const volatile uint32_t *)p, VMSG_ONCE_LOAD);
}

static inline void vmsg_write_once16(volatile void *p, uint16_t v)
{
	__atomic_store_n((volatile uint16_t *)p, v, VMSG_ONCE_STORE);
}

static inline void vmsg_write_once32(volatile void *p, uint32_t v)
{
	__atomic_store_n((volatile uint32_t *)p, v, VMSG_ONCE_STORE);
}

#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ >= 8
static inline uint64_t vmsg_read_once64(const volatile void *p)
{
	return __atomic_load_n((const volatile uint64_t *)p, VMSG_ONCE_LOAD);
}

static inline void vmsg_write_once64(volatile void *p, uint64_t v)
{
	__atomic_store_n((volatile uint64_t *)p, v, VMSG_ONCE_STORE);
}
#else
/* 32-bit targets: no single-copy-atomic 64-bit access; never torn by the
 * compiler at least (callers must not rely on 64-bit atomicity).
 */
static inline uint64_t vmsg_read_once64(const volatile void *p)
{
	return *(const volatile uint64_t *)p;
}

static inline void vmsg_write_once64(volatile void *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}
#endif

#define VMSG_READ_ONCE16(p)	vmsg_read_once16(p)
#define VMSG_READ_ONCE32(p)	vmsg_read_once32(p)
#define VMSG_READ_ONCE64(p)	vmsg_read_once64(p)
#define VMSG_WRITE_ONCE16(p, v) vmsg_write_once16((p), (uint16_t)(v))
#define VMSG_WRITE_ONCE32(p, v) vmsg_write_once32((p), (uint32_t)(v))
#define VMSG_WRITE_ONCE64(p, v) vmsg_write_once64((p), (uint64_t)(v))

#endif /* __KERNEL__ */

#endif /* VMSG_BARRIER_H */
