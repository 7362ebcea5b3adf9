// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * report.c - the latency table, the link-operation counts, the real-link
 * estimate, and the same numbers as JSON.
 */
#include "latency.h"

#include <errno.h>
#include <string.h>

/* ---- table ---- */

const char *lat_mode_name(enum lat_mode m)
{
	return m == LAT_POLL ? "poll" : "irq";
}

static void print_lat_table(const struct lat_result *r, FILE *out)
{
	int i;

	fprintf(out, "Round trips in microseconds (CLOCK_MONOTONIC per sample); "
		     "ratio = vmsg / baseline of the same mode\n\n");
	fprintf(out, "%-5s %-26s %8s %9s %9s %9s %9s %9s %8s %8s\n", "mode", "message", "count",
		"p50", "p99", "p99.9", "max", "mean", "x p50", "x p99");
	for (i = 0; i < r->nrows; i++) {
		const struct lat_row *row = &r->rows[i];
		char name[40];

		snprintf(name, sizeof(name), "%s%s", row->baseline ? "baseline " : "", row->name);
		fprintf(out, "%-5s %-26s %8llu %9.2f %9.2f %9.2f %9.2f %9.2f",
			lat_mode_name(row->mode), name, (unsigned long long)row->s.count,
			row->s.p50_us, row->s.p99_us, row->s.p999_us, row->s.max_us,
			row->s.mean_us);
		if (row->baseline)
			fprintf(out, " %8s %8s\n", "1.00", "1.00");
		else if (row->base_row >= 0)
			fprintf(out, " %8.2f %8.2f\n", row->ratio_p50, row->ratio_p99);
		else
			fprintf(out, " %8s %8s\n", "-", "-");
	}
}

static void print_ops(const struct lat_result *r, FILE *out)
{
	int i;

	fprintf(out, "\nLink operations per round trip (counted: host library stats and the "
		     "card's BAR0 counters)\n");
	fprintf(out, "  host->BAR0 posted writes = slot stores + h2c prod + doorbell + c2h cons "
		     "mirror + NEED_NOTIFY\n");
	fprintf(out, "  card->host posted writes = h2c cons mirror + slot stores + c2h prod; "
		     "MSI-X separate; reads across the link: 0 (binding)\n\n");
	fprintf(out, "%-5s %-18s %7s %7s %-31s %-22s %6s %5s\n", "mode", "message", "h2c", "c2h",
		"host->BAR0 posted writes", "card->host posted wr.", "MSI-X", "reads");
	for (i = 0; i < r->nrows; i++) {
		const struct lat_row *row = &r->rows[i];
		const struct link_ops *o = &row->ops;
		char h[64], c[64];

		if (row->baseline)
			continue;
		snprintf(h, sizeof(h), "%.0f+%.0f+%.2f+%.0f+%.2f=%.2f", o->host_slot, o->host_prod,
			 o->host_doorbell, o->host_c2h_cons, o->host_flags, o->host_total);
		snprintf(c, sizeof(c), "%.0f+%.0f+%.0f=%.2f", o->card_h2c_cons, o->card_slot,
			 o->card_prod, o->card_total);
		fprintf(out, "%-5s %-18s %7.2f %7.2f %-31s %-22s %6.2f %5.0f\n",
			lat_mode_name(row->mode), row->name, o->h2c_msgs, o->c2h_msgs, h, c,
			o->msix, o->reads);
	}
}

static void print_estimate(const struct lat_result *r, FILE *out)
{
	const char *const *a;
	int i, k, n = 0;

	for (i = 0; i < r->nrows; i++)
		n += !r->rows[i].baseline && r->rows[i].base_row >= 0;
	if (!n)
		return;
	fprintf(out, "\nEstimated round trip on a real link (ESTIMATE from the cost model, "
		     "not a measurement), microseconds\n\n");
	fprintf(out, "  round trip = software (measured here) + wake-ups (irq, measured here) + "
		     "link (counted operations x assumed costs)\n\n");
	fprintf(out, "%-5s %-18s %8s %8s", "mode", "message", "software", "wake-ups");
	for (k = 0; k < COST_NLINKS; k++) {
		char l[32], t[32];

		snprintf(l, sizeof(l), "%s link", cost_links[k].name);
		snprintf(t, sizeof(t), "%s rtt", cost_links[k].name);
		fprintf(out, " %13s %12s", l, t);
	}
	fprintf(out, "  %s\n", "irq, 1 ms doorbell poll");
	for (i = 0; i < r->nrows; i++) {
		const struct lat_row *row = &r->rows[i];

		if (row->baseline || row->base_row < 0)
			continue;
		fprintf(out, "%-5s %-18s %8.2f %8.2f", lat_mode_name(row->mode), row->name,
			row->est.sw_ns / 1000.0, row->est.wake_ns / 1000.0);
		for (k = 0; k < COST_NLINKS; k++)
			fprintf(out, " %13.2f %12.2f", row->est.link_ns[k] / 1000.0,
				row->est.rtt_ns[k] / 1000.0);
		if (row->mode == LAT_IRQ)
			fprintf(out, "  %10.1f (%s)\n", row->est.db_poll_rtt_ns[0] / 1000.0,
				cost_links[0].name);
		else
			fprintf(out, "  %10s\n", "-");
	}
	fprintf(out, "\n  software = vmsg p50 - baseline p50 (poll: also minus the sim's eventfd "
		     "doorbell, an MMIO store on a real link);\n"
		     "  irq: wake-ups = eventfd baseline p50 - its two writes; where wake-ups are "
		     "large the software/wake-up split\n"
		     "  is within their noise (software is clamped at 0), the rtt is not.\n");
	fprintf(out, "\nAssumptions (bench/cost_model.c):\n");
	for (a = cost_assumptions; *a; a++)
		fprintf(out, "  - %s\n", *a);
	fprintf(out, "  - sim doorbell (eventfd write, nobody waiting) measured here: %.2f us\n",
		r->efd_write_ns / 1000.0);
}

