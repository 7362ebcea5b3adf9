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
	# DPDK PMD (userspace_pmd/net_vmsg) and `vmsg-bench throughput`: Debian's
	# DPDK 22.11 (dpdk-dev ships the stock dpdk-testpmd, which loads the PMD with -d); dpkg-dev for
	# `apt-get source` (scripts/dpdk-sdk.sh); gnuplot for the bench's PNG
	dpdk dpdk-dev libdpdk-dev dpkg-dev gnuplot-nox
	# `vmsg-bench vm`: fio and iperf3 copied into the host VM; the card's asynchronous block I/O
	fio iperf3 liburing-dev
	# the Arm card (issue 9): the card side cross-built for aarch64 (build-aarch64,
	# scripts/cross-aarch64.ini), its unit tests under qemu-user (cmocka for arm64
	# through multiarch: the script adds the arm64 architecture), `file` to check
	# the binaries, the aarch64 card VM (qemu-system-arm has qemu-system-aarch64)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-system-arm file
	libcmocka-dev:arm64
)

# A deb-src entry for Debian's own suites, so scripts/dpdk-sdk.sh can fetch the
# driver-SDK headers of exactly the installed libdpdk-dev (`apt-get source`).
# Derived once from the deb822 file the machine has (same URIs and suites).
SRC_LIST=/etc/apt/sources.list.d/vmsg-pcie-src.sources
SRC_BASE=/etc/apt/sources.list.d/debian.sources

# libcmocka-dev:arm64 (multiarch) needs the arm64 architecture in dpkg.
need_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arch=1

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
need_src=0
[ -e "$SRC_LIST" ] || need_src=1

if [ "${#missing[@]}" -eq 0 ] && [ "$need_src" = 0 ] && [ "$need_arch" = 0 ]; then
	echo "deps: all ${#PKGS[@]} Debian packages already installed (and the deb-src entry)"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	[ "$need_src" = 1 ] && missing+=("(deb-src entry $SRC_LIST)")
	[ "$need_arch" = 1 ] && missing+=("(dpkg architecture arm64)")
	echo "deps: missing: ${missing[*]}" >&2
	exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$need_src" = 1 ]; then
	if [ -r "$SRC_BASE" ]; then
		# Keep the Debian stanzas (URIs/Suites/Components/Signed-By), type deb-src.
		src=$(awk 'BEGIN{RS=""; ORS="\n\n"} /URIs: *https?:[^ ]*debian/ {sub(/Types: *deb[^\n]*/, "Types: deb-src"); print}' \
			"$SRC_BASE" | grep -v '^#' || true)
		if grep -q '^Types: deb-src' <<<"$src"; then
			printf '%s\n' "$src" | $SUDO tee "$SRC_LIST" >/dev/null
			echo "deps: added $SRC_LIST (deb-src, for the DPDK driver-SDK headers)"
		else
			echo "deps: cannot derive a deb-src entry from $SRC_BASE; add one for bookworm by hand" >&2
		fi
	else
		echo "deps: no $SRC_BASE; add a deb-src entry for bookworm by hand (scripts/dpdk-sdk.sh needs it)" >&2
	fi
fi
if [ "$need_arch" = 1 ]; then
	$SUDO dpkg --add-architecture arm64
	echo "deps: added the arm64 architecture (dpkg --add-architecture, for libcmocka-dev:arm64)"
fi
$SUDO apt-get update -q
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "deps: done"
