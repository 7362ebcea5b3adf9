/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * devspec.c - "net:loopback", "net:tap:IFNAME", "blk:PATH[,ro]", "rng",
 * "console:stdio", "console:pty" -> a device. Options follow a comma:
 * net takes mac=XX:XX:XX:XX:XX:XX (and tap takes create), blk takes ro.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_common.h"
#include "vmsg_devices.h"

#define SPEC_MAX 4096u

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "xx:xx:xx:xx:xx:xx", unicast. 0 or -1. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	if (*s || (mac[0] & 1))
		return -1;
	return 0;
}

/* Split "head,opt,opt" in place: returns the options part (or NULL). */
static char *split_opts(char *s)
{
	char *c = strchr(s, ',');

	if (!c)
		return NULL;
	*c = '\0';
	return c + 1;
}

static struct vmsg_dev *spec_net(char *arg, char *err, size_t errlen)
{
	char *opts = split_opts(arg), *o, *save = NULL;
	uint8_t mac[6];
	bool have_mac = false, create = false;

	for (o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		if (!strncmp(o, "mac=", 4)) {
			if (parse_mac(o + 4, mac) < 0) {
				dev_err(err, errlen,
					"net: bad mac '%s' (want a unicast XX:XX:XX:XX:XX:XX)",
					o + 4);
				return NULL;
			}
			have_mac = true;
		} else if (!strcmp(o, "create")) {
			create = true;
		} else {
			dev_err(err, errlen, "net: unknown option '%s' (known: mac=, create)", o);
			return NULL;
		}
	}
	if (create && strncmp(arg, "tap:", 4) != 0) {
		dev_err(err, errlen, "net: 'create' is an option of tap:IFNAME only");
		return NULL;
	}
	if (!strcmp(arg, "loopback"))
		return vmsg_net_loopback_create(have_mac ? mac : NULL, err, errlen);
	if (!strncmp(arg, "tap:", 4)) {
		if (!arg[4]) {
			dev_err(err, errlen, "net: tap needs an interface name (net:tap:IFNAME)");
			return NULL;
		}
		return vmsg_net_tap_create(arg + 4, create, have_mac ? mac : NULL, err, errlen);
	}
	dev_err(err, errlen, "net: unknown mode '%s' (want loopback or tap:IFNAME)", arg);
	return NULL;
}

static struct vmsg_dev *spec_blk(char *arg, char *err, size_t errlen)
{
	char *opts;
	bool ro = false;

	/* A path may contain commas; options are the known words after the
	 * last ones: "disk,v2.img,ro" is the path "disk,v2.img" read-only. */
	opts = strrchr(arg, ',');
	while (opts && !strcmp(opts + 1, "ro")) {
		ro = true;
		*opts = '\0';
		opts = strrchr(arg, ',');
	}
	if (!*arg) {
		dev_err(err, errlen, "blk: no path (want blk:PATH[,ro])");
		return NULL;
	}
	return vmsg_blk_create(arg, ro, err, errlen);
}

static struct vmsg_dev *spec_console(char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "stdio"))
		return vmsg_console_stdio_create(err, errlen);
	if (!strcmp(arg, "pty"))
		return vmsg_console_pty_create(err, errlen);
	dev_err(err, errlen, "console: unknown backend '%s' (want stdio or pty)", arg);
	return NULL;
}

struct vmsg_dev *vmsg_device_from_spec(const char *spec, char *err, size_t errlen)
{
	struct vmsg_dev *d = NULL;
	char *s, *arg;
	size_t len;

	if (err && errlen)
		err[0] = '\0';
	if (!spec || !*spec) {
		dev_err(err, errlen, "empty device spec");
		return NULL;
	}
	len = strnlen(spec, SPEC_MAX);
	if (len >= SPEC_MAX) {
		dev_err(err, errlen, "device spec too long");
		return NULL;
	}
	s = strndup(spec, len);
	if (!s) {
		dev_err(err, errlen, "out of memory");
		return NULL;
	}
	arg = strchr(s, ':');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(s, "net")) {
		if (!arg || !*arg)
			dev_err(err, errlen,
				"net: missing mode (want net:loopback or net:tap:IFNAME)");
		else
			d = spec_net(arg, err, errlen);
	} else if (!strcmp(s, "blk")) {
		if (!arg || !*arg)
			dev_err(err, errlen, "blk: missing path (want blk:PATH[,ro])");
		else
			d = spec_blk(arg, err, errlen);
	} else if (!strcmp(s, "rng")) {
		if (arg)
			dev_err(err, errlen, "rng: takes no arguments (want rng)");
		else
			d = vmsg_rng_create(err, errlen);
	} else if (!strcmp(s, "console")) {
		if (!arg || !*arg)
			dev_err(err, errlen,
				"console: missing backend (want console:stdio or console:pty)");
		else
			d = spec_console(arg, err, errlen);
	} else {
		dev_err(err, errlen, "unknown device type '%s' (want net, blk, rng or console)", s);
	}
	free(s);
	return d;
}

void vmsg_device_destroy(struct vmsg_dev *d)
{
	if (d && d->ops && d->ops->destroy)
		d->ops->destroy(d);
}
