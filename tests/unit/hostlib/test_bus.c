// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_bus.c - the host bus against an in-process fake card: attach per the
 * binding (and every way it can be refused), token matching, hostile bytes
 * in the c2h ring, bus ERROR, timeouts, events, PING both ways, liveness,
 * card restart, a full h2c ring.
 */
#include "common.h"

#include "bus_priv.h" /* BUS_MAX_PENDING_PONGS */

#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#define REGW(fc, f, v)                                                                             \
	VMSG_WRITE_ONCE32((fc)->bar0 + offsetof(struct vmsg_pcie_regs, f), vmsg_cpu_to_le32(v))

static size_t status_req(uint8_t *b, vmsg_dev_num_t dev)
{
	return vmsg_build_get_device_status_req(b, 64, dev, 0);
}

/* ---- attach ---- */

static void attach_ok(void **state)
{
	struct fixture *f = *state;

	fx_attach(f);
	assert_int_equal(vmsg_host_bus_epoch(f->bus), f->fc->epoch);
	assert_int_equal(vmsg_host_bus_host_features(f->bus),
			 VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_ERROR_MSG);
	assert_int_equal(f->fc->attaches, 1);
	assert_true(vmsg_host_bus_device_present(f->bus, 1));
	assert_false(vmsg_host_bus_device_present(f->bus, 2));
	assert_int_equal(fx_count(f, VMSG_HOST_EV_LINK_UP, 0), 1);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_READY, 1), 1);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

/* Binding 7.5 [OOB-1]: the library polls or takes vec_c2h; it never accepts
 * OOB_NOTIFY, not even when the caller's mask asks for it, so every
 * notification stays in-band and works with a card that offers it. */
static void attach_declines_oob(void **state)
{
	struct fixture *f = *state;

	REGW(f->fc, card_features,
	     VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_ERROR_MSG |
		 VMSG_PCIE_F_OOB_NOTIFY);
	REGW(f->fc, num_doorbells, 8);
	f->opts.features_mask = 0xffffffffu;
	fx_attach(f);
	assert_int_equal(vmsg_host_bus_host_features(f->bus) & VMSG_PCIE_F_OOB_NOTIFY, 0);
	assert_int_equal(vmsg_host_bus_host_features(f->bus),
			 VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX | VMSG_PCIE_F_ERROR_MSG);
	assert_int_equal(VMSG_HOST_BUS_FEATURES & VMSG_PCIE_F_OOB_NOTIFY, 0);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

static void attach_refused(void **state)
{
	struct fixture *f = *state;

	f->fc->refuse_attach = VMSG_ATTACH_EAREA;
	f->fc->refuse_count = 1;
	assert_int_equal(vmsg_host_bus_create(&f->fc->link, &f->opts, &f->bus), 0);
	assert_int_equal(vmsg_host_bus_attach(f->bus), -ECONNREFUSED);
	assert_int_equal(vmsg_host_bus_attach_error(f->bus), VMSG_ATTACH_EAREA);
	assert_non_null(strstr(vmsg_host_attach_error_str(VMSG_ATTACH_EAREA), "EAREA"));
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_DETACHED);
	/* the next one goes through */
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
}

static void attach_epoch_moved(void **state)
{
	struct fixture *f = *state;

	f->fc->new_epoch_on_attach = true;
	fx_attach(f);
	assert_int_equal(vmsg_host_bus_epoch(f->bus), f->fc->epoch);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

static void attach_bad_identity(void **state)
{
	struct fixture *f = *state;
	struct {
		size_t off;
		uint32_t val;
		int err;
	} cases[] = {
	    {offsetof(struct vmsg_pcie_regs, magic), 0x12345678, -ENODEV},
	    {offsetof(struct vmsg_pcie_regs, link_state), VMSG_LINK_SHUTDOWN, -ETIMEDOUT},
	    {offsetof(struct vmsg_pcie_regs, link_state), 7, -EIO},
	    {offsetof(struct vmsg_pcie_regs, version), 0x20000, -EPROTONOSUPPORT},
	    {offsetof(struct vmsg_pcie_regs, max_msg_size), 30, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, max_msg_size), 47, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, num_vectors), 33, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, c2h_bar_size), 0x1000, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, max_msg_size), 4000, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, h2c_ring_offset), 0xfff0, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, h2c_ring_size), 0x100000, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, c2h_cons_offset), 0x10, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, c2h_cons_offset), 0x1040, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, dma_addr_bits), 8, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, dma_addr_bits), 31, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, num_doorbells), 1, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, host_area_min), 0x7fffffff, -EPROTO},
	    {offsetof(struct vmsg_pcie_regs, card_features), VMSG_PCIE_F_MSIX, -EOPNOTSUPP},
	};
	unsigned int i;

	f->opts.attach_timeout_ms = 50;
	assert_int_equal(vmsg_host_bus_create(&f->fc->link, &f->opts, &f->bus), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		volatile uint32_t *p = (volatile uint32_t *)(f->fc->bar0 + cases[i].off);
		uint32_t saved = *p;

		*p = vmsg_cpu_to_le32(cases[i].val);
		assert_int_equal(vmsg_host_bus_attach(f->bus), cases[i].err);
		assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_DETACHED);
		*p = saved;
	}
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
}

