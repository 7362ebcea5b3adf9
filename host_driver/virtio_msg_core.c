// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_msg_core.c - the generic virtio-msg transport: device lifetime,
 * requests, events, module.
 *
 * A bus driver (vmsg_pci.ko) owns the wire and calls in through
 * virtio_msg_bus.h; this module turns every virtio_config_ops operation into
 * virtio-msg requests (virtio_msg_config.c, virtio_msg_vq.c), built with the
 * fw_shared builders, and checks every response field it uses.
 *
 * Failure policy: a request that times out, gets a malformed answer, or
 * finds the device gone leaves the device in an unknown state, so the
 * device is marked broken (virtio_break_device(): the driver's virtqueues
 * fail) and the error is logged, rate limited. Operations that return an
 * error report it; the void ones (set_status, reset, config get/set) only
 * break. A dead device (virtio_msg_device_break()) fails every request with
 * -ENODEV before it reaches the bus, so a driver's remove path never waits,
 * and before a dead virtio-blk device's driver is removed the requests the
 * device still held are failed with an I/O error (vmsg_blk_fail_inflight(),
 * virtio_msg_compat_blk.c), so del_gendisk() does not wait for them forever.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "virtio_msg_priv.h"

/* Defaults follow the PCIe binding (VMSG_PCIE_*_TIMEOUT_MS, [TMO-2/3]). */
static unsigned int request_timeout_ms = 2000;
module_param(request_timeout_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "Timeout of one request in ms (10..60000, default 2000)");

static unsigned int reset_timeout_ms = 5000;
module_param(reset_timeout_ms, uint, 0644);
MODULE_PARM_DESC(reset_timeout_ms,
		 "Device reset completion timeout in ms (10..60000, default 5000)");

static unsigned int atomic_timeout_us = 20000;
module_param(atomic_timeout_us, uint, 0644);
MODULE_PARM_DESC(atomic_timeout_us,
		 "Busy-wait bound of a config read from atomic context in us (100..200000, default 20000)");

static unsigned int vm_request_timeout_ms(void)
{
	return clamp_val(READ_ONCE(request_timeout_ms), 10u, 60000u);
}

unsigned int vmsg_reset_timeout_ms(void)
{
	return clamp_val(READ_ONCE(reset_timeout_ms), 10u, 60000u);
}

static unsigned int vm_atomic_timeout_us(void)
{
	return clamp_val(READ_ONCE(atomic_timeout_us), 100u, 200000u);
}

/*
 * Whether the caller may sleep (to send a request and wait for it). Only
 * the config read path asks (a cache miss); everything else is process
 * context by the virtio_config_ops rules. The virtio core's config
 * accessors (virtio_cread*()) call might_sleep() before get(): their
 * callers may sleep by contract, so the read sleeps unless the context is
 * visibly atomic: interrupt or softirq, interrupts off, and with
 * CONFIG_PREEMPT_COUNT also preemption off (spinlocks, preempt_disable(),
 * bottom halves disabled) or an RCU read-side section. Only in those the
 * read busy-polls. Without CONFIG_PREEMPT_COUNT a plain spinlock is
 * invisible; a caller holding one breaks the accessors' contract anyway.
 */
bool vmsg_may_sleep(void)
{
	if (!in_task() || irqs_disabled())
		return false;
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT) && preempt_count())
		return false;
	return !rcu_preempt_depth();
}

/*
 * Check the response to req: a transport response for our device with the
 * request's id and a payload of min_pl..max_pl bytes. The bus validated the
 * message and matched it by token; this is the transport's own check of
 * the fields it relies on. Returns the payload length or -EPROTO.
 */
static int vm_check_resp(struct virtio_msg_device *vm, const void *req,
			 const void *resp, int rlen, size_t cap, size_t min_pl,
			 size_t max_pl)
{
	const struct virtio_msg_header *rq = req, *rs = resp;
	size_t pl;

	if (rlen < (int)VIRTIO_MSG_HEADER_SIZE || (size_t)rlen > cap)
		goto bad;
	if ((rs->type & (VIRTIO_MSG_TYPE_RESPONSE | VIRTIO_MSG_TYPE_BUS)) !=
	    VIRTIO_MSG_TYPE_RESPONSE || rs->msg_id != rq->msg_id ||
	    le16_to_cpu(rs->dev_num) != vm->dev_num ||
	    le16_to_cpu(rs->msg_size) != rlen)
		goto bad;
	pl = rlen - VIRTIO_MSG_HEADER_SIZE;
	if (pl < min_pl || pl > max_pl)
		goto bad;
	return pl;
bad:
	vm_err_rl(vm, "bad response to message 0x%02x (%d bytes)\n",
		  rq->msg_id, rlen);
	return -EPROTO;
}

