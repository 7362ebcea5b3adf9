/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_priv.h - device handle and virtqueue internals (transport.c, vq.c).
 */
#ifndef VMSG_HOST_DEV_PRIV_H
#define VMSG_HOST_DEV_PRIV_H

#include "vmsg_host_dev.h"
#include "bus_priv.h"

struct vmsg_host_dev {
	struct bus_devref ref; /* registered with the bus */
	struct vmsg_host_bus *bus;
	vmsg_dev_num_t dev_num;
	struct vmsg_device_info info;
	uint32_t nblocks;
	uint32_t offered_blocks[VMSG_HOST_MAX_FEATURE_BITS / 32u];
	uint64_t offered;
	uint64_t features;
	uint32_t status; /* last status the device reported */
	uint32_t generation;
	bool have_generation;
	struct vmsg_host_vq *vqs[VMSG_HOST_MAX_VQS];
	struct vmsg_host_dev_stats st;
};

struct vmsg_host_vq {
	struct vmsg_host_dev *dev;
	uint32_t index;
	uint32_t size;
	bool active;
	/* the device wrote an impossible used ring (like Linux virtio_ring's
	 * BAD_RING): every call fails with -EPROTO until fresh rings are
	 * programmed (vmsg_host_vq_restart(), or a new handle) */
	bool broken;
	void *ring;
	uint64_t ring_dma;
	size_t ring_bytes;
	struct vmsg_vq_drv drv;
	struct vmsg_vq_drv_state *state;
	void **cookies;
};

/* transport.c */
int dev_request(struct vmsg_host_dev *dev, const void *msg, size_t len, void *resp, size_t cap);
void dev_echo_mismatch(struct vmsg_host_dev *dev, const char *what);

/* vq.c: the device was reset: every queue is inactive now. */
void vq_dev_reset_all(struct vmsg_host_dev *dev);

#endif /* VMSG_HOST_DEV_PRIV_H */
