/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg-host-demo - drive every device of a card from the host side in user
 * space, through libvmsg_host: attach, enumerate, initialise each device in
 * the spec's order, then real I/O (blk write + read-back, net loopback
 * frames, rng bytes) and PING round trips. Exits non-zero on any failure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmsg_host_bus.h"
#include "vmsg_host_drivers.h"

#define DEMO_MAX_DEVS	32
#define DEMO_TIMEOUT_MS 5000
#define DEMO_BLK_CHUNK	(64u * 1024u)
#define DEMO_MIB_MAX	1024u
#define DEMO_FRAMES_MAX 1000000u
#define DEMO_EXIT_USAGE 2

struct demo {
	struct vmsg_link *link;
	struct vmsg_host_bus *bus;
	int failures;
};

static const char *const demo_usage =
    "NAME\n"
    "    vmsg-host-demo - exercise a vmsg-pcie card from the host, in user space\n"
    "\n"
    "SYNOPSIS\n"
    "    vmsg-host-demo --link DIR --host-mem FILE [--blk-mib N] [--frames N]\n"
    "    vmsg-host-demo --pci ADDR [--mem-mib N] [--blk-mib N] [--frames N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Connects to a card served by `vmsg-card --platform sim --link DIR\n"
    "    --host-mem FILE`, attaches per the PCIe binding, enumerates the\n"
    "    devices with GET_DEVICES and initialises each in the virtio-msg\n"
    "    order. Then: virtio-blk: writes N MiB of a pattern, reads it back and\n"
    "    compares, flushes; virtio-net (loopback card): sends frames of\n"
    "    varying size and checks each comes back intact and in order;\n"
    "    virtio-rng: reads 32 bytes; the bus: 1000 PINGs, median round trip.\n"
    "\n"
    "OPTIONS\n"
    "    --pci ADDR       instead of --link: the card's PCI function (or the\n"
    "                     emulated link's ivshmem device) bound to vfio-pci,\n"
    "                     e.g. 0000:01:00.0; needs root (docs/vmsg-pci.md)\n"
    "    --mem-mib N      with --pci: host DMA memory in MiB, 2..1024, 2 MiB huge\n"
    "                     pages (8)\n"
    "    --link DIR       the card's link directory (holds ivshmem.sock)\n"
    "    --host-mem FILE  the host memory file the card was given (64 MiB;\n"
    "                     created when absent, and then removed at exit)\n"
    "    --blk-mib N      MiB to write and verify on each blk device, 1..1024 (4)\n"
    "    --frames N       frames to send on each net device, 1..1000000 (1000)\n"
    "    -h, --help       this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 when every check passed, 1 when one failed, no card answers at\n"
    "    DIR or the --pci function cannot be used (the reason is printed: not\n"
    "    bound to vfio-pci, no IOMMU group, no permission, no huge pages...),\n"
    "    2 on bad arguments.\n";

static void demo_fail(struct demo *d, const char *what, int err)
{
	printf("  FAIL %s: %s\n", what, err ? vmsg_host_strerror(err) : "mismatch");
	d->failures++;
}

