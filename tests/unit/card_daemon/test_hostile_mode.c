// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_hostile_mode.c - `vmsg-card --hostile all --hostile-rate 1` against
 * the user-space host library (userspace_pmd/lib).
 *
 * The card (platform sim, a loopback NIC and a disk) attacks its host every
 * millisecond with every mode of hostile.h while the host attaches, brings
 * up virtio-blk and virtio-net and then, for ATTACK_MS, writes and reads
 * back disk blocks (checksums), loops frames back and PINGs. The host must
 * lose nothing (no error, no timeout, no wrong byte, link still RUN) and
 * must have counted what it dropped: rx_malformed, rx_stale_epoch,
 * rx_bad_slot, rx_unsolicited, rx_unknown_dev. Then the liveness tick runs
 * under fire (its PINGs answered, nothing missed). The card must have
 * injected every mode (`ctl stats`, hostile.<mode>) and exit 0 on SIGTERM.
 * Last, two checks of the library found with this test: [SEC-H-3] bounds
 * of what reaches the event callback, and explicit PINGs mixed with the
 * liveness tick (not an attack: fails with a peaceful card too).
 *
 * A failure here is a host library finding unless the card log says
 * otherwise: the messages name the library counter or call at fault.
 * argv[1]: the vmsg-card binary; argv[2] "poll": host in polling mode.
 * VMSG_TEST_KEEP=1 keeps the directory and the card log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "daemon_harness.h"
#include "vmsg_host_bus.h"
#include "vmsg_host_dev.h"
#include "vmsg_host_drivers.h"

#define ATTACK_MS     3000
#define MEM_SIZE      (64u << 20)
#define DISK_SIZE     (4u << 20)
#define DISK_SECTORS  (DISK_SIZE / 512u)
#define IO_MAX	      (16u * 512u)
#define IO_TIMEOUT_MS 5000
#define LIVENESS_MS   1500 /* three liveness PING intervals */
#define NET_WINDOW    32u
#define DEV_NET	      1
#define DEV_BLK	      2
#define ALL_MODES     "garbage badsize badid badtoken badevent stale badslot badindex"

static struct {
	bool poll_mode;
	char dir[128], link[192], sock[256], mem[192], disk[192], log[192];
	pid_t pid;
	struct vmsg_link *lk;
	struct vmsg_host_bus *bus;
	struct vmsg_host_blk *blk;
	struct vmsg_host_net *net;
	uint8_t *io_out, *io_in; /* host DMA memory */
	uint8_t shadow[DISK_SIZE];
	uint64_t seed;
	/* what happened during the attack */
	uint64_t blk_ios, frames, pings, bytes;
	struct vmsg_host_bus_stats after; /* at the end of the attack phases */
	/* events handed to the application ([SEC-H-3]: checked values only) */
	uint64_t ev_used, ev_used_bad_vq, ev_config, ev_config_bad_range, ev_ready, ev_removed;
	uint32_t net_queues, blk_queues, net_cfg, blk_cfg;
	uint32_t last_bad_vq, last_bad_off, last_bad_len;
	vmsg_dev_num_t last_bad_dev;
	char stats[65536];
} T;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rnd(void)
{
	uint64_t x = T.seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	T.seed = x;
	return x;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void make_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void dump_log(void)
{
	char buf[8192];
	FILE *f = fopen(T.log, "r");
	long sz;
	size_t n;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "---- card log (tail) ----\n%s---- end of card log ----\n", buf);
}

/* A check with a reason naming the library call or counter at fault. */
#define LIB_CHECK(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "HOST LIBRARY FINDING: ");                                 \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			dump_log();                                                                \
			fail_msg("%s", #cond);                                                     \
		}                                                                                  \
	} while (0)

