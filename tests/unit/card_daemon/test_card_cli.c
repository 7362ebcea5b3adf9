// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_card_cli.c - vmsg-card command line: every bad argument is a clear
 * message and exit status 2; --help is the manual; ctl without a daemon is
 * exit status 3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"

struct bad_case {
	const char *args[12];
	const char *expect; /* substring of stderr */
};

static const struct bad_case bad_cases[] = {
    {{NULL}, "--platform is required (known platforms: sim, epf, uio)"},
    {{"--platform", "foo", NULL},
     "--platform 'foo': unknown platform; known platforms: sim, epf, uio"},
    {{"--platform", "epf", "--shm-size", "1M", NULL},
     "--shm-size is an option of platform sim, not of platform epf"},
    {{"--platform", "sim", "--link", "/x", "--epf-dev", "/dev/vmsg-epf0", NULL},
     "--epf-dev is an option of platform epf, not of platform sim"},
    {{"--platform", "epf", "--link", "/x", "--epf-dev", "", NULL}, "--epf-dev '': expected"},
    /* A path that is no endpoint function: refused before anything is
     * opened for writing or any ioctl is sent. */
    {{"--platform", "epf", "--link", "/x", "--epf-dev", "/nonexistent/vmsg-epf0", NULL},
     "platform epf: /nonexistent/vmsg-epf0: No such file or directory"},
    {{"--platform", "epf", "--link", "/x", "--epf-dev", "/", NULL},
     "platform epf: / is not a character device (expected /dev/vmsg-epfN)"},
    {{"--platform", "epf", "--link", "/x", "--epf-dev", "/dev/null", NULL},
     "platform epf: /dev/null is not a pci-epf-vmsg device"},
    /* The shipped daemon has no test code: --hostile is vmsg-card-test's. */
    {{"--platform", "sim", "--link", "/x", "--hostile", "all", NULL},
     "unrecognized option '--hostile'"},
    {{"--platform", "sim", "--link", "/x", "--hostile-rate", "5", NULL},
     "unrecognized option '--hostile-rate'"},
    /* platform uio: the address map is required, read before anything is
     * opened; its errors name the file (and the line: test_card_uio_config) */
    {{"--platform", "uio", "--link", "/x", NULL}, "platform uio needs --uio-config FILE"},
    {{"--platform", "uio", "--link", "/x", "--uio-config", "", NULL}, "--uio-config: empty"},
    {{"--platform", "uio", "--link", "/x", "--uio-config", "/nonexistent/uio.conf", NULL},
     "platform uio: /nonexistent/uio.conf: No such file or directory"},
    {{"--platform", "uio", "--link", "/x", "--uio-config", "/dev/null", NULL},
     "platform uio: /dev/null: bar0.phys is missing (required)"},
    {{"--platform", "sim", "--link", "/x", "--uio-config", "/x.conf", NULL},
     "--uio-config is an option of platform uio, not of platform sim"},
    {{"--platform", "sim", NULL}, "--link DIR is required"},
    {{"--platform", "sim", "--link", "/x", "--vectors", "0", NULL}, "--vectors '0'"},
    {{"--platform", "sim", "--link", "/x", "--vectors", "33", NULL}, "--vectors '33'"},
    {{"--platform", "sim", "--link", "/x", "--vectors", "8x", NULL}, "--vectors '8x'"},
    {{"--platform", "sim", "--link", "/x", "--shm-size", "100000", NULL}, "--shm-size '100000'"},
    /* BAR0 (shared memory minus the 4 KiB link page) must stay >= 64 KiB */
    {{"--platform", "sim", "--link", "/x", "--shm-size", "64K", NULL}, "--shm-size '64K'"},
    {{"--platform", "sim", "--link", "/x", "--net", "foo", NULL}, "--net 'foo'"},
    {{"--platform", "sim", "--link", "/x", "--net", "tap:", NULL}, "--net 'tap:'"},
    {{"--platform", "sim", "--link", "/x", "--net", "tap:,create", NULL}, "--net 'tap:,create'"},
    {{"--platform", "sim", "--link", "/x", "--net", "tap:waytoolonginterfacename", NULL},
     "--net 'tap:waytoolonginterfacename'"},
    {{"--platform", "sim", "--link", "/x", "--console", "tty", NULL}, "--console 'tty'"},
    {{"--platform", "sim", "--link", "/x", "--console", "stdio", "--console", "stdio", NULL},
     "--console stdio given twice"},
    {{"--platform", "sim", "--link", "/x", "--blk", "", NULL}, "--blk ''"},
    {{"--platform", "sim", "--link", "/x", "--max-msg-size", "47", NULL}, "--max-msg-size '47'"},
    {{"--platform", "sim", "--link", "/x", "--max-msg-size", "265", NULL}, "--max-msg-size '265'"},
    {{"--platform", "sim", "--link", "/x", "--max-devices", "0", NULL}, "--max-devices '0'"},
    {{"--platform", "sim", "--link", "/x", "--dma-addr-bits", "12", NULL}, "--dma-addr-bits '12'"},
    {{"--platform", "sim", "--link", "/x", "--log-level", "loud", NULL}, "--log-level 'loud'"},
    {{"--platform", "sim", "--link", "/x", "--host-mem-lowmem", "2G", NULL},
     "--host-mem-lowmem needs --host-mem"},
    {{"--platform", "sim", "--link", "/x", "--host-mem", "/m", "--host-mem-lowmem", "5G", NULL},
     "--host-mem-lowmem '5G'"},
    {{"--platform", "sim", "--link", "/x", "--bogus", NULL}, "bogus"},
    {{"--platform", "sim", "--link", "/x", "extra", NULL}, "unexpected argument 'extra'"},
    {{"--platform", "sim", "--link", NULL}, "requires an argument"},
    {{"ctl", NULL}, "ctl: missing command"},
    {{"ctl", "--link", "/x", "frobnicate", NULL}, "ctl: bad command 'frobnicate'"},
    {{"ctl", "--link", "/x", "remove", NULL}, "ctl: bad command 'remove'"},
    {{"ctl", "--link", "/x", "list", "extra", NULL}, "ctl: bad command 'list'"},
    {{"ctl", "--link", "/x", "--timeout", "0", "list", NULL}, "ctl --timeout '0'"},
    {{"ctl", "list", NULL}, "ctl: no link directory"},
};

