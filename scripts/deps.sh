#!/usr/bin/env bash
# scripts/deps.sh - install every Debian package vmsg-pcie needs (idempotent).
#
# Usage: scripts/deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is.
# Runs apt-get as root, or through sudo otherwise. Says what it installs.
set -euo pipefail

# One list, grouped by what needs it.
PKGS=(
	# user-space build and tests
	build-essential meson ninja-build pkg-config libcmocka-dev
	clang llvm libclang-rt-14-dev clang-format
	# kernel modules (Kbuild against Debian 12's 6.1 headers) and checkpatch
	linux-headers-amd64 kmod perl linux-source-6.1 xz-utils
	# card VM kernel (scripts/build-card-kernel.sh): kconfig and the kernel build
	flex bison bc libelf-dev libssl-dev
	# QEMU rig: host VM kernel, emulator, initramfs, in-VM tools
	linux-image-amd64 qemu-system-x86 busybox-static cpio e2fsprogs
	# card daemon and bench: network namespaces, tap, libpci, pci.ids
	iproute2 iputils-ping libpci-dev pciutils pci.ids python3
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} Debian packages already installed"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "deps: missing: ${missing[*]}" >&2
	exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
echo "deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
