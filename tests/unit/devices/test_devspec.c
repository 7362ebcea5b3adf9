/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* test_devspec.c - device spec parsing and the constructors' errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_engine.h"

static void expect_error(const char *spec, const char *msg)
{
	char err[256];
	struct vmsg_dev *d;

	memset(err, 'Z', sizeof(err));
	d = vmsg_device_from_spec(spec, err, sizeof(err));
	if (d)
		fail_msg("spec '%s' was accepted", spec);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	if (!strstr(err, msg))
		fail_msg("spec '%s': error '%s' lacks '%s'", spec, err, msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "empty");
	expect_error("disk", "unknown device type 'disk'");
	expect_error("net", "net: missing mode");
	expect_error("net:", "net: missing mode");
	expect_error("net:bridge", "net: unknown mode 'bridge'");
	expect_error("net:tap:", "net: tap needs an interface name");
	expect_error("net:tap:waytoolongname0123456789", "net: bad tap interface name");
	expect_error("net:loopback,mac=zz:00:00:00:00:00", "net: bad mac");
	expect_error("net:loopback,mac=01:00:00:00:00:00", "net: bad mac"); /* multicast */
	expect_error("net:loopback,mac=02:00:00:00:00", "net: bad mac");
	expect_error("net:loopback,speed=10", "net: unknown option 'speed=10'");
	expect_error("blk", "blk: missing path");
	expect_error("blk:", "blk: missing path");
	expect_error("blk:,ro", "blk: no path");
	expect_error("blk:disk-that-does-not-exist.img",
		     "blk: cannot open disk-that-does-not-exist.img: No such file or directory");
	expect_error("blk:/dev/null", "not a regular file or block device");
	{
		/* an empty or sub-sector file is refused, not offered as capacity 0 */
		char path[] = "/tmp/vmsg-spec-XXXXXX", spec[64];
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		snprintf(spec, sizeof(spec), "blk:%s", path);
		expect_error(spec, "is 0 bytes: a disk needs at least one 512-byte sector");
		assert_int_equal(ftruncate(fd, 511), 0);
		expect_error(spec, "is 511 bytes: a disk needs at least one 512-byte sector");
		close(fd);
		unlink(path);
	}
	expect_error("rng:fast", "rng: takes no arguments");
	expect_error("console", "console: missing backend");
	expect_error("console:serial", "console: unknown backend 'serial'");
	/* NULL err is fine */
	assert_null(vmsg_device_from_spec("bogus", NULL, 0));
	assert_null(vmsg_device_from_spec(NULL, NULL, 0));
}

static struct vmsg_dev *must(const char *spec)
{
	char err[256] = "";
	struct vmsg_dev *d = vmsg_device_from_spec(spec, err, sizeof(err));

	if (!d)
		fail_msg("spec '%s': %s", spec, err);
	assert_non_null(d->ops);
	assert_non_null(d->ops->describe);
	assert_non_null(d->ops->destroy);
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_VERSION_1));
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_ACCESS_PLATFORM));
	assert_true(d->features & (1ull << VMSG_VIRTIO_F_RING_RESET));
	assert_true(d->num_queues >= 1 && d->num_queues <= VMSG_DEV_MAX_QUEUES);
	assert_true(d->queue_max_size && !(d->queue_max_size & (d->queue_max_size - 1)));
	return d;
}

static void test_good_specs(void **state)
{
	char path[] = "/tmp/vmsg-spec-XXXXXX", spec[128], line[300];
	struct vmsg_dev *d;
	uint8_t cfg[8];
	int fd;

	(void)state;
	d = must("net:loopback");
	assert_int_equal(d->ops->device_id, 1);
	vmsg_device_destroy(d);

	d = must("net:loopback,mac=02:aa:bb:cc:dd:0e");
	d->ops->describe(d, line, sizeof(line));
	assert_non_null(strstr(line, "02:aa:bb:cc:dd:0e"));
	vmsg_device_destroy(d);

	d = must("rng");
	assert_int_equal(d->ops->device_id, 4);
	vmsg_device_destroy(d);

	d = must("console:pty");
	assert_int_equal(d->ops->device_id, 3);
	d->ops->describe(d, line, sizeof(line));
	assert_non_null(strstr(line, "/dev/pts/"));
	vmsg_device_destroy(d);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	snprintf(spec, sizeof(spec), "blk:%s,ro", path);
	d = must(spec);
	assert_int_equal(d->ops->device_id, 2);
	assert_true(d->features & (1ull << 5)); /* RO */
	d->ops->config_read(d, 0, cfg, 8);
	assert_int_equal(cfg[0] | cfg[1] << 8 | cfg[2] << 16, 2048);
	d->ops->describe(d, line, sizeof(line));
	assert_non_null(strstr(line, path));
	assert_non_null(strstr(line, " ro"));
	vmsg_device_destroy(d);

	snprintf(spec, sizeof(spec), "blk:%s", path);
	d = must(spec);
	assert_false(d->features & (1ull << 5));
	vmsg_device_destroy(d);
	vmsg_device_destroy(NULL);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_good_specs),
	};

	return cmocka_run_group_tests_name("devices_devspec", tests, NULL, NULL);
}
