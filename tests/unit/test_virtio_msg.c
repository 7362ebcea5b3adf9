/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_virtio_msg.c - virtio-msg validator and builders (cmocka).
 *
 * Every message id in every legal direction is built with the builders and
 * must validate OK with the right info; then each malformation of it must
 * give its own verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_msg.h"
#include "virtio_msg_build.h"
#include "virtio_msg_validate.h"
#include "vmsg_bytes.h"
#include "vmsg_pcie.h"

#define H2C	VMSG_DIR_DRIVER_TO_DEVICE
#define C2H	VMSG_DIR_DEVICE_TO_DRIVER
#define DEV	5u
#define TOK	0x1234u
#define BUF_CAP 1024u
#define NONE	VMSG_E__COUNT /* "no such test" marker in tables */

static const struct vmsg_validate_opts opts_lax = {.max_msg_size = VMSG_PCIE_MAX_MSG_SIZE};
static const struct vmsg_validate_opts opts_strict = {.max_msg_size = VMSG_PCIE_MAX_MSG_SIZE,
						      .strict_reserved = true};
static const struct vmsg_validate_opts opts_impl = {.max_msg_size = VMSG_PCIE_MAX_MSG_SIZE,
						    .allow_impl_ids = true};
static const struct vmsg_validate_opts opts_huge = {.max_msg_size = VIRTIO_MSG_ABS_MAX_SIZE};

static const uint32_t feats[2] = {0x11223344u, 0x55667788u};
static const uint8_t cfg_data[4] = {1, 2, 3, 4};
static const uint8_t bitmap[2] = {0x25, 0x00};
static const struct vmsg_device_info dinfo = {1, 0x766d, 64, 12, 2, 0, 0};
static const struct vmsg_vqueue_info vqinfo = {1, 256, 128, 0x1000, 0x2000, 0x3000};

/* ---- helpers ---- */

static void expect_v(const char *what, enum vmsg_verdict got, enum vmsg_verdict want)
{
	if (got != want) {
		print_error("%s: got %s, want %s\n", what, vmsg_verdict_str(got),
			    vmsg_verdict_str(want));
		fail();
	}
}

static enum vmsg_verdict val(const uint8_t *b, size_t len, enum vmsg_dir dir,
			     const struct vmsg_validate_opts *o)
{
	struct vmsg_msg_info info;

	return vmsg_validate(b, len, dir, o, &info);
}

/* Grow or shrink the payload by delta bytes, keeping msg_size == len. */
static size_t resize(uint8_t *b, size_t len, int delta)
{
	size_t n = (size_t)((long)len + delta);

	if (delta > 0)
		memset(b + len, 0, (size_t)delta);
	vmsg_put_le16(b + 6, (uint16_t)n);
	return n;
}

/* ---- one builder wrapper per well-formed message ---- */

static size_t b_dinfo_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_info_req(b, c, DEV, TOK);
}
static size_t b_dinfo_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_info_resp(b, c, DEV, TOK, &dinfo);
}
static size_t b_gfeat_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_features_req(b, c, DEV, TOK, 0, 2);
}
static size_t b_gfeat_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_features_resp(b, c, DEV, TOK, 0, feats, 2);
}
static size_t b_sfeat_req(uint8_t *b, size_t c)
{
	return vmsg_build_set_driver_features_req(b, c, DEV, TOK, 0, feats, 2);
}
static size_t b_sfeat_resp(uint8_t *b, size_t c)
{
	return vmsg_build_set_driver_features_resp(b, c, DEV, TOK);
}
static size_t b_gcfg_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_config_req(b, c, DEV, TOK, 8, 4);
}
static size_t b_gcfg_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_config_resp(b, c, DEV, TOK, 7, 8, cfg_data, 4);
}
static size_t b_scfg_req(uint8_t *b, size_t c)
{
	return vmsg_build_set_config_req(b, c, DEV, TOK, 7, 8, cfg_data, 4);
}
static size_t b_scfg_resp_echo(uint8_t *b, size_t c)
{
	return vmsg_build_set_config_resp(b, c, DEV, TOK, 8, 8, 4, cfg_data);
}
static size_t b_scfg_resp(uint8_t *b, size_t c)
{
	return vmsg_build_set_config_resp(b, c, DEV, TOK, 8, 8, 4, NULL);
}
static size_t b_gstat_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_status_req(b, c, DEV, TOK);
}
static size_t b_gstat_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_device_status_resp(b, c, DEV, TOK, 0x0f);
}
static size_t b_sstat_req(uint8_t *b, size_t c)
{
	return vmsg_build_set_device_status_req(b, c, DEV, TOK, 0x0f);
}
static size_t b_sstat_resp(uint8_t *b, size_t c)
{
	return vmsg_build_set_device_status_resp(b, c, DEV, TOK, 0x0f);
}
static size_t b_gvq_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_vqueue_req(b, c, DEV, TOK, 1);
}
static size_t b_gvq_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_vqueue_resp(b, c, DEV, TOK, &vqinfo);
}
static size_t b_svq_req(uint8_t *b, size_t c)
{
	return vmsg_build_set_vqueue_req(b, c, DEV, TOK, &vqinfo);
}
static size_t b_svq_resp(uint8_t *b, size_t c)
{
	return vmsg_build_set_vqueue_resp(b, c, DEV, TOK);
}
static size_t b_rvq_req(uint8_t *b, size_t c)
{
	return vmsg_build_reset_vqueue_req(b, c, DEV, TOK, 1);
}
static size_t b_rvq_resp(uint8_t *b, size_t c)
{
	return vmsg_build_reset_vqueue_resp(b, c, DEV, TOK);
}
static size_t b_shm_req(uint8_t *b, size_t c)
{
	return vmsg_build_get_shm_req(b, c, DEV, TOK, 0);
}
static size_t b_shm_resp(uint8_t *b, size_t c)
{
	return vmsg_build_get_shm_resp(b, c, DEV, TOK, 0, 0x1000, 0x8000);
}
static size_t b_ev_cfg(uint8_t *b, size_t c)
{
	return vmsg_build_event_config(b, c, DEV, 0x0f, 9, 8, cfg_data, 3);
}
static size_t b_ev_cfg0(uint8_t *b, size_t c)
{
	return vmsg_build_event_config(b, c, DEV, 0x0f, 9, 0, NULL, 0);
}
static size_t b_ev_avail(uint8_t *b, size_t c)
{
	return vmsg_build_event_avail(b, c, DEV, 1, 0x80000010u);
}
static size_t b_ev_used(uint8_t *b, size_t c)
{
	return vmsg_build_event_used(b, c, DEV, 1);
}
static size_t b_gdevs_req(uint8_t *b, size_t c)
{
	return vmsg_build_bus_get_devices_req(b, c, TOK, 0, 16);
}
static size_t b_gdevs_resp(uint8_t *b, size_t c)
{
	return vmsg_build_bus_get_devices_resp(b, c, TOK, 0, 16, 16, bitmap);
}
static size_t b_ping_req(uint8_t *b, size_t c)
{
	return vmsg_build_bus_ping_req(b, c, TOK, 0xdeadbeefu);
}
static size_t b_ping_resp(uint8_t *b, size_t c)
{
	return vmsg_build_bus_ping_resp(b, c, TOK, 0xdeadbeefu);
}
static size_t b_ev_dev(uint8_t *b, size_t c)
{
	return vmsg_build_bus_event_device(b, c, DEV, VIRTIO_BUS_DEVICE_STATE_READY);
}
static size_t b_bus_err(uint8_t *b, size_t c)
{
	return vmsg_build_bus_error(b, c, TOK, 0, VIRTIO_MSG_GET_CONFIG, 9,
				    VMSG_PCIE_ERR_NO_DEVICE);
}

