/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_net_tap.c - virtio-net on a tap, in a private network namespace (so
 * nothing leaves this process): frames the driver transmits show up on a
 * packet socket bound to the tap; frames sent on that socket reach the
 * driver's receive buffers. A missing tap is an error unless "create" is
 * asked for; an existing tap is attached. Without CAP_SYS_ADMIN / CAP_NET_ADMIN or
 * /dev/net/tun it exits 77 (meson: SKIP) naming what is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_engine.h"
#include "vmsg_bytes.h"

#define IFN   "vmsgt0"
#define ETYPE 0x88b5 /* local experimental ethertype: our test frames */
#define HDR   12u

static int packet_socket(void)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETYPE)};
	struct ifreq ifr;
	int s, ctl = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(ctl >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFN);
	assert_int_equal(ioctl(ctl, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(ctl, SIOCSIFFLAGS, &ifr), 0);
	close(ctl);
	s = socket(AF_PACKET, SOCK_RAW, htons(ETYPE));
	assert_true(s >= 0);
	sll.sll_ifindex = (int)if_nametoindex(IFN);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

static void make_frame(uint8_t *f, uint32_t len, uint32_t seq)
{
	uint32_t i;

	memset(f, 0xff, 6);			      /* dst: broadcast */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6); /* src */
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	vmsg_put_le32(f + 14, seq);
	for (i = 18; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seq);
}

static void test_tap(void **state)
{
	struct tdev t;
	struct vmsg_net_stats st;
	char err[256] = "";
	uint8_t frame[1514], got[2048];
	uint64_t rx_dma[256];
	struct pollfd p;
	uint16_t id;
	uint32_t len, i, seq, found;
	ssize_t n;
	int s, head;

	(void)state;
	host_reset();
	tdev_start(&t, vmsg_net_tap_create(IFN, true, NULL, err, sizeof(err)), 0, 256);
	if (!t.d)
		fail_msg("%s", err);
	s = packet_socket();

	/* driver -> tap */
	for (seq = 0; seq < 20; seq++) {
		uint64_t dma = host_alloc(HDR + 100 + seq, 8);
		struct vmsg_vq_buf b = {dma, HDR + 100 + seq};

		memset(host_ptr(dma, HDR), 0, HDR);
		make_frame(host_ptr(dma + HDR, 100 + seq), 100 + seq, seq);
		assert_true(tq_add(&t.q[1], &b, 1, NULL, 0) >= 0);
	}
	tdev_kick(&t, 1);
	for (seq = 0; seq < 20; seq++) {
		p = (struct pollfd){.fd = s, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 2000), 1);
		n = recv(s, got, sizeof(got), 0);
		assert_int_equal(n, 100 + seq);
		make_frame(frame, 100 + seq, seq);
		assert_memory_equal(got, frame, (size_t)n);
	}

	/* tap -> driver */
	for (i = 0; i < 16; i++) {
		struct vmsg_vq_buf b = {host_alloc(HDR + 1514, 8), HDR + 1514};

		head = tq_add(&t.q[0], NULL, 0, &b, 1);
		assert_true(head >= 0);
		rx_dma[head] = b.addr;
	}
	tdev_kick(&t, 0);
	for (seq = 0; seq < 10; seq++) {
		make_frame(frame, 200 + seq, 1000 + seq);
		assert_int_equal(send(s, frame, 200 + seq, 0), 200 + seq);
	}
	for (found = 0, i = 0; i < 100 && found < 10; i++) {
		p = (struct pollfd){.fd = t.d->ops->wait_fd(t.d), .events = POLLIN};
		if (poll(&p, 1, 100) == 1)
			t.d->ops->poll(t.d);
		while (tq_used(&t.q[0], &id, &len) == 1) {
			const uint8_t *fr = host_ptr(rx_dma[id], len);

			assert_true(len >= HDR + 14);
			if (fr[HDR + 12] != ETYPE >> 8 || fr[HDR + 13] != (ETYPE & 0xff))
				continue; /* the kernel's own traffic */
			make_frame(frame, 200 + found, 1000 + found);
			assert_int_equal(len - HDR, 200 + found);
			assert_memory_equal(fr + HDR, frame, 200 + found);
			found++;
		}
	}
	assert_int_equal(found, 10);
	assert_int_equal(vmsg_net_get_stats(t.d, &st), 0);
	assert_int_equal(st.tx_frames, 20);
	close(s);
	tdev_destroy(&t);
}