static double demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void demo_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static void demo_blk(struct demo *d, vmsg_dev_num_t dev, unsigned int mib)
{
	struct vmsg_host_blk *blk;
	uint8_t *buf, *want;
	uint64_t dma;
	int rc = vmsg_host_blk_open(d->bus, dev, 0, &blk);

	if (rc < 0)
		return demo_fail(d, "blk open", rc);
	const struct vmsg_host_blk_info *info = vmsg_host_blk_info(blk);
	uint64_t sectors = (uint64_t)mib * 1024 * 1024 / VMSG_HOST_BLK_SECTOR;

	printf("  blk: %llu sectors (%llu MiB)%s\n", (unsigned long long)info->capacity,
	       (unsigned long long)(info->capacity / 2048), info->read_only ? ", read-only" : "");
	if (info->read_only || info->capacity < sectors) {
		printf("  blk: too small or read-only, I/O skipped\n");
		vmsg_host_blk_close(blk);
		return;
	}
	buf = vmsg_link_alloc(d->link, DEMO_BLK_CHUNK, 4096, &dma);
	want = malloc(DEMO_BLK_CHUNK);
	if (!buf || !want) {
		demo_fail(d, "blk buffers", -12);
		goto out;
	}
	double t0 = demo_now();
	uint32_t per = DEMO_BLK_CHUNK / VMSG_HOST_BLK_SECTOR;

	for (uint64_t s = 0; s < sectors && rc >= 0; s += per) {
		demo_fill(buf, DEMO_BLK_CHUNK, (uint32_t)s);
		rc = vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, s, buf, DEMO_BLK_CHUNK,
				      DEMO_TIMEOUT_MS);
	}
	if (rc == 0)
		rc = vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_FLUSH, 0, NULL, 0, DEMO_TIMEOUT_MS);
	double t1 = demo_now();

	for (uint64_t s = 0; s < sectors && rc == 0; s += per) {
		rc = vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, s, buf, DEMO_BLK_CHUNK,
				      DEMO_TIMEOUT_MS);
		demo_fill(want, DEMO_BLK_CHUNK, (uint32_t)s);
		if (rc == 0 && memcmp(buf, want, DEMO_BLK_CHUNK) != 0) {
			demo_fail(d, "blk read-back", 0);
			goto out;
		}
	}
	double t2 = demo_now();

	if (rc != 0) {
		demo_fail(d, "blk I/O", rc < 0 ? rc : -5);
		goto out;
	}
	printf("  blk: wrote %u MiB + flush in %.2f s, read back and verified in %.2f s: OK\n", mib,
	       t1 - t0, t2 - t1);
out:
	free(want);
	vmsg_link_free(d->link, buf);
	vmsg_host_blk_close(blk);
}

static int demo_net_recv(struct vmsg_host_net *net, uint8_t *got, uint32_t *len)
{
	for (int tries = 0; tries < 100; tries++) {
		int rc = vmsg_host_net_rx(net, got, VMSG_HOST_NET_MAX_FRAME, len);

		if (rc != 0)
			return rc;
		vmsg_host_net_tx_reclaim(net);
		vmsg_host_net_wait(net, 50);
	}
	return -110;
}

static void demo_net(struct demo *d, vmsg_dev_num_t dev, unsigned int frames)
{
	struct vmsg_host_net *net;
	uint8_t frame[VMSG_HOST_NET_MAX_FRAME], got[VMSG_HOST_NET_MAX_FRAME];
	int rc = vmsg_host_net_open(d->bus, dev, 0, &net);

	if (rc < 0)
		return demo_fail(d, "net open", rc);
	const uint8_t *mac = vmsg_host_net_mac(net);

	printf("  net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4],
	       mac[5]);
	double t0 = demo_now();
	unsigned int i;

	for (i = 0; i < frames; i++) {
		uint32_t len = 60 + (i * 97u) % 1455u, glen = 0;

		demo_fill(frame, len, i);
		while ((rc = vmsg_host_net_tx(net, frame, len)) == -11)
			vmsg_host_net_tx_reclaim(net);
		if (rc == 0)
			rc = vmsg_host_net_tx_kick(net);
		if (rc == 0)
			rc = demo_net_recv(net, got, &glen);
		if (rc < 0) {
			demo_fail(d, "net loopback", rc);
			break;
		}
		if (glen != len || memcmp(frame, got, len) != 0) {
			demo_fail(d, "net frame content/order", 0);
			break;
		}
		vmsg_host_net_rx_kick(net);
	}
	if (i == frames)
		printf("  net: %u frames (60..1514 bytes) looped back intact and in order in "
		       "%.2f s: OK\n",
		       frames, demo_now() - t0);
	vmsg_host_net_close(net);
}

