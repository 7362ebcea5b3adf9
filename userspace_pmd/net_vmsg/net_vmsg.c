// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * net_vmsg.c - DPDK ethdev PMD for a virtio-net device behind a virtio-msg
 * PCIe card (vdev `net_vmsg`), built against Debian's DPDK 22.11.
 *
 *   --vdev 'net_vmsg0,link=DIR,host-mem=FILE,dev=N,queues=1'
 *   --vdev 'net_vmsg0,pci=ADDR,dev=N,queues=1'
 *
 * pci=ADDR    a card (or the emulated link's ivshmem device) bound to
 *             vfio-pci, reached through libvmsg_host's vfio link (README.md:
 *             why a vdev devarg and not -a ADDR); DPDK memory is DMA-mapped
 *             at its IOVA in the link's container (net_vmsg_mem.c)
 * link=DIR    the emulated card's link directory (DIR/ivshmem.sock), as
 *             given to `vmsg-card --platform sim --link DIR`
 * host-mem=FILE  the card's --host-mem FILE: the PMD publishes DPDK's memory
 *             there (net_vmsg_mem.c), the card maps it at ATTACH
 * dev=N       the virtio-net device's number on the card (default: the first
 *             virtio-net device found)
 * queues=Q    queue pairs (only 1: the card offers no VIRTIO_NET_F_MQ yet)
 *
 * Attach, enumeration, feature negotiation and queue programming are
 * libvmsg_host's (bus, transport, vq); this file is the ethdev glue and the
 * control thread (liveness, events, restart after a removed device came
 * back). The burst path is net_vmsg_rxtx.c.
 */
#include "net_vmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_cycles.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

/* virtio-net device bits */
#define NET_F_MTU	3
#define NET_F_MAC	5
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS	16
#define NET_F_MQ	22
#define NET_CFG_MAC	0u
#define NET_CFG_STATUS	6u
#define NET_CFG_MTU	10u
#define NET_S_LINK_UP	1u
#define VIRTIO_ID_NET	1u
#define RXQ_INDEX	0u
#define TXQ_INDEX	1u
#define CTL_TICK_MS	10

int net_vmsg_logtype;
RTE_LOG_REGISTER_DEFAULT(net_vmsg_logtype, NOTICE);

static const char *const valid_args[] = {"link", "host-mem", "pci", "dev", "queues", NULL};

/* ---- xstats: the PMD's own counters, then the bus's ---- */

struct xs_q {
	const char *name;
	size_t off;
};
#define XQ(f)                                                                                      \
	{                                                                                          \
#f, offsetof(struct net_vmsg_queue, f)                                             \
	}
static const struct xs_q xs_rx[] = {XQ(bad_len), XQ(nombuf), XQ(hostile), XQ(kicks),
				    XQ(kick_errors)};
static const struct xs_q xs_tx[] = {XQ(too_many_segs), XQ(hostile), XQ(kicks), XQ(kick_errors)};

struct xs_b {
	const char *name;
	size_t off;
};
#define XB(f)                                                                                      \
	{                                                                                          \
		"bus_" #f, offsetof(struct vmsg_host_bus_stats, f)                                 \
	}
static const struct xs_b xs_bus[] = {
    XB(tx_msgs),	XB(rx_msgs),	 XB(rx_malformed),   XB(rx_bad_slot),	 XB(rx_stale_epoch),
    XB(rx_unsolicited), XB(rx_mismatch), XB(rx_unknown_dev), XB(rx_bus_errors),	 XB(rx_bad_event),
    XB(timeouts),	XB(doorbells),	 XB(irqs),	     XB(pings_sent),	 XB(pings_missed),
    XB(attaches),	XB(link_downs),	 XB(peer_dead),	     XB(kicks_deferred), XB(events_dropped),
};
#define N_PRIV_XS 4 /* link_downs, removals, restarts, restart_failures */

static unsigned int xstats_count(void)
{
	return (unsigned int)(RTE_DIM(xs_rx) + RTE_DIM(xs_tx)) * NET_VMSG_MAX_QP +
	       (unsigned int)RTE_DIM(xs_bus) + N_PRIV_XS;
}

