/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_host_bus.h - the host side of one virtio-msg PCIe bus instance, in
 * user space.
 *
 * The bus attaches to the card per the binding (vmsg_pcie.h), owns the two
 * message rings, assigns tokens, matches responses to the locally stored
 * requests by (dev_num, token), bounds every wait, dispatches events, keeps
 * the card's devices' presence (GET_DEVICES, EVENT_DEVICE), watches liveness
 * (PING, link state, epoch) and re-attaches after a card restart.
 *
 * The card is untrusted: every message is copied out of the ring, checked
 * with vmsg_validate(DEVICE_TO_DRIVER), matched against what was asked, and
 * otherwise dropped and counted.
 *
 * Threads: every call may come from any thread; the bus serialises itself.
 * Event callbacks run from vmsg_host_bus_poll() (and every wait that pumps
 * the ring) without the bus lock held, one at a time, in arrival order.
 * Errors are negative errno values, see vmsg_host_strerror().
 */
#ifndef VMSG_HOST_BUS_H
#define VMSG_HOST_BUS_H

#include "vmsg_host_link.h"
#include "virtio_msg_validate.h"
#include "vmsg_pcie.h"

struct vmsg_host_bus;

/* Most devices a bus keeps present at once ([DEV-3]): what GET_DEVICES or
 * EVENT_DEVICE READY report beyond it is ignored (READY counted in
 * rx_bad_event). The card daemon offers at most 256. */
#define VMSG_HOST_BUS_MAX_DEVICES 256u

/* Binding features this library implements (intersected with the card's).
 * Not OOB_NOTIFY (binding 7.5): the library and the PMD poll the c2h ring
 * (or take vec_c2h), so per-queue vectors buy them nothing, and a kick in
 * the h2c ring costs a poller no more than a doorbell; the library declines
 * the feature and every EVENT_AVAIL/EVENT_USED stays in-band. */
#define VMSG_HOST_BUS_FEATURES                                                                     \
	(VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI | VMSG_PCIE_F_ERROR_MSG |   \
	 VMSG_PCIE_F_DMA_ENGINE)

/* Host view of the link (vmsg_link_state values, plus the detached state). */
enum vmsg_host_state {
	VMSG_HOST_DETACHED = 0,	 /* not attached (initial, after detach or refusal) */
	VMSG_HOST_RUN = 2,	 /* attached, rings live */
	VMSG_HOST_GONE = 3,	 /* card restarted, detached us, or shut down */
	VMSG_HOST_PEER_DEAD = 4, /* PING went unanswered */
};

enum vmsg_host_event_kind {
	VMSG_HOST_EV_CONFIG = 1,     /* EVENT_CONFIG: status, generation, range */
	VMSG_HOST_EV_USED,	     /* EVENT_USED: vq */
	VMSG_HOST_EV_DEVICE_READY,   /* EVENT_DEVICE READY (or found after re-attach) */
	VMSG_HOST_EV_DEVICE_REMOVED, /* EVENT_DEVICE REMOVED, or gone with the link */
	VMSG_HOST_EV_DEVICE_STATE,   /* EVENT_DEVICE implementation-defined state */
	VMSG_HOST_EV_LINK_DOWN,	     /* link lost: reason = -EHOSTDOWN / -ECONNRESET */
	VMSG_HOST_EV_LINK_UP,	     /* (re-)attached: new epoch */
};

struct vmsg_host_event {
	enum vmsg_host_event_kind kind;
	vmsg_dev_num_t dev_num;
	uint16_t state;	     /* DEVICE_STATE */
	uint32_t vq;	     /* USED */
	uint32_t status;     /* CONFIG: device_status */
	uint32_t generation; /* CONFIG */
	uint32_t offset;     /* CONFIG */
	uint32_t length;     /* CONFIG: 0 = re-read with GET_CONFIG */
	uint32_t epoch;	     /* LINK_UP / LINK_DOWN: the epoch concerned */
	int reason;	     /* LINK_DOWN, DEVICE_REMOVED: why (0 = the card said so) */
};

typedef void (*vmsg_host_event_cb)(void *arg, const struct vmsg_host_event *ev);

