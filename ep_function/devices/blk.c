/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * blk.c - virtio-blk over a file or a block device: one request queue,
 * IN, OUT, FLUSH and GET_ID; everything else is UNSUPP.
 *
 * A request is header (16 bytes, device-readable), data, status (the last
 * device-writable byte). Data moves through a bounce buffer in steps of
 * DEV_BOUNCE_SIZE. The status byte is written last, after the data reached
 * the file (pwrite complete) or, for FLUSH, after fdatasync.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_common.h"
#include "dev_waker.h"
#include "devq.h"
#include "vmsg_bytes.h"
#include "vmsg_devices.h"

/* virtio-blk device bits (virtio 1.2, 5.2.3) */
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* struct virtio_blk_config, up to num_queues */
#define BLK_CFG_CAPACITY 0u
#define BLK_CFG_SIZE_MAX 8u
#define BLK_CFG_SEG_MAX	 12u
#define BLK_CFG_BLK_SIZE 20u
#define BLK_CFG_SIZE	 36u

/* struct virtio_blk_outhdr: le32 type, le32 reserved, le64 sector */
#define BLK_HDR_SIZE	    16u
#define VIRTIO_BLK_T_IN	    0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK	    0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define VIRTIO_BLK_ID_BYTES 20u

#define BLK_SECTOR     512u
#define BLK_QUEUE_SIZE 256u
/* Data segments per request: header and status must fit in one chain too. */
#define BLK_SEG_MAX	  (VMSG_VQ_MAX_SEGS - 2u)
#define BLK_MAX_REQ_BYTES (32u * 1024u * 1024u)
#define BLK_BUDGET_BYTES  (16u * 1024u * 1024u)
#define BLK_EINTR_RETRIES 16

struct vmsg_blk {
	struct vmsg_dev dev;
	struct devq q;
	struct dev_waker waker;
	int fd;
	bool ro;
	bool more;	   /* stopped on a budget */
	uint64_t capacity; /* sectors */
	uint8_t config[BLK_CFG_SIZE];
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	char path[PATH_MAX];
	uint8_t *bounce;
	struct vmsg_blk_stats st;
};

static const struct vmsg_dev_ops blk_ops;

static struct vmsg_blk *to_blk(struct vmsg_dev *d)
{
	return (struct vmsg_blk *)d->priv;
}

