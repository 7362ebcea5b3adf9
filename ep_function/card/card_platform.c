// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * card_platform.c - the platform registry (card_platform.h) and the engine
 * services every C-library platform shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_platform.h"
#include "vcard_log.h"

const struct card_platform *const card_platforms[] = {
    &card_platform_sim,
    &card_platform_epf,
    &card_platform_uio,
    NULL,
};

const struct card_platform *card_platform_find(const char *name)
{
	for (unsigned int i = 0; card_platforms[i]; i++)
		if (strcmp(card_platforms[i]->name, name) == 0)
			return card_platforms[i];
	return NULL;
}

void card_platform_list(char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; card_platforms[i] && used < len; i++) {
		const struct card_platform *p = card_platforms[i];
		int n = snprintf(buf + used, len - used, "%s%s%s", i ? ", " : "", p->name,
				 p->create ? "" : " (not implemented yet)");

		if (n < 0)
			return;
		used += (size_t)n;
	}
}

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
