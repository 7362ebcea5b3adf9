// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * vcard_log.c - leveled diagnostics on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vcard_log.h"

static int log_level = VMSG_LOG_INFO;

void vcard_log_set_level(int level)
{
	log_level = level;
}

int vcard_log_get_level(void)
{
	return log_level;
}

int vcard_log_parse_level(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
	    {"err", VMSG_LOG_ERR},	{"error", VMSG_LOG_ERR}, {"warn", VMSG_LOG_WARN},
	    {"warning", VMSG_LOG_WARN}, {"info", VMSG_LOG_INFO}, {"debug", VMSG_LOG_DEBUG},
	};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].level;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 7)
		return -1;
	return (int)v;
}

static const char *level_tag(int level)
{
	if (level <= VMSG_LOG_ERR)
		return "error";
	if (level == VMSG_LOG_WARN)
		return "warning";
	if (level <= VMSG_LOG_INFO)
		return "info";
	return "debug";
}

void vcard_vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* One fprintf per line so that concurrent writers do not interleave. */
	fprintf(stderr, "vmsg-card[%ld.%03ld] %s: %s%s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000L,
		level_tag(level), prefix ? prefix : "", line);
}

void vcard_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcard_vlog(level, "", fmt, ap);
	va_end(ap);
}