static void demo_rng(struct demo *d, vmsg_dev_num_t dev)
{
	struct vmsg_host_rng *rng;
	uint8_t buf[32];
	int rc = vmsg_host_rng_open(d->bus, dev, &rng);

	if (rc < 0)
		return demo_fail(d, "rng open", rc);
	rc = vmsg_host_rng_read(rng, buf, sizeof(buf), DEMO_TIMEOUT_MS);
	if (rc <= 0) {
		demo_fail(d, "rng read", rc ? rc : -5);
	} else {
		printf("  rng: %d bytes: ", rc);
		for (int i = 0; i < rc; i++)
			printf("%02x", buf[i]);
		printf(": OK\n");
	}
	vmsg_host_rng_close(rng);
}

static void demo_console(struct demo *d, vmsg_dev_num_t dev)
{
	struct vmsg_host_dev *h;
	int rc = vmsg_host_dev_open(d->bus, dev, &h);

	if (rc < 0)
		return demo_fail(d, "console open", rc);
	const struct vmsg_device_info *info = vmsg_host_dev_info(h);

	printf("  console: %u queues, config %u bytes (GET_DEVICE_INFO): OK\n",
	       info->max_virtqueues, info->config_size);
	vmsg_host_dev_close(h);
}

static const char *demo_type(uint32_t id)
{
	switch (id) {
	case VMSG_HOST_VIRTIO_ID_NET:
		return "net";
	case VMSG_HOST_VIRTIO_ID_BLK:
		return "blk";
	case VMSG_HOST_VIRTIO_ID_CONSOLE:
		return "console";
	case VMSG_HOST_VIRTIO_ID_RNG:
		return "rng";
	default:
		return "other";
	}
}

static uint32_t demo_device_id(struct demo *d, vmsg_dev_num_t dev)
{
	struct vmsg_host_dev *h;
	uint32_t id;

	if (vmsg_host_dev_open(d->bus, dev, &h) < 0)
		return 0;
	id = vmsg_host_dev_info(h)->device_id;
	vmsg_host_dev_close(h);
	return id;
}

static void demo_ping(struct demo *d)
{
	enum { N = 1000 };
	static uint64_t rtt[N];
	int rc = 0;

	for (int i = 0; i < N && rc == 0; i++)
		rc = vmsg_host_bus_ping(d->bus, &rtt[i]);
	if (rc != 0)
		return demo_fail(d, "ping", rc);
	for (int i = 1; i < N; i++)
		for (int j = i; j > 0 && rtt[j - 1] > rtt[j]; j--) {
			uint64_t t = rtt[j];

			rtt[j] = rtt[j - 1];
			rtt[j - 1] = t;
		}
	printf("bus: %d PINGs, round trip p50 %.1f us, p99 %.1f us (interrupt mode)\n", N,
	       (double)rtt[N / 2] / 1e3, (double)rtt[N * 99 / 100] / 1e3);
}

