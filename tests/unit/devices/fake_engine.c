/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* fake_engine.c - host memory, engine services and a driver for tests. */
#include "fake_engine.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_msg.h"

struct fake_counters fake;
struct fake_modes fake_mode;
static uint8_t *host_mem;
static size_t host_used;
static char fake_card_token;

void host_reset(void)
{
	if (!host_mem) {
		host_mem = calloc(1, HOST_SIZE);
		assert_non_null(host_mem);
	} else {
		memset(host_mem, 0, HOST_SIZE);
	}
	host_used = 0;
	memset(&fake, 0, sizeof(fake));
	memset(&fake_mode, 0, sizeof(fake_mode));
}

uint64_t host_alloc(size_t len, size_t align)
{
	size_t off = (host_used + align - 1) & ~(align - 1);

	assert_true(off <= HOST_SIZE && len <= HOST_SIZE - off);
	host_used = off + len;
	return HOST_BASE + off;
}

size_t host_mark(void)
{
	return host_used;
}

void host_release(size_t mark)
{
	assert_true(mark <= host_used);
	host_used = mark;
}

static bool host_range(uint64_t addr, size_t len)
{
	return addr >= HOST_BASE && addr - HOST_BASE <= HOST_SIZE &&
	       len <= HOST_SIZE - (addr - HOST_BASE);
}

void *host_ptr(uint64_t dma, size_t len)
{
	assert_true(host_range(dma, len));
	return host_mem + (dma - HOST_BASE);
}

/* ---- the engine services (vmsg_dev.h) ---- */

bool vmsg_dev_busy_polled(const struct vmsg_dev *d)
{
	(void)d;
	return fake_mode.busy_poll;
}

bool vmsg_dev_host_ready(const struct vmsg_dev *d)
{
	(void)d;
	return !fake_mode.host_down;
}

int vmsg_dev_host_read(struct vmsg_dev *d, uint64_t addr, void *dst, size_t len)
{
	(void)d;
	if (fake_mode.host_down || !host_range(addr, len)) {
		fake.host_faults++;
		return -1;
	}
	memcpy(dst, host_mem + (addr - HOST_BASE), len);
	return 0;
}

int vmsg_dev_host_write(struct vmsg_dev *d, uint64_t addr, const void *src, size_t len)
{
	(void)d;
	if (fake_mode.host_down || !host_range(addr, len)) {
		fake.host_faults++;
		return -1;
	}
	memcpy(host_mem + (addr - HOST_BASE), src, len);
	return 0;
}

bool vmsg_dev_host_direct_capable(const struct vmsg_dev *d)
{
	(void)d;
	return !fake_mode.no_direct;
}

void *vmsg_dev_host_direct(struct vmsg_dev *d, uint64_t addr, size_t len)
{
	(void)d;
	if (fake_mode.no_direct || fake_mode.host_down || len == 0 || !host_range(addr, len)) {
		fake.host_faults++;
		return NULL;
	}
	fake.direct_grants++;
	return host_mem + (addr - HOST_BASE);
}

void vmsg_dev_notify_used(struct vmsg_dev *d, uint32_t vq)
{
	(void)d;
	assert_true(vq < VMSG_DEV_MAX_QUEUES);
	fake.used_events[vq]++;
}

void vmsg_dev_send_used(struct vmsg_dev *d, uint32_t vq)
{
	vmsg_dev_notify_used(d, vq);
}

void vmsg_dev_config_changed(struct vmsg_dev *d, uint32_t off, uint32_t len)
{
	assert_true(off <= d->config_size && len <= d->config_size - off);
	d->config_generation++;
	fake.config_changed++;
}

void vmsg_dev_needs_reset(struct vmsg_dev *d)
{
	d->status |= VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET;
	fake.needs_reset++;
}

