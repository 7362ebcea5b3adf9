/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_inject.c - test hooks for `vmsg-card-test --hostile`
 * (vmsg_card_test.h): hostile c2h traffic through the engine's own producer
 * view. TEST ONLY: built into the library vmsg_core_test, never into
 * vmsg_core or the shipped vmsg-card. Slots are addressed with fw_shared's
 * vmsg_ring_slot(), the ring code's own.
 *
 * Every hook runs between two vmsg_card_poll() calls, so the engine is not in the middle of a
 * message; a hook injects only while the engine's pending queue is empty (the injected slot cannot
 * overtake an engine message, and the engine's messages stay in order) and
 * only into free slots (the host's consumer index as the ring checks it).
 */
#include "core_priv.h"
#include "vmsg_card_test.h"

#define SLOT_HDR ((uint32_t)sizeof(struct vmsg_slot_hdr))

static uint32_t line_rd(const volatile struct vmsg_ring_idx *l)
{
	return vmsg_le32_to_cpu(VMSG_READ_ONCE32(&l->idx));
}

static void line_wr(volatile struct vmsg_ring_idx *l, uint32_t v)
{
	VMSG_WRITE_ONCE32(&l->idx, vmsg_cpu_to_le32(v));
}

static int inject_ready(struct vmsg_card *c, uint32_t min_free)
{
	if (!c || !card_attached(c) || c->in_poll)
		return VMSG_CARD_TEST_REFUSED;
	if (c->pend.count)
		return VMSG_CARD_TEST_BUSY;
	if (vmsg_ring_space(&c->s.c2h) < (min_free ? min_free : 1u))
		return VMSG_CARD_TEST_BUSY;
	return 0;
}

/* As the engine does after its own messages: interrupt if the host wants one. */
static void inject_notify(struct vmsg_card *c)
{
	c->irq_due = true;
	card_irq_flush(c);
}

int vmsg_card_test_c2h_info(struct vmsg_card *c, struct vmsg_card_test_c2h_info *info)
{
	struct vmsg_ring *r;

	if (!c || !info || !card_attached(c))
		return VMSG_CARD_TEST_REFUSED;
	r = &c->s.c2h;
	info->slot_size = r->slot_size;
	info->slot_count = r->slot_count;
	info->free = vmsg_ring_space(r);
	info->max_msg_size = c->cfg.max_msg_size;
	info->prod = r->local;
	info->cons = r->cached;
	return 0;
}

int vmsg_card_test_c2h_inject(struct vmsg_card *c, const void *msg, size_t len, uint32_t epoch,
			      uint32_t min_free)
{
	int ret;

	if (!c || !card_attached(c) || !msg || len == 0 || len > c->s.c2h.slot_size - SLOT_HDR)
		return VMSG_CARD_TEST_REFUSED;
	ret = inject_ready(c, min_free);
	if (ret)
		return ret;
	ret = vmsg_ring_produce(&c->s.c2h, msg, (uint32_t)len, epoch);
	if (ret == -VMSG_RING_EAGAIN)
		return VMSG_CARD_TEST_BUSY;
	if (ret)
		return VMSG_CARD_TEST_REFUSED;
	inject_notify(c);
	return 0;
}

int vmsg_card_test_c2h_inject_raw(struct vmsg_card *c, uint16_t len_field, uint16_t flags,
				  uint32_t epoch, const void *payload, size_t n, uint32_t min_free)
{
	const uint8_t *src = payload;
	volatile uint8_t *slot;
	struct vmsg_ring *r;
	uint64_t frame;
	size_t i;
	int ret;

	if (n && !payload)
		return VMSG_CARD_TEST_REFUSED;
	ret = inject_ready(c, min_free);
	if (ret)
		return ret;
	r = &c->s.c2h;
	if (n > r->slot_size - SLOT_HDR)
		n = r->slot_size - SLOT_HDR;
	/* the same framing word vmsg_ring_produce() writes, fields as given */
	slot = vmsg_ring_slot(r, r->local);
	frame = (uint64_t)len_field | (uint64_t)flags << 16 | (uint64_t)epoch << 32;
	*(volatile uint64_t *)slot = vmsg_cpu_to_le64(frame);
	for (i = 0; i < n; i++)
		slot[SLOT_HDR + i] = src[i];
	vmsg_wmb();
	r->local++;
	line_wr(r->prod, r->local);
	inject_notify(c);
	return 0;
}

int vmsg_card_test_c2h_jump(struct vmsg_card *c, uint32_t delta, uint32_t *from, uint32_t *to)
{
	struct vmsg_ring *r;
	uint32_t cons, next;

	if (!c || !card_attached(c) || c->in_poll)
		return VMSG_CARD_TEST_REFUSED;
	r = &c->s.c2h;
	if (delta <= r->slot_count)
		return VMSG_CARD_TEST_REFUSED; /* a possible index is no attack */
	if (c->pend.count)
		return VMSG_CARD_TEST_BUSY;
	/* Every slot consumed: the host's resynchronisation drops nothing. */
	cons = line_rd(r->cons);
	vmsg_mb();
	if (cons != r->local)
		return VMSG_CARD_TEST_BUSY;
	next = r->local + delta;
	if (from)
		*from = r->local;
	if (to)
		*to = next;
	/*
	 * Continue from the new index, "full" until the host's consumer index
	 * says it resynchronised: only a host that read `next` can publish an
	 * index within slot_count of it, so the engine's next slot cannot be
	 * written before the host stopped looking at the old ones.
	 */
	r->local = next;
	r->cached = next - r->slot_count;
	vmsg_wmb();
	line_wr(r->prod, next);
	inject_notify(c);
	return 0;
}

unsigned int vmsg_card_test_h2c_requests(struct vmsg_card *c, struct vmsg_card_test_req *out,
					 unsigned int max)
{
	uint32_t prod, pend, i;
	struct vmsg_ring *r;
	unsigned int n = 0;

	if (!c || !out || !card_attached(c))
		return 0;
	r = &c->s.h2c;
	prod = line_rd(r->prod);
	vmsg_rmb();
	pend = prod - r->local;
	if (pend > r->slot_count)
		pend = 0; /* impossible index: only what we consumed */
	for (i = 0; i < r->slot_count && n < max; i++) {
		const volatile uint8_t *slot = vmsg_ring_slot(r, r->local + pend - 1u - i);
		uint8_t h[SLOT_HDR + VIRTIO_MSG_HEADER_SIZE];
		uint32_t len, epoch, k;

		for (k = 0; k < sizeof(h); k++)
			h[k] = slot[k];
		len = (uint32_t)h[0] | (uint32_t)h[1] << 8;
		epoch = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
			(uint32_t)h[7] << 24;
		if (len < VIRTIO_MSG_HEADER_SIZE || len > r->slot_size - SLOT_HDR ||
		    epoch != c->epoch)
			continue;
		if ((h[8] & VIRTIO_MSG_TYPE_RESPONSE) || (h[9] & VIRTIO_MSG_ID_EVENT_BIT))
			continue; /* only requests carry a token the host waits on */
		out[n].type = h[8];
		out[n].msg_id = h[9];
		out[n].dev_num = (vmsg_dev_num_t)(h[10] | h[11] << 8);
		out[n].token = (uint16_t)(h[12] | h[13] << 8);
		out[n].pending = i < pend;
		n++;
	}
	return n;
}

size_t vmsg_card_test_c2h_recent(struct vmsg_card *c, uint32_t k, void *buf, size_t cap,
				 uint32_t *epoch)
{
	const volatile uint8_t *slot;
	uint8_t *dst = buf;
	struct vmsg_ring *r;
	uint64_t frame;
	uint32_t len, i;

	if (!c || !card_attached(c) || (cap && !buf))
		return 0;
	r = &c->s.c2h;
	if (k >= r->slot_count)
		return 0;
	slot = vmsg_ring_slot(r, r->local - 1u - k);
	frame = vmsg_le64_to_cpu(*(const volatile uint64_t *)slot);
	len = (uint32_t)(frame & 0xffffu);
	if (epoch)
		*epoch = (uint32_t)(frame >> 32);
	for (i = 0; i < len && i < cap && i < r->slot_size - SLOT_HDR; i++)
		dst[i] = slot[SLOT_HDR + i];
	return len;
}
