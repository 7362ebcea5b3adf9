// SPDX-License-Identifier: GPL-2.0
/*
 * epf-abi-test - exercises /dev/vmsg-epfN of pci-epf-vmsg.ko from user space
 * (tests/rig/epf-module.test.sh, inside the card VM, on fake-epc.ko): the
 * argument checks of every ioctl, one opener, mmap bounds, doorbell events,
 * MAP_HOST/DMA/dead pages, and in the other modes the unbind hand-off and a
 * link that went away and came back. Prints "ok: ..." / "FAIL ...".
 *
 *   epf-abi-test DEV [basic|hold|holdbye|relink]
 *
 * It writes host memory through the window at 1 MiB and 2 MiB: only on the
 * fake controller's scratch RAM file, never with a real host VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmsg_epf_abi.h"

static int fails;

__attribute__((format(printf, 3, 4))) static void check_at(int line, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		printf("vm: ok - ");
	else
		printf("vm: FAIL - line %d: ", line);
	fails += !ok;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}
#define CHECK(c, ...) check_at(__LINE__, !!(c), __VA_ARGS__)

static int next_event(int fd, struct vmsg_epf_event *ev, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = poll(&p, 1, ms);
	if (r <= 0)
		return -1;
	if (p.revents & POLLIN)
		return read(fd, ev, sizeof(*ev)) == sizeof(*ev) ? (int)p.revents : -2;
	return p.revents;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/vmsg-epf0";
	const char *mode = argc > 2 ? argv[2] : "basic";
	struct vmsg_epf_info in;
	struct vmsg_epf_event ev;
	int fd, fd2, r;

	fd = open(path, O_RDWR | O_NONBLOCK);
	CHECK(fd >= 0, "open %s: %s", path, fd < 0 ? strerror(errno) : "");
	if (fd < 0)
		return 1;
	fd2 = open(path, O_RDWR);
	CHECK(fd2 < 0 && errno == EBUSY, "second open refused EBUSY (%s)",
	      fd2 < 0 ? strerror(errno) : "opened!");
	memset(&in, 0, sizeof(in));
	r = ioctl(fd, VMSG_EPF_IOC_GET_INFO, &in);
	CHECK(r == 0 && in.abi_version == VMSG_EPF_ABI_VERSION, "GET_INFO abi %u", in.abi_version);
	printf("info: flags 0x%x bar0 %llu win %llu/%llu align vec %u gen %u slots %u slot %u msg "
	       "%u bits %u db %u busy %u int %u epc '%s' fn '%s'\n",
	       in.flags, (unsigned long long)in.bar0_size, (unsigned long long)in.window_size,
	       (unsigned long long)in.window_align, in.num_vectors, in.link_generation,
	       in.ring_slots, in.slot_size, in.max_msg_size, in.dma_addr_bits, in.num_doorbells,
	       in.poll_busy_us, in.poll_interval_us, in.epc_name, in.function);

	volatile uint32_t *bar =
	    mmap(NULL, in.bar0_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VMSG_EPF_MMAP_BAR0);
	CHECK(bar != MAP_FAILED, "mmap BAR0 %llu", (unsigned long long)in.bar0_size);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "private mmap refused");
	p = mmap(NULL, in.bar0_size + 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "oversized BAR0 mmap refused");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, VMSG_EPF_MMAP_HOST);
	CHECK(p == MAP_FAILED, "host mmap without MAP_HOST refused (%s)", strerror(errno));

	struct vmsg_epf_irq irq = {.vector = 0, .reserved = 1};
	CHECK(ioctl(fd, VMSG_EPF_IOC_RAISE_IRQ, &irq) < 0 && errno == EINVAL,
	      "RAISE_IRQ reserved!=0 EINVAL");
	irq = (struct vmsg_epf_irq){.vector = in.num_vectors};
	CHECK(ioctl(fd, VMSG_EPF_IOC_RAISE_IRQ, &irq) < 0 && errno == EINVAL,
	      "RAISE_IRQ vector>=num EINVAL");
	struct vmsg_epf_map m = {.pci_addr = 0, .size = 0};
	CHECK(ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m) < 0 && errno == EINVAL,
	      "MAP_HOST size 0 EINVAL");
	m = (struct vmsg_epf_map){.pci_addr = ~0ull - 10, .size = 100};
	CHECK(ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m) < 0 && errno == EINVAL,
	      "MAP_HOST overflow EINVAL");
	m = (struct vmsg_epf_map){.pci_addr = 0, .size = 4096, .reserved = {1}};
	CHECK(ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m) < 0 && errno == EINVAL,
	      "MAP_HOST reserved EINVAL");
	char buf[256];
	struct vmsg_epf_dma d = {.host_addr = 0, .user_addr = (uintptr_t)buf, .len = 0, .dir = 1};
	CHECK(ioctl(fd, VMSG_EPF_IOC_DMA, &d) < 0 && errno == EINVAL, "DMA len 0 EINVAL");
	d.len = (1u << 20) + 1;
	CHECK(ioctl(fd, VMSG_EPF_IOC_DMA, &d) < 0 && errno == EINVAL, "DMA len>1MiB EINVAL");
	d.len = 16;
	d.dir = 3;
	CHECK(ioctl(fd, VMSG_EPF_IOC_DMA, &d) < 0 && errno == EINVAL, "DMA dir 3 EINVAL");
	d.dir = 1;
	CHECK(ioctl(fd, VMSG_EPF_IOC_DMA, &d) < 0 && (errno == EFAULT || errno == ENOLINK),
	      "DMA without mapping EFAULT/ENOLINK (%s)", strerror(errno));
	CHECK(ioctl(fd, _IO('V', 0x7f)) < 0 && errno == ENOTTY, "unknown ioctl ENOTTY");

	/* doorbell: write doorbell[0] as the host would */
	while (read(fd, &ev, sizeof(ev)) == sizeof(ev))
		printf("drained event 0x%x gen %u\n", ev.events, ev.link_generation);
	bar[0x100 / 4] = bar[0x100 / 4] + 1;
	r = next_event(fd, &ev, 2000);
	CHECK(r > 0 && (ev.events & VMSG_EPF_EV_DOORBELL) && (ev.doorbells & 1),
	      "doorbell 0 event (0x%x bits 0x%x)", ev.events, ev.doorbells);
	bar[0x104 / 4] = bar[0x104 / 4] + 7;
	bar[0x108 / 4] = 9; /* beyond num_doorbells (2): ignored */
	r = next_event(fd, &ev, 2000);
	CHECK(r > 0 && ev.doorbells == 2, "doorbell 1 event only (bits 0x%x)", ev.doorbells);

	if (in.flags & VMSG_EPF_INFO_LINK_UP) {
		m = (struct vmsg_epf_map){.pci_addr = 0x100000, .size = 8192};
		r = ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m);
		CHECK(r == 0, "MAP_HOST 0x100000+8192 -> 0x%llx+0x%llx (%s)",
		      (unsigned long long)m.map_pci_addr, (unsigned long long)m.map_size,
		      r ? strerror(errno) : "");
		if (!r) {
			size_t len = 0x200000;
			volatile uint8_t *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
						   fd, VMSG_EPF_MMAP_HOST);
			CHECK(h != MAP_FAILED, "mmap host window 2 MiB");
			uint64_t off = 0x100000 - m.map_pci_addr;
			struct vmsg_epf_dma dd = {.host_addr = 0x100000,
						  .user_addr = (uintptr_t)buf,
						  .len = 64,
						  .dir = VMSG_EPF_DMA_FROM_HOST};
			r = ioctl(fd, VMSG_EPF_IOC_DMA, &dd);
			CHECK(r == 0 && !memcmp(buf, (void *)(h + off), 64),
			      "DMA from host == mmap view");
			for (int i = 0; i < 64; i++)
				buf[i] = (char)(i * 7 + 3);
			dd.dir = VMSG_EPF_DMA_TO_HOST;
			dd.host_addr = 0x100100;
			r = ioctl(fd, VMSG_EPF_IOC_DMA, &dd);
			CHECK(r == 0 && !memcmp(buf, (void *)(h + off + 0x100), 64),
			      "DMA to host visible in mmap view");
			dd.host_addr = m.map_pci_addr + m.map_size - 8;
			dd.len = 16;
			CHECK(ioctl(fd, VMSG_EPF_IOC_DMA, &dd) < 0 && errno == EFAULT,
			      "DMA past mapping EFAULT");
			CHECK(ioctl(fd, VMSG_EPF_IOC_UNMAP_HOST) == 0, "UNMAP_HOST");
			CHECK(h[off] == 0xff && h[off + 4095] == 0xff,
			      "old host mapping reads dead page");
			h[off] = 1; /* must not SIGBUS */
			CHECK(h[off + 4096 + 8] == 0xff && h[off + 8192] == 0xff,
			      "a write to the dead page does not show in other pages");
			munmap((void *)h, len);
		}
		irq = (struct vmsg_epf_irq){.vector = 0};
		r = ioctl(fd, VMSG_EPF_IOC_RAISE_IRQ, &irq);
		printf("RAISE_IRQ 0: %d %s\n", r, r ? strerror(errno) : "");
	}

	if (!strcmp(mode, "relink")) {
		m = (struct vmsg_epf_map){.pci_addr = 0x200000, .size = 4096};
		CHECK(ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m) == 0, "MAP_HOST before relink");
		volatile uint32_t *h = mmap(NULL, 0x400000, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
					    VMSG_EPF_MMAP_HOST);
		CHECK(h != MAP_FAILED, "mmap host");
		h[0x200000 / 4] = 0x12345678;
		CHECK(h[0x200000 / 4] == 0x12345678, "host memory written through the window");
		printf("relink: ready\n");
		fflush(stdout);
		int got = 0;
		for (int i = 0; i < 100 && !got; i++) {
			if (next_event(fd, &ev, 100) > 0) {
				printf("event 0x%x gen %u\n", ev.events, ev.link_generation);
				got = (ev.events & (VMSG_EPF_EV_LINK_DOWN | VMSG_EPF_EV_LINK_UP)) ==
				      (VMSG_EPF_EV_LINK_DOWN | VMSG_EPF_EV_LINK_UP);
			}
		}
		CHECK(got && ev.link_generation == in.link_generation + 2,
		      "LINK_DOWN|LINK_UP, generation +2");
		usleep(200000);
		CHECK(h[0x200000 / 4] == 0xffffffffu,
		      "old window mapping is the dead page after relink");
		CHECK(ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &m) == 0, "MAP_HOST again");
		volatile uint32_t *h2 = mmap(NULL, 0x400000, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
					     VMSG_EPF_MMAP_HOST);
		CHECK(h2 != MAP_FAILED && h2[0x200000 / 4] == 0x12345678,
		      "new mapping sees host memory");
		CHECK(h[0x200000 / 4] == 0xffffffffu, "old mapping stays dead");
	}
	if (!strcmp(mode, "hold") || !strcmp(mode, "holdbye")) {
		/* wait for unbind */
		struct pollfd pp = {.fd = fd, .events = POLLIN};
		int got = 0;
		bar[0x64 / 4] = getenv("HOSTILE") ? 77 : 1;	     /* irq_mode */
		bar[0x68 / 4] = getenv("HOSTILE") ? 0xffffffffu : 0; /* vec_c2h */
		bar[0x20 / 4] = 2; /* link_state RUN: module must write SHUTDOWN */
		printf("holding: waiting for UNBIND\n");
		fflush(stdout);
		for (int i = 0; i < 600 && !got; i++) {
			poll(&pp, 1, 100);
			while (read(fd, &ev, sizeof(ev)) == sizeof(ev)) {
				printf("event 0x%x gen %u seq %llu\n", ev.events,
				       ev.link_generation, (unsigned long long)ev.seq);
				if (ev.events & VMSG_EPF_EV_UNBIND)
					got = 1;
			}
		}
		CHECK(got && (pp.revents & POLLHUP), "UNBIND event + POLLHUP (revents 0x%x)",
		      pp.revents);
		if (!strcmp(mode, "holdbye"))
			CHECK(ioctl(fd, VMSG_EPF_IOC_BYE) == 0, "BYE");
		else
			sleep(2);
		sleep(1);
		CHECK(bar[0] == 0xffffffff, "BAR0 mapping is the dead page after unbind (0x%x)",
		      bar[0]);
		CHECK(ioctl(fd, VMSG_EPF_IOC_GET_INFO, &in) < 0 && errno == ENODEV,
		      "GET_INFO after unbind ENODEV");
		r = read(fd, &ev, sizeof(ev));
		CHECK(r == 0, "read EOF after unbind (%d)", r);
	} else {
		CHECK(ioctl(fd, VMSG_EPF_IOC_BYE) == 0, "BYE");
	}
	close(fd);
	printf("epftest: %d failures\n", fails);
	return fails ? 1 : 0;
}
