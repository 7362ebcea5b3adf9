/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * core_priv.h - the card engine's internals, shared by the files of
 * ep_function/core only. Nothing outside core includes this header.
 *
 * File map (one job each):
 *   card_create.c   create/destroy, configuration, BAR0 publication, epoch
 *   card_link.c     host_ctrl mailbox: ATTACH checks, session start, DETACH
 *   card_poll.c     vmsg_card_poll(), heartbeat, counters, accessors
 *   card_rx.c       h2c drain, epoch filter, validation, routing
 *   card_tx.c       c2h send, pending queue, interrupt
 *   card_bus.c      GET_DEVICES, PING, bus ERROR, EVENT_DEVICE
 *   card_hotplug.c  add/remove devices, shutdown
 *   dev_msg.c       transport dispatch, GET_DEVICE_INFO, features
 *   dev_status.c    device status state machine and resets
 *   dev_config.c    GET/SET_CONFIG, EVENT_CONFIG
 *   dev_vq.c        GET/SET/RESET_VQUEUE, GET_SHM, EVENT_AVAIL
 *   dev_api.c       what backends call: host memory, EVENT_USED, log
 *   card_oob.c      OOB_NOTIFY: per-queue doorbells and vectors (7.5)
 *   card_inject.c   test hooks (vmsg_card_test.h): NOT in the library
 *                   vmsg_core, only in vmsg_core_test (tests, vmsg-card-test)
 *
 * OS-free: no libc header. Copies and zeroing use vmsg_bytes.h, memory the
 * platform's zalloc/free, log lines the platform's log (vmsg_card.h).
 */
#ifndef VMSG_CORE_PRIV_H
#define VMSG_CORE_PRIV_H

#include "vmsg_card.h"
#include "vmsg_dev.h"
#include "vmsg_ring.h"
#include "vmsg_barrier.h"

/* Messages drained from the h2c ring per vmsg_card_poll() (bounded work). */
#define CARD_RX_BUDGET 64u
/* Messages that wait for room in the c2h ring. */
#define CARD_PENDING_SLOTS 64u
/* h2c is drained only while this many pending entries are free, so a full
 * c2h ring pushes back on the host instead of losing responses. */
#define CARD_PENDING_HEADROOM 4u
/* Longest a caller may sleep between polls ([NTF-5], heartbeat). */
#define CARD_IDLE_TIMEOUT_MS VMSG_PCIE_NOTIFY_RECHECK_MS
/* Longest a message the engine builds: the binding's cap. */
#define CARD_MSG_MAX	    VMSG_PCIE_MAX_MSG_SIZE
#define CARD_MAX_QUEUE_SIZE 32768u

#define REG_OFF(field) offsetof(struct vmsg_pcie_regs, field)

/* FIFO of messages waiting for room in the c2h ring. */
struct card_pending {
	uint8_t *buf; /* CARD_PENDING_SLOTS * CARD_MSG_MAX bytes */
	uint16_t len[CARD_PENDING_SLOTS];
	uint32_t head;
	uint32_t count;
};

/* Engine-private state per dev_num. */
struct card_slot {
	struct vmsg_dev *dev;
	uint32_t used_epoch;   /* epoch in which this number was last given out */
	bool bad_feature_bits; /* driver acked bits beyond the 64 we know */
	bool reset_event_due;  /* NEEDS_RESET event lost to a full queue */
	uint16_t used_signalled[VMSG_DEV_MAX_QUEUES]; /* used idx at last EVENT_USED */
	/* [OOB-4]: the card's own copy of the queue map (0: no doorbell) */
	uint8_t oob_db[VMSG_DEV_MAX_QUEUES];
	uint16_t oob_vec[VMSG_DEV_MAX_QUEUES]; /* VMSG_OOB_VEC_NONE: in-band */
};

/* Which queue keeps doorbell n (dev_num 0: none). */
struct card_oob_db {
	vmsg_dev_num_t dev_num;
	uint16_t queue;
};

/* The attached session (valid while link is RUN or SHUTDOWN after RUN). */
struct card_session {
	bool live;
	uint32_t host_features;
	uint32_t irq_mode;
	uint32_t vec_c2h;
	uint32_t host_vectors; /* [OOB-2], with OOB_NOTIFY only */
	uint64_t area_addr;
	uint32_t area_size;
	volatile uint8_t *area;
	struct vmsg_ring h2c; /* consumer view: slots in BAR0, cons in the host area */
	struct vmsg_ring c2h; /* producer view: slots in the host area, cons in BAR0 */
};

