// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * test_card_uio_config.c - platform uio's configuration file
 * (ep_function/card/uio_config.c): a full file parsed into the right values
 * and defaults; every bad file refused with FILE:LINE and the reason; the
 * UIO map lookup on a fake sysfs tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "uio_config.h"

/* The card-VM rig's shape: BAR0 at the start of an ivshmem BAR 2, the
 * window another BAR, the interrupt register an ivshmem Doorbell. */
static const char good[] = "# a comment line\n"
			   "\n"
			   "map = devmem   # trailing comment\n"
			   "bar0.phys = 0xfe000000\n"
			   "bar0.size = 128K\n"
			   "doorbell = poll\n"
			   "doorbell.poll_us = 500\n"
			   "window.phys = 0x800000000\n"
			   "window.size = 512M\n"
			   "window.pci_base = 0\n"
			   "irq.reg = 0xfebf100c\n"
			   "irq.value = 0x10000\n"
			   "irq.vectors = 8\n"
			   "irq.value.7 = 0xdead\n"
			   "\tdma_addr_bits = 40\r\n";

static int parse(const char *text, struct uio_config *c, char *err, size_t len)
{
	return uio_config_parse("t.conf", text, strlen(text), c, err, len);
}

static void test_good(void **state)
{
	struct uio_config c;
	char err[256];

	(void)state;
	if (parse(good, &c, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		fail();
	}
	assert_int_equal(c.map, UIO_MAP_DEVMEM);
	assert_int_equal(c.bar0_phys, 0xfe000000ull);
	assert_int_equal(c.bar0_size, 128 << 10);
	assert_int_equal(c.db, UIO_DB_POLL);
	assert_int_equal(c.poll_us, 500);
	assert_int_equal(c.win_phys, 0x800000000ull);
	assert_int_equal(c.win_size, 512ull << 20);
	assert_int_equal(c.win_pci_base, 0);
	assert_int_equal(c.irq_reg, 0xfebf100cull);
	assert_int_equal(c.irq_type, UIO_IRQ_MSIX);
	assert_int_equal(c.vectors, 8);
	for (unsigned int v = 0; v < 7; v++)
		assert_int_equal(c.irq_value[v], 0x10000 + v);
	assert_int_equal(c.irq_value[7], 0xdead);
	assert_int_equal(c.dma_addr_bits, 40);
	assert_false(c.db_ack);
	assert_string_equal(c.path, "t.conf");
}

static void test_defaults_and_interrupt_mode(void **state)
{
	static const char text[] = "uio = /dev/uio3\n"
				   "map = uio\n"
				   "bar0.phys = 0x10000000\n"
				   "bar0.size = 0x10000\n"
				   "doorbell = interrupt\n"
				   "doorbell.reenable = no\n"
				   "doorbell.ack_reg = 0x20000010\n"
				   "doorbell.ack_value = 1\n"
				   "window.phys = 0x40000000\n"
				   "window.size = 0x1000\n"
				   "window.pci_base = 0x123456000\n"
				   "irq.type = msi\n"
				   "irq.reg = 0x20000000\n"
				   "irq.value = 5\n";
	struct uio_config c;
	char err[256];

	(void)state;
	if (parse(text, &c, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		fail();
	}
	assert_string_equal(c.uio_dev, "/dev/uio3");
	assert_int_equal(c.map, UIO_MAP_UIO);
	assert_int_equal(c.db, UIO_DB_INTERRUPT);
	assert_false(c.db_reenable);
	assert_true(c.db_ack);
	assert_int_equal(c.db_ack_reg, 0x20000010);
	assert_int_equal(c.db_ack_value, 1);
	assert_int_equal(c.irq_type, UIO_IRQ_MSI);
	assert_int_equal(c.vectors, 1); /* default */
	assert_int_equal(c.irq_value[0], 5);
	assert_int_equal(c.irq_value[1], 0); /* beyond the vectors: unset */
	assert_int_equal(c.poll_us, UIO_CFG_DEFAULT_POLL);
	assert_int_equal(c.dma_addr_bits, 0); /* not given */
	assert_int_equal(c.win_pci_base, 0x123456000ull);
}

struct bad {
	const char *replace; /* a line of `good` (prefix up to '='), or NULL */
	const char *with;    /* its replacement ("" removes it); appended if no replace */
	const char *expect;  /* substring of the error */
};

static const struct bad bads[] = {
    {NULL, "frob = 1\n", "t.conf:16: unknown key 'frob'"},
    {NULL, "bar0.size = 64K\n", "t.conf:16: bar0.size given twice (first at line 5)"},
    {NULL, "irq.value.7 = 1\n", "t.conf:16: irq.value.7 given twice (first at line 14)"},
    {NULL, "just words\n", "t.conf:16: expected 'key = value', got 'just words'"},
    {NULL, " = 5\n", "t.conf:16: missing key before '='"},
    {NULL, "uio =\n", "t.conf:16: uio: missing value"},
    {NULL, "uio = /dev/sda\n", "t.conf:16: uio '/dev/sda': expected a UIO device"},
    {NULL, "irq.value.010 = 1\n", "t.conf:16: irq.value.010: expected irq.value.N"},
    {NULL, "irq.value.32 = 1\n", "t.conf:16: irq.value.32: expected irq.value.N"},
    {NULL, "irq.value.x = 1\n", "t.conf:16: irq.value.x: expected irq.value.N"},
    {"irq.value.7", "irq.value.8 = 1\n", "t.conf:14: irq.value.8: beyond irq.vectors (8"},
    {"map", "map = mmio\n", "t.conf:3: map 'mmio': expected devmem or uio"},
    {"map", "map = uio\n", "t.conf:3: map = uio needs a UIO device: uio = /dev/uioN"},
    {"bar0.phys", "bar0.phys = 0xfe000800\n",
     "t.conf:4: bar0.phys 0xfe000800: must be a multiple of 0x1000"},
    {"bar0.phys", "bar0.phys = -1\n", "t.conf:4: bar0.phys '-1': expected an address"},
    {"bar0.phys", "bar0.phys = 0x1g\n", "t.conf:4: bar0.phys '0x1g': expected an address"},
    {"bar0.phys", "bar0.phys = 0xfffffffffffff000\n",
     "t.conf:4: bar0.phys + bar0.size wraps around"},
    {"bar0.size", "bar0.size = 96K\n",
     "t.conf:5: bar0.size '96K': expected a power of two from 64K to 1G"},
    {"bar0.size", "bar0.size = 32K\n", "t.conf:5: bar0.size '32K'"},
    {"bar0.size", "bar0.size = 2G\n", "t.conf:5: bar0.size '2G'"},
    {"bar0.size", "", "t.conf: bar0.size is missing (required)"},
    {"doorbell =", "doorbell = irq\n", "t.conf:6: doorbell 'irq': expected poll or interrupt"},
    {"doorbell =", "doorbell = interrupt\n", "t.conf:6: doorbell = interrupt needs a UIO device"},
    {"doorbell =", "", "t.conf: doorbell is missing (required)"},
    {"doorbell.poll_us", "doorbell.poll_us = 5\n",
     "t.conf:7: doorbell.poll_us '5': expected 10..1000000"},
    {"doorbell.poll_us", "doorbell.reenable = yes\n",
     "t.conf:7: doorbell.reenable is for doorbell = interrupt only"},
    {"doorbell.poll_us", "doorbell.reenable = maybe\n",
     "t.conf:7: doorbell.reenable 'maybe': expected yes or no"},
    {"doorbell.poll_us", "doorbell.ack_value = 1\n",
     "t.conf:7: doorbell.ack_value needs doorbell.ack_reg"},
    {"window.phys", "window.phys = 0xfe010000\n",
     "t.conf:8: the window (window.phys) 0xfe010000+0x20000000 overlaps BAR0 (bar0.phys) "
     "0xfe000000+0x20000 (line 4)"},
    {"window.size", "window.size = 100\n",
     "t.conf:9: window.size '100': expected a size, a multiple of 4K"},
    {"window.pci_base", "window.pci_base = 0xfffffffff0000000\n",
     "t.conf:10: window.pci_base + window.size wraps around"},
    {"window.pci_base", "", "t.conf: window.pci_base is missing (required)"},
    {"irq.reg", "irq.reg = 0xfe000100\n",
     "t.conf:11: the interrupt register (irq.reg) 0xfe000100+0x4 overlaps BAR0 (bar0.phys)"},
    {"irq.reg", "irq.reg = 0x800000100\n",
     "t.conf:11: the interrupt register (irq.reg) 0x800000100+0x4 overlaps the window"},
    {"irq.reg", "irq.reg = 0xfebf1002\n",
     "t.conf:11: irq.reg 0xfebf1002: must be a multiple of 0x4"},
    {"irq.value =", "irq.value = 0x100000000\n",
     "t.conf:12: irq.value '0x100000000': expected a 32-bit value"},
    {"irq.value =", "", "t.conf: irq.value is missing (required)"},
    {"irq.vectors", "irq.vectors = 33\n", "t.conf:13: irq.vectors '33': expected 1..32"},
    {"irq.vectors", "irq.vectors = 0\n", "t.conf:13: irq.vectors '0'"},
    {"dma_addr_bits", "dma_addr_bits = 31\n", "t.conf:15: dma_addr_bits '31': expected 32..64"},
    {"window.pci_base", "window.pci_base = 0x10000000000\n",
     "t.conf:15: dma_addr_bits 40: the window's PCI base 0x10000000000 is beyond it"},
    {NULL, "irq.type = intx\n", "t.conf:16: irq.type 'intx': expected msix or msi"},
};

/* `good` with the line starting with b->replace replaced (or b->with
 * appended). */
static void make_bad(const struct bad *b, char *out, size_t len)
{
	const char *line = good;

	out[0] = '\0';
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t l = (size_t)(nl - line) + 1;
		const char *s = line;

		while (*s == '\t')
			s++;
		if (b->replace && !strncmp(s, b->replace, strlen(b->replace)))
			strncat(out, b->with, len - strlen(out) - 1);
		else
			strncat(out, line, l < len - strlen(out) - 1 ? l : len - strlen(out) - 1);
		line += l;
	}
	if (!b->replace)
		strncat(out, b->with, len - strlen(out) - 1);
}

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct uio_config c;
		char text[2048], err[512];

		make_bad(&bads[i], text, sizeof(text));
		if (parse(text, &c, err, sizeof(err)) == 0 || !strstr(err, bads[i].expect)) {
			print_error("case %zu: got '%s', expected '%s'\n", i, err, bads[i].expect);
			fail();
		}
	}
}