/* ---- control path ---- */

static void ev_cb(void *arg, const struct vmsg_host_event *ev)
{
	struct net_vmsg_priv *p = arg;

	switch (ev->kind) {
	case VMSG_HOST_EV_LINK_DOWN:
		p->link_downs++;
		__atomic_store_n(&p->down, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&p->removed, 1, __ATOMIC_SEQ_CST);
		VLOG(WARNING, "%s: link to the card lost (%s): port down", p->name,
		     vmsg_host_strerror(ev->reason));
		break;
	case VMSG_HOST_EV_DEVICE_REMOVED:
		if (ev->dev_num != p->dev_num)
			break;
		p->removals++;
		__atomic_store_n(&p->down, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&p->removed, 1, __ATOMIC_SEQ_CST);
		VLOG(WARNING, "%s: device %u removed by the card: port down", p->name, p->dev_num);
		break;
	case VMSG_HOST_EV_DEVICE_READY:
		/* dev=N: that number only; else the next device (checked to be a
		 * virtio-net device when it is opened) */
		if ((!p->dev_pinned || ev->dev_num == p->dev_num) &&
		    __atomic_load_n(&p->removed, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&p->back_dev, ev->dev_num, __ATOMIC_SEQ_CST);
			__atomic_store_n(&p->back, 1, __ATOMIC_SEQ_CST);
		}
		break;
	default:
		break;
	}
}

/* Wait until no burst is inside the rings (down is set). Bounded. */
static void quiesce(struct net_vmsg_priv *p)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz();
	unsigned int i;

	__atomic_store_n(&p->down, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < NET_VMSG_MAX_QP; i++) {
		while ((__atomic_load_n(&p->rxq[i].in_burst, __ATOMIC_ACQUIRE) ||
			__atomic_load_n(&p->txq[i].in_burst, __ATOMIC_ACQUIRE)) &&
		       rte_get_timer_cycles() < end)
			rte_pause();
	}
}

static void queues_teardown(struct net_vmsg_priv *p)
{
	unsigned int i;

	for (i = 0; i < NET_VMSG_MAX_QP; i++) {
		struct net_vmsg_queue *qs[2] = {&p->rxq[i], &p->txq[i]};
		unsigned int k;

		for (k = 0; k < 2; k++) {
			struct net_vmsg_queue *q = qs[k];

			q->ring = NULL;
			net_vmsg_queue_drop_all(q);
			if (q->vq) {
				vmsg_host_vq_reclaim(q->vq, NULL, NULL);
				vmsg_host_vq_destroy(q->vq);
				q->vq = NULL;
			}
			rte_free(q->cookies);
			q->cookies = NULL;
			q->cookies_cap = 0;
		}
	}
}

static int queue_create(struct net_vmsg_priv *p, struct net_vmsg_queue *q, uint32_t index)
{
	int ret;

	ret = vmsg_host_vq_create(p->dev, index, q->nb_desc, &q->vq);
	if (ret) {
		VLOG(ERR, "%s: queue %u: %s", p->name, index, vmsg_host_strerror(ret));
		return ret;
	}
	vmsg_host_vq_set_notify(q->vq, false); /* we poll */
	q->cookies_cap = vmsg_host_vq_size(q->vq);
	q->cookies = rte_zmalloc("net_vmsg_cookies", sizeof(*q->cookies) * q->cookies_cap, 64);
	q->ring = vmsg_host_vq_ring(q->vq);
	if (!q->cookies || !q->ring)
		return -ENOMEM;
	return 0;
}

/* A device that came back may be a new one with another MAC: the port
 * takes the device's. */
