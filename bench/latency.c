// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * latency.c - `vmsg-bench latency`.
 *
 * Per mode (poll, then irq): the baseline between the two CPUs, then a
 * fresh card pinned to CPU B, the host library attached on CPU A, and N
 * timed round trips of each message after W untimed ones. Every wait is
 * bounded: requests by the bus timeout, card start-up and shutdown by their
 * own limits, and each phase by the watchdog.
 */
#include "latency.h"
#include "baseline.h"
#include "bench_cli.h"
#include "card_proc.h"
#include "pci_find.h"

#include "virtio_msg_build.h"
#include "vmsg_barrier.h"
#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAT_CARD_START_MS	   10000u
#define LAT_ATTACH_MS		   5000u
#define LAT_DEFAULT_REQ_TIMEOUT_MS 2000u
#define LAT_SHM_TIMEOUT_MS	   5000u
#define LAT_EFD_WRITE_SAMPLES	   20000u
#define LAT_SETTLE_MS		   20u /* let the card mirror its counters into BAR0 */

enum lat_msg { MSG_PING = 0, MSG_STATUS = 1 };

struct lat_opts {
	const char *card;
	const char *link;
	const char *host_mem;
	const char *pci; /* --pci ADDR|first: a card bound to vfio-pci */
	char pci_addr[16];
	char pci_label[48];
	const char *json;
	uint64_t iters;	 /* 0: per-mode default */
	uint64_t warmup; /* UINT64_MAX: default */
	bool mode[2];
	bool mode_given;
	bool msg[2];
	int cpu_a, cpu_b;
	bool cpus_given;
	uint32_t req_timeout_ms;
};

static const char *const msg_names[2] = {"PING", "GET_DEVICE_STATUS"};

/* ---- signals ---- */

static void on_signal(int sig)
{
	static const char msg[] = "vmsg-bench: interrupted, stopping the card\n";

	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
	card_emergency_cleanup();
	_exit(128 + sig);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ---- options ---- */

enum {
	OPT_CARD = 0x100,
	OPT_LINK,
	OPT_PCI,
	OPT_HOST_MEM,
	OPT_ITERS,
	OPT_WARMUP,
	OPT_MODE,
	OPT_MSG,
	OPT_CPUS,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_HELP,
};

static const struct option lat_longopts[] = {
    {"card", required_argument, NULL, OPT_CARD},
    {"link", required_argument, NULL, OPT_LINK},
    {"pci", required_argument, NULL, OPT_PCI},
    {"host-mem", required_argument, NULL, OPT_HOST_MEM},
    {"iterations", required_argument, NULL, OPT_ITERS},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"mode", required_argument, NULL, OPT_MODE},
    {"msg", required_argument, NULL, OPT_MSG},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"json", required_argument, NULL, OPT_JSON},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, else the exit status. */
