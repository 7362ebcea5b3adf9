// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_card_epf.c - platform epf without the module: the event stream of
 * /dev/vmsg-epfN replaced by a SOCK_SEQPACKET socket (one record per
 * datagram, as the device's read() gives them; the ioctls fail on it with
 * ENOTTY, as a device that refuses would), BAR0 by a buffer. Checks the
 * bounds of every host access, what each event does (doorbells, link down
 * = host lost and no mapping, unbind and POLLHUP = clean stop, a broken
 * record = failure), the re-map decision at ATTACH, and the checks of
 * GET_INFO's answer. The link's statics are reached by including its source
 * (epf_link.c): nothing here is linked into vmsg-card.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../ep_function/card/epf_link.c"

/* The engine services card_platform.c would give (not linked here). */
void *card_platform_zalloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

void card_platform_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

void card_platform_log(void *ctx, int level, const char *prefix, const char *fmt, va_list ap)
{
	(void)ctx;
	vcard_vlog(level, prefix, fmt, ap);
}

#define BAR0_SIZE 0x10000u
#define WIN_SIZE  0x20000u
#define WIN_ADDR  0x100000ull

struct fix {
	struct epf_link l;
	int peer; /* the "module" end of the event stream */
	uint8_t *bar0;
	uint8_t *win;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	f->l.fd = sv[0];
	f->peer = sv[1];
	snprintf(f->l.path, sizeof(f->l.path), "test");
	f->bar0 = aligned_alloc(4096, BAR0_SIZE);
	assert_non_null(f->bar0);
	memset(f->bar0, 0, BAR0_SIZE);
	f->l.bar0 = f->bar0;
	f->l.bar0_size = BAR0_SIZE;
	f->l.info.window_size = WIN_SIZE;
	/* A mapping as MAP_HOST + mmap would have made it. */
	f->win = mmap(NULL, WIN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->win != MAP_FAILED);
	f->l.hm.map = f->win;
	f->l.hm.pci_addr = WIN_ADDR;
	f->l.hm.size = WIN_SIZE;
	f->l.link_up = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	epf_dev_unmap_host(&f->l.hm);
	epf_dev_unmap_host(&f->l.old);
	close(f->l.fd);
	if (f->peer >= 0)
		close(f->peer);
	free(f->bar0);
	free(f);
	return 0;
}

