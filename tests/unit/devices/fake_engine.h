/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fake_engine.h - what the device tests put in place of ep_function/core:
 * a "host memory" buffer (bounds-checked, DMA addresses from HOST_BASE),
 * the engine services the backends call (vmsg_dev_host_read/write/direct,
 * vmsg_dev_notify_used/send_used, vmsg_dev_config_changed,
 * vmsg_dev_needs_reset, vmsg_dev_log), and a driver side built on fw_shared
 * vmsg_vq_drv that posts buffers into that memory.
 */
#ifndef FAKE_ENGINE_H
#define FAKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsg_dev.h"
#include "vmsg_devices.h"
#include "vmsg_virtq.h"

#define HOST_BASE 0x40000000ull
#define HOST_SIZE (48u * 1024u * 1024u)

struct fake_counters {
	unsigned int used_events[VMSG_DEV_MAX_QUEUES]; /* notify_used + send_used */
	unsigned int config_changed;
	unsigned int needs_reset;
	unsigned int host_faults;   /* accesses outside host memory */
	unsigned int direct_grants; /* vmsg_dev_host_direct() pointers given */
	unsigned int logs;
};
extern struct fake_counters fake;

/* How the fake card runs (host_reset() clears both). */
struct fake_modes {
	bool busy_poll; /* vmsg_dev_busy_polled(): set before tdev_start() */
	bool host_down; /* vmsg_dev_host_ready() false, host accesses fail */
	/* vmsg_dev_host_direct(): host memory directly addressable (as on the
	 * sim platform), unless no_direct (as on epf/uio: copies only) */
	bool no_direct;
};
extern struct fake_modes fake_mode;

/* Zero host memory, the allocator and the counters. */
void host_reset(void);
/* Allocate len bytes of host memory (aligned); its DMA address. */
uint64_t host_alloc(size_t len, size_t align);
/* Allocation mark: host_release(m) frees everything allocated after it. */
size_t host_mark(void);
void host_release(size_t mark);
/* Pointer to [dma, dma + len) (asserts it is inside host memory). */
void *host_ptr(uint64_t dma, size_t len);

struct tq {
	struct vmsg_vq_drv drv;
	struct vmsg_vq_drv_state *state;
	uint32_t size;
};

struct tdev {
	struct vmsg_dev *d;
	struct tq q[4];
	bool event_idx;
};

/* Do what the engine and a driver do up to DRIVER_OK: negotiate every
 * offered feature except drop, set up each queue at qsize (0: max), start. */
void tdev_start(struct tdev *t, struct vmsg_dev *d, uint64_t drop, uint32_t qsize);
/* Full device reset (status 0) and start again on fresh rings. */
void tdev_restart(struct tdev *t, uint64_t drop, uint32_t qsize);
/* RING_RESET of one queue, then set it up again. */
void tdev_reset_queue(struct tdev *t, uint32_t vq);
/* EVENT_AVAIL for vq. */
void tdev_kick(struct tdev *t, uint32_t vq);
/* The daemon's loop: call poll while wait_fd is readable (bounded).
 * Returns the number of polls made. */
int tdev_run(struct tdev *t);
/* Is wait_fd readable right now? */
bool tdev_waitable(struct tdev *t);
void tdev_destroy(struct tdev *t);

int tq_add(struct tq *q, const struct vmsg_vq_buf *out, uint32_t nout, const struct vmsg_vq_buf *in,
	   uint32_t nin);
/* 1 with id/len, 0 if nothing used, negative on a bad used entry. */
int tq_used(struct tq *q, uint16_t *id, uint32_t *len);

/* Fill with a reproducible pseudo-random stream. */
void fill_random(void *buf, size_t len, uint64_t *seed);
uint32_t rnd(uint64_t *seed, uint32_t n);

#endif /* FAKE_ENGINE_H */