void lat_print_table(const struct lat_result *r, FILE *out)
{
	fprintf(out, "vmsg-bench latency: %s, %ld CPUs, kernel %s, %s\n", r->machine.model,
		r->machine.nproc, r->machine.kernel, r->machine.timestamp);
	if (r->external_card)
		fprintf(out, "host CPU %d, baseline peer CPU %d, external card at %s\n\n",
			r->cpu_host, r->cpu_card, r->link);
	else
		fprintf(out, "host CPU %d, card CPU %d (vmsg-card --platform sim --rng)\n\n",
			r->cpu_host, r->cpu_card);
	print_lat_table(r, out);
	print_ops(r, out);
	print_estimate(r, out);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_summary(FILE *f, const struct lat_summary *s)
{
	fprintf(f,
		"\"count\": %llu, \"min_us\": %.4f, \"p50_us\": %.4f, \"p99_us\": %.4f, "
		"\"p999_us\": %.4f, \"max_us\": %.4f, \"mean_us\": %.4f, \"stddev_us\": %.4f",
		(unsigned long long)s->count, s->min_us, s->p50_us, s->p99_us, s->p999_us,
		s->max_us, s->mean_us, s->stddev_us);
}

static void json_ops(FILE *f, const struct lat_row *row)
{
	const struct link_counts *c = &row->counts;
	const struct link_ops *o = &row->ops;

	fprintf(f,
		",\n      \"counters\": {\"round_trips\": %llu, \"host_tx\": %llu, \"host_rx\": "
		"%llu, \"host_doorbells\": %llu, \"host_irqs\": %llu, \"card_rx\": %llu, "
		"\"card_tx\": %llu, \"card_irqs\": %llu, \"card_doorbells\": %llu, "
		"\"req_len\": %u, \"resp_len\": %u}",
		(unsigned long long)c->rtts, (unsigned long long)c->host_tx,
		(unsigned long long)c->host_rx, (unsigned long long)c->host_doorbells,
		(unsigned long long)c->host_irqs, (unsigned long long)c->card_rx,
		(unsigned long long)c->card_tx, (unsigned long long)c->card_irqs,
		(unsigned long long)c->card_doorbells, c->req_len, c->resp_len);
	fprintf(f,
		",\n      \"link_ops_per_rtt\": {\"h2c_msgs\": %.4f, \"c2h_msgs\": %.4f, "
		"\"host_posted_writes\": {\"slot\": %.4f, \"h2c_prod\": %.4f, \"doorbell\": "
		"%.4f, \"c2h_cons\": %.4f, \"need_notify\": %.4f, \"total\": %.4f}, "
		"\"card_posted_writes\": {\"h2c_cons\": %.4f, \"slot\": %.4f, \"c2h_prod\": "
		"%.4f, \"total\": %.4f}, \"msix\": %.4f, \"host_wakeups\": %.4f, "
		"\"card_doorbells_seen\": %.4f, \"reads_across_link\": %.0f}",
		o->h2c_msgs, o->c2h_msgs, o->host_slot, o->host_prod, o->host_doorbell,
		o->host_c2h_cons, o->host_flags, o->host_total, o->card_h2c_cons, o->card_slot,
		o->card_prod, o->card_total, o->msix, o->host_wakeups, o->card_doorbells, o->reads);
}

static void json_estimate(FILE *f, const struct lat_row *row)
{
	int k;

	fprintf(f, ",\n      \"estimate\": {\"software_us\": %.4f, \"wakeups_us\": %.4f",
		row->est.sw_ns / 1000.0, row->est.wake_ns / 1000.0);
	for (k = 0; k < COST_NLINKS; k++) {
		fprintf(f, ", ");
		json_str(f, cost_links[k].name);
		fprintf(f, ": {\"link_us\": %.4f, \"rtt_us\": %.4f", row->est.link_ns[k] / 1000.0,
			row->est.rtt_ns[k] / 1000.0);
		if (row->mode == LAT_IRQ)
			fprintf(f, ", \"rtt_us_doorbell_polled_1ms\": %.4f",
				row->est.db_poll_rtt_ns[k] / 1000.0);
		fprintf(f, "}");
	}
	fprintf(f, "}");
}

static void json_body(FILE *f, const struct lat_result *r)
{
	const char *const *a;
	int i, m, k;

	fprintf(f, "{\n  \"tool\": \"vmsg-bench\",\n  \"command\": \"latency\",\n");
	fprintf(f, "  \"timestamp\": ");
	json_str(f, r->machine.timestamp);
	fprintf(f, ",\n  \"unix_time\": %lld,\n", (long long)r->machine.unix_time);
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"model_name\": ", r->machine.nproc);
	json_str(f, r->machine.model);
	fprintf(f, ", \"kernel\": ");
	json_str(f, r->machine.kernel);
	fprintf(f, ", \"hostname\": ");
	json_str(f, r->machine.hostname);
	fprintf(f, "},\n  \"cpus\": {\"host\": %d, \"card\": %d},\n", r->cpu_host, r->cpu_card);
	fprintf(f,
		"  \"card\": {\"external\": %s, \"path\": ", r->external_card ? "true" : "false");
	json_str(f, r->external_card ? r->link : r->card_bin);
	fprintf(f, "},\n  \"modes\": {");
	for (m = LAT_POLL, k = 0; m <= LAT_IRQ; m++) {
		if (!r->mode_run[m])
			continue;
		fprintf(f, "%s\"%s\": {\"iterations\": %u, \"warmup\": %u}", k++ ? ", " : "",
			lat_mode_name((enum lat_mode)m), r->iters[m], r->warmup[m]);
	}
	fprintf(f, "},\n  \"sim_doorbell_us\": %.4f,\n  \"results\": [", r->efd_write_ns / 1000.0);
	for (i = 0; i < r->nrows; i++) {
		const struct lat_row *row = &r->rows[i];

		fprintf(f, "%s\n    {\"mode\": \"%s\", \"kind\": \"%s\", \"name\": ", i ? "," : "",
			lat_mode_name(row->mode), row->baseline ? "baseline" : "vmsg");
		json_str(f, row->name);
		fprintf(f, ", ");
		json_summary(f, &row->s);
		if (!row->baseline) {
			if (row->base_row >= 0)
				fprintf(f, ",\n      \"ratio_p50\": %.4f, \"ratio_p99\": %.4f",
					row->ratio_p50, row->ratio_p99);
			json_ops(f, row);
			if (row->base_row >= 0)
				json_estimate(f, row);
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"cost_model\": {\"label\": \"ESTIMATE, not a measurement\", "
		   "\"links\": [");
	for (k = 0; k < COST_NLINKS; k++) {
		fprintf(f, "%s{\"name\": ", k ? ", " : "");
		json_str(f, cost_links[k].name);
		fprintf(f, ", \"gts\": %.1f, \"lanes\": %u, \"posted_write_ns\": %.0f}",
			cost_links[k].gts, cost_links[k].lanes, cost_links[k].pw_ns);
	}
	fprintf(f,
		"],\n    \"per_op_ns\": {\"tlp_overhead_bytes\": %u, \"mmio_issue\": %.0f, "
		"\"card_poll_detect\": %.0f, \"host_poll_detect\": %.0f, \"msix\": %.0f, "
		"\"card_doorbell_irq\": %.0f, \"card_doorbell_poll_period_ms\": %.1f},\n"
		"    \"assumptions\": [",
		COST_TLP_OVERHEAD_B, COST_MMIO_ISSUE_NS, COST_CARD_POLL_DETECT_NS,
		COST_HOST_POLL_DETECT_NS, COST_MSIX_NS, COST_CARD_DB_IRQ_NS, COST_CARD_DB_POLL_MS);
	for (a = cost_assumptions; *a; a++) {
		fprintf(f, "%s\n      ", a == cost_assumptions ? "" : ",");
		json_str(f, *a);
	}
	fprintf(f, "]}\n}\n");
}

int lat_write_json(const struct lat_result *r, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int err;

	if (!f) {
		fprintf(stderr, "vmsg-bench: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	json_body(f, r);
	err = ferror(f);
	if (f != stdout)
		err |= fclose(f);
	else
		err |= fflush(f);
	if (err) {
		fprintf(stderr, "vmsg-bench: --json %s: write failed\n", path);
		return -1;
	}
	return 0;
}