static int demo_run(struct demo *d, const char *sock, unsigned int mib, unsigned int frames)
{
	vmsg_dev_num_t devs[DEMO_MAX_DEVS];
	size_t n = 0;
	int rc = vmsg_host_bus_attach(d->bus);

	if (rc < 0) {
		uint32_t ae = vmsg_host_bus_attach_error(d->bus);

		/* The card's word only when it refused the ATTACH. */
		if (ae != VMSG_ATTACH_OK)
			printf("attach failed: %s (the card refused it: %s)\n",
			       vmsg_host_strerror(rc), vmsg_host_attach_error_str(ae));
		else if (rc == -ETIMEDOUT)
			printf("attach failed: %s: no answer on %s (is vmsg-card running for "
			       "this --link? a crashed card leaves its socket behind)\n",
			       vmsg_host_strerror(rc), sock);
		else
			printf("attach failed: %s\n", vmsg_host_strerror(rc));
		return 1;
	}
	printf("attached: epoch 0x%08x, max message %u bytes, binding features 0x%x\n",
	       vmsg_host_bus_epoch(d->bus), vmsg_host_bus_max_msg_size(d->bus),
	       vmsg_host_bus_host_features(d->bus));
	rc = vmsg_host_bus_get_devices(d->bus, devs, DEMO_MAX_DEVS, &n);
	if (rc < 0) {
		demo_fail(d, "GET_DEVICES", rc);
		return 1;
	}
	printf("GET_DEVICES: %zu device(s)\n", n);
	for (size_t i = 0; i < n && i < DEMO_MAX_DEVS; i++) {
		uint32_t id = demo_device_id(d, devs[i]);

		printf("device %u: virtio %s (id %u)\n", devs[i], demo_type(id), id);
		if (id == VMSG_HOST_VIRTIO_ID_BLK)
			demo_blk(d, devs[i], mib);
		else if (id == VMSG_HOST_VIRTIO_ID_NET)
			demo_net(d, devs[i], frames);
		else if (id == VMSG_HOST_VIRTIO_ID_RNG)
			demo_rng(d, devs[i]);
		else if (id == VMSG_HOST_VIRTIO_ID_CONSOLE)
			demo_console(d, devs[i]);
	}
	demo_ping(d);
	struct vmsg_host_bus_stats st;

	vmsg_host_bus_get_stats(d->bus, &st);
	printf("host bus: %llu messages sent, %llu received, %llu malformed, %llu timeouts\n",
	       (unsigned long long)st.tx_msgs, (unsigned long long)st.rx_msgs,
	       (unsigned long long)st.rx_malformed, (unsigned long long)st.timeouts);
	vmsg_host_bus_detach(d->bus);
	return d->failures ? 1 : 0;
}

