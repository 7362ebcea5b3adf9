// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * ivshmem_server.c - QEMU ivshmem server protocol (vmsg_ivshmem.h), with
 * the card as peer IVS_CARD_PEER_ID (built in, or a remote client on its own
 * socket: the card VM), or without a card (a plain server). Optionally
 * maintains the wire section of the emulated link page [EMU-7].
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmsg_ivshmem.h"

#define IVS_DISCARD_MAX 4096

#define ivs_log(s, level, ...)                                                                     \
	do {                                                                                       \
		if ((s)->log)                                                                      \
			(s)->log(level, __VA_ARGS__);                                              \
	} while (0)
#define card_err(...)  ivs_log(s, IVS_LOG_ERR, __VA_ARGS__)
#define card_warn(...) ivs_log(s, IVS_LOG_WARN, __VA_ARGS__)
#define card_info(...) ivs_log(s, IVS_LOG_INFO, __VA_ARGS__)
#define card_dbg(...)  ivs_log(s, IVS_LOG_DEBUG, __VA_ARGS__)

struct ivs_peer {
	bool used;
	bool dead;
	uint16_t id;
	int sock;     /* -1 for the card itself */
	uint64_t seq; /* connection order: larger is more recent */
	int efd[IVS_MAX_VECTORS];
};

struct ivs_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int shm_fd;
	uint32_t vectors;
	bool with_card; /* the card is peer IVS_CARD_PEER_ID with eventfds */
	ivs_log_fn log;
	struct ivs_peer card;
	struct ivs_peer clients[IVS_MAX_CLIENTS];
	uint16_t next_id;
	uint64_t seq;
	int host; /* index in clients[], -1 when none */
	uint64_t host_gen;
	/* the card as a remote client (ivs_server_listen_card) */
	char card_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int card_listen_fd; /* -1 unless listening for a remote card */
	/* the wire section (ivs_server_set_wire), NULL when not maintained */
	struct vmsg_emu_page *wire;
	uint32_t wire_gen_base;
};

static bool card_present(const struct ivs_server *s)
{
	return s->with_card || (s->card.used && !s->card.dead);
}

/* The card is a remote client (the card VM) that must hear of peers. */
static bool card_remote(const struct ivs_server *s)
{
	return !s->with_card && s->card.used && !s->card.dead;
}

/* The page is page aligned and its fields 4-byte aligned (vmsg_pcie.h):
 * access them through aligned pointers, not packed members. */
static uint32_t *wire_field(struct vmsg_emu_page *w, size_t off)
{
	return (uint32_t *)(void *)((char *)w + off);
}

#define wire_store(w, field, v)                                                                    \
	__atomic_store_n(wire_field(w, offsetof(struct vmsg_emu_page, field)),                     \
			 vmsg_cpu_to_le32(v), __ATOMIC_RELEASE)
#define wire_load(w, field)                                                                        \
	vmsg_le32_to_cpu(__atomic_load_n(wire_field(w, offsetof(struct vmsg_emu_page, field)),     \
					 __ATOMIC_ACQUIRE))

/* Publish the current host and card state; the magic goes last. */
static void wire_update(const struct ivs_server *s)
{
	struct vmsg_emu_page *w = s->wire;

	if (!w)
		return;
	wire_store(w, wire_version, VMSG_EMU_PAGE_VERSION);
	wire_store(w, host_peer_id,
		   s->host >= 0 ? (uint32_t)s->clients[s->host].id : VMSG_EMU_NO_PEER);
	wire_store(w, host_generation, s->wire_gen_base + (uint32_t)s->host_gen);
	wire_store(w, card_connected, card_present(s) ? 1u : 0u);
	wire_store(w, wire_magic, VMSG_EMU_WIRE_MAGIC);
}

