/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * lat_stats.h - summary of a set of round-trip samples.
 */
#ifndef VMSG_BENCH_LAT_STATS_H
#define VMSG_BENCH_LAT_STATS_H

#include <stddef.h>
#include <stdint.h>

struct lat_summary {
	uint64_t count;
	double min_us, p50_us, p99_us, p999_us, max_us, mean_us, stddev_us;
};

/*
 * Sort samples (nanoseconds) in place and summarise them. Percentiles are
 * nearest-rank: the smallest sample with at least q * count samples at or
 * below it, so p50 <= p99 <= p99.9 <= max always holds. n == 0 gives an
 * all-zero summary.
 */
void lat_summarize(uint64_t *samples_ns, size_t n, struct lat_summary *out);

/* Nearest-rank quantile of sorted samples, q in (0, 1]. */
uint64_t lat_quantile(const uint64_t *sorted, size_t n, double q);

#endif /* VMSG_BENCH_LAT_STATS_H */