static void refresh_mac(struct net_vmsg_priv *p)
{
	struct rte_eth_dev_data *data = rte_eth_devices[p->port_id].data;
	uint8_t mac[6];

	if (!(p->features & VMSG_HOST_BIT(NET_F_MAC)) ||
	    vmsg_host_dev_config_read(p->dev, NET_CFG_MAC, mac, 6, NULL) != 0 ||
	    memcmp(mac, p->mac, 6) == 0)
		return;
	memcpy(p->mac, mac, 6);
	if (data && data->mac_addrs)
		memcpy(data->mac_addrs[0].addr_bytes, mac, 6);
	VLOG(NOTICE, "%s: device %u has MAC %02x:%02x:%02x:%02x:%02x:%02x", p->name, p->dev_num,
	     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* Device init in the spec's order on a fresh handle, queues, DRIVER_OK. */
static int device_start(struct net_vmsg_priv *p)
{
	uint64_t want = VMSG_HOST_BIT(NET_F_MAC) | VMSG_HOST_BIT(NET_F_STATUS) |
			VMSG_HOST_BIT(NET_F_MTU) | VMSG_HOST_BIT(VMSG_HOST_F_EVENT_IDX);
	int ret;

	if (!p->dev) {
		ret = vmsg_host_dev_open(p->bus, (vmsg_dev_num_t)p->dev_num, &p->dev);
		if (ret) {
			VLOG(ERR, "%s: device %u: %s", p->name, p->dev_num,
			     vmsg_host_strerror(ret));
			return ret;
		}
	}
	/* MRG_RXBUF, CSUM and MQ are not asked for: the card's virtio-net
	 * offers none of them today, and this PMD does not drive them yet. */
	ret = vmsg_host_dev_negotiate(p->dev, want, &p->features);
	if (ret) {
		VLOG(ERR, "%s: feature negotiation: %s", p->name, vmsg_host_strerror(ret));
		return ret;
	}
	refresh_mac(p);
	ret = queue_create(p, &p->rxq[0], RXQ_INDEX);
	if (!ret)
		ret = queue_create(p, &p->txq[0], TXQ_INDEX);
	if (!ret)
		ret = vmsg_host_dev_driver_ok(p->dev);
	if (ret) {
		VLOG(ERR, "%s: device start: %s", p->name, vmsg_host_strerror(ret));
		return ret;
	}
	if (net_vmsg_rx_fill(&p->rxq[0]) < 0) {
		VLOG(ERR, "%s: no mbufs for the receive ring", p->name);
		return -ENOMEM;
	}
	return 0;
}

static void device_stop(struct net_vmsg_priv *p)
{
	quiesce(p);
	if (p->dev && vmsg_host_dev_error(p->dev) == 0)
		vmsg_host_dev_reset(p->dev); /* the card lets go of every buffer */
	queues_teardown(p);
}

static void device_forget(struct net_vmsg_priv *p)
{
	if (p->dev) {
		vmsg_host_dev_close(p->dev);
		p->dev = NULL;
	}
}

/* The device came back (or the card re-attached): fresh handle, restart. */
static void try_restart(struct net_vmsg_priv *p)
{
	int ret;

	__atomic_store_n(&p->back, 0, __ATOMIC_SEQ_CST);
	quiesce(p);
	queues_teardown(p);
	device_forget(p);
	p->dev_num = __atomic_load_n(&p->back_dev, __ATOMIC_SEQ_CST);
	ret = device_start(p);
	if (ret) {
		p->restart_failures++;
		queues_teardown(p);
		device_forget(p);
		return;
	}
	p->restarts++;
	__atomic_store_n(&p->removed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->down, 0, __ATOMIC_SEQ_CST);
	VLOG(NOTICE, "%s: device %u back: port up", p->name, p->dev_num);
}

static void *ctl_thread(void *arg)
{
	struct net_vmsg_priv *p = arg;

	while (!__atomic_load_n(&p->stop_ctl, __ATOMIC_SEQ_CST)) {
		vmsg_host_bus_liveness(p->bus);
		vmsg_host_bus_wait(p->bus, CTL_TICK_MS);
		if (!__atomic_load_n(&p->back, __ATOMIC_SEQ_CST))
			continue;
		pthread_mutex_lock(&p->lock);
		if (p->started && !p->broken && vmsg_host_bus_state(p->bus) == VMSG_HOST_RUN)
			try_restart(p);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* ---- ethdev ops ---- */

static int vmsg_configure(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;

	if (dev->data->nb_rx_queues != dev->data->nb_tx_queues ||
	    dev->data->nb_rx_queues > p->queues) {
		VLOG(ERR, "%s: %u rx / %u tx queues asked; this device has %u pair(s)", p->name,
		     dev->data->nb_rx_queues, dev->data->nb_tx_queues, p->queues);
		return -EINVAL;
	}
	return 0;
}

static int vmsg_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct net_vmsg_priv *p = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = (uint32_t)p->mtu + RTE_ETHER_HDR_LEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = p->mtu;
	info->max_rx_queues = (uint16_t)p->queues;
	info->max_tx_queues = (uint16_t)p->queues;
	info->min_rx_bufsize = RTE_ETHER_MAX_LEN;
	info->rx_desc_lim.nb_max = VMSG_VRING_MAX_SIZE;
	info->rx_desc_lim.nb_min = 32;
	info->tx_desc_lim.nb_max = VMSG_VRING_MAX_SIZE;
	info->tx_desc_lim.nb_min = 32;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->default_rxportconf.ring_size = 256;
	info->default_txportconf.ring_size = 256;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	return 0;
}

static int vmsg_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			       unsigned int socket, const struct rte_eth_rxconf *conf,
			       struct rte_mempool *mp)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	struct net_vmsg_queue *q;

	(void)socket;
	(void)conf;
	if (qid >= NET_VMSG_MAX_QP)
		return -EINVAL;
	if (rte_pktmbuf_data_room_size(mp) < RTE_PKTMBUF_HEADROOM + RTE_ETHER_MAX_LEN ||
	    RTE_PKTMBUF_HEADROOM < NET_VMSG_HDR_SIZE) {
		VLOG(ERR, "%s: mbufs too small for a frame", p->name);
		return -EINVAL;
	}
	q = &p->rxq[qid];
	q->priv = p;
	q->mp = mp;
	q->port_id = dev->data->port_id;
	q->qid = qid;
	q->nb_desc = nb_desc;
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int vmsg_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			       unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	struct net_vmsg_queue *q;

	(void)socket;
	(void)conf;
	if (qid >= NET_VMSG_MAX_QP)
		return -EINVAL;
	q = &p->txq[qid];
	q->priv = p;
	q->port_id = dev->data->port_id;
	q->qid = qid;
	q->nb_desc = nb_desc;
	dev->data->tx_queues[qid] = q;
	return 0;
}

static void vmsg_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	(void)dev;
	(void)qid; /* queues live in the private data; rings go with dev_stop */
}

