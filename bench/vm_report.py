#!/usr/bin/env python3
"""vm_report.py - the table, JSON and PNG of `vmsg-bench vm` (bench/vm-bench.sh).

Input: the VM's "@@R ROUND WORKLOAD SIDE VALUE UNIT" lines (SIDE card or
virtio-pci) and, optionally, a `vmsg-bench latency --mode poll --msg ping`
JSON. Per workload: median over the rounds for each side, ratio card /
virtio-pci; their geometric mean; the poll-mode PING p50 / bare ping-pong p50.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

WORKLOADS = ["randread-4k", "randwrite-4k", "read-1m", "write-1m", "net-tx", "net-rx"]
GOAL_RATIO = 1.0
GOAL_LAT = 2.0


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {"nproc": os.cpu_count(), "model_name": model, "kernel": platform.release(),
            "hostname": platform.node(), "loadavg": [round(x, 2) for x in load]}


def parse_profile(path):
    """@@P WORKLOAD SIDE PERCENT [k] SYMBOL lines: {workload: {side: [[pct, sym]]}}."""
    prof = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) < 5 or p[0] != "@@P" or not p[3].endswith("%"):
                continue
            try:
                pct = float(p[3][:-1])
            except ValueError:
                continue
            sym = p[5] if len(p) > 5 else p[4]
            prof.setdefault(p[1], {}).setdefault(p[2], []).append([pct, sym])
    return prof


def parse(path):
    res = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) != 6 or p[0] != "@@R" or p[2] not in WORKLOADS:
                continue
            if p[3] not in ("card", "virtio-pci"):
                continue
            try:
                rnd, val = int(p[1]), float(p[4])
            except ValueError:
                continue
            w = res.setdefault(p[2], {"unit": p[5], "card": {}, "virtio-pci": {}})
            w[p[3]][rnd] = val
    return res


def latency(path):
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
    vm = base = None
    for r in j.get("results", []):
        if r.get("mode") != "poll":
            continue
        if r.get("kind") == "baseline":
            base = r
        elif "ping" in r.get("name", "").lower():
            vm = r
    if not vm or not base:
        raise ValueError("no poll-mode PING and baseline rows in " + path)
    return {"p50_us": vm["p50_us"], "p99_us": vm["p99_us"], "baseline_p50_us": base["p50_us"],
            "baseline_p99_us": base["p99_us"], "ratio_p50": vm["ratio_p50"],
            "ratio_p99": vm["ratio_p99"], "iterations": vm["count"]}


def plot(png, rows):
    gp = shutil.which("gnuplot")
    if not gp:
        print("vm-bench: no gnuplot (package gnuplot-nox): no PNG", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="vmsg-vmbench-plot-") as d:
        dat = os.path.join(d, "r.dat")
        with open(dat, "w", encoding="utf-8") as f:
            for r in rows:
                f.write("%s %.4f\n" % (r["name"], r["ratio"] if r["ratio"] is not None else 0))
        script = f"""set terminal pngcairo size 900,480 noenhanced
set output '{png}'
set title 'vmsg-bench vm: card / QEMU virtio-pci, same VM run (median of rounds)'
set ylabel 'ratio (>= 1: card as fast or faster)'
set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.7
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1.0 to graph 1, first 1.0 nohead dt 2 lw 2 lc rgb 'red'
plot '{dat}' using 2:xtic(1) title 'card / virtio-pci' lc rgb '#3070b0'
"""
        r = subprocess.run([gp], input=script, text=True, capture_output=True, check=False)
        if r.returncode != 0:
            r = subprocess.run([gp], input=script.replace("pngcairo", "png"), text=True,
                               capture_output=True, check=False)
        if r.returncode != 0 or not os.path.exists(png):
            print("vm-bench: gnuplot failed: " + r.stderr.strip(), file=sys.stderr)
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--seconds", type=int, required=True)
    ap.add_argument("--disk-mb", type=int, required=True)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--workloads", help="comma-separated subset (vm-bench.sh --only)")
    ap.add_argument("--latency")
    ap.add_argument("--json")
    ap.add_argument("--png")
    a = ap.parse_args()

    names = WORKLOADS
    if a.workloads:
        names = [w for w in WORKLOADS if w in a.workloads.split(",")]
        if not names:
            print("vm_report: --workloads names none of " + " ".join(WORKLOADS), file=sys.stderr)
            return 2
    res = parse(a.results)
    rows = []
    missing = []
    for name in names:
        w = res.get(name)
        c = [w["card"][k] for k in sorted(w["card"])] if w else []
        q = [w["virtio-pci"][k] for k in sorted(w["virtio-pci"])] if w else []
        if len(c) != a.rounds or len(q) != a.rounds:
            missing.append(name)
        cm = statistics.median(c) if c else None
        qm = statistics.median(q) if q else None
        ratio = cm / qm if cm is not None and qm else None
        rows.append({"name": name, "unit": w["unit"] if w else "", "card": c, "virtio_pci": q,
                     "card_median": cm, "virtio_pci_median": qm, "ratio": ratio})
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios)) if ratios else None
    lat = latency(a.latency) if a.latency else None
    prof = parse_profile(a.results)

    print("\nvmsg-bench vm: card (vmsg_pci) vs QEMU virtio-pci, one TCG host VM, "
          "%d round(s) x %d s, median of rounds" % (a.rounds, a.seconds))
    print("%-13s %-7s %12s %12s %8s  %s" % ("workload", "unit", "card", "virtio-pci", "ratio",
                                           "goal >= %.1f" % GOAL_RATIO))
    for r in rows:
        f = lambda v: "-" if v is None else ("%.1f" % v)
        print("%-13s %-7s %12s %12s %8s  %s" % (
            r["name"], r["unit"], f(r["card_median"]), f(r["virtio_pci_median"]),
            "-" if r["ratio"] is None else "%.2fx" % r["ratio"],
            "" if r["ratio"] is None else ("met" if r["ratio"] >= GOAL_RATIO else "below")))
    if geo:
        print("%-13s %-7s %12s %12s %8s" % ("geomean", "", "", "", "%.2fx" % geo))
    if lat:
        print("\npoll-mode control round trip (vmsg-bench latency, PING, %d iterations): "
              "p50 %.2f us vs bare ping-pong %.2f us = %.2fx (goal <= %.1f: %s)" % (
                  lat["iterations"], lat["p50_us"], lat["baseline_p50_us"], lat["ratio_p50"],
                  GOAL_LAT, "met" if lat["ratio_p50"] <= GOAL_LAT else "below"))
    for w in names:
        for side in ("card", "virtio-pci"):
            top = prof.get(w, {}).get(side)
            if top:
                print("profile %-13s %-10s %s" % (w, side, ", ".join(
                    "%s %.1f%%" % (sym, pct) for pct, sym in top[:8])))
    if missing:
        print("vm-bench: no complete result for: " + ", ".join(missing), file=sys.stderr)

    doc = {"tool": "vmsg-bench", "command": "vm",
           "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "machine": machine(), "quick": bool(a.quick), "rounds": a.rounds,
           "seconds": a.seconds, "disk_mb": a.disk_mb,
           "vm": {"accel": "tcg", "smp": 2, "mem": "1G"},
           "workloads": rows, "geomean_ratio": geo, "latency": lat,
           "guest_profile": prof or None,
           "goal": {"ratio_min": GOAL_RATIO, "latency_ratio_max": GOAL_LAT}}
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("JSON: " + a.json)
    if a.png:
        if plot(a.png, rows):
            print("PNG: " + a.png)
        else:
            return 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
