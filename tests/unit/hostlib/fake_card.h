/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * fake_card.h - an in-process card for the host library's unit tests: a
 * vmsg_link whose BAR0 and host memory are plain buffers and whose
 * doorbells run a small card model synchronously (attach per the binding,
 * rings from fw_shared, a scripted device model). Tests reach in to make it
 * misbehave: refuse, stay silent, answer out of order, inject garbage.
 */
#ifndef FAKE_CARD_H
#define FAKE_CARD_H

#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"
#include "hostmem.h"
#include "vmsg_ring.h"
#include "virtio_msg_validate.h"

#define FC_MAX_DEV   8
#define FC_MAX_DEFER 64
#define FC_MSG_MAX   264

struct fc_dev {
	bool present;
	uint32_t device_id;
	uint32_t num_feature_bits;
	uint64_t features;
	uint64_t drv_features;
	uint32_t status;
	uint8_t config[64];
	uint32_t config_size;
	uint32_t gen;
	bool writable;
	uint32_t vq_max;
	struct {
		uint32_t size;
		uint64_t desc, drv, dev;
	} vq[4];
	/* knobs */
	uint32_t reset_delay; /* GET_DEVICE_STATUS reads before status is 0 */
	uint32_t reset_pending;
	bool reset_never;
	bool refuse_features;
	uint32_t gen_bump_before_set; /* SET_CONFIG arrivals that find a bumped gen */
	uint32_t gen_bump_mid_read;   /* GET_CONFIG chunks (offset > 0) that bump it */
};

struct fake_card;
/* Return true if the message was handled (else the default model runs). */
typedef bool (*fc_hook)(struct fake_card *fc, const uint8_t *m, size_t len,
			const struct vmsg_msg_info *mi);

struct fake_card {
	struct vmsg_link link; /* first: the card is the link */
	uint8_t *bar0;
	size_t bar0_size;
	uint8_t *mem;
	size_t mem_size;
	struct hostmem hm;
	uint32_t epoch;
	bool live;
	uint8_t *area;
	struct vmsg_ring h2c, c2h;
	struct vmsg_validate_opts vopts;
	/* knobs */
	uint32_t refuse_attach;	  /* attach_error for the next ATTACHes (0: accept) */
	uint32_t refuse_count;	  /* how many ATTACHes to refuse */
	bool new_epoch_on_attach; /* first ATTACH finds a new epoch (EEPOCH) */
	bool deaf;		  /* consume everything, answer nothing */
	bool no_ping;		  /* do not answer PING */
	bool defer;		  /* queue answers until the next tick */
	bool ctrl_dead;		  /* never acknowledge host_ctrl */
	bool stalled;		  /* do not consume the h2c ring */
	bool irq_pending;	  /* the next wait_irq reports an interrupt */
	uint32_t flood_pings;	  /* PINGs left to put into c2h at h2c doorbells */
	fc_hook hook;
	void *priv;
	struct fc_dev dev[FC_MAX_DEV + 1];
	/* deferred answers */
	uint8_t dq[FC_MAX_DEFER][FC_MSG_MAX];
	uint16_t dq_len[FC_MAX_DEFER];
	unsigned int ndq;
	/* counters */
	uint64_t rx, rx_bad, rx_stale, pings, avails, attaches;
	uint64_t ping_resps, flood_sent; /* PING answers from the host, flood PINGs */
	uint64_t rx_by_id[256];
	uint8_t last_ping_resp[16];
	bool got_ping_resp;
};

struct fake_card *fc_create(void);
void fc_destroy(struct fake_card *fc);
/* A device with VERSION_1 | ACCESS_PLATFORM | extra features. */
struct fc_dev *fc_add_dev(struct fake_card *fc, vmsg_dev_num_t n, uint32_t device_id,
			  uint64_t extra);

/* card -> host */
void fc_send(struct fake_card *fc, const void *m, size_t len);
void fc_send_epoch(struct fake_card *fc, const void *m, size_t len, uint32_t epoch);
/* A slot whose framing length is impossible (0 or too large). */
void fc_send_bad_slot(struct fake_card *fc, uint16_t framing_len);
/* Move the c2h producer index somewhere impossible. */
void fc_bad_prod_index(struct fake_card *fc);
/* While flood_pings: fill every free c2h slot with a PING (also done at
 * each h2c doorbell). */
void fc_flood(struct fake_card *fc);
/* Flush deferred answers (reversed if reverse). */
void fc_flush(struct fake_card *fc, bool reverse);
/* The default model's answer to one message. */
void fc_default(struct fake_card *fc, const uint8_t *m, size_t len, const struct vmsg_msg_info *mi);
/* Publish a new epoch with link READY (a card restart). */
void fc_restart(struct fake_card *fc);

#endif /* FAKE_CARD_H */
