/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_host_dev.h - the virtio-msg transport, driver side: one device behind
 * a bus, initialised in the spec's order (the public virtio-msg v1 posting,
 * "Device Initialization"):
 *
 *   vmsg_host_dev_open()        GET_DEVICE_INFO
 *   vmsg_host_dev_negotiate()   reset (SET_DEVICE_STATUS 0, GET_DEVICE_STATUS
 *                               until 0, bounded), ACKNOWLEDGE, DRIVER,
 *                               GET_DEVICE_FEATURES (32-bit blocks),
 *                               SET_DRIVER_FEATURES, FEATURES_OK + check
 *   vmsg_host_dev_config_read/write()   GET_CONFIG / SET_CONFIG, chunked to
 *                               the message size, generation checked
 *   vmsg_host_vq_create()       GET_VQUEUE, rings in host DMA memory,
 *                               SET_VQUEUE, GET_VQUEUE to confirm
 *   vmsg_host_dev_driver_ok()   DRIVER_OK
 *
 * VIRTIO_F_VERSION_1 and VIRTIO_F_ACCESS_PLATFORM are always negotiated
 * (addresses are host DMA addresses); a device that does not offer both is
 * refused. A handle whose device was removed, or whose link went down,
 * fails every call with -ENODEV (or the link's error); open a new handle
 * after the device comes back.
 */
#ifndef VMSG_HOST_DEV_H
#define VMSG_HOST_DEV_H

#include "vmsg_host_bus.h"
#include "virtio_msg_build.h"
#include "vmsg_virtq.h"

/* virtio 1.x transport feature bits */
#define VMSG_HOST_F_INDIRECT_DESC   28
#define VMSG_HOST_F_EVENT_IDX	    29
#define VMSG_HOST_F_VERSION_1	    32
#define VMSG_HOST_F_ACCESS_PLATFORM 33
#define VMSG_HOST_F_RING_RESET	    40
#define VMSG_HOST_BIT(n)	    (1ull << (n))

/* Transport features this library can drive (others are never accepted). */
#define VMSG_HOST_TRANSPORT_FEATURES                                                               \
	(VMSG_HOST_BIT(VMSG_HOST_F_INDIRECT_DESC) | VMSG_HOST_BIT(VMSG_HOST_F_EVENT_IDX) |         \
	 VMSG_HOST_BIT(VMSG_HOST_F_VERSION_1) | VMSG_HOST_BIT(VMSG_HOST_F_ACCESS_PLATFORM) |       \
	 VMSG_HOST_BIT(VMSG_HOST_F_RING_RESET))

/* Largest feature space read (bits); GET_DEVICE_INFO beyond it is refused. */
#define VMSG_HOST_MAX_FEATURE_BITS 1024u
/* Largest config space accepted from GET_DEVICE_INFO. */
#define VMSG_HOST_MAX_CONFIG_SIZE 4096u
/* Queues a handle tracks. */
#define VMSG_HOST_MAX_VQS 64u

struct vmsg_host_dev;
struct vmsg_host_vq;

/* GET_DEVICE_INFO; the handle follows the device until it goes away. */
int vmsg_host_dev_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num,
		       struct vmsg_host_dev **out);
/* Reset the device if it is still there (bounded), free the handle. Queues
 * must be destroyed first (or are freed here). */
void vmsg_host_dev_close(struct vmsg_host_dev *dev);

const struct vmsg_device_info *vmsg_host_dev_info(const struct vmsg_host_dev *dev);
vmsg_dev_num_t vmsg_host_dev_num(const struct vmsg_host_dev *dev);
struct vmsg_host_bus *vmsg_host_dev_bus(const struct vmsg_host_dev *dev);
/* 0 while usable, else why not (-ENODEV, -ECONNRESET, -EHOSTDOWN, ...). */
int vmsg_host_dev_error(struct vmsg_host_dev *dev);
/* DEVICE_NEEDS_RESET announced by EVENT_CONFIG (or seen in a status). */
bool vmsg_host_dev_needs_reset(struct vmsg_host_dev *dev);
/* EVENT_CONFIG arrived since the last call (clears the flag). */
bool vmsg_host_dev_config_changed(struct vmsg_host_dev *dev);
/* EVENT_USED seen per queue since the last call (bit n = vq n < 64). */
uint64_t vmsg_host_dev_take_used(struct vmsg_host_dev *dev);

