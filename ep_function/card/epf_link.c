// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * epf_link.c - platform epf's link: the card is a Linux PCI endpoint function,
 * pci-epf-vmsg.ko, driven through its character device /dev/vmsg-epfN
 * (ep_function/kernel/vmsg_epf_abi.h, docs/epf-chardev.md; the calls are in
 * epf_dev.c). BAR0 is the function's BAR memory (mmap), host memory the
 * controller's outbound window (MAP_HOST + mmap), interrupts the
 * controller's MSI-X/MSI (RAISE_IRQ), doorbells and link events come from
 * read() on the device.
 *
 * Host memory: when the link comes up the whole window is mapped at PCI
 * address 0; an ATTACH whose host area lies outside the mapping re-maps the
 * window over the host area. Every host address is checked against the
 * current mapping and refused outside it. On link down the mapping is gone
 * (the module puts a dead page behind it) until the next link up, and the
 * engine is told the host is lost. On unbind (an UNBIND event or POLLHUP)
 * the daemon shuts down cleanly: SHUTDOWN to the host, then BYE, exit 0.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host_copy.h"
#include "card_platform.h"
#include "epf_link.h"
#include "vcard_log.h"

/* Copies at least this long go through the module's DMA engine when it has
 * one (VMSG_EPF_INFO_DMA); shorter ones are CPU accesses through the window. */
#define EPF_DMA_MIN_LEN	    512u
#define EPF_DMA_MAX_LEN	    (1u << 20)
#define EPF_EVENTS_PER_WAKE 64

/* ---- host memory ---- */

static void epf_drop_map(struct epf_link *l)
{
	epf_dev_unmap_host(&l->old);
	l->old = l->hm;
	memset(&l->hm, 0, sizeof(l->hm));
}

/* Map [pci_addr, pci_addr + size): 0, or -errno. */
static int epf_remap(struct epf_link *l, uint64_t pci_addr, uint64_t size)
{
	struct epf_host_map m;
	int r = epf_dev_map_host(l->fd, pci_addr, size, &m);

	if (r < 0) {
		l->map_errors++;
		if (r == -ENOLINK) {
			card_info("epf: link down while mapping host memory");
			l->link_up = false;
		} else {
			card_err("epf: mapping host PCI addresses %#llx+%#llx failed: %s",
				 (unsigned long long)pci_addr, (unsigned long long)size,
				 r == -EPROTO
				     ? "the module answered a mapping that does not cover it"
				     : strerror(-r));
		}
		return r;
	}
	epf_drop_map(l);
	l->hm = m;
	l->maps++;
	l->warned_refused = false;
	card_info("epf: host memory %#llx+%#zx mapped", (unsigned long long)m.pci_addr, m.size);
	return 0;
}

static uint8_t *epf_ptr(struct epf_link *l, uint64_t addr, size_t len)
{
	uint8_t *p = NULL;

	if (!l->dma_limit || (addr < l->dma_limit && len <= l->dma_limit - addr))
		p = epf_host_ptr(&l->hm, addr, len);
	if (!p) {
		l->refused++;
		if (!l->warned_refused)
			card_warn("epf: host address %#llx+%#zx is outside the mapped window "
				  "%#llx+%#zx: refused",
				  (unsigned long long)addr, len, (unsigned long long)l->hm.pci_addr,
				  l->hm.size);
		l->warned_refused = true;
	}
	return p;
}

/* A long copy through the module's DMA engine; false: copy by the CPU. */
static bool epf_try_dma(struct epf_link *l, uint64_t addr, void *buf, size_t len, bool to_host)
{
	int r;

	if (!l->use_dma || len < EPF_DMA_MIN_LEN || len > EPF_DMA_MAX_LEN)
		return false;
	r = epf_dev_dma(l->fd, addr, buf, (uint32_t)len, to_host);
	if (r == 0) {
		l->dma_copies++;
		return true;
	}
	if (!l->dma_errors++)
		card_warn("epf: DMA copy failed (%s): copying by the CPU", strerror(-r));
	return false;
}

static int epf_host_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct epf_link *l = ctx;
	const uint8_t *p;

	if (len == 0)
		return 0;
	p = epf_ptr(l, addr, len);
	if (!p)
		return -EFAULT;
	if (epf_try_dma(l, addr, dst, len, false))
		return 0;
	card_host_copy(dst, p, len);
	return 0;
}

static int epf_host_write(void *ctx, uint64_t addr, const void *src, size_t len)
{
	struct epf_link *l = ctx;
	uint8_t *p;

	if (len == 0)
		return 0;
	p = epf_ptr(l, addr, len);
	if (!p)
		return -EFAULT;
	if (epf_try_dma(l, addr, (void *)(uintptr_t)src, len, true))
		return 0;
	card_host_copy(p, src, len);
	return 0;
}