/* Offload headers the driver did not negotiate are dropped before the tap:
 * NEEDS_CSUM without CSUM, TSO without HOST_TSO4/6, unknown flags or GSO
 * types, ECN; the offered bits are there on a tap. */
static void test_tap_offload_headers(void **state)
{
	struct tdev t;
	struct vmsg_net_stats st;
	char err[256] = "";
	uint8_t got[2048], frame[200];
	static const uint8_t bad[][2] = {{1, 0}, {0, 1}, {0, 4}, {0, 3}, {0, 0x80}, {4, 0}};
	uint64_t off = (1ull << 0) | (1ull << 11) | (1ull << 12);
	struct pollfd p;
	uint32_t i;
	ssize_t n;
	int s;

	(void)state;
	host_reset();
	tdev_start(&t, vmsg_net_tap_create(IFN, true, NULL, err, sizeof(err)), off, 256);
	if (!t.d)
		fail_msg("%s", err);
	for (i = 0; i < 13; i++)
		if (i == 0 || i == 1 || i == 7 || i == 8 || i == 11 || i == 12)
			assert_true(t.d->features & (1ull << i));
	s = packet_socket();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) + 1; i++) {
		uint64_t dma = host_alloc(HDR + sizeof(frame), 8);
		struct vmsg_vq_buf b = {dma, HDR + sizeof(frame)};
		uint8_t *h = host_ptr(dma, HDR);

		memset(h, 0, HDR);
		if (i < sizeof(bad) / sizeof(bad[0])) {
			h[0] = bad[i][0];
			h[1] = bad[i][1];
		}
		make_frame(host_ptr(dma + HDR, sizeof(frame)), sizeof(frame), 500 + i);
		assert_true(tq_add(&t.q[1], &b, 1, NULL, 0) >= 0);
	}
	tdev_kick(&t, 1);
	/* Only the last (plain) frame reaches the tap. */
	p = (struct pollfd){.fd = s, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	n = recv(s, got, sizeof(got), 0);
	make_frame(frame, sizeof(frame), 500 + (uint32_t)(sizeof(bad) / sizeof(bad[0])));
	assert_int_equal(n, sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	assert_int_equal(vmsg_net_get_stats(t.d, &st), 0);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(st.tx_dropped, sizeof(bad) / sizeof(bad[0]));
	close(s);
	tdev_destroy(&t);
}

/* MRG_RXBUF: a frame larger than one receive buffer spans several, the
 * first header's num_buffers says how many, the bytes are in order. */
static void test_tap_mergeable(void **state)
{
	struct tdev t;
	char err[256] = "";
	uint8_t frame[400], got[HDR + 400];
	uint64_t rx_dma[256];
	struct pollfd p;
	uint16_t id;
	uint32_t len, i, found = 0, nb, k, glen;
	int s, head;

	(void)state;
	host_reset();
	tdev_start(&t, vmsg_net_tap_create(IFN, true, NULL, err, sizeof(err)), 0, 256);
	if (!t.d)
		fail_msg("%s", err);
	assert_true(vmsg_dev_has_feature(t.d, 15));
	s = packet_socket();
	for (i = 0; i < 200; i++) {
		struct vmsg_vq_buf b = {host_alloc(100, 8), 100};

		head = tq_add(&t.q[0], NULL, 0, &b, 1);
		assert_true(head >= 0);
		rx_dma[head] = b.addr;
	}
	tdev_kick(&t, 0);
	make_frame(frame, sizeof(frame), 4242);
	assert_int_equal(send(s, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	for (i = 0; i < 100 && !found; i++) {
		p = (struct pollfd){.fd = t.d->ops->wait_fd(t.d), .events = POLLIN};
		if (poll(&p, 1, 100) == 1)
			t.d->ops->poll(t.d);
		while (!found && tq_used(&t.q[0], &id, &len) == 1) {
			const uint8_t *fr = host_ptr(rx_dma[id], len);

			assert_true(len >= HDR && len <= 100);
			nb = vmsg_get_le16(fr + 10);
			assert_true(nb >= 1 && nb <= 48);
			memcpy(got, fr, len);
			glen = len;
			for (k = 1; k < nb; k++) {
				assert_int_equal(tq_used(&t.q[0], &id, &len), 1);
				assert_true(glen + len <= sizeof(got));
				memcpy(got + glen, host_ptr(rx_dma[id], len), len);
				glen += len;
			}
			if (glen < HDR + 14 || got[HDR + 12] != ETYPE >> 8 ||
			    got[HDR + 13] != (ETYPE & 0xff))
				continue; /* the kernel's own traffic */
			assert_int_equal(nb, (HDR + sizeof(frame) + 99) / 100);
			assert_int_equal(glen, HDR + sizeof(frame));
			assert_memory_equal(got + HDR, frame, sizeof(frame));
			found = 1;
		}
	}
	assert_int_equal(found, 1);
	close(s);
	tdev_destroy(&t);
}

/* Make (persist 1) or remove (persist 0) a persistent tap, as `ip tuntap` does. */
static void tap_persist(const char *name, int persist)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, persist), 0);
	close(fd);
}

