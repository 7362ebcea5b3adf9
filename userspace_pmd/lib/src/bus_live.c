// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * bus_live.c - devices present on the bus, liveness (PING, link state,
 * epoch), link loss and automatic re-attach.
 */
#include "bus_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <string.h>

#define RD32(bus, f) vmsg_le32_to_cpu(VMSG_READ_ONCE32(&(bus)->regs->f))

/* ---- presence ---- */

static void devrefs_gone(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, bool all, int reason)
{
	struct bus_devref *d;

	for (d = bus->devs; d; d = d->next) {
		if ((all || d->dev_num == dev) && !d->gone) {
			d->gone = true;
			d->gone_reason = reason;
		}
	}
}

/*
 * EVENT_DEVICE READY is believed for any dev_num 1..65535, but the bus keeps
 * at most VMSG_HOST_BUS_MAX_DEVICES present at once ([DEV-3]): a card that
 * invents devices (READY storms) fills that table and no more. A present
 * device is confirmed when it is opened: a GET_DEVICE_INFO answered with
 * ERROR NO_DEVICE removes it again (bus_io.c, handle_response()), and
 * GET_DEVICES replaces the whole table with what the card enumerates.
 */
bool bus_set_present_locked(struct vmsg_host_bus *bus, vmsg_dev_num_t dev, bool present, int reason)
{
	struct vmsg_host_event ev = {.dev_num = dev, .reason = reason};
	bool was = bus_is_present(bus, dev);

	if (present) {
		if (was)
			return true; /* duplicate READY: tolerated */
		if (dev == 0 || bus->npresent >= VMSG_HOST_BUS_MAX_DEVICES)
			return false;
		bus->present[dev / 8u] |= (uint8_t)(1u << (dev % 8u));
		bus->npresent++;
		ev.kind = VMSG_HOST_EV_DEVICE_READY;
		bus_queue_event(bus, &ev);
		return true;
	}
	devrefs_gone(bus, dev, false, reason ? reason : -ENODEV);
	if (!was)
		return true;
	bus->present[dev / 8u] &= (uint8_t) ~(1u << (dev % 8u));
	bus->npresent--;
	bus_fail_dev_locked(bus, dev, -ENODEV);
	ev.kind = VMSG_HOST_EV_DEVICE_REMOVED;
	bus_queue_event(bus, &ev);
	return true;
}

bool vmsg_host_bus_device_present(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num)
{
	bool p;

	pthread_mutex_lock(&bus->lock);
	p = bus->state == VMSG_HOST_RUN && bus_is_present(bus, dev_num);
	pthread_mutex_unlock(&bus->lock);
	return p;
}

void bus_devref_add(struct vmsg_host_bus *bus, struct bus_devref *ref)
{
	pthread_mutex_lock(&bus->lock);
	ref->attach_gen = bus->attach_gen;
	ref->gone = bus->state != VMSG_HOST_RUN || !bus_is_present(bus, ref->dev_num);
	ref->gone_reason = ref->gone ? -ENODEV : 0;
	ref->next = bus->devs;
	bus->devs = ref;
	pthread_mutex_unlock(&bus->lock);
}

void bus_devref_set_info(struct vmsg_host_bus *bus, struct bus_devref *ref, uint32_t max_virtqueues,
			 uint32_t config_size)
{
	pthread_mutex_lock(&bus->lock);
	ref->max_virtqueues = max_virtqueues;
	ref->config_size = config_size;
	ref->have_info = true;
	pthread_mutex_unlock(&bus->lock);
}

void bus_devref_del(struct vmsg_host_bus *bus, struct bus_devref *ref)
{
	struct bus_devref **pp;

	pthread_mutex_lock(&bus->lock);
	for (pp = &bus->devs; *pp; pp = &(*pp)->next) {
		if (*pp == ref) {
			*pp = ref->next;
			break;
		}
	}
	pthread_mutex_unlock(&bus->lock);
}

/* ---- link loss ---- */

void bus_link_down_locked(struct vmsg_host_bus *bus, enum vmsg_host_state st, int reason)
{
	struct vmsg_host_event ev = {.kind = VMSG_HOST_EV_LINK_DOWN, .reason = reason};
	unsigned int dev;

	if (bus->state != VMSG_HOST_RUN) {
		if (st != VMSG_HOST_DETACHED || bus->state == VMSG_HOST_DETACHED)
			return;
		bus->state = st; /* GONE/PEER_DEAD -> DETACHED: nothing left to fail */
		return;
	}
	bus->state = st;
	bus->st.link_downs++;
	bus_fail_all_locked(bus, reason);
	if (bus->ping_req) {
		bus_req_release_locked(bus, bus->ping_req);
		bus->ping_req = NULL;
	}
	devrefs_gone(bus, 0, true, reason);
	for (dev = 1; dev < 65536u; dev++) {
		if (!bus_is_present(bus, (vmsg_dev_num_t)dev))
			continue;
		bus_set_present_locked(bus, (vmsg_dev_num_t)dev, false, reason);
	}
	ev.epoch = bus->epoch;
	bus_queue_event(bus, &ev);
	if (st != VMSG_HOST_DETACHED)
		bus_log(bus, "link down (%s): %s", vmsg_host_state_str(st),
			vmsg_host_strerror(reason));
}

