/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmsg_pci.h - internals of vmsg_pci.ko, the virtio-msg PCIe bus driver
 * (docs/pcie-binding.md, host side).
 *
 * One PCI function is one virtio-msg bus. The bus owns the wire: BAR0, the
 * host area, the two rings, tokens, epochs, interrupts and liveness; the
 * generic transport (virtio_msg.ko) owns the virtio devices
 * (virtio_msg_bus.h).
 *
 * Contexts:
 *   rx_dwork   (vp->rx_wq, unbound, high priority, WQ_MEM_RECLAIM) drains
 *              the c2h ring:
 *              kicked by the MSI-X/MSI handler, re-armed as the polling
 *              timer in POLL mode and while EVENT_AVAILs wait for room.
 *              Events are dispatched from it under rx_lock only, with
 *              bottom halves and interrupts disabled (like VDUSE).
 *   ctl_dwork  (vp->ctl_wq, ordered) everything that sleeps on the link:
 *              attach, enumeration, EVENT_DEVICE add/remove, session
 *              teardown and re-attach polling. It serializes every call of
 *              virtio_msg_device_add/unregister/remove (virtio_msg_bus.h).
 *   ping_dwork (system_wq) liveness; never blocks.
 *
 * Locks, outermost first:
 *   ctl_lock   mutex: the ctl operations above, remove, reset, AER
 *   rx_lock    spinlock (irqsave): taking one c2h message and acting on it
 *              (held across event dispatch into virtio drivers, so it is
 *              never waited for with another lock held: atomic requests
 *              only try it)
 *   c2h_lock   spinlock (irqsave): the c2h consumer index (nests nothing)
 *   req_lock   spinlock (irqsave): request table, vp->state, vp->session
 *   h2c_lock   spinlock (irqsave): h2c producer, coalesced EVENT_AVAILs
 *   evq_lock   spinlock (irqsave): messages deferred by atomic requests,
 *              EVENT_DEVICE queue
 * vp->state changes under req_lock and h2c_lock, so a producer holding
 * either sees a consistent state: nothing is sent on a dead session.
 */
#ifndef VMSG_PCI_H
#define VMSG_PCI_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vmsg_pcie.h"
#include "vmsg_ring.h"
#include "virtio_msg.h"
#include "virtio_msg_validate.h"
#include "virtio_msg_bus.h"

#define VP_DRV_NAME "vmsg_pci"

/* A register reading this: the function is gone ([BAR-4]). */
#define VP_ALL_ONES 0xffffffffu

/* Largest message the bus handles (binding 1.0 cap, [REG-3]). */
#define VP_MSG_MAX VMSG_PCIE_MAX_MSG_SIZE
/* Outstanding requests (power of two; tokens map to slots by low bits). */
#define VP_REQ_SLOTS 256u
/* c2h slots handled per rx pass ([RING-9], [SEC-H-4]). */
#define VP_RX_BUDGET 64u
/* Messages an atomic request took from the c2h ring, kept for rx_dwork. */
#define VP_EVQ_SLOTS 64u
/* EVENT_DEVICE notices waiting for ctl_dwork (overflow: full rescan). */
#define VP_HPQ_SLOTS 64u
/*
 * Distinct (dev_num, queue) EVENT_AVAILs kept while the h2c ring is full;
 * beyond that a device is marked "all queues pending" (avail_all).
 */
#define VP_AVAIL_SLOTS 256u
/* Device numbers on the wire (u16). */
#define VP_DEV_NUMS 65536u
/* Host area the bus allocates at most (a card asking more is refused). */
#define VP_HOST_AREA_MAX (16u << 20)
/* GET_DEVICES requests per enumeration ([BUS-2]). */
#define VP_ENUM_MAX_REQS (65536u / 8u)
/* EEPOCH retries of one attach ([ATT-H-8]). */
#define VP_ATTACH_TRIES 3
/* Link polls while dead ([DEAD-2]) and while waiting for READY. */
#define VP_REVIVE_MS VMSG_PCIE_PING_INTERVAL_MS

/* Bus features this driver implements ([FEAT-2]; no BAR-only fallback). */
#define VP_HOST_FEATURES                                                       \
	(VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI |       \
	 VMSG_PCIE_F_ERROR_MSG | VMSG_PCIE_F_DMA_ENGINE |                      \
	 VMSG_PCIE_F_OOB_NOTIFY)

