// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * uio_config.c - platform uio's configuration file, see uio_config.h.
 *
 * One "key = value" per line; '#' starts a comment; blank lines are ignored.
 * Every key at most once; unknown keys, bad numbers, missing keys and
 * inconsistent ranges are refused with the file and the line. Numbers are
 * decimal or 0x hex; sizes also take K, M, G (powers of 1024).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "uio_config.h"
#include "vmsg_pcie.h"

enum key_id {
	K_MAP,
	K_UIO,
	K_BAR0_PHYS,
	K_BAR0_SIZE,
	K_DOORBELL,
	K_POLL_US,
	K_REENABLE,
	K_ACK_REG,
	K_ACK_VALUE,
	K_WIN_PHYS,
	K_WIN_SIZE,
	K_WIN_PCI_BASE,
	K_IRQ_TYPE,
	K_IRQ_REG,
	K_IRQ_VALUE,
	K_IRQ_VECTORS,
	K_DMA_BITS,
	K_IRQ_VALUE_N, /* irq.value.N: one line number per vector below */
	K_COUNT
};

static const char *const key_names[K_IRQ_VALUE_N] = {
    [K_MAP] = "map",
    [K_UIO] = "uio",
    [K_BAR0_PHYS] = "bar0.phys",
    [K_BAR0_SIZE] = "bar0.size",
    [K_DOORBELL] = "doorbell",
    [K_POLL_US] = "doorbell.poll_us",
    [K_REENABLE] = "doorbell.reenable",
    [K_ACK_REG] = "doorbell.ack_reg",
    [K_ACK_VALUE] = "doorbell.ack_value",
    [K_WIN_PHYS] = "window.phys",
    [K_WIN_SIZE] = "window.size",
    [K_WIN_PCI_BASE] = "window.pci_base",
    [K_IRQ_TYPE] = "irq.type",
    [K_IRQ_REG] = "irq.reg",
    [K_IRQ_VALUE] = "irq.value",
    [K_IRQ_VECTORS] = "irq.vectors",
    [K_DMA_BITS] = "dma_addr_bits",
};

struct parse {
	const char *name;
	char *err;
	size_t errlen;
	unsigned int line[K_IRQ_VALUE_N];	      /* where each key was set, 0: not */
	unsigned int value_line[UIO_CFG_MAX_VECTORS]; /* irq.value.N */
	uint32_t irq_base;
};

static int perr(struct parse *p, unsigned int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parse *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line)
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* A physical or PCI address: page-aligned unless it is a register. */
static int set_addr(struct parse *p, unsigned int line, const char *key, const char *v,
		    uint64_t align, uint64_t *out)
{
	if (parse_u64(v, out) < 0)
		return perr(p, line, "%s '%s': expected an address (decimal or 0x hex)", key, v);
	if (*out & (align - 1))
		return perr(p, line, "%s %#llx: must be a multiple of %#llx", key,
			    (unsigned long long)*out, (unsigned long long)align);
	return 0;
}

