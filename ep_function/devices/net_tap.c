/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* net_tap.c - /dev/net/tun in tap mode, without packet information. */
#include "net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev_common.h"

int net_tap_open(const char *ifname, bool create, bool vnet, char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned int idx = 0;
	int fd, e;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		dev_err(err, errlen, "net: bad tap interface name '%s'", ifname ? ifname : "");
		return -1;
	}
	if (!create) {
		/* TUNSETIFF creates a missing interface: look first. */
		idx = if_nametoindex(ifname);
		if (!idx) {
			dev_err(err, errlen,
				"net: no network interface '%s' (create the tap first: ip tuntap "
				"add dev %s mode tap; or ask for a new one: tap:%s,create)",
				ifname, ifname, ifname);
			return -1;
		}
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		dev_err(err, errlen, "net: cannot open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		if (e == EINVAL && !create)
			dev_err(err, errlen, "net: cannot attach %s: not a tap interface", ifname);
		else
			dev_err(err, errlen, "net: cannot attach tap %s: %s%s", ifname, strerror(e),
				e == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	/* Removed and made again between the look-up and TUNSETIFF (or just
	 * created by it): not the interface that was asked for. */
	if (!create && if_nametoindex(ifname) != idx) {
		close(fd);
		dev_err(err, errlen, "net: tap %s went away while attaching", ifname);
		return -1;
	}
	if (vnet) {
		int hsz = 12, le = 1;

		/* The virtio 1 header (num_buffers included), little-endian. */
		if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0 || ioctl(fd, TUNSETVNETLE, &le) < 0 ||
		    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
			e = errno;
			close(fd);
			dev_err(err, errlen, "net: tap %s: virtio-net header: %s", ifname,
				strerror(e));
			return -1;
		}
	}
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return fd;
}

int net_tap_set_offload(int fd, bool csum, bool tso4, bool tso6)
{
	unsigned int off = 0;

	if (csum) {
		off |= TUN_F_CSUM;
		if (tso4)
			off |= TUN_F_TSO4;
		if (tso6)
			off |= TUN_F_TSO6;
	}
	return ioctl(fd, TUNSETOFFLOAD, off) < 0 ? -errno : 0;
}

int net_tap_send(int fd, const void *frame, size_t len)
{
	ssize_t n;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		n = write(fd, frame, len);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EIO; /* tap writes are whole frames */
		if (errno != EINTR)
			return -errno;
	}
	return -EINTR;
}

ssize_t net_tap_recv(int fd, void *buf, size_t len)
{
	ssize_t n;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}
