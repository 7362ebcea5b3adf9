// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * throughput.c - `vmsg-bench throughput`: Debian's dpdk-testpmd with the
 * net_vmsg PMD against a fresh card (net loopback: every frame comes back),
 * and in the same run, on the same two CPUs, DPDK's own vhost-user pair
 * (net_vhost in one testpmd doing the loopback, net_virtio_user in the
 * other), both in io forwarding started with `start tx_first`: a closed loop
 * whose receive rate is the number.
 *
 *   host side  CPU A: testpmd (net_vmsg | net_virtio_user), io forwarding
 *   far side   CPU B: vmsg-card --poll --net loopback | testpmd net_vhost io
 *
 * Rates are testpmd's own Rx-pps / Rx-bps between two `show port stats`
 * calls --seconds apart. Memory is --no-huge for both (net_vmsg's zero copy
 * on the emulated link needs DPDK's memfd; the same memory for both keeps
 * the comparison fair). Every step is bounded; a testpmd or card that dies
 * ends the run with its log.
 */
#include "bench_cli.h"
#include "bench_util.h"
#include "card_proc.h"
#include "cost_model.h"
#include "throughput.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TP_MAX_SIZES 4
#define TP_INIT_S    30 /* testpmd start-up bound */
#define RTE_DIM_(a)  (sizeof(a) / sizeof((a)[0]))

struct tp_opts {
	const char *card, *testpmd, *pmd, *json, *png;
	uint32_t sizes[TP_MAX_SIZES];
	unsigned int nsizes, seconds, warmup, mem_mb;
	int cpu_a, cpu_b;
	bool quick;
};

struct tp_rate {
	double pps, bps;
	bool ok;
};

struct tp_row {
	uint32_t size; /* frame on the wire, FCS included */
	struct tp_rate vmsg, vhost;
	double est_mpps[COST_NLINKS];
};

struct tp_proc {
	pid_t pid;
	int in_fd;
	char log[PATH_MAX];
	const char *what;
};

static struct tp_proc *g_procs[2];
static char g_dir[512]; /* short enough for every file name built in it */

static void tp_kill_all(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (g_procs[i] && g_procs[i]->pid > 0)
			kill(g_procs[i]->pid, SIGKILL);
	card_emergency_cleanup();
}

static void tp_log_tail(const struct tp_proc *p)
{
	char buf[4096];
	ssize_t n;
	off_t sz;
	int fd = open(p->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	sz = lseek(fd, 0, SEEK_END);
	lseek(fd, sz > (off_t)sizeof(buf) - 1 ? sz - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	fprintf(stderr, "---- %s log (tail, %s) ----\n%s\n---- end ----\n", p->what, p->log, buf);
}

/* Start argv with stdin a pipe, stdout+stderr to log. */
static int tp_spawn(struct tp_proc *p, const char *what, const char *const *argv, const char *log)
{
	pid_t parent = getpid();
	int pfd[2], lfd;

	memset(p, 0, sizeof(*p));
	p->what = what;
	p->in_fd = -1;
	snprintf(p->log, sizeof(p->log), "%s", log);
	lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (lfd < 0)
		return -errno;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close(lfd);
		return -errno;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		close(lfd);
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (dup2(pfd[0], 0) < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "vmsg-bench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(lfd);
	close(pfd[0]);
	p->in_fd = pfd[1];
	return 0;
}

static bool tp_alive(struct tp_proc *p)
{
	int st;

	if (p->pid <= 0)
		return false;
	if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
		p->pid = 0;
		return false;
	}
	return true;
}

static bool log_has(const char *path, const char *text)
{
	static char buf[1 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* Wait for text in the log while the process lives (bounded). */
static int tp_wait_text(struct tp_proc *p, const char *text, unsigned int seconds)
{
	uint64_t end = bu_now_ns() + (uint64_t)seconds * 1000000000ull;

	while (bu_now_ns() < end) {
		if (log_has(p->log, text))
			return 0;
		if (!tp_alive(p)) {
			fprintf(stderr, "vmsg-bench: %s exited before '%s'\n", p->what, text);
			tp_log_tail(p);
			return -ECHILD;
		}
		bu_sleep_ms(50);
	}
	fprintf(stderr, "vmsg-bench: %s: no '%s' within %u s\n", p->what, text, seconds);
	tp_log_tail(p);
	return -ETIMEDOUT;
}

static int tp_cmd(struct tp_proc *p, const char *cmd)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);

	if (!tp_alive(p)) {
		fprintf(stderr, "vmsg-bench: %s died (before '%s')\n", p->what, cmd);
		tp_log_tail(p);
		return -ECHILD;
	}
	if (write(p->in_fd, line, (size_t)n) != n)
		return -errno;
	return 0;
}

/* quit, bounded wait, SIGKILL after. 0 if it exited by itself with 0. */
static int tp_finish(struct tp_proc *p, unsigned int seconds)
{
	uint64_t end = bu_now_ns() + (uint64_t)seconds * 1000000000ull;
	int st, ret = -ETIMEDOUT;

	if (p->pid > 0 && p->in_fd >= 0) {
		if (write(p->in_fd, "quit\n", 5) != 5) {
			/* it may be gone already: reaped below */
		}
	}
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->in_fd = -1;
	while (p->pid > 0 && bu_now_ns() < end) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = 0;
			ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
			break;
		}
		bu_sleep_ms(20);
	}
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
		p->pid = 0;
		fprintf(stderr, "vmsg-bench: %s did not quit within %u s: killed\n", p->what,
			seconds);
	}
	return p->pid == 0 && ret == -ETIMEDOUT ? 0 : ret;
}

