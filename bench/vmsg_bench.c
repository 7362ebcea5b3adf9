// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * vmsg_bench.c - `vmsg-bench`: commands, the manual, usage errors.
 */
#include "bench_cli.h"
#include "latency.h"
#include "throughput.h"

#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#ifndef VMSG_BENCH_SRCDIR
#define VMSG_BENCH_SRCDIR "bench"
#endif

#ifndef VMSG_BENCH_VERSION
#define VMSG_BENCH_VERSION "unknown"
#endif

static const char manual[] =
    "NAME\n"
    "    vmsg-bench - latency and throughput of virtio-msg over PCIe, next to\n"
    "    the machine's own limit measured in the same run\n"
    "\n"
    "SYNOPSIS\n"
    "    vmsg-bench latency [--card PATH | --link DIR --host-mem FILE | --pci ADDR|first]\n"
    "                       [--iterations N] [--warmup N] [--mode poll|irq|both]\n"
    "                       [--msg ping|status|both] [--cpus A,B] [--timeout MS]\n"
    "                       [--json FILE]\n"
    "    vmsg-bench throughput [--quick] [--seconds N] [--sizes A,B] [--cpus A,B]\n"
    "                          [--card PATH] [--pmd PATH] [--testpmd PATH]\n"
    "                          [--mem MB] [--json FILE] [--png FILE]\n"
    "    vmsg-bench vm [--quick] [--rounds N] [--seconds N] [--disk-mb N]\n"
    "                  [--only WORKLOAD[,...]] [--card-perf] [--guest-perf]\n"
    "                  [--latency-iterations N | --no-latency] [--json FILE]\n"
    "                  [--png FILE] [--keep] [--verbose]\n"
    "    vmsg-bench --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Every number is printed beside a baseline taken in the same run between the\n"
    "    same two CPUs, because the machines this runs on are shared and noisy: the\n"
    "    ratio is what carries over from one run to the next, not the microseconds.\n"
    "\n"
    "COMMANDS\n"
    "  latency\n"
    "    Control-path round trips over the emulated PCIe link: a bus PING and a\n"
    "    transport GET_DEVICE_STATUS, sent by the user-space host library\n"
    "    (userspace_pmd/lib) to a vmsg-card --platform sim, one at a time.\n"
    "\n"
    "    The benchmark starts its own card (unless --link): vmsg-card --platform sim\n"
    "    --rng with a private link directory and host memory file under $TMPDIR, its\n"
    "    stdout and stderr in a log file there, pinned to CPU B. The host library runs\n"
    "    in the benchmark's main thread pinned to CPU A. For each mode:\n"
    "\n"
    "    poll  the card busy-polls (--poll) and the host spins on its c2h ring;\n"
    "          baseline: a shared-memory ping-pong, one cache line each way, both\n"
    "          threads busy-polling on CPUs A and B.\n"
    "    irq   both sides sleep: the host rings the card's doorbell (an eventfd on\n"
    "          the sim link), the card raises an interrupt (eventfd, MSI-X on a real\n"
    "          link); baseline: an eventfd ping-pong between CPUs A and B, a blocking\n"
    "          write and read each way.\n"
    "\n"
    "    Each mode runs its baseline, then starts a fresh card, attaches, sends --warmup\n"
    "    untimed and --iterations timed round trips of each message, detaches and\n"
    "    stops the card. A sample is the CLOCK_MONOTONIC delta around one blocking\n"
    "    call (vmsg_host_bus_ping, vmsg_host_dev_get_status).\n"
    "\n"
    "  throughput\n"
    "    Data-path Mpps and Gbit/s of Debian's dpdk-testpmd with the net_vmsg PMD\n"
    "    (userspace_pmd/net_vmsg) against a fresh vmsg-card --poll --net loopback\n"
    "    (every frame comes back), and in the same run, on the same two CPUs, of\n"
    "    DPDK's own vhost-user pair: testpmd net_vhost doing the loopback, testpmd\n"
    "    net_virtio_user on the host side. Both use io forwarding started with\n"
    "    `start tx_first 4` (a closed loop of 128 frames); the number is testpmd's\n"
    "    Rx-pps / Rx-bps between two `show port stats` --seconds apart, after a\n"
    "    warm-up. Host side on CPU A, card / net_vhost on CPU B. Memory is\n"
    "    --no-huge for every testpmd (net_vmsg's zero copy needs DPDK's memfd;\n"
    "    hugepages are never used, and the output says so). Frame sizes are bytes\n"
    "    on the wire with FCS (default 64 and 1518; testpmd sends size-4). Prints\n"
    "    Mpps, Gbit/s, the ratio vmsg / vhost-user and a link-bound ESTIMATE for\n"
    "    PCIe Gen3 x4 / Gen4 x4 (wire bytes only). Progress on stderr; every\n"
    "    process is bounded and a dead one ends the run with its log (exit 1).\n"
    "\n"
    "  vm\n"
    "    The card's virtio-blk and virtio-net (vmsg_pci) next to QEMU's own\n"
    "    virtio-blk-pci and virtio-net-pci on equal backends, in one host VM run\n"
    "    (tests/rig/run-host-vm, TCG): fio 4 KiB random read/write and 1 MiB\n"
    "    sequential read/write (O_DIRECT, iodepth 8/4) and iperf3 both ways, in\n"
    "    alternating rounds; ratio card / virtio-pci per workload; then the\n"
    "    poll-mode PING round trip against the bare ping-pong. Runs the script\n"
    "    bench/vm-bench.sh (root; `vmsg-bench vm --help` is its manual).\n"
    "\n"
    "OPTIONS (throughput)\n"
    "    --quick          2 s per run after 1 s warm-up (smoke test).\n"
    "    --seconds N      measured seconds per run (1..600, default 5; warm-up 2).\n"
    "    --sizes A,B      frame sizes, 64..1518, up to 4 (default 64,1518).\n"
    "    --cpus A,B       as for latency (A: host-side testpmd, B: card or net_vhost).\n"
    "    --card PATH      vmsg-card, found as for latency.\n"
    "    --pmd PATH       librte_net_vmsg.so (default: the build tree's\n"
    "                     ../userspace_pmd/net_vmsg/ next to this program).\n"
    "    --testpmd PATH   default dpdk-testpmd in $PATH (Debian package dpdk-dev).\n"
    "    --mem MB         DPDK memory per testpmd (128..8192, default 512).\n"
    "    --json FILE      command, machine, CPUs, memory, seconds, and per size:\n"
    "                     frame_bytes, vmsg {mpps, gbps}, vhost_user {mpps, gbps},\n"
    "                     ratio_mpps, estimate_link_bound_mpps {Gen3 x4, Gen4 x4}.\n"
    "    --png FILE       the two series per frame size as a bar chart (gnuplot).\n"
    "\n"
    "OPTIONS (latency)\n"
    "    --card PATH      vmsg-card to start. Default: $VMSG_CARD, else the build\n"
    "                     tree's ../ep_function/card/vmsg-card next to this program,\n"
    "                     else vmsg-card in $PATH.\n"
    "    --link DIR       use a card that is already running on the sim link DIR\n"
    "                     (its ivshmem.sock) instead of starting one; the card keeps\n"
    "                     its own --poll setting and CPU, so only the host side\n"
    "                     follows --mode. Needs --host-mem.\n"
    "    --host-mem FILE  with --link: the host memory file that card was given.\n"
    "    --pci ADDR|first a card (or the emulated link's ivshmem device) bound to\n"
    "                     vfio-pci, found with libpci as vmsg-pci finds it (first:\n"
    "                     the first one bound to vfio-pci, else the first found),\n"
    "                     reached through libvmsg_host's vfio link (root; 2 MiB huge\n"
    "                     pages where the card reads host memory by physical address,\n"
    "                     see docs/vmsg-pci.md). The card keeps its own CPU and\n"
    "                     polling setting; only the host side follows --mode.\n"
    "    --iterations N   timed round trips per message and baseline (1..10000000).\n"
    "                     Default: 100000 in poll mode, 20000 in irq mode.\n"
    "    --warmup N       untimed round trips before each timed series. Default: 10%\n"
    "                     of the iterations, at most 1000.\n"
    "    --mode M         poll, irq or both (default both, poll first).\n"
    "    --msg M          ping, status or both (default both).\n"
    "    --cpus A,B       host library (and baseline initiator) on CPU A, card (and\n"
    "                     baseline responder) on CPU B. Default: the first two CPUs\n"
    "                     this process may use. A == B allows irq mode only (two\n"
    "                     busy-pollers on one CPU measure the scheduler tick).\n"
    "    --timeout MS     bound on each request (10..60000, default 2000): a dead\n"
    "                     card ends the run with an error, never a hang.\n"
    "    --json FILE      also write every number as JSON (\"-\": stdout).\n"
    "    -h, --help       this manual.\n"
    "\n"
    "OUTPUT (latency)\n"
    "    Progress goes to stderr; the report to stdout, in three parts:\n"
    "\n"
    "    1. Round trips: one row per (mode, message) and one baseline row per mode;\n"
    "       count, p50, p99, p99.9, max and mean in microseconds; \"x p50\" and\n"
    "       \"x p99\" are vmsg / baseline of the same mode. Percentiles are\n"
    "       nearest-rank, so p50 <= p99 <= p99.9 <= max.\n"
    "    2. Link operations per round trip, counted from the host library's\n"
    "       counters and the card's BAR0 counters over the timed series: messages\n"
    "       each way; posted writes the host makes into BAR0 (slot stores, h2c\n"
    "       producer index, doorbell, c2h consumer mirror, NEED_NOTIFY toggles);\n"
    "       posted writes the card makes into host memory (h2c consumer mirror,\n"
    "       slot stores, c2h producer index); MSI-X; reads across the link (0 by\n"
    "       the binding: each side reads only its own memory).\n"
    "    3. \"Estimated round trip on a real link\": an ESTIMATE, not a measurement.\n"
    "       software time measured here (vmsg p50 minus the baseline p50) plus the\n"
    "       counted operations priced for PCIe Gen3 x4 and Gen4 x4 with per-\n"
    "       operation costs that are assumptions, all listed under the table\n"
    "       (posted-write flight, TLP serialisation, MMIO store spacing, MSI-X\n"
    "       delivery, card doorbell by polling or by MSI doorbell);\n"
    "       bench/cost_model.c documents each figure and bench/README.md the\n"
    "       method.\n"
    "\n"
    "    JSON: tool, command, timestamp (ISO 8601 UTC), unix_time, machine {nproc,\n"
    "    model_name, kernel, hostname}, cpus {host, card}, card {external, path},\n"
    "    modes {poll|irq: {iterations, warmup}}, sim_doorbell_us, results[] (one per\n"
    "    row: mode, kind baseline|vmsg, name, count, min_us, p50_us, p99_us, p999_us,\n"
    "    max_us, mean_us, stddev_us; vmsg rows add ratio_p50, ratio_p99, counters,\n"
    "    link_ops_per_rtt, estimate), cost_model {label, links, per_op_ns,\n"
    "    assumptions}.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  report printed (and JSON written).\n"
    "    1  runtime failure: card not found, not ready or dead, attach refused, a\n"
    "       request timed out, a phase overran its watchdog budget, the --json\n"
    "       file cannot be written (checked before the run) or was not written.\n"
    "       The card's log tail is printed when the card is at fault.\n"
    "    2  bad arguments, or a command that is not implemented yet.\n"
    "    128+N  stopped by signal N (the card is stopped and the files removed).\n"
    "\n"
    "ENVIRONMENT\n"
    "    VMSG_CARD        vmsg-card binary when --card is not given.\n"
    "    TMPDIR           where the private directory goes (default /tmp).\n"
    "    VMSG_BENCH_KEEP  keep the card's log (DIR/card.log) after the run.\n"
    "\n"
    "NOTES\n"
    "    Speed is measured here, never in tests: the bench_smoke test only checks\n"
    "    that the output is complete and consistent. Poll mode keeps both CPUs at\n"
    "    100% for the duration. The card gets SIGTERM if the benchmark dies.\n"
    "\n"
    "EXAMPLES\n"
    "    vmsg-bench latency\n"
    "    vmsg-bench latency --mode irq --msg ping --iterations 50000 --json irq.json\n"
    "    vmsg-bench latency --cpus 2,3 --card build/ep_function/card/vmsg-card\n"
    "    vmsg-card --platform sim --link /tmp/card --host-mem /dev/shm/hm --rng --poll &\n"
    "    vmsg-bench latency --link /tmp/card --host-mem /dev/shm/hm --mode poll\n"
    "    vmsg-bench latency --pci 0000:01:00.0 --mode irq --msg ping\n";

