// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * net_vmsg_rxtx.c - the burst path: split rings polled in place.
 *
 * No system call, no lock and no allocation of our own here: used entries
 * are read with fw_shared's driver ring (vmsg_vq_drv_get_used(), which
 * checks every index, id and length the card wrote), receive buffers are
 * refilled in bulk from the mempool, sent mbufs freed in bulk. Frames stay
 * in their mbufs: the card reads and writes them there (zero copy), the
 * virtio-net header (12 bytes) sits in the mbuf headroom.
 *
 * The one exception is the kick: the card's virtio-net device is driven by
 * EVENT_AVAIL, so when the ring asks for a notification (event index or
 * NO_NOTIFY clear) vmsg_host_vq_kick() sends one through the bus (its lock,
 * a doorbell write to the card's eventfd). A card that polls its avail rings
 * does not ask: the soft card with --poll serves them from its loop.
 *
 * Quiescence: each burst announces itself in q->in_burst and then checks
 * priv->down; the control path sets down, fences, and waits for in_burst to
 * clear before it touches the rings (device removed, card dead, restart).
 */
#include "net_vmsg.h"

#define RX_REFILL_MIN 32u /* refill once this many descriptors are free */
#define BULK	      64u

static inline bool burst_enter(struct net_vmsg_queue *q)
{
	q->in_burst = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* acquire: the rings and cookies set up before down was cleared */
	if (__atomic_load_n(&q->priv->down, __ATOMIC_ACQUIRE) || !q->ring) {
		__atomic_store_n(&q->in_burst, 0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

static inline void burst_exit(struct net_vmsg_queue *q)
{
	__atomic_store_n(&q->in_burst, 0, __ATOMIC_RELEASE);
}

/* The card broke the ring rules: stop using this port's rings. */
static void queue_hostile(struct net_vmsg_queue *q, uint16_t id)
{
	q->hostile++;
	q->errors++;
	if (id != VMSG_VQ_NO_ID && id < q->cookies_cap && q->cookies[id]) {
		rte_pktmbuf_free(q->cookies[id]);
		q->cookies[id] = NULL;
	}
	__atomic_store_n(&q->priv->broken, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&q->priv->down, 1, __ATOMIC_RELEASE);
}

static inline void kick(struct net_vmsg_queue *q)
{
	int rc = vmsg_host_vq_kick(q->vq);

	if (rc > 0)
		q->kicks++;
	else if (rc < 0)
		q->kick_errors++;
}

/* Post receive buffers in bulk. 1 if any were posted. */
static int rx_refill(struct net_vmsg_queue *q)
{
	struct vmsg_vq_drv *r = q->ring;
	struct rte_mbuf *m[BULK];
	struct vmsg_vq_buf b;
	uint32_t want, i;
	int posted = 0, head;

	while ((want = vmsg_vq_drv_num_free(r)) > 0) {
		if (want > BULK)
			want = BULK;
		if (rte_pktmbuf_alloc_bulk(q->mp, m, want) != 0) {
			q->nombuf++;
			break;
		}
		for (i = 0; i < want; i++) {
			/* header in the headroom, frame at the usual data offset */
			b.addr = net_vmsg_mbuf_dma(q->priv, m[i],
						   RTE_PKTMBUF_HEADROOM - NET_VMSG_HDR_SIZE);
			b.len = (uint32_t)m[i]->buf_len - RTE_PKTMBUF_HEADROOM + NET_VMSG_HDR_SIZE;
			head = vmsg_vq_drv_add(r, NULL, 0, &b, 1);
			if (head < 0)
				break;
			q->cookies[head] = m[i];
			posted = 1;
		}
		if (i < want) {
			rte_pktmbuf_free_bulk(&m[i], want - i);
			break;
		}
	}
	return posted;
}

int net_vmsg_rx_fill(struct net_vmsg_queue *q)
{
	int posted = rx_refill(q);

	if (posted)
		kick(q);
	return vmsg_vq_drv_num_free(q->ring) == q->cookies_cap ? -ENOMEM : 0;
}

uint16_t net_vmsg_rx_burst(void *arg, struct rte_mbuf **pkts, uint16_t nb)
{
	struct net_vmsg_queue *q = arg;
	struct vmsg_vq_drv *r;
	struct rte_mbuf *m;
	uint64_t bytes = 0;
	uint16_t n = 0, id;
	uint32_t len, plen;
	int rc;

	if (!burst_enter(q))
		return 0;
	r = q->ring;
	while (n < nb) {
		rc = vmsg_vq_drv_get_used(r, &id, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			queue_hostile(q, id);
			burst_exit(q);
			return n;
		}
		m = q->cookies[id];
		q->cookies[id] = NULL;
		if (len < NET_VMSG_HDR_SIZE + NET_VMSG_MIN_FRAME) {
			q->bad_len++;
			q->errors++;
			rte_pktmbuf_free(m);
			continue;
		}
		plen = len - NET_VMSG_HDR_SIZE;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->nb_segs = 1;
		m->next = NULL;
		m->pkt_len = plen;
		m->data_len = (uint16_t)plen;
		m->port = q->port_id;
		m->ol_flags = 0;
		m->packet_type = 0;
		pkts[n++] = m;
		bytes += plen;
	}
	q->packets += n;
	q->bytes += bytes;
	if (vmsg_vq_drv_num_free(r) >= RX_REFILL_MIN || r->in_flight == 0) {
		if (rx_refill(q))
			kick(q);
	}
	burst_exit(q);
	return n;
}

/* Free what the card has finished sending, in bulk. false: hostile ring. */
static bool tx_reclaim(struct net_vmsg_queue *q)
{
	struct rte_mbuf *done[BULK];
	uint32_t k = 0, len;
	uint16_t id;
	int rc;

	for (;;) {
		rc = vmsg_vq_drv_get_used(q->ring, &id, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (k)
				rte_pktmbuf_free_bulk(done, k);
			queue_hostile(q, id);
			return false;
		}
		done[k++] = q->cookies[id];
		q->cookies[id] = NULL;
		if (k == BULK) {
			rte_pktmbuf_free_bulk(done, k);
			k = 0;
		}
	}
	if (k)
		rte_pktmbuf_free_bulk(done, k);
	return true;
}

uint16_t net_vmsg_tx_burst(void *arg, struct rte_mbuf **pkts, uint16_t nb)
{
	struct net_vmsg_queue *q = arg;
	struct vmsg_vq_buf b[NET_VMSG_MAX_SEGS];
	struct vmsg_vq_drv *r;
	struct rte_mbuf *m, *s;
	uint64_t bytes = 0;
	uint16_t i, sent = 0;
	uint32_t j, nsegs;
	char *hdr;
	int head;

	if (!burst_enter(q))
		return 0;
	r = q->ring;
	if (!tx_reclaim(q)) {
		burst_exit(q);
		return 0;
	}
	for (i = 0; i < nb; i++) {
		m = pkts[i];
		nsegs = m->nb_segs;
		if (nsegs > NET_VMSG_MAX_SEGS || !RTE_MBUF_DIRECT(m) ||
		    rte_mbuf_refcnt_read(m) != 1 || rte_pktmbuf_headroom(m) < NET_VMSG_HDR_SIZE) {
			/* not sendable in place: dropped, counted */
			q->too_many_segs++;
			q->errors++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (vmsg_vq_drv_num_free(r) < nsegs)
			break;
		hdr = rte_pktmbuf_prepend(m, NET_VMSG_HDR_SIZE);
		memset(hdr, 0, NET_VMSG_HDR_SIZE); /* no offloads negotiated */
		for (j = 0, s = m; j < nsegs && s; j++, s = s->next) {
			b[j].addr = net_vmsg_mbuf_dma(q->priv, s, s->data_off);
			b[j].len = s->data_len;
		}
		head = vmsg_vq_drv_add(r, b, j, NULL, 0);
		if (head < 0) {
			rte_pktmbuf_adj(m, NET_VMSG_HDR_SIZE);
			break;
		}
		q->cookies[head] = m;
		bytes += m->pkt_len - NET_VMSG_HDR_SIZE;
		sent++;
	}
	q->packets += sent;
	q->bytes += bytes;
	if (sent)
		kick(q);
	burst_exit(q);
	return i;
}

void net_vmsg_queue_drop_all(struct net_vmsg_queue *q)
{
	uint32_t i;

	for (i = 0; q->cookies && i < q->cookies_cap; i++) {
		if (q->cookies[i]) {
			rte_pktmbuf_free(q->cookies[i]);
			q->cookies[i] = NULL;
		}
	}
}