static int link_update_locked(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	struct rte_eth_link link = {0};
	uint8_t st[2] = {0, 0};

	link.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN;
	link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link.link_autoneg = RTE_ETH_LINK_FIXED;
	link.link_status = RTE_ETH_LINK_DOWN;
	if (p->started && !__atomic_load_n(&p->down, __ATOMIC_SEQ_CST)) {
		link.link_status = RTE_ETH_LINK_UP;
		if ((p->features & VMSG_HOST_BIT(NET_F_STATUS)) && p->dev &&
		    vmsg_host_dev_config_read(p->dev, NET_CFG_STATUS, st, 2, NULL) == 0 &&
		    !(st[0] & NET_S_LINK_UP))
			link.link_status = RTE_ETH_LINK_DOWN;
	}
	return rte_eth_linkstatus_set(dev, &link);
}

static int vmsg_link_update(struct rte_eth_dev *dev, int wait)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	int ret;

	(void)wait;
	pthread_mutex_lock(&p->lock);
	ret = link_update_locked(dev);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int start_locked(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	int ret;

	if (p->broken) {
		VLOG(ERR, "%s: the card broke the ring rules earlier; close and probe again",
		     p->name);
		return -EIO;
	}
	if (vmsg_host_bus_state(p->bus) != VMSG_HOST_RUN) {
		VLOG(ERR, "%s: not attached to the card (%s)", p->name,
		     vmsg_host_state_str(vmsg_host_bus_state(p->bus)));
		return -ENOTCONN;
	}
	quiesce(p);
	ret = device_start(p);
	if (ret) {
		queues_teardown(p);
		device_forget(p);
		return ret;
	}
	p->started = true;
	__atomic_store_n(&p->removed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->back, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->down, 0, __ATOMIC_SEQ_CST);
	dev->data->rx_queue_state[0] = RTE_ETH_QUEUE_STATE_STARTED;
	dev->data->tx_queue_state[0] = RTE_ETH_QUEUE_STATE_STARTED;
	link_update_locked(dev);
	return 0;
}

