#!/usr/bin/env bash
# scripts/build-card-kernel.sh [--arch x86_64] [--print-kdir|--print-image] [--quiet]
#
# Build (or reuse) the card VM kernel of the card-VM rig (tests/rig/run-card-vm):
# Debian's /usr/src/linux-source-6.1.tar.xz, `make tinyconfig`, the fragment
# tests/rig/card-kernel/card-<arch>.config merged over it, then olddefconfig; the
# virtual endpoint controller (tests/rig/card-kernel/pcie-vmsg-ivshmem-ep.c) is
# copied into drivers/pci/controller/ with its Kconfig entry. Fails, listing
# them, when fragment options did not survive olddefconfig.
#
# Cache: ~/.cache/vmsg-pcie/card-kernel/<arch>-<key>/ (VMSG_CACHE overrides the
# ~/.cache/vmsg-pcie root), key = sha256 of the dpkg version of linux-source-6.1,
# the fragment, the controller's sources and this script. It holds
#   src/          the source tree (hard links into the pristine tree of that
#                 Debian version, the controller files are real copies)
#   src/build/    the O= build dir = KDIR: make -C <KDIR> M=<dir> modules
#   bzImage vmlinux .config   the results; `ok` once the build succeeded
# A new key starts from a copy of the newest finished build dir of the same
# arch and source version, so a controller change rebuilds a few objects only
# (a config change that touches a widely used symbol rebuilds most of them).
# The three most recent builds per arch are kept.
#
# Prints the cache contents, the time taken and the paths (bzImage, vmlinux,
# KDIR); --print-kdir / --print-image print only that path (building if
# needed). Builds are serialized with flock; make runs -j2 under nice.
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
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case $arch in
x86_64 | amd64) arch=x86_64 ;;
arm64 | aarch64)
	echo "$prog: arm64 card kernel: not yet (issue 9); only x86_64 is built" >&2
	exit 2
	;;
*) echo "$prog: unsupported --arch '$arch' (x86_64; arm64 is issue 9)" >&2; exit 2 ;;
esac

say() { if [ -n "$print" ]; then echo "$prog: $*" >&2; else echo "$prog: $*"; fi; }
die() { echo "$prog: error: $*" >&2; exit 1; }

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.1 (make deps)"
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed as a package (make deps)"
frag=tests/rig/card-kernel/card-$arch.config
ctl_dir=tests/rig/card-kernel
ctl_files=(pcie-vmsg-ivshmem-ep.c Kconfig.vmsg)
ctl_hdrs=(vmsg_pcie.h vmsg_types.h virtio_msg.h) # struct vmsg_emu_page and its includes
for f in "$frag" "${ctl_files[@]/#/$ctl_dir/}"; do
	[ -f "$f" ] || die "$f missing"
done

key=$({
	echo "linux-source-6.1 $srcver"
	sha256sum "$frag" "${ctl_files[@]/#/$ctl_dir/}" "${ctl_hdrs[@]/#/fw_shared/include/}" \
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
		echo "$dir/bzImage"
	else
		say "cache $dir: $(du -sh "$dir" 2>/dev/null | cut -f1) ($(cd "$dir" && echo *))"
		say "bzImage $dir/bzImage"
		say "vmlinux $dir/vmlinux (PVH entry)"
		say "KDIR    $kdir  (make -C \$KDIR M=<dir> modules)"
		say "release $(cat "$kdir/include/config/kernel.release")"
	fi
}

if [ -f "$dir/ok" ]; then
	say "cached ($arch-$key), nothing to build"
	report
	exit 0
fi

exec 9>"$root/.lock"
if ! flock -n 9; then
	say "waiting for another card kernel build (flock $root/.lock)"
	flock 9
fi
if [ -f "$dir/ok" ]; then
	say "built meanwhile by another run"
	report
	exit 0
fi

t0=$(date +%s)
pristine=$root/src-$srcver
if [ ! -f "$pristine/.ok" ]; then
	say "extracting $tarball ($srcver)"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	nice tar -C "$pristine.tmp" -xf "$tarball"
	mv "$pristine.tmp/linux-source-6.1" "$pristine"
	rmdir "$pristine.tmp"
	touch "$pristine/.ok"
fi

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

m() { nice make -s -C "$dir/src" O=build ARCH=x86_64 "$@"; }
# kbuild puts relative paths (srctree = ..) in an O= dir directly below the
# source: the build dir is relocatable, which the seeding relies on.
m tinyconfig >/dev/null
(cd "$dir/src" && KCONFIG_CONFIG=build/.config nice scripts/kconfig/merge_config.sh \
	-m -O build build/.config "$repo/$frag" >"$dir/merge.log" 2>&1) ||
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
done <"$frag"
if [ ${#missing[@]} -gt 0 ]; then
	echo "$prog: error: fragment options that did not survive olddefconfig:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

say "building (make -j2 under nice; log $dir/build.log)"
if ! m -j2 bzImage vmlinux modules >"$dir/build.log" 2>&1; then
	tail -40 "$dir/build.log" >&2
	die "kernel build failed: $dir/build.log"
fi
cp "$kdir/arch/x86/boot/bzImage" "$dir/bzImage"
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
