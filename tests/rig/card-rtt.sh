#!/usr/bin/env bash
# card-rtt.sh - the control round trip host VM -> card -> host VM on the
# endpoint function (pci-epf-vmsg.ko + vmsg-card --platform epf in the card
# VM) beside the soft card (vmsg-card --platform sim on this machine), both
# measured by this run, and their ratio. A measurement, never a test of
# speed (tests/rig/card-rtt.test.sh runs --quick and checks the output).
#
# Usage: tests/rig/card-rtt.sh [--quick] [--batches N] [--target-ms MS]
#                              [--intervals 'US[:BUSY] ...']
#   --intervals  the EPF's configfs poll_interval_us (and poll_busy_us) per
#                configuration, default '500:50 100:50' (500:50 are the
#                module's defaults); --quick: '500:50', 2 batches of 300 ms
#   --batches    batches per configuration (default 5)
#   --target-ms  length of one batch (default 1000)
#
# How: the host VM (tests/rig/run-host-vm, TCG) with vmsg_pci writes N to
# /sys/kernel/debug/vmsg_pci/*/atomic_ping: N PINGs one after the other,
# each answer busy-polled by the host (the bus's atomic request path), so a
# batch's time / N is one round trip of the control path (h2c slot,
# doorbell, the card's reaction, c2h slot, seen by the host), with the
# host's own cost included. The card reacts to the doorbell by: sim, an
# eventfd from the ivshmem doorbell (its event loop, no polling); epf, the
# module's poller (busy for poll_busy_us after activity, else a look every
# poll_interval_us). The host VM is a TCG guest in both parts; the soft
# card runs natively, the function inside the card VM (TCG too), so most of
# the ratio is the emulated card CPU: the figures are this rig's, not a
# board's (docs/card-vm-rig.md). Prints a table and "RESULT ..." lines; exit 0, or 1
# if a part failed (with its log), 77 if the card-VM rig is not available.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
part=
if [ "${1:-}" = --part ]; then
	part=$2
	shift 2
fi
quick=0 batches='' target='' intervals=''
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--batches) batches=$2 && shift ;;
	--target-ms) target=$2 && shift ;;
	--intervals) intervals=$2 && shift ;;
	-h | --help)
		sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "card-rtt.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
if [ $quick = 1 ]; then
	batches=${batches:-2} target=${target:-300} intervals=${intervals:-500:50}
fi
batches=${batches:-5} target=${target:-1000} intervals=${intervals:-500:50 100:50}
for iv in $intervals; do
	[[ $iv =~ ^[0-9]+(:[0-9]+)?$ ]] || {
		echo "card-rtt.sh: --intervals: '$iv' is not US or US:BUSY" >&2
		exit 2
	}
done
[[ $batches =~ ^[1-9][0-9]*$ && $target =~ ^[1-9][0-9]*$ ]] || {
	echo "card-rtt.sh: --batches and --target-ms take positive integers" >&2
	exit 2
}

# rtt_lines: "@@RTT CONF MEAN_US N" lines of the host VM console.
rtt_lines() { tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@RTT '; }
# summary CONF: "median min max batches pings" of configuration CONF.
summary() {
	rtt_lines | awk -v c="$1" '$2 == c { print $3, $4 }' | sort -g |
		awk '{ v[NR] = $1; n = $2 } END {
			if (!NR) exit 1
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f %.1f %.1f %d %d\n", m, v[1], v[NR], NR, n }'
}

case $part in
sim)
	KB_NAME=card-rtt-sim
	. "$here/scripts/kbus-lib.sh"
	kb_init
	kb_card_start --rng
	kb_vm_prelude NCONF=1 "BATCHES=$batches" "TARGET_MS=$target"
	kb_vm "$KB_SCRIPTS/card-rtt.vm.sh" --timeout 600
	rc=$?
	s=$(summary 1) || kb_bad "no round trip measured"
	[ -n "$s" ] && echo "RESULT sim eventfd $s"
	kb_finish $rc
	;;
