#!/bin/bash
# selftest.sh - self-test of the host VM rig (tests/rig/run-host-vm).
#
# Usage: tests/rig/selftest.sh [--keep] [--list] [TEST...]
#
# Boots the host VM a dozen times (about 3 s each under TCG) and checks:
#   exit_status     a script's output reaches the log and its status (3) is returned
#   virtio_modules  virtio_net, virtio_blk, virtio_console, virtio-rng, ext4 modprobe inside
#   extra_module    a --modules .ko loads with `modprobe` and pulls its stock dependency
#   kernel_warning  a real kernel WARNING (from the test module) fails the run (121)
#   kmsg_warning    a WARNING line in the kernel log (/dev/kmsg) fails the run (121)
#   no_false_alarm  a script printing "WARNING:"/"BUG:" itself does not fail the run
#   check_log       the log scanner on fake logs (BUG, Oops, lockdep, KASAN, ...)
#   timeout         a hanging script gives 124 within the timeout
#   panic           a kernel panic (sysrq c) gives 122 and is reported
#   ivshmem         --ivshmem-socket + --mem-path + --qmp: the card BAR is shared with
#                   the server, guest RAM is visible in the file, the driver is
#                   autoloaded by modalias, and QMP device_del hot-unplugs the card
#   usage           --help, bad options and missing files
#   cache           the base initramfs is reused when nothing changed
# The tests that need the test module (extra_module, kernel_warning, and the
# autoload part of ivshmem) cannot run without the kernel headers (apt-get
# install linux-headers-amd64): they are skipped, and the run then exits 77
# (scripts/check.sh: skipped, never a pass) unless something failed.
#
# Prints "N passed, N failed, N skipped" at the end; exits 1 on a failure,
# 77 if nothing failed but something was skipped, 0 only if everything ran.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG=$RIG_DIR/run-host-vm
ALL_TESTS=(exit_status virtio_modules extra_module kernel_warning kmsg_warning no_false_alarm
           check_log timeout panic ivshmem usage cache)

KEEP=0
TESTS=()
while [ $# -gt 0 ]; do
    case $1 in
        --keep) KEEP=1 ;;
        --list) printf '%s\n' "${ALL_TESTS[@]}"; exit 0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "selftest.sh: unknown option '$1'" >&2; exit 2 ;;
        *) TESTS+=("$1") ;;
    esac
    shift