static int vmsg_start(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	int ret;

	pthread_mutex_lock(&p->lock);
	ret = start_locked(dev);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int vmsg_stop(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;

	pthread_mutex_lock(&p->lock);
	p->started = false;
	device_stop(p);
	dev->data->rx_queue_state[0] = RTE_ETH_QUEUE_STATE_STOPPED;
	dev->data->tx_queue_state[0] = RTE_ETH_QUEUE_STATE_STOPPED;
	link_update_locked(dev);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void priv_release(struct net_vmsg_priv *p)
{
	if (p->ctl_running) {
		__atomic_store_n(&p->stop_ctl, 1, __ATOMIC_SEQ_CST);
		pthread_join(p->ctl, NULL);
		p->ctl_running = false;
	}
	queues_teardown(p);
	device_forget(p);
	if (p->bus) {
		vmsg_host_bus_destroy(p->bus); /* detaches */
		p->bus = NULL;
	}
	net_vmsg_mem_unfollow(p);
	vmsg_link_destroy(p->link);
	p->link = NULL;
	net_vmsg_mem_teardown(p);
}

static int vmsg_close(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	if (p->started)
		vmsg_stop(dev);
	priv_release(p);
	return 0;
}

static int vmsg_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	unsigned int i;

	for (i = 0; i < NET_VMSG_MAX_QP; i++) {
		st->ipackets += p->rxq[i].packets;
		st->ibytes += p->rxq[i].bytes;
		st->ierrors += p->rxq[i].errors;
		st->opackets += p->txq[i].packets;
		st->obytes += p->txq[i].bytes;
		st->oerrors += p->txq[i].errors;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[i] = p->rxq[i].packets;
			st->q_ibytes[i] = p->rxq[i].bytes;
			st->q_errors[i] = p->rxq[i].errors;
			st->q_opackets[i] = p->txq[i].packets;
			st->q_obytes[i] = p->txq[i].bytes;
		}
	}
	for (i = 0; i < NET_VMSG_MAX_QP; i++)
		st->rx_nombuf += p->rxq[i].nombuf;
	return 0;
}

static void q_counters_reset(struct net_vmsg_queue *q)
{
	q->packets = q->bytes = q->errors = 0;
	q->bad_len = q->nombuf = q->hostile = q->kicks = q->kick_errors = q->too_many_segs = 0;
}

static int vmsg_stats_reset(struct rte_eth_dev *dev)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	unsigned int i;

	for (i = 0; i < NET_VMSG_MAX_QP; i++) {
		q_counters_reset(&p->rxq[i]);
		q_counters_reset(&p->txq[i]);
	}
	return 0;
}

static int vmsg_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
				 unsigned int size)
{
	unsigned int n = xstats_count(), i, k = 0, q;

	(void)dev;
	if (!names || size < n)
		return (int)n;
	for (q = 0; q < NET_VMSG_MAX_QP; q++) {
		for (i = 0; i < RTE_DIM(xs_rx); i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_%s", q,
				 xs_rx[i].name);
		for (i = 0; i < RTE_DIM(xs_tx); i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_%s", q,
				 xs_tx[i].name);
	}
	for (i = 0; i < RTE_DIM(xs_bus); i++)
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s", xs_bus[i].name);
	snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "link_downs");
	snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "device_removals");
	snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "device_restarts");
	snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "device_restart_failures");
	return (int)n;
}