/* ---- the table: every id in every legal direction ---- */

struct good {
	const char *name;
	size_t (*build)(uint8_t *b, size_t cap);
	enum vmsg_dir dir;
	uint8_t id;
	bool bus, resp, event;
	uint16_t payload;
	enum vmsg_verdict minus1; /* payload one byte short */
	enum vmsg_verdict plus1;  /* payload one byte long */
	enum vmsg_verdict flip;	  /* response bit flipped */
	enum vmsg_verdict opp;	  /* sent in the other direction */
};

#define PS  VMSG_E_PAYLOAD_SIZE
#define CNT VMSG_E_COUNT
#define WD  VMSG_E_WRONG_DIR
#define OK  VMSG_OK

static const struct good goods[] = {
    {"dinfo_req", b_dinfo_req, H2C, 0x02, 0, 0, 0, 0, NONE, PS, WD, WD},
    {"dinfo_resp", b_dinfo_resp, C2H, 0x02, 0, 1, 0, 24, PS, PS, WD, WD},
    {"gfeat_req", b_gfeat_req, H2C, 0x03, 0, 0, 0, 8, PS, PS, WD, WD},
    {"gfeat_resp", b_gfeat_resp, C2H, 0x03, 0, 1, 0, 16, CNT, PS, WD, WD},
    {"sfeat_req", b_sfeat_req, H2C, 0x04, 0, 0, 0, 16, CNT, PS, WD, WD},
    {"sfeat_resp", b_sfeat_resp, C2H, 0x04, 0, 1, 0, 0, NONE, PS, WD, WD},
    {"gcfg_req", b_gcfg_req, H2C, 0x05, 0, 0, 0, 8, PS, PS, WD, WD},
    {"gcfg_resp", b_gcfg_resp, C2H, 0x05, 0, 1, 0, 16, CNT, PS, WD, WD},
    {"scfg_req", b_scfg_req, H2C, 0x06, 0, 0, 0, 16, CNT, PS, WD, WD},
    {"scfg_resp_echo", b_scfg_resp_echo, C2H, 0x06, 0, 1, 0, 16, CNT, PS, WD, WD},
    {"scfg_resp", b_scfg_resp, C2H, 0x06, 0, 1, 0, 12, PS, CNT, WD, WD},
    {"gstat_req", b_gstat_req, H2C, 0x07, 0, 0, 0, 0, NONE, PS, WD, WD},
    {"gstat_resp", b_gstat_resp, C2H, 0x07, 0, 1, 0, 4, PS, PS, WD, WD},
    {"sstat_req", b_sstat_req, H2C, 0x08, 0, 0, 0, 4, PS, PS, WD, WD},
    {"sstat_resp", b_sstat_resp, C2H, 0x08, 0, 1, 0, 4, PS, PS, WD, WD},
    {"gvq_req", b_gvq_req, H2C, 0x09, 0, 0, 0, 4, PS, PS, WD, WD},
    {"gvq_resp", b_gvq_resp, C2H, 0x09, 0, 1, 0, 40, PS, PS, WD, WD},
    {"svq_req", b_svq_req, H2C, 0x0a, 0, 0, 0, 40, PS, PS, WD, WD},
    {"svq_resp", b_svq_resp, C2H, 0x0a, 0, 1, 0, 0, NONE, PS, WD, WD},
    {"rvq_req", b_rvq_req, H2C, 0x0b, 0, 0, 0, 4, PS, PS, WD, WD},
    {"rvq_resp", b_rvq_resp, C2H, 0x0b, 0, 1, 0, 0, NONE, PS, WD, WD},
    {"shm_req", b_shm_req, H2C, 0x0c, 0, 0, 0, 4, PS, PS, WD, WD},
    {"shm_resp", b_shm_resp, C2H, 0x0c, 0, 1, 0, 12, PS, PS, WD, WD},
    {"ev_cfg", b_ev_cfg, C2H, 0x40, 0, 0, 1, 19, CNT, PS, WD, WD},
    {"ev_cfg0", b_ev_cfg0, C2H, 0x40, 0, 0, 1, 16, PS, PS, WD, WD},
    {"ev_avail", b_ev_avail, H2C, 0x41, 0, 0, 1, 8, PS, PS, WD, WD},
    {"ev_used", b_ev_used, C2H, 0x42, 0, 0, 1, 4, PS, PS, WD, WD},
    {"gdevs_req", b_gdevs_req, H2C, 0x02, 1, 0, 0, 4, PS, PS, WD, WD},
    {"gdevs_resp", b_gdevs_resp, C2H, 0x02, 1, 1, 0, 8, CNT, PS, WD, WD},
    {"ping_req_h2c", b_ping_req, H2C, 0x03, 1, 0, 0, 4, PS, PS, OK, OK},
    {"ping_req_c2h", b_ping_req, C2H, 0x03, 1, 0, 0, 4, PS, PS, OK, OK},
    {"ping_resp_h2c", b_ping_resp, H2C, 0x03, 1, 1, 0, 4, PS, PS, OK, OK},
    {"ping_resp_c2h", b_ping_resp, C2H, 0x03, 1, 1, 0, 4, PS, PS, OK, OK},
    {"ev_dev", b_ev_dev, C2H, 0x40, 1, 0, 1, 4, PS, PS, WD, WD},
    {"bus_err", b_bus_err, C2H, 0x80, 1, 1, 0, 8, PS, PS, WD, WD},
};

