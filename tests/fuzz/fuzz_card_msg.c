/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fuzz_card_msg.c - libFuzzer target for the card's message handler: the
 * core engine (ep_function/core) with real backends (net loopback, rng)
 * behind it, fed everything a host can put in front of it.
 *
 * Per input: a fresh engine on a fake platform (BAR0 and host memory in
 * static buffers, a clock), a host that attaches per the binding, then a
 * program read from the input, one op per byte:
 *   0 raw message into the h2c ring (current epoch)
 *   1 raw message, epoch from the input
 *   2 a well-shaped request (fw_shared builders) with fuzzed fields: gets
 *     past the validator into the device state machines and virtqueues
 *   3 vmsg_card_poll()
 *   4 bytes into host memory outside the host area (descriptor tables,
 *     avail rings, buffers the queues point at)
 *   5 a 32-bit write anywhere in BAR0 (registers, doorbells, ring indices)
 *   6 the host drains the c2h ring
 *   7 time passes
 * Oracles besides ASan/UBSan and libFuzzer's hang timeout: every c2h
 * message the card produces is a valid device-to-driver message with the
 * current epoch, until the input itself scribbled over BAR0 (after that the
 * host's own ring view is not trustworthy, only the sanitizers judge).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg_bytes.h"
#include "vmsg_card.h"
#include "vmsg_dev.h"
#include "vmsg_devices.h"
#include "vmsg_ring.h"
#include "virtio_msg_build.h"
#include "virtio_msg_validate.h"

#define BAR0_SIZE  0x10000u
#define HOST_BASE  0x10000000ull
#define HOST_SIZE  0x40000u /* 256 KiB */
#define AREA_SIZE  0x10000u /* host area: c2h ring at its start */
#define VQ_BASE	   (HOST_BASE + AREA_SIZE)
#define VQ_SIZE	   (HOST_SIZE - AREA_SIZE)
#define MAX_OPS	   512u
#define NUM_VEC	   4u
#define MSG_BUF	   512u
#define RING_SLOTS 16u /* small rings: full rings happen */

static uint8_t bar0[BAR0_SIZE] __attribute__((aligned(4096)));
static uint8_t host[HOST_SIZE] __attribute__((aligned(4096)));
static uint64_t now;
static bool trace; /* FUZZ_TRACE set: what the card sends, on stderr */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take1(struct in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t take2(struct in *in)
{
	uint16_t lo = take1(in);

	return (uint16_t)(lo | take1(in) << 8);
}

static uint32_t take4(struct in *in)
{
	uint32_t lo = take2(in);

	return lo | (uint32_t)take2(in) << 16;
}

static uint64_t take8(struct in *in)
{
	uint64_t lo = take4(in);

	return lo | (uint64_t)take4(in) << 32;
}

/* ---- the platform ---- */

static bool host_range(uint64_t addr, size_t len)
{
	return addr >= HOST_BASE && len <= HOST_SIZE && addr - HOST_BASE <= HOST_SIZE - len;
}

static int p_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	(void)ctx;
	if (!host_range(addr, len))
		return -1;
	memcpy(dst, host + (addr - HOST_BASE), len);
	return 0;
}

/* The input may place a virtqueue over the host area (the c2h ring): the
 * card then writes there as told, and the ring is no longer an oracle. */
static bool area_written;

static int p_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	(void)ctx;
	if (!host_range(addr, len))
		return -1;
	if (addr < HOST_BASE + AREA_SIZE)
		area_written = true;
	memcpy(host + (addr - HOST_BASE), src, len);
	return 0;
}

static volatile void *p_map(void *ctx, uint64_t addr, size_t len)
{
	(void)ctx;
	return host_range(addr, len) ? host + (addr - HOST_BASE) : NULL;
}

static int p_irq(void *ctx, uint32_t vec)
{
	(void)ctx;
	return vec < NUM_VEC ? 0 : -1;
}

static uint64_t p_now(void *ctx)
{
	(void)ctx;
	return now += 1000;
}

static void *p_zalloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void p_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static const struct vmsg_card_platform plat = {
    .bar0 = bar0,
    .bar0_size = BAR0_SIZE,
    .host_read = p_read,
    .host_write = p_write,
    .host_map = p_map,
    .raise_irq = p_irq,
    .now_ns = p_now,
    .zalloc = p_zalloc,
    .free = p_free,
};

static uint32_t bar_rd(size_t off)
{
	return vmsg_get_le32(bar0 + off);
}

static void bar_wr(size_t off, uint32_t v)
{
	vmsg_put_le32(bar0 + off, v);
}

#define REG(f) offsetof(struct vmsg_pcie_regs, f)

/* ---- the host ---- */

struct host {
	struct vmsg_card *card;
	struct vmsg_ring h2c, c2h;
	uint32_t epoch, max_msg;
	bool attached;
	bool scribbled; /* BAR0 written by the input: no more oracle */
};

