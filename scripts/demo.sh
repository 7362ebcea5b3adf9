#!/usr/bin/env bash
# scripts/demo.sh - the main job (`make demo`): the emulated card end to end,
# no hardware needed.
#   Part 1: the card daemon (vmsg-card --platform sim) offers net (loopback),
#           blk (a 64 MiB image), rng and console; the host side in user space
#           (libvmsg_host, vmsg-host-demo) attaches, enumerates and does I/O.
#   Part 2: a QEMU q35 VM with Debian's kernel, the project's host modules and
#           the stock virtio drivers, over the same emulated card
#           (scripts/demo-vm.sh; needs root; builds the modules for the VM's
#           kernel when host_driver/*.ko are missing or not for it).
#   Part 3: two VMs: an Arm (aarch64) card VM running pci-epf-vmsg.ko on the
#           Linux PCI endpoint framework (configfs steps shown) and the
#           cross-built vmsg-card --platform epf, and an x86 host VM pinging
#           into it and making a file system on its disk (scripts/demo-pair.sh;
#           builds the arm64 card kernel once; CARD_ARCH=x86_64 for an x86 card).
# Ctrl-C stops it at any point and leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
b=${VMSG_BUILD:-$top/build}

# Bold headings on a terminal only: no escape codes in a redirected log.
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

say "Building user space (meson, $b)"
[ -f "$b/build.ninja" ] || meson setup "$b" --buildtype=debugoptimized >/dev/null
ninja -C "$b" >/dev/null
card=$b/ep_function/card/vmsg-card
hostdemo=$b/userspace_pmd/tools/vmsg-host-demo
for x in "$card" "$hostdemo"; do
	[ -x "$x" ] || { echo "demo: $x was not built" >&2; exit 1; }
done
# Part 3's Arm card: the card side cross-built for aarch64.
ba=${VMSG_BUILD_AARCH64:-$top/build-aarch64}
say "Building the card side for aarch64 (meson cross build, $ba)"
[ -f "$ba/build.ninja" ] || meson setup "$ba" --cross-file scripts/cross-aarch64.ini \
	-Dcard_only=true --buildtype=debugoptimized >/dev/null
ninja -C "$ba" >/dev/null
card_aarch64=$ba/ep_function/card/vmsg-card
[ -x "$card_aarch64" ] || { echo "demo: $card_aarch64 was not built" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vmsg-demo.XXXXXX)
card_pid=
# shellcheck disable=SC2317 # called through trap
cleanup() {
	set +e # runs on every exit: a card that is already gone is no error
	if [ -n "$card_pid" ]; then
		kill "$card_pid" 2>/dev/null
		wait "$card_pid" 2>/dev/null
		card_pid=
	fi
	rm -rf "$tmp"
	[ -z "$stopped" ] || echo "demo: cleaned up: card stopped, $tmp removed"
}
stopped=
trap cleanup EXIT
# shellcheck disable=SC2317 # called through trap
interrupted() {
	trap '' INT TERM
	stopped=$1
	echo
	echo "demo: interrupted ($1)"
	exit 130
}
trap 'interrupted SIGINT' INT
trap 'interrupted SIGTERM' TERM

say "Part 1: the card in software, driven from the host in user space"
truncate -s 64M "$tmp/disk.img"
echo "\$ vmsg-card --platform sim --link $tmp/link --host-mem $tmp/hostmem \\"
echo "      --net loopback --blk $tmp/disk.img --rng --console pty"
mkdir -p "$tmp/link"
"$card" --platform sim --link "$tmp/link" --host-mem "$tmp/hostmem" \
	--net loopback --blk "$tmp/disk.img" --rng --console pty \
	>"$tmp/card.log" 2>&1 &
card_pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/link/ivshmem.sock" ] && [ -S "$tmp/link/ctl.sock" ] && break
	kill -0 "$card_pid" 2>/dev/null || { cat "$tmp/card.log"; exit 1; }
	sleep 0.1
done
echo "\$ vmsg-card ctl list"
"$card" ctl --link "$tmp/link" list
echo "\$ vmsg-host-demo --link $tmp/link --host-mem $tmp/hostmem"
"$hostdemo" --link "$tmp/link" --host-mem "$tmp/hostmem" --blk-mib 16 --frames 2000
echo "\$ vmsg-card ctl stats"
"$card" ctl --link "$tmp/link" stats
kill -TERM "$card_pid"
wait "$card_pid" || true
card_pid=
echo "card log (tail):"
tail -n 5 "$tmp/card.log" | sed 's/^/    /'
# Part 1 is over: nothing of it is left for part 2 (which cleans up its own).
rm -rf "$tmp"

say "Part 2: stock Linux virtio drivers in a QEMU VM over the emulated PCIe card"
# A child, not exec: this shell's traps stay in force until the end. On
# Ctrl-C the child stops its VM and card, cleans up and says "interrupted".
trap 'exit 130' INT TERM
VMSG_CARD=$card scripts/demo-vm.sh && rc=0 || rc=$?
if [ "$rc" != 0 ]; then
	[ "$rc" = 130 ] || say "make demo: FAILED (part 2, status $rc)"
	exit "$rc"
fi

say "Part 3: the card as a PCI endpoint function: a card VM and a host VM"
VMSG_CARD=$card VMSG_CARD_AARCH64=$card_aarch64 CARD_ARCH=${CARD_ARCH:-arm64} scripts/demo-pair.sh &&
	rc=0 || rc=$?
if [ "$rc" = 0 ]; then
	say "make demo: all three parts passed"
elif [ "$rc" != 130 ]; then
	say "make demo: FAILED (part 3, status $rc)"
fi
exit "$rc"
