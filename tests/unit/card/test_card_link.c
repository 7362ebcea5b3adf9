/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_card_link.c - BAR0 publication, ATTACH/DETACH, epochs, interrupts. */
#include "card_harness.h"

#include <string.h>

static void test_bar0_published(void **state)
{
	struct vmsg_ring view;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	assert_int_equal(bar_rd(&r.fp, REG(magic)), VMSG_PCIE_MAGIC);
	assert_int_equal(bar_rd(&r.fp, REG(version)), VMSG_PCIE_VERSION);
	assert_int_equal(bar_rd(&r.fp, REG(transport_rev)), 1);
	assert_int_equal(bar_rd(&r.fp, REG(max_msg_size)), 264);
	assert_int_equal(bar_rd(&r.fp, REG(card_features)), VMSG_PCIE_F_C2H_HOST_MEM |
								VMSG_PCIE_F_ERROR_MSG |
								VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI);
	assert_int_equal(bar_rd(&r.fp, REG(dma_addr_bits)), 40);
	assert_int_equal(bar_rd(&r.fp, REG(num_doorbells)), 2);
	assert_int_equal(bar_rd(&r.fp, REG(num_vectors)), FAKE_NUM_VECTORS);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_READY);
	assert_int_not_equal(bar_rd(&r.fp, REG(epoch)), 0);
	assert_int_equal(bar_rd(&r.fp, REG(epoch)), vmsg_card_epoch(r.card));
	assert_int_equal(bar_rd(&r.fp, REG(attach_error)), 0);
	assert_int_equal(bar_rd(&r.fp, REG(host_ctrl)), 0);
	assert_int_equal(bar_rd(&r.fp, REG(h2c_ring_offset)), VMSG_BAR0_H2C_RING_OFFSET);
	assert_int_equal(bar_rd(&r.fp, REG(h2c_ring_size)),
			 VMSG_RING_BYTES(VMSG_RING_DEFAULT_SLOT_SIZE, VMSG_RING_DEFAULT_SLOTS));
	assert_int_equal(bar_rd(&r.fp, REG(c2h_cons_offset)), VMSG_BAR0_C2H_CONS_OFFSET);
	assert_int_equal(bar_rd(&r.fp, REG(c2h_bar_size)), 0);
	assert_true(bar_rd(&r.fp, REG(host_area_min)) >=
		    VMSG_HOST_AREA_C2H_RING_OFFSET + bar_rd(&r.fp, REG(h2c_ring_size)));
	assert_int_equal(bar_rd(&r.fp, REG(host_area_min)) % VMSG_HOST_AREA_ALIGN, 0);
	/* The h2c ring is self-describing before any attach. */
	assert_int_equal(vmsg_ring_attach_consumer(&view, r.fp.bar0 + VMSG_BAR0_H2C_RING_OFFSET,
						   bar_rd(&r.fp, REG(h2c_ring_size)), NULL),
			 0);
	assert_int_equal(view.slot_count, VMSG_RING_DEFAULT_SLOTS);
	assert_int_equal(vmsg_card_link_state(r.card), VMSG_LINK_READY);
	rig_fini(&r);
}

static void test_bad_config_refused(void **state)
{
	struct vmsg_card_config cfg;
	struct fake_plat fp;

	(void)state;
	fake_plat_init(&fp);
	vmsg_card_config_defaults(&cfg);
	cfg.max_msg_size = 44; /* GET_VQUEUE needs 48 */
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	vmsg_card_config_defaults(&cfg);
	cfg.ring_slot_count = 3;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	vmsg_card_config_defaults(&cfg);
	cfg.ring_slot_size = 256; /* < 8 + 264 */
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	vmsg_card_config_defaults(&cfg);
	cfg.dma_addr_bits = 31; /* [REG-4]: 32..64 */
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	vmsg_card_config_defaults(&cfg);
	fp.plat.bar0_size = 0x1000;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	assert_null(vmsg_card_create(&fp.plat, NULL));
	fake_plat_fini(&fp);
}