/* Status. The resulting status is returned in *result (may be NULL). */
int vmsg_host_dev_get_status(struct vmsg_host_dev *dev, uint32_t *status);
int vmsg_host_dev_set_status(struct vmsg_host_dev *dev, uint32_t status, uint32_t *result);
/* SET_DEVICE_STATUS(0), then GET_DEVICE_STATUS (every 1 ms, growing to
 * 100 ms) until 0 within the bus reset timeout ([RST-1]). Every queue of the
 * handle becomes inactive. A device that does not reset in time means the
 * card failed ([RST-3]): -ETIMEDOUT and the bus goes PEER_DEAD. */
int vmsg_host_dev_reset(struct vmsg_host_dev *dev);

/*
 * Reset, ACKNOWLEDGE, DRIVER, read every feature block, accept
 * offered & (want | VERSION_1 | ACCESS_PLATFORM) restricted to device bits
 * (< 28, 41..) and VMSG_HOST_TRANSPORT_FEATURES, write them back, set
 * FEATURES_OK and check it stuck (SET response and GET_DEVICE_STATUS).
 * *negotiated (may be NULL) gets the accepted bits 0..63.
 */
int vmsg_host_dev_negotiate(struct vmsg_host_dev *dev, uint64_t want, uint64_t *negotiated);
uint64_t vmsg_host_dev_offered(const struct vmsg_host_dev *dev);
uint64_t vmsg_host_dev_features(const struct vmsg_host_dev *dev);
static inline bool vmsg_host_dev_has(const struct vmsg_host_dev *dev, unsigned int bit)
{
	return bit < 64 && (vmsg_host_dev_features(dev) >> bit) & 1u;
}

/* Set DRIVER_OK (after the queues); checks the device kept it. */
int vmsg_host_dev_driver_ok(struct vmsg_host_dev *dev);

/*
 * Config space, bounded by config_size (-ERANGE). Reads are chunked to the
 * bus message size; a multi-chunk read is repeated until every chunk saw
 * the same generation (bounded: -EAGAIN). *generation (may be NULL) gets it.
 * Writes carry the last generation seen; a refusal (length 0) makes the
 * library re-read the range (GET_CONFIG, new generation) and retry if the
 * generation moved, at most VMSG_PCIE_SET_CONFIG_TRIES attempts in total
 * ([OP-4], then -EAGAIN); a refusal at the current generation is -EPERM
 * (read-only config, or the device said no).
 */
int vmsg_host_dev_config_read(struct vmsg_host_dev *dev, uint32_t offset, void *buf, uint32_t len,
			      uint32_t *generation);
int vmsg_host_dev_config_write(struct vmsg_host_dev *dev, uint32_t offset, const void *buf,
			       uint32_t len);
/* Last generation observed (GET_CONFIG, SET_CONFIG, EVENT_CONFIG). */
uint32_t vmsg_host_dev_generation(struct vmsg_host_dev *dev);
/* Counters of the retry loops. */
struct vmsg_host_dev_stats {
	uint64_t config_rereads; /* chunks disagreed on the generation */
	uint64_t config_retries; /* SET_CONFIG refused for a stale generation */
	uint64_t reset_polls;	 /* GET_DEVICE_STATUS while waiting for 0 */
	uint64_t echo_mismatch;	 /* echoed fields that did not match the request */
	uint64_t queues_broken;	 /* queues latched broken (vmsg_host_vq_get_used()) */
};
void vmsg_host_dev_get_stats(struct vmsg_host_dev *dev, struct vmsg_host_dev_stats *st);

/* GET_SHM: *len 0 means no such region. */
int vmsg_host_dev_get_shm(struct vmsg_host_dev *dev, uint32_t index, uint64_t *addr, uint64_t *len);

/*
 * Init in one call for simple devices: negotiate(want), create queues
 * 0..nqueues-1 of qsize (or the device maximum if smaller), DRIVER_OK.
 * vqs receives the queues.
 */
int vmsg_host_dev_setup(struct vmsg_host_dev *dev, uint64_t want, uint32_t nqueues, uint32_t qsize,
			struct vmsg_host_vq **vqs);

/* ---- virtqueues (split ring in host DMA memory) ---- */

/* GET_VQUEUE (must exist, must be inactive), allocate the rings, SET_VQUEUE,
 * GET_VQUEUE to confirm size and addresses. size: 0 = device maximum;
 * otherwise clamped to the maximum and rounded down to a power of two. */
int vmsg_host_vq_create(struct vmsg_host_dev *dev, uint32_t index, uint32_t size,
			struct vmsg_host_vq **out);