static void test_bad_arguments(void **state)
{
	static struct h_run r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		h_run_card(&r, c->args);
		if (r.status != 2 || !strstr(r.err, c->expect)) {
			print_error("case %zu (%s ...): status %d, stderr:\n%s\nexpected status 2 "
				    "and '%s'\n",
				    i, c->args[0] ? c->args[0] : "(none)", r.status, r.err,
				    c->expect);
			fail();
		}
		/* One clear message, and a hint where that helps. */
		assert_non_null(strstr(r.err, "vmsg-card"));
		assert_int_equal(r.out[0], '\0');
	}
}

static void test_help_is_a_manual(void **state)
{
	static const char *sections[] = {"NAME",	"SYNOPSIS",	    "DESCRIPTION",
					 "OPTIONS",	"CONTROL COMMANDS", "FILES",
					 "EXIT STATUS", "EXAMPLES"};
	static const char *args[] = {"--help", NULL};
	static struct h_run r;

	(void)state;
	h_run_card(&r, args);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "\n%s\n", sections[i]);
		if (!strstr(r.out, line) && strncmp(r.out, line + 1, strlen(line + 1)) != 0) {
			print_error("--help lacks section %s\n", sections[i]);
			fail();
		}
	}
	assert_non_null(strstr(r.out, "--platform sim|epf|uio"));
	assert_non_null(strstr(r.out, "ivshmem.sock"));
	/* one section per registered platform, with its own options */
	assert_non_null(strstr(r.out, "\nPLATFORMS\n"));
	assert_non_null(strstr(r.out, "    sim - "));
	assert_non_null(strstr(r.out, "    epf - "));
	assert_non_null(strstr(r.out, "    uio - "));
	assert_non_null(strstr(r.out, "Options of platform sim:\n        --host-mem FILE\n"));
	assert_non_null(strstr(r.out, "        --shm-size SIZE\n"));
	assert_non_null(strstr(r.out, "Options of platform epf:\n        --epf-dev PATH\n"));
	assert_non_null(strstr(r.out, "Options of platform uio:\n        --uio-config FILE\n"));
	/* every platform is written: none says "not implemented" */
	assert_null(strstr(r.out, "not implemented"));
	/* what ships documents no test option */
	assert_null(strstr(r.out, "--hostile"));
}

/* The test variant (argv[2]): --hostile documented and parsed; every bad
 * use one message and exit 2. */
static const char *card_test_bin;

static void test_test_variant(void **state)
{
	static const char *help[] = {"--help", NULL};
	static const char *bad_mode[] = {"--platform", "sim",		"--link", "/x",
					 "--hostile",  "garbage,bogus", NULL};
	static const char *rate_alone[] = {"--platform",     "sim", "--link", "/x",
					   "--hostile-rate", "5",   NULL};
	static struct h_run r;
	const char *shipped = h_card_bin;

	(void)state;
	if (!card_test_bin) {
		print_error("no vmsg-card-test path (argv[2])\n");
		fail();
	}
	h_card_bin = card_test_bin;
	h_run_card(&r, help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "    --hostile MODE[,MODE...]\n"));
	assert_non_null(strstr(r.out, "vmsg-card-test --platform sim ... --hostile"));
	h_run_card(&r, bad_mode);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--hostile 'garbage,bogus': unknown or empty mode 'bogus': "
				      "expected garbage, badsize"));
	h_run_card(&r, rate_alone);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--hostile-rate needs --hostile MODE"));
	h_card_bin = shipped;
}

