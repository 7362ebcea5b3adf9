/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_card_oob.c - out-of-band notifications (binding 7.5, OOB_NOTIFY):
 * offer, negotiation, the queue map read at SET_VQUEUE, queue doorbells as
 * EVENT_AVAIL, per-queue vectors instead of EVENT_USED, and a hostile host
 * (bad doorbell indices, bad vectors, entries for absent devices, a map
 * rewritten under a live queue).
 */
#include "card_harness.h"

#include <string.h>

#define ST_ADF                                                                                     \
	(VIRTIO_MSG_STATUS_ACKNOWLEDGE | VIRTIO_MSG_STATUS_DRIVER | VIRTIO_MSG_STATUS_FEATURES_OK)
#define ST_RUN (ST_ADF | VIRTIO_MSG_STATUS_DRIVER_OK)
#define DESC   FAKE_VQ_BASE
#define DRV    (FAKE_VQ_BASE + 0x1000u)
#define DEVA   (FAKE_VQ_BASE + 0x2000u)
#define DESC2  (FAKE_VQ_BASE + 0x4000u)
#define DRV2   (FAKE_VQ_BASE + 0x5000u)
#define DEVA2  (FAKE_VQ_BASE + 0x6000u)
#define NDB    8u /* doorbells the test card watches */

struct oob_rig {
	struct rig r;
	struct fdev f;
};

static void oob_cfg(struct vmsg_card_config *cfg)
{
	vmsg_card_config_defaults(cfg);
	cfg->card_features |= VMSG_PCIE_F_MSIX | VMSG_PCIE_F_OOB_NOTIFY;
	cfg->num_vectors = FAKE_NUM_VECTORS;
	cfg->num_doorbells = NDB;
	cfg->dma_addr_bits = 40;
}

static void map_wr(struct fake_plat *fp, uint32_t n, uint16_t dev, uint16_t q, uint16_t vec)
{
	size_t off = REG(oob_map) + 8u * n;

	bar_wr(fp, off, (uint32_t)dev | (uint32_t)q << 16);
	bar_wr(fp, off + 4, vec);
}

static void ring_db(struct oob_rig *o, uint32_t n)
{
	bar_wr(&o->r.fp, REG(doorbell) + 4u * n, bar_rd(&o->r.fp, REG(doorbell) + 4u * n) + 1u);
	vmsg_card_poll(o->r.card);
}

/* Attach (OOB accepted or not, MSI-X on vec_c2h 0, host_vectors hv). */
static void oob_rig_init(struct oob_rig *o, bool accept, uint32_t irq_mode, uint32_t hv)
{
	struct vmsg_card_config cfg;
	struct attach_args a;

	oob_cfg(&cfg);
	rig_init(&o->r, &cfg);
	fdev_init(&o->f, F_BASE, 8, 3);
	assert_int_equal(vmsg_card_add_device(o->r.card, &o->f.d), 1);
	attach_args_default(&o->r.th, &a);
	a.irq_mode = irq_mode;
	a.vec = 0;
	if (irq_mode == VMSG_IRQ_MSIX)
		a.features |= VMSG_PCIE_F_MSIX;
	if (accept)
		a.features |= VMSG_PCIE_F_OOB_NOTIFY;
	bar_wr(&o->r.fp, REG(host_vectors), hv);
	assert_int_equal(thost_attach_with(&o->r.th, &a), VMSG_ATTACH_OK);
	thost_drain(&o->r.th);
	assert_int_equal(dev_negotiate(&o->r.th, 1, F_BASE), ST_ADF);
}

static size_t used_events(struct oob_rig *o, uint32_t vq)
{
	uint8_t m[MSGBUF];
	size_t n = 0;

	while (thost_get(&o->r.th, m)) {
		assert_int_equal(m[1], VIRTIO_MSG_EVENT_USED);
		assert_int_equal(msg_u32(m, 0), vq);
		n++;
	}
	return n;
}

