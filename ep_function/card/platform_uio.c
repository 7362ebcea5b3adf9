// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * platform_uio.c - platform uio: a fixed-function PCIe bridge (such as
 * Versal CPM) whose BAR0 memory, outbound window, interrupt trigger register
 * and doorbells are fixed by the hardware design, not set up by an endpoint
 * controller driver. Their physical addresses come from a configuration file
 * (uio_config.c; --uio-config FILE) and are mapped through /dev/mem or the
 * maps of a UIO device; doorbells are polled in BAR0 (a timer) or come as
 * UIO interrupts (read() on /dev/uioN).
 *
 * Everything is opened and mapped by the option check, so that a missing
 * resource (no /dev/mem, a range the kernel refuses, no UIO device) is exit
 * status 2 with the reason; the link only uses what the check mapped, and
 * every host address is checked against the window before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "card_platform.h"
#include "host_copy.h"
#include "uio_config.h"
#include "vcard_log.h"
#include "vmsg_barrier.h"

#define UIO_SYSFS_CLASS "/sys/class/uio"

/* One mapped physical range. */
struct uio_mapping {
	void *base; /* what mmap returned */
	size_t len;
	volatile uint8_t *p; /* the range's first byte */
	uint64_t phys, size;
};

struct uio_opts {
	const char *config; /* --uio-config */
	struct uio_config cfg;
	int memfd; /* /dev/mem (map = devmem) */
	int uiofd; /* the UIO device */
	struct uio_mapping bar0, win, irq, ack;
};

struct uio_link {
	struct uio_opts *o; /* the daemon's options: lives as long as the link */
	int timerfd;	    /* doorbell = poll */
	uint64_t dma_limit; /* 0: 2^64 */
	uint32_t db_snap[2];
	bool stop;
	int stop_code;
	bool warned_refused;
	uint64_t doorbells, interrupts, polls, irqs, irq_errors, refused;
};

/* ---- mapping ---- */

static void uio_unmap(struct uio_mapping *m)
{
	if (m->base)
		munmap(m->base, m->len);
	memset(m, 0, sizeof(*m));
}

/* Map [phys, phys + size) as `what` (its config key): 0, or -1 after the
 * message on stderr. */
static int uio_map(struct uio_opts *uo, const char *what, uint64_t phys, uint64_t size,
		   struct uio_mapping *m)
{
	const struct uio_config *c = &uo->cfg;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start, off, len;
	int fd;

	if (c->map == UIO_MAP_UIO) {
		struct uio_map_info mi;
		char err[512];

		if (uio_config_find_map(UIO_SYSFS_CLASS, c->uio_dev, phys, size, &mi, err,
					sizeof(err)) < 0) {
			fprintf(stderr, "vmsg-card: platform uio: %s (%s): %s\n", what, c->path,
				err);
			return -1;
		}
		fd = uo->uiofd;
		start = (uint64_t)mi.index * pg; /* the UIO mmap convention */
		off = mi.offset + (phys - mi.addr);
		len = (off + size + pg - 1) & ~(pg - 1);
	} else {
		fd = uo->memfd;
		start = phys & ~(pg - 1);
		off = phys - start;
		len = (off + size + pg - 1) & ~(pg - 1);
		if (start > (uint64_t)INT64_MAX) {
			fprintf(stderr,
				"vmsg-card: platform uio: %s %#llx: beyond what /dev/mem "
				"can map\n",
				what, (unsigned long long)phys);
			return -1;
		}
	}
	if (len > SIZE_MAX) {
		fprintf(stderr,
			"vmsg-card: platform uio: %s: %llu bytes do not fit the address "
			"space\n",
			what, (unsigned long long)len);
		return -1;
	}
	m->base = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
	if (m->base == MAP_FAILED) {
		int e = errno;

		m->base = NULL;
		fprintf(stderr,
			"vmsg-card: platform uio: %s: cannot map physical %#llx+%#llx through %s: "
			"%s%s\n",
			what, (unsigned long long)phys, (unsigned long long)size,
			c->map == UIO_MAP_UIO ? c->uio_dev : "/dev/mem", strerror(e),
			e == EPERM || e == EACCES
			    ? " (needs root; with CONFIG_IO_STRICT_DEVMEM no driver may claim the "
			      "range: unbind it)"
			    : "");
		return -1;
	}
	m->len = (size_t)len;
	m->p = (volatile uint8_t *)m->base + off;
	m->phys = phys;
	m->size = size;
	return 0;
}