static int vmsg_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int size)
{
	struct net_vmsg_priv *p = dev->data->dev_private;
	unsigned int n = xstats_count(), i, k = 0, q;
	struct vmsg_host_bus_stats bs;

	if (!xs || size < n)
		return (int)n;
	for (q = 0; q < NET_VMSG_MAX_QP; q++) {
		for (i = 0; i < RTE_DIM(xs_rx); i++, k++) {
			xs[k].id = k;
			xs[k].value = *(const uint64_t *)((const char *)&p->rxq[q] + xs_rx[i].off);
		}
		for (i = 0; i < RTE_DIM(xs_tx); i++, k++) {
			xs[k].id = k;
			xs[k].value = *(const uint64_t *)((const char *)&p->txq[q] + xs_tx[i].off);
		}
	}
	memset(&bs, 0, sizeof(bs));
	if (p->bus)
		vmsg_host_bus_get_stats(p->bus, &bs);
	for (i = 0; i < RTE_DIM(xs_bus); i++, k++) {
		xs[k].id = k;
		xs[k].value = *(const uint64_t *)((const char *)&bs + xs_bus[i].off);
	}
	xs[k].id = k;
	xs[k++].value = p->link_downs;
	xs[k].id = k;
	xs[k++].value = p->removals;
	xs[k].id = k;
	xs[k++].value = p->restarts;
	xs[k].id = k;
	xs[k++].value = p->restart_failures;
	return (int)n;
}

static int vmsg_promisc(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0; /* the card's device delivers every frame: always promiscuous */
}

static const struct eth_dev_ops vmsg_ops = {
    .dev_configure = vmsg_configure,
    .dev_start = vmsg_start,
    .dev_stop = vmsg_stop,
    .dev_close = vmsg_close,
    .dev_infos_get = vmsg_infos_get,
    .link_update = vmsg_link_update,
    .rx_queue_setup = vmsg_rx_queue_setup,
    .tx_queue_setup = vmsg_tx_queue_setup,
    .rx_queue_release = vmsg_queue_release,
    .tx_queue_release = vmsg_queue_release,
    .stats_get = vmsg_stats_get,
    .stats_reset = vmsg_stats_reset,
    .xstats_get = vmsg_xstats_get,
    .xstats_get_names = vmsg_xstats_get_names,
    .xstats_reset = vmsg_stats_reset,
    .promiscuous_enable = vmsg_promisc,
    .allmulticast_enable = vmsg_promisc,
};

/* ---- probe / remove ---- */

static int kv_str(const char *key, const char *value, void *out)
{
	char *dst = out;

	(void)key;
	if (!value || strlen(value) >= 256)
		return -EINVAL;
	strcpy(dst, value);
	return 0;
}

static int kv_u32(const char *key, const char *value, void *out)
{
	char *end;
	unsigned long v;

	(void)key;
	if (!value || !*value)
		return -EINVAL;
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*(uint32_t *)out = (uint32_t)v;
	return 0;
}

static int parse_args(struct net_vmsg_priv *p, const char *args)
{
	struct rte_kvargs *kv;
	int ret = 0;

	p->dev_num = UINT32_MAX;
	p->queues = 1;
	kv = rte_kvargs_parse(args ? args : "", valid_args);
	if (!kv) {
		VLOG(ERR,
		     "%s: bad arguments '%s' (want pci=ADDR or link=DIR,host-mem=FILE; "
		     "[,dev=N][,queues=Q])",
		     p->name, args ? args : "");
		return -EINVAL;
	}
	p->vfio = rte_kvargs_count(kv, "pci") > 0;
	if (p->vfio ? rte_kvargs_count(kv, "pci") != 1 || rte_kvargs_count(kv, "link") ||
			  rte_kvargs_count(kv, "host-mem")
		    : rte_kvargs_count(kv, "link") != 1 || rte_kvargs_count(kv, "host-mem") != 1) {
		VLOG(ERR,
		     "%s: want either pci=ADDR (a card bound to vfio-pci) or link=DIR and "
		     "host-mem=FILE (the emulated link), once each",
		     p->name);
		ret = -EINVAL;
		goto out;
	}
	if (rte_kvargs_process(kv, "link", kv_str, p->link_dir) < 0 ||
	    rte_kvargs_process(kv, "host-mem", kv_str, p->host_mem) < 0 ||
	    (p->vfio &&
	     (!rte_kvargs_get(kv, "pci") || strlen(rte_kvargs_get(kv, "pci")) >= sizeof(p->pci) ||
	      rte_kvargs_process(kv, "pci", kv_str, p->pci) < 0)) ||
	    rte_kvargs_process(kv, "dev", kv_u32, &p->dev_num) < 0 ||
	    rte_kvargs_process(kv, "queues", kv_u32, &p->queues) < 0) {
		VLOG(ERR, "%s: bad value in '%s'", p->name, args);
		ret = -EINVAL;
		goto out;
	}
	p->dev_pinned = p->dev_num != UINT32_MAX;
	if (p->queues == 0 || p->queues > NET_VMSG_MAX_QP) {
		VLOG(ERR, "%s: queues=%u: only 1 queue pair is driven (no VIRTIO_NET_F_MQ yet)",
		     p->name, p->queues);
		ret = -ENOTSUP;
	}
out:
	rte_kvargs_free(kv);
	return ret;
}