static void attach_not_acknowledged(void **state)
{
	struct fixture *f = *state;
	uint64_t t0;

	f->fc->ctrl_dead = true;
	f->opts.attach_timeout_ms = 100;
	assert_int_equal(vmsg_host_bus_create(&f->fc->link, &f->opts, &f->bus), 0);
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_attach(f->bus), -ETIMEDOUT);
	/* the option, not VMSG_PCIE_ATTACH_TIMEOUT_MS (5 s) */
	assert_true(fx_now_ms() - t0 >= 100 && fx_now_ms() - t0 < 3000);
}

static void attach_over_previous_host(void **state)
{
	struct fixture *f = *state;

	fx_attach(f);
	vmsg_host_bus_destroy(f->bus); /* detaches */
	f->bus = NULL;
	/* pretend a host died attached: RUN with no one behind it */
	REGW(f->fc, link_state, VMSG_LINK_RUN);
	f->fc->live = true;
	fx_attach(f);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

/* ---- requests ---- */

static void out_of_order(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_req *r[6];
	uint8_t m[64], resp[264];
	int i;

	fx_attach(f);
	f->fc->defer = true;
	for (i = 0; i < 6; i++)
		assert_int_equal(
		    vmsg_host_bus_submit(f->bus, m,
					 vmsg_build_get_config_req(m, 64, 1, 0, (uint32_t)i, 1), 0,
					 &r[i]),
		    0);
	f->fc->defer = false;
	fc_flush(f->fc, true);
	for (i = 0; i < 6; i++) {
		assert_int_equal(vmsg_host_req_wait(f->bus, r[i], resp, sizeof(resp), NULL), 21);
		assert_int_equal(vmsg_get_le32(resp + 12), (uint32_t)i); /* its own offset */
	}
	{
		struct vmsg_host_bus_stats st;

		vmsg_host_bus_get_stats(f->bus, &st);
		assert_int_equal(st.rx_out_of_order, 5); /* accepted, counted ([ORDR-4]) */
	}
}

/* Matched by (dev_num, token) but the echo is wrong: fails at once. */
static bool wrong_id(struct fake_card *fc, const uint8_t *m, size_t len,
		     const struct vmsg_msg_info *mi)
{
	uint8_t out[64];

	(void)m;
	(void)len;
	if (mi->is_bus)
		return false;
	fc_send(fc, out, vmsg_build_reset_vqueue_resp(out, sizeof(out), mi->dev_num, mi->token));
	return true;
}

static void echo_mismatch_fails_fast(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	uint8_t m[64];
	uint64_t t0;

	fx_attach(f);
	f->fc->hook = wrong_id;
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), -EPROTO);
	/* at once, not at the 10 s request timeout of the fixture */
	assert_true(fx_now_ms() - t0 < 5000);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_mismatch, 1);
	assert_int_equal(st.timeouts, 0);
	f->fc->hook = NULL;
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), 12);
}

/* Before every answer, a salvo of lies and garbage. */
static bool liar(struct fake_card *fc, const uint8_t *m, size_t len, const struct vmsg_msg_info *mi)
{
	uint8_t out[320], junk[300];
	uint64_t *seed = fc->priv;
	size_t n, i;

	(void)len;
	if (mi->is_event || mi->is_bus)
		return false;
	/* right answer, wrong token */
	n = vmsg_build_get_device_status_resp(out, sizeof(out), mi->dev_num,
					      (uint16_t)(mi->token + 1), 0x7);
	fc_send(fc, out, n);
	/* right token, wrong device */
	n = vmsg_build_get_device_status_resp(out, sizeof(out), (vmsg_dev_num_t)(mi->dev_num + 1),
					      mi->token, 0x7);
	fc_send(fc, out, n);
	/* right token and id, malformed payload */
	n = vmsg_build_get_device_status_resp(out, sizeof(out), mi->dev_num, mi->token, 0x7);
	vmsg_put_le16(out + 6, (uint16_t)(n + 2));
	memset(out + n, 0, 2);
	fc_send(fc, out, n + 2);
	/* the right answer from an old epoch */
	n = vmsg_build_get_device_status_resp(out, sizeof(out), mi->dev_num, mi->token, 0x7);
	fc_send_epoch(fc, out, n, fc->epoch - 1);
	/* ring-level: impossible framing lengths */
	fc_send_bad_slot(fc, 0);
	fc_send_bad_slot(fc, 4000);
	/* noise */
	for (i = 0; i < 4; i++) {
		size_t k, l = 1 + (size_t)(*seed % 299);

		for (k = 0; k < l; k++) {
			*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
			junk[k] = (uint8_t)(*seed >> 56);
		}
		fc_send(fc, junk, l);
	}
	fc_default(fc, m, len, mi);
	return true;
}

