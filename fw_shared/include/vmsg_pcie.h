/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_pcie.h - the virtio-msg PCIe binding ABI, version 1.1.
 *
 * docs/pcie-binding.md is the normative text; where this header and the
 * document disagree, the document wins and this header is the bug.
 *
 * One PCI function is one virtio-msg bus instance. BAR0 holds the control
 * registers, the doorbells and the host-to-card (h2c) message ring. The
 * card-to-host (c2h) ring lives in host memory (the "host area", a DMA
 * buffer the host allocates) so that every write that crosses the link is
 * a posted write into memory local to its reader; a BAR-only fallback keeps
 * both rings in BAR0 for cards without outbound access.
 */
#ifndef VMSG_PCIE_H
#define VMSG_PCIE_H

#include "vmsg_types.h"
#include "virtio_msg.h"

/* ---- Discovery: the one place the ids live ---- */
/* Not a PCI-SIG assigned vendor (checked against pci.ids by the tests). */
#define VMSG_PCIE_VENDOR_ID	   0x766du
#define VMSG_PCIE_DEVICE_ID	   0x0001u
#define VMSG_PCIE_SUBSYS_VENDOR_ID 0x766du
#define VMSG_PCIE_SUBSYS_ID	   0x0001u
#define VMSG_PCIE_CLASS		   0xff0000u /* unassigned class: no stock driver binds */

/*
 * [DISC-3] The id table, the one rule for "this function is a card": the
 * binding's vendor and device ids (any subsystem), or any vendor and device
 * with the binding's subsystem ids and class. The host driver builds its PCI
 * id table from it, and every probe (the driver's emulated link page check,
 * the vmsg-pci tool) matches with vmsg_pcie_card_ids_match().
 * X(vendor, device, subsystem vendor, subsystem, class, class mask);
 * VMSG_PCIE_ANY_ID matches any value (the value of the kernel's PCI_ANY_ID).
 */
#define VMSG_PCIE_ANY_ID 0xffffffffu
#define VMSG_PCIE_CARD_IDS(X)                                                                      \
	X(VMSG_PCIE_VENDOR_ID, VMSG_PCIE_DEVICE_ID, VMSG_PCIE_ANY_ID, VMSG_PCIE_ANY_ID, 0u, 0u)    \
	X(VMSG_PCIE_ANY_ID, VMSG_PCIE_ANY_ID, VMSG_PCIE_SUBSYS_VENDOR_ID, VMSG_PCIE_SUBSYS_ID,     \
	  VMSG_PCIE_CLASS, 0xffffffu)

struct vmsg_pcie_id {
	uint32_t vendor, device, subvendor, subdevice;
	uint32_t class_code, class_mask; /* class code: base << 16 | sub << 8 | prog-if */
};

/* Does the function (class_code: 24 bits, as above) match the id table? */
static inline bool vmsg_pcie_card_ids_match(uint16_t vendor, uint16_t device, uint16_t subvendor,
					    uint16_t subdevice, uint32_t class_code)
{
#define VMSG_PCIE_ID_ENTRY_(v, d, sv, sd, c, cm) {v, d, sv, sd, c, cm},
#define VMSG_PCIE_ID_END_                                                                          \
	{                                                                                          \
		0                                                                                  \
	} /* no vendor rule, no subsystem rule */
	static const struct vmsg_pcie_id ids[] = {VMSG_PCIE_CARD_IDS(VMSG_PCIE_ID_ENTRY_)
						      VMSG_PCIE_ID_END_};
#undef VMSG_PCIE_ID_ENTRY_
#undef VMSG_PCIE_ID_END_
	const struct vmsg_pcie_id *id;

	for (id = ids; id->vendor || id->subvendor; id++) {
		if ((id->vendor == VMSG_PCIE_ANY_ID || id->vendor == vendor) &&
		    (id->device == VMSG_PCIE_ANY_ID || id->device == device) &&
		    (id->subvendor == VMSG_PCIE_ANY_ID || id->subvendor == subvendor) &&
		    (id->subdevice == VMSG_PCIE_ANY_ID || id->subdevice == subdevice) &&
		    !((id->class_code ^ class_code) & id->class_mask))
			return true;
	}
	return false;
}