/* The vfio link on pci=ADDR, DPDK memory mapped for the card. */
static int link_vfio(struct net_vmsg_priv *p)
{
	struct vmsg_link_vfio_params vp = {0};
	int ret;

	vp.pci_addr = p->pci;
	vp.mem_base = p->mz->addr;
	vp.mem_iova = p->mz->iova;
	vp.mem_size = NET_VMSG_VFIO_MEM;
	/* the library says what is wrong (driver, IOMMU, permission, ids) on stderr */
	ret = vmsg_link_vfio_create(&vp, &p->link);
	if (ret) {
		VLOG(ERR, "%s: pci=%s: %s (the line above says why)%s", p->name, p->pci,
		     vmsg_host_strerror(ret),
		     ret == -EINVAL && rte_eal_iova_mode() != RTE_IOVA_PA
			 ? "; this card may read host memory by physical address: "
			   "--iova-mode=pa"
			 : "");
		return ret;
	}
	return net_vmsg_mem_map_vfio(p);
}

/* Attach through libvmsg_host and find the virtio-net device. */
static int attach(struct net_vmsg_priv *p)
{
	struct vmsg_link_sim_params lp = {0};
	struct vmsg_host_bus_opts bo = {0};
	vmsg_dev_num_t devs[VMSG_HOST_BUS_MAX_DEVICES];
	struct vmsg_host_dev *d;
	char sock[PATH_MAX];
	size_t n = 0, i;
	uint8_t cfg[12];
	int ret;

	if (p->vfio) {
		snprintf(sock, sizeof(sock), "pci %s", p->pci);
		ret = link_vfio(p);
		if (ret)
			return ret;
	} else {
		snprintf(sock, sizeof(sock), "%s/ivshmem.sock", p->link_dir);
		lp.sock_path = sock;
		lp.mem_base = p->link_mem;
		lp.mem_size = NET_VMSG_LINK_MEM;
		lp.mem_dma = net_vmsg_dma(p, p->link_mem);
		ret = vmsg_link_sim_create(&lp, &p->link);
		if (ret) {
			VLOG(ERR, "%s: link: %s", p->name, vmsg_host_strerror(ret));
			return ret;
		}
	}
	/* The card reaches [0, mem_size) of the file: nothing beyond it. */
	bo.event_cb = ev_cb;
	bo.event_arg = p;
	bo.auto_reattach = true;
	ret = vmsg_host_bus_create(p->link, &bo, &p->bus);
	if (!ret)
		ret = vmsg_host_bus_attach(p->bus);
	if (ret) {
		VLOG(ERR, "%s: attach to the card at %s: %s%s%s", p->name, sock,
		     vmsg_host_strerror(ret), ret == -ECONNREFUSED ? ": " : "",
		     ret == -ECONNREFUSED
			 ? vmsg_host_attach_error_str(vmsg_host_bus_attach_error(p->bus))
			 : "");
		return ret;
	}
	ret = vmsg_host_bus_get_devices(p->bus, devs, RTE_DIM(devs), &n);
	if (ret)
		return ret;
	for (i = 0; i < n && i < RTE_DIM(devs); i++) {
		if (p->dev_num != UINT32_MAX && devs[i] != p->dev_num)
			continue;
		ret = vmsg_host_dev_open(p->bus, devs[i], &d);
		if (ret)
			continue;
		if (vmsg_host_dev_info(d)->device_id == VIRTIO_ID_NET) {
			p->dev = d;
			p->dev_num = devs[i];
			break;
		}
		vmsg_host_dev_close(d);
		if (p->dev_num != UINT32_MAX)
			break;
	}
	if (!p->dev) {
		if (p->dev_num != UINT32_MAX)
			VLOG(ERR, "%s: the card has no virtio-net device %u", p->name, p->dev_num);
		else
			VLOG(ERR, "%s: the card has no virtio-net device", p->name);
		return -ENODEV;
	}
	/* Read the MAC and MTU once (negotiation is redone at every start). */
	ret = vmsg_host_dev_negotiate(p->dev,
				      VMSG_HOST_BIT(NET_F_MAC) | VMSG_HOST_BIT(NET_F_MTU) |
					  VMSG_HOST_BIT(NET_F_STATUS),
				      &p->features);
	if (ret) {
		VLOG(ERR, "%s: feature negotiation: %s", p->name, vmsg_host_strerror(ret));
		return ret;
	}
	p->mtu = RTE_ETHER_MTU;
	memset(cfg, 0, sizeof(cfg));
	if ((p->features & VMSG_HOST_BIT(NET_F_MAC)) &&
	    vmsg_host_dev_config_read(p->dev, NET_CFG_MAC, cfg, 6, NULL) == 0)
		memcpy(p->mac, cfg, 6);
	else
		rte_eth_random_addr(p->mac);
	if ((p->features & VMSG_HOST_BIT(NET_F_MTU)) &&
	    vmsg_host_dev_config_read(p->dev, NET_CFG_MTU, cfg, 2, NULL) == 0) {
		uint16_t mtu = (uint16_t)(cfg[0] | cfg[1] << 8);

		if (mtu >= RTE_ETHER_MIN_MTU && mtu <= 9000)
			p->mtu = mtu;
	}
	VLOG(NOTICE, "%s: attached to %s, virtio-net device %u, features %#" PRIx64, p->name,
	     p->vfio ? sock : p->link_dir, p->dev_num, p->features);
	return 0;
}

