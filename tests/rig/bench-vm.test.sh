#!/usr/bin/env bash
# `vmsg-bench vm --quick` (bench/vm-bench.sh) as a smoke test: one host VM
# with the card's blk + net and QEMU's virtio-blk-pci + virtio-net-pci, fio
# and iperf3 inside, then the poll-mode latency. Checks the output's shape
# (every workload measured on both sides, ratios, JSON fields, the PNG),
# NEVER the speed. Needs root (netns). About 2-3 min under TCG.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
N=bench-vm
[ "$(id -u)" = 0 ] || {
	echo "$N: SKIP: needs root (network namespace)"
	exit 77
}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-$N.XXXXXX")
trap 'rm -rf "$T"' EXIT
t0=$(date +%s)
"$TOP/bench/vm-bench.sh" --quick --json "$T/vm.json" --png "$T/vm.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
cat "$T/out.txt"
grep -E '^vm-bench: (round|VM|card)' "$T/err.txt" | head -n 20
if [ "$rc" = 77 ]; then
	tail -n 3 "$T/err.txt"
	exit 77
fi
if [ "$rc" != 0 ]; then
	tail -n 40 "$T/err.txt"
	echo "$N: FAIL - vm-bench.sh --quick exited $rc"
	exit 1
fi
python3 - "$T/vm.json" "$T/vm.png" "$T/out.txt" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
out = open(sys.argv[3]).read()
fails = []
def check(what, ok):
    print("bench-vm: %s - %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        fails.append(what)
check("command vm, quick, 1 round", j.get("command") == "vm" and j.get("quick") is True and j.get("rounds") == 1)
names = [w["name"] for w in j.get("workloads", [])]
want = ["randread-4k", "randwrite-4k", "read-1m", "write-1m", "net-tx", "net-rx"]
check("the six workloads", names == want)
for w in j.get("workloads", []):
    check("%s: one positive value per side, ratio = card/virtio-pci" % w["name"],
          len(w["card"]) == 1 and len(w["virtio_pci"]) == 1 and w["card"][0] > 0 and
          w["virtio_pci"][0] > 0 and abs(w["ratio"] - w["card"][0] / w["virtio_pci"][0]) < 1e-6)
    check("%s: in the printed table" % w["name"], ("\n" + w["name"] + " ") in out)
check("geomean ratio", isinstance(j.get("geomean_ratio"), float) and j["geomean_ratio"] > 0)
lat = j.get("latency") or {}
check("latency: p50 and baseline p50 > 0, ratio consistent",
      lat.get("p50_us", 0) > 0 and lat.get("baseline_p50_us", 0) > 0 and
      abs(lat["ratio_p50"] - lat["p50_us"] / lat["baseline_p50_us"]) < 0.01 * lat["ratio_p50"] + 1e-3)
check("goal fields", j.get("goal") == {"ratio_min": 1.0, "latency_ratio_max": 2.0})
png = open(sys.argv[2], "rb").read(8)
check("PNG written", png == b"\x89PNG\r\n\x1a\n")
sys.exit(1 if fails else 0)
EOF
rc=$?
echo "$N: $([ $rc = 0 ] && echo PASS || echo FAILED) in $(($(date +%s) - t0)) s"
exit $rc
