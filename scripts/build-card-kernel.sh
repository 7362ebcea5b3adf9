#!/usr/bin/env bash
# scripts/build-card-kernel.sh [--arch x86_64|arm64] [--print-kdir|--print-image|--print-make-args]
#
# Build (or reuse) the card VM kernel of the card-VM rig (tests/rig/run-card-vm):
# Debian's /usr/src/linux-source-6.1.tar.xz, `make tinyconfig`, the fragments
# tests/rig/card-kernel/card-common.config and card-<arch>.config merged over
# it, then olddefconfig; the
# virtual endpoint controller (tests/rig/card-kernel/pcie-vmsg-ivshmem-ep.c) is
# copied into drivers/pci/controller/ with its Kconfig entry. Fails, listing
# them, when fragment options did not survive olddefconfig.
#
# Cache: ~/.cache/vmsg-pcie/card-kernel/<arch>-<key>/ (VMSG_CACHE overrides the
# ~/.cache/vmsg-pcie root), key = sha256 of the dpkg version of linux-source-6.1,
# the fragments, the controller's sources and this script. It holds
#   src/          the source tree (hard links into the pristine tree of that
#                 Debian version, the controller files are real copies)
#   src/build/    the O= build dir = KDIR: make -C <KDIR> M=<dir> modules
#                 (arm64: with ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-,
#                 which --print-make-args prints)
#   bzImage (x86_64) or Image (arm64), vmlinux, .config: the results; `ok`
#                 once the build succeeded
# arm64 is cross-built with Debian's gcc-aarch64-linux-gnu.
# A new key starts from a copy of the newest finished build dir of the same
# arch and source version, so a controller change rebuilds a few objects only
# (a config change that touches a widely used symbol rebuilds most of them).
# The three most recent builds per arch are kept.
#
# Prints the cache contents, the time taken and the paths (image, vmlinux,
# KDIR); --print-kdir / --print-image print only that path (building if
# needed), --print-make-args the make variables for out-of-tree modules
# (ARCH=..., CROSS_COMPILE=... for arm64). Builds of one arch are serialized
# with flock (.lock-ARCH; the two arches do not wait for each other, the
# shared source extraction has its own lock); make runs -j2 under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
prog=build-card-kernel

arch=x86_64
print=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=${2:?--arch needs a value}; shift 2 ;;
	--arch=*) arch=${1#--arch=}; shift ;;
	--print-kdir) print=kdir; shift ;;
	--print-image) print=image; shift ;;
	--print-make-args) print=make-args; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
# karch: the kernel's ARCH; image: make target and its path in the build dir.
case $arch in
x86_64 | amd64)
	arch=x86_64 karch=x86_64 cross='' image=bzImage
	image_path=arch/x86/boot/bzImage
	;;
arm64 | aarch64)
	arch=arm64 karch=arm64 cross=aarch64-linux-gnu- image=Image
	image_path=arch/arm64/boot/Image
	;;
*) echo "$prog: unsupported --arch '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
esac
make_args=("ARCH=$karch")
[ -z "$cross" ] || make_args+=("CROSS_COMPILE=$cross")
if [ "$print" = make-args ]; then
	echo "${make_args[*]}"
	exit 0
fi

say() { if [ -n "$print" ]; then echo "$prog: $*" >&2; else echo "$prog: $*"; fi; }
die() { echo "$prog: error: $*" >&2; exit 1; }

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.1 (make deps)"
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed as a package (make deps)"
frags=(tests/rig/card-kernel/card-common.config "tests/rig/card-kernel/card-$arch.config")
ctl_dir=tests/rig/card-kernel
ctl_files=(pcie-vmsg-ivshmem-ep.c Kconfig.vmsg)
ctl_hdrs=(vmsg_pcie.h vmsg_types.h virtio_msg.h) # struct vmsg_emu_page and its includes
for f in "${frags[@]}" "${ctl_files[@]/#/$ctl_dir/}"; do
	[ -f "$f" ] || die "$f missing"
done
if [ -n "$cross" ]; then
	command -v "${cross}gcc" >/dev/null ||
		die "${cross}gcc missing: apt-get install gcc-aarch64-linux-gnu (make deps)"
fi

key=$({
	echo "linux-source-6.1 $srcver"
	sha256sum "${frags[@]}" "${ctl_files[@]/#/$ctl_dir/}" "${ctl_hdrs[@]/#/fw_shared/include/}" \
		scripts/build-card-kernel.sh | cut -d' ' -f1
} | sha256sum | cut -c1-16)

root=${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}/card-kernel
dir=$root/$arch-$key
kdir=$dir/src/build
mkdir -p "$root"

report() {
	if [ "$print" = kdir ]; then
		echo "$kdir"
	elif [ "$print" = image ]; then
		echo "$dir/$image"
	else
		say "cache $dir: $(du -sh "$dir" 2>/dev/null | cut -f1) ($(cd "$dir" && echo *))"
		say "$image $dir/$image"
		if [ "$arch" = x86_64 ]; then
			say "vmlinux $dir/vmlinux (PVH entry)"
		else
			say "vmlinux $dir/vmlinux"
		fi
		say "KDIR    $kdir  (make -C \$KDIR ${make_args[*]} M=<dir> modules)"
		say "release $(cat "$kdir/include/config/kernel.release")"
	fi
}

if [ -f "$dir/ok" ]; then
	say "cached ($arch-$key), nothing to build"
	report
	exit 0
fi

exec 9>"$root/.lock-$arch"
if ! flock -n 9; then
	say "waiting for another $arch card kernel build (flock $root/.lock-$arch)"
	flock 9