static void hostile_c2h(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	uint64_t seed = 42;
	uint8_t m[64], resp[264];
	int i;

	fx_attach(f);
	f->fc->hook = liar;
	f->fc->priv = &seed;
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		    vmsg_host_bus_request(f->bus, m, status_req(m, 1), resp, sizeof(resp), 0), 12);
		assert_int_equal(vmsg_get_le32(resp + 8), 0);
	}
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.timeouts, 0);
	assert_true(st.rx_unsolicited >= 200); /* wrong token, wrong device */
	assert_int_equal(st.rx_mismatch, 0);
	assert_true(st.rx_malformed >= 100);
	assert_true(st.rx_stale_epoch == 100);
	assert_true(st.rx_bad_slot >= 200);
	/* an impossible producer index: resynchronise, keep going */
	f->fc->hook = NULL;
	fc_bad_prod_index(f->fc);
	assert_int_equal(vmsg_host_bus_poll(f->bus) >= 0, 1);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), resp, sizeof(resp), 0),
			 12);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_true(st.rx_bad_slot >= 201);
}

static bool wrong_error(struct fake_card *fc, const uint8_t *m, size_t len,
			const struct vmsg_msg_info *mi)
{
	uint8_t out[32];

	(void)m;
	(void)len;
	if (mi->is_bus)
		return false;
	/* ERROR with our token but naming another request: ignored */
	fc_send(fc, out,
		vmsg_build_bus_error(out, sizeof(out), mi->token, mi->type,
				     (uint8_t)(mi->msg_id + 1), mi->dev_num, VMSG_PCIE_ERR_BUSY));
	return true;
}

static void bus_error(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_req *r;
	uint8_t m[64], ev[16];
	uint16_t berr;
	uint64_t t0;

	fx_attach(f); /* request timeout 10 s: "at once" is far from it */
	/* the card announces dev 5 but has nothing behind it */
	fc_send(f->fc, ev,
		vmsg_build_bus_event_device(ev, sizeof(ev), 5, VIRTIO_BUS_DEVICE_STATE_READY));
	vmsg_host_bus_poll(f->bus);
	assert_true(vmsg_host_bus_device_present(f->bus, 5));
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_submit(f->bus, m, status_req(m, 5), 0, &r), 0);
	assert_int_equal(vmsg_host_req_wait(f->bus, r, NULL, 0, &berr), -ENODEV);
	assert_int_equal(berr, VMSG_PCIE_ERR_NO_DEVICE);
	assert_true(fx_now_ms() - t0 < 5000); /* at once, not a timeout */
	/* an ERROR whose echo does not match the request is not believed */
	f->fc->hook = wrong_error;
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), -EPROTO);
	assert_true(fx_now_ms() - t0 < 5000);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_mismatch, 1);
	assert_int_equal(st.rx_bus_errors, 1);
	assert_int_equal(st.timeouts, 0);
}

static void timeout_then_late(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	uint8_t m[64];
	uint64_t t0;

	f->opts.request_timeout_ms = 100;
	fx_attach(f);
	f->fc->defer = true;
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0),
			 -ETIMEDOUT);
	/* the option, not VMSG_PCIE_REQUEST_TIMEOUT_MS (2 s) */
	assert_true(fx_now_ms() - t0 >= 100 && fx_now_ms() - t0 < 1500);
	f->fc->defer = false;
	fc_flush(f->fc, false);
	vmsg_host_bus_poll(f->bus);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_unsolicited, 1);
	assert_int_equal(st.timeouts, 1);
	/* a per-call timeout overrides the bus's (10 s here, far from it) */
	vmsg_host_bus_destroy(f->bus);
	f->bus = NULL;
	f->opts.request_timeout_ms = 10000;
	fx_attach(f);
	f->fc->deaf = true;
	t0 = fx_now_ms();
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 30),
			 -ETIMEDOUT);
	assert_true(fx_now_ms() - t0 >= 30 && fx_now_ms() - t0 < 5000);
}

static void requests_refused_locally(void **state)
{
	struct fixture *f = *state;
	uint8_t m[300];

	assert_int_equal(vmsg_host_bus_create(&f->fc->link, &f->opts, &f->bus), 0);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), -ENOTCONN);
	fx_attach(f);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 3), NULL, 0, 0), -ENODEV);
	/* responses and events are not requests; invalid messages are refused */
	assert_int_equal(vmsg_host_bus_request(f->bus, m,
					       vmsg_build_get_device_status_resp(m, 64, 1, 0, 0),
					       NULL, 0, 0),
			 -EINVAL);
	assert_int_equal(
	    vmsg_host_bus_request(f->bus, m, vmsg_build_event_avail(m, 64, 1, 0, 0), NULL, 0, 0),
	    -EINVAL);
	m[7] = 0xff;
	assert_int_equal(vmsg_host_bus_request(f->bus, m, 8, NULL, 0, 0), -EINVAL);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, 280, NULL, 0, 0), -EMSGSIZE);
}

