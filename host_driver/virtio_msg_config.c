// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_msg_config.c - virtio_config_ops as virtio-msg messages: features,
 * status, reset, the config space (cached), shared memory; the ops table.
 *
 * Config cache. The whole config space (config_size from GET_DEVICE_INFO)
 * is kept as one consistent snapshot with its generation, read with
 * GET_CONFIG in chunks of max_msg_size - 20 bytes (all chunks must carry
 * the same generation, else the snapshot is re-read, bounded). The first
 * config read after a reset fills it (in practice from the driver's probe,
 * which may sleep); from then on get() and generation() never send a
 * message and are safe in any context. EVENT_CONFIG updates it: the data
 * it carries is applied at once in the interrupt path; an event without
 * data (or with an unusable range) queues a work item that re-reads the
 * space, and the driver's config_changed runs after that, so a driver
 * always reads the new values. Until then readers see the previous,
 * consistent snapshot. A read that misses the cache in atomic context (the
 * cache was invalidated by a reset and nobody read since) is a busy-polled
 * bus->ops->request_atomic() of just the requested bytes.
 *
 * Status. get_status() returns the last status the device reported: the
 * answer to SET_DEVICE_STATUS (which may clear FEATURES_OK: the core's
 * FEATURES_OK check reads exactly what the device answered), the reset
 * polling, and DEVICE_NEEDS_RESET from EVENT_CONFIG (the only bit a device
 * sets on its own; it must send EVENT_CONFIG when it does). It never sends
 * a message.
 *
 * Context. The core's config accessors (virtio_cread*(), virtio_cwrite*())
 * call might_sleep() in 6.1 and 6.12, so every op here except get(),
 * generation() and get_status() may sleep; get() is safe in any context
 * anyway (see above), set() from atomic context is refused and logged.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_ring.h>

#include "virtio_msg_priv.h"

/* ---- features ---- */

static u64 vm_get_features(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	const struct virtio_msg_get_device_features_resp *r;
	const size_t pl = sizeof(*r) + 2 * sizeof(r->features[0]);
	u64 features = 0;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_get_device_features_req(vm->req, vm->msg_max,
						 vm->dev_num, 0, 0, 2);
	ret = vmsg_xfer(vm, len, pl, pl);
	if (ret >= 0) {
		r = vm_payload(vm);
		if (le32_to_cpu(r->block_index) || le32_to_cpu(r->num_blocks) != 2)
			ret = -EPROTO;
		else
			features = le32_to_cpu(r->features[0]) |
				   (u64)le32_to_cpu(r->features[1]) << 32;
	}
	mutex_unlock(&vm->req_lock);
	if (ret < 0)
		vmsg_fail(vm, "GET_DEVICE_FEATURES", ret);
	return features;
}

static int vm_finalize_features(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	bool ring_reset = __virtio_test_bit(vdev, VIRTIO_F_RING_RESET);
	u32 blocks[2];
	size_t len;
	int ret;

	if (vm_dead(vm))
		return -ENODEV;
	vring_transport_features(vdev);
	/* EVENT_AVAIL always carries next_offset 0 (in-band or doorbell). */
	__virtio_clear_bit(vdev, VIRTIO_F_NOTIFICATION_DATA);
	/* RESET_VQUEUE is a core message: per-queue reset is supported. */
	if (ring_reset)
		__virtio_set_bit(vdev, VIRTIO_F_RING_RESET);

	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		vm_err(vm, "device does not offer VIRTIO_F_VERSION_1: legacy devices are not supported\n");
		return -EINVAL;
	}
	if (!__virtio_test_bit(vdev, VIRTIO_F_ACCESS_PLATFORM)) {
		vm_err(vm, "device does not offer VIRTIO_F_ACCESS_PLATFORM: its virtqueues must be mapped through the DMA API of %s\n",
		       dev_name(vm->bus->dma_dev));
		return -EINVAL;
	}

	blocks[0] = lower_32_bits(vdev->features);
	blocks[1] = upper_32_bits(vdev->features);
	mutex_lock(&vm->req_lock);
	len = vmsg_build_set_driver_features_req(vm->req, vm->msg_max,
						 vm->dev_num, 0, 0, blocks, 2);
	ret = vmsg_xfer(vm, len, 0, 0);
	mutex_unlock(&vm->req_lock);
	if (ret < 0) {
		vmsg_fail(vm, "SET_DRIVER_FEATURES", ret);
		return ret;
	}
	return 0;
}