static void uio_release(struct uio_opts *uo)
{
	uio_unmap(&uo->bar0);
	uio_unmap(&uo->win);
	uio_unmap(&uo->irq);
	uio_unmap(&uo->ack);
	if (uo->memfd >= 0)
		close(uo->memfd);
	if (uo->uiofd >= 0)
		close(uo->uiofd);
	uo->memfd = uo->uiofd = -1;
}

/* ---- platform ops for the engine ---- */

static uint8_t *uio_ptr(struct uio_link *l, uint64_t addr, size_t len)
{
	const struct uio_config *c = &l->o->cfg;

	if ((!l->dma_limit || (addr < l->dma_limit && len <= l->dma_limit - addr)) &&
	    addr >= c->win_pci_base && len <= c->win_size &&
	    addr - c->win_pci_base <= c->win_size - len)
		return (uint8_t *)(uintptr_t)(l->o->win.p + (addr - c->win_pci_base));
	l->refused++;
	if (!l->warned_refused)
		card_warn("uio: host address %#llx+%#zx is outside the window (PCI %#llx+%#llx): "
			  "refused",
			  (unsigned long long)addr, len, (unsigned long long)c->win_pci_base,
			  (unsigned long long)c->win_size);
	l->warned_refused = true;
	return NULL;
}

static int uio_host_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	const uint8_t *p;

	if (len == 0)
		return 0;
	p = uio_ptr(ctx, addr, len);
	if (!p)
		return -EFAULT;
	card_host_copy(dst, p, len);
	return 0;
}

static int uio_host_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return 0;
	p = uio_ptr(ctx, addr, len);
	if (!p)
		return -EFAULT;
	card_host_copy(p, src, len);
	return 0;
}

static volatile void *uio_host_map(void *ctx, uint64_t addr, size_t len)
{
	return uio_ptr(ctx, addr, len);
}

static void reg_write32(volatile uint8_t *reg, uint32_t v)
{
	__atomic_store_n((volatile uint32_t *)reg, v, __ATOMIC_RELAXED);
}

static int uio_raise_irq(void *ctx, uint32_t vector)
{
	struct uio_link *l = ctx;
	const struct uio_config *c = &l->o->cfg;

	if (vector >= c->vectors) {
		if (!l->irq_errors++)
			card_warn("uio: vector %u: the design has %u (irq.vectors)", vector,
				  c->vectors);
		return -EINVAL;
	}
	/* Everything written towards the host before the interrupt. */
	vmsg_mb();
	reg_write32(l->o->irq.p, c->irq_value[vector]);
	l->irqs++;
	return 0;
}

static uint64_t uio_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- event loop hooks ---- */

/* The binding's doorbell registers in BAR0 (h2c, ctrl): true if one changed. */
static bool uio_scan_doorbells(struct uio_link *l)
{
	static const uint32_t db[2] = {VMSG_DB_H2C, VMSG_DB_CTRL};
	volatile struct vmsg_pcie_regs *regs = (volatile struct vmsg_pcie_regs *)l->o->bar0.p;
	bool rang = false;

	for (unsigned int i = 0; i < 2; i++) {
		uint32_t v = vmsg_le32_to_cpu(regs->doorbell[db[i]]);

		if (v != l->db_snap[i]) {
			l->db_snap[i] = v;
			l->doorbells++;
			rang = true;
		}
	}
	return rang;
}

static int uio_max_pollfds(void *priv)
{
	(void)priv;
	return 1;
}

static int uio_pollfds(void *priv, struct pollfd *pfd, int max)
{
	struct uio_link *l = priv;
	int fd = l->o->cfg.db == UIO_DB_POLL ? l->timerfd : l->o->uiofd;

	if (max < 1 || l->stop)
		return 0;
	pfd[0] = (struct pollfd){.fd = fd, .events = POLLIN};
	return 1;
}

