// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * vq.c - virtqueues of a device: split rings in host DMA memory (fw_shared
 * vmsg_vq_drv), programmed with GET/SET/RESET_VQUEUE, kicked with
 * EVENT_AVAIL, completions from the used ring (EVENT_USED wakes waiters).
 */
#include "dev_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX	      VMSG_PCIE_MAX_MSG_SIZE
#define PL(resp)      ((resp) + VIRTIO_MSG_HEADER_SIZE)
#define VQ_RING_ALIGN 4096u

struct vq_regs {
	uint32_t max_size, size;
	uint64_t desc, driver, device;
};

static int get_vqueue(struct vmsg_host_dev *dev, uint32_t index, struct vq_regs *r)
{
	uint8_t req[16], resp[MSG_MAX];
	const uint8_t *p = PL(resp);
	int ret;

	ret = dev_request(dev, req,
			  vmsg_build_get_vqueue_req(req, sizeof(req), dev->dev_num, 0, index), resp,
			  sizeof(resp));
	if (ret < 0)
		return ret;
	if (vmsg_get_le32(p) != index) {
		dev_echo_mismatch(dev, "GET_VQUEUE");
		return -EPROTO;
	}
	r->max_size = vmsg_get_le32(p + 4);
	r->size = vmsg_get_le32(p + 8);
	r->desc = vmsg_get_le64(p + 16);
	r->driver = vmsg_get_le64(p + 24);
	r->device = vmsg_get_le64(p + 32);
	return 0;
}

static struct vmsg_link *vq_link(struct vmsg_host_vq *vq)
{
	return vmsg_host_bus_link(vq->dev->bus);
}

/* Fresh rings and SET_VQUEUE, confirmed with GET_VQUEUE. */
static int vq_program(struct vmsg_host_vq *vq)
{
	struct vmsg_host_dev *dev = vq->dev;
	struct vmsg_vqueue_info vi = {0};
	uint8_t req[MSG_MAX], resp[MSG_MAX];
	struct vq_regs r;
	int ret;

	ret = vmsg_vq_drv_init(&vq->drv, vq->ring, vq->ring_bytes, vq->ring_dma, vq->size,
			       vq->state, vmsg_host_dev_has(dev, VMSG_HOST_F_EVENT_IDX));
	if (ret)
		return -EINVAL;
	vq->broken = false; /* fresh rings */
	memset(vq->cookies, 0, sizeof(void *) * vq->size);
	vi.index = vq->index;
	vi.size = vq->size;
	vi.desc_addr = vq->drv.desc_addr;
	vi.driver_addr = vq->drv.avail_addr;
	vi.device_addr = vq->drv.used_addr;
	ret =
	    dev_request(dev, req, vmsg_build_set_vqueue_req(req, sizeof(req), dev->dev_num, 0, &vi),
			resp, sizeof(resp));
	if (ret < 0)
		return ret;
	ret = get_vqueue(dev, vq->index, &r);
	if (ret)
		return ret;
	if (r.size != vq->size || r.desc != vi.desc_addr || r.driver != vi.driver_addr ||
	    r.device != vi.device_addr) {
		bus_log(dev->bus, "dev %u: SET_VQUEUE %u not applied (size %u, want %u)",
			dev->dev_num, vq->index, r.size, vq->size);
		return -EPROTO;
	}
	vq->active = true;
	return 0;
}

static void vq_free(struct vmsg_host_vq *vq)
{
	vmsg_link_free(vq_link(vq), vq->ring);
	free(vq->state);
	free(vq->cookies);
	free(vq);
}

int vmsg_host_vq_create(struct vmsg_host_dev *dev, uint32_t index, uint32_t size,
			struct vmsg_host_vq **out)
{
	struct vmsg_host_vq *vq;
	struct vq_regs r;
	uint32_t sz;
	int ret;

	*out = NULL;
	if (index >= VMSG_HOST_MAX_VQS || index >= dev->info.max_virtqueues || dev->vqs[index])
		return -EINVAL;
	if (!(dev->status & VIRTIO_MSG_STATUS_FEATURES_OK))
		return -EINVAL; /* spec: features first */
	ret = get_vqueue(dev, index, &r);
	if (ret)
		return ret;
	if (r.max_size == 0)
		return -ENOENT;
	if (r.size != 0) {
		bus_log(dev->bus, "dev %u: queue %u is already active", dev->dev_num, index);
		return -EBUSY;
	}
	sz = size && size < r.max_size ? size : r.max_size;
	if (sz > VMSG_VRING_MAX_SIZE)
		sz = VMSG_VRING_MAX_SIZE;
	while (sz & (sz - 1))
		sz &= sz - 1; /* round down to a power of two */
	vq = calloc(1, sizeof(*vq));
	if (!vq)
		return -ENOMEM;
	vq->dev = dev;
	vq->index = index;
	vq->size = sz;
	vq->ring_bytes = vmsg_vq_drv_ring_bytes(sz);
	vq->state = calloc(sz, sizeof(*vq->state));
	vq->cookies = calloc(sz, sizeof(void *));
	vq->ring = vmsg_link_alloc(vmsg_host_bus_link(dev->bus), vq->ring_bytes, VQ_RING_ALIGN,
				   &vq->ring_dma);
	if (!vq->state || !vq->cookies || !vq->ring) {
		vq_free(vq);
		return -ENOMEM;
	}
	ret = vq_program(vq);
	if (ret) {
		vq_free(vq);
		return ret;
	}
	dev->vqs[index] = vq;
	*out = vq;
	return 0;
}

