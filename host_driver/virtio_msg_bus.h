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
 *
 * Lifetime of a device, as seen by the bus:
 *
 *   vmdev = virtio_msg_device_add(bus, n);   GET_DEVICE_INFO; no driver yet
 *   publish vmdev in the dispatch table: events flow from here on
 *   virtio_msg_device_register(vmdev);       the driver's probe may run now
 *   ... virtio_msg_device_event(vmdev, ...) from the interrupt path ...
 *   then one of:
 *   a) graceful (card alive: rmmod, PCI remove of a present card, or
 *      EVENT_DEVICE REMOVED):
 *        virtio_msg_device_unregister(vmdev);  events still flow meanwhile
 *        unpublish vmdev and wait for running dispatches
 *        virtio_msg_device_remove(vmdev);      frees
 *   b) dead (link dead, surprise removal, AER):
 *        virtio_msg_device_break(vmdev);       any context, fails fast
 *        fail pending requests, fence the card (no more DMA into host memory)
 *        unpublish vmdev and wait for running dispatches
 *        virtio_msg_device_remove(vmdev);      breaks, unregisters, frees
 *
 * Calls for one vmdev other than virtio_msg_device_event() and
 * virtio_msg_device_break() must not run concurrently with each other.
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
	 * Called from process context only (a per-device mutex held); the
	 * transport may call it concurrently for different devices and
	 * serializes the requests of one device. It must not call back into
	 * the transport's add/unregister/remove for the same device.
	 */
	int (*request)(struct virtio_msg_bus *bus, const void *req, size_t len,
		       void *resp, size_t resp_cap, unsigned int timeout_ms);
	/*
	 * Same, for callers that cannot sleep: busy-polls the response with
	 * a bounded spin (timeout_us). Used only for config reads that miss
	 * the cache in atomic context (rare: the cache is filled by the first
	 * read in probe). May be called with interrupts disabled, so it must
	 * poll the response ring itself rather than wait for its interrupt.
	 * It may overlap one request() of the same device. May be NULL: such
	 * reads then return zeros.
	 */
	int (*request_atomic)(struct virtio_msg_bus *bus, const void *req,
			      size_t len, void *resp, size_t resp_cap,
			      unsigned int timeout_us);
	/*
	 * Send a one-way message (EVENT_AVAIL). Never sleeps; callable from
	 * any context, including from inside virtio_msg_device_event() (a
	 * virtqueue callback that kicks), so it must not take a lock the bus
	 * holds while it dispatches events. If the ring is full the bus
	 * queues the notification and sends it when space frees
	 * (notifications coalesce per queue).
	 * Returns 0 (sent, or held to be sent), or the error that made the
	 * bus drop it: -ENODEV when the device or the link is dead, or
	 * another negative errno (-EINVAL, -EMSGSIZE, -EIO, -EAGAIN for an
	 * event it cannot hold). The transport then reports the virtqueue
	 * broken.
	 */
	int (*send_event)(struct virtio_msg_bus *bus, const void *msg, size_t len);
	/*
	 * Optional (added by the transport, may be NULL). The transport lost
	 * control of device dev_num: its reset did not complete (no status 0
	 * within the reset timeout, [RST-3]). Before returning, the bus must
	 * make sure the card no longer accesses host memory for that device
	 * (e.g. treat the card as failed and fence it: pci_clear_master()),
	 * and it should schedule the removal of the card's devices. It must
	 * not call virtio_msg_device_remove()/unregister() synchronously (it
	 * runs inside the virtio driver's remove or probe). May sleep.
	 * Returns 0 when fenced; otherwise, and when the op is NULL, the
	 * transport leaks that device's virtqueue memory instead of freeing
	 * memory the card may still write.
	 */
	int (*fence)(struct virtio_msg_bus *bus, u16 dev_num);
	/*
	 * Optional (all three or none): out-of-band notifications for one
	 * virtqueue (the PCIe binding's OOB_NOTIFY, section 7.5).
	 * oob_setup: called before the queue's SET_VQUEUE, process context,
	 * may sleep. Returns a handle >= 0 when the bus notifies this queue
	 * out of band: kicks then go to oob_kick() instead of send_event(),
	 * and the bus reports used buffers by calling
	 * virtio_msg_device_used() (in-band EVENT_USED keeps working). A
	 * negative value: this queue stays in-band.
	 * oob_kick: one kick of the queue; any context, never sleeps, must not
	 * take a lock shared with other queues. 0, or -ENODEV (link dead:
	 * the transport reports the queue broken, as for send_event()).
	 * oob_release: the device no longer uses the queue (after its reset,
	 * RESET_VQUEUE or death); the handle is given back. May sleep.
	 */
	int (*oob_setup)(struct virtio_msg_bus *bus, u16 dev_num, u32 index);
	int (*oob_kick)(struct virtio_msg_bus *bus, int handle);
	void (*oob_release)(struct virtio_msg_bus *bus, int handle);
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
 * EVENT_DEVICE READY). Process context, may sleep. Sends GET_DEVICE_INFO
 * (synchronously: a failure is returned here) and returns the device,
 * not yet registered. Returns the device or an ERR_PTR (-EINVAL: unusable
 * bus parameters, -ENODEV/-ETIMEDOUT/-EIO/-EPROTO: GET_DEVICE_INFO failed
 * or was invalid, -ENOMEM).
 */
