# bench/vm-bench.vm.sh - the in-VM half of `vmsg-bench vm` (bench/vm-bench.sh),
# busybox sh, with tests/rig/scripts/kbus-vm-lib.sh prepended. The VM has the
# card's virtio-blk and virtio-net (through vmsg_pci) and QEMU's own
# virtio-blk-pci (serial $QEMU_SERIAL) and virtio-net-pci (MAC $QEMU_MAC).
# Set by the host side: SECS ROUNDS QEMU_SERIAL QEMU_MAC RAMP GPERF WORKLOADS
# (the workloads to run, in order; all six when empty).
# GPERF=1: round 1 runs each workload under `perf record -a` (the whole
# guest) and prints the top symbols as "@@P WORKLOAD SIDE PERCENT SYMBOL".
# Result lines: "@@R ROUND WORKLOAD SIDE VALUE UNIT" (SIDE card|virtio-pci).
FIO=/rig/files/fio
IPERF=/rig/files/iperf3
PERF=/rig/files/perf
PROF=
load_bus || finish
modprobe -a virtio_pci virtio_blk virtio_net || bad "modprobe virtio_pci virtio_blk virtio_net"

# The disks and interfaces of each side.
disk_of() { # disk_of card|virtio-pci
	for _b in /sys/block/vd*; do
		[ -e "$_b" ] || continue
		_s=$(cat "$_b/serial" 2>/dev/null)
		if [ "$_s" = "$QEMU_SERIAL" ]; then
			[ "$1" = virtio-pci ] && basename "$_b" && return 0
		else
			[ "$1" = card ] && basename "$_b" && return 0
		fi
	done
	return 1
}
nic_of() { # nic_of card|virtio-pci
	for _n in /sys/class/net/eth*; do
		[ -e "$_n" ] || continue
		_m=$(cat "$_n/address")
		if [ "$_m" = "$QEMU_MAC" ]; then
			[ "$1" = virtio-pci ] && basename "$_n" && return 0
		else
			[ "$1" = card ] && basename "$_n" && return 0
		fi
	done
	return 1
}
two_disks() { disk_of card >/dev/null && disk_of virtio-pci >/dev/null; }
two_nics() { nic_of card >/dev/null && nic_of virtio-pci >/dev/null; }
check "both disks (card, virtio-pci) within 30 s" wait_for 30 two_disks
check "both NICs (card, virtio-pci) within 30 s" wait_for 30 two_nics
CDISK=$(disk_of card)
QDISK=$(disk_of virtio-pci)
CNIC=$(nic_of card)
QNIC=$(nic_of virtio-pci)
say "card: /dev/$CDISK $CNIC; virtio-pci: /dev/$QDISK $QNIC"
# Negotiated virtio feature bits (0-63) of each side's devices.
say "card net features $(cut -c1-64 "/sys/class/net/$CNIC/device/features")"
say "virtio-pci net features $(cut -c1-64 "/sys/class/net/$QNIC/device/features")"
say "card blk features $(cut -c1-64 "/sys/block/$CDISK/device/features")"
say "virtio-pci blk features $(cut -c1-64 "/sys/block/$QDISK/device/features")"
ip addr add 10.77.0.2/24 dev "$CNIC"
ip link set "$CNIC" up
ip addr add 10.78.0.2/24 dev "$QNIC"
ip link set "$QNIC" up
check "card NIC: ping 10.77.0.1 within 20 s" wait_for 20 ping -c 1 -W 1 10.77.0.1
check "virtio-pci NIC: ping 10.78.0.1 within 20 s" wait_for 20 ping -c 1 -W 1 10.78.0.1
check "card disk readable" wait_for 20 dd if="/dev/$CDISK" of=/dev/null bs=4096 count=1
check "virtio-pci disk readable" wait_for 20 dd if="/dev/$QDISK" of=/dev/null bs=4096 count=1
[ "$VM_FAILS" = 0 ] || finish
# Same block layer settings on both disks.
for _d in "$CDISK" "$QDISK"; do
	echo none >"/sys/block/$_d/queue/scheduler" 2>/dev/null
	_q=/sys/block/$_d/queue
	say "$_d: scheduler $(cat "$_q/scheduler") max_sectors_kb $(cat "$_q/max_sectors_kb") nr_requests $(cat "$_q/nr_requests")"