static void peer_close_fds(struct ivs_peer *p, uint32_t vectors)
{
	for (uint32_t v = 0; v < vectors; v++) {
		if (p->efd[v] >= 0)
			close(p->efd[v]);
		p->efd[v] = -1;
	}
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
}

static int peer_make_eventfds(const struct ivs_server *s, struct ivs_peer *p, uint32_t vectors)
{
	for (uint32_t v = 0; v < IVS_MAX_VECTORS; v++)
		p->efd[v] = -1;
	for (uint32_t v = 0; v < vectors; v++) {
		p->efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->efd[v] < 0) {
			int e = errno;

			card_err("ivshmem: eventfd for peer %u vector %u: %s", p->id, v,
				 strerror(e));
			return -e;
		}
	}
	return 0;
}

/* Send peer p's eventfds (one message per vector, p's id each) to sock. */
static int send_peer_vectors(const struct ivs_server *s, int sock, const struct ivs_peer *p)
{
	for (uint32_t v = 0; v < s->vectors; v++) {
		int r = ivs_send_msg(sock, p->id, p->efd[v]);

		if (r < 0)
			return r;
	}
	return 0;
}

static void pick_host(struct ivs_server *s)
{
	int best = -1;

	for (int i = 0; i < IVS_MAX_CLIENTS; i++) {
		const struct ivs_peer *p = &s->clients[i];

		if (p->used && !p->dead && (best < 0 || p->seq > s->clients[best].seq))
			best = i;
	}
	if (best == s->host)
		return;
	s->host = best;
	s->host_gen++;
	if (best >= 0)
		card_info("ivshmem: peer %u is now the host (interrupts go to it)",
			  s->clients[best].id);
	else
		card_info("ivshmem: no host connected");
}

/* Remove dead clients, telling the live ones; a live one that cannot be
 * told is dead too, so loop until nothing changes (bounded by the table). */
static void reap(struct ivs_server *s)
{
	bool again = true;

	while (again) {
		again = false;
		for (int i = 0; i < IVS_MAX_CLIENTS; i++) {
			struct ivs_peer *p = &s->clients[i];

			if (!p->used || !p->dead)
				continue;
			card_info("ivshmem: peer %u disconnected", p->id);
			peer_close_fds(p, s->vectors);
			p->used = false;
			/* A remote card that cannot be told is dropped at its next
			 * poll (its socket is then marked dead). */
			if (card_remote(s) && ivs_send_msg(s->card.sock, p->id, -1) < 0) {
				card_warn("ivshmem: cannot tell the card peer %u left; dropping it",
					  p->id);
				s->card.dead = true;
			}
			for (int j = 0; j < IVS_MAX_CLIENTS; j++) {
				struct ivs_peer *o = &s->clients[j];
				int r;

				if (!o->used || o->dead)
					continue;
				r = ivs_send_msg(o->sock, p->id, -1);
				if (r < 0) {
					card_warn("ivshmem: peer %u: cannot send disconnect of "
						  "peer %u: %s; dropping it",
						  o->id, p->id, strerror(-r));
					o->dead = true;
					again = true;
				}
			}
		}
	}
	pick_host(s);
	wire_update(s);
}

static bool id_in_use(const struct ivs_server *s, uint16_t id)
{
	for (int i = 0; i < IVS_MAX_CLIENTS; i++)
		if (s->clients[i].used && s->clients[i].id == id)
			return true;
	return false;
}

static uint16_t alloc_id(struct ivs_server *s)
{
	/* At most IVS_MAX_CLIENTS ids are in use, so this ends quickly. */
	for (;;) {
		uint16_t id = s->next_id;

		s->next_id = s->next_id >= IVS_MAX_ID ? 1 : (uint16_t)(s->next_id + 1);
		if (!id_in_use(s, id))
			return id;
	}
}

