/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * card_harness.h - a fake platform (BAR0 and host memory in malloc'd
 * buffers, an interrupt counter, a clock), a test "host" that attaches per
 * the binding and talks through the real fw_shared rings, and a fake
 * device backend that records what the engine asks of it.
 */
#ifndef CARD_HARNESS_H
#define CARD_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmsg_card.h"
#include "vmsg_dev.h"
#include "vmsg_ring.h"
#include "virtio_msg_build.h"
#include "virtio_msg_validate.h"
#include "vmsg_bytes.h"

#define FAKE_BAR0_SIZE	 0x10000u
#define FAKE_HOST_BASE	 0x10000000ull
#define FAKE_HOST_SIZE	 0x100000u /* 1 MiB of host memory */
#define FAKE_AREA_ADDR	 FAKE_HOST_BASE
#define FAKE_AREA_SIZE	 0x10000u
#define FAKE_VQ_BASE	 (FAKE_HOST_BASE + 0x10000u) /* virtqueue memory */
#define FAKE_NUM_VECTORS 4u

struct fake_plat {
	uint8_t *bar0;
	uint8_t *host;
	uint64_t now;
	uint32_t irqs;
	uint32_t last_vec;
	bool map_fail;
	size_t map_len;	 /* length of the last host_map() */
	bool alloc_fail; /* zalloc returns NULL */
	uint32_t allocs; /* zalloc calls that succeeded */
	uint32_t frees;
	uint32_t logs;
	char last_log[256];
	struct vmsg_card_platform plat;
};

void fake_plat_init(struct fake_plat *fp);
void fake_plat_fini(struct fake_plat *fp);
uint8_t *fake_host_ptr(struct fake_plat *fp, uint64_t addr);

/* Register access on the fake BAR0, host byte order. */
uint32_t bar_rd(struct fake_plat *fp, size_t off);
void bar_wr(struct fake_plat *fp, size_t off, uint32_t v);
uint64_t bar_rd64(struct fake_plat *fp, size_t off);
#define REG(f) offsetof(struct vmsg_pcie_regs, f)

/* ---- the test host ---- */
struct attach_args {
	uint32_t version;
	uint32_t features;
	uint64_t area_addr;
	uint32_t area_size;
	uint32_t irq_mode;
	uint32_t vec;
	uint32_t epoch; /* 0: use BAR0 epoch */
};

struct thost {
	struct fake_plat *fp;
	struct vmsg_card *card;
	struct vmsg_ring h2c; /* producer */
	struct vmsg_ring c2h; /* consumer */
	uint32_t epoch;
	uint16_t token;
	uint32_t max_msg;
};

void attach_args_default(struct thost *th, struct attach_args *a);
/* Write the registers, ATTACH, poll once; returns attach_error. On success
 * the host's ring views are attached. */
uint32_t thost_attach_with(struct thost *th, const struct attach_args *a);
void thost_attach(struct thost *th); /* default args, asserts success */
void thost_detach(struct thost *th);

/* Put raw bytes into the h2c ring with an explicit epoch. */
void thost_put_raw(struct thost *th, const void *msg, uint32_t len, uint32_t epoch);
void thost_put(struct thost *th, const void *msg, size_t len);
/* Next c2h message (validated as device-to-driver); 0 if none. */
size_t thost_get(struct thost *th, uint8_t *buf);
/* Send, poll the card, expect exactly one message back (returns length). */
size_t thost_call(struct thost *th, const void *req, size_t len, uint8_t *resp);
/* Send, poll, expect nothing back. */
void thost_call_none(struct thost *th, const void *req, size_t len);
uint16_t thost_token(struct thost *th);
/* Consume and discard everything in c2h. */
uint32_t thost_drain(struct thost *th);

/* Common harness: platform + card (+ host) in one. */
struct rig {
	struct fake_plat fp;
	struct vmsg_card_config cfg;
	struct vmsg_card *card;
	struct thost th;
};

void rig_init(struct rig *r, const struct vmsg_card_config *cfg); /* NULL: defaults */
void rig_fini(struct rig *r);

/* ---- the fake device ---- */
struct fdev {
	struct vmsg_dev d;
	struct vmsg_dev_ops ops;
	uint8_t cfg[512];
	int set_features_ret;
	int config_write_ret;
	uint64_t accepted_features;
	uint32_t set_features_calls;
	uint32_t resets;
	uint32_t last_reset_vq;
	uint32_t reset_status_seen; /* d.status when reset was called */
	uint32_t starts;
	uint32_t notifies;
	uint32_t last_notify_vq;
	uint32_t polls;
	bool destroyed;
	bool has_shm;
	uint64_t tx_at_reset; /* card tx_msgs when reset was last called */
};

/* Fill and prepare a fake device (not added). */
void fdev_init(struct fdev *f, uint64_t features, uint32_t config_size, uint32_t num_queues);
/* Add a calloc'd fake device; destroy frees it. Returns the dev_num. */
struct fdev *fdev_new(struct vmsg_card *card, uint64_t features, uint32_t config_size,
		      uint32_t num_queues);

/* ---- message helpers (through the real builders) ---- */
#define MSGBUF	     512
#define HDR_DEV(m)   vmsg_get_le16((const uint8_t *)(m) + 2)
#define HDR_TOKEN(m) vmsg_get_le16((const uint8_t *)(m) + 4)
uint32_t msg_u32(const uint8_t *m, size_t payload_off); /* le32 at 8 + off */
uint16_t msg_u16(const uint8_t *m, size_t payload_off);
uint64_t msg_u64(const uint8_t *m, size_t payload_off);

/* Transport request/response helpers for the common calls. */
uint32_t dev_status_get(struct thost *th, vmsg_dev_num_t dev);
uint32_t dev_status_set(struct thost *th, vmsg_dev_num_t dev, uint32_t status);
void dev_features_set(struct thost *th, vmsg_dev_num_t dev, uint64_t features);
/* ACK, DRIVER, features, FEATURES_OK; returns the resulting status. */
uint32_t dev_negotiate(struct thost *th, vmsg_dev_num_t dev, uint64_t features);
void dev_vq_set(struct thost *th, vmsg_dev_num_t dev, uint32_t idx, uint32_t size, uint64_t desc,
		uint64_t drv, uint64_t dev_area);
void dev_vq_get(struct thost *th, vmsg_dev_num_t dev, uint32_t idx, struct vmsg_vqueue_info *vi);

#define BIT64(n) (1ull << (n))
#define F_V1	 BIT64(VMSG_VIRTIO_F_VERSION_1)
#define F_AP	 BIT64(VMSG_VIRTIO_F_ACCESS_PLATFORM)
/* What every device offers and a conforming driver accepts ([DMA-3]). */
#define F_BASE (F_V1 | F_AP)

#endif /* CARD_HARNESS_H */