static int vmsg_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *eth;
	struct net_vmsg_priv *p;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		VLOG(ERR, "%s: secondary processes are not supported", name);
		return -ENOTSUP;
	}
	eth = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (!eth)
		return -ENOMEM;
	p = eth->data->dev_private;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->mem_fd = -1;
	p->port_id = eth->data->port_id;
	pthread_mutex_init(&p->lock, NULL);
	ret = parse_args(p, rte_vdev_device_args(vdev));
	if (!ret)
		ret = p->vfio ? net_vmsg_mem_setup_vfio(p) : net_vmsg_mem_setup(p);
	if (!ret)
		ret = attach(p);
	if (!ret) {
		ret = rte_ctrl_thread_create(&p->ctl, "vmsg-ctl", NULL, ctl_thread, p);
		if (ret)
			ret = -ret;
		else
			p->ctl_running = true;
	}
	if (ret) {
		priv_release(p);
		rte_eth_dev_release_port(eth);
		return ret;
	}
	eth->data->mac_addrs = rte_zmalloc("net_vmsg_mac", RTE_ETHER_ADDR_LEN, 0);
	if (!eth->data->mac_addrs) {
		priv_release(p);
		rte_eth_dev_release_port(eth);
		return -ENOMEM;
	}
	memcpy(eth->data->mac_addrs->addr_bytes, p->mac, RTE_ETHER_ADDR_LEN);
	eth->data->mtu = p->mtu;
	eth->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	eth->dev_ops = &vmsg_ops;
	eth->rx_pkt_burst = net_vmsg_rx_burst;
	eth->tx_pkt_burst = net_vmsg_tx_burst;
	rte_eth_dev_probing_finish(eth);
	return 0;
}

static int vmsg_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (!eth)
		return 0;
	vmsg_close(eth);
	return rte_eth_dev_release_port(eth);
}

static struct rte_vdev_driver net_vmsg_drv = {
    .probe = vmsg_probe,
    .remove = vmsg_remove,
};

RTE_PMD_REGISTER_VDEV(net_vmsg, net_vmsg_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_vmsg, "pci=<addr> link=<dir> host-mem=<file> dev=<n> queues=1");
