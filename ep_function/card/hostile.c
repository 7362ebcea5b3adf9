// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * hostile.c - `vmsg-card --hostile MODE[,MODE...]`: the card attacks its
 * host (hostile.h). TEST ONLY.
 *
 * Everything goes through the engine's test hooks, between two engine
 * polls, so the engine's own traffic keeps its order and its slots. The
 * attacks are built so that a host that follows the binding loses nothing:
 *
 * - A response with a valid shape and the current epoch never carries the
 *   (dev_num, token) of a request the host may have in flight: it goes to
 *   an absent device (a token match then fails on dev_num), or carries the
 *   token of a request seen in the h2c ring with another dev_num, or a
 *   token at least TOKEN_GAP away from every token seen in this session
 *   (hosts that allocate tokens in sequence never get there in time).
 * - Messages that do carry a live (dev_num, token), a REMOVED or a
 *   NEEDS_RESET for a present device are broken: stale epoch, wrong size,
 *   impossible slot framing. A host that let one through fails the I/O it
 *   was doing, which is what the tests look for.
 * - The ring keeps at least half of its slots for the engine; an attack
 *   that finds less room, or engine messages waiting, is skipped (counted
 *   in hostile.skipped).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "card_daemon.h"
#include "hostile.h"
#include "vcard_log.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"
#include "vmsg_card_test.h"
#include "vmsg_dev.h"

#define MAX_SEEN_REQS 64u
#define MAX_PRESENT   256u
#define MSG_BUF	      4096u
#define TOKEN_GAP     0x4000u /* distance kept from every token the host used */
#define STORM_BURST   16u     /* READY events per storm */
#define RECENT_SCAN   16u     /* c2h slots looked at for a response to duplicate */
#define RETRY_TICKS   8u      /* a mode that found no room is tried again this often */
#define PINGFLOOD_MS  1500u   /* pingflood: how long the engine is not polled */
#define USEDRUN_AHEAD 0x8000u /* usedrun: used idx beyond the device's own */
#define USEDRUN_MAX   64u     /* usedrun: queues remembered as attacked */

static const char *const mode_names[HOSTILE__COUNT] = {
    [HOSTILE_GARBAGE] = "garbage",     [HOSTILE_BADSIZE] = "badsize",	[HOSTILE_BADID] = "badid",
    [HOSTILE_BADTOKEN] = "badtoken",   [HOSTILE_BADEVENT] = "badevent", [HOSTILE_STALE] = "stale",
    [HOSTILE_BADSLOT] = "badslot",     [HOSTILE_BADINDEX] = "badindex", [HOSTILE_BADVEC] = "badvec",
    [HOSTILE_PINGFLOOD] = "pingflood", [HOSTILE_USEDRUN] = "usedrun",
};

static struct {
	bool on;
	uint32_t modes;
	uint32_t rate_ms;
	uint64_t seed, rng;
	uint64_t next_ns;
	unsigned int cursor;
	unsigned int retries; /* ticks the current mode found no room */
	uint32_t epoch, prev_epoch;
	bool have_token; /* a host token was seen in this session */
	uint16_t last_token;
	uint32_t storm_next; /* next dev_num of a READY storm */
	uint64_t count[HOSTILE__COUNT];
	uint64_t ticks, skipped;
	/* usedrun: queues already attacked (one shot per queue and session) */
	struct {
		vmsg_dev_num_t dev;
		uint32_t vq;
		uint32_t epoch;
	} usedrun_done[USEDRUN_MAX];
	unsigned int n_usedrun;
} H;

/* One attack's view of the card. */
struct hctx {
	struct vmsg_card *card;
	struct vmsg_card_test_c2h_info ri;
	uint32_t epoch;
	uint32_t cap;	   /* message bytes a slot holds */
	uint32_t min_free; /* slots left to the engine */
	struct vmsg_card_test_req req[MAX_SEEN_REQS];
	unsigned int nreq;
	struct vmsg_dev *present[MAX_PRESENT];
	unsigned int npresent;
	uint32_t max_devices;
	struct vmsg_validate_opts vopts; /* what the host accepts */
	uint32_t num_vectors;
};

const char *hostile_mode_name(enum hostile_mode m)
{
	return (unsigned int)m < HOSTILE__COUNT ? mode_names[m] : "?";
}

int hostile_parse_modes(const char *arg, uint32_t *mask, const char **bad)
{
	const char *p = arg;

	*mask = 0;
	*bad = arg;
	if (!arg || !*arg)
		return -1;
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned int m;
		bool found = false;

		*bad = p;
		if (n == 3 && !strncmp(p, "all", 3)) {
			*mask |= HOSTILE_ALL;
			found = true;
		}
		for (m = 0; !found && m < HOSTILE__COUNT; m++) {
			if (strlen(mode_names[m]) == n && !strncmp(p, mode_names[m], n)) {
				*mask |= 1u << m;
				found = true;
			}
		}
		if (!found)
			return -1;
		p += n;
		if (*p == ',') {
			p++;
			if (!*p) {
				*bad = p;
				return -1; /* trailing comma */
			}
		}
	}
	return 0;
}

/* ---- randomness ---- */

