# shellcheck shell=bash
# tests/rig/scripts/kbus-lib.sh - shared by the vmsg_pci rig tests
# (tests/rig/pci-*.test.sh): a soft card (vmsg-card --platform sim) on a
# temporary link directory, the host VM (tests/rig/run-host-vm) with
# virtio_msg.ko + vmsg_pci.ko and the card's ivshmem device, and cleanup of
# every process by PID. Sourced by bash test scripts.
#
# Environment:
#   VMSG_CARD        the vmsg-card binary (default: first existing of
#                    build-check/gcc/ep_function/card/vmsg-card,
#                    build/ep_function/card/vmsg-card)
#   KB_CARD_NAME     set by a test before sourcing: vmsg-card-test for tests
#                    that need the test variant (--hostile); then
#                    VMSG_CARD_TEST, not VMSG_CARD, overrides the path
#   VMSG_KMODS       directory holding virtio_msg.ko and vmsg_pci.ko
#                    (default: host_driver/, rebuilt into the cache when
#                    missing or not built for the kernel the rig boots)
#   VMSG_TEST_KEEP=1 keep the temporary directory (logs) even on success
#   VMSG_TEST_VERBOSE=1 stream the VM console

KB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
KB_RIG=$KB_TOP/tests/rig/run-host-vm
KB_SCRIPTS=$KB_TOP/tests/rig/scripts
KB_NAME=${KB_NAME:-$(basename "$0" .test.sh)}
KB_FAILS=0
KB_CARD_PID=
KB_VM_PID=
KB_T=
KB_T0=$(date +%s.%N)

kb_say() { printf '%s: %s\n' "$KB_NAME" "$*"; }
kb_ok() { printf '%s: ok - %s\n' "$KB_NAME" "$*"; }
kb_bad() {
	printf '%s: FAIL - %s\n' "$KB_NAME" "$*"
	KB_FAILS=$((KB_FAILS + 1))
}
kb_check() { # kb_check "what" command...
	local what=$1
	shift
	if "$@"; then kb_ok "$what"; else kb_bad "$what"; fi
}
kb_now() { date +%s.%N; }
kb_since() { awk -v a="$1" -v b="$(kb_now)" 'BEGIN { printf "%.1f", b - a }'; }
# kb_skip WHY: the test cannot run here. Exit status 77, which
# scripts/check.sh counts as skipped (never as a pass; under CI=true a
# failure unless tests/skip-allowlist.txt lists the test).
kb_skip() {
	kb_say "SKIP: $*"
	exit 77
}
kb_die() {
	kb_say "ERROR: $*"
	exit 1
}