static int parse_opts(int argc, char **argv, struct lat_opts *o)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->warmup = UINT64_MAX;
	o->mode[LAT_POLL] = o->mode[LAT_IRQ] = true;
	o->msg[MSG_PING] = o->msg[MSG_STATUS] = true;
	o->req_timeout_ms = LAT_DEFAULT_REQ_TIMEOUT_MS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lat_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CARD:
			o->card = optarg;
			break;
		case OPT_LINK:
			o->link = optarg;
			break;
		case OPT_PCI:
			o->pci = optarg;
			break;
		case OPT_HOST_MEM:
			o->host_mem = optarg;
			break;
		case OPT_ITERS:
			if (bu_parse_u64(optarg, 1, LAT_MAX_ITERS, &o->iters))
				return bench_usage_error("--iterations %s: want 1..%u", optarg,
							 LAT_MAX_ITERS);
			break;
		case OPT_WARMUP:
			if (bu_parse_u64(optarg, 0, LAT_MAX_ITERS, &o->warmup))
				return bench_usage_error("--warmup %s: want 0..%u", optarg,
							 LAT_MAX_ITERS);
			break;
		case OPT_MODE:
			o->mode[LAT_POLL] = !strcmp(optarg, "poll") || !strcmp(optarg, "both");
			o->mode[LAT_IRQ] = !strcmp(optarg, "irq") || !strcmp(optarg, "both");
			o->mode_given = true;
			if (!o->mode[LAT_POLL] && !o->mode[LAT_IRQ])
				return bench_usage_error("--mode %s: want poll, irq or both",
							 optarg);
			break;
		case OPT_MSG:
			o->msg[MSG_PING] = !strcmp(optarg, "ping") || !strcmp(optarg, "both");
			o->msg[MSG_STATUS] = !strcmp(optarg, "status") || !strcmp(optarg, "both");
			if (!o->msg[MSG_PING] && !o->msg[MSG_STATUS])
				return bench_usage_error("--msg %s: want ping, status or both",
							 optarg);
			break;
		case OPT_CPUS: {
			int r = bu_parse_cpus(optarg, &o->cpu_a, &o->cpu_b);

			if (r == -ERANGE)
				return bench_usage_error("--cpus %s: a CPU this process may not "
							 "run on",
							 optarg);
			if (r)
				return bench_usage_error("--cpus %s: want A,B (two CPU numbers)",
							 optarg);
			o->cpus_given = true;
			break;
		}
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_TIMEOUT:
			if (bu_parse_u64(optarg, 10, 60000, &v))
				return bench_usage_error("--timeout %s: want 10..60000 ms", optarg);
			o->req_timeout_ms = (uint32_t)v;
			break;
		case 'h':
		case OPT_HELP:
			bench_manual(stdout);
			return BENCH_EXIT_OK;
		case ':':
			return bench_usage_error("%s needs a value", argv[optind - 1]);
		default:
			return bench_usage_error("latency: unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bench_usage_error("latency: unexpected argument '%s'", argv[optind]);
	if (o->pci && (o->link || o->card || o->host_mem))
		return bench_usage_error("--pci excludes --card, --link and --host-mem (it uses "
					 "a card bound to vfio-pci)");
	if (o->link && o->card)
		return bench_usage_error("--card and --link exclude each other (--link uses a "
					 "card that is already running)");
	if (o->link && !o->host_mem)
		return bench_usage_error("--link needs --host-mem FILE: the host memory file "
					 "that card was started with");
	if (!o->link && o->host_mem)
		return bench_usage_error("--host-mem only goes with --link (the benchmark's "
					 "own card gets a private file)");
	return -1;
}

/* ---- measurements ---- */

static unsigned int iters_for(const struct lat_opts *o, enum lat_mode m)
{
	if (o->iters)
		return (unsigned int)o->iters;
	return m == LAT_POLL ? LAT_DEFAULT_POLL_ITERS : LAT_DEFAULT_IRQ_ITERS;
}

static unsigned int warmup_for(const struct lat_opts *o, unsigned int iters)
{
	if (o->warmup != UINT64_MAX)
		return (unsigned int)o->warmup;
	return iters / 10u < 1000u ? iters / 10u : 1000u;
}

/* Watchdog budget for a phase of n round trips: generous (1 ms per polled,
 * 10 ms per interrupt-driven round trip): it catches hangs, not slowness. */
static unsigned int budget_s(unsigned int n, enum lat_mode m)
{
	return 60u + n / (m == LAT_POLL ? 1000u : 100u);
}

/* The sim's doorbell and interrupt are eventfd writes: what one costs here
 * with nobody waiting (the cost model replaces it by an MMIO store). */
static int measure_efd_write(double *p50_ns)
{
	uint64_t *s = calloc(LAT_EFD_WRITE_SAMPLES, sizeof(*s)), one = 1, v;
	struct lat_summary sum;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned int i;

	if (!s || fd < 0) {
		free(s);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < LAT_EFD_WRITE_SAMPLES; i++) {
		uint64_t t0 = bu_now_ns();

		if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			break;
		s[i] = bu_now_ns() - t0;
		if ((i & 1023u) == 1023u && read(fd, &v, sizeof(v)) < 0)
			break;
	}
	lat_summarize(s, i, &sum);
	*p50_ns = sum.p50_us * 1000.0;
	free(s);
	close(fd);
	return 0;
}

static struct lat_row *add_row(struct lat_result *r, enum lat_mode m, const char *name,
			       bool baseline)
{
	struct lat_row *row;

	if (r->nrows >= LAT_MAX_ROWS)
		return NULL;
	row = &r->rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	row->mode = m;
	row->name = name;
	row->baseline = baseline;
	row->base_row = -1;
	return row;
}