/* vmsg_pci.irq_mode= values (0: best the card offers) */
#define VP_IRQ_PARAM_AUTO 0u
#define VP_IRQ_PARAM_MSIX 1u
#define VP_IRQ_PARAM_MSI 2u
#define VP_IRQ_PARAM_POLL 3u

/* Local link view. */
enum vp_state {
	VP_DOWN,	/* no session: before the first attach, after detach */
	VP_RUN,		/* attached; rings live on vp->epoch */
	VP_DEAD,	/* session lost (PEER_DEAD); devices being removed or gone */
	VP_GONE,	/* function removed / frozen: never touch it again */
};

/* vp->flags bits */
enum {
	VP_F_IRQ,	 /* an interrupt arrived since the last rx pass */
	VP_F_REMOVING,	 /* remove/shutdown in progress: no new ctl work */
	VP_F_TEARDOWN,	 /* ctl: end the session, remove every device */
	VP_F_FENCE,	 /* ... and fence the card before freeing anything */
	VP_F_ATTACH,	 /* ctl: attach (again) and enumerate */
	VP_F_RESCAN,	 /* ctl: enumerate and reconcile (EVENT_DEVICE lost) */
	VP_F_FROZEN,	 /* AER: no MMIO until resume */
	VP_F_NOTIFY_OFF, /* c2h NEED_NOTIFY disarmed while rx is busy */
	VP_F_ATTACH_BAD, /* last attach refused: retry only on a new epoch */
	VP_F_SHUTDOWN,	 /* card in SHUTDOWN: rx drains c2h, then ends */
};

/* Counters (debugfs stats), [CNT-2]. Keep vp_stat_names[] in step. */
enum vp_stat {
	VP_ST_TX_MSGS,
	VP_ST_RX_MSGS,
	VP_ST_TX_REQUESTS,
	VP_ST_TX_EVENTS,
	VP_ST_RX_RESPONSES,
	VP_ST_RX_EVENTS,
	VP_ST_DROP_MALFORMED,
	VP_ST_DROP_RING,
	VP_ST_DROP_STALE,
	VP_ST_DROP_UNMATCHED,
	VP_ST_DROP_ECHO,
	VP_ST_DROP_NO_DEVICE,
	VP_ST_DROP_UNSUPPORTED,
	VP_ST_DROP_EVQ_FULL,
	VP_ST_DEFERRED,
	VP_ST_REQ_TIMEOUTS,
	VP_ST_REQ_FAILED,
	VP_ST_ERRORS_RX,
	VP_ST_H2C_FULL,
	VP_ST_AVAIL_DEFERRED,
	VP_ST_AVAIL_COALESCED,
	VP_ST_AVAIL_ALL,
	VP_ST_ATOMIC_REQUESTS,
	VP_ST_IRQS,
	VP_ST_IRQS_EMPTY,
	VP_ST_RX_BUDGET_HIT,
	VP_ST_DOORBELLS,
	VP_ST_PINGS_SENT,
	VP_ST_PINGS_OK,
	VP_ST_PING_MISSES,
	VP_ST_CARD_PINGS,
	VP_ST_LINK_CHECKS,
	VP_ST_ATTACHES,
	VP_ST_ATTACH_FAILS,
	VP_ST_DETACHES,
	VP_ST_PEER_DEAD,
	VP_ST_HOTPLUG_EVENTS,
	VP_ST_DEV_ADDED,
	VP_ST_DEV_ADD_FAILS,
	VP_ST_DEV_REMOVED,
	VP_ST_ENUMERATIONS,
	VP_ST_OOB_QUEUES,
	VP_ST_OOB_NO_SLOT,
	VP_ST_OOB_IRQS,
	VP_ST_OOB_IRQS_IDLE,
	VP_ST__COUNT
};

extern const char *const vp_stat_names[VP_ST__COUNT];

/* Request table entry kinds. */
enum vp_req_kind {
	VP_REQ_FREE = 0,
	VP_REQ_WAIT,	/* a sleeping or atomic requester owns resp */
	VP_REQ_PING,	/* our liveness PING: no requester */
};

struct vp_req {
	u8 kind;
	u8 type;		/* request type byte (bus bit) */
	u8 msg_id;
	bool done;
	u16 token;
	u16 dev_num;
	int result;		/* > 0 response length, or -errno */
	u32 session;		/* vp->session when sent */
	u32 ping_data;
	void *resp;
	size_t resp_cap;
	struct completion *comp; /* NULL: requester polls */
};