/* The emulated link is QEMU's ivshmem-doorbell; it is claimed only when BAR
 * memory carries VMSG_PCIE_MAGIC (see docs/pcie-binding.md, Emulated link).
 */
#define VMSG_EMU_VENDOR_ID 0x1af4u
#define VMSG_EMU_DEVICE_ID 0x1110u
#define VMSG_EMU_SHMEM_BAR 2u /* ivshmem: BAR0 regs, BAR1 MSI-X, BAR2 memory */
/* ivshmem BAR0 registers the host uses, and the card's ivshmem peer id: the
 * host rings card doorbell i by writing (VMSG_EMU_CARD_PEER_ID << 16 | i) to
 * VMSG_EMU_REG_DOORBELL, after writing doorbell[i] in the control block.
 */
#define VMSG_EMU_REG_IVPOSITION 0x08u
#define VMSG_EMU_REG_DOORBELL	0x0cu
#define VMSG_EMU_CARD_PEER_ID	0u

/*
 * [EMU-7] The emulated link page: the last VMSG_EMU_PAGE_SIZE bytes of
 * ivshmem BAR 2 are not part of BAR0. Its first half is the card's
 * "configuration header" (what an endpoint controller would put in config
 * space: the ids the EPF wrote with pci_epc_write_header, or the soft card's
 * defaults); the host's emulated-link probe matches those ids against the
 * same id table it uses for real functions. Its second half is written by
 * the ivshmem server (the "wire"): which peer is the host and a generation
 * that changes whenever the host peer connects or leaves (link up/down).
 * The binding's BAR0 is the start of BAR 2, bar0_size bytes long.
 */
#define VMSG_EMU_PAGE_SIZE    0x1000u
#define VMSG_EMU_HDR_MAGIC    0x52484556u /* "VEHR": header valid */
#define VMSG_EMU_WIRE_MAGIC   0x52495756u /* "VWIR": wire section valid */
#define VMSG_EMU_PAGE_VERSION 1u
#define VMSG_EMU_NO_PEER      0xffffffffu

struct vmsg_emu_page {
	/* 0x000: written by the card; magic last, after the fields */
	vmsg_le32 hdr_magic;   /* VMSG_EMU_HDR_MAGIC, 0 while invalid */
	vmsg_le32 hdr_version; /* VMSG_EMU_PAGE_VERSION */
	vmsg_le16 vendor_id;
	vmsg_le16 device_id;
	vmsg_le16 subsys_vendor_id;
	vmsg_le16 subsys_id;
	vmsg_le32 class_rev;	/* class code << 8 | revision id */
	vmsg_le32 bar0_size;	/* bytes; <= BAR 2 length - VMSG_EMU_PAGE_SIZE */
	vmsg_le32 card_peer_id; /* the card's ivshmem id (VMSG_EMU_CARD_PEER_ID) */
	vmsg_le32 hdr_reserved[9];
	/* 0x040: written by the ivshmem server only */
	vmsg_le32 wire_magic;	   /* VMSG_EMU_WIRE_MAGIC */
	vmsg_le32 wire_version;	   /* VMSG_EMU_PAGE_VERSION */
	vmsg_le32 host_peer_id;	   /* ivshmem id of the host peer, VMSG_EMU_NO_PEER if none */
	vmsg_le32 host_generation; /* +1 on every host connect and disconnect */
	vmsg_le32 card_connected;  /* 1 while peer VMSG_EMU_CARD_PEER_ID is connected */
	vmsg_le32 wire_reserved[11];
	uint8_t reserved[VMSG_EMU_PAGE_SIZE - 0x80];
} VMSG_PACKED;

VMSG_STATIC_ASSERT(sizeof(struct vmsg_emu_page) == VMSG_EMU_PAGE_SIZE, "emu page");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_emu_page, wire_magic) == 0x40, "emu wire");

