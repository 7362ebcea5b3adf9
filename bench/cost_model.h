/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * cost_model.h - link operations per round trip, and what they would cost
 * on a real PCIe link (bench/README.md, "Estimated round trip"). An ESTIMATE:
 * the soft link is shared memory between two processes; this turns the
 * operations it counted into the time the same operations take across PCIe,
 * using per-operation costs that are documented assumptions (cost_model.c),
 * not measurements.
 */
#ifndef VMSG_BENCH_COST_MODEL_H
#define VMSG_BENCH_COST_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* Counter deltas over one measured run (warm-up excluded). */
struct link_counts {
	uint64_t rtts;
	/* host library (vmsg_host_bus_get_stats) */
	uint64_t host_tx, host_rx, host_doorbells, host_irqs;
	/* card, from its BAR0 counters (cnt_*) */
	uint64_t card_rx, card_tx, card_irqs, card_doorbells;
	uint32_t req_len, resp_len; /* virtio-msg bytes of request and response */
	bool irq_mode;
};

/* Link operations per round trip. */
struct link_ops {
	double h2c_msgs, c2h_msgs;
	/* host -> card: posted writes into BAR0 */
	double host_slot, host_prod, host_doorbell, host_c2h_cons, host_flags, host_total;
	/* card -> host: posted writes into host memory */
	double card_slot, card_prod, card_h2c_cons, card_total;
	double msix;	       /* interrupts raised by the card (a posted write too) */
	double host_wakeups;   /* interrupts the host library waited for */
	double card_doorbells; /* doorbell register changes the card saw */
	double reads;	       /* reads across the link: 0 by construction */
};

/* 8-byte or byte stores the ring makes for one slot of len message bytes
 * (vmsg_ring_produce: the 8-byte frame, 8-byte words, then the tail byte by
 * byte). Each is one TLP when the window is mapped uncached. */
uint32_t cost_slot_stores(uint32_t len);

void cost_ops_from_counts(const struct link_counts *c, struct link_ops *o);

enum { COST_GEN3_X4 = 0, COST_GEN4_X4 = 1, COST_NLINKS = 2 };

struct cost_link {
	const char *name;
	double gts; /* GT/s per lane */
	unsigned int lanes;
	double pw_ns; /* posted write, one way: store issued -> data in far memory */
};
extern const struct cost_link cost_links[COST_NLINKS];

/* Per-operation costs shared by both link generations (nanoseconds). */
#define COST_TLP_OVERHEAD_B	 26u	/* framing 4 + seq 2 + 4DW header 16 + LCRC 4 */
#define COST_MMIO_ISSUE_NS	 20.0	/* spacing of back-to-back uncached posted stores */
#define COST_CARD_POLL_DETECT_NS 150.0	/* busy-polling card sees an inbound write */
#define COST_HOST_POLL_DETECT_NS 100.0	/* polling host sees a DMA write (LLC/DDIO) */
#define COST_MSIX_NS		 1000.0 /* MSI-X arrival -> host interrupt handler */
#define COST_CARD_DB_IRQ_NS	 1500.0 /* endpoint doorbell interrupt -> card handler */
#define COST_CARD_DB_POLL_MS	 1.0	/* upstream EPF doorbell polling period (1-5 ms) */

/* What the estimate needs from the measurements of the same run. */
struct cost_inputs {
	bool irq_mode;
	double vmsg_p50_ns;	/* the message's measured round trip */
	double baseline_p50_ns; /* the same mode's baseline round trip */
	double efd_write_ns;	/* one eventfd write with nobody waiting (sim doorbell) */
};

struct cost_estimate {
	double sw_ns;			    /* software both sides, this machine */
	double wake_ns;			    /* irq: two thread wake-ups, this machine */
	double link_ns[COST_NLINKS];	    /* link operations on the critical path */
	double rtt_ns[COST_NLINKS];	    /* estimated round trip */
	double db_poll_rtt_ns[COST_NLINKS]; /* irq mode, card polling its doorbell instead */
};

void cost_estimate(const struct link_ops *o, const struct cost_inputs *in, struct cost_estimate *e);

/* One line per assumption, NULL-terminated (printed and written to JSON). */
extern const char *const cost_assumptions[];

#endif /* VMSG_BENCH_COST_MODEL_H */
