/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_link.h - what a platform (sim, epf, later uio) gives the daemon:
 * the engine's platform ops plus the file descriptors the event loop waits
 * on for doorbells and link housekeeping.
 */
#ifndef CARD_LINK_H
#define CARD_LINK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmsg_card.h"

struct card_link_ops {
	const char *name;
	/* Upper bound of pollfd entries pollfds() fills. */
	int (*max_pollfds)(void *priv);
	int (*pollfds)(void *priv, struct pollfd *pfd, int max);
	/* After poll(): handle the entries filled by pollfds(). Returns true
	 * when a doorbell rang (the engine should be polled). */
	bool (*handle)(void *priv, const struct pollfd *pfd, int n);
	/* Called right before every vmsg_card_poll(). */
	void (*before_card_poll)(void *priv);
	/* True (once) when the host went away or was replaced since the last
	 * call: the loop then calls vmsg_card_host_lost(). */
	bool (*take_host_lost)(void *priv);
	/* Optional: true when the platform wants the daemon to stop (the
	 * function is going away); *exit_code is then the status to exit with.
	 * The daemon shuts down as on SIGTERM (the host is told SHUTDOWN). */
	bool (*take_stop)(void *priv, int *exit_code);
	/* "key value" lines for `ctl stats`; returns bytes written. */
	size_t (*describe)(void *priv, char *buf, size_t len);
	void (*destroy)(void *priv);
};

struct card_link {
	const struct card_link_ops *ops;
	void *priv;
	/* Filled by the platform: what the engine gets. */
	struct vmsg_card_platform plat;
	uint32_t num_vectors;
	uint32_t num_doorbells; /* watched doorbell registers, 0: 2 */
	uint32_t dma_addr_bits;
	uint32_t card_features; /* VMSG_PCIE_F_* the platform supports */
	/* 0: the command line's (or the engine's default) */
	uint32_t max_msg_size;
	uint32_t ring_slot_size, ring_slot_count;
};

#endif /* CARD_LINK_H */
