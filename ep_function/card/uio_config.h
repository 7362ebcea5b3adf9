/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * uio_config.h - platform uio's configuration file (uio_config.c): the
 * physical address map of a fixed-function PCIe bridge (BAR0 memory,
 * outbound window, interrupt trigger register, doorbells), parsed and
 * validated with errors naming FILE:LINE. The format is documented in
 * ep_function/card/README.md ("The uio platform") and docs/bringup-versal.md.
 *
 * Also here, so that it can be tested without a UIO device: finding the
 * UIO map (/sys/class/uio/uioN/maps/mapM) that holds a physical range.
 */
#ifndef UIO_CONFIG_H
#define UIO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UIO_CFG_MAX_FILE     (64u * 1024u)
#define UIO_CFG_MAX_LINE     256u
#define UIO_CFG_PAGE	     4096u /* every region is aligned to this */
#define UIO_CFG_MAX_VECTORS  32u
#define UIO_CFG_DEFAULT_POLL 1000u /* doorbell.poll_us */
#define UIO_CFG_MAX_BAR0     (1ull << 30)

enum uio_map_mode { UIO_MAP_DEVMEM, UIO_MAP_UIO };
enum uio_db_mode { UIO_DB_POLL, UIO_DB_INTERRUPT };
enum uio_irq_type { UIO_IRQ_MSIX, UIO_IRQ_MSI };

struct uio_config {
	char path[256];	       /* the file, for messages */
	enum uio_map_mode map; /* map = devmem | uio */
	char uio_dev[64];      /* uio = /dev/uioN, "" if none */
	uint64_t bar0_phys;    /* bar0.phys */
	uint64_t bar0_size;    /* bar0.size: power of two, 64 KiB .. 1 GiB */
	enum uio_db_mode db;   /* doorbell = poll | interrupt */
	uint32_t poll_us;      /* doorbell.poll_us (poll) */
	bool db_reenable;      /* doorbell.reenable (interrupt): write 1 after read */
	bool db_ack;	       /* doorbell.ack_reg given */
	uint64_t db_ack_reg;   /* doorbell.ack_reg: 32-bit register written after an interrupt */
	uint32_t db_ack_value; /* doorbell.ack_value */
	uint64_t win_phys;     /* window.phys: the outbound window, card physical */
	uint64_t win_size;     /* window.size */
	uint64_t win_pci_base; /* window.pci_base: host PCI address at win_phys */
	enum uio_irq_type irq_type;		 /* irq.type = msix | msi */
	uint64_t irq_reg;			 /* irq.reg: 32-bit trigger register */
	uint32_t vectors;			 /* irq.vectors, 1..32 */
	uint32_t irq_value[UIO_CFG_MAX_VECTORS]; /* written for vector v */
	uint32_t dma_addr_bits;			 /* dma_addr_bits, 0: not given */
};

/* Parse text (len bytes, the contents of the file named name): 0, or -1
 * with "NAME:LINE: what is wrong" (or "NAME: ...") in err. */
int uio_config_parse(const char *name, const char *text, size_t len, struct uio_config *c,
		     char *err, size_t errlen);

/* Read and parse the file path (at most UIO_CFG_MAX_FILE bytes). */
int uio_config_load(const char *path, struct uio_config *c, char *err, size_t errlen);

/* One map of a UIO device, from sysfs. */
struct uio_map_info {
	unsigned int index; /* mmap offset = index * page size */
	uint64_t addr, size, offset;
};

/*
 * Find the map of UIO device dev ("/dev/uio0" or "uio0") under class_dir
 * (normally "/sys/class/uio") that holds [phys, phys + size): 0 and *m, or
 * -1 with the reason in err (no such device, no map holds the range).
 */
int uio_config_find_map(const char *class_dir, const char *dev, uint64_t phys, uint64_t size,
			struct uio_map_info *m, char *err, size_t errlen);

#endif /* UIO_CONFIG_H */
