#!/usr/bin/env bash
# bench/vm-bench.sh - `vmsg-bench vm`: the card's virtio-blk and virtio-net
# next to QEMU's own virtio-blk-pci and virtio-net-pci, in ONE host VM run
# (tests/rig/run-host-vm, TCG), on equal backends, in alternating rounds;
# then the poll-mode control round trip (vmsg-bench latency) against the bare
# ping-pong. `bench/vm-bench.sh --help` is the manual.
set -uo pipefail

usage() {
	cat <<'EOF'
usage: vmsg-bench vm [--quick] [--rounds N] [--seconds N] [--disk-mb N]
                     [--only WORKLOAD[,WORKLOAD...]] [--card-perf]
                     [--latency-iterations N | --no-latency]
                     [--json FILE] [--png FILE] [--guest-perf] [--keep] [--verbose]

Boots the rig's host VM once (tests/rig/run-host-vm, QEMU TCG) with
  - the soft card (vmsg-card --platform sim, interrupt mode) offering
    virtio-blk on a file and virtio-net on tap vbtap0, through vmsg_pci;
  - QEMU's own virtio-blk-pci on a file of the same kind, size and content
    (raw, QEMU's defaults: page cache, thread pool) and virtio-net-pci on
    tap vbtap1 (no vhost: both backends are user-space processes).
Both disk files are in the run's temporary directory; both taps live in one
network namespace (deleted at the end) with an iperf3 server on each
(10.77.0.1:5201 behind the card, 10.78.0.1:5202 behind virtio-net-pci).
Inside the VM (Debian's fio and iperf3, copied in with the rig's --file):
  randread-4k   fio 4 KiB random read,  libaio, O_DIRECT, iodepth 8   (IOPS)
  randwrite-4k  fio 4 KiB random write, libaio, O_DIRECT, iodepth 8   (IOPS)
  read-1m       fio 1 MiB sequential read,  O_DIRECT, iodepth 4       (MiB/s)
  write-1m      fio 1 MiB sequential write, O_DIRECT, iodepth 4       (MiB/s)
  net-tx        iperf3 VM -> namespace (receiver side rate)           (Mbit/s)
  net-rx        iperf3 namespace -> VM (-R)                            (Mbit/s)
each on the card and on virtio-pci, for --rounds rounds; the side that goes
first alternates from round to round. Then, with the VM gone,
`vmsg-bench latency --mode poll --msg ping` (its own card, two CPUs).

Prints each result as it arrives, then per workload the median of the rounds
for both sides and the ratio card / virtio-pci (>= 1.0: the card is as fast),
their geometric mean, and the poll-mode round trip p50 ratio to the bare
shared-memory ping-pong (goal <= 2.0). Speed is never asserted.

  --quick               1 round, 2 s per workload, 64 MiB disks, 2000
                        latency iterations (the smoke test; about 2-3 min)
  --rounds N            rounds (default 3)
  --seconds N           seconds per workload and side (default 10; plus a
                        1 s ramp)
  --disk-mb N           size of each disk file (default 256)
  --only LIST           run only these workloads (comma-separated names from
                        the list above, e.g. --only read-1m,write-1m); the
                        table and JSON then hold only those
  --card-perf           `perf record -g` on the card process for the whole VM
                        run (it is idle while virtio-pci runs) and print its
                        top symbols ("card-profile" lines; with --keep the
                        perf.data stays in the logs directory). Perturbs the
                        card's figures: a profile, not a measurement
  --latency-iterations N  (default 50000)   --no-latency: skip that part
  --json FILE           results (see below); --png FILE: a bar plot (gnuplot)
  --guest-perf          round 1 runs each workload under `perf record -a` in the
                        VM (Debian's perf copied in; the whole guest, both
                        vCPUs) and prints the top symbols per workload and
                        side ("profile" lines; JSON guest_profile). Slows the
                        round it profiles: a profile, not a measurement
  --keep                keep the logs directory; --verbose: stream the console

JSON: command "vm", machine, timestamp, quick, rounds, seconds, disk_mb,
workloads[]: {name, unit, card[], virtio_pci[] (one value per round),
card_median, virtio_pci_median, ratio}, geomean_ratio, latency {p50_us,
baseline_p50_us, ratio_p50} or null, goal {ratio_min 1.0, latency_ratio_max 2.0}.

Needs root (network namespace, taps), qemu-system-x86, fio, iperf3, the
built vmsg-card and vmsg-bench, host_driver modules (as the rig tests).
Exit: 0 done, 1 a failure (logs kept), 2 usage, 77 cannot run here.
Cleans up (VM, card, iperf3 servers, namespace, files) also on Ctrl-C.
EOF
}

QUICK=0 ROUNDS=3 SECS=10 DISK_MB=256 LAT_ITERS=50000 JSON='' PNG='' KEEP=0 GPERF=0 CPERF=0
ALL_WORKLOADS="randread-4k randwrite-4k read-1m write-1m net-tx net-rx"
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ROUNDS=1 SECS=2 DISK_MB=64 LAT_ITERS=2000 ;;
	--rounds) ROUNDS=${2:-} && shift ;;
	--seconds) SECS=${2:-} && shift ;;
	--disk-mb) DISK_MB=${2:-} && shift ;;
	--latency-iterations) LAT_ITERS=${2:-} && shift ;;
	--no-latency) LAT_ITERS=0 ;;
	--json) JSON=${2:-} && shift ;;
	--png) PNG=${2:-} && shift ;;
	--keep) KEEP=1 ;;
	--guest-perf) GPERF=1 ;;
	--card-perf) CPERF=1 ;;
	--only) ONLY=${2:-} && shift ;;
	--verbose) export VMSG_TEST_VERBOSE=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "vmsg-bench vm: unknown option '$1' (--help)" >&2
		exit 2
		;;
	esac
	shift