static void expect_spec_error(const char *spec, const char *msg)
{
	char err[256] = "";
	struct vmsg_dev *d = vmsg_device_from_spec(spec, err, sizeof(err));

	if (d)
		fail_msg("spec '%s' was accepted", spec);
	if (!strstr(err, msg))
		fail_msg("spec '%s': error '%s' lacks '%s'", spec, err, msg);
}

/* A mistyped name must not make a new tap that goes nowhere. */
static void test_tap_attach_only(void **state)
{
	char err[256] = "", line[300];
	struct vmsg_dev *d;

	(void)state;
	assert_int_equal(if_nametoindex("vmsgmissing0"), 0);
	assert_null(vmsg_net_tap_create("vmsgmissing0", false, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no network interface 'vmsgmissing0'"));
	assert_non_null(strstr(err, "tap:vmsgmissing0,create"));
	assert_int_equal(if_nametoindex("vmsgmissing0"), 0); /* nothing created */
	expect_spec_error("net:tap:vmsgmissing0", "no network interface 'vmsgmissing0'");
	assert_int_equal(if_nametoindex("vmsgmissing0"), 0);
	/* lo exists but is not a tap */
	expect_spec_error("net:tap:lo", "net: cannot attach lo: not a tap interface");
	expect_spec_error("net:loopback,create", "only");

	/* an existing tap is attached, without create */
	tap_persist("vmsgexist0", 1);
	d = vmsg_device_from_spec("net:tap:vmsgexist0,mac=02:00:00:00:00:07", err, sizeof(err));
	if (!d)
		fail_msg("attach to an existing tap: %s", err);
	d->ops->describe(d, line, sizeof(line));
	assert_non_null(strstr(line, "tap:vmsgexist0 mac 02:00:00:00:00:07"));
	vmsg_device_destroy(d);
	tap_persist("vmsgexist0", 0);
	assert_int_equal(if_nametoindex("vmsgexist0"), 0);

	/* create makes it, and it goes with the device */
	d = vmsg_device_from_spec("net:tap:vmsgnew0,create", err, sizeof(err));
	if (!d)
		fail_msg("tap create: %s", err);
	assert_true(if_nametoindex("vmsgnew0") > 0);
	vmsg_device_destroy(d);
	assert_int_equal(if_nametoindex("vmsgnew0"), 0);
}

int main(void)
{
	/* Prerequisites: a private network namespace and the tun device. Without
	 * them, say why and exit 77 (meson reports SKIP, not a pass). */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr,
			"SKIP: devices_net_tap needs CAP_SYS_ADMIN: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return 77;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		fprintf(stderr, "SKIP: devices_net_tap needs /dev/net/tun: %s\n", strerror(errno));
		return 77;
	}

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tap),
	    cmocka_unit_test(test_tap_offload_headers),
	    cmocka_unit_test(test_tap_mergeable),
	    cmocka_unit_test(test_tap_attach_only),
	};

	return cmocka_run_group_tests_name("devices_net_tap", tests, NULL, NULL);
}
