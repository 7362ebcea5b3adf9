// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * fake_card.c - the in-process card of the unit tests (see fake_card.h).
 */
#include "fake_card.h"
#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR0_SIZE 0x10000u
#ifndef FC_MEM_SIZE
#define FC_MEM_SIZE (4u << 20) /* host DMA memory (the fuzzer uses less) */
#endif
#define MEM_SIZE   FC_MEM_SIZE
#define SLOT	   320u
#define SLOTS	   64u
#define RING_BYTES VMSG_RING_BYTES(SLOT, SLOTS)
#define REG(fc, f) ((volatile uint32_t *)((fc)->bar0 + offsetof(struct vmsg_pcie_regs, f)))

static uint32_t rd(struct fake_card *fc, size_t off)
{
	return vmsg_le32_to_cpu(VMSG_READ_ONCE32(fc->bar0 + off));
}

static void wr(struct fake_card *fc, size_t off, uint32_t v)
{
	VMSG_WRITE_ONCE32(fc->bar0 + off, vmsg_cpu_to_le32(v));
}

#define RD(fc, f)    rd(fc, offsetof(struct vmsg_pcie_regs, f))
#define WR(fc, f, v) wr(fc, offsetof(struct vmsg_pcie_regs, f), v)

/* ---- attach ---- */

static void fc_ctrl(struct fake_card *fc)
{
	uint32_t cmd = RD(fc, host_ctrl), err = VMSG_ATTACH_OK;
	uint64_t addr;
	uint32_t size;

	if (cmd == VMSG_HOST_CTRL_DETACH) {
		fc->live = false;
		fc->epoch++;
		WR(fc, epoch, fc->epoch);
		WR(fc, link_state, VMSG_LINK_READY);
	} else if (cmd == VMSG_HOST_CTRL_ATTACH) {
		addr = vmsg_le64_to_cpu(*(volatile uint64_t *)(fc->bar0 + 0x58));
		size = RD(fc, host_area_size);
		if (fc->new_epoch_on_attach) {
			fc->new_epoch_on_attach = false;
			fc->epoch += 0x100;
			WR(fc, epoch, fc->epoch);
		}
		if (fc->refuse_count) {
			fc->refuse_count--;
			err = fc->refuse_attach;
		} else if (VMSG_PCIE_VERSION_GET_MAJOR(RD(fc, host_version)) != 1) {
			err = VMSG_ATTACH_EVERSION;
		} else if (RD(fc, host_features) & ~RD(fc, card_features)) {
			err = VMSG_ATTACH_EFEATURES;
		} else if (RD(fc, host_epoch) != fc->epoch) {
			err = VMSG_ATTACH_EEPOCH;
		} else if (addr % 4096 || size < RD(fc, host_area_min) ||
			   addr + size > fc->mem_size) {
			err = VMSG_ATTACH_EAREA;
		}
		if (err == VMSG_ATTACH_OK) {
			fc->area = fc->mem + addr;
			memset(fc->area, 0, 0x40);
			memset(fc->bar0 + VMSG_BAR0_C2H_CONS_OFFSET, 0, 64);
			vmsg_ring_format(fc->area + 0x40, RING_BYTES, SLOT, SLOTS);
			vmsg_ring_format(fc->bar0 + 0x1000, RING_BYTES, SLOT, SLOTS);
			vmsg_ring_attach_consumer(&fc->h2c, fc->bar0 + 0x1000, RING_BYTES,
						  (volatile struct vmsg_ring_idx *)fc->area);
			vmsg_ring_attach_producer(
			    &fc->c2h, fc->area + 0x40, RING_BYTES,
			    (volatile struct vmsg_ring_idx *)(fc->bar0 +
							      VMSG_BAR0_C2H_CONS_OFFSET));
			vmsg_ring_set_need_notify(&fc->h2c, true);
			fc->live = true;
			fc->attaches++;
			WR(fc, link_state, VMSG_LINK_RUN);
		}
		WR(fc, attach_error, err);
	}
	vmsg_mb();
	WR(fc, host_ctrl, VMSG_HOST_CTRL_NONE);
}

void fc_restart(struct fake_card *fc)
{
	fc->live = false;
	fc->epoch += 0x10000;
	WR(fc, epoch, fc->epoch);
	WR(fc, link_state, VMSG_LINK_READY);
}

/* ---- sending ---- */

