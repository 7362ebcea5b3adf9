// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * pmd_loop.c - the net_vmsg PMD against a soft card's net loopback: a small
 * DPDK application (Debian's libdpdk, application API only) that loads the
 * PMD with EAL's -d like dpdk-testpmd does, sends frames with a sequence
 * number and a payload derived from it, and checks that every frame comes
 * back intact and in order; then the port's counters.
 *
 *   pmd_loop [--frames N] [--remove "CMD_REMOVE" "CMD_ADD"] -- EAL ARGS...
 *
 * --remove: after the first N frames start CMD_REMOVE (vmsg-card ctl remove)
 * in the background and keep forwarding until the link goes down (bounded);
 * then bursts must return nothing; run CMD_ADD, expect the link up again
 * (the PMD restarts on the new device) and N more frames to loop intact,
 * counted exactly from there.
 * Exit 0 pass, 1 fail. Every wait is bounded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST	    32
#define RING	    256
#define MAX_TRIES_S 30

static int failures;
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "pmd_loop: FAIL: " __VA_ARGS__);                                   \
		fputc('\n', stderr);                                                               \
		failures++;                                                                        \
	} while (0)

static uint32_t frame_len(uint32_t seq)
{
	/* 60..1514 bytes, every size class visited */
	return 60u + (seq * 97u) % (1514u - 60u + 1u);
}

static uint8_t payload_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31u + i * 7u + (i >> 8));
}