/* ---- events ---- */

static void events(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_dev *dev;
	struct vmsg_host_req *r;
	uint8_t m[64], e[64];

	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	fc_send(f->fc, e,
		vmsg_build_event_config(e, sizeof(e), 1, VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET, 9, 0,
					NULL, 0));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 1));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 6, 0)); /* unknown device */
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 3, VIRTIO_BUS_DEVICE_STATE_READY));
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 3, VIRTIO_BUS_DEVICE_STATE_READY));
	fc_send(f->fc, e, vmsg_build_bus_event_device(e, sizeof(e), 3, 0x8001));
	vmsg_host_bus_poll(f->bus);
	assert_true(vmsg_host_dev_needs_reset(dev));
	assert_true(vmsg_host_dev_config_changed(dev));
	assert_false(vmsg_host_dev_config_changed(dev));
	assert_int_equal(vmsg_host_dev_generation(dev), 9);
	assert_int_equal(vmsg_host_dev_take_used(dev), 1u << 1);
	assert_int_equal(vmsg_host_dev_take_used(dev), 0);
	assert_true(vmsg_host_bus_device_present(f->bus, 3));
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_READY, 3), 1); /* duplicate tolerated */
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_STATE, 3), 1);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_CONFIG, 1), 1);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_USED, 1), 1);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_unknown_dev, 1);

	/* REMOVED fails the device's pending request at once */
	f->fc->defer = true;
	assert_int_equal(vmsg_host_bus_submit(f->bus, m, status_req(m, 1), 0, &r), 0);
	f->fc->defer = false;
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 1, VIRTIO_BUS_DEVICE_STATE_REMOVED));
	assert_int_equal(vmsg_host_req_wait(f->bus, r, NULL, 0, NULL), -ENODEV);
	assert_int_equal(vmsg_host_dev_error(dev), -ENODEV);
	assert_int_equal(vmsg_host_dev_get_status(dev, NULL), -ENODEV);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_REMOVED, 1), 1);
	vmsg_host_dev_close(dev);
}

static void ping_from_card(void **state)
{
	struct fixture *f = *state;
	uint8_t m[32];

	fx_attach(f);
	fc_send(f->fc, m, vmsg_build_bus_ping_req(m, sizeof(m), 77, 0xabcd1234));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0); /* drives the card */
	assert_true(f->fc->got_ping_resp);
	assert_int_equal(f->fc->last_ping_resp[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(vmsg_get_le16(f->fc->last_ping_resp + 4), 77);
	assert_int_equal(vmsg_get_le32(f->fc->last_ping_resp + 8), 0xabcd1234);
}

/*
 * [BUS-4] without recursion: the card stops consuming h2c and refills c2h
 * with PINGs at every doorbell. Answering them must neither recurse (each
 * answer found h2c full, drained c2h again, met the next PING: one stack
 * frame with a 4 KiB buffer per PING, a crash long before the 20,000th)
 * nor wait: the first answers fill h2c, BUS_MAX_PENDING_PONGS wait for
 * room, the rest are dropped and counted. Once the card consumes again,
 * every answer kept reaches it.
 */
#define FLOOD 20000u
static void ping_flood_h2c_stalled(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	uint32_t slots, kept;
	uint8_t pm[16];
	uint64_t t0;

	fx_attach(f);
	slots = f->fc->h2c.slot_count;
	f->fc->stalled = true;
	f->fc->flood_pings = FLOOD;
	/* its doorbell starts the flood; never answered (h2c is not consumed):
	 * a short per-call timeout, the later PINGs keep the fixture's 10 s */
	assert_int_equal(vmsg_host_bus_request(f->bus, pm,
					       vmsg_build_bus_ping_req(pm, sizeof(pm), 0, 1), NULL,
					       0, 50),
			 -ETIMEDOUT);
	t0 = fx_now_ms();
	do {
		assert_true(fx_now_ms() - t0 < 20000);
		fc_flood(f->fc);
	} while (vmsg_host_bus_poll(f->bus) > 0 || f->fc->flood_pings);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(f->fc->flood_sent, FLOOD);
	assert_int_equal(st.rx_pings, FLOOD);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_RUN);
	/* h2c holds the first answers (one slot has our PING), a bounded
	 * number wait for room, the rest were dropped */
	kept = (uint32_t)(FLOOD - st.ping_resp_dropped);
	assert_int_equal(kept, slots - 1 + BUS_MAX_PENDING_PONGS);
	/* the card consumes again: every answer kept arrives, none twice */
	f->fc->stalled = false;
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
	assert_int_equal(f->fc->ping_resps, kept);
}

/*
 * Several threads wait for traffic while another talks to the card (polling
 * mode: bus_wait_traffic() spins on the c2h ring). Every look at the ring
 * and the link state happens under the bus lock; run under TSan
 * (-Db_sanitize=thread) this reports a data race if one does not.
 */