done

# run_fio ROUND WORKLOAD SIDE DISK RW BS DEPTH
run_fio() {
	_out=$($PROF "$FIO" --name="$2" --filename="/dev/$4" --rw="$5" --bs="$6" --iodepth="$7" \
		--ioengine=libaio --direct=1 --runtime="$SECS" --ramp_time="$RAMP" --time_based \
		--norandommap --randrepeat=0 --minimal 2>/tmp/fio.err)
	_rc=$?
	case $5 in
	*read) _bw=$(echo "$_out" | awk -F';' '{print $7}') _io=$(echo "$_out" | awk -F';' '{print $8}') ;;
	*) _bw=$(echo "$_out" | awk -F';' '{print $48}') _io=$(echo "$_out" | awk -F';' '{print $49}') ;;
	esac
	if [ "$_rc" != 0 ] || [ -z "$_bw" ]; then
		bad "fio $2 on $3 (/dev/$4): status $_rc $(tail -n 2 /tmp/fio.err | tr '\n' ' ')"
		return
	fi
	case $6 in
	4k) echo "@@R $1 $2 $3 $_io IOPS" ;;
	*) echo "@@R $1 $2 $3 $(awk -v k="$_bw" 'BEGIN { printf "%.1f", k / 1024 }') MiB/s" ;;
	esac
}

# run_iperf ROUND WORKLOAD SIDE SERVER PORT [-R]
run_iperf() {
	_out=$($PROF "$IPERF" -c "$4" -p "$5" -t "$SECS" -O "$RAMP" -f k ${6:+"$6"} 2>&1)
	_rc=$?
	_k=$(echo "$_out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") v = $i } END { print v }')
	if [ "$_rc" != 0 ] || [ -z "$_k" ]; then
		bad "iperf3 $2 on $3: status $_rc $(echo "$_out" | tail -n 2 | tr '\n' ' ')"
		return
	fi
	echo "@@R $1 $2 $3 $(awk -v k="$_k" 'BEGIN { printf "%.1f", k / 1000 }') Mbit/s"
}

# prof_report WORKLOAD SIDE: the profile of the last run, top symbols.
prof_report() {
	[ -n "$PROF" ] || return 0
	"$PERF" report -i /tmp/perf.data --stdio --no-children --sort sym -g none \
		--percent-limit 1.5 2>/dev/null | grep '%' |
		awk -v w="$1" -v s="$2" '{ printf "@@P %s %s %s %s %s\n", w, s, $1, $2, $3 }'
	rm -f /tmp/perf.data
}

# one ROUND WORKLOAD SIDE
one() {
	PROF=
	if [ "${GPERF:-0}" = 1 ] && [ "$1" = 1 ]; then
		PROF="$PERF record -a -g -F 499 -q -o /tmp/perf.data --"
	fi
	if [ "$3" = card ]; then _d=$CDISK _ip=10.77.0.1 _p=5201; else _d=$QDISK _ip=10.78.0.1 _p=5202; fi
	case $2 in
	randread-4k) run_fio "$1" "$2" "$3" "$_d" randread 4k 8 ;;
	randwrite-4k) run_fio "$1" "$2" "$3" "$_d" randwrite 4k 8 ;;
	read-1m) run_fio "$1" "$2" "$3" "$_d" read 1m 4 ;;
	write-1m) run_fio "$1" "$2" "$3" "$_d" write 1m 4 ;;
	net-tx) run_iperf "$1" "$2" "$3" "$_ip" "$_p" ;;
	net-rx) run_iperf "$1" "$2" "$3" "$_ip" "$_p" -R ;;
	esac
	prof_report "$2" "$3"
	PROF=
}

stat_show '[a-z_0-9]+'
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for w in ${WORKLOADS:-randread-4k randwrite-4k read-1m write-1m net-tx net-rx}; do
		# alternate which side goes first, round by round
		if [ $((r % 2)) = 1 ]; then
			one "$r" "$w" card
			one "$r" "$w" virtio-pci
		else
			one "$r" "$w" virtio-pci
			one "$r" "$w" card
		fi
	done
	r=$((r + 1))
done
stat_show '[a-z_0-9]+'
grep -E 'vmsg|virtio' /proc/interrupts | awk '{ printf "vm: irq %s %s %s\n", $1, $2 + $3, $NF }'
finish
