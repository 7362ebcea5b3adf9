// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_card_sim.c - vmsg-card --platform sim end to end, as a host would
 * see it: the ivshmem greeting, BAR0 identity, the emulated link page, ATTACH over a host-memory
 * file until RUN, the control socket, several clients, hostile clients,
 * and a clean SIGTERM. The tests run in order on one daemon.
 */
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "vmsg_pcie.h"

#define HOST_MEM_SIZE  (1u << 20)
#define HOST_AREA_ADDR 0x10000u

struct env {
	char tmp[256];
	char link[300];
	char host_mem[300];
	char log[300];
	char pidfile[300];
	char ivs_sock[320];
	char ctl_sock[320];
	char bar0[320];
	pid_t pid;
	struct h_ivs a;
};

static struct env E;

#define REG(field) offsetof(struct vmsg_pcie_regs, field)

static volatile struct vmsg_pcie_regs *regs(void)
{
	assert_non_null(E.a.shm); /* the greeting test mapped BAR0 */
	return (volatile struct vmsg_pcie_regs *)E.a.shm;
}

static void dump_log(void)
{
	char buf[8192];
	int fd = open(E.log, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		print_message("---- vmsg-card log ----\n%s-----------------------\n", buf);
	}
}

static int group_setup(void **state)
{
	const char *args[] = {"--platform",  "sim",	 "--link",    E.link,
			      "--host-mem",  E.host_mem, "--pidfile", E.pidfile,
			      "--log-level", "debug",	 NULL};
	int fd;

	(void)state;
	h_mkdtemp(E.tmp, sizeof(E.tmp));
	snprintf(E.link, sizeof(E.link), "%s/link", E.tmp);
	snprintf(E.host_mem, sizeof(E.host_mem), "%s/host-ram", E.tmp);
	snprintf(E.log, sizeof(E.log), "%s/card.log", E.tmp);
	snprintf(E.pidfile, sizeof(E.pidfile), "%s/card.pid", E.tmp);
	snprintf(E.ivs_sock, sizeof(E.ivs_sock), "%s/ivshmem.sock", E.link);
	snprintf(E.ctl_sock, sizeof(E.ctl_sock), "%s/ctl.sock", E.link);
	snprintf(E.bar0, sizeof(E.bar0), "%s/bar0", E.link);
	fd = open(E.host_mem, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, HOST_MEM_SIZE) < 0)
		return -1;
	close(fd);
	E.a.sock = -1;
	E.pid = h_spawn_card(args, E.log);
	if (E.pid < 0 || !h_wait_path(E.pidfile, H_TIMEOUT_MS)) {
		dump_log();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	int st;

	(void)state;
	h_ivs_close(&E.a);
	if (E.pid > 0 && h_wait_exit(E.pid, 0, &st) < 0) {
		kill(E.pid, SIGKILL);
		h_wait_exit(E.pid, H_TIMEOUT_MS, &st);
	}
	if (getenv("VMSG_TEST_KEEP"))
		print_message("kept %s\n", E.tmp);
	else
		h_rm_tree(E.tmp);
	return 0;
}

static void test_files_and_greeting(void **state)
{
	(void)state;
	assert_true(h_wait_path(E.ivs_sock, 0));
	assert_true(h_wait_path(E.ctl_sock, 0));
	assert_true(h_wait_path(E.bar0, 0));
	assert_int_equal(h_ivs_connect(&E.a, E.ivs_sock, 8), 0);
	assert_int_equal(E.a.id, 1);
	/* Power of two (QEMU ivshmem needs it), BAR0 at least the binding's
	 * minimum in front of the link page. */
	assert_true(E.a.shm_size >= VMSG_PCIE_BAR0_MIN_SIZE + VMSG_EMU_PAGE_SIZE);
	assert_int_equal(E.a.shm_size & (E.a.shm_size - 1), 0);
}

static volatile struct vmsg_emu_page *emu_page(void)
{
	assert_non_null(E.a.shm);
	return (volatile struct vmsg_emu_page *)((volatile uint8_t *)E.a.shm + E.a.shm_size -
						 VMSG_EMU_PAGE_SIZE);
}

