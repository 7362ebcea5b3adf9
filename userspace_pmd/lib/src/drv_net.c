// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * drv_net.c - a virtio-net driver over vmsg_host_dev: receive queue 0,
 * transmit queue 1, no offloads, one 2 KiB buffer per frame
 * (virtio_net_hdr_v1 + frame).
 */
#include "vmsg_host_drivers.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NET_F_MTU    3
#define NET_F_MAC    5
#define NET_F_STATUS 16
#define NET_RXQ	     0u
#define NET_TXQ	     1u

struct vmsg_host_net {
	struct vmsg_host_dev *dev;
	struct vmsg_host_vq *rxq, *txq;
	struct vmsg_link *link;
	uint8_t mac[6];
	uint32_t nrx, ntx;
	uint8_t *rx_mem, *tx_mem; /* link memory, one buffer per descriptor */
	uint64_t rx_dma, tx_dma;
	uint32_t *tx_free;
	uint32_t ntx_free;
	struct vmsg_host_net_stats st;
};

static uint64_t cookie_enc(uint32_t i)
{
	return (uint64_t)i + 1u;
}

static int post_rx(struct vmsg_host_net *net, uint32_t i)
{
	struct vmsg_vq_buf in = {.addr = net->rx_dma + (uint64_t)i * VMSG_HOST_NET_BUF_SIZE,
				 .len = VMSG_HOST_NET_BUF_SIZE};
	int ret;

	ret = vmsg_host_vq_add(net->rxq, NULL, 0, &in, 1, (void *)(uintptr_t)cookie_enc(i));
	return ret < 0 ? ret : 0;
}

int vmsg_host_net_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num, uint32_t qsize,
		       struct vmsg_host_net **out)
{
	uint64_t want = VMSG_HOST_BIT(NET_F_MAC) | VMSG_HOST_BIT(NET_F_STATUS) |
			VMSG_HOST_BIT(NET_F_MTU) | VMSG_HOST_BIT(VMSG_HOST_F_RING_RESET);
	struct vmsg_host_net *net;
	uint32_t i;
	int ret;

	*out = NULL;
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->link = vmsg_host_bus_link(bus);
	ret = vmsg_host_dev_open(bus, dev_num, &net->dev);
	if (ret)
		goto fail;
	if (vmsg_host_dev_info(net->dev)->device_id != VMSG_HOST_VIRTIO_ID_NET ||
	    vmsg_host_dev_info(net->dev)->max_virtqueues < 2) {
		ret = -ENODEV;
		goto fail;
	}
	ret = vmsg_host_dev_negotiate(net->dev, want, NULL);
	if (ret)
		goto fail;
	if (vmsg_host_dev_has(net->dev, NET_F_MAC)) {
		ret = vmsg_host_dev_config_read(net->dev, 0, net->mac, 6, NULL);
		if (ret)
			goto fail;
	}
	ret = vmsg_host_vq_create(net->dev, NET_RXQ, qsize, &net->rxq);
	if (ret)
		goto fail;
	ret = vmsg_host_vq_create(net->dev, NET_TXQ, qsize, &net->txq);
	if (ret)
		goto fail;
	net->nrx = vmsg_host_vq_size(net->rxq);
	net->ntx = vmsg_host_vq_size(net->txq);
	net->rx_mem = vmsg_link_alloc(net->link, (size_t)net->nrx * VMSG_HOST_NET_BUF_SIZE, 4096,
				      &net->rx_dma);
	net->tx_mem = vmsg_link_alloc(net->link, (size_t)net->ntx * VMSG_HOST_NET_BUF_SIZE, 4096,
				      &net->tx_dma);
	net->tx_free = calloc(net->ntx, sizeof(*net->tx_free));
	if (!net->rx_mem || !net->tx_mem || !net->tx_free) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = net->ntx; i-- > 0;)
		net->tx_free[net->ntx_free++] = i;
	ret = vmsg_host_dev_driver_ok(net->dev);
	if (ret)
		goto fail;
	/* transmit completions are polled: no EVENT_USED for them */
	vmsg_host_vq_set_notify(net->txq, false);
	for (i = 0; i < net->nrx; i++) {
		ret = post_rx(net, i);
		if (ret)
			goto fail;
	}
	ret = vmsg_host_net_rx_kick(net);
	if (ret)
		goto fail;
	*out = net;
	return 0;
fail:
	vmsg_host_net_close(net);
	return ret;
}

void vmsg_host_net_close(struct vmsg_host_net *net)
{
	if (!net)
		return;
	if (net->dev) {
		if (vmsg_host_dev_error(net->dev) == 0)
			vmsg_host_dev_reset(net->dev);
		vmsg_host_vq_destroy(net->rxq);
		vmsg_host_vq_destroy(net->txq);
		vmsg_host_dev_close(net->dev);
	}
	vmsg_link_free(net->link, net->rx_mem);
	vmsg_link_free(net->link, net->tx_mem);
	free(net->tx_free);
	free(net);
}

struct vmsg_host_dev *vmsg_host_net_dev(const struct vmsg_host_net *net)
{
	return net->dev;
}

const uint8_t *vmsg_host_net_mac(const struct vmsg_host_net *net)
{
	return net->mac;
}

void vmsg_host_net_get_stats(const struct vmsg_host_net *net, struct vmsg_host_net_stats *st)
{
	*st = net->st;
}