/* ---- status and reset ---- */

/* SET_DEVICE_STATUS(val) (set) or GET_DEVICE_STATUS; *st: the answer. */
static int vm_status_xfer(struct virtio_msg_device *vm, bool set, u32 val,
			  u32 *st)
{
	const struct virtio_msg_get_device_status_resp *r;
	size_t len;
	int ret;

	BUILD_BUG_ON(sizeof(*r) != sizeof(struct virtio_msg_set_device_status_resp));
	mutex_lock(&vm->req_lock);
	if (set)
		len = vmsg_build_set_device_status_req(vm->req, vm->msg_max,
						       vm->dev_num, 0, val);
	else
		len = vmsg_build_get_device_status_req(vm->req, vm->msg_max,
						       vm->dev_num, 0);
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r));
	if (ret >= 0) {
		r = vm_payload(vm);
		*st = le32_to_cpu(r->status);
		ret = 0;
	}
	mutex_unlock(&vm->req_lock);
	return ret;
}

static void vm_cfg_invalidate(struct virtio_msg_device *vm)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->cfg_lock, flags);
	vm->cfg_valid = false;
	spin_unlock_irqrestore(&vm->cfg_lock, flags);
}

/*
 * SET_DEVICE_STATUS(0), then GET_DEVICE_STATUS until it reads 0, with a
 * growing interval (1 ms to 100 ms), bounded by the reset timeout: a reset
 * may complete after its response ([RST-1]; open point OP-1 of virtio-msg v1,
 * docs/pcie-binding.md section 14).
 */
static int vm_do_reset(struct virtio_msg_device *vm)
{
	unsigned long deadline;
	unsigned int delay_us = 1000;
	u32 st = 0;
	int ret;

	ret = vm_status_xfer(vm, true, 0, &st);
	deadline = jiffies + msecs_to_jiffies(vmsg_reset_timeout_ms());
	while (!ret && st) {
		WRITE_ONCE(vm->status, st);
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		fsleep(delay_us);
		delay_us = min(delay_us * 2, 100000u);
		ret = vm_status_xfer(vm, false, 0, &st);
	}
	if (!ret)
		WRITE_ONCE(vm->status, 0);
	return ret;
}

static void vm_reset(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	int ret;

	/* register_virtio_device() has initialized the vdev locks. */
	set_bit(VM_VDEV_LIVE, &vm->flags);
	vm_cfg_invalidate(vm);
	if (vm_dead(vm)) {
		/* The bus fences a dead card: its queues are gone. */
		WRITE_ONCE(vm->status, 0);
		return;
	}
	ret = vm_do_reset(vm);
	if (!ret)
		return;
	vmsg_fail(vm, "device reset", ret);
	vmsg_lost(vm);
	/*
	 * The device is dead to the transport now: no driver-visible state
	 * is left, and the driver's remove path (which checks that the
	 * device reads as reset) must not trip over it.
	 */
	WRITE_ONCE(vm->status, 0);
}

static u8 vm_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_vmdev(vdev)->status) & 0xff;
}

static void vm_set_status(struct virtio_device *vdev, u8 status)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	u32 st;
	int ret;

	set_bit(VM_VDEV_LIVE, &vm->flags);
	/* The core resets through reset(); 0 here would be a core bug. */
	if (WARN_ON_ONCE(!status))
		return;
	ret = vm_status_xfer(vm, true, status, &st);
	if (ret) {
		vmsg_fail(vm, "SET_DEVICE_STATUS", ret);
		return;
	}
	WRITE_ONCE(vm->status, st);
	if (st & VIRTIO_CONFIG_S_NEEDS_RESET)
		vm_warn_rl(vm, "device needs reset (status %#x)\n", st);
	else if (st != status)
		vm_dbg(vm, "status %#x answered with %#x\n", status, st);
}