static volatile void *epf_host_map(void *ctx, uint64_t addr, size_t len)
{
	return epf_ptr(ctx, addr, len);
}

/*
 * What the function can do, as binding features, and the doorbell registers
 * it watches. [OOB-1]: its poll thread (or doorbell interrupt) watches all
 * num_doorbells registers, so queue doorbells exist when there are more
 * than 2; per-queue vectors are raised with the raise-irq ioctl's vector.
 */
static uint32_t epf_card_features(const struct vmsg_epf_info *in, bool use_dma,
				  uint32_t *num_doorbells)
{
	uint32_t f = VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_ERROR_MSG;

	if (in->flags & VMSG_EPF_INFO_MSIX)
		f |= VMSG_PCIE_F_MSIX;
	if (in->flags & VMSG_EPF_INFO_MSI)
		f |= VMSG_PCIE_F_MSI;
	if (use_dma)
		f |= VMSG_PCIE_F_DMA_ENGINE;
	*num_doorbells = in->num_doorbells <= VMSG_PCIE_MAX_DOORBELLS ? in->num_doorbells : 0;
	if (*num_doorbells > VMSG_OOB_DB_FIRST)
		f |= VMSG_PCIE_F_OOB_NOTIFY;
	return f;
}

static int epf_raise_irq(void *ctx, uint32_t vector)
{
	struct epf_link *l = ctx;
	int r = epf_dev_raise_irq(l->fd, vector);

	if (r == 0) {
		l->irqs++;
		if (l->irq_refusing)
			card_info("epf: the controller raises interrupts again");
		l->irq_refusing = false;
		return 0;
	}
	if (r == -ENOLINK) {
		l->irqs_lost++; /* nobody to deliver it to, as on a dead link */
		return 0;
	}
	if (r == -EIO) {
		/* The controller refuses, e.g. stopped (`echo 0 > start`), which
		 * 6.1 does not tell the function: on silicon the link is down
		 * then. Lost as on a dead link (the host finds its answers when
		 * it polls, or the session ends); warned once per run of
		 * refusals, each counted. */
		l->irq_errors++;
		l->irqs_lost++;
		if (!l->irq_refusing)
			card_warn("epf: the controller refuses interrupts (stopped?): "
				  "they are lost until it takes them again (epf.irq_errors)");
		l->irq_refusing = true;
		return 0;
	}
	if (!l->irq_errors++)
		card_warn("epf: raising vector %u failed: %s", vector, strerror(-r));
	return r;
}

static uint64_t epf_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- link events ---- */

static void epf_link_up(struct epf_link *l)
{
	l->link_up = true;
	l->link_ups++;
	if (!l->info.window_size) {
		card_warn("epf: the controller has no outbound window: the host cannot attach");
		return;
	}
	/* The whole window at PCI address 0; an ATTACH elsewhere re-maps. */
	epf_remap(l, 0, l->info.window_size);
}

static void epf_link_down(struct epf_link *l)
{
	if (l->link_up)
		card_info("epf: link down: the host's session ends");
	l->link_up = false;
	l->link_downs++;
	l->host_lost = true;
	epf_drop_map(l);
}

static void epf_unbind(struct epf_link *l, const char *why)
{
	if (l->stop)
		return; /* already stopping (a failure keeps its status) */
	card_info("epf: %s: shutting down", why);
	l->stop = true;
	l->stop_code = CARD_EXIT_OK;
}

static bool epf_event(struct epf_link *l, const struct vmsg_epf_event *ev)
{
	bool rang = false;

	l->events++;
	if (ev->events & VMSG_EPF_EV_DOORBELL && ev->doorbells) {
		l->doorbells += (uint64_t)__builtin_popcount(ev->doorbells);
		rang = true;
	}
	/* Down before up: both in one record is a link that went and came back. */
	if (ev->events & VMSG_EPF_EV_LINK_DOWN)
		epf_link_down(l);
	else if (ev->link_generation != l->link_generation && l->link_up &&
		 ev->events & VMSG_EPF_EV_LINK_UP)
		epf_link_down(l); /* a down we were not told about separately */
	if (ev->events & VMSG_EPF_EV_LINK_UP)
		epf_link_up(l);
	l->link_generation = ev->link_generation;
	if (ev->events & VMSG_EPF_EV_UNBIND)
		epf_unbind(l, "the endpoint function is being unbound");
	return rang || (ev->events & (VMSG_EPF_EV_LINK_UP | VMSG_EPF_EV_LINK_DOWN));
}

/* ---- event loop hooks ---- */

static int epf_max_pollfds(void *priv)
{
	(void)priv;
	return 1;
}

