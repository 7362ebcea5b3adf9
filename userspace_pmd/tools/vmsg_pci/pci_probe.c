// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * pci_probe.c - read a function's BAR (read-only) and describe it: the
 * emulated link page ([EMU-7]), the BAR0 control block, and the problems a
 * host would refuse (the host driver's checks, [REG-3]..[REG-7]). Every read
 * is a 32-bit volatile load at an offset checked against the mapped length.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci_probe.h"
#include "vmsg_pcie.h"

/* The host driver's largest host area (host_driver VP_HOST_AREA_MAX). */
#define VPCI_HOST_AREA_MAX (16u << 20)

struct vpci_bar {
	const volatile uint8_t *p;
	uint64_t len;
};

/* 32-bit read at off; all-ones (what a gone function reads) when outside. */
static uint32_t rd32(const struct vpci_bar *b, uint64_t off)
{
	if (off % 4 || off > b->len || b->len - off < 4)
		return 0xffffffffu;
	return vmsg_le32_to_cpu(*(const volatile uint32_t *)(b->p + off));
}

static uint64_t rd64(const struct vpci_bar *b, uint64_t off)
{
	uint64_t lo = rd32(b, off);

	return lo | (uint64_t)rd32(b, off + 4) << 32;
}

static void problem(struct vpci_ident *id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(struct vpci_ident *id, const char *fmt, ...)
{
	va_list ap;

	if (id->nproblems >= VPCI_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(id->problem[id->nproblems++], VPCI_PROBLEM_LEN, fmt, ap);
	va_end(ap);
}

static bool region_ok(uint64_t off, uint64_t size, uint64_t bar_len)
{
	return off % VMSG_RING_LINE == 0 && size <= bar_len && off <= bar_len - size;
}

/* vmsg_pci's debugfs regs: the control block up to the doorbells. */
_Static_assert(VPCI_DRIVER_REGS_SIZE == offsetof(struct vmsg_pcie_regs, doorbell), "regs copy");

#define EMU_OFF(f) ((uint64_t)offsetof(struct vmsg_emu_page, f))
#define REG(f)	   ((uint64_t)offsetof(struct vmsg_pcie_regs, f))

/* [EMU-7]: the host driver's rule (vp_emu_page()). */
static enum vpci_probe read_emu(const struct vpci_bar *b, struct vpci_dev *d, char *why,
				size_t why_len)
{
	struct vpci_emu *e = &d->emu;
	uint64_t pg;
	uint32_t v;

	if (b->len < (uint64_t)VMSG_PCIE_BAR0_MIN_SIZE + VMSG_EMU_PAGE_SIZE) {
		snprintf(why, why_len, "BAR %d is %" PRIu64 " bytes, too small for a card", d->bar,
			 b->len);
		return VPCI_PROBE_NOT_OURS;
	}
	pg = b->len - VMSG_EMU_PAGE_SIZE;
	e->hdr_magic = rd32(b, pg + EMU_OFF(hdr_magic));
	/* the card writes the magic last */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	e->hdr_version = rd32(b, pg + EMU_OFF(hdr_version));
	v = rd32(b, pg + EMU_OFF(vendor_id));
	e->vendor = (uint16_t)v;
	e->device = (uint16_t)(v >> 16);
	v = rd32(b, pg + EMU_OFF(subsys_vendor_id));
	e->subvendor = (uint16_t)v;
	e->subdevice = (uint16_t)(v >> 16);
	e->class_rev = rd32(b, pg + EMU_OFF(class_rev));
	e->bar0_size = rd32(b, pg + EMU_OFF(bar0_size));
	e->card_peer_id = rd32(b, pg + EMU_OFF(card_peer_id));
	e->wire_valid = rd32(b, pg + EMU_OFF(wire_magic)) == VMSG_EMU_WIRE_MAGIC &&
			rd32(b, pg + EMU_OFF(wire_version)) == VMSG_EMU_PAGE_VERSION;
	e->host_peer_id = rd32(b, pg + EMU_OFF(host_peer_id));
	e->host_generation = rd32(b, pg + EMU_OFF(host_generation));
	e->card_connected = rd32(b, pg + EMU_OFF(card_connected));
	if (e->hdr_magic != VMSG_EMU_HDR_MAGIC || e->hdr_version != VMSG_EMU_PAGE_VERSION) {
		snprintf(why, why_len, "no emulated link page (header magic %#x, version %u)",
			 e->hdr_magic, e->hdr_version);
		return VPCI_PROBE_NOT_OURS;
	}
	if (!vmsg_pcie_card_ids_match(e->vendor, e->device, e->subvendor, e->subdevice,
				      e->class_rev >> 8)) {
		snprintf(why, why_len,
			 "link page ids %04x:%04x (subsystem %04x:%04x, class %06x) not in the id "
			 "table",
			 e->vendor, e->device, e->subvendor, e->subdevice, e->class_rev >> 8);
		return VPCI_PROBE_NOT_OURS;
	}
	d->bar0_len = e->bar0_size < pg ? e->bar0_size : pg;
	if (d->bar0_len < VMSG_PCIE_BAR0_MIN_SIZE) {
		snprintf(why, why_len, "link page declares a %u-byte BAR0", e->bar0_size);
		return VPCI_PROBE_NOT_OURS;
	}
	d->have_emu = true;
	return VPCI_PROBE_OK;
}

/* [REG-3]..[REG-7] as the host driver checks them (vp_read_identity()). */
static void check_ident(struct vpci_ident *id, uint64_t bar0_len)
{
	uint64_t cons = id->c2h_cons_offset, h2c = id->h2c_ring_offset;

	if (!vmsg_link_state_str(id->link_state))
		problem(id, "link_state %u unknown", id->link_state);
	if (id->transport_rev < VIRTIO_MSG_REVISION)
		problem(id, "transport revision %u unsupported", id->transport_rev);
	if (id->max_msg_size < VMSG_PCIE_MIN_MSG_SIZE || id->max_msg_size > VMSG_PCIE_MAX_MSG_SIZE)
		problem(id, "max_msg_size %u outside [%u, %u]", id->max_msg_size,
			VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
	if (id->dma_addr_bits < VMSG_PCIE_DMA_ADDR_BITS_MIN ||
	    id->dma_addr_bits > VMSG_PCIE_DMA_ADDR_BITS_MAX)
		problem(id, "dma_addr_bits %u outside [%u, %u]", id->dma_addr_bits,
			VMSG_PCIE_DMA_ADDR_BITS_MIN, VMSG_PCIE_DMA_ADDR_BITS_MAX);
	if (id->num_doorbells <= VMSG_DB_CTRL || id->num_doorbells > VMSG_PCIE_MAX_DOORBELLS ||
	    id->num_vectors > VMSG_PCIE_MAX_VECTORS)
		problem(id, "num_doorbells %u / num_vectors %u unusable", id->num_doorbells,
			id->num_vectors);
	if (h2c < VMSG_PCIE_REGS_SIZE || id->h2c_ring_size < VMSG_RING_HDR_SIZE ||
	    !region_ok(h2c, id->h2c_ring_size, bar0_len))
		problem(id, "h2c ring [%#x, +%#x) outside BAR0 (%#" PRIx64 " bytes)",
			id->h2c_ring_offset, id->h2c_ring_size, bar0_len);
	if (!region_ok(cons, VMSG_RING_LINE, bar0_len) ||
	    (cons < VMSG_PCIE_REGS_SIZE && cons < offsetof(struct vmsg_pcie_regs, reserved3)) ||
	    (cons + VMSG_RING_LINE > h2c && cons < h2c + id->h2c_ring_size))
		problem(id, "c2h consumer line %#x unusable", id->c2h_cons_offset);
	if (!(id->card_features & VMSG_PCIE_F_C2H_HOST_MEM))
		problem(id, "card offers only the BAR-only c2h ring");
	if (id->card_features & ~VMSG_PCIE_F_KNOWN_1_1)
		problem(id, "card_features %#x has bits binding 1.1 does not define",
			id->card_features & ~VMSG_PCIE_F_KNOWN_1_1);
	if (id->host_area_min > VPCI_HOST_AREA_MAX ||
	    id->host_area_min < VMSG_HOST_AREA_C2H_RING_OFFSET + VMSG_RING_HDR_SIZE)
		problem(id, "host_area_min %u unusable", id->host_area_min);
	if (id->ring_read) {
		uint64_t need = (uint64_t)id->ring_slot_size * id->ring_slot_count;

		if (id->ring_magic != VMSG_RING_MAGIC)
			problem(id, "h2c ring header magic %#x is not VRNG", id->ring_magic);
		else if (id->ring_slot_count < VMSG_RING_MIN_SLOTS ||
			 id->ring_slot_count > VMSG_RING_MAX_SLOTS ||
			 (id->ring_slot_count & (id->ring_slot_count - 1)) ||
			 id->ring_slot_size % VMSG_RING_SLOT_ALIGN || id->ring_slot_size == 0 ||
			 id->ring_slot_size > VMSG_RING_MAX_SLOT_SIZE ||
			 need + VMSG_RING_HDR_SIZE > id->h2c_ring_size)
			problem(id, "h2c ring geometry %u slots of %u bytes unusable",
				id->ring_slot_count, id->ring_slot_size);
	}
}

/*
 * The control block from view (the BAR itself, or a copy of its first bytes);
 * offsets and sizes are checked against d->bar0_len, reads against view.
 */
static enum vpci_probe read_ident(const struct vpci_bar *view, struct vpci_dev *d, char *why,
				  size_t why_len)
{
	struct vpci_bar b = {view->p, view->len < d->bar0_len ? view->len : d->bar0_len};
	struct vpci_ident *id = &d->ident;
	bool emu = d->kind == VPCI_KIND_EMU;

	memset(id, 0, sizeof(*id));
	if (d->bar0_len < VMSG_PCIE_BAR0_MIN_SIZE) {
		snprintf(d->error, sizeof(d->error),
			 "BAR%d is %" PRIu64 " bytes, under the %u a card has", d->bar, d->bar0_len,
			 VMSG_PCIE_BAR0_MIN_SIZE);
		return VPCI_PROBE_ERROR;
	}
	id->magic = rd32(&b, REG(magic));
	id->version = rd32(&b, REG(version));
	if (id->magic != VMSG_PCIE_MAGIC ||
	    VMSG_PCIE_VERSION_GET_MAJOR(id->version) != VMSG_PCIE_VERSION_MAJOR) {
		if (emu) {
			snprintf(why, why_len,
				 "link page valid but no virtio-msg control block (magic %#x, "
				 "version %#x)",
				 id->magic, id->version);
			return VPCI_PROBE_NOT_OURS;
		}
		if (id->magic == 0xffffffffu)
			snprintf(d->error, sizeof(d->error),
				 "BAR0 reads all-ones (function gone, or memory decoding off)");
		else
			snprintf(d->error, sizeof(d->error),
				 "no virtio-msg control block in BAR0 (magic %#x, version %#x)",
				 id->magic, id->version);
		return VPCI_PROBE_ERROR;
	}
	id->transport_rev = rd32(&b, REG(transport_rev));
	id->max_msg_size = rd32(&b, REG(max_msg_size));
	id->card_features = rd32(&b, REG(card_features));
	id->dma_addr_bits = rd32(&b, REG(dma_addr_bits));
	id->num_doorbells = rd32(&b, REG(num_doorbells));
	id->num_vectors = rd32(&b, REG(num_vectors));
	id->link_state = rd32(&b, REG(link_state));
	id->epoch = rd32(&b, REG(epoch));
	id->attach_error = rd32(&b, REG(attach_error));
	id->heartbeat = rd32(&b, REG(heartbeat));
	id->h2c_ring_offset = rd32(&b, REG(h2c_ring_offset));
	id->h2c_ring_size = rd32(&b, REG(h2c_ring_size));
	id->c2h_cons_offset = rd32(&b, REG(c2h_cons_offset));
	id->c2h_bar_offset = rd32(&b, REG(c2h_bar_offset));
	id->c2h_bar_size = rd32(&b, REG(c2h_bar_size));
	id->host_area_min = rd32(&b, REG(host_area_min));
	id->host_version = rd32(&b, REG(host_version));
	id->host_features = rd32(&b, REG(host_features));
	id->irq_mode = rd32(&b, REG(irq_mode));
	id->host_epoch = rd32(&b, REG(host_epoch));
	for (unsigned int i = 0; i < 8; i++)
		id->cnt[i] = rd64(&b, REG(cnt_rx_msgs) + 8u * i);
	/* The h2c ring header, only where it lies inside BAR0 past the block. */
	if (id->h2c_ring_offset >= VMSG_PCIE_REGS_SIZE &&
	    region_ok(id->h2c_ring_offset, VMSG_RING_LINE, b.len)) {
		uint64_t r = id->h2c_ring_offset;

		id->ring_read = true;
		id->ring_magic = rd32(&b, r + offsetof(struct vmsg_ring_hdr, magic));
		id->ring_slot_size = rd32(&b, r + offsetof(struct vmsg_ring_hdr, slot_size));
		id->ring_slot_count = rd32(&b, r + offsetof(struct vmsg_ring_hdr, slot_count));
	}
	check_ident(id, d->bar0_len);
	d->have_ident = true;
	return VPCI_PROBE_OK;
}

enum vpci_probe vpci_probe_mem(const volatile void *bar, uint64_t len, struct vpci_dev *d,
			       char *why_not, size_t why_len)
{
	struct vpci_bar b = {bar, len};
	char dummy[8];
	enum vpci_probe r;

	if (!why_not) {
		why_not = dummy;
		why_len = sizeof(dummy);
	}
	why_not[0] = '\0';
	d->error[0] = '\0';
	d->have_emu = false;
	d->have_ident = false;
	d->bar0_len = len;
	snprintf(d->source, sizeof(d->source), "BAR");
	if (d->kind == VPCI_KIND_EMU) {
		r = read_emu(&b, d, why_not, why_len);
		if (r != VPCI_PROBE_OK)
			return r;
	}
	return read_ident(&b, d, why_not, why_len);
}

enum vpci_probe vpci_probe_file(const char *path, struct vpci_dev *d, char *why_not, size_t why_len)
{
	enum vpci_probe r;
	struct stat st;
	void *p;
	int fd;

	d->have_emu = false;
	d->have_ident = false;
	if (d->bar_size == 0 || d->bar_size > SIZE_MAX) {
		snprintf(d->error, sizeof(d->error), "BAR%d has no usable size", d->bar);
		return VPCI_PROBE_ERROR;
	}
	d->map_errno = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		d->map_errno = errno;
		snprintf(d->error, sizeof(d->error), "cannot open %s: %s%s", path, strerror(errno),
			 errno == EACCES || errno == EPERM ? " (run as root)" : "");
		return VPCI_PROBE_ERROR;
	}
	/* sysfs resourceN files have the BAR's size; a shorter file would fault */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < d->bar_size) {
		snprintf(d->error, sizeof(d->error), "%s is not a %" PRIu64 "-byte resource file",
			 path, d->bar_size);
		close(fd);
		return VPCI_PROBE_ERROR;
	}
	p = mmap(NULL, (size_t)d->bar_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		d->map_errno = errno;
		snprintf(d->error, sizeof(d->error), "cannot map %s: %s", path, strerror(errno));
		return VPCI_PROBE_ERROR;
	}
	r = vpci_probe_mem(p, d->bar_size, d, why_not, why_len);
	munmap(p, (size_t)d->bar_size);
	return r;
}

enum vpci_probe vpci_probe_regs_file(const char *path, struct vpci_dev *d, uint64_t bar0_len)
{
	uint8_t buf[VPCI_DRIVER_REGS_SIZE];
	struct vpci_bar view = {buf, sizeof(buf)};
	size_t got = 0;
	char dummy[8];
	int fd;

	d->have_ident = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(d->error, sizeof(d->error), "cannot open %s: %s", path, strerror(errno));
		return VPCI_PROBE_ERROR;
	}
	while (got < sizeof(buf)) {
		ssize_t n = pread(fd, buf + got, sizeof(buf) - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(d->error, sizeof(d->error), "%s: %s after %zu bytes", path,
				 n < 0 ? strerror(errno) : "end of file", got);
			close(fd);
			return VPCI_PROBE_ERROR;
		}
		got += (size_t)n;
	}
	close(fd);
	d->error[0] = '\0';
	d->bar0_len = bar0_len;
	snprintf(d->source, sizeof(d->source), "vmsg_pci debugfs");
	return read_ident(&view, d, dummy, sizeof(dummy));
}

const char *vpci_driver_name(const struct vpci_dev *d)
{
	return d->driver[0] ? d->driver : "none";
}

static const char *const cnt_names[8] = {"rx_msgs",    "tx_msgs",	 "drop_malformed",
					 "drop_stale", "drop_no_device", "ring_full",
					 "irqs",       "doorbells"};

static const struct {
	uint32_t bit;
	const char *name;
} feat_names[] = {
    {VMSG_PCIE_F_C2H_HOST_MEM, "C2H_HOST_MEM"},
    {VMSG_PCIE_F_MSIX, "MSIX"},
    {VMSG_PCIE_F_MSI, "MSI"},
    {VMSG_PCIE_F_ERROR_MSG, "ERROR_MSG"},
    {VMSG_PCIE_F_OOB_NOTIFY, "OOB_NOTIFY"},
    {VMSG_PCIE_F_DMA_ENGINE, "DMA_ENGINE"},
};

static void print_features(FILE *f, uint32_t v, bool json)
{
	const char *sep = "";

	for (size_t i = 0; i < sizeof(feat_names) / sizeof(feat_names[0]); i++) {
		if (!(v & feat_names[i].bit))
			continue;
		fprintf(f, json ? "%s\"%s\"" : "%s%s", sep, feat_names[i].name);
		sep = json ? ", " : " ";
		v &= ~feat_names[i].bit;
	}
	if (v)
		fprintf(f, json ? "%s\"0x%x\"" : "%s0x%x", sep, v);
}

/* The link state's name, or "INVALID" (a value from the BAR is never printed as text). */
static const char *link_name(uint32_t s)
{
	const char *n = vmsg_link_state_str(s);

	return n ? n : "INVALID";
}

static const char *kind_name(enum vpci_kind k)
{
	return k == VPCI_KIND_EMU ? "emulated" : "card";
}

void vpci_print_text(FILE *f, const struct vpci_dev *d)
{
	const struct vpci_ident *id = &d->ident;

	fprintf(f, "%s  %04x:%04x (subsystem %04x:%04x, class %06x, rev %02x)  %s link\n", d->addr,
		d->vendor, d->device, d->subvendor, d->subdevice, d->class_code, d->revision,
		kind_name(d->kind));
	fprintf(f, "    driver: %s", vpci_driver_name(d));
	if (d->iommu_group >= 0)
		fprintf(f, ", iommu group %d", d->iommu_group);
	fputc('\n', f);
	fprintf(f, "    BAR%d: 0x%" PRIx64 ", %" PRIu64 " bytes (%s)", d->bar, d->bar_phys,
		d->bar_size, d->resource);
	if (d->kind == VPCI_KIND_EMU && d->have_emu)
		fprintf(f, "; binding BAR0: its first %" PRIu64 " bytes", d->bar0_len);
	fputc('\n', f);
	if (d->have_emu) {
		const struct vpci_emu *e = &d->emu;

		fprintf(f,
			"    link page: ids %04x:%04x (subsystem %04x:%04x, class %06x, rev %02x), "
			"bar0_size %u\n",
			e->vendor, e->device, e->subvendor, e->subdevice, e->class_rev >> 8,
			e->class_rev & 0xff, e->bar0_size);
		if (e->wire_valid) {
			fprintf(f, "    wire: card %s, host ",
				e->card_connected == 1 ? "connected" : "not connected");
			if (e->host_peer_id == VMSG_EMU_NO_PEER)
				fprintf(f, "none");
			else
				fprintf(f, "peer %u", e->host_peer_id);
			fprintf(f, ", generation %u\n", e->host_generation);
		} else {
			fprintf(f, "    wire: not written by the server\n");
		}
	}
	if (!d->have_ident) {
		fprintf(f, "    identity: not read: %s\n", d->error[0] ? d->error : "unknown");
		return;
	}
	fprintf(f, "    identity read from %s\n",
		strcmp(d->source, "BAR") ? "vmsg_pci's debugfs (the driver holds the BAR)"
					 : "the BAR");
	fprintf(f, "    magic 0x%08x, binding %u.%u, transport revision %u\n", id->magic,
		id->version >> 16, id->version & 0xffff, id->transport_rev);
	fprintf(f, "    link %s (%u), epoch %u, attach_error %u, heartbeat %u\n",
		link_name(id->link_state), id->link_state, id->epoch, id->attach_error,
		id->heartbeat);
	fprintf(f, "    card features 0x%x: ", id->card_features);
	print_features(f, id->card_features, false);
	fprintf(f, "\n    dma_addr_bits %u, max_msg_size %u, doorbells %u, vectors %u\n",
		id->dma_addr_bits, id->max_msg_size, id->num_doorbells, id->num_vectors);
	fprintf(f, "    h2c ring: offset 0x%x, %u bytes", id->h2c_ring_offset, id->h2c_ring_size);
	if (id->ring_read && id->ring_magic == VMSG_RING_MAGIC)
		fprintf(f, ", %u slots of %u bytes", id->ring_slot_count, id->ring_slot_size);
	fprintf(f, "; c2h consumer line 0x%x; host_area_min %u\n", id->c2h_cons_offset,
		id->host_area_min);
	fprintf(f, "    host: features 0x%x, irq_mode %u, epoch %u\n", id->host_features,
		id->irq_mode, id->host_epoch);
	fprintf(f, "    counters:");
	for (unsigned int i = 0; i < 8; i++)
		fprintf(f, " %s %" PRIu64, cnt_names[i], id->cnt[i]);
	fputc('\n', f);
	for (unsigned int i = 0; i < id->nproblems; i++)
		fprintf(f, "    problem: %s\n", id->problem[i]);
}

/* A JSON string; every byte outside printable ASCII escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_one(FILE *f, const struct vpci_dev *d)
{
	const struct vpci_ident *id = &d->ident;

	fprintf(f, "  {\n    \"address\": ");
	json_str(f, d->addr);
	fprintf(f,
		",\n    \"kind\": \"%s\",\n    \"vendor_id\": \"%04x\", \"device_id\": \"%04x\",\n"
		"    \"subsystem_vendor_id\": \"%04x\", \"subsystem_id\": \"%04x\",\n"
		"    \"class\": \"%06x\", \"revision\": %u,\n    \"driver\": ",
		kind_name(d->kind), d->vendor, d->device, d->subvendor, d->subdevice, d->class_code,
		d->revision);
	if (d->driver[0])
		json_str(f, d->driver);
	else
		fputs("null", f);
	fprintf(f, ",\n    \"iommu_group\": ");
	if (d->iommu_group >= 0)
		fprintf(f, "%d", d->iommu_group);
	else
		fputs("null", f);
	fprintf(f,
		",\n    \"bar\": %d, \"bar_phys\": \"0x%" PRIx64 "\", \"bar_size\": %" PRIu64
		", \"bar0_len\": %" PRIu64 ",\n    \"resource\": ",
		d->bar, d->bar_phys, d->bar_size, d->bar0_len);
	json_str(f, d->resource);
	if (d->have_emu) {
		const struct vpci_emu *e = &d->emu;

		fprintf(f,
			",\n    \"link_page\": {\"vendor_id\": \"%04x\", \"device_id\": \"%04x\", "
			"\"subsystem_vendor_id\": \"%04x\", \"subsystem_id\": \"%04x\", "
			"\"class\": \"%06x\", \"revision\": %u, \"bar0_size\": %u, "
			"\"wire_valid\": %s, \"host_peer_id\": ",
			e->vendor, e->device, e->subvendor, e->subdevice, e->class_rev >> 8,
			e->class_rev & 0xff, e->bar0_size, e->wire_valid ? "true" : "false");
		if (e->wire_valid && e->host_peer_id != VMSG_EMU_NO_PEER)
			fprintf(f, "%u", e->host_peer_id);
		else
			fputs("null", f);
		fprintf(f, ", \"host_generation\": %u, \"card_connected\": %s}", e->host_generation,
			e->wire_valid && e->card_connected == 1 ? "true" : "false");
	}
	if (!d->have_ident) {
		fprintf(f, ",\n    \"identity\": null,\n    \"error\": ");
		json_str(f, d->error[0] ? d->error : "unknown");
		fprintf(f, "\n  }");
		return;
	}
	fprintf(f,
		",\n    \"identity_source\": \"%s\",\n    \"identity\": {\n      \"magic\": "
		"\"0x%08x\", \"version\": \"%u.%u\", "
		"\"transport_rev\": %u,\n      \"link_state\": \"%s\", \"link_state_value\": %u, "
		"\"epoch\": %u, \"attach_error\": %u, \"heartbeat\": %u,\n"
		"      \"card_features\": \"0x%x\", \"card_feature_names\": [",
		strcmp(d->source, "BAR") ? "vmsg_pci debugfs" : "BAR", id->magic, id->version >> 16,
		id->version & 0xffff, id->transport_rev, link_name(id->link_state), id->link_state,
		id->epoch, id->attach_error, id->heartbeat, id->card_features);
	print_features(f, id->card_features, true);
	fprintf(
	    f,
	    "],\n      \"dma_addr_bits\": %u, \"max_msg_size\": %u, \"num_doorbells\": %u, "
	    "\"num_vectors\": %u,\n      \"h2c_ring_offset\": \"0x%x\", \"h2c_ring_size\": %u, ",
	    id->dma_addr_bits, id->max_msg_size, id->num_doorbells, id->num_vectors,
	    id->h2c_ring_offset, id->h2c_ring_size);
	if (id->ring_read && id->ring_magic == VMSG_RING_MAGIC)
		fprintf(f, "\"h2c_slots\": %u, \"h2c_slot_size\": %u, ", id->ring_slot_count,
			id->ring_slot_size);
	else
		fprintf(f, "\"h2c_slots\": null, \"h2c_slot_size\": null, ");
	fprintf(f,
		"\"c2h_cons_offset\": \"0x%x\", \"host_area_min\": %u,\n"
		"      \"host_features\": \"0x%x\", \"irq_mode\": %u, \"host_epoch\": %u,\n"
		"      \"counters\": {",
		id->c2h_cons_offset, id->host_area_min, id->host_features, id->irq_mode,
		id->host_epoch);
	for (unsigned int i = 0; i < 8; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", cnt_names[i], id->cnt[i]);
	fprintf(f, "},\n      \"problems\": [");
	for (unsigned int i = 0; i < id->nproblems; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, id->problem[i]);
	}
	fprintf(f, "]\n    }\n  }");
}

void vpci_print_json(FILE *f, const struct vpci_dev *devs, unsigned int n)
{
	fputs("[", f);
	for (unsigned int i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		json_one(f, &devs[i]);
	}
	fputs(n ? "\n]\n" : "]\n", f);
}