fi
if [ -f "$dir/ok" ]; then
	say "built meanwhile by another run"
	report
	exit 0
fi

t0=$(date +%s)
pristine=$root/src-$srcver
exec 8>"$root/.lock-src"
flock 8
if [ ! -f "$pristine/.ok" ]; then
	say "extracting $tarball ($srcver)"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	nice tar -C "$pristine.tmp" -xf "$tarball"
	mv "$pristine.tmp/linux-source-6.1" "$pristine"
	rmdir "$pristine.tmp"
	touch "$pristine/.ok"
fi
flock -u 8
exec 8>&-

# A new key: fresh source links, the controller files copied in (real files:
# never write through a hard link into the pristine tree).
rm -rf "$dir"
mkdir -p "$dir"
say "source tree $dir/src (links into $pristine)"
cp -al "$pristine" "$dir/src"
rm -f "$dir/src/.ok"
ctl_dst=$dir/src/drivers/pci/controller
install -m 0644 "$ctl_dir/pcie-vmsg-ivshmem-ep.c" "$ctl_dst/pcie-vmsg-ivshmem-ep.c"
install -m 0644 "$ctl_dir/Kconfig.vmsg" "$ctl_dst/Kconfig.vmsg"
mkdir -p "$ctl_dst/vmsg-include"
for h in "${ctl_hdrs[@]}"; do
	install -m 0644 "fw_shared/include/$h" "$ctl_dst/vmsg-include/$h"
done
# Kconfig: source our entry before the menu's last endmenu; Makefile: one line.
for f in Kconfig Makefile; do
	cp --remove-destination "$ctl_dst/$f" "$ctl_dst/$f.new"
	mv "$ctl_dst/$f.new" "$ctl_dst/$f"
done
awk -v inc='source "drivers/pci/controller/Kconfig.vmsg"' \
	'{ l[NR] = $0 } /^endmenu/ { last = NR }
	 END { for (i = 1; i <= NR; i++) { if (i == last) print inc; print l[i] } }' \
	"$ctl_dst/Kconfig" >"$ctl_dst/Kconfig.tmp"
mv "$ctl_dst/Kconfig.tmp" "$ctl_dst/Kconfig"
grep -q 'Kconfig.vmsg' "$ctl_dst/Kconfig" || die "could not hook Kconfig.vmsg into $ctl_dst/Kconfig"
# shellcheck disable=SC2016 # a make variable
echo 'obj-$(CONFIG_PCIE_VMSG_IVSHMEM_EP) += pcie-vmsg-ivshmem-ep.o' >>"$ctl_dst/Makefile"

# Seed the build dir from the newest finished build of this arch and source
# version (Kbuild rebuilds what the new config and sources change).
seed=
while read -r d; do
	if [ -f "$d/ok" ] && [ "$(cat "$d/srcver" 2>/dev/null)" = "$srcver" ]; then
		seed=$d
		break
	fi
done < <(find "$root" -mindepth 1 -maxdepth 1 -name "$arch-*" -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
if [ -n "$seed" ]; then
	say "seeding the build dir from $(basename "$seed")"
	cp -a "$seed/src/build" "$kdir"
	# The kernel's own objects use relative paths (srctree = ..), but the
	# tools/ build (objtool) records absolute ones: point them here, or
	# objtool is relinked and with it every object rebuilt.
	grep -rlI --exclude='*.o' --exclude='*.ko' -F "$seed/" "$kdir" |
		xargs -r sed -i "s|$seed/|$dir/|g"
else
	say "cold build (no earlier $arch build of $srcver)"
	mkdir -p "$kdir"
fi
echo "$srcver" >"$dir/srcver"

m() { nice make -s -C "$dir/src" O=build "${make_args[@]}" "$@"; }
# kbuild puts relative paths (srctree = ..) in an O= dir directly below the
# source: the build dir is relocatable, which the seeding relies on.
m tinyconfig >/dev/null
(cd "$dir/src" && KCONFIG_CONFIG=build/.config nice scripts/kconfig/merge_config.sh \
	-m -O build build/.config "${frags[@]/#/$repo/}" >"$dir/merge.log" 2>&1) ||
	die "merge_config failed: see $dir/merge.log"
m olddefconfig

# Every fragment option must have survived olddefconfig.
missing=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		opt=${line%%=*}
		grep -qx -- "$line" "$kdir/.config" || missing+=("$line (got: $(grep -E "^$opt=|^# $opt is not set" "$kdir/.config" || echo absent))")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		grep -qE "^$opt=" "$kdir/.config" && missing+=("$line (got: $(grep -E "^$opt=" "$kdir/.config"))")
		;;
	esac
done < <(cat "${frags[@]}")
if [ ${#missing[@]} -gt 0 ]; then
	echo "$prog: error: fragment options that did not survive olddefconfig:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

say "building (make -j2 under nice; log $dir/build.log)"
if ! m -j2 "$image" vmlinux modules >"$dir/build.log" 2>&1; then
	tail -40 "$dir/build.log" >&2
	die "kernel build failed: $dir/build.log"
fi
cp "$kdir/$image_path" "$dir/$image"
cp "$kdir/vmlinux" "$dir/vmlinux"
cp "$kdir/.config" "$dir/.config"
t1=$(date +%s)
echo "$((t1 - t0))" >"$dir/build-seconds"
touch "$dir/ok" "$dir"
say "built in $((t1 - t0)) s"
# Keep the three most recent builds of this arch (about 1.5 GB each).
find "$root" -mindepth 1 -maxdepth 1 -name "$arch-*" -printf '%T@ %p\n' | sort -rn |
	tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf --
report
