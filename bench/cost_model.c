// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * cost_model.c - count link operations per round trip and estimate their
 * cost on PCIe Gen3 x4 and Gen4 x4.
 *
 * Operations per round trip, from the binding (docs/pcie-binding.md,
 * fw_shared/include/vmsg_pcie.h) and the counters of the run:
 *
 *   host -> card, posted writes into BAR0 (the card's local memory):
 *     h2c slot        cost_slot_stores(request length) per request
 *     h2c producer    1 per request (vmsg_ring_produce publishes the index)
 *     doorbell        doorbells the host library rang (its counter): the
 *                     card asks for one whenever it has NEED_NOTIFY set
 *     c2h consumer    1 per response consumed (vmsg_ring_consume mirrors its
 *                     index into BAR0 at c2h_cons_offset)
 *     NEED_NOTIFY     irq mode: set before sleeping and cleared after, so 2
 *                     per interrupt the host waited for (an approximation:
 *                     a sleep that ends by timeout also toggles it)
 *   card -> host, posted writes into host memory (outbound window):
 *     h2c consumer    1 per request consumed (mirrored into the host area)
 *     c2h slot        cost_slot_stores(response length) per response
 *     c2h producer    1 per response
 *     MSI-X           interrupts the card raised (its BAR0 cnt_irqs)
 *   reads across the link: none in the fast path. Each side reads only its
 *   own memory: the card its BAR, the host its host area. Not counted (a
 *   shared-memory link cannot count them), 0 by construction of the binding.
 *
 * Estimate of one round trip on a real link (critical path only):
 *
 *   rtt = sw + h2c + card_notice + c2h + host_notice (+ wake-ups in irq mode)
 *
 *   sw          the software both sides run, measured on this machine: the
 *               message's p50 minus the same mode's baseline p50 (what moving
 *               the notification between the two CPUs costs here), minus in
 *               poll mode the sim's doorbell (an eventfd write syscall that a
 *               real link replaces by one MMIO store, counted in h2c).
 *   h2c         one posted-write flight + the host's stores in order (slot,
 *               producer index, doorbell), each max(MMIO issue spacing,
 *               TLP serialisation at the link's rate).
 *   card_notice poll: a busy-polling card sees the write in its memory;
 *               irq: the endpoint's doorbell interrupt reaches the card.
 *   c2h         one posted-write flight + the card's stores in order (h2c
 *               consumer mirror, slot, producer index, then MSI-X in irq).
 *   host_notice poll: the polling host sees the DMA write; irq: MSI-X
 *               delivery to the handler.
 *   wake-ups    irq mode: two thread wake-ups, as this machine does them:
 *               the eventfd baseline p50 minus its two write syscalls.
 *
 * The card's software is timed on this machine's CPU; an Arm endpoint SoC's
 * cores are slower, so sw is a lower bound for a real card.
 */
#include "cost_model.h"

#include <stddef.h>

const struct cost_link cost_links[COST_NLINKS] = {
    [COST_GEN3_X4] = {.name = "Gen3 x4", .gts = 8.0, .lanes = 4, .pw_ns = 400.0},
    [COST_GEN4_X4] = {.name = "Gen4 x4", .gts = 16.0, .lanes = 4, .pw_ns = 350.0},
};

const char *const cost_assumptions[] = {
    "ESTIMATE, not a measurement: counted operations x assumed per-operation costs",
    "posted write one-way flight (store issued -> data in far memory): Gen3 x4 400 ns, "
    "Gen4 x4 350 ns",
    "link rate: 8 / 16 GT/s x 4 lanes, 128b/130b; TLP overhead 26 B (framing, seq, "
    "4DW header, LCRC)",
    "BAR and outbound window mapped uncached: one TLP per 8-byte (or byte) store, "
    "back-to-back stores 20 ns apart",
    "poll mode: busy-polling card sees an inbound write 150 ns after it lands; "
    "polling host sees a DMA write 100 ns after it lands",
    "irq mode: MSI-X delivery 1.0 us after its write lands; endpoint doorbell "
    "interrupt (MSI doorbell) 1.5 us; thread wake-ups as this machine's eventfd "
    "baseline",
    "software time of both sides measured on this machine (x86 for the card too): "
    "a lower bound for an Arm endpoint",
    "upstream endpoint functions poll doorbells every 1-5 ms: with a 1 ms poll the irq "
    "round trip grows by ~0.5 ms on average",
    NULL,
};

