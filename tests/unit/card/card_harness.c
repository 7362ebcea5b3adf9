/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* card_harness.c - fake platform, test host and fake device (see .h). */
#include "card_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg_bytes.h"

/* ---- fake platform ---- */

uint8_t *fake_host_ptr(struct fake_plat *fp, uint64_t addr)
{
	return fp->host + (addr - FAKE_HOST_BASE);
}

static bool host_range(uint64_t addr, size_t len)
{
	return addr >= FAKE_HOST_BASE && len <= FAKE_HOST_SIZE &&
	       addr - FAKE_HOST_BASE <= FAKE_HOST_SIZE - len;
}

static int fp_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct fake_plat *fp = ctx;

	if (!host_range(addr, len))
		return -1;
	memcpy(dst, fake_host_ptr(fp, addr), len);
	return 0;
}

static int fp_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	struct fake_plat *fp = ctx;

	if (!host_range(addr, len))
		return -1;
	memcpy(fake_host_ptr(fp, addr), src, len);
	return 0;
}

static volatile void *fp_map(void *ctx, uint64_t addr, size_t len)
{
	struct fake_plat *fp = ctx;

	fp->map_len = len;
	if (fp->map_fail || !host_range(addr, len))
		return NULL;
	return fake_host_ptr(fp, addr);
}

static int fp_irq(void *ctx, uint32_t vec)
{
	struct fake_plat *fp = ctx;

	if (vec >= FAKE_NUM_VECTORS)
		return -1;
	fp->irqs++;
	fp->last_vec = vec;
	return 0;
}

static uint64_t fp_now(void *ctx)
{
	struct fake_plat *fp = ctx;

	return fp->now += 1000;
}

static void fp_log(void *ctx, int level, const char *prefix, const char *fmt, va_list ap)
{
	struct fake_plat *fp = ctx;
	char msg[200];

	(void)level;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fp->logs++;
	snprintf(fp->last_log, sizeof(fp->last_log), "%s%s", prefix, msg);
	if (getenv("CARD_TEST_LOG"))
		fprintf(stderr, "card: %s\n", fp->last_log);
}

static void *fp_zalloc(void *ctx, size_t size)
{
	struct fake_plat *fp = ctx;

	if (fp->alloc_fail)
		return NULL;
	fp->allocs++;
	return calloc(1, size);
}

static void fp_free(void *ctx, void *p)
{
	struct fake_plat *fp = ctx;

	assert_non_null(p);
	fp->frees++;
	free(p);
}

void fake_plat_init(struct fake_plat *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->bar0 = aligned_alloc(4096, FAKE_BAR0_SIZE);
	fp->host = aligned_alloc(4096, FAKE_HOST_SIZE);
	assert_non_null(fp->bar0);
	assert_non_null(fp->host);
	memset(fp->bar0, 0xa5, FAKE_BAR0_SIZE); /* the engine must not rely on zeroes */
	memset(fp->host, 0, FAKE_HOST_SIZE);
	fp->now = 123456789;
	fp->plat = (struct vmsg_card_platform){
	    .ctx = fp,
	    .bar0 = fp->bar0,
	    .bar0_size = FAKE_BAR0_SIZE,
	    .host_read = fp_read,
	    .host_write = fp_write,
	    .host_map = fp_map,
	    .raise_irq = fp_irq,
	    .now_ns = fp_now,
	    .zalloc = fp_zalloc,
	    .free = fp_free,
	    .log = fp_log,
	};
}

void fake_plat_fini(struct fake_plat *fp)
{
	free(fp->bar0);
	free(fp->host);
}

uint32_t bar_rd(struct fake_plat *fp, size_t off)
{
	return vmsg_get_le32(fp->bar0 + off);
}

void bar_wr(struct fake_plat *fp, size_t off, uint32_t v)
{
	vmsg_put_le32(fp->bar0 + off, v);
}

uint64_t bar_rd64(struct fake_plat *fp, size_t off)
{
	return vmsg_get_le64(fp->bar0 + off);
}

/* ---- test host ---- */

void attach_args_default(struct thost *th, struct attach_args *a)
{
	memset(a, 0, sizeof(*a));
	a->version = VMSG_PCIE_VERSION;
	a->features = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_ERROR_MSG;
	a->area_addr = FAKE_AREA_ADDR;
	a->area_size = FAKE_AREA_SIZE;
	a->irq_mode = VMSG_IRQ_POLL;
	a->epoch = bar_rd(th->fp, REG(epoch));
}