/* ---- config space ---- */

static bool vm_cfg_range_ok(struct virtio_msg_device *vm, unsigned int off,
			    unsigned int len)
{
	return (u64)off + len <= vm->info.config_size;
}

/*
 * GET_CONFIG of [off, off + n) (n <= cfg_chunk) into dst; *gen: the
 * generation the device reported. Sleeps.
 */
static int vm_get_config_chunk(struct virtio_msg_device *vm, u32 off, u32 n,
			       u8 *dst, u32 *gen)
{
	const struct virtio_msg_get_config_resp *r;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_get_config_req(vm->req, vm->msg_max, vm->dev_num, 0,
					off, n);
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r) + n);
	if (ret >= 0) {
		r = vm_payload(vm);
		if (le32_to_cpu(r->offset) != off ||
		    le32_to_cpu(r->length) != n || ret != sizeof(*r) + n) {
			vm_err_rl(vm, "GET_CONFIG %u+%u answered with %u+%u\n",
				  off, n, le32_to_cpu(r->offset),
				  le32_to_cpu(r->length));
			ret = -EPROTO;
		} else {
			memcpy(dst, r->data, n);
			*gen = le32_to_cpu(r->generation);
			ret = 0;
		}
	}
	mutex_unlock(&vm->req_lock);
	return ret;
}

/* The whole config space into dst, one generation (-EAGAIN: torn). */
static int vm_cfg_fetch(struct virtio_msg_device *vm, u8 *dst, u32 *gen)
{
	u32 size = vm->info.config_size, off, n, g;
	int ret;

	for (off = 0; off < size; off += n) {
		n = min(size - off, vm->cfg_chunk);
		ret = vm_get_config_chunk(vm, off, n, dst + off, &g);
		if (ret)
			return ret;
		if (!off)
			*gen = g;
		else if (g != *gen)
			return -EAGAIN;
	}
	return 0;
}

/*
 * Re-read the config space into the cache (force: even if it is valid).
 * Caller holds cfg_mutex. An EVENT_CONFIG that arrives during the read
 * (cfg_seq moved) makes the snapshot suspect: it is read again, bounded.
 */
static int __vm_cfg_refresh(struct virtio_msg_device *vm, bool force)
{
	unsigned long flags;
	u32 gen = 0, seq;
	int i, ret = -EAGAIN;

	lockdep_assert_held(&vm->cfg_mutex);
	for (i = 0; i < VM_CFG_RETRIES && ret == -EAGAIN; i++) {
		spin_lock_irqsave(&vm->cfg_lock, flags);
		if (!force && vm->cfg_valid) {
			spin_unlock_irqrestore(&vm->cfg_lock, flags);
			return 0;
		}
		seq = vm->cfg_seq;
		spin_unlock_irqrestore(&vm->cfg_lock, flags);

		ret = vm_cfg_fetch(vm, vm->cfg_shadow, &gen);
		if (ret)
			continue;

		spin_lock_irqsave(&vm->cfg_lock, flags);
		if (vm->cfg_seq == seq) {
			if (vm->info.config_size)
				memcpy(vm->cfg, vm->cfg_shadow,
				       vm->info.config_size);
			vm->cfg_gen = gen;
			vm->cfg_valid = true;
		} else {
			ret = -EAGAIN;
		}
		spin_unlock_irqrestore(&vm->cfg_lock, flags);
	}
	if (ret == -EAGAIN)
		vm_warn_rl(vm, "config space keeps changing: cache not refreshed\n");
	else if (ret)
		vmsg_fail(vm, "GET_CONFIG", ret);
	return ret;
}