static int setup_client(struct ivs_server *s, struct ivs_peer *p)
{
	int r;

	r = ivs_send_msg(p->sock, IVS_PROTOCOL_VERSION, -1);
	if (r == 0)
		r = ivs_send_msg(p->sock, p->id, -1);
	if (r == 0)
		r = ivs_send_msg(p->sock, -1, s->shm_fd);
	/* Other peers, the card first, then the client itself. */
	if (r == 0 && card_present(s))
		r = send_peer_vectors(s, p->sock, &s->card);
	for (int i = 0; r == 0 && i < IVS_MAX_CLIENTS; i++) {
		const struct ivs_peer *o = &s->clients[i];

		if (o != p && o->used && !o->dead)
			r = send_peer_vectors(s, p->sock, o);
	}
	if (r == 0)
		r = send_peer_vectors(s, p->sock, p);
	return r;
}

static void accept_client(struct ivs_server *s)
{
	struct ivs_peer *p = NULL;
	int sock, r;

	sock = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (sock < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			card_warn("ivshmem: accept on %s: %s", s->path, strerror(errno));
		return;
	}
	for (int i = 0; i < IVS_MAX_CLIENTS; i++) {
		if (!s->clients[i].used) {
			p = &s->clients[i];
			break;
		}
	}
	if (!p) {
		card_warn("ivshmem: refusing a client on %s: already %d clients", s->path,
			  IVS_MAX_CLIENTS);
		close(sock);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->sock = sock;
	p->id = alloc_id(s);
	p->seq = ++s->seq;
	r = peer_make_eventfds(s, p, s->vectors);
	if (r == 0)
		r = setup_client(s, p);
	if (r < 0) {
		card_warn("ivshmem: setting up peer %u failed: %s; closing it", p->id,
			  strerror(-r));
		peer_close_fds(p, s->vectors);
		return;
	}
	p->used = true;
	card_info("ivshmem: peer %u connected (%u vectors)", p->id, s->vectors);
	/* Tell the others about the newcomer. */
	for (int j = 0; j < IVS_MAX_CLIENTS; j++) {
		struct ivs_peer *o = &s->clients[j];

		if (o == p || !o->used || o->dead)
			continue;
		r = send_peer_vectors(s, o->sock, p);
		if (r < 0) {
			card_warn("ivshmem: peer %u: cannot announce peer %u: %s; dropping it",
				  o->id, p->id, strerror(-r));
			o->dead = true;
		}
	}
	if (card_remote(s) && send_peer_vectors(s, s->card.sock, p) < 0) {
		card_warn("ivshmem: cannot announce peer %u to the card; dropping the card", p->id);
		s->card.dead = true;
	}
	if (s->host >= 0 && &s->clients[s->host] != p)
		card_info("ivshmem: several clients connected; the most recent (peer %u) "
			  "replaces peer %u as the host",
			  p->id, s->clients[s->host].id);
	reap(s);
}

/* A client has something for us: clients never speak, so discard it (a
 * bounded amount per wakeup) and notice EOF or errors. */
static void client_input(const struct ivs_server *s, struct ivs_peer *p, short revents)
{
	char buf[512];
	size_t total = 0;

	if (revents & POLLIN) {
		while (total < IVS_DISCARD_MAX) {
			ssize_t n = recv(p->sock, buf, sizeof(buf), MSG_DONTWAIT);

			if (n > 0) {
				total += (size_t)n;
				continue;
			}
			if (n == 0) {
				p->dead = true;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				card_dbg("ivshmem: peer %u: recv: %s", p->id, strerror(errno));
				p->dead = true;
			}
			break;
		}
		if (total)
			card_dbg("ivshmem: peer %u sent %zu unexpected bytes, ignored", p->id,
				 total);
	} else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		p->dead = true;
	}
}