static void thost_rings(struct thost *th, const struct attach_args *a)
{
	struct fake_plat *fp = th->fp;
	uint32_t h2c_off = bar_rd(fp, REG(h2c_ring_offset));
	uint32_t h2c_size = bar_rd(fp, REG(h2c_ring_size));
	uint8_t *area = fake_host_ptr(fp, a->area_addr);

	assert_int_equal(
	    vmsg_ring_attach_producer(
		&th->h2c, fp->bar0 + h2c_off, h2c_size,
		(volatile struct vmsg_ring_idx *)(area + VMSG_HOST_AREA_H2C_CONS_OFFSET)),
	    0);
	assert_int_equal(
	    vmsg_ring_attach_consumer(
		&th->c2h, area + VMSG_HOST_AREA_C2H_RING_OFFSET,
		a->area_size - VMSG_HOST_AREA_C2H_RING_OFFSET,
		(volatile struct vmsg_ring_idx *)(fp->bar0 + bar_rd(fp, REG(c2h_cons_offset)))),
	    0);
}

uint32_t thost_attach_with(struct thost *th, const struct attach_args *a)
{
	struct fake_plat *fp = th->fp;
	uint32_t err;

	bar_wr(fp, REG(host_version), a->version);
	bar_wr(fp, REG(host_features), a->features);
	bar_wr(fp, REG(host_area_addr), (uint32_t)a->area_addr);
	bar_wr(fp, REG(host_area_addr) + 4, (uint32_t)(a->area_addr >> 32));
	bar_wr(fp, REG(host_area_size), a->area_size);
	bar_wr(fp, REG(irq_mode), a->irq_mode);
	bar_wr(fp, REG(vec_c2h), a->vec);
	bar_wr(fp, REG(host_epoch), a->epoch);
	bar_wr(fp, REG(host_ctrl), VMSG_HOST_CTRL_ATTACH);
	bar_wr(fp, REG(doorbell[VMSG_DB_CTRL]), bar_rd(fp, REG(doorbell[VMSG_DB_CTRL])) + 1);
	vmsg_card_poll(th->card);
	assert_int_equal(bar_rd(fp, REG(host_ctrl)), VMSG_HOST_CTRL_NONE);
	err = bar_rd(fp, REG(attach_error));
	if (err == VMSG_ATTACH_OK) {
		assert_int_equal(bar_rd(fp, REG(link_state)), VMSG_LINK_RUN);
		th->epoch = bar_rd(fp, REG(epoch));
		assert_int_equal(th->epoch, a->epoch);
		thost_rings(th, a);
	}
	return err;
}

void thost_attach(struct thost *th)
{
	struct attach_args a;

	attach_args_default(th, &a);
	assert_int_equal(thost_attach_with(th, &a), VMSG_ATTACH_OK);
}

void thost_detach(struct thost *th)
{
	bar_wr(th->fp, REG(host_ctrl), VMSG_HOST_CTRL_DETACH);
	vmsg_card_poll(th->card);
	assert_int_equal(bar_rd(th->fp, REG(host_ctrl)), VMSG_HOST_CTRL_NONE);
	assert_int_equal(bar_rd(th->fp, REG(link_state)), VMSG_LINK_READY);
}

void thost_put_raw(struct thost *th, const void *msg, uint32_t len, uint32_t epoch)
{
	assert_int_equal(vmsg_ring_produce(&th->h2c, msg, len, epoch), 0);
	bar_wr(th->fp, REG(doorbell[VMSG_DB_H2C]), th->h2c.local);
}

void thost_put(struct thost *th, const void *msg, size_t len)
{
	assert_true(len > 0);
	thost_put_raw(th, msg, (uint32_t)len, th->epoch);
}

size_t thost_get(struct thost *th, uint8_t *buf)
{
	struct vmsg_validate_opts o = {.max_msg_size = (uint16_t)th->max_msg,
				       .allow_impl_ids = true};
	uint32_t epoch = 0;
	int n = vmsg_ring_consume(&th->c2h, buf, MSGBUF, &epoch);

	assert_true(n >= 0);
	if (n == 0)
		return 0;
	assert_int_equal(epoch, th->epoch);
	assert_int_equal(vmsg_validate(buf, (size_t)n, VMSG_DIR_DEVICE_TO_DRIVER, &o, NULL),
			 VMSG_OK);
	assert_int_equal(buf[0] & VIRTIO_MSG_TYPE_RESERVED, 0);
	return (size_t)n;
}