int vmsg_cfg_refresh(struct virtio_msg_device *vm)
{
	int ret;

	mutex_lock(&vm->cfg_mutex);
	ret = __vm_cfg_refresh(vm, false);
	mutex_unlock(&vm->cfg_mutex);
	return ret;
}

/* Copy from the cache if it is valid. */
static bool vm_cfg_copy(struct virtio_msg_device *vm, unsigned int off,
			void *buf, unsigned int len)
{
	unsigned long flags;
	bool valid;

	spin_lock_irqsave(&vm->cfg_lock, flags);
	valid = vm->cfg_valid;
	if (valid)
		memcpy(buf, vm->cfg + off, len);
	spin_unlock_irqrestore(&vm->cfg_lock, flags);
	return valid;
}

/* A cache miss in atomic context: busy-polled GET_CONFIG of the range. */
static int vm_cfg_read_atomic(struct virtio_msg_device *vm, unsigned int off,
			      u8 *buf, unsigned int len)
{
	const struct virtio_msg_get_config_resp *r;
	u8 req[VIRTIO_MSG_SIZE(sizeof(struct virtio_msg_get_config_req))];
	u8 resp[VIRTIO_MSG_SIZE(sizeof(*r)) + VM_ATOMIC_CFG_CHUNK];
	u32 chunk = min(vm->cfg_chunk, VM_ATOMIC_CFG_CHUNK);
	u32 done, n, gen = 0, g;
	int tries, ret = -EAGAIN;
	size_t rlen;

	r = (const void *)(resp + VIRTIO_MSG_HEADER_SIZE);
	for (tries = 0; tries < VM_CFG_RETRIES && ret == -EAGAIN; tries++) {
		ret = 0;
		for (done = 0; done < len && !ret; done += n) {
			n = min(len - done, chunk);
			rlen = vmsg_build_get_config_req(req, sizeof(req),
							 vm->dev_num, 0,
							 off + done, n);
			ret = vmsg_xfer_atomic(vm, req, rlen, resp,
					       sizeof(resp), sizeof(*r),
					       sizeof(*r) + n);
			if (ret < 0)
				break;
			if (le32_to_cpu(r->offset) != off + done ||
			    le32_to_cpu(r->length) != n ||
			    ret != sizeof(*r) + n) {
				ret = -EPROTO;
				break;
			}
			g = le32_to_cpu(r->generation);
			if (done && g != gen) {
				ret = -EAGAIN;
				break;
			}
			gen = g;
			memcpy(buf + done, r->data, n);
			ret = 0;
		}
	}
	if (ret && ret != -EOPNOTSUPP)
		vmsg_fail(vm, "GET_CONFIG (atomic)", ret);
	return ret;
}

static void vm_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);

	if (!vm_cfg_range_ok(vm, offset, len)) {
		vm_warn_rl(vm, "config read %u+%u beyond config size %u\n",
			   offset, len, vm->info.config_size);
		goto zero;
	}
	if (vm_cfg_copy(vm, offset, buf, len))
		return;
	if (vmsg_may_sleep()) {
		if (!vmsg_cfg_refresh(vm) && vm_cfg_copy(vm, offset, buf, len))
			return;
	} else if (!vm_cfg_read_atomic(vm, offset, buf, len)) {
		return;
	}
zero:
	memset(buf, 0, len);
}

static u32 vm_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_vmdev(vdev)->cfg_gen);
}

/*
 * SET_CONFIG of [off, off + n) with the cached generation. Returns the
 * bytes the device applied (n, or 0 when it refused) and its generation.
 */
static int vm_set_config_chunk(struct virtio_msg_device *vm, u32 gen, u32 off,
			       const u8 *data, u32 n, u32 *applied,
			       u32 *new_gen)
{
	const struct virtio_msg_set_config_resp *r;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_set_config_req(vm->req, vm->msg_max, vm->dev_num, 0,
					gen, off, data, n);
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r) + n);
	if (ret >= 0) {
		r = vm_payload(vm);
		*applied = le32_to_cpu(r->length);
		*new_gen = le32_to_cpu(r->generation);
		if (le32_to_cpu(r->offset) != off ||
		    (*applied && *applied != n)) {
			vm_err_rl(vm, "SET_CONFIG %u+%u answered with %u+%u\n",
				  off, n, le32_to_cpu(r->offset), *applied);
			ret = -EPROTO;
		} else {
			ret = 0;
		}
	}
	mutex_unlock(&vm->req_lock);
	return ret;
}