/* [OOB-1], [FEAT-1]: offered only when configured and with doorbells to spare. */
static void test_oob_offer(void **state)
{
	struct vmsg_card_config cfg;
	struct rig r;

	(void)state;
	rig_init(&r, NULL); /* defaults: not offered, 2 doorbells */
	assert_int_equal(bar_rd(&r.fp, REG(card_features)) & VMSG_PCIE_F_OOB_NOTIFY, 0);
	assert_int_equal(bar_rd(&r.fp, REG(num_doorbells)), 2);
	assert_int_equal(bar_rd(&r.fp, REG(version)), 0x00010001);
	rig_fini(&r);

	oob_cfg(&cfg);
	cfg.num_doorbells = 2; /* nothing to spare: the bit is dropped */
	rig_init(&r, &cfg);
	assert_int_equal(bar_rd(&r.fp, REG(card_features)) & VMSG_PCIE_F_OOB_NOTIFY, 0);
	rig_fini(&r);

	oob_cfg(&cfg);
	rig_init(&r, &cfg);
	assert_int_equal(bar_rd(&r.fp, REG(card_features)) & VMSG_PCIE_F_OOB_NOTIFY,
			 VMSG_PCIE_F_OOB_NOTIFY);
	assert_int_equal(bar_rd(&r.fp, REG(num_doorbells)), NDB);
	rig_fini(&r);

	struct fake_plat fp;

	fake_plat_init(&fp);
	oob_cfg(&cfg);
	cfg.num_doorbells = VMSG_PCIE_MAX_DOORBELLS + 1;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	cfg.num_doorbells = 1;
	assert_null(vmsg_card_create(&fp.plat, &cfg));
	fake_plat_fini(&fp);
}

/* [OOB-4..6]: doorbell -> EVENT_AVAIL; vector instead of EVENT_USED. */
static void test_oob_doorbell_and_vector(void **state)
{
	const struct vmsg_card_stats *st;
	struct oob_rig o;
	uint32_t irqs;

	(void)state;
	oob_rig_init(&o, true, VMSG_IRQ_MSIX, FAKE_NUM_VECTORS);
	st = vmsg_card_stats(o.r.card);
	map_wr(&o.r.fp, 2, 1, 1, 2);		     /* queue 1: doorbell 2, vector 2 */
	map_wr(&o.r.fp, 3, 1, 0, VMSG_OOB_VEC_NONE); /* queue 0: doorbell 3, in-band used */
	dev_vq_set(&o.r.th, 1, 1, 64, DESC, DRV, DEVA);
	dev_vq_set(&o.r.th, 1, 0, 64, DESC2, DRV2, DEVA2);
	ring_db(&o, 2); /* before DRIVER_OK: refused like EVENT_AVAIL */
	assert_int_equal(o.f.notifies, 0);
	assert_int_equal(dev_status_set(&o.r.th, 1, ST_RUN), ST_RUN);

	ring_db(&o, 2);
	assert_int_equal(o.f.notifies, 1);
	assert_int_equal(o.f.last_notify_vq, 1);
	ring_db(&o, 3);
	assert_int_equal(o.f.notifies, 2);
	assert_int_equal(o.f.last_notify_vq, 0);
	vmsg_card_poll(o.r.card); /* no change: no kick */
	assert_int_equal(o.f.notifies, 2);
	assert_int_equal(st->oob_doorbells, 3);
	assert_int_equal(thost_drain(&o.r.th), 0); /* nothing went through the rings */

	irqs = o.r.fp.irqs;
	vmsg_dev_send_used(&o.f.d, 1);
	assert_int_equal(o.r.fp.irqs, irqs + 1);
	assert_int_equal(o.r.fp.last_vec, 2);
	assert_int_equal(used_events(&o, 1), 0);
	assert_int_equal(st->oob_irqs, 1);
	vmsg_dev_send_used(&o.f.d, 0); /* NONE: in-band */
	vmsg_card_poll(o.r.card);
	assert_int_equal(used_events(&o, 0), 1);

	/* The in-band EVENT_AVAIL still works for a mapped queue. */
	{
		uint8_t req[MSGBUF];
		size_t n = vmsg_build_event_avail(req, sizeof(req), 1, 1, 0);

		thost_call_none(&o.r.th, req, n);
		assert_int_equal(o.f.notifies, 3);
	}
	/* Device reset drops the copy: the doorbell is then unmapped. */
	assert_int_equal(dev_status_set(&o.r.th, 1, 0), 0);
	ring_db(&o, 2);
	assert_int_equal(o.f.notifies, 3);
	assert_int_equal(st->oob_db_unmapped, 1);
	rig_fini(&o.r);
}

