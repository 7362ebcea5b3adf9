/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_card.h - the card's bus engine (ep_function/core), OS-free.
 *
 * The engine owns BAR0 (registers, h2c ring), the host area (c2h ring), the
 * link state machine and epoch, routing by dev_num, the bus messages
 * (GET_DEVICES, PING, EVENT_DEVICE, ERROR) and each device's transport state
 * machine. It never blocks and allocates only in vmsg_card_create(). A platform (sim, epf, uio)
 * gives it memory, interrupts and time through struct vmsg_card_platform; the daemon's event loop
 * calls vmsg_card_poll() whenever a doorbell rings or a timer expires. Single-threaded: one caller
 * at a time.
 *
 * OS-free: no C library beyond the freestanding headers (stdint, stddef,
 * stdbool, stdarg); memory comes from the platform's zalloc/free, log lines
 * are formatted by the platform's log. ep_function/core/meson.build builds
 * it with -ffreestanding -nostdinc and tests/kernel_compile as kernel code.
 */
#ifndef VMSG_CARD_H
#define VMSG_CARD_H

#ifdef __KERNEL__
#include <linux/limits.h>
#include <linux/stdarg.h>
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT16_MAX
#define UINT16_MAX U16_MAX
#endif
#else
#include <stdarg.h>
#endif

#include "vmsg_pcie.h"
#include "virtio_msg_validate.h"

struct vmsg_card;
struct vmsg_dev;

