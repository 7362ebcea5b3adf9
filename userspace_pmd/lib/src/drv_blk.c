// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * drv_blk.c - a virtio-blk driver over vmsg_host_dev: one request queue,
 * header (16 bytes, device-readable) + data + status (1 byte, writable).
 */
#include "vmsg_host_drivers.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLK_F_SEG_MAX	 2
#define BLK_F_RO	 5
#define BLK_F_BLK_SIZE	 6
#define BLK_F_FLUSH	 9
#define BLK_CFG_CAPACITY 0u
#define BLK_CFG_SEG_MAX	 12u
#define BLK_CFG_BLK_SIZE 20u
#define BLK_CFG_READ	 24u
#define BLK_SLOT_BYTES	 32u /* header at 0, status at 16 */
#define BLK_STATUS_NONE	 0xffu

struct blk_slot {
	void *cookie;
	uint32_t type;
	uint32_t len;
	bool busy;
};

struct vmsg_host_blk {
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *vq;
	struct vmsg_link *link;
	struct vmsg_host_blk_info info;
	uint32_t qsize;
	uint32_t nslots;
	uint8_t *slot_mem; /* link memory: nslots * BLK_SLOT_BYTES */
	uint64_t slot_dma;
	struct blk_slot *slots;
	uint32_t *free_stack;
	uint32_t nfree;
};

static int blk_init(struct vmsg_host_blk *blk)
{
	uint64_t want = VMSG_HOST_BIT(BLK_F_SEG_MAX) | VMSG_HOST_BIT(BLK_F_RO) |
			VMSG_HOST_BIT(BLK_F_BLK_SIZE) | VMSG_HOST_BIT(BLK_F_FLUSH) |
			VMSG_HOST_BIT(VMSG_HOST_F_RING_RESET);
	uint8_t cfg[BLK_CFG_READ] = {0};
	uint32_t cfglen;
	int ret;

	ret = vmsg_host_dev_negotiate(blk->dev, want, NULL);
	if (ret)
		return ret;
	cfglen = vmsg_host_dev_info(blk->dev)->config_size;
	if (cfglen < 8)
		return -EPROTO;
	if (cfglen > BLK_CFG_READ)
		cfglen = BLK_CFG_READ;
	ret = vmsg_host_dev_config_read(blk->dev, 0, cfg, cfglen, NULL);
	if (ret)
		return ret;
	blk->info.capacity = vmsg_get_le64(cfg + BLK_CFG_CAPACITY);
	blk->info.seg_max =
	    vmsg_host_dev_has(blk->dev, BLK_F_SEG_MAX) ? vmsg_get_le32(cfg + BLK_CFG_SEG_MAX) : 0;
	blk->info.blk_size =
	    vmsg_host_dev_has(blk->dev, BLK_F_BLK_SIZE) ? vmsg_get_le32(cfg + BLK_CFG_BLK_SIZE) : 0;
	blk->info.read_only = vmsg_host_dev_has(blk->dev, BLK_F_RO);
	blk->info.flush = vmsg_host_dev_has(blk->dev, BLK_F_FLUSH);
	if (!blk->vq) {
		ret = vmsg_host_vq_create(blk->dev, 0, blk->qsize, &blk->vq);
	} else {
		vmsg_host_vq_reclaim(blk->vq, NULL, NULL);
		ret = vmsg_host_vq_restart(blk->vq);
	}
	if (ret)
		return ret;
	return vmsg_host_dev_driver_ok(blk->dev);
}

static void slots_reset(struct vmsg_host_blk *blk)
{
	uint32_t i;

	blk->nfree = 0;
	for (i = blk->nslots; i-- > 0;) {
		blk->slots[i].busy = false;
		blk->free_stack[blk->nfree++] = i;
	}
}

int vmsg_host_blk_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num, uint32_t qsize,
		       struct vmsg_host_blk **out)
{
	struct vmsg_host_blk *blk;
	int ret;

