/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_devices.h - the card's virtio device backends (Linux user space).
 *
 * Each constructor returns a struct vmsg_dev ready for vmsg_card_add_device()
 * (ops, priv, features, config, queues filled), or NULL with a one-line
 * reason in err ("blk: cannot open disk.img: No such file or directory").
 * Free with vmsg_device_destroy() (or ops->destroy) once the engine is done
 * with it. Every backend offers VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM
 * and VIRTIO_F_RING_RESET, and refuses FEATURES_OK without VERSION_1.
 */
#ifndef VMSG_DEVICES_H
#define VMSG_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsg_dev.h"

/* virtio device ids */
#define VMSG_VIRTIO_ID_NET     1u
#define VMSG_VIRTIO_ID_BLOCK   2u
#define VMSG_VIRTIO_ID_CONSOLE 3u
#define VMSG_VIRTIO_ID_RNG     4u

/*
 * Parse a device spec and build the device:
 *   net:loopback[,mac=XX:XX:XX:XX:XX:XX]
 *   net:tap:IFNAME[,create][,mac=XX:XX:XX:XX:XX:XX]
 *       (an existing tap only; with create, made when it does not exist)
 *   blk:PATH[,ro]
 *   rng
 *   console:stdio | console:pty
 */
struct vmsg_dev *vmsg_device_from_spec(const char *spec, char *err, size_t errlen);

/* ops->destroy(d); NULL is fine. */
void vmsg_device_destroy(struct vmsg_dev *d);

/* ---- virtio-net (rx = queue 0, tx = queue 1) ---- */

/* mac NULL: a random locally administered unicast address. */
struct vmsg_dev *vmsg_net_loopback_create(const uint8_t *mac, char *err, size_t errlen);
/* Opens /dev/net/tun as IFF_TAP | IFF_NO_PI (needs CAP_NET_ADMIN), attached to
 * the existing tap ifname; a missing ifname is an error unless create is set
 * (then a new tap is made, removed again when the device is destroyed). */
struct vmsg_dev *vmsg_net_tap_create(const char *ifname, bool create, const uint8_t *mac, char *err,
				     size_t errlen);

struct vmsg_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped; /* malformed, oversized, or the backend refused */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped;   /* loopback queue full */
	uint64_t rx_too_small; /* receive buffer smaller than the frame */
	uint64_t pending;      /* frames held waiting for receive buffers */
	uint64_t bad_chains;   /* malformed chains (either queue): consumed, never returned */

	/* Notifications and buffers per frame (vmsg-bench vm profiles). */
	uint64_t rx_kicks, tx_kicks; /* EVENT_AVAIL received per queue (queue_notify) */
	uint64_t rx_bufs;	     /* receive chains filled (MRG_RXBUF: several per frame) */
};
/* 0, or -1 if d is not a net device. */
int vmsg_net_get_stats(struct vmsg_dev *d, struct vmsg_net_stats *st);

/* ---- virtio-blk (one request queue) ---- */

struct vmsg_dev *vmsg_blk_create(const char *path, bool read_only, char *err, size_t errlen);

struct vmsg_blk_stats {
	uint64_t reads, writes, flushes, get_ids;
	uint64_t read_bytes, write_bytes;
	uint64_t ioerr, unsupp, bad_chains;
	/* requests whose data the kernel moved to/from host memory directly
	 * (vmsg_dev_host_direct), and those refused there (a buffer outside
	 * host memory: IOERR) */
	uint64_t direct, direct_refused;
	/* 1 while file I/O goes through io_uring (the only path that goes
	 * direct), 0 when it is synchronous (no io_uring: e.g. under qemu-user) */
	uint64_t async_io;
};
int vmsg_blk_get_stats(struct vmsg_dev *d, struct vmsg_blk_stats *st);

/* ---- virtio-rng (one request queue) ---- */

struct vmsg_dev *vmsg_rng_create(char *err, size_t errlen);

/* ---- virtio-console, port 0 only (receiveq = 0, transmitq = 1) ---- */

struct vmsg_dev *vmsg_console_stdio_create(char *err, size_t errlen);
struct vmsg_dev *vmsg_console_pty_create(char *err, size_t errlen);
/* Over caller-given descriptors (made non-blocking; the device closes them
 * on destroy). in_fd or out_fd may be -1. */
struct vmsg_dev *vmsg_console_fd_create(int in_fd, int out_fd, char *err, size_t errlen);
/* The pty's slave path, or NULL for other backends. */
const char *vmsg_console_pty_path(struct vmsg_dev *d);

struct vmsg_console_stats {
	uint64_t tx_bytes, tx_dropped; /* host -> backend */
	uint64_t rx_bytes;	       /* backend -> host */
};
int vmsg_console_get_stats(struct vmsg_dev *d, struct vmsg_console_stats *st);

#endif /* VMSG_DEVICES_H */
