/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * latency.h - `vmsg-bench latency`: control-path round trips over the soft
 * link next to the machine's own limit, measured in the same run.
 */
#ifndef VMSG_BENCH_LATENCY_H
#define VMSG_BENCH_LATENCY_H

#include "bench_util.h"
#include "cost_model.h"
#include "lat_stats.h"

#include <stdbool.h>
#include <stdio.h>

#define LAT_DEFAULT_POLL_ITERS 100000u
#define LAT_DEFAULT_IRQ_ITERS  20000u
#define LAT_MAX_ITERS	       10000000u
#define LAT_MAX_ROWS	       8

enum lat_mode { LAT_POLL = 0, LAT_IRQ = 1 };

struct lat_row {
	enum lat_mode mode;
	const char *name; /* "PING", "GET_DEVICE_STATUS", "shm ping-pong", ... */
	bool baseline;
	struct lat_summary s;
	/* message rows only */
	int base_row; /* index of the same mode's baseline row, or -1 */
	double ratio_p50, ratio_p99;
	struct link_counts counts;
	struct link_ops ops;
	struct cost_estimate est;
};

struct lat_result {
	struct bu_machine machine;
	int cpu_host, cpu_card;
	bool external_card; /* --link: a card the benchmark did not start */
	const char *card_bin;
	const char *link;
	unsigned int iters[2], warmup[2];
	bool mode_run[2];
	double efd_write_ns; /* p50 of one eventfd write with nobody waiting */
	struct lat_row rows[LAT_MAX_ROWS];
	int nrows;
};

int cmd_latency(int argc, char **argv);

/* report.c: the output; uses nothing of latency.c (no include cycle) */
void lat_print_table(const struct lat_result *r, FILE *out);
int lat_write_json(const struct lat_result *r, const char *path);
const char *lat_mode_name(enum lat_mode m);

#endif /* VMSG_BENCH_LATENCY_H */
