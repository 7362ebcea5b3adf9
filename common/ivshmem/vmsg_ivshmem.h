/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * vmsg_ivshmem.h - QEMU's ivshmem client-server protocol (QEMU
 * docs/specs/ivshmem-spec.rst), the one implementation the emulated link
 * uses on both sides: the card's server (platform sim), the host library's
 * client (link_sim.c), the tests' client and the rig's plain server.
 *
 * Every message is an 8-byte little-endian int64, optionally carrying one
 * fd (SCM_RIGHTS). On connect a client gets: the protocol version (0), its
 * own id, -1 with the shared memory fd, then for every other peer (the card,
 * VMSG_EMU_CARD_PEER_ID, first) that peer's id once per vector with one
 * eventfd each, then its own id once per vector with its own eventfds.
 * Writing 1 to peer P's eventfd N rings P's vector N. When a peer
 * disconnects the others get its id without an fd; when one connects, its
 * id with its fds. Client ids start at 1.
 *
 * Each side treats the other as hostile: the client checks every value, fd
 * type and count and bounds every wait; the server reads and discards what
 * clients send and drops a client that does not drain its socket.
 */
#ifndef VMSG_IVSHMEM_H
#define VMSG_IVSHMEM_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsg_pcie.h" /* VMSG_EMU_CARD_PEER_ID */

#define IVS_PROTOCOL_VERSION 0
#define IVS_MAX_CLIENTS	     16
#define IVS_MAX_VECTORS	     32
#define IVS_MAX_ID	     65535 /* the ivshmem doorbell register has 16 bits of peer id */
#define IVS_CARD_PEER_ID     ((int)VMSG_EMU_CARD_PEER_ID)

/* Diagnostics: level is syslog numbering (3 error, 4 warning, 6 info, 7
 * debug). NULL: silent. */
typedef void (*ivs_log_fn)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define IVS_LOG_ERR   3
#define IVS_LOG_WARN  4
#define IVS_LOG_INFO  6
#define IVS_LOG_DEBUG 7

/* ---- messages ---- */

/* Send one message (value, and fd unless fd < 0) without blocking: 0, or
 * -errno (-EAGAIN: the peer's socket is full). */
int ivs_send_msg(int sock, int64_t value, int fd);

/*
 * Receive one message by deadline_ms (CLOCK_MONOTONIC milliseconds, see
 * ivs_now_ms()). Returns 1 with *value and *fd (-1 if none), 0 if nothing
 * arrived in time, -ECONNRESET on EOF, -ETIMEDOUT for half a message,
 * -EPROTO for more than one fd or a foreign control message (every fd
 * received is then closed).
 */
int ivs_recv_msg(int sock, int64_t deadline_ms, int64_t *value, int *fd);

int64_t ivs_now_ms(void);

/* ---- client ---- */

struct ivs_client {
	int sock;
	int id;			      /* our peer id */
	int shm_fd;		      /* the shared memory (the card's BAR0) */
	int card_fd[IVS_MAX_VECTORS]; /* the card's eventfds: its doorbells */
	unsigned int n_card_fd;
	int own_fd[IVS_MAX_VECTORS]; /* ours: our interrupts */
	unsigned int n_own_fd;
	bool card_gone; /* the server said the card left, or the socket closed */
	ivs_log_fn log;
};

/*
 * Connect to sock_path (retried until timeout_ms while the socket does not
 * exist yet or refuses) and run the greeting: version, id, the shared
 * memory fd, then peers' vectors until ours arrived and the card's first
 * min_card_vectors; then whatever the server sends within quiet_ms.
 * 0, or -errno after logging why (the client is closed).
 */
int ivs_client_connect(struct ivs_client *c, const char *sock_path, int timeout_ms,
		       unsigned int min_card_vectors, int quiet_ms, ivs_log_fn log);

/* Handle what the server sent since (peers coming and going) without
 * waiting: false once the card is gone. */
bool ivs_client_card_alive(struct ivs_client *c);

/* Ring the card's vector n: 0 or -errno. */
int ivs_client_ring(const struct ivs_client *c, unsigned int n);

/* Close every fd; the struct may be connected again. */
void ivs_client_close(struct ivs_client *c);

/* ---- server (the card is peer IVS_CARD_PEER_ID) ---- */

struct ivs_server;

/* Listen on sock_path (a stale socket file there is replaced: the caller
 * holds the link directory lock). shm_fd is sent to every client (the
 * server keeps its own reference). with_card: the server has its own
 * eventfds as peer IVS_CARD_PEER_ID (the card); without, it only connects
 * clients (a plain ivshmem server). Returns NULL after logging why. */
struct ivs_server *ivs_server_create(const char *sock_path, int shm_fd, uint32_t vectors,
				     bool with_card, ivs_log_fn log);

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

/*
 * The card as a remote client (the card VM's QEMU ivshmem-doorbell): listen
 * on card_path too; the one client accepted there is peer IVS_CARD_PEER_ID
 * (a second one while it is connected is refused and closed). Its eventfds
 * go to the host clients like a built-in card's; when it leaves they get
 * its id without an fd. Only for a server created without with_card.
 * 0, or -errno after logging why.
 */
int ivs_server_listen_card(struct ivs_server *s, const char *card_path);

/* True while peer IVS_CARD_PEER_ID is there (built-in, or connected). */
bool ivs_server_card_connected(const struct ivs_server *s);

/*
 * Maintain the wire section of struct vmsg_emu_page [EMU-7] at page (the
 * last VMSG_EMU_PAGE_SIZE bytes of the shared memory, mapped by the caller
 * and kept mapped until ivs_server_destroy or ivs_server_set_wire(s, NULL)):
 * host_peer_id, host_generation (+1 on every host change; continues from a
 * valid value found there), card_connected; wire_magic written last. At
 * destroy, card_connected and host_peer_id are cleared.
 */
void ivs_server_set_wire(struct ivs_server *s, void *page);

/* Id of the current host client, or -1 when none is connected. */
int ivs_server_host_id(const struct ivs_server *s);

/* Connected clients. */
unsigned int ivs_server_num_clients(const struct ivs_server *s);

/* Incremented each time the host client changes (connect or disconnect). */
uint64_t ivs_server_host_generation(const struct ivs_server *s);

#endif /* VMSG_IVSHMEM_H */