/* ---- GET_DEVICES ---- */

int vmsg_host_bus_get_devices(struct vmsg_host_bus *bus, vmsg_dev_num_t *devs, size_t cap,
			      size_t *n)
{
	uint8_t seen[BUS_DEV_BITMAP_BYTES];
	uint8_t req[16], resp[BUS_MSG_MAX];
	uint32_t offset = 0, rounds = 0, max_count;
	size_t found = 0;
	uint32_t gen, over = 0;
	unsigned int dev;
	int ret;

	*n = 0;
	pthread_mutex_lock(&bus->lock);
	if (bus->state != VMSG_HOST_RUN) {
		pthread_mutex_unlock(&bus->lock);
		return -ENOTCONN;
	}
	gen = bus->attach_gen;
	max_count = (bus->max_msg_size - VIRTIO_MSG_HEADER_SIZE -
		     sizeof(struct virtio_bus_msg_get_devices_resp)) *
		    8u;
	pthread_mutex_unlock(&bus->lock);
	if (max_count > 0xfff8u)
		max_count = 0xfff8u;
	max_count &= ~7u;
	memset(seen, 0, sizeof(seen));
	while (offset < 0x10000u) {
		uint32_t count = max_count, r_off, r_cnt, next, i;
		size_t len;

		if (count > 0x10000u - offset)
			count = 0x10000u - offset;
		if (++rounds > 0x10000u / 8u)
			return -EPROTO;
		len = vmsg_build_bus_get_devices_req(req, sizeof(req), 0, (uint16_t)offset,
						     (uint16_t)count);
		ret = vmsg_host_bus_request(bus, req, len, resp, sizeof(resp), 0);
		if (ret < 0)
			return ret;
		r_off = vmsg_get_le16(resp + 8);
		r_cnt = vmsg_get_le16(resp + 10);
		next = vmsg_get_le16(resp + 12);
		if (r_off != offset || r_cnt > count) {
			pthread_mutex_lock(&bus->lock);
			bus->st.rx_mismatch++;
			pthread_mutex_unlock(&bus->lock);
			return -EPROTO;
		}
		for (i = 0; i < r_cnt; i++) {
			if (!((resp[14 + i / 8u] >> (i % 8u)) & 1u))
				continue;
			dev = offset + i;
			if (dev == 0)
				continue; /* 0 names the bus, never a device */
			seen[dev / 8u] |= (uint8_t)(1u << (dev % 8u));
		}
		if (next == 0)
			break;
		if (next <= offset)
			return -EPROTO;
		offset = next;
	}
	pthread_mutex_lock(&bus->lock);
	if (bus->state != VMSG_HOST_RUN || bus->attach_gen != gen) {
		pthread_mutex_unlock(&bus->lock);
		return -ECONNRESET;
	}
	/* first forget what the card no longer lists (devices READY announced
	 * but it does not enumerate included), then take what it lists, in
	 * ascending order, up to VMSG_HOST_BUS_MAX_DEVICES ([DEV-3]) */
	for (dev = 1; dev < 65536u; dev++) {
		if (bus_is_present(bus, (vmsg_dev_num_t)dev) &&
		    !((seen[dev / 8u] >> (dev % 8u)) & 1u))
			bus_set_present_locked(bus, (vmsg_dev_num_t)dev, false, 0);
	}
	for (dev = 1; dev < 65536u; dev++) {
		if (!((seen[dev / 8u] >> (dev % 8u)) & 1u))
			continue;
		if (devs && found < cap)
			devs[found] = (vmsg_dev_num_t)dev;
		found++;
		if (!bus_set_present_locked(bus, (vmsg_dev_num_t)dev, true, 0) && !over++)
			bus_log(bus, "card lists more than %u devices: dev %u and above ignored",
				VMSG_HOST_BUS_MAX_DEVICES, dev);
	}
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
	*n = found;
	return 0;
}

/* ---- PING ---- */

int vmsg_host_bus_ping(struct vmsg_host_bus *bus, uint64_t *rtt_ns)
{
	uint8_t req[16], resp[BUS_MSG_MAX];
	uint64_t t0 = rtt_ns ? bus_now_ns() : 0;
	uint32_t data;
	size_t len;
	int ret;

	pthread_mutex_lock(&bus->lock);
	data = ++bus->ping_data;
	pthread_mutex_unlock(&bus->lock);
	len = vmsg_build_bus_ping_req(req, sizeof(req), 0, data);
	/* the request keeps its data: a wrong echo fails it with -EPROTO and is
	 * counted when it is matched (bus_io.c), whatever other PINGs (the
	 * liveness tick's) are in flight */
	ret = vmsg_host_bus_request(bus, req, len, resp, sizeof(resp), 0);
	if (ret < 0)
		return ret;
	if (rtt_ns)
		*rtt_ns = bus_now_ns() - t0;
	return 0;
}