/* The remote card left: close it and tell the clients (its id, no fd). */
static void card_gone(struct ivs_server *s)
{
	card_info("ivshmem: the card (peer %d) disconnected", IVS_CARD_PEER_ID);
	peer_close_fds(&s->card, s->vectors);
	s->card.used = false;
	s->card.dead = false;
	for (int j = 0; j < IVS_MAX_CLIENTS; j++) {
		struct ivs_peer *o = &s->clients[j];
		int r;

		if (!o->used || o->dead)
			continue;
		r = ivs_send_msg(o->sock, IVS_CARD_PEER_ID, -1);
		if (r < 0) {
			card_warn("ivshmem: peer %u: cannot send the card's disconnect: %s; "
				  "dropping it",
				  o->id, strerror(-r));
			o->dead = true;
		}
	}
	reap(s);
}

static void accept_card(struct ivs_server *s)
{
	struct ivs_peer *p = &s->card;
	int sock, r;

	sock = accept4(s->card_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (sock < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			card_warn("ivshmem: accept on %s: %s", s->card_path, strerror(errno));
		return;
	}
	if (card_present(s)) {
		card_warn("ivshmem: refusing a second card on %s: peer %d is connected",
			  s->card_path, IVS_CARD_PEER_ID);
		close(sock);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->sock = sock;
	p->id = IVS_CARD_PEER_ID;
	r = peer_make_eventfds(s, p, s->vectors);
	if (r == 0)
		r = ivs_send_msg(sock, IVS_PROTOCOL_VERSION, -1);
	if (r == 0)
		r = ivs_send_msg(sock, p->id, -1);
	if (r == 0)
		r = ivs_send_msg(sock, -1, s->shm_fd);
	for (int i = 0; r == 0 && i < IVS_MAX_CLIENTS; i++) {
		const struct ivs_peer *o = &s->clients[i];

		if (o->used && !o->dead)
			r = send_peer_vectors(s, sock, o);
	}
	if (r == 0)
		r = send_peer_vectors(s, sock, p);
	if (r < 0) {
		card_warn("ivshmem: setting up the card failed: %s; closing it", strerror(-r));
		peer_close_fds(p, s->vectors);
		return;
	}
	p->used = true;
	card_info("ivshmem: the card (peer %d) connected on %s", IVS_CARD_PEER_ID, s->card_path);
	for (int j = 0; j < IVS_MAX_CLIENTS; j++) {
		struct ivs_peer *o = &s->clients[j];

		if (!o->used || o->dead)
			continue;
		r = send_peer_vectors(s, o->sock, p);
		if (r < 0) {
			card_warn("ivshmem: peer %u: cannot announce the card: %s; dropping it",
				  o->id, strerror(-r));
			o->dead = true;
		}
	}
	reap(s);
}

static bool drain_eventfd(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	return n == (ssize_t)sizeof(v) && v != 0;
}

struct ivs_server *ivs_server_create(const char *sock_path, int shm_fd, uint32_t vectors,
				     bool with_card, ivs_log_fn log)
{
	struct sockaddr_un sa;
	struct ivs_server *s;

	if (vectors == 0 || vectors > IVS_MAX_VECTORS) {
		if (log)
			log(IVS_LOG_ERR, "ivshmem: %u vectors: must be 1..%d", vectors,
			    IVS_MAX_VECTORS);
		return NULL;
	}
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		if (log)
			log(IVS_LOG_ERR, "ivshmem: socket path %s is too long (max %zu bytes)",
			    sock_path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (log)
			log(IVS_LOG_ERR, "ivshmem: out of memory");
		return NULL;
	}
	s->log = log;
	s->with_card = with_card;
	snprintf(s->path, sizeof(s->path), "%s", sock_path);
	s->listen_fd = -1;
	s->shm_fd = shm_fd;
	s->vectors = vectors;
	s->next_id = 1;
	s->host = -1;
	s->card_listen_fd = -1;
	s->card.id = IVS_CARD_PEER_ID;
	s->card.sock = -1;
	s->card.used = with_card;
	for (int i = 0; i < IVS_MAX_CLIENTS; i++) {
		s->clients[i].sock = -1;
		for (int v = 0; v < IVS_MAX_VECTORS; v++)
			s->clients[i].efd[v] = -1;
	}
	for (int v = 0; v < IVS_MAX_VECTORS; v++)
		s->card.efd[v] = -1;
	if (with_card && peer_make_eventfds(s, &s->card, vectors) < 0)
		goto fail;

	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0) {
		card_err("ivshmem: socket: %s", strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (unlink(sock_path) < 0 && errno != ENOENT) {
		card_err("ivshmem: cannot remove stale %s: %s", sock_path, strerror(errno));
		goto fail;
	}
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		card_err("ivshmem: bind %s: %s", sock_path, strerror(errno));
		goto fail;
	}
	if (listen(s->listen_fd, 8) < 0) {
		card_err("ivshmem: listen %s: %s", sock_path, strerror(errno));
		unlink(sock_path);
		goto fail;
	}
	if (with_card)
		card_info("ivshmem: listening on %s (%u vectors, card is peer %d)", sock_path,
			  vectors, IVS_CARD_PEER_ID);
	else
		card_info("ivshmem: listening on %s (%u vectors, no card)", sock_path, vectors);
	return s;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	peer_close_fds(&s->card, vectors);
	free(s);
	return NULL;
}

void ivs_server_destroy(struct ivs_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < IVS_MAX_CLIENTS; i++)
		if (s->clients[i].used)
			peer_close_fds(&s->clients[i], s->vectors);
	peer_close_fds(&s->card, s->vectors);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->card_listen_fd >= 0) {
		close(s->card_listen_fd);
		if (unlink(s->card_path) < 0 && errno != ENOENT)
			card_warn("ivshmem: cannot remove %s: %s", s->card_path, strerror(errno));
	}
	if (s->wire) {
		/* Nobody is connected through this server any more. */
		wire_store(s->wire, host_peer_id, VMSG_EMU_NO_PEER);
		wire_store(s->wire, host_generation, s->wire_gen_base + (uint32_t)s->host_gen + 1);
		wire_store(s->wire, card_connected, 0);
	}
	if (unlink(s->path) < 0 && errno != ENOENT)
		card_warn("ivshmem: cannot remove %s: %s", s->path, strerror(errno));
	free(s);
}

