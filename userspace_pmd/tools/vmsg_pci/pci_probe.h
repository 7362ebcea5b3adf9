/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * pci_probe.h - what vmsg-pci reads from a function's BAR, without libpci:
 * the emulated link page ([EMU-7]) and the BAR0 control block (the binding
 * identity), read through a read-only mapping of a file (sysfs resourceN,
 * or a crafted file in the unit test), and their text and JSON forms.
 * Every value read from a BAR is the card's (or anyone's) and is checked
 * before it is used as an offset or a size.
 */
#ifndef VMSG_PCI_PROBE_H
#define VMSG_PCI_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VPCI_MAX_PROBLEMS 12
#define VPCI_PROBLEM_LEN  112

enum vpci_kind {
	VPCI_KIND_CARD, /* the binding's ids: BAR 0 is the binding's BAR0 */
	VPCI_KIND_EMU,	/* QEMU ivshmem whose BAR 2 carries the emulated link */
};

/* The card's header and the server's wire section of the link page. */
struct vpci_emu {
	uint32_t hdr_magic, hdr_version;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_rev, bar0_size, card_peer_id;
	bool wire_valid;
	uint32_t host_peer_id, host_generation, card_connected;
};

/* The BAR0 control block, as read (each field once, 32 bits at a time). */
struct vpci_ident {
	uint32_t magic, version, transport_rev, max_msg_size, card_features, dma_addr_bits;
	uint32_t num_doorbells, num_vectors;
	uint32_t link_state, epoch, attach_error, heartbeat;
	uint32_t h2c_ring_offset, h2c_ring_size, c2h_cons_offset, c2h_bar_offset, c2h_bar_size;
	uint32_t host_area_min;
	uint32_t host_version, host_features, irq_mode, host_epoch;
	uint64_t cnt[8]; /* cnt_rx_msgs .. cnt_doorbells, in BAR0 order */
	bool ring_read;	 /* the h2c ring header was inside BAR0 and read */
	uint32_t ring_magic, ring_slot_size, ring_slot_count;
	unsigned int nproblems; /* values the host would refuse, described */
	char problem[VPCI_MAX_PROBLEMS][VPCI_PROBLEM_LEN];
};

struct vpci_dev {
	char addr[16]; /* dddd:bb:dd.f */
	enum vpci_kind kind;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_code; /* base << 16 | sub << 8 | prog-if */
	uint8_t revision;
	char driver[64]; /* "" when no driver is bound */
	int iommu_group; /* -1 when none or unknown */
	int bar;	 /* BAR holding the binding's BAR0: 0, or 2 (emulated) */
	uint64_t bar_phys, bar_size;
	uint64_t bar0_len; /* the binding's BAR0 length (emulated: from the page) */
	char resource[160];
	bool have_emu;
	struct vpci_emu emu;
	bool have_ident;
	struct vpci_ident ident;
	char source[24]; /* where the identity was read: "BAR", "vmsg_pci debugfs" */
	char error[256]; /* why the identity could not be read; "" if read */
	int map_errno;	 /* errno of a failed open or mmap of the resource file */
};

/* Result of vpci_probe_file(). */
enum vpci_probe {
	VPCI_PROBE_OK,	     /* identity read (it may still list problems) */
	VPCI_PROBE_NOT_OURS, /* emulated candidate without a valid link page or magic */
	VPCI_PROBE_ERROR,    /* the BAR could not be read: d->error says why */
};

/*
 * Read the function's BAR from path (sysfs resourceN; its length is
 * d->bar_size): for VPCI_KIND_EMU first the link page, under the host
 * driver's rule (vp_emu_page(): header magic and version, ids in the id
 * table, a BAR0 of at least VMSG_PCIE_BAR0_MIN_SIZE), then for both kinds
 * the control block (magic and major version, then every field). Fills
 * d->emu, d->ident, d->bar0_len; why_not (may be NULL) gets the reason of
 * VPCI_PROBE_NOT_OURS.
 */
enum vpci_probe vpci_probe_file(const char *path, struct vpci_dev *d, char *why_not,
				size_t why_len);

/*
 * The identity from the host driver's copy of the control block
 * (/sys/kernel/debug/vmsg_pci/ADDR/regs: its first VPCI_DRIVER_REGS_SIZE
 * bytes, read live by vmsg_pci), for a BAR the driver holds (a kernel with
 * CONFIG_IO_STRICT_DEVMEM refuses user mappings of it). bar0_len bounds the
 * offsets checked; the h2c ring header is not read.
 */
#define VPCI_DRIVER_REGS_SIZE 0x100u
enum vpci_probe vpci_probe_regs_file(const char *path, struct vpci_dev *d, uint64_t bar0_len);

/* The same from memory already mapped (len bytes of the BAR at bar). */
enum vpci_probe vpci_probe_mem(const volatile void *bar, uint64_t len, struct vpci_dev *d,
			       char *why_not, size_t why_len);

const char *vpci_driver_name(const struct vpci_dev *d); /* "none" if unbound */

void vpci_print_text(FILE *f, const struct vpci_dev *d);
/* One JSON array of every device in devs. */
void vpci_print_json(FILE *f, const struct vpci_dev *devs, unsigned int n);

#endif /* VMSG_PCI_PROBE_H */