/*
 * Write [off, off + len) chunk by chunk. A refused chunk (stale generation)
 * re-reads the config space (new generation) and is retried, bounded; a
 * device that refuses with an up-to-date generation refuses the write
 * itself (-EACCES). Caller holds cfg_mutex.
 */
static int vm_cfg_write(struct virtio_msg_device *vm, u32 off, const u8 *buf,
			u32 len)
{
	unsigned long flags;
	u32 done, n, gen, applied, new_gen;
	int tries, ret;

	ret = __vm_cfg_refresh(vm, false);
	if (ret)
		return ret;
	for (done = 0; done < len; done += n) {
		n = min(len - done, vm->cfg_chunk);
		for (tries = 0; ; tries++) {
			gen = READ_ONCE(vm->cfg_gen);
			ret = vm_set_config_chunk(vm, gen, off + done,
						  buf + done, n, &applied,
						  &new_gen);
			if (ret)
				return ret;
			if (applied)
				break;
			if (new_gen == gen)
				return -EACCES;
			if (tries == VM_CFG_RETRIES)
				return -EAGAIN;
			ret = __vm_cfg_refresh(vm, true);
			if (ret)
				return ret;
		}
		spin_lock_irqsave(&vm->cfg_lock, flags);
		memcpy(vm->cfg + off + done, buf + done, n);
		vm->cfg_gen = new_gen;
		spin_unlock_irqrestore(&vm->cfg_lock, flags);
	}
	return 0;
}

static void vm_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	int ret;

	if (!vm_cfg_range_ok(vm, offset, len)) {
		vm_warn_rl(vm, "config write %u+%u beyond config size %u\n",
			   offset, len, vm->info.config_size);
		return;
	}
	if (!len)
		return;
	if (!vmsg_may_sleep()) {
		vm_err_rl(vm, "config write from atomic context dropped\n");
		return;
	}
	mutex_lock(&vm->cfg_mutex);
	ret = vm_cfg_write(vm, offset, buf, len);
	mutex_unlock(&vm->cfg_mutex);
	if (ret == -EACCES)
		vm_err_rl(vm, "device refused config write %u+%u\n", offset,
			  len);
	else if (ret == -EAGAIN)
		vm_err_rl(vm, "config write %u+%u: generation keeps changing\n",
			  offset, len);
	else if (ret)
		vmsg_fail(vm, "SET_CONFIG", ret);
}

static void vm_config_changed(struct virtio_msg_device *vm)
{
	if (test_bit(VM_VDEV_LIVE, &vm->flags))
		virtio_config_changed(&vm->vdev);
}

/* Deferred part of EVENT_CONFIG: re-read the space, then tell the driver. */
void vmsg_cfg_work(struct work_struct *work)
{
	struct virtio_msg_device *vm =
		container_of(work, struct virtio_msg_device, cfg_work);

	if (vm_dead(vm))
		return;
	mutex_lock(&vm->cfg_mutex);
	__vm_cfg_refresh(vm, true);
	mutex_unlock(&vm->cfg_mutex);
	vm_config_changed(vm);
}

/*
 * EVENT_CONFIG (interrupt context): new status, new generation, and the
 * changed bytes when they fit. virtio_config_changed() takes a spinlock
 * and the drivers' config_changed callbacks only schedule work, so it is
 * called from here when no re-read is needed.
 */