/* A whole decimal number in [min, max], or a message naming the option. */
static int demo_parse_uint(const char *opt, const char *arg, unsigned long min, unsigned long max,
			   unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	/* strtoul takes "-1" (as ULONG_MAX) and leading spaces: refuse them. */
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "vmsg-host-demo: %s '%s': expected a whole number %lu..%lu\n", opt,
			arg, min, max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

/* Say plainly when no card serves DIR, instead of waiting for the connect
 * timeout and blaming the card. Only looks: a probe connection would make
 * the card see a host come and go. */
static int demo_check_card(const char *link_dir, const char *sock)
{
	struct stat st;

	if (stat(link_dir, &st) < 0) {
		fprintf(stderr, "vmsg-host-demo: --link %s: %s\n", link_dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmsg-host-demo: --link %s: not a directory\n", link_dir);
		return -1;
	}
	if (stat(sock, &st) < 0) {
		fprintf(stderr,
			"vmsg-host-demo: no card at %s: %s does not exist (start one first: "
			"vmsg-card --platform sim --link %s ...)\n",
			link_dir, sock, link_dir);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vmsg-host-demo: no card at %s: %s is not a socket\n", link_dir,
			sock);
		return -1;
	}
	return 0;
}

/* The card through the vfio link (--pci). */
static int demo_pci(const char *addr, unsigned int mem_mib, unsigned int mib, unsigned int frames)
{
	struct vmsg_link_vfio_params lp = {.pci_addr = addr, .mem_size = (size_t)mem_mib << 20};
	struct vmsg_host_bus_opts bo = {0};
	struct demo d = {0};
	int rc = vmsg_link_vfio_create(&lp, &d.link);

	if (rc < 0) {
		/* the link said why on stderr; errno's own name, not the bus's reading */
		fprintf(stderr, "vmsg-host-demo: --pci %s: %s\n", addr, strerror(-rc));
		return 1;
	}
	rc = vmsg_host_bus_create(d.link, &bo, &d.bus);
	if (rc < 0) {
		fprintf(stderr, "vmsg-host-demo: bus: %s\n", vmsg_host_strerror(rc));
		d.link->ops->destroy(d.link);
		return 1;
	}
	rc = demo_run(&d, addr, mib, frames);
	vmsg_host_bus_destroy(d.bus);
	d.link->ops->destroy(d.link);
	printf("%s\n", rc ? "vmsg-host-demo: FAILED" : "vmsg-host-demo: all checks passed");
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"link", required_argument, NULL, 'l'},    {"host-mem", required_argument, NULL, 'm'},
	    {"blk-mib", required_argument, NULL, 'b'}, {"frames", required_argument, NULL, 'f'},
	    {"pci", required_argument, NULL, 'p'},     {"mem-mib", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0}};
	const char *link_dir = NULL, *mem = NULL, *pci = NULL;
	unsigned int mib = 4, frames = 1000, mem_mib = 8;
	bool mem_created;
	struct stat st;
	char sock[4096];
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			link_dir = optarg;
			break;
		case 'm':
			mem = optarg;
			break;
		case 'p':
			pci = optarg;
			break;
		case 'M':
			if (demo_parse_uint("--mem-mib", optarg, 2, 1024, &mem_mib) < 0)
				return DEMO_EXIT_USAGE;
			break;
		case 'b':
			if (demo_parse_uint("--blk-mib", optarg, 1, DEMO_MIB_MAX, &mib) < 0)
				return DEMO_EXIT_USAGE;
			break;
		case 'f':
			if (demo_parse_uint("--frames", optarg, 1, DEMO_FRAMES_MAX, &frames) < 0)
				return DEMO_EXIT_USAGE;
			break;
		case 'h':
			fputs(demo_usage, stdout);
			return 0;
		default:
			fputs("vmsg-host-demo: see --help\n", stderr);
			return DEMO_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmsg-host-demo: unexpected argument '%s'; see --help\n",
			argv[optind]);
		return DEMO_EXIT_USAGE;
	}
	if (pci) {
		if (link_dir || mem) {
			fprintf(stderr, "vmsg-host-demo: --pci and --link/--host-mem exclude each "
					"other; see --help\n");
			return DEMO_EXIT_USAGE;
		}
		return demo_pci(pci, mem_mib, mib, frames);
	}
	if (!link_dir || !mem) {
		fprintf(stderr, "vmsg-host-demo: %s is required; see --help\n",
			!link_dir ? "--link DIR" : "--host-mem FILE");
		return DEMO_EXIT_USAGE;
	}
	if ((size_t)snprintf(sock, sizeof(sock), "%s/ivshmem.sock", link_dir) >= sizeof(sock)) {
		fprintf(stderr, "vmsg-host-demo: --link '%s': path too long\n", link_dir);
		return DEMO_EXIT_USAGE;
	}
	if (demo_check_card(link_dir, sock) < 0)
		return 1;

	struct demo d = {0};
	struct vmsg_link_sim_params lp = {.sock_path = sock, .mem_path = mem};
	struct vmsg_host_bus_opts bo = {0};
	int rc;

	mem_created = stat(mem, &st) < 0 && errno == ENOENT;
	rc = vmsg_link_sim_create(&lp, &d.link);
	if (rc < 0) {
		fprintf(stderr, "vmsg-host-demo: --host-mem %s: %s\n", mem, vmsg_host_strerror(rc));
		if (mem_created)
			unlink(mem);
		return 1;
	}
	rc = vmsg_host_bus_create(d.link, &bo, &d.bus);
	if (rc < 0) {
		fprintf(stderr, "vmsg-host-demo: bus: %s\n", vmsg_host_strerror(rc));
		d.link->ops->destroy(d.link);
	} else {
		rc = demo_run(&d, sock, mib, frames);
		vmsg_host_bus_destroy(d.bus);
		d.link->ops->destroy(d.link);
		printf("%s\n", rc ? "vmsg-host-demo: FAILED" : "vmsg-host-demo: all checks passed");
	}
	/* The file was ours: do not leave 64 MiB behind. */
	if (mem_created && unlink(mem) < 0)
		fprintf(stderr, "vmsg-host-demo: cannot remove %s: %s\n", mem, strerror(errno));
	return rc ? 1 : 0;
}
