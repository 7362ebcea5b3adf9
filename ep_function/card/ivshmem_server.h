/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * ivshmem_server.h - a server for QEMU's ivshmem client-server protocol
 * (QEMU docs/specs/ivshmem-spec), with the card itself as peer 0.
 *
 * Every message is an 8-byte little-endian int64, optionally carrying one
 * fd (SCM_RIGHTS). On connect a client gets: the protocol version (0), its
 * own id, -1 with the shared memory fd, then for every other peer (the card
 * first) that peer's id once per vector with one eventfd each, then its own
 * id once per vector with its own eventfds. Writing 1 to peer P's eventfd N
 * rings P's vector N. When a peer disconnects the others get its id without
 * an fd. Client ids start at 1. The most recently connected live client is
 * "the host": the one raise_irq targets.
 *
 * Whatever arrives on a client socket is hostile: it is read and discarded
 * (clients never speak in this protocol), fds attached to it are dropped by
 * the kernel, and a client that does not drain its socket is disconnected
 * rather than waited for.
 */
#ifndef IVSHMEM_SERVER_H
#define IVSHMEM_SERVER_H

#include <poll.h>
#include <stdint.h>

#define IVS_PROTOCOL_VERSION 0
#define IVS_MAX_CLIENTS	     16
#define IVS_MAX_VECTORS	     32
#define IVS_CARD_PEER_ID     0

struct ivs_server;

/* Listen on sock_path (a stale socket file there is replaced: the caller
 * holds the link directory lock). shm_fd is sent to every client (the
 * server keeps its own reference). Returns NULL after logging why. */
struct ivs_server *ivs_server_create(const char *sock_path, int shm_fd, uint32_t vectors);

/* Close every client and eventfd, remove the socket file. NULL is a no-op. */
void ivs_server_destroy(struct ivs_server *s);

/* Number of pollfd entries ivs_server_pollfds() may fill. */
int ivs_server_max_pollfds(const struct ivs_server *s);

/* Fill pfd[0..max) with what the server waits on; returns the count. */
int ivs_server_pollfds(const struct ivs_server *s, struct pollfd *pfd, int max);

/* Handle the result of poll() on the entries filled above (same array and
 * count): accept clients, reap dead ones, drain the card's doorbell
 * eventfds. Returns a bitmask of the card's vectors that rang. */
uint32_t ivs_server_handle(struct ivs_server *s, const struct pollfd *pfd, int n);

/* Ring vector v of the host (most recent client). 0 on success or when the
 * interrupt was already pending; -ENOTCONN when no client is connected;
 * -EINVAL for a vector out of range; -errno if the write failed. */
int ivs_server_notify_host(struct ivs_server *s, uint32_t vector);

/* Id of the current host client, or -1 when none is connected. */
int ivs_server_host_id(const struct ivs_server *s);

/* Connected clients. */
unsigned int ivs_server_num_clients(const struct ivs_server *s);

/* Incremented each time the host client changes (connect or disconnect). */
uint64_t ivs_server_host_generation(const struct ivs_server *s);

#endif /* IVSHMEM_SERVER_H */