static void on_event(void *arg, const struct vmsg_host_event *ev)
{
	uint32_t nq = 0, cs = 0;
	bool known = true;

	(void)arg;
	if (ev->dev_num == DEV_NET) {
		nq = T.net_queues;
		cs = T.net_cfg;
	} else if (ev->dev_num == DEV_BLK) {
		nq = T.blk_queues;
		cs = T.blk_cfg;
	} else {
		known = false;
	}
	switch (ev->kind) {
	case VMSG_HOST_EV_USED:
		T.ev_used++;
		if (known && nq && ev->vq >= nq) {
			T.ev_used_bad_vq++;
			T.last_bad_vq = ev->vq;
			T.last_bad_dev = ev->dev_num;
		}
		break;
	case VMSG_HOST_EV_CONFIG:
		T.ev_config++;
		if (known && cs && (uint64_t)ev->offset + ev->length > cs) {
			T.ev_config_bad_range++;
			T.last_bad_off = ev->offset;
			T.last_bad_len = ev->length;
			T.last_bad_dev = ev->dev_num;
		}
		break;
	case VMSG_HOST_EV_DEVICE_READY:
		T.ev_ready++;
		break;
	case VMSG_HOST_EV_DEVICE_REMOVED:
		T.ev_removed++;
		break;
	default:
		break;
	}
}

static int ctl(const char *cmd, char *out, size_t len)
{
	const char *args[] = {"ctl", "--link", T.link, cmd, NULL};
	static struct h_run r;

	h_run_card(&r, args);
	snprintf(out, len, "%s", r.out);
	return r.status;
}

static long long stat_of(const char *stats, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = stats; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoll(l + kl + 1, NULL, 0);
	return -1;
}

static int group_setup(void **state)
{
	const char *rate = getenv("VMSG_TEST_HOSTILE_RATE");
	const char *modes = getenv("VMSG_TEST_HOSTILE_MODES"); /* "none": a peaceful card */
	struct vmsg_link_sim_params lp = {0};
	struct vmsg_host_bus_opts bo = {0};
	const char *args[24];
	int n = 0, ret;

	(void)state;
	T.seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	h_mkdtemp(T.dir, sizeof(T.dir));
	snprintf(T.link, sizeof(T.link), "%s/link", T.dir);
	snprintf(T.sock, sizeof(T.sock), "%s/ivshmem.sock", T.link);
	snprintf(T.mem, sizeof(T.mem), "%s/host-mem", T.dir);
	snprintf(T.disk, sizeof(T.disk), "%s/disk.img", T.dir);
	snprintf(T.log, sizeof(T.log), "%s/card.log", T.dir);
	make_file(T.mem, MEM_SIZE);
	make_file(T.disk, DISK_SIZE); /* zeros: the shadow starts zeroed too */

	args[n++] = "--platform";
	args[n++] = "sim";
	args[n++] = "--link";
	args[n++] = T.link;
	args[n++] = "--host-mem";
	args[n++] = T.mem;
	args[n++] = "--net";
	args[n++] = "loopback";
	args[n++] = "--blk";
	args[n++] = T.disk;
	if (!modes || strcmp(modes, "none")) {
		args[n++] = "--hostile";
		args[n++] = modes && *modes ? modes : "all";
		args[n++] = "--hostile-rate";
		args[n++] = rate && *rate ? rate : "1";
	}
	args[n] = NULL;
	T.pid = h_spawn_card(args, T.log);
	assert_true(T.pid > 0);
	if (!h_wait_path(T.sock, H_TIMEOUT_MS)) {
		dump_log();
		fail_msg("vmsg-card --hostile did not come up");
	}

	lp.sock_path = T.sock;
	lp.mem_path = T.mem;
	lp.mem_size = MEM_SIZE;
	lp.quiet = true;
	assert_int_equal(vmsg_link_sim_create(&lp, &T.lk), 0);
	bo.poll_mode = T.poll_mode;
	bo.event_cb = on_event;
	bo.quiet = true;
	assert_int_equal(vmsg_host_bus_create(T.lk, &bo, &T.bus), 0);
	/* attach, GET_DEVICES and both drivers' init already run under fire */
	ret = vmsg_host_bus_attach(T.bus);
	LIB_CHECK(ret == 0, "vmsg_host_bus_attach under attack: %s (attach_error %s)",
		  vmsg_host_strerror(ret),
		  vmsg_host_attach_error_str(vmsg_host_bus_attach_error(T.bus)));
	ret = vmsg_host_net_open(T.bus, DEV_NET, 64, &T.net);
	LIB_CHECK(ret == 0, "vmsg_host_net_open under attack: %s", vmsg_host_strerror(ret));
	ret = vmsg_host_blk_open(T.bus, DEV_BLK, 0, &T.blk);
	LIB_CHECK(ret == 0, "vmsg_host_blk_open under attack: %s", vmsg_host_strerror(ret));
	T.net_queues = vmsg_host_dev_info(vmsg_host_net_dev(T.net))->max_virtqueues;
	T.net_cfg = vmsg_host_dev_info(vmsg_host_net_dev(T.net))->config_size;
	T.blk_queues = vmsg_host_dev_info(vmsg_host_blk_dev(T.blk))->max_virtqueues;
	T.blk_cfg = vmsg_host_dev_info(vmsg_host_blk_dev(T.blk))->config_size;
	assert_true(vmsg_host_blk_info(T.blk)->capacity >= DISK_SECTORS);
	T.io_out = vmsg_link_alloc(T.lk, IO_MAX, 4096, &(uint64_t){0});
	T.io_in = vmsg_link_alloc(T.lk, IO_MAX, 4096, &(uint64_t){0});
	assert_non_null(T.io_out);
	assert_non_null(T.io_in);
	return 0;
}

