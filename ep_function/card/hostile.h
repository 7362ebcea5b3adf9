/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * hostile.h - `vmsg-card --hostile`: a card that attacks its host. TEST
 * ONLY: never use it in production.
 *
 * While the link is RUN, every rate_ms the daemon injects one attack
 * (a READY storm: a burst) into the c2h ring through the engine's test
 * hooks (vmsg_card.h), between the engine's own messages, cycling through
 * the enabled modes. What the host must survive, per mode:
 *
 *   garbage   random bytes, random length 1..slot payload
 *   badsize   msg_size != slot length, payload one byte off, beyond
 *             max_msg_size, shorter than a header
 *   badid     unknown transport and bus ids, requests and EVENT_AVAIL from
 *             the card, responses of events, bus messages with a dev_num
 *   badtoken  responses whose (dev_num, token) match no request; duplicated
 *             responses
 *   badevent  EVENT_USED with a queue out of range or for an absent device,
 *             EVENT_CONFIG beyond config_size or wrapping u32, EVENT_DEVICE
 *             with unknown states or for absent devices, READY storms for
 *             absent dev_nums up to 65535
 *   stale     valid-looking messages (REMOVED, NEEDS_RESET, answers to the
 *             host's pending requests) with an old or random slot epoch
 *   badslot   slot framing len 0 or beyond the slot, or beyond max_msg_size
 *   badindex  the producer index jumps by more than slot_count; the card
 *             goes on from there once the host resynchronised
 *   badvec    (binding 7.5) 1-3 random vectors 1..num_vectors-1 raised with
 *             nothing used: queue vectors no queue is mapped to, and
 *             spurious ones of mapped queues
 *
 * Nothing a correct host accepts is injected: tokens of live requests are
 * only used with another dev_num or a broken message, present devices are
 * never announced REMOVED or NEEDS_RESET with the current epoch.
 *
 * Two more modes are not in "all" (named only): they break the session on
 * purpose, so the host cannot lose nothing; it must not crash or hang.
 *
 *   pingflood the card stops consuming the h2c ring (the engine is not
 *             polled for PINGFLOOD_MS) and keeps the c2h ring full of bus
 *             PINGs, so every answer the host owes waits for h2c room
 *   usedrun   once per queue and session, for a device with DRIVER_OK, the used
 *             ring's idx is written USEDRUN_AHEAD beyond the device's own:
 *             more used entries than the host has chains in flight
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct card_daemon;
struct ctl_out;

enum hostile_mode {
	HOSTILE_GARBAGE,
	HOSTILE_BADSIZE,
	HOSTILE_BADID,
	HOSTILE_BADTOKEN,
	HOSTILE_BADEVENT,
	HOSTILE_STALE,
	HOSTILE_BADSLOT,
	HOSTILE_BADINDEX,
	HOSTILE_BADVEC,
	HOSTILE_PINGFLOOD, /* not in "all" */
	HOSTILE_USEDRUN,   /* not in "all" */
	HOSTILE__COUNT
};

/* "all": the modes a correct host survives losing nothing. */
#define HOSTILE_ALL		((1u << HOSTILE_PINGFLOOD) - 1u)
#define HOSTILE_ANY		((1u << HOSTILE__COUNT) - 1u)
#define HOSTILE_DEFAULT_RATE_MS 20u
#define HOSTILE_MAX_RATE_MS	60000u
/* Environment variable: the random seed (decimal or 0x...), logged at start. */
#define HOSTILE_SEED_ENV "VMSG_CARD_HOSTILE_SEED"

const char *hostile_mode_name(enum hostile_mode m);

/* "MODE[,MODE...]" (names above, or "all") into a mask of 1 << mode.
 * 0, or -1 with *bad pointing at the first unknown name. */
int hostile_parse_modes(const char *arg, uint32_t *mask, const char **bad);

/* Arm the attacker for this daemon (opts->hostile_modes != 0). */
void hostile_start(struct card_daemon *d);
bool hostile_active(void);
/* Milliseconds until the next injection is due (UINT32_MAX if inactive). */
uint32_t hostile_next_ms(void);
/* Between two engine polls: inject if one is due and the link is RUN. */
void hostile_tick(struct card_daemon *d);

/* card_ctl_exec(), plus `hostile.<mode> N` lines in the answer to stats. */
void hostile_ctl_exec(void *ctx, const char *line, struct ctl_out *out);

#endif /* HOSTILE_H */