done
[ ${#TESTS[@]} -gt 0 ] || TESTS=("${ALL_TESTS[@]}")

T=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-rig-selftest.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    if [ "$KEEP" = 1 ]; then echo "selftest files kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

PASS=0 FAIL=0 SKIP=0
pass() { echo "PASS: $CUR: $*"; PASS=$((PASS + 1)); }
fail() {
    echo "FAIL: $CUR: $*"; FAIL=$((FAIL + 1))
    if [ -n "${OUT:-}" ] && [ -f "$OUT" ]; then sed 's/^/    | /' "$OUT" | tail -n 15; fi
}
skip() { echo "SKIP: $CUR: $*"; SKIP=$((SKIP + 1)); }

# rig NAME ARGS...: run the rig quietly with its log in $T/NAME.log; sets RC, OUT, LOG.
rig() {
    local name=$1; shift
    OUT=$T/$name.out LOG=$T/$name.log
    RC=0
    "$RIG" -q --timeout 180 --log "$LOG" "$@" >"$OUT" 2>&1 || RC=$?
}
expect_rc() { # WANT WHAT
    if [ "$RC" = "$1" ]; then pass "$2 (exit $RC)"; else fail "$2: expected exit $1, got $RC"; fi
}
in_log() { grep -aq -- "$1" "$LOG"; }
in_out() { grep -aq -- "$1" "$OUT"; }

# The test module, built once out of tree (in $T) against the VM kernel's headers.
KVER=${VMSG_RIG_KVER:-$(find /lib/modules -maxdepth 1 -name '6.1.0-*-amd64' -printf '%f\n' | sort -V | tail -n1)}
MOD=""
build_module() {
    [ -z "$MOD" ] || return 0
    local b=/lib/modules/$KVER/build
    if [ ! -d "$b" ]; then
        echo "note: no kernel headers in $b (apt-get install linux-headers-amd64)"
        return 1
    fi
    mkdir -p "$T/mod"
    cp "$RIG_DIR/selftest-mod/vmsg_rig_selftest.c" "$RIG_DIR/selftest-mod/Kbuild" "$T/mod/"
    if ! make -s -C "$b" M="$T/mod" modules >"$T/mod/build.log" 2>&1; then
        echo "note: building the test module failed:"; tail -n 20 "$T/mod/build.log"
        return 1
    fi
    MOD=$T/mod/vmsg_rig_selftest.ko
}

t_exit_status() {
    local word="hello-from-the-rig-$$"
    printf '#!/bin/sh\necho "%s"\nexit 3\n' "$word" >"$T/exit3.sh"
    rig exit3 --script "$T/exit3.sh"
    expect_rc 3 "script status is passed through"
    if in_log "$word"; then pass "script output is in the console log"; else fail "'$word' not in $LOG"; fi
    if in_out 'rig: booted in [0-9.]* s'; then
        pass "boot time printed: $(grep -ao 'booted in [0-9.]* s' "$OUT")"
    else
        fail "no 'booted in' line"
    fi
}

t_virtio_modules() {
    cat >"$T/virtio.sh" <<'EOF'
set -e
for m in virtio_net virtio_blk virtio_console virtio-rng ext4; do
    modprobe "$m"
    [ -d "/sys/module/$(echo "$m" | tr - _)" ] || { echo "module $m is not loaded"; exit 1; }
done
for m in virtio virtio_ring net_failover failover jbd2 mbcache; do
    [ -d "/sys/module/$m" ] || { echo "dependency $m is not loaded"; exit 1; }
done
echo VIRTIO-MODULES-OK
EOF
    rig virtio --script "$T/virtio.sh"
    expect_rc 0 "modprobe of the virtio modules"
    if in_log VIRTIO-MODULES-OK; then pass "virtio modules and dependencies loaded"; else fail "modules check did not complete"; fi
}

t_extra_module() {
    build_module || { skip "no test module"; return; }
    cat >"$T/extra.sh" <<'EOF'
set -e
modprobe vmsg_rig_selftest
grep -q '^vmsg_rig_selftest ' /proc/modules
grep -q '^virtio .*vmsg_rig_selftest' /proc/modules
rmmod vmsg_rig_selftest
ls /lib/modules/*/extra/
echo EXTRA-MODULE-OK
EOF
    rig extra --modules "$MOD" --script "$T/extra.sh"
    expect_rc 0 "extra module loads with modprobe"
    if in_log EXTRA-MODULE-OK; then pass "its virtio dependency was loaded first"; else fail "extra module check did not complete"; fi
}

t_kernel_warning() {
    build_module || { skip "no test module"; return; }
    rig warn --modules "$MOD" --cmd 'modprobe vmsg_rig_selftest warn=1; echo SCRIPT-DONE; exit 0'
    expect_rc 121 "a kernel WARNING fails a successful script"
    if in_log SCRIPT-DONE && in_out 'kernel problem' && in_out 'WARNING: CPU'; then
        pass "the WARNING line is reported"
    else
        fail "WARNING not reported as expected"
    fi
}

t_kmsg_warning() {
    rig kmsg --cmd 'echo "<4>WARNING: CPU: 0 PID: 1 at rig-selftest (injected through /dev/kmsg)" >/dev/kmsg; exit 0'
    expect_rc 121 "a WARNING in the kernel log fails the run"
}

t_no_false_alarm() {
    rig plain --cmd 'echo "WARNING: just text"; echo "BUG: also text, Oops, Kernel panic"; exit 0'
    expect_rc 0 "script output that looks like a splat is not a kernel problem"
}

t_check_log() {
    local clean="$T/clean.log" n=0 bad=0 line
    printf '%s\n' "[    0.000000] Linux version 6.1.0" "WARNING: printed by a script" \
        "[    1.000000] virtio_net virtio0 eth0: renamed" >"$clean"
    if "$RIG" --check-log "$clean" >/dev/null 2>&1; then
        pass "clean log accepted"
    else
        fail "clean log rejected"
    fi
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        { cat "$clean"; printf '%s\r\n' "$line"; } >"$T/splat$n.log"
        local rc=0
        "$RIG" --check-log "$T/splat$n.log" >/dev/null 2>&1 || rc=$?
        if [ "$rc" != 121 ]; then
            fail "not detected (exit $rc): $line"; bad=1
        fi
    done <<'EOF'
[    2.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    2.000002] WARNING: CPU: 1 PID: 42 at drivers/virtio/virtio_ring.c:2011 vring_foo+0x1/0x2
[    2.000003] Oops: 0002 [#1] PREEMPT SMP NOPTI
[    2.000004] kernel BUG at mm/slub.c:123!
[    2.000005] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1]
[    2.000006] Kernel panic - not syncing: Fatal exception
[    2.000007] WARNING: possible circular locking dependency detected
[    2.000008] BUG: KASAN: slab-use-after-free in vmsg_rx+0x10/0x20
[    2.000009] UBSAN: shift-out-of-bounds in drivers/vmsg/ring.c:10:5
[    2.000010] INFO: task kworker/0:1:12 blocked for more than 120 seconds.
[    2.000011] rcu: INFO: rcu_preempt self-detected stall on CPU
[    2.000012] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580
[    2.000013] refcount_t: underflow; use-after-free.
some script output[    2.000014] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1
[    2.000015] BUG: KFENCE: out-of-bounds read in vmsg_foo+0x1/0x2
[    2.000016] DEBUG_LOCKS_WARN_ON(1)
EOF
    [ "$bad" = 1 ] || pass "all $n splat kinds detected"
    local rc=0
    "$RIG" --check-log "$T/splat1.log" --allow 'NULL pointer' >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then pass "--allow filters a known line"; else fail "--allow did not filter (exit $rc)"; fi
}

t_timeout() {
    local t0=$SECONDS
    OUT=$T/timeout.out LOG=$T/timeout.log RC=0
    "$RIG" -q --timeout 15 --log "$LOG" --cmd 'echo SLEEPING; sleep 600' >"$OUT" 2>&1 || RC=$?
    expect_rc 124 "hanging script times out"
    if [ $((SECONDS - t0)) -lt 45 ]; then pass "stopped in $((SECONDS - t0)) s"; else fail "took $((SECONDS - t0)) s"; fi
}

t_panic() {
    rig panic --cmd 'echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger; sleep 30'
    expect_rc 122 "kernel panic: no exit marker"
    if in_out 'Kernel panic'; then pass "the panic is reported"; else fail "panic not reported"; fi
}

t_ivshmem() {
    local sock=$T/ivs.sock shm=$T/card-shm ram=/dev/shm/vmsg-rig-selftest-$$ qmp=$T/qmp.sock
    local word="RAM-VISIBLE-$$-$RANDOM"
    # A plain ivshmem server without a card (common/ivshmem).
    local srv="" c
    for c in "$RIG_DIR/../../build-check/gcc/common/vmsg-ivshmem-server" \
        "$RIG_DIR/../../build/common/vmsg-ivshmem-server"; do
        [ -x "$c" ] && { srv=$c; break; }
    done
    [ -n "$srv" ] || { fail "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"; return; }
    (exec "$srv" --socket "$sock" --shm-path "$shm" \
        --shm-size $((1 << 20)) --vectors 4 2>"$T/server.log") &
    SERVER_PID=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    [ -S "$sock" ] || { fail "vmsg-ivshmem-server did not start"; cat "$T/server.log"; return; }

    local mods=() autoload=0
    if build_module; then mods=(--modules "$MOD"); autoload=1; fi
    cat >"$T/ivshmem.sh" <<EOF
AUTOLOAD=$autoload
WORD=$word
EOF
    cat >>"$T/ivshmem.sh" <<'EOF'
dev=""
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] && dev=$d
done
[ -n "$dev" ] || { echo "no ivshmem device"; exit 1; }
echo "card at ${dev##*/}"
# MSI-X table size from the config space capability list.
cfg=$dev/config
ptr=$(od -An -tu1 -j52 -N1 "$cfg" | tr -d ' ')
while [ "$ptr" -ne 0 ]; do
    id=$(od -An -tu1 -j"$ptr" -N1 "$cfg" | tr -d ' ')
    if [ "$id" -eq 17 ]; then
        mc=$(od -An -tu2 -j$((ptr + 2)) -N2 "$cfg" | tr -d ' ')
        echo "msix_vectors=$(( (mc & 0x7ff) + 1 ))"
    fi
    ptr=$(od -An -tu1 -j$((ptr + 1)) -N1 "$cfg" | tr -d ' ')
done
bar2=$(sed -n 3p "$dev/resource")
set -- $bar2
echo "bar2_size=$(( $2 - $1 + 1 ))"
echo 1 >"$dev/enable"
devmem "$1" 32 0x5a5aa5a5
echo "bar2_readback=$(devmem "$1" 32)"
if [ "$AUTOLOAD" = 1 ]; then
    echo add >"$dev/uevent"
    i=0
    while [ ! -d /sys/module/vmsg_rig_selftest ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -d /sys/module/vmsg_rig_selftest ] && echo AUTOLOAD-OK
fi
echo "$WORD" >/tmp/ram-word
echo RIG-SELFTEST-READY-FOR-UNPLUG
i=0
while [ -e "$dev" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dev" ] || echo CARD-UNPLUGGED
exit 0
EOF
    OUT=$T/ivshmem.out LOG=$T/ivshmem.log RC=0
    "$RIG" -q --timeout 180 --log "$LOG" --script "$T/ivshmem.sh" ${mods[@]+"${mods[@]}"} \
        --ivshmem-socket "$sock" --ivshmem-vectors 4 --mem-path "$ram" --mem 256M \
        --qmp "$qmp" >"$OUT" 2>&1 &
    local rig_pid=$! ready=0
    for _ in $(seq 1200); do
        if grep -aq RIG-SELFTEST-READY-FOR-UNPLUG "$LOG" 2>/dev/null; then ready=1; break; fi
        kill -0 "$rig_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$ready" = 1 ]; then
        if grep -aq "$word" "$ram"; then pass "guest RAM is visible in --mem-path file"; else fail "'$word' not found in $ram"; fi
        if grep -q '^mem_bytes=268435456$' "$ram.layout" && grep -q '^range=0x0 0x0 0x10000000$' "$ram.layout"; then
            pass "$ram.layout describes the RAM"
        else
            fail "bad $ram.layout: $(cat "$ram.layout" 2>&1)"
        fi
        python3 - "$qmp" >"$T/qmp.out" 2>&1 <<'EOF' || fail "QMP device_del failed: $(cat "$T/qmp.out")"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline())
def cmd(name, **args):
    msg = {"execute": name}
    if args:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
cmd("qmp_capabilities")
r = cmd("device_del", id="vmsgcard")
print(r)
sys.exit(1 if "error" in r else 0)
EOF
    else
        fail "the guest never got ready"
    fi
    wait "$rig_pid" || RC=$?
    expect_rc 0 "VM with ivshmem-doorbell and shared RAM"
    if in_log 'msix_vectors=4'; then pass "ivshmem-doorbell has 4 MSI-X vectors"; else fail "MSI-X vectors not 4"; fi
    if in_log "bar2_size=$((1 << 20))"; then pass "BAR2 is the server's 1 MiB shared memory"; else fail "BAR2 size wrong"; fi
    if [ "$(od -An -tx4 -N4 "$shm" | tr -d ' ')" = 5a5aa5a5 ]; then
        pass "a guest write to BAR2 reached the server's shared memory"
    else
        fail "BAR2 write not seen in $shm"
    fi
    if [ "$autoload" = 1 ]; then
        if in_log AUTOLOAD-OK; then pass "driver autoloaded by modalias"; else fail "modalias autoload did not happen"; fi
    else
        skip "autoload (no test module)"
    fi
    if in_log CARD-UNPLUGGED; then pass "QMP device_del hot-unplugged the card"; else fail "card not unplugged"; fi
    if [ ! -e "$ram" ] && [ ! -e "$ram.layout" ]; then pass "RAM file removed at exit"; else fail "$ram left behind"; rm -f "$ram" "$ram.layout"; fi
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

t_usage() {
    local rc=0
    "$RIG" --help >"$T/help.out" 2>&1 || rc=$?
    if [ "$rc" = 0 ] && grep -q 'EXIT STATUS' "$T/help.out"; then pass "--help"; else fail "--help (exit $rc)"; fi
    rc=0; "$RIG" --no-such-option >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 125 ]; then pass "unknown option gives 125"; else fail "unknown option gave $rc"; fi
    rc=0; "$RIG" --script "$T/does-not-exist.sh" >"$T/nofile.out" 2>&1 || rc=$?
    if [ "$rc" = 125 ] && grep -q 'not found' "$T/nofile.out"; then pass "missing script gives 125"; else fail "missing script gave $rc"; fi
    rc=0; "$RIG" --ivshmem-socket "$T/no.sock" >"$T/nosock.out" 2>&1 || rc=$?
    if [ "$rc" = 125 ] && grep -q 'ivshmem server' "$T/nosock.out"; then pass "missing ivshmem socket gives 125"; else fail "missing socket gave $rc"; fi
}

t_cache() {
    "$RIG" --build-only >/dev/null 2>&1 || true
    local out
    out=$("$RIG" --build-only 2>&1) || { fail "--build-only failed: $out"; return; }
    if echo "$out" | grep -q 'building base'; then fail "base image rebuilt without changes"; else pass "base image reused"; fi
}

for CUR in "${TESTS[@]}"; do
    case " ${ALL_TESTS[*]} " in
        *" $CUR "*) ;;
        *) echo "selftest.sh: unknown test '$CUR' (see --list)" >&2; exit 2 ;;
    esac
    echo "=== $CUR"
    OUT=""
    "t_$CUR"
done

echo
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ] || exit 1
if [ "$SKIP" != 0 ]; then
    echo "SKIP: $SKIP check(s) did not run (see the SKIP lines above)"
    exit 77
fi
exit 0