static int epf_pollfds(void *priv, struct pollfd *pfd, int max)
{
	struct epf_link *l = priv;

	if (max < 1 || l->stop)
		return 0;
	pfd[0] = (struct pollfd){.fd = l->fd, .events = POLLIN};
	return 1;
}

static bool epf_handle(void *priv, const struct pollfd *pfd, int n)
{
	struct epf_link *l = priv;
	bool rang = false;

	if (n < 1 || !pfd[0].revents)
		return false;
	if (pfd[0].revents & POLLIN) {
		for (int i = 0; i < EPF_EVENTS_PER_WAKE; i++) {
			struct vmsg_epf_event ev;
			int r = epf_dev_read_event(l->fd, &ev);

			if (r == 0)
				break;
			if (r == -ENODEV) {
				epf_unbind(l, "the endpoint function went away");
				break;
			}
			if (r < 0) {
				card_err("epf: reading events from %s: %s", l->path,
					 r == -EPROTO ? "short record" : strerror(-r));
				l->stop = true;
				l->stop_code = CARD_EXIT_FAIL;
				break;
			}
			rang |= epf_event(l, &ev);
		}
	}
	if (pfd[0].revents & POLLHUP)
		epf_unbind(l, "the endpoint function went away (POLLHUP)");
	else if (pfd[0].revents & (POLLERR | POLLNVAL)) {
		card_err("epf: %s: poll error", l->path);
		l->stop = true;
		l->stop_code = CARD_EXIT_FAIL;
	}
	return rang;
}

/* Before the engine handles an ATTACH: make sure the host area it declares
 * is mapped (the window may have to move over it). */
static void epf_before_card_poll(void *priv)
{
	struct epf_link *l = priv;
	volatile struct vmsg_pcie_regs *regs = (volatile struct vmsg_pcie_regs *)l->bar0;
	uint32_t ctrl = vmsg_le32_to_cpu(regs->host_ctrl);
	uint64_t addr;
	uint32_t size;

	if (ctrl == l->last_host_ctrl)
		return;
	l->last_host_ctrl = ctrl;
	if (ctrl != VMSG_HOST_CTRL_ATTACH || !l->link_up)
		return;
	addr = vmsg_le64_to_cpu(regs->host_area_addr);
	size = vmsg_le32_to_cpu(regs->host_area_size);
	if (size == 0 || addr + size < addr || epf_host_ptr(&l->hm, addr, size))
		return; /* inside (or unusable: the engine refuses it with EAREA) */
	card_info("epf: host area %#llx+%#x is outside the mapped window: re-mapping",
		  (unsigned long long)addr, size);
	epf_remap(l, addr, size);
}

static bool epf_take_host_lost(void *priv)
{
	struct epf_link *l = priv;
	bool lost = l->host_lost;

	l->host_lost = false;
	return lost;
}

static bool epf_take_stop(void *priv, int *exit_code)
{
	struct epf_link *l = priv;

	if (l->stop)
		*exit_code = l->stop_code;
	return l->stop;
}