struct waiter_arg {
	struct vmsg_host_bus *bus;
	bool stop;	 /* atomic */
	uint64_t rounds; /* atomic */
};

static void *waiter(void *p)
{
	struct waiter_arg *a = p;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		vmsg_host_bus_wait(a->bus, 1);
		__atomic_fetch_add(&a->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void concurrent_waiters(void **state)
{
	struct fixture *f = *state;
	struct waiter_arg a[2];
	pthread_t th[2];
	uint64_t t0;
	int i, pings = 0;

	f->opts.poll_mode = true;
	fx_attach(f);
	for (i = 0; i < 2; i++) {
		a[i] = (struct waiter_arg){.bus = f->bus};
		assert_int_equal(pthread_create(&th[i], NULL, waiter, &a[i]), 0);
	}
	/* counted, not timed: talk until both waiters went round a few times
	 * while the PINGs ran (a loaded machine only makes it take longer);
	 * the threads are joined before anything is asserted */
	t0 = fx_now_ms();
	while (pings < 200 || __atomic_load_n(&a[0].rounds, __ATOMIC_RELAXED) < 20 ||
	       __atomic_load_n(&a[1].rounds, __ATOMIC_RELAXED) < 20) {
		if (vmsg_host_bus_ping(f->bus, NULL) != 0 || fx_now_ms() - t0 > 20000)
			break;
		pings++;
	}
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&a[i].stop, true, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	for (i = 0; i < 2; i++)
		assert_true(a[i].rounds >= 20);
	assert_true(pings >= 200);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_RUN);
}

/* ---- liveness ---- */

static void peer_dead(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_dev *dev;
	uint64_t t0, t;

	f->opts.ping_interval_ms = 20;
	f->opts.ping_misses = 3;
	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	/* answered PINGs keep it alive: counted, not timed */
	t0 = fx_now_ms();
	do {
		assert_int_equal(vmsg_host_bus_liveness(f->bus), VMSG_HOST_RUN);
		assert_true(fx_now_ms() - t0 < 20000);
		vmsg_host_bus_wait(f->bus, 1);
		vmsg_host_bus_get_stats(f->bus, &st);
	} while (st.pings_sent < 4);
	assert_int_equal(st.pings_missed, 0);
	f->fc->no_ping = true;
	t0 = fx_now_ms();
	while (vmsg_host_bus_liveness(f->bus) == VMSG_HOST_RUN) {
		vmsg_host_bus_get_stats(f->bus, &st);
		assert_true(st.pings_missed < 3);
		assert_true(fx_now_ms() - t0 < 20000);
		vmsg_host_bus_wait(f->bus, 1);
	}
	/* dead at the third miss in a row, and misses are an interval apart
	 * (not one per call): at least (misses - 1) x interval. No tight upper
	 * bound: a loaded machine delays the ticks, the count is what matters */
	t = fx_now_ms() - t0;
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.pings_missed, 3);
	assert_true(t >= 40 && t < 10000);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_PEER_DEAD);
	assert_int_equal(vmsg_host_dev_error(dev), -EHOSTDOWN);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_REMOVED, 1), 1);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_LINK_DOWN, 0), 1);
	vmsg_host_dev_close(dev);
}

static void card_restart(void **state)
{
	struct fixture *f = *state;
	uint32_t e0;

	f->opts.ping_interval_ms = 10;
	f->opts.auto_reattach = true;
	fx_attach(f);
	e0 = vmsg_host_bus_epoch(f->bus);
	fc_restart(f->fc);
	vmsg_host_bus_liveness(f->bus); /* sees it, and may re-attach at once */
	assert_int_equal(fx_count(f, VMSG_HOST_EV_LINK_DOWN, 0), 1);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_REMOVED, 1), 1);
	{
		uint64_t t0 = fx_now_ms();

		while (vmsg_host_bus_liveness(f->bus) != VMSG_HOST_RUN)
			assert_true(fx_now_ms() - t0 < 20000);
	}
	assert_int_not_equal(vmsg_host_bus_epoch(f->bus), e0);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_READY, 1), 2);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_LINK_UP, 0), 2);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

static void detach(void **state)
{
	struct fixture *f = *state;
	uint8_t m[64];

	fx_attach(f);
	vmsg_host_bus_detach(f->bus);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_DETACHED);
	assert_false(f->fc->live);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), -ENOTCONN);
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
}

static void h2c_full(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	uint8_t m[64];
	int i;

	fx_attach(f);
	f->fc->stalled = true;
	/* EVENT_AVAIL is never dropped ([EVT-3]): 64 fill the ring, the rest
	 * are coalesced into one pending kick per (dev_num, queue) */
	for (i = 0; i < 70; i++)
		assert_int_equal(
		    vmsg_host_bus_send_event(f->bus, m, vmsg_build_event_avail(m, 64, 1, 0, 0)), 0);
	assert_int_equal(
	    vmsg_host_bus_send_event(f->bus, m, vmsg_build_event_avail(m, 64, 1, 1, 0)), 0);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.kicks_deferred, 2);
	/* a request waits for space, bounded (its own short timeout; the PING
	 * below keeps the fixture's 10 s) */
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 50),
			 -ETIMEDOUT);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.h2c_full_waits, 1);
	f->fc->stalled = false;
	assert_int_equal(vmsg_host_bus_poll(f->bus) >= 0, 1); /* flushes the pending kicks */
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
	assert_int_equal(f->fc->avails, 66);
}

