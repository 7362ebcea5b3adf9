/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fuzz_host_c2h.c - libFuzzer target for the host library's response and
 * event path: everything a card can put in the c2h ring (and in the memory
 * it reaches by DMA), against the bus, the transport and the drivers.
 *
 * Per input: the host unit tests' in-process fake card
 * (tests/unit/hostlib/fake_card.c) with a blk, a net and an rng device, a
 * bus attached to it, then a program read from the input, one op per byte:
 *   0/1  a message of input bytes into c2h (current / fuzzed epoch)
 *   2    a slot with an impossible framing, or an impossible producer index
 *   3    the host polls
 *   4    PING the card            5  the liveness tick
 *   6    the card writes a 32-bit word anywhere in its BAR0
 *   7    open or close a driver (blk, net, rng: every init request)
 *   8    I/O on an open driver (completions from the used rings)
 *   9    the card writes input bytes anywhere in host DMA memory (used
 *        rings, buffers, the host area)
 *   10   a raw device handle: open, config read, negotiate, close
 *   11   the card restarts (new epoch); the host notices and attaches again
 *   12   the card completes a chain in a used ring: honestly, or with any
 *        id, length or idx step (the queue must then latch broken)
 * Every request the card receives is answered from the input too: by the
 * fake card's model, by the model's answer with a byte changed, by input
 * bytes (mostly with the request's header echoed so that they match), or
 * (rarely: it costs a timeout) not at all. Once the input is used up the model answers, so every
 * call ends. Oracles: ASan/UBSan and libFuzzer's timeout (a hang is a
 * finding: the library must stop on whatever the card does).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_priv.h" /* the queues' rings, as the card sees them */
#include "fake_card.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"
#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"
#include "vmsg_host_drivers.h"

#define MAX_OPS	     256u
#define DEV_BLK	     1
#define DEV_NET	     2
#define DEV_RNG	     3
#define IO_BYTES     4096u
#define MAX_ATTACHES 4u

struct in {
	const uint8_t *p;
	size_t n;
};

static struct in in;
static bool trace; /* FUZZ_TRACE set: what the host calls return, on stderr */

#define TRACE(...)                                                                                 \
	do {                                                                                       \
		if (trace)                                                                         \
			fprintf(stderr, __VA_ARGS__);                                              \
	} while (0)

static uint8_t take1(void)
{
	uint8_t v = 0;

	if (in.n) {
		v = *in.p++;
		in.n--;
	}
	return v;
}

static uint16_t take2(void)
{
	uint16_t lo = take1();

	return (uint16_t)(lo | take1() << 8);
}

static uint32_t take4(void)
{
	uint32_t lo = take2();

	return lo | (uint32_t)take2() << 16;
}

static size_t take_bytes(uint8_t *dst, size_t max)
{
	size_t n = take1();

	if (n > max)
		n = max;
	if (n > in.n)
		n = in.n;
	memcpy(dst, in.p, n);
	in.p += n;
	in.n -= n;
	return n;
}

/* The card's answer to one request, chosen by the input. */
static bool answer(struct fake_card *fc, const uint8_t *m, size_t len,
		   const struct vmsg_msg_info *mi)
{
	uint8_t out[FC_MSG_MAX];
	uint8_t sel;
	size_t n;

	if (!in.n)
		return false; /* the model answers: every call ends */
	sel = take1();
	switch (sel & 3u) {
	case 0:
		return false;
	case 1: /* input bytes, mostly dressed as the answer to this request */
		n = take_bytes(out, sizeof(out));
		if (!(sel & 0x40u) && n >= VIRTIO_MSG_HEADER_SIZE) {
			out[0] = (uint8_t)(m[0] | VIRTIO_MSG_TYPE_RESPONSE);
			out[1] = m[1];
			memcpy(out + 2, m + 2, 4); /* dev_num, token */
			if (sel & 8u)
				vmsg_put_le16(out + 6, (uint16_t)n);
		}
		fc_send(fc, out, n);
		return true;
	case 2: { /* the model's answer, one byte changed */
		unsigned int i, first = fc->ndq;

		fc->defer = true;
		fc_default(fc, m, len, mi);
		fc->defer = false;
		for (i = first; i < fc->ndq; i++) {
			uint8_t pos = take1();
			uint8_t val = take1();

			if (fc->dq_len[i])
				fc->dq[i][pos % fc->dq_len[i]] ^= val;
		}
		fc_flush(fc, sel & 4u);
		return true;
	}
	default: /* silence (rarely: each costs a request timeout) */
		return (sel & 0x30u) == 0x30u;
	}
}

static uint64_t nev;

static void on_event(void *arg, const struct vmsg_host_event *ev)
{
	(void)arg;
	(void)ev;
	nev++;
}

struct host {
	struct fake_card *fc;
	struct vmsg_host_bus *bus;
	struct vmsg_host_blk *blk;
	struct vmsg_host_net *net;
	struct vmsg_host_rng *rng;
	uint8_t *io;
	uint64_t io_dma;
};