static bool attach(struct host *h, uint32_t irq_mode)
{
	uint8_t *area = host;

	bar_wr(REG(host_version), VMSG_PCIE_VERSION);
	bar_wr(REG(host_features), VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_ERROR_MSG |
				       (irq_mode == VMSG_IRQ_MSIX ? VMSG_PCIE_F_MSIX : 0u));
	bar_wr(REG(host_area_addr), (uint32_t)HOST_BASE);
	bar_wr(REG(host_area_addr) + 4, (uint32_t)(HOST_BASE >> 32));
	bar_wr(REG(host_area_size), AREA_SIZE);
	bar_wr(REG(irq_mode), irq_mode);
	bar_wr(REG(vec_c2h), 0);
	bar_wr(REG(host_epoch), bar_rd(REG(epoch)));
	bar_wr(REG(host_ctrl), VMSG_HOST_CTRL_ATTACH);
	bar_wr(REG(doorbell[VMSG_DB_CTRL]), bar_rd(REG(doorbell[VMSG_DB_CTRL])) + 1);
	vmsg_card_poll(h->card);
	if (bar_rd(REG(attach_error)) != VMSG_ATTACH_OK || bar_rd(REG(link_state)) != VMSG_LINK_RUN)
		abort(); /* a clean attach must work */
	h->epoch = bar_rd(REG(epoch));
	h->max_msg = bar_rd(REG(max_msg_size));
	if (vmsg_ring_attach_producer(
		&h->h2c, bar0 + bar_rd(REG(h2c_ring_offset)), bar_rd(REG(h2c_ring_size)),
		(volatile struct vmsg_ring_idx *)(area + VMSG_HOST_AREA_H2C_CONS_OFFSET)) ||
	    vmsg_ring_attach_consumer(
		&h->c2h, area + VMSG_HOST_AREA_C2H_RING_OFFSET,
		AREA_SIZE - VMSG_HOST_AREA_C2H_RING_OFFSET,
		(volatile struct vmsg_ring_idx *)(bar0 + bar_rd(REG(c2h_cons_offset)))))
		abort();
	h->attached = true;
	return true;
}

static void drain(struct host *h)
{
	struct vmsg_validate_opts o = {.max_msg_size = (uint16_t)h->max_msg};
	uint8_t buf[VMSG_RING_MAX_SLOT_SIZE];
	unsigned int i;

	for (i = 0; i < 4u * RING_SLOTS; i++) {
		uint32_t epoch = 0;
		int n = vmsg_ring_consume(&h->c2h, buf, sizeof(buf), &epoch);

		if (n == 0)
			return;
		if (trace)
			fprintf(stderr, "c2h: type %#x id %#x dev %u len %d payload %08x %08x\n",
				buf[0], buf[1], vmsg_get_le16(buf + 2), n,
				n >= 12 ? vmsg_get_le32(buf + 8) : 0u,
				n >= 16 ? vmsg_get_le32(buf + 12) : 0u);
		if (h->scribbled || area_written)
			continue;
		/* the card's producer is honest: no bad slot, only its epoch,
		 * only what a driver accepts */
		if (n < 0 || epoch != h->epoch ||
		    vmsg_validate(buf, (size_t)n, VMSG_DIR_DEVICE_TO_DRIVER, &o, NULL) != VMSG_OK)
			abort();
	}
}

static void put(struct host *h, const uint8_t *m, size_t len, uint32_t epoch)
{
	if (!len)
		return;
	if (vmsg_ring_space(&h->h2c) == 0) {
		vmsg_card_poll(h->card);
		drain(h);
	}
	if (vmsg_ring_produce(&h->h2c, m, (uint32_t)len, epoch) == 0)
		bar_wr(REG(doorbell[VMSG_DB_H2C]), h->h2c.local);
}

/* An address inside the queue memory, aligned as rings want. */
static uint64_t vq_addr(struct in *in)
{
	uint32_t off = take2(in);

	if (off == 0xffff)
		return take8(in); /* anywhere at all */
	return VQ_BASE + ((uint64_t)off * 16u) % VQ_SIZE;
}

/*
 * A well-shaped request: [dev][token:2][kind] then the kind's fields, each
 * read in order (never two reads in one argument list: C leaves their order
 * open).
 */