/* [CR-3]: an interrupt on an empty ring makes the host look at the link. */
static void restart_seen_by_interrupt(void **state)
{
	struct fixture *f = *state;
	int i;

	fx_attach(f);
	fc_restart(f->fc);
	f->fc->irq_pending = true;
	/* until the host has taken the interrupt (a wait preempted past its
	 * 50 ms may return before it looks): counted, not timed */
	for (i = 0; i < 100 && f->fc->irq_pending; i++)
		vmsg_host_bus_wait(f->bus, 50);
	assert_false(f->fc->irq_pending);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_GONE);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_REMOVED, 1), 1);
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
}

/* [LINK-2]: all-ones reads (surprise removal) or junk in link_state. */
static void link_state_invalid(void **state)
{
	struct fixture *f = *state;

	fx_attach(f);
	REGW(f->fc, link_state, 0xffffffffu);
	assert_int_equal(vmsg_host_bus_liveness(f->bus), VMSG_HOST_PEER_DEAD);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_REMOVED, 1), 1);
}

/* [DB-1]: the control doorbell carries a command count. */
static void ctrl_doorbell_count(void **state)
{
	struct fixture *f = *state;
	volatile uint32_t *db =
	    (volatile uint32_t *)(f->fc->bar0 + offsetof(struct vmsg_pcie_regs, doorbell));

	fx_attach(f);
	assert_int_equal(vmsg_le32_to_cpu(db[VMSG_DB_CTRL]), 1);
	vmsg_host_bus_detach(f->bus);
	assert_int_equal(vmsg_le32_to_cpu(db[VMSG_DB_CTRL]), 2);
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
	assert_int_equal(vmsg_le32_to_cpu(db[VMSG_DB_CTRL]), 3);
}

/* ---- [SEC-H-3]: events held to the device's bounds ---- */

/* Every USED and CONFIG event the callback saw is inside the bounds of
 * fake device 1 (2 queues, 16 bytes of config). */
static void assert_events_in_bounds(struct fixture *f)
{
	unsigned int i;

	for (i = 0; i < f->nev; i++) {
		const struct vmsg_host_event *ev = &f->ev[i];

		if (ev->kind == VMSG_HOST_EV_USED && ev->dev_num == 1)
			assert_true(ev->vq < 2);
		if (ev->kind == VMSG_HOST_EV_CONFIG && ev->dev_num == 1)
			assert_true((uint64_t)ev->offset + ev->length <= 16);
	}
}

static void event_used_bounds(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_dev *dev;
	uint8_t e[64];

	fx_attach(f);
	/* no open handle: nobody drives a queue, the bounds are unknown */
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 0));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_USED, 0), 0);

	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_info(dev)->max_virtqueues, 2);
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 1));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 2)); /* == max_virtqueues */
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 63));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 64));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 0xffffffffu));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 0));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_USED, 1), 2);
	assert_int_equal(vmsg_host_dev_take_used(dev), (1u << 0) | (1u << 1));
	assert_events_in_bounds(f);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_bad_event, 5);
	assert_int_equal(st.rx_unknown_dev, 0);

	/* a present device without a handle: dropped and counted too */
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 3, VIRTIO_BUS_DEVICE_STATE_READY));
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 3, 0));
	vmsg_host_bus_poll(f->bus);
	assert_true(vmsg_host_bus_device_present(f->bus, 3));
	assert_int_equal(fx_count(f, VMSG_HOST_EV_USED, 3), 0);

	/* the handle closed: the bounds are gone with it */
	vmsg_host_dev_close(dev);
	fc_send(f->fc, e, vmsg_build_event_used(e, sizeof(e), 1, 0));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_USED, 1), 2);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_bad_event, 7);
}