/* ---- Versions and limits ---- */
#define VMSG_PCIE_MAGIC		       0x47534d56u /* "VMSG" little-endian */
#define VMSG_PCIE_VERSION_MAJOR	       1u
#define VMSG_PCIE_VERSION_MINOR	       1u /* 1.1: optional OOB_NOTIFY (7.5) */
#define VMSG_PCIE_VERSION	       ((VMSG_PCIE_VERSION_MAJOR << 16) | VMSG_PCIE_VERSION_MINOR)
#define VMSG_PCIE_VERSION_GET_MAJOR(v) ((uint32_t)(v) >> 16)

#define VMSG_PCIE_MAX_MSG_SIZE VIRTIO_MSG_REC_MAX_SIZE /* 264 */
/* Smallest max_msg_size the binding allows: SET_VQUEUE request and
 * GET_VQUEUE response are 8 + 40 bytes (docs errata E-1; v1 says 44).
 */
#define VMSG_PCIE_MIN_MSG_SIZE 48u
/* Range of dma_addr_bits a card may publish (a host refuses others). */
#define VMSG_PCIE_DMA_ADDR_BITS_MIN 32u
#define VMSG_PCIE_DMA_ADDR_BITS_MAX 64u
#define VMSG_PCIE_REGS_SIZE	    0x1000u  /* control block */
#define VMSG_PCIE_BAR0_MIN_SIZE	    0x10000u /* 64 KiB */
#define VMSG_PCIE_MAX_DOORBELLS	    32u
#define VMSG_PCIE_MAX_VECTORS	    32u

/* ---- Binding feature bits (card_features / host_features) ---- */
#define VMSG_PCIE_F_C2H_HOST_MEM (1u << 0) /* c2h ring in host memory */
#define VMSG_PCIE_F_MSIX	 (1u << 1) /* card can raise MSI-X */
#define VMSG_PCIE_F_MSI		 (1u << 2) /* card can raise MSI */
#define VMSG_PCIE_F_ERROR_MSG	 (1u << 3) /* card answers undeliverable requests */
#define VMSG_PCIE_F_OOB_NOTIFY	 (1u << 4) /* 1.1: per-queue doorbells and vectors (7.5) */
#define VMSG_PCIE_F_DMA_ENGINE	 (1u << 5) /* informational: card copies by DMA */
#define VMSG_PCIE_F_KNOWN_1_0                                                                      \
	(VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI | VMSG_PCIE_F_ERROR_MSG |   \
	 VMSG_PCIE_F_DMA_ENGINE)
/* Bits a 1.1 implementation may negotiate: 1.0's and OOB_NOTIFY. */
#define VMSG_PCIE_F_KNOWN_1_1 (VMSG_PCIE_F_KNOWN_1_0 | VMSG_PCIE_F_OOB_NOTIFY)

/* ---- Link states (BAR0 link_state, written by the card) ---- */
enum vmsg_link_state {
	VMSG_LINK_INIT = 0,	 /* card not ready: registers not valid yet */
	VMSG_LINK_READY = 1,	 /* card ready, waiting for the host to attach */
	VMSG_LINK_RUN = 2,	 /* attached: rings live for the current epoch */
	VMSG_LINK_SHUTDOWN = 3,	 /* card going away cleanly */
	VMSG_LINK_PEER_DEAD = 4, /* local view only: the peer stopped answering */
};

/* host_ctrl values (written by the host). */
#define VMSG_HOST_CTRL_NONE   0u
#define VMSG_HOST_CTRL_ATTACH 1u
#define VMSG_HOST_CTRL_DETACH 2u

/* irq_mode values (written by the host before ATTACH). */
#define VMSG_IRQ_POLL 0u
#define VMSG_IRQ_MSIX 1u
#define VMSG_IRQ_MSI  2u