static uint64_t rnd(void)
{
	uint64_t x = H.rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	H.rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd32(void)
{
	return (uint32_t)(rnd() >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0u;
}

static void rnd_fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- what the attack may use ---- */

static bool is_present(const struct hctx *x, vmsg_dev_num_t n)
{
	for (unsigned int i = 0; i < x->npresent; i++)
		if (x->present[i]->dev_num == n)
			return true;
	return false;
}

/* A dev_num (1..65535) with no device behind it. */
static vmsg_dev_num_t absent_dev(const struct hctx *x)
{
	for (;;) {
		/* half of the time just above the card's range, where hosts look first */
		vmsg_dev_num_t n = (vmsg_dev_num_t)(below(2) ? x->max_devices + 1u + below(64)
							     : 1u + below(65535));

		if (n && !is_present(x, n))
			return n;
	}
}

static struct vmsg_dev *any_present(const struct hctx *x)
{
	return x->npresent ? x->present[below(x->npresent)] : NULL;
}

/* A device number that is neither 0 nor `not`. */
static vmsg_dev_num_t other_dev(const struct hctx *x, vmsg_dev_num_t not )
{
	for (unsigned int tries = 0; tries < 8; tries++) {
		struct vmsg_dev *d = any_present(x);

		if (d && d->dev_num != not &&below(2))
			return d->dev_num;
	}
	for (;;) {
		vmsg_dev_num_t n = absent_dev(x);

		if (n != not )
			return n;
	}
}

static bool token_far(const struct hctx *x, uint16_t t)
{
	uint16_t d;

	if (H.have_token) {
		d = (uint16_t)(t - H.last_token);
		if (d < TOKEN_GAP || d > 0x10000u - TOKEN_GAP)
			return false;
	}
	for (unsigned int i = 0; i < x->nreq; i++) {
		d = (uint16_t)(t - x->req[i].token);
		if (d < TOKEN_GAP || d > 0x10000u - TOKEN_GAP)
			return false;
	}
	return t != 0;
}

/* A token no request of the host can have soon; false if none is known
 * to be safe (no host token seen yet in this session). */
static bool far_token(const struct hctx *x, uint16_t *t)
{
	if (!H.have_token)
		return false;
	for (unsigned int tries = 0; tries < 64; tries++) {
		*t = (uint16_t)rnd();
		if (token_far(x, *t))
			return true;
	}
	*t = (uint16_t)(H.last_token + 0x8000u);
	return token_far(x, *t);
}

/* A request seen in the h2c ring, pending ones preferred. */
static const struct vmsg_card_test_req *seen_req(const struct hctx *x)
{
	unsigned int npend = 0;

	if (!x->nreq)
		return NULL;
	while (npend < x->nreq && x->req[npend].pending)
		npend++;
	if (npend && below(4))
		return &x->req[below(npend)];
	return &x->req[below(x->nreq)];
}

static bool host_accepts(const struct hctx *x, const uint8_t *m, size_t len)
{
	return vmsg_validate(m, len, VMSG_DIR_DEVICE_TO_DRIVER, &x->vopts, NULL) == VMSG_OK;
}

/* Make sure a message meant to be malformed is: break msg_size. */
static size_t ensure_broken(const struct hctx *x, uint8_t *m, size_t len)
{
	if (host_accepts(x, m, len))
		vmsg_put_le16(m + 6, (uint16_t)(len + 1u));
	return len;
}

static uint32_t stale_epoch(const struct hctx *x)
{
	uint32_t e;

	do {
		switch (below(6)) {
		case 0:
			e = H.prev_epoch;
			break;
		case 1:
			e = x->epoch - 1u;
			break;
		case 2:
			e = x->epoch + 1u;
			break;
		case 3:
			e = 0;
			break;
		case 4:
			e = x->epoch ^ 0x80000000u;
			break;
		default:
			e = rnd32();
			break;
		}
	} while (e == x->epoch);
	return e;
}

/* ---- message builders ---- */

static const uint8_t transport_resp_ids[] = {
    VIRTIO_MSG_GET_DEVICE_INFO,
    VIRTIO_MSG_GET_DEVICE_FEATURES,
    VIRTIO_MSG_SET_DRIVER_FEATURES,
    VIRTIO_MSG_GET_CONFIG,
    VIRTIO_MSG_SET_CONFIG,
    VIRTIO_MSG_GET_DEVICE_STATUS,
    VIRTIO_MSG_SET_DEVICE_STATUS,
    VIRTIO_MSG_GET_VQUEUE,
    VIRTIO_MSG_SET_VQUEUE,
    VIRTIO_MSG_RESET_VQUEUE,
    VIRTIO_MSG_GET_SHM,
};

/* A well-formed response to (is_bus, id) with random contents. */
static size_t build_resp(const struct hctx *x, uint8_t *b, bool bus, uint8_t id, uint8_t req_type,
			 vmsg_dev_num_t dev, uint16_t tok)
{
	size_t cap = x->ri.max_msg_size;
	uint8_t data[16], bm[2];
	uint32_t feats[2] = {rnd32(), rnd32()};
	struct vmsg_device_info di = {
	    .device_id = 1u + below(4),
	    .vendor_id = rnd32(),
	    .num_feature_bits = 64,
	    .config_size = below(64),
	    .max_virtqueues = below(4),
	};
	struct vmsg_vqueue_info vq = {
	    .index = below(2),
	    .max_size = 256,
	    .size = 1u << below(9),
	    .desc_addr = rnd() & ~0xfffull,
	    .driver_addr = rnd() & ~0xfffull,
	    .device_addr = rnd() & ~0xfffull,
	};

	rnd_fill(data, sizeof(data));
	rnd_fill(bm, sizeof(bm));
	if (bus) {
		switch (id) {
		case VIRTIO_BUS_MSG_GET_DEVICES:
			return vmsg_build_bus_get_devices_resp(b, cap, tok, 0, 16, 0, bm);
		case VIRTIO_BUS_MSG_PING:
			return vmsg_build_bus_ping_resp(b, cap, tok, rnd32());
		default:
			return vmsg_build_bus_error(b, cap, tok, req_type, id, dev,
						    VMSG_PCIE_ERR_NO_DEVICE);
		}
	}
	switch (id) {
	case VIRTIO_MSG_GET_DEVICE_INFO:
		return vmsg_build_get_device_info_resp(b, cap, dev, tok, &di);
	case VIRTIO_MSG_GET_DEVICE_FEATURES:
		return vmsg_build_get_device_features_resp(b, cap, dev, tok, 0, feats,
							   1u + below(2));
	case VIRTIO_MSG_SET_DRIVER_FEATURES:
		return vmsg_build_set_driver_features_resp(b, cap, dev, tok);
	case VIRTIO_MSG_GET_CONFIG:
		return vmsg_build_get_config_resp(b, cap, dev, tok, rnd32(), below(16), data,
						  1u + below(sizeof(data)));
	case VIRTIO_MSG_SET_CONFIG:
		return vmsg_build_set_config_resp(b, cap, dev, tok, rnd32(), 0, 0, NULL);
	case VIRTIO_MSG_SET_DEVICE_STATUS:
		return vmsg_build_set_device_status_resp(b, cap, dev, tok, rnd32());
	case VIRTIO_MSG_GET_VQUEUE:
		return vmsg_build_get_vqueue_resp(b, cap, dev, tok, &vq);
	case VIRTIO_MSG_SET_VQUEUE:
		return vmsg_build_set_vqueue_resp(b, cap, dev, tok);
	case VIRTIO_MSG_RESET_VQUEUE:
		return vmsg_build_reset_vqueue_resp(b, cap, dev, tok);
	case VIRTIO_MSG_GET_SHM:
		return vmsg_build_get_shm_resp(b, cap, dev, tok, 0, rnd32(), rnd32());
	default:
		return vmsg_build_get_device_status_resp(b, cap, dev, tok, rnd32());
	}
}

static size_t build_random_resp(const struct hctx *x, uint8_t *b, vmsg_dev_num_t dev, uint16_t tok)
{
	uint8_t id = transport_resp_ids[below(sizeof(transport_resp_ids))];

	return build_resp(x, b, false, id, 0, dev, tok);
}

/* A bus response (dev_num 0 or ERROR) with token tok. */
static size_t build_bus_resp(const struct hctx *x, uint8_t *b, uint16_t tok, vmsg_dev_num_t err_dev)
{
	static const uint8_t ids[] = {VIRTIO_BUS_MSG_GET_DEVICES, VIRTIO_BUS_MSG_PING,
				      VMSG_PCIE_BUS_MSG_ERROR};
	uint8_t id = ids[below(sizeof(ids))];

	if (id == VMSG_PCIE_BUS_MSG_ERROR)
		return vmsg_build_bus_error(b, x->ri.max_msg_size, tok, 0,
					    VIRTIO_MSG_GET_DEVICE_STATUS, err_dev,
					    (uint16_t)(1u + below(4)));
	return build_resp(x, b, true, id, 0, 0, tok);
}

/* The answer the card would give to a request seen in the h2c ring. */
static size_t build_answer(const struct hctx *x, uint8_t *b, const struct vmsg_card_test_req *r)
{
	bool bus = r->type & VIRTIO_MSG_TYPE_BUS;

	if (below(4) == 0)
		return vmsg_build_bus_error(b, x->ri.max_msg_size, r->token, r->type, r->msg_id,
					    r->dev_num, VMSG_PCIE_ERR_NO_DEVICE);
	return build_resp(x, b, bus, r->msg_id, r->type, r->dev_num, r->token);
}

/* The most dangerous thing a present device can be told (REMOVED, NEEDS_RESET). */
static size_t build_removal(const struct hctx *x, uint8_t *b, struct vmsg_dev *d)
{
	if (below(2))
		return vmsg_build_bus_event_device(b, x->ri.max_msg_size, d->dev_num,
						   VIRTIO_BUS_DEVICE_STATE_REMOVED);
	return vmsg_build_event_config(b, x->ri.max_msg_size, d->dev_num,
				       d->status | VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET,
				       d->config_generation + 1u, 0, NULL, 0);
}

/* A message whose damage is only contained by the host's checks. */
static size_t build_dangerous(const struct hctx *x, uint8_t *b)
{
	const struct vmsg_card_test_req *r = seen_req(x);
	struct vmsg_dev *d = any_present(x);

	if (r && (below(2) || !d))
		return build_answer(x, b, r);
	if (d)
		return build_removal(x, b, d);
	return build_random_resp(x, b, absent_dev(x), (uint16_t)rnd());
}

/* ---- injection ---- */

static int put(const struct hctx *x, const uint8_t *m, size_t len, uint32_t epoch)
{
	return vmsg_card_test_c2h_inject(x->card, m, len, epoch, x->min_free) == 0 ? 1 : 0;
}

static int put_cur(const struct hctx *x, const uint8_t *m, size_t len)
{
	return len ? put(x, m, len, x->epoch) : 0;
}

/* ---- the modes: each returns the slots (or jumps) injected ---- */

static int do_garbage(struct hctx *x)
{
	uint8_t m[MSG_BUF];
	size_t len = 1u + below(x->cap);

	rnd_fill(m, len);
	if (len >= VIRTIO_MSG_HEADER_SIZE)
		ensure_broken(x, m, len);
	return put_cur(x, m, len);
}

static int do_badsize(struct hctx *x)
{
	uint8_t m[MSG_BUF];
	size_t len = build_dangerous(x, m);
	uint16_t sz;

	if (!len)
		return 0;
	switch (below(5)) {
	case 0: /* msg_size says something else than the slot */
		switch (below(4)) {
		case 0:
			sz = (uint16_t)(len + 1u + below(4));
			break;
		case 1:
			sz = (uint16_t)(len - 1u - below((uint32_t)len));
			break;
		case 2:
			sz = 0xffffu;
			break;
		default:
			sz = (uint16_t)rnd();
			break;
		}
		vmsg_put_le16(m + 6, sz);
		break;
	case 1: /* one payload byte too many */
		m[len] = (uint8_t)rnd();
		len++;
		vmsg_put_le16(m + 6, (uint16_t)len);
		break;
	case 2: /* one payload byte short */
		if (len > VIRTIO_MSG_HEADER_SIZE) {
			len--;
			vmsg_put_le16(m + 6, (uint16_t)len);
		}
		break;
	case 3: /* beyond max_msg_size, size fields consistent */
		if (x->cap > x->ri.max_msg_size) {
			size_t big = x->ri.max_msg_size + 1u + below(x->cap - x->ri.max_msg_size);

			rnd_fill(m + len, big - len);
			len = big;
			vmsg_put_le16(m + 6, (uint16_t)len);
		}
		break;
	default: /* shorter than a header */
		len = 1u + below(VIRTIO_MSG_HEADER_SIZE - 1u);
		break;
	}
	if (len >= VIRTIO_MSG_HEADER_SIZE)
		ensure_broken(x, m, len);
	return put_cur(x, m, len);
}

/* An id of class `bus` that virtio-msg v1 (and the binding) does not define. */
static uint8_t unknown_id(bool bus)
{
	for (;;) {
		uint8_t id = (uint8_t)rnd();
		bool known =
		    bus ? id == VIRTIO_BUS_MSG_GET_DEVICES || id == VIRTIO_BUS_MSG_PING ||
			      id == VIRTIO_BUS_MSG_EVENT_DEVICE || id == VMSG_PCIE_BUS_MSG_ERROR
			: (id >= VIRTIO_MSG_GET_DEVICE_INFO && id <= VIRTIO_MSG_GET_SHM) ||
			      (id >= VIRTIO_MSG_EVENT_CONFIG && id <= VIRTIO_MSG_EVENT_USED);

		if (!known)
			return id;
	}
}

static int do_badid(struct hctx *x)
{
	struct vmsg_vqueue_info vq = {.index = 0, .size = 64, .desc_addr = 0x1000};
	size_t cap = x->ri.max_msg_size, len = 0, pl;
	struct vmsg_dev *d = any_present(x);
	vmsg_dev_num_t dev = d ? d->dev_num : absent_dev(x);
	uint16_t tok = (uint16_t)rnd();
	uint8_t m[MSG_BUF];
	bool bus;

	switch (below(4)) {
	case 0: /* unknown transport or bus id, request, response or event shaped */
		bus = below(2);
		pl = below(17);
		rnd_fill(m + VIRTIO_MSG_HEADER_SIZE, pl);
		len = vmsg_build_header(m, (uint8_t)((bus ? VIRTIO_MSG_TYPE_BUS : 0) | below(2)),
					unknown_id(bus), bus ? 0 : dev, tok,
					(uint16_t)(VIRTIO_MSG_HEADER_SIZE + pl));
		len += pl;
		break;
	case 1: /* a request from the card: wrong direction */
		switch (below(7)) {
		case 0:
			len = vmsg_build_get_device_info_req(m, cap, dev, tok);
			break;
		case 1:
			len = vmsg_build_set_device_status_req(m, cap, dev, tok, 0);
			break;
		case 2:
			len = vmsg_build_get_config_req(m, cap, dev, tok, 0, 8);
			break;
		case 3:
			len = vmsg_build_set_vqueue_req(m, cap, dev, tok, &vq);
			break;
		case 4:
			len = vmsg_build_event_avail(m, cap, dev, 0, 0);
			break;
		case 5:
			len = vmsg_build_bus_get_devices_req(m, cap, tok, 0, 64);
			break;
		default: /* ERROR as a request */
			len = vmsg_build_bus_error(m, cap, tok, 0, VIRTIO_MSG_GET_DEVICE_STATUS,
						   dev, VMSG_PCIE_ERR_NO_DEVICE);
			m[0] &= (uint8_t)~VIRTIO_MSG_TYPE_RESPONSE;
			break;
		}
		break;
	case 2: /* an event shaped as a response */
		if (below(2))
			len = vmsg_build_event_used(m, cap, dev, 0);
		else
			len =
			    vmsg_build_bus_event_device(m, cap, dev, VIRTIO_BUS_DEVICE_STATE_READY);
		m[0] |= VIRTIO_MSG_TYPE_RESPONSE;
		break;
	default: /* a bus message naming a device */
		if (below(2))
			len = vmsg_build_bus_ping_resp(m, cap, tok, rnd32());
		else
			len = vmsg_build_bus_event_device(m, cap, absent_dev(x),
							  VIRTIO_BUS_DEVICE_STATE_READY);
		vmsg_put_le16(m + 2, (uint16_t)(1u + below(65535)));
		break;
	}
	if (!len)
		return 0;
	ensure_broken(x, m, len);
	return put_cur(x, m, len);
}

/* A real response from the last c2h slots, to send it again. */
static size_t recent_response(const struct hctx *x, uint8_t *m)
{
	uint32_t start = below(RECENT_SCAN);

	for (uint32_t i = 0; i < RECENT_SCAN; i++) {
		uint32_t k = (start + i) % RECENT_SCAN, epoch = 0;
		size_t len = vmsg_card_test_c2h_recent(x->card, k, m, x->cap, &epoch);

		if (len && len <= x->cap && epoch == x->epoch &&
		    (m[0] & VIRTIO_MSG_TYPE_RESPONSE) && host_accepts(x, m, len))
			return len;
	}
	return 0;
}

static int do_badtoken(struct hctx *x)
{
	const struct vmsg_card_test_req *r = seen_req(x);
	struct vmsg_dev *d = any_present(x);
	uint8_t m[MSG_BUF];
	size_t len = 0;
	uint16_t tok;

	switch (below(4)) {
	case 0: /* a present device, a token no request has */
		if (d && far_token(x, &tok)) {
			len = build_random_resp(x, m, d->dev_num, tok);
			break;
		}
		/* fall through */
	case 1: /* a live token, another dev_num */
		if (r) {
			if (below(3) == 0)
				len = vmsg_build_bus_error(m, x->ri.max_msg_size, r->token, r->type,
							   r->msg_id, other_dev(x, r->dev_num),
							   VMSG_PCIE_ERR_NO_DEVICE);
			else if (r->dev_num != 0 && below(2))
				len = build_bus_resp(x, m, r->token, other_dev(x, r->dev_num));
			else
				len = build_random_resp(x, m, other_dev(x, r->dev_num), r->token);
			break;
		}
		len = build_random_resp(x, m, absent_dev(x), (uint16_t)rnd());
		break;
	case 2: /* a response the host already had */
		len = recent_response(x, m);
		if (len)
			break;
		/* fall through */
	default: /* a bus answer nobody asked for */
		if (far_token(x, &tok))
			len = build_bus_resp(x, m, tok, absent_dev(x));
		else
			len = vmsg_build_bus_error(m, x->ri.max_msg_size, (uint16_t)rnd(), 0,
						   VIRTIO_MSG_GET_DEVICE_STATUS, absent_dev(x),
						   VMSG_PCIE_ERR_NO_DEVICE);
		break;
	}
	if (!len || !host_accepts(x, m, len))
		return 0;
	return put_cur(x, m, len);
}

static uint32_t bad_vq(const struct vmsg_dev *d)
{
	static const uint32_t edges[] = {64u, 65535u, 0x80000000u, 0xffffffffu};

	if (below(2))
		return edges[below(4)];
	return d->num_queues + below(64);
}

/* EVENT_CONFIG with offset/length wrapping u32: the payload is only the
 * fixed part, the validator must stop at the range. */
static size_t build_config_wrap(const struct hctx *x, uint8_t *m, vmsg_dev_num_t dev)
{
	size_t len = vmsg_build_event_config(m, x->ri.max_msg_size, dev, 0, 0, 0, NULL, 0);
	uint32_t off = 0xffffffffu - below(256);

	if (!len)
		return 0;
	vmsg_put_le32(m + VIRTIO_MSG_HEADER_SIZE + 8, off);
	vmsg_put_le32(m + VIRTIO_MSG_HEADER_SIZE + 12, 0x100u + below(0x10000));
	return len;
}

static int ready_storm(struct hctx *x)
{
	uint8_t m[16];
	int sent = 0;

	for (unsigned int i = 0; i < STORM_BURST; i++) {
		vmsg_dev_num_t n;
		size_t len;

		do {
			if (H.storm_next == 0 || H.storm_next > 65535u)
				H.storm_next = 1;
			n = (vmsg_dev_num_t)H.storm_next++;
		} while (is_present(x, n));
		len = vmsg_build_bus_event_device(m, sizeof(m), n, VIRTIO_BUS_DEVICE_STATE_READY);
		if (!put_cur(x, m, len))
			break;
		sent++;
	}
	return sent;
}

static int do_badevent(struct hctx *x)
{
	struct vmsg_dev *d = any_present(x);
	size_t cap = x->ri.max_msg_size, len = 0;
	uint8_t m[MSG_BUF], data[16];
	uint32_t off, n;

	rnd_fill(data, sizeof(data));
	switch (below(9)) {
	case 0: /* EVENT_USED, queue out of range */
		if (d) {
			len = vmsg_build_event_used(m, cap, d->dev_num, bad_vq(d));
			break;
		}
		/* fall through */
	case 1: /* EVENT_USED for an absent device */
		len = vmsg_build_event_used(m, cap, absent_dev(x), below(4));
		break;
	case 2: /* EVENT_CONFIG beyond config_size (no wrap) */
		if (d) {
			n = 1u + below(sizeof(data));
			if (below(2) && d->config_size)
				off = d->config_size - 1u -
				      below(d->config_size < n ? d->config_size : n);
			else
				off = d->config_size + below(0x10000);
			if ((uint64_t)off + n <= d->config_size)
				off = d->config_size; /* the straddle landed inside: push it out */
			len = vmsg_build_event_config(
			    m, cap, d->dev_num, d->status & ~VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET,
			    d->config_generation, off, data, n);
			break;
		}
		/* fall through */
	case 3: /* EVENT_CONFIG offset + length wrapping u32 */
		len = build_config_wrap(x, m, d && below(2) ? d->dev_num : absent_dev(x));
		break;
	case 4: /* EVENT_CONFIG for an absent device */
		len = vmsg_build_event_config(m, cap, absent_dev(x), 0, rnd32(), 0, NULL, 0);
		break;
	case 5: /* EVENT_DEVICE: a state virtio-msg does not define */
		len =
		    vmsg_build_bus_event_device(m, cap, d && below(2) ? d->dev_num : absent_dev(x),
						(uint16_t)(below(2) ? 0u : 3u + below(0x7ffd)));
		break;
	case 6: /* EVENT_DEVICE: implementation-defined state, or dev_num 0 */
		if (below(2))
			len = vmsg_build_bus_event_device(m, cap, absent_dev(x),
							  (uint16_t)(0x8000u + below(0x8000)));
		else
			len =
			    vmsg_build_bus_event_device(m, cap, 0,
							below(2) ? VIRTIO_BUS_DEVICE_STATE_READY
								 : VIRTIO_BUS_DEVICE_STATE_REMOVED);
		break;
	case 7: /* REMOVED for a device that is not there */
		len = vmsg_build_bus_event_device(m, cap, absent_dev(x),
						  VIRTIO_BUS_DEVICE_STATE_REMOVED);
		break;
	default:
		return ready_storm(x);
	}
	return put_cur(x, m, len);
}

static int do_stale(struct hctx *x)
{
	uint8_t m[MSG_BUF];
	size_t len = 0;

	if (below(3) == 0) {
		/* a real recent message (response or event) again, old epoch */
		uint32_t epoch = 0, k = below(RECENT_SCAN);

		len = vmsg_card_test_c2h_recent(x->card, k, m, x->cap, &epoch);
		if (len > x->cap || epoch != x->epoch || !host_accepts(x, m, len))
			len = 0;
	}
	if (!len)
		len = build_dangerous(x, m);
	return len ? put(x, m, len, stale_epoch(x)) : 0;
}

static int do_badslot(struct hctx *x)
{
	uint8_t m[MSG_BUF];
	size_t len = build_dangerous(x, m);
	uint32_t f;

	if (!len)
		return 0;
	switch (below(4)) {
	case 0:
		f = 0;
		break;
	case 1: /* just beyond the slot */
		f = x->cap + 1u + below(8);
		break;
	case 2: /* anywhere beyond the slot */
		f = x->cap + 1u + below(0xffffu - x->cap);
		break;
	default: /* fits the slot but not max_msg_size ([RING-6]) */
		if (x->cap <= x->ri.max_msg_size)
			return 0;
		f = x->ri.max_msg_size + 1u + below(x->cap - x->ri.max_msg_size);
		rnd_fill(m + len, f - len);
		vmsg_put_le16(m + 6, (uint16_t)f);
		len = f;
		break;
	}
	return vmsg_card_test_c2h_inject_raw(x->card, (uint16_t)f, 0, x->epoch, m, len,
					     x->min_free) == 0
		   ? 1
		   : 0;
}

static int do_badindex(struct hctx *x)
{
	uint32_t sc = x->ri.slot_count, delta;

	switch (below(5)) {
	case 0:
		delta = sc + 1u; /* one beyond full */
		break;
	case 1:
		delta = 0xffffffffu; /* one behind the consumer */
		break;
	case 2:
		delta = 0x80000000u;
		break;
	case 3: /* backwards */
		delta = 0u - (1u + below(0x7fffffffu));
		break;
	default: /* forwards */
		delta = sc + 1u + below(0x7fffffffu);
		break;
	}
	return vmsg_card_test_c2h_jump(x->card, delta, NULL, NULL) == 0 ? 1 : 0;
}

/*
 * Not in "all". The engine is not polled for PINGFLOOD_MS, so nothing in
 * the h2c ring is consumed; meanwhile every free c2h slot gets a bus PING.
 * The host owes an answer to each and finds the h2c ring full: it must
 * neither recurse nor wait past its deadline, and must stay bounded.
 */
static int do_pingflood(struct hctx *x)
{
	uint64_t end = mono_ns() + (uint64_t)PINGFLOOD_MS * 1000000ull;
	uint8_t m[16];
	int sent = 0;

	while (mono_ns() < end && vmsg_card_link_state(x->card) == VMSG_LINK_RUN) {
		size_t len =
		    vmsg_build_bus_ping_req(m, sizeof(m), (uint16_t)(1u + below(0xfffe)), rnd32());

		if (len && vmsg_card_test_c2h_inject(x->card, m, len, x->epoch, 1) == 0) {
			sent++;
			continue;
		}
		sched_yield(); /* ring full: let the host drain it */
	}
	return sent;
}

/* Attacked once per queue and session: a host that reset the device and
 * programmed new rings must find them working. */
static bool usedrun_done(vmsg_dev_num_t dev, uint32_t vq, uint32_t epoch)
{
	for (unsigned int i = 0; i < H.n_usedrun; i++)
		if (H.usedrun_done[i].dev == dev && H.usedrun_done[i].vq == vq &&
		    H.usedrun_done[i].epoch == epoch)
			return true;
	return false;
}

/*
 * Not in "all". The used ring's idx of every ready queue (device with
 * DRIVER_OK) jumps USEDRUN_AHEAD beyond what the device itself published:
 * more used entries than chains in flight. Once per queue and session, so
 * the host sees one consistent lie (written twice it would wrap back).
 */
static int do_usedrun(struct hctx *x)
{
	int hit = 0;

	for (unsigned int i = 0; i < x->npresent; i++) {
		struct vmsg_dev *d = x->present[i];

		if (!(d->status & VIRTIO_MSG_STATUS_DRIVER_OK))
			continue;
		for (uint32_t q = 0; q < d->num_queues && q < VMSG_DEV_MAX_QUEUES; q++) {
			const struct vmsg_dev_queue *dq = &d->queues[q];
			uint64_t idx_addr = dq->device_addr + 2u; /* used: flags, idx, ring */
			uint8_t b[2];
			uint16_t idx;

			if (!dq->ready || !dq->size || H.n_usedrun >= USEDRUN_MAX ||
			    usedrun_done(d->dev_num, q, x->epoch))
				continue;
			if (vmsg_dev_host_read(d, idx_addr, b, sizeof(b)))
				continue;
			idx = (uint16_t)(vmsg_get_le16(b) + USEDRUN_AHEAD);
			vmsg_put_le16(b, idx);
			if (vmsg_dev_host_write(d, idx_addr, b, sizeof(b)))
				continue;
			H.usedrun_done[H.n_usedrun].dev = d->dev_num;
			H.usedrun_done[H.n_usedrun].vq = q;
			H.usedrun_done[H.n_usedrun].epoch = x->epoch;
			H.n_usedrun++;
			card_warn("hostile usedrun: dev %u vq %u used idx now %u", d->dev_num, q,
				  idx);
			hit++;
		}
	}
	return hit;
}

/* Queue vectors (binding 7.5) with nothing behind them. */
static int do_badvec(struct hctx *x)
{
	const struct vmsg_card_platform *p = vmsg_card_platform(x->card);
	unsigned int i, n = 1u + below(3);
	int hit = 0;

	if (x->num_vectors < 2)
		return 0;
	for (i = 0; i < n; i++)
		if (p->raise_irq(p->ctx, 1u + below(x->num_vectors - 1u)) == 0)
			hit++;
	return hit;
}

static int (*const mode_fn[HOSTILE__COUNT])(struct hctx *x) = {
    [HOSTILE_GARBAGE] = do_garbage,   [HOSTILE_BADSIZE] = do_badsize,
    [HOSTILE_BADID] = do_badid,	      [HOSTILE_BADTOKEN] = do_badtoken,
    [HOSTILE_BADEVENT] = do_badevent, [HOSTILE_STALE] = do_stale,
    [HOSTILE_BADSLOT] = do_badslot,   [HOSTILE_BADINDEX] = do_badindex,
    [HOSTILE_BADVEC] = do_badvec,     [HOSTILE_PINGFLOOD] = do_pingflood,
    [HOSTILE_USEDRUN] = do_usedrun,
};

/* ---- the daemon side ---- */

static uint64_t seed_from_env(void)
{
	const char *s = getenv(HOSTILE_SEED_ENV);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		card_warn("hostile: %s '%s' ignored (not a number)", HOSTILE_SEED_ENV, s);
		return 0;
	}
	return v;
}

void hostile_start(struct card_daemon *d)
{
	char names[128] = "";
	size_t used = 0;

	memset(&H, 0, sizeof(H));
	H.modes = d->opts->hostile_modes & HOSTILE_ANY;
	if (!H.modes)
		return;
	H.on = true;
	H.rate_ms = d->opts->hostile_rate_ms ? d->opts->hostile_rate_ms : HOSTILE_DEFAULT_RATE_MS;
	H.seed = seed_from_env();
	if (!H.seed)
		H.seed = mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	H.rng = H.seed ? H.seed : 1;
	H.storm_next = d->opts->max_devices + 1u;
	H.next_ns = mono_ns();
	for (unsigned int m = 0; m < HOSTILE__COUNT; m++) {
		int n;

		if (!(H.modes & (1u << m)))
			continue;
		n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? "," : "",
			     mode_names[m]);
		if (n > 0 && (size_t)n < sizeof(names) - used)
			used += (size_t)n;
	}
	card_warn("HOSTILE MODE (test only, never in production): the card attacks its host "
		  "with %s every %u ms (seed: %s=%#llx)",
		  names, H.rate_ms, HOSTILE_SEED_ENV, (unsigned long long)H.seed);
}