static int group_teardown(void **state)
{
	int st = -1;

	(void)state;
	if (T.net)
		vmsg_host_net_close(T.net);
	if (T.blk)
		vmsg_host_blk_close(T.blk);
	if (T.lk) {
		vmsg_link_free(T.lk, T.io_out);
		vmsg_link_free(T.lk, T.io_in);
	}
	vmsg_host_bus_destroy(T.bus);
	vmsg_link_destroy(T.lk);
	if (T.pid > 0) {
		kill(T.pid, SIGTERM);
		if (h_wait_exit(T.pid, H_TIMEOUT_MS, &st) < 0) {
			kill(T.pid, SIGKILL);
			h_wait_exit(T.pid, H_TIMEOUT_MS, &st);
			st = -1;
		}
	}
	if (st != 0)
		dump_log();
	if (!getenv("VMSG_TEST_KEEP"))
		h_rm_tree(T.dir);
	else
		fprintf(stderr, "kept %s\n", T.dir);
	if (st != 0) {
		fprintf(stderr, "vmsg-card --hostile did not exit 0 on SIGTERM (status %d)\n", st);
		return -1;
	}
	return 0;
}

/* ---- the traffic under attack ---- */

static void blk_round(void)
{
	uint32_t len = 512u * (1u + (uint32_t)(rnd() % (IO_MAX / 512u)));
	uint64_t sector = rnd() % (DISK_SECTORS - len / 512u + 1u);
	uint64_t want;
	int r;

	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = rnd();

		memcpy(T.io_out + i, &v, 8);
	}
	memcpy(T.shadow + sector * 512u, T.io_out, len);
	r = vmsg_host_blk_io(T.blk, VMSG_HOST_BLK_T_OUT, sector, T.io_out, len, IO_TIMEOUT_MS);
	LIB_CHECK(r == VMSG_HOST_BLK_S_OK, "blk write of %u bytes at sector %llu: %d (%s)", len,
		  (unsigned long long)sector, r, r < 0 ? vmsg_host_strerror(r) : "blk status");
	memset(T.io_in, 0xa5, len);
	r = vmsg_host_blk_io(T.blk, VMSG_HOST_BLK_T_IN, sector, T.io_in, len, IO_TIMEOUT_MS);
	LIB_CHECK(r == VMSG_HOST_BLK_S_OK, "blk read of %u bytes at sector %llu: %d (%s)", len,
		  (unsigned long long)sector, r, r < 0 ? vmsg_host_strerror(r) : "blk status");
	want = fnv(T.shadow + sector * 512u, len);
	LIB_CHECK(fnv(T.io_in, len) == want,
		  "blk read-back at sector %llu (%u bytes): checksum %#llx, "
		  "wrote %#llx",
		  (unsigned long long)sector, len, (unsigned long long)fnv(T.io_in, len),
		  (unsigned long long)want);
	T.blk_ios += 2;
	T.bytes += 2u * len;
}

