// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * bus.c - bus lifecycle: create, attach per the binding, detach, re-attach.
 */
#include "bus_priv.h"
#include "vmsg_barrier.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUS_CONNECT_TIMEOUT_MS 5000u
#define BUS_HOST_AREA_MAX      (16u << 20)

#define RD32(bus, f)	vmsg_le32_to_cpu(VMSG_READ_ONCE32(&(bus)->regs->f))
#define WR32(bus, f, v) VMSG_WRITE_ONCE32(&(bus)->regs->f, vmsg_cpu_to_le32(v))

uint64_t bus_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bus_log(struct vmsg_host_bus *bus, const char *fmt, ...)
{
	va_list ap;

	if (bus->opts.quiet)
		return;
	va_start(ap, fmt);
	fputs("vmsg host bus: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int vmsg_host_bus_create(struct vmsg_link *link, const struct vmsg_host_bus_opts *opts,
			 struct vmsg_host_bus **out)
{
	struct vmsg_host_bus *bus;

	*out = NULL;
	if (!link || !link->ops)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	if (opts)
		bus->opts = *opts;
	if (!bus->opts.request_timeout_ms)
		bus->opts.request_timeout_ms = VMSG_PCIE_REQUEST_TIMEOUT_MS;
	if (!bus->opts.attach_timeout_ms)
		bus->opts.attach_timeout_ms = VMSG_PCIE_ATTACH_TIMEOUT_MS;
	if (!bus->opts.reset_timeout_ms)
		bus->opts.reset_timeout_ms = VMSG_PCIE_RESET_TIMEOUT_MS;
	if (!bus->opts.ping_interval_ms)
		bus->opts.ping_interval_ms = VMSG_PCIE_PING_INTERVAL_MS;
	if (!bus->opts.ping_misses)
		bus->opts.ping_misses = VMSG_PCIE_PING_MISSES;
	if (!bus->opts.connect_timeout_ms)
		bus->opts.connect_timeout_ms = BUS_CONNECT_TIMEOUT_MS;
	if (!bus->opts.features_mask)
		bus->opts.features_mask = VMSG_HOST_BUS_FEATURES;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->dispatch_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&bus->traffic, &ca);
		pthread_condattr_destroy(&ca);
	}
	bus->link = link;
	bus->state = VMSG_HOST_DETACHED;
	bus->next_token = (uint16_t)(bus_now_ns() >> 10);
	*out = bus;
	return 0;
}

void vmsg_host_bus_destroy(struct vmsg_host_bus *bus)
{
	if (!bus)
		return;
	vmsg_host_bus_detach(bus);
	pthread_mutex_lock(&bus->lock);
	if (bus->ha)
		vmsg_link_free(bus->link, bus->ha);
	bus->ha = NULL;
	pthread_mutex_unlock(&bus->lock);
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->dispatch_lock);
	pthread_cond_destroy(&bus->traffic);
	free(bus);
}

/* ---- attach ---- */

static void bus_sleep_slice(struct vmsg_host_bus *bus)
{
	if (bus->irq_mode != VMSG_IRQ_POLL && bus->link->ops->num_vectors(bus->link) > 0)
		bus->link->ops->wait_irq(bus->link, 0, 2);
	else
		usleep(200);
}

static bool ring_region_ok(uint64_t off, uint64_t size, uint64_t bar_size)
{
	return off >= VMSG_PCIE_REGS_SIZE && off % VMSG_RING_LINE == 0 &&
	       size >= VMSG_RING_HDR_SIZE && off + size <= bar_size;
}