void fc_send_epoch(struct fake_card *fc, const void *m, size_t len, uint32_t epoch)
{
	if (!fc->live || !len)
		return;
	vmsg_ring_produce(&fc->c2h, m, (uint32_t)len, epoch);
}

void fc_send(struct fake_card *fc, const void *m, size_t len)
{
	if (fc->defer && fc->ndq < FC_MAX_DEFER && len <= FC_MSG_MAX) {
		memcpy(fc->dq[fc->ndq], m, len);
		fc->dq_len[fc->ndq++] = (uint16_t)len;
		return;
	}
	fc_send_epoch(fc, m, len, fc->epoch);
}

void fc_flush(struct fake_card *fc, bool reverse)
{
	unsigned int i, n = fc->ndq;

	fc->ndq = 0;
	for (i = 0; i < n; i++) {
		unsigned int k = reverse ? n - 1 - i : i;

		fc_send_epoch(fc, fc->dq[k], fc->dq_len[k], fc->epoch);
	}
}

void fc_send_bad_slot(struct fake_card *fc, uint16_t framing_len)
{
	volatile uint8_t *slot = fc->c2h.slots + (size_t)(fc->c2h.local & fc->c2h.mask) * SLOT;

	if (!fc->live)
		return;
	vmsg_put_le16((uint8_t *)slot, framing_len);
	vmsg_put_le16((uint8_t *)slot + 2, 0);
	vmsg_put_le32((uint8_t *)slot + 4, fc->epoch);
	vmsg_wmb();
	fc->c2h.local++;
	VMSG_WRITE_ONCE32(&fc->c2h.prod->idx, vmsg_cpu_to_le32(fc->c2h.local));
}

void fc_bad_prod_index(struct fake_card *fc)
{
	fc->c2h.local += 1000;
	VMSG_WRITE_ONCE32(&fc->c2h.prod->idx, vmsg_cpu_to_le32(fc->c2h.local));
}

/* ---- the default device model ---- */

static void err_reply(struct fake_card *fc, const struct vmsg_msg_info *mi, uint16_t e)
{
	uint8_t out[32];

	fc_send(fc, out,
		vmsg_build_bus_error(out, sizeof(out), mi->token, mi->type, mi->msg_id, mi->dev_num,
				     e));
}

