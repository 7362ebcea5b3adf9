/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * net.c - virtio-net: receiveq 0, transmitq 1, no control queue,
 * virtio_net_hdr_v1 (12 bytes) in front of every frame.
 *
 * Offloads (tap only): the tap is opened with IFF_VNET_HDR, whose header is
 * the driver's own virtio_net_hdr_v1, so checksum offload and TSO pass
 * through in both directions as they do for QEMU's virtio-net on a tap:
 * CSUM, HOST_TSO4/6 (the driver sends partial checksums and up to 64 KiB
 * segments; the header is checked against what was negotiated, then the
 * host kernel checks it again) and GUEST_CSUM, GUEST_TSO4/6 (TUNSETOFFLOAD
 * from the negotiated bits: the kernel hands us what the driver accepts),
 * and MRG_RXBUF (a 64 KiB segment spread over the driver's page-sized
 * receive buffers, num_buffers in the first header). loopback offers none
 * of these: a frame goes back as it came, without segmentation.
 *
 * Transmit is served in bursts: up to DEV_BUDGET_CHAINS chains per call,
 * their used entries staged and published with one used idx write per
 * queue, one EVENT_USED decision per queue per burst. loopback moves each
 * frame straight from its transmit chain into a receive chain (through the
 * card's bounce buffer: host_read, host_write; no allocation per frame);
 * tap writes it to the tap. When the card busy-polls (vmsg-card --poll),
 * poll() serves the avail rings itself, several bursts per call (bounded so
 * that other devices and the link are served), and asks the driver for no
 * EVENT_AVAIL at all.
 *
 * Frames for the driver that find no receive buffer wait in a bounded hold
 * (a preallocated byte ring of NET_HOLD_BYTES, at most NET_PENDING_MAX
 * frames) until it posts some; while anything waits there, new frames queue
 * behind it (order kept). loopback drops (counts) a frame the hold cannot
 * take; tap only reads the tap while the hold has room.
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
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1u

/* struct virtio_net_config: mac[6], le16 status, le16 max_virtqueue_pairs,
 * le16 mtu. */
#define NET_CFG_MAC	     0u
#define NET_CFG_STATUS	     6u
#define NET_CFG_MAX_VQ_PAIRS 8u
#define NET_CFG_MTU	     10u
#define NET_CFG_SIZE	     12u

/* struct virtio_net_hdr_v1: flags, gso_type, le16 hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers. */
#define NET_HDR_SIZE	     12u
#define NET_HDR_NUM_BUFFERS  10u
#define NET_HDR_F_NEEDS_CSUM 1u
#define NET_GSO_NONE	     0u
#define NET_GSO_TCPV4	     1u
#define NET_GSO_TCPV6	     4u
#define NET_GSO_ECN	     0x80u

#define NET_RXQ		0u
#define NET_TXQ		1u
#define NET_QUEUE_SIZE	256u
#define NET_MTU		1500u
#define NET_MIN_FRAME	14u		/* an Ethernet header */
#define NET_MAX_FRAME	16384u		/* no offloads: anything larger is hostile */
#define NET_MAX_GSO	65550u		/* a 64 KiB segment (tap + TSO) */
#define NET_PENDING_MAX 256u		/* frames held for the driver */
#define NET_HOLD_BYTES	(2048u * 1024u) /* their bytes (header included) */
#define NET_TAP_BATCH	64u		/* frames read from the tap per poll */
#define NET_POLL_ROUNDS 4u		/* bursts per poll() while busy-polled */
#define NET_MRG_MAX	48u		/* receive chains one frame may span (MRG_RXBUF) */
#define NET_BOUNCE	(NET_HDR_SIZE + NET_MAX_GSO)

enum net_mode { NET_LOOPBACK, NET_TAP };

/* A held frame: header and frame at hold[off, off + len). */
struct net_held {
	uint32_t off;
	uint32_t len;
};

struct vmsg_net {
	struct vmsg_dev dev;
	enum net_mode mode;
	struct devq rxq, txq;
	struct dev_waker waker;
	uint8_t config[NET_CFG_SIZE];
	int tap_fd;
	bool vnet; /* the tap carries virtio_net_hdr: offloads offered */
	uint32_t tap_armed;
	bool tap_failed; /* a read error that will not go away: stop reading */
	bool polled;	 /* the card busy-polls: serve the rings from poll() */
	char ifname[IFNAMSIZ];
	uint8_t *hold; /* NET_HOLD_BYTES */
	struct net_held held[NET_PENDING_MAX];
	uint32_t p_head, p_count, p_end; /* p_end: where the newest ends */
	struct devq_req rx[NET_MRG_MAX]; /* receive chains popped, not yet filled */
	uint32_t rx_n;			 /* how many */
	uint64_t rx_res;		 /* their writable bytes */
	bool tx_more;			 /* transmit stopped on its budget */
	bool rx_more;			 /* receive stopped on its budget */
	uint8_t *bounce;		 /* NET_BOUNCE bytes: header, then the frame */
	struct vmsg_net_stats st;
};

static const struct vmsg_dev_ops net_ops;

static struct vmsg_net *to_net(struct vmsg_dev *d)
{
	return (struct vmsg_net *)d->priv;
}

/*
 * A chain from q. Work in hand: no EVENT_AVAIL wanted until devq_pop finds
 * the ring empty again (it asks for one then, and looks once more). Without
 * this the used-ring commit would re-arm avail_event on every burst, and
 * the driver would kick for every receive refill and every transmit batch
 * the card is already going to see (the vhost rule: notifications off
 * while there is work, on when the ring runs dry). With EVENT_IDX this is
 * a flag: the stale avail_event stops the kicks; without it one used-flags
 * write per transition. A failed write only costs a kick.
 */
static int net_pop(struct devq *q, struct devq_req *r)
{
	int rc = devq_pop(q, r);

	if (rc == 1 && !q->polled && q->vq.kicks_enabled)
		(void)vmsg_vq_dev_disable_kicks(&q->vq);
	return rc;
}

/* ---- the hold: a byte ring, oldest frame at held[p_head] ---- */

static void net_hold_clear(struct vmsg_net *n)
{
	n->p_head = n->p_count = n->p_end = 0;
}

/* Where a frame of len bytes (header included) goes, or UINT32_MAX. Frames
 * are contiguous: one that does not fit before the end starts at 0 if the
 * oldest frame leaves room there. */
static uint32_t net_hold_place(const struct vmsg_net *n, uint32_t len)
{
	uint32_t need = (len + 7u) & ~7u, oldest;

	if (n->p_count >= NET_PENDING_MAX || need > NET_HOLD_BYTES)
		return UINT32_MAX;
	if (!n->p_count)
		return 0;
	oldest = n->held[n->p_head].off;
	if (n->p_end > oldest) {
		if (need <= NET_HOLD_BYTES - n->p_end)
			return n->p_end;
		return need <= oldest ? 0 : UINT32_MAX;
	}
	return need <= oldest - n->p_end ? n->p_end : UINT32_MAX; /* wrapped */
}

static void net_hold_commit(struct vmsg_net *n, uint32_t off, uint32_t len)
{
	n->held[(n->p_head + n->p_count) % NET_PENDING_MAX] = (struct net_held){off, len};
	n->p_count++;
	n->p_end = off + ((len + 7u) & ~7u);
}

static void net_hold_pop(struct vmsg_net *n)
{
	n->p_head = (n->p_head + 1) % NET_PENDING_MAX;
	if (!--n->p_count)
		net_hold_clear(n);
}

static void net_hdr(uint8_t *hdr)
{
	memset(hdr, 0, NET_HDR_SIZE);
	vmsg_put_le16(hdr + NET_HDR_NUM_BUFFERS, 1);
}

/* Read the tap only while the hold has room and the driver can receive
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

/* Receive chains for a frame of len bytes (header included) in n->rx: 1 when
 * there are enough (one chain; with MRG_RXBUF as many as its bytes need), 0
 * when the driver has not posted enough (or the queue is broken); what was
 * popped stays reserved for this frame. A chain the ring walk refused is
 * consumed by devq; with MRG_RXBUF an empty chain is returned at once. */
static int net_rx_reserve(struct vmsg_net *n, uint32_t len)
{
	bool mrg = vmsg_dev_has_feature(&n->dev, VIRTIO_NET_F_MRG_RXBUF);
	struct devq_req *r;
	uint32_t tries = 0;
	int rc;

	/* Bounded: a driver publishing bad chains as fast as we drop them
	 * must not keep the card here. */
	while (tries < DEV_BUDGET_CHAINS) {
		if (n->rx_n && (!mrg || n->rx_res >= len || n->rx_n >= NET_MRG_MAX))
			return 1;
		r = &n->rx[n->rx_n];
		rc = net_pop(&n->rxq, r);
		if (rc == DEVQ_BAD) {
			tries++;
			continue;
		}
		if (rc != 1)
			return 0;
		if (mrg && (!r->wlen || (!n->rx_n && r->wlen < NET_HDR_SIZE))) {
			n->st.rx_too_small++;
			devq_stage(&n->rxq, r, 0);
			tries++;
			continue;
		}
		n->rx_res += r->wlen;
		n->rx_n++;
	}
	return 0;
}

/* Fill the reserved chains with buf (header + frame, len bytes in all) and
 * stage them; with several, num_buffers says how many. false: they cannot
 * take it (returned empty, counted); the frame is dropped either way once
 * this was called. */
static bool net_rx_put(struct vmsg_net *n, const uint8_t *buf, uint32_t len)
{
	uint32_t i, used = 0, off = 0, take;
	uint8_t nb[2];
	bool ok = n->rx_n && n->rx_res >= len && n->rx[0].wlen >= NET_HDR_SIZE;

	for (i = 0; ok && i < n->rx_n && off < len; i++, used++) {
		take = n->rx[i].wlen < len - off ? n->rx[i].wlen : len - off;
		if (devq_write(&n->rxq, &n->rx[i], 0, buf + off, take) < 0)
			ok = false;
		off += take;
	}
	if (ok && used > 1) {
		vmsg_put_le16(nb, (uint16_t)used);
		ok = devq_write(&n->rxq, &n->rx[0], NET_HDR_NUM_BUFFERS, nb, sizeof(nb)) == 0;
	}
	if (!ok) {
		n->st.rx_too_small++;
		for (i = 0; i < n->rx_n; i++)
			devq_stage(&n->rxq, &n->rx[i], 0);
		n->rx_n = 0;
		n->rx_res = 0;
		return false;
	}
	for (i = 0, off = 0; i < used; i++) {
		take = n->rx[i].wlen < len - off ? n->rx[i].wlen : len - off;
		devq_stage(&n->rxq, &n->rx[i], take);
		off += take;
		n->rx_res -= n->rx[i].wlen;
	}
	/* Never with the reservation rule above; kept for the next frame. */
	n->rx_n -= used;
	if (n->rx_n)
		memmove(n->rx, n->rx + used, n->rx_n * sizeof(n->rx[0]));
	n->st.rx_frames++;
	n->st.rx_bufs += used;
	n->st.rx_bytes += len - NET_HDR_SIZE;
	return true;
}

/* Move held frames into receive buffers (bounded). Frames handled. */
static uint32_t net_rx_deliver(struct vmsg_net *n)
{
	uint32_t budget;

	n->rx_more = false;
	for (budget = 0; n->p_count && budget < DEV_BUDGET_CHAINS; budget++) {
		const struct net_held *h = &n->held[n->p_head];

		if (!net_rx_reserve(n, h->len))
			break;
		net_rx_put(n, n->hold + h->off, h->len);
		net_hold_pop(n);
	}
	if (n->p_count && budget >= DEV_BUDGET_CHAINS) {
		n->rx_more = true;
		if (!n->polled)
			dev_waker_kick(&n->waker);
	}
	return budget;
}

/* A frame for the driver, header and frame in buf (len bytes): straight
 * into a receive buffer when nothing waits before it and one is posted,
 * else held (or dropped, counted, when the hold is full). */
static void net_rx_frame(struct vmsg_net *n, const uint8_t *buf, uint32_t len)
{
	uint32_t off;

	if (!n->p_count && net_rx_reserve(n, len)) {
		net_rx_put(n, buf, len);
		return;
	}
	off = net_hold_place(n, len);
	if (off == UINT32_MAX) {
		n->st.rx_dropped++;
		return;
	}
	memcpy(n->hold + off, buf, len);
	net_hold_commit(n, off, len);
}

/* Publish what a burst staged: receive first (the driver polls it), then
 * transmit; one EVENT_USED decision per queue. */
static void net_flush(struct vmsg_net *n)
{
	devq_commit(&n->rxq);
	devq_notify(&n->rxq);
	devq_commit(&n->txq);
	devq_notify(&n->txq);
}

/* Read frames from the tap, delivering as we go (bounded). */
static void net_tap_pump(struct vmsg_net *n)
{
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
		if (n->vnet)
			len = net_tap_recv(n->tap_fd, n->bounce, NET_HDR_SIZE + NET_MAX_GSO);
		else
			len = net_tap_recv(n->tap_fd, n->bounce + NET_HDR_SIZE, NET_MAX_FRAME);
		if (len < 0) {
			vmsg_dev_log(&n->dev, VMSG_LOG_ERR, "net %s: read: %s; receive stopped",
				     n->ifname, strerror((int)-len));
			n->tap_failed = true;
			break;
		}
		if (len == 0)
			break;
		if (n->vnet) {
			/* The kernel wrote the 10-byte header; one buffer. */
			if ((size_t)len < NET_HDR_SIZE + NET_MIN_FRAME)
				continue;
			vmsg_put_le16(n->bounce + NET_HDR_NUM_BUFFERS, 1);
			net_rx_frame(n, n->bounce, (uint32_t)len);
			continue;
		}
		net_hdr(n->bounce);
		net_rx_frame(n, n->bounce, NET_HDR_SIZE + (uint32_t)len);
	}
	net_rx_deliver(n);
	net_flush(n);
	net_tap_arm(n, false);
}