static void test_heartbeat_and_counters(void **state)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	uint32_t hb;
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	vmsg_card_poll(r.card);
	hb = bar_rd(&r.fp, REG(heartbeat));
	vmsg_card_poll(r.card);
	assert_int_equal(bar_rd(&r.fp, REG(heartbeat)), hb + 1);
	thost_attach(&r.th);
	n = vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r.th), 7);
	thost_call(&r.th, req, n, resp);
	assert_int_equal(bar_rd64(&r.fp, REG(cnt_rx_msgs)), 1);
	assert_int_equal(bar_rd64(&r.fp, REG(cnt_tx_msgs)), 1);
	assert_int_equal(vmsg_card_stats(r.card)->rx_msgs, 1);
	assert_int_equal(vmsg_card_stats(r.card)->attaches, 1);
	assert_true(bar_rd64(&r.fp, REG(cnt_doorbells)) >= 1);
	assert_true(vmsg_card_next_timeout_ms(r.card) > 0);
	rig_fini(&r);
}

static void test_attach_ok(void **state)
{
	struct rig r;
	uint8_t *area;

	(void)state;
	rig_init(&r, NULL);
	area = fake_host_ptr(&r.fp, FAKE_AREA_ADDR);
	memset(area, 0x5a, FAKE_AREA_SIZE);
	thost_attach(&r.th);
	assert_int_equal(vmsg_card_link_state(r.card), VMSG_LINK_RUN);
	assert_int_equal(bar_rd(&r.fp, REG(attach_error)), VMSG_ATTACH_OK);
	/* h2c consumer mirror in the host area: index 0, card wants doorbells */
	assert_int_equal(r.th.h2c.cached, 0);
	assert_int_equal(r.th.h2c.local, 0);
	assert_int_equal(area[4] & VMSG_RING_F_NEED_NOTIFY, VMSG_RING_F_NEED_NOTIFY);
	assert_int_equal(r.th.c2h.slot_count, VMSG_RING_DEFAULT_SLOTS);
	rig_fini(&r);
}

/* The host declares a host area of almost 4 GiB: the card maps only what
 * it uses (host_area_min: the h2c consumer line and the c2h ring). The fake
 * platform maps at most 1 MiB, so mapping the declared size fails. */
static void test_attach_maps_only_what_is_needed(void **state)
{
	struct attach_args a;
	struct rig r;
	uint32_t min;

	(void)state;
	rig_init(&r, NULL);
	min = bar_rd(&r.fp, REG(host_area_min));
	attach_args_default(&r.th, &a);
	a.area_size = 0xfffff000u;
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_OK);
	assert_int_equal(vmsg_card_link_state(r.card), VMSG_LINK_RUN);
	assert_int_equal(r.fp.map_len, min);
	assert_true(r.fp.map_len < FAKE_AREA_SIZE * 2u);
	rig_fini(&r);
}

/* All engine memory comes from the platform and goes back to it. */
static void test_alloc_through_platform(void **state)
{
	struct vmsg_card_config cfg;
	struct fake_plat fp;
	struct vmsg_card *c;
	void *(*zalloc)(void *, size_t);

	(void)state;
	fake_plat_init(&fp);
	vmsg_card_config_defaults(&cfg);
	c = vmsg_card_create(&fp.plat, &cfg);
	assert_non_null(c);
	assert_true(fp.allocs >= 1u);
	assert_int_equal(fp.frees, 0);
	vmsg_card_destroy(c);
	assert_int_equal(fp.frees, fp.allocs);

	fp.allocs = fp.frees = 0;
	fp.alloc_fail = true;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	fp.alloc_fail = false;

	zalloc = fp.plat.zalloc;
	fp.plat.zalloc = NULL; /* no allocator: refused, nothing allocated */
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	fp.plat.zalloc = zalloc;
	fp.plat.free = NULL;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	assert_int_equal(fp.allocs, 0);
	fake_plat_fini(&fp);
}

static void expect_attach_error(struct rig *r, const struct attach_args *a, uint32_t err)
{
	uint32_t epoch = bar_rd(&r->fp, REG(epoch));

	assert_int_equal(thost_attach_with(&r->th, a), err);
	assert_int_equal(bar_rd(&r->fp, REG(link_state)), VMSG_LINK_READY);
	assert_int_equal(bar_rd(&r->fp, REG(epoch)), epoch);
}

/* A platform that cannot map host memory (no host_map): created, BAR0
 * published, every ATTACH refused with EAREA. */