static void uio_fail(struct uio_link *l, const char *what, int e)
{
	card_err("uio: %s: %s: shutting down", what, strerror(e));
	l->stop = true;
	l->stop_code = CARD_EXIT_FAIL;
}

static bool uio_handle(void *priv, const struct pollfd *pfd, int n)
{
	struct uio_link *l = priv;
	const struct uio_config *c = &l->o->cfg;
	bool irq = false;

	if (n < 1 || !pfd[0].revents)
		return false;
	if (c->db == UIO_DB_POLL) {
		uint64_t ticks;

		if (read(l->timerfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
			l->polls++;
		return uio_scan_doorbells(l);
	}
	if (pfd[0].revents & POLLIN) {
		uint32_t count;
		ssize_t r = read(l->o->uiofd, &count, sizeof(count));

		if (r == (ssize_t)sizeof(count)) {
			l->interrupts++;
			irq = true;
			if (c->db_reenable) {
				uint32_t one = 1;

				if (write(l->o->uiofd, &one, sizeof(one)) != (ssize_t)sizeof(one))
					uio_fail(l, "re-enabling the UIO interrupt", errno);
			}
			if (c->db_ack)
				reg_write32(l->o->ack.p, c->db_ack_value);
		} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
			uio_fail(l, c->uio_dev, errno);
		} else if (r >= 0) {
			uio_fail(l, c->uio_dev, EPROTO);
		}
	} else if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
		uio_fail(l, c->uio_dev, ENODEV);
	}
	return uio_scan_doorbells(l) || irq;
}

static void uio_before_card_poll(void *priv)
{
	(void)priv; /* a fixed window: nothing to move before an ATTACH */
}

static bool uio_take_stop(void *priv, int *exit_code)
{
	struct uio_link *l = priv;

	if (l->stop)
		*exit_code = l->stop_code;
	return l->stop;
}

