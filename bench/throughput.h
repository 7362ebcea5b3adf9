/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * throughput.h - `vmsg-bench throughput`: net_vmsg in dpdk-testpmd against a
 * soft card's loopback, next to DPDK's vhost-user pair in the same run.
 */
#ifndef VMSG_BENCH_THROUGHPUT_H
#define VMSG_BENCH_THROUGHPUT_H

int cmd_throughput(int argc, char **argv);

#endif /* VMSG_BENCH_THROUGHPUT_H */