static size_t epf_describe(void *priv, char *buf, size_t len)
{
	struct epf_link *l = priv;
	int n;

	n = snprintf(buf, len,
		     "platform epf\n"
		     "epf.dev %s\n"
		     "epf.function %s\n"
		     "epf.epc %s\n"
		     "epf.bar0 %zu\n"
		     "epf.window %llu align %llu\n"
		     "epf.vectors %u %s\n"
		     "epf.doorbell_mode %s poll_interval_us %u\n"
		     "epf.dma %s\n"
		     "epf.link %s\n"
		     "epf.link_generation %u\n"
		     "epf.link_ups %llu\n"
		     "epf.link_downs %llu\n"
		     "epf.host_map %#llx %zu\n"
		     "epf.host_maps %llu\n"
		     "epf.host_map_errors %llu\n"
		     "epf.host_refused %llu\n"
		     "epf.events %llu\n"
		     "epf.doorbells %llu\n"
		     "epf.irqs_raised %llu\n"
		     "epf.irqs_lost %llu\n"
		     "epf.irq_errors %llu\n"
		     "epf.dma_copies %llu\n"
		     "epf.dma_errors %llu\n",
		     l->path, l->info.function, l->info.epc_name, l->bar0_size,
		     (unsigned long long)l->info.window_size,
		     (unsigned long long)l->info.window_align, l->info.num_vectors,
		     l->info.flags & VMSG_EPF_INFO_MSIX	 ? "msix"
		     : l->info.flags & VMSG_EPF_INFO_MSI ? "msi"
							 : "none",
		     l->info.flags & VMSG_EPF_INFO_HW_DOORBELL ? "interrupt" : "polled",
		     l->info.poll_interval_us, l->use_dma ? "engine" : "cpu",
		     l->link_up ? "up" : "down", l->link_generation,
		     (unsigned long long)l->link_ups, (unsigned long long)l->link_downs,
		     (unsigned long long)l->hm.pci_addr, l->hm.size, (unsigned long long)l->maps,
		     (unsigned long long)l->map_errors, (unsigned long long)l->refused,
		     (unsigned long long)l->events, (unsigned long long)l->doorbells,
		     (unsigned long long)l->irqs, (unsigned long long)l->irqs_lost,
		     (unsigned long long)l->irq_errors, (unsigned long long)l->dma_copies,
		     (unsigned long long)l->dma_errors);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

static void epf_destroy(void *priv)
{
	struct epf_link *l = priv;

	if (!l)
		return;
	/* The engine has told the host SHUTDOWN (or never ran): let the module
	 * stop waiting for us. */
	if (l->fd >= 0 && epf_dev_bye(l->fd) < 0)
		card_warn("epf: BYE: %s", strerror(errno));
	epf_dev_unmap_host(&l->hm);
	epf_dev_unmap_host(&l->old);
	if (l->bar0)
		munmap((void *)l->bar0, l->bar0_size);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

static const struct card_link_ops epf_link_ops = {
    .name = "epf",
    .max_pollfds = epf_max_pollfds,
    .pollfds = epf_pollfds,
    .handle = epf_handle,
    .before_card_poll = epf_before_card_poll,
    .take_host_lost = epf_take_host_lost,
    .take_stop = epf_take_stop,
    .describe = epf_describe,
    .destroy = epf_destroy,
};

int epf_link_create(int fd, const struct vmsg_epf_info *in, const char *path,
		    const struct card_opts *o, struct card_link *link)
{
	struct epf_link *l;
	void *m;

	l = calloc(1, sizeof(*l));
	if (!l) {
		card_err("epf: out of memory");
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->info = *in;
	snprintf(l->path, sizeof(l->path), "%s", path);
	m = epf_dev_map_bar0(l->fd, (size_t)in->bar0_size);
	if (!m) {
		card_err("epf: mmap BAR0 of %s (%llu bytes): %s", l->path,
			 (unsigned long long)in->bar0_size, strerror(errno));
		goto fail;
	}
	l->bar0 = m;
	l->bar0_size = (size_t)in->bar0_size;
	l->use_dma = in->flags & VMSG_EPF_INFO_DMA;
	l->link_generation = in->link_generation;

	memset(link, 0, sizeof(*link));
	link->ops = &epf_link_ops;
	link->priv = l;
	link->plat.ctx = l;
	link->plat.bar0 = l->bar0;
	link->plat.bar0_size = l->bar0_size;
	link->plat.host_read = epf_host_read;
	link->plat.host_write = epf_host_write;
	link->plat.host_map = epf_host_map;
	link->plat.raise_irq = epf_raise_irq;
	link->plat.now_ns = epf_now_ns;
	link->plat.zalloc = card_platform_zalloc;
	link->plat.free = card_platform_free;
	link->plat.log = card_platform_log;
	/* The function's configfs parameters, unless the command line says. */
	link->num_vectors =
	    in->num_vectors < VMSG_PCIE_MAX_VECTORS ? in->num_vectors : VMSG_PCIE_MAX_VECTORS;
	link->dma_addr_bits = o->dma_addr_bits_given ? o->dma_addr_bits : in->dma_addr_bits;
	link->max_msg_size = o->max_msg_size_given ? o->max_msg_size : in->max_msg_size;
	link->ring_slot_size = in->slot_size;
	link->ring_slot_count = in->ring_slots;
	l->dma_limit = link->dma_addr_bits >= 64 ? 0 : 1ull << link->dma_addr_bits;
	link->card_features = epf_card_features(in, l->use_dma, &link->num_doorbells);
	card_info("epf: %s: function %s on %s, BAR0 %zu bytes, window %llu bytes, %u %s vectors, "
		  "doorbells %s",
		  l->path, in->function[0] ? in->function : "?",
		  in->epc_name[0] ? in->epc_name : "?", l->bar0_size,
		  (unsigned long long)in->window_size, link->num_vectors,
		  in->flags & VMSG_EPF_INFO_MSIX ? "MSI-X" : "MSI",
		  in->flags & VMSG_EPF_INFO_HW_DOORBELL ? "by interrupt" : "polled");
	if (in->flags & VMSG_EPF_INFO_LINK_UP)
		epf_link_up(l);
	else
		card_info("epf: link down: waiting for the host");
	return 0;
fail:
	epf_destroy(l);
	return -1;
}