	*out = NULL;
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return -ENOMEM;
	blk->link = vmsg_host_bus_link(bus);
	blk->qsize = qsize;
	ret = vmsg_host_dev_open(bus, dev_num, &blk->dev);
	if (ret)
		goto fail;
	if (vmsg_host_dev_info(blk->dev)->device_id != VMSG_HOST_VIRTIO_ID_BLK) {
		ret = -ENODEV;
		goto fail;
	}
	ret = blk_init(blk);
	if (ret)
		goto fail;
	/* a request takes at most 3 descriptors */
	blk->nslots = vmsg_host_vq_size(blk->vq) / 3u + 1u;
	blk->slots = calloc(blk->nslots, sizeof(*blk->slots));
	blk->free_stack = calloc(blk->nslots, sizeof(*blk->free_stack));
	blk->slot_mem =
	    vmsg_link_alloc(blk->link, (size_t)blk->nslots * BLK_SLOT_BYTES, 64, &blk->slot_dma);
	if (!blk->slots || !blk->free_stack || !blk->slot_mem) {
		ret = -ENOMEM;
		goto fail;
	}
	slots_reset(blk);
	*out = blk;
	return 0;
fail:
	vmsg_host_blk_close(blk);
	return ret;
}

void vmsg_host_blk_close(struct vmsg_host_blk *blk)
{
	if (!blk)
		return;
	if (blk->dev) {
		if (vmsg_host_dev_error(blk->dev) == 0)
			vmsg_host_dev_reset(blk->dev);
		if (blk->vq)
			vmsg_host_vq_destroy(blk->vq);
		vmsg_host_dev_close(blk->dev);
	}
	vmsg_link_free(blk->link, blk->slot_mem);
	free(blk->slots);
	free(blk->free_stack);
	free(blk);
}

const struct vmsg_host_blk_info *vmsg_host_blk_info(const struct vmsg_host_blk *blk)
{
	return &blk->info;
}

struct vmsg_host_dev *vmsg_host_blk_dev(const struct vmsg_host_blk *blk)
{
	return blk->dev;
}

struct vmsg_host_vq *vmsg_host_blk_vq(const struct vmsg_host_blk *blk)
{
	return blk->vq;
}

uint32_t vmsg_host_blk_in_flight(const struct vmsg_host_blk *blk)
{
	return blk->nslots - blk->nfree;
}

int vmsg_host_blk_submit(struct vmsg_host_blk *blk, uint32_t type, uint64_t sector, void *buf,
			 uint32_t len, void *cookie)
{
	struct vmsg_vq_buf out[2], in[2];
	uint32_t nout = 1, nin = 0, s;
	uint8_t *hdr;
	uint64_t dma = 0;
	int ret;

	if (type == VMSG_HOST_BLK_T_IN || type == VMSG_HOST_BLK_T_OUT) {
		if (!buf || len == 0 || len % VMSG_HOST_BLK_SECTOR)
			return -EINVAL;
		if (type == VMSG_HOST_BLK_T_OUT && blk->info.read_only)
			return -EROFS;
	} else if (type == VMSG_HOST_BLK_T_FLUSH) {
		if (buf || len)
			return -EINVAL;
	} else if (type != VMSG_HOST_BLK_T_GET_ID || !buf || len < 20) {
		return -EINVAL;
	}
	if (buf) {
		dma = vmsg_link_va_to_dma(blk->link, buf);
		if (dma == UINT64_MAX || !vmsg_link_dma_to_va(blk->link, dma, len))
			return -EFAULT;
	}
	if (blk->nfree == 0)
		return -EAGAIN;
	s = blk->free_stack[blk->nfree - 1];
	hdr = blk->slot_mem + (size_t)s * BLK_SLOT_BYTES;
	vmsg_put_le32(hdr, type);
	vmsg_put_le32(hdr + 4, 0);
	vmsg_put_le64(hdr + 8, sector);
	hdr[16] = BLK_STATUS_NONE;
	out[0].addr = blk->slot_dma + (uint64_t)s * BLK_SLOT_BYTES;
	out[0].len = 16;
	if (type == VMSG_HOST_BLK_T_OUT) {
		out[nout].addr = dma;
		out[nout++].len = len;
	} else if (buf) {
		in[nin].addr = dma;
		in[nin++].len = len;
	}
	in[nin].addr = out[0].addr + 16;
	in[nin++].len = 1;
	ret = vmsg_host_vq_add(blk->vq, out, nout, in, nin, &blk->slots[s]);
	if (ret < 0)
		return ret;
	blk->nfree--;
	blk->slots[s].busy = true;
	blk->slots[s].cookie = cookie;
	blk->slots[s].type = type;
	blk->slots[s].len = len;
	return 0;
}