int vmsg_host_net_tx_reclaim(struct vmsg_host_net *net)
{
	uint32_t len;
	void *c;
	int n = 0, ret;

	while ((ret = vmsg_host_vq_get_used(net->txq, &c, &len)) != 0) {
		uint64_t i = (uint64_t)(uintptr_t)c;

		/* a chain the library freed (even with a hostile entry) gives
		 * its buffer back, nothing else does */
		if (i >= 1 && i <= net->ntx) {
			net->tx_free[net->ntx_free++] = (uint32_t)(i - 1);
			n++;
		}
		if (ret < 0)
			return ret; /* the queue is broken: stop, never spin on it */
	}
	return n;
}

int vmsg_host_net_tx(struct vmsg_host_net *net, const void *frame, uint32_t len)
{
	struct vmsg_vq_buf out;
	uint32_t i;
	uint8_t *b;
	int ret;

	if (len == 0 || len > VMSG_HOST_NET_MAX_FRAME)
		return -EMSGSIZE;
	if (net->ntx_free == 0) {
		ret = vmsg_host_net_tx_reclaim(net);
		if (ret < 0)
			return ret;
	}
	if (net->ntx_free == 0) {
		ret = vmsg_host_dev_error(net->dev);
		return ret ? ret : -EAGAIN;
	}
	i = net->tx_free[net->ntx_free - 1];
	b = net->tx_mem + (size_t)i * VMSG_HOST_NET_BUF_SIZE;
	memset(b, 0, VMSG_HOST_NET_HDR_SIZE);
	memcpy(b + VMSG_HOST_NET_HDR_SIZE, frame, len);
	out.addr = net->tx_dma + (uint64_t)i * VMSG_HOST_NET_BUF_SIZE;
	out.len = VMSG_HOST_NET_HDR_SIZE + len;
	ret = vmsg_host_vq_add(net->txq, &out, 1, NULL, 0, (void *)(uintptr_t)cookie_enc(i));
	if (ret < 0)
		return ret;
	net->ntx_free--;
	net->st.tx_frames++;
	return 0;
}

int vmsg_host_net_tx_kick(struct vmsg_host_net *net)
{
	int ret = vmsg_host_vq_kick(net->txq);

	if (ret > 0)
		net->st.tx_kicks++;
	return ret < 0 ? ret : 0;
}

int vmsg_host_net_rx(struct vmsg_host_net *net, void *buf, uint32_t cap, uint32_t *len)
{
	uint32_t ulen = 0, budget;
	uint64_t i;
	void *c;
	int ret;

	/* bounded: a device that only returns runts gets one round */
	for (budget = net->nrx; budget > 0; budget--) {
		ret = vmsg_host_vq_get_used(net->rxq, &c, &ulen);
		if (ret == 0)
			return 0;
		if (ret < 0) {
			/* the queue is broken (its buffer, if one was freed,
			 * is not posted again): stop, never spin on it */
			net->st.rx_bad++;
			return ret;
		}
		i = (uint64_t)(uintptr_t)c;
		if (i == 0 || i > net->nrx) {
			net->st.rx_bad++; /* cannot happen: cookies are ours */
			return -EPROTO;
		}
		i--;
		if (ulen < VMSG_HOST_NET_HDR_SIZE || ulen > VMSG_HOST_NET_BUF_SIZE) {
			/* a length the chain allows but no frame has: dropped,
			 * the buffer goes back to the device */
			net->st.rx_bad++;
			ret = post_rx(net, (uint32_t)i);
			if (ret < 0)
				return ret;
			continue;
		}
		ulen -= VMSG_HOST_NET_HDR_SIZE;
		if (ulen > cap)
			ulen = cap;
		memcpy(buf, net->rx_mem + i * VMSG_HOST_NET_BUF_SIZE + VMSG_HOST_NET_HDR_SIZE,
		       ulen);
		*len = ulen;
		net->st.rx_frames++;
		ret = post_rx(net, (uint32_t)i);
		return ret < 0 ? ret : 1;
	}
	return 0;
}

int vmsg_host_net_rx_kick(struct vmsg_host_net *net)
{
	int ret = vmsg_host_vq_kick(net->rxq);

	if (ret > 0)
		net->st.rx_kicks++;
	return ret < 0 ? ret : 0;
}

int vmsg_host_net_wait(struct vmsg_host_net *net, int timeout_ms)
{
	return vmsg_host_vq_wait(net->rxq, timeout_ms);
}

static void tx_drop(void *arg, void *c)
{
	struct vmsg_host_net *net = arg;
	uint64_t i = (uint64_t)(uintptr_t)c;

	if (i >= 1 && i <= net->ntx)
		net->tx_free[net->ntx_free++] = (uint32_t)(i - 1);
}

int vmsg_host_net_reclaim(struct vmsg_host_net *net)
{
	int rx, tx;

	rx = vmsg_host_vq_reclaim(net->rxq, NULL, NULL);
	if (rx < 0)
		return rx;
	tx = vmsg_host_vq_reclaim(net->txq, tx_drop, net);
	if (tx < 0)
		return tx;
	return rx + tx;
}

int vmsg_host_net_reset_rx(struct vmsg_host_net *net)
{
	uint32_t i;
	int n, ret;

	ret = vmsg_host_vq_reset(net->rxq);
	if (ret)
		return ret;
	n = vmsg_host_vq_reclaim(net->rxq, NULL, NULL);
	if (n < 0)
		return n;
	ret = vmsg_host_vq_restart(net->rxq);
	if (ret)
		return ret;
	for (i = 0; i < net->nrx; i++) {
		ret = post_rx(net, i);
		if (ret)
			return ret;
	}
	ret = vmsg_host_net_rx_kick(net);
	return ret ? ret : n;
}

struct vmsg_host_vq *vmsg_host_net_vq(const struct vmsg_host_net *net, uint32_t index)
{
	return index == NET_RXQ ? net->rxq : index == NET_TXQ ? net->txq : NULL;
}
