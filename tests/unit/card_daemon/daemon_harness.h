/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * daemon_harness.h - run the built vmsg-card binary from tests, and speak
 * the ivshmem client side of its sim link. Every wait is bounded.
 */
#ifndef DAEMON_HARNESS_H
#define DAEMON_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmsg_ivshmem.h"

#define H_TIMEOUT_MS  5000
#define H_MAX_VECTORS 32

/* Path of the vmsg-card binary: argv[1] of the test, or $VMSG_CARD_BIN. */
extern const char *h_card_bin;
int h_init(int argc, char **argv);

struct h_run {
	int status; /* exit status, or 128 + signal, or -1 on timeout */
	char out[65536];
	char err[8192];
};

/* Run "vmsg-card ARGS..." (NULL-terminated) to completion, bounded. */
void h_run_card(struct h_run *r, const char *const *args);

/* Start the daemon in the background, stderr to log_path. */
pid_t h_spawn_card(const char *const *args, const char *log_path);
/* Wait for pid to exit: 0 and *status set, or -1 on timeout. */
int h_wait_exit(pid_t pid, int timeout_ms, int *status);
/* Wait until path exists. */
bool h_wait_path(const char *path, int timeout_ms);

/* A fresh temporary directory (static buffer per call site not needed:
 * caller provides buf of at least 64 bytes). */
void h_mkdtemp(char *buf, size_t len);
/* Remove dir and the regular files / sockets directly inside it, then
 * whatever single-level subdirectories it has. */
void h_rm_tree(const char *dir);

/* ---- ivshmem client: common/ivshmem's, plus the mapped shared memory ---- */
struct h_ivs {
	struct ivs_client cl; /* card_fd[]: peer 0's doorbells; own_fd[]: our interrupts */
	bool cl_valid;	      /* cl was set up by h_ivs_connect() */
	int sock;	      /* == cl.sock */
	int64_t id;	      /* == cl.id */
	int shm_fd;	      /* == cl.shm_fd */
	size_t shm_size;
	volatile uint8_t *shm;
	unsigned int vectors;
};

/* One protocol message: 0 and value (+ fd or -1), or -1 on error/timeout. */
int h_ivs_recv(int sock, int64_t *value, int *fd, int timeout_ms);
/* Connect and run the whole greeting; 0 or -1 (reason printed). */
int h_ivs_connect(struct h_ivs *c, const char *sock_path, unsigned int vectors);
void h_ivs_close(struct h_ivs *c);
/* Ring the card's doorbell n. */
void h_ivs_ring(const struct h_ivs *c, unsigned int n);
/* Wait for our interrupt vector v: true if it fired. */
bool h_ivs_wait_irq(const struct h_ivs *c, unsigned int v, int timeout_ms);

/* Poll a 32-bit register of the mapped BAR0 until it equals want. */
bool h_wait_reg(const struct h_ivs *c, size_t off, uint32_t want, int timeout_ms);

#endif /* DAEMON_HARNESS_H */