int ivs_server_max_pollfds(const struct ivs_server *s)
{
	return 1 + (int)s->vectors + (s->card_listen_fd >= 0 ? 2 : 0) + IVS_MAX_CLIENTS;
}

int ivs_server_pollfds(const struct ivs_server *s, struct pollfd *pfd, int max)
{
	int n = 0;

	if (max < ivs_server_max_pollfds(s))
		return 0;
	pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
	/* The built-in card's doorbells; a remote card's are its own business. */
	for (uint32_t v = 0; v < s->vectors; v++)
		pfd[n++] =
		    (struct pollfd){.fd = s->with_card ? s->card.efd[v] : -1, .events = POLLIN};
	if (s->card_listen_fd >= 0) {
		pfd[n++] = (struct pollfd){.fd = s->card_listen_fd, .events = POLLIN};
		pfd[n++] =
		    (struct pollfd){.fd = card_remote(s) ? s->card.sock : -1, .events = POLLIN};
	}
	for (int i = 0; i < IVS_MAX_CLIENTS; i++)
		if (s->clients[i].used && !s->clients[i].dead)
			pfd[n++] = (struct pollfd){.fd = s->clients[i].sock, .events = POLLIN};
	return n;
}

uint32_t ivs_server_handle(struct ivs_server *s, const struct pollfd *pfd, int n)
{
	uint32_t rang = 0;
	bool any_dead = false, card_accept = false;

	for (int k = 1 + (int)s->vectors; k < n; k++) {
		if (!pfd[k].revents || pfd[k].fd < 0)
			continue;
		if (s->card_listen_fd >= 0 && pfd[k].fd == s->card_listen_fd) {
			card_accept = (pfd[k].revents & POLLIN) != 0;
			continue;
		}
		if (!s->with_card && s->card.used && pfd[k].fd == s->card.sock) {
			client_input(s, &s->card, pfd[k].revents);
			if (s->card.dead)
				card_gone(s);
			continue;
		}
		/* Match by fd: the table is unchanged since pollfds() was called. */
		for (int i = 0; i < IVS_MAX_CLIENTS; i++) {
			struct ivs_peer *p = &s->clients[i];

			if (p->used && !p->dead && p->sock == pfd[k].fd) {
				client_input(s, p, pfd[k].revents);
				any_dead |= p->dead;
				break;
			}
		}
	}
	if (any_dead)
		reap(s);
	for (uint32_t v = 0; s->with_card && v < s->vectors && 1 + (int)v < n; v++)
		if (pfd[1 + v].revents && drain_eventfd(s->card.efd[v]))
			rang |= 1u << v;
	if (card_accept)
		accept_card(s);
	if (n > 0 && (pfd[0].revents & POLLIN))
		accept_client(s);
	/* A remote card found dead while telling it about peers. */
	if (!s->with_card && s->card.used && s->card.dead)
		card_gone(s);
	return rang;
}

