// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_hostile.c - a hostile host. Every message kind is built with the
 * fw_shared builders and then corrupted (sizes, ids, direction, class,
 * payload length, count/range fields, dev_num, oversize, truncation), plus
 * short slots and random garbage, all pushed raw into the h2c ring; then
 * valid messages from a stale epoch, and finally an impossible producer
 * index written straight into BAR0. The card must stay up, count exactly
 * what it dropped (per validator verdict, checked against the same
 * validator run here), answer what was well-formed, and still serve good
 * requests (PING, status, blk and rng I/O after re-init); an
 * implementation-defined request is dropped unanswered ([ERR-2]) and the
 * host's bounded timeout ends it.
 */
#include "harness.h"

#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define MAXB	 512
#define NGARBAGE 3000
#define NSTALE	 50
#define BADDEV	 7

static uint64_t expect_bad, expect_verdict[VMSG_E__COUNT], sent_total;
static struct vmsg_validate_opts card_vopts = {.max_msg_size = 264, .allow_impl_ids = true};

static void send(struct it_host *h, const uint8_t *m, size_t len)
{
	enum vmsg_verdict v = vmsg_validate(m, len, VMSG_DIR_DRIVER_TO_DEVICE, &card_vopts, NULL);

	if (v != VMSG_OK) {
		expect_bad++;
		expect_verdict[v]++;
	}
	sent_total++;
	CHECK_OK(vmsg_host_bus_send_raw(h->bus, m, len, 0));
}

static size_t build_base(int k, uint8_t *b)
{
	static const uint32_t feats[2] = {1, 0};
	struct vmsg_vqueue_info vi = {.index = 0,
				      .max_size = 64,
				      .size = 64,
				      .desc_addr = 0x10000,
				      .driver_addr = 0x11000,
				      .device_addr = 0x12000};
	struct vmsg_device_info di = {1, 2, 64, 12, 2, 0, 0};
	uint8_t bm[2] = {0xff, 0};

	switch (k) {
	case 0:
		return vmsg_build_get_device_info_req(b, MAXB, BADDEV, 1);
	case 1:
		return vmsg_build_get_device_features_req(b, MAXB, BADDEV, 1, 0, 2);
	case 2:
		return vmsg_build_set_driver_features_req(b, MAXB, BADDEV, 1, 0, feats, 2);
	case 3:
		return vmsg_build_get_config_req(b, MAXB, BADDEV, 1, 0, 8);
	case 4:
		return vmsg_build_set_config_req(b, MAXB, BADDEV, 1, 0, 0, "abcd", 4);
	case 5:
		return vmsg_build_get_device_status_req(b, MAXB, BADDEV, 1);
	case 6:
		return vmsg_build_set_device_status_req(b, MAXB, BADDEV, 1, 0xf);
	case 7:
		return vmsg_build_get_vqueue_req(b, MAXB, BADDEV, 1, 0);
	case 8:
		return vmsg_build_set_vqueue_req(b, MAXB, BADDEV, 1, &vi);
	case 9:
		return vmsg_build_reset_vqueue_req(b, MAXB, BADDEV, 1, 0);
	case 10:
		return vmsg_build_get_shm_req(b, MAXB, BADDEV, 1, 0);
	case 11:
		return vmsg_build_event_avail(b, MAXB, BADDEV, 0, 0);
	case 12:
		return vmsg_build_bus_get_devices_req(b, MAXB, 1, 0, 64);
	case 13:
		return vmsg_build_bus_ping_req(b, MAXB, 1, 42);
	/* card -> host shapes: wrong direction when the host sends them */
	case 14:
		return vmsg_build_get_device_info_resp(b, MAXB, BADDEV, 1, &di);
	case 15:
		return vmsg_build_event_config(b, MAXB, BADDEV, 0, 1, 0, NULL, 0);
	case 16:
		return vmsg_build_event_used(b, MAXB, BADDEV, 0);
	case 17:
		return vmsg_build_bus_event_device(b, MAXB, 3, VIRTIO_BUS_DEVICE_STATE_READY);
	case 18:
		return vmsg_build_bus_error(b, MAXB, 1, 0, 2, BADDEV, VMSG_PCIE_ERR_NO_DEVICE);
	case 19:
		return vmsg_build_bus_get_devices_resp(b, MAXB, 1, 0, 16, 0, bm);
	case 20:
		return vmsg_build_get_vqueue_resp(b, MAXB, BADDEV, 1, &vi);
	default:
		return 0;
	}
}
#define NBASE 21