static int set_value(struct parse *p, struct uio_config *c, enum key_id k, unsigned int line,
		     const char *key, const char *v)
{
	uint64_t u;

	switch (k) {
	case K_MAP:
		if (!strcmp(v, "devmem"))
			c->map = UIO_MAP_DEVMEM;
		else if (!strcmp(v, "uio"))
			c->map = UIO_MAP_UIO;
		else
			return perr(p, line, "map '%s': expected devmem or uio", v);
		return 0;
	case K_UIO:
		if (strncmp(v, "/dev/uio", 8) || !v[8] ||
		    strspn(v + 8, "0123456789") != strlen(v + 8) || strlen(v) >= sizeof(c->uio_dev))
			return perr(p, line, "uio '%s': expected a UIO device such as /dev/uio0",
				    v);
		snprintf(c->uio_dev, sizeof(c->uio_dev), "%s", v);
		return 0;
	case K_BAR0_PHYS:
		return set_addr(p, line, key, v, UIO_CFG_PAGE, &c->bar0_phys);
	case K_BAR0_SIZE:
		if (cli_parse_size(v, &c->bar0_size) < 0 ||
		    c->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE || c->bar0_size > UIO_CFG_MAX_BAR0 ||
		    (c->bar0_size & (c->bar0_size - 1)))
			return perr(p, line,
				    "bar0.size '%s': expected a power of two from 64K to 1G "
				    "(the binding's BAR0, [BAR-1])",
				    v);
		return 0;
	case K_DOORBELL:
		if (!strcmp(v, "poll"))
			c->db = UIO_DB_POLL;
		else if (!strcmp(v, "interrupt"))
			c->db = UIO_DB_INTERRUPT;
		else
			return perr(p, line, "doorbell '%s': expected poll or interrupt", v);
		return 0;
	case K_POLL_US:
		if (cli_parse_u32(v, 10, 1000000, &c->poll_us) < 0)
			return perr(p, line, "doorbell.poll_us '%s': expected 10..1000000", v);
		return 0;
	case K_REENABLE:
		if (parse_bool(v, &c->db_reenable) < 0)
			return perr(p, line, "doorbell.reenable '%s': expected yes or no", v);
		return 0;
	case K_ACK_REG:
		c->db_ack = true;
		return set_addr(p, line, key, v, 4, &c->db_ack_reg);
	case K_ACK_VALUE:
		if (parse_u64(v, &u) < 0 || u > UINT32_MAX)
			return perr(p, line, "doorbell.ack_value '%s': expected a 32-bit value", v);
		c->db_ack_value = (uint32_t)u;
		return 0;
	case K_WIN_PHYS:
		return set_addr(p, line, key, v, UIO_CFG_PAGE, &c->win_phys);
	case K_WIN_SIZE:
		if (cli_parse_size(v, &c->win_size) < 0 || c->win_size < UIO_CFG_PAGE ||
		    (c->win_size & (UIO_CFG_PAGE - 1)))
			return perr(p, line,
				    "window.size '%s': expected a size, a multiple of 4K (K, M, G "
				    "suffixes)",
				    v);
		return 0;
	case K_WIN_PCI_BASE:
		return set_addr(p, line, key, v, UIO_CFG_PAGE, &c->win_pci_base);
	case K_IRQ_TYPE:
		if (!strcmp(v, "msix"))
			c->irq_type = UIO_IRQ_MSIX;
		else if (!strcmp(v, "msi"))
			c->irq_type = UIO_IRQ_MSI;
		else
			return perr(p, line, "irq.type '%s': expected msix or msi", v);
		return 0;
	case K_IRQ_REG:
		return set_addr(p, line, key, v, 4, &c->irq_reg);
	case K_IRQ_VALUE:
		if (parse_u64(v, &u) < 0 || u > UINT32_MAX)
			return perr(p, line, "irq.value '%s': expected a 32-bit value", v);
		p->irq_base = (uint32_t)u;
		return 0;
	case K_IRQ_VECTORS:
		if (cli_parse_u32(v, 1, UIO_CFG_MAX_VECTORS, &c->vectors) < 0)
			return perr(p, line, "irq.vectors '%s': expected 1..32", v);
		return 0;
	case K_DMA_BITS:
		if (cli_parse_u32(v, 32, 64, &c->dma_addr_bits) < 0)
			return perr(p, line, "dma_addr_bits '%s': expected 32..64", v);
		return 0;
	default:
		return perr(p, line, "internal: key %s", key);
	}
}