static void test_no_host_map(void **state)
{
	struct attach_args a;
	struct rig r;

	(void)state;
	memset(&r, 0, sizeof(r));
	fake_plat_init(&r.fp);
	r.fp.plat.host_map = NULL;
	vmsg_card_config_defaults(&r.cfg);
	r.cfg.dma_addr_bits = 40;
	r.card = vmsg_card_create(&r.fp.plat, &r.cfg);
	assert_non_null(r.card);
	r.th.fp = &r.fp;
	r.th.card = r.card;
	r.th.max_msg = bar_rd(&r.fp, REG(max_msg_size));
	attach_args_default(&r.th, &a);
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	assert_int_equal(r.fp.map_len, 0); /* nothing was asked of the platform */
	rig_fini(&r);
}

static void test_attach_errors(void **state)
{
	struct attach_args a;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	attach_args_default(&r.th, &a);
	a.version = 2u << 16;
	expect_attach_error(&r, &a, VMSG_ATTACH_EVERSION);

	attach_args_default(&r.th, &a);
	a.features |= VMSG_PCIE_F_OOB_NOTIFY;
	expect_attach_error(&r, &a, VMSG_ATTACH_EFEATURES);
	a.features = VMSG_PCIE_F_ERROR_MSG; /* no c2h ring placement */
	expect_attach_error(&r, &a, VMSG_ATTACH_EFEATURES);

	attach_args_default(&r.th, &a);
	a.epoch ^= 1;
	expect_attach_error(&r, &a, VMSG_ATTACH_EEPOCH);

	attach_args_default(&r.th, &a);
	a.area_size = bar_rd(&r.fp, REG(host_area_min)) - 64;
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	attach_args_default(&r.th, &a);
	a.area_addr += 64; /* not 4 KiB aligned */
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	attach_args_default(&r.th, &a);
	a.area_addr = 1ull << 40; /* beyond dma_addr_bits */
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	attach_args_default(&r.th, &a);
	a.area_addr = 0xfffffffffffff000ull;
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	attach_args_default(&r.th, &a);
	r.fp.map_fail = true;
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);
	r.fp.map_fail = false;
	attach_args_default(&r.th, &a);
	a.area_addr = 0;
	expect_attach_error(&r, &a, VMSG_ATTACH_EAREA);

	attach_args_default(&r.th, &a);
	a.irq_mode = 7;
	expect_attach_error(&r, &a, VMSG_ATTACH_EIRQ);
	a.irq_mode = VMSG_IRQ_MSIX; /* F_MSIX offered but not negotiated */
	expect_attach_error(&r, &a, VMSG_ATTACH_EIRQ);
	a.features |= VMSG_PCIE_F_MSIX;
	a.vec = FAKE_NUM_VECTORS;
	expect_attach_error(&r, &a, VMSG_ATTACH_EIRQ);

	/* and the card still attaches afterwards */
	thost_attach(&r.th);
	rig_fini(&r);
}

static void test_attach_irq_not_offered(void **state)
{
	struct vmsg_card_config cfg;
	struct attach_args a;
	struct rig r;

	(void)state;
	vmsg_card_config_defaults(&cfg);
	cfg.num_vectors = 1; /* no MSI/MSI-X feature offered */
	rig_init(&r, &cfg);
	attach_args_default(&r.th, &a);
	a.irq_mode = VMSG_IRQ_MSI;
	expect_attach_error(&r, &a, VMSG_ATTACH_EIRQ);
	a.irq_mode = VMSG_IRQ_MSIX;
	expect_attach_error(&r, &a, VMSG_ATTACH_EIRQ);
	rig_fini(&r);
}

static void test_detach_new_epoch(void **state)
{
	struct fdev *f;
	uint32_t e1;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	f = fdev_new(r.card, F_BASE, 16, 2);
	thost_attach(&r.th);
	e1 = r.th.epoch;
	assert_int_equal(dev_negotiate(&r.th, 1, F_BASE) & VIRTIO_MSG_STATUS_FEATURES_OK,
			 VIRTIO_MSG_STATUS_FEATURES_OK);
	f->resets = 0;
	thost_detach(&r.th);
	assert_int_not_equal(bar_rd(&r.fp, REG(epoch)), e1);
	assert_int_not_equal(bar_rd(&r.fp, REG(epoch)), 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->d.status, 0);
	assert_int_equal(vmsg_card_stats(r.card)->detaches, 1);
	/* attach again with the new epoch; the device is still there */
	thost_attach(&r.th);
	assert_int_equal(dev_status_get(&r.th, 1), 0);
	rig_fini(&r);
}

