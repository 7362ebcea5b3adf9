/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * blk.c - virtio-blk over a file or a block device: one request queue,
 * IN, OUT, FLUSH and GET_ID; everything else is UNSUPP.
 *
 * A request is header (16 bytes, device-readable), data, status (the last
 * device-writable byte). The status byte is written last, after the data
 * reached the file (write complete) or, for FLUSH, after fdatasync.
 *
 * File I/O is asynchronous (io_uring, liburing) where the kernel allows it:
 * the reads, writes and fdatasyncs run in the kernel, at most
 * BLK_AIO_SLOTS requests and BLK_AIO_BYTES bytes at a time, and their
 * completions come back through an eventfd in the device's wait_fd (or are
 * picked up by a busy-polling card on its next pass). Where the platform
 * maps host RAM into this process (sim: vmsg_dev_host_direct) the kernel
 * reads the file straight into the request's host buffers and writes the
 * file straight from them (readv/writev over the chain's segments, each
 * one bounds-checked by the engine first): one copy, as QEMU's own
 * virtio-blk does. Where host memory is behind a window or a DMA engine
 * (epf, uio) the loop moves the data between host memory and a
 * per-request buffer (what a card's DMA engine does) and the kernel works
 * on that buffer. A reset waits (bounded) for the direct I/O in flight: a
 * device stops using buffers at reset. Without io_uring (built without
 * liburing, or io_uring_setup refused) every request is done synchronously
 * in the loop, through a bounce buffer in steps of DEV_BOUNCE_SIZE, and the
 * card says so at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifdef VMSG_HAVE_LIBURING
#include <liburing.h>
#endif

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
/* Asynchronous I/O: requests and bytes in flight at once; buffers up to
 * BLK_AIO_KEEP bytes stay with their slot for the next request. */
#define BLK_AIO_SLOTS	 32u
#define BLK_AIO_BYTES	 (16u * 1024u * 1024u)
#define BLK_AIO_KEEP	 (1024u * 1024u)
#define BLK_AIO_DRAIN_MS 5000
/* Data steps at least this big go straight to io_uring's workers: the card
 * loop never copies them itself (it stays free for the link and the next
 * requests; the copies of several requests run in parallel). */
#define BLK_AIO_ASYNC_MIN (64u * 1024u)

struct blk_aio {
	struct devq_req r;
	uint8_t *buf;
	uint32_t cap;  /* bytes at buf */
	uint32_t len;  /* data bytes of the request */
	uint32_t done; /* bytes transferred so far (a short read/write goes on) */
	uint64_t off;  /* file offset of the data */
	uint32_t type; /* VIRTIO_BLK_T_IN, _OUT or _FLUSH */
	bool busy;
	bool stale;  /* its queue was reset: complete without touching the ring */
	bool direct; /* the kernel moves the data to/from host memory (iov) */
	uint32_t niov;
	/* direct: the host buffers of [done, len), checked by the engine */
	struct iovec iov[VMSG_VQ_MAX_SEGS];
};

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
#ifdef VMSG_HAVE_LIBURING
	bool aio; /* io_uring is up */
	struct io_uring ring;
	int aio_efd;	    /* completions signal it; in the waker's epoll set */
	uint32_t aio_armed; /* dev_waker_watch state of aio_efd */
	uint32_t inflight, inflight_bytes;
	uint32_t inflight_direct; /* of inflight: on host memory directly */
	bool direct_off;	  /* a reset could not drain them: copy from now on */
	bool leak;		  /* destroy could not drain: buffers never freed */
	bool has_waiting;	  /* a popped request waits for room (in waiting) */
	struct devq_req waiting;
	struct blk_aio slot[BLK_AIO_SLOTS];
#endif
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

/* The request header, checked the same way on both paths: 0 and *type,
 * *sector set; -1 no room for a status (drop the chain); -2 a bad header
 * (answer IOERR). Both failures count as bad chains. */
static int blk_read_hdr(struct vmsg_blk *b, struct devq_req *r, uint32_t *type, uint64_t *sector)
{
	uint8_t hdr[BLK_HDR_SIZE];

	if (r->wlen < 1) {
		b->st.bad_chains++;
		return -1;
	}
	if (r->rlen < BLK_HDR_SIZE || devq_read(&b->q, r, 0, hdr, BLK_HDR_SIZE) < 0) {
		b->st.bad_chains++;
		return -2;
	}
	*type = vmsg_get_le32(hdr);
	*sector = vmsg_get_le64(hdr + 8);
	return 0;
}

/* One request; returns the bytes it moved (for the budget). */
static uint64_t blk_request(struct vmsg_blk *b, struct devq_req *r)
{
	uint8_t status;
	uint32_t type;
	uint64_t sector;
	int h = blk_read_hdr(b, r, &type, &sector);

	if (h == -1) {
		/* Nowhere to put a status: drop the chain. */
		devq_push(&b->q, r, 0);
		return 0;
	}
	if (h < 0) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
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

#ifdef VMSG_HAVE_LIBURING
/* ---- asynchronous path (io_uring) ---- */

static void blk_aio_finish(struct vmsg_blk *b, struct blk_aio *a, int res);

/* The data is moved by the kernel to/from host memory, not through a buffer. */
static bool blk_direct_ok(struct vmsg_blk *b)
{
	return !b->direct_off && vmsg_dev_host_direct_capable(&b->dev);
}

/* a->iov: the host buffers of what is left of a's data, [done, len): IN
 * the writable bytes before the status, OUT the readable ones after the
 * header. 0, or -1 when a piece is not directly addressable (hostile:
 * outside host memory) or the chain is shorter (never: checked at pop). */
static int blk_aio_iov(struct vmsg_blk *b, struct blk_aio *a)
{
	bool in = a->type == VIRTIO_BLK_T_IN;
	int n = devq_iov(&b->q, &a->r, in, (in ? 0 : BLK_HDR_SIZE) + a->done, a->len - a->done,
			 a->iov, VMSG_VQ_MAX_SEGS);

	if (n <= 0)
		return -1;
	a->niov = (uint32_t)n;
	return 0;
}

/* Queue a's next step (what is left of its read/write, or the flush). */
static bool blk_aio_queue(struct vmsg_blk *b, struct blk_aio *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	if (!sqe) {
		/* The submission ring is full: push what is queued, try again. */
		if (io_uring_submit(&b->ring) < 0 || !(sqe = io_uring_get_sqe(&b->ring)))
			return false;
	}
	if (a->type == VIRTIO_BLK_T_IN && a->direct)
		io_uring_prep_readv(sqe, b->fd, a->iov, a->niov, a->off + a->done);
	else if (a->type == VIRTIO_BLK_T_IN)
		io_uring_prep_read(sqe, b->fd, a->buf + a->done, a->len - a->done,
				   a->off + a->done);
	else if (a->type == VIRTIO_BLK_T_OUT && a->direct)
		io_uring_prep_writev(sqe, b->fd, a->iov, a->niov, a->off + a->done);
	else if (a->type == VIRTIO_BLK_T_OUT)
		io_uring_prep_write(sqe, b->fd, a->buf + a->done, a->len - a->done,
				    a->off + a->done);
	else
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
	if (a->type != VIRTIO_BLK_T_FLUSH && a->len - a->done >= BLK_AIO_ASYNC_MIN)
		io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	io_uring_sqe_set_data(sqe, a);
	return true;
}

/* Complete a request: its status (and data for IN) into the chain, used. */
static void blk_complete(struct vmsg_blk *b, struct devq_req *r, uint8_t status)
{
	if (status == VIRTIO_BLK_S_IOERR)
		b->st.ioerr++;
	if (devq_write(&b->q, r, r->wlen - 1, &status, 1) < 0) {
		b->st.bad_chains++;
		devq_stage(&b->q, r, 0);
		return;
	}
	devq_stage(&b->q, r, r->wlen);
}

static void blk_aio_release(struct vmsg_blk *b, struct blk_aio *a)
{
	b->inflight--;
	b->inflight_bytes -= a->len;
	if (a->direct)
		b->inflight_direct--;
	a->busy = false;
	a->direct = false;
	if (a->cap > BLK_AIO_KEEP) {
		free(a->buf);
		a->buf = NULL;
		a->cap = 0;
	}
}

/* One completion of a's current step (res: bytes or -errno). */
static void blk_aio_finish(struct vmsg_blk *b, struct blk_aio *a, int res)
{
	uint8_t status = VIRTIO_BLK_S_OK;

	if (a->type != VIRTIO_BLK_T_FLUSH && res > 0 && !a->stale) {
		a->done += (uint32_t)res;
		if (a->done < a->len && (!a->direct || blk_aio_iov(b, a) == 0) &&
		    blk_aio_queue(b, a))
			return; /* short: the rest goes on */
	}
	if (a->stale) {
		blk_aio_release(b, a);
		return;
	}
	if (res < 0 || (a->type != VIRTIO_BLK_T_FLUSH && a->done < a->len))
		status = VIRTIO_BLK_S_IOERR;
	else if (a->type == VIRTIO_BLK_T_IN && !a->direct &&
		 devq_write(&b->q, &a->r, 0, a->buf, a->len) < 0)
		status = VIRTIO_BLK_S_IOERR;
	if (status == VIRTIO_BLK_S_OK) {
		if (a->type == VIRTIO_BLK_T_IN) {
			b->st.reads++;
			b->st.read_bytes += a->len;
		} else if (a->type == VIRTIO_BLK_T_OUT) {
			b->st.writes++;
			b->st.write_bytes += a->len;
		}
		if (a->direct)
			b->st.direct++;
	}
	blk_complete(b, &a->r, status);
	blk_aio_release(b, a);
}

/* Take every completion there is. */
static uint32_t blk_aio_reap(struct vmsg_blk *b)
{
	struct io_uring_cqe *cqe;
	uint32_t n = 0;

	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		struct blk_aio *a = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&b->ring, cqe);
		if (a)
			blk_aio_finish(b, a, res);
		n++;
	}
	return n;
}