/* attach_error values (written by the card for every ATTACH it handles). */
#define VMSG_ATTACH_OK	      0u
#define VMSG_ATTACH_EFEATURES 1u /* host_features not a subset of card_features */
#define VMSG_ATTACH_EEPOCH    2u /* host_epoch does not match epoch */
#define VMSG_ATTACH_EAREA     3u /* host area address/size unusable */
#define VMSG_ATTACH_EIRQ      4u /* irq_mode or vector map unusable */
#define VMSG_ATTACH_EVERSION  5u /* host_version major differs */

/* Names of the wire values above, for logs and counters (NULL if unknown). */
static inline const char *vmsg_link_state_str(uint32_t s)
{
	switch (s) {
	case VMSG_LINK_INIT:
		return "INIT";
	case VMSG_LINK_READY:
		return "READY";
	case VMSG_LINK_RUN:
		return "RUN";
	case VMSG_LINK_SHUTDOWN:
		return "SHUTDOWN";
	case VMSG_LINK_PEER_DEAD:
		return "PEER_DEAD";
	default:
		return NULL;
	}
}

static inline const char *vmsg_attach_error_str(uint32_t e)
{
	switch (e) {
	case VMSG_ATTACH_OK:
		return "OK";
	case VMSG_ATTACH_EFEATURES:
		return "EFEATURES (host_features not a subset of card_features)";
	case VMSG_ATTACH_EEPOCH:
		return "EEPOCH (host_epoch does not match epoch)";
	case VMSG_ATTACH_EAREA:
		return "EAREA (host area address/size unusable)";
	case VMSG_ATTACH_EIRQ:
		return "EIRQ (irq_mode or vector unusable)";
	case VMSG_ATTACH_EVERSION:
		return "EVERSION (host_version major differs)";
	default:
		return NULL;
	}
}

/* Doorbell indices (BAR0 doorbell[]). */
#define VMSG_DB_H2C  0u /* host posted messages into the h2c ring */
#define VMSG_DB_CTRL 1u /* host wrote host_ctrl */

/*
 * ---- Out-of-band notifications (OOB_NOTIFY, docs/pcie-binding.md 7.5) ----
 * Doorbell n (VMSG_OOB_DB_FIRST <= n < num_doorbells) notifies the queue
 * that host-written oob_map[n] names; its vector replaces the queue's
 * in-band EVENT_USED. The one place the layout lives.
 */
#define VMSG_OOB_DB_FIRST  2u	   /* doorbells below are VMSG_DB_H2C, VMSG_DB_CTRL */
#define VMSG_OOB_VEC_NONE  0xffffu /* in-band EVENT_USED for the queue */
#define VMSG_OOB_MAP_COUNT VMSG_PCIE_MAX_DOORBELLS

struct vmsg_pcie_oob_entry {
	vmsg_le16 dev_num; /* 0: entry unused */
	vmsg_le16 queue;   /* virtqueue index */
	vmsg_le16 vector;  /* vector for used buffers, or VMSG_OOB_VEC_NONE */
	vmsg_le16 reserved;
} VMSG_PACKED;
VMSG_STATIC_ASSERT(sizeof(struct vmsg_pcie_oob_entry) == 8, "oob entry");

/*
 * The vector the card may raise for a queue whose entry says vec ([OOB-4]):
 * vec itself if usable, else VMSG_OOB_VEC_NONE (in-band). irq_mode POLL,
 * vec at or above the vectors both sides have, or vec_c2h: NONE.
 */
static inline uint32_t vmsg_oob_vector_ok(uint32_t vec, uint32_t irq_mode, uint32_t host_vectors,
					  uint32_t num_vectors, uint32_t vec_c2h)
{
	uint32_t lim = host_vectors < num_vectors ? host_vectors : num_vectors;

	if (irq_mode == VMSG_IRQ_POLL || vec >= lim || vec == vec_c2h)
		return VMSG_OOB_VEC_NONE;
	return vec;
}

/* Is n a doorbell that can carry a queue ([OOB-5])? */
static inline bool vmsg_oob_db_ok(uint32_t n, uint32_t num_doorbells)
{
	return n >= VMSG_OOB_DB_FIRST && n < num_doorbells && n < VMSG_PCIE_MAX_DOORBELLS;
}