static void event_config_bounds(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_dev *dev;
	uint8_t e[64], data[32] = {0};
	const uint32_t nr = VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET;

	fx_attach(f);
	assert_int_equal(vmsg_host_dev_open(f->bus, 1, &dev), 0);
	assert_int_equal(vmsg_host_dev_info(dev)->config_size, 16);
	/* inside: the whole space, then a re-read hint */
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, 0, 5, 0, data, 16));
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, 0, 6, 4, NULL, 0));
	/* beyond config_size: straddling, far out, far out with no data, and
	 * near the top of u32 (a 32-bit sum would not wrap here, the validator
	 * refuses the ones that do); each with NEEDS_RESET and a generation
	 * that must not be believed */
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, nr, 90, 8, data, 9));
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, nr, 91, 16, data, 1));
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, nr, 92, 17, NULL, 0));
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 1, nr, 93, 0xffffff00u, data, 4));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_CONFIG, 1), 2);
	assert_events_in_bounds(f);
	assert_true(vmsg_host_dev_config_changed(dev));
	assert_int_equal(vmsg_host_dev_generation(dev), 6);
	assert_false(vmsg_host_dev_needs_reset(dev));
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_bad_event, 4);
	assert_int_equal(st.rx_malformed, 0);

	/* a present device without a handle: held to VMSG_HOST_MAX_CONFIG_SIZE */
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 3, VIRTIO_BUS_DEVICE_STATE_READY));
	fc_send(f->fc, e, vmsg_build_event_config(e, sizeof(e), 3, 0, 1, 0, NULL, 0));
	fc_send(f->fc, e,
		vmsg_build_event_config(e, sizeof(e), 3, 0, 2, VMSG_HOST_MAX_CONFIG_SIZE, data, 1));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_CONFIG, 3), 1);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_bad_event, 5);
	vmsg_host_dev_close(dev);
}

/* [DEV-3]: READY for invented devices fills a bounded table, no more; the
 * probe (GET_DEVICE_INFO answered NO_DEVICE) and GET_DEVICES take them back. */
static void ready_bounded(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct vmsg_host_dev *dev;
	uint8_t e[16];
	unsigned int n, extra = 40;
	size_t found;

	fx_attach(f);
	for (n = 0; n < VMSG_HOST_BUS_MAX_DEVICES + extra; n++) {
		fc_send(f->fc, e,
			vmsg_build_bus_event_device(e, sizeof(e), (vmsg_dev_num_t)(100 + n),
						    VIRTIO_BUS_DEVICE_STATE_READY));
		if (n % 32 == 31)
			vmsg_host_bus_poll(f->bus);
	}
	vmsg_host_bus_poll(f->bus);
	/* device 1 and the first MAX - 1 invented ones */
	assert_true(vmsg_host_bus_device_present(f->bus, 100));
	assert_true(vmsg_host_bus_device_present(f->bus, 100 + VMSG_HOST_BUS_MAX_DEVICES - 2));
	assert_false(vmsg_host_bus_device_present(f->bus, 100 + VMSG_HOST_BUS_MAX_DEVICES - 1));
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_bad_event, extra + 1);
	/* the probe finds nothing behind 100: it is no longer present, so
	 * there is room again */
	assert_int_equal(vmsg_host_dev_open(f->bus, 100, &dev), -ENODEV);
	assert_false(vmsg_host_bus_device_present(f->bus, 100));
	fc_send(f->fc, e,
		vmsg_build_bus_event_device(e, sizeof(e), 60000, VIRTIO_BUS_DEVICE_STATE_READY));
	vmsg_host_bus_poll(f->bus);
	assert_true(vmsg_host_bus_device_present(f->bus, 60000));
	/* GET_DEVICES: what the card enumerates, and nothing else */
	assert_int_equal(vmsg_host_bus_get_devices(f->bus, NULL, 0, &found), 0);
	assert_int_equal(found, 1);
	assert_true(vmsg_host_bus_device_present(f->bus, 1));
	assert_false(vmsg_host_bus_device_present(f->bus, 101));
	assert_false(vmsg_host_bus_device_present(f->bus, 60000));
	/* implementation-defined states of absent devices are not passed on */
	f->nev = 0;
	fc_send(f->fc, e, vmsg_build_bus_event_device(e, sizeof(e), 101, 0x8001));
	vmsg_host_bus_poll(f->bus);
	assert_int_equal(fx_count(f, VMSG_HOST_EV_DEVICE_STATE, 0), 0);
}

/* [RING-6]: a slot length above max_msg_size is a bad slot even when it
 * fits the slot (checked before the epoch and the validator). */
static void slot_len_above_max_msg(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats s0, s1;
	uint8_t m[64];

	fx_attach(f);
	assert_true(vmsg_host_bus_max_msg_size(f->bus) < 300);
	vmsg_host_bus_get_stats(f->bus, &s0);
	fc_send_bad_slot(f->fc, (uint16_t)(vmsg_host_bus_max_msg_size(f->bus) + 1));
	fc_send_bad_slot(f->fc, 300);
	assert_int_equal(vmsg_host_bus_request(f->bus, m, status_req(m, 1), NULL, 0, 0), 12);
	vmsg_host_bus_get_stats(f->bus, &s1);
	assert_int_equal(s1.rx_bad_slot - s0.rx_bad_slot, 2);
	assert_int_equal(s1.rx_malformed, s0.rx_malformed);
}

/* ---- PING: each request checks its own data ([BUS-4]) ---- */

struct ping_ctl {
	bool drop; /* swallow PING requests */
	bool lie;  /* echo the wrong data */
};

