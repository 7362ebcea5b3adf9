/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * net.c - virtio-net: receiveq 0, transmitq 1, no control queue, no
 * offloads, virtio_net_hdr_v1 (12 bytes) in front of every frame.
 *
 * Frames for the driver wait in a bounded FIFO (pending) until it posts
 * receive buffers. loopback: every transmitted frame is queued there (and
 * dropped, counted, when it is full). tap: frames transmitted go to the tap;
 * frames read from the tap go through the FIFO, and the tap is only read
 * while the FIFO has room.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dev_common.h"
#include "dev_waker.h"
#include "devq.h"
#include "net_tap.h"
#include "vmsg_bytes.h"
#include "vmsg_devices.h"

/* virtio-net device bits (virtio 1.2, 5.1.3) */
#define VIRTIO_NET_F_MTU     3
#define VIRTIO_NET_F_MAC     5
#define VIRTIO_NET_F_STATUS  16
#define VIRTIO_NET_S_LINK_UP 1u

/* struct virtio_net_config: mac[6], le16 status, le16 max_virtqueue_pairs,
 * le16 mtu. */
#define NET_CFG_MAC	     0u
#define NET_CFG_STATUS	     6u
#define NET_CFG_MAX_VQ_PAIRS 8u
#define NET_CFG_MTU	     10u
#define NET_CFG_SIZE	     12u

/* struct virtio_net_hdr_v1: flags, gso_type, le16 hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers. */
#define NET_HDR_SIZE	    12u
#define NET_HDR_NUM_BUFFERS 10u

#define NET_RXQ		0u
#define NET_TXQ		1u
#define NET_QUEUE_SIZE	256u
#define NET_MTU		1500u
#define NET_MIN_FRAME	14u    /* an Ethernet header */
#define NET_MAX_FRAME	16384u /* no offloads: anything larger is hostile */
#define NET_PENDING_MAX 256u   /* frames held for the driver */
#define NET_TAP_BATCH	64u    /* frames read from the tap per poll */

enum net_mode { NET_LOOPBACK, NET_TAP };

struct net_frame {
	uint32_t len;
	uint8_t data[];
};

struct vmsg_net {
	struct vmsg_dev dev;
	enum net_mode mode;
	struct devq rxq, txq;
	struct dev_waker waker;
	uint8_t config[NET_CFG_SIZE];
	int tap_fd;
	uint32_t tap_armed;
	bool tap_failed; /* a read error that will not go away: stop reading */
	char ifname[IFNAMSIZ];
	struct net_frame *pending[NET_PENDING_MAX];
	uint32_t p_head, p_count;
	bool tx_more;	 /* transmit stopped on its budget */
	bool rx_more;	 /* receive stopped on its budget */
	uint8_t *bounce; /* NET_MAX_FRAME bytes */
	struct vmsg_net_stats st;
};

static const struct vmsg_dev_ops net_ops;

static struct vmsg_net *to_net(struct vmsg_dev *d)
{
	return (struct vmsg_net *)d->priv;
}

static void net_pending_drop_all(struct vmsg_net *n)
{
	while (n->p_count) {
		free(n->pending[n->p_head]);
		n->pending[n->p_head] = NULL;
		n->p_head = (n->p_head + 1) % NET_PENDING_MAX;
		n->p_count--;
	}
	n->p_head = 0;
}

/* Take ownership of f. false (and f freed) when the FIFO is full. */
static bool net_pending_push(struct vmsg_net *n, struct net_frame *f)
{
	if (n->p_count >= NET_PENDING_MAX) {
		free(f);
		n->st.rx_dropped++;
		return false;
	}
	n->pending[(n->p_head + n->p_count) % NET_PENDING_MAX] = f;
	n->p_count++;
	return true;
}

static void net_pending_pop(struct vmsg_net *n)
{
	free(n->pending[n->p_head]);
	n->pending[n->p_head] = NULL;
	n->p_head = (n->p_head + 1) % NET_PENDING_MAX;
	n->p_count--;
}