static int run_baseline(struct lat_result *r, enum lat_mode m, unsigned int warmup, unsigned int n,
			uint64_t *samples)
{
	const char *name = m == LAT_POLL ? "shm ping-pong" : "eventfd ping-pong";
	struct lat_row *row;
	int ret;

	bu_watchdog_arm(name, budget_s(warmup + n, m));
	if (m == LAT_POLL)
		ret = baseline_shm(r->cpu_card, warmup, n, samples, LAT_SHM_TIMEOUT_MS);
	else
		ret = baseline_eventfd(r->cpu_card, warmup, n, samples);
	bu_watchdog_disarm();
	if (ret) {
		fprintf(stderr, "vmsg-bench: baseline %s: %s\n", name, strerror(-ret));
		return ret;
	}
	row = add_row(r, m, name, true);
	if (!row)
		return -ENOSPC;
	lat_summarize(samples, n, &row->s);
	return 0;
}

struct counter_snap {
	struct vmsg_host_bus_stats host;
	uint64_t card_rx, card_tx, card_irqs, card_doorbells;
};

static uint64_t reg64(struct vmsg_host_bus *bus, size_t off)
{
	const volatile uint8_t *base = (const volatile uint8_t *)vmsg_host_bus_regs(bus);

	return base ? vmsg_le64_to_cpu(*(const volatile uint64_t *)(base + off)) : 0;
}

static void snap(struct vmsg_host_bus *bus, struct counter_snap *s)
{
	bu_sleep_ms(LAT_SETTLE_MS);
	vmsg_host_bus_get_stats(bus, &s->host);
	s->card_rx = reg64(bus, offsetof(struct vmsg_pcie_regs, cnt_rx_msgs));
	s->card_tx = reg64(bus, offsetof(struct vmsg_pcie_regs, cnt_tx_msgs));
	s->card_irqs = reg64(bus, offsetof(struct vmsg_pcie_regs, cnt_irqs));
	s->card_doorbells = reg64(bus, offsetof(struct vmsg_pcie_regs, cnt_doorbells));
}

static int one_rtt(struct vmsg_host_bus *bus, struct vmsg_host_dev *dev, enum lat_msg msg)
{
	uint32_t status;

	if (msg == MSG_PING)
		return vmsg_host_bus_ping(bus, NULL);
	return vmsg_host_dev_get_status(dev, &status);
}

static int run_msg(struct lat_result *r, enum lat_mode m, enum lat_msg msg,
		   struct vmsg_host_bus *bus, struct vmsg_host_dev *dev, unsigned int warmup,
		   unsigned int n, uint64_t *samples)
{
	struct counter_snap a, b;
	struct lat_row *row;
	uint8_t buf[64];
	unsigned int i;
	int ret = 0;

	bu_watchdog_arm(msg_names[msg], budget_s(warmup + n, m));
	for (i = 0; i < warmup && !ret; i++)
		ret = one_rtt(bus, dev, msg);
	if (!ret)
		snap(bus, &a);
	for (i = 0; i < n && !ret; i++) {
		uint64_t t0 = bu_now_ns();

		ret = one_rtt(bus, dev, msg);
		samples[i] = bu_now_ns() - t0;
	}
	if (!ret)
		snap(bus, &b);
	bu_watchdog_disarm();
	if (ret) {
		fprintf(stderr, "vmsg-bench: %s mode: %s failed: %s\n", lat_mode_name(m),
			msg_names[msg], vmsg_host_strerror(ret));
		return ret;
	}
	row = add_row(r, m, msg_names[msg], false);
	if (!row)
		return -ENOSPC;
	lat_summarize(samples, n, &row->s);
	row->counts = (struct link_counts){
	    .rtts = n,
	    .host_tx = b.host.tx_msgs - a.host.tx_msgs,
	    .host_rx = b.host.rx_msgs - a.host.rx_msgs,
	    .host_doorbells = b.host.doorbells - a.host.doorbells,
	    .host_irqs = b.host.irqs - a.host.irqs,
	    .card_rx = b.card_rx - a.card_rx,
	    .card_tx = b.card_tx - a.card_tx,
	    .card_irqs = b.card_irqs - a.card_irqs,
	    .card_doorbells = b.card_doorbells - a.card_doorbells,
	    .irq_mode = m == LAT_IRQ,
	};
	if (msg == MSG_PING) {
		row->counts.req_len = (uint32_t)vmsg_build_bus_ping_req(buf, sizeof(buf), 1, 0);
		row->counts.resp_len = (uint32_t)vmsg_build_bus_ping_resp(buf, sizeof(buf), 1, 0);
	} else {
		row->counts.req_len =
		    (uint32_t)vmsg_build_get_device_status_req(buf, sizeof(buf), 1, 1);
		row->counts.resp_len =
		    (uint32_t)vmsg_build_get_device_status_resp(buf, sizeof(buf), 1, 1, 0);
	}
	cost_ops_from_counts(&row->counts, &row->ops);
	return 0;
}

