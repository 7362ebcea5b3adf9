// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/* common.c - cmocka fixtures for the host library unit tests. */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void on_event(void *arg, const struct vmsg_host_event *ev)
{
	struct fixture *f = arg;

	if (f->nev < MAX_EV)
		f->ev[f->nev++] = *ev;
}

int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->fc = fc_create();
	fc_add_dev(f->fc, 1, 2, 1ull << 9);
	f->opts.quiet = true;
	/* far beyond what a loaded machine adds to an answer of the in-process
	 * card; a test of a timeout sets its own (per bus or per call) */
	f->opts.request_timeout_ms = 10000;
	f->opts.event_cb = on_event;
	f->opts.event_arg = f;
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fixture *f = *state;

	vmsg_host_bus_destroy(f->bus);
	fc_destroy(f->fc);
	free(f);
	return 0;
}

void fx_attach(struct fixture *f)
{
	if (!f->bus)
		assert_int_equal(vmsg_host_bus_create(&f->fc->link, &f->opts, &f->bus), 0);
	assert_int_equal(vmsg_host_bus_attach(f->bus), 0);
	assert_int_equal(vmsg_host_bus_state(f->bus), VMSG_HOST_RUN);
}

int fx_count(struct fixture *f, enum vmsg_host_event_kind k, vmsg_dev_num_t dev)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < f->nev; i++)
		if (f->ev[i].kind == k && (dev == 0 || f->ev[i].dev_num == dev))
			n++;
	return n;
}

uint64_t fx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