# kb_find_built DIR/NAME: the first built copy (make check's gcc build,
# then build/), or nothing.
kb_find_built() {
	local c
	for c in "$KB_TOP/build-check/gcc/$1" "$KB_TOP/build/$1"; do
		if [ -x "$c" ]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

kb_find_card() {
	local name=${KB_CARD_NAME:-vmsg-card} var=VMSG_CARD
	[ "$name" = vmsg-card ] || var=VMSG_CARD_TEST
	if [ -n "${!var:-}" ]; then
		[ -x "${!var}" ] || kb_die "$var=${!var} is not executable"
		VMSG_CARD=${!var}
		return
	fi
	VMSG_CARD=$(kb_find_built "ep_function/card/$name") ||
		kb_die "$name not built (make check's build step, or meson setup build && ninja -C build; or set $var)"
}

# The kernel the rig boots (its default, or VMSG_RIG_KVER).
kb_rig_kver() {
	if [ -n "${VMSG_RIG_KVER:-}" ]; then
		echo "$VMSG_RIG_KVER"
		return
	fi
	ls -d /lib/modules/6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1 | xargs -r basename
}

# Modules built for the rig's kernel: host_driver/ if it matches, else a
# private build against that kernel's headers, cached by source hash.
kb_find_modules() {
	local kver vm hash cache src
	if [ -n "${VMSG_KMODS:-}" ]; then
		KB_MODS="$VMSG_KMODS/virtio_msg.ko $VMSG_KMODS/vmsg_pci.ko"
		return
	fi
	kver=$(kb_rig_kver)
	[ -n "$kver" ] || kb_die "no Debian 6.1 kernel for the rig (/lib/modules/6.1.0-*)"
	vm=$(modinfo -F vermagic "$KB_TOP/host_driver/vmsg_pci.ko" 2>/dev/null | awk '{print $1}')
	if [ "$vm" = "$kver" ] && [ -f "$KB_TOP/host_driver/virtio_msg.ko" ] &&
		[ -z "$(find "$KB_TOP/host_driver" "$KB_TOP/fw_shared" -newer "$KB_TOP/host_driver/vmsg_pci.ko" \
			\( -name '*.c' -o -name '*.h' \) 2>/dev/null | head -n 1)" ]; then
		KB_MODS="$KB_TOP/host_driver/virtio_msg.ko $KB_TOP/host_driver/vmsg_pci.ko"
		return
	fi
	[ -d "/usr/src/linux-headers-$kver" ] || kb_die "host_driver/*.ko not built for $kver and no headers to build them"
	hash=$(cat "$KB_TOP"/host_driver/*.[ch] "$KB_TOP"/host_driver/Kbuild "$KB_TOP"/fw_shared/include/*.h \
		"$KB_TOP"/fw_shared/src/*.c | sha256sum | cut -c1-16)
	cache=${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}/rig/kmods-$kver-$hash
	if [ ! -f "$cache/host_driver/vmsg_pci.ko" ]; then
		kb_say "building the modules for $kver (host_driver/*.ko are for '${vm:-none}' or stale)"
		rm -rf "$cache.tmp"
		mkdir -p "$cache.tmp/host_driver"
		cp -r "$KB_TOP/fw_shared" "$cache.tmp/"
		cp "$KB_TOP"/host_driver/*.[ch] "$KB_TOP"/host_driver/Kbuild "$cache.tmp/host_driver/"
		make -s -C "/usr/src/linux-headers-$kver" M="$cache.tmp/host_driver" -j2 modules \
			>"$cache.tmp/build.log" 2>&1 || {
			cat "$cache.tmp/build.log"
			kb_die "module build failed"
		}
		rm -rf "$cache"
		mv "$cache.tmp" "$cache"
		# keep the three most recent builds
		ls -dt "${cache%-*}"-* 2>/dev/null | tail -n +4 | xargs -r rm -rf
	fi
	src=$cache/host_driver
	KB_MODS="$src/virtio_msg.ko $src/vmsg_pci.ko"
}

kb_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	kb_card_stop TERM
	if [ -n "$KB_VM_PID" ] && kill -0 "$KB_VM_PID" 2>/dev/null; then
		kill -TERM "$KB_VM_PID" 2>/dev/null
		wait "$KB_VM_PID" 2>/dev/null
	fi
	if [ -n "${KB_EXTRA_PIDS:-}" ]; then
		local p
		for p in $KB_EXTRA_PIDS; do kill -TERM "$p" 2>/dev/null; done
	fi
	[ -n "${KB_CLEANUP_HOOK:-}" ] && $KB_CLEANUP_HOOK
	rm -f "${KB_RAM:-/nonexistent}" "${KB_RAM:-/nonexistent}.layout"
	if [ -n "$KB_T" ]; then
		if [ "$rc" -ne 0 ] || [ "$KB_FAILS" -ne 0 ] || [ "${VMSG_TEST_KEEP:-0}" = 1 ]; then
			kb_say "logs kept in $KB_T"
		else
			rm -rf "$KB_T"
		fi
	fi
	exit "$rc"
}

# kb_init: temp dir, RAM file name, card binary, modules, cleanup trap.
kb_init() {
	kb_find_card
	kb_find_modules
	KB_T=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-$KB_NAME.XXXXXX")
	KB_LINK=$KB_T/link
	KB_RAM=/dev/shm/vmsg-$KB_NAME-$$.ram
	KB_CONSOLE=$KB_T/console.log
	KB_CARD_LOG=$KB_T/card.log
	trap kb_cleanup EXIT
	trap 'exit 130' INT TERM
	kb_say "card $VMSG_CARD; modules $KB_MODS; logs $KB_T"
}

# kb_card_start ARGS...: start the card (devices in ARGS), wait until ready.
kb_card_start() {
	rm -f "$KB_T/card.pid"
	"$VMSG_CARD" --platform sim --link "$KB_LINK" --host-mem "$KB_RAM" \
		--pidfile "$KB_T/card.pid" "$@" >>"$KB_CARD_LOG" 2>&1 &
	KB_CARD_PID=$!
	disown "$KB_CARD_PID" # no job notices; stopped by PID (kb_card_stop)
	for _ in $(seq 100); do
		[ -s "$KB_T/card.pid" ] && [ -S "$KB_LINK/ivshmem.sock" ] && return 0
		kill -0 "$KB_CARD_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$KB_CARD_LOG"
	kb_die "vmsg-card did not start"
}

# kb_card_stop [SIG]: stop the card (TERM, then KILL after 5 s).
kb_card_stop() {
	local sig=${1:-TERM}
	[ -n "$KB_CARD_PID" ] || return 0
	kill -"$sig" "$KB_CARD_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$KB_CARD_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$KB_CARD_PID" 2>/dev/null
	KB_CARD_PID=
}

kb_ctl() { "$VMSG_CARD" ctl --link "$KB_LINK" --timeout 5000 "$@"; }

# kb_vm_prelude 'VAR=value' ...: shell assignments put before the VM script.
KB_VM_PRELUDE=
kb_vm_prelude() {
	local a
	for a in "$@"; do KB_VM_PRELUDE+="$a"$'\n'; done
}

# The in-VM script: prelude, the VM-side helpers, then the test's own part.
kb_vm_script() {
	{
		printf '%s' "$KB_VM_PRELUDE"
		cat "$KB_SCRIPTS/kbus-vm-lib.sh" "$1"
	} >"$KB_T/vm-script.sh"
}

kb_vm_args() {
	KB_VM_ARGS=(--modules "$KB_MODS" --ivshmem-socket "$KB_LINK/ivshmem.sock"
		--mem-path "$KB_RAM" --log "$KB_CONSOLE")
	[ "${VMSG_TEST_VERBOSE:-0}" = 1 ] || KB_VM_ARGS+=(-q)
}

# kb_vm VMSCRIPT [rig args...]: run the VM in the foreground; returns its status.
kb_vm() {
	local s=$1 rc
	shift
	kb_vm_script "$s"
	kb_vm_args
	"$KB_RIG" "${KB_VM_ARGS[@]}" --script "$KB_T/vm-script.sh" "$@" >"$KB_T/rig.out" 2>&1
	rc=$?
	grep '^rig:' "$KB_T/rig.out" | sed "s/^/$KB_NAME: /"
	return $rc
}

# kb_vm_bg VMSCRIPT [rig args...]: same, in the background (KB_VM_PID).
kb_vm_bg() {
	local s=$1
	shift
	kb_vm_script "$s"
	kb_vm_args
	: >"$KB_CONSOLE"
	"$KB_RIG" "${KB_VM_ARGS[@]}" --script "$KB_T/vm-script.sh" "$@" >"$KB_T/rig.out" 2>&1 &
	KB_VM_PID=$!
}

# kb_vm_wait: wait for the background VM. Once its script printed "vm: done"
# the VM gets 15 s to power off; a VM that cannot (tasks stuck in the
# kernel) is stopped and reported (status 143).
kb_vm_wait() {
	local rc t0=
	while kill -0 "$KB_VM_PID" 2>/dev/null; do
		if [ -z "$t0" ] && tr -d '\r' <"$KB_CONSOLE" | grep -a -q '^vm: done in'; then
			t0=$(date +%s)
		fi
		if [ -n "$t0" ] && [ $(($(date +%s) - t0)) -ge 15 ]; then
			kb_bad "the VM did not power off after its script ended (stuck tasks?)"
			kill -TERM "$KB_VM_PID" 2>/dev/null
			break
		fi
		sleep 0.2
	done
	wait "$KB_VM_PID"
	rc=$?
	KB_VM_PID=
	grep '^rig:' "$KB_T/rig.out" | sed "s/^/$KB_NAME: /"
	return $rc
}

# kb_wait_mark NAME SECONDS: wait for "@@MARK NAME" from the VM script.
kb_wait_mark() {
	local name=$1 secs=$2 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		tr -d '\r' <"$KB_CONSOLE" 2>/dev/null | grep -a -q -x "@@MARK $name" && return 0
		if [ -n "$KB_VM_PID" ] && ! kill -0 "$KB_VM_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# kb_vm_abort SECONDS: the VM is known to be stuck; let its script report
# (the "vm: done" line) for up to SECONDS, then stop the rig (and QEMU).
kb_vm_abort() {
	local secs=$1 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		tr -d '\r' <"$KB_CONSOLE" | grep -a -q '^vm: done in' && break
		kill -0 "$KB_VM_PID" 2>/dev/null || return 0
		sleep 0.2
	done
	sleep 1
	kill -TERM "$KB_VM_PID" 2>/dev/null
}

# kb_vm_results: the VM script's ok/FAIL lines, counted into KB_FAILS.
kb_vm_results() {
	local n
	tr -d '\r' <"$KB_CONSOLE" | grep -a -E '^vm: ' | sed "s/^/$KB_NAME: /"
	n=$(grep -a -c '^vm: FAIL - ' "$KB_CONSOLE")
	KB_FAILS=$((KB_FAILS + n))
}

# kb_finish VMSTATUS: final verdict and total time.
kb_finish() {
	local vmrc=$1
	kb_vm_results
	case $vmrc in
	0) ;;
	121) kb_bad "kernel problem in the VM console (rig status 121)" ;;
	122) kb_bad "the VM stopped without finishing (rig status 122)" ;;
	124) kb_bad "the VM timed out (rig status 124)" ;;
	125) kb_bad "the rig could not run (status 125)" ;;
	*) [ "$KB_FAILS" -gt 0 ] || kb_bad "VM script exit status $vmrc" ;;
	esac
	if [ "$vmrc" -ge 121 ] && [ "$vmrc" -le 125 ]; then
		grep -a -E 'BUG|WARNING|Oops|blocked for more|rig:' "$KB_T/rig.out" | head -n 20 | sed "s/^/$KB_NAME:   /"
	fi
	if [ "$KB_FAILS" -eq 0 ]; then
		kb_say "PASS in $(kb_since "$KB_T0") s"
		exit 0
	fi
	kb_say "FAILED ($KB_FAILS check(s)) in $(kb_since "$KB_T0") s"
	exit 1
}