/*
 * Send the request built in vm->req (req_len bytes; 0 means the builder
 * failed) and receive its response into vm->resp. Caller holds req_lock.
 * Returns the payload length (min_pl..max_pl) or a negative errno.
 */
int vmsg_xfer(struct virtio_msg_device *vm, size_t req_len, size_t min_pl,
	      size_t max_pl)
{
	int ret;

	lockdep_assert_held(&vm->req_lock);
	if (!req_len)
		return -EMSGSIZE;
	if (vm_dead(vm))
		return -ENODEV;
	ret = vm->bus->ops->request(vm->bus, vm->req, req_len, vm->resp,
				    vm->msg_max, vm_request_timeout_ms());
	if (ret < 0)
		return ret;
	return vm_check_resp(vm, vm->req, vm->resp, ret, vm->msg_max, min_pl,
			     max_pl);
}

/* vmsg_xfer() for atomic context, with the caller's buffers; never sleeps. */
int vmsg_xfer_atomic(struct virtio_msg_device *vm, const void *req,
		     size_t req_len, void *resp, size_t resp_cap, size_t min_pl,
		     size_t max_pl)
{
	int ret;

	if (!req_len)
		return -EMSGSIZE;
	if (vm_dead(vm))
		return -ENODEV;
	if (!vm->bus->ops->request_atomic)
		return -EOPNOTSUPP;
	ret = vm->bus->ops->request_atomic(vm->bus, req, req_len, resp,
					   resp_cap, vm_atomic_timeout_us());
	if (ret < 0)
		return ret;
	return vm_check_resp(vm, req, resp, ret, resp_cap, min_pl, max_pl);
}

static void vm_break_work(struct work_struct *work)
{
	struct virtio_msg_device *vm =
		container_of(work, struct virtio_msg_device, break_work);

	vmsg_break_vqs(vm);	/* in_task(): breaks now, unless VM_FAILING */
}

/*
 * Break the virtqueues. virtio_break_device() takes vqs_list_lock without
 * disabling interrupts, so from interrupt context it is deferred to a work
 * item (dead devices already fail their notifications, which breaks each
 * virtqueue on its next kick). Before register_virtio_device() initialized
 * the lock there is nothing to break.
 */
void vmsg_break_vqs(struct virtio_msg_device *vm)
{
	/*
	 * Not while vmsg_blk_fail_inflight() runs: a queue broken between its
	 * completions and the driver collecting them would strand them. The
	 * device is dead then, and every queue is broken again at the end.
	 */
	if (!test_bit(VM_VDEV_LIVE, &vm->flags) ||
	    test_bit(VM_FAILING, &vm->flags))
		return;
	if (in_task())
		virtio_break_device(&vm->vdev);
	else
		schedule_work(&vm->break_work);
}

/*
 * A request of a virtio op failed: log and, unless the failure is local
 * (nothing reached the device), break the device. Quiet when the device
 * is dead: that is removal, already logged by the bus.
 */
void vmsg_fail(struct virtio_msg_device *vm, const char *what, int err)
{
	if (err == -EMSGSIZE || err == -EINVAL || err == -EOPNOTSUPP) {
		vm_err_rl(vm, "%s: cannot send (%d)\n", what, err);
		return;
	}
	if (!vm_dead(vm))
		vm_err_rl(vm, "%s failed (%d): device marked broken\n", what,
			  err);
	vmsg_break_vqs(vm);
}

/*
 * The device did not quiesce (reset or queue reset failed): the transport
 * gives up on it ([RST-3]: the card is treated as failed). It becomes dead
 * (requests fail fast, so the driver's teardown does not wait again), and
 * since its virtqueue memory may still be written by the card, the bus is
 * asked to fence the card; if it cannot, that memory is never freed
 * ([DMA-4]).
 */
void vmsg_lost(struct virtio_msg_device *vm)
{
	if (vm_dead(vm))
		return;	/* the bus fences a dead card before remove */
	if (!vm->bus->ops->fence || vm->bus->ops->fence(vm->bus, vm->dev_num)) {
		set_bit(VM_UNSAFE, &vm->flags);
		vm_err(vm, "device lost and not fenced: its virtqueue memory will be leaked\n");
	} else {
		vm_err(vm, "device lost: card fenced\n");
	}
	set_bit(VM_DEAD, &vm->flags);
}