static void dev_msg(struct fake_card *fc, struct fc_dev *d, const uint8_t *m,
		    const struct vmsg_msg_info *mi)
{
	const uint8_t *p = m + 8;
	uint8_t out[FC_MSG_MAX];
	vmsg_dev_num_t n = mi->dev_num;
	uint16_t t = mi->token;
	size_t len = 0;

	switch (mi->msg_id) {
	case VIRTIO_MSG_GET_DEVICE_INFO: {
		struct vmsg_device_info di = {
		    d->device_id, 0x766d, d->num_feature_bits, d->config_size, d->vq_max, 0, 0};

		len = vmsg_build_get_device_info_resp(out, sizeof(out), n, t, &di);
		break;
	}
	case VIRTIO_MSG_GET_DEVICE_FEATURES: {
		uint32_t first = vmsg_get_le32(p), num = vmsg_get_le32(p + 4), blocks[64], i;

		if (num > (FC_MSG_MAX - 16) / 4)
			num = (FC_MSG_MAX - 16) / 4;
		for (i = 0; i < num; i++) {
			uint64_t b = (uint64_t)first + i;

			blocks[i] = b < 2 ? (uint32_t)(d->features >> (32 * b)) : 0;
		}
		len =
		    vmsg_build_get_device_features_resp(out, sizeof(out), n, t, first, blocks, num);
		break;
	}
	case VIRTIO_MSG_SET_DRIVER_FEATURES: {
		uint32_t first = vmsg_get_le32(p), num = vmsg_get_le32(p + 4), i;

		for (i = 0; i < num; i++) {
			uint64_t b = (uint64_t)first + i;

			if (b < 2) {
				d->drv_features &= ~(0xffffffffull << (32 * b));
				d->drv_features |= (uint64_t)vmsg_get_le32(p + 8 + 4 * i)
						   << (32 * b);
			}
		}
		len = vmsg_build_set_driver_features_resp(out, sizeof(out), n, t);
		break;
	}
	case VIRTIO_MSG_GET_CONFIG: {
		uint32_t off = vmsg_get_le32(p), l = vmsg_get_le32(p + 4);

		if (off > 0 && d->gen_bump_mid_read) {
			d->gen_bump_mid_read--;
			d->gen++;
		}
		if ((uint64_t)off + l > d->config_size)
			l = 0;
		len = vmsg_build_get_config_resp(out, sizeof(out), n, t, d->gen, off,
						 d->config + off, l);
		break;
	}
	case VIRTIO_MSG_SET_CONFIG: {
		uint32_t gen = vmsg_get_le32(p), off = vmsg_get_le32(p + 4),
			 l = vmsg_get_le32(p + 8);

		if (d->gen_bump_before_set) {
			d->gen_bump_before_set--;
			d->gen++;
		}
		if (gen != d->gen || !d->writable || (uint64_t)off + l > d->config_size)
			l = 0;
		else
			memcpy(d->config + off, p + 12, l);
		len = vmsg_build_set_config_resp(out, sizeof(out), n, t, d->gen, off, l, NULL);
		break;
	}
	case VIRTIO_MSG_GET_DEVICE_STATUS:
		if (d->reset_pending && !d->reset_never && --d->reset_pending == 0)
			d->status = 0;
		len = vmsg_build_get_device_status_resp(out, sizeof(out), n, t, d->status);
		break;
	case VIRTIO_MSG_SET_DEVICE_STATUS: {
		uint32_t s = vmsg_get_le32(p);

		if (s == 0) {
			d->drv_features = 0;
			memset(d->vq, 0, sizeof(d->vq));
			if (d->reset_delay || d->reset_never) {
				d->reset_pending = d->reset_delay;
				if (!d->status)
					d->status = VIRTIO_MSG_STATUS_ACKNOWLEDGE;
			} else {
				d->status = 0;
			}
		} else {
			if ((s & VIRTIO_MSG_STATUS_FEATURES_OK) &&
			    (d->refuse_features || (d->drv_features & ~d->features)))
				s &= ~VIRTIO_MSG_STATUS_FEATURES_OK;
			d->status = s;
		}
		len = vmsg_build_set_device_status_resp(out, sizeof(out), n, t, d->status);
		break;
	}
	case VIRTIO_MSG_GET_VQUEUE: {
		uint32_t i = vmsg_get_le32(p);
		struct vmsg_vqueue_info vi = {.index = i};

		if (i < 4 && i < d->vq_max) {
			vi.max_size = 256;
			vi.size = d->vq[i].size;
			vi.desc_addr = d->vq[i].desc;
			vi.driver_addr = d->vq[i].drv;
			vi.device_addr = d->vq[i].dev;
		}
		len = vmsg_build_get_vqueue_resp(out, sizeof(out), n, t, &vi);
		break;
	}
	case VIRTIO_MSG_SET_VQUEUE: {
		uint32_t i = vmsg_get_le32(p);

		if (i < 4 && i < d->vq_max) {
			d->vq[i].size = vmsg_get_le32(p + 8);
			d->vq[i].desc = vmsg_get_le64(p + 16);
			d->vq[i].drv = vmsg_get_le64(p + 24);
			d->vq[i].dev = vmsg_get_le64(p + 32);
		}
		len = vmsg_build_set_vqueue_resp(out, sizeof(out), n, t);
		break;
	}
	case VIRTIO_MSG_RESET_VQUEUE: {
		uint32_t i = vmsg_get_le32(p);

		if (i < 4)
			memset(&d->vq[i], 0, sizeof(d->vq[i]));
		len = vmsg_build_reset_vqueue_resp(out, sizeof(out), n, t);
		break;
	}
	case VIRTIO_MSG_GET_SHM:
		len = vmsg_build_get_shm_resp(out, sizeof(out), n, t, vmsg_get_le32(p), 0x1000,
					      0x20000);
		break;
	case VIRTIO_MSG_EVENT_AVAIL:
		fc->avails++;
		return;
	default:
		err_reply(fc, mi, VMSG_PCIE_ERR_UNSUPPORTED);
		return;
	}
	fc_send(fc, out, len);
}