static void fill(struct rte_mbuf *m, uint32_t seq, const struct rte_ether_addr *mac)
{
	uint32_t len = frame_len(seq), i;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memset(p, 0xff, 6); /* broadcast */
	memcpy(p + 6, mac->addr_bytes, 6);
	p[12] = 0x88; /* local experimental ethertype */
	p[13] = 0xb5;
	memcpy(p + 14, &seq, 4);
	for (i = 18; i < len; i++)
		p[i] = payload_byte(seq, i);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/* 0 when m is frame seq, intact. */
static int check(struct rte_mbuf *m, uint32_t seq)
{
	uint32_t len = frame_len(seq), got, i;
	const uint8_t *p;

	if (m->nb_segs != 1 || m->pkt_len != len) {
		FAIL("frame %u: length %u (segs %u), want %u", seq, m->pkt_len, m->nb_segs, len);
		return -1;
	}
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	memcpy(&got, p + 14, 4);
	if (got != seq) {
		FAIL("frame %u: sequence %u (out of order or lost)", seq, got);
		return -1;
	}
	for (i = 18; i < len; i++) {
		if (p[i] != payload_byte(seq, i)) {
			FAIL("frame %u: payload byte %u is %#x, want %#x", seq, i, p[i],
			     payload_byte(seq, i));
			return -1;
		}
	}
	return 0;
}

/* Send and receive n frames from *seq on; every one checked. */
static int loop_frames(uint16_t port, struct rte_mempool *mp, const struct rte_ether_addr *mac,
		       uint32_t *seq_io, uint32_t n)
{
	uint32_t sent = 0, recvd = 0, seq0 = *seq_io;
	uint64_t end = rte_get_timer_cycles() + MAX_TRIES_S * rte_get_timer_hz();
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint16_t k, i, nt, nr;

	while (recvd < n) {
		if (rte_get_timer_cycles() > end) {
			FAIL("timeout: sent %u, received %u of %u", sent, recvd, n);
			return -1;
		}
		/* keep at most a ring's worth in flight: the card's FIFO is bounded */
		k = 0;
		while (k < BURST && sent + k < n && sent + k - recvd < RING / 2) {
			tx[k] = rte_pktmbuf_alloc(mp);
			if (!tx[k])
				break;
			fill(tx[k], seq0 + sent + k, mac);
			k++;
		}
		nt = k ? rte_eth_tx_burst(port, 0, tx, k) : 0;
		if (nt < k)
			rte_pktmbuf_free_bulk(&tx[nt], k - nt);
		sent += nt;
		nr = rte_eth_rx_burst(port, 0, rx, BURST);
		for (i = 0; i < nr; i++) {
			if (recvd < n && check(rx[i], seq0 + recvd) < 0) {
				rte_pktmbuf_free_bulk(&rx[i], nr - i);
				return -1;
			}
			recvd++;
			rte_pktmbuf_free(rx[i]);
		}
	}
	*seq_io = seq0 + n;
	return 0;
}

static int wait_link(uint16_t port, int up, int seconds)
{
	struct rte_eth_link l;
	int i;

	for (i = 0; i < seconds * 100; i++) {
		memset(&l, 0, sizeof(l));
		rte_eth_link_get_nowait(port, &l);
		if (l.link_status == (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN))
			return 0;
		rte_delay_ms(10);
	}
	return -1;
}

static uint64_t xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

int main(int argc, char **argv)
{
	struct rte_eth_conf conf;
	struct rte_eth_stats st;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	const char *cmd_remove = NULL, *cmd_add = NULL;
	uint32_t frames = 20000, seq = 0;
	uint16_t port = 0;
	int ret, i, n;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--remove") && i + 2 < argc) {
			cmd_remove = argv[++i];
			cmd_add = argv[++i];
		} else {
			fprintf(stderr,
				"usage: pmd_loop [--frames N] [--remove CMD CMD] -- EAL...\n");
			return 1;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "pmd_loop: EAL arguments after -- are required\n");
		return 1;
	}
	argv[i] = argv[0];
	ret = rte_eal_init(argc - i, argv + i);
	if (ret < 0) {
		fprintf(stderr, "pmd_loop: FAIL: EAL init failed (PMD not loaded or refused)\n");
		return 1;
	}
	n = rte_eth_dev_count_avail();
	if (n != 1) {
		FAIL("%d ports, want 1 (the net_vmsg vdev)", n);
		goto out;
	}
	mp = rte_pktmbuf_pool_create("pmd_loop", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	memset(&conf, 0, sizeof(conf));
	if (!mp || rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(port, 0, RING, 0, NULL, mp) < 0 ||
	    rte_eth_tx_queue_setup(port, 0, RING, 0, NULL) < 0 || rte_eth_dev_start(port) < 0) {
		FAIL("port setup");
		goto out;
	}
	rte_eth_macaddr_get(port, &mac);
	if (wait_link(port, 1, 5) < 0)
		FAIL("link not up after start");
	if (loop_frames(port, mp, &mac, &seq, frames) == 0)
		printf("pmd_loop: %u frames looped intact and in order\n", frames);
	if (!failures && cmd_remove) {
		struct rte_mbuf *b[BURST];
		char bg[4096];
		uint64_t end;
		uint16_t k, nr;

		/* the removal lands while this thread keeps forwarding */
		printf("pmd_loop: removing the device while forwarding: %s\n", cmd_remove);
		snprintf(bg, sizeof(bg), "(sleep 0.2; %s) &", cmd_remove);
		if (system(bg) != 0)
			FAIL("'%s' could not be started", cmd_remove);
		end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
		for (;;) {
			struct rte_eth_link l;

			memset(&l, 0, sizeof(l));
			rte_eth_link_get_nowait(port, &l);
			if (l.link_status == RTE_ETH_LINK_DOWN)
				break;
			if (rte_get_timer_cycles() > end) {
				FAIL("link still up 10 s after the device was removed");
				break;
			}
			for (k = 0; k < BURST; k++) {
				b[k] = rte_pktmbuf_alloc(mp);
				if (!b[k])
					break;
				fill(b[k], 0, &mac);
			}
			nr = k ? rte_eth_tx_burst(port, 0, b, k) : 0;
			if (nr < k)
				rte_pktmbuf_free_bulk(&b[nr], k - nr);
			nr = rte_eth_rx_burst(port, 0, b, BURST);
			rte_pktmbuf_free_bulk(b, nr);
		}
		for (i = 0; i < 100; i++) /* bursts on a removed device: nothing, no crash */
			if (rte_eth_rx_burst(port, 0, b, BURST) != 0)
				FAIL("frames received from a removed device");
		printf("pmd_loop: port down; adding the device back: %s\n", cmd_add);
		if (system(cmd_add) != 0)
			FAIL("'%s' failed", cmd_add);
		rte_eth_stats_reset(port);
		if (wait_link(port, 1, 15) < 0)
			FAIL("link not up 15 s after the device came back");
		else if (loop_frames(port, mp, &mac, &seq, frames) == 0)
			printf("pmd_loop: port up again, %u more frames intact\n", frames);
		if (xstat(port, "device_removals") < 1 || xstat(port, "device_restarts") < 1)
			FAIL("xstats: removals %" PRIu64 ", restarts %" PRIu64,
			     xstat(port, "device_removals"), xstat(port, "device_restarts"));
	}
	if (rte_eth_stats_get(port, &st) == 0) {
		printf("pmd_loop: stats: ipackets %" PRIu64 " opackets %" PRIu64 " ierrors %" PRIu64
		       " oerrors %" PRIu64 " ibytes %" PRIu64 "\n",
		       st.ipackets, st.opackets, st.ierrors, st.oerrors, st.ibytes);
		/* (after a removal: reset when the device came back) */
		if (!failures && (st.ipackets != frames || st.opackets != frames))
			FAIL("counters: ipackets %" PRIu64 " opackets %" PRIu64 ", want %u",
			     st.ipackets, st.opackets, frames);
		if (st.ierrors || st.oerrors)
			FAIL("errors counted: rx %" PRIu64 " tx %" PRIu64, st.ierrors, st.oerrors);
	} else {
		FAIL("stats_get");
	}
	if (xstat(port, "bus_tx_msgs") == UINT64_MAX || xstat(port, "bus_tx_msgs") == 0)
		FAIL("xstat bus_tx_msgs missing or 0");
	if (xstat(port, "rx_q0_hostile") != 0)
		FAIL("hostile used entries counted against an honest card");
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out:
	rte_eal_cleanup();
	printf("pmd_loop: %s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