/* Corruption c of message m (len n) into out; returns the new length. */
static size_t corrupt(int c, const uint8_t *m, size_t n, uint8_t *out)
{
	size_t i;

	memcpy(out, m, n);
	switch (c) {
	case 0: /* msg_size says one byte more */
		vmsg_put_le16(out + 6, (uint16_t)(n + 1));
		return n;
	case 1: /* slot one byte short of msg_size */
		return n - 1;
	case 2: /* unknown id */
		out[1] = 0x3e;
		return n;
	case 3: /* request <-> response */
		out[0] ^= VIRTIO_MSG_TYPE_RESPONSE;
		return n;
	case 4: /* transport <-> bus */
		out[0] ^= VIRTIO_MSG_TYPE_BUS;
		return n;
	case 5: /* four stray payload bytes */
		memset(out + n, 0, 4);
		vmsg_put_le16(out + 6, (uint16_t)(n + 4));
		return n + 4;
	case 6: /* payload one byte short */
		if (n <= VIRTIO_MSG_HEADER_SIZE)
			return 3;
		vmsg_put_le16(out + 6, (uint16_t)(n - 1));
		return n - 1;
	case 7: /* every 32-bit payload field at its maximum */
		for (i = VIRTIO_MSG_HEADER_SIZE; i + 4 <= n; i += 4)
			vmsg_put_le32(out + i, 0xffffffffu);
		return n;
	case 8: /* a device number on a bus message / reserved type bits */
		if (out[0] & VIRTIO_MSG_TYPE_BUS)
			vmsg_put_le16(out + 2, 5);
		else
			out[0] |= 0x80;
		return n;
	case 9: /* larger than max_msg_size */
		memset(out + n, 0, 280 - n);
		vmsg_put_le16(out + 6, 280);
		return 280;
	default:
		return n;
	}
}
#define NCORRUPT 10