uint32_t cost_slot_stores(uint32_t len)
{
	return 1u + len / 8u + len % 8u;
}

static double per(uint64_t n, uint64_t rtts)
{
	return rtts ? (double)n / (double)rtts : 0.0;
}

void cost_ops_from_counts(const struct link_counts *c, struct link_ops *o)
{
	uint64_t r = c->rtts;

	o->h2c_msgs = per(c->host_tx, r);
	o->c2h_msgs = per(c->host_rx, r);
	o->host_slot = o->h2c_msgs * cost_slot_stores(c->req_len);
	o->host_prod = o->h2c_msgs;
	o->host_doorbell = per(c->host_doorbells, r);
	o->host_c2h_cons = o->c2h_msgs;
	o->host_wakeups = per(c->host_irqs, r);
	o->host_flags = c->irq_mode ? 2.0 * o->host_wakeups : 0.0;
	o->host_total =
	    o->host_slot + o->host_prod + o->host_doorbell + o->host_c2h_cons + o->host_flags;
	o->card_h2c_cons = per(c->card_rx, r);
	o->card_slot = per(c->card_tx, r) * cost_slot_stores(c->resp_len);
	o->card_prod = per(c->card_tx, r);
	o->msix = per(c->card_irqs, r);
	o->card_total = o->card_h2c_cons + o->card_slot + o->card_prod;
	o->card_doorbells = per(c->card_doorbells, r);
	o->reads = 0.0;
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

void cost_estimate(const struct link_ops *o, const struct cost_inputs *in, struct cost_estimate *e)
{
	double wake = 0.0, notice;
	int i;

	e->wake_ns = 0.0;
	if (in->irq_mode) {
		e->sw_ns = max2(0.0, in->vmsg_p50_ns - in->baseline_p50_ns);
		wake = max2(0.0, in->baseline_p50_ns - 2.0 * in->efd_write_ns);
		e->wake_ns = wake;
		notice = COST_CARD_DB_IRQ_NS + COST_MSIX_NS;
	} else {
		e->sw_ns = max2(0.0, in->vmsg_p50_ns - in->baseline_p50_ns -
					 o->host_doorbell * in->efd_write_ns);
		notice = COST_CARD_POLL_DETECT_NS + COST_HOST_POLL_DETECT_NS;
	}
	for (i = 0; i < COST_NLINKS; i++) {
		const struct cost_link *l = &cost_links[i];
		double bytes_per_ns = l->gts * l->lanes * (128.0 / 130.0) / 8.0;
		double tlp = max2(COST_MMIO_ISSUE_NS, (8.0 + COST_TLP_OVERHEAD_B) / bytes_per_ns);
		double h2c = l->pw_ns + (o->host_slot + o->host_prod + o->host_doorbell) * tlp;
		double c2h = l->pw_ns + (o->card_h2c_cons + o->card_slot + o->card_prod +
					 (in->irq_mode ? o->msix : 0.0)) *
					    tlp;

		e->link_ns[i] = h2c + c2h + notice;
		e->rtt_ns[i] = e->sw_ns + e->link_ns[i] + wake;
		e->db_poll_rtt_ns[i] = in->irq_mode
					   ? e->rtt_ns[i] - COST_CARD_DB_IRQ_NS - wake / 2.0 +
						 COST_CARD_DB_POLL_MS * 1e6 / 2.0
					   : 0.0;
	}
}
