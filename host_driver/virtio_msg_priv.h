/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_msg_priv.h - internals of the generic virtio-msg transport
 * (virtio_msg.ko), shared by its source files.
 *
 * Locks of a device, outermost first:
 *   cfg_mutex  serializes config cache refreshes and config writes (sleeps)
 *   req_lock   serializes this device's sleeping requests and owns the
 *              req/resp buffers (sleeps)
 *   cfg_lock   spinlock (irqsave): config cache, generation, device status
 *   vq_lock    spinlock (irqsave): the virtqueue table used by EVENT_USED;
 *              vring_interrupt() runs under it, so taking and releasing it
 *              synchronizes with every virtqueue callback
 */
#ifndef VIRTIO_MSG_PRIV_H
#define VIRTIO_MSG_PRIV_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/workqueue.h>

#include "virtio_msg.h"
#include "virtio_msg_build.h"
#include "virtio_msg_bus.h"
#include "virtio_msg_compat.h"

/* SET_VQUEUE and the GET_VQUEUE response are 48 bytes (erratum E-1 of v1, pcie-binding.md 14). */
#define VM_MSG_MIN_SIZE VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_set_vqueue_req))
/* Largest message the transport builds or accepts (bounds its buffers). */
#define VM_MSG_MAX_SIZE 4096u
/* Largest config space accepted from GET_DEVICE_INFO. */
#define VM_CONFIG_MAX_SIZE 4096u
/* Config data bytes per GET_CONFIG on the atomic (stack buffer) path. */
#define VM_ATOMIC_CFG_CHUNK 32u
/* Largest split virtqueue (virtio 1.x). */
#define VM_VQ_MAX_NUM 32768u
/* Bounded retries: SET_CONFIG generation refusals, torn config snapshots. */
#define VM_CFG_RETRIES 3

/* vmdev->flags bits */
enum {
	VM_DEAD,	/* every request fails with -ENODEV, events ignored */
	VM_VDEV_LIVE,	/* vdev locks initialized by register_virtio_device() */
	VM_REGISTERED,	/* register_virtio_device() was called (put_device) */
	VM_REG_OK,	/* ... and succeeded */
	VM_UNREGISTERED, /* unregister_virtio_device() was called */
	VM_UNSAFE,	/* reset failed and not fenced: never free vrings */
	VM_FAILING,	/* vmsg_blk_fail_inflight() runs: queues unbroken */
};

struct virtio_msg_device {
	struct virtio_device vdev;
	struct virtio_msg_bus *bus;
	u16 dev_num;
	unsigned long flags;

	/* GET_DEVICE_INFO, host byte order */
	struct vmsg_device_info info;
	u32 msg_max;		/* message size the transport uses */
	u32 cfg_chunk;		/* config bytes per GET/SET_CONFIG */

	struct mutex req_lock;	/* owns req/resp, one request at a time */
	u8 *req;		/* msg_max bytes, under req_lock */
	u8 *resp;		/* msg_max bytes, under req_lock */

	/* config cache and status, under cfg_lock */
	spinlock_t cfg_lock;
	u8 *cfg;		/* info.config_size bytes */
	u32 cfg_gen;
	u32 cfg_seq;		/* bumped by every EVENT_CONFIG */
	bool cfg_valid;
	u32 status;		/* last status the device reported */

	struct mutex cfg_mutex;	/* cache refreshes and config writes */
	u8 *cfg_shadow;		/* refresh buffer, under cfg_mutex */
	struct work_struct cfg_work;	/* refresh, then virtio_config_changed */

	/* virtqueue table for EVENT_USED, under vq_lock */
	spinlock_t vq_lock;
	struct virtqueue **vqs;
	unsigned int nvqs;

	struct work_struct reg_work;	/* register_virtio_device() */
	struct work_struct break_work;	/* virtio_break_device() from irq */
};

static inline struct virtio_msg_device *to_vmdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_msg_device, vdev);
}

static inline bool vm_dead(const struct virtio_msg_device *vm)
{
	return test_bit(VM_DEAD, &vm->flags);
}

static inline bool vm_has(const struct virtio_msg_device *vm, unsigned int f)
{
	return __virtio_test_bit(&vm->vdev, f);
}

#define vm_err(vm, fmt, ...) \
	dev_err((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
		(vm)->dev_num, ##__VA_ARGS__)
#define vm_warn(vm, fmt, ...) \
	dev_warn((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
		 (vm)->dev_num, ##__VA_ARGS__)
#define vm_info(vm, fmt, ...) \
	dev_info((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
		 (vm)->dev_num, ##__VA_ARGS__)
#define vm_dbg(vm, fmt, ...) \
	dev_dbg((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
		(vm)->dev_num, ##__VA_ARGS__)
#define vm_err_rl(vm, fmt, ...) \
	dev_err_ratelimited((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
			    (vm)->dev_num, ##__VA_ARGS__)
#define vm_warn_rl(vm, fmt, ...) \
	dev_warn_ratelimited((vm)->bus->dma_dev, "virtio-msg dev %u: " fmt, \
			     (vm)->dev_num, ##__VA_ARGS__)

/* virtio_msg_core.c: requests and failure handling */
int vmsg_xfer(struct virtio_msg_device *vm, size_t req_len, size_t min_pl,
	      size_t max_pl);
int vmsg_xfer_atomic(struct virtio_msg_device *vm, const void *req,
		     size_t req_len, void *resp, size_t resp_cap, size_t min_pl,
		     size_t max_pl);
void vmsg_fail(struct virtio_msg_device *vm, const char *what, int err);
void vmsg_lost(struct virtio_msg_device *vm);
void vmsg_break_vqs(struct virtio_msg_device *vm);
bool vmsg_may_sleep(void);
unsigned int vmsg_reset_timeout_ms(void);

/* Payload of the response in vm->resp (req_lock held). */
static inline void *vm_payload(struct virtio_msg_device *vm)
{
	return vm->resp + VIRTIO_MSG_HEADER_SIZE;
}

/* virtio_msg_config.c */
extern const struct virtio_config_ops vmsg_config_ops;
int vmsg_cfg_refresh(struct virtio_msg_device *vm);
void vmsg_event_config(struct virtio_msg_device *vm, const u8 *pl, size_t n);
void vmsg_cfg_work(struct work_struct *work);

/* virtio_msg_vq.c (vmsg_find_vqs_common() is declared in the compat header) */
void vmsg_del_vqs(struct virtio_device *vdev);
void vmsg_synchronize_cbs(struct virtio_device *vdev);
int vmsg_disable_vq_and_reset(struct virtqueue *vq);
int vmsg_enable_vq_after_reset(struct virtqueue *vq);
void vmsg_event_used(struct virtio_msg_device *vm, const u8 *pl, size_t n);

#endif /* VIRTIO_MSG_PRIV_H */