static uint32_t frame_len(uint64_t seq)
{
	return 60u + (uint32_t)((seq * 0x9e3779b97f4a7c15ull >> 40) % (1514u - 60u + 1u));
}

static void frame_fill(uint8_t *f, uint64_t seq, uint32_t len)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\0\0\0\0\1", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, &seq, 8);
	for (uint32_t i = 22; i < len; i++)
		f[i] = (uint8_t)(seq * 31u + i * 7u);
}

/* Send a batch of frames and get every one back, in order, intact. */
static void net_round(uint64_t *seq)
{
	uint8_t tx[2048], rx[2048], want[2048];
	uint64_t first = *seq, sent = first, got = first, deadline = now_ms() + IO_TIMEOUT_MS;
	uint32_t batch = 1u + (uint32_t)(rnd() % NET_WINDOW), len;
	int r;

	while (got < first + batch) {
		bool kick = false;

		while (sent < first + batch) {
			len = frame_len(sent);
			frame_fill(tx, sent, len);
			r = vmsg_host_net_tx(T.net, tx, len);
			if (r == -EAGAIN)
				break;
			LIB_CHECK(r == 0, "net tx: %s", vmsg_host_strerror(r));
			sent++;
			kick = true;
		}
		if (kick) {
			r = vmsg_host_net_tx_kick(T.net);
			LIB_CHECK(r >= 0, "net tx kick: %s", vmsg_host_strerror(r));
		}
		while ((r = vmsg_host_net_rx(T.net, rx, sizeof(rx), &len)) == 1) {
			uint64_t s;

			memcpy(&s, rx + 14, 8);
			LIB_CHECK(s == got, "net: frame %llu arrived when %llu was expected",
				  (unsigned long long)s, (unsigned long long)got);
			LIB_CHECK(len == frame_len(got), "net: frame %llu is %u bytes, sent %u",
				  (unsigned long long)got, len, frame_len(got));
			frame_fill(want, got, len);
			LIB_CHECK(!memcmp(rx, want, len), "net: frame %llu corrupted",
				  (unsigned long long)got);
			got++;
			T.bytes += len;
		}
		LIB_CHECK(r == 0, "net rx: %s", vmsg_host_strerror(r));
		r = vmsg_host_net_rx_kick(T.net);
		LIB_CHECK(r >= 0, "net rx kick: %s", vmsg_host_strerror(r));
		vmsg_host_net_tx_reclaim(T.net);
		if (got < first + batch) {
			r = vmsg_host_net_wait(T.net, 50);
			LIB_CHECK(r >= 0, "net wait: %s", vmsg_host_strerror(r));
		}
		LIB_CHECK(now_ms() < deadline,
			  "net: frames %llu..%llu not back after %d ms (got %llu)",
			  (unsigned long long)first, (unsigned long long)(first + batch - 1),
			  IO_TIMEOUT_MS, (unsigned long long)got);
	}
	T.frames += batch;
	*seq = got;
}

