/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * sim_hostmem.h - the soft card's outbound window: the host's RAM as a
 * shared file (QEMU memory-backend-file,share=on, or the host library's
 * file), mapped lazily and re-checked after every ATTACH.
 *
 * DMA address == file offset ("flat"). A q35 guest with 2.75 GiB of RAM or
 * more splits it (low part below 2 GiB, the rest from 4 GiB); that layout
 * needs an explicit lowmem size, otherwise such files are refused. Every
 * access is bounds-checked against the mapped size and the advertised DMA
 * width and fails (negative) instead of faulting. The host must not shrink
 * the file while it is attached (the mapping would fault on the lost pages).
 */
#ifndef SIM_HOSTMEM_H
#define SIM_HOSTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* QEMU q35 splits guest RAM at 2 GiB when it is at least this big. */
#define SIM_Q35_SPLIT_THRESHOLD 0xb0000000ull
#define SIM_4G			0x100000000ull

struct sim_hostmem {
	const char *path;   /* NULL: no host memory (every access fails) */
	uint64_t lowmem;    /* q35 split: RAM below 4 GiB; 0 = flat */
	uint64_t dma_limit; /* addresses must be < this (0: 2^64) */
	/* current mapping */
	uint8_t *map;
	size_t size;
	dev_t dev;
	ino_t ino;
	/* previous mapping, kept until the next remap so that pointers the
	 * engine took before an ATTACH never dangle mid-poll; then its
	 * addresses stay reserved (PROT_NONE) until fini, so that I/O the
	 * kernel still does on a direct pointer faults instead of reaching a
	 * later mapping */
	uint8_t *old_map;
	size_t old_size;
	bool stale;  /* re-check the file at the next access */
	bool warned; /* logged a failure since the last ATTACH */
	uint64_t maps, refused;
};

void sim_hostmem_init(struct sim_hostmem *h, const char *path, uint64_t lowmem,
		      uint32_t dma_addr_bits);
void sim_hostmem_fini(struct sim_hostmem *h);

/* An ATTACH happened (or may have): re-check the file at the next access. */
void sim_hostmem_invalidate(struct sim_hostmem *h);

/* Translate [addr, addr + len) to a pointer into the mapping, or NULL when
 * any byte is outside (or nothing is mapped). len 0 is refused. */
uint8_t *sim_hostmem_ptr(struct sim_hostmem *h, uint64_t addr, size_t len);

#endif /* SIM_HOSTMEM_H */
