/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * epf_link.h - platform epf's link (epf_link.c): the engine's platform ops
 * and the event loop hooks over an open /dev/vmsg-epfN. The registry entry
 * (options, the device check, creation) is platform_epf.c.
 */
#ifndef EPF_LINK_H
#define EPF_LINK_H

#include "card_link.h"
#include "cli.h"
#include "epf_dev.h"

struct epf_link {
	char path[64];
	int fd;
	struct vmsg_epf_info info;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t dma_limit; /* 0: 2^64 */
	bool use_dma;
	/* host memory: the current mapping, and the previous one kept until
	 * the next re-map so that pointers the engine took never dangle */
	struct epf_host_map hm, old;
	bool link_up;
	uint32_t link_generation;
	uint32_t last_host_ctrl;
	bool host_lost;
	bool stop;
	int stop_code;
	bool warned_refused;
	bool irq_refusing; /* the controller refuses interrupts (EIO) since the last success */
	uint64_t events, doorbells, link_ups, link_downs, maps, map_errors, refused;
	uint64_t irqs, irqs_lost, irq_errors, dma_copies, dma_errors;
};

/* Take over fd (open, info checked) and fill link: 0, or -1 after logging
 * (fd closed). o: the command line, whose --max-msg-size and
 * --dma-addr-bits override the function's configfs values. */
int epf_link_create(int fd, const struct vmsg_epf_info *info, const char *path,
		    const struct card_opts *o, struct card_link *link);

#endif /* EPF_LINK_H */