bool hostile_active(void)
{
	return H.on;
}

uint32_t hostile_next_ms(void)
{
	uint64_t now;

	if (!H.on)
		return UINT32_MAX;
	now = mono_ns();
	if (now >= H.next_ns)
		return 0;
	return (uint32_t)((H.next_ns - now + 999999u) / 1000000u);
}

static void ctx_fill(struct hctx *x, struct card_daemon *d)
{
	x->card = d->card;
	x->epoch = vmsg_card_epoch(d->card);
	x->cap = x->ri.slot_size - (uint32_t)sizeof(struct vmsg_slot_hdr);
	if (x->cap > MSG_BUF / 2)
		x->cap = MSG_BUF / 2;
	x->min_free = x->ri.slot_count / 2u + 1u;
	x->max_devices = d->opts->max_devices;
	x->num_vectors = d->link.num_vectors;
	x->vopts.max_msg_size = (uint16_t)x->ri.max_msg_size;
	x->vopts.allow_impl_ids = false;
	x->nreq = vmsg_card_test_h2c_requests(d->card, x->req, MAX_SEEN_REQS);
	for (uint32_t n = 1; n <= d->opts->max_devices && x->npresent < MAX_PRESENT; n++) {
		struct vmsg_dev *dev = vmsg_card_device(d->card, (vmsg_dev_num_t)n);

		if (dev && !dev->removed)
			x->present[x->npresent++] = dev;
	}
	if (x->epoch != H.epoch) {
		H.prev_epoch = H.epoch;
		H.epoch = x->epoch;
		H.have_token = false;
	}
	if (x->nreq) {
		H.last_token = x->req[0].token;
		H.have_token = true;
	}
}