#define NGOODS (sizeof(goods) / sizeof(goods[0]))

static size_t build_good(const struct good *g, uint8_t *b)
{
	size_t n = g->build(b, BUF_CAP);

	if (n != VIRTIO_MSG_HEADER_SIZE + g->payload) {
		print_error("%s: built %zu bytes\n", g->name, n);
		fail();
	}
	return n;
}

static void check_info(const struct good *g, const struct vmsg_msg_info *in, size_t n)
{
	uint8_t type = (uint8_t)((g->bus ? VIRTIO_MSG_TYPE_BUS : 0) |
				 (g->resp ? VIRTIO_MSG_TYPE_RESPONSE : 0));
	uint16_t dev = g->bus ? 0 : DEV;
	uint16_t tok = g->event ? 0 : TOK;

	assert_int_equal(in->type, type);
	assert_int_equal(in->msg_id, g->id);
	assert_int_equal(in->dev_num, dev);
	assert_int_equal(in->token, tok);
	assert_int_equal(in->msg_size, n);
	assert_int_equal(in->payload_len, g->payload);
	assert_int_equal(in->is_bus, g->bus);
	assert_int_equal(in->is_response, g->resp);
	assert_int_equal(in->is_event, g->event);
}

static void test_all_good(void **state)
{
	uint8_t b[BUF_CAP];
	struct vmsg_msg_info info;
	size_t i, n;

	(void)state;
	for (i = 0; i < NGOODS; i++) {
		n = build_good(&goods[i], b);
		memset(&info, 0xa5, sizeof(info));
		expect_v(goods[i].name, vmsg_validate(b, n, goods[i].dir, &opts_lax, &info),
			 VMSG_OK);
		check_info(&goods[i], &info, n);
		expect_v(goods[i].name, val(b, n, goods[i].dir, &opts_strict), VMSG_OK);
		expect_v(goods[i].name, val(b, n, goods[i].dir, &opts_huge), VMSG_OK);
	}
}

static void test_all_header_errors(void **state)
{
	struct vmsg_validate_opts small = {.max_msg_size = 43};
	uint8_t b[BUF_CAP];
	size_t i, n;

	(void)state;
	for (i = 0; i < NGOODS; i++) {
		const char *nm = goods[i].name;
		enum vmsg_dir d = goods[i].dir;

		n = build_good(&goods[i], b);
		expect_v(nm, val(b, 7, d, &opts_lax), VMSG_E_SHORT);
		expect_v(nm, val(b, 0, d, &opts_lax), VMSG_E_SHORT);
		expect_v(nm, val(b, n - 1, d, &opts_lax),
			 n > 8 ? VMSG_E_SIZE_MISMATCH : VMSG_E_SHORT);
		expect_v(nm, val(b, n + 1, d, &opts_lax), VMSG_E_SIZE_MISMATCH);
		expect_v(nm, val(b, n, d, &small), VMSG_E_TOO_BIG);
		b[0] |= 0x04;
		expect_v(nm, val(b, n, d, &opts_lax), VMSG_OK);
		expect_v(nm, val(b, n, d, &opts_strict), VMSG_E_RESERVED_TYPE);
		b[0] = (uint8_t)((b[0] & 0x03) | 0x80);
		expect_v(nm, val(b, n, d, &opts_strict), VMSG_E_RESERVED_TYPE);
		b[0] &= 0x03;
		vmsg_put_le16(b + 2, goods[i].bus ? 1 : 0xffff);
		expect_v(nm, val(b, n, d, &opts_lax), goods[i].bus ? VMSG_E_DEV_NUM : VMSG_OK);
	}
}