static void test_line_limits(void **state)
{
	struct uio_config c;
	char text[600], err[256];

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "# ", 2);
	text[300] = '\n';
	assert_int_equal(uio_config_parse("t.conf", text, 301, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:1: line longer than 256 bytes"));
	memcpy(text, "map = devmem\nmap\0= uio\n", 23);
	assert_int_equal(uio_config_parse("t.conf", text, 23, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: NUL byte in the line"));
	/* an empty file: the first required key is missing */
	assert_int_equal(uio_config_parse("t.conf", "", 0, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf: bar0.phys is missing (required)"));
}

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load(void **state)
{
	struct uio_config c;
	char path[128], err[512];
	char *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	write_file(path, good);
	if (uio_config_load(path, &c, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		fail();
	}
	assert_string_equal(c.path, path);
	assert_int_equal(c.vectors, 8);
	/* errors name the file */
	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, "bar0.phys = 0x1000\nbar0.size = 1\n");
	assert_int_equal(uio_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/bad.conf:2: bar0.size '1'"));
	assert_int_equal(uio_config_load("/nonexistent/x.conf", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
	/* too large */
	big = malloc(UIO_CFG_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, '\n', UIO_CFG_MAX_FILE + 1);
	big[UIO_CFG_MAX_FILE + 1] = '\0';
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	write_file(path, big);
	free(big);
	assert_int_equal(uio_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.conf: larger than 65536 bytes"));
}

static void mkmap(const char *cls, unsigned int i, const char *addr, const char *size,
		  const char *offset)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/uio2/maps/map%u", cls, i);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/uio2/maps/map%u/addr", cls, i);
	write_file(p, addr);
	snprintf(p, sizeof(p), "%s/uio2/maps/map%u/size", cls, i);
	write_file(p, size);
	snprintf(p, sizeof(p), "%s/uio2/maps/map%u/offset", cls, i);
	write_file(p, offset);
}

static void test_find_map(void **state)
{
	struct uio_map_info m;
	char cls[128], p[256], err[512];

	(void)state;
	snprintf(cls, sizeof(cls), "%s/class", tmpdir);
	assert_int_equal(mkdir(cls, 0700), 0);
	snprintf(p, sizeof(p), "%s/uio2", cls);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(uio_config_find_map(cls, "/dev/uio2", 0x1000, 4, &m, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/dev/uio2 has no memory maps"));
	snprintf(p, sizeof(p), "%s/uio2/maps", cls);
	assert_int_equal(mkdir(p, 0700), 0);
	/* sysfs style: hex with 0x and a newline */
	mkmap(cls, 0, "0x00000000a0000000\n", "0x0000000000010000\n", "0x0\n");
	mkmap(cls, 1, "0x00000000b0000000\n", "0x0000000000100000\n", "0x0\n");
	assert_int_equal(
	    uio_config_find_map(cls, "/dev/uio2", 0xb0010000, 0x1000, &m, err, sizeof(err)), 0);
	assert_int_equal(m.index, 1);
	assert_int_equal(m.addr, 0xb0000000);
	assert_int_equal(m.size, 0x100000);
	assert_int_equal(
	    uio_config_find_map(cls, "uio2", 0xa0000000, 0x10000, &m, err, sizeof(err)), 0);
	assert_int_equal(m.index, 0);
	/* one byte too long, before, after, wrapping: no map holds it */
	assert_int_equal(
	    uio_config_find_map(cls, "/dev/uio2", 0xa0000000, 0x10001, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no map of /dev/uio2 (2 maps in"));
	assert_non_null(strstr(err, "holds physical 0xa0000000+0x10001"));
	assert_int_equal(
	    uio_config_find_map(cls, "/dev/uio2", 0x9ffff000, 0x2000, &m, err, sizeof(err)), -1);
	assert_int_equal(uio_config_find_map(cls, "/dev/uio2", 0xb00ffffc, 8, &m, err, sizeof(err)),
			 -1);
	assert_int_equal(uio_config_find_map(cls, "/dev/uio2", 0xfffffffffffffff0ull, 0x20, &m, err,
					     sizeof(err)),
			 -1);
	assert_int_equal(uio_config_find_map(cls, "/dev/uio9", 0xa0000000, 4, &m, err, sizeof(err)),
			 -1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmsg-uio-cfg.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),      cmocka_unit_test(test_defaults_and_interrupt_mode),
	    cmocka_unit_test(test_bad_files), cmocka_unit_test(test_line_limits),
	    cmocka_unit_test(test_load),      cmocka_unit_test(test_find_map),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
