/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_create.c - engine lifecycle: configuration checks, BAR0 publication
 * (identity, geometry, h2c ring), link state and epoch.
 */
#include "core_priv.h"
#include "vmsg_bytes.h"

#define CARD_NUM_DOORBELLS	 2u /* VMSG_DB_H2C, VMSG_DB_CTRL: the least */
#define CARD_DEFAULT_MAX_DEVICES 32u
#define CARD_LIMIT_MAX_DEVICES	 0xfffeu

void vmsg_card_config_defaults(struct vmsg_card_config *cfg)
{
	vmsg_zero_bytes(cfg, sizeof(*cfg));
	cfg->card_features = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_ERROR_MSG;
	cfg->max_msg_size = VMSG_PCIE_MAX_MSG_SIZE;
	cfg->dma_addr_bits = 64;
	cfg->ring_slot_size = VMSG_RING_DEFAULT_SLOT_SIZE;
	cfg->ring_slot_count = VMSG_RING_DEFAULT_SLOTS;
	cfg->max_devices = CARD_DEFAULT_MAX_DEVICES;
	cfg->strict_config_generation = true;
}

/* Fill zero fields with defaults and check the rest; false if unusable. */
static bool card_config_fix(struct vmsg_card_config *cfg)
{
	cfg->card_features =
	    (cfg->card_features & VMSG_PCIE_F_KNOWN_1_1) | VMSG_PCIE_F_C2H_HOST_MEM;
	if (!cfg->num_doorbells)
		cfg->num_doorbells = CARD_NUM_DOORBELLS;
	if (cfg->num_doorbells < CARD_NUM_DOORBELLS || cfg->num_doorbells > VMSG_PCIE_MAX_DOORBELLS)
		return false;
	/* [OOB-1]: queue doorbells need registers beyond h2c and ctrl. */
	if (cfg->num_doorbells <= VMSG_OOB_DB_FIRST)
		cfg->card_features &= ~VMSG_PCIE_F_OOB_NOTIFY;
	if (!cfg->max_msg_size)
		cfg->max_msg_size = VMSG_PCIE_MAX_MSG_SIZE;
	if (!cfg->dma_addr_bits)
		cfg->dma_addr_bits = 64;
	if (!cfg->ring_slot_size)
		cfg->ring_slot_size = VMSG_RING_DEFAULT_SLOT_SIZE;
	if (!cfg->ring_slot_count)
		cfg->ring_slot_count = VMSG_RING_DEFAULT_SLOTS;
	if (!cfg->max_devices)
		cfg->max_devices = CARD_DEFAULT_MAX_DEVICES;
	if (cfg->max_msg_size < VMSG_PCIE_MIN_MSG_SIZE || cfg->max_msg_size > CARD_MSG_MAX)
		return false;
	if (cfg->dma_addr_bits < VMSG_PCIE_DMA_ADDR_BITS_MIN ||
	    cfg->dma_addr_bits > VMSG_PCIE_DMA_ADDR_BITS_MAX)
		return false;
	if (cfg->num_vectors > VMSG_PCIE_MAX_VECTORS)
		return false;
	if (cfg->max_devices > CARD_LIMIT_MAX_DEVICES)
		return false;
	if (cfg->ring_slot_size < sizeof(struct vmsg_slot_hdr) + cfg->max_msg_size)
		return false;
	return vmsg_ring_geometry_ok(cfg->ring_slot_size, cfg->ring_slot_count,
				     VMSG_RING_BYTES(cfg->ring_slot_size, cfg->ring_slot_count));
}

static bool card_platform_ok(const struct vmsg_card_platform *p, uint32_t ring_bytes)
{
	if (!p || !p->bar0 || ((uintptr_t)p->bar0 & 7u))
		return false;
	if (!p->host_read || !p->host_write || !p->raise_irq || !p->now_ns)
		return false;
	if (!p->zalloc || !p->free)
		return false;
	if (p->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE)
		return false;
	return (uint64_t)VMSG_BAR0_H2C_RING_OFFSET + ring_bytes <= p->bar0_size;
}

bool card_dma_range_ok(const struct vmsg_card *c, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		return false;
	if (c->cfg.dma_addr_bits >= 64)
		return true;
	return end <= (1ull << c->cfg.dma_addr_bits);
}

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* A fresh epoch: never 0, never the current one. */
uint32_t card_new_epoch(struct vmsg_card *c)
{
	uint64_t seed =
	    c->plat.now_ns(c->plat.ctx) ^ ((uint64_t)++c->epoch_seq << 40) ^ (uint64_t)(uintptr_t)c;
	uint32_t e = mix32(seed);

	if (e == 0 || e == c->epoch)
		e = c->epoch + 1u ? c->epoch + 1u : 1u;
	c->epoch = e;
	card_reg_wr(c, REG_OFF(epoch), e);
	return e;
}

void card_set_link(struct vmsg_card *c, enum vmsg_link_state st)
{
	/* Everything written before (rings, epoch, errors) is visible first. */
	vmsg_mb();
	c->link = st;
	card_reg_wr(c, REG_OFF(link_state), (uint32_t)st);
	vmsg_mb();
}

void card_log(struct vmsg_card *c, int level, const char *fmt, ...)
{
	va_list ap;

	if (!c->plat.log)
		return;
	va_start(ap, fmt);
	c->plat.log(c->plat.ctx, level, "", fmt, ap);
	va_end(ap);
}