static void test_all_dir_and_size(void **state)
{
	uint8_t b[BUF_CAP];
	size_t i, n;

	(void)state;
	for (i = 0; i < NGOODS; i++) {
		const struct good *g = &goods[i];

		n = build_good(g, b);
		expect_v(g->name, val(b, n, (enum vmsg_dir) !g->dir, &opts_lax), g->opp);
		expect_v(g->name, val(b, n, (enum vmsg_dir)2, &opts_lax), VMSG_E_WRONG_DIR);
		b[0] ^= VIRTIO_MSG_TYPE_RESPONSE;
		expect_v(g->name, val(b, n, g->dir, &opts_lax), g->flip);
		b[0] ^= VIRTIO_MSG_TYPE_RESPONSE;
		n = resize(b, n, 1);
		expect_v(g->name, val(b, n, g->dir, &opts_lax), g->plus1);
		n = resize(b, n, -1);
		expect_v(g->name, val(b, n, g->dir, &opts_lax), VMSG_OK);
		if (g->minus1 != NONE) {
			n = resize(b, n, -1);
			expect_v(g->name, val(b, n, g->dir, &opts_lax), g->minus1);
		}
	}
}

/* A message larger than max_msg_size but within the buffer. */
static void test_too_big(void **state)
{
	uint8_t data[200] = {0};
	struct vmsg_validate_opts o = {.max_msg_size = 8 + 12 + 200};
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_set_config_req(b, sizeof(b), DEV, 1, 0, 0, data, sizeof(data));
	assert_int_equal(n, 220);
	expect_v("exact max", val(b, n, H2C, &o), VMSG_OK);
	o.max_msg_size = 219;
	expect_v("max - 1", val(b, n, H2C, &o), VMSG_E_TOO_BIG);
	o.max_msg_size = 44;
	expect_v("max 44", val(b, n, H2C, &o), VMSG_E_TOO_BIG);
	o.max_msg_size = 0;
	n = vmsg_build_get_device_status_req(b, sizeof(b), DEV, 1);
	expect_v("max 0", val(b, n, H2C, &o), VMSG_E_TOO_BIG);
}

/* Hand-made header for ids no builder makes. */
static size_t raw(uint8_t *b, uint8_t type, uint8_t id, uint16_t payload)
{
	memset(b, 0, BUF_CAP);
	vmsg_build_header(b, type, id, 0, 1, (uint16_t)(8 + payload));
	return 8u + payload;
}

static void test_unknown_ids(void **state)
{
	static const uint8_t tr[] = {0x00, 0x01, 0x0d, 0x0e, 0x3f, 0x43, 0x4f, 0x7f};
	static const uint8_t bus[] = {0x00, 0x01, 0x04, 0x3f, 0x41, 0x42, 0x7f};
	uint8_t b[BUF_CAP];
	size_t i, n;
	int d;

	(void)state;
	for (d = 0; d < 2; d++) {
		for (i = 0; i < sizeof(tr); i++) {
			n = raw(b, 0, tr[i], 4);
			expect_v("tr", val(b, n, (enum vmsg_dir)d, &opts_impl), VMSG_E_UNKNOWN_ID);
			b[0] = VIRTIO_MSG_TYPE_RESPONSE;
			expect_v("tr r", val(b, n, (enum vmsg_dir)d, &opts_impl),
				 VMSG_E_UNKNOWN_ID);
		}
		for (i = 0; i < sizeof(bus); i++) {
			n = raw(b, VIRTIO_MSG_TYPE_BUS, bus[i], 4);
			expect_v("bus", val(b, n, (enum vmsg_dir)d, &opts_impl), VMSG_E_UNKNOWN_ID);
		}
	}
}

static void test_impl_ids(void **state)
{
	uint8_t b[BUF_CAP];
	unsigned int id;
	size_t n;
	int d, t;

	(void)state;
	for (id = 0x80; id <= 0xff; id++) {
		for (t = 0; t < 4; t++) {
			bool is_err = (t & VIRTIO_MSG_TYPE_BUS) && id == VMSG_PCIE_BUS_MSG_ERROR;

			if (is_err)
				continue;
			for (d = 0; d < 2; d++) {
				n = raw(b, (uint8_t)t, (uint8_t)id, (uint16_t)(id % 13));
				expect_v("impl lax", val(b, n, (enum vmsg_dir)d, &opts_lax),
					 VMSG_E_UNKNOWN_ID);
				expect_v("impl on", val(b, n, (enum vmsg_dir)d, &opts_impl),
					 VMSG_OK);
			}
		}
	}
	/* Bus impl ids still need dev_num 0. */
	n = raw(b, VIRTIO_MSG_TYPE_BUS, 0x81, 0);
	vmsg_put_le16(b + 2, 3);
	expect_v("impl devnum", val(b, n, H2C, &opts_impl), VMSG_E_DEV_NUM);
}