static void test_io_under_attack(void **state)
{
	uint64_t t0 = now_ms(), seq = 0, rtt;
	enum vmsg_host_state st;
	int r;

	(void)state;
	while (now_ms() - t0 < ATTACK_MS) {
		blk_round();
		net_round(&seq);
		r = vmsg_host_bus_ping(T.bus, &rtt);
		LIB_CHECK(r == 0, "PING under attack: %s", vmsg_host_strerror(r));
		T.pings++;
		/* no liveness tick here: see test_ping_with_liveness */
		st = vmsg_host_bus_state(T.bus);
		LIB_CHECK(st == VMSG_HOST_RUN, "link %s under attack (the card is alive)",
			  vmsg_host_state_str(st));
	}
	/* the whole disk as the host wrote it, read in big pieces */
	for (uint64_t s = 0; s < DISK_SECTORS; s += IO_MAX / 512u) {
		r = vmsg_host_blk_io(T.blk, VMSG_HOST_BLK_T_IN, s, T.io_in, IO_MAX, IO_TIMEOUT_MS);
		LIB_CHECK(r == VMSG_HOST_BLK_S_OK, "final read at sector %llu: %d",
			  (unsigned long long)s, r);
		LIB_CHECK(!memcmp(T.io_in, T.shadow + s * 512u, IO_MAX),
			  "final read at sector %llu differs from what was written",
			  (unsigned long long)s);
	}
	fprintf(stderr, "under attack for %d ms: %llu blk I/Os, %llu frames, %llu PINGs, %.1f MB\n",
		ATTACK_MS, (unsigned long long)T.blk_ios, (unsigned long long)T.frames,
		(unsigned long long)T.pings, (double)T.bytes / 1e6);
	assert_true(T.blk_ios > 0 && T.frames > 0 && T.pings > 0);
}

/* The liveness tick alone (PING every interval, link checks) under fire. */
static void test_liveness_under_attack(void **state)
{
	struct vmsg_host_bus_stats s0, s1;
	uint64_t t0 = now_ms();
	enum vmsg_host_state st;

	(void)state;
	vmsg_host_bus_get_stats(T.bus, &s0);
	while (now_ms() - t0 < LIVENESS_MS) {
		st = vmsg_host_bus_liveness(T.bus);
		LIB_CHECK(st == VMSG_HOST_RUN, "liveness under attack: link %s",
			  vmsg_host_state_str(st));
		vmsg_host_bus_wait(T.bus, 10);
	}
	vmsg_host_bus_get_stats(T.bus, &s1);
	fprintf(stderr, "liveness: %llu PINGs sent, %llu missed\n",
		(unsigned long long)(s1.pings_sent - s0.pings_sent),
		(unsigned long long)(s1.pings_missed - s0.pings_missed));
	LIB_CHECK(s1.pings_sent > s0.pings_sent, "the liveness tick sent no PING in %d ms",
		  LIVENESS_MS);
	LIB_CHECK(s1.pings_missed == s0.pings_missed, "liveness PINGs missed under attack");
	T.after = s1;
}

static void test_host_counted_drops(void **state)
{
	struct vmsg_host_bus_stats s = T.after;

	(void)state;
	fprintf(stderr,
		"host: rx %llu, malformed %llu, bad_slot %llu, stale_epoch %llu, unsolicited %llu, "
		"mismatch %llu, out_of_order %llu, unknown_dev %llu, bus_errors %llu, events %llu, "
		"timeouts %llu, link_downs %llu, events_dropped %llu\n",
		(unsigned long long)s.rx_msgs, (unsigned long long)s.rx_malformed,
		(unsigned long long)s.rx_bad_slot, (unsigned long long)s.rx_stale_epoch,
		(unsigned long long)s.rx_unsolicited, (unsigned long long)s.rx_mismatch,
		(unsigned long long)s.rx_out_of_order, (unsigned long long)s.rx_unknown_dev,
		(unsigned long long)s.rx_bus_errors, (unsigned long long)s.rx_events,
		(unsigned long long)s.timeouts, (unsigned long long)s.link_downs,
		(unsigned long long)s.events_dropped);
	LIB_CHECK(s.rx_malformed > 0, "rx_malformed is 0: garbage/badsize/badid not counted");
	LIB_CHECK(s.rx_stale_epoch > 0, "rx_stale_epoch is 0: stale slots not counted");
	LIB_CHECK(s.rx_bad_slot > 0, "rx_bad_slot is 0: badslot/badindex not counted");
	LIB_CHECK(s.rx_unsolicited > 0, "rx_unsolicited is 0: badtoken not counted");
	LIB_CHECK(s.rx_unknown_dev > 0, "rx_unknown_dev is 0: events for absent devices");
	/* nothing the card injects may match a request: a match would be a
	 * completed request with a foreign answer */
	LIB_CHECK(s.rx_mismatch == 0, "rx_mismatch %llu: a hostile response matched a request",
		  (unsigned long long)s.rx_mismatch);
	LIB_CHECK(s.rx_bus_errors == 0, "rx_bus_errors %llu: a hostile ERROR completed a request",
		  (unsigned long long)s.rx_bus_errors);
	LIB_CHECK(s.timeouts == 0, "%llu request timeouts under attack",
		  (unsigned long long)s.timeouts);
	LIB_CHECK(s.link_downs == 0 && s.peer_dead == 0, "link went down under attack");
	LIB_CHECK(vmsg_host_bus_device_present(T.bus, DEV_NET) &&
		      vmsg_host_bus_device_present(T.bus, DEV_BLK),
		  "a real device was taken for removed");
	LIB_CHECK(vmsg_host_dev_error(vmsg_host_blk_dev(T.blk)) == 0 &&
		      vmsg_host_dev_error(vmsg_host_net_dev(T.net)) == 0,
		  "a device handle failed under attack");
	LIB_CHECK(!vmsg_host_dev_needs_reset(vmsg_host_blk_dev(T.blk)) &&
		      !vmsg_host_dev_needs_reset(vmsg_host_net_dev(T.net)),
		  "a stale or malformed NEEDS_RESET was believed");
}

