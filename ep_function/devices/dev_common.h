/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * dev_common.h - what every backend in ep_function/devices shares: the
 * transport feature set, feature checking, error strings, work budgets.
 * Internal to the devices library.
 */
#ifndef DEV_COMMON_H
#define DEV_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsg_dev.h"

#define DEV_BIT(n) (1ull << (n))

/* Chains one queue_notify/poll handles before it yields (and kicks itself). */
#define DEV_BUDGET_CHAINS 64u

/* Bounce buffer size: data moves host <-> backend in steps of at most this. */
#define DEV_BOUNCE_SIZE (64u * 1024u)

/* Transport features every backend offers (VERSION_1, ACCESS_PLATFORM,
 * RING_RESET, plus what the virtqueue helpers support). */
uint64_t dev_transport_features(void);

/* Common FEATURES_OK check: VERSION_1 required, nothing beyond the offer. */
int dev_check_features(struct vmsg_dev *d, uint64_t features);

/* Format an error message into err (may be NULL). */
void dev_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* DEV_COMMON_H */