/* Read the tap only while the FIFO has room and the driver can receive
 * (rx_off: the receive queue is being reset, whatever its registers say). */
static void net_tap_arm(struct vmsg_net *n, bool rx_off)
{
	uint32_t want;

	if (n->mode != NET_TAP)
		return;
	want = (!rx_off && !n->tap_failed && devq_ready(&n->rxq) && n->p_count < NET_PENDING_MAX)
		   ? EPOLLIN
		   : 0;
	if (dev_waker_watch(&n->waker, n->tap_fd, want, &n->tap_armed) < 0)
		vmsg_dev_log(&n->dev, VMSG_LOG_WARN, "net %s: epoll: %s", n->ifname,
			     strerror(errno));
}

/* Move pending frames into receive buffers (bounded). */
static void net_rx_deliver(struct vmsg_net *n)
{
	uint8_t hdr[NET_HDR_SIZE];
	struct devq_req r;
	uint32_t budget;
	int rc;

	n->rx_more = false;
	for (budget = 0; n->p_count && budget < DEV_BUDGET_CHAINS; budget++) {
		struct net_frame *f = n->pending[n->p_head];

		rc = devq_pop(&n->rxq, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue;
		if (r.wlen < NET_HDR_SIZE || r.wlen - NET_HDR_SIZE < f->len) {
			/* The driver's buffer cannot hold this frame. */
			n->st.rx_too_small++;
			net_pending_pop(n);
			devq_push(&n->rxq, &r, 0);
			continue;
		}
		memset(hdr, 0, sizeof(hdr));
		vmsg_put_le16(hdr + NET_HDR_NUM_BUFFERS, 1);
		if (devq_write(&n->rxq, &r, 0, hdr, NET_HDR_SIZE) < 0 ||
		    devq_write(&n->rxq, &r, NET_HDR_SIZE, f->data, f->len) < 0) {
			n->st.rx_too_small++;
			net_pending_pop(n);
			devq_push(&n->rxq, &r, 0);
			continue;
		}
		n->st.rx_frames++;
		n->st.rx_bytes += f->len;
		devq_push(&n->rxq, &r, NET_HDR_SIZE + f->len);
		net_pending_pop(n);
	}
	devq_notify(&n->rxq);
	if (n->p_count && budget >= DEV_BUDGET_CHAINS) {
		n->rx_more = true;
		dev_waker_kick(&n->waker);
	}
}

/* Read frames from the tap into the FIFO, delivering as we go (bounded). */
static void net_tap_pump(struct vmsg_net *n)
{
	struct net_frame *f;
	uint32_t i;
	ssize_t len;

	if (n->mode != NET_TAP)
		return;
	for (i = 0; i < NET_TAP_BATCH && !n->tap_failed && devq_ready(&n->rxq); i++) {
		if (n->p_count >= NET_PENDING_MAX) {
			net_rx_deliver(n);
			if (n->p_count >= NET_PENDING_MAX)
				break;
		}
		len = net_tap_recv(n->tap_fd, n->bounce, NET_MAX_FRAME);
		if (len < 0) {
			vmsg_dev_log(&n->dev, VMSG_LOG_ERR, "net %s: read: %s; receive stopped",
				     n->ifname, strerror((int)-len));
			n->tap_failed = true;
			break;
		}
		if (len == 0)
			break;
		f = malloc(sizeof(*f) + (size_t)len);
		if (!f) {
			n->st.rx_dropped++;
			continue;
		}
		f->len = (uint32_t)len;
		memcpy(f->data, n->bounce, (size_t)len);
		net_pending_push(n, f);
	}
	net_rx_deliver(n);
	net_tap_arm(n, false);
}

/* One transmit chain: header + frame, device-readable only. */
static void net_tx_one(struct vmsg_net *n, struct devq_req *r)
{
	struct net_frame *f;
	uint32_t len;
	int rc;

	if (r->rlen < NET_HDR_SIZE + NET_MIN_FRAME || r->rlen - NET_HDR_SIZE > NET_MAX_FRAME ||
	    r->wlen) {
		n->st.tx_dropped++;
		return;
	}
	/* The header is ignored: no offloads were offered. */
	len = r->rlen - NET_HDR_SIZE;
	if (n->mode == NET_TAP) {
		if (devq_read(&n->txq, r, NET_HDR_SIZE, n->bounce, len) < 0) {
			n->st.tx_dropped++;
			return;
		}
		rc = net_tap_send(n->tap_fd, n->bounce, len);
		if (rc < 0) {
			n->st.tx_dropped++;
			return;
		}
	} else {
		f = malloc(sizeof(*f) + len);
		if (!f) {
			n->st.tx_dropped++;
			return;
		}
		f->len = len;
		if (devq_read(&n->txq, r, NET_HDR_SIZE, f->data, len) < 0) {
			free(f);
			n->st.tx_dropped++;
			return;
		}
		net_pending_push(n, f);
	}
	n->st.tx_frames++;
	n->st.tx_bytes += len;
}

static void net_tx_process(struct vmsg_net *n)
{
	struct devq_req r;
	uint32_t budget;
	int rc;

	n->tx_more = false;
	for (budget = 0; budget < DEV_BUDGET_CHAINS; budget++) {
		rc = devq_pop(&n->txq, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue;
		net_tx_one(n, &r);
		devq_push(&n->txq, &r, 0);
	}
	devq_notify(&n->txq);
	if (budget >= DEV_BUDGET_CHAINS) {
		n->tx_more = true;
		dev_waker_kick(&n->waker);
	}
	if (n->mode == NET_LOOPBACK)
		net_rx_deliver(n);
}

static void net_config_read(struct vmsg_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct vmsg_net *n = to_net(d);

	if (off > NET_CFG_SIZE || len > NET_CFG_SIZE - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, n->config + off, len);
}

static int net_set_features(struct vmsg_dev *d, uint64_t features)
{
	return dev_check_features(d, features);
}

static void net_start(struct vmsg_dev *d)
{
	struct vmsg_net *n = to_net(d);

	net_tap_arm(n, false);
	dev_waker_kick(&n->waker); /* pick up anything already posted */
}

static void net_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_net *n = to_net(d);

	if (vq == UINT32_MAX) {
		devq_reset(&n->rxq);
		devq_reset(&n->txq);
		net_pending_drop_all(n);
		n->tx_more = n->rx_more = false;
	} else if (vq == NET_RXQ) {
		devq_reset(&n->rxq);
		n->rx_more = false;
	} else if (vq == NET_TXQ) {
		devq_reset(&n->txq);
		n->tx_more = false;
	}
	net_tap_arm(n, vq == UINT32_MAX || vq == NET_RXQ);
}

static void net_queue_notify(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_net *n = to_net(d);

	if (vq == NET_TXQ) {
		net_tx_process(n);
	} else if (vq == NET_RXQ) {
		if (n->mode == NET_TAP)
			net_tap_pump(n);
		else
			net_rx_deliver(n);
	}
}

static void net_poll(struct vmsg_dev *d)
{
	struct vmsg_net *n = to_net(d);

	dev_waker_clear(&n->waker);
	if (n->tx_more)
		net_tx_process(n);
	if (n->mode == NET_TAP)
		net_tap_pump(n);
	else if (n->rx_more)
		net_rx_deliver(n);
}

static int net_wait_fd(struct vmsg_dev *d)
{
	return dev_waker_fd(&to_net(d)->waker);
}

static void net_destroy(struct vmsg_dev *d)
{
	struct vmsg_net *n;

	if (!d)
		return;
	n = to_net(d);
	net_pending_drop_all(n);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	dev_waker_fini(&n->waker);
	free(n->bounce);
	free(n);
}

static void net_describe(struct vmsg_dev *d, char *buf, size_t len)
{
	struct vmsg_net *n = to_net(d);
	const uint8_t *m = n->config + NET_CFG_MAC;
	char mode[IFNAMSIZ + 8];

	if (n->mode == NET_TAP)
		snprintf(mode, sizeof(mode), "tap:%s", n->ifname);
	else
		snprintf(mode, sizeof(mode), "loopback");
	snprintf(buf, len,
		 "%s mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u tx %" PRIu64 " rx %" PRIu64
		 " dropped %" PRIu64,
		 mode, m[0], m[1], m[2], m[3], m[4], m[5], NET_MTU, n->st.tx_frames,
		 n->st.rx_frames, n->st.tx_dropped + n->st.rx_dropped + n->st.rx_too_small);
}

static const struct vmsg_dev_ops net_ops = {
    .name = "net",
    .device_id = VMSG_VIRTIO_ID_NET,
    .config_read = net_config_read,
    .config_write = NULL,
    .set_features = net_set_features,
    .start = net_start,
    .reset = net_reset,
    .queue_notify = net_queue_notify,
    .poll = net_poll,
    .wait_fd = net_wait_fd,
    .get_shm = NULL,
    .destroy = net_destroy,
    .describe = net_describe,
};

int vmsg_net_get_stats(struct vmsg_dev *d, struct vmsg_net_stats *st)
{
	if (!d || d->ops != &net_ops)
		return -1;
	*st = to_net(d)->st;
	st->pending = to_net(d)->p_count;
	return 0;
}

static struct vmsg_net *net_alloc(const uint8_t *mac, char *err, size_t errlen)
{
	struct vmsg_net *n = calloc(1, sizeof(*n));
	uint8_t *m;
	int rc;

	if (!n || !(n->bounce = malloc(NET_MAX_FRAME))) {
		free(n);
		dev_err(err, errlen, "net: out of memory");
		return NULL;
	}
	n->tap_fd = -1;
	n->waker.epfd = n->waker.evfd = -1;
	rc = dev_waker_init(&n->waker);
	if (rc < 0) {
		dev_err(err, errlen, "net: cannot create wait fd: %s", strerror(-rc));
		free(n->bounce);
		free(n);
		return NULL;
	}
	m = n->config + NET_CFG_MAC;
	if (mac) {
		memcpy(m, mac, 6);
	} else {
		if (getrandom(m, 6, 0) != 6) {
			/* getrandom on 6 bytes does not fail once the pool is up;
			 * never hand out all-zero. */
			memset(m, 0x5a, 6);
		}
		m[0] = (uint8_t)((m[0] & 0xfe) | 0x02); /* unicast, locally administered */
	}
	vmsg_put_le16(n->config + NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	vmsg_put_le16(n->config + NET_CFG_MAX_VQ_PAIRS, 1);
	vmsg_put_le16(n->config + NET_CFG_MTU, NET_MTU);

	n->dev.ops = &net_ops;
	n->dev.priv = n;
	n->dev.features = dev_transport_features() | DEV_BIT(VIRTIO_NET_F_MAC) |
			  DEV_BIT(VIRTIO_NET_F_STATUS) | DEV_BIT(VIRTIO_NET_F_MTU);
	n->dev.config_size = NET_CFG_SIZE;
	n->dev.num_queues = 2;
	n->dev.queue_max_size = NET_QUEUE_SIZE;
	devq_init(&n->rxq, &n->dev, NET_RXQ);
	devq_init(&n->txq, &n->dev, NET_TXQ);
	return n;
}

struct vmsg_dev *vmsg_net_loopback_create(const uint8_t *mac, char *err, size_t errlen)
{
	struct vmsg_net *n = net_alloc(mac, err, errlen);

	if (!n)
		return NULL;
	n->mode = NET_LOOPBACK;
	return &n->dev;
}

struct vmsg_dev *vmsg_net_tap_create(const char *ifname, bool create, const uint8_t *mac, char *err,
				     size_t errlen)
{
	struct vmsg_net *n = net_alloc(mac, err, errlen);

	if (!n)
		return NULL;
	n->mode = NET_TAP;
	n->tap_fd = net_tap_open(ifname, create, n->ifname, err, errlen);
	if (n->tap_fd < 0) {
		net_destroy(&n->dev);
		return NULL;
	}
	return &n->dev;
}