done
for v in ROUNDS SECS DISK_MB LAT_ITERS; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
		echo "vmsg-bench vm: --${v,,} needs a number" >&2
		exit 2
	fi
done
if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 50 ] || [ "$SECS" -lt 1 ] || [ "$SECS" -gt 600 ] ||
	[ "$DISK_MB" -lt 16 ] || [ "$DISK_MB" -gt 4096 ]; then
	echo "vmsg-bench vm: --rounds 1..50, --seconds 1..600, --disk-mb 16..4096" >&2
	exit 2
fi
WORKLOADS=
for w in ${ONLY:+${ONLY//,/ }}; do
	case " $ALL_WORKLOADS " in
	*" $w "*) case " $WORKLOADS " in *" $w "*) ;; *) WORKLOADS+="${WORKLOADS:+ }$w" ;; esac ;;
	*)
		echo "vmsg-bench vm: --only: unknown workload '$w' (one of: $ALL_WORKLOADS)" >&2
		exit 2
		;;
	esac
done
if [ -n "$ONLY" ] && [ -z "$WORKLOADS" ]; then
	echo "vmsg-bench vm: --only needs at least one workload" >&2
	exit 2
fi
# Keep the canonical order whatever the order given.
if [ -n "$WORKLOADS" ]; then
	sel=
	for w in $ALL_WORKLOADS; do
		case " $WORKLOADS " in *" $w "*) sel+="${sel:+ }$w" ;; esac
	done
	WORKLOADS=$sel
else
	WORKLOADS=$ALL_WORKLOADS
fi
NW=$(echo "$WORKLOADS" | wc -w)
[ "$KEEP" = 1 ] && export VMSG_TEST_KEEP=1

# shellcheck disable=SC2034 # read by kbus-lib.sh
KB_NAME=vm-bench
# shellcheck source=../tests/rig/scripts/kbus-lib.sh
. "$(dirname "$0")/../tests/rig/scripts/kbus-lib.sh"
[ "$(id -u)" = 0 ] || kb_skip "needs root (network namespace and taps)"
for p in ip fio iperf3 qemu-system-x86_64 python3; do
	command -v "$p" >/dev/null || kb_skip "needs $p (scripts/deps.sh)"
done
BENCH=${VMSG_BENCH:-$(kb_find_built bench/vmsg-bench)} || kb_die "vmsg-bench not built"
kb_init
NS=vmsgbench$$
QEMU_MAC=52:54:00:76:6d:02
QEMU_SERIAL=vmsgbench-qemu
RAMP=1
# shellcheck disable=SC2317 # called through KB_CLEANUP_HOOK
vb_cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -f "$KB_T/card.img" "$KB_T/qemu.img"
}
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_CLEANUP_HOOK=vb_cleanup
step() { printf 'vm-bench: %s\n' "$*" >&2; }

step "disks: 2 x $DISK_MB MiB of random data in $KB_T"
head -c $((DISK_MB << 20)) /dev/urandom >"$KB_T/card.img" || kb_die "cannot write the disk file"
cp "$KB_T/card.img" "$KB_T/qemu.img" || kb_die "cannot copy the disk file"