/* A free slot whose buffer holds len bytes, or NULL (no slot, no memory). */
static struct blk_aio *blk_aio_slot(struct vmsg_blk *b, uint32_t len)
{
	struct blk_aio *a = NULL;
	uint32_t i;
	uint8_t *p;

	for (i = 0; i < BLK_AIO_SLOTS; i++) {
		if (!b->slot[i].busy) {
			a = &b->slot[i];
			break;
		}
	}
	if (!a)
		return NULL;
	if (len > a->cap) {
		p = realloc(a->buf, len);
		if (!p)
			return NULL;
		a->buf = p;
		a->cap = len;
	}
	return a;
}

/*
 * Start request r (header read, type and sector known). 1: started or
 * completed; 0: no room now (r must wait; nothing was done to it).
 */
static int blk_aio_start(struct vmsg_blk *b, struct devq_req *r, uint32_t type, uint64_t sector)
{
	struct blk_aio *a;
	uint32_t len = 0;
	bool direct;

	if (type == VIRTIO_BLK_T_IN)
		len = r->wlen - 1;
	else if (type == VIRTIO_BLK_T_OUT)
		len = r->rlen - BLK_HDR_SIZE;
	if (type == VIRTIO_BLK_T_FLUSH)
		b->st.flushes++;
	if ((type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_FLUSH) && b->ro) {
		blk_complete(b, r, type == VIRTIO_BLK_T_OUT ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
		return 1;
	}
	if (type != VIRTIO_BLK_T_FLUSH && !blk_range_ok(b, sector, len)) {
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	/* Room: a slot, and the bytes (one request alone may always go). */
	if (b->inflight >= BLK_AIO_SLOTS ||
	    (b->inflight && b->inflight_bytes + len > BLK_AIO_BYTES))
		return 0;
	direct = len && type != VIRTIO_BLK_T_FLUSH && blk_direct_ok(b);
	a = blk_aio_slot(b, direct ? 0 : len);
	if (!a) {
		if (b->inflight)
			return 0; /* memory comes back with the completions */
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	a->r = *r;
	a->len = len;
	a->done = 0;
	a->off = sector * BLK_SECTOR;
	a->type = type;
	a->stale = false;
	a->direct = direct;
	if (direct && blk_aio_iov(b, a) < 0) {
		/* A data buffer outside host memory: refused before the kernel
		 * could see it, as the copy path's accessor would. */
		a->direct = false;
		b->st.direct_refused++;
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	if (!direct && type == VIRTIO_BLK_T_OUT &&
	    devq_read(&b->q, r, BLK_HDR_SIZE, a->buf, len) < 0) {
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	if (!blk_aio_queue(b, a)) {
		a->direct = false;
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	a->busy = true;
	b->inflight++;
	b->inflight_bytes += len;
	if (direct)
		b->inflight_direct++;
	return 1;
}

/* One popped request on the asynchronous path: 1 handled, 0 must wait. */
static int blk_aio_request(struct vmsg_blk *b, struct devq_req *r)
{
	uint32_t type;
	uint64_t sector;
	int h = blk_read_hdr(b, r, &type, &sector);

	if (h == -1) {
		devq_stage(&b->q, r, 0);
		return 1;
	}
	if (h < 0) {
		blk_complete(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_FLUSH:
		return blk_aio_start(b, r, type, sector);
	case VIRTIO_BLK_T_GET_ID:
		blk_complete(b, r, blk_get_id(b, r));
		return 1;
	default:
		b->st.unsupp++;
		blk_complete(b, r, VIRTIO_BLK_S_UNSUPP);
		return 1;
	}
}

/* Completions in, new requests out: bounded, one used idx write and one
 * EVENT_USED decision per batch. */
static void blk_aio_process(struct vmsg_blk *b)
{
	struct devq_req r;
	uint32_t n;
	int rc;

	b->more = false;
	blk_aio_reap(b);
	for (n = 0; n < DEV_BUDGET_CHAINS; n++) {
		if (b->has_waiting) {
			if (!blk_aio_request(b, &b->waiting))
				break; /* still no room: a completion brings us back */
			b->has_waiting = false;
			continue;
		}
		rc = devq_pop(&b->q, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0) {
			b->st.bad_chains++;
			continue;
		}
		if (!blk_aio_request(b, &r)) {
			b->waiting = r;
			b->has_waiting = true;
			break;
		}
	}
	if (io_uring_sq_ready(&b->ring) && io_uring_submit(&b->ring) < 0)
		vmsg_dev_log(&b->dev, VMSG_LOG_WARN, "blk: io_uring_submit: %s", strerror(errno));
	/* Completions that came while we submitted go out with this batch. */
	blk_aio_reap(b);
	devq_commit(&b->q);
	devq_notify(&b->q);
	if (n >= DEV_BUDGET_CHAINS) {
		b->more = true;
		dev_waker_kick(&b->waker);
	}
}

/* Forget what is in flight on a reset queue: completions are dropped. */
static void blk_aio_forget(struct vmsg_blk *b)
{
	uint32_t i;

	for (i = 0; i < BLK_AIO_SLOTS; i++)
		if (b->slot[i].busy)
			b->slot[i].stale = true;
	b->has_waiting = false;
}

static uint64_t blk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * A reset: the device stops using the driver's buffers. What the kernel
 * still reads or writes directly in host memory is waited for (bounded by
 * BLK_AIO_DRAIN_MS; a page-cache or disk read of at most BLK_AIO_BYTES
 * takes far less). Should that time out, the direct path is switched off
 * for good and said so; the late I/O can only reach host memory or, after
 * the platform replaced its mapping, an address range it keeps reserved.
 */
static void blk_aio_quiesce(struct vmsg_blk *b)
{
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	struct io_uring_cqe *cqe;
	uint64_t end;

	if (!b->inflight_direct)
		return;
	if (io_uring_sq_ready(&b->ring))
		(void)io_uring_submit(&b->ring);
	end = blk_now_ms() + BLK_AIO_DRAIN_MS;
	while (b->inflight_direct && blk_now_ms() < end) {
		if (io_uring_wait_cqe_timeout(&b->ring, &cqe, &ts) == 0)
			blk_aio_reap(b);
	}
	if (b->inflight_direct) {
		b->direct_off = true;
		vmsg_dev_log(&b->dev, VMSG_LOG_ERR,
			     "blk %s: %u requests still on host memory %u ms after a reset: "
			     "copying through buffers from now on",
			     b->path, b->inflight_direct, BLK_AIO_DRAIN_MS);
	}
}

static void blk_aio_init(struct vmsg_blk *b)
{
	int rc;

	b->aio_efd = -1;
	rc = io_uring_queue_init(2u * BLK_AIO_SLOTS, &b->ring, 0);
	if (rc < 0) {
		vmsg_dev_log(&b->dev, VMSG_LOG_WARN,
			     "blk %s: io_uring unavailable (%s): synchronous I/O in the card loop",
			     b->path, strerror(-rc));
		return;
	}
	b->aio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->aio_efd < 0 || io_uring_register_eventfd(&b->ring, b->aio_efd) < 0 ||
	    dev_waker_watch(&b->waker, b->aio_efd, EPOLLIN, &b->aio_armed) < 0) {
		vmsg_dev_log(&b->dev, VMSG_LOG_WARN,
			     "blk %s: io_uring eventfd: %s: synchronous I/O in the card loop",
			     b->path, strerror(errno));
		if (b->aio_efd >= 0)
			close(b->aio_efd);
		b->aio_efd = -1;
		io_uring_queue_exit(&b->ring);
		return;
	}
	b->aio = true;
}

/* Wait (bounded) for what is in flight: the kernel writes into our buffers. */
static void blk_aio_fini(struct vmsg_blk *b)
{
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
	struct io_uring_cqe *cqe;
	uint32_t i, waited = 0;

	if (!b->aio)
		return;
	blk_aio_forget(b);
	while (b->inflight && waited < BLK_AIO_DRAIN_MS) {
		if (io_uring_wait_cqe_timeout(&b->ring, &cqe, &ts) == 0)
			blk_aio_reap(b);
		else
			waited += 50;
	}
	if (b->inflight)
		b->leak = true; /* never free what the kernel may still write */
	io_uring_queue_exit(&b->ring);
	if (b->aio_efd >= 0)
		close(b->aio_efd);
	if (!b->leak)
		for (i = 0; i < BLK_AIO_SLOTS; i++)
			free(b->slot[i].buf);
	b->aio = false;
}
#endif /* VMSG_HAVE_LIBURING */

static void blk_process(struct vmsg_blk *b)
{
	struct devq_req r;
	uint64_t bytes = 0;
	uint32_t n;
	int rc;

#ifdef VMSG_HAVE_LIBURING
	if (b->aio) {
		blk_aio_process(b);
		return;
	}
#endif
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
	struct vmsg_blk *b = to_blk(d);

#ifdef VMSG_HAVE_LIBURING
	if (!b->aio && b->fd >= 0 && !b->leak)
		blk_aio_init(b);
#endif
	dev_waker_kick(&b->waker);
}

static void blk_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_blk *b = to_blk(d);

	if (vq == UINT32_MAX || vq == 0) {
		devq_reset(&b->q);
		b->more = false;
#ifdef VMSG_HAVE_LIBURING
		if (b->aio) {
			blk_aio_forget(b);
			blk_aio_quiesce(b);
		}
#endif
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
	bool work = dev_waker_clear(&b->waker) || b->more;

#ifdef VMSG_HAVE_LIBURING
	if (b->aio) {
		uint64_t v;

		/* Woken through the epoll set: clear the completion eventfd
		 * before reaping (a completion after this signals again). A
		 * busy-polling card never sleeps on it: no syscall then. */
		if (!vmsg_dev_busy_polled(d) && read(b->aio_efd, &v, sizeof(v)) < 0 &&
		    errno != EAGAIN)
			work = true;
		if (io_uring_cq_ready(&b->ring) || b->has_waiting)
			work = true;
	}
#endif
	if (work)
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
#ifdef VMSG_HAVE_LIBURING
	blk_aio_fini(b);
#endif
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
#ifdef VMSG_HAVE_LIBURING
	st->async_io = to_blk(d)->aio;
#else
	st->async_io = 0;
#endif
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