/* Read and check what the card publishes. Lock held. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return blen && alen && a < b + blen && b < a + alen;
}

static int bus_read_identity(struct vmsg_host_bus *bus)
{
	uint32_t v, bits, min_area, fb_off, fb_size;

	if (RD32(bus, magic) != VMSG_PCIE_MAGIC) {
		bus_log(bus, "BAR0 magic %#x is not VMSG", RD32(bus, magic));
		return -ENODEV;
	}
	v = RD32(bus, version);
	if (VMSG_PCIE_VERSION_GET_MAJOR(v) != VMSG_PCIE_VERSION_MAJOR) {
		bus_log(bus, "binding version %u.%u not supported (want %u.x)", v >> 16, v & 0xffff,
			VMSG_PCIE_VERSION_MAJOR);
		return -EPROTONOSUPPORT;
	}
	if (RD32(bus, transport_rev) < VIRTIO_MSG_REVISION) {
		bus_log(bus, "transport revision %u < %u", RD32(bus, transport_rev),
			VIRTIO_MSG_REVISION);
		return -EPROTONOSUPPORT;
	}
	bus->max_msg_size = RD32(bus, max_msg_size);
	if (bus->max_msg_size < VMSG_PCIE_MIN_MSG_SIZE ||
	    bus->max_msg_size > VMSG_PCIE_MAX_MSG_SIZE) {
		bus_log(bus, "max_msg_size %u outside [%u, %u]", bus->max_msg_size,
			VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
		return -EPROTO;
	}
	bus->card_features = RD32(bus, card_features);
	bits = RD32(bus, dma_addr_bits);
	if (bits < VMSG_PCIE_DMA_ADDR_BITS_MIN || bits > VMSG_PCIE_DMA_ADDR_BITS_MAX) {
		bus_log(bus, "dma_addr_bits %u unusable", bits);
		return -EPROTO;
	}
	if (bus->link->ops->set_dma_bits(bus->link, bits)) {
		bus_log(bus, "host memory is not reachable below 2^%u", bits);
		return -ERANGE;
	}
	if (RD32(bus, num_doorbells) <= VMSG_DB_CTRL ||
	    RD32(bus, num_doorbells) > VMSG_PCIE_MAX_DOORBELLS) {
		bus_log(bus, "num_doorbells %u unusable", RD32(bus, num_doorbells));
		return -EPROTO;
	}
	if (RD32(bus, num_vectors) > VMSG_PCIE_MAX_VECTORS) {
		bus_log(bus, "num_vectors %u unusable", RD32(bus, num_vectors));
		return -EPROTO;
	}
	bus->h2c_off = RD32(bus, h2c_ring_offset);
	bus->h2c_size = RD32(bus, h2c_ring_size);
	if (!ring_region_ok(bus->h2c_off, bus->h2c_size, bus->bar0_size)) {
		bus_log(bus, "h2c ring [%#x +%#x] outside BAR0", bus->h2c_off, bus->h2c_size);
		return -EPROTO;
	}
	bus->c2h_cons_off = RD32(bus, c2h_cons_offset);
	fb_off = RD32(bus, c2h_bar_offset);
	fb_size = RD32(bus, c2h_bar_size);
	if (bus->c2h_cons_off % VMSG_RING_LINE ||
	    bus->c2h_cons_off < offsetof(struct vmsg_pcie_regs, reserved3) ||
	    (uint64_t)bus->c2h_cons_off + VMSG_RING_LINE > bus->bar0_size ||
	    overlaps(bus->c2h_cons_off, VMSG_RING_LINE, bus->h2c_off, bus->h2c_size) ||
	    overlaps(bus->c2h_cons_off, VMSG_RING_LINE, fb_off, fb_size)) {
		bus_log(bus, "c2h consumer line %#x unusable", bus->c2h_cons_off);
		return -EPROTO;
	}
	min_area = RD32(bus, host_area_min);
	if (min_area > BUS_HOST_AREA_MAX) {
		bus_log(bus, "host_area_min %u too large", min_area);
		return -EPROTO;
	}
	return 0;
}

static int bus_alloc_area(struct vmsg_host_bus *bus)
{
	uint64_t want = RD32(bus, host_area_min);
	uint64_t ring = VMSG_HOST_AREA_C2H_RING_OFFSET +
			VMSG_RING_BYTES(VMSG_RING_DEFAULT_SLOT_SIZE, VMSG_RING_DEFAULT_SLOTS);

	if (want < ring)
		want = ring;
	want = (want + VMSG_HOST_AREA_ALIGN - 1) & ~(uint64_t)(VMSG_HOST_AREA_ALIGN - 1);
	if (bus->ha && bus->ha_size >= want) {
		memset(bus->ha, 0, bus->ha_size);
		return 0;
	}
	/* a poll-mode waiter may still be reading the old c2h producer line
	 * without the lock (bus_wait_traffic(), a bounded spin); no new one
	 * starts while we hold the lock */
	while (__atomic_load_n(&bus->c2h_spinners, __ATOMIC_ACQUIRE))
		vmsg_cpu_relax();
	if (bus->ha)
		vmsg_link_free(bus->link, bus->ha);
	bus->ha = vmsg_link_alloc(bus->link, want, VMSG_HOST_AREA_ALIGN, &bus->ha_dma);
	if (!bus->ha) {
		bus->ha_size = 0;
		return -ENOMEM;
	}
	bus->ha_size = want;
	return 0;
}