/* [EMU-4]: the ivshmem vector that carries doorbell n on the emulated link. */
static inline uint32_t vmsg_emu_db_vector(uint32_t n, uint32_t num_vectors)
{
	return n < num_vectors ? n : VMSG_DB_H2C;
}

/* ---- BAR0 control block (offset 0, VMSG_PCIE_REGS_SIZE bytes) ---- */
struct vmsg_pcie_regs {
	/* 0x000: identity, card-written, read-only for the host */
	vmsg_le32 magic;	 /* VMSG_PCIE_MAGIC */
	vmsg_le32 version;	 /* VMSG_PCIE_VERSION */
	vmsg_le32 transport_rev; /* virtio-msg revision (1) */
	vmsg_le32 max_msg_size;	 /* bytes, header included, 48..264 */
	vmsg_le32 card_features; /* VMSG_PCIE_F_* offered */
	vmsg_le32 dma_addr_bits; /* host addresses the card can reach: < 2^bits, 32..64 */
	vmsg_le32 num_doorbells; /* implemented doorbell registers */
	vmsg_le32 num_vectors;	 /* MSI-X (or MSI) vectors the card can raise */
	/* 0x020: link, card-written */
	vmsg_le32 link_state;	/* enum vmsg_link_state */
	vmsg_le32 epoch;	/* non-zero, new on every entry into READY */
	vmsg_le32 attach_error; /* VMSG_ATTACH_* outcome of the last ATTACH */
	vmsg_le32 heartbeat;	/* incremented by the card while it runs */
	/* 0x030: ring geometry, card-written */
	vmsg_le32 h2c_ring_offset; /* BAR0 offset of the h2c ring */
	vmsg_le32 h2c_ring_size;   /* bytes */
	vmsg_le32 c2h_cons_offset; /* BAR0 offset of the c2h consumer index line */
	vmsg_le32 c2h_bar_offset;  /* BAR-only fallback: BAR0 offset of the c2h ring */
	vmsg_le32 c2h_bar_size;	   /* BAR-only fallback: bytes (0 if absent) */
	vmsg_le32 host_area_min;   /* minimum host area size the card accepts */
	vmsg_le32 reserved0[2];
	/* 0x050: host-written before ATTACH */
	vmsg_le32 host_version;	  /* VMSG_PCIE_VERSION the host implements */
	vmsg_le32 host_features;  /* subset of card_features */
	vmsg_le64 host_area_addr; /* host DMA address of the host area */
	vmsg_le32 host_area_size; /* bytes */
	vmsg_le32 irq_mode;	  /* VMSG_IRQ_* */
	vmsg_le32 vec_c2h;	  /* vector raised for c2h ring traffic and link changes */
	vmsg_le32 host_epoch;	  /* the epoch the host attaches to */
	vmsg_le32 host_ctrl;	  /* VMSG_HOST_CTRL_*: written last; card acks with NONE */
	vmsg_le32 host_vectors;	  /* OOB_NOTIFY: vectors the host enabled ([OOB-2]) */
	vmsg_le32 reserved1[2];
	/* 0x080: card counters (card-written, informational, wrap) */
	vmsg_le64 cnt_rx_msgs;
	vmsg_le64 cnt_tx_msgs;
	vmsg_le64 cnt_drop_malformed;
	vmsg_le64 cnt_drop_stale;
	vmsg_le64 cnt_drop_no_device;
	vmsg_le64 cnt_ring_full;
	vmsg_le64 cnt_irqs;
	vmsg_le64 cnt_doorbells;
	/* 0x0c0 */
	vmsg_le32 reserved2[16];
	/* 0x100: doorbells, host-written (h2c: new producer index; ctrl: command count) */
	vmsg_le32 doorbell[VMSG_PCIE_MAX_DOORBELLS];
	/* 0x180 */
	vmsg_le32 reserved2b[32];
	/* 0x200: OOB_NOTIFY queue map, host-written, entry n = doorbell n */
	struct vmsg_pcie_oob_entry oob_map[VMSG_OOB_MAP_COUNT];
	/* 0x300: reserved, reads as zero, except the host-written c2h consumer
	 * index line at c2h_cons_offset (default VMSG_BAR0_C2H_CONS_OFFSET).
	 */
	uint8_t reserved3[VMSG_PCIE_REGS_SIZE - 0x300];
} VMSG_PACKED;