/* One coalesced EVENT_AVAIL. */
struct vp_avail {
	u16 dev_num;
	u32 vq;
	u32 next_offset;
};

struct vp_evmsg {
	u16 len;
	u8 buf[VP_MSG_MAX];
};

struct vp_hp {
	u16 dev_num;
	u16 state;
};

/*
 * OOB_NOTIFY (binding 7.5): doorbell n carries the queue of oob[n]. Fields
 * change under oob_lock only while the queue is not live (setup before its
 * SET_VQUEUE, release after its reset); the kick and the vector handler read
 * them without a lock.
 */
struct vp_oob_slot {
	u16 dev_num;		/* 0: free */
	u16 queue;
	u16 vector;		/* VMSG_OOB_VEC_NONE, or 1..oob_nvec-1 */
	atomic_t seq;		/* the doorbell value last written */
	atomic64_t kicks;
} ____cacheline_aligned;

/* request_irq cookie of a per-queue vector */
struct vp_oob_vec {
	struct vmsg_pci *vp;
	u16 vec;
};

struct vmsg_pci {
	struct pci_dev *pdev;
	struct virtio_msg_bus bus;
	bool emu;			/* QEMU ivshmem emulated link */
	int bar;			/* the BAR holding "BAR0" */
	resource_size_t bar_len;
	void __iomem *regs;		/* control block, uncached */
	void __iomem *emu_regs;		/* ivshmem registers (doorbell) */
	void __iomem *h2c_map;		/* h2c ring, write-combining */
	void __iomem *cons_map;		/* c2h consumer line if outside regs */

	/* Geometry and parameters of the session (read once at attach). */
	u32 card_features;
	u32 features;			/* negotiated */
	u32 max_msg;			/* message size used both ways */
	u32 dma_bits;
	u32 num_doorbells;
	u32 num_vectors;
	u32 h2c_off, h2c_size, cons_off;
	u32 transport_rev;
	u32 irq_mode;			/* VMSG_IRQ_* used */
	u32 ctrl_count;			/* doorbell[VMSG_DB_CTRL] value */

	/* Host area ([PLACE-1]); kept across sessions, freed at remove. */
	void *area;
	dma_addr_t area_dma;
	size_t area_size;

	/* Interrupts */
	int nvec;			/* vectors allocated (0: none) */
	int oob_nvec;			/* vec_c2h + per-queue vectors with a handler */
	int irq;			/* Linux irq of vec_c2h, or -1 */
	u32 poll_jiffies;
	unsigned long link_read;	/* jiffies of the last link_state read */

	/* Link state; under req_lock + h2c_lock (see the file comment). */
	enum vp_state state;
	u32 epoch;			/* session epoch */
	u32 session;			/* bumped at every session start/end */
	u32 last_epoch;			/* epoch of the last session or refusal */
	unsigned long flags;

	/* Requests */
	spinlock_t req_lock;
	struct vp_req reqs[VP_REQ_SLOTS];
	u16 next_token;
	u32 nreqs;			/* outstanding */

	/* h2c producer + coalesced EVENT_AVAILs */
	spinlock_t h2c_lock;
	struct vmsg_ring h2c;
	wait_queue_head_t h2c_wq;	/* requesters waiting for room */
	struct vp_avail *avail;		/* VP_AVAIL_SLOTS */
	u32 navail;
	unsigned long *avail_all;	/* VP_DEV_NUMS bits: every queue */
	u32 navail_all;			/* bits set in avail_all */

	/* c2h consumer; rx_lock: take + act on one message (c2h.c) */
	spinlock_t rx_lock;
	int rx_cpu;			/* CPU holding rx_lock, -1: none */
	u16 rx_disp_dev;		/* device rx_dwork dispatches to, 0 */
	spinlock_t c2h_lock;
	struct vmsg_ring c2h;

	/* Deferred events and EVENT_DEVICE queue */
	spinlock_t evq_lock;
	struct vp_evmsg *evq;		/* VP_EVQ_SLOTS */
	u32 evq_head, evq_count;
	struct vp_hp hpq[VP_HPQ_SLOTS];
	u32 hpq_head, hpq_count;

