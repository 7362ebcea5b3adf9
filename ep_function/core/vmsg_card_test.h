/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_card_test.h - the engine's test hooks, for tests only: the static
 * library vmsg_core_test (card_inject.c), linked into `vmsg-card-test`
 * (--hostile, ep_function/card/hostile.c) and the unit tests. Neither the
 * shipped vmsg-card nor the library vmsg_core contains them (tests/
 * unit/card_daemon/check_no_test_code.sh checks that with nm).
 */
#ifndef VMSG_CARD_TEST_H
#define VMSG_CARD_TEST_H

#include "vmsg_card.h"

/*
 * vmsg-card-test --hostile: a card that attacks its host.
 * They put hostile traffic into the c2h ring through the engine's own
 * producer, between the engine's own messages: call them from outside
 * vmsg_card_poll() only. They never overwrite an unconsumed slot, never
 * reorder the engine's messages and only inject while nothing waits in the
 * engine's queue, with at least min_free slots free (0 means 1). After an
 * injection the c2h interrupt is raised if the host asked for one.
 * Returns 0, VMSG_CARD_TEST_BUSY (not now: no room, engine messages
 * waiting, host not caught up) or VMSG_CARD_TEST_REFUSED (not attached,
 * inside vmsg_card_poll(), bad arguments).
 */
#define VMSG_CARD_TEST_BUSY    (-11)
#define VMSG_CARD_TEST_REFUSED (-22)

struct vmsg_card_test_c2h_info {
	uint32_t slot_size; /* bytes, framing included */
	uint32_t slot_count;
	uint32_t free;	       /* free slots now (0 while the consumer index is impossible) */
	uint32_t max_msg_size; /* the engine's message cap */
	uint32_t prod;	       /* the engine's producer index */
	uint32_t cons;	       /* the host's consumer index as last read (untrusted) */
};

/* A request of the host seen in the h2c ring (current epoch). */
struct vmsg_card_test_req {
	uint8_t type;
	uint8_t msg_id;
	vmsg_dev_num_t dev_num;
	uint16_t token;
	bool pending; /* not consumed by the engine yet: the host waits for it */
};

/* c2h ring geometry and indices: 0 or VMSG_CARD_TEST_REFUSED. */
int vmsg_card_test_c2h_info(struct vmsg_card *card, struct vmsg_card_test_c2h_info *info);

/* Produce msg (len 1..slot_size - 8, even beyond max_msg_size) with the
 * given slot epoch, exactly as the engine produces its own messages. */
int vmsg_card_test_c2h_inject(struct vmsg_card *card, const void *msg, size_t len, uint32_t epoch,
			      uint32_t min_free);

/* Produce one slot with a raw framing (len and flags fields written as
 * given, even 0 or beyond the slot) followed by n payload bytes (at most
 * slot_size - 8 are copied). */
int vmsg_card_test_c2h_inject_raw(struct vmsg_card *card, uint16_t len_field, uint16_t flags,
				  uint32_t epoch, const void *payload, size_t n, uint32_t min_free);

/*
 * Jump the c2h producer index by delta (> slot_count: an impossible index
 * for the host, which must count it and resynchronise, [RING-7]); the
 * engine then produces from the new index. Only when the host has consumed
 * every slot and nothing waits in the engine's queue; until the host's
 * consumer index shows it resynchronised the ring reads as full ([RING-8]),
 * so the engine's messages wait in its queue and none is lost. *from and
 * *to (may be NULL) get the old and new producer index.
 */
int vmsg_card_test_c2h_jump(struct vmsg_card *card, uint32_t delta, uint32_t *from, uint32_t *to);

/* The host's requests in the h2c ring, newest first (pending ones first),
 * at most max: their count. Read from BAR0, which the host can rewrite:
 * hints, not facts. */
unsigned int vmsg_card_test_h2c_requests(struct vmsg_card *card, struct vmsg_card_test_req *out,
					 unsigned int max);

/* The message of the k-th most recent c2h slot (0: the newest), read back
 * from the host area: copies min(len, cap) bytes, returns the slot's len
 * field (0: k out of range or slot never written), *epoch its epoch. */
size_t vmsg_card_test_c2h_recent(struct vmsg_card *card, uint32_t k, void *buf, size_t cap,
				 uint32_t *epoch);

#endif /* VMSG_CARD_TEST_H */