/* [EMU-7] The card's header in the link page: the binding's ids from
 * fw_shared, BAR0 = everything before the page, the card's peer id. */
static void test_emu_page_header(void **state)
{
	volatile struct vmsg_emu_page *p = emu_page();

	(void)state;
	assert_int_equal(p->hdr_magic, VMSG_EMU_HDR_MAGIC);
	assert_int_equal(p->hdr_version, VMSG_EMU_PAGE_VERSION);
	assert_int_equal(p->vendor_id, VMSG_PCIE_VENDOR_ID);
	assert_int_equal(p->device_id, VMSG_PCIE_DEVICE_ID);
	assert_int_equal(p->subsys_vendor_id, VMSG_PCIE_SUBSYS_VENDOR_ID);
	assert_int_equal(p->subsys_id, VMSG_PCIE_SUBSYS_ID);
	assert_int_equal(p->class_rev >> 8, VMSG_PCIE_CLASS);
	assert_int_equal(p->bar0_size, E.a.shm_size - VMSG_EMU_PAGE_SIZE);
	assert_int_equal(p->card_peer_id, VMSG_EMU_CARD_PEER_ID);
	for (unsigned int i = 0; i < sizeof(p->hdr_reserved) / sizeof(p->hdr_reserved[0]); i++)
		assert_int_equal(p->hdr_reserved[i], 0);
}

static void test_bar0_identity(void **state)
{
	volatile struct vmsg_pcie_regs *r = regs();

	(void)state;
	assert_int_equal(r->magic, VMSG_PCIE_MAGIC);
	assert_int_equal(VMSG_PCIE_VERSION_GET_MAJOR(r->version), VMSG_PCIE_VERSION_MAJOR);
	assert_int_equal(r->link_state, VMSG_LINK_READY);
	assert_int_not_equal(r->epoch, 0);
	assert_int_equal(r->num_vectors, 8);
	assert_int_equal(r->max_msg_size, VMSG_PCIE_MAX_MSG_SIZE);
	assert_true(r->card_features & VMSG_PCIE_F_C2H_HOST_MEM);
	assert_true(r->card_features & VMSG_PCIE_F_MSIX);
}

static uint32_t host_area_size(void)
{
	uint32_t area = regs()->host_area_min;

	area = (area + 4095u) & ~4095u;
	return area < 0x4000u ? 0x4000u : area;
}

/* Write a host_ctrl command per the binding, ring doorbell 1 and wait for
 * the card to acknowledge it (host_ctrl back to NONE). */