VMSG_STATIC_ASSERT(sizeof(struct vmsg_pcie_regs) == VMSG_PCIE_REGS_SIZE, "regs");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, link_state) == 0x20, "link");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, h2c_ring_offset) == 0x30, "ring");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, host_version) == 0x50, "host");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, host_ctrl) == 0x70, "ctrl");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, cnt_rx_msgs) == 0x80, "cnt");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, doorbell) == 0x100, "db");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, host_vectors) == 0x74, "host vectors");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, oob_map) == 0x200, "oob map");
VMSG_STATIC_ASSERT(offsetof(struct vmsg_pcie_regs, reserved3) == 0x300, "reserved3");

/* ---- Rings ----
 *
 * A ring is self-describing: a 64-byte header, then the producer index line,
 * then the consumer index line, then slot_count slots of slot_size bytes.
 * Each index is a free-running 32-bit counter on its own 64-byte line.
 * The producer index line lives with the slots (memory local to the
 * consumer); the consumer's index is written by the consumer into the line
 * named by the binding (memory local to the producer):
 *   h2c ring: slots + prod in BAR0; consumer index at host area
 *             VMSG_HOST_AREA_H2C_CONS_OFFSET (the line inside the ring is unused).
 *   c2h ring: slots + prod in the host area; consumer index at BAR0
 *             c2h_cons_offset.
 */
#define VMSG_RING_MAGIC		    0x474e5256u /* "VRNG" */
#define VMSG_RING_VERSION	    1u
#define VMSG_RING_LINE		    64u
#define VMSG_RING_HDR_SIZE	    (3u * VMSG_RING_LINE) /* header + prod + cons lines */
#define VMSG_RING_SLOT_ALIGN	    64u
#define VMSG_RING_MIN_SLOTS	    2u
#define VMSG_RING_MAX_SLOTS	    4096u
#define VMSG_RING_MAX_SLOT_SIZE	    4096u
#define VMSG_RING_DEFAULT_SLOTS	    64u
#define VMSG_RING_DEFAULT_SLOT_SIZE 320u /* 8 framing + 264 message, 64-aligned */

struct vmsg_ring_hdr {
	vmsg_le32 magic;	/* VMSG_RING_MAGIC */
	vmsg_le16 version;	/* VMSG_RING_VERSION */
	vmsg_le16 hdr_size;	/* bytes before the first slot (VMSG_RING_HDR_SIZE) */
	vmsg_le32 slot_size;	/* multiple of 64, >= 8 + max_msg_size */
	vmsg_le32 slot_count;	/* power of two, MIN..MAX_SLOTS */
	vmsg_le32 prod_offset;	/* from ring start: VMSG_RING_LINE */
	vmsg_le32 cons_offset;	/* from ring start: 2 * VMSG_RING_LINE */
	vmsg_le32 slots_offset; /* from ring start: VMSG_RING_HDR_SIZE */
	vmsg_le32 flags;	/* reserved, 0 */
	uint8_t reserved[32];
} VMSG_PACKED;

/* An index line: one free-running counter alone on a cache line. */
struct vmsg_ring_idx {
	vmsg_le32 idx;
	vmsg_le32 flags; /* consumer line: VMSG_RING_F_NEED_NOTIFY */
	uint8_t pad[VMSG_RING_LINE - 8];
} VMSG_PACKED;

/* Consumer sets it before it sleeps; the producer then sends a doorbell
 * (h2c) or an interrupt (c2h). Cleared while the consumer polls.
 */
#define VMSG_RING_F_NEED_NOTIFY 0x1u

