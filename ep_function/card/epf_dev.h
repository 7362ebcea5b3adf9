/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * epf_dev.h - the daemon's side of the pci-epf-vmsg character device
 * (ep_function/kernel/vmsg_epf_abi.h, docs/epf-chardev.md): find and open
 * /dev/vmsg-epfN, read and check its info, map BAR0 and the host window,
 * raise interrupts, read events. No engine or daemon state here: the
 * platform (platform_epf.c) drives it.
 */
#ifndef EPF_DEV_H
#define EPF_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsg_epf_abi.h"

#define EPF_DEV_DIR	   "/dev"
#define EPF_MAX_BAR0_SIZE  (1ull << 30)
#define EPF_MAX_DEV_LISTED 8

/* What epf_dev_find() saw in /dev. */
struct epf_dev_list {
	unsigned int n; /* devices found (may exceed the names kept) */
	char names[EPF_MAX_DEV_LISTED][64];
};

/* Every /dev/vmsg-epf* character device, sorted by name. 0, or -errno when
 * /dev cannot be read. */
int epf_dev_find(struct epf_dev_list *l);

/* "/dev/vmsg-epf0, /dev/vmsg-epf1" into buf. */
void epf_dev_list_str(const struct epf_dev_list *l, char *buf, size_t len);

/*
 * Open path and read its info. Returns the fd, or -1 with why in err:
 * *usage is set when the fix is on the user's side (no such device, not a
 * vmsg-epf device, wrong ABI version, in use by another daemon), clear when
 * the device misbehaved.
 */
int epf_dev_open(const char *path, struct vmsg_epf_info *info, char *err, size_t errlen,
		 bool *usage);

/* Check what GET_INFO returned (the module is the other side of a trust
 * boundary too): 0, or -1 with why in err. Strings are NUL-terminated. */
int epf_dev_check_info(struct vmsg_epf_info *info, char *err, size_t errlen);

/* mmap BAR0 (info->bar0_size bytes); NULL with errno on failure. */
void *epf_dev_map_bar0(int fd, size_t size);

/* A host mapping: [pci_addr, pci_addr + size) at map. */
struct epf_host_map {
	uint8_t *map; /* NULL: none */
	uint64_t pci_addr;
	size_t size;
};

/* MAP_HOST [pci_addr, pci_addr + size) and mmap the window. 0, or -errno
 * (-ENOLINK: the link is down). */
int epf_dev_map_host(int fd, uint64_t pci_addr, uint64_t size, struct epf_host_map *m);
void epf_dev_unmap_host(struct epf_host_map *m);

/* [addr, addr + len) inside m: pointer to it, else NULL. len 0: NULL. */
uint8_t *epf_host_ptr(const struct epf_host_map *m, uint64_t addr, size_t len);

int epf_dev_raise_irq(int fd, uint32_t vector);
/* DMA copy through the module (inside the current mapping). 0 or -errno. */
int epf_dev_dma(int fd, uint64_t host_addr, void *buf, uint32_t len, bool to_host);

/* One event record: 1, 0 when none is pending, -ENODEV at the end of the
 * stream (the function is gone), -EPROTO for a short record, else -errno. */
int epf_dev_read_event(int fd, struct vmsg_epf_event *ev);

/* The daemon has told the host and is leaving. */
int epf_dev_bye(int fd);

#endif /* EPF_DEV_H */
