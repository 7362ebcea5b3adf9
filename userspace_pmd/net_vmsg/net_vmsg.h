/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * net_vmsg.h - internals of the DPDK poll-mode driver net_vmsg (a virtio-net
 * device behind a virtio-msg PCIe card, reached through libvmsg_host).
 */
#ifndef NET_VMSG_H
#define NET_VMSG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"
#include "vmsg_virtq.h"

#define NET_VMSG_HDR_SIZE  12u /* struct virtio_net_hdr_v1 (VERSION_1) */
#define NET_VMSG_MIN_FRAME 14u
#define NET_VMSG_MAX_SEGS  16u	      /* tx segments per frame (+ none for the header) */
#define NET_VMSG_LINK_MEM  (4u << 20) /* host area + rings, carved from DPDK memory */
#define NET_VMSG_MAX_QP	   1u	      /* queue pairs driven (the card offers no MQ yet) */
#define NET_VMSG_VFIO_MEM  (1u << 20) /* pci=: host area + rings, an IOVA-contiguous memzone */

extern int net_vmsg_logtype;
#define VLOG(level, fmt, ...)                                                                      \
	rte_log(RTE_LOG_##level, net_vmsg_logtype, "net_vmsg: " fmt "\n", ##__VA_ARGS__)

struct net_vmsg_priv;

/* One direction of one queue pair. Touched by one lcore (its burst) and by
 * the control path only while the port is stopped or the queue quiescent. */
struct net_vmsg_queue {
	struct net_vmsg_priv *priv;
	struct rte_mempool *mp; /* rx */
	uint16_t port_id, qid, nb_desc;
	struct vmsg_host_vq *vq;    /* library handle (created in dev_start) */
	struct vmsg_vq_drv *ring;   /* its split ring, driven here without a lock */
	struct rte_mbuf **cookies;  /* by head id: the mbuf in flight */
	uint32_t cookies_cap;	    /* entries in cookies */
	volatile uint32_t in_burst; /* quiescence handshake with the control path */
	/* counters (this lcore only) */
	uint64_t packets, bytes, errors;
	uint64_t bad_len;     /* rx: used length shorter than a header + frame */
	uint64_t nombuf;      /* rx: refill could not allocate */
	uint64_t hostile;     /* used entries the fw_shared ring refused */
	uint64_t kicks;	      /* EVENT_AVAIL sent */
	uint64_t kick_errors; /* EVENT_AVAIL that failed */
	uint64_t too_many_segs;
};

struct net_vmsg_priv {
	char name[64];
	char link_dir[256];
	char host_mem[256];
	char pci[32]; /* pci=ADDR: the vfio link (else the emulated link) */
	bool vfio;    /* DMA address = the mbuf's IOVA, mapped in the link's container */
	bool mem_cb;  /* memory event callback registered */
	const struct rte_memzone *mz; /* pci=: the library's host memory */
	uint32_t dev_num;
	bool dev_pinned;	    /* dev=N given: follow only that number */
	volatile uint32_t back_dev; /* the device that became READY */
	uint32_t queues;
	uint16_t port_id;
	/* memory: the DPDK memfd the card maps (DMA address = file offset) */
	int mem_fd;
	uint64_t mem_size;
	uintptr_t mem_delta; /* va - dma for every DPDK segment */
	void *link_mem;	     /* rte_malloc'd region the library allocates in */
	bool published;	     /* host_mem is our symlink */
	/* library */
	struct vmsg_link *link;
	struct vmsg_host_bus *bus;
	struct vmsg_host_dev *dev;
	uint64_t features;
	uint8_t mac[6];
	uint16_t mtu;
	/* state shared with the control thread */
	volatile uint32_t down; /* nonzero: data path must not touch the rings */
	volatile uint32_t removed, back, broken;
	volatile uint32_t stop_ctl;
	/* serialises the ethdev ops (start, stop, link) with the control thread's
	 * restart; never taken in the burst path */
	pthread_mutex_t lock;
	bool started, ctl_running;
	pthread_t ctl;
	uint64_t link_downs, removals, restarts, restart_failures;
	struct net_vmsg_queue rxq[NET_VMSG_MAX_QP], txq[NET_VMSG_MAX_QP];
};

/* Translate a DPDK virtual address to the card's DMA address (sim link:
 * the offset in the memfd the card maps). */
static inline uint64_t net_vmsg_dma(const struct net_vmsg_priv *p, const void *va)
{
	return (uint64_t)((uintptr_t)va - p->mem_delta);
}

/* The card's DMA address of byte off of m's buffer: its IOVA on the vfio
 * link (DPDK memory is mapped there at its IOVA), the memfd offset on the
 * emulated link. */
static inline uint64_t net_vmsg_mbuf_dma(const struct net_vmsg_priv *p, const struct rte_mbuf *m,
					 uint32_t off)
{
	if (p->vfio)
		return m->buf_iova + off;
	return net_vmsg_dma(p, (const char *)m->buf_addr + off);
}

/* net_vmsg_mem.c: find DPDK's memfd, publish it for the card (emulated
 * link); or, on the vfio link, the memzone the library allocates in and
 * every DPDK memory segment DMA-mapped through the link's container */
int net_vmsg_mem_setup(struct net_vmsg_priv *p);
int net_vmsg_mem_setup_vfio(struct net_vmsg_priv *p);
int net_vmsg_mem_map_vfio(struct net_vmsg_priv *p);
void net_vmsg_mem_unfollow(struct net_vmsg_priv *p); /* before the link goes */
void net_vmsg_mem_teardown(struct net_vmsg_priv *p);

/* net_vmsg_rxtx.c */
uint16_t net_vmsg_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t nb);
uint16_t net_vmsg_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t nb);
int net_vmsg_rx_fill(struct net_vmsg_queue *q);
void net_vmsg_queue_drop_all(struct net_vmsg_queue *q);

#endif /* NET_VMSG_H */
