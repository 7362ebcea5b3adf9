// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * epf_dev.c - the pci-epf-vmsg character device calls (epf_dev.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmsg_pcie.h"
#include "epf_dev.h"

/* "vmsg-epf" followed by decimal digits only. */
static bool epf_dev_name(const char *name, unsigned long *num)
{
	size_t pl = strlen(VMSG_EPF_DEV_PREFIX);
	char *end;

	if (strncmp(name, VMSG_EPF_DEV_PREFIX, pl) != 0 || name[pl] < '0' || name[pl] > '9')
		return false;
	*num = strtoul(name + pl, &end, 10);
	return *end == '\0' && strlen(name) < sizeof(((struct epf_dev_list *)0)->names[0]) - 6;
}

static int cmp_dev(const void *a, const void *b)
{
	const char *x = a, *y = b;
	unsigned long nx = strtoul(x + strlen(EPF_DEV_DIR "/" VMSG_EPF_DEV_PREFIX), NULL, 10);
	unsigned long ny = strtoul(y + strlen(EPF_DEV_DIR "/" VMSG_EPF_DEV_PREFIX), NULL, 10);

	return nx < ny ? -1 : nx > ny;
}

int epf_dev_find(struct epf_dev_list *l)
{
	struct dirent *de;
	DIR *d;

	memset(l, 0, sizeof(*l));
	d = opendir(EPF_DEV_DIR);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char path[sizeof(l->names[0])];
		unsigned long num;
		struct stat st;

		if (!epf_dev_name(de->d_name, &num))
			continue;
		snprintf(path, sizeof(path), "%s/%s", EPF_DEV_DIR, de->d_name);
		if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
			continue;
		if (l->n < EPF_MAX_DEV_LISTED)
			memcpy(l->names[l->n], path, sizeof(path));
		l->n++;
	}
	closedir(d);
	qsort(l->names, l->n < EPF_MAX_DEV_LISTED ? l->n : EPF_MAX_DEV_LISTED, sizeof(l->names[0]),
	      cmp_dev);
	return 0;
}

void epf_dev_list_str(const struct epf_dev_list *l, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int kept = l->n < EPF_MAX_DEV_LISTED ? l->n : EPF_MAX_DEV_LISTED;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < kept && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l->names[i]);

		if (n < 0)
			return;
		used += (size_t)n;
	}
	if (l->n > kept && used < len)
		snprintf(buf + used, len - used, ", ... (%u in all)", l->n);
}

/* What sysfs calls the character device (/sys/dev/char/MAJ:MIN points at
 * .../misc/vmsg-epfN): false when it is known to be something else, so that
 * no ioctl is sent to a foreign device. Without sysfs: true. */
static bool epf_sysfs_is_ours(const struct stat *st, char *name, size_t len)
{
	char link[64], target[256];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u", major(st->st_rdev), minor(st->st_rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	snprintf(name, len, "%.48s", base);
	return strncmp(base, VMSG_EPF_DEV_PREFIX, strlen(VMSG_EPF_DEV_PREFIX)) == 0;
}

int epf_dev_open(const char *path, struct vmsg_epf_info *info, char *err, size_t errlen,
		 bool *usage)
{
	char sysname[64] = "";
	struct stat st;
	int fd;

	*usage = true;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a character device (expected /dev/%sN)", path,
			 VMSG_EPF_DEV_PREFIX);
		return -1;
	}
	if (!epf_sysfs_is_ours(&st, sysname, sizeof(sysname))) {
		snprintf(err, errlen,
			 "%s is not a pci-epf-vmsg device (it is %s): give the /dev/%sN of a vmsg "
			 "endpoint function",
			 path, sysname, VMSG_EPF_DEV_PREFIX);
		return -1;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == EBUSY)
			snprintf(err, errlen,
				 "%s is in use: another vmsg-card drives this endpoint function "
				 "(one daemon per function)",
				 path);
		else
			snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, VMSG_EPF_IOC_GET_INFO, info) < 0) {
		int e = errno;

		if (e == ENOTTY || e == EINVAL)
			snprintf(err, errlen,
				 "%s is not a pci-epf-vmsg device (GET_INFO: %s): give the "
				 "/dev/%sN of a vmsg endpoint function",
				 path, strerror(e), VMSG_EPF_DEV_PREFIX);
		else {
			snprintf(err, errlen, "%s: GET_INFO: %s", path, strerror(e));
			*usage = false;
		}
		close(fd);
		return -1;
	}
	if (info->abi_version != VMSG_EPF_ABI_VERSION) {
		snprintf(err, errlen,
			 "%s: pci-epf-vmsg speaks ABI version %u, this vmsg-card speaks version "
			 "%u: load the module built with this vmsg-card",
			 path, info->abi_version, VMSG_EPF_ABI_VERSION);
		close(fd);
		return -1;
	}
	if (epf_dev_check_info(info, err, errlen) < 0) {
		*usage = false;
		close(fd);
		return -1;
	}
	return fd;
}