/* ---- liveness ---- */

void bus_declare_dead(struct vmsg_host_bus *bus, int reason)
{
	bool was_run = bus->state == VMSG_HOST_RUN;

	if (bus->state == VMSG_HOST_PEER_DEAD)
		return;
	bus->st.peer_dead++;
	if (was_run)
		bus_link_down_locked(bus, VMSG_HOST_PEER_DEAD, reason);
	else
		bus->state = VMSG_HOST_PEER_DEAD;
	/* [DMA-4]: no memory the card was given may be reused before this */
	if (bus->link->ops->fence)
		bus->link->ops->fence(bus->link);
}

/* Lock held, RUN. Re-read link_state and epoch ([CR-3], [EPOCH-4], [LINK-2]). */
bool bus_check_link_locked(struct vmsg_host_bus *bus)
{
	uint32_t magic = RD32(bus, magic), st = RD32(bus, link_state), ep = RD32(bus, epoch);

	if (st > VMSG_LINK_SHUTDOWN) {
		bus_log(bus, "link_state %#x: the card failed%s", st,
			st == 0xffffffffu ? " or is gone (all-ones reads)" : "");
		bus_declare_dead(bus, -EHOSTDOWN);
		return true;
	}
	if (magic == VMSG_PCIE_MAGIC && st == VMSG_LINK_RUN && ep == bus->epoch)
		return false;
	bus_log(bus, "card %s (magic %#x, link_state %u, epoch %#x -> %#x)",
		st == VMSG_LINK_SHUTDOWN ? "shut down" : "restarted or detached us", magic, st,
		bus->epoch, ep);
	bus_link_down_locked(bus, VMSG_HOST_GONE, -ECONNRESET);
	return true;
}

static void ping_tick_locked(struct vmsg_host_bus *bus, uint64_t now)
{
	uint64_t ival = (uint64_t)bus->opts.ping_interval_ms * 1000000u;
	struct vmsg_host_req *r = bus->ping_req;

	if (r && r->done) {
		/* The echo was checked against this request's own data when it
		 * was matched (a wrong one failed it with -EPROTO, counted in
		 * rx_mismatch). A right echo, or any ERROR, proves the card is
		 * alive: the misses in a row start again. A wrong echo does not
		 * count as an answer ([BUS-4]): that PING is missed. */
		bool answered = r->err == 0 || r->bus_error;

		bus_req_release_locked(bus, r);
		bus->ping_req = r = NULL;
		if (answered) {
			bus->ping_misses = 0;
		} else {
			bus->st.pings_missed++;
			if (++bus->ping_misses >= bus->opts.ping_misses) {
				bus_declare_dead(bus, -EHOSTDOWN);
				return;
			}
		}
	}
	if (r && now - bus->ping_sent_ns >= ival) {
		bus->st.pings_missed++;
		bus->ping_misses++;
		r->orphan = true; /* a late echo is dropped, the token stays busy */
		bus->ping_req = r = NULL;
		if (bus->ping_misses >= bus->opts.ping_misses) {
			bus_declare_dead(bus, -EHOSTDOWN);
			return;
		}
	}
	if (!r && now - bus->last_ping_ns >= ival) {
		uint8_t req[16];
		size_t len = vmsg_build_bus_ping_req(req, sizeof(req), 0, ++bus->ping_data);

		bus->last_ping_ns = now;
		if (bus_submit_locked(bus, req, len, now + ival, &bus->ping_req) == 0) {
			bus->ping_sent_ns = now;
			bus->st.pings_sent++;
		} else {
			bus->ping_req = NULL;
			bus->ping_misses++; /* could not even send it: the ring is stuck */
			bus->st.pings_missed++;
			if (bus->ping_misses >= bus->opts.ping_misses)
				bus_declare_dead(bus, -EHOSTDOWN);
		}
	}
}

enum vmsg_host_state vmsg_host_bus_liveness(struct vmsg_host_bus *bus)
{
	uint64_t now = bus_now_ns();
	enum vmsg_host_state st;
	bool try_reattach = false;

	pthread_mutex_lock(&bus->lock);
	if (bus->state == VMSG_HOST_RUN) {
		/* [FLR-H-4]: drain first (REMOVED events, last answers), then look */
		bus_poll_locked(bus);
		if (bus->state == VMSG_HOST_RUN && !bus_check_link_locked(bus))
			ping_tick_locked(bus, now);
	}
	if ((bus->state == VMSG_HOST_GONE || bus->state == VMSG_HOST_PEER_DEAD) &&
	    bus->opts.auto_reattach &&
	    now - bus->last_reattach_ns >= (uint64_t)bus->opts.ping_interval_ms * 1000000u) {
		bus->last_reattach_ns = now;
		try_reattach = true;
	}
	pthread_mutex_unlock(&bus->lock);
	bus_dispatch(bus);
	if (try_reattach)
		bus_reattach(bus, (int)bus->opts.ping_interval_ms);
	pthread_mutex_lock(&bus->lock);
	st = bus->state;
	pthread_mutex_unlock(&bus->lock);
	return st;
}