static void close_drivers(struct host *h)
{
	vmsg_host_blk_close(h->blk);
	vmsg_host_net_close(h->net);
	vmsg_host_rng_close(h->rng);
	h->blk = NULL;
	h->net = NULL;
	h->rng = NULL;
}

static void driver_toggle(struct host *h)
{
	switch (take1() % 3u) {
	case 0:
		if (h->blk) {
			vmsg_host_blk_close(h->blk);
			h->blk = NULL;
		} else {
			int r = vmsg_host_blk_open(h->bus, DEV_BLK, 8, &h->blk);

			TRACE("blk open: %d\n", r);
			if (r)
				h->blk = NULL;
		}
		break;
	case 1:
		if (h->net) {
			vmsg_host_net_close(h->net);
			h->net = NULL;
		} else {
			int r = vmsg_host_net_open(h->bus, DEV_NET, 8, &h->net);

			TRACE("net open: %d\n", r);
			if (r)
				h->net = NULL;
		}
		break;
	default:
		if (h->rng) {
			vmsg_host_rng_close(h->rng);
			h->rng = NULL;
		} else {
			int r = vmsg_host_rng_open(h->bus, DEV_RNG, &h->rng);

			TRACE("rng open: %d\n", r);
			if (r)
				h->rng = NULL;
		}
		break;
	}
}

static void driver_io(struct host *h)
{
	uint8_t frame[256];
	uint32_t len;
	void *cookie;
	int st, i;

	switch (take1() % 3u) {
	case 0: {
		uint32_t type = take1() & 1u ? VMSG_HOST_BLK_T_OUT : VMSG_HOST_BLK_T_IN;
		uint64_t sector = take1();
		uint32_t bytes = 512u * (1u + take1() % 8u);

		if (!h->blk)
			return;
		if (vmsg_host_blk_submit(h->blk, type, sector, h->io, bytes, h) == 0)
			vmsg_host_blk_kick(h->blk);
		vmsg_host_blk_wait(h->blk, 0);
		for (i = 0; i < 64 && vmsg_host_blk_complete(h->blk, &cookie, &st) == 1; i++)
			TRACE("blk completion: status %d\n", st);
		break;
	}
	case 1:
		if (!h->net)
			return;
		memset(frame, 0x5a, sizeof(frame));
		if (vmsg_host_net_tx(h->net, frame, 60u + take1() % 190u) == 0)
			vmsg_host_net_tx_kick(h->net);
		vmsg_host_net_wait(h->net, 0);
		for (i = 0; i < 64 && vmsg_host_net_rx(h->net, frame, sizeof(frame), &len) == 1;
		     i++)
			TRACE("net rx: %u bytes\n", len);
		vmsg_host_net_rx_kick(h->net);
		vmsg_host_net_tx_reclaim(h->net);
		break;
	default:
		if (h->rng) {
			int r = vmsg_host_rng_read(h->rng, frame, 1u + take1() % sizeof(frame), 1);

			TRACE("rng read: %d\n", r);
		}
		break;
	}
}

/*
 * The card completes a chain the way it likes: in the used ring of a queue
 * of an open driver, an entry naming the next head the driver made
 * available (an honest device) or any id, the chain's writable length or
 * any, idx moved by one or by anything; then maybe EVENT_USED.
 */
static void card_used(struct host *h)
{
	struct vmsg_host_dev *devs[3] = {
	    h->blk ? vmsg_host_blk_dev(h->blk) : NULL,
	    h->net ? vmsg_host_net_dev(h->net) : NULL,
	    h->rng ? vmsg_host_rng_dev(h->rng) : NULL,
	};
	struct vmsg_host_dev *d = devs[take1() % 3u];
	uint32_t qi = take1() % 2u;
	uint8_t mode = take1();
	struct vmsg_vring_used_elem *e;
	struct vmsg_host_vq *vq;
	struct vmsg_vq_drv *q;
	uint16_t uidx, step;
	uint32_t id, len;
	uint8_t m[16];

	if (!d || !(vq = d->vqs[qi]) || !vq->active)
		return;
	q = &vq->drv;
	uidx = vmsg_le16_to_cpu(q->used->idx);
	if (mode & 1u)
		id = take2();
	else
		id = vmsg_le16_to_cpu(q->avail->ring[uidx & q->mask]);
	if (mode & 2u)
		len = take4();
	else
		len = id < q->size ? q->state[id].in_len : 0;
	step = (mode & 4u) ? take2() : 1u;
	e = &q->used->ring[uidx & q->mask];
	e->id = vmsg_cpu_to_le32(id);
	e->len = vmsg_cpu_to_le32(len);
	q->used->idx = vmsg_cpu_to_le16((uint16_t)(uidx + step));
	if (mode & 8u)
		fc_send(h->fc, m,
			vmsg_build_event_used(m, sizeof(m), vmsg_host_dev_num(d), vq->index));
}