/* A transmit header the driver may send: only what was negotiated. */
static bool net_tx_hdr_ok(struct vmsg_net *n, const uint8_t *h, uint32_t len)
{
	uint8_t gso = h[1] & (uint8_t)~NET_GSO_ECN;

	if ((h[0] & NET_HDR_F_NEEDS_CSUM) && !vmsg_dev_has_feature(&n->dev, VIRTIO_NET_F_CSUM))
		return false;
	if (h[0] & ~NET_HDR_F_NEEDS_CSUM)
		return false;
	if (gso == NET_GSO_NONE)
		return len <= NET_MAX_FRAME && !(h[1] & NET_GSO_ECN);
	if (h[1] & NET_GSO_ECN)
		return false; /* HOST_ECN is not offered */
	if (gso == NET_GSO_TCPV4)
		return vmsg_dev_has_feature(&n->dev, VIRTIO_NET_F_HOST_TSO4);
	if (gso == NET_GSO_TCPV6)
		return vmsg_dev_has_feature(&n->dev, VIRTIO_NET_F_HOST_TSO6);
	return false;
}

/* One transmit chain on a vnet tap: header and frame go out as they are. */
static void net_tx_vnet(struct vmsg_net *n, struct devq_req *r)
{
	uint32_t len = r->rlen;

	if (len < NET_HDR_SIZE + NET_MIN_FRAME || len - NET_HDR_SIZE > NET_MAX_GSO || r->wlen ||
	    devq_read(&n->txq, r, 0, n->bounce, len) < 0 ||
	    !net_tx_hdr_ok(n, n->bounce, len - NET_HDR_SIZE) ||
	    net_tap_send(n->tap_fd, n->bounce, len) < 0) {
		n->st.tx_dropped++;
		return;
	}
	n->st.tx_frames++;
	n->st.tx_bytes += len - NET_HDR_SIZE;
}

