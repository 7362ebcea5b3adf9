// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * bus_io.c - the message path: h2c producer, c2h consumer, token matching,
 * events, bounded waits.
 */
#include "bus_priv.h"
#include "vmsg_host_dev.h"
#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#define BUS_IRQ_SLICE_MS 100 /* waiters re-check at least this often */
#define BUS_SPIN_LOOPS	 256 /* poll mode: lock-free spins before a sched_yield() */

/* ---- events ---- */

void bus_queue_event(struct vmsg_host_bus *bus, const struct vmsg_host_event *ev)
{
	if (!bus->opts.event_cb)
		return;
	if (bus->evq_tail - bus->evq_head >= BUS_EVQ_SIZE) {
		bus->st.events_dropped++;
		return;
	}
	bus->evq[bus->evq_tail % BUS_EVQ_SIZE] = *ev;
	bus->evq_tail++;
}

void bus_dispatch(struct vmsg_host_bus *bus)
{
	struct vmsg_host_event ev;

	if (!bus->opts.event_cb)
		return;
	if (pthread_mutex_trylock(&bus->dispatch_lock))
		return; /* someone is dispatching: it will drain the queue */
	for (;;) {
		pthread_mutex_lock(&bus->lock);
		if (bus->evq_head == bus->evq_tail) {
			pthread_mutex_unlock(&bus->lock);
			break;
		}
		ev = bus->evq[bus->evq_head % BUS_EVQ_SIZE];
		bus->evq_head++;
		pthread_mutex_unlock(&bus->lock);
		bus->opts.event_cb(bus->opts.event_arg, &ev);
	}
	pthread_mutex_unlock(&bus->dispatch_lock);
}

/* ---- requests ---- */

static struct vmsg_host_req *req_by_token(struct vmsg_host_bus *bus, uint16_t token)
{
	unsigned int i;

	for (i = 0; i < BUS_MAX_INFLIGHT; i++) {
		struct vmsg_host_req *r = &bus->reqs[i];

		if (r->in_use && !r->done && r->token == token)
			return r;
	}
	return NULL;
}

static bool token_busy(struct vmsg_host_bus *bus, uint16_t token)
{
	unsigned int i;

	for (i = 0; i < BUS_MAX_INFLIGHT; i++)
		if (bus->reqs[i].in_use && bus->reqs[i].token == token)
			return true;
	return false;
}

static uint16_t token_alloc(struct vmsg_host_bus *bus)
{
	uint16_t t;

	do {
		t = ++bus->next_token;
	} while (t == 0 || token_busy(bus, t));
	return t;
}

void bus_req_release_locked(struct vmsg_host_bus *bus, struct vmsg_host_req *req)
{
	(void)bus;
	memset(req, 0, sizeof(*req));
}

static void req_complete(struct vmsg_host_bus *bus, struct vmsg_host_req *r, int err,
			 uint16_t bus_error, const void *resp, uint16_t len)
{
	r->done = true;
	r->err = err;
	r->bus_error = bus_error;
	if (resp && len <= sizeof(r->resp)) {
		memcpy(r->resp, resp, len);
		r->resp_len = len;
	}
	if (r->orphan)
		bus_req_release_locked(bus, r);
}

void bus_fail_all_locked(struct vmsg_host_bus *bus, int err)
{
	unsigned int i;

	for (i = 0; i < BUS_MAX_INFLIGHT; i++)
		if (bus->reqs[i].in_use && !bus->reqs[i].done)
			req_complete(bus, &bus->reqs[i], err, 0, NULL, 0);
}

void bus_fail_dev_locked(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, int err)
{
	unsigned int i;

	for (i = 0; i < BUS_MAX_INFLIGHT; i++) {
		struct vmsg_host_req *r = &bus->reqs[i];

		if (r->in_use && !r->done && !(r->type & VIRTIO_MSG_TYPE_BUS) && r->dev_num == dev)
			req_complete(bus, r, err, 0, NULL, 0);
	}
}