/*
 * The host_ctrl mailbox: wait until the previous command is acknowledged
 * (the card writes host_ctrl back to NONE once the outcome is published),
 * write the command last, ring VMSG_DB_CTRL, wait for the acknowledgement.
 * Lock held.
 */
static int bus_ctrl_cmd(struct vmsg_host_bus *bus, uint32_t cmd, uint64_t deadline)
{
	while (RD32(bus, host_ctrl) != VMSG_HOST_CTRL_NONE) {
		if (bus_now_ns() >= deadline) {
			bus_log(bus, "card does not acknowledge host_ctrl %u",
				RD32(bus, host_ctrl));
			return -ETIMEDOUT;
		}
		bus_sleep_slice(bus);
	}
	vmsg_wmb();
	WR32(bus, host_ctrl, cmd);
	vmsg_mb();
	bus->link->ops->doorbell(bus->link, VMSG_DB_CTRL, ++bus->ctrl_count);
	while (RD32(bus, host_ctrl) != VMSG_HOST_CTRL_NONE) {
		if (bus_now_ns() >= deadline)
			return -ETIMEDOUT;
		bus_sleep_slice(bus);
	}
	vmsg_rmb();
	return 0;
}

/* host_ctrl = DETACH; the card leaves RUN. Lock held. */
static int bus_ctrl_detach(struct vmsg_host_bus *bus, uint64_t deadline)
{
	int ret = bus_ctrl_cmd(bus, VMSG_HOST_CTRL_DETACH, deadline);

	/* [DET-1]: acknowledged and READY */
	while (ret == 0 && RD32(bus, link_state) != VMSG_LINK_READY) {
		if (bus_now_ns() >= deadline)
			ret = -ETIMEDOUT;
		else
			bus_sleep_slice(bus);
	}
	return ret;
}

static int bus_attach_rings(struct vmsg_host_bus *bus)
{
	volatile uint8_t *bar = (volatile uint8_t *)bus->regs;
	int ret;

	ret = vmsg_ring_attach_producer(
	    &bus->h2c, bar + bus->h2c_off, bus->h2c_size,
	    (volatile struct vmsg_ring_idx *)(bus->ha + VMSG_HOST_AREA_H2C_CONS_OFFSET));
	if (ret) {
		bus_log(bus, "h2c ring header in BAR0 is invalid");
		return -EPROTO;
	}
	if (bus->h2c.slot_size < sizeof(struct vmsg_slot_hdr) + bus->max_msg_size) {
		bus_log(bus, "h2c slot size %u cannot carry %u-byte messages", bus->h2c.slot_size,
			bus->max_msg_size);
		return -EPROTO;
	}
	ret = vmsg_ring_attach_consumer(&bus->c2h, bus->ha + VMSG_HOST_AREA_C2H_RING_OFFSET,
					bus->ha_size - VMSG_HOST_AREA_C2H_RING_OFFSET,
					(volatile struct vmsg_ring_idx *)(bar + bus->c2h_cons_off));
	if (ret) {
		bus_log(bus, "c2h ring header in the host area is invalid");
		return -EPROTO;
	}
	if (bus->c2h.slot_size > VMSG_RING_MAX_SLOT_SIZE) {
		bus_log(bus, "c2h slot size %u too large", bus->c2h.slot_size);
		return -EPROTO;
	}
	bus->c2h_bad_seen = bus->c2h.bad;
	return 0;
}