epf)
	KB_NAME=card-rtt-epf
	. "$here/scripts/kbus-lib.sh"
	. "$here/scripts/pair-lib.sh"
	pair_init
	# conf US BUSY: the function again with these poll parameters (daemon
	# stopped, unbound, the attributes written, bound, started, daemon).
	conf='conf() { daemon_stop TERM; E=$(ls /sys/class/pci_epc | head -n 1); C=/sys/kernel/config/pci_ep;
		A=$(echo $C/functions/pci_epf_vmsg/func0/pci_epf_vmsg.*); echo 0 > $C/controllers/$E/start &&
		rm $C/controllers/$E/func0 && echo $1 > $A/poll_interval_us && echo $2 > $A/poll_busy_us &&
		ln -s $C/functions/pci_epf_vmsg/func0 $C/controllers/$E/ && echo 1 > $C/controllers/$E/start &&
		daemon_start && echo "@@OUT conf $(cat $A/poll_interval_us) $(cat $A/poll_busy_us)"; }'
	pair_card_prelude "CARD_SETUP='$conf'" "CARD_DEVS='--rng'"
	set -- $intervals
	vmrc=1
	if pair_card_start 300; then
		i=1
		for iv in "$@"; do
			us=${iv%%:*} busy=50
			[ "$iv" != "$us" ] && busy=${iv#*:}
			if [ $i -gt 1 ]; then
				kb_wait_mark "conf-$i" 600 || {
					kb_bad "the host VM did not get to configuration $i"
					break
				}
			fi
			kb_check "card: poll_interval_us $us, poll_busy_us $busy configured" \
				pair_card_run "conf$i" 120 "conf $us $busy"
			[ $i = 1 ] && {
				kb_vm_prelude "NCONF=$#" "BATCHES=$batches" "TARGET_MS=$target"
				kb_vm_bg "$KB_SCRIPTS/card-rtt.vm.sh" --timeout 1200
			}
			i=$((i + 1))
		done
		kb_wait_mark rtt-done 900 || kb_vm_abort 30
		kb_vm_wait
		vmrc=$?
		pair_card_run stats 30 'ctl stats | grep "^epf\.doorbell_mode" | sed "s/^/@@OUT stats /"'
		kb_say "card: $(pair_card_out stats)"
		i=1
		for iv in "$@"; do
			s=$(summary $i) || kb_bad "configuration $i: no round trip measured"
			got=$(pair_card_out conf | sed -n "${i}p" | tr ' ' :)
			[ -n "$s" ] && echo "RESULT epf ${got:-$iv} $s"
			i=$((i + 1))
		done
	else
		tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
	fi
	pair_card_finish
	kb_finish $vmrc
	;;
'') ;;
*)
	echo "card-rtt.sh: --part sim|epf" >&2
	exit 2
	;;
esac

# The two parts, each its own process (own temporary directory, VMs,
# cleanup), then the table.
T=$(mktemp -d "${TMPDIR:-/tmp}/card-rtt.XXXXXX")
trap 'rm -rf "$T"' EXIT
args=(--batches "$batches" --target-ms "$target" --intervals "$intervals")
t0=$(date +%s)
"$0" --part sim "${args[@]}" >"$T/sim.out" 2>&1
src=$?
"$0" --part epf "${args[@]}" >"$T/epf.out" 2>&1
erc=$?
for p in sim epf; do
	rc=$src
	[ $p = epf ] && rc=$erc
	if [ "$rc" = 77 ]; then
		grep SKIP "$T/$p.out"
		exit 77
	fi
	if [ "$rc" != 0 ]; then
		echo "card-rtt.sh: the $p part failed (exit $rc):"
		sed 's/^/  /' "$T/$p.out" | tail -n 60
	fi
done
sim=$(grep '^RESULT sim ' "$T/sim.out" | head -n 1)
sim_med=$(echo "$sim" | awk '{ print $4 }')
echo "card-rtt: control round trip host VM -> card -> host VM: vmsg_pci atomic PINGs, host busy-polling"
echo "card-rtt: host VM TCG in both; soft card native, the function in the card VM (TCG); $(nproc) CPU(s) of $(hostname) (load $(cut -d' ' -f1-3 /proc/loadavg)); $batches batch(es) of ~$target ms each"
printf '%-34s %10s %10s %10s %9s %8s %9s\n' card "median us" "min us" "max us" batches pings "x sim"
[ -n "$sim" ] && echo "$sim" | awk '{ printf "%-34s %10s %10s %10s %9s %8s %9s\n",
	"soft card (sim, eventfd doorbell)", $4, $5, $6, $7, $8, "1.0" }'
grep '^RESULT epf ' "$T/epf.out" | while read -r _ _ iv med min max nb np; do
	us=${iv%%:*} busy=${iv#*:}
	ratio=-
	[ -n "$sim_med" ] && ratio=$(awk -v a="$med" -v b="$sim_med" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
	printf '%-34s %10s %10s %10s %9s %8s %9s\n' "EPF (poll ${us} us, busy ${busy} us)" \
		"$med" "$min" "$max" "$nb" "$np" "$ratio"
	echo "RESULT ratio epf:$iv/sim $ratio" >>"$T/ratios"
done
grep -h '^RESULT ' "$T/sim.out" "$T/epf.out"
[ -f "$T/ratios" ] && cat "$T/ratios"
echo "card-rtt: took $(($(date +%s) - t0)) s"
[ "$src" = 0 ] && [ "$erc" = 0 ] || exit 1
exit 0
