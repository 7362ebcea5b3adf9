// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * vmsg_ivshmem_server.c - vmsg-ivshmem-server: an ivshmem server
 * (vmsg_ivshmem.h) for rig tests. Debian's QEMU package does not ship QEMU's
 * ivshmem-server. Test tool, not installed.
 *
 *   vmsg-ivshmem-server --socket PATH [--card-socket PATH] [--shm-path FILE]
 *                       [--shm-size BYTES] [--vectors N] [--pidfile FILE]
 *
 * Without --card-socket: a plain server (no card) for rig tests that need an
 * ivshmem device that is not a card. With it: the emulated link between the
 * card VM and the host VM: the one client on the card socket (the card VM's
 * ivshmem-doorbell) is peer VMSG_EMU_CARD_PEER_ID, a second one is refused;
 * clients on --socket are hosts (the most recent one is the host). The server
 * then maintains the wire section of struct vmsg_emu_page [EMU-7] in the last
 * 4 KiB of the shared memory (host_peer_id, host_generation, card_connected).
 *
 * The shared memory is FILE (created if missing, sized to BYTES) or an
 * anonymous memfd; BYTES is a power of two (default 4 MiB); N vectors per
 * peer (default 8). Runs until SIGTERM or SIGINT, then removes the sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vmsg_ivshmem.h"

static void srv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void srv_log(int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	fputs("vmsg-ivshmem-server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int usage(const char *why)
{
	fprintf(stderr,
		"vmsg-ivshmem-server: %s\n"
		"usage: vmsg-ivshmem-server --socket PATH [--card-socket PATH] [--shm-path FILE]\n"
		"                           [--shm-size BYTES] [--vectors N] [--pidfile FILE]\n",
		why);
	return 2;
}

static int parse_ull(const char *s, unsigned long long min, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return (!*s || *s == '-' || errno || *end || *out < min || *out > max) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"shm-path", required_argument, NULL, 'p'},
	    {"shm-size", required_argument, NULL, 'z'},
	    {"vectors", required_argument, NULL, 'v'},
	    {"pidfile", required_argument, NULL, 'P'},
	    {"card-socket", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *shm_path = NULL, *pidfile = NULL, *card_sock = NULL;
	unsigned long long size = 4ull << 20, vectors = 8;
	struct pollfd pfd[1 + 1 + IVS_MAX_VECTORS + 2 + IVS_MAX_CLIENTS];
	struct ivs_server *s;
	void *shm = NULL;
	sigset_t set;
	int c, shm_fd, sfd;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'p':
			shm_path = optarg;
			break;
		case 'z':
			if (parse_ull(optarg, 4096, 1ull << 30, &size) < 0 || (size & (size - 1)))
				return usage("--shm-size: a power of two from 4096 to 1 GiB");
			break;
		case 'v':
			if (parse_ull(optarg, 1, IVS_MAX_VECTORS, &vectors) < 0)
				return usage("--vectors: 1..32");
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'c':
			card_sock = optarg;
			break;
		default:
			return usage("bad option");
		}
	}
	if (!sock || optind != argc)
		return usage("--socket PATH is required, and nothing else");
	if (card_sock && size < 2 * VMSG_EMU_PAGE_SIZE)
		return usage(
		    "--card-socket: --shm-size must hold BAR0 and the link page (>= 8192)");
	shm_fd = shm_path ? open(shm_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)
			  : memfd_create("ivshmem", MFD_CLOEXEC);
	if (shm_fd < 0 || ftruncate(shm_fd, (off_t)size) < 0) {
		srv_log(IVS_LOG_ERR, "shared memory %s: %s", shm_path ? shm_path : "(memfd)",
			strerror(errno));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	s = ivs_server_create(sock, shm_fd, (uint32_t)vectors, false, srv_log);
	if (sfd < 0 || !s)
		return 1;
	if (card_sock) {
		shm = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
		if (shm == MAP_FAILED) {
			srv_log(IVS_LOG_ERR, "mmap the shared memory: %s", strerror(errno));
			ivs_server_destroy(s);
			return 1;
		}
		if (ivs_server_listen_card(s, card_sock) < 0) {
			ivs_server_destroy(s);
			return 1;
		}
		ivs_server_set_wire(s, (char *)shm + size - VMSG_EMU_PAGE_SIZE);
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			srv_log(IVS_LOG_ERR, "pidfile %s: %s", pidfile, strerror(errno));
			ivs_server_destroy(s);
			return 1;
		}
	}
	for (;;) {
		int n;

		pfd[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
		n = ivs_server_pollfds(s, pfd + 1, (int)(sizeof(pfd) / sizeof(pfd[0])) - 1);
		if (poll(pfd, (nfds_t)n + 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		ivs_server_handle(s, pfd + 1, n);
	}
	ivs_server_destroy(s);
	if (shm)
		munmap(shm, (size_t)size);
	close(shm_fd);
	return 0;
}
