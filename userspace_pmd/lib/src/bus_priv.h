/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * bus_priv.h - the bus's internal state, shared by bus*.c and transport.c.
 */
#ifndef VMSG_HOST_BUS_PRIV_H
#define VMSG_HOST_BUS_PRIV_H

#include "vmsg_host_bus.h"
#include "vmsg_ring.h"

#include <pthread.h>

#define BUS_MAX_INFLIGHT      128u
#define BUS_EVQ_SIZE	      1024u /* power of two */
#define BUS_MSG_MAX	      VMSG_PCIE_MAX_MSG_SIZE
#define BUS_DEV_BITMAP_BYTES  (65536u / 8u)
#define BUS_MAX_PENDING_KICKS 64u
#define BUS_MAX_PENDING_PONGS 16u /* answers to the card's PINGs waiting for h2c room */

struct vmsg_host_req {
	bool in_use;
	bool done;
	bool orphan; /* owner gave up: free on completion */
	int err;
	uint16_t bus_error;
	uint16_t token;
	uint8_t type;
	uint8_t msg_id;
	vmsg_dev_num_t dev_num;
	uint64_t deadline_ns;
	uint32_t attach_gen;
	uint64_t seq;	    /* submission order, for [ORDR-4] */
	uint32_t ping_data; /* a bus PING: the data its answer must echo ([BUS-4]) */
	uint16_t resp_len;
	uint8_t resp[BUS_MSG_MAX];
};

/*
 * What the bus keeps for an open device handle (transport.c embeds it).
 * Written by the bus under its lock; read by the handle's owner with the
 * accessors in transport.c (atomics for the hot flags).
 */
struct bus_devref {
	struct bus_devref *next;
	vmsg_dev_num_t dev_num;
	uint32_t attach_gen; /* bus generation the handle belongs to */
	bool gone;	     /* removed, or the link went down */
	int gone_reason;
	bool config_changed; /* EVENT_CONFIG seen since last read */
	bool needs_reset;    /* DEVICE_NEEDS_RESET announced */
	uint32_t generation; /* last generation seen in EVENT_CONFIG */
	bool have_generation;
	uint64_t used_bits;   /* EVENT_USED per vq (vq < 64), atomic */
	uint64_t used_events; /* EVENT_USED count, atomic */
	/* the device's bounds from GET_DEVICE_INFO ([SEC-H-3]), once known */
	bool have_info;
	uint32_t max_virtqueues;
	uint32_t config_size;
};

struct vmsg_host_bus {
	pthread_mutex_t lock;
	pthread_mutex_t dispatch_lock;
	pthread_cond_t traffic;	   /* broadcast whenever the c2h ring was drained */
	bool irq_waiter;	   /* one thread sleeps on the vector, others on traffic */
	unsigned int c2h_spinners; /* poll-mode waiters reading c2h.prod unlocked (atomic) */
	struct vmsg_link *link;
	struct vmsg_host_bus_opts opts;
	enum vmsg_host_state state;

	/* attach */
	volatile struct vmsg_pcie_regs *regs;
	size_t bar0_size;
	uint32_t epoch;
	uint32_t attach_gen;
	uint32_t attach_error;
	uint32_t card_features, host_features, irq_mode;
	uint32_t max_msg_size;
	uint32_t h2c_off, h2c_size, c2h_cons_off;
	struct vmsg_validate_opts vopts;    /* what the card sends */
	struct vmsg_validate_opts tx_vopts; /* what we send: implementation ids too */

	/* host area */
	uint8_t *ha;
	uint64_t ha_dma;
	size_t ha_size;

	/* rings */
	struct vmsg_ring h2c;
	struct vmsg_ring c2h;
	uint64_t c2h_bad_seen;

	/* requests */
	struct vmsg_host_req reqs[BUS_MAX_INFLIGHT];
	uint16_t next_token;
	uint64_t next_seq;
	uint32_t ctrl_count; /* host_ctrl commands written ([DB-1]) */