/* The link's host memory size: the existing file's (an external card's), or
 * the library default for a fresh one. */
static size_t mem_size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		return (size_t)st.st_size;
	return 0;
}

/* Attach on CPU A, run the messages, detach. */
static int run_vmsg(struct lat_result *r, const struct lat_opts *o, enum lat_mode m,
		    const char *sock_path, const char *mem_path, unsigned int warmup,
		    unsigned int n, uint64_t *samples)
{
	struct vmsg_link_sim_params lp = {.sock_path = sock_path, .mem_path = mem_path};
	struct vmsg_link_vfio_params vp = {.pci_addr = o->pci_addr, .mem_size = 2u << 20};
	struct vmsg_host_bus_opts bo = {
	    .poll_mode = m == LAT_POLL,
	    .request_timeout_ms = o->req_timeout_ms,
	    .attach_timeout_ms = LAT_ATTACH_MS,
	    .connect_timeout_ms = LAT_ATTACH_MS,
	};
	struct vmsg_host_bus *bus = NULL;
	struct vmsg_host_dev *dev = NULL;
	struct vmsg_link *link = NULL;
	vmsg_dev_num_t devs[8];
	uint32_t irq_feat;
	size_t ndev = 0;
	int ret;

	bu_watchdog_arm("attach", 30);
	if (o->pci) {
		/* the library names the usual mistakes (driver, IOMMU, permission) */
		sock_path = o->pci_label;
		ret = vmsg_link_vfio_create(&vp, &link);
		if (ret) {
			fprintf(stderr, "vmsg-bench: --pci %s: %s\n", o->pci_addr,
				vmsg_host_strerror(ret));
			goto out;
		}
	} else {
		lp.mem_size = mem_size_of(mem_path);
		ret = vmsg_link_sim_create(&lp, &link);
		if (ret) {
			fprintf(stderr, "vmsg-bench: host memory %s: %s\n", mem_path,
				vmsg_host_strerror(ret));
			goto out;
		}
	}
	ret = vmsg_host_bus_create(link, &bo, &bus);
	if (ret) {
		fprintf(stderr, "vmsg-bench: bus: %s\n", vmsg_host_strerror(ret));
		goto out;
	}
	ret = vmsg_host_bus_attach(bus);
	if (ret) {
		fprintf(stderr, "vmsg-bench: attach to the card at %s: %s%s%s\n", sock_path,
			vmsg_host_strerror(ret), ret == -ECONNREFUSED ? ": " : "",
			ret == -ECONNREFUSED
			    ? vmsg_host_attach_error_str(vmsg_host_bus_attach_error(bus))
			    : "");
		goto out;
	}
	irq_feat = vmsg_host_bus_host_features(bus) & (VMSG_PCIE_F_MSIX | VMSG_PCIE_F_MSI);
	if (m == LAT_IRQ && !irq_feat) {
		fprintf(stderr, "vmsg-bench: irq mode: the card or the link offers no "
				"interrupt vector; the host would poll\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (o->msg[MSG_STATUS]) {
		ret = vmsg_host_bus_get_devices(bus, devs, sizeof(devs) / sizeof(devs[0]), &ndev);
		if (!ret && ndev == 0) {
			fprintf(stderr, "vmsg-bench: the card has no device for "
					"GET_DEVICE_STATUS (start it with --rng)\n");
			ret = -ENODEV;
		}
		if (!ret)
			ret = vmsg_host_dev_open(bus, devs[0], &dev);
		if (ret) {
			fprintf(stderr, "vmsg-bench: device: %s\n", vmsg_host_strerror(ret));
			goto out;
		}
	}
	bu_watchdog_disarm();
	if (o->msg[MSG_PING]) {
		ret = run_msg(r, m, MSG_PING, bus, dev, warmup, n, samples);
		if (ret)
			goto out;
	}
	if (o->msg[MSG_STATUS])
		ret = run_msg(r, m, MSG_STATUS, bus, dev, warmup, n, samples);
out:
	bu_watchdog_arm("detach", 30);
	if (dev)
		vmsg_host_dev_close(dev);
	if (bus)
		vmsg_host_bus_destroy(bus);
	vmsg_link_destroy(link);
	bu_watchdog_disarm();
	return ret;
}

static void finish_rows(struct lat_result *r)
{
	int i, j;

	for (i = 0; i < r->nrows; i++) {
		struct lat_row *row = &r->rows[i];
		struct cost_inputs in;

		if (row->baseline)
			continue;
		for (j = 0; j < r->nrows; j++)
			if (r->rows[j].baseline && r->rows[j].mode == row->mode)
				row->base_row = j;
		if (row->base_row < 0)
			continue;
		const struct lat_summary *b = &r->rows[row->base_row].s;

		row->ratio_p50 = b->p50_us > 0 ? row->s.p50_us / b->p50_us : 0.0;
		row->ratio_p99 = b->p99_us > 0 ? row->s.p99_us / b->p99_us : 0.0;
		in = (struct cost_inputs){
		    .irq_mode = row->mode == LAT_IRQ,
		    .vmsg_p50_ns = row->s.p50_us * 1000.0,
		    .baseline_p50_ns = b->p50_us * 1000.0,
		    .efd_write_ns = r->efd_write_ns,
		};
		cost_estimate(&row->ops, &in, &row->est);
	}
}

static int run_all(struct lat_result *r, const struct lat_opts *o, struct card_proc *card)
{
	unsigned int max_n = 0;
	uint64_t *samples;
	int m, ret = 0;

	for (m = LAT_POLL; m <= LAT_IRQ; m++) {
		r->iters[m] = iters_for(o, (enum lat_mode)m);
		r->warmup[m] = warmup_for(o, r->iters[m]);
		r->mode_run[m] = o->mode[m];
		if (o->mode[m] && r->iters[m] > max_n)
			max_n = r->iters[m];
	}
	samples = calloc(max_n, sizeof(*samples));
	if (!samples) {
		fprintf(stderr, "vmsg-bench: no memory for %u samples\n", max_n);
		return -ENOMEM;
	}
	measure_efd_write(&r->efd_write_ns);
	for (m = LAT_POLL; m <= LAT_IRQ && !ret; m++) {
		const char *sock = card ? card->sock_path : NULL,
			   *mem = card ? card->mem_path : NULL;
		char ext_sock[CARD_PATH_MAX];

		if (!o->mode[m])
			continue;
		fprintf(stderr, "vmsg-bench: %s mode: baseline (%u round trips)...\n",
			lat_mode_name((enum lat_mode)m), r->iters[m]);
		ret = run_baseline(r, (enum lat_mode)m, r->warmup[m], r->iters[m], samples);
		if (ret)
			break;
		if (card) {
			bu_watchdog_arm("card start", LAT_CARD_START_MS / 1000u + 10u);
			ret = card_start(card, r->cpu_card, m == LAT_POLL, LAT_CARD_START_MS);
			bu_watchdog_disarm();
			if (ret)
				break;
		} else if (!o->pci) {
			snprintf(ext_sock, sizeof(ext_sock), "%s/ivshmem.sock", o->link);
			sock = ext_sock;
			mem = o->host_mem;
		}
		fprintf(stderr, "vmsg-bench: %s mode: vmsg round trips...\n",
			lat_mode_name((enum lat_mode)m));
		ret =
		    run_vmsg(r, o, (enum lat_mode)m, sock, mem, r->warmup[m], r->iters[m], samples);
		if (card) {
			int st = card_stop(card);

			/* an unclean exit is reported, the numbers taken before it stand */
			if (st > 0)
				fprintf(stderr,
					"vmsg-bench: warning: vmsg-card exited with status %d\n",
					st);
			else if (st < 0)
				fprintf(stderr, "vmsg-bench: %svmsg-card died (signal %d)\n",
					ret ? "" : "warning: ", -st);
			if (ret || st != 0)
				card_log_tail(card);
		}
	}
	free(samples);
	finish_rows(r);
	return ret;
}

/* --pci ADDR|first: the card through vmsg-pci's libpci discovery. "first":
 * the first card bound to vfio-pci, else the first card found (the link
 * then says how to rebind it). */
static int pick_pci(struct lat_opts *o)
{
	static struct vpci_dev devs[32];
	unsigned int n = 0, skipped = 0, i, pick = 0;
	bool unchecked = false, first = !strcmp(o->pci, "first");
	char why[200];

	if (vpci_discover(first ? NULL : o->pci, false, devs, 32, &n, &skipped, &unchecked, why,
			  sizeof(why)) < 0) {
		fprintf(stderr, "vmsg-bench: --pci %s: %s\n", o->pci, why);
		return -EINVAL;
	}
	if (n == 0) {
		fprintf(stderr,
			"vmsg-bench: --pci %s: no virtio-msg card found by libpci%s (vmsg-pci -v "
			"lists what is there)\n",
			o->pci, first ? "" : " at that address");
		return -ENODEV;
	}
	if (first) {
		for (i = 0; i < n; i++)
			if (!strcmp(devs[i].driver, "vfio-pci"))
				break;
		pick = i < n ? i : 0;
	} else if (n > 1) {
		fprintf(stderr, "vmsg-bench: --pci %s matches %u cards: give one address\n", o->pci,
			n);
		return -EINVAL;
	}
	snprintf(o->pci_addr, sizeof(o->pci_addr), "%.15s", devs[pick].addr);
	snprintf(o->pci_label, sizeof(o->pci_label), "pci %.15s (%s, vfio)", devs[pick].addr,
		 devs[pick].kind == VPCI_KIND_EMU ? "emulated link" : "card");
	fprintf(stderr, "vmsg-bench: --pci %s: %s, ids %04x:%04x, driver %s\n", o->pci,
		devs[pick].addr, devs[pick].vendor, devs[pick].device,
		vpci_driver_name(&devs[pick]));
	return 0;
}

int cmd_latency(int argc, char **argv)
{
	static struct lat_result res;
	static struct card_proc card;
	char bin[CARD_PATH_MAX];
	const char *how = NULL;
	struct lat_opts o;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.json && (ret = bu_check_writable(o.json)) < 0) {
		fprintf(stderr, "vmsg-bench: --json %s: %s (checked before the run)\n", o.json,
			strerror(-ret));
		return BENCH_EXIT_FAIL;
	}
	memset(&res, 0, sizeof(res));
	bu_machine_get(&res.machine);
	if (o.cpus_given) {
		res.cpu_host = o.cpu_a;
		res.cpu_card = o.cpu_b;
	} else if (bu_default_cpus(&res.cpu_host, &res.cpu_card) < 0) {
		fprintf(stderr, "vmsg-bench: cannot read this process's CPU affinity\n");
		return BENCH_EXIT_FAIL;
	}
	if (res.cpu_host == res.cpu_card) {
		/* two busy-pollers on one CPU measure the scheduler tick, for ages */
		if (o.mode_given && o.mode[LAT_POLL])
			return bench_usage_error("poll mode needs two CPUs (host and card both "
						 "busy-poll): give --cpus A,B with A != B, or "
						 "--mode irq");
		fprintf(stderr,
			"vmsg-bench: warning: host and card share CPU %d: irq mode "
			"only\n",
			res.cpu_host);
		o.mode[LAT_POLL] = false;
	}
	if (o.pci) {
		ret = pick_pci(&o);
		if (ret)
			return BENCH_EXIT_FAIL;
		res.external_card = true;
		res.link = o.pci_label;
	} else if (!o.link) {
		ret = card_find_binary(o.card, bin, sizeof(bin), &how);
		if (ret)
			return BENCH_EXIT_FAIL;
		res.card_bin = bin;
	} else {
		res.external_card = true;
		res.link = o.link;
	}
	install_signals();
	/* started before pinning, so that it never waits behind a spinning thread */
	ret = bu_watchdog_start(card_emergency_cleanup);
	if (ret) {
		fprintf(stderr, "vmsg-bench: watchdog: %s\n", strerror(-ret));
		return BENCH_EXIT_FAIL;
	}
	ret = bu_pin_self(res.cpu_host);
	if (ret) {
		fprintf(stderr, "vmsg-bench: pin to CPU %d: %s\n", res.cpu_host, strerror(-ret));
		return BENCH_EXIT_FAIL;
	}
	if (o.pci) {
		fprintf(stderr, "vmsg-bench: card at %s, host CPU %d\n", o.pci_label, res.cpu_host);
	} else if (!o.link) {
		if (card_prepare(&card, bin))
			return BENCH_EXIT_FAIL;
		fprintf(stderr, "vmsg-bench: card %s (%s), host CPU %d, card CPU %d\n", bin, how,
			res.cpu_host, res.cpu_card);
	} else {
		fprintf(stderr, "vmsg-bench: external card at %s, host CPU %d\n", o.link,
			res.cpu_host);
	}
	ret = run_all(&res, &o, o.link || o.pci ? NULL : &card);
	if (!o.link && !o.pci)
		card_cleanup(&card);
	if (ret)
		return BENCH_EXIT_FAIL;
	lat_print_table(&res, stdout);
	fflush(stdout);
	if (o.json && lat_write_json(&res, o.json))
		return BENCH_EXIT_FAIL;
	return BENCH_EXIT_OK;
}