static void test_reattach_while_run(void **state)
{
	uint8_t req[MSGBUF];
	struct attach_args a;
	uint32_t e1;
	struct rig r;
	size_t n;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	e1 = r.th.epoch;
	/* the reloaded driver writes ATTACH with the epoch it reads (RUN) */
	attach_args_default(&r.th, &a);
	assert_int_equal(a.epoch, e1);
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_EEPOCH);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_READY);
	assert_int_not_equal(bar_rd(&r.fp, REG(epoch)), e1);
	/* it re-reads the epoch and attaches */
	thost_attach(&r.th);
	/* a slot from the old session is dropped as stale */
	n = vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r.th), 1);
	thost_put_raw(&r.th, req, (uint32_t)n, e1);
	vmsg_card_poll(r.card);
	assert_int_equal(thost_drain(&r.th), 0);
	assert_int_equal(vmsg_card_stats(r.card)->drop_stale, 1);
	assert_int_equal(bar_rd64(&r.fp, REG(cnt_drop_stale)), 1);
	rig_fini(&r);
}

static void test_ctrl_junk_ignored(void **state)
{
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	bar_wr(&r.fp, REG(host_ctrl), 77);
	vmsg_card_poll(r.card);
	assert_int_equal(bar_rd(&r.fp, REG(host_ctrl)), 0);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_READY);
	/* DETACH while READY: acknowledged, new epoch */
	thost_detach(&r.th);
	thost_attach(&r.th);
	rig_fini(&r);
}

static void ping_once(struct rig *r)
{
	uint8_t req[MSGBUF], resp[MSGBUF];
	size_t n = vmsg_build_bus_ping_req(req, sizeof(req), thost_token(&r->th), 3);

	thost_call(&r->th, req, n, resp);
}

static void test_irq_need_notify(void **state)
{
	struct attach_args a;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	attach_args_default(&r.th, &a);
	a.irq_mode = VMSG_IRQ_MSIX;
	a.features |= VMSG_PCIE_F_MSIX;
	a.vec = 2;
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_OK);
	assert_int_equal(r.fp.irqs, 1); /* link change to RUN */
	assert_int_equal(r.fp.last_vec, 2);
	ping_once(&r);
	assert_int_equal(r.fp.irqs, 1); /* host polling: NEED_NOTIFY clear */
	vmsg_ring_set_need_notify(&r.th.c2h, true);
	ping_once(&r);
	assert_int_equal(r.fp.irqs, 2);
	assert_int_equal(vmsg_card_stats(r.card)->irqs, 2);
	rig_fini(&r);
}

static void test_irq_poll_mode(void **state)
{
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	thost_attach(&r.th);
	vmsg_ring_set_need_notify(&r.th.c2h, true);
	ping_once(&r);
	assert_int_equal(r.fp.irqs, 0);
	rig_fini(&r);
}

static void test_irq_recheck(void **state)
{
	const uint64_t period = VMSG_PCIE_NOTIFY_RECHECK_MS * 1000000ull;
	struct attach_args a;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	attach_args_default(&r.th, &a);
	a.irq_mode = VMSG_IRQ_MSIX;
	a.features |= VMSG_PCIE_F_MSIX;
	assert_int_equal(thost_attach_with(&r.th, &a), VMSG_ATTACH_OK);
	vmsg_ring_set_need_notify(&r.th.c2h, true);
	{
		uint8_t req[MSGBUF];
		size_t n = vmsg_build_bus_ping_req(req, sizeof(req), 1, 1);

		thost_put(&r.th, req, n);
		vmsg_card_poll(r.card);
	}
	assert_int_equal(r.fp.irqs, 2); /* RUN + the response */
	vmsg_card_poll(r.card);
	assert_int_equal(r.fp.irqs, 2); /* within the period: nothing */
	/* [NTF-5] b: unread, consumer index still, a period later: again */
	r.fp.now += period;
	vmsg_card_poll(r.card);
	assert_int_equal(r.fp.irqs, 3);
	r.fp.now += period;
	vmsg_card_poll(r.card);
	assert_int_equal(r.fp.irqs, 4);
	/* read: no more */
	assert_int_equal(thost_drain(&r.th), 1);
	r.fp.now += period;
	vmsg_card_poll(r.card);
	r.fp.now += period;
	vmsg_card_poll(r.card);
	assert_int_equal(r.fp.irqs, 4);
	rig_fini(&r);
}