size_t thost_call(struct thost *th, const void *req, size_t len, uint8_t *resp)
{
	uint8_t extra[MSGBUF];
	size_t n;

	thost_put(th, req, len);
	vmsg_card_poll(th->card);
	n = thost_get(th, resp);
	assert_true(n > 0);
	assert_int_equal(thost_get(th, extra), 0);
	/* Responses echo token; transport responses echo dev_num. */
	assert_int_equal(vmsg_get_le16(resp + 4), vmsg_get_le16((const uint8_t *)req + 4));
	return n;
}

void thost_call_none(struct thost *th, const void *req, size_t len)
{
	uint8_t buf[MSGBUF];

	thost_put(th, req, len);
	vmsg_card_poll(th->card);
	assert_int_equal(thost_get(th, buf), 0);
}

uint16_t thost_token(struct thost *th)
{
	return ++th->token;
}

uint32_t thost_drain(struct thost *th)
{
	uint8_t buf[MSGBUF];
	uint32_t n = 0;

	while (thost_get(th, buf))
		n++;
	return n;
}

void rig_init(struct rig *r, const struct vmsg_card_config *cfg)
{
	memset(r, 0, sizeof(*r));
	fake_plat_init(&r->fp);
	if (cfg) {
		r->cfg = *cfg;
	} else {
		vmsg_card_config_defaults(&r->cfg);
		r->cfg.card_features |= VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI;
		r->cfg.num_vectors = FAKE_NUM_VECTORS;
		r->cfg.dma_addr_bits = 40;
	}
	r->card = vmsg_card_create(&r->fp.plat, &r->cfg);
	assert_non_null(r->card);
	r->th.fp = &r->fp;
	r->th.card = r->card;
	r->th.max_msg = bar_rd(&r->fp, REG(max_msg_size));
}

void rig_fini(struct rig *r)
{
	vmsg_card_destroy(r->card);
	fake_plat_fini(&r->fp);
}

/* ---- fake device ---- */

static struct fdev *fd_of(struct vmsg_dev *d)
{
	return (struct fdev *)d->priv;
}

static void fd_config_read(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len)
{
	assert_true((uint64_t)off + len <= d->config_size);
	memcpy(buf, fd_of(d)->cfg + off, len);
}

static int fd_config_write(struct vmsg_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	assert_true((uint64_t)off + len <= d->config_size);
	if (fd_of(d)->config_write_ret)
		return fd_of(d)->config_write_ret;
	memcpy(fd_of(d)->cfg + off, buf, len);
	return 0;
}

static int fd_set_features(struct vmsg_dev *d, uint64_t f)
{
	fd_of(d)->set_features_calls++;
	if (fd_of(d)->set_features_ret)
		return fd_of(d)->set_features_ret;
	fd_of(d)->accepted_features = f;
	return 0;
}

static void fd_start(struct vmsg_dev *d)
{
	fd_of(d)->starts++;
}

static void fd_reset(struct vmsg_dev *d, uint32_t vq)
{
	fd_of(d)->resets++;
	fd_of(d)->last_reset_vq = vq;
	fd_of(d)->reset_status_seen = d->status;
	fd_of(d)->tx_at_reset = vmsg_card_stats(d->card)->tx_msgs;
}

static void fd_queue_notify(struct vmsg_dev *d, uint32_t vq)
{
	fd_of(d)->notifies++;
	fd_of(d)->last_notify_vq = vq;
}

static void fd_poll(struct vmsg_dev *d)
{
	fd_of(d)->polls++;
}

static int fd_get_shm(struct vmsg_dev *d, uint32_t idx, uint64_t *addr, uint64_t *len)
{
	if (!fd_of(d)->has_shm || idx != 1)
		return -1;
	*addr = 0x40000000u;
	*len = 0x200000u;
	return 0;
}

static void fd_destroy(struct vmsg_dev *d)
{
	fd_of(d)->destroyed = true;
}

static void fd_heap_destroy(struct vmsg_dev *d)
{
	free(fd_of(d));
}

void fdev_init(struct fdev *f, uint64_t features, uint32_t config_size, uint32_t num_queues)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ops = (struct vmsg_dev_ops){
	    .name = "fake",
	    .device_id = 42,
	    .config_read = fd_config_read,
	    .config_write = fd_config_write,
	    .set_features = fd_set_features,
	    .start = fd_start,
	    .reset = fd_reset,
	    .queue_notify = fd_queue_notify,
	    .poll = fd_poll,
	    .get_shm = fd_get_shm,
	    .destroy = fd_destroy,
	};
	for (i = 0; i < sizeof(f->cfg); i++)
		f->cfg[i] = (uint8_t)(i * 7 + 1);
	f->d.ops = &f->ops;
	f->d.priv = f;
	f->d.features = features;
	f->d.config_size = config_size;
	f->d.num_queues = num_queues;
	f->d.queue_max_size = 256;
	f->d.vendor_id = 0x766d;
}

