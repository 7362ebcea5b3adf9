/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* net_tap.h - the tap side of virtio-net: open, send a frame, receive one. */
#ifndef NET_TAP_H
#define NET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Open /dev/net/tun as IFF_TAP | IFF_NO_PI (| IFF_VNET_HDR with vnet: every
 * frame then carries a 12-byte virtio_net_hdr_v1 in front, the tap's
 * offloads start off), non-blocking, close-on-exec,
 * attached to the existing tap ifname. Without create a missing ifname is an
 * error (a mistyped name must not silently make a new tap that goes nowhere);
 * with create it is made (not persistent: it goes away with the fd).
 * The kernel's interface name goes to name (IFNAMSIZ bytes). fd or -1. */
int net_tap_open(const char *ifname, bool create, bool vnet, char *name, char *err, size_t errlen);

/* What a vnet tap may hand us (TUNSETOFFLOAD): checksum offload, TSO for
 * IPv4 / IPv6 (TSO only with csum). 0 or -errno. */
int net_tap_set_offload(int fd, bool csum, bool tso4, bool tso6);

/* Write one frame: 0, or -errno (-EAGAIN when the tap queue is full). */
int net_tap_send(int fd, const void *frame, size_t len);

/* Read one frame: its length, 0 if none is waiting, or -errno. */
ssize_t net_tap_recv(int fd, void *buf, size_t len);

#endif /* NET_TAP_H */