/* Not accepted by the host: the map and the queue doorbells mean nothing. */
static void test_oob_not_negotiated(void **state)
{
	struct oob_rig o;

	(void)state;
	oob_rig_init(&o, false, VMSG_IRQ_MSIX, FAKE_NUM_VECTORS);
	map_wr(&o.r.fp, 2, 1, 1, 2);
	dev_vq_set(&o.r.th, 1, 1, 64, DESC, DRV, DEVA);
	assert_int_equal(dev_status_set(&o.r.th, 1, ST_RUN), ST_RUN);
	ring_db(&o, 2);
	assert_int_equal(o.f.notifies, 0);
	vmsg_dev_send_used(&o.f.d, 1);
	vmsg_card_poll(o.r.card);
	assert_int_equal(used_events(&o, 1), 1);
	assert_int_equal(vmsg_card_stats(o.r.card)->oob_irqs, 0);
	rig_fini(&o.r);
}

/* [OOB-2], [OOB-4]: POLL mode takes every vector as NONE. */
static void test_oob_poll_mode(void **state)
{
	struct oob_rig o;

	(void)state;
	oob_rig_init(&o, true, VMSG_IRQ_POLL, 8);
	map_wr(&o.r.fp, 2, 1, 1, 1);
	dev_vq_set(&o.r.th, 1, 1, 64, DESC, DRV, DEVA);
	assert_int_equal(dev_status_set(&o.r.th, 1, ST_RUN), ST_RUN);
	ring_db(&o, 2); /* doorbells work without interrupts */
	assert_int_equal(o.f.notifies, 1);
	vmsg_dev_send_used(&o.f.d, 1);
	vmsg_card_poll(o.r.card);
	assert_int_equal(used_events(&o, 1), 1);
	assert_int_equal(o.r.fp.irqs, 0);
	rig_fini(&o.r);
}