static void send_event(struct fix *f, uint32_t events, uint32_t doorbells, uint32_t gen)
{
	struct vmsg_epf_event ev = {
	    .events = events, .doorbells = doorbells, .link_generation = gen, .seq = 1};

	assert_int_equal(send(f->peer, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
}

static bool handle(struct fix *f)
{
	struct pollfd p;

	assert_int_equal(epf_pollfds(&f->l, &p, 1), 1);
	assert_int_equal(poll(&p, 1, 1000), 1);
	return epf_handle(&f->l, &p, 1);
}

static void test_host_access_bounds(void **state)
{
	struct fix *f = *state;
	uint8_t buf[16] = {1, 2, 3, 4};
	uint64_t end = WIN_ADDR + WIN_SIZE;

	/* inside, at both edges */
	assert_int_equal(epf_host_write(&f->l, WIN_ADDR, buf, 4), 0);
	assert_memory_equal(f->win, buf, 4);
	assert_int_equal(epf_host_read(&f->l, end - 16, buf, 16), 0);
	assert_non_null(epf_host_map(&f->l, WIN_ADDR, WIN_SIZE));
	/* outside: below, across the end, beyond, wrapping */
	assert_int_equal(epf_host_read(&f->l, WIN_ADDR - 1, buf, 2), -EFAULT);
	assert_int_equal(epf_host_read(&f->l, end - 8, buf, 16), -EFAULT);
	assert_int_equal(epf_host_write(&f->l, end, buf, 1), -EFAULT);
	assert_int_equal(epf_host_write(&f->l, UINT64_MAX - 3, buf, 8), -EFAULT);
	assert_null(epf_host_map(&f->l, WIN_ADDR, WIN_SIZE + 1));
	assert_null(epf_host_map(&f->l, WIN_ADDR, 0));
	assert_int_equal(f->l.refused, 6);
	/* the DMA width: the whole window beyond 2^20 is out of reach */
	f->l.dma_limit = 1ull << 20;
	assert_int_equal(epf_host_read(&f->l, WIN_ADDR, buf, 4), -EFAULT);
	f->l.dma_limit = 0;
	/* no mapping: nothing reachable */
	epf_drop_map(&f->l);
	assert_int_equal(epf_host_read(&f->l, WIN_ADDR, buf, 4), -EFAULT);
	assert_null(epf_host_map(&f->l, WIN_ADDR, 4));
}

static void test_doorbell_event(void **state)
{
	struct fix *f = *state;

	send_event(f, VMSG_EPF_EV_DOORBELL, 0x3, 0);
	assert_true(handle(f));
	assert_int_equal(f->l.doorbells, 2);
	assert_false(epf_take_host_lost(&f->l));
	/* a doorbell event without bits is not a doorbell */
	send_event(f, VMSG_EPF_EV_DOORBELL, 0, 0);
	assert_false(handle(f));
	/* several records in one wake-up */
	send_event(f, VMSG_EPF_EV_DOORBELL, 0x1, 0);
	send_event(f, VMSG_EPF_EV_DOORBELL, 0x2, 0);
	assert_true(handle(f));
	assert_int_equal(f->l.doorbells, 4);
	assert_int_equal(f->l.events, 4);
}

static void test_link_down_up(void **state)
{
	struct fix *f = *state;
	uint8_t b;
	int code = -1;

	send_event(f, VMSG_EPF_EV_LINK_DOWN, 0, 1);
	assert_true(handle(f));
	assert_false(f->l.link_up);
	assert_true(epf_take_host_lost(&f->l));
	assert_false(epf_take_host_lost(&f->l)); /* once */
	/* the mapping is gone (kept aside, not used) */
	assert_int_equal(epf_host_read(&f->l, WIN_ADDR, &b, 1), -EFAULT);
	assert_ptr_equal(f->l.old.map, f->win);
	assert_int_equal(f->l.link_generation, 1);
	/* link up: the whole window at PCI address 0 is asked for; this
	 * "device" refuses the ioctl, so nothing is mapped and it is counted */
	send_event(f, VMSG_EPF_EV_LINK_UP, 0, 2);
	assert_true(handle(f));
	assert_true(f->l.link_up);
	assert_int_equal(f->l.map_errors, 1);
	assert_null(f->l.hm.map);
	assert_false(epf_take_stop(&f->l, &code));
	/* down and up coalesced in one record: still a lost host */
	send_event(f, VMSG_EPF_EV_LINK_DOWN | VMSG_EPF_EV_LINK_UP, 0, 4);
	assert_true(handle(f));
	assert_true(epf_take_host_lost(&f->l));
	assert_true(f->l.link_up);
	/* an up with a new generation while up: a down we missed */
	send_event(f, VMSG_EPF_EV_LINK_UP, 0, 6);
	assert_true(handle(f));
	assert_true(epf_take_host_lost(&f->l));
	assert_int_equal(f->l.link_downs, 3);
}

static void test_unbind_is_clean_stop(void **state)
{
	struct fix *f = *state;
	int code = -1;

	send_event(f, VMSG_EPF_EV_UNBIND, 0, 0);
	handle(f);
	assert_true(epf_take_stop(&f->l, &code));
	assert_int_equal(code, CARD_EXIT_OK);
	/* no more waiting on the device once stopping */
	{
		struct pollfd p;

		assert_int_equal(epf_pollfds(&f->l, &p, 1), 0);
	}
}

static void test_hangup_is_clean_stop(void **state)
{
	struct fix *f = *state;
	int code = -1;

	close(f->peer);
	f->peer = -1;
	handle(f);
	assert_true(epf_take_stop(&f->l, &code));
	assert_int_equal(code, CARD_EXIT_OK);
}

static void test_short_record_fails(void **state)
{
	struct fix *f = *state;
	uint32_t half = VMSG_EPF_EV_DOORBELL;
	int code = -1;

	assert_int_equal(send(f->peer, &half, sizeof(half), 0), (ssize_t)sizeof(half));
	handle(f);
	assert_true(epf_take_stop(&f->l, &code));
	assert_int_equal(code, CARD_EXIT_FAIL);
}

static void test_attach_remaps_outside_area(void **state)
{
	struct fix *f = *state;
	volatile struct vmsg_pcie_regs *r = (volatile struct vmsg_pcie_regs *)f->bar0;

	/* host area inside the mapping: nothing to do */
	r->host_area_addr = vmsg_cpu_to_le64(WIN_ADDR + 0x1000);
	r->host_area_size = vmsg_cpu_to_le32(0x4000);
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_ATTACH);
	epf_before_card_poll(&f->l);
	assert_int_equal(f->l.map_errors, 0);
	assert_ptr_equal(f->l.hm.map, f->win);
	/* the same command seen again: not handled twice */
	epf_before_card_poll(&f->l);
	assert_int_equal(f->l.map_errors, 0);
	/* a new ATTACH outside: the window must move (refused by this
	 * "device": the old mapping stays, the engine will refuse EAREA) */
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_NONE);
	epf_before_card_poll(&f->l);
	r->host_area_addr = vmsg_cpu_to_le64(WIN_ADDR + WIN_SIZE);
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_ATTACH);
	epf_before_card_poll(&f->l);
	assert_int_equal(f->l.map_errors, 1);
	assert_null(epf_host_map(&f->l, WIN_ADDR + WIN_SIZE, 0x4000));
	/* a wrapping area is left to the engine (EAREA), never mapped */
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_NONE);
	epf_before_card_poll(&f->l);
	r->host_area_addr = vmsg_cpu_to_le64(UINT64_MAX - 0x100);
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_ATTACH);
	epf_before_card_poll(&f->l);
	assert_int_equal(f->l.map_errors, 1);
	/* with the link down nothing is mapped */
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_NONE);
	epf_before_card_poll(&f->l);
	f->l.link_up = false;
	r->host_area_addr = vmsg_cpu_to_le64(WIN_ADDR + WIN_SIZE);
	r->host_ctrl = vmsg_cpu_to_le32(VMSG_HOST_CTRL_ATTACH);
	epf_before_card_poll(&f->l);
	assert_int_equal(f->l.map_errors, 1);
}