int vmsg_host_blk_kick(struct vmsg_host_blk *blk)
{
	int ret = vmsg_host_vq_kick(blk->vq);

	return ret < 0 ? ret : 0;
}

static struct blk_slot *slot_of(struct vmsg_host_blk *blk, void *c, uint32_t *idx)
{
	struct blk_slot *sl = c;

	if (!sl || sl < blk->slots || sl >= blk->slots + blk->nslots || !sl->busy)
		return NULL;
	*idx = (uint32_t)(sl - blk->slots);
	return sl;
}

static void slot_put(struct vmsg_host_blk *blk, struct blk_slot *sl, uint32_t idx)
{
	sl->busy = false;
	blk->free_stack[blk->nfree++] = idx;
}

int vmsg_host_blk_complete(struct vmsg_host_blk *blk, void **cookie, int *status)
{
	struct blk_slot *sl;
	uint32_t len = 0, idx;
	void *c;
	int ret;

	ret = vmsg_host_vq_get_used(blk->vq, &c, &len);
	if (ret == 0)
		return 0;
	sl = slot_of(blk, c, &idx);
	if (!sl)
		return ret < 0 ? ret : -EPROTO;
	*cookie = sl->cookie;
	if (ret < 0) {
		*status = -EPROTO;
	} else {
		uint8_t st = __atomic_load_n(blk->slot_mem + (size_t)idx * BLK_SLOT_BYTES + 16,
					     __ATOMIC_ACQUIRE);

		*status = st == BLK_STATUS_NONE || len < 1 ? -EPROTO : st;
	}
	slot_put(blk, sl, idx);
	return 1;
}

int vmsg_host_blk_wait(struct vmsg_host_blk *blk, int timeout_ms)
{
	return vmsg_host_vq_wait(blk->vq, timeout_ms);
}

struct blk_drop_ctx {
	struct vmsg_host_blk *blk;
	void (*drop)(void *arg, void *cookie);
	void *arg;
};

static void blk_drop_one(void *arg, void *c)
{
	struct blk_drop_ctx *x = arg;
	struct blk_slot *sl;
	uint32_t idx;

	sl = slot_of(x->blk, c, &idx);
	if (!sl)
		return;
	if (x->drop)
		x->drop(x->arg, sl->cookie);
	slot_put(x->blk, sl, idx);
}

int vmsg_host_blk_reclaim(struct vmsg_host_blk *blk, void (*drop)(void *arg, void *cookie),
			  void *arg)
{
	struct blk_drop_ctx x = {.blk = blk, .drop = drop, .arg = arg};

	return vmsg_host_vq_reclaim(blk->vq, blk_drop_one, &x);
}

int vmsg_host_blk_reinit(struct vmsg_host_blk *blk)
{
	int ret = vmsg_host_blk_reclaim(blk, NULL, NULL);

	if (ret < 0 && ret != -EBUSY)
		return ret;
	if (ret == -EBUSY) {
		ret = vmsg_host_dev_reset(blk->dev);
		if (ret)
			return ret;
		vmsg_host_blk_reclaim(blk, NULL, NULL);
	}
	slots_reset(blk);
	return blk_init(blk);
}

int vmsg_host_blk_io(struct vmsg_host_blk *blk, uint32_t type, uint64_t sector, void *buf,
		     uint32_t len, int timeout_ms)
{
	struct vmsg_host_bus *bus = vmsg_host_dev_bus(blk->dev);
	int ret, status = 0, marker;
	void *cookie = NULL;

	if (vmsg_host_blk_in_flight(blk))
		return -EBUSY;
	if (timeout_ms <= 0)
		timeout_ms = (int)vmsg_host_bus_timeout_ms(bus, VMSG_HOST_TMO_REQUEST);
	ret = vmsg_host_blk_submit(blk, type, sector, buf, len, &marker);
	if (ret)
		return ret;
	ret = vmsg_host_blk_kick(blk);
	if (ret)
		return ret;
	for (;;) {
		ret = vmsg_host_blk_complete(blk, &cookie, &status);
		if (ret < 0)
			return ret;
		if (ret == 1)
			return cookie == &marker ? status : -EPROTO;
		ret = vmsg_host_blk_wait(blk, timeout_ms);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ETIMEDOUT;
	}
}