static void host_ctrl(uint32_t cmd, uint64_t area_addr, uint32_t area_size)
{
	volatile struct vmsg_pcie_regs *r = regs();

	if (cmd == VMSG_HOST_CTRL_ATTACH) {
		r->host_version = VMSG_PCIE_VERSION;
		r->host_features = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX;
		r->host_area_addr = area_addr;
		r->host_area_size = area_size;
		r->irq_mode = VMSG_IRQ_MSIX;
		r->vec_c2h = 0;
		r->host_epoch = r->epoch;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->host_ctrl = cmd;
	h_ivs_ring(&E.a, VMSG_DB_CTRL);
	if (!h_wait_reg(&E.a, REG(host_ctrl), VMSG_HOST_CTRL_NONE, H_TIMEOUT_MS)) {
		dump_log();
		fail_msg("host_ctrl %u not acknowledged", cmd);
	}
}

static void test_attach_reaches_run(void **state)
{
	volatile struct vmsg_pcie_regs *r = regs();
	uint32_t area = host_area_size();

	(void)state;
	assert_true(HOST_AREA_ADDR + area <= HOST_MEM_SIZE);
	host_ctrl(VMSG_HOST_CTRL_ATTACH, HOST_AREA_ADDR, area);
	if (!h_wait_reg(&E.a, REG(link_state), VMSG_LINK_RUN, H_TIMEOUT_MS)) {
		print_error("link_state %u attach_error %u host_ctrl %u\n", r->link_state,
			    r->attach_error, r->host_ctrl);
		dump_log();
		fail();
	}
	assert_int_equal(r->attach_error, VMSG_ATTACH_OK);
	/* The card tells the host about the link change on vec_c2h. */
	assert_true(h_ivs_wait_irq(&E.a, 0, H_TIMEOUT_MS));
}

static void ctl(struct h_run *r, const char *cmd, const char *arg)
{
	const char *args[] = {"ctl", "--link", E.link, cmd, arg, NULL};

	h_run_card(r, args);
}

static void test_ctl_stats_and_list(void **state)
{
	static struct h_run r;

	(void)state;
	ctl(&r, "stats", NULL);
	if (r.status != 0)
		print_error("stats: %d %s\n", r.status, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "link_state RUN\n"));
	assert_non_null(strstr(r.out, "epoch 0x"));
	assert_non_null(strstr(r.out, "attaches 1\n"));
	assert_non_null(strstr(r.out, "drop_verdict.short 0\n"));
	assert_non_null(strstr(r.out, "platform sim\n"));
	assert_non_null(strstr(r.out, "sim.hosts_lost 0\n"));
	assert_non_null(strstr(r.out, "sim.clients 1\n"));
	assert_non_null(strstr(r.out, "sim.host_peer 1\n"));
	assert_non_null(strstr(r.out, "sim.host_mem_maps 1\n"));
	assert_null(strstr(r.out, "\nok\n")); /* the final ok is not printed */

	ctl(&r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, ""); /* no devices */
}

static void test_ctl_add_remove(void **state)
{
	static struct h_run r;

	(void)state;
	ctl(&r, "add", "rng");
	if (r.status != 0)
		print_error("add rng: %d %s\n", r.status, r.err);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "dev_num 1\n");
	ctl(&r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.out, "1 rng ", 6) == 0);

	ctl(&r, "add", "blk:/nonexistent/disk.img");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "error: "));
	assert_non_null(strstr(r.err, "/nonexistent/disk.img"));

	/* a mistyped tap name is an error, never a new tap (no privilege
	 * needed to find out: the name is looked up before /dev/net/tun) */
	ctl(&r, "add", "net:tap:vmsgnosuch0");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no network interface 'vmsgnosuch0'"));
	assert_int_equal(if_nametoindex("vmsgnosuch0"), 0);

	ctl(&r, "add", "console:stdio");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "console:stdio can only be given on the command line"));

	ctl(&r, "remove", "1");
	assert_int_equal(r.status, 0);
	ctl(&r, "remove", "1");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "error: no device 1"));
	ctl(&r, "remove", "zero");
	assert_int_equal(r.status, 1);
	ctl(&r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read until the connection gives a final line or closes (bounded). */
static size_t read_answer(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, H_TIMEOUT_MS) <= 0)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "ok\n") || strstr(buf, "error: "))
			if (buf[len - 1] == '\n')
				break;
	}
	buf[len] = '\0';
	return len;
}