static size_t build(struct host *h, struct in *in, uint8_t *m)
{
	vmsg_dev_num_t dev = take1(in) % 4u; /* 0, the two devices, one absent */
	uint16_t tok = take2(in);
	size_t cap = h->max_msg;
	uint32_t a, b, c;

	switch (take1(in) % 14u) {
	case 0:
		return vmsg_build_get_device_info_req(m, cap, dev, tok);
	case 1:
		a = take1(in) % 4u;
		b = 1u + take1(in) % 4u;
		return vmsg_build_get_device_features_req(m, cap, dev, tok, a, b);
	case 2: {
		uint32_t f[4];

		for (a = 0; a < 4; a++)
			f[a] = take4(in);
		f[1] |= 3u; /* VERSION_1, ACCESS_PLATFORM: mostly accepted */
		a = take1(in) % 3u;
		b = 1u + take1(in) % 3u;
		return vmsg_build_set_driver_features_req(m, cap, dev, tok, a, f, b);
	}
	case 3:
		a = take1(in);
		b = take1(in);
		return vmsg_build_get_config_req(m, cap, dev, tok, a, b);
	case 4: {
		uint8_t d[32];

		a = take1(in);
		b = take1(in) % sizeof(d);
		for (c = 0; c < b; c++)
			d[c] = take1(in);
		c = take4(in);
		return vmsg_build_set_config_req(m, cap, dev, tok, c, a, d, b);
	}
	case 5:
		return vmsg_build_get_device_status_req(m, cap, dev, tok);
	case 6:
		/* mostly the usual bits, sometimes anything */
		a = take1(in);
		b = a < 200 ? take1(in) & 0x0fu : take4(in);
		return vmsg_build_set_device_status_req(m, cap, dev, tok, b);
	case 7:
		return vmsg_build_get_vqueue_req(m, cap, dev, tok, take1(in) % 3u);
	case 8: {
		struct vmsg_vqueue_info vi = {0};

		vi.index = take1(in) % 3u;
		vi.size = 1u << (take1(in) % 10u);
		vi.desc_addr = vq_addr(in);
		vi.driver_addr = vq_addr(in);
		vi.device_addr = vq_addr(in);
		return vmsg_build_set_vqueue_req(m, cap, dev, tok, &vi);
	}
	case 9:
		return vmsg_build_reset_vqueue_req(m, cap, dev, tok, take1(in) % 3u);
	case 10:
		return vmsg_build_get_shm_req(m, cap, dev, tok, take1(in) % 3u);
	case 11:
		a = take1(in) % 3u;
		b = take4(in);
		return vmsg_build_event_avail(m, cap, dev, a, b);
	case 12:
		a = take2(in);
		b = take2(in);
		return vmsg_build_bus_get_devices_req(m, cap, tok, (uint16_t)a, (uint16_t)b);
	default:
		return vmsg_build_bus_ping_req(m, cap, tok, take4(in));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	struct in in = {data, size};
	struct vmsg_card_config cfg;
	struct host h = {0};
	struct vmsg_dev *d;
	char err[128];
	uint8_t m[MSG_BUF];
	unsigned int ops = 0;
	uint8_t opt = take1(&in);

	trace = getenv("FUZZ_TRACE") != NULL;
	memset(bar0, 0, sizeof(bar0));
	memset(host, 0, sizeof(host));
	area_written = false;
	now = 1000000000ull;
	vmsg_card_config_defaults(&cfg);
	cfg.card_features |= VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI;
	cfg.num_vectors = NUM_VEC;
	cfg.dma_addr_bits = 40;
	cfg.max_devices = 3;
	cfg.ring_slot_count = RING_SLOTS;
	cfg.strict_config_generation = opt & 1u;
	h.card = vmsg_card_create(&plat, &cfg);
	if (!h.card)
		abort();
	d = vmsg_net_loopback_create(mac, err, sizeof(err));
	if (!d || vmsg_card_add_device(h.card, d) != 1)
		abort();
	d = vmsg_rng_create(err, sizeof(err));
	if (!d || vmsg_card_add_device(h.card, d) != 2)
		abort();
	attach(&h, (opt & 2u) ? VMSG_IRQ_MSIX : VMSG_IRQ_POLL);

	while (in.n && ops++ < MAX_OPS) {
		uint8_t op = take1(&in) % 8u;

		switch (op) {
		case 0:
		case 1: {
			uint32_t epoch = op == 0 ? h.epoch : take4(&in);
			size_t len = take1(&in) % (h.max_msg + 8u);

			if (len > in.n)
				len = in.n;
			memcpy(m, in.p, len);
			in.p += len;
			in.n -= len;
			put(&h, m, len, epoch);
			break;
		}
		case 2:
			put(&h, m, build(&h, &in, m), h.epoch);
			break;
		case 3:
			vmsg_card_poll(h.card);
			break;
		case 4: {
			uint32_t off = (uint32_t)(take2(&in) * 4u) % VQ_SIZE;
			size_t len = take1(&in) % 64u;

			if (len > in.n)
				len = in.n;
			if (len > VQ_SIZE - off)
				len = VQ_SIZE - off;
			memcpy(host + AREA_SIZE + off, in.p, len);
			in.p += len;
			in.n -= len;
			break;
		}
		case 5: {
			uint32_t off = (take2(&in) & ~3u) % BAR0_SIZE;

			bar_wr(off, take4(&in));
			h.scribbled = true;
			break;
		}
		case 6:
			drain(&h);
			break;
		default:
			now += (uint64_t)take2(&in) * 1000000u;
			break;
		}
	}
	vmsg_card_poll(h.card);
	drain(&h);
	vmsg_card_destroy(h.card);
	return 0;
}
