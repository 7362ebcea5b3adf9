// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_devices.c - build devices from specs (ep_function/devices) and
 * hot-plug them into the engine.
 */
#include <stdio.h>
#include <string.h>

#include "card_daemon.h"
#include "vcard_log.h"
#include "vmsg_devices.h"

int card_add_device_spec(struct card_daemon *d, const char *spec, bool from_cli, char *err,
			 size_t errlen)
{
	struct vmsg_dev *dev;
	char desc[256] = "";
	int n;

	if (!from_cli && strncmp(spec, "console:stdio", 13) == 0) {
		snprintf(err, errlen,
			 "console:stdio can only be given on the command line (it is the "
			 "daemon's standard input); use console:pty");
		return -1;
	}
	err[0] = '\0';
	dev = vmsg_device_from_spec(spec, err, errlen);
	if (!dev) {
		if (!err[0])
			snprintf(err, errlen, "cannot create device '%s'", spec);
		return -1;
	}
	n = vmsg_card_add_device(d->card, dev);
	if (n < 0) {
		vmsg_device_destroy(dev);
		snprintf(err, errlen,
			 "the engine refused device '%s' (all %u device numbers in use, an "
			 "invalid device, or the card is shutting down)",
			 spec, d->opts->max_devices);
		return -1;
	}
	if (dev->ops->describe)
		dev->ops->describe(dev, desc, sizeof(desc));
	card_info("device %d: %s %s", n, dev->ops->name ? dev->ops->name : "?", desc);
	return n;
}