static void test_ctl_hostile_clients(void **state)
{
	char big[2048], buf[4096];
	int fd;

	(void)state;
	/* An over-long line: an error, then the daemon closes the connection. */
	memset(big, 'x', sizeof(big));
	fd = raw_connect(E.ctl_sock);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	read_answer(fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: command longer than"));
	close(fd);

	/* Unknown command, then a good one on the same connection. */
	fd = raw_connect(E.ctl_sock);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "frob\n", 5), 5);
	read_answer(fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: unknown command 'frob'"));
	assert_int_equal(write(fd, "list\r\n", 6), 6);
	read_answer(fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok\n");
	close(fd);

	/* A client that connects and says nothing does not block others. */
	fd = raw_connect(E.ctl_sock);
	assert_true(fd >= 0);
	{
		static struct h_run r;

		ctl(&r, "stats", NULL);
		assert_int_equal(r.status, 0);
	}
	close(fd);
}

static void test_second_client_and_disconnect(void **state)
{
	struct h_ivs b;
	int64_t v;
	int fd, got = 0;

	uint32_t epoch = regs()->epoch;
	static struct h_run run;

	(void)state;
	assert_int_equal(regs()->link_state, VMSG_LINK_RUN);
	assert_int_equal(h_ivs_connect(&b, E.ivs_sock, 8), 0);
	assert_int_equal(b.id, 2);
	/* B is the host now: A's session ends as on a link down. */
	assert_true(h_wait_reg(&E.a, REG(link_state), VMSG_LINK_READY, H_TIMEOUT_MS));
	assert_int_not_equal(regs()->epoch, epoch);
	ctl(&run, "stats", NULL);
	assert_non_null(strstr(run.out, "sim.host_peer 2\n"));
	assert_non_null(strstr(run.out, "sim.hosts_lost 1\n"));
	assert_non_null(strstr(run.out, "detaches 1\n"));
	/* A learns about B: B's id once per vector, each with an eventfd. */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(h_ivs_recv(E.a.sock, &v, &fd, H_TIMEOUT_MS), 0);
		assert_int_equal(v, 2);
		assert_true(fd >= 0);
		close(fd);
		got++;
	}
	assert_int_equal(got, 8);
	h_ivs_close(&b);
	/* B's disconnect: its id without an fd. */
	assert_int_equal(h_ivs_recv(E.a.sock, &v, &fd, H_TIMEOUT_MS), 0);
	assert_int_equal(v, 2);
	assert_int_equal(fd, -1);
	ctl(&run, "stats", NULL);
	assert_non_null(strstr(run.out, "sim.host_peer 1\n"));
	assert_non_null(strstr(run.out, "sim.hosts_lost 2\n"));
}

static void test_hostile_ivshmem_client(void **state)
{
	static struct h_run r;
	char junk[8192];
	int64_t v;
	int fd, rfd, n = 0;

	(void)state;
	fd = raw_connect(E.ivs_sock);
	assert_true(fd >= 0);
	memset(junk, 0xa5, sizeof(junk));
	/* Clients never speak; whatever they send is discarded. */
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	ctl(&r, "stats", NULL);
	assert_int_equal(r.status, 0);
	close(fd);
	/* A saw it come (8 messages) and go (1 message). */
	while (n < 9 && h_ivs_recv(E.a.sock, &v, &rfd, H_TIMEOUT_MS) == 0) {
		if (rfd >= 0)
			close(rfd);
		n++;
	}
	assert_int_equal(n, 9);
	assert_int_equal(rfd, -1);
	/* The daemon is alive and A is the host again. */
	ctl(&r, "stats", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "sim.host_peer 1\n"));
}

/* The host recreates its RAM file between sessions: the card maps the new
 * one at the next ATTACH. */
static void test_reattach_maps_new_host_mem(void **state)
{
	volatile struct vmsg_pcie_regs *r = regs();
	static struct h_run run;
	int fd;

	(void)state;
	host_ctrl(VMSG_HOST_CTRL_DETACH, 0, 0);
	assert_true(h_wait_reg(&E.a, REG(link_state), VMSG_LINK_READY, H_TIMEOUT_MS));
	assert_int_equal(unlink(E.host_mem), 0);
	fd = open(E.host_mem, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, HOST_MEM_SIZE * 2), 0);
	close(fd);
	host_ctrl(VMSG_HOST_CTRL_ATTACH, HOST_MEM_SIZE + HOST_AREA_ADDR, host_area_size());
	assert_int_equal(r->attach_error, VMSG_ATTACH_OK);
	assert_int_equal(r->link_state, VMSG_LINK_RUN);
	ctl(&run, "stats", NULL);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "sim.host_mem_maps 2\n"));
	assert_non_null(strstr(run.out, "attaches 2\n"));
}

