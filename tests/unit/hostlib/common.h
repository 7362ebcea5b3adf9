/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* common.h - cmocka fixtures for the host library unit tests. */
#ifndef HOSTLIB_COMMON_H
#define HOSTLIB_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_card.h"

#define MAX_EV 64

struct fixture {
	struct fake_card *fc;
	struct vmsg_host_bus *bus;
	struct vmsg_host_bus_opts opts;
	struct vmsg_host_event ev[MAX_EV];
	unsigned int nev;
};

/* Fake card with device 1 (blk id), bus created (not attached). */
int fx_setup(void **state);
int fx_teardown(void **state);
/* Create the bus with f->opts and attach. */
void fx_attach(struct fixture *f);
int fx_count(struct fixture *f, enum vmsg_host_event_kind k, vmsg_dev_num_t dev);
uint64_t fx_now_ms(void);

#endif