static void good_info(struct vmsg_epf_info *in)
{
	memset(in, 0, sizeof(*in));
	in->abi_version = VMSG_EPF_ABI_VERSION;
	in->bar0_size = 0x10000;
	in->window_size = 1ull << 30;
	in->window_align = 0x10000;
	in->num_vectors = 8;
	in->max_msg_size = 264;
	in->dma_addr_bits = 48;
	in->num_doorbells = 2;
	memset(in->epc_name, 'e', sizeof(in->epc_name));
	memset(in->function, 'f', sizeof(in->function));
}

static void test_info_checks(void **state)
{
	struct vmsg_epf_info in;
	char err[256];

	(void)state;
	good_info(&in);
	assert_int_equal(epf_dev_check_info(&in, err, sizeof(err)), 0);
	/* unterminated strings from the module are cut */
	assert_int_equal(in.epc_name[sizeof(in.epc_name) - 1], '\0');
	assert_int_equal(in.function[sizeof(in.function) - 1], '\0');
	/* a BAR0 of part pages: only whole pages are used */
	good_info(&in);
	in.bar0_size = 0x10000 + 100;
	assert_int_equal(epf_dev_check_info(&in, err, sizeof(err)), 0);
	assert_int_equal(in.bar0_size, 0x10000);
#define BAD(field, value, msg)                                                                     \
	do {                                                                                       \
		good_info(&in);                                                                    \
		in.field = value;                                                                  \
		assert_int_equal(epf_dev_check_info(&in, err, sizeof(err)), -1);                   \
		if (!strstr(err, msg))                                                             \
			fail_msg("'%s' lacks '%s'", err, msg);                                     \
	} while (0)
	BAD(bar0_size, 0x8000, "BAR0 size 32768");
	BAD(bar0_size, 1ull << 40, "BAR0 size");
	BAD(window_align, 0x3000, "alignment 12288");
	BAD(window_size, UINT64_MAX, "too large");
	BAD(max_msg_size, 47, "max_msg_size 47");
	BAD(max_msg_size, 265, "max_msg_size 265");
	BAD(dma_addr_bits, 31, "dma_addr_bits 31");
	BAD(dma_addr_bits, 65, "dma_addr_bits 65");
	BAD(num_doorbells, 1, "1 doorbells");
	BAD(num_doorbells, 33, "33 doorbells");
#undef BAD
}

