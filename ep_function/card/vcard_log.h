/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vcard_log.h - the daemon's diagnostics: one line per event on stderr,
 * filtered by level (VMSG_LOG_* values, syslog numbering).
 */
#ifndef VCARD_LOG_H
#define VCARD_LOG_H

#include "vmsg_card.h"

void vcard_log_set_level(int level);
int vcard_log_get_level(void);

/* Parse "err", "warn", "info", "debug" or a number 0..7; -1 if invalid. */
int vcard_log_parse_level(const char *s);

void vcard_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The engine's log sink (vmsg_card_platform.log): prefix, then fmt. */
void vcard_vlog(int level, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define card_err(...)  vcard_log(VMSG_LOG_ERR, __VA_ARGS__)
#define card_warn(...) vcard_log(VMSG_LOG_WARN, __VA_ARGS__)
#define card_info(...) vcard_log(VMSG_LOG_INFO, __VA_ARGS__)
#define card_dbg(...)  vcard_log(VMSG_LOG_DEBUG, __VA_ARGS__)

#endif /* VCARD_LOG_H */