/* A host area outside the host memory file is refused, not faulted on. */
static void test_attach_outside_host_mem_refused(void **state)
{
	volatile struct vmsg_pcie_regs *r = regs();
	static struct h_run run;

	(void)state;
	host_ctrl(VMSG_HOST_CTRL_DETACH, 0, 0);
	host_ctrl(VMSG_HOST_CTRL_ATTACH, 2 * HOST_MEM_SIZE - 4096, host_area_size());
	assert_int_equal(r->attach_error, VMSG_ATTACH_EAREA);
	assert_int_equal(r->link_state, VMSG_LINK_READY);
	host_ctrl(VMSG_HOST_CTRL_ATTACH, UINT64_MAX & ~4095ull, host_area_size());
	assert_int_equal(r->attach_error, VMSG_ATTACH_EAREA);
	ctl(&run, "stats", NULL);
	assert_int_equal(run.status, 0);
	assert_null(strstr(run.out, "sim.host_mem_refused 0\n"));
	/* Back to a good session for the shutdown test. */
	host_ctrl(VMSG_HOST_CTRL_ATTACH, HOST_AREA_ADDR, host_area_size());
	assert_int_equal(r->attach_error, VMSG_ATTACH_OK);
	assert_int_equal(r->link_state, VMSG_LINK_RUN);
}

static void test_second_daemon_refused(void **state)
{
	const char *args[] = {"--platform", "sim", "--link", E.link, NULL};
	static struct h_run r;

	(void)state;
	h_run_card(&r, args);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "is in use by another vmsg-card"));
	/* ... and it did not touch the running daemon's files. */
	assert_true(h_wait_path(E.ivs_sock, 0));
	assert_true(h_wait_path(E.ctl_sock, 0));
}

static void test_sigterm_clean_exit(void **state)
{
	volatile struct vmsg_pcie_regs *r = regs();
	char c;
	int st = -1;

	(void)state;
	assert_int_equal(kill(E.pid, SIGTERM), 0);
	assert_int_equal(h_wait_exit(E.pid, H_TIMEOUT_MS, &st), 0);
	E.pid = -1;
	if (st != 0)
		dump_log();
	assert_int_equal(st, 0);
	/* The host saw the link go down cleanly ([FLR-C-3]: SHUTDOWN, which
	 * vmsg_card_destroy() keeps: never INIT after a clean shutdown), and
	 * got an interrupt for it. */
	assert_int_equal(r->link_state, VMSG_LINK_SHUTDOWN);
	assert_true(h_ivs_wait_irq(&E.a, 0, H_TIMEOUT_MS));
	/* [EMU-7] The card's header is no longer valid. */
	assert_int_equal(emu_page()->hdr_magic, 0);
	assert_int_equal(emu_page()->vendor_id, 0);
	assert_int_equal(emu_page()->bar0_size, 0);
	/* Files removed, our ivshmem connection closed. */
	assert_false(h_wait_path(E.ivs_sock, 0));
	assert_false(h_wait_path(E.ctl_sock, 0));
	assert_false(h_wait_path(E.bar0, 0));
	assert_false(h_wait_path(E.pidfile, 0));
	{
		struct pollfd p = {.fd = E.a.sock, .events = POLLIN};

		assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
		assert_int_equal(read(E.a.sock, &c, 1), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_and_greeting),
	    cmocka_unit_test(test_bar0_identity),
	    cmocka_unit_test(test_emu_page_header),
	    cmocka_unit_test(test_attach_reaches_run),
	    cmocka_unit_test(test_ctl_stats_and_list),
	    cmocka_unit_test(test_ctl_add_remove),
	    cmocka_unit_test(test_ctl_hostile_clients),
	    cmocka_unit_test(test_second_client_and_disconnect),
	    cmocka_unit_test(test_hostile_ivshmem_client),
	    cmocka_unit_test(test_reattach_maps_new_host_mem),
	    cmocka_unit_test(test_attach_outside_host_mem_refused),
	    cmocka_unit_test(test_second_daemon_refused),
	    cmocka_unit_test(test_sigterm_clean_exit),
	};

	if (h_init(argc, argv) < 0)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