/* Lock held. Returns 0 with the link RUN, or a negative error. */
static int bus_attach_locked(struct vmsg_host_bus *bus)
{
	struct vmsg_link *l = bus->link;
	uint64_t deadline = bus_now_ns() + (uint64_t)bus->opts.attach_timeout_ms * 1000000u;
	uint32_t st, err, feat, irq;
	int ret, attempt;

	if (bus->state == VMSG_HOST_RUN)
		return 0;
	bus->regs = l->ops->bar0(l, &bus->bar0_size);
	if (!bus->regs) {
		ret = l->ops->connect(l, (int)bus->opts.connect_timeout_ms);
		if (ret)
			return ret;
		bus->regs = l->ops->bar0(l, &bus->bar0_size);
		if (!bus->regs)
			return -ENOTCONN;
	}
	if (bus->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE)
		return -EPROTO;
	/* [ATT-H-1]: wait for READY (or RUN), sleeping between reads */
	for (;;) {
		st = RD32(bus, link_state);
		if (st == VMSG_LINK_READY || st == VMSG_LINK_RUN)
			break;
		if (st > VMSG_LINK_SHUTDOWN) {
			bus_log(bus, "link_state %#x: the card failed", st);
			return st == 0xffffffffu ? -ENODEV : -EIO;
		}
		if (bus_now_ns() >= deadline) {
			bus_log(bus, "card not READY (link_state %u)", st);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	vmsg_rmb();
	ret = bus_read_identity(bus);
	if (ret)
		return ret;

	feat = bus->card_features & bus->opts.features_mask & VMSG_HOST_BUS_FEATURES;
	if (!(feat & VMSG_PCIE_F_C2H_HOST_MEM)) {
		bus_log(bus, "card does not offer the c2h ring in host memory (BAR-only "
			     "fallback not implemented)");
		return -EOPNOTSUPP;
	}
	irq = VMSG_IRQ_POLL;
	if (!bus->opts.poll_mode && l->ops->num_vectors(l) > 0 && RD32(bus, num_vectors) > 0) {
		if (feat & VMSG_PCIE_F_MSIX)
			irq = VMSG_IRQ_MSIX;
		else if (feat & VMSG_PCIE_F_MSI)
			irq = VMSG_IRQ_MSI;
	}
	feat &= ~(VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI);
	if (irq == VMSG_IRQ_MSIX)
		feat |= VMSG_PCIE_F_MSIX;
	else if (irq == VMSG_IRQ_MSI)
		feat |= VMSG_PCIE_F_MSI;

	st = RD32(bus, link_state);
	if (st == VMSG_LINK_RUN) {
		/* a previous host left it attached */
		bus_log(bus, "card still attached to a previous host: detaching first");
		ret = bus_ctrl_detach(bus, deadline);
		if (ret)
			return ret;
		st = RD32(bus, link_state);
	}
	if (st != VMSG_LINK_READY) {
		bus_log(bus, "card link_state %u is not READY", st);
		return -ENOTCONN;
	}
	ret = bus_alloc_area(bus);
	if (ret)
		return ret;
	bus->host_features = feat;
	bus->irq_mode = irq;

	/* EEPOCH means the card moved to a new epoch meanwhile: re-read, retry */
	for (attempt = 0;; attempt++) {
		bus->epoch = RD32(bus, epoch);
		WR32(bus, host_version, VMSG_PCIE_VERSION);
		WR32(bus, host_features, feat);
		VMSG_WRITE_ONCE64(&bus->regs->host_area_addr, vmsg_cpu_to_le64(bus->ha_dma));
		WR32(bus, host_area_size, (uint32_t)bus->ha_size);
		WR32(bus, irq_mode, irq);
		WR32(bus, vec_c2h, 0);
		WR32(bus, host_epoch, bus->epoch);
		ret = bus_ctrl_cmd(bus, VMSG_HOST_CTRL_ATTACH, deadline);
		if (ret) {
			/* [ATT-H-8]: the card is dead; the host area stays allocated */
			bus_log(bus, "ATTACH not acknowledged in %u ms (link_state %u)",
				bus->opts.attach_timeout_ms, RD32(bus, link_state));
			bus->state = VMSG_HOST_PEER_DEAD;
			bus->st.peer_dead++;
			return ret;
		}
		err = RD32(bus, attach_error);
		st = RD32(bus, link_state);
		if (err == VMSG_ATTACH_OK && st == VMSG_LINK_RUN && RD32(bus, epoch) == bus->epoch)
			break;
		bus->attach_error = err;
		if (err == VMSG_ATTACH_EEPOCH && attempt < 3)
			continue;
		if (err == VMSG_ATTACH_OK)
			bus_log(bus, "card acknowledged ATTACH but link_state is %u, epoch %#x", st,
				RD32(bus, epoch));
		else
			bus_log(bus, "card refused ATTACH: %s", vmsg_host_attach_error_str(err));
		return err == VMSG_ATTACH_OK ? -EPROTO : -ECONNREFUSED;
	}
	vmsg_rmb();
	bus->attach_error = VMSG_ATTACH_OK;
	if (bus->epoch == 0) {
		bus_log(bus, "card published epoch 0");
		return -EPROTO;
	}
	ret = bus_attach_rings(bus);
	if (ret) {
		bus_ctrl_detach(bus, bus_now_ns() + 100000000u);
		return ret;
	}
	bus->vopts.max_msg_size = (uint16_t)bus->max_msg_size;
	bus->vopts.strict_reserved = false;
	bus->vopts.allow_impl_ids = false;
	bus->tx_vopts = bus->vopts;
	bus->tx_vopts.allow_impl_ids = true;
	/* [NTF-3]: in MSIX/MSI mode the host keeps NEED_NOTIFY set for good */
	vmsg_ring_set_need_notify(&bus->c2h, irq != VMSG_IRQ_POLL);
	bus->nkicks = 0;
	bus->npongs = 0; /* answers owed to the previous session */
	bus->ping_misses = 0;
	bus->ping_req = NULL;
	bus->last_ping_ns = bus_now_ns();
	bus->attach_gen++;
	bus->st.attaches++;
	bus->state = VMSG_HOST_RUN;
	{
		struct vmsg_host_event ev = {.kind = VMSG_HOST_EV_LINK_UP, .epoch = bus->epoch};

		bus_queue_event(bus, &ev);
	}
	return 0;
}

int vmsg_host_bus_attach(struct vmsg_host_bus *bus)
{
	size_t n;
	int ret;

	pthread_mutex_lock(&bus->lock);
	ret = bus_attach_locked(bus);
	pthread_mutex_unlock(&bus->lock);
	if (ret == 0)
		ret = vmsg_host_bus_get_devices(bus, NULL, 0, &n);
	bus_dispatch(bus);
	return ret;
}

void vmsg_host_bus_detach(struct vmsg_host_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	if (bus->state == VMSG_HOST_RUN && bus->regs) {
		uint64_t deadline = bus_now_ns() + (uint64_t)bus->opts.attach_timeout_ms * 1000000u;

		if (bus_ctrl_detach(bus, deadline)) {
			bus_log(bus, "card did not acknowledge DETACH");
			bus_declare_dead(bus, -ETIMEDOUT);
		}
	}
	bus_link_down_locked(bus, VMSG_HOST_DETACHED, -ENOTCONN);
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
}

int bus_reattach(struct vmsg_host_bus *bus, int connect_timeout_ms)
{
	int ret;

	pthread_mutex_lock(&bus->lock);
	if (bus->state == VMSG_HOST_RUN)
		bus_link_down_locked(bus, VMSG_HOST_GONE, -ECONNRESET);
	bus->link->ops->disconnect(bus->link);
	bus->regs = NULL;
	ret = bus->link->ops->connect(bus->link, connect_timeout_ms);
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
	if (ret)
		return ret;
	return vmsg_host_bus_attach(bus);
}

int vmsg_host_bus_reattach(struct vmsg_host_bus *bus)
{
	return bus_reattach(bus, (int)bus->opts.connect_timeout_ms);
}

/* ---- accessors ---- */

enum vmsg_host_state vmsg_host_bus_state(struct vmsg_host_bus *bus)
{
	enum vmsg_host_state st;

	pthread_mutex_lock(&bus->lock);
	st = bus->state;
	pthread_mutex_unlock(&bus->lock);
	return st;
}

uint32_t vmsg_host_bus_epoch(struct vmsg_host_bus *bus)
{
	return bus->epoch;
}

uint32_t vmsg_host_bus_attach_error(struct vmsg_host_bus *bus)
{
	return bus->attach_error;
}

uint32_t vmsg_host_bus_max_msg_size(struct vmsg_host_bus *bus)
{
	return bus->max_msg_size;
}

uint32_t vmsg_host_bus_host_features(struct vmsg_host_bus *bus)
{
	return bus->host_features;
}

uint32_t vmsg_host_bus_generation(struct vmsg_host_bus *bus)
{
	return bus->attach_gen;
}

struct vmsg_link *vmsg_host_bus_link(struct vmsg_host_bus *bus)
{
	return bus->link;
}

volatile const struct vmsg_pcie_regs *vmsg_host_bus_regs(struct vmsg_host_bus *bus)
{
	return bus->regs;
}

void vmsg_host_bus_get_stats(struct vmsg_host_bus *bus, struct vmsg_host_bus_stats *st)
{
	pthread_mutex_lock(&bus->lock);
	*st = bus->st;
	pthread_mutex_unlock(&bus->lock);
}

uint32_t vmsg_host_bus_timeout_ms(struct vmsg_host_bus *bus, int which)
{
	return which == VMSG_HOST_TMO_RESET ? bus->opts.reset_timeout_ms
					    : bus->opts.request_timeout_ms;
}