void fc_default(struct fake_card *fc, const uint8_t *m, size_t len, const struct vmsg_msg_info *mi)
{
	uint8_t out[FC_MSG_MAX];
	size_t n;

	(void)len;
	if (mi->is_bus) {
		if (mi->msg_id == VIRTIO_BUS_MSG_PING && mi->is_response) {
			fc->ping_resps++;
			memcpy(fc->last_ping_resp, m, 12);
			fc->got_ping_resp = true;
		} else if (mi->msg_id == VIRTIO_BUS_MSG_PING) {
			fc->pings++;
			if (fc->no_ping)
				return;
			n = vmsg_build_bus_ping_resp(out, sizeof(out), mi->token,
						     vmsg_get_le32(m + 8));
			fc_send(fc, out, n);
		} else if (mi->msg_id == VIRTIO_BUS_MSG_GET_DEVICES) {
			uint16_t off = vmsg_get_le16(m + 8), cnt = vmsg_get_le16(m + 10), i;
			uint8_t bm[64] = {0};

			if (cnt > 256)
				cnt = 256;
			for (i = 0; i < cnt; i++)
				if ((uint32_t)off + i <= FC_MAX_DEV && fc->dev[off + i].present)
					bm[i / 8] |= (uint8_t)(1u << (i % 8));
			n = vmsg_build_bus_get_devices_resp(out, sizeof(out), mi->token, off, cnt,
							    0, bm);
			fc_send(fc, out, n);
		}
		return;
	}
	if (mi->dev_num == 0 || mi->dev_num > FC_MAX_DEV || !fc->dev[mi->dev_num].present) {
		if (!mi->is_event)
			err_reply(fc, mi, VMSG_PCIE_ERR_NO_DEVICE);
		return;
	}
	dev_msg(fc, &fc->dev[mi->dev_num], m, mi);
}

static void fc_drain(struct fake_card *fc)
{
	uint8_t buf[VMSG_RING_MAX_SLOT_SIZE];
	struct vmsg_msg_info mi;
	uint32_t epoch;
	int n;

	while (fc->live && (n = vmsg_ring_consume(&fc->h2c, buf, sizeof(buf), &epoch)) != 0) {
		fc->rx++;
		if (n < 0) {
			fc->rx_bad++;
			continue;
		}
		if (epoch != fc->epoch) {
			fc->rx_stale++;
			continue;
		}
		if (vmsg_validate(buf, (size_t)n, VMSG_DIR_DRIVER_TO_DEVICE, &fc->vopts, &mi)) {
			fc->rx_bad++;
			continue;
		}
		fc->rx_by_id[mi.msg_id]++;
		if (fc->deaf)
			continue;
		if (fc->hook && fc->hook(fc, buf, (size_t)n, &mi))
			continue;
		fc_default(fc, buf, (size_t)n, &mi);
	}
}

/* A card that floods: every free c2h slot gets a PING, flood_pings in all. */
void fc_flood(struct fake_card *fc)
{
	uint8_t m[16];

	while (fc->live && fc->flood_pings && vmsg_ring_space(&fc->c2h) > 0) {
		size_t n = vmsg_build_bus_ping_req(m, sizeof(m), (uint16_t)(fc->flood_sent + 1),
						   (uint32_t)fc->flood_sent);

		if (vmsg_ring_produce(&fc->c2h, m, (uint32_t)n, fc->epoch))
			break;
		fc->flood_pings--;
		fc->flood_sent++;
	}
}

/* ---- link ops ---- */

static struct fake_card *to_fc(struct vmsg_link *l)
{
	return (struct fake_card *)l;
}

static int fl_connect(struct vmsg_link *l, int t)
{
	(void)l;
	(void)t;
	return 0;
}

static void fl_disconnect(struct vmsg_link *l)
{
	(void)l;
}

static volatile void *fl_bar0(struct vmsg_link *l, size_t *size)
{
	*size = to_fc(l)->bar0_size;
	return to_fc(l)->bar0;
}

static int fl_doorbell(struct vmsg_link *l, uint32_t idx, uint32_t v)
{
	struct fake_card *fc = to_fc(l);

	if (idx >= 2)
		return -EINVAL;
	VMSG_WRITE_ONCE32(fc->bar0 + offsetof(struct vmsg_pcie_regs, doorbell) + 4 * idx,
			  vmsg_cpu_to_le32(v));
	if (idx == VMSG_DB_CTRL) {
		if (!fc->ctrl_dead)
			fc_ctrl(fc);
	} else if (idx == VMSG_DB_H2C) {
		if (!fc->stalled)
			fc_drain(fc);
		fc_flood(fc);
	} else
		return -EINVAL;
	return 0;
}

static uint32_t fl_num_vectors(struct vmsg_link *l)
{
	(void)l;
	return 1;
}

