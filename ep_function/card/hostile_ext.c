// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * hostile_ext.c - vmsg-card-test's extension (card_ext.h): the --hostile
 * and --hostile-rate options and the hooks into the daemon, on top of the
 * attacks in hostile.c. TEST ONLY: linked into vmsg-card-test, never into
 * vmsg-card.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "card_daemon.h"
#include "card_ext.h"
#include "cli.h"
#include "hostile.h"

enum { EXT_OPT_HOSTILE, EXT_OPT_HOSTILE_RATE };

static const struct card_platform_opt hostile_opts[] = {
    [EXT_OPT_HOSTILE] =
	{"hostile", "MODE[,MODE...]",
	 "        TEST ONLY: makes the card attack its host; never use in production.\n"
	 "        While the link is RUN the card injects, besides its own traffic,\n"
	 "        hostile messages into the card-to-host ring, cycling through the\n"
	 "        modes: garbage (random bytes), badsize (msg_size or payload size\n"
	 "        wrong, oversize, short), badid (unknown ids, requests from the card,\n"
	 "        wrong class), badtoken (responses matching no request, duplicated\n"
	 "        responses), badevent (EVENT_USED/EVENT_CONFIG/EVENT_DEVICE out of\n"
	 "        range or for absent devices, READY storms), stale (old or random\n"
	 "        epoch), badslot (impossible slot length), badindex (impossible\n"
	 "        producer index, then sane again), or all. A correct host drops all\n"
	 "        of it and loses nothing. Named only, not in all: pingflood (h2c\n"
	 "        not consumed for 1.5 s, c2h kept full of PINGs) and usedrun (used\n"
	 "        ring idx far beyond what is in flight): the host must not crash or\n"
	 "        hang. `ctl stats` counts them (hostile.MODE N).\n"
	 "        $VMSG_CARD_HOSTILE_SEED sets the random seed (logged at start).\n"},
    [EXT_OPT_HOSTILE_RATE] = {"hostile-rate", "N",
			      "        TEST ONLY: one attack every N ms (1..60000, default 20);\n"
			      "        needs --hostile.\n"},
};

/* "garbage, badsize, ... or all": every mode hostile.c knows. */
static void mode_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int m = 0; m < HOSTILE__COUNT && used < len; m++) {
		int n = snprintf(buf + used, len - used, "%s, ",
				 hostile_mode_name((enum hostile_mode)m));

		if (n < 0)
			return;
		used += (size_t)n;
	}
	if (used < len)
		snprintf(buf + used, len - used, "or all");
}

static int hostile_parse_opt(struct card_opts *o, unsigned int idx, const char *arg)
{
	const char *bad;
	uint32_t mask;
	char modes[256];

	switch (idx) {
	case EXT_OPT_HOSTILE:
		if (hostile_parse_modes(arg, &mask, &bad) < 0) {
			mode_list(modes, sizeof(modes));
			cli_usage_error("--hostile '%s': unknown or empty mode '%.*s': expected "
					"%s, comma-separated",
					arg, (int)strcspn(bad, ","), bad, modes);
			return -1;
		}
		o->hostile_modes |= mask;
		return 0;
	case EXT_OPT_HOSTILE_RATE:
		if (cli_parse_u32(arg, 1, HOSTILE_MAX_RATE_MS, &o->hostile_rate_ms) < 0) {
			cli_usage_error("--hostile-rate '%s': expected 1..%u ms", arg,
					HOSTILE_MAX_RATE_MS);
			return -1;
		}
		return 0;
	default:
		return -1;
	}
}

static int hostile_check(const struct card_opts *o)
{
	if (o->hostile_rate_ms && !o->hostile_modes) {
		cli_usage_error("--hostile-rate needs --hostile MODE");
		return -1;
	}
	return 0;
}

static void hostile_ext_start(struct card_daemon *d)
{
	if (d->opts->hostile_modes)
		hostile_start(d);
}

const struct card_ext hostile_ext = {
    .name = "hostile",
    .synopsis =
	"    vmsg-card-test --platform sim ... --hostile MODE[,MODE...] [--hostile-rate N]\n"
	"                                              (test only: attacks the host)\n",
    .opts = hostile_opts,
    .n_opts = sizeof(hostile_opts) / sizeof(hostile_opts[0]),
    .parse_opt = hostile_parse_opt,
    .check = hostile_check,
    .start = hostile_ext_start,
    .next_ms = hostile_next_ms,
    .tick = hostile_tick,
    .active = hostile_active,
    .ctl_exec = hostile_ctl_exec,
};