static void test_card_counted_attacks(void **state)
{
	char key[64], modes[] = ALL_MODES;
	long long n;

	(void)state;
	assert_int_equal(ctl("stats", T.stats, sizeof(T.stats)), 0);
	fprintf(stderr, "card: %s", strstr(T.stats, "hostile.") ? strstr(T.stats, "hostile.") : "");
	assert_true(strstr(T.stats, "link_state RUN") != NULL);
	for (char *m = strtok(modes, " "); m; m = strtok(NULL, " ")) {
		snprintf(key, sizeof(key), "hostile.%s", m);
		n = stat_of(T.stats, key);
		if (n <= 0)
			fail_msg("%s %lld: the card never injected that mode", key, n);
	}
	/* the card's own traffic never overflowed (no device got NEEDS_RESET) */
	assert_int_equal(stat_of(T.stats, "pending_overflow"), 0);
}

/* [SEC-H-3]: the host checks EVENT_USED queue indices and EVENT_CONFIG
 * ranges against its own bounds before it uses them. The card sends both
 * for present devices (badevent); what reaches the application must be in
 * range. */
static void test_event_used_vq_checked(void **state)
{
	(void)state;
	fprintf(stderr,
		"events to the application: USED %llu (bad vq %llu), CONFIG %llu (bad "
		"range %llu), READY %llu, REMOVED %llu\n",
		(unsigned long long)T.ev_used, (unsigned long long)T.ev_used_bad_vq,
		(unsigned long long)T.ev_config, (unsigned long long)T.ev_config_bad_range,
		(unsigned long long)T.ev_ready, (unsigned long long)T.ev_removed);
	LIB_CHECK(T.ev_used_bad_vq == 0,
		  "[SEC-H-3] %llu EVENT_USED with a queue index >= the device's max_virtqueues "
		  "reached the event callback (last: dev %u vq %u): bus_io.c handle_event() "
		  "forwards it unchecked (and sets used_bits for a queue that does not exist)",
		  (unsigned long long)T.ev_used_bad_vq, T.last_bad_dev, T.last_bad_vq);
}

static void test_event_config_range_checked(void **state)
{
	(void)state;
	LIB_CHECK(T.ev_config_bad_range == 0,
		  "[SEC-H-3] %llu EVENT_CONFIG with offset+length beyond the device's config_size "
		  "reached the event callback (last: dev %u offset %u length %u): bus_io.c "
		  "handle_event() forwards it unchecked (and adopts its generation)",
		  (unsigned long long)T.ev_config_bad_range, T.last_bad_dev, T.last_bad_off,
		  T.last_bad_len);
}

/*
 * Not an attack (fails with VMSG_TEST_HOSTILE_MODES=none too): explicit
 * vmsg_host_bus_ping() calls between liveness ticks. Both take their data
 * from bus->ping_data, so the liveness tick compares the echo of its own
 * PING with the data of the explicit PING sent since, counts rx_mismatch
 * and does not reset ping_misses for an answer that was right.
 */
