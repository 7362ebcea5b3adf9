/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * rng.c - virtio-rng: one request queue; each device-writable buffer is
 * filled from getrandom(), at most RNG_MAX_PER_REQ bytes per request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dev_common.h"
#include "dev_waker.h"
#include "devq.h"
#include "vmsg_devices.h"

#define RNG_QUEUE_SIZE	  64u
#define RNG_MAX_PER_REQ	  4096u
#define RNG_EINTR_RETRIES 16

struct vmsg_rng {
	struct vmsg_dev dev;
	struct devq q;
	struct dev_waker waker;
	bool more;
	uint64_t bytes, requests, failures;
	uint8_t buf[RNG_MAX_PER_REQ];
};

static struct vmsg_rng *to_rng(struct vmsg_dev *d)
{
	return (struct vmsg_rng *)d->priv;
}

/* Fill buf completely; 0 or -errno. */
static int rng_fill(uint8_t *buf, size_t len)
{
	int eintr = 0;
	ssize_t n;

	while (len) {
		n = getrandom(buf, len, 0);
		if (n < 0) {
			if (errno == EINTR && ++eintr < RNG_EINTR_RETRIES)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void rng_process(struct vmsg_rng *g)
{
	struct devq_req r;
	uint32_t n, len;
	int rc;

	g->more = false;
	for (n = 0; n < DEV_BUDGET_CHAINS; n++) {
		rc = devq_pop(&g->q, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue;
		len = r.wlen < RNG_MAX_PER_REQ ? r.wlen : RNG_MAX_PER_REQ;
		if (len &&
		    (rng_fill(g->buf, len) < 0 || devq_write(&g->q, &r, 0, g->buf, len) < 0)) {
			g->failures++;
			len = 0;
		}
		g->requests++;
		g->bytes += len;
		devq_push(&g->q, &r, len);
	}
	devq_notify(&g->q);
	if (n >= DEV_BUDGET_CHAINS) {
		g->more = true;
		dev_waker_kick(&g->waker);
	}
}

static void rng_config_read(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len)
{
	(void)d;
	(void)off;
	memset(buf, 0, len);
}

static int rng_set_features(struct vmsg_dev *d, uint64_t features)
{
	return dev_check_features(d, features);
}

static void rng_start(struct vmsg_dev *d)
{
	dev_waker_kick(&to_rng(d)->waker);
}

static void rng_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_rng *g = to_rng(d);

	if (vq == UINT32_MAX || vq == 0) {
		devq_reset(&g->q);
		g->more = false;
	}
}

static void rng_queue_notify(struct vmsg_dev *d, uint32_t vq)
{
	if (vq == 0)
		rng_process(to_rng(d));
}

static void rng_poll(struct vmsg_dev *d)
{
	struct vmsg_rng *g = to_rng(d);

	if (dev_waker_clear(&g->waker) || g->more)
		rng_process(g);
}

static int rng_wait_fd(struct vmsg_dev *d)
{
	return dev_waker_fd(&to_rng(d)->waker);
}

static void rng_destroy(struct vmsg_dev *d)
{
	struct vmsg_rng *g;

	if (!d)
		return;
	g = to_rng(d);
	dev_waker_fini(&g->waker);
	free(g);
}

static void rng_describe(struct vmsg_dev *d, char *buf, size_t len)
{
	struct vmsg_rng *g = to_rng(d);

	snprintf(buf, len, "getrandom, %" PRIu64 " requests %" PRIu64 " bytes", g->requests,
		 g->bytes);
}

static const struct vmsg_dev_ops rng_ops = {
    .name = "rng",
    .device_id = VMSG_VIRTIO_ID_RNG,
    .config_read = rng_config_read,
    .config_write = NULL,
    .set_features = rng_set_features,
    .start = rng_start,
    .reset = rng_reset,
    .queue_notify = rng_queue_notify,
    .poll = rng_poll,
    .wait_fd = rng_wait_fd,
    .get_shm = NULL,
    .destroy = rng_destroy,
    .describe = rng_describe,
};

struct vmsg_dev *vmsg_rng_create(char *err, size_t errlen)
{
	struct vmsg_rng *g = calloc(1, sizeof(*g));
	int rc;

	if (!g) {
		dev_err(err, errlen, "rng: out of memory");
		return NULL;
	}
	rc = dev_waker_init(&g->waker);
	if (rc < 0) {
		dev_err(err, errlen, "rng: cannot create wait fd: %s", strerror(-rc));
		free(g);
		return NULL;
	}
	g->dev.ops = &rng_ops;
	g->dev.priv = g;
	g->dev.features = dev_transport_features();
	g->dev.config_size = 0;
	g->dev.num_queues = 1;
	g->dev.queue_max_size = RNG_QUEUE_SIZE;
	devq_init(&g->q, &g->dev, 0);
	return &g->dev;
}