struct fdev *fdev_new(struct vmsg_card *card, uint64_t features, uint32_t config_size,
		      uint32_t num_queues)
{
	struct fdev *f = malloc(sizeof(*f));

	assert_non_null(f);
	fdev_init(f, features, config_size, num_queues);
	f->ops.destroy = fd_heap_destroy;
	assert_true(vmsg_card_add_device(card, &f->d) > 0);
	return f;
}

/* ---- message helpers ---- */

uint32_t msg_u32(const uint8_t *m, size_t off)
{
	return vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE + off);
}

uint16_t msg_u16(const uint8_t *m, size_t off)
{
	return vmsg_get_le16(m + VIRTIO_MSG_HEADER_SIZE + off);
}

uint64_t msg_u64(const uint8_t *m, size_t off)
{
	return vmsg_get_le64(m + VIRTIO_MSG_HEADER_SIZE + off);
}

uint32_t dev_status_get(struct thost *th, vmsg_dev_num_t dev)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_get_device_status_req(req, sizeof(req), dev, thost_token(th));

	thost_call(th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_MSG_GET_DEVICE_STATUS);
	assert_int_equal(vmsg_get_le16(resp + 2), dev);
	return msg_u32(resp, 0);
}

uint32_t dev_status_set(struct thost *th, vmsg_dev_num_t dev, uint32_t status)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_set_device_status_req(req, sizeof(req), dev, thost_token(th), status);

	thost_call(th, req, n, resp);
	assert_int_equal(resp[1], VIRTIO_MSG_SET_DEVICE_STATUS);
	return msg_u32(resp, 0);
}

void dev_features_set(struct thost *th, vmsg_dev_num_t dev, uint64_t features)
{
	uint32_t blocks[2] = {(uint32_t)features, (uint32_t)(features >> 32)};
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_set_driver_features_req(req, sizeof(req), dev, thost_token(th), 0,
						      blocks, 2);

	assert_int_equal(thost_call(th, req, n, resp), VIRTIO_MSG_HEADER_SIZE);
}

uint32_t dev_negotiate(struct thost *th, vmsg_dev_num_t dev, uint64_t features)
{
	const uint32_t ad = VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER;

	assert_int_equal(dev_status_set(th, dev, VIRTIO_MSG_STATUS_ACKNOWLEDGE),
			 VIRTIO_MSG_STATUS_ACKNOWLEDGE);
	assert_int_equal(dev_status_set(th, dev, ad), ad);
	dev_features_set(th, dev, features);
	return dev_status_set(th, dev, ad | VIRTIO_MSG_STATUS_FEATURES_OK);
}

void dev_vq_set(struct thost *th, vmsg_dev_num_t dev, uint32_t idx, uint32_t size, uint64_t desc,
		uint64_t drv, uint64_t dev_area)
{
	struct vmsg_vqueue_info vi = {.index = idx,
				      .size = size,
				      .desc_addr = desc,
				      .driver_addr = drv,
				      .device_addr = dev_area};
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_set_vqueue_req(req, sizeof(req), dev, thost_token(th), &vi);

	assert_int_equal(thost_call(th, req, n, resp), VIRTIO_MSG_HEADER_SIZE);
	assert_int_equal(resp[1], VIRTIO_MSG_SET_VQUEUE);
}

void dev_vq_get(struct thost *th, vmsg_dev_num_t dev, uint32_t idx, struct vmsg_vqueue_info *vi)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_get_vqueue_req(req, sizeof(req), dev, thost_token(th), idx);

	assert_int_equal(thost_call(th, req, n, resp), VIRTIO_MSG_SIZE(40u));
	assert_int_equal(msg_u32(resp, 0), idx);
	assert_int_equal(msg_u32(resp, 12), 0); /* reserved */
	vi->index = idx;
	vi->max_size = msg_u32(resp, 4);
	vi->size = msg_u32(resp, 8);
	vi->desc_addr = msg_u64(resp, 16);
	vi->driver_addr = msg_u64(resp, 24);
	vi->device_addr = msg_u64(resp, 32);
}