static void test_version(void **state)
{
	static const char *args[] = {"--version", NULL};
	static struct h_run r;

	(void)state;
	h_run_card(&r, args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "vmsg-card "));
}

static void test_ctl_without_daemon(void **state)
{
	static const char *args[] = {"ctl",  "--link", "/nonexistent/vmsg-card", "--timeout", "500",
				     "list", NULL};
	static struct h_run r;

	(void)state;
	h_run_card(&r, args);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "cannot connect to /nonexistent/vmsg-card/ctl.sock"));
}

/* Without the module: what to load and configure, exit status 2. Only
 * where no function exists (a card running pci-epf-vmsg skips it). */
static void test_epf_without_module(void **state)
{
	static const char *args[] = {"--platform", "epf", "--link", "/nonexistent/epf", NULL};
	static const char *steps[] = {
	    "platform epf: no /dev/vmsg-epfN device: pci-epf-vmsg.ko is not\n",
	    "modprobe pci-epf-vmsg",
	    "mkdir functions/pci_epf_vmsg/func0\n",
	    "ln -s functions/pci_epf_vmsg/func0 controllers/EPC/",
	    "echo 1 > controllers/EPC/start\n",
	    "docs/epf-chardev.md",
	};
	static struct h_run r;

	(void)state;
	if (access("/dev/vmsg-epf0", F_OK) == 0)
		skip();
	h_run_card(&r, args);
	assert_int_equal(r.status, 2);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (!strstr(r.err, steps[i])) {
			print_error("stderr lacks '%s':\n%s\n", steps[i], r.err);
			fail();
		}
	assert_int_equal(r.out[0], '\0');
	/* refused before the link directory was made */
	assert_int_not_equal(access("/nonexistent/epf", F_OK), 0);
}

/* Platform uio: a valid file whose resource is missing (a UIO device that
 * does not exist, so nothing is mapped on the test machine): exit status 2
 * naming the device and the file, before the link directory is made; and a
 * bad line refused with FILE:LINE. */
static void test_uio_missing_resource(void **state)
{
	static const char conf[] = "map = uio\n"
				   "uio = /dev/uio987\n"
				   "bar0.phys = 0x10000000\n"
				   "bar0.size = 64K\n"
				   "doorbell = poll\n"
				   "window.phys = 0x20000000\n"
				   "window.size = 1M\n"
				   "window.pci_base = 0\n"
				   "irq.reg = 0x30000000\n"
				   "irq.value = 1\n";
	char path[] = "/tmp/vmsg-uio-cli.XXXXXX";
	const char *args[] = {"--platform",   "uio", "--link", "/nonexistent/uio",
			      "--uio-config", path,  NULL};
	static struct h_run r;
	char want[128];
	FILE *f;
	int fd;

	(void)state;
	if (access("/dev/uio987", F_OK) == 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(conf, f);
	fclose(f);
	h_run_card(&r, args);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want), "platform uio: /dev/uio987 (uio in %s): No such file", path);
	if (!strstr(r.err, want)) {
		print_error("stderr lacks '%s':\n%s\n", want, r.err);
		fail();
	}
	assert_int_not_equal(access("/nonexistent/uio", F_OK), 0);
	/* one more line, a bad one: FILE:11 */
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("irq.vectors = 99\n", f);
	fclose(f);
	h_run_card(&r, args);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want), "platform uio: %s:11: irq.vectors '99': expected 1..32", path);
	if (!strstr(r.err, want)) {
		print_error("stderr lacks '%s':\n%s\n", want, r.err);
		fail();
	}
	unlink(path);
}

static void test_bad_link_dir(void **state)
{
	/* A link directory that cannot be created: runtime failure, status 1. */
	static const char *args[] = {"--platform", "sim", "--link", "/nonexistent/a/b", NULL};
	static struct h_run r;

	(void)state;
	h_run_card(&r, args);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/nonexistent/a/b"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_help_is_a_manual),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_ctl_without_daemon),
	    cmocka_unit_test(test_bad_link_dir),
	    cmocka_unit_test(test_test_variant),
	    cmocka_unit_test(test_epf_without_module),
	    cmocka_unit_test(test_uio_missing_resource),
	};

	if (h_init(argc, argv) < 0)
		return 1;
	card_test_bin = argc > 2 ? argv[2] : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