/* One transmit chain: header + frame, device-readable only. */
static void net_tx_one(struct vmsg_net *n, struct devq_req *r)
{
	uint32_t len;

	if (n->vnet) {
		net_tx_vnet(n, r);
		return;
	}
	if (r->rlen < NET_HDR_SIZE + NET_MIN_FRAME || r->rlen - NET_HDR_SIZE > NET_MAX_FRAME ||
	    r->wlen) {
		n->st.tx_dropped++;
		return;
	}
	/* The header is ignored: no offloads were offered. */
	len = r->rlen - NET_HDR_SIZE;
	if (devq_read(&n->txq, r, NET_HDR_SIZE, n->bounce + NET_HDR_SIZE, len) < 0) {
		n->st.tx_dropped++;
		return;
	}
	if (n->mode == NET_TAP) {
		if (net_tap_send(n->tap_fd, n->bounce + NET_HDR_SIZE, len) < 0) {
			n->st.tx_dropped++;
			return;
		}
	} else {
		net_hdr(n->bounce);
		net_rx_frame(n, n->bounce, NET_HDR_SIZE + len);
	}
	n->st.tx_frames++;
	n->st.tx_bytes += len;
}

/* One transmit burst (bounded). Chains taken from the ring. */
static uint32_t net_tx_burst(struct vmsg_net *n)
{
	struct devq_req r;
	uint32_t budget;
	int rc;

	n->tx_more = false;
	/* Frames already waiting go first (order). */
	if (n->mode == NET_LOOPBACK && n->p_count)
		net_rx_deliver(n);
	for (budget = 0; budget < DEV_BUDGET_CHAINS; budget++) {
		rc = net_pop(&n->txq, &r);
		if (rc == 0 || rc == DEVQ_BROKEN)
			break;
		if (rc < 0)
			continue; /* consumed and counted by devq */
		net_tx_one(n, &r);
		devq_stage(&n->txq, &r, 0);
	}
	net_flush(n);
	if (budget >= DEV_BUDGET_CHAINS) {
		n->tx_more = true;
		if (!n->polled)
			dev_waker_kick(&n->waker);
	}
	return budget;
}

