// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_config.c - config space and the generation count, with the card's
 * message size at its minimum (48 bytes) so that everything is chunked:
 *  - GET_CONFIG of the whole virtio-blk config (36 bytes) takes two
 *    messages of at most 28 data bytes; both carry the same generation and
 *    the values match the disk;
 *  - SET_CONFIG with a stale generation is refused (length 0) at the
 *    message level. None of the card's backends has writable config space
 *    (blk, net, rng and console all have config_write = NULL), so a write
 *    at the current generation is refused as well: the library reports that
 *    as -EPERM without looping (the retry-after-stale-generation path runs
 *    against a fake card with writable config in tests/unit/hostlib);
 *  - the whole init and I/O work with 48-byte messages (feature blocks,
 *    GET_DEVICES window, GET/SET_VQUEUE at exactly 48 bytes).
 */
#include "harness.h"

#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct vmsg_host_dev_stats ds;
	struct vmsg_host_blk *blk;
	struct vmsg_host_dev *dev;
	static struct it_card card; /* outlives main(): the atexit cleanup uses it */
	struct it_host h;
	char disk[320];
	uint8_t cfg[36], m[64], resp[64], *io, one = 1;
	uint32_t gen, gen2;
	uint64_t dma;
	int r;

	it_init(argc, argv, "config", &card, 60);
	it_make_file(it_path(&card, "disk.img", disk, sizeof(disk)), 3u << 20, 0);
	it_card_arg(&card, "--blk");
	it_card_arg(&card, disk);
	it_card_arg(&card, "--max-msg-size");
	it_card_arg(&card, "48");
	it_card_start(&card);
	it_host_open(&card, &h, NULL);
	CHECK(vmsg_host_bus_max_msg_size(h.bus) == 48);

	CHECK_OK(vmsg_host_blk_open(h.bus, 1, 0, &blk));
	dev = vmsg_host_blk_dev(blk);
	CHECK(vmsg_host_dev_info(dev)->config_size == 36);
	CHECK_OK(vmsg_host_dev_config_read(dev, 0, cfg, 36, &gen));
	CHECK(vmsg_get_le64(cfg) == (3u << 20) / 512u);
	vmsg_host_dev_get_stats(dev, &ds);
	IT_LOG("36-byte config read in 28-byte chunks at generation %u (%llu re-reads)", gen,
	       (unsigned long long)ds.config_rereads);
	CHECK(vmsg_host_dev_config_read(dev, 30, cfg, 8, NULL) == -ERANGE);

	/* message level: stale generation refused */
	r = vmsg_host_bus_request(
	    h.bus, m, vmsg_build_set_config_req(m, sizeof(m), 1, 0, gen + 7, 20, &one, 1), resp,
	    sizeof(resp), 0);
	CHECK(r == VIRTIO_MSG_SIZE(12u) || r == VIRTIO_MSG_SIZE(13u));
	CHECK(vmsg_get_le32(resp + 8) == gen); /* current generation reported */
	CHECK(vmsg_get_le32(resp + 12) == 20); /* offset echoed */
	CHECK(vmsg_get_le32(resp + 16) == 0);  /* length 0: refused */
	IT_LOG("SET_CONFIG at stale generation %u refused (device at %u)", gen + 7, gen);
	/* at the current generation: refused too, the config is read-only */
	r = vmsg_host_bus_request(h.bus, m,
				  vmsg_build_set_config_req(m, sizeof(m), 1, 0, gen, 20, &one, 1),
				  resp, sizeof(resp), 0);
	CHECK(r > 0 && vmsg_get_le32(resp + 16) == 0);
	IT_LOG("SET_CONFIG at the current generation refused too: no backend has writable config");
	CHECK(vmsg_host_dev_config_write(dev, 20, &one, 1) == -EPERM);
	vmsg_host_dev_get_stats(dev, &ds);
	CHECK(ds.config_retries == 0);
	CHECK_OK(vmsg_host_dev_config_read(dev, 0, cfg, 36, &gen2));
	CHECK(gen2 == gen);

	/* I/O with 48-byte messages */
	io = vmsg_link_alloc(h.link, 8192, 4096, &dma);
	memset(io, 0x3c, 8192);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_OUT, 100, io, 8192, 0) == 0);
	memset(io, 0, 8192);
	CHECK(vmsg_host_blk_io(blk, VMSG_HOST_BLK_T_IN, 100, io, 8192, 0) == 0);
	CHECK(io[0] == 0x3c && io[8191] == 0x3c);
	IT_LOG("init and I/O with 48-byte messages ok");
	vmsg_host_blk_close(blk);
	it_host_close(&h);
	it_card_stop(&card, 0);
	IT_LOG("PASS");
	return 0;
}