/* Free the rings. Call after a device or queue reset, or once the device is
 * gone; an active queue of a live device is reset first when RING_RESET was
 * negotiated, else the device is reset. */
void vmsg_host_vq_destroy(struct vmsg_host_vq *vq);

uint32_t vmsg_host_vq_size(const struct vmsg_host_vq *vq);
uint32_t vmsg_host_vq_index(const struct vmsg_host_vq *vq);
uint32_t vmsg_host_vq_num_free(const struct vmsg_host_vq *vq);
uint32_t vmsg_host_vq_in_flight(const struct vmsg_host_vq *vq);
bool vmsg_host_vq_active(const struct vmsg_host_vq *vq);
struct vmsg_host_dev *vmsg_host_vq_dev(const struct vmsg_host_vq *vq);

/* Expose buffers (DMA addresses, link memory) as one chain; cookie comes
 * back from get_used. Head id, -EAGAIN (no room), -ENODEV, -ESTALE (queue
 * not active), -EPROTO (queue broken). */
int vmsg_host_vq_add(struct vmsg_host_vq *vq, const struct vmsg_vq_buf *out, uint32_t nout,
		     const struct vmsg_vq_buf *in, uint32_t nin, void *cookie);
/* EVENT_AVAIL if the device wants it. 1 sent, 0 suppressed, negative. */
int vmsg_host_vq_kick(struct vmsg_host_vq *vq);
/* One used chain: 1 with *cookie and *len, 0 if none, -EPROTO when the
 * device wrote a hostile used entry (an idx beyond the chains in flight, an
 * id that is not a head in flight, a length beyond the chain): *cookie then
 * names the chain freed, or NULL, and the queue is broken from then on
 * (like Linux virtio_ring's BAD_RING): get_used, add, kick and wait all
 * return -EPROTO, nothing more is read from its rings. Stop on it; reset
 * the device (or the queue) and restart the queue, or close the handle. */
int vmsg_host_vq_get_used(struct vmsg_host_vq *vq, void **cookie, uint32_t *len);
/* The queue saw a protocol error (above), until vmsg_host_vq_restart(). */
bool vmsg_host_vq_broken(const struct vmsg_host_vq *vq);
/* One of the device's queues is broken: the device is, too. */
bool vmsg_host_dev_broken(const struct vmsg_host_dev *dev);
/* Wait up to timeout_ms until get_used has something: 1, 0 on timeout,
 * -ENODEV or the link error if the device went away, -EIO if the device
 * announced DEVICE_NEEDS_RESET (it may stop processing), -EPROTO if the
 * queue is broken. */
int vmsg_host_vq_wait(struct vmsg_host_vq *vq, int timeout_ms);
/* Used notifications (EVENT_USED) on or off (off: poll get_used). */
void vmsg_host_vq_set_notify(struct vmsg_host_vq *vq, bool on);

/* The queue's split ring (fw_shared driver side) for a poll-mode driver
 * that runs its own data path without the bus lock (userspace_pmd/net_vmsg):
 * it then adds and takes chains only with vmsg_vq_drv_*() on this ring,
 * keeps its own cookies, checks vmsg_vq_drv_get_used() for -EPROTO itself,
 * and kicks with vmsg_host_vq_kick() (which locks the bus only when the
 * device asked for a notification). Never mix it with vmsg_host_vq_add()
 * and vmsg_host_vq_get_used() on one queue. NULL while the queue is not
 * active. */
struct vmsg_vq_drv *vmsg_host_vq_ring(struct vmsg_host_vq *vq);

/* One line of ring state for diagnostics (indices as in memory). */
void vmsg_host_vq_describe(const struct vmsg_host_vq *vq, char *buf, size_t len);

/* Chains in flight when the queue stopped (device reset, queue reset, device
 * gone): hand each cookie to drop (may be NULL) and forget them. Only for an
 * inactive queue (-EBUSY otherwise). Returns how many. */
int vmsg_host_vq_reclaim(struct vmsg_host_vq *vq, void (*drop)(void *arg, void *cookie), void *arg);
/* RESET_VQUEUE (needs VIRTIO_F_RING_RESET), confirmed by GET_VQUEUE; the
 * queue becomes inactive. */
int vmsg_host_vq_reset(struct vmsg_host_vq *vq);
/* Program an inactive queue again (fresh rings, SET_VQUEUE + GET_VQUEUE);
 * reclaim first. */
int vmsg_host_vq_restart(struct vmsg_host_vq *vq);

#endif /* VMSG_HOST_DEV_H */