/* "irq.value.N": N in 0..31, or -1. */
static int irq_value_index(const char *key)
{
	uint32_t n;

	if (strncmp(key, "irq.value.", 10))
		return -1;
	/* decimal digits only, no leading zero (strtoul would read 010 as 8) */
	if (!key[10] || strspn(key + 10, "0123456789") != strlen(key + 10) ||
	    (key[10] == '0' && key[11]) ||
	    cli_parse_u32(key + 10, 0, UIO_CFG_MAX_VECTORS - 1, &n) < 0)
		return -2;
	return (int)n;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int parse_line(struct parse *p, struct uio_config *c, unsigned int line, char *s)
{
	char *hash = strchr(s, '#');
	char *eq, *key, *val;
	int idx;

	if (hash)
		*hash = '\0';
	s = trim(s);
	if (!*s)
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return perr(p, line, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return perr(p, line, "missing key before '='");
	if (!*val)
		return perr(p, line, "%s: missing value", key);
	idx = irq_value_index(key);
	if (idx == -2)
		return perr(p, line, "%s: expected irq.value.N with N in 0..31", key);
	if (idx >= 0) {
		uint64_t u;

		if (p->value_line[idx])
			return perr(p, line, "%s given twice (first at line %u)", key,
				    p->value_line[idx]);
		if (parse_u64(val, &u) < 0 || u > UINT32_MAX)
			return perr(p, line, "%s '%s': expected a 32-bit value", key, val);
		c->irq_value[idx] = (uint32_t)u;
		p->value_line[idx] = line;
		return 0;
	}
	for (int k = 0; k < K_IRQ_VALUE_N; k++) {
		if (strcmp(key, key_names[k]))
			continue;
		if (p->line[k])
			return perr(p, line, "%s given twice (first at line %u)", key, p->line[k]);
		p->line[k] = line;
		return set_value(p, c, (enum key_id)k, line, key, val);
	}
	return perr(p, line, "unknown key '%s'", key);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

struct range {
	const char *what;
	enum key_id key;
	uint64_t base, len;
};

/* The checks that need the whole file. */
static int validate(struct parse *p, struct uio_config *c)
{
	static const enum key_id required[] = {K_BAR0_PHYS, K_BAR0_SIZE, K_DOORBELL,
					       K_WIN_PHYS,  K_WIN_SIZE,	 K_WIN_PCI_BASE,
					       K_IRQ_REG,   K_IRQ_VALUE};
	struct range r[4];
	unsigned int nr = 0;

	for (unsigned int i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!p->line[required[i]])
			return perr(p, 0, "%s is missing (required)", key_names[required[i]]);
	if (c->bar0_phys + c->bar0_size < c->bar0_phys)
		return perr(p, p->line[K_BAR0_PHYS], "bar0.phys + bar0.size wraps around");
	if (c->win_phys + c->win_size < c->win_phys)
		return perr(p, p->line[K_WIN_PHYS], "window.phys + window.size wraps around");
	if (c->win_pci_base + (c->win_size - 1) < c->win_pci_base)
		return perr(p, p->line[K_WIN_PCI_BASE],
			    "window.pci_base + window.size wraps around");
	if (c->dma_addr_bits && c->dma_addr_bits < 64 &&
	    c->win_pci_base >= (1ull << c->dma_addr_bits))
		return perr(p, p->line[K_DMA_BITS],
			    "dma_addr_bits %u: the window's PCI base %#llx is beyond it",
			    c->dma_addr_bits, (unsigned long long)c->win_pci_base);
	if ((c->map == UIO_MAP_UIO || c->db == UIO_DB_INTERRUPT) && !c->uio_dev[0])
		return perr(p, p->line[c->map == UIO_MAP_UIO ? K_MAP : K_DOORBELL],
			    "%s needs a UIO device: uio = /dev/uioN",
			    c->map == UIO_MAP_UIO ? "map = uio" : "doorbell = interrupt");
	if (c->db != UIO_DB_POLL && p->line[K_POLL_US])
		return perr(p, p->line[K_POLL_US], "doorbell.poll_us is for doorbell = poll only");
	if (c->db != UIO_DB_INTERRUPT && (p->line[K_REENABLE] || p->line[K_ACK_REG]))
		return perr(p, p->line[p->line[K_REENABLE] ? K_REENABLE : K_ACK_REG],
			    "%s is for doorbell = interrupt only",
			    p->line[K_REENABLE] ? "doorbell.reenable" : "doorbell.ack_reg");
	if (p->line[K_ACK_VALUE] && !p->line[K_ACK_REG])
		return perr(p, p->line[K_ACK_VALUE], "doorbell.ack_value needs doorbell.ack_reg");
	if (p->line[K_ACK_REG] && !p->line[K_ACK_VALUE])
		return perr(p, p->line[K_ACK_REG], "doorbell.ack_reg needs doorbell.ack_value");
	for (unsigned int v = 0; v < UIO_CFG_MAX_VECTORS; v++) {
		if (p->value_line[v] && v >= c->vectors)
			return perr(p, p->value_line[v],
				    "irq.value.%u: beyond irq.vectors (%u: vectors 0..%u)", v,
				    c->vectors, c->vectors - 1);
		if (!p->value_line[v] && v < c->vectors)
			c->irq_value[v] = p->irq_base + v; /* overflow wraps: the design's */
	}

	/* No two ranges may overlap: the host must not reach a register or the
	 * window through BAR0, nor the card write BAR0 through the window. */
	r[nr++] = (struct range){"BAR0 (bar0.phys)", K_BAR0_PHYS, c->bar0_phys, c->bar0_size};
	r[nr++] = (struct range){"the window (window.phys)", K_WIN_PHYS, c->win_phys, c->win_size};
	r[nr++] = (struct range){"the interrupt register (irq.reg)", K_IRQ_REG, c->irq_reg, 4};
	if (c->db_ack)
		r[nr++] = (struct range){"the doorbell ack register (doorbell.ack_reg)", K_ACK_REG,
					 c->db_ack_reg, 4};
	for (unsigned int i = 0; i < nr; i++)
		for (unsigned int j = i + 1; j < nr; j++)
			if (ranges_overlap(r[i].base, r[i].len, r[j].base, r[j].len))
				return perr(p, p->line[r[j].key],
					    "%s %#llx+%#llx overlaps %s %#llx+%#llx (line %u)",
					    r[j].what, (unsigned long long)r[j].base,
					    (unsigned long long)r[j].len, r[i].what,
					    (unsigned long long)r[i].base,
					    (unsigned long long)r[i].len, p->line[r[i].key]);
	return 0;
}

int uio_config_parse(const char *name, const char *text, size_t len, struct uio_config *c,
		     char *err, size_t errlen)
{
	struct parse p;
	char buf[UIO_CFG_MAX_LINE + 2];
	unsigned int line = 0;
	size_t at = 0;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.errlen = errlen;
	if (errlen)
		err[0] = '\0';
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", name);
	c->map = UIO_MAP_DEVMEM;
	c->poll_us = UIO_CFG_DEFAULT_POLL;
	c->db_reenable = true;
	c->irq_type = UIO_IRQ_MSIX;
	c->vectors = 1;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;

		line++;
		if (l > UIO_CFG_MAX_LINE)
			return perr(&p, line, "line longer than %u bytes", UIO_CFG_MAX_LINE);
		memcpy(buf, text + at, l);
		buf[l] = '\0';
		if (strlen(buf) != l)
			return perr(&p, line, "NUL byte in the line");
		if (parse_line(&p, c, line, buf) < 0)
			return -1;
		at += l + (nl ? 1 : 0);
	}
	return validate(&p, c);
}

int uio_config_load(const char *path, struct uio_config *c, char *err, size_t errlen)
{
	char *text;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(UIO_CFG_MAX_FILE + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, text + len, UIO_CFG_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > UIO_CFG_MAX_FILE) {
			snprintf(err, errlen, "%s: larger than %u bytes", path, UIO_CFG_MAX_FILE);
			goto fail;
		}
	}
	close(fd);
	r = uio_config_parse(path, text, len, c, err, errlen);
	free(text);
	return r;
fail:
	close(fd);
	free(text);
	return -1;
}

/* One number from a sysfs attribute file: 0, or -1. */
static int read_sysfs_u64(const char *dir, const char *attr, uint64_t *out)
{
	char path[512], buf[64];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return parse_u64(buf, out);
}

int uio_config_find_map(const char *class_dir, const char *dev, uint64_t phys, uint64_t size,
			struct uio_map_info *m, char *err, size_t errlen)
{
	const char *name = strrchr(dev, '/');
	char maps[384], dir[512];
	unsigned int found = 0;

	name = name ? name + 1 : dev;
	if ((size_t)snprintf(maps, sizeof(maps), "%s/%s/maps", class_dir, name) >= sizeof(maps)) {
		snprintf(err, errlen, "%s: name too long", dev);
		return -1;
	}
	for (unsigned int i = 0; i < 64; i++) {
		struct uio_map_info mi = {.index = i};

		snprintf(dir, sizeof(dir), "%s/map%u", maps, i);
		if (read_sysfs_u64(dir, "addr", &mi.addr) < 0)
			break;
		found++;
		if (read_sysfs_u64(dir, "size", &mi.size) < 0 ||
		    read_sysfs_u64(dir, "offset", &mi.offset) < 0)
			continue;
		if (phys >= mi.addr && size <= mi.size && phys - mi.addr <= mi.size - size) {
			*m = mi;
			return 0;
		}
	}
	if (!found)
		snprintf(err, errlen, "%s has no memory maps (%s/map0/addr missing)", dev, maps);
	else
		snprintf(err, errlen, "no map of %s (%u map%s in %s) holds physical %#llx+%#llx",
			 dev, found, found == 1 ? "" : "s", maps, (unsigned long long)phys,
			 (unsigned long long)size);
	return -1;
}