void vmsg_host_vq_destroy(struct vmsg_host_vq *vq)
{
	struct vmsg_host_dev *dev;

	if (!vq)
		return;
	dev = vq->dev;
	if (vq->active && vmsg_host_dev_error(dev) == 0) {
		if (!vmsg_host_dev_has(dev, VMSG_HOST_F_RING_RESET) || vmsg_host_vq_reset(vq))
			vmsg_host_dev_reset(dev);
	}
	dev->vqs[vq->index] = NULL;
	vq_free(vq);
}

void vq_dev_reset_all(struct vmsg_host_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VMSG_HOST_MAX_VQS; i++)
		if (dev->vqs[i])
			dev->vqs[i]->active = false;
}

uint32_t vmsg_host_vq_size(const struct vmsg_host_vq *vq)
{
	return vq->size;
}

uint32_t vmsg_host_vq_index(const struct vmsg_host_vq *vq)
{
	return vq->index;
}

uint32_t vmsg_host_vq_num_free(const struct vmsg_host_vq *vq)
{
	return vmsg_vq_drv_num_free(&vq->drv);
}

uint32_t vmsg_host_vq_in_flight(const struct vmsg_host_vq *vq)
{
	return vq->drv.in_flight;
}

bool vmsg_host_vq_active(const struct vmsg_host_vq *vq)
{
	return vq->active;
}

bool vmsg_host_vq_broken(const struct vmsg_host_vq *vq)
{
	return vq->broken;
}

bool vmsg_host_dev_broken(const struct vmsg_host_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VMSG_HOST_MAX_VQS; i++)
		if (dev->vqs[i] && dev->vqs[i]->broken)
			return true;
	return false;
}

/* A protocol error in the used ring: the queue is broken for good (its
 * rings can no longer be trusted); callers stop on -EPROTO. */
static void vq_break(struct vmsg_host_vq *vq)
{
	char d[256];

	if (vq->broken)
		return;
	vq->broken = true;
	vq->dev->st.queues_broken++;
	vmsg_host_vq_describe(vq, d, sizeof(d));
	bus_log(vq->dev->bus, "dev %u: queue %u broken by the device: %s", vq->dev->dev_num,
		vq->index, d);
}

struct vmsg_host_dev *vmsg_host_vq_dev(const struct vmsg_host_vq *vq)
{
	return vq->dev;
}

int vmsg_host_vq_add(struct vmsg_host_vq *vq, const struct vmsg_vq_buf *out, uint32_t nout,
		     const struct vmsg_vq_buf *in, uint32_t nin, void *cookie)
{
	int ret = vmsg_host_dev_error(vq->dev);

	if (ret)
		return ret;
	if (vq->broken)
		return -EPROTO;
	if (!vq->active)
		return -ESTALE;
	ret = vmsg_vq_drv_add(&vq->drv, out, nout, in, nin);
	if (ret == -VMSG_VQ_EAGAIN)
		return -EAGAIN;
	if (ret < 0)
		return -EINVAL;
	vq->cookies[ret] = cookie;
	return ret;
}

int vmsg_host_vq_kick(struct vmsg_host_vq *vq)
{
	uint8_t msg[16];
	size_t n;
	int ret;

	if (vq->broken)
		return -EPROTO;
	if (!vq->active)
		return -ESTALE;
	if (!vmsg_vq_drv_kick_needed(&vq->drv))
		return 0;
	n = vmsg_build_event_avail(msg, sizeof(msg), vq->dev->dev_num, vq->index, 0);
	ret = vmsg_host_bus_send_event(vq->dev->bus, msg, n);
	if (ret == -ENODEV || ret == -ENOTCONN) {
		int e = vmsg_host_dev_error(vq->dev);

		return e ? e : ret;
	}
	return ret ? ret : 1;
}

int vmsg_host_vq_get_used(struct vmsg_host_vq *vq, void **cookie, uint32_t *len)
{
	uint16_t id = VMSG_VQ_NO_ID;
	int ret;

	*cookie = NULL;
	*len = 0;
	if (vq->broken)
		return -EPROTO;
	if (!vq->active)
		return 0;
	ret = vmsg_vq_drv_get_used(&vq->drv, &id, len);
	if (ret == 0)
		return 0;
	if (id != VMSG_VQ_NO_ID && id < vq->size) {
		*cookie = vq->cookies[id];
		vq->cookies[id] = NULL;
	}
	if (ret == 1)
		return 1;
	vq_break(vq);
	return -EPROTO;
}