/* The value after the last "key" in the log. */
static int last_value(const char *path, const char *key, double *out)
{
	static char buf[1 << 20];
	char *p, *last = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENODATA;
	buf[n] = 0;
	for (p = strstr(buf, key); p; p = strstr(p + 1, key))
		last = p;
	if (!last)
		return -ENODATA;
	*out = strtod(last + strlen(key), NULL);
	return 0;
}

static const char *const g_prefixes[] = {"vmsg", "vhost", "vu"};

/* DPDK's runtime directory of one testpmd of this run (removed at exit). */
static void prefix_name(char *out, size_t cap, const char *role)
{
	snprintf(out, cap, "vmsg-bench-%d-%s", (int)getpid(), role);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw);

static void prefixes_remove(void)
{
	char d[128], name[64];
	unsigned int i;

	for (i = 0; i < RTE_DIM_(g_prefixes); i++) {
		prefix_name(name, sizeof(name), g_prefixes[i]);
		snprintf(d, sizeof(d), "/var/run/dpdk/%s", name);
		nftw(d, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
	}
}

static void eal_args(const char **a, int *i, int cpu, const char *role, unsigned int mem_mb,
		     char *lcores, size_t lc_cap, char *mem, size_t mem_cap)
{
	static char prefixes[3][64];
	unsigned int k;
	const char *prefix = role;

	for (k = 0; k < RTE_DIM_(g_prefixes); k++) {
		if (!strcmp(role, g_prefixes[k])) {
			prefix_name(prefixes[k], sizeof(prefixes[k]), role);
			prefix = prefixes[k];
		}
	}
	snprintf(lcores, lc_cap, "0@%d,1@%d", cpu, cpu);
	snprintf(mem, mem_cap, "%u", mem_mb);
	a[(*i)++] = "--lcores";
	a[(*i)++] = lcores;
	a[(*i)++] = "--no-huge";
	a[(*i)++] = "-m";
	a[(*i)++] = mem;
	a[(*i)++] = "--no-pci";
	a[(*i)++] = "--file-prefix";
	a[(*i)++] = prefix;
	a[(*i)++] = "--log-level";
	a[(*i)++] = "lib.eal:warning";
}

/* Drive the host-side testpmd through one measurement. */
static int measure(const struct tp_opts *o, struct tp_proc *p, struct tp_rate *r)
{
	double rx_pkts = 0;
	int ret;

	ret = tp_wait_text(p, "testpmd> ", TP_INIT_S);
	if (ret)
		return ret;
	if ((ret = tp_cmd(p, "start tx_first 4")))
		return ret;
	bu_sleep_ms(o->warmup * 1000u);
	if ((ret = tp_cmd(p, "show port stats 0")))
		return ret;
	bu_sleep_ms(o->seconds * 1000u);
	if ((ret = tp_cmd(p, "show port stats 0")) || (ret = tp_cmd(p, "stop")))
		return ret;
	bu_sleep_ms(500);
	ret = tp_finish(p, 20);
	if (last_value(p->log, "Rx-pps:", &r->pps) || last_value(p->log, "Rx-bps:", &r->bps) ||
	    last_value(p->log, "RX-packets:", &rx_pkts)) {
		fprintf(stderr, "vmsg-bench: %s: no statistics in its output\n", p->what);
		tp_log_tail(p);
		return -ENODATA;
	}
	if (rx_pkts <= 0 || r->pps <= 0) {
		fprintf(stderr, "vmsg-bench: %s: no frame came back\n", p->what);
		tp_log_tail(p);
		return -EIO;
	}
	if (ret)
		fprintf(stderr, "vmsg-bench: %s: unclean exit (%s)\n", p->what, strerror(-ret));
	r->ok = true;
	return 0;
}

static int run_vmsg(const struct tp_opts *o, uint32_t size, struct tp_rate *r)
{
	struct card_proc card;
	struct tp_proc tp;
	const char *a[40];
	char lcores[32], mem[16], vdev[3 * PATH_MAX], txpkts[16], log[PATH_MAX], bin[CARD_PATH_MAX];
	const char *how;
	int i = 0, ret;

	memset(&card, 0, sizeof(card));
	ret = card_find_binary(o->card, bin, sizeof(bin), &how);
	if (ret)
		return ret;
	ret = card_prepare(&card, bin);
	if (ret)
		return ret;
	card.net_loopback = true;
	fprintf(stderr, "throughput: [vmsg %u B] card (--poll --net loopback) on CPU %d\n", size,
		o->cpu_b);
	ret = card_start(&card, o->cpu_b, true, 10000);
	if (ret) {
		card_log_tail(&card);
		card_cleanup(&card);
		return ret;
	}
	a[i++] = o->testpmd;
	eal_args(a, &i, o->cpu_a, "vmsg", o->mem_mb, lcores, sizeof(lcores), mem, sizeof(mem));
	a[i++] = "-d";
	a[i++] = o->pmd;
	snprintf(vdev, sizeof(vdev), "net_vmsg0,link=%s,host-mem=%s", card.link_dir, card.mem_path);
	a[i++] = "--vdev";
	a[i++] = vdev;
	snprintf(txpkts, sizeof(txpkts), "%u", size - 4);
	a[i++] = "--";
	a[i++] = "-i";
	a[i++] = "--forward-mode=io";
	a[i++] = "--total-num-mbufs=8192";
	a[i++] = "--txpkts";
	a[i++] = txpkts;
	a[i] = NULL;
	snprintf(log, sizeof(log), "%s/testpmd-vmsg-%u.log", g_dir, size);
	fprintf(stderr, "throughput: [vmsg %u B] dpdk-testpmd net_vmsg on CPU %d, %u s\n", size,
		o->cpu_a, o->seconds);
	ret = tp_spawn(&tp, "testpmd (net_vmsg)", a, log);
	if (!ret) {
		g_procs[0] = &tp;
		ret = measure(o, &tp, r);
		if (ret && tp.pid > 0)
			tp_finish(&tp, 5);
		g_procs[0] = NULL;
	}
	if (ret)
		card_log_tail(&card);
	card_stop(&card);
	card_cleanup(&card);
	return ret;
}

static int run_vhost(const struct tp_opts *o, uint32_t size, struct tp_rate *r)
{
	struct tp_proc vh, vu;
	const char *a[40], *b[40];
	char lc_a[32], lc_b[32], mem_a[16], mem_b[16], sock[PATH_MAX], vd_a[PATH_MAX + 64],
	    vd_b[PATH_MAX + 64], txpkts[16], log_a[PATH_MAX], log_b[PATH_MAX];
	struct stat st;
	int i = 0, j = 0, ret, k;

	snprintf(sock, sizeof(sock), "%s/vhost-%u.sock", g_dir, size);
	unlink(sock);
	b[j++] = o->testpmd;
	eal_args(b, &j, o->cpu_b, "vhost", o->mem_mb, lc_b, sizeof(lc_b), mem_b, sizeof(mem_b));
	snprintf(vd_b, sizeof(vd_b), "net_vhost0,iface=%s,queues=1", sock);
	b[j++] = "--vdev";
	b[j++] = vd_b;
	b[j++] = "--";
	b[j++] = "-i";
	b[j++] = "--forward-mode=io";
	b[j++] = "--auto-start";
	b[j++] = "--total-num-mbufs=8192";
	b[j] = NULL;
	snprintf(log_b, sizeof(log_b), "%s/testpmd-vhost-%u.log", g_dir, size);
	fprintf(stderr,
		"throughput: [vhost-user %u B] dpdk-testpmd net_vhost (loopback) on CPU %d\n", size,
		o->cpu_b);
	ret = tp_spawn(&vh, "testpmd (net_vhost)", b, log_b);
	if (ret)
		return ret;
	g_procs[1] = &vh;
	for (k = 0; k < TP_INIT_S * 20 && stat(sock, &st) != 0; k++) {
		if (!tp_alive(&vh))
			break;
		bu_sleep_ms(50);
	}
	if (stat(sock, &st) != 0) {
		fprintf(stderr, "vmsg-bench: net_vhost did not create %s\n", sock);
		tp_log_tail(&vh);
		tp_finish(&vh, 5);
		g_procs[1] = NULL;
		return -ETIMEDOUT;
	}
	a[i++] = o->testpmd;
	eal_args(a, &i, o->cpu_a, "vu", o->mem_mb, lc_a, sizeof(lc_a), mem_a, sizeof(mem_a));
	snprintf(vd_a, sizeof(vd_a), "net_virtio_user0,path=%s,queues=1", sock);
	a[i++] = "--vdev";
	a[i++] = vd_a;
	snprintf(txpkts, sizeof(txpkts), "%u", size - 4);
	a[i++] = "--";
	a[i++] = "-i";
	a[i++] = "--forward-mode=io";
	a[i++] = "--total-num-mbufs=8192";
	a[i++] = "--txpkts";
	a[i++] = txpkts;
	a[i] = NULL;
	snprintf(log_a, sizeof(log_a), "%s/testpmd-virtio-user-%u.log", g_dir, size);
	fprintf(stderr,
		"throughput: [vhost-user %u B] dpdk-testpmd net_virtio_user on CPU %d, %u s\n",
		size, o->cpu_a, o->seconds);
	ret = tp_spawn(&vu, "testpmd (net_virtio_user)", a, log_a);
	if (!ret) {
		g_procs[0] = &vu;
		ret = measure(o, &vu, r);
		if (ret && vu.pid > 0)
			tp_finish(&vu, 5);
		g_procs[0] = NULL;
	}
	if (ret)
		tp_log_tail(&vh);
	tp_finish(&vh, 10);
	g_procs[1] = NULL;
	unlink(sock);
	return ret;
}

/*
 * Link-bound estimate for a real link (an upper bound: wire bytes only).
 * Per frame and direction of the loopback: the frame and its 12-byte
 * virtio-net header in TLPs of at most 256 payload bytes (26 bytes of
 * overhead each), plus the ring traffic of one descriptor (16 B read), one
 * avail entry (2 B) and one used entry (8 B write), one TLP each.
 */
static double link_bound_mpps(const struct cost_link *l, uint32_t size)
{
	double payload = (double)(size - 4) + 12.0;
	double tlps = (double)(((uint32_t)payload + 255u) / 256u);
	double wire = payload + tlps * COST_TLP_OVERHEAD_B + 3.0 * COST_TLP_OVERHEAD_B + 26.0;
	double bytes_s = l->gts * 1e9 * l->lanes * (128.0 / 130.0) / 8.0;

	return bytes_s / wire / 1e6;
}

static int write_json(const struct tp_opts *o, const struct tp_row *rows, unsigned int n)
{
	struct bu_machine m;
	unsigned int i, k;
	FILE *f = fopen(o->json, "w");

	if (!f) {
		fprintf(stderr, "vmsg-bench: %s: %s\n", o->json, strerror(errno));
		return -errno;
	}
	bu_machine_get(&m);
	fprintf(f,
		"{\n  \"command\": \"throughput\",\n  \"machine\": {\"nproc\": %ld, \"model\": "
		"\"%s\", \"kernel\": \"%s\", \"hostname\": \"%s\"},\n  \"timestamp\": \"%s\",\n"
		"  \"cpus\": {\"host\": %d, \"far\": %d},\n  \"memory\": \"no-huge\",\n"
		"  \"mode\": \"testpmd io forwarding, start tx_first 4, closed loop\",\n"
		"  \"seconds\": %u,\n  \"warmup_seconds\": %u,\n  \"results\": [\n",
		m.nproc, m.model, m.kernel, m.hostname, m.timestamp, o->cpu_a, o->cpu_b, o->seconds,
		o->warmup);
	for (i = 0; i < n; i++) {
		const struct tp_row *r = &rows[i];

		fprintf(f,
			"    {\"frame_bytes\": %u, \"vmsg\": {\"mpps\": %.4f, \"gbps\": %.4f}, "
			"\"vhost_user\": {\"mpps\": %.4f, \"gbps\": %.4f}, \"ratio_mpps\": %.4f, "
			"\"estimate_link_bound_mpps\": {",
			r->size, r->vmsg.pps / 1e6, r->vmsg.bps / 1e9, r->vhost.pps / 1e6,
			r->vhost.bps / 1e9, r->vhost.pps > 0 ? r->vmsg.pps / r->vhost.pps : 0.0);
		for (k = 0; k < COST_NLINKS; k++)
			fprintf(f, "%s\"%s\": %.3f", k ? ", " : "", cost_links[k].name,
				r->est_mpps[k]);
		fprintf(f, "}}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

static int write_png(const struct tp_opts *o, const struct tp_row *rows, unsigned int n)
{
	char dat[PATH_MAX], gp[PATH_MAX];
	const char *argv[3];
	unsigned int i;
	FILE *f;
	pid_t pid;
	int st;

	snprintf(dat, sizeof(dat), "%s/throughput.dat", g_dir);
	snprintf(gp, sizeof(gp), "%s/throughput.gp", g_dir);
	f = fopen(dat, "w");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "\"%u B\" %.4f %.4f\n", rows[i].size, rows[i].vmsg.pps / 1e6,
			rows[i].vhost.pps / 1e6);
	fclose(f);
	f = fopen(gp, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"set terminal png size 800,500\nset output '%s'\n"
		"set title 'vmsg-bench throughput: testpmd io loopback, Mpps (higher is better)'\n"
		"set style data histograms\nset style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\nset ylabel 'Mpps'\nset yrange [0:*]\n"
		"set key top right\nset grid ytics\n"
		"plot '%s' using 2:xtic(1) title 'net\\_vmsg (soft card)', "
		"'' using 3 title 'vhost-user (net\\_vhost + net\\_virtio\\_user)'\n",
		o->png, dat);
	fclose(f);
	argv[0] = "gnuplot";
	argv[1] = gp;
	argv[2] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "vmsg-bench: exec gnuplot: %s (make deps installs gnuplot-nox)\n",
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "vmsg-bench: gnuplot failed: no PNG\n");
		return -EIO;
	}
	return 0;
}

static void report(const struct tp_opts *o, const struct tp_row *rows, unsigned int n)
{
	unsigned int i;

	printf("vmsg-bench throughput: testpmd io forwarding through a loopback, closed loop "
	       "(start tx_first 4), %u s per run after %u s warm-up\n",
	       o->seconds, o->warmup);
	printf("host side CPU %d, far side CPU %d (card / net_vhost testpmd); memory: --no-huge "
	       "for both (hugepages not used: net_vmsg's zero copy needs DPDK's memfd)\n",
	       o->cpu_a, o->cpu_b);
	printf("%-7s | %10s %10s | %10s %10s | %8s | %s\n", "frame", "vmsg Mpps", "Gbit/s",
	       "vhost Mpps", "Gbit/s", "ratio", "ESTIMATE link bound Mpps (Gen3 x4 / Gen4 x4)");
	for (i = 0; i < n; i++) {
		const struct tp_row *r = &rows[i];

		printf("%5u B | %10.3f %10.3f | %10.3f %10.3f | %7.2fx | %.2f / %.2f\n", r->size,
		       r->vmsg.pps / 1e6, r->vmsg.bps / 1e9, r->vhost.pps / 1e6, r->vhost.bps / 1e9,
		       r->vhost.pps > 0 ? r->vmsg.pps / r->vhost.pps : 0.0, r->est_mpps[0],
		       r->est_mpps[1]);
	}
	printf("frame = bytes on the wire with FCS (testpmd --txpkts frame-4); Gbit/s = testpmd "
	       "Rx-bps (frame bytes without FCS). ratio = vmsg / vhost-user Mpps.\n"
	       "The link bound is an ESTIMATE of wire bytes only (frame + header in 256-byte "
	       "TLPs, 26 B overhead each, plus descriptor, avail and used entries), not a "
	       "measurement.\n");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int parse_sizes(const char *s, struct tp_opts *o)
{
	char *end;
	unsigned long v;

	o->nsizes = 0;
	while (*s) {
		if (o->nsizes == TP_MAX_SIZES)
			return -1;
		v = strtoul(s, &end, 10);
		if (end == s || v < 64 || v > 1518)
			return -1;
		o->sizes[o->nsizes++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return o->nsizes ? 0 : -1;
}

/* DPDK loads a plugin only if neither it nor a directory above it is
 * world-writable (a build tree under /tmp is). */
static bool path_insecure(const char *path)
{
	char p[PATH_MAX], *slash;
	struct stat st;

	if (!realpath(path, p))
		return true;
	for (;;) {
		if (stat(p, &st) != 0 || (st.st_mode & S_IWOTH))
			return true;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	return stat("/", &st) != 0 || (st.st_mode & S_IWOTH);
}

static char g_pmd_copy_dir[PATH_MAX - 64];

/* Load a private copy under ~/.cache/vmsg-pcie/ when the PMD's path is
 * insecure for DPDK; *path then names the copy. */
static int pmd_safe_path(const char **path, char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	char base[PATH_MAX / 2], tmp[PATH_MAX / 2 + 32];
	char data[65536];
	ssize_t n;
	int in, out, ret = 0;

	if (!path_insecure(*path))
		return 0;
	if (!home || !*home)
		return -ENOENT;
	snprintf(base, sizeof(base), "%s/.cache", home);
	mkdir(base, 0700);
	snprintf(base, sizeof(base), "%s/.cache/vmsg-pcie", home);
	mkdir(base, 0700);
	snprintf(tmp, sizeof(tmp), "%s/bench-pmd-XXXXXX", base);
	if (!mkdtemp(tmp))
		return -errno;
	snprintf(g_pmd_copy_dir, sizeof(g_pmd_copy_dir), "%s", tmp);
	snprintf(buf, cap, "%s/librte_net_vmsg.so", tmp);
	in = open(*path, O_RDONLY | O_CLOEXEC);
	out = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	while (in >= 0 && out >= 0 && (n = read(in, data, sizeof(data))) > 0)
		if (write(out, data, (size_t)n) != n)
			ret = -EIO;
	if (in < 0 || out < 0)
		ret = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret || path_insecure(buf))
		return ret ? ret : -EPERM;
	fprintf(stderr,
		"throughput: %s is under a world-writable directory (DPDK refuses it): "
		"loading a copy, %s\n",
		*path, buf);
	*path = buf;
	return 0;
}

static void pmd_copy_remove(void)
{
	char f[PATH_MAX];

	if (!g_pmd_copy_dir[0])
		return;
	snprintf(f, sizeof(f), "%s/librte_net_vmsg.so", g_pmd_copy_dir);
	unlink(f);
	rmdir(g_pmd_copy_dir);
	g_pmd_copy_dir[0] = 0;
}

static int default_pmd(char *out, size_t cap)
{
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	snprintf(out, cap, "%s/../userspace_pmd/net_vmsg/librte_net_vmsg.so", exe);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

int cmd_throughput(int argc, char **argv)
{
	static char pmd_path[PATH_MAX], pmd_copy[PATH_MAX];
	struct tp_opts o = {.testpmd = "dpdk-testpmd", .seconds = 5, .warmup = 2, .mem_mb = 512};
	struct tp_row rows[TP_MAX_SIZES];
	uint64_t v;
	unsigned int i;
	int a, ret = 0;
	const char *tmp = getenv("TMPDIR");

	o.sizes[0] = 64;
	o.sizes[1] = 1518;
	o.nsizes = 2;
	if (bu_default_cpus(&o.cpu_a, &o.cpu_b) < 0)
		return bench_usage_error("throughput needs two CPUs");
	for (a = 1; a < argc; a++) {
		const char *opt = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(opt, "--quick")) {
			o.quick = true;
			o.seconds = 2;
			o.warmup = 1;
			continue;
		}
		if (!val)
			return bench_usage_error("%s needs a value", opt);
		a++;
		if (!strcmp(opt, "--card"))
			o.card = val;
		else if (!strcmp(opt, "--testpmd"))
			o.testpmd = val;
		else if (!strcmp(opt, "--pmd"))
			o.pmd = val;
		else if (!strcmp(opt, "--json"))
			o.json = val;
		else if (!strcmp(opt, "--png"))
			o.png = val;
		else if (!strcmp(opt, "--seconds") && !bu_parse_u64(val, 1, 600, &v))
			o.seconds = (unsigned int)v;
		else if (!strcmp(opt, "--mem") && !bu_parse_u64(val, 128, 8192, &v))
			o.mem_mb = (unsigned int)v;
		else if (!strcmp(opt, "--sizes")) {
			if (parse_sizes(val, &o))
				return bench_usage_error("--sizes: up to %d sizes in 64..1518",
							 TP_MAX_SIZES);
		} else if (!strcmp(opt, "--cpus")) {
			if (bu_parse_cpus(val, &o.cpu_a, &o.cpu_b) < 0)
				return bench_usage_error("--cpus: A,B");
		} else
			return bench_usage_error("throughput: bad option or value: %s %s", opt,
						 val);
	}
	if (o.cpu_a == o.cpu_b)
		return bench_usage_error("throughput needs two different CPUs (--cpus A,B)");
	if (!o.pmd) {
		if (default_pmd(pmd_path, sizeof(pmd_path)) < 0) {
			fprintf(stderr, "vmsg-bench: the net_vmsg PMD was not found next to this "
					"program's build tree; give --pmd PATH\n");
			return BENCH_EXIT_FAIL;
		}
		o.pmd = pmd_path;
	}
	if (pmd_safe_path(&o.pmd, pmd_copy, sizeof(pmd_copy)) < 0) {
		fprintf(stderr,
			"vmsg-bench: %s is under a world-writable directory and no private "
			"copy could be made\n",
			o.pmd);
		return BENCH_EXIT_FAIL;
	}
	atexit(pmd_copy_remove);
	atexit(prefixes_remove);
	if ((o.json && bu_check_writable(o.json) < 0) || (o.png && bu_check_writable(o.png) < 0))
		return BENCH_EXIT_FAIL;
	snprintf(g_dir, sizeof(g_dir), "%s/vmsg-bench-tp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g_dir)) {
		fprintf(stderr, "vmsg-bench: mkdtemp: %s\n", strerror(errno));
		return BENCH_EXIT_FAIL;
	}
	bu_watchdog_start(tp_kill_all);
	fprintf(stderr,
		"throughput: PMD %s, testpmd %s, memory --no-huge (%u MiB each), logs in %s\n",
		o.pmd, o.testpmd, o.mem_mb, g_dir);
	memset(rows, 0, sizeof(rows));
	for (i = 0; i < o.nsizes && !ret; i++) {
		unsigned int k;

		rows[i].size = o.sizes[i];
		for (k = 0; k < COST_NLINKS; k++)
			rows[i].est_mpps[k] = link_bound_mpps(&cost_links[k], o.sizes[i]);
		bu_watchdog_arm("throughput vmsg", o.seconds + o.warmup + TP_INIT_S + 40);
		ret = run_vmsg(&o, o.sizes[i], &rows[i].vmsg);
		if (!ret) {
			bu_watchdog_arm("throughput vhost-user",
					o.seconds + o.warmup + 2 * TP_INIT_S + 40);
			ret = run_vhost(&o, o.sizes[i], &rows[i].vhost);
		}
		bu_watchdog_disarm();
	}
	if (ret) {
		fprintf(stderr, "vmsg-bench throughput: failed (%s); logs kept in %s\n",
			strerror(-ret), g_dir);
		return BENCH_EXIT_FAIL;
	}
	report(&o, rows, o.nsizes);
	if (o.json && write_json(&o, rows, o.nsizes) < 0)
		ret = -EIO;
	if (o.png && write_png(&o, rows, o.nsizes) < 0)
		ret = -EIO;
	if (!ret && !getenv("VMSG_BENCH_KEEP") &&
	    nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "vmsg-bench: could not remove %s\n", g_dir);
	return ret ? BENCH_EXIT_FAIL : BENCH_EXIT_OK;
}