static void test_bus_error(void **state)
{
	uint8_t b[BUF_CAP];
	uint16_t e;
	size_t n;

	(void)state;
	for (e = 0; e < 8; e++) {
		enum vmsg_verdict want = (e >= 1 && e <= 4) ? VMSG_OK : VMSG_E_RANGE;

		n = vmsg_build_bus_error(b, sizeof(b), 1, 0, 5, 1, e);
		expect_v("err code", val(b, n, C2H, &opts_lax), want);
		expect_v("err code impl", val(b, n, C2H, &opts_impl), want);
	}
	n = vmsg_build_bus_error(b, sizeof(b), 1, 0, 5, 1, VMSG_PCIE_ERR_BUSY);
	vmsg_put_le16(b + 14, 1);
	expect_v("err reserved", val(b, n, C2H, &opts_impl), VMSG_E_RESERVED_FIELD);
	vmsg_put_le16(b + 14, 0);
	expect_v("err h2c impl", val(b, n, H2C, &opts_impl), VMSG_E_WRONG_DIR);
	n = resize(b, n, 1);
	expect_v("err +1 impl", val(b, n, C2H, &opts_impl), VMSG_E_PAYLOAD_SIZE);
}

/* ---- per-id field rules ---- */

static void test_features(void **state)
{
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_get_device_features_req(b, sizeof(b), DEV, 1, 0, 0);
	expect_v("gf 0 blocks", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_get_device_features_req(b, sizeof(b), DEV, 1, 0xffffffffu, 1);
	expect_v("gf wrap", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_get_device_features_req(b, sizeof(b), DEV, 1, 0xfffffffeu, 2);
	expect_v("gf wrap 2", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_get_device_features_req(b, sizeof(b), DEV, 1, 0xfffffffeu, 1);
	expect_v("gf edge", val(b, n, H2C, &opts_lax), VMSG_OK);

	n = vmsg_build_set_driver_features_req(b, sizeof(b), DEV, 1, 0, NULL, 0);
	expect_v("sf 0 blocks", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_set_driver_features_req(b, sizeof(b), DEV, 1, 0, feats, 1);
	vmsg_put_le32(b + 12, 0x40000001u); /* 4 * n wraps to 4 in 32 bits */
	expect_v("sf count wrap", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	vmsg_put_le32(b + 12, 0xffffffffu);
	expect_v("sf count max", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_set_driver_features_req(b, sizeof(b), DEV, 1, 0xffffffffu, feats, 1);
	expect_v("sf range", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);

	n = vmsg_build_get_device_features_resp(b, sizeof(b), DEV, 1, 0, NULL, 0);
	expect_v("gfr 0 blocks", val(b, n, C2H, &opts_lax), VMSG_OK);
	n = vmsg_build_get_device_features_resp(b, sizeof(b), DEV, 1, 0, feats, 1);
	vmsg_put_le32(b + 12, 0x40000001u);
	expect_v("gfr count wrap", val(b, n, C2H, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_get_device_features_resp(b, sizeof(b), DEV, 1, 0xffffffffu, feats, 2);
	expect_v("gfr range", val(b, n, C2H, &opts_lax), VMSG_E_RANGE);
}

static void test_get_config(void **state)
{
	uint32_t max = VIRTIO_MSG_CONFIG_DATA_MAX(VMSG_PCIE_MAX_MSG_SIZE);
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	assert_int_equal(max, 244);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0, 0);
	expect_v("gc len 0", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0, max);
	expect_v("gc len max", val(b, n, H2C, &opts_lax), VMSG_OK);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0, max + 1);
	expect_v("gc len max+1", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	expect_v("gc len huge max", val(b, n, H2C, &opts_huge), VMSG_OK);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0, 0xffffffffu);
	expect_v("gc len u32max", val(b, n, H2C, &opts_huge), VMSG_E_COUNT);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0xffffffffu, 1);
	expect_v("gc wrap", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0xfffffff0u, 0x11);
	expect_v("gc wrap 2", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_get_config_req(b, sizeof(b), DEV, 1, 0xfffffff0u, 0x0f);
	expect_v("gc edge", val(b, n, H2C, &opts_lax), VMSG_OK);

	n = vmsg_build_get_config_resp(b, sizeof(b), DEV, 1, 0, 0, NULL, 0);
	expect_v("gcr empty", val(b, n, C2H, &opts_lax), VMSG_OK);
	n = vmsg_build_get_config_resp(b, sizeof(b), DEV, 1, 0, 0xfffffffeu, cfg_data, 4);
	expect_v("gcr wrap", val(b, n, C2H, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_get_config_resp(b, sizeof(b), DEV, 1, 0, 0, cfg_data, 4);
	vmsg_put_le32(b + 16, 0xffffffffu);
	expect_v("gcr len huge", val(b, n, C2H, &opts_lax), VMSG_E_COUNT);
}

static void test_set_config(void **state)
{
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_set_config_req(b, sizeof(b), DEV, 1, 0, 0, NULL, 0);
	expect_v("sc len 0", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);
	n = vmsg_build_set_config_req(b, sizeof(b), DEV, 1, 0, 0xfffffffdu, cfg_data, 4);
	expect_v("sc wrap", val(b, n, H2C, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_set_config_req(b, sizeof(b), DEV, 1, 0, 0xfffffffbu, cfg_data, 4);
	expect_v("sc edge", val(b, n, H2C, &opts_lax), VMSG_OK);
	n = vmsg_build_set_config_req(b, sizeof(b), DEV, 1, 0, 0, cfg_data, 4);
	vmsg_put_le32(b + 16, 3);
	expect_v("sc len short", val(b, n, H2C, &opts_lax), VMSG_E_PAYLOAD_SIZE);
	vmsg_put_le32(b + 16, 5);
	expect_v("sc len long", val(b, n, H2C, &opts_lax), VMSG_E_COUNT);

	n = vmsg_build_set_config_resp(b, sizeof(b), DEV, 1, 0, 0, 0, NULL);
	expect_v("scr rejected", val(b, n, C2H, &opts_lax), VMSG_OK);
	n = vmsg_build_set_config_resp(b, sizeof(b), DEV, 1, 0, 0xffffffffu, 4, NULL);
	expect_v("scr wrap", val(b, n, C2H, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_set_config_resp(b, sizeof(b), DEV, 1, 0, 0, 4, cfg_data);
	n = resize(b, n, -2);
	expect_v("scr part echo", val(b, n, C2H, &opts_lax), VMSG_E_COUNT);
}

static void test_vqueue_reserved(void **state)
{
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_get_vqueue_resp(b, sizeof(b), DEV, 1, &vqinfo);
	b[8 + 12 + 3] = 0x80;
	expect_v("gvq reserved", val(b, n, C2H, &opts_lax), VMSG_E_RESERVED_FIELD);
	n = vmsg_build_set_vqueue_req(b, sizeof(b), DEV, 1, &vqinfo);
	b[8 + 4] = 1;
	expect_v("svq reserved0", val(b, n, H2C, &opts_lax), VMSG_E_RESERVED_FIELD);
	n = vmsg_build_set_vqueue_req(b, sizeof(b), DEV, 1, &vqinfo);
	b[8 + 15] = 1;
	expect_v("svq reserved1", val(b, n, H2C, &opts_lax), VMSG_E_RESERVED_FIELD);
}

static void test_event_config(void **state)
{
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_event_config(b, sizeof(b), DEV, 0, 1, 0xfffffffeu, cfg_data, 3);
	expect_v("evc wrap", val(b, n, C2H, &opts_lax), VMSG_E_RANGE);
	n = vmsg_build_event_config(b, sizeof(b), DEV, 0, 1, 0, cfg_data, 3);
	vmsg_put_le32(b + 20, 0xfffffff0u);
	expect_v("evc len huge", val(b, n, C2H, &opts_lax), VMSG_E_COUNT);
	vmsg_put_le32(b + 20, 2);
	expect_v("evc len small", val(b, n, C2H, &opts_lax), VMSG_E_PAYLOAD_SIZE);
}

static void test_get_devices(void **state)
{
	static const struct {
		uint16_t off, cnt;
		enum vmsg_verdict want;
	} req[] = {
	    {0, 8, VMSG_OK},	  {8, 8, VMSG_OK},
	    {0xfff8, 8, VMSG_OK}, {4, 8, VMSG_E_RANGE},
	    {0, 4, VMSG_E_RANGE}, {0, 0, VMSG_E_RANGE},
	    {1, 9, VMSG_E_RANGE}, {0xfff8, 16, VMSG_E_RANGE},
	    {0, 0xfff8, VMSG_OK},
	};
	static const struct {
		uint16_t off, cnt, next;
		enum vmsg_verdict want;
	} resp[] = {
	    {0, 16, 0, VMSG_OK},	   {0, 16, 16, VMSG_OK},	 {0, 16, 24, VMSG_OK},
	    {0, 16, 8, VMSG_E_RANGE},	   {0, 16, 17, VMSG_E_RANGE},	 {16, 16, 24, VMSG_E_RANGE},
	    {0, 12, 0, VMSG_E_RANGE},	   {4, 16, 0, VMSG_E_RANGE},	 {0xfff8, 8, 0, VMSG_OK},
	    {0xfff8, 16, 0, VMSG_E_RANGE}, {0xfff0, 8, 0xfff8, VMSG_OK}, {0, 0, 0, VMSG_OK},
	};
	uint8_t bm[8192] = {0};
	uint8_t b[BUF_CAP];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		n = vmsg_build_bus_get_devices_req(b, sizeof(b), 1, req[i].off, req[i].cnt);
		expect_v("gd req", val(b, n, H2C, &opts_lax), req[i].want);
	}
	for (i = 0; i < sizeof(resp) / sizeof(resp[0]); i++) {
		n = vmsg_build_bus_get_devices_resp(b, sizeof(b), 1, resp[i].off, resp[i].cnt,
						    resp[i].next, bm);
		assert_int_not_equal(n, 0);
		expect_v("gd resp", val(b, n, C2H, &opts_huge), resp[i].want);
	}
}

static void test_event_device(void **state)
{
	static const struct {
		uint16_t st;
		enum vmsg_verdict want;
	} t[] = {
	    {0, VMSG_E_RANGE},	    {1, VMSG_OK},      {2, VMSG_OK},	  {3, VMSG_E_RANGE},
	    {0x7fff, VMSG_E_RANGE}, {0x8000, VMSG_OK}, {0xffff, VMSG_OK},
	};
	uint8_t b[BUF_CAP];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = vmsg_build_bus_event_device(b, sizeof(b), 0xffff, t[i].st);
		expect_v("evdev", val(b, n, C2H, &opts_lax), t[i].want);
	}
}

/* ---- API edges ---- */

static void test_api_edges(void **state)
{
	uint8_t raw_buf[BUF_CAP + 1];
	uint8_t *b = raw_buf + 1; /* unaligned */
	struct vmsg_msg_info info;
	size_t n;

	(void)state;
	expect_v("null buf", vmsg_validate(NULL, 100, H2C, &opts_lax, &info), VMSG_E_SHORT);
	n = vmsg_build_set_vqueue_req(b, BUF_CAP, 0x4321, 0xabcd, &vqinfo);
	expect_v("null info", vmsg_validate(b, n, H2C, &opts_lax, NULL), VMSG_OK);
	expect_v("null opts", vmsg_validate(b, n, H2C, NULL, &info), VMSG_OK);
	assert_int_equal(info.dev_num, 0x4321);
	assert_int_equal(info.token, 0xabcd);
	expect_v("len > 64k", vmsg_validate(b, 0x10000u + n, H2C, &opts_lax, &info),
		 VMSG_E_SIZE_MISMATCH);
	vmsg_set_token(b, 0x5555);
	expect_v("set token", vmsg_validate(b, n, H2C, &opts_lax, &info), VMSG_OK);
	assert_int_equal(info.token, 0x5555);
}

static void test_names(void **state)
{
	int v, w;

	(void)state;
	for (v = 0; v < VMSG_E__COUNT; v++) {
		assert_string_not_equal(vmsg_verdict_str((enum vmsg_verdict)v), "?");
		for (w = 0; w < v; w++)
			assert_string_not_equal(vmsg_verdict_str((enum vmsg_verdict)v),
						vmsg_verdict_str((enum vmsg_verdict)w));
	}
	assert_string_equal(vmsg_verdict_str(VMSG_OK), "ok");
	assert_string_equal(vmsg_verdict_str(VMSG_E__COUNT), "?");
	assert_string_equal(vmsg_verdict_str((enum vmsg_verdict) - 1), "?");
	assert_string_equal(vmsg_msg_name(false, VIRTIO_MSG_GET_CONFIG), "GET_CONFIG");
	assert_string_equal(vmsg_msg_name(false, VIRTIO_MSG_EVENT_USED), "EVENT_USED");
	assert_string_equal(vmsg_msg_name(true, VIRTIO_BUS_MSG_PING), "PING");
	assert_string_equal(vmsg_msg_name(true, VMSG_PCIE_BUS_MSG_ERROR), "ERROR");
	assert_string_equal(vmsg_msg_name(false, 0x80), "?");
	assert_string_equal(vmsg_msg_name(true, 0x05), "?");
	assert_string_equal(vmsg_msg_name(false, 0x00), "?");
}

/* ---- builders ---- */

static void test_builders_refuse_small(void **state)
{
	uint8_t b[BUF_CAP];
	size_t i, n, m;

	(void)state;
	for (i = 0; i < NGOODS; i++) {
		n = build_good(&goods[i], b);
		memset(b, 0xee, sizeof(b));
		m = goods[i].build(b, n - 1);
		if (m != 0) {
			print_error("%s: built into cap %zu\n", goods[i].name, n - 1);
			fail();
		}
		assert_int_equal(b[0], 0xee); /* nothing written */
		assert_int_equal(goods[i].build(b, n), n);
		assert_int_equal(goods[i].build(NULL, BUF_CAP), 0);
	}
}

static void test_builders_refuse_bad_args(void **state)
{
	static uint8_t big[70000];
	uint8_t b[BUF_CAP];

	(void)state;
	assert_int_equal(vmsg_build_set_config_req(b, sizeof(b), 1, 1, 0, 0, NULL, 4), 0);
	assert_int_equal(vmsg_build_get_config_resp(b, sizeof(b), 1, 1, 0, 0, NULL, 4), 0);
	assert_int_equal(vmsg_build_event_config(b, sizeof(b), 1, 0, 0, 0, NULL, 4), 0);
	assert_int_equal(vmsg_build_set_driver_features_req(b, sizeof(b), 1, 1, 0, NULL, 1), 0);
	assert_int_equal(vmsg_build_get_device_features_resp(b, sizeof(b), 1, 1, 0, NULL, 1), 0);
	assert_int_equal(vmsg_build_bus_get_devices_resp(b, sizeof(b), 1, 0, 8, 0, NULL), 0);
	assert_int_equal(vmsg_build_set_vqueue_req(b, sizeof(b), 1, 1, NULL), 0);
	assert_int_equal(vmsg_build_get_vqueue_resp(b, sizeof(b), 1, 1, NULL), 0);
	assert_int_equal(vmsg_build_get_device_info_resp(b, sizeof(b), 1, 1, NULL), 0);
	/* msg_size is 16 bits: 65535 is the most a builder may produce. */
	assert_int_equal(vmsg_build_set_config_req(big, sizeof(big), 1, 1, 0, 0, big, 65535 - 20),
			 65535);
	assert_int_equal(vmsg_build_set_config_req(big, sizeof(big), 1, 1, 0, 0, big, 65535 - 19),
			 0);
	assert_int_equal(vmsg_build_set_driver_features_req(
			     big, sizeof(big), 1, 1, 0, (const uint32_t *)(void *)big, 0x40000001u),
			 0);
}

/* Builders lay bytes out exactly as the packed wire structs say. */
static void test_builder_layout(void **state)
{
	struct virtio_msg_header h;
	struct virtio_msg_get_vqueue_resp r;
	struct virtio_msg_get_device_info_resp di;
	uint8_t b[BUF_CAP];
	size_t n;

	(void)state;
	n = vmsg_build_get_vqueue_resp(b, sizeof(b), 0x0102, 0x0304, &vqinfo);
	assert_int_equal(n, sizeof(h) + sizeof(r));
	memcpy(&h, b, sizeof(h));
	memcpy(&r, b + sizeof(h), sizeof(r));
	assert_int_equal(h.type, VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(h.msg_id, VIRTIO_MSG_GET_VQUEUE);
	assert_int_equal(vmsg_le16_to_cpu(h.dev_num), 0x0102);
	assert_int_equal(vmsg_le16_to_cpu(h.token), 0x0304);
	assert_int_equal(vmsg_le16_to_cpu(h.msg_size), n);
	assert_int_equal(vmsg_le32_to_cpu(r.index), vqinfo.index);
	assert_int_equal(vmsg_le32_to_cpu(r.max_size), vqinfo.max_size);
	assert_int_equal(vmsg_le32_to_cpu(r.cur_size), vqinfo.size);
	assert_int_equal(vmsg_le32_to_cpu(r.reserved), 0);
	assert_int_equal(vmsg_le64_to_cpu(r.desc_addr), vqinfo.desc_addr);
	assert_int_equal(vmsg_le64_to_cpu(r.driver_addr), vqinfo.driver_addr);
	assert_int_equal(vmsg_le64_to_cpu(r.device_addr), vqinfo.device_addr);

	n = vmsg_build_get_device_info_resp(b, sizeof(b), 1, 1, &dinfo);
	memcpy(&di, b + sizeof(h), sizeof(di));
	assert_int_equal(vmsg_le32_to_cpu(di.device_id), dinfo.device_id);
	assert_int_equal(vmsg_le32_to_cpu(di.vendor_id), dinfo.vendor_id);
	assert_int_equal(vmsg_le32_to_cpu(di.num_feature_bits), dinfo.num_feature_bits);
	assert_int_equal(vmsg_le32_to_cpu(di.config_size), dinfo.config_size);
	assert_int_equal(vmsg_le32_to_cpu(di.max_virtqueues), dinfo.max_virtqueues);

	n = vmsg_build_get_device_features_resp(b, sizeof(b), 1, 1, 3, feats, 2);
	assert_int_equal(n, 24);
	assert_int_equal(vmsg_get_le32(b + 8), 3);
	assert_int_equal(vmsg_get_le32(b + 12), 2);
	assert_int_equal(vmsg_get_le32(b + 16), feats[0]);
	assert_int_equal(vmsg_get_le32(b + 20), feats[1]);

	n = vmsg_build_bus_error(b, sizeof(b), 7, 0x01, 0x05, 0x0a0b, VMSG_PCIE_ERR_SHUTDOWN);
	assert_int_equal(n, 16);
	assert_int_equal(b[0], VIRTIO_MSG_TYPE_BUS | VIRTIO_MSG_TYPE_RESPONSE);
	assert_int_equal(b[1], VMSG_PCIE_BUS_MSG_ERROR);
	assert_int_equal(b[8], 0x01);
	assert_int_equal(b[9], 0x05);
	assert_int_equal(vmsg_get_le16(b + 10), 0x0a0b);
	assert_int_equal(vmsg_get_le16(b + 12), VMSG_PCIE_ERR_SHUTDOWN);
}

static void test_bytes(void **state)
{
	uint8_t b[16] = {0};

	(void)state;
	vmsg_put_le16(b + 1, 0xa1b2);
	assert_int_equal(b[1], 0xb2);
	assert_int_equal(b[2], 0xa1);
	assert_int_equal(vmsg_get_le16(b + 1), 0xa1b2);
	vmsg_put_le32(b + 3, 0x01020304u);
	assert_int_equal(b[3], 0x04);
	assert_int_equal(b[6], 0x01);
	assert_int_equal(vmsg_get_le32(b + 3), 0x01020304u);
	vmsg_put_le64(b + 7, 0x1122334455667788ull);
	assert_int_equal(b[7], 0x88);
	assert_int_equal(b[14], 0x11);
	assert_true(vmsg_get_le64(b + 7) == 0x1122334455667788ull);
	vmsg_zero_bytes(b, 4);
	assert_int_equal(vmsg_get_le32(b), 0);
	vmsg_copy_bytes(b, b + 7, 4);
	assert_int_equal(vmsg_get_le32(b), 0x55667788u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_good),
	    cmocka_unit_test(test_all_header_errors),
	    cmocka_unit_test(test_all_dir_and_size),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_unknown_ids),
	    cmocka_unit_test(test_impl_ids),
	    cmocka_unit_test(test_bus_error),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_get_config),
	    cmocka_unit_test(test_set_config),
	    cmocka_unit_test(test_vqueue_reserved),
	    cmocka_unit_test(test_event_config),
	    cmocka_unit_test(test_get_devices),
	    cmocka_unit_test(test_event_device),
	    cmocka_unit_test(test_api_edges),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_builders_refuse_small),
	    cmocka_unit_test(test_builders_refuse_bad_args),
	    cmocka_unit_test(test_builder_layout),
	    cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