struct virtio_msg_device *virtio_msg_device_add(struct virtio_msg_bus *bus,
						u16 dev_num);

/*
 * Register the virtio device (parent bus->dma_dev) of an added vmdev,
 * asynchronously from a work item. The bus calls it once it has published
 * vmdev for event dispatch, never before: the driver's probe needs the
 * device's events (virtio_blk's partition scan waits for an EVENT_USED,
 * without a timeout). Any context that may sleep; a dead or removed
 * device is not registered.
 */
void virtio_msg_device_register(struct virtio_msg_device *vmdev);

/*
 * Graceful removal, the device still answers (added by the transport):
 * waits for the pending registration, unregisters the virtio device (the
 * driver's remove flushes its I/O, resets the device and deletes its
 * queues through live messages, so the bus must keep dispatching events to
 * vmdev during this call), then marks the device dead: further requests
 * fail with -ENODEV and events are ignored. vmdev stays allocated until
 * virtio_msg_device_remove(). Process context, may sleep.
 */
void virtio_msg_device_unregister(struct virtio_msg_device *vmdev);

/*
 * Called by the bus on EVENT_DEVICE REMOVED, link death, or bus removal.
 * Marks the device broken first (every further request fails fast with
 * -ENODEV, virtqueues are broken so drivers stop), then unregisters it
 * (unless virtio_msg_device_unregister() did already) and frees vmdev.
 * Before calling it the bus must have stopped dispatching events to vmdev
 * (unpublished it and waited for running dispatches), since vmdev is freed
 * on return, and for a dead card it must have fenced the card, since the
 * virtqueue memory is freed here. Process context, may sleep. The
 * virtio-blk requests a dead device still held are failed with an I/O
 * error before the driver's remove (exact for a device that completes in
 * order), so del_gendisk does not wait forever; the bus must have fenced
 * the card first, else a card still running races with that. Other device
 * types keep their 6.1 behaviour; call this from a work item.
 */
void virtio_msg_device_remove(struct virtio_msg_device *vmdev);

/*
 * Mark broken without unregistering (link dead, surprise removal); from
 * any context. Every further request of the device fails with -ENODEV
 * without reaching the bus; requests already inside bus->ops->request()
 * are the bus's to fail. Idempotent.
 */
void virtio_msg_device_break(struct virtio_msg_device *vmdev);

/*
 * Called by the bus for every transport event addressed to this device
 * (EVENT_CONFIG, EVENT_USED), from interrupt or softirq context (any
 * context that does not hold locks the virtio drivers' callbacks take).
 * The message has been validated by the bus. The bus delivers a device's
 * events and responses in the order the card sent them (one c2h ring: an
 * EVENT_CONFIG sent before a response is dispatched before that response
 * completes its request). Never sleeps; concurrent calls are safe. The
 * virtqueue callbacks (vring_interrupt()) and virtio_config_changed() run
 * inside it, so it must not be called with a lock held that a virtio
 * driver's callback could take.
 */
void virtio_msg_device_event(struct virtio_msg_device *vmdev, const void *msg,
			     size_t len);

/*
 * Send EVENT_AVAIL again for every virtqueue the device has set up, for a
 * bus that could not keep its notifications apart (a full table of held
 * back EVENT_AVAILs, [EVT-3]). Calls bus->ops->send_event(), so it must not
 * be called with a lock held that send_event() takes. Never sleeps; the bus
 * must keep vmdev alive across the call (as for virtio_msg_device_event()).
 */
void virtio_msg_device_notify_all(struct virtio_msg_device *vmdev);

/*
 * Used buffers on queue index (an EVENT_USED the bus synthesized from an
 * out-of-band notification): runs the queue's vring_interrupt(). Same
 * context rules as virtio_msg_device_event(); may be called from a hard
 * interrupt handler. An index with no queue set up is ignored.
 */
void virtio_msg_device_used(struct virtio_msg_device *vmdev, u32 index);

u16 virtio_msg_device_num(const struct virtio_msg_device *vmdev);

#endif /* VIRTIO_MSG_BUS_H */