struct vmsg_card_platform {
	void *ctx;
	/* BAR0 as the card sees it: local memory, at least VMSG_PCIE_BAR0_MIN_SIZE. */
	volatile void *bar0;
	size_t bar0_size;
	/*
	 * Host memory through the outbound window or DMA. Addresses are host DMA
	 * addresses. Return 0, or a negative value when [addr, addr + len) is
	 * outside what the card can reach (never touch memory outside it).
	 */
	int (*host_read)(void *ctx, uint64_t addr, void *dst, size_t len);
	int (*host_write)(void *ctx, uint64_t addr, const void *src, size_t len);
	/* Direct view of [addr, addr + len) or NULL if not mappable. Used for
	 * the host area (c2h ring) only; valid until the next attach. May be
	 * NULL: nothing is mappable, every ATTACH is refused (EAREA). */
	volatile void *(*host_map)(void *ctx, uint64_t addr, size_t len);
	/* Raise an interrupt towards the host (MSI-X / MSI vector). */
	int (*raise_irq)(void *ctx, uint32_t vector);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	/* Zeroed memory, or NULL; and its release (never called with NULL).
	 * Only vmsg_card_create() allocates and only vmsg_card_destroy() frees. */
	void *(*zalloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	/* Optional diagnostics sink (may be NULL): one line, prefix (a plain
	 * string, e.g. "blk2: ", or "") followed by printf-style fmt and ap
	 * (conversions used: %s %d %u %x %02x %llx). */
	void (*log)(void *ctx, int level, const char *prefix, const char *fmt, va_list ap);
	/*
	 * (added, optional) Host memory that is plain RAM mapped into the
	 * card's own address space, for I/O the card's OS performs itself
	 * (a backend hands the pointer to io_uring: no copy through a
	 * buffer): a pointer to [addr, addr + len), or NULL when any byte is
	 * outside host memory. Only a platform whose host memory is such a
	 * mapping sets it (sim: the host's RAM file); behind an outbound
	 * window or a DMA engine (epf, uio) it stays NULL and backends copy
	 * through host_read/host_write. A pointer stays addressable after the
	 * next ATTACH (the platform never reuses a replaced mapping's
	 * addresses for anything else), so I/O still in flight then cannot
	 * reach other memory of the card.
	 */
	void *(*host_direct)(void *ctx, uint64_t addr, size_t len);
};

#define VMSG_LOG_ERR   3
#define VMSG_LOG_WARN  4
#define VMSG_LOG_INFO  6
#define VMSG_LOG_DEBUG 7

struct vmsg_card_config {
	uint32_t card_features; /* VMSG_PCIE_F_* to offer */
	uint32_t max_msg_size;	/* 44..264 */
	uint32_t dma_addr_bits; /* window width published in BAR0 */
	uint32_t num_vectors;	/* vectors the platform can raise */
	/* doorbell registers the platform watches: 0 means 2 (h2c, ctrl);
	 * OOB_NOTIFY is offered only with more ([OOB-1]) */
	uint32_t num_doorbells;
	uint32_t ring_slot_size;       /* 0: VMSG_RING_DEFAULT_SLOT_SIZE */
	uint32_t ring_slot_count;      /* 0: VMSG_RING_DEFAULT_SLOTS */
	uint32_t max_devices;	       /* dev_num 1..max_devices */
	bool strict_config_generation; /* refuse stale SET_CONFIG (default true) */
	bool busy_poll;		       /* the loop polls the h2c ring: no doorbell wanted */
};

/* Counters the engine keeps (also mirrored into BAR0 cnt_*). rx_msgs: h2c
 * slots consumed, valid or not; ring_full: messages that found the c2h ring
 * full (or others waiting) and were queued; drop_unsupported: well-formed
 * messages with an id nobody implements (0x80-0xFF, unknown bus ids, host
 * responses), dropped unanswered; pings: PING requests and responses. */
struct vmsg_card_stats {
	uint64_t rx_msgs, tx_msgs;
	uint64_t drop_malformed, drop_stale, drop_no_device, drop_unsupported;
	uint64_t ring_full, irqs, attaches, detaches, pings;
	uint64_t verdicts[VMSG_E__COUNT]; /* malformed, per validator verdict */
	/* added: */
	uint64_t pending_overflow; /* messages lost: pending queue full (device NEEDS_RESET) */
	uint64_t refused;	   /* well-formed requests the state machine refused */
	uint64_t errors_sent;	   /* bus ERROR messages sent */
	uint64_t doorbells;	   /* doorbell register changes seen */
	/* OOB_NOTIFY (binding 7.5) */
	uint64_t oob_doorbells;	  /* queue doorbells acted on (as EVENT_AVAIL) */
	uint64_t oob_db_unmapped; /* doorbell changes on an index no queue keeps */
	uint64_t oob_irqs;	  /* per-queue vectors raised instead of EVENT_USED */
	uint64_t oob_map_bad;	  /* queue map entries refused or vectors taken as NONE */
};

/* Fill cfg with the defaults (added): C2H_HOST_MEM | ERROR_MSG, 264-byte
 * messages, 64-bit DMA, default ring geometry, 32 devices, strict config
 * generation. vmsg_card_create() also replaces zero fields by defaults. */
void vmsg_card_config_defaults(struct vmsg_card_config *cfg);

/* Lifecycle. init publishes BAR0 (magic, version, geometry) with link READY
 * and a fresh epoch (seeded from now_ns and a counter, never 0). */
struct vmsg_card *vmsg_card_create(const struct vmsg_card_platform *plat,
				   const struct vmsg_card_config *cfg);
void vmsg_card_destroy(struct vmsg_card *card);

/*
 * Do all pending work: handle host_ctrl (ATTACH/DETACH), drain the h2c ring,
 * dispatch messages, run device queue work, send events, mirror counters,
 * bump heartbeat. Returns the number of messages handled, or negative on a
 * fatal platform error. Call it on every doorbell and at least every
 * vmsg_card_next_timeout_ms().
 */
int vmsg_card_poll(struct vmsg_card *card);
uint32_t vmsg_card_next_timeout_ms(const struct vmsg_card *card);

/* Devices. add returns the assigned dev_num (>= 1) or negative; if the link
 * is RUN it sends EVENT_DEVICE READY. remove sends REMOVED, resets the
 * device, and frees it; later requests to that dev_num get a bus ERROR. */
int vmsg_card_add_device(struct vmsg_card *card, struct vmsg_dev *dev);
int vmsg_card_remove_device(struct vmsg_card *card, vmsg_dev_num_t dev_num);
struct vmsg_dev *vmsg_card_device(struct vmsg_card *card, vmsg_dev_num_t dev_num);

/* Clean shutdown ([FLR-C-3]): every device reset, then EVENT_DEVICE
 * REMOVED for it; requests already in the h2c ring are answered (transport
 * requests with ERROR SHUTDOWN); then no more host memory access, link
 * SHUTDOWN, interrupt unless POLL. Afterwards nothing more is consumed;
 * only vmsg_card_destroy() remains useful. */
void vmsg_card_shutdown(struct vmsg_card *card);

/* (added) The host went away under the card ([FLR-C-1]: PCIe link down, hot
 * reset, FLR, Bus Master Enable cleared, BAR0 re-assigned): stop all host
 * memory access at once, reset every device, drop queued messages,
 * re-publish the control block and enter READY with a new epoch. Platforms
 * that observe those events call it; the devices stay registered. */
void vmsg_card_host_lost(struct vmsg_card *card);

const struct vmsg_card_stats *vmsg_card_stats(const struct vmsg_card *card);
enum vmsg_link_state vmsg_card_link_state(const struct vmsg_card *card);
uint32_t vmsg_card_epoch(const struct vmsg_card *card);
const struct vmsg_card_platform *vmsg_card_platform(const struct vmsg_card *card);

#endif /* VMSG_CARD_H */