static int map_bus_error(uint16_t e)
{
	switch (e) {
	case VMSG_PCIE_ERR_NO_DEVICE:
		return -ENODEV;
	case VMSG_PCIE_ERR_SHUTDOWN:
		return -ESHUTDOWN;
	case VMSG_PCIE_ERR_UNSUPPORTED:
		return -EOPNOTSUPP;
	case VMSG_PCIE_ERR_BUSY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static void doorbell_locked(struct vmsg_host_bus *bus);

/* ---- the c2h path ---- */

/* An older request of the same device still waits: [ORDR-4] counts it. */
static bool older_pending(struct vmsg_host_bus *bus, const struct vmsg_host_req *r)
{
	unsigned int i;

	for (i = 0; i < BUS_MAX_INFLIGHT; i++) {
		const struct vmsg_host_req *o = &bus->reqs[i];

		if (o != r && o->in_use && !o->done && !o->orphan && o->dev_num == r->dev_num &&
		    (o->type & VIRTIO_MSG_TYPE_BUS) == (r->type & VIRTIO_MSG_TYPE_BUS) &&
		    o->seq < r->seq)
			return true;
	}
	return false;
}

/* [TOK-3]: matched by (dev_num, token), or for a bus ERROR by token and
 * req_dev_num; the echoed fields are a consistency check only: a mismatch is
 * counted and fails the request at once. */
static void handle_response(struct vmsg_host_bus *bus, const uint8_t *m,
			    const struct vmsg_msg_info *mi)
{
	struct vmsg_host_req *r = req_by_token(bus, mi->token);
	bool is_error = mi->is_bus && mi->msg_id == VMSG_PCIE_BUS_MSG_ERROR;
	const uint8_t *p = m + VIRTIO_MSG_HEADER_SIZE;
	vmsg_dev_num_t dev = is_error ? vmsg_get_le16(p + 2) : mi->dev_num;

	if (!r || r->dev_num != dev) {
		bus->st.rx_unsolicited++; /* [TOK-4] */
		return;
	}
	if (older_pending(bus, r))
		bus->st.rx_out_of_order++;
	if (is_error) {
		uint16_t err = vmsg_get_le16(p + 4);
		bool gone;

		if ((p[0] & 0x3u) != (r->type & 0x3u) || p[1] != r->msg_id) {
			bus->st.rx_mismatch++;
			req_complete(bus, r, -EPROTO, 0, NULL, 0);
			return;
		}
		/* [BUS-7]: the probe of a device (GET_DEVICE_INFO) answered with
		 * NO_DEVICE: the device READY announced is not there; it stops
		 * being present (see bus_set_present_locked()) */
		gone = err == VMSG_PCIE_ERR_NO_DEVICE && !(r->type & VIRTIO_MSG_TYPE_BUS) &&
		       r->msg_id == VIRTIO_MSG_GET_DEVICE_INFO;
		bus->st.rx_bus_errors++;
		req_complete(bus, r, map_bus_error(err), err, NULL, 0); /* may free r */
		if (gone)
			bus_set_present_locked(bus, dev, false, -ENODEV);
		return;
	}
	if (mi->is_bus != !!(r->type & VIRTIO_MSG_TYPE_BUS) || mi->msg_id != r->msg_id ||
	    (mi->is_bus && mi->msg_id == VIRTIO_BUS_MSG_PING && vmsg_get_le32(p) != r->ping_data)) {
		/* a PING answer echoes the data of its own request ([BUS-4]) */
		bus->st.rx_mismatch++;
		req_complete(bus, r, -EPROTO, 0, NULL, 0);
		return;
	}
	req_complete(bus, r, 0, 0, m, mi->msg_size);
}

/*
 * [BUS-4]: a PING from the card is answered, but never from here: this runs
 * inside the c2h path, and sending may find the h2c ring full and drain c2h
 * again (more PINGs, deeper, until the stack is gone). The answer is queued
 * (bounded) and flush_pongs_locked() sends it from the top of
 * bus_poll_locked() once h2c has room; with the queue full the PING goes
 * unanswered (counted): a card that stops consuming h2c gets no more.
 */
static void handle_ping_req(struct vmsg_host_bus *bus, const uint8_t *m,
			    const struct vmsg_msg_info *mi)
{
	bus->st.rx_pings++;
	if (bus->npongs >= BUS_MAX_PENDING_PONGS) {
		bus->st.ping_resp_dropped++;
		return;
	}
	bus->pongs[bus->npongs].token = mi->token;
	bus->pongs[bus->npongs].data = vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE);
	bus->npongs++;
}

/*
 * [SEC-H-3]: the bounds a device's events are held to, from GET_DEVICE_INFO
 * as its open handles checked it (the smallest if several handles disagree).
 * False when no live handle has it (not open, or still opening).
 */
static bool dev_bounds(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, uint32_t *max_vqs,
		       uint32_t *config_size)
{
	const struct bus_devref *d;
	bool known = false;

	for (d = bus->devs; d; d = d->next) {
		if (d->dev_num != dev || d->gone || !d->have_info)
			continue;
		if (!known || d->max_virtqueues < *max_vqs)
			*max_vqs = d->max_virtqueues;
		if (!known || d->config_size < *config_size)
			*config_size = d->config_size;
		known = true;
	}
	return known;
}

static void handle_event(struct vmsg_host_bus *bus, const uint8_t *m,
			 const struct vmsg_msg_info *mi)
{
	const uint8_t *p = m + VIRTIO_MSG_HEADER_SIZE;
	struct vmsg_host_event ev = {0};
	uint32_t max_vqs = 0, cfg_size = VMSG_HOST_MAX_CONFIG_SIZE;
	struct bus_devref *d;
	bool known;

	bus->st.rx_events++;
	if (mi->is_bus) {
		uint16_t dev, state;

		if (mi->msg_id != VIRTIO_BUS_MSG_EVENT_DEVICE)
			return;
		dev = vmsg_get_le16(p);
		state = vmsg_get_le16(p + 2);
		if (dev == 0) {
			bus->st.rx_unknown_dev++;
			return;
		}
		if (state == VIRTIO_BUS_DEVICE_STATE_READY) {
			/* bounded: at most VMSG_HOST_BUS_MAX_DEVICES present */
			if (!bus_set_present_locked(bus, dev, true, 0))
				bus->st.rx_bad_event++;
		} else if (state == VIRTIO_BUS_DEVICE_STATE_REMOVED) {
			bus_set_present_locked(bus, dev, false, 0);
		} else if (!bus_is_present(bus, dev)) {
			bus->st.rx_unknown_dev++; /* [BUS-8]: ignored, counted */
		} else {
			ev.kind = VMSG_HOST_EV_DEVICE_STATE;
			ev.dev_num = dev;
			ev.state = state;
			bus_queue_event(bus, &ev);
		}
		return;
	}
	if (!bus_is_present(bus, mi->dev_num)) {
		bus->st.rx_unknown_dev++;
		return;
	}
	known = dev_bounds(bus, mi->dev_num, &max_vqs, &cfg_size);
	ev.dev_num = mi->dev_num;
	if (mi->msg_id == VIRTIO_MSG_EVENT_CONFIG) {
		ev.kind = VMSG_HOST_EV_CONFIG;
		ev.status = vmsg_get_le32(p);
		ev.generation = vmsg_get_le32(p + 4);
		ev.offset = vmsg_get_le32(p + 8);
		ev.length = vmsg_get_le32(p + 12);
		/* [SEC-H-3]: the range inside config_size (VMSG_HOST_MAX_CONFIG_SIZE
		 * while no handle knows it), computed without wrapping; an event
		 * outside is dropped whole: its status and generation are not
		 * believed either */
		if ((uint64_t)ev.offset + ev.length > cfg_size) {
			bus->st.rx_bad_event++;
			return;
		}
		for (d = bus->devs; d; d = d->next) {
			if (d->dev_num != mi->dev_num || d->gone)
				continue;
			d->config_changed = true;
			d->generation = ev.generation;
			d->have_generation = true;
			if (ev.status & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET)
				d->needs_reset = true;
		}
	} else if (mi->msg_id == VIRTIO_MSG_EVENT_USED) {
		ev.kind = VMSG_HOST_EV_USED;
		ev.vq = vmsg_get_le32(p);
		/* [SEC-H-3]: a queue the device has (max_virtqueues from
		 * GET_DEVICE_INFO); without an open handle nobody drives a queue
		 * of that device: dropped too */
		if (!known || ev.vq >= max_vqs) {
			bus->st.rx_bad_event++;
			return;
		}
		for (d = bus->devs; d; d = d->next) {
			if (d->dev_num != mi->dev_num || d->gone)
				continue;
			if (ev.vq < 64)
				__atomic_fetch_or(&d->used_bits, 1ull << ev.vq, __ATOMIC_RELEASE);
			__atomic_fetch_add(&d->used_events, 1, __ATOMIC_RELEASE);
		}
	} else {
		return;
	}
	bus_queue_event(bus, &ev);
}

static void handle_msg(struct vmsg_host_bus *bus, const uint8_t *m, uint32_t len)
{
	struct vmsg_msg_info mi;
	enum vmsg_verdict v;

	v = vmsg_validate(m, len, VMSG_DIR_DEVICE_TO_DRIVER, &bus->vopts, &mi);
	if (v != VMSG_OK) {
		bus->st.rx_malformed++;
		if ((unsigned int)v < VMSG_E__COUNT)
			bus->st.rx_verdicts[v]++;
		return;
	}
	bus->st.rx_msgs++;
	if (mi.is_response)
		handle_response(bus, m, &mi);
	else if (mi.is_event)
		handle_event(bus, m, &mi);
	else if (mi.is_bus && mi.msg_id == VIRTIO_BUS_MSG_PING)
		handle_ping_req(bus, m, &mi);
	else
		bus->st.rx_unsolicited++; /* a request we do not serve */
}

static void flush_kicks_locked(struct vmsg_host_bus *bus)
{
	uint8_t msg[16];
	uint32_t i = 0;

	while (i < bus->nkicks && vmsg_ring_space(&bus->h2c) > 0) {
		size_t n = vmsg_build_event_avail(msg, sizeof(msg), bus->kicks[i].dev,
						  bus->kicks[i].vq, 0);

		if (vmsg_ring_produce(&bus->h2c, msg, (uint32_t)n, bus->epoch))
			break;
		bus->st.tx_msgs++;
		i++;
	}
	if (i == 0)
		return;
	memmove(bus->kicks, bus->kicks + i, (bus->nkicks - i) * sizeof(bus->kicks[0]));
	bus->nkicks -= i;
	doorbell_locked(bus);
}

/* The queued answers to the card's PINGs, as far as h2c has room: never
 * waits, never polls (handle_ping_req()). */
static void flush_pongs_locked(struct vmsg_host_bus *bus)
{
	uint8_t msg[16];
	uint32_t i = 0;

	while (i < bus->npongs && vmsg_ring_space(&bus->h2c) > 0) {
		size_t n = vmsg_build_bus_ping_resp(msg, sizeof(msg), bus->pongs[i].token,
						    bus->pongs[i].data);

		if (n && vmsg_ring_produce(&bus->h2c, msg, (uint32_t)n, bus->epoch))
			break;
		if (n)
			bus->st.tx_msgs++;
		i++;
	}
	if (i == 0)
		return;
	memmove(bus->pongs, bus->pongs + i, (bus->npongs - i) * sizeof(bus->pongs[0]));
	bus->npongs -= i;
	doorbell_locked(bus);
}

/*
 * Drain c2h (bounded by twice the slot count). Nothing it calls sends on
 * h2c with a wait, so it never re-enters itself: the only nesting is
 * bus_send_locked() -> bus_poll_locked(), one level.
 */
int bus_poll_locked(struct vmsg_host_bus *bus)
{
	uint8_t buf[VMSG_RING_MAX_SLOT_SIZE];
	unsigned int n = 0, budget;

	if (bus->state != VMSG_HOST_RUN)
		return 0;
	if (bus->nkicks)
		flush_kicks_locked(bus);
	if (bus->npongs)
		flush_pongs_locked(bus);
	budget = bus->c2h.slot_count * 2u;
	while (n < budget) {
		uint32_t epoch = 0;
		int len = vmsg_ring_consume(&bus->c2h, buf, sizeof(buf), &epoch);

		if (len == 0)
			break;
		n++;
		if (len < 0) {
			bus->st.rx_bad_slot += bus->c2h.bad - bus->c2h_bad_seen;
			bus->c2h_bad_seen = bus->c2h.bad;
			continue;
		}
		/* [RING-6]: len within the slot (checked by the ring) and
		 * <= max_msg_size, before the epoch and the validator */
		if ((uint32_t)len > bus->max_msg_size) {
			bus->st.rx_bad_slot++;
			continue;
		}
		if (epoch != bus->epoch) {
			bus->st.rx_stale_epoch++;
			continue;
		}
		handle_msg(bus, buf, (uint32_t)len);
		if (bus->state != VMSG_HOST_RUN)
			break;
	}
	if (bus->c2h.bad != bus->c2h_bad_seen) {
		bus->st.rx_bad_slot += bus->c2h.bad - bus->c2h_bad_seen;
		bus->c2h_bad_seen = bus->c2h.bad;
	}
	if (bus->npongs && bus->state == VMSG_HOST_RUN)
		flush_pongs_locked(bus);
	if (n)
		pthread_cond_broadcast(&bus->traffic); /* other waiters: look again */
	return (int)n;
}

int vmsg_host_bus_poll(struct vmsg_host_bus *bus)
{
	int n;

	pthread_mutex_lock(&bus->lock);
	n = bus_poll_locked(bus);
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
	return n;
}

/*
 * Poll mode: spin on the c2h producer index itself, without the lock and
 * without a clock read per spin (the caller checks its deadline): one load
 * of the producer line per spin, which is all a bare ping-pong does. The
 * line's address and the index last consumed are taken under the lock;
 * bus_alloc_area() waits for c2h_spinners to drop to 0 before it frees the
 * host area, and no spinner starts while it holds the lock.
 */
static void bus_spin_c2h(struct vmsg_host_bus *bus)
{
	const volatile struct vmsg_ring_idx *prod = bus->c2h.prod;
	uint32_t seen = bus->c2h.local;
	int i;

	__atomic_add_fetch(&bus->c2h_spinners, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&bus->lock);
	for (i = 0; i < BUS_SPIN_LOOPS; i++) {
		if (vmsg_le32_to_cpu(VMSG_READ_ONCE32(&prod->idx)) != seen)
			break;
		vmsg_cpu_relax();
	}
	__atomic_sub_fetch(&bus->c2h_spinners, 1, __ATOMIC_ACQ_REL);
	if (i == BUS_SPIN_LOOPS)
		sched_yield();
}

void bus_wait_traffic(struct vmsg_host_bus *bus, uint64_t deadline_ns)
{
	uint64_t now;
	int ms, fired;

	/* bus->state, bus->irq_mode and the c2h view (vmsg_ring_pending()
	 * updates its cached index) belong to the lock */
	pthread_mutex_lock(&bus->lock);
	if (bus->irq_mode == VMSG_IRQ_POLL && bus->state == VMSG_HOST_RUN) {
		bus_spin_c2h(bus); /* unlocks */
		return;
	}
	if (bus->irq_mode == VMSG_IRQ_POLL || bus->state != VMSG_HOST_RUN) {
		pthread_mutex_unlock(&bus->lock);
		sched_yield();
		return;
	}
	now = bus_now_ns();
	if (now >= deadline_ns) {
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	/* NEED_NOTIFY stays set in interrupt mode ([NTF-3]). One thread sleeps
	 * on the vector and drains; the others sleep on the traffic condition
	 * it broadcasts. Slices keep every waiter re-checking ([NTF-5]). */
	ms = (int)((deadline_ns - now + 999999u) / 1000000u);
	if (ms > BUS_IRQ_SLICE_MS)
		ms = BUS_IRQ_SLICE_MS;
	if (vmsg_ring_pending(&bus->c2h)) {
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	if (bus->irq_waiter) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&bus->traffic, &bus->lock, &ts);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	bus->irq_waiter = true;
	pthread_mutex_unlock(&bus->lock);
	fired = bus->link->ops->wait_irq(bus->link, 0, ms);
	pthread_mutex_lock(&bus->lock);
	bus->irq_waiter = false;
	if (fired > 0) {
		bus->st.irqs++;
		/* [CR-3]: an interrupt with an empty ring may be a link change */
		if (bus->state == VMSG_HOST_RUN && bus_poll_locked(bus) == 0)
			bus_check_link_locked(bus);
	}
	pthread_cond_broadcast(&bus->traffic);
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
}

int vmsg_host_bus_wait(struct vmsg_host_bus *bus, int timeout_ms)
{
	uint64_t deadline = bus_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	int n;

	for (;;) {
		n = vmsg_host_bus_poll(bus);
		if (n != 0 || bus_now_ns() >= deadline)
			return n;
		bus_wait_traffic(bus, deadline);
	}
}

/* ---- the h2c path ---- */

static void doorbell_locked(struct vmsg_host_bus *bus)
{
	/* [NTF-1]: the full barrier is inside (index written, then the flag) */
	if (!vmsg_ring_consumer_wants_notify(&bus->h2c))
		return;
	if (bus->link->ops->doorbell(bus->link, VMSG_DB_H2C, bus->h2c.local) == 0)
		bus->st.doorbells++;
}

int bus_send_locked(struct vmsg_host_bus *bus, const void *msg, size_t len, uint32_t epoch,
		    uint64_t deadline_ns)
{
	bool counted = false;
	int ret;

	for (;;) {
		if (bus->state != VMSG_HOST_RUN)
			return -ENOTCONN;
		ret = vmsg_ring_produce(&bus->h2c, msg, (uint32_t)len, epoch ? epoch : bus->epoch);
		if (ret == 0) {
			bus->st.tx_msgs++;
			doorbell_locked(bus);
			return 0;
		}
		if (ret != -VMSG_RING_EAGAIN)
			return ret == -VMSG_RING_EMSGSIZE ? -EMSGSIZE : -EINVAL;
		if (!counted)
			bus->st.h2c_full_waits++;
		counted = true;
		/* full: make sure the card knows, and keep draining its answers so
		 * it is never stuck behind a full c2h ring; the deadline first, so
		 * a send that may not wait never drains c2h */
		if (bus->link->ops->doorbell(bus->link, VMSG_DB_H2C, bus->h2c.local) == 0)
			bus->st.doorbells++;
		if (bus_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		bus_poll_locked(bus);
		pthread_mutex_unlock(&bus->lock);
		sched_yield();
		pthread_mutex_lock(&bus->lock);
	}
}

int bus_submit_locked(struct vmsg_host_bus *bus, const void *msg, size_t len, uint64_t deadline_ns,
		      struct vmsg_host_req **out)
{
	uint8_t buf[BUS_MSG_MAX];
	struct vmsg_msg_info mi;
	struct vmsg_host_req *r = NULL;
	unsigned int i;
	int ret;

	*out = NULL;
	if (bus->state != VMSG_HOST_RUN)
		return bus->state == VMSG_HOST_PEER_DEAD ? -EHOSTDOWN : -ENOTCONN;
	if (!msg || len > bus->max_msg_size || len > sizeof(buf))
		return -EMSGSIZE;
	if (vmsg_validate(msg, len, VMSG_DIR_DRIVER_TO_DEVICE, &bus->tx_vopts, &mi) != VMSG_OK ||
	    mi.is_response || mi.is_event)
		return -EINVAL;
	if (!mi.is_bus && !bus_is_present(bus, mi.dev_num))
		return -ENODEV;
	for (i = 0; i < BUS_MAX_INFLIGHT; i++) {
		if (!bus->reqs[i].in_use) {
			r = &bus->reqs[i];
			break;
		}
	}
	if (!r)
		return -EBUSY;
	memcpy(buf, msg, len);
	r->in_use = true;
	r->token = token_alloc(bus);
	r->type = mi.type & (VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	r->msg_id = mi.msg_id;
	r->dev_num = mi.dev_num;
	r->deadline_ns = deadline_ns;
	r->attach_gen = bus->attach_gen;
	r->seq = ++bus->next_seq;
	if (mi.is_bus && mi.msg_id == VIRTIO_BUS_MSG_PING)
		r->ping_data = vmsg_get_le32(buf + VIRTIO_MSG_HEADER_SIZE);
	vmsg_set_token(buf, r->token);
	ret = bus_send_locked(bus, buf, len, 0, deadline_ns);
	if (ret) {
		bus_req_release_locked(bus, r);
		return ret;
	}
	*out = r;
	return 0;
}

static uint64_t tmo_deadline(struct vmsg_host_bus *bus, int timeout_ms)
{
	uint64_t ms = timeout_ms > 0 ? (uint64_t)timeout_ms : bus->opts.request_timeout_ms;

	return bus_now_ns() + ms * 1000000u;
}

int vmsg_host_bus_submit(struct vmsg_host_bus *bus, const void *msg, size_t len, int timeout_ms,
			 struct vmsg_host_req **req)
{
	int ret;

	pthread_mutex_lock(&bus->lock);
	ret = bus_submit_locked(bus, msg, len, tmo_deadline(bus, timeout_ms), req);
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

int vmsg_host_req_done(struct vmsg_host_bus *bus, struct vmsg_host_req *req)
{
	int done;

	vmsg_host_bus_poll(bus);
	pthread_mutex_lock(&bus->lock);
	done = req->done;
	pthread_mutex_unlock(&bus->lock);
	return done;
}

int vmsg_host_req_wait(struct vmsg_host_bus *bus, struct vmsg_host_req *req, void *resp, size_t cap,
		       uint16_t *bus_error)
{
	int ret;

	if (bus_error)
		*bus_error = 0;
	for (;;) {
		pthread_mutex_lock(&bus->lock);
		bus_poll_locked(bus);
		if (req->done || bus_now_ns() >= req->deadline_ns)
			break;
		pthread_mutex_unlock(&bus->lock);
		bus_dispatch(bus);
		bus_wait_traffic(bus, req->deadline_ns);
	}
	if (!req->done) {
		bus->st.timeouts++;
		bus->last_ping_ns = 0; /* [TMO-2]: check liveness at the next tick */
		bus_log(bus, "request %s dev %u token %u timed out",
			vmsg_msg_name(req->type & VIRTIO_MSG_TYPE_BUS, req->msg_id), req->dev_num,
			req->token);
		ret = -ETIMEDOUT;
	} else if (req->err) {
		ret = req->err;
		if (bus_error)
			*bus_error = req->bus_error;
	} else {
		ret = req->resp_len;
		if (resp) {
			if (cap < req->resp_len)
				ret = -EMSGSIZE;
			else
				memcpy(resp, req->resp, req->resp_len);
		}
	}
	bus_req_release_locked(bus, req);
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
	return ret;
}

void vmsg_host_req_cancel(struct vmsg_host_bus *bus, struct vmsg_host_req *req)
{
	pthread_mutex_lock(&bus->lock);
	if (req->done)
		bus_req_release_locked(bus, req);
	else
		req->orphan = true; /* keep the token busy until the answer or link down */
	pthread_mutex_unlock(&bus->lock);
}

int vmsg_host_bus_request(struct vmsg_host_bus *bus, const void *msg, size_t len, void *resp,
			  size_t cap, int timeout_ms)
{
	struct vmsg_host_req *r;
	int ret;

	ret = vmsg_host_bus_submit(bus, msg, len, timeout_ms, &r);
	if (ret)
		return ret;
	return vmsg_host_req_wait(bus, r, resp, cap, NULL);
}

int vmsg_host_bus_send_event(struct vmsg_host_bus *bus, const void *msg, size_t len)
{
	struct vmsg_msg_info mi;
	uint32_t i, vq;
	int ret;

	pthread_mutex_lock(&bus->lock);
	if (bus->state != VMSG_HOST_RUN) {
		ret = -ENOTCONN;
		goto out;
	}
	if (len > bus->max_msg_size ||
	    vmsg_validate(msg, len, VMSG_DIR_DRIVER_TO_DEVICE, &bus->tx_vopts, &mi) != VMSG_OK ||
	    !mi.is_event) {
		ret = -EINVAL;
		goto out;
	}
	if (!mi.is_bus && !bus_is_present(bus, mi.dev_num)) {
		ret = -ENODEV;
		goto out;
	}
	if (bus->nkicks)
		flush_kicks_locked(bus);
	if (!mi.is_bus && mi.msg_id == VIRTIO_MSG_EVENT_AVAIL &&
	    (bus->nkicks || vmsg_ring_space(&bus->h2c) == 0)) {
		/* [EVT-3]: never dropped; kept pending, coalesced, sent later */
		vq = vmsg_get_le32((const uint8_t *)msg + VIRTIO_MSG_HEADER_SIZE);
		for (i = 0; i < bus->nkicks; i++)
			if (bus->kicks[i].dev == mi.dev_num && bus->kicks[i].vq == vq)
				break;
		if (i == bus->nkicks && bus->nkicks < BUS_MAX_PENDING_KICKS) {
			bus->kicks[bus->nkicks].dev = mi.dev_num;
			bus->kicks[bus->nkicks].vq = vq;
			bus->nkicks++;
			bus->st.kicks_deferred++;
			ret = 0;
			goto out;
		}
		if (i < bus->nkicks) {
			ret = 0; /* coalesced with the one already pending */
			goto out;
		}
	}
	ret = bus_send_locked(bus, msg, len, 0, tmo_deadline(bus, 0));
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

int vmsg_host_bus_send_raw(struct vmsg_host_bus *bus, const void *buf, size_t len, uint32_t epoch)
{
	int ret;

	pthread_mutex_lock(&bus->lock);
	ret = bus_send_locked(bus, buf, len, epoch, tmo_deadline(bus, 0));
	if (ret == 0 && bus->link->ops->doorbell(bus->link, VMSG_DB_H2C, bus->h2c.local) == 0)
		bus->st.doorbells++;
	pthread_mutex_unlock(&bus->lock);
	return ret;
}