struct vmsg_host_bus_opts {
	bool poll_mode;		     /* no interrupt: irq_mode POLL, spin on the ring */
	uint32_t request_timeout_ms; /* 0: VMSG_PCIE_REQUEST_TIMEOUT_MS */
	uint32_t attach_timeout_ms;  /* 0: VMSG_PCIE_ATTACH_TIMEOUT_MS */
	uint32_t reset_timeout_ms;   /* 0: VMSG_PCIE_RESET_TIMEOUT_MS */
	uint32_t ping_interval_ms;   /* 0: VMSG_PCIE_PING_INTERVAL_MS */
	uint32_t ping_misses;	     /* 0: VMSG_PCIE_PING_MISSES */
	uint32_t connect_timeout_ms; /* link (re)connect, 0: 5000 */
	bool auto_reattach;	     /* liveness re-attaches after a card restart */
	uint32_t features_mask;	     /* 0: all of VMSG_HOST_BUS_FEATURES */
	vmsg_host_event_cb event_cb; /* may be NULL */
	void *event_arg;
	bool quiet; /* no diagnostics on stderr */
};

/* Counters, all monotonic. */
struct vmsg_host_bus_stats {
	uint64_t tx_msgs, rx_msgs;
	uint64_t rx_malformed;		     /* failed vmsg_validate */
	uint64_t rx_verdicts[VMSG_E__COUNT]; /* per verdict */
	uint64_t rx_bad_slot;		     /* impossible ring index / slot length ([RING-6]) */
	uint64_t rx_stale_epoch;	     /* slot epoch not the current one */
	uint64_t rx_unsolicited;	     /* response with no request waiting */
	uint64_t rx_mismatch;		     /* matched response whose echo is wrong */
	uint64_t rx_out_of_order;	     /* matched, but an older one of that device waits */
	uint64_t rx_unknown_dev;	     /* event for a device we do not know */
	uint64_t rx_bus_errors;		     /* ERROR answers */
	uint64_t rx_events, rx_pings;
	uint64_t timeouts, doorbells, irqs, h2c_full_waits;
	uint64_t pings_sent, pings_missed;
	uint64_t attaches, link_downs, peer_dead;
	uint64_t kicks_deferred; /* EVENT_AVAIL kept pending on a full h2c ring */
	uint64_t events_dropped; /* callback queue overflow */
	/* [SEC-H-3]: event dropped for being outside the bounds of its device
	 * (EVENT_USED queue >= max_virtqueues or for a device without an open
	 * handle, EVENT_CONFIG range beyond config_size) or of the bus (READY
	 * beyond VMSG_HOST_BUS_MAX_DEVICES) */
	uint64_t rx_bad_event;
	/* PINGs of the card left unanswered: a bounded number of answers
	 * already waited for h2c room (a card that does not consume h2c) */
	uint64_t ping_resp_dropped;
};

/* Create a bus on a link (connected or not). Does not attach. */
int vmsg_host_bus_create(struct vmsg_link *link, const struct vmsg_host_bus_opts *opts,
			 struct vmsg_host_bus **out);
/* Detach if attached, free everything the bus allocated. */
void vmsg_host_bus_destroy(struct vmsg_host_bus *bus);

/*
 * Attach per the binding: connect the link if needed, check magic, version
 * and geometry, choose host_features, allocate the host area, write the host
 * registers with host_ctrl = ATTACH last, ring VMSG_DB_CTRL, wait (bounded)
 * for link_state RUN. A refusal returns -ECONNREFUSED and the card's
 * attach_error is in vmsg_host_bus_attach_error() (named by
 * vmsg_host_attach_error_str()). Then GET_DEVICES enumerates the devices.
 */
int vmsg_host_bus_attach(struct vmsg_host_bus *bus);
/* host_ctrl = DETACH, bounded wait for READY, free the host area. */
void vmsg_host_bus_detach(struct vmsg_host_bus *bus);
/* Reconnect the link (a restarted card) and attach again. */
int vmsg_host_bus_reattach(struct vmsg_host_bus *bus);

enum vmsg_host_state vmsg_host_bus_state(struct vmsg_host_bus *bus);
uint32_t vmsg_host_bus_epoch(struct vmsg_host_bus *bus);
uint32_t vmsg_host_bus_attach_error(struct vmsg_host_bus *bus);
uint32_t vmsg_host_bus_max_msg_size(struct vmsg_host_bus *bus);
uint32_t vmsg_host_bus_host_features(struct vmsg_host_bus *bus);
/* Incremented on every successful attach. */
uint32_t vmsg_host_bus_generation(struct vmsg_host_bus *bus);
struct vmsg_link *vmsg_host_bus_link(struct vmsg_host_bus *bus);
volatile const struct vmsg_pcie_regs *vmsg_host_bus_regs(struct vmsg_host_bus *bus);
void vmsg_host_bus_get_stats(struct vmsg_host_bus *bus, struct vmsg_host_bus_stats *st);
uint32_t vmsg_host_bus_timeout_ms(struct vmsg_host_bus *bus, int which);
#define VMSG_HOST_TMO_REQUEST 0
#define VMSG_HOST_TMO_RESET   1