int ivs_server_notify_host(struct ivs_server *s, uint32_t vector)
{
	const uint64_t one = 1;
	ssize_t n;

	if (vector >= s->vectors)
		return -EINVAL;
	if (s->host < 0)
		return -ENOTCONN;
	n = write(s->clients[s->host].efd[vector], &one, sizeof(one));
	if (n == (ssize_t)sizeof(one))
		return 0;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0; /* counter saturated: an interrupt is pending anyway */
	return n < 0 ? -errno : -EIO;
}

int ivs_server_host_id(const struct ivs_server *s)
{
	return s->host >= 0 ? s->clients[s->host].id : -1;
}

unsigned int ivs_server_num_clients(const struct ivs_server *s)
{
	unsigned int n = 0;

	for (int i = 0; i < IVS_MAX_CLIENTS; i++)
		n += s->clients[i].used && !s->clients[i].dead;
	return n;
}

uint64_t ivs_server_host_generation(const struct ivs_server *s)
{
	return s->host_gen;
}

int ivs_server_listen_card(struct ivs_server *s, const char *card_path)
{
	struct sockaddr_un sa;
	int fd, e;

	if (s->with_card || s->card_listen_fd >= 0) {
		card_err("ivshmem: %s: this server has a card already", card_path);
		return -EINVAL;
	}
	if (strlen(card_path) >= sizeof(sa.sun_path)) {
		card_err("ivshmem: socket path %s is too long (max %zu bytes)", card_path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		e = errno;
		card_err("ivshmem: socket: %s", strerror(e));
		return -e;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, card_path, strlen(card_path) + 1);
	if ((unlink(card_path) < 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 2) < 0) {
		e = errno;
		card_err("ivshmem: card socket %s: %s", card_path, strerror(e));
		close(fd);
		return -e;
	}
	snprintf(s->card_path, sizeof(s->card_path), "%s", card_path);
	s->card_listen_fd = fd;
	card_info("ivshmem: listening on %s for the card (peer %d)", card_path, IVS_CARD_PEER_ID);
	return 0;
}

bool ivs_server_card_connected(const struct ivs_server *s)
{
	return card_present(s);
}

void ivs_server_set_wire(struct ivs_server *s, void *page)
{
	struct vmsg_emu_page *w = page;

	s->wire = w;
	if (!w)
		return;
	/* A generation left by an earlier server goes on: readers see a change. */
	if (wire_load(w, wire_magic) == VMSG_EMU_WIRE_MAGIC)
		s->wire_gen_base = wire_load(w, host_generation) + 1 - (uint32_t)s->host_gen;
	wire_update(s);
}
