#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""bench_smoke: run `vmsg-bench latency --iterations 2000 --json FILE` against
a card the benchmark starts itself and check that the report is complete and
consistent. Correctness of the output only: never a speed threshold.

Usage: bench_smoke.py VMSG_BENCH VMSG_CARD
"""
import json
import os
import subprocess
import sys
import tempfile

ITERS = 2000
SUMMARY = ("count", "min_us", "p50_us", "p99_us", "p999_us", "max_us", "mean_us")


def fail(msg):
    print("bench_smoke: FAIL: " + msg)
    sys.exit(1)


def check_row(r):
    name = "%s/%s/%s" % (r.get("mode"), r.get("kind"), r.get("name"))
    for k in SUMMARY:
        if not isinstance(r.get(k), (int, float)):
            fail("%s: field %s missing or not a number" % (name, k))
    if r["count"] != ITERS:
        fail("%s: count %s != iterations %d" % (name, r["count"], ITERS))
    if not 0 < r["min_us"] <= r["p50_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"]:
        fail("%s: percentiles out of order: %s" % (name, {k: r[k] for k in SUMMARY}))
    if not r["min_us"] <= r["mean_us"] <= r["max_us"]:
        fail("%s: mean outside [min, max]" % name)
    if r["kind"] == "vmsg":
        for k in ("ratio_p50", "ratio_p99"):
            if not r.get(k, 0) > 0:
                fail("%s: %s missing or not positive" % (name, k))
        ops = r.get("link_ops_per_rtt")
        if not ops:
            fail("%s: link_ops_per_rtt missing" % name)
        # one request and one response per round trip, whatever else happened
        if not (ops["h2c_msgs"] >= 1.0 and ops["c2h_msgs"] >= 1.0):
            fail("%s: fewer than one message each way per round trip: %s" % (name, ops))
        if ops["reads_across_link"] != 0:
            fail("%s: reads across the link" % name)
        if r["mode"] == "irq" and not ops["msix"] > 0:
            fail("%s: irq mode but the card raised no interrupt" % name)
        if r["mode"] == "poll" and ops["msix"] != 0:
            fail("%s: poll mode but the card raised interrupts" % name)
        est = r.get("estimate")
        if not est or "Gen3 x4" not in est or "Gen4 x4" not in est:
            fail("%s: estimate missing" % name)
        for link in ("Gen3 x4", "Gen4 x4"):
            if not est[link]["rtt_us"] >= est[link]["link_us"] > 0:
                fail("%s: estimate %s inconsistent: %s" % (name, link, est[link]))


def main():
    if len(sys.argv) != 3:
        fail("usage: bench_smoke.py VMSG_BENCH VMSG_CARD")
    bench, card = sys.argv[1], sys.argv[2]
    if len(os.sched_getaffinity(0)) < 2:
        print("bench_smoke: SKIP: poll mode needs two CPUs")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="vmsg-bench-smoke-") as tmp:
        out = os.path.join(tmp, "lat.json")
        cmd = [bench, "latency", "--card", card, "--iterations", str(ITERS), "--json", out]
        print("bench_smoke: " + " ".join(cmd), flush=True)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=240, text=True)
        except subprocess.TimeoutExpired:
            fail("vmsg-bench did not finish in 240 s")
        print(p.stdout)
        if p.returncode != 0:
            fail("vmsg-bench exited %d" % p.returncode)
        for needle in ("baseline shm ping-pong", "baseline eventfd ping-pong", "PING",
                       "GET_DEVICE_STATUS", "Estimated round trip on a real link",
                       "ESTIMATE"):
            if needle not in p.stdout:
                fail("table lacks '%s'" % needle)
        with open(out) as f:
            doc = json.load(f)
    for k in ("tool", "command", "timestamp", "unix_time", "machine", "cpus", "modes",
              "results", "cost_model"):
        if k not in doc:
            fail("JSON lacks '%s'" % k)
    m = doc["machine"]
    if not (isinstance(m.get("nproc"), int) and m["nproc"] >= 1 and m.get("model_name")):
        fail("machine description incomplete: %s" % m)
    if not all(isinstance(doc["cpus"].get(k), int) for k in ("host", "card")):
        fail("CPU pinning missing: %s" % doc["cpus"])
    for mode in ("poll", "irq"):
        if doc["modes"].get(mode, {}).get("iterations") != ITERS:
            fail("modes.%s.iterations != %d" % (mode, ITERS))
    rows = doc["results"]
    want = {(mode, kind, name)
            for mode, base in (("poll", "shm ping-pong"), ("irq", "eventfd ping-pong"))
            for kind, name in (("baseline", base), ("vmsg", "PING"),
                               ("vmsg", "GET_DEVICE_STATUS"))}
    got = {(r.get("mode"), r.get("kind"), r.get("name")) for r in rows}
    if want != got:
        fail("rows: want %s, got %s" % (sorted(want), sorted(got)))
    for r in rows:
        check_row(r)
    if not doc["cost_model"].get("assumptions"):
        fail("cost model assumptions missing")
    print("bench_smoke: OK (%d rows checked)" % len(rows))


if __name__ == "__main__":
    main()