	/* EVENT_AVAIL waiting for h2c space ([EVT-3]), coalesced */
	struct {
		vmsg_dev_num_t dev;
		uint32_t vq;
	} kicks[BUS_MAX_PENDING_KICKS];
	uint32_t nkicks;

	/* [BUS-4] answers to the card's PINGs, sent from the top of the c2h
	 * path (never from inside it: no recursion), bounded */
	struct {
		uint16_t token;
		uint32_t data;
	} pongs[BUS_MAX_PENDING_PONGS];
	uint32_t npongs;

	/* devices */
	uint8_t present[BUS_DEV_BITMAP_BYTES];
	uint32_t npresent; /* bits set in present, <= VMSG_HOST_BUS_MAX_DEVICES */
	struct bus_devref *devs;

	/* events waiting for the callback */
	struct vmsg_host_event evq[BUS_EVQ_SIZE];
	uint32_t evq_head, evq_tail;

	/* liveness */
	struct vmsg_host_req *ping_req;
	uint64_t ping_sent_ns;
	uint64_t last_ping_ns;
	uint32_t ping_data;   /* the last PING data handed out (each request keeps its own) */
	uint32_t ping_misses; /* liveness PINGs missed in a row */
	uint64_t last_reattach_ns;

	struct vmsg_host_bus_stats st;
};

uint64_t bus_now_ns(void);
void bus_log(struct vmsg_host_bus *bus, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bus_io.c (lock held unless said) */
int bus_poll_locked(struct vmsg_host_bus *bus);
void bus_dispatch(struct vmsg_host_bus *bus); /* lock NOT held */
void bus_queue_event(struct vmsg_host_bus *bus, const struct vmsg_host_event *ev);
int bus_send_locked(struct vmsg_host_bus *bus, const void *msg, size_t len, uint32_t epoch,
		    uint64_t deadline_ns);
/* Block for traffic up to deadline (lock NOT held). */
void bus_wait_traffic(struct vmsg_host_bus *bus, uint64_t deadline_ns);
int bus_submit_locked(struct vmsg_host_bus *bus, const void *msg, size_t len, uint64_t deadline_ns,
		      struct vmsg_host_req **out);
void bus_req_release_locked(struct vmsg_host_bus *bus, struct vmsg_host_req *req);
void bus_fail_all_locked(struct vmsg_host_bus *bus, int err);
void bus_fail_dev_locked(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, int err);
/* The registers say the session is over (restart, detach, shutdown, dead
 * card): end it. Returns true if it did. Lock held, RUN. */
bool bus_check_link_locked(struct vmsg_host_bus *bus);

/* bus.c */
int bus_reattach(struct vmsg_host_bus *bus, int connect_timeout_ms);
/* The card failed (missed PINGs, acknowledgement or reset timeout, invalid
 * link_state): PEER_DEAD, fence, every device removed ([DEAD-1]). */
void bus_declare_dead(struct vmsg_host_bus *bus, int reason); /* lock held */

/* bus_live.c */
void bus_link_down_locked(struct vmsg_host_bus *bus, enum vmsg_host_state st, int reason);
/* Returns false when a device could not be made present (the bus already
 * keeps VMSG_HOST_BUS_MAX_DEVICES). */
bool bus_set_present_locked(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, bool present,
			    int reason);

static inline bool bus_is_present(const struct vmsg_host_bus *bus, vmsg_dev_num_t dev)
{
	return (bus->present[dev / 8u] >> (dev % 8u)) & 1u;
}

/* transport.c registers its handles */
void bus_devref_add(struct vmsg_host_bus *bus, struct bus_devref *ref);
void bus_devref_del(struct vmsg_host_bus *bus, struct bus_devref *ref);
/* GET_DEVICE_INFO checked: the bounds events of the device are held to. */
void bus_devref_set_info(struct vmsg_host_bus *bus, struct bus_devref *ref, uint32_t max_virtqueues,
			 uint32_t config_size);

#endif /* VMSG_HOST_BUS_PRIV_H */
