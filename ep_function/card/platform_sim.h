/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * platform_sim.h - the emulated PCIe link: the ivshmem shared memory is a
 * file (DIR/bar0) served to QEMU's ivshmem-doorbell device or the user-space
 * host library over DIR/ivshmem.sock; BAR0 is all of it but the last
 * VMSG_EMU_PAGE_SIZE bytes, the emulated link page ([EMU-7]) whose header
 * the card writes; doorbells are the card's ivshmem
 * eventfds (vector N == doorbell N); interrupts are the host client's
 * eventfds; host memory is a shared RAM file (see sim_hostmem.h).
 */
#ifndef PLATFORM_SIM_H
#define PLATFORM_SIM_H

#include <stdint.h>

#include "card_link.h"

#define SIM_SOCK_NAME	    "ivshmem.sock"
#define SIM_BAR0_NAME	    "bar0"
#define SIM_DEFAULT_VECTORS 8u
#define SIM_MAX_SHM_SIZE    (1ull << 30)
/* BAR0 (shared memory minus the link page) at least VMSG_PCIE_BAR0_MIN_SIZE */
#define SIM_MIN_SHM_SIZE (2ull * VMSG_PCIE_BAR0_MIN_SIZE)

struct sim_opts {
	const char *dir;	  /* link directory (exists, locked by the caller) */
	uint64_t shm_size;	  /* power of two, SIM_MIN_SHM_SIZE..SIM_MAX_SHM_SIZE */
	uint32_t vectors;	  /* 1..32 */
	const char *host_mem;	  /* NULL: no host memory */
	uint64_t host_mem_lowmem; /* 0: flat */
	uint32_t dma_addr_bits;
};

/* Set up BAR0 and the ivshmem server; fill link. 0, or -1 after logging. */
int sim_link_create(const struct sim_opts *o, struct card_link *link);

#endif /* PLATFORM_SIM_H */
