#!/usr/bin/env bash
# (i) a hostile card: `vmsg-card-test --hostile all` (the test variant of
# vmsg-card; the shipped one has no attack code) injects garbage, wrong
# sizes and ids, unmatched and duplicated responses, out-of-range events,
# READY storms, stale epochs, impossible slot lengths and producer indices
# into the c2h ring while the VM writes, reads back and verifies files and
# reads /dev/hwrng for 20 s. vmsg_pci must drop and count all of it, lose
# nothing, not declare the card dead, and the kernel must stay clean. Every
# attack mode the card reports (vmsg-card ctl stats: hostile.<mode>) must
# have been made and counted by vmsg_pci in the matching drop counters.
# About 40 s. VMSG_CARD_HOSTILE_SEED makes a run repeatable.
set -uo pipefail
KB_CARD_NAME=vmsg-card-test
. "$(dirname "$0")/scripts/kbus-lib.sh"
kb_init
truncate -s 32M "$KB_T/disk.img"
kb_card_start --blk "$KB_T/disk.img" --rng --hostile all --hostile-rate "${PCI_HOSTILE_RATE:-20}"
grep -i seed "$KB_CARD_LOG" | head -n 1 | sed "s/^/$KB_NAME: /"
# oob=1: the badvec attack needs the queue vectors of binding 7.5.
kb_vm_prelude "SECS=${PCI_HOSTILE_SECS:-20}" "VMSG_PCI_ARGS=oob=1"
kb_vm_bg "$KB_SCRIPTS/pci-hostile.vm.sh" --timeout 300
kb_wait_mark hostile-done 200
kb_ctl stats >"$KB_T/card-stats.txt" 2>&1
grep '^hostile\.' "$KB_T/card-stats.txt" | tr '\n' ' ' | sed "s/^/$KB_NAME: card attacks: /"
echo
kb_vm_wait
vmrc=$?

# Each attack the card reports (hostile.<mode> N, read after the VM's
# snapshot of vmsg_pci's counters) must have been made (N > 0), and the
# host must have counted drops of that kind: the counters the VM printed
# as "@@STAT key value" lines (each printed three times: the largest value
# counts, a kernel message on the console can cut a line).
host_stat() { # host_stat KEY...: the sum of vmsg_pci's counters KEY...
	tr -d '\r' <"$KB_CONSOLE" | grep -ao '@@STAT [a-z_.]* [0-9]*' | awk -v keys=" $* " '
		index(keys, " " $2 " ") && $3 != "" { if (!($2 in v) || $3 + 0 > v[$2]) v[$2] = $3 + 0 }
		END {
			n = split(keys, want, " ")
			s = 0
			for (i = 1; i <= n; i++) {
				if (!(want[i] in v)) { print "missing"; exit }
				s += v[want[i]]
			}
			print s
		}'
}
card_stat() { awk -v k="hostile.$1" '$1 == k { print $2 }' "$KB_T/card-stats.txt"; }
# mode : host counters that count it (summed) : what the host must have done
checks=(
	"garbage:drop_malformed:random bytes dropped as malformed"
	"badsize:drop_verdict.short drop_verdict.size_mismatch drop_verdict.payload_size drop_verdict.too_big:wrong sizes dropped by the validator"
	"badid:drop_verdict.unknown_id drop_verdict.wrong_dir drop_verdict.dev_num:unknown ids, wrong directions and bus messages naming a device dropped"
	"badtoken:drop_unmatched:responses matching no request dropped (drop_unmatched)"
	"badevent:drop_no_device:events for absent devices dropped (drop_no_device)"
	"badevent:device_add_failures:READY storms for invented devices refused (device_add_failures)"
	"stale:drop_stale_epoch:stale-epoch slots dropped (drop_stale_epoch)"
	"badslot:drop_ring_bad:impossible slot lengths dropped (drop_ring_bad, RING-6)"
	"badindex:drop_ring_bad:impossible producer indices dropped and resynchronised (drop_ring_bad, RING-7)"
	"badvec:oob_irqs_no_queue:queue vectors no queue is mapped to ignored (oob_irqs_no_queue, OOB-7)"
)
if ! grep -q '^hostile\.ticks ' "$KB_T/card-stats.txt"; then
	kb_bad "no attack counts from the card (vmsg-card ctl stats): $(tail -n 1 "$KB_T/card-stats.txt")"
else
	for c in "${checks[@]}"; do
		mode=${c%%:*}
		rest=${c#*:}
		keys=${rest%%:*}
		what=${rest#*:}
		made=$(card_stat "$mode")
		got=$(host_stat $keys)
		if [ -z "$made" ] || [ "$made" -eq 0 ]; then
			kb_bad "$mode: the card made no such attack (hostile.$mode ${made:-absent})"
		elif [ "$got" = missing ]; then
			kb_bad "$mode: vmsg_pci did not report $keys"
		elif [ "$got" -gt 0 ]; then
			kb_ok "$mode ($made injected): $what ($got)"
		else
			kb_bad "$mode ($made injected): none counted by vmsg_pci ($keys all 0): $what"
		fi
	done
	# A mode the card reports that the table above does not know is an
	# attack nobody checks.
	for mode in $(sed -n 's/^hostile\.\([a-z_]*\) .*/\1/p' "$KB_T/card-stats.txt"); do
		case $mode in rate_ms | seed | ticks | skipped) continue ;; esac
		printf '%s\n' "${checks[@]}" | grep -q "^$mode:" ||
			kb_bad "$mode: the card reports this attack but pci-hostile.test.sh checks nothing for it"
	done
fi
kb_finish $vmrc