ip netns add "$NS" || kb_die "ip netns add failed"
ip -n "$NS" link set lo up
for i in 0 1; do
	ip -n "$NS" tuntap add dev vbtap$i mode tap || kb_die "cannot create vbtap$i"
	ip -n "$NS" addr add 10.7$((7 + i)).0.1/24 dev vbtap$i
	ip -n "$NS" link set vbtap$i up
done
ip netns exec "$NS" iperf3 -s -B 10.77.0.1 -p 5201 >"$KB_T/iperf-card.log" 2>&1 &
P1=$!
ip netns exec "$NS" iperf3 -s -B 10.78.0.1 -p 5202 >"$KB_T/iperf-qemu.log" 2>&1 &
P2=$!
# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
KB_EXTRA_PIDS="$P1 $P2"

# The card joins the namespace to open its tap.
VMSG_CARD_REAL=$VMSG_CARD
VMSG_CARD=$KB_T/card-in-ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$VMSG_CARD_REAL" >"$VMSG_CARD"
chmod +x "$VMSG_CARD"
step "card: $VMSG_CARD_REAL --blk card.img --net tap:vbtap0"
kb_card_start --blk "$KB_T/card.img" --net tap:vbtap0
CPERF_PID=
if [ "$CPERF" = 1 ]; then
	command -v perf >/dev/null || kb_die "--card-perf needs perf (package linux-perf)"
	# The wrapper execs the card: same PID. Threads it starts later (io_uring
	# workers) inherit the events.
	perf record -g -F 999 -q -p "$KB_CARD_PID" -o "$KB_T/card-perf.data" \
		>"$KB_T/card-perf.log" 2>&1 &
	CPERF_PID=$!
	KB_EXTRA_PIDS+=" $CPERF_PID"
fi
# card_sched: "TID COMM RUN_NS WAIT_NS SLICES" of each card thread
# (/proc/PID/task/*/schedstat: time on a CPU, time runnable but waiting).
card_sched() {
	local t
	for t in /proc/"$KB_CARD_PID"/task/*; do
		[ -r "$t/schedstat" ] || continue
		echo "${t##*/} $(tr -d ' ' <"$t/comm") $(cat "$t/schedstat" 2>/dev/null)"
	done
}
card_sched >"$KB_T/sched0.txt"

# VM: NW workloads x 2 sides x rounds x (seconds + ramp + TCG start-up).
per=$((SECS + RAMP + 25))
tmo=$((240 + 2 * NW * ROUNDS * per))
kb_vm_prelude "SECS=$SECS" "RAMP=$RAMP" "ROUNDS=$ROUNDS" "QEMU_MAC=$QEMU_MAC" \
	"QEMU_SERIAL=$QEMU_SERIAL" "GPERF=$GPERF" "WORKLOADS='$WORKLOADS'"
kb_vm_script "$(dirname "$0")/vm-bench.vm.sh"
kb_vm_args
QA=(--qemu-arg -drive --qemu-arg "file=$KB_T/qemu.img,if=none,id=vbdisk,format=raw"
	--qemu-arg -device --qemu-arg "virtio-blk-pci,drive=vbdisk,serial=$QEMU_SERIAL"
	--qemu-arg -netdev --qemu-arg "tap,id=vbnet,ifname=vbtap1,script=no,downscript=no"
	--qemu-arg -device --qemu-arg "virtio-net-pci,netdev=vbnet,mac=$QEMU_MAC")
PERFFILE=()
if [ "$GPERF" = 1 ]; then
	command -v perf >/dev/null || kb_die "--guest-perf needs perf (package linux-perf)"
	PERFFILE=(--file "$(command -v perf)")
	tmo=$((tmo + 600))
fi
step "VM: $ROUNDS round(s) x $NW workload(s) ($WORKLOADS) x 2 sides, $SECS s each (timeout $tmo s)"
: >"$KB_CONSOLE"
ip netns exec "$NS" "$KB_RIG" "${KB_VM_ARGS[@]}" "${QA[@]}" --script "$KB_T/vm-script.sh" \
	--file "$(command -v fio)" --file "$(command -v iperf3)" "${PERFFILE[@]}" --mem 1G --timeout "$tmo" \
	>"$KB_T/rig.out" 2>&1 &
