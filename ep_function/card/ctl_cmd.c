// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ctl_cmd.c - the control commands: add, remove, list, stats.
 */
#include <stdio.h>
#include <string.h>

#include "card_daemon.h"
#include "vcard_log.h"
#include "virtio_msg_validate.h"
#include "vmsg_dev.h"

/* virtio device status bits */
#define ST_ACKNOWLEDGE 0x01u
#define ST_DRIVER      0x02u
#define ST_DRIVER_OK   0x04u
#define ST_FEATURES_OK 0x08u
#define ST_NEEDS_RESET 0x40u
#define ST_FAILED      0x80u

static const char *status_name(uint32_t st)
{
	if (st & ST_FAILED)
		return "failed";
	if (st & ST_NEEDS_RESET)
		return "needs-reset";
	if (st & ST_DRIVER_OK)
		return "running";
	if (st & ST_FEATURES_OK)
		return "features-ok";
	if (st & (ST_ACKNOWLEDGE | ST_DRIVER))
		return "probing";
	return "reset";
}

static const char *link_state_name(enum vmsg_link_state s)
{
	const char *n = vmsg_link_state_str(s);

	return n ? n : "?";
}

static void cmd_add(struct card_daemon *d, const char *spec, struct ctl_out *out)
{
	char err[256];
	int n;

	if (!*spec) {
		ctl_printf(out, "error: add needs a device spec (blk:FILE[,ro], net:loopback, "
				"net:tap:IF, rng, console:pty)\n");
		return;
	}
	n = card_add_device_spec(d, spec, false, err, sizeof(err));
	if (n < 0) {
		card_warn("ctl: add %s: %s", spec, err);
		ctl_printf(out, "error: %s\n", err);
		return;
	}
	ctl_printf(out, "dev_num %d\nok\n", n);
}

static void cmd_remove(struct card_daemon *d, const char *arg, struct ctl_out *out)
{
	uint32_t n;

	if (cli_parse_u32(arg, 1, 65535, &n) < 0) {
		ctl_printf(out, "error: remove needs a device number (1..65535), not '%s'\n", arg);
		return;
	}
	if (!vmsg_card_device(d->card, (vmsg_dev_num_t)n) ||
	    vmsg_card_remove_device(d->card, (vmsg_dev_num_t)n) < 0) {
		ctl_printf(out, "error: no device %u\n", n);
		return;
	}
	card_info("ctl: device %u removed", n);
	ctl_printf(out, "ok\n");
}

static void cmd_list(struct card_daemon *d, struct ctl_out *out)
{
	for (uint32_t n = 1; n <= d->opts->max_devices; n++) {
		struct vmsg_dev *dev = vmsg_card_device(d->card, (vmsg_dev_num_t)n);
		char desc[256] = "";

		if (!dev || dev->removed)
			continue;
		if (dev->ops->describe)
			dev->ops->describe(dev, desc, sizeof(desc));
		/* A description from a backend must not break the line protocol. */
		for (char *p = desc; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		ctl_printf(out, "%u %s %s(0x%02x) %s\n", n, dev->ops->name ? dev->ops->name : "?",
			   status_name(dev->status), dev->status & 0xffu, desc);
	}
	ctl_printf(out, "ok\n");
}

static void cmd_stats(struct card_daemon *d, struct ctl_out *out)
{
	const struct vmsg_card_stats *st = vmsg_card_stats(d->card);
	char plat[2048];
	size_t n;

	ctl_printf(out, "link_state %s\n", link_state_name(vmsg_card_link_state(d->card)));
	ctl_printf(out, "epoch 0x%08x\n", vmsg_card_epoch(d->card));
#define S(f) ctl_printf(out, #f " %llu\n", (unsigned long long)st->f)
	S(rx_msgs);
	S(tx_msgs);
	S(drop_malformed);
	S(drop_stale);
	S(drop_no_device);
	S(drop_unsupported);
	S(ring_full);
	S(irqs);
	S(attaches);
	S(detaches);
	S(pings);
	S(pending_overflow);
	S(refused);
	S(errors_sent);
	S(doorbells);
	S(oob_doorbells);
	S(oob_db_unmapped);
	S(oob_irqs);
	S(oob_map_bad);
#undef S
	for (int v = 1; v < VMSG_E__COUNT; v++)
		ctl_printf(out, "drop_verdict.%s %llu\n", vmsg_verdict_str((enum vmsg_verdict)v),
			   (unsigned long long)st->verdicts[v]);
	n = d->link.ops->describe(d->link.priv, plat, sizeof(plat));
	if (n)
		ctl_printf(out, "%.*s", (int)n, plat);
	ctl_printf(out, "ok\n");
}

void card_ctl_exec(void *ctx, const char *line, struct ctl_out *out)
{
	struct card_daemon *d = ctx;
	char verb[16];
	const char *arg;
	size_t vl;

	while (*line == ' ' || *line == '\t')
		line++;
	vl = strcspn(line, " \t");
	arg = line + vl;
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (vl == 0 || vl >= sizeof(verb)) {
		ctl_printf(out, "error: unknown command (add SPEC, remove DEVNUM, list, stats)\n");
		return;
	}
	memcpy(verb, line, vl);
	verb[vl] = '\0';
	card_dbg("ctl: %s", line);
	if (strcmp(verb, "add") == 0) {
		cmd_add(d, arg, out);
	} else if (strcmp(verb, "remove") == 0) {
		cmd_remove(d, arg, out);
	} else if (strcmp(verb, "list") == 0 && !*arg) {
		cmd_list(d, out);
	} else if (strcmp(verb, "stats") == 0 && !*arg) {
		cmd_stats(d, out);
	} else {
		ctl_printf(out,
			   "error: unknown command '%s' (add SPEC, remove DEVNUM, list, "
			   "stats)\n",
			   verb);
	}
}