static int vm_get_info(struct virtio_msg_device *vm)
{
	const struct virtio_msg_get_device_info_resp *r;
	struct vmsg_device_info *di = &vm->info;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_get_device_info_req(vm->req, vm->msg_max, vm->dev_num,
					     0);
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r));
	if (ret >= 0) {
		r = vm_payload(vm);
		di->device_id = le32_to_cpu(r->device_id);
		di->vendor_id = le32_to_cpu(r->vendor_id);
		di->num_feature_bits = le32_to_cpu(r->num_feature_bits);
		di->config_size = le32_to_cpu(r->config_size);
		di->max_virtqueues = le32_to_cpu(r->max_virtqueues);
		di->admin_vq_start = le16_to_cpu(r->admin_vq_start);
		di->admin_vq_count = le16_to_cpu(r->admin_vq_count);
		ret = 0;
	}
	mutex_unlock(&vm->req_lock);
	if (ret) {
		vm_err_rl(vm, "GET_DEVICE_INFO failed (%d)\n", ret);
		return ret;
	}
	if (!di->device_id) {
		vm_err(vm, "device id 0 (reserved): not a device\n");
		return -ENODEV;
	}
	if (di->config_size > VM_CONFIG_MAX_SIZE) {
		vm_err(vm, "config space of %u bytes (max %u)\n",
		       di->config_size, VM_CONFIG_MAX_SIZE);
		return -EPROTO;
	}
	if (di->num_feature_bits % 32)
		vm_warn(vm, "num_feature_bits %u is not a multiple of 32\n",
			di->num_feature_bits);
	vm_dbg(vm, "device id %u vendor %#x features %u config %u vqs %u\n",
	       di->device_id, di->vendor_id, di->num_feature_bits,
	       di->config_size, di->max_virtqueues);
	return 0;
}

static void vm_free(struct virtio_msg_device *vm)
{
	kfree(vm->vqs);
	kfree(vm->cfg_shadow);
	kfree(vm->cfg);
	kfree(vm->resp);
	kfree(vm->req);
	kfree(vm);
}

/* struct device release of the virtio device: the last reference is gone. */
static void vm_release(struct device *dev)
{
	vm_free(to_vmdev(dev_to_virtio(dev)));
}

static void vm_reg_work(struct work_struct *work)
{
	struct virtio_msg_device *vm =
		container_of(work, struct virtio_msg_device, reg_work);
	int err;

	if (vm_dead(vm))
		return;
	/* From here on vm is freed through put_device(), success or not. */
	set_bit(VM_REGISTERED, &vm->flags);
	err = register_virtio_device(&vm->vdev);
	if (err) {
		vm_err(vm, "cannot register the virtio device (%d)\n", err);
		return;
	}
	/* The bus's handle: dropped by virtio_msg_device_remove(). */
	get_device(&vm->vdev.dev);
	set_bit(VM_REG_OK, &vm->flags);
	vm_info(vm, "virtio device type %u registered as %s\n",
		vm->info.device_id, dev_name(&vm->vdev.dev));
}

struct virtio_msg_device *virtio_msg_device_add(struct virtio_msg_bus *bus,
						u16 dev_num)
{
	struct virtio_msg_device *vm;
	int err = -ENOMEM;

	might_sleep();
	if (!bus || !bus->ops || !bus->ops->request || !bus->ops->send_event ||
	    !bus->dma_dev)
		return ERR_PTR(-EINVAL);
	if (bus->revision < VIRTIO_MSG_REVISION) {
		dev_err(bus->dma_dev, "virtio-msg: bus transport revision %u, need %u\n",
			bus->revision, VIRTIO_MSG_REVISION);
		return ERR_PTR(-EINVAL);
	}
	if (bus->max_msg_size < VM_MSG_MIN_SIZE) {
		dev_err(bus->dma_dev, "virtio-msg: bus max message size %u < %zu (SET_VQUEUE)\n",
			bus->max_msg_size, (size_t)VM_MSG_MIN_SIZE);
		return ERR_PTR(-EINVAL);
	}

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	vm->bus = bus;
	vm->dev_num = dev_num;
	vm->msg_max = min_t(u32, bus->max_msg_size, VM_MSG_MAX_SIZE);
	vm->cfg_chunk = VIRTIO_MSG_CONFIG_DATA_MAX(vm->msg_max);
	mutex_init(&vm->req_lock);
	mutex_init(&vm->cfg_mutex);
	spin_lock_init(&vm->cfg_lock);
	spin_lock_init(&vm->vq_lock);
	INIT_WORK(&vm->cfg_work, vmsg_cfg_work);
	INIT_WORK(&vm->reg_work, vm_reg_work);
	INIT_WORK(&vm->break_work, vm_break_work);

	vm->req = kmalloc(vm->msg_max, GFP_KERNEL);
	vm->resp = kmalloc(vm->msg_max, GFP_KERNEL);
	if (!vm->req || !vm->resp)
		goto fail;

	err = vm_get_info(vm);
	if (err)
		goto fail;
	if (vm->info.config_size) {
		err = -ENOMEM;
		vm->cfg = kzalloc(vm->info.config_size, GFP_KERNEL);
		vm->cfg_shadow = kzalloc(vm->info.config_size, GFP_KERNEL);
		if (!vm->cfg || !vm->cfg_shadow)
			goto fail;
	}

	vm->vdev.dev.parent = bus->dma_dev;
	vm->vdev.dev.release = vm_release;
	vm->vdev.config = &vmsg_config_ops;
	vm->vdev.id.device = vm->info.device_id;
	vm->vdev.id.vendor = vm->info.vendor_id;
	return vm;
fail:
	vm_free(vm);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_add);