int epf_dev_check_info(struct vmsg_epf_info *info, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);

	info->epc_name[sizeof(info->epc_name) - 1] = '\0';
	info->function[sizeof(info->function) - 1] = '\0';
	/* Only whole pages can be mapped: what is used is what is mapped. */
	if (page > 0)
		info->bar0_size -= info->bar0_size % (uint64_t)page;
	if (info->bar0_size < VMSG_PCIE_BAR0_MIN_SIZE || info->bar0_size > EPF_MAX_BAR0_SIZE) {
		snprintf(err, errlen, "module reports BAR0 size %llu: expected %u..%llu",
			 (unsigned long long)info->bar0_size, VMSG_PCIE_BAR0_MIN_SIZE,
			 (unsigned long long)EPF_MAX_BAR0_SIZE);
		return -1;
	}
	if (info->window_align & (info->window_align - 1)) {
		snprintf(err, errlen, "module reports window alignment %llu: not a power of two",
			 (unsigned long long)info->window_align);
		return -1;
	}
	if (info->window_size > SIZE_MAX / 2) {
		snprintf(err, errlen, "module reports a %llu-byte host window: too large to map",
			 (unsigned long long)info->window_size);
		return -1;
	}
	if (info->max_msg_size < VMSG_PCIE_MIN_MSG_SIZE ||
	    info->max_msg_size > VMSG_PCIE_MAX_MSG_SIZE) {
		snprintf(err, errlen, "module reports max_msg_size %u: expected %u..%u",
			 info->max_msg_size, VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE);
		return -1;
	}
	if (info->dma_addr_bits < VMSG_PCIE_DMA_ADDR_BITS_MIN ||
	    info->dma_addr_bits > VMSG_PCIE_DMA_ADDR_BITS_MAX) {
		snprintf(err, errlen, "module reports dma_addr_bits %u: expected %u..%u",
			 info->dma_addr_bits, VMSG_PCIE_DMA_ADDR_BITS_MIN,
			 VMSG_PCIE_DMA_ADDR_BITS_MAX);
		return -1;
	}
	if (info->num_doorbells < 2 || info->num_doorbells > VMSG_PCIE_MAX_DOORBELLS) {
		snprintf(err, errlen, "module reports %u doorbells: expected 2..%u",
			 info->num_doorbells, VMSG_PCIE_MAX_DOORBELLS);
		return -1;
	}
	return 0;
}

void *epf_dev_map_bar0(int fd, size_t size)
{
	void *m =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)VMSG_EPF_MMAP_BAR0);

	return m == MAP_FAILED ? NULL : m;
}

int epf_dev_map_host(int fd, uint64_t pci_addr, uint64_t size, struct epf_host_map *m)
{
	struct vmsg_epf_map req;
	void *p;

	memset(m, 0, sizeof(*m));
	memset(&req, 0, sizeof(req));
	req.pci_addr = pci_addr;
	req.size = size;
	if (ioctl(fd, VMSG_EPF_IOC_MAP_HOST, &req) < 0)
		return -errno;
	/* The module answers for what it mapped: check it covers the request
	 * and that it can be mapped here. */
	if (req.map_size == 0 || req.map_size > SIZE_MAX / 2 || req.map_pci_addr > pci_addr ||
	    req.map_pci_addr + req.map_size < req.map_pci_addr ||
	    req.map_pci_addr + req.map_size < pci_addr + size)
		return -EPROTO;
	p = mmap(NULL, (size_t)req.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)VMSG_EPF_MMAP_HOST);
	if (p == MAP_FAILED)
		return -errno;
	m->map = p;
	m->pci_addr = req.map_pci_addr;
	m->size = (size_t)req.map_size;
	return 0;
}

void epf_dev_unmap_host(struct epf_host_map *m)
{
	if (m->map)
		munmap(m->map, m->size);
	memset(m, 0, sizeof(*m));
}

uint8_t *epf_host_ptr(const struct epf_host_map *m, uint64_t addr, size_t len)
{
	uint64_t off;

	if (!m->map || len == 0 || addr < m->pci_addr)
		return NULL;
	off = addr - m->pci_addr;
	if (off > m->size || len > m->size - off)
		return NULL;
	return m->map + off;
}

int epf_dev_raise_irq(int fd, uint32_t vector)
{
	struct vmsg_epf_irq irq = {.vector = vector};

	return ioctl(fd, VMSG_EPF_IOC_RAISE_IRQ, &irq) < 0 ? -errno : 0;
}

int epf_dev_dma(int fd, uint64_t host_addr, void *buf, uint32_t len, bool to_host)
{
	struct vmsg_epf_dma d;

	memset(&d, 0, sizeof(d));
	d.host_addr = host_addr;
	d.user_addr = (uint64_t)(uintptr_t)buf;
	d.len = len;
	d.dir = to_host ? VMSG_EPF_DMA_TO_HOST : VMSG_EPF_DMA_FROM_HOST;
	return ioctl(fd, VMSG_EPF_IOC_DMA, &d) < 0 ? -errno : 0;
}

int epf_dev_read_event(int fd, struct vmsg_epf_event *ev)
{
	ssize_t n = read(fd, ev, sizeof(*ev));

	if (n == (ssize_t)sizeof(*ev))
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n == 0 || (n < 0 && errno == ENODEV))
		return -ENODEV; /* end of the stream: the function is gone */
	if (n < 0)
		return -errno;
	return -EPROTO; /* a short record */
}

int epf_dev_bye(int fd)
{
	return ioctl(fd, VMSG_EPF_IOC_BYE) < 0 ? -errno : 0;
}
