# shellcheck shell=bash
# tests/rig/scripts/pair-lib.sh - the card-VM pair for the card-* rig tests,
# sourced after kbus-lib.sh: vmsg-ivshmem-server (the card VM is peer 0 on
# its card socket, the host VM a client on KB_LINK/ivshmem.sock), the host
# VM's RAM file, the card VM (tests/rig/run-card-vm: pci-epf-vmsg.ko built
# against the card kernel, configfs by tests/rig/scripts/epf-configfs.sh,
# `vmsg-card --platform epf`; script pair-card.vm.sh) in the background,
# commanded through its second serial port; the host VM through kb_vm /
# kb_vm_bg with virtio_msg.ko + vmsg_pci.ko. Both consoles are checked for
# kernel problems (run-host-vm's exit statuses). Every process, file and
# socket is cleaned up by kb_cleanup (KB_CLEANUP_HOOK).
#
# A missing card-VM rig or card kernel is a failure under CI=true (the
# card kernel is built by scripts/build-card-kernel.sh, cached), a skip
# otherwise.
# Environment: CARD_ARCH (the card VM's architecture: x86_64, default, or
# arm64: the Arm card, an aarch64 VM with the arm64 card kernel, module and
# the cross-built vmsg-card; the host VM stays x86_64), CARD_KDIR (a card
# kernel build dir of that architecture instead of the cached one),
# VMSG_CARD_AARCH64 (the aarch64 vmsg-card; default: build-check/aarch64/,
# then build-aarch64/), PAIR_HOST_MEM (host VM RAM, a power of two, default
# 512M), PAIR_PLATFORM (the card daemon's platform: epf, default, or uio: no
# endpoint controller, tests/rig/scripts/uio-setup.sh; card-uio-* tests).

PAIR_CARD_VM_PID=
PAIR_HOST_MEM=${PAIR_HOST_MEM:-512M}
PAIR_PLATFORM=${PAIR_PLATFORM:-epf}
PAIR_CARD_ARGS=() # run-card-vm arguments the platform needs
case ${CARD_ARCH:-x86_64} in
x86_64 | amd64) PAIR_ARCH=x86_64 ;;
arm64 | aarch64) PAIR_ARCH=arm64 ;;
*) kb_die "CARD_ARCH wants x86_64 or arm64, not '$CARD_ARCH'" ;;
esac

pair_unavailable() {
	if [ "${CI:-}" = true ]; then kb_die "$* (CI: a failure, not a skip)"; fi
	kb_skip "$*"
}

# shellcheck disable=SC2317 # called through KB_CLEANUP_HOOK
pair_cleanup() {
	if [ -n "$PAIR_CARD_VM_PID" ] && kill -0 "$PAIR_CARD_VM_PID" 2>/dev/null; then
		kill -TERM "$PAIR_CARD_VM_PID" 2>/dev/null
		wait "$PAIR_CARD_VM_PID" 2>/dev/null
	fi
	PAIR_CARD_VM_PID=
	[ -n "${PAIR_HOOK:-}" ] && $PAIR_HOOK
	return 0
}