struct vmsg_card {
	struct vmsg_card_platform plat;
	struct vmsg_card_config cfg;
	volatile uint8_t *bar0;
	uint32_t ring_bytes;	/* one ring, header included */
	uint32_t host_area_min; /* published in BAR0 */
	enum vmsg_link_state link;
	uint32_t epoch;
	uint32_t epoch_seq;
	bool shutdown;
	bool in_poll;
	bool irq_due;
	bool rx_more;	       /* the last drain stopped on its budget */
	bool reset_events_due; /* some slot's reset_event_due may be set */
	uint32_t dev_top;      /* no slot above this ever held a device */
	uint32_t last_db[VMSG_PCIE_MAX_DOORBELLS];
	struct card_oob_db oob[VMSG_PCIE_MAX_DOORBELLS]; /* [OOB-4] */
	uint32_t heartbeat;
	uint64_t recheck_ns;   /* last [NTF-5] c2h interrupt re-check */
	uint32_t recheck_cons; /* c2h consumer index seen then */
	struct card_session s;
	struct vmsg_validate_opts vopts;
	struct card_pending pend;
	struct card_slot *slots; /* [max_devices + 1], index 0 unused */
	struct vmsg_card_stats stats;
	uint64_t cnt_mirror[8]; /* the BAR0 counters as last written (card_poll.c) */
	uint8_t rx[VMSG_RING_MAX_SLOT_SIZE];
};

/* ---- BAR0 register access (card-local memory, le32 fields) ---- */
static inline uint32_t card_reg_rd(const struct vmsg_card *c, size_t off)
{
	return vmsg_le32_to_cpu(VMSG_READ_ONCE32(c->bar0 + off));
}

static inline void card_reg_wr(struct vmsg_card *c, size_t off, uint32_t v)
{
	VMSG_WRITE_ONCE32(c->bar0 + off, vmsg_cpu_to_le32(v));
}

static inline void card_reg_wr64(struct vmsg_card *c, size_t off, uint64_t v)
{
	card_reg_wr(c, off, (uint32_t)v);
	card_reg_wr(c, off + 4, (uint32_t)(v >> 32));
}

static inline bool card_attached(const struct vmsg_card *c)
{
	return c->s.live;
}

static inline bool card_negotiated(const struct vmsg_card *c, uint32_t f)
{
	return c->s.live && (c->s.host_features & f) != 0;
}

/* Does [addr, addr + len) lie below 2^dma_addr_bits (no wrap)? */
bool card_dma_range_ok(const struct vmsg_card *c, uint64_t addr, uint64_t len);

/* card_create.c */
uint32_t card_new_epoch(struct vmsg_card *c);
void card_set_link(struct vmsg_card *c, enum vmsg_link_state st);
int card_format_h2c(struct vmsg_card *c);
void card_publish(struct vmsg_card *c);
void card_log(struct vmsg_card *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* card_oob.c (binding 7.5) */
void card_oob_queue_set(struct vmsg_dev *d, uint32_t vq);
void card_oob_queue_clear(struct vmsg_card *c, struct card_slot *sl, uint32_t vq);
void card_oob_session_start(struct vmsg_card *c);
void card_oob_poll(struct vmsg_card *c);
bool card_oob_raise(struct vmsg_dev *d, uint32_t vq);

/* card_link.c */
void card_link_poll(struct vmsg_card *c);
void card_session_end(struct vmsg_card *c);
void card_session_drop(struct vmsg_card *c);

/* card_rx.c */
uint32_t card_rx_drain(struct vmsg_card *c);

/* card_tx.c */
void card_send(struct vmsg_card *c, const void *msg, size_t len);
void card_flush(struct vmsg_card *c);
void card_irq_flush(struct vmsg_card *c);
void card_irq_force(struct vmsg_card *c);
void card_irq_raise(struct vmsg_card *c, uint32_t irq_mode, uint32_t vec);
void card_irq_recheck(struct vmsg_card *c);
void card_pending_drop_events(struct vmsg_card *c, vmsg_dev_num_t dev, uint32_t vq);
void card_pending_clear(struct vmsg_card *c);
uint32_t card_pending_free(const struct vmsg_card *c);

/* card_bus.c */
void card_bus_rx(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *msg);
void card_bus_error(struct vmsg_card *c, const struct vmsg_msg_info *mi, uint16_t err);
void card_event_device(struct vmsg_card *c, vmsg_dev_num_t dev_num, uint16_t state);

/* card_hotplug.c */
struct card_slot *card_slot_of(struct vmsg_card *c, vmsg_dev_num_t dev_num);
struct vmsg_dev *card_live_dev(struct vmsg_card *c, vmsg_dev_num_t dev_num);
void card_devices_poll(struct vmsg_card *c);
void card_devices_reset(struct vmsg_card *c);

/* dev_msg.c */
void card_dev_rx(struct vmsg_card *c, const struct vmsg_msg_info *mi, const uint8_t *msg);
void dev_reply(struct vmsg_dev *d, const void *msg, size_t len);

/* dev_status.c */
void dev_set_status_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_get_status_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi);
void dev_full_reset(struct vmsg_dev *d);
void dev_queue_clear(struct vmsg_dev *d, uint32_t vq);

/* dev_config.c */
void dev_get_config_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_set_config_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_send_event_config(struct vmsg_dev *d, uint32_t off, uint32_t len);

/* dev_vq.c */
void dev_get_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_set_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_reset_vqueue_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_get_shm_msg(struct vmsg_dev *d, const struct vmsg_msg_info *mi, const uint8_t *pl);
void dev_event_avail_msg(struct vmsg_dev *d, const uint8_t *pl);
void dev_event_avail(struct vmsg_dev *d, uint32_t vq);

#endif /* VMSG_CORE_PRIV_H */