/* Every value of the map and every doorbell index is hostile. */
static void test_oob_hostile(void **state)
{
	const struct vmsg_card_stats *st;
	struct oob_rig o;
	uint32_t n, irqs;

	(void)state;
	oob_rig_init(&o, true, VMSG_IRQ_MSIX, 0xffffffffu); /* more vectors than exist */
	st = vmsg_card_stats(o.r.card);
	/* Garbage everywhere first: entries 0, 1 and beyond num_doorbells. */
	for (n = 0; n < VMSG_OOB_MAP_COUNT; n++)
		map_wr(&o.r.fp, n, 0xffff, 0xffff, 0xffff);
	map_wr(&o.r.fp, 0, 1, 1, 1);	/* doorbell 0 never carries a queue */
	map_wr(&o.r.fp, 1, 1, 1, 1);	/* nor doorbell 1 */
	map_wr(&o.r.fp, NDB, 1, 1, 1);	/* beyond num_doorbells: never read */
	map_wr(&o.r.fp, 4, 1, 1, 9);	/* first match: vector beyond num_vectors */
	map_wr(&o.r.fp, 5, 1, 1, 3);	/* a later duplicate is ignored */
	map_wr(&o.r.fp, 6, 1, 0, 0);	/* vec_c2h: in-band */
	map_wr(&o.r.fp, 7, 77, 200, 1); /* absent device, absent queue */
	dev_vq_set(&o.r.th, 1, 1, 64, DESC, DRV, DEVA);
	dev_vq_set(&o.r.th, 1, 0, 64, DESC2, DRV2, DEVA2);
	assert_int_equal(dev_status_set(&o.r.th, 1, ST_RUN), ST_RUN);
	assert_int_equal(st->oob_map_bad, 2); /* vectors 9 and 0 taken as NONE */

	irqs = o.r.fp.irqs;
	vmsg_dev_send_used(&o.f.d, 1);
	vmsg_dev_send_used(&o.f.d, 0);
	vmsg_card_poll(o.r.card);
	assert_int_equal(o.r.fp.irqs, irqs); /* both in-band */
	assert_int_equal(thost_drain(&o.r.th), 2);

	ring_db(&o, 0); /* the h2c doorbell: only a wake-up */
	ring_db(&o, 1);
	ring_db(&o, NDB); /* not watched */
	ring_db(&o, 31);
	assert_int_equal(o.f.notifies, 0);
	ring_db(&o, 5); /* the duplicate was not taken */
	ring_db(&o, 7); /* absent device */
	assert_int_equal(o.f.notifies, 0);
	assert_int_equal(st->oob_db_unmapped, 2);
	ring_db(&o, 4);
	assert_int_equal(o.f.notifies, 1);
	assert_int_equal(o.f.last_notify_vq, 1);
	ring_db(&o, 6);
	assert_int_equal(o.f.notifies, 2);
	assert_int_equal(o.f.last_notify_vq, 0);

	/* The map rewritten under live queues changes nothing ([OOB-4]). */
	map_wr(&o.r.fp, 4, 1, 0, 1);
	map_wr(&o.r.fp, 6, 1, 2, 1);
	ring_db(&o, 4);
	assert_int_equal(o.f.last_notify_vq, 1);
	ring_db(&o, 6);
	assert_int_equal(o.f.last_notify_vq, 0);
	assert_int_equal(o.f.notifies, 4);

	/* After DETACH the doorbells are dead; a new session starts empty. */
	thost_detach(&o.r.th);
	ring_db(&o, 4);
	assert_int_equal(o.f.notifies, 4);
	rig_fini(&o.r);
}

/* [OOB-4]: a doorbell taken by a second queue leaves the first in-band. */
static void test_oob_doorbell_moved(void **state)
{
	struct oob_rig o;

	(void)state;
	oob_rig_init(&o, true, VMSG_IRQ_MSIX, FAKE_NUM_VECTORS);
	map_wr(&o.r.fp, 2, 1, 1, 2);
	dev_vq_set(&o.r.th, 1, 1, 64, DESC, DRV, DEVA);
	map_wr(&o.r.fp, 2, 1, 0, 3); /* the host reuses doorbell 2 for queue 0 */
	dev_vq_set(&o.r.th, 1, 0, 64, DESC2, DRV2, DEVA2);
	assert_int_equal(dev_status_set(&o.r.th, 1, ST_RUN), ST_RUN);
	ring_db(&o, 2);
	assert_int_equal(o.f.notifies, 1);
	assert_int_equal(o.f.last_notify_vq, 0);
	vmsg_dev_send_used(&o.f.d, 1); /* queue 1 lost its copy: in-band */
	vmsg_card_poll(o.r.card);
	assert_int_equal(used_events(&o, 1), 1);
	vmsg_dev_send_used(&o.f.d, 0);
	assert_int_equal(o.r.fp.last_vec, 3);
	rig_fini(&o.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oob_offer),
	    cmocka_unit_test(test_oob_doorbell_and_vector),
	    cmocka_unit_test(test_oob_not_negotiated),
	    cmocka_unit_test(test_oob_poll_mode),
	    cmocka_unit_test(test_oob_hostile),
	    cmocka_unit_test(test_oob_doorbell_moved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