/* Full-length pread/pwrite; 0 or -errno (-EIO on a short file). */
static int blk_rw_full(int fd, bool write, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	int eintr = 0;
	ssize_t n;

	while (len) {
		n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR && ++eintr < BLK_EINTR_RETRIES)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* [sector, sector + len/512) inside the disk, len a whole number of sectors. */
static bool blk_range_ok(const struct vmsg_blk *b, uint64_t sector, uint32_t len)
{
	if (len % BLK_SECTOR || len > BLK_MAX_REQ_BYTES)
		return false;
	if (sector > b->capacity)
		return false;
	return len / BLK_SECTOR <= b->capacity - sector;
}

static uint8_t blk_in(struct vmsg_blk *b, struct devq_req *r, uint64_t sector)
{
	uint32_t len = r->wlen - 1, off, step;

	if (!blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (off = 0; off < len; off += step) {
		step = len - off < DEV_BOUNCE_SIZE ? len - off : DEV_BOUNCE_SIZE;
		if (blk_rw_full(b->fd, false, b->bounce, step, sector * BLK_SECTOR + off) < 0 ||
		    devq_write(&b->q, r, off, b->bounce, step) < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	b->st.reads++;
	b->st.read_bytes += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_out(struct vmsg_blk *b, struct devq_req *r, uint64_t sector)
{
	uint32_t len = r->rlen - BLK_HDR_SIZE, off, step;

	if (b->ro || !blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (off = 0; off < len; off += step) {
		step = len - off < DEV_BOUNCE_SIZE ? len - off : DEV_BOUNCE_SIZE;
		if (devq_read(&b->q, r, BLK_HDR_SIZE + off, b->bounce, step) < 0 ||
		    blk_rw_full(b->fd, true, b->bounce, step, sector * BLK_SECTOR + off) < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	b->st.writes++;
	b->st.write_bytes += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_flush(struct vmsg_blk *b)
{
	int eintr = 0;

	b->st.flushes++;
	if (b->ro)
		return VIRTIO_BLK_S_OK;
	while (fdatasync(b->fd) < 0) {
		if (errno != EINTR || ++eintr >= BLK_EINTR_RETRIES)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct vmsg_blk *b, struct devq_req *r)
{
	uint32_t len = r->wlen - 1;

	if (len > VIRTIO_BLK_ID_BYTES)
		len = VIRTIO_BLK_ID_BYTES;
	if (devq_write(&b->q, r, 0, b->serial, len) < 0)
		return VIRTIO_BLK_S_IOERR;
	b->st.get_ids++;
	return VIRTIO_BLK_S_OK;
}

/* One request; returns the bytes it moved (for the budget). */
static uint64_t blk_request(struct vmsg_blk *b, struct devq_req *r)
{
	uint8_t hdr[BLK_HDR_SIZE];
	uint8_t status;
	uint32_t type;
	uint64_t sector;

	if (r->wlen < 1) {
		/* Nowhere to put a status: drop the chain. */
		b->st.bad_chains++;
		devq_push(&b->q, r, 0);
		return 0;
	}
	if (r->rlen < BLK_HDR_SIZE || devq_read(&b->q, r, 0, hdr, BLK_HDR_SIZE) < 0) {
		status = VIRTIO_BLK_S_IOERR;
		b->st.bad_chains++;
		goto done;
	}
	type = vmsg_get_le32(hdr);
	sector = vmsg_get_le64(hdr + 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		status = blk_in(b, r, sector);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_out(b, r, sector);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = blk_flush(b);
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = blk_get_id(b, r);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		b->st.unsupp++;
		break;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		b->st.ioerr++;
done:
	/* Status last: the data (or the flush) is complete by now. */
	if (devq_write(&b->q, r, r->wlen - 1, &status, 1) < 0) {
		b->st.bad_chains++;
		devq_push(&b->q, r, 0);
		return 0;
	}
	devq_push(&b->q, r, r->wlen);
	return (uint64_t)r->rlen + r->wlen;
}

static void blk_process(struct vmsg_blk *b)
{
	struct devq_req r;
	uint64_t bytes = 0;
	uint32_t n;
	int rc;

	b->more = false;
	for (n = 0; n < DEV_BUDGET_CHAINS && bytes < BLK_BUDGET_BYTES; n++) {
		rc = devq_pop(&b->q, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0) {
			b->st.bad_chains++;
			continue;
		}
		bytes += blk_request(b, &r);
		/* Complete requests as they finish, not at the end of a batch. */
		devq_notify(&b->q);
	}
	devq_notify(&b->q);
	if (n >= DEV_BUDGET_CHAINS || bytes >= BLK_BUDGET_BYTES) {
		b->more = true;
		dev_waker_kick(&b->waker);
	}
}

static void blk_config_read(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct vmsg_blk *b = to_blk(d);

	if (off > BLK_CFG_SIZE || len > BLK_CFG_SIZE - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, b->config + off, len);
}

static int blk_set_features(struct vmsg_dev *d, uint64_t features)
{
	return dev_check_features(d, features);
}

static void blk_start(struct vmsg_dev *d)
{
	dev_waker_kick(&to_blk(d)->waker);
}

static void blk_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_blk *b = to_blk(d);

	if (vq == UINT32_MAX || vq == 0) {
		devq_reset(&b->q);
		b->more = false;
	}
}

static void blk_queue_notify(struct vmsg_dev *d, uint32_t vq)
{
	if (vq == 0)
		blk_process(to_blk(d));
}

static void blk_poll(struct vmsg_dev *d)
{
	struct vmsg_blk *b = to_blk(d);

	if (dev_waker_clear(&b->waker) || b->more)
		blk_process(b);
}

static int blk_wait_fd(struct vmsg_dev *d)
{
	return dev_waker_fd(&to_blk(d)->waker);
}

static void blk_destroy(struct vmsg_dev *d)
{
	struct vmsg_blk *b;

	if (!d)
		return;
	b = to_blk(d);
	if (b->fd >= 0)
		close(b->fd);
	dev_waker_fini(&b->waker);
	free(b->bounce);
	free(b);
}

static void blk_describe(struct vmsg_dev *d, char *buf, size_t len)
{
	struct vmsg_blk *b = to_blk(d);

	snprintf(buf, len, "%s%s %" PRIu64 " sectors (%" PRIu64 " MiB) serial %s", b->path,
		 b->ro ? " ro" : "", b->capacity, b->capacity / 2048u, b->serial);
}

static const struct vmsg_dev_ops blk_ops = {
    .name = "blk",
    .device_id = VMSG_VIRTIO_ID_BLOCK,
    .config_read = blk_config_read,
    .config_write = NULL,
    .set_features = blk_set_features,
    .start = blk_start,
    .reset = blk_reset,
    .queue_notify = blk_queue_notify,
    .poll = blk_poll,
    .wait_fd = blk_wait_fd,
    .get_shm = NULL,
    .destroy = blk_destroy,
    .describe = blk_describe,
};

int vmsg_blk_get_stats(struct vmsg_dev *d, struct vmsg_blk_stats *st)
{
	if (!d || d->ops != &blk_ops)
		return -1;
	*st = to_blk(d)->st;
	st->bad_chains += to_blk(d)->q.bad_chains;
	return 0;
}

/* Size in bytes of an open file or block device. */
static int blk_size_bytes(int fd, uint64_t *size)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (S_ISBLK(sb.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	*size = (uint64_t)sb.st_size;
	return 0;
}

/* A stable 20-character serial from the file's identity (FNV-1a). */
static void blk_make_serial(struct vmsg_blk *b)
{
	struct stat sb;
	uint64_t h = 0xcbf29ce484222325ull, v[2] = {0, 0};
	const uint8_t *p = (const uint8_t *)v;
	size_t i;

	if (fstat(b->fd, &sb) == 0) {
		v[0] = (uint64_t)sb.st_dev;
		v[1] = (uint64_t)sb.st_ino;
	}
	for (i = 0; i < sizeof(v); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	snprintf(b->serial, sizeof(b->serial), "vmsg%016" PRIx64, h);
}

struct vmsg_dev *vmsg_blk_create(const char *path, bool read_only, char *err, size_t errlen)
{
	struct vmsg_blk *b;
	uint64_t size = 0;
	int rc;

	if (!path || !*path) {
		dev_err(err, errlen, "blk: no path");
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->bounce = malloc(DEV_BOUNCE_SIZE))) {
		free(b);
		dev_err(err, errlen, "blk: out of memory");
		return NULL;
	}
	b->dev.priv = b;
	b->waker.epfd = b->waker.evfd = -1;
	b->fd = -1;
	b->ro = read_only;
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		dev_err(err, errlen, "blk: cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = blk_size_bytes(b->fd, &size);
	if (rc < 0) {
		dev_err(err, errlen, "blk: %s: %s", path,
			rc == -EINVAL ? "not a regular file or block device" : strerror(-rc));
		goto fail;
	}
	/* A disk of no sector is a mistake (an empty file, a truncate that
	 * was forgotten): say so rather than offer capacity 0. */
	if (size < BLK_SECTOR) {
		dev_err(err, errlen,
			"blk: %s is %" PRIu64 " bytes: a disk needs at least one %u-byte sector "
			"(e.g. truncate -s 64M %s)",
			path, size, BLK_SECTOR, path);
		goto fail;
	}
	rc = dev_waker_init(&b->waker);
	if (rc < 0) {
		dev_err(err, errlen, "blk: cannot create wait fd: %s", strerror(-rc));
		goto fail;
	}
	b->capacity = size / BLK_SECTOR;
	blk_make_serial(b);
	vmsg_put_le64(b->config + BLK_CFG_CAPACITY, b->capacity);
	vmsg_put_le32(b->config + BLK_CFG_SIZE_MAX, 0);
	vmsg_put_le32(b->config + BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	vmsg_put_le32(b->config + BLK_CFG_BLK_SIZE, BLK_SECTOR);

	b->dev.ops = &blk_ops;
	b->dev.features = dev_transport_features() | DEV_BIT(VIRTIO_BLK_F_SEG_MAX) |
			  DEV_BIT(VIRTIO_BLK_F_BLK_SIZE) | DEV_BIT(VIRTIO_BLK_F_FLUSH);
	if (read_only)
		b->dev.features |= DEV_BIT(VIRTIO_BLK_F_RO);
	b->dev.config_size = BLK_CFG_SIZE;
	b->dev.num_queues = 1;
	b->dev.queue_max_size = BLK_QUEUE_SIZE;
	devq_init(&b->q, &b->dev, 0);
	return &b->dev;
fail:
	blk_destroy(&b->dev);
	return NULL;
}