void vmsg_dev_log(struct vmsg_dev *d, int level, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	fake.logs++;
	if (!getenv("VMSG_TEST_VERBOSE"))
		return;
	fprintf(stderr, "[log %d] ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the driver side ---- */

static void tq_setup(struct tdev *t, uint32_t idx, uint32_t size)
{
	struct vmsg_dev *d = t->d;
	struct tq *q = &t->q[idx];
	size_t bytes = vmsg_vq_drv_ring_bytes(size);
	uint64_t dma = host_alloc(bytes, 64);

	free(q->state);
	q->state = calloc(size, sizeof(*q->state));
	assert_non_null(q->state);
	q->size = size;
	assert_int_equal(vmsg_vq_drv_init(&q->drv, host_ptr(dma, bytes), bytes, dma, size, q->state,
					  t->event_idx),
			 0);
	d->queues[idx].size = size;
	d->queues[idx].desc_addr = q->drv.desc_addr;
	d->queues[idx].driver_addr = q->drv.avail_addr;
	d->queues[idx].device_addr = q->drv.used_addr;
	d->queues[idx].last_avail = 0;
	d->queues[idx].used_idx = 0;
	d->queues[idx].ready = (d->status & VIRTIO_MSG_STATUS_DRIVER_OK) != 0;
}

static void tdev_bring_up(struct tdev *t, uint64_t drop, uint32_t qsize)
{
	struct vmsg_dev *d = t->d;
	uint32_t i;

	d->status = VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER;
	d->driver_features = d->features & ~drop;
	assert_int_equal(d->ops->set_features(d, d->driver_features), 0);
	d->status |= VIRTIO_MSG_STATUS_FEATURES_OK;
	t->event_idx = vmsg_dev_has_feature(d, VMSG_VIRTIO_F_RING_EVENT_IDX);
	for (i = 0; i < d->num_queues; i++)
		tq_setup(t, i, qsize ? qsize : d->queue_max_size);
	d->status |= VIRTIO_MSG_STATUS_DRIVER_OK;
	for (i = 0; i < d->num_queues; i++)
		d->queues[i].ready = true;
	if (d->ops->start)
		d->ops->start(d);
}

void tdev_start(struct tdev *t, struct vmsg_dev *d, uint64_t drop, uint32_t qsize)
{
	uint32_t i;

	assert_non_null(d);
	memset(t, 0, sizeof(*t));
	t->d = d;
	d->card = (struct vmsg_card *)(void *)&fake_card_token;
	d->dev_num = 1;
	assert_true(d->num_queues <= 4);
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_VERSION_1));
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_ACCESS_PLATFORM));
	for (i = 0; i < VMSG_DEV_MAX_QUEUES; i++)
		d->queues[i].max_size = i < d->num_queues ? d->queue_max_size : 0;
	tdev_bring_up(t, drop, qsize);
}

void tdev_restart(struct tdev *t, uint64_t drop, uint32_t qsize)
{
	struct vmsg_dev *d = t->d;
	uint32_t i;

	d->ops->reset(d, UINT32_MAX);
	for (i = 0; i < VMSG_DEV_MAX_QUEUES; i++) {
		uint32_t max = d->queues[i].max_size;

		memset(&d->queues[i], 0, sizeof(d->queues[i]));
		d->queues[i].max_size = max;
	}
	d->status = 0;
	d->driver_features = 0;
	tdev_bring_up(t, drop, qsize);
}

void tdev_reset_queue(struct tdev *t, uint32_t vq)
{
	struct vmsg_dev *d = t->d;
	uint32_t max = d->queues[vq].max_size, size = t->q[vq].size;

	assert_true(vmsg_dev_has_feature(d, VMSG_VIRTIO_F_RING_RESET));
	d->ops->reset(d, vq);
	memset(&d->queues[vq], 0, sizeof(d->queues[vq]));
	d->queues[vq].max_size = max;
	tq_setup(t, vq, size);
}

void tdev_kick(struct tdev *t, uint32_t vq)
{
	t->d->ops->queue_notify(t->d, vq);
}

bool tdev_waitable(struct tdev *t)
{
	struct pollfd p;

	if (!t->d->ops->wait_fd || t->d->ops->wait_fd(t->d) < 0)
		return false;
	p.fd = t->d->ops->wait_fd(t->d);
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 1;
}

int tdev_run(struct tdev *t)
{
	int n;

	for (n = 0; n < 1000 && tdev_waitable(t); n++)
		t->d->ops->poll(t->d);
	return n;
}

void tdev_destroy(struct tdev *t)
{
	uint32_t i;

	if (t->d)
		t->d->ops->reset(t->d, UINT32_MAX);
	vmsg_device_destroy(t->d);
	for (i = 0; i < 4; i++)
		free(t->q[i].state);
	memset(t, 0, sizeof(*t));
}

int tq_add(struct tq *q, const struct vmsg_vq_buf *out, uint32_t nout, const struct vmsg_vq_buf *in,
	   uint32_t nin)
{
	return vmsg_vq_drv_add(&q->drv, out, nout, in, nin);
}

int tq_used(struct tq *q, uint16_t *id, uint32_t *len)
{
	return vmsg_vq_drv_get_used(&q->drv, id, len);
}

uint32_t rnd(uint64_t *seed, uint32_t n)
{
	/* xorshift64* */
	uint64_t x = *seed;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*seed = x;
	return n ? (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32) % n : 0;
}

void fill_random(void *buf, size_t len, uint64_t *seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(seed, 256);
}