	/* OOB_NOTIFY (vmsg_pci_oob.c) */
	spinlock_t oob_lock;
	struct vp_oob_slot oob[VMSG_PCIE_MAX_DOORBELLS];
	struct vp_oob_vec oob_vec[VMSG_PCIE_MAX_VECTORS];

	/* Devices: dev_num -> struct virtio_msg_device *, RCU lookups */
	struct xarray devs;
	u32 ndevs;
	u32 max_devs;

	/* Liveness */
	u32 ping_seq;
	u16 ping_token;			/* outstanding PING, 0: none */
	bool ping_answered;
	u32 ping_misses;
	u32 last_hb;			/* heartbeat seen while dead */
	bool hb_valid;

	struct workqueue_struct *rx_wq;
	struct workqueue_struct *ctl_wq;
	struct delayed_work rx_dwork;
	struct delayed_work ctl_dwork;
	struct delayed_work ping_dwork;
	struct mutex ctl_lock;

	struct dentry *dbg;
	atomic64_t dbg_atomic_sent, dbg_atomic_ok;	/* debugfs atomic_ping */
	int dbg_atomic_err;
	atomic64_t st[VP_ST__COUNT];
	atomic64_t st_verdict[VMSG_E__COUNT];
};

#define vp_err(vp, fmt, ...) dev_err(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)
#define vp_warn(vp, fmt, ...) dev_warn(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)
#define vp_info(vp, fmt, ...) dev_info(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)
#define vp_dbg(vp, fmt, ...) dev_dbg(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)
#define vp_info_rl(vp, fmt, ...)                                               \
	dev_info_ratelimited(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)
#define vp_warn_rl(vp, fmt, ...)                                               \
	dev_warn_ratelimited(&(vp)->pdev->dev, fmt, ##__VA_ARGS__)

static inline void vp_count(struct vmsg_pci *vp, enum vp_stat s)
{
	atomic64_inc(&vp->st[s]);
}

static inline u64 vp_stat(struct vmsg_pci *vp, enum vp_stat s)
{
	return atomic64_read(&vp->st[s]);
}

#define VP_REG(f) offsetof(struct vmsg_pcie_regs, f)

static inline u32 vp_rd(struct vmsg_pci *vp, u32 off)
{
	return readl(vp->regs + off);
}

static inline void vp_wr(struct vmsg_pci *vp, u32 off, u32 v)
{
	writel(v, vp->regs + off);
}

static inline bool vp_running(struct vmsg_pci *vp)
{
	return READ_ONCE(vp->state) == VP_RUN;
}

/* vmsg_pci_main.c */
extern unsigned int vp_param_irq_mode;
extern unsigned int vp_param_max_devices;
extern unsigned int vp_param_ping_ms;
extern unsigned int vp_param_ping_misses;
extern bool vp_param_oob;

/* [TMO-4]: the PING period and the misses that end a session (parameters). */
static inline unsigned long vp_ping_jiffies(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(vp_param_ping_ms), 50u, 60000u));
}

static inline u32 vp_ping_misses_max(void)
{
	return clamp(READ_ONCE(vp_param_ping_misses), 1u, 100u);
}
const char *vp_link_name(u32 state);
const char *vp_attach_err_name(u32 err);

/* vmsg_pci_link.c */
int vp_link_init(struct vmsg_pci *vp);
void vp_link_fini(struct vmsg_pci *vp);
void vp_ctl_work(struct work_struct *work);
void vp_doorbell(struct vmsg_pci *vp, u32 idx, u32 val);
void vp_declare_dead(struct vmsg_pci *vp, const char *why, bool fence);
void vp_set_state(struct vmsg_pci *vp, enum vp_state st);
void vp_end_session(struct vmsg_pci *vp);
void vp_check_link(struct vmsg_pci *vp, const char *why);
void vp_poll_link(struct vmsg_pci *vp);
void vp_kick_ctl(struct vmsg_pci *vp, unsigned int bit, unsigned long delay);
void vp_teardown(struct vmsg_pci *vp, bool graceful);
void vp_quiesce_irq(struct vmsg_pci *vp);
bool vp_bar_gone(struct vmsg_pci *vp);
u32 vp_setup_irq(struct vmsg_pci *vp);

/* vmsg_pci_attach.c */
void vp_attach(struct vmsg_pci *vp);
int vp_detach(struct vmsg_pci *vp);
void vp_free_area(struct vmsg_pci *vp);