void bench_manual(FILE *out)
{
	fputs(manual, out);
}

int bench_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmsg-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmsg-bench --help'.\n", stderr);
	return BENCH_EXIT_USAGE;
}

/* `vm`: the VM benchmark is a script (it drives the rig); this binary is
 * its entry point and tells it where the built programs are. */
static int cmd_vm(int argc, char **argv)
{
	static const char script[] = VMSG_BENCH_SRCDIR "/vm-bench.sh";
	char self[4096];
	ssize_t n;
	char *args[256];
	int i;

	if (argc > 250)
		return bench_usage_error("vm: too many arguments");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		setenv("VMSG_BENCH", self, 0);
	}
	args[0] = "bash";
	args[1] = (char *)script;
	for (i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	execvp("bash", args);
	fprintf(stderr, "vmsg-bench: vm: cannot run bash %s: %s\n", script, strerror(errno));
	return BENCH_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (!cmd)
		return bench_usage_error("missing command (latency or throughput)");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		bench_manual(stdout);
		return BENCH_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("vmsg-bench %s\n", VMSG_BENCH_VERSION);
		return BENCH_EXIT_OK;
	}
	if (!strcmp(cmd, "latency"))
		return cmd_latency(argc - 1, argv + 1);
	if (!strcmp(cmd, "throughput"))
		return cmd_throughput(argc - 1, argv + 1);
	if (!strcmp(cmd, "vm"))
		return cmd_vm(argc - 1, argv + 1);
	return bench_usage_error("unknown command '%s'", cmd);
}