static void card_publish_identity(struct vmsg_card *c)
{
	card_reg_wr(c, REG_OFF(magic), VMSG_PCIE_MAGIC);
	card_reg_wr(c, REG_OFF(version), VMSG_PCIE_VERSION);
	card_reg_wr(c, REG_OFF(transport_rev), VIRTIO_MSG_REVISION);
	card_reg_wr(c, REG_OFF(max_msg_size), c->cfg.max_msg_size);
	card_reg_wr(c, REG_OFF(card_features), c->cfg.card_features);
	card_reg_wr(c, REG_OFF(dma_addr_bits), c->cfg.dma_addr_bits);
	card_reg_wr(c, REG_OFF(num_doorbells), c->cfg.num_doorbells);
	card_reg_wr(c, REG_OFF(num_vectors), c->cfg.num_vectors);
	card_reg_wr(c, REG_OFF(h2c_ring_offset), VMSG_BAR0_H2C_RING_OFFSET);
	card_reg_wr(c, REG_OFF(h2c_ring_size), c->ring_bytes);
	card_reg_wr(c, REG_OFF(c2h_cons_offset), VMSG_BAR0_C2H_CONS_OFFSET);
	card_reg_wr(c, REG_OFF(c2h_bar_offset), 0);
	card_reg_wr(c, REG_OFF(c2h_bar_size), 0);
	card_reg_wr(c, REG_OFF(host_area_min), c->host_area_min);
}

/* Format the h2c ring in BAR0 (also done again at every attach). */
int card_format_h2c(struct vmsg_card *c)
{
	return vmsg_ring_format(c->bar0 + VMSG_BAR0_H2C_RING_OFFSET, c->ring_bytes,
				c->cfg.ring_slot_size, c->cfg.ring_slot_count);
}

/* [REG-1]: INIT, zero the control block, identity, h2c ring, new epoch,
 * READY last. Also the re-publication after the host went away. */
void card_publish(struct vmsg_card *c)
{
	volatile uint8_t *b = c->bar0;
	size_t i;

	card_reg_wr(c, REG_OFF(link_state), VMSG_LINK_INIT);
	vmsg_mb();
	for (i = 0; i < VMSG_PCIE_REGS_SIZE; i += 4)
		if (i != REG_OFF(link_state))
			VMSG_WRITE_ONCE32(b + i, 0);
	for (i = 0; i < 8; i++)
		c->cnt_mirror[i] = 0; /* the counters in BAR0 are 0 now */
	card_publish_identity(c);
	card_format_h2c(c);
	card_new_epoch(c);
	card_set_link(c, VMSG_LINK_READY);
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1u) & ~(a - 1u);
}

/* The platform's allocator; NULL pointers are not passed to free(). */
static void card_free(const struct vmsg_card_platform *p, void *ptr)
{
	if (ptr)
		p->free(p->ctx, ptr);
}

static struct vmsg_card *card_alloc(const struct vmsg_card_platform *p,
				    const struct vmsg_card_config *cfg)
{
	struct vmsg_card *c = p->zalloc(p->ctx, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = p->zalloc(p->ctx, sizeof(*c->slots) * ((size_t)cfg->max_devices + 1u));
	c->pend.buf = p->zalloc(p->ctx, (size_t)CARD_PENDING_SLOTS * CARD_MSG_MAX);
	if (!c->slots || !c->pend.buf) {
		card_free(p, c->slots);
		card_free(p, c->pend.buf);
		card_free(p, c);
		return NULL;
	}
	return c;
}

struct vmsg_card *vmsg_card_create(const struct vmsg_card_platform *plat,
				   const struct vmsg_card_config *cfg_in)
{
	struct vmsg_card_config cfg;
	struct vmsg_card *c;
	uint32_t ring_bytes;

	if (!cfg_in)
		return NULL;
	cfg = *cfg_in;
	if (!card_config_fix(&cfg))
		return NULL;
	ring_bytes = VMSG_RING_BYTES(cfg.ring_slot_size, cfg.ring_slot_count);
	if (!card_platform_ok(plat, ring_bytes))
		return NULL;
	c = card_alloc(plat, &cfg);
	if (!c)
		return NULL;
	c->plat = *plat;
	c->cfg = cfg;
	c->bar0 = (volatile uint8_t *)plat->bar0;
	c->ring_bytes = ring_bytes;
	c->host_area_min =
	    align_up(VMSG_HOST_AREA_C2H_RING_OFFSET + ring_bytes, VMSG_HOST_AREA_ALIGN);
	c->vopts.max_msg_size = (uint16_t)cfg.max_msg_size;
	c->vopts.strict_reserved = false; /* spec: reserved type bits ignored */
	c->vopts.allow_impl_ids = true;	  /* routed, then refused as unsupported */
	card_publish(c);
	return c;
}

void vmsg_card_destroy(struct vmsg_card *c)
{
	struct vmsg_card_platform plat;
	uint32_t n;

	if (!c)
		return;
	for (n = 1; n <= c->cfg.max_devices; n++) {
		struct vmsg_dev *d = c->slots[n].dev;

		if (!d)
			continue;
		c->slots[n].dev = NULL;
		d->removed = true;
		d->ops->reset(d, UINT32_MAX);
		if (d->ops->destroy)
			d->ops->destroy(d);
	}
	/* After a clean shutdown the host must keep seeing SHUTDOWN. */
	if (vmsg_card_link_state(c) != VMSG_LINK_SHUTDOWN)
		card_set_link(c, VMSG_LINK_INIT);
	plat = c->plat;
	card_free(&plat, c->slots);
	card_free(&plat, c->pend.buf);
	card_free(&plat, c);
}
