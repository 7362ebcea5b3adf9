/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_msg_bus.h - the bus-agnostic boundary between the generic
 * virtio-msg transport (virtio_msg.ko) and a bus driver (vmsg_pci.ko today;
 * a loopback or FF-A bus could plug in the same way).
 *
 * The bus owns the wire: tokens, rings, epochs, interrupts, liveness. The
 * transport owns the virtio device: virtio_config_ops, virtqueues, config
 * cache. Messages cross this boundary as complete virtio-msg messages
 * (header + payload, little-endian, fw_shared layouts); the transport leaves
 * the token 0 and the bus fills it.
 */
#ifndef VIRTIO_MSG_BUS_H
#define VIRTIO_MSG_BUS_H

#include <linux/device.h>
#include <linux/types.h>

struct virtio_msg_bus;
struct virtio_msg_device;

struct virtio_msg_bus_ops {
	/*
	 * Send a request and wait for its response (up to timeout_ms).
	 * May sleep. Returns the response length (> 0, already validated by
	 * the bus with the fw_shared validator and matched to this request),
	 * -ETIMEDOUT, -ENODEV (device removed, bus ERROR NO_DEVICE, or link
	 * dead), -EMSGSIZE, -EIO.
	 */
	int (*request)(struct virtio_msg_bus *bus, const void *req, size_t len,
		       void *resp, size_t resp_cap, unsigned int timeout_ms);
	/*
	 * Same, for callers that cannot sleep: busy-polls the response with
	 * a bounded spin (timeout_us). Used only for config reads that miss
	 * the cache in atomic context.
	 */
	int (*request_atomic)(struct virtio_msg_bus *bus, const void *req,
			      size_t len, void *resp, size_t resp_cap,
			      unsigned int timeout_us);
	/*
	 * Send a one-way message (EVENT_AVAIL). Never sleeps; callable from
	 * any context. If the ring is full the bus queues the notification
	 * and sends it when space frees (notifications coalesce per queue).
	 */
	int (*send_event)(struct virtio_msg_bus *bus, const void *msg, size_t len);
};

struct virtio_msg_bus {
	struct device *dma_dev;	/* the device whose DMA API maps vrings */
	const struct virtio_msg_bus_ops *ops;
	const char *name;	/* for logs and bus_name() */
	u32 max_msg_size;	/* advertised, header included */
	u32 revision;		/* virtio-msg transport revision */
	u32 dma_addr_bits;	/* what the far side can reach */
	void *priv;		/* bus private */
};

/*
 * Called by the bus when a device number is present (enumeration or
 * EVENT_DEVICE READY). Sends GET_DEVICE_INFO and registers a virtio device
 * whose parent is bus->dma_dev. Returns the device or an ERR_PTR.
 */
struct virtio_msg_device *virtio_msg_device_add(struct virtio_msg_bus *bus,
						u16 dev_num);

/*
 * Called by the bus on EVENT_DEVICE REMOVED, link death, or bus removal.
 * Marks the device broken first (every further request fails fast with
 * -ENODEV, virtqueues are broken so drivers stop), then unregisters it.
 * May sleep.
 */
void virtio_msg_device_remove(struct virtio_msg_device *vmdev);

/* Mark broken without unregistering (link dead, surprise removal); from
 * any context. */
void virtio_msg_device_break(struct virtio_msg_device *vmdev);

/*
 * Called by the bus for every transport event addressed to this device
 * (EVENT_CONFIG, EVENT_USED), from interrupt or softirq context. The
 * message has been validated by the bus.
 */
void virtio_msg_device_event(struct virtio_msg_device *vmdev, const void *msg,
			     size_t len);

u16 virtio_msg_device_num(const struct virtio_msg_device *vmdev);

#endif /* VIRTIO_MSG_BUS_H */