static int fl_wait_irq(struct vmsg_link *l, uint32_t vec, int t)
{
	struct fake_card *fc = to_fc(l);

	(void)vec;
	if (!fc->stalled)
		fc_drain(fc);
	if (fc->irq_pending) {
		fc->irq_pending = false;
		return 1;
	}
	if (fc->ndq && !fc->defer) {
		fc_flush(fc, false);
		return 1;
	}
	if (t > 0)
		usleep(200);
	return 0;
}

static int fl_set_dma_bits(struct vmsg_link *l, uint32_t bits)
{
	return bits >= 64 ? 0 : hostmem_set_limit(&to_fc(l)->hm, 1ull << bits);
}

static void *fl_alloc(struct vmsg_link *l, size_t size, size_t align, uint64_t *dma)
{
	return hostmem_alloc(&to_fc(l)->hm, size, align, dma);
}

static void fl_free(struct vmsg_link *l, void *va)
{
	hostmem_free(&to_fc(l)->hm, va);
}

static void *fl_dma_to_va(struct vmsg_link *l, uint64_t dma, size_t len)
{
	return hostmem_dma_to_va(&to_fc(l)->hm, dma, len);
}

static uint64_t fl_va_to_dma(struct vmsg_link *l, const void *va)
{
	return hostmem_va_to_dma(&to_fc(l)->hm, va);
}

static void fl_destroy(struct vmsg_link *l)
{
	(void)l;
}

static const struct vmsg_link_ops fake_ops = {
    .name = "fake",
    .connect = fl_connect,
    .disconnect = fl_disconnect,
    .bar0 = fl_bar0,
    .doorbell = fl_doorbell,
    .num_vectors = fl_num_vectors,
    .wait_irq = fl_wait_irq,
    .set_dma_bits = fl_set_dma_bits,
    .mem_alloc = fl_alloc,
    .mem_free = fl_free,
    .dma_to_va = fl_dma_to_va,
    .va_to_dma = fl_va_to_dma,
    .destroy = fl_destroy,
};

struct fake_card *fc_create(void)
{
	struct fake_card *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	fc->link.ops = &fake_ops;
	fc->bar0_size = BAR0_SIZE;
	fc->bar0 = aligned_alloc(4096, BAR0_SIZE);
	fc->mem_size = MEM_SIZE;
	fc->mem = aligned_alloc(4096, MEM_SIZE);
	memset(fc->bar0, 0, BAR0_SIZE);
	memset(fc->mem, 0, MEM_SIZE);
	hostmem_init(&fc->hm, fc->mem, MEM_SIZE, 0, 4096);
	fc->epoch = 0x1000;
	fc->vopts.max_msg_size = FC_MSG_MAX;
	fc->vopts.allow_impl_ids = true;
	WR(fc, magic, VMSG_PCIE_MAGIC);
	WR(fc, version, VMSG_PCIE_VERSION);
	WR(fc, transport_rev, 1);
	WR(fc, max_msg_size, FC_MSG_MAX);
	WR(fc, card_features, VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_ERROR_MSG);
	WR(fc, dma_addr_bits, 48);
	WR(fc, num_doorbells, 2);
	WR(fc, num_vectors, 1);
	WR(fc, epoch, fc->epoch);
	WR(fc, h2c_ring_offset, 0x1000);
	WR(fc, h2c_ring_size, RING_BYTES);
	WR(fc, c2h_cons_offset, VMSG_BAR0_C2H_CONS_OFFSET);
	WR(fc, host_area_min, 0x40 + RING_BYTES);
	vmsg_ring_format(fc->bar0 + 0x1000, RING_BYTES, SLOT, SLOTS);
	WR(fc, link_state, VMSG_LINK_READY);
	return fc;
}

void fc_destroy(struct fake_card *fc)
{
	hostmem_fini(&fc->hm);
	free(fc->bar0);
	free(fc->mem);
	free(fc);
}

struct fc_dev *fc_add_dev(struct fake_card *fc, vmsg_dev_num_t n, uint32_t device_id,
			  uint64_t extra)
{
	struct fc_dev *d = &fc->dev[n];

	memset(d, 0, sizeof(*d));
	d->present = true;
	d->device_id = device_id;
	d->num_feature_bits = 64;
	d->features = (1ull << 32) | (1ull << 33) | extra;
	d->config_size = 16;
	d->vq_max = 2;
	return d;
}