static size_t uio_describe(void *priv, char *buf, size_t len)
{
	struct uio_link *l = priv;
	const struct uio_config *c = &l->o->cfg;
	char map[96];
	int n;

	if (c->map == UIO_MAP_UIO)
		snprintf(map, sizeof(map), "uio %s", c->uio_dev);
	else if (c->uio_dev[0])
		snprintf(map, sizeof(map), "devmem, interrupts %s", c->uio_dev);
	else
		snprintf(map, sizeof(map), "devmem");
	n = snprintf(buf, len,
		     "platform uio\n"
		     "uio.config %s\n"
		     "uio.map %s\n"
		     "uio.bar0 %#llx %llu\n"
		     "uio.window %#llx %llu pci %#llx\n"
		     "uio.irq %#llx %s %u\n"
		     "uio.doorbell_mode %s %u\n"
		     "uio.doorbells %llu\n"
		     "uio.doorbell_polls %llu\n"
		     "uio.interrupts %llu\n"
		     "uio.irqs_raised %llu\n"
		     "uio.irq_errors %llu\n"
		     "uio.host_refused %llu\n",
		     c->path, map, (unsigned long long)c->bar0_phys,
		     (unsigned long long)c->bar0_size, (unsigned long long)c->win_phys,
		     (unsigned long long)c->win_size, (unsigned long long)c->win_pci_base,
		     (unsigned long long)c->irq_reg, c->irq_type == UIO_IRQ_MSIX ? "msix" : "msi",
		     c->vectors, c->db == UIO_DB_POLL ? "poll" : "interrupt",
		     c->db == UIO_DB_POLL ? c->poll_us : 0, (unsigned long long)l->doorbells,
		     (unsigned long long)l->polls, (unsigned long long)l->interrupts,
		     (unsigned long long)l->irqs, (unsigned long long)l->irq_errors,
		     (unsigned long long)l->refused);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

static void uio_destroy(void *priv)
{
	struct uio_link *l = priv;

	if (!l)
		return;
	if (l->timerfd >= 0)
		close(l->timerfd);
	uio_release(l->o); /* the mappings end with the link */
	free(l);
}

static const struct card_link_ops uio_link_ops = {
    .name = "uio",
    .max_pollfds = uio_max_pollfds,
    .pollfds = uio_pollfds,
    .handle = uio_handle,
    .before_card_poll = uio_before_card_poll,
    .take_stop = uio_take_stop,
    .describe = uio_describe,
    .destroy = uio_destroy,
};

/* ---- the registry entry: options, check and creation ---- */

enum { UIO_OPT_CONFIG };

static const struct card_platform_opt uio_opts_table[] = {
    [UIO_OPT_CONFIG] = {"uio-config", "FILE",
			"        The bridge's address map (required): BAR0 memory, outbound\n"
			"        window and its PCI base, interrupt register and values,\n"
			"        doorbells polled or by UIO interrupt; the format is in\n"
			"        ep_function/card/README.md and docs/bringup-versal.md.\n"},
};

static void *uio_opts_new(void)
{
	struct uio_opts *uo = calloc(1, sizeof(*uo));

	if (uo)
		uo->memfd = uo->uiofd = -1;
	return uo;
}

static void uio_opts_free(void *popts)
{
	struct uio_opts *uo = popts;

	if (uo)
		uio_release(uo);
	free(uo);
}

static int uio_parse_opt(void *popts, unsigned int idx, const char *arg)
{
	struct uio_opts *uo = popts;

	if (idx != UIO_OPT_CONFIG)
		return -1;
	if (!*arg) {
		cli_usage_error("--uio-config: empty file name");
		return -1;
	}
	uo->config = arg;
	return 0;
}

static int uio_check(void *popts, const struct card_opts *o)
{
	struct uio_opts *uo = popts;
	struct uio_config *c = &uo->cfg;
	char err[512];

	(void)o;
	if (!uo->config) {
		cli_usage_error("platform uio needs --uio-config FILE (the bridge's address map)");
		return -1;
	}
	if (uio_config_load(uo->config, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmsg-card: platform uio: %s\n", err);
		return -1;
	}
	if (c->uio_dev[0]) {
		uo->uiofd = open(c->uio_dev, O_RDWR | O_CLOEXEC);
		if (uo->uiofd < 0) {
			fprintf(stderr,
				"vmsg-card: platform uio: %s (uio in %s): %s (is the UIO driver "
				"bound? ls /sys/class/uio)\n",
				c->uio_dev, c->path, strerror(errno));
			return -1;
		}
	}
	if (c->map == UIO_MAP_DEVMEM) {
		uo->memfd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
		if (uo->memfd < 0) {
			fprintf(stderr,
				"vmsg-card: platform uio: /dev/mem: %s (map = devmem needs root "
				"and a kernel with CONFIG_DEVMEM)\n",
				strerror(errno));
			return -1;
		}
	}
	if (uio_map(uo, "bar0.phys", c->bar0_phys, c->bar0_size, &uo->bar0) < 0 ||
	    uio_map(uo, "window.phys", c->win_phys, c->win_size, &uo->win) < 0 ||
	    uio_map(uo, "irq.reg", c->irq_reg, 4, &uo->irq) < 0 ||
	    (c->db_ack && uio_map(uo, "doorbell.ack_reg", c->db_ack_reg, 4, &uo->ack) < 0))
		return -1;
	return 0;
}

static int uio_create(const void *popts, const struct card_opts *o, struct card_link *link)
{
	/* The check mapped everything: the link takes it over (the options are
	 * the daemon's own, allocated by uio_opts_new, and outlive the link). */
	struct uio_opts *uo = (struct uio_opts *)(uintptr_t)popts;
	const struct uio_config *c = &uo->cfg;
	struct uio_link *l = calloc(1, sizeof(*l));
	uint32_t bits;

	if (!l) {
		card_err("uio: out of memory");
		return -1;
	}
	l->o = uo;
	l->timerfd = -1;
	if (c->db == UIO_DB_POLL) {
		struct itimerspec its = {
		    .it_interval = {.tv_sec = c->poll_us / 1000000,
				    .tv_nsec = (long)(c->poll_us % 1000000) * 1000},
		};

		its.it_value = its.it_interval;
		l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (l->timerfd < 0 || timerfd_settime(l->timerfd, 0, &its, NULL) < 0) {
			card_err("uio: doorbell poll timer: %s", strerror(errno));
			uio_destroy(l);
			return -1;
		}
	}
	/* BAR0 as after a reset: nothing of an earlier card is left for the host
	 * (the engine then publishes the link, magic last). */
	for (uint64_t i = 0; i < c->bar0_size; i += 4)
		reg_write32(uo->bar0.p + i, 0);
	vmsg_mb();

	bits = o->dma_addr_bits_given ? o->dma_addr_bits
	       : c->dma_addr_bits     ? c->dma_addr_bits
				      : o->dma_addr_bits;
	l->dma_limit = bits >= 64 ? 0 : 1ull << bits;
	if (l->dma_limit && c->win_pci_base + c->win_size > l->dma_limit)
		card_warn("uio: the window (PCI %#llx+%#llx) reaches beyond the %u-bit DMA "
			  "width: the part above it is refused",
			  (unsigned long long)c->win_pci_base, (unsigned long long)c->win_size,
			  bits);

	memset(link, 0, sizeof(*link));
	link->ops = &uio_link_ops;
	link->priv = l;
	link->plat.ctx = l;
	link->plat.bar0 = uo->bar0.p;
	link->plat.bar0_size = (size_t)c->bar0_size;
	link->plat.host_read = uio_host_read;
	link->plat.host_write = uio_host_write;
	link->plat.host_map = uio_host_map;
	link->plat.raise_irq = uio_raise_irq;
	link->plat.now_ns = uio_now_ns;
	link->plat.zalloc = card_platform_zalloc;
	link->plat.free = card_platform_free;
	link->plat.log = card_platform_log;
	link->num_vectors = c->vectors;
	link->dma_addr_bits = bits;
	link->card_features = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_ERROR_MSG |
			      (c->irq_type == UIO_IRQ_MSIX ? VMSG_PCIE_F_MSIX : VMSG_PCIE_F_MSI);
	card_info("uio: %s: BAR0 %#llx+%#llx, window %#llx+%#llx = host PCI %#llx, interrupt "
		  "register %#llx (%u %s vectors), doorbells %s, mapped through %s",
		  c->path, (unsigned long long)c->bar0_phys, (unsigned long long)c->bar0_size,
		  (unsigned long long)c->win_phys, (unsigned long long)c->win_size,
		  (unsigned long long)c->win_pci_base, (unsigned long long)c->irq_reg, c->vectors,
		  c->irq_type == UIO_IRQ_MSIX ? "MSI-X" : "MSI",
		  c->db == UIO_DB_POLL ? "polled" : "by UIO interrupt",
		  c->map == UIO_MAP_UIO ? c->uio_dev : "/dev/mem");
	return 0;
}

const struct card_platform card_platform_uio = {
    .name = "uio",
    .summary = "a fixed-function bridge mapped through /dev/mem or UIO (Versal CPM)",
    .manual = "        For bridges whose BAR memory, outbound window, interrupt towards\n"
	      "        the host and doorbells are fixed by the hardware design (no\n"
	      "        endpoint controller driver). --uio-config FILE gives their\n"
	      "        physical addresses; they are mapped through /dev/mem (map =\n"
	      "        devmem) or the maps of a UIO device (map = uio). BAR0 is cleared\n"
	      "        at start. Doorbells are the binding's registers in BAR0, polled\n"
	      "        every doorbell.poll_us, or a UIO interrupt (read() on /dev/uioN,\n"
	      "        then 1 written to re-enable it). Interrupt vector V writes the\n"
	      "        32-bit value irq.value + V (or irq.value.V) to irq.reg. Host\n"
	      "        address A is window.phys + (A - window.pci_base); addresses\n"
	      "        outside the window are refused. What the design fixes besides\n"
	      "        (the configuration header's ids) is not the daemon's to write.\n"
	      "        A missing or unmappable resource: exit status 2 and the reason.\n",
    .opts = uio_opts_table,
    .n_opts = sizeof(uio_opts_table) / sizeof(uio_opts_table[0]),
    .opts_new = uio_opts_new,
    .opts_free = uio_opts_free,
    .parse_opt = uio_parse_opt,
    .check = uio_check,
    .create = uio_create,
};