/* [OOB-1]: OOB_NOTIFY only with doorbells beyond h2c and ctrl to watch. */
static void test_oob_offer(void **state)
{
	struct vmsg_epf_info in;
	uint32_t ndb = 99;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.flags = VMSG_EPF_INFO_MSIX;
	in.num_doorbells = 2; /* the configfs default */
	assert_int_equal(epf_card_features(&in, false, &ndb) & VMSG_PCIE_F_OOB_NOTIFY, 0);
	assert_int_equal(ndb, 2);
	in.num_doorbells = 3;
	assert_int_equal(epf_card_features(&in, false, &ndb) & VMSG_PCIE_F_OOB_NOTIFY,
			 VMSG_PCIE_F_OOB_NOTIFY);
	assert_int_equal(ndb, 3);
	in.num_doorbells = 32;
	assert_true(epf_card_features(&in, true, &ndb) & VMSG_PCIE_F_OOB_NOTIFY);
	assert_true(epf_card_features(&in, true, &ndb) & VMSG_PCIE_F_DMA_ENGINE);
	in.num_doorbells = 33; /* refused by epf_dev_check_info; never offered */
	assert_int_equal(epf_card_features(&in, false, &ndb) & VMSG_PCIE_F_OOB_NOTIFY, 0);
}

static void test_open_refuses_non_devices(void **state)
{
	struct vmsg_epf_info in;
	char err[256];
	bool usage = false;

	(void)state;
	assert_int_equal(epf_dev_open("/nonexistent/vmsg-epf0", &in, err, sizeof(err), &usage), -1);
	assert_true(usage);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(epf_dev_open("/", &in, err, sizeof(err), &usage), -1);
	assert_non_null(strstr(err, "is not a character device"));
	assert_int_equal(epf_dev_open("/dev/null", &in, err, sizeof(err), &usage), -1);
	assert_true(usage);
	assert_non_null(strstr(err, "is not a pci-epf-vmsg device"));
}

static void test_dev_list(void **state)
{
	struct epf_dev_list l;
	char buf[128];

	(void)state;
	memset(&l, 0, sizeof(l));
	l.n = 2;
	snprintf(l.names[0], sizeof(l.names[0]), "/dev/vmsg-epf0");
	snprintf(l.names[1], sizeof(l.names[1]), "/dev/vmsg-epf1");
	epf_dev_list_str(&l, buf, sizeof(buf));
	assert_string_equal(buf, "/dev/vmsg-epf0, /dev/vmsg-epf1");
	l.n = EPF_MAX_DEV_LISTED + 3;
	epf_dev_list_str(&l, buf, sizeof(buf));
	assert_non_null(strstr(buf, "(11 in all)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_host_access_bounds, setup, teardown),
	    cmocka_unit_test(test_oob_offer),
	    cmocka_unit_test_setup_teardown(test_doorbell_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_down_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unbind_is_clean_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hangup_is_clean_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_record_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attach_remaps_outside_area, setup, teardown),
	    cmocka_unit_test(test_info_checks),
	    cmocka_unit_test(test_open_refuses_non_devices),
	    cmocka_unit_test(test_dev_list),
	};

	vcard_log_set_level(VMSG_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