/* Every slot starts with this framing, then the virtio-msg message. */
struct vmsg_slot_hdr {
	vmsg_le16 len;	 /* message bytes that follow, <= slot_size - 8 */
	vmsg_le16 flags; /* reserved, 0 */
	vmsg_le32 epoch; /* link epoch the message belongs to */
} VMSG_PACKED;

#define VMSG_RING_BYTES(slot_size, slot_count)                                                     \
	(VMSG_RING_HDR_SIZE + (uint32_t)(slot_size) * (uint32_t)(slot_count))

VMSG_STATIC_ASSERT(sizeof(struct vmsg_ring_hdr) == VMSG_RING_LINE, "ring hdr");
VMSG_STATIC_ASSERT(sizeof(struct vmsg_ring_idx) == VMSG_RING_LINE, "ring idx");
VMSG_STATIC_ASSERT(sizeof(struct vmsg_slot_hdr) == 8, "slot hdr");

/* ---- Default BAR0 layout (the card publishes the real offsets) ---- */
#define VMSG_BAR0_H2C_RING_OFFSET VMSG_PCIE_REGS_SIZE /* 0x1000 */
#define VMSG_BAR0_C2H_CONS_OFFSET 0x0f00u	      /* inside the control page, 64-aligned */

/* ---- Host area (host DMA memory the card writes) ---- */
#define VMSG_HOST_AREA_H2C_CONS_OFFSET 0u    /* h2c consumer index line */
#define VMSG_HOST_AREA_C2H_RING_OFFSET 0x40u /* c2h ring */
#define VMSG_HOST_AREA_ALIGN	       4096u

/* ---- Bus-specific messages (bus ids 0x80-0xBF) ---- */
/*
 * ERROR: the card's answer to a request it cannot deliver (no such device,
 * device removed, card shutting down). Sent as a bus response (type =
 * RESPONSE | BUS) carrying the failed request's token; dev_num is 0.
 * Malformed messages are never answered: they are dropped and counted.
 */
#define VMSG_PCIE_BUS_MSG_ERROR 0x80u

struct vmsg_pcie_bus_msg_error {
	uint8_t req_type;      /* type byte of the failed request */
	uint8_t req_msg_id;    /* msg_id of the failed request */
	vmsg_le16 req_dev_num; /* dev_num of the failed request */
	vmsg_le16 error;       /* VMSG_PCIE_ERR_* */
	vmsg_le16 reserved;    /* 0 */
} VMSG_PACKED;
VMSG_STATIC_ASSERT(sizeof(struct vmsg_pcie_bus_msg_error) == 8, "bus err");

#define VMSG_PCIE_ERR_NO_DEVICE	  1u /* dev_num unknown or removed */
#define VMSG_PCIE_ERR_SHUTDOWN	  2u /* card is shutting down */
#define VMSG_PCIE_ERR_UNSUPPORTED 3u /* reserved: a 1.0 card does not send it */
#define VMSG_PCIE_ERR_BUSY	  4u /* reserved: a 1.0 card does not send it */

/* ---- Timeouts the binding recommends (milliseconds) ---- */
#define VMSG_PCIE_ATTACH_TIMEOUT_MS  5000u /* ATTACH until link_state RUN */
#define VMSG_PCIE_REQUEST_TIMEOUT_MS 2000u /* one request until its response */
#define VMSG_PCIE_RESET_TIMEOUT_MS   5000u /* SET_DEVICE_STATUS(0) until status 0 */
#define VMSG_PCIE_PING_INTERVAL_MS   500u  /* liveness PING period */
#define VMSG_PCIE_PING_MISSES	     3u	   /* missed PINGs before PEER_DEAD */
/* The card re-checks host_ctrl, the h2c ring and a pending c2h interrupt at
 * least this often while RUN; a polling host polls at least this often.
 */
#define VMSG_PCIE_NOTIFY_RECHECK_MS 100u
/* SET_CONFIG attempts (first + retries after a generation mismatch). */
#define VMSG_PCIE_SET_CONFIG_TRIES 3u

#endif /* VMSG_PCIE_H */