/*
 * Register the virtio device, from a work item: the driver's probe must
 * not run in the bus's context (it sends requests the bus answers). The
 * bus calls this only once it dispatches the device's events: queued
 * from virtio_msg_device_add(), the work could run before the bus had
 * published the device, and an EVENT_USED of the probe (virtio_blk's
 * partition table read) was dropped for an unknown device. virtio_blk has
 * no request timeout, so that read never ended and its disk stayed claimed
 * by the partition scan: the next mount hung in bd_prepare_to_claim().
 */
void virtio_msg_device_register(struct virtio_msg_device *vm)
{
	queue_work(system_long_wq, &vm->reg_work);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_register);

/* Unregister the virtio device once (the driver's remove runs here). */
static void vm_unregister(struct virtio_msg_device *vm)
{
	if (test_bit(VM_REG_OK, &vm->flags) &&
	    !test_and_set_bit(VM_UNREGISTERED, &vm->flags))
		unregister_virtio_device(&vm->vdev);
}

void virtio_msg_device_unregister(struct virtio_msg_device *vm)
{
	might_sleep();
	cancel_work_sync(&vm->reg_work);
	vm_unregister(vm);
	set_bit(VM_DEAD, &vm->flags);
	cancel_work_sync(&vm->cfg_work);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_unregister);

void virtio_msg_device_remove(struct virtio_msg_device *vm)
{
	might_sleep();
	virtio_msg_device_break(vm);
	cancel_work_sync(&vm->reg_work);
	/*
	 * Dead with the driver still bound (not a graceful unregister): the
	 * card is fenced (the bus's part), the queues are broken (just
	 * above, synchronously: process context) and no deferred break is
	 * pending; fail what the dead device still held, so that the
	 * driver's remove does not wait for it.
	 */
	cancel_work_sync(&vm->break_work);
	if (test_bit(VM_REG_OK, &vm->flags) &&
	    !test_bit(VM_UNREGISTERED, &vm->flags))
		vmsg_blk_fail_inflight(vm);
	vm_unregister(vm);
	cancel_work_sync(&vm->cfg_work);
	cancel_work_sync(&vm->break_work);
	if (test_bit(VM_REGISTERED, &vm->flags))
		put_device(&vm->vdev.dev);	/* frees in vm_release() */
	else
		vm_free(vm);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_remove);

void virtio_msg_device_break(struct virtio_msg_device *vm)
{
	if (!test_and_set_bit(VM_DEAD, &vm->flags))
		vm_dbg(vm, "device dead\n");
	vmsg_break_vqs(vm);
}
EXPORT_SYMBOL_GPL(virtio_msg_device_break);

void virtio_msg_device_event(struct virtio_msg_device *vm, const void *msg,
			     size_t len)
{
	const struct virtio_msg_header *h = msg;
	const u8 *pl = (const u8 *)msg + VIRTIO_MSG_HEADER_SIZE;

	if (len < VIRTIO_MSG_HEADER_SIZE || len > VIRTIO_MSG_ABS_MAX_SIZE ||
	    le16_to_cpu(h->msg_size) != len ||
	    (h->type & (VIRTIO_MSG_TYPE_RESPONSE | VIRTIO_MSG_TYPE_BUS)) ||
	    le16_to_cpu(h->dev_num) != vm->dev_num) {
		vm_warn_rl(vm, "malformed event dropped\n");
		return;
	}
	if (vm_dead(vm))
		return;
	len -= VIRTIO_MSG_HEADER_SIZE;
	switch (h->msg_id) {
	case VIRTIO_MSG_EVENT_USED:
		vmsg_event_used(vm, pl, len);
		break;
	case VIRTIO_MSG_EVENT_CONFIG:
		vmsg_event_config(vm, pl, len);
		break;
	default:
		vm_warn_rl(vm, "unexpected message 0x%02x dropped\n",
			   h->msg_id);
		break;
	}
}
EXPORT_SYMBOL_GPL(virtio_msg_device_event);

u16 virtio_msg_device_num(const struct virtio_msg_device *vm)
{
	return vm->dev_num;
}
EXPORT_SYMBOL_GPL(virtio_msg_device_num);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("virtio-msg transport: virtio devices behind a message bus");