static void test_host_lost(void **state)
{
	struct fdev *f;
	uint32_t e1;
	struct rig r;

	(void)state;
	rig_init(&r, NULL);
	f = fdev_new(r.card, F_BASE, 8, 1);
	thost_attach(&r.th);
	e1 = r.th.epoch;
	assert_int_equal(dev_status_set(&r.th, 1, VIRTIO_MSG_STATUS_ACKNOWLEDGE), 1);
	memset(r.fp.bar0, 0xff, VMSG_PCIE_REGS_SIZE); /* e.g. a reset cleared BAR memory */
	f->resets = 0;
	vmsg_card_host_lost(r.card);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->d.status, 0);
	assert_int_equal(bar_rd(&r.fp, REG(magic)), VMSG_PCIE_MAGIC);
	assert_int_equal(bar_rd(&r.fp, REG(link_state)), VMSG_LINK_READY);
	assert_int_equal(bar_rd(&r.fp, REG(host_ctrl)), 0);
	assert_int_not_equal(bar_rd(&r.fp, REG(epoch)), e1);
	assert_int_equal(vmsg_card_stats(r.card)->detaches, 1);
	/* the device is still there for the next host */
	thost_attach(&r.th);
	assert_int_equal(dev_status_get(&r.th, 1), 0);
	rig_fini(&r);
}

static void test_zero_config_defaults(void **state)
{
	struct vmsg_card_config cfg = {0};
	struct vmsg_card *card;
	struct fake_plat fp;
	struct fdev f;

	(void)state;
	fake_plat_init(&fp);
	card = vmsg_card_create(&fp.plat, &cfg);
	assert_non_null(card);
	assert_ptr_equal(vmsg_card_platform(card)->ctx, &fp);
	assert_int_equal(bar_rd(&fp, REG(max_msg_size)), VMSG_PCIE_MAX_MSG_SIZE);
	assert_int_equal(bar_rd(&fp, REG(dma_addr_bits)), 64);
	assert_int_equal(bar_rd(&fp, REG(card_features)), VMSG_PCIE_F_C2H_HOST_MEM);
	assert_int_equal(bar_rd(&fp, REG(h2c_ring_size)),
			 VMSG_RING_BYTES(VMSG_RING_DEFAULT_SLOT_SIZE, VMSG_RING_DEFAULT_SLOTS));
	/* backend logging goes through the platform, prefixed */
	fdev_init(&f, F_BASE, 8, 1);
	assert_int_equal(vmsg_card_add_device(card, &f.d), 1);
	vmsg_dev_log(&f.d, VMSG_LOG_INFO, "hello %d", 42);
	assert_string_equal(fp.last_log, "fake1: hello 42");
	vmsg_card_destroy(card);
	assert_true(f.destroyed);
	fake_plat_fini(&fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bar0_published),
	    cmocka_unit_test(test_bad_config_refused),
	    cmocka_unit_test(test_heartbeat_and_counters),
	    cmocka_unit_test(test_attach_ok),
	    cmocka_unit_test(test_attach_errors),
	    cmocka_unit_test(test_attach_maps_only_what_is_needed),
	    cmocka_unit_test(test_alloc_through_platform),
	    cmocka_unit_test(test_no_host_map),
	    cmocka_unit_test(test_attach_irq_not_offered),
	    cmocka_unit_test(test_detach_new_epoch),
	    cmocka_unit_test(test_reattach_while_run),
	    cmocka_unit_test(test_ctrl_junk_ignored),
	    cmocka_unit_test(test_irq_need_notify),
	    cmocka_unit_test(test_irq_poll_mode),
	    cmocka_unit_test(test_irq_recheck),
	    cmocka_unit_test(test_host_lost),
	    cmocka_unit_test(test_zero_config_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
