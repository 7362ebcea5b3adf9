/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_host_drivers.h - small virtio device drivers over vmsg_host_dev, for
 * tests, tools and as a model for the PMD: virtio-blk (read, write, flush),
 * virtio-net (frames in and out, no offloads), virtio-rng (read).
 *
 * Each open() runs the full init in the spec's order (GET_DEVICE_INFO,
 * reset, features, config, queues, DRIVER_OK). Buffers handed to the async
 * calls must be host DMA memory of the bus's link (vmsg_link_alloc()).
 * Single-threaded per device object.
 */
#ifndef VMSG_HOST_DRIVERS_H
#define VMSG_HOST_DRIVERS_H

#include "vmsg_host_dev.h"

/* ---- virtio-blk ---- */

#define VMSG_HOST_VIRTIO_ID_NET	    1u
#define VMSG_HOST_VIRTIO_ID_BLK	    2u
#define VMSG_HOST_VIRTIO_ID_CONSOLE 3u
#define VMSG_HOST_VIRTIO_ID_RNG	    4u

#define VMSG_HOST_BLK_T_IN     0u
#define VMSG_HOST_BLK_T_OUT    1u
#define VMSG_HOST_BLK_T_FLUSH  4u
#define VMSG_HOST_BLK_T_GET_ID 8u
#define VMSG_HOST_BLK_S_OK     0
#define VMSG_HOST_BLK_S_IOERR  1
#define VMSG_HOST_BLK_S_UNSUPP 2
#define VMSG_HOST_BLK_SECTOR   512u

struct vmsg_host_blk;

struct vmsg_host_blk_info {
	uint64_t capacity; /* 512-byte sectors */
	uint32_t blk_size; /* 0 if not offered */
	uint32_t seg_max;  /* 0 if not offered */
	bool read_only;
	bool flush; /* VIRTIO_BLK_F_FLUSH negotiated */
};

/* qsize 0: the device maximum. */
int vmsg_host_blk_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num, uint32_t qsize,
		       struct vmsg_host_blk **out);
void vmsg_host_blk_close(struct vmsg_host_blk *blk);
const struct vmsg_host_blk_info *vmsg_host_blk_info(const struct vmsg_host_blk *blk);
struct vmsg_host_dev *vmsg_host_blk_dev(const struct vmsg_host_blk *blk);
struct vmsg_host_vq *vmsg_host_blk_vq(const struct vmsg_host_blk *blk);

/* Queue one request (no kick). buf: link memory (NULL for FLUSH), len a
 * multiple of 512 for IN/OUT. 0, -EAGAIN (queue full), -EINVAL, -EFAULT
 * (buf not in link memory), -ENODEV... */
int vmsg_host_blk_submit(struct vmsg_host_blk *blk, uint32_t type, uint64_t sector, void *buf,
			 uint32_t len, void *cookie);
int vmsg_host_blk_kick(struct vmsg_host_blk *blk);
/* One completion: 1 with *cookie and *status (VMSG_HOST_BLK_S_*, or -EPROTO
 * if the device broke the rules for this request), 0 if none, negative:
 * -EPROTO once the queue is broken (vmsg_host_vq_get_used()); stop then. */
int vmsg_host_blk_complete(struct vmsg_host_blk *blk, void **cookie, int *status);
int vmsg_host_blk_wait(struct vmsg_host_blk *blk, int timeout_ms);
uint32_t vmsg_host_blk_in_flight(const struct vmsg_host_blk *blk);
/* After a reset or removal: forget every request in flight (drop gets each
 * cookie). Returns how many. */
int vmsg_host_blk_reclaim(struct vmsg_host_blk *blk, void (*drop)(void *arg, void *cookie),
			  void *arg);
/* Re-initialise after a device reset (features, queue, DRIVER_OK). */
int vmsg_host_blk_reinit(struct vmsg_host_blk *blk);

/* Synchronous, nothing else in flight: submit, kick, wait. Returns the
 * virtio-blk status (>= 0) or a negative error (-ETIMEDOUT, -ENODEV...). */
int vmsg_host_blk_io(struct vmsg_host_blk *blk, uint32_t type, uint64_t sector, void *buf,
		     uint32_t len, int timeout_ms);

/* ---- virtio-net ---- */

#define VMSG_HOST_NET_HDR_SIZE	12u /* virtio_net_hdr_v1 */
#define VMSG_HOST_NET_BUF_SIZE	2048u
#define VMSG_HOST_NET_MAX_FRAME (VMSG_HOST_NET_BUF_SIZE - VMSG_HOST_NET_HDR_SIZE)

struct vmsg_host_net;

struct vmsg_host_net_stats {
	uint64_t tx_frames, rx_frames;
	uint64_t rx_bad; /* used entries with impossible lengths */
	uint64_t tx_kicks, rx_kicks;
};

/* rx = queue 0, tx = queue 1; every receive buffer is posted. */
int vmsg_host_net_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num, uint32_t qsize,
		       struct vmsg_host_net **out);
void vmsg_host_net_close(struct vmsg_host_net *net);
struct vmsg_host_dev *vmsg_host_net_dev(const struct vmsg_host_net *net);
const uint8_t *vmsg_host_net_mac(const struct vmsg_host_net *net);
void vmsg_host_net_get_stats(const struct vmsg_host_net *net, struct vmsg_host_net_stats *st);

/* Copy a frame into a transmit buffer and queue it (no kick): 0, -EAGAIN
 * when every transmit buffer is in flight, -EMSGSIZE, -EPROTO when the
 * transmit queue is broken (vmsg_host_vq_get_used()). */
int vmsg_host_net_tx(struct vmsg_host_net *net, const void *frame, uint32_t len);
int vmsg_host_net_tx_kick(struct vmsg_host_net *net);
/* Reclaim sent buffers; returns how many, -EPROTO once the transmit queue
 * is broken. */
int vmsg_host_net_tx_reclaim(struct vmsg_host_net *net);
/* One received frame (header stripped) into buf: 1 with *len, 0 if none,
 * -EPROTO once the receive queue is broken (the device wrote an impossible
 * used ring: reset it, or close the handle). The buffer is posted again
 * (call rx_kick after a batch). */
int vmsg_host_net_rx(struct vmsg_host_net *net, void *buf, uint32_t cap, uint32_t *len);
int vmsg_host_net_rx_kick(struct vmsg_host_net *net);
/* Wait for a received frame. */
int vmsg_host_net_wait(struct vmsg_host_net *net, int timeout_ms);
/* After a reset or removal: forget the buffers in flight (posted receive
 * buffers, unsent frames). Returns how many, or -EBUSY if still active. */
int vmsg_host_net_reclaim(struct vmsg_host_net *net);
/* RESET_VQUEUE the receive queue (buffers in flight are dropped), program
 * it again, post every receive buffer. Needs VIRTIO_F_RING_RESET. Returns
 * the number of buffers that were in flight. */
int vmsg_host_net_reset_rx(struct vmsg_host_net *net);
struct vmsg_host_vq *vmsg_host_net_vq(const struct vmsg_host_net *net, uint32_t index);

/* ---- virtio-rng ---- */

struct vmsg_host_rng;

int vmsg_host_rng_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num,
		       struct vmsg_host_rng **out);
void vmsg_host_rng_close(struct vmsg_host_rng *rng);
struct vmsg_host_dev *vmsg_host_rng_dev(const struct vmsg_host_rng *rng);
/* Up to len (<= 4096) random bytes: the count, or negative. */
int vmsg_host_rng_read(struct vmsg_host_rng *rng, void *buf, uint32_t len, int timeout_ms);

#endif /* VMSG_HOST_DRIVERS_H */
