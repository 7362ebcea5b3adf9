#!/usr/bin/env bash
# bench/oob-ab.sh [ROUNDS] - what out-of-band notifications (binding 7.5)
# buy the kernel data path, A/B in one host VM (QEMU TCG, the rig of
# tests/rig): the soft card with a virtio-blk disk; vmsg_pci loaded with
# oob=1 (queue doorbells and vectors) and oob=0 (in-band EVENT_AVAIL and
# EVENT_USED) in alternating rounds, each round: 4 KiB O_DIRECT reads and
# writes at queue depth 1 (dd, per-request latency) and 1 MiB O_DIRECT
# sequential reads and writes (throughput). Prints one line per round and
# the medians. A measurement, never a test: under TCG on a loaded machine
# only the ratio of the same run means something. (Until the VM benchmark
# of issue 12 lands in vmsg-bench, this is how host_driver/README.md's
# figures were taken.)
set -uo pipefail
ROUNDS=${1:-3}
KB_NAME=oob-ab
. "$(dirname "$0")/../tests/rig/scripts/kbus-lib.sh"
kb_init
truncate -s 64M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img"
cat >"$KB_T/ab.vm.sh" <<'VMEOF'
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
B=
run() { # run MODE
	rmmod vmsg_pci 2>/dev/null
	modprobe vmsg_pci oob=$1 || { bad "modprobe oob=$1"; return; }
	wait_for 30 blk_ready || { bad "no disk with oob=$1"; return; }
	B=/dev/$(blk_dev)
	f=$(stat_get features)
	t=$(ms); dd if="$B" of=/dev/null bs=4k count=3000 iflag=direct 2>/dev/null; r4=$(($(ms) - t))
	t=$(ms); dd if=/dev/zero of="$B" bs=4k count=3000 oflag=direct 2>/dev/null; w4=$(($(ms) - t))
	t=$(ms); dd if="$B" of=/dev/null bs=1M count=48 iflag=direct 2>/dev/null; r1=$(($(ms) - t))
	t=$(ms); dd if=/dev/zero of="$B" bs=1M count=48 oflag=direct 2>/dev/null; w1=$(($(ms) - t))
	echo "@@AB oob=$1 features=$f rd4k_us=$((r4 * 1000 / 3000)) wr4k_us=$((w4 * 1000 / 3000)) rd1m_MBps=$((48000 / (r1 + 1))) wr1m_MBps=$((48000 / (w1 + 1)))"
}
i=1
while [ $i -le "$ROUNDS" ]; do
	run 1
	run 0
	i=$((i + 1))
done
rmmod vmsg_pci
finish
VMEOF
kb_vm_prelude "ROUNDS=$ROUNDS"
kb_vm "$KB_T/ab.vm.sh" --timeout $((ROUNDS * 400 + 120)) --mem 512M
rc=$?
tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@AB' | sed 's/^@@AB //'
tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@AB' | sed 's/^@@AB //' | awk '
	{ m = $1; for (i = 3; i <= NF; i++) { split($i, kv, "="); v[m, kv[1], ++n[m, kv[1]]] = kv[2]; keys[kv[1]] = 1 } }
	function med(m, k,   a, c, i, j, t) {
		c = n[m, k]; for (i = 1; i <= c; i++) a[i] = v[m, k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((c + 1) / 2)]
	}
	END { for (k in keys) printf "median %s: oob=1 %s, oob=0 %s\n", k, med("oob=1", k), med("oob=0", k) }'
kb_card_stop TERM
exit $rc