/* Drain the c2h ring, complete requests, answer PINGs, dispatch events.
 * Never blocks. Returns messages consumed or a negative error. */
int vmsg_host_bus_poll(struct vmsg_host_bus *bus);
/* Wait up to timeout_ms for card traffic (interrupt, or spinning in poll
 * mode), then poll. Returns messages consumed (0 on timeout). */
int vmsg_host_bus_wait(struct vmsg_host_bus *bus, int timeout_ms);

/* ---- requests ---- */

/* A request in flight (async API). */
struct vmsg_host_req;

/*
 * Send a request built with virtio_msg_build.h (the bus rewrites the token)
 * and return a handle. Fails fast with -ENODEV for a device known to be
 * gone, -ENOTCONN when not attached, -ETIMEDOUT when the h2c ring stays
 * full, -EINVAL when the message is not a valid request.
 */
int vmsg_host_bus_submit(struct vmsg_host_bus *bus, const void *msg, size_t len, int timeout_ms,
			 struct vmsg_host_req **req);
/* 1 when complete (success or failure), 0 while pending. */
int vmsg_host_req_done(struct vmsg_host_bus *bus, struct vmsg_host_req *req);
/*
 * Wait for completion (bounded by the request's deadline), copy the
 * validated response (resp may be NULL), release the handle. Returns the
 * response length, or -ETIMEDOUT, or the bus ERROR mapped to -ENODEV
 * (NO_DEVICE), -ESHUTDOWN, -EOPNOTSUPP, -EBUSY, or -ECONNRESET /
 * -EHOSTDOWN when the link went down, -ENODEV when the device was removed.
 * *bus_error (may be NULL) receives the ERROR code (0 if none).
 */
int vmsg_host_req_wait(struct vmsg_host_bus *bus, struct vmsg_host_req *req, void *resp, size_t cap,
		       uint16_t *bus_error);
/* Give up on a request (its late response is dropped). */
void vmsg_host_req_cancel(struct vmsg_host_bus *bus, struct vmsg_host_req *req);

/* submit + wait. timeout_ms 0: the bus request timeout. */
int vmsg_host_bus_request(struct vmsg_host_bus *bus, const void *msg, size_t len, void *resp,
			  size_t cap, int timeout_ms);

/* Send a host -> card event (EVENT_AVAIL). An EVENT_AVAIL that finds the
 * h2c ring full is never dropped ([EVT-3]): it is kept pending, coalesced
 * per (dev_num, queue), and sent when space frees (every poll). */
int vmsg_host_bus_send_event(struct vmsg_host_bus *bus, const void *msg, size_t len);

/* Tests only: put raw bytes into the h2c ring, unvalidated, with the given
 * slot epoch (0: the current one). Rings the doorbell. */
int vmsg_host_bus_send_raw(struct vmsg_host_bus *bus, const void *buf, size_t len, uint32_t epoch);

/* ---- bus messages ---- */

/* GET_DEVICES over the whole number space; fills devs (ascending), *n the
 * number found (may exceed cap: only cap are stored). Updates presence. */
int vmsg_host_bus_get_devices(struct vmsg_host_bus *bus, vmsg_dev_num_t *devs, size_t cap,
			      size_t *n);
bool vmsg_host_bus_device_present(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num);

/* PING the card, wait for the echo; *rtt_ns (may be NULL) gets the round trip. */
int vmsg_host_bus_ping(struct vmsg_host_bus *bus, uint64_t *rtt_ns);

/*
 * Liveness tick, call it from a loop (cheap when nothing is due): checks
 * link_state and epoch in BAR0 (card restart, detach, shutdown -> GONE),
 * sends a PING every interval and counts the ones left unanswered; after
 * ping_misses in a row the peer is dead (PEER_DEAD). Either way all pending
 * requests fail, every device is reported REMOVED and LINK_DOWN is sent.
 * With auto_reattach, a GONE or dead link is re-attached when the card is
 * back (at most one bounded attempt per interval). Returns the state.
 */
enum vmsg_host_state vmsg_host_bus_liveness(struct vmsg_host_bus *bus);

/* ---- names ---- */
const char *vmsg_host_attach_error_str(uint32_t attach_error);
const char *vmsg_host_bus_error_str(uint16_t error);
const char *vmsg_host_state_str(enum vmsg_host_state st);
const char *vmsg_host_strerror(int err);

#endif /* VMSG_HOST_BUS_H */