static void test_ping_with_liveness(void **state)
{
	struct vmsg_host_bus_stats s0, s1;
	uint64_t t0 = now_ms();
	int r;

	(void)state;
	vmsg_host_bus_get_stats(T.bus, &s0);
	while (now_ms() - t0 < LIVENESS_MS) {
		LIB_CHECK(vmsg_host_bus_liveness(T.bus) == VMSG_HOST_RUN, "liveness: link down");
		r = vmsg_host_bus_ping(T.bus, NULL);
		LIB_CHECK(r == 0, "PING: %s", vmsg_host_strerror(r));
	}
	vmsg_host_bus_get_stats(T.bus, &s1);
	LIB_CHECK(s1.rx_mismatch == s0.rx_mismatch,
		  "%llu correct liveness PING echoes counted as rx_mismatch: "
		  "vmsg_host_bus_ping() (bus_live.c) bumps bus->ping_data, which "
		  "ping_tick_locked() then compares with the echo of its own earlier PING; "
		  "ping_misses is not reset by those answers",
		  (unsigned long long)(s1.rx_mismatch - s0.rx_mismatch));
}

/* ---- the command line (no daemon) ---- */

static void expect_usage(const char *const *args, const char *msg)
{
	static struct h_run r;

	h_run_card(&r, args);
	if (r.status != 2 || !strstr(r.err, msg))
		fail_msg("vmsg-card %s ...: status %d, stderr '%s', expected 2 and '%s'", args[4],
			 r.status, r.err, msg);
}

static void test_cli_hostile(void **state)
{
	static const char *const bad_mode[] = {"--platform", "sim",	      "--link", "/x",
					       "--hostile",  "garbage,bogus", NULL};
	static const char *const empty[] = {"--platform", "sim",      "--link", "/x",
					    "--hostile",  "garbage,", NULL};
	static const char *const rate_alone[] = {"--platform",	   "sim", "--link", "/x",
						 "--hostile-rate", "5",	  NULL};
	static const char *const rate_0[] = {
	    "--platform", "sim", "--link", "/x", "--hostile", "all", "--hostile-rate", "0", NULL};
	static const char *const rate_big[] = {"--platform", "sim",   "--link",		"/x",
					       "--hostile",  "stale", "--hostile-rate", "60001",
					       NULL};
	static const char *const help[] = {"--help", NULL};
	static struct h_run r;

	(void)state;
	expect_usage(bad_mode, "--hostile 'garbage,bogus': unknown or empty mode 'bogus'");
	expect_usage(empty, "unknown or empty mode ''");
	expect_usage(rate_alone, "--hostile-rate needs --hostile");
	expect_usage(rate_0, "--hostile-rate '0': expected 1..60000 ms");
	expect_usage(rate_big, "--hostile-rate '60001'");
	h_run_card(&r, help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--hostile MODE[,MODE...]"));
	assert_non_null(strstr(r.out, "TEST ONLY: makes the card attack its host; never use in "
				      "production."));
	assert_non_null(strstr(r.out, "--hostile-rate N"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest cli_tests[] = {
	    cmocka_unit_test(test_cli_hostile),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_io_under_attack),
	    cmocka_unit_test(test_liveness_under_attack),
	    cmocka_unit_test(test_host_counted_drops),
	    cmocka_unit_test(test_card_counted_attacks),
	    cmocka_unit_test(test_event_used_vq_checked),
	    cmocka_unit_test(test_event_config_range_checked),
	    cmocka_unit_test(test_ping_with_liveness),
	};

	int fails;

	if (h_init(argc, argv) < 0)
		return 1;
	T.poll_mode = argc > 2 && !strcmp(argv[2], "poll");
	fails = T.poll_mode ? 0 : cmocka_run_group_tests_name("hostile_cli", cli_tests, NULL, NULL);
	return fails +
	       cmocka_run_group_tests_name(T.poll_mode ? "hostile_mode_poll" : "hostile_mode",
					   tests, group_setup, group_teardown);
}