static void net_tx_process(struct vmsg_net *n)
{
	net_tx_burst(n);
}

/* Busy-polled: serve the rings until they run dry, at most NET_POLL_ROUNDS
 * bursts, and only while the host is reachable (a failed ring read would
 * look like a broken ring). */
static void net_poll_rings(struct vmsg_net *n)
{
	uint32_t i;

	if (!vmsg_dev_host_ready(&n->dev) || !devq_ready(&n->txq))
		return;
	for (i = 0; i < NET_POLL_ROUNDS; i++)
		if (net_tx_burst(n) < DEV_BUDGET_CHAINS)
			break;
	if (n->mode == NET_LOOPBACK && n->p_count) {
		net_rx_deliver(n);
		net_flush(n);
	}
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

static bool net_has(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1u;
}

static int net_set_features(struct vmsg_dev *d, uint64_t features)
{
	struct vmsg_net *n = to_net(d);
	int rc = dev_check_features(d, features);

	if (rc < 0 || !n->vnet)
		return rc;
	/* What the kernel may hand us is what the driver takes. */
	rc = net_tap_set_offload(n->tap_fd, net_has(features, VIRTIO_NET_F_GUEST_CSUM),
				 net_has(features, VIRTIO_NET_F_GUEST_TSO4),
				 net_has(features, VIRTIO_NET_F_GUEST_TSO6));
	if (rc < 0) {
		vmsg_dev_log(d, VMSG_LOG_WARN, "net %s: TUNSETOFFLOAD: %s", n->ifname,
			     strerror(-rc));
		return -1;
	}
	return 0;
}

static void net_start(struct vmsg_dev *d)
{
	struct vmsg_net *n = to_net(d);

	n->polled = vmsg_dev_busy_polled(d);
	devq_set_polled(&n->rxq, n->polled);
	devq_set_polled(&n->txq, n->polled);
	net_tap_arm(n, false);
	dev_waker_kick(&n->waker); /* pick up anything already posted */
}

static void net_reset(struct vmsg_dev *d, uint32_t vq)
{
	struct vmsg_net *n = to_net(d);

	if (vq == UINT32_MAX) {
		devq_reset(&n->rxq);
		devq_reset(&n->txq);
		net_hold_clear(n);
		/* Offloads follow the next negotiation; none until then. */
		if (n->vnet)
			(void)net_tap_set_offload(n->tap_fd, false, false, false);
		n->rx_n = 0;
		n->rx_res = 0;
		n->tx_more = n->rx_more = false;
	} else if (vq == NET_RXQ) {
		devq_reset(&n->rxq);
		n->rx_n = 0; /* chains of the old ring: never returned */
		n->rx_res = 0;
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
		n->st.tx_kicks++;
		net_tx_process(n);
	} else if (vq == NET_RXQ) {
		n->st.rx_kicks++;
		if (n->mode == NET_TAP) {
			net_tap_pump(n);
		} else {
			net_rx_deliver(n);
			net_flush(n);
		}
	}
}

static void net_poll(struct vmsg_dev *d)
{
	struct vmsg_net *n = to_net(d);

	dev_waker_clear(&n->waker);
	if (n->polled) {
		net_poll_rings(n);
	} else {
		if (n->tx_more)
			net_tx_process(n);
		if (n->mode == NET_LOOPBACK && n->rx_more) {
			net_rx_deliver(n);
			net_flush(n);
		}
	}
	if (n->mode == NET_TAP)
		net_tap_pump(n);
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
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	dev_waker_fini(&n->waker);
	free(n->bounce);
	free(n->hold);
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
		 " dropped %" PRIu64 " kicks rx %" PRIu64 " tx %" PRIu64 " rxbufs %" PRIu64,
		 mode, m[0], m[1], m[2], m[3], m[4], m[5], NET_MTU, n->st.tx_frames,
		 n->st.rx_frames, n->st.tx_dropped + n->st.rx_dropped + n->st.rx_too_small,
		 n->st.rx_kicks, n->st.tx_kicks, n->st.rx_bufs);
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
	st->bad_chains = to_net(d)->rxq.bad_chains + to_net(d)->txq.bad_chains;
	return 0;
}

static struct vmsg_net *net_alloc(const uint8_t *mac, char *err, size_t errlen)
{
	struct vmsg_net *n = calloc(1, sizeof(*n));
	uint8_t *m;
	int rc;

	if (!n || !(n->bounce = malloc(NET_BOUNCE)) || !(n->hold = malloc(NET_HOLD_BYTES))) {
		if (n)
			free(n->bounce);
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
		free(n->hold);
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
	n->tap_fd = net_tap_open(ifname, create, true, n->ifname, err, errlen);
	if (n->tap_fd < 0) {
		net_destroy(&n->dev);
		return NULL;
	}
	n->vnet = true;
	n->dev.features |= DEV_BIT(VIRTIO_NET_F_CSUM) | DEV_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			   DEV_BIT(VIRTIO_NET_F_GUEST_TSO4) | DEV_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			   DEV_BIT(VIRTIO_NET_F_HOST_TSO4) | DEV_BIT(VIRTIO_NET_F_HOST_TSO6) |
			   DEV_BIT(VIRTIO_NET_F_MRG_RXBUF);
	return &n->dev;
}
