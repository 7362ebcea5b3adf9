// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * drv_rng.c - a virtio-rng driver over vmsg_host_dev: one request queue of
 * device-writable buffers.
 */
#include "vmsg_host_drivers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RNG_BUF 4096u

struct vmsg_host_rng {
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *vq;
	struct vmsg_link *link;
	uint8_t *buf;
	uint64_t dma;
};

int vmsg_host_rng_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num,
		       struct vmsg_host_rng **out)
{
	struct vmsg_host_rng *rng;
	int ret;

	*out = NULL;
	rng = calloc(1, sizeof(*rng));
	if (!rng)
		return -ENOMEM;
	rng->link = vmsg_host_bus_link(bus);
	ret = vmsg_host_dev_open(bus, dev_num, &rng->dev);
	if (ret)
		goto fail;
	if (vmsg_host_dev_info(rng->dev)->device_id != VMSG_HOST_VIRTIO_ID_RNG) {
		ret = -ENODEV;
		goto fail;
	}
	rng->buf = vmsg_link_alloc(rng->link, RNG_BUF, 64, &rng->dma);
	if (!rng->buf) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = vmsg_host_dev_setup(rng->dev, 0, 1, 0, &rng->vq);
	if (ret)
		goto fail;
	*out = rng;
	return 0;
fail:
	vmsg_host_rng_close(rng);
	return ret;
}

void vmsg_host_rng_close(struct vmsg_host_rng *rng)
{
	if (!rng)
		return;
	if (rng->dev) {
		if (vmsg_host_dev_error(rng->dev) == 0)
			vmsg_host_dev_reset(rng->dev);
		vmsg_host_vq_destroy(rng->vq);
		vmsg_host_dev_close(rng->dev);
	}
	vmsg_link_free(rng->link, rng->buf);
	free(rng);
}

struct vmsg_host_dev *vmsg_host_rng_dev(const struct vmsg_host_rng *rng)
{
	return rng->dev;
}

int vmsg_host_rng_read(struct vmsg_host_rng *rng, void *buf, uint32_t len, int timeout_ms)
{
	struct vmsg_vq_buf in = {.addr = rng->dma, .len = len};
	uint32_t got = 0;
	void *c;
	int ret;

	if (len == 0 || len > RNG_BUF)
		return -EINVAL;
	if (vmsg_host_vq_in_flight(rng->vq))
		return -EBUSY;
	ret = vmsg_host_vq_add(rng->vq, NULL, 0, &in, 1, rng);
	if (ret < 0)
		return ret;
	ret = vmsg_host_vq_kick(rng->vq);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = vmsg_host_vq_get_used(rng->vq, &c, &got);
		if (ret < 0)
			return ret;
		if (ret == 1)
			break;
		ret = vmsg_host_vq_wait(rng->vq, timeout_ms);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ETIMEDOUT;
	}
	if (c != rng || got > len)
		return -EPROTO;
	memcpy(buf, rng->buf, got);
	return (int)got;
}