static void raw_dev(struct host *h)
{
	struct vmsg_host_dev *d;
	uint8_t buf[64];
	uint32_t gen;

	if (vmsg_host_dev_open(h->bus, (vmsg_dev_num_t)(1u + take1() % 4u), &d))
		return;
	switch (take1() % 3u) {
	case 0: {
		uint32_t off = take1() % 32u;

		vmsg_host_dev_config_read(d, off, buf, 1u + take1() % 32u, &gen);
		break;
	}
	case 1:
		vmsg_host_dev_negotiate(d, take4(), NULL);
		break;
	default: {
		uint64_t addr, len;

		vmsg_host_dev_get_shm(d, take1() % 4u, &addr, &len);
		break;
	}
	}
	vmsg_host_dev_close(d);
}

/* Attaching scans the whole device space (65,536 numbers): a few per input
 * cover the paths, more only slow the fuzzer down. */
static bool few_attaches(struct host *h)
{
	struct vmsg_host_bus_stats st;

	vmsg_host_bus_get_stats(h->bus, &st);
	return st.attaches < MAX_ATTACHES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmsg_host_bus_opts o = {0};
	struct host h = {0};
	struct fc_dev *fd;
	uint8_t m[FC_MSG_MAX + 64];
	unsigned int ops = 0;
	uint8_t opt;
	size_t n;

	trace = getenv("FUZZ_TRACE") != NULL;
	in.p = data;
	in.n = size;
	opt = take1();
	h.fc = fc_create();
	if (!h.fc)
		abort();
	fd = fc_add_dev(h.fc, DEV_BLK, VMSG_HOST_VIRTIO_ID_BLK, 0);
	fd->config_size = 64;
	vmsg_put_le64(fd->config, 2048); /* capacity in sectors */
	fd = fc_add_dev(h.fc, DEV_NET, VMSG_HOST_VIRTIO_ID_NET, 1ull << 5 /* MAC */);
	fd->config_size = 64;
	fd = fc_add_dev(h.fc, DEV_RNG, VMSG_HOST_VIRTIO_ID_RNG, 0);
	fd->config_size = 0;
	fd->vq_max = 1;
	o.quiet = true;
	o.poll_mode = opt & 1u;
	o.request_timeout_ms = 1;
	o.reset_timeout_ms = 2;
	o.attach_timeout_ms = 3;
	o.connect_timeout_ms = 3;
	o.ping_interval_ms = 1;
	o.ping_misses = 1u + (opt >> 1 & 3u);
	o.auto_reattach = opt & 8u;
	o.event_cb = on_event;
	if (vmsg_host_bus_create(&h.fc->link, &o, &h.bus) || vmsg_host_bus_attach(h.bus))
		abort(); /* the model attaches */
	h.io = vmsg_link_alloc(&h.fc->link, IO_BYTES, 4096, &h.io_dma);
	if (!h.io)
		abort();
	h.fc->hook = answer;

	while (in.n && ops++ < MAX_OPS) {
		uint8_t op = take1() % 13u;

		switch (op) {
		case 0:
		case 1: {
			uint32_t epoch = op == 0 ? h.fc->epoch : take4();

			n = take_bytes(m, sizeof(m) - 1);
			if (n)
				fc_send_epoch(h.fc, m, n, epoch);
			break;
		}
		case 2:
			if (take1() & 1u)
				fc_send_bad_slot(h.fc, take2());
			else
				fc_bad_prod_index(h.fc);
			break;
		case 3:
			vmsg_host_bus_wait(h.bus, 0);
			break;
		case 4:
			vmsg_host_bus_ping(h.bus, NULL);
			break;
		case 5:
			if (few_attaches(&h))
				vmsg_host_bus_liveness(h.bus);
			break;
		case 6: {
			uint32_t off = (take2() & ~3u) % (uint32_t)h.fc->bar0_size;

			vmsg_put_le32(h.fc->bar0 + off, take4());
			break;
		}
		case 7:
			driver_toggle(&h);
			break;
		case 8:
			driver_io(&h);
			break;
		case 9: {
			uint32_t off = take4() % (uint32_t)h.fc->mem_size;

			n = take_bytes(m, 64);
			if (n > h.fc->mem_size - off)
				n = h.fc->mem_size - off;
			memcpy(h.fc->mem + off, m, n);
			break;
		}
		case 10:
			raw_dev(&h);
			break;
		case 12:
			card_used(&h);
			break;
		default:
			if (!few_attaches(&h))
				break;
			fc_restart(h.fc);
			vmsg_host_bus_liveness(h.bus);
			if (vmsg_host_bus_state(h.bus) != VMSG_HOST_RUN) {
				close_drivers(&h);
				vmsg_host_bus_attach(h.bus);
			}
			break;
		}
	}
	close_drivers(&h);
	vmsg_link_free(&h.fc->link, h.io);
	vmsg_host_bus_destroy(h.bus);
	fc_destroy(h.fc);
	return 0;
}
