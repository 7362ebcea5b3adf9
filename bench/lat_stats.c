// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * lat_stats.c - percentiles, mean and spread of round-trip samples.
 */
#include "lat_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t lat_quantile(const uint64_t *sorted, size_t n, double q)
{
	double r;
	size_t k;

	if (n == 0)
		return 0;
	r = ceil(q * (double)n);
	k = r < 1.0 ? 1 : (r > (double)n ? n : (size_t)r);
	return sorted[k - 1];
}

void lat_summarize(uint64_t *s, size_t n, struct lat_summary *out)
{
	double sum = 0.0, sq = 0.0, mean;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	qsort(s, n, sizeof(*s), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)s[i];
	mean = sum / (double)n;
	for (i = 0; i < n; i++) {
		double d = (double)s[i] - mean;

		sq += d * d;
	}
	out->count = n;
	out->min_us = (double)s[0] / 1000.0;
	out->p50_us = (double)lat_quantile(s, n, 0.50) / 1000.0;
	out->p99_us = (double)lat_quantile(s, n, 0.99) / 1000.0;
	out->p999_us = (double)lat_quantile(s, n, 0.999) / 1000.0;
	out->max_us = (double)s[n - 1] / 1000.0;
	out->mean_us = mean / 1000.0;
	out->stddev_us = sqrt(sq / (double)n) / 1000.0;
}