/* vmsg_pci_ping.c */
void vp_ping_work(struct work_struct *work);
int vp_send_ping(struct vmsg_pci *vp);
void vp_answer_ping(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
		    const u8 *msg);

/* vmsg_pci_ops.c */
extern const struct virtio_msg_bus_ops vp_bus_ops;
int vp_request(struct vmsg_pci *vp, const void *req, size_t len, void *resp,
	       size_t resp_cap, unsigned int timeout_ms);

/* vmsg_pci_h2c.c (vp_*_locked: h2c_lock held) */
int vp_send_locked(struct vmsg_pci *vp, const void *msg, u32 len);
void vp_notify_locked(struct vmsg_pci *vp);
int vp_send(struct vmsg_pci *vp, const void *msg, u32 len);
int vp_send_wait(struct vmsg_pci *vp, const u8 *buf, size_t len,
		 unsigned long deadline);
int vp_send_event(struct vmsg_pci *vp, const void *msg, size_t len);
void vp_h2c_service(struct vmsg_pci *vp, u32 *navail);

/* vmsg_pci_req.c */
void vp_fail_requests(struct vmsg_pci *vp, int dev_num, int err);
int vp_req_start(struct vmsg_pci *vp, const void *req, size_t len,
		 void *resp, size_t resp_cap, struct completion *comp,
		 u8 *buf);
int vp_req_finish(struct vmsg_pci *vp, u16 token);
bool vp_req_is_done(struct vmsg_pci *vp, u16 token);
int vp_req_ping_start(struct vmsg_pci *vp, u32 *data);
void vp_req_ping_cancel(struct vmsg_pci *vp, u16 token);
bool vp_req_ping_expire(struct vmsg_pci *vp);
void vp_complete(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
		 const u8 *msg, size_t len);

/* vmsg_pci_c2h.c */
void vp_rx_work(struct work_struct *work);
void vp_kick_rx(struct vmsg_pci *vp, unsigned long delay);
void vp_rx_poll_atomic(struct vmsg_pci *vp, u8 *buf, u16 own_token);
bool vp_validate(struct vmsg_pci *vp, const void *msg, size_t len,
		 enum vmsg_dir dir, struct vmsg_msg_info *mi);

/* vmsg_pci_evq.c: an atomic requester taking c2h slots (see there) */
struct vp_poller {
	u16 own_token;		/* the atomic request's token */
	bool nested;		/* inside rx_dwork's dispatch on this CPU */
	bool kicked;		/* rx_dwork kicked for what was deferred */
};

bool vp_defer(struct vmsg_pci *vp, struct vp_poller *pl,
	      const struct vmsg_msg_info *mi, const u8 *msg, size_t len);
bool vp_evq_full(struct vmsg_pci *vp);
size_t vp_evq_pop(struct vmsg_pci *vp, u8 *buf);

/* vmsg_pci_dev.c */
int vp_enumerate(struct vmsg_pci *vp, bool reconcile);
void vp_hotplug_run(struct vmsg_pci *vp);
void vp_hotplug_queue(struct vmsg_pci *vp, u16 dev_num, u16 state);
void vp_dev_remove(struct vmsg_pci *vp, u16 dev_num, bool graceful);
void vp_dev_remove_all(struct vmsg_pci *vp, bool graceful);
void vp_dev_break_all(struct vmsg_pci *vp);

/* vmsg_pci_oob.c (binding 7.5) */
int vp_oob_setup(struct virtio_msg_bus *bus, u16 dev_num, u32 index);
int vp_oob_kick(struct virtio_msg_bus *bus, int handle);
void vp_oob_release(struct virtio_msg_bus *bus, int handle);
void vp_oob_flush_dev(struct vmsg_pci *vp, struct virtio_msg_device *vmdev,
		      u16 dev_num);
void vp_oob_session_start(struct vmsg_pci *vp);
int vp_oob_irqs_request(struct vmsg_pci *vp);
void vp_oob_irqs_free(struct vmsg_pci *vp);
u32 vp_oob_host_vectors(struct vmsg_pci *vp, u32 feats, u32 mode);

/* vmsg_pci_debugfs.c */
void vp_debugfs_init(void);
void vp_debugfs_exit(void);
void vp_debugfs_add(struct vmsg_pci *vp);
void vp_debugfs_remove(struct vmsg_pci *vp);

#endif /* VMSG_PCI_H */