KB_VM_PID=$!
# Progress: the VM's results and failures as they come.
vb_progress() {
	local line a
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		'@@R '*)
			read -r -a a <<<"$line"
			printf 'vm-bench: round %s %-13s %-10s %12s %s\n' "${a[1]}" "${a[2]}" "${a[3]}" "${a[4]}" "${a[5]}"
			;;
		'vm: FAIL'* | 'vm: card'* | 'vm: virtio-pci '* | 'vm: stats:'*) printf 'vm-bench: %s\n' "$line" ;;
		esac
	done
}
# In the background, so that a signal to this script alone (SIGTERM, or
# SIGINT from a parent) interrupts the wait and runs the cleanup at once.
tail -n +1 -F "$KB_CONSOLE" 2>/dev/null --pid="$KB_VM_PID" | vb_progress >&2 &
KB_EXTRA_PIDS+=" $!"
wait $!
kb_vm_wait
vmrc=$?
KB_FAILS=$((KB_FAILS + $(tr -d '\r' <"$KB_CONSOLE" | grep -a -c '^vm: FAIL - ')))
if [ "$vmrc" != 0 ] || [ "$KB_FAILS" != 0 ]; then
	kb_bad "the VM run failed (status $vmrc); console $KB_CONSOLE"
	grep -a -E 'BUG|WARNING|Oops|blocked for more|rig:' "$KB_T/rig.out" | head -n 20 >&2
	exit 1
fi
card_sched >"$KB_T/sched1.txt"
# The card's own counters over the run (notifications each way).
kb_ctl stats >"$KB_T/card-stats.txt" 2>&1 &&
	grep -E '^(rx_msgs|tx_msgs|irqs|doorbells|oob_doorbells|oob_irqs) ' "$KB_T/card-stats.txt" |
	tr '\n' ' ' | sed 's/^/vm-bench: card-stats: /; s/ $/\n/' >&2
# card-sched COMM run RUN_S wait WAIT_S slices N: CPU time, run-queue wait
# and times scheduled in of the
# card's threads over the VM run (the card is idle while virtio-pci runs),
# summed per thread name; io_uring workers come and go: those that ended
# before the end are not counted. Printed to stderr, not in the JSON.
awk 'NR == FNR { r[$1] = $3; w[$1] = $4; n[$1] = $5; next }
     { c = $2; sub(/-[0-9]+$/, "", c); R[c] += ($3 - r[$1]) / 1e9; W[c] += ($4 - w[$1]) / 1e9
       N[c] += $5 - n[$1] }
     END { for (c in R) printf "vm-bench: card-sched %s run %.2f s wait %.2f s slices %d " \
		"(%.0f us run, %.0f us wait per slice)\n", c, R[c], W[c], N[c],
		N[c] ? 1e6 * R[c] / N[c] : 0, N[c] ? 1e6 * W[c] / N[c] : 0 }' \
	"$KB_T/sched0.txt" "$KB_T/sched1.txt" >&2
if [ -n "$CPERF_PID" ]; then
	kill -INT "$CPERF_PID" 2>/dev/null
	for _ in $(seq 200); do
		kill -0 "$CPERF_PID" 2>/dev/null || break
		sleep 0.1
	done
	# card-profile PERCENT COMMAND SYMBOL: self time by thread name and symbol.
	perf report -i "$KB_T/card-perf.data" --stdio --no-children --sort comm,sym -g none \
		--percent-limit 1 2>/dev/null | grep '%' |
		awk '{ $2 = $2; printf "card-profile %s\n", $0 }' | tee "$KB_T/card-profile.txt"
fi
kb_card_stop TERM
tr -d '\r' <"$KB_CONSOLE" | grep -a -E '^@@[RP] ' >"$KB_T/results.txt"

LATJSON=
if [ "$LAT_ITERS" -gt 0 ]; then
	step "latency: vmsg-bench latency --mode poll --msg ping --iterations $LAT_ITERS"
	if "$BENCH" latency --card "$VMSG_CARD_REAL" --mode poll --msg ping --iterations "$LAT_ITERS" \
		--json "$KB_T/latency.json" >"$KB_T/latency.out" 2>&1; then
		LATJSON=$KB_T/latency.json
	else
		cat "$KB_T/latency.out" >&2
		kb_bad "vmsg-bench latency failed"
		exit 1
	fi
fi

python3 "$(dirname "$0")/vm_report.py" --results "$KB_T/results.txt" --rounds "$ROUNDS" \
	--workloads "${WORKLOADS// /,}" \
	--seconds "$SECS" --disk-mb "$DISK_MB" --quick "$QUICK" ${LATJSON:+--latency "$LATJSON"} \
	${JSON:+--json "$JSON"} ${PNG:+--png "$PNG"} || kb_bad "report failed"
[ "$KB_FAILS" = 0 ] || exit 1
kb_say "done in $(kb_since "$KB_T0") s"
exit 0