static bool ping_hook(struct fake_card *fc, const uint8_t *m, size_t len,
		      const struct vmsg_msg_info *mi)
{
	struct ping_ctl *c = fc->priv;
	uint8_t out[16];

	(void)len;
	if (!mi->is_bus || mi->msg_id != VIRTIO_BUS_MSG_PING || mi->is_response)
		return false;
	if (c->drop)
		return true;
	if (!c->lie)
		return false;
	fc_send(fc, out,
		vmsg_build_bus_ping_resp(out, sizeof(out), mi->token,
					 vmsg_get_le32(m + VIRTIO_MSG_HEADER_SIZE) + 1u));
	return true;
}

static void tick_until_missed(struct fixture *f, uint64_t missed)
{
	struct vmsg_host_bus_stats st;
	uint64_t t0 = fx_now_ms();

	for (;;) {
		assert_int_equal(vmsg_host_bus_liveness(f->bus), VMSG_HOST_RUN);
		vmsg_host_bus_get_stats(f->bus, &st);
		if (st.pings_missed >= missed)
			break;
		assert_true(fx_now_ms() - t0 < 20000);
		vmsg_host_bus_wait(f->bus, 1);
	}
	assert_int_equal(st.pings_missed, missed);
}

/*
 * An explicit PING between a liveness PING and its check: the tick used to
 * compare its echo with the data of the explicit one (rx_mismatch, and the
 * misses not reset), so misses that were not in a row made the peer dead.
 */
static void ping_explicit_and_liveness(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct ping_ctl c = {.drop = true};
	uint64_t t0;

	f->opts.ping_interval_ms = 30;
	f->opts.ping_misses = 3;
	fx_attach(f);
	f->fc->hook = ping_hook;
	f->fc->priv = &c;
	/* miss 1 (the next PING, sent in the same tick, is dropped too) */
	tick_until_missed(f, 1);
	c.drop = false;
	/* miss 2; the PING sent in that tick is answered at once */
	tick_until_missed(f, 2);
	/* an explicit PING drains that answer while it waits for its own */
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
	/* the tick sees its own PING answered right: the misses start again */
	assert_int_equal(vmsg_host_bus_liveness(f->bus), VMSG_HOST_RUN);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_mismatch, 0);
	/* one more miss is the third, but not the third in a row */
	c.drop = true;
	tick_until_missed(f, 3);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_RUN);
	/* the PING sent in that tick was dropped too: miss 4, 2 in a row */
	c.drop = false;
	tick_until_missed(f, 4);
	/* explicit and liveness PINGs mixed freely: nothing counted. Counted,
	 * not timed: until 4 more liveness PINGs went out among the explicit
	 * ones (the tick sends one per interval whatever the load) */
	vmsg_host_bus_get_stats(f->bus, &st);
	t0 = fx_now_ms();
	for (;;) {
		struct vmsg_host_bus_stats s1;

		assert_int_equal(vmsg_host_bus_liveness(f->bus), VMSG_HOST_RUN);
		assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), 0);
		vmsg_host_bus_get_stats(f->bus, &s1);
		assert_int_equal(s1.rx_mismatch, 0);
		assert_int_equal(s1.pings_missed, 4);
		if (s1.pings_sent >= st.pings_sent + 4)
			break;
		assert_true(fx_now_ms() - t0 < 20000);
	}
}

/* A wrong echo fails that PING (-EPROTO, rx_mismatch) and, for the
 * liveness tick, is a miss: wrong echoes in a row make the peer dead. */
static void ping_wrong_echo(void **state)
{
	struct fixture *f = *state;
	struct vmsg_host_bus_stats st;
	struct ping_ctl c = {.lie = true};
	uint64_t t0;

	f->opts.ping_interval_ms = 20;
	f->opts.ping_misses = 2;
	fx_attach(f);
	f->fc->hook = ping_hook;
	f->fc->priv = &c;
	assert_int_equal(vmsg_host_bus_ping(f->bus, NULL), -EPROTO);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.rx_mismatch, 1);
	t0 = fx_now_ms();
	while (vmsg_host_bus_liveness(f->bus) == VMSG_HOST_RUN) {
		assert_true(fx_now_ms() - t0 < 20000);
		vmsg_host_bus_wait(f->bus, 1);
	}
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_PEER_DEAD);
	vmsg_host_bus_get_stats(f->bus, &st);
	assert_int_equal(st.pings_missed, 2);
	assert_int_equal(st.rx_mismatch, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(attach_ok, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_declines_oob, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_refused, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_epoch_moved, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_bad_identity, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_not_acknowledged, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(attach_over_previous_host, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(out_of_order, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(hostile_c2h, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(bus_error, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(timeout_then_late, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(requests_refused_locally, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(events, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ping_from_card, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ping_flood_h2c_stalled, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(concurrent_waiters, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(peer_dead, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(card_restart, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(detach, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(h2c_full, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(echo_mismatch_fails_fast, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(restart_seen_by_interrupt, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(link_state_invalid, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ctrl_doorbell_count, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(event_used_bounds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(event_config_bounds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ready_bounded, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(slot_len_above_max_msg, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ping_explicit_and_liveness, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ping_wrong_echo, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