int main(int argc, char **argv)
{
	uint64_t seed = 0xfeedface12345ull, before_bad, before_stale, v0[VMSG_E__COUNT];
	struct vmsg_host_bus_stats bst;
	struct vmsg_host_blk *blk;
	struct vmsg_host_rng *rng;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	char disk[320], key[64];
	uint8_t base[MAXB], m[MAXB], *io;
	uint16_t berr;
	uint64_t dma;
	size_t n;
	int k, c, i, r;

	it_init(argc, argv, "hostile", &card, 90);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), 1u << 20, 0);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_arg(&card, "--rng");
	it_card_start(&card);
	it_host_open(&card, &h, NULL);
	CHECK(vmsg_host_bus_max_msg_size(h.bus) == 264);

	before_bad = (uint64_t)it_card_stat(&card, "drop_malformed");
	before_stale = (uint64_t)it_card_stat(&card, "drop_stale");
	for (k = 1; k < VMSG_E__COUNT; k++) {
		snprintf(key, sizeof(key), "drop_verdict.%s",
			 vmsg_verdict_str((enum vmsg_verdict)k));
		v0[k] = (uint64_t)it_card_stat(&card, key);
	}

	/* every kind, every corruption */
	for (k = 0; k < NBASE; k++) {
		n = build_base(k, base);
		CHECK(n > 0);
		for (c = 0; c < NCORRUPT; c++)
			send(&h, m, corrupt(c, base, n, m));
	}
	/* short slots */
	for (i = 1; i < 8; i++) {
		memset(m, 0x41, (size_t)i);
		send(&h, m, (size_t)i);
	}
	/* random garbage: half pure noise, half with a plausible header */
	for (i = 0; i < NGARBAGE; i++) {
		static const uint8_t ids[] = {2,  3,  4,  5,	6,    7,    8,	 9,
					      10, 11, 12, 0x40, 0x41, 0x42, 0x80};
		size_t len = 1 + it_rand(&seed) % 300, j;

		for (j = 0; j < len; j++)
			m[j] = (uint8_t)it_rand(&seed);
		if (i % 2 && len >= 8) {
			m[0] &= 3;
			m[1] = ids[it_rand(&seed) % sizeof(ids)];
			vmsg_put_le16(m + 2, (uint16_t)(it_rand(&seed) % 4 ? BADDEV : 0));
			vmsg_put_le16(m + 6, (uint16_t)len);
		}
		send(&h, m, len);
		if (i % 500 == 0)
			CHECK_OK(vmsg_host_bus_ping(h.bus, NULL)); /* still served meanwhile */
	}
	/* valid PINGs from an old epoch */
	for (i = 0; i < NSTALE; i++) {
		n = vmsg_build_bus_ping_req(m, sizeof(m), 9, (uint32_t)i);
		CHECK_OK(vmsg_host_bus_send_raw(h.bus, m, n, vmsg_host_bus_epoch(h.bus) ^ 0x5a5a));
	}
	/* everything before this PING has been handled once it is answered */
	CHECK_OK(vmsg_host_bus_ping(h.bus, NULL));
	CHECK(kill(card.pid, 0) == 0);
	IT_LOG("sent %llu hostile slots, %llu malformed by the validator",
	       (unsigned long long)sent_total, (unsigned long long)expect_bad);
	{
		uint64_t got_bad = (uint64_t)it_card_stat(&card, "drop_malformed") - before_bad;
		uint64_t got_stale = (uint64_t)it_card_stat(&card, "drop_stale") - before_stale;
		volatile const struct vmsg_pcie_regs *regs = vmsg_host_bus_regs(h.bus);

		IT_LOG("card dropped %llu malformed (expected %llu), %llu stale (expected %u)",
		       (unsigned long long)got_bad, (unsigned long long)expect_bad,
		       (unsigned long long)got_stale, NSTALE);
		CHECK(got_bad == expect_bad);
		CHECK(got_stale == NSTALE);
		for (k = 1; k < VMSG_E__COUNT; k++) {
			uint64_t got;

			snprintf(key, sizeof(key), "drop_verdict.%s",
				 vmsg_verdict_str((enum vmsg_verdict)k));
			got = (uint64_t)it_card_stat(&card, key) - v0[k];
			if (got != expect_verdict[k])
				IT_LOG("verdict %s: card %llu, expected %llu",
				       vmsg_verdict_str((enum vmsg_verdict)k),
				       (unsigned long long)got,
				       (unsigned long long)expect_verdict[k]);
			CHECK(got == expect_verdict[k]);
			if (expect_verdict[k])
				IT_LOG("  %-16s %llu", vmsg_verdict_str((enum vmsg_verdict)k),
				       (unsigned long long)got);
		}
		it_pump(&h, 250); /* let the card mirror its counters into BAR0 */
		CHECK(vmsg_le64_to_cpu(VMSG_READ_ONCE64(&regs->cnt_drop_malformed)) >= expect_bad);
	}
	vmsg_host_bus_get_stats(h.bus, &bst);
	IT_LOG("host saw %llu answers to well-formed garbage (unsolicited), %llu malformed from "
	       "the card",
	       (unsigned long long)bst.rx_unsolicited, (unsigned long long)bst.rx_malformed);
	CHECK(bst.rx_malformed == 0);

	/* good requests are still served */
	CHECK(vmsg_host_bus_request(h.bus, m,
				    vmsg_build_get_device_status_req(m, sizeof(m), BADDEV, 0), NULL,
				    0, 0) == -ENODEV); /* not present: refused locally */
	{
		struct vmsg_host_req *rq;

		/* a well-formed request is served */
		n = vmsg_build_get_device_status_req(m, sizeof(m), 1, 0);
		CHECK_OK(vmsg_host_bus_submit(h.bus, m, n, 0, &rq));
		CHECK_OK(vmsg_host_req_wait(h.bus, rq, NULL, 0, &berr));
		CHECK(berr == 0);
		/* an implementation-defined request: a 1.0 card drops it unanswered
		 * ([ERR-2]); the host's bounded timeout ends it */
		long long unsupp = it_card_stat(&card, "drop_unsupported");
		uint64_t t0 = it_now_ns();

		m[1] = 0x80;
		vmsg_put_le16(m + 6, 8);
		CHECK_OK(vmsg_host_bus_submit(h.bus, m, 8, 200, &rq));
		r = vmsg_host_req_wait(h.bus, rq, NULL, 0, &berr);
		IT_LOG("implementation id 0x80: %s after %.0f ms", vmsg_host_strerror(r),
		       it_secs_since(t0) * 1e3);
		CHECK(r == -ETIMEDOUT && berr == 0);
		CHECK(it_card_stat(&card, "drop_unsupported") == unsupp + 1);
		CHECK_OK(vmsg_host_bus_ping(h.bus, NULL));
	}
	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &blk));
	io = vmsg_link_alloc(h.link, 4096, 4096, &dma);
	memset(io, 0x77, 4096);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, 0, io, 4096, 0) == 0);
	memset(io, 0, 4096);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 0, io, 4096, 0) == 0 && io[100] == 0x77);
	CHECK_OK(vmsg_host_rng_open(h.bus, 2, &rng));
	CHECK(vmsg_host_rng_read(rng, io, 32, 2000) > 0);
	IT_LOG("blk and rng still served after the storm");

	/* an impossible producer index written straight into BAR0 */
	{
		volatile const struct vmsg_pcie_regs *regs = vmsg_host_bus_regs(h.bus);
		volatile uint8_t *bar = (volatile uint8_t *)regs;
		volatile uint8_t *prod_line =
		    bar + vmsg_le32_to_cpu(regs->h2c_ring_offset) + VMSG_RING_LINE;
		uint32_t mine = vmsg_le32_to_cpu(VMSG_READ_ONCE32(prod_line));
		long long bad0 = it_card_stat(&card, "drop_malformed");

		VMSG_WRITE_ONCE32(prod_line, vmsg_cpu_to_le32(mine + 100000u));
		vmsg_mb();
		h.link->ops->doorbell(h.link, VMSG_DB_H2C, 0);
		it_pump(&h, 100);
		CHECK(kill(card.pid, 0) == 0);
		/* put our index back: the card resynchronises to it */
		VMSG_WRITE_ONCE32(prod_line, vmsg_cpu_to_le32(mine));
		vmsg_mb();
		h.link->ops->doorbell(h.link, VMSG_DB_H2C, 0);
		it_pump(&h, 100);
		CHECK(it_card_stat(&card, "drop_malformed") >= bad0 + 1);
		CHECK_OK(vmsg_host_bus_ping(h.bus, NULL));
		CHECK(vmsg_host_rng_read(rng, io, 32, 2000) > 0);
		IT_LOG("card survived an impossible producer index and resynchronised");
	}
	vmsg_host_rng_close(rng);
	vmsg_host_blk_close(blk);
	it_host_close(&h);
	CHECK(kill(card.pid, 0) == 0);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