void hostile_tick(struct card_daemon *d)
{
	static struct hctx x;
	uint64_t now;
	int n;
	enum hostile_mode m;

	if (!H.on || !d->card)
		return;
	now = mono_ns();
	if (now < H.next_ns)
		return;
	H.next_ns = now + (uint64_t)H.rate_ms * 1000000ull;
	if (vmsg_card_link_state(d->card) != VMSG_LINK_RUN)
		return;
	memset(&x, 0, sizeof(x));
	if (vmsg_card_test_c2h_info(d->card, &x.ri) < 0)
		return;
	ctx_fill(&x, d);
	while (!(H.modes & (1u << (H.cursor % HOSTILE__COUNT))))
		H.cursor++;
	m = (enum hostile_mode)(H.cursor % HOSTILE__COUNT);
	H.ticks++;
	n = mode_fn[m](&x);
	if (n > 0)
		H.count[m] += (uint64_t)n;
	else
		H.skipped++;
	/* next mode, unless this one found no room (badindex needs an empty
	 * ring, so it is retried for a few ticks) */
	if (n > 0 || ++H.retries >= RETRY_TICKS) {
		H.cursor++;
		H.retries = 0;
	}
}

void hostile_ctl_exec(void *ctx, const char *line, struct ctl_out *out)
{
	const char *p = line;

	card_ctl_exec(ctx, line, out);
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "stats", 5) != 0 || out->truncated || out->len < 3 ||
	    memcmp(out->buf + out->len - 3, "ok\n", 3) != 0)
		return;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return;
	out->len -= 3;
	out->buf[out->len] = '\0';
	ctl_printf(out, "hostile.rate_ms %u\n", H.rate_ms);
	ctl_printf(out, "hostile.seed %#llx\n", (unsigned long long)H.seed);
	ctl_printf(out, "hostile.ticks %llu\n", (unsigned long long)H.ticks);
	ctl_printf(out, "hostile.skipped %llu\n", (unsigned long long)H.skipped);
	for (unsigned int m = 0; m < HOSTILE__COUNT; m++)
		if (H.modes & (1u << m))
			ctl_printf(out, "hostile.%s %llu\n", mode_names[m],
				   (unsigned long long)H.count[m]);
	ctl_printf(out, "ok\n");
}
