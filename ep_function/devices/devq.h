/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * devq.h - a backend's view of one of its virtqueues: pop a descriptor
 * chain, read its device-readable bytes, write its device-writable bytes,
 * push it back used, notify. A thin layer over fw_shared vmsg_virtq (which
 * walks and checks the hostile descriptors) and the engine's host memory
 * accessors. Internal to the devices library.
 *
 * Progress (last_avail, used_idx) lives in the engine's struct
 * vmsg_dev_queue, so an engine-side queue reset and a backend reset agree.
 */
#ifndef DEVQ_H
#define DEVQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsg_dev.h"
#include "vmsg_virtq.h"

/* devq_pop results besides 1 (got a chain) and 0 (nothing available). */
#define DEVQ_BAD    -1 /* a malformed chain was consumed (used, length 0) */
#define DEVQ_BROKEN -2 /* the ring itself is impossible: needs reset */

/* Used entries devq_stage() collects before devq_commit() publishes them. */
#define DEVQ_STAGE_MAX 64u

struct devq {
	struct vmsg_dev *dev;
	uint32_t idx;
	bool pushed; /* used entries added since the last devq_notify() */
	bool broken; /* ring state impossible: stop until reset */
	bool live;   /* vq below matches the engine's queue registers */
	bool polled; /* the backend polls the avail ring: no kicks wanted */
	uint16_t staged;
	uint64_t bad_chains;
	struct vmsg_mem_ops mem;
	struct vmsg_vq_dev vq;
	uint8_t stage[DEVQ_STAGE_MAX * 8u]; /* staged used elements (id, len; le32) */
};

/* One popped chain. rlen: device-readable bytes, wlen: device-writable. */
struct devq_req {
	struct vmsg_vq_chain chain;
	uint32_t rlen;
	uint32_t wlen;
};

void devq_init(struct devq *q, struct vmsg_dev *d, uint32_t idx);
/* Forget local state (queue or device reset). */
void devq_reset(struct devq *q);
/* Configured, enabled and DRIVER_OK. */
bool devq_ready(const struct devq *q);

/* 1: *r holds a chain; 0: none available; DEVQ_BAD or DEVQ_BROKEN. */
int devq_pop(struct devq *q, struct devq_req *r);
/* Readable bytes [off, off + len) of the chain into buf: 0 or negative. */
int devq_read(struct devq *q, struct devq_req *r, uint32_t off, void *buf, uint32_t len);
/* buf into writable bytes [off, off + len) of the chain: 0 or negative. */
int devq_write(struct devq *q, struct devq_req *r, uint32_t off, const void *buf, uint32_t len);
/*
 * Direct view of a part of the chain, for I/O the OS does on host memory
 * itself (vmsg_dev_host_direct): the readable (writable false) or writable
 * bytes [off, off + len) as at most max iovecs, each segment piece checked
 * and translated by the engine. Returns the iovec count (0 for len 0),
 * DEVQ_IOV_RANGE if [off, off + len) exceeds that part or needs more than
 * max iovecs, DEVQ_IOV_REFUSED if any piece is not directly addressable
 * (outside host memory, or the platform has none: nothing to hand over).
 */
#define DEVQ_IOV_RANGE	 -1
#define DEVQ_IOV_REFUSED -2
struct iovec;
int devq_iov(struct devq *q, const struct devq_req *r, bool writable, uint32_t off, uint32_t len,
	     struct iovec *iov, uint32_t max);
/* Return the chain with len bytes written: 0 or negative. */
int devq_push(struct devq *q, struct devq_req *r, uint32_t len);
/*
 * Batched completion: devq_stage() records a used element without making it
 * visible; devq_commit() writes the staged elements (at most two host
 * writes), then the used idx once (and avail_event). A full stage commits
 * by itself. Staged entries never outlive the call that staged them: commit
 * before returning to the engine. 0 or negative (the queue is then broken).
 */
int devq_stage(struct devq *q, struct devq_req *r, uint32_t len);
int devq_commit(struct devq *q);

/* Polled queue: the backend looks at the avail ring on its own (the card
 * busy-polls), so no EVENT_AVAIL is asked for (NO_NOTIFY, or a stale
 * avail_event with EVENT_IDX) and an empty pop does not re-enable kicks. */
void devq_set_polled(struct devq *q, bool polled);

/* EVENT_USED if anything was pushed since the last call. */
void devq_notify(struct devq *q);

/* Transport feature bits the virtqueue helpers support (event idx,
 * indirect descriptors). */
uint64_t devq_ring_features(void);

#endif /* DEVQ_H */