void vmsg_event_config(struct virtio_msg_device *vm, const u8 *pl, size_t n)
{
	const struct virtio_msg_event_config *ev = (const void *)pl;
	bool refetch = false, range_bad = false;
	u32 st, gen, off, len;
	unsigned long flags;

	if (n < sizeof(*ev))
		goto bad;
	st = le32_to_cpu(ev->device_status);
	gen = le32_to_cpu(ev->generation);
	off = le32_to_cpu(ev->offset);
	len = le32_to_cpu(ev->length);
	if (len != n - sizeof(*ev))
		goto bad;

	if (len && !vm_cfg_range_ok(vm, off, len)) {
		vm_warn_rl(vm, "EVENT_CONFIG data %u+%u beyond config size %u: re-reading\n",
			   off, len, vm->info.config_size);
		len = 0;
		range_bad = true;
	}

	spin_lock_irqsave(&vm->cfg_lock, flags);
	/*
	 * Of the status, only DEVICE_NEEDS_RESET is the device's own change;
	 * the other bits follow the driver's SET_DEVICE_STATUS, whose answer
	 * is authoritative. A device that reads as reset needs no reset (an
	 * event from before the reset).
	 */
	if ((st & VIRTIO_CONFIG_S_NEEDS_RESET) && READ_ONCE(vm->status))
		WRITE_ONCE(vm->status, vm->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	else
		st &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if (len || range_bad || gen != vm->cfg_gen) {
		vm->cfg_seq++;	/* a refresh in flight reads again */
		/* An invalid cache is fetched whole by the next read. */
		if (vm->cfg_valid && len)
			memcpy(vm->cfg + off, ev->data, len);
		else if (vm->cfg_valid)
			refetch = true;
		if (!refetch)
			vm->cfg_gen = gen;
	}
	spin_unlock_irqrestore(&vm->cfg_lock, flags);

	if (st & VIRTIO_CONFIG_S_NEEDS_RESET)
		vm_warn_rl(vm, "device needs reset (status %#x)\n", st);
	if (refetch)
		schedule_work(&vm->cfg_work);
	else
		vm_config_changed(vm);
	return;
bad:
	vm_warn_rl(vm, "malformed EVENT_CONFIG dropped\n");
}

/* ---- shared memory, bus name ---- */

static bool vm_get_shm_region(struct virtio_device *vdev,
			      struct virtio_shm_region *region, u8 id)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);
	const struct virtio_msg_get_shm_resp *r;
	u32 length = 0, addr = 0;
	size_t len;
	int ret;

	mutex_lock(&vm->req_lock);
	len = vmsg_build_get_shm_req(vm->req, vm->msg_max, vm->dev_num, 0, id);
	ret = vmsg_xfer(vm, len, sizeof(*r), sizeof(*r));
	if (ret >= 0) {
		r = vm_payload(vm);
		length = le32_to_cpu(r->length);
		addr = le32_to_cpu(r->address);
		ret = le32_to_cpu(r->index) == id ? 0 : -EPROTO;
	}
	mutex_unlock(&vm->req_lock);
	if (ret) {
		vmsg_fail(vm, "GET_SHM", ret);
		return false;
	}
	if (!length)
		return false;
	region->addr = addr;
	region->len = length;
	return true;
}

static const char *vm_bus_name(struct virtio_device *vdev)
{
	struct virtio_msg_device *vm = to_vmdev(vdev);

	return vm->bus->name ? vm->bus->name : "virtio-msg";
}

const struct virtio_config_ops vmsg_config_ops = {
	.get			= vm_get,
	.set			= vm_set,
	.generation		= vm_generation,
	.get_status		= vm_get_status,
	.set_status		= vm_set_status,
	.reset			= vm_reset,
	.find_vqs		= vm_find_vqs,
	.del_vqs		= vmsg_del_vqs,
	.synchronize_cbs	= vmsg_synchronize_cbs,
	.get_features		= vm_get_features,
	.finalize_features	= vm_finalize_features,
	.bus_name		= vm_bus_name,
	.get_shm_region		= vm_get_shm_region,
	.disable_vq_and_reset	= vmsg_disable_vq_and_reset,
	.enable_vq_after_reset	= vmsg_enable_vq_after_reset,
};