# pair_epf_module: pci-epf-vmsg.ko for KDIR, built in a cache keyed by the
# module's sources, the card kernel's Module.symvers and the architecture.
pair_epf_module() {
	local hash cache margs
	margs=$("$KB_TOP/scripts/build-card-kernel.sh" --arch "$PAIR_ARCH" --print-make-args)
	hash=$({
		echo "$PAIR_ARCH $margs"
		cat "$KB_TOP"/ep_function/kernel/*.[ch] "$KB_TOP"/ep_function/kernel/Kbuild \
			"$KB_TOP"/fw_shared/include/*.h "$PAIR_KDIR/Module.symvers"
	} | sha256sum | cut -c1-16)
	cache=${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}/rig/epf-$hash
	if [ ! -f "$cache/pci-epf-vmsg.ko" ]; then
		kb_say "building pci-epf-vmsg.ko against $PAIR_KDIR"
		rm -rf "$cache.tmp"
		mkdir -p "$(dirname "$cache")"
		cp -r "$KB_TOP/ep_function/kernel" "$cache.tmp"
		echo "ccflags-y += -I$KB_TOP/fw_shared/include" >>"$cache.tmp/Kbuild"
		# shellcheck disable=SC2086 # ARCH=... CROSS_COMPILE=...
		nice make -s -C "$PAIR_KDIR" $margs M="$cache.tmp" -j2 modules >"$cache.tmp/build.log" 2>&1 || {
			cat "$cache.tmp/build.log"
			kb_die "building pci-epf-vmsg.ko against $PAIR_KDIR failed"
		}
		rm -rf "$cache"
		mv "$cache.tmp" "$cache"
		ls -dt "${cache%-*}"-* 2>/dev/null | tail -n +4 | xargs -r rm -rf
	fi
	PAIR_EPF_KO=$cache/pci-epf-vmsg.ko
}

# pair_init: everything but the VMs (kb_init included).
pair_init() {
	command -v qemu-system-x86_64 >/dev/null || pair_unavailable "qemu-system-x86_64 not installed"
	if [ "$PAIR_ARCH" = arm64 ]; then
		command -v qemu-system-aarch64 >/dev/null ||
			pair_unavailable "qemu-system-aarch64 not installed (qemu-system-arm: make deps)"
		command -v aarch64-linux-gnu-gcc >/dev/null ||
			pair_unavailable "no aarch64 cross compiler (gcc-aarch64-linux-gnu: make deps)"
	fi
	[ -x "$KB_TOP/tests/rig/run-card-vm" ] && [ -x "$KB_TOP/scripts/build-card-kernel.sh" ] ||
		pair_unavailable "the card-VM rig (tests/rig/run-card-vm) is not in this tree"
	if [ -n "${CARD_KDIR:-}" ]; then
		PAIR_KDIR=$CARD_KDIR
	else
		[ -f /usr/src/linux-source-6.1.tar.xz ] ||
			pair_unavailable "no card kernel: linux-source-6.1 not installed (make deps)"
		PAIR_KDIR=$("$KB_TOP/scripts/build-card-kernel.sh" --arch "$PAIR_ARCH" --print-kdir) ||
			kb_die "the card kernel build failed (scripts/build-card-kernel.sh)"
	fi
	[ -f "$PAIR_KDIR/Module.symvers" ] || pair_unavailable "no card kernel build at '$PAIR_KDIR'"
	PAIR_SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
		kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"
	kb_init
	# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
	KB_CLEANUP_HOOK=pair_cleanup
	# The card VM's vmsg-card: the host's build for x86_64, the cross build
	# (make: build-aarch64; make check: build-check/aarch64) for arm64.
	PAIR_CARD_BIN=$VMSG_CARD
	if [ "$PAIR_ARCH" = arm64 ]; then
		PAIR_CARD_BIN=${VMSG_CARD_AARCH64:-}
		if [ -z "$PAIR_CARD_BIN" ]; then
			local c
			for c in "$KB_TOP/build-check/aarch64" "$KB_TOP/build-aarch64"; do
				[ -x "$c/ep_function/card/vmsg-card" ] || continue
				PAIR_CARD_BIN=$c/ep_function/card/vmsg-card
				break
			done
		fi
		[ -n "$PAIR_CARD_BIN" ] ||
			kb_die "no aarch64 vmsg-card: make user-aarch64 (build-aarch64), or set VMSG_CARD_AARCH64"
		file -L "$PAIR_CARD_BIN" | grep -q 'ARM aarch64' ||
			kb_die "$PAIR_CARD_BIN is not an aarch64 program: $(file -L "$PAIR_CARD_BIN")"
	fi
	pair_epf_module
	PAIR_CARD_CONSOLE=$KB_T/card-console.log
	: >"$KB_CONSOLE"
	PAIR_CMD_SOCK=$KB_T/card-cmd.sock
	mkdir -m 700 "$KB_LINK"
	# The host VM's RAM file, shared by both VMs (run-host-vm --mem-path,
	# run-card-vm --host-mem): its size is the host VM's memory.
	truncate -s "$PAIR_HOST_MEM" "$KB_RAM" || kb_die "cannot create $KB_RAM"
	"$PAIR_SRV" --socket "$KB_LINK/ivshmem.sock" --card-socket "$KB_T/card.sock" \
		--shm-path "$KB_T/bar.shm" --shm-size $((1 << 20)) --vectors 8 \
		>"$KB_T/server.log" 2>&1 &
	# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
	KB_EXTRA_PIDS="${KB_EXTRA_PIDS:-} $!"
	for _ in $(seq 100); do
		[ -S "$KB_T/card.sock" ] && [ -S "$KB_LINK/ivshmem.sock" ] && break
		sleep 0.05
	done
	[ -S "$KB_T/card.sock" ] || kb_die "vmsg-ivshmem-server did not start: $(tail -n 3 "$KB_T/server.log")"
	# The card answers PINGs from a TCG VM on a shared 2-core machine, which
	# can stall for more than the binding's 3 x 500 ms (at load 12 a card VM
	# missed 8 in a row mid-I/O, and the host rightly dropped it): the host
	# VM allows 16 misses (8 s) unless the test says otherwise.
	kb_vm_prelude "VMSG_PCI_ARGS='${PAIR_VMSG_PCI_ARGS:-ping_misses=16}'"
	kb_say "card VM $PAIR_ARCH: kernel $PAIR_KDIR; epf module $PAIR_EPF_KO; vmsg-card $PAIR_CARD_BIN; card platform $PAIR_PLATFORM"
	case $PAIR_PLATFORM in
	epf) ;;
	uio)
		# the link page header's ids (the "hardware design"): the binding's
		local ids="" n
		for n in VENDOR_ID DEVICE_ID SUBSYS_VENDOR_ID SUBSYS_ID CLASS; do
			ids+="$(sed -n "s/^#define VMSG_PCIE_${n}[[:space:]]*\(0x[0-9a-f]*\)u.*/\1/p" \
				"$KB_TOP/fw_shared/include/vmsg_pcie.h") "
		done
		[ "$(echo "$ids" | wc -w)" = 5 ] || kb_die "cannot read the binding's ids from vmsg_pcie.h: '$ids'"
		pair_card_prelude CARD_PLATFORM=uio "UIO_IDS='${ids% }'"
		# No endpoint controller: the virtual EPC (built in) never
		# initialises. (Unbinding it instead hits a 6.1 endpoint core
		# WARN: pci_epc's device has no release function.)
		PAIR_CARD_ARGS+=(--append initcall_blacklist=vmsg_ep_init)
		;;
	*) kb_die "PAIR_PLATFORM '$PAIR_PLATFORM': epf or uio" ;;
	esac
}

# pair_card_prelude 'VAR=value' ...: assignments put before the card script
# (CARD_DEVS, CARD_SETUP, CARD_NET_ADDR, VENDORID, DEVICEID, MSIX).
PAIR_CARD_PRELUDE=
pair_card_prelude() {
	local a
	for a in "$@"; do PAIR_CARD_PRELUDE+="$a"$'\n'; done
}

# pair_card_start [SECONDS] [run-card-vm args...]: boot the card VM in the
# background and wait for "@@MARK card-ready" (default 300 s).
pair_card_start() {
	local secs=${1:-300}
	[ $# -gt 0 ] && shift
	{
		printf '%s' "$PAIR_CARD_PRELUDE"
		cat "$KB_SCRIPTS/kbus-vm-lib.sh" "$KB_SCRIPTS/pair-card.vm.sh"
	} >"$KB_T/card-script.sh"
	: >"$PAIR_CARD_CONSOLE"
	local verb=(-q)
	[ "${VMSG_TEST_VERBOSE:-0}" = 1 ] && verb=()
	"$KB_TOP/tests/rig/run-card-vm" --arch "$PAIR_ARCH" --kdir "$PAIR_KDIR" --card-socket "$KB_T/card.sock" \
		--host-mem "$KB_RAM" --mem 512M --timeout 1500 \
		--modules "$PAIR_EPF_KO" --file "$PAIR_CARD_BIN:/rig/files/vmsg-card" \
		--file "$KB_SCRIPTS/epf-configfs.sh" --file "$KB_SCRIPTS/uio-setup.sh" \
		--cmd-socket "$PAIR_CMD_SOCK" \
		--script "$KB_T/card-script.sh" --log "$PAIR_CARD_CONSOLE" "${verb[@]}" \
		"${PAIR_CARD_ARGS[@]}" "$@" \
		>"$KB_T/card-rig.out" 2>&1 &
	PAIR_CARD_VM_PID=$!
	if pair_card_mark card-ready "$secs"; then
		if [ "$PAIR_PLATFORM" = uio ]; then
			kb_ok "card VM ready: no endpoint controller, vmsg-card --platform uio running"
		else
			kb_ok "card VM ready: pci-epf-vmsg configured, vmsg-card --platform epf running"
		fi
		return 0
	fi
	kb_bad "the card VM did not get to card-ready in $secs s"
	return 1
}

# pair_card_mark NAME SECONDS: wait for "@@MARK NAME" on the card console.
pair_card_mark() {
	local name=$1 secs=$2 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		tr -d '\r' <"$PAIR_CARD_CONSOLE" 2>/dev/null | grep -a -q -x "@@MARK $name" && return 0
		kill -0 "$PAIR_CARD_VM_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# pair_card_send LINE: one line to the card script's command port. The
# connection stays open until the card script has read the line (it prints
# "@@ACK ID", ID = the line's first word), at most 60 s: QEMU drops what the
# guest has not read yet when the client hangs up, which cut lines short on
# a loaded machine.
pair_card_send() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
ack = ("@@ACK " + sys.argv[2].split(" ", 1)[0]).encode()
end = time.monotonic() + 60
time.sleep(0.05)
while time.monotonic() < end:
    try:
        with open(sys.argv[3], "rb") as f:
            if any(l.rstrip(b"\r\n") == ack for l in f):
                break
    except OSError:
        pass
    time.sleep(0.1)
s.close()' "$PAIR_CMD_SOCK" "$1" "$PAIR_CARD_CONSOLE"
}

# pair_card_run ID SECONDS 'COMMAND': run COMMAND in the card VM (its
# shell: daemon_start, daemon_stop [SIG], ctl ..., card_log, ...); wait
# for it; returns its exit status (99: no answer in time).
PAIR_CMD_N=0
pair_card_run() {
	local id=$1.$PAIR_CMD_N secs=$2 rc
	PAIR_CMD_N=$((PAIR_CMD_N + 1))
	pair_card_send "$id $3" || return 99
	pair_card_mark "$id" "$secs" || return 99
	rc=$(tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a "^@@RESULT $id " | awk '{print $3}')
	return "${rc:-99}"
}

# pair_card_out ID: the card console lines printed as "@@OUT ID TEXT" -> TEXT.
pair_card_out() {
	tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a "^@@OUT $1 " | sed "s/^@@OUT $1 //"
}

# pair_card_finish: tell the card script to quit (daemon SIGTERM, configfs
# down, rmmod), wait for the card VM, collect its results into KB_FAILS.
pair_card_finish() {
	local rc n
	[ -n "$PAIR_CARD_VM_PID" ] || return 0
	pair_card_send quit 2>/dev/null
	local t0
	t0=$(date +%s)
	while kill -0 "$PAIR_CARD_VM_PID" 2>/dev/null && [ $(($(date +%s) - t0)) -lt 120 ]; do
		sleep 0.2
	done
	if kill -0 "$PAIR_CARD_VM_PID" 2>/dev/null; then
		kb_bad "the card VM did not end within 120 s of quit"
		kill -TERM "$PAIR_CARD_VM_PID" 2>/dev/null
	fi
	wait "$PAIR_CARD_VM_PID"
	rc=$?
	PAIR_CARD_VM_PID=
	tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a -E '^vm: ' | sed "s/^vm: /$KB_NAME: card: /"
	n=$(tr -d '\r' <"$PAIR_CARD_CONSOLE" | grep -a -c '^vm: FAIL - ')
	KB_FAILS=$((KB_FAILS + n))
	case $rc in
	0) kb_ok "card VM ended cleanly, its console has no kernel problem" ;;
	121) kb_bad "kernel problem in the card VM console (rig status 121)" ;;
	122) kb_bad "the card VM stopped without finishing (rig status 122)" ;;
	124) kb_bad "the card VM timed out (rig status 124)" ;;
	*) [ "$n" -gt 0 ] || kb_bad "card VM: status $rc" ;;
	esac
	if [ "$rc" -ge 121 ] && [ "$rc" -le 125 ]; then
		grep -a -E 'BUG|WARNING|Oops|blocked for more|rig:' "$KB_T/card-rig.out" | head -n 20 |
			sed "s/^/$KB_NAME: card:   /"
	fi
}