static bool vq_has_used(struct vmsg_host_vq *vq)
{
	uint16_t idx;

	if (!vq->active || vq->broken)
		return false;
	idx = vmsg_le16_to_cpu(VMSG_READ_ONCE16(&vq->drv.used->idx));
	return idx != vq->drv.last_used;
}

int vmsg_host_vq_wait(struct vmsg_host_vq *vq, int timeout_ms)
{
	struct vmsg_host_bus *bus = vq->dev->bus;
	uint64_t deadline = bus_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	int err;

	for (;;) {
		if (vq->broken)
			return -EPROTO;
		if (vq_has_used(vq))
			return 1;
		err = vmsg_host_dev_error(vq->dev);
		if (err)
			return err;
		if (vmsg_host_bus_poll(bus) > 0)
			continue;
		if (vmsg_host_dev_needs_reset(vq->dev))
			return -EIO; /* the device gave up: DEVICE_NEEDS_RESET */
		if (vq_has_used(vq))
			return 1;
		if (bus_now_ns() >= deadline)
			return 0;
		bus_wait_traffic(bus, deadline);
	}
}

void vmsg_host_vq_set_notify(struct vmsg_host_vq *vq, bool on)
{
	if (on)
		vmsg_vq_drv_enable_cb(&vq->drv);
	else
		vmsg_vq_drv_disable_cb(&vq->drv);
}

int vmsg_host_vq_reclaim(struct vmsg_host_vq *vq, void (*drop)(void *arg, void *cookie), void *arg)
{
	uint32_t i;
	int n = 0;

	if (vq->active && vmsg_host_dev_error(vq->dev) == 0)
		return -EBUSY;
	for (i = 0; i < vq->size; i++) {
		if (vq->state[i].ndesc == 0)
			continue;
		if (drop)
			drop(arg, vq->cookies[i]);
		vq->cookies[i] = NULL;
		vq->state[i].ndesc = 0;
		n++;
	}
	vq->active = false;
	return n;
}

int vmsg_host_vq_reset(struct vmsg_host_vq *vq)
{
	struct vmsg_host_dev *dev = vq->dev;
	uint8_t req[16], resp[MSG_MAX];
	struct vq_regs r;
	int ret;

	if (!vmsg_host_dev_has(dev, VMSG_HOST_F_RING_RESET))
		return -EOPNOTSUPP;
	ret = dev_request(dev, req,
			  vmsg_build_reset_vqueue_req(req, sizeof(req), dev->dev_num, 0, vq->index),
			  resp, sizeof(resp));
	if (ret < 0)
		return ret;
	ret = get_vqueue(dev, vq->index, &r);
	if (ret)
		return ret;
	if (r.size != 0) {
		bus_log(dev->bus, "dev %u: queue %u still active after RESET_VQUEUE", dev->dev_num,
			vq->index);
		return -EPROTO;
	}
	vq->active = false;
	return 0;
}

int vmsg_host_vq_restart(struct vmsg_host_vq *vq)
{
	struct vq_regs r;
	int ret;

	if (vq->active)
		return -EBUSY;
	if (vq->drv.in_flight && vmsg_host_vq_reclaim(vq, NULL, NULL) < 0)
		return -EBUSY;
	ret = get_vqueue(vq->dev, vq->index, &r);
	if (ret)
		return ret;
	if (r.size != 0)
		return -EBUSY;
	return vq_program(vq);
}

struct vmsg_vq_drv *vmsg_host_vq_ring(struct vmsg_host_vq *vq)
{
	return vq->active && !vq->broken ? &vq->drv : NULL;
}

void vmsg_host_vq_describe(const struct vmsg_host_vq *vq, char *buf, size_t len)
{
	const struct vmsg_vq_drv *d = &vq->drv;

	snprintf(buf, len,
		 "vq %u size %u %s: avail idx %u flags %#x, used idx %u flags %#x, last_used %u, "
		 "in flight %u, free %u, bad %llu",
		 vq->index, vq->size, vq->active ? "active" : "inactive",
		 vmsg_le16_to_cpu(VMSG_READ_ONCE16(&d->avail->idx)),
		 vmsg_le16_to_cpu(VMSG_READ_ONCE16(&d->avail->flags)),
		 vmsg_le16_to_cpu(VMSG_READ_ONCE16(&d->used->idx)),
		 vmsg_le16_to_cpu(VMSG_READ_ONCE16(&d->used->flags)), d->last_used, d->in_flight,
		 d->num_free, (unsigned long long)d->bad);
}
