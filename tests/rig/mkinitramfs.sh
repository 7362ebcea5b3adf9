#!/bin/bash
# mkinitramfs.sh - build the busybox initramfs used by tests/rig/run-host-vm.
#
# Two sub-commands:
#
#   mkinitramfs.sh base --kver KVER --cache DIR [--stock-modules 'm1 m2'] [--force]
#                       [--kernel-tree KDIR] [--arch x86_64|arm64]
#       Build (or reuse) the cached base image: busybox + applet links, /init, the
#       stock Debian modules named below with all their dependencies, and modules.dep
#       etc. so that `modprobe` works inside the VM. With --kernel-tree KDIR (a kernel
#       build dir, e.g. the card VM kernel of scripts/build-card-kernel.sh) the kernel
#       is that one: no stock modules (it has what it needs built in), its
#       modules.builtin* and modules.order instead. --arch arm64 (with --kernel-tree:
#       the aarch64 card VM) takes busybox from Debian's busybox-static:arm64,
#       fetched once with `apt-get download` into DIR/busybox-arm64-VERSION/ (it
#       cannot be installed beside the amd64 one). The image is keyed by a sha256
#       over all inputs (this script, the init template, busybox, the kernel version,
#       the module list and every module file), so it is rebuilt whenever one of them
#       changes. Prints the directory of the cached image; it contains
#         initramfs.cpio        the base archive (newc, uncompressed)
#         modtree/              lib/modules/KVER of the archive (used by `overlay`)
#
#   mkinitramfs.sh overlay --kver KVER --base DIR --out FILE [--script FILE]
#                         [--modules 'a.ko b.ko'] [--file SRC[:DEST]]... [--env K=V]...
#       Build the small per-run archive that is appended to the base one: the test
#       script (/rig/script), /rig/env, the project's .ko files in
#       /lib/modules/KVER/extra/ and a modules.dep regenerated with depmod over base +
#       extra modules, plus any extra files (dynamically linked ELF files get their
#       shared libraries too; for an aarch64 file, the loader and libraries of the
#       cross toolchain's sysroot /usr/aarch64-linux-gnu, else multiarch arm64).
#
#   mkinitramfs.sh vmlinux --kver KVER --cache DIR
#       Extract (or reuse) the uncompressed ELF vmlinux of /boot/vmlinuz-KVER; QEMU
#       boots it through its PVH entry point, 2-3 s faster under TCG. Prints its path.
#
# The Linux kernel unpacks concatenated cpio archives in order, later files replacing
# earlier ones, so `cat base/initramfs.cpio overlay.cpio` is the initrd.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=mkinitramfs.sh

# Stock modules always present in the base image (dependencies are added
# automatically by resolving them with modprobe --show-depends).
DEFAULT_STOCK_MODULES="virtio virtio_ring virtio_net net_failover failover virtio_blk
 virtio_console virtio-rng virtio_pci ext4 crc32c_generic crc32c-intel loop tun e1000e
 uio_pci_generic vfio-pci"

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

need_tool() { # need_tool TOOL PACKAGE
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install it: apt-get install $2"
}

# cpio_dev_console OUT: write a newc archive holding /dev and the /dev/console
# character device (5,1), without needing root to mknod it.
cpio_dev_console() {
    local out=$1
    _hdr() { # name mode rdevmajor rdevminor ino
        local name=$1 mode=$2 rmaj=$3 rmin=$4 ino=$5
        local namesize=$(( ${#name} + 1 ))
        printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
            "$ino" "$mode" 0 0 1 0 0 0 0 "$rmaj" "$rmin" "$namesize" 0
        printf '%s\0' "$name"
        # pad header (110 bytes) + name to a multiple of 4
        local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
        head -c "$pad" /dev/zero
    }
    {
        _hdr dev $(( 0040755 )) 0 0 900001
        _hdr dev/console $(( 0020600 )) 5 1 900002
        _hdr 'TRAILER!!!' 0 0 0 0
    } >"$out"
}

# resolve_modules KVER MOD...: print the .ko paths (relative to /lib/modules/KVER)
# of the given modules and their dependencies, soft dependencies included.
resolve_modules() {
    local kver=$1; shift
    local m line out
    for m in "$@"; do
        out=$(modprobe --set-version "$kver" --show-depends --ignore-install "$m" 2>&1) ||
            die "module '$m' not found for kernel $kver: $out"
        while read -r line; do
            case $line in
                insmod\ *)
                    line=${line#insmod }; line=${line%% *}
                    echo "${line#/lib/modules/"$kver"/}" ;;
                builtin\ *) ;;
                *) die "unexpected modprobe output for '$m': $line" ;;
            esac
        done <<<"$out"
    done | sort -u
}

# arm64_busybox CACHE: print the path of a static aarch64 busybox (Debian's
# busybox-static:arm64, downloaded once into CACHE/busybox-arm64-VERSION/).
arm64_busybox() {
    local cache=$1 ver dir tmp deb
    ver=$(apt-cache policy busybox-static:arm64 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        # No arm64 package list: the newest one fetched before, if any.
        dir=$(find "$cache" -maxdepth 1 -name 'busybox-arm64-*' 2>/dev/null | sort -V | tail -n1)
        [ -n "$dir" ] && [ -x "$dir/bin/busybox" ] && { echo "$dir/bin/busybox"; return 0; }
        die "no busybox-static:arm64 in apt's lists: dpkg --add-architecture arm64 && apt-get update (make deps)"
    fi
    dir=$cache/busybox-arm64-${ver//[^A-Za-z0-9.+~-]/_}
    if [ ! -x "$dir/bin/busybox" ]; then
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/.busybox.XXXXXX")
        log "fetching busybox-static:arm64 $ver (apt-get download)"
        (cd "$tmp" && apt-get download -q "busybox-static:arm64=$ver" >/dev/null 2>&1) ||
            { rm -rf "$tmp"; die "apt-get download busybox-static:arm64=$ver failed"; }
        deb=$(find "$tmp" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | head -n1)
        [ -n "$deb" ] || { rm -rf "$tmp"; die "apt-get download gave no busybox-static arm64 .deb"; }
        dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; die "cannot unpack $deb"; }
        [ -f "$tmp/x/bin/busybox" ] || { rm -rf "$tmp"; die "$deb holds no bin/busybox"; }
        rm -rf "$dir"
        mkdir -p "$dir/bin"
        mv "$tmp/x/bin/busybox" "$dir/bin/busybox"
        rm -rf "$tmp"
    fi
    echo "$dir/bin/busybox"
}

cmd_base() {
    local kver="" cache="" stock="$DEFAULT_STOCK_MODULES" force=0 ktree="" extra_stock="" arch=x86_64
    while [ $# -gt 0 ]; do
        case $1 in
            --kver) kver=$2; shift 2 ;;
            --arch) arch=$2; shift 2 ;;
            --cache) cache=$2; shift 2 ;;
            --stock-modules) stock="$stock $2"; extra_stock="$extra_stock $2"; shift 2 ;;
            --kernel-tree) ktree=$2; shift 2 ;;
            --force) force=1; shift ;;
            *) die "base: unknown argument '$1'" ;;
        esac
    done
    [ -n "$kver" ] || die "base: --kver is required"
    [ -n "$cache" ] || die "base: --cache is required"
    case $arch in
        x86_64) ;;
        arm64) [ -n "$ktree" ] || die "base: --arch arm64 needs --kernel-tree (the arm64 card kernel)" ;;
        *) die "base: --arch wants x86_64 or arm64, not '$arch'" ;;
    esac
    local moddir=/lib/modules/$kver
    if [ -n "$ktree" ]; then
        [ -z "${extra_stock// /}" ] || die "base: --stock-modules and --kernel-tree exclude each other"
        stock=""
        moddir=$ktree
        local f
        for f in modules.builtin modules.builtin.modinfo modules.order; do
            [ -f "$ktree/$f" ] || die "$ktree/$f not found: not a built kernel tree (make modules)"
        done
    else
        [ -f "$moddir/modules.dep" ] ||
            die "$moddir/modules.dep not found; install the Debian kernel: apt-get install linux-image-amd64"
    fi
    need_tool cpio cpio
    need_tool depmod kmod
    need_tool modprobe kmod
    need_tool sha256sum coreutils
    local bb bbrun=()
    if [ "$arch" = arm64 ]; then
        need_tool qemu-aarch64 qemu-user # lists the applets of the arm64 busybox
        need_tool file file
        bb=$(arm64_busybox "$cache")
        bbrun=(qemu-aarch64)
        file -L "$bb" | grep -q 'ARM aarch64.*statically linked' ||
            die "$bb is not a static aarch64 busybox: $(file -L "$bb")"
    else
        need_tool busybox busybox-static
        bb=$(command -v busybox)
        # A dynamically linked busybox would need its libraries in the image.
        if ldd "$bb" >/dev/null 2>&1; then
            die "$bb is dynamically linked; install the static one: apt-get install busybox-static"
        fi
    fi

    local mods=""
    # shellcheck disable=SC2086 # word splitting of the module list is intended
    [ -z "${stock// /}" ] || mods=$(resolve_modules "$kver" $stock)

    # Cache key over every input.
    local key
    key=$( {
        echo "rig-base-v1 $kver ${ktree:+tree} $arch"
        sha256sum "$RIG_DIR/mkinitramfs.sh" "$RIG_DIR/init" "$bb" | awk '{print $1}'
        local f
        for f in $mods modules.builtin modules.builtin.modinfo modules.order; do
            printf '%s ' "$f"; sha256sum <"$moddir/$f" | awk '{print $1}'
        done
        depmod --version 2>&1 | head -n1
    } | sha256sum | cut -c1-16)
    local out=$cache/base-$kver-$key
    if [ "$force" = 0 ] && [ -f "$out/.complete" ]; then
        echo "$out"
        return 0
    fi

    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.build.XXXXXX")
    # shellcheck disable=SC2064 # expand $tmp now
    trap "rm -rf '$tmp'" EXIT
    log "building base initramfs for $kver in $out"
    local root=$tmp/root
    mkdir -p "$root"; chmod 755 "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,root,rig,var/log}
    chmod 1777 "$root/tmp"
    cp "$bb" "$root/bin/busybox"
    local applet
    while read -r applet; do
        case $applet in
            linuxrc|bin/busybox) continue ;;
        esac
        [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done < <(${bbrun[@]+"${bbrun[@]}"} "$bb" --list-full)
    # Busybox has mke2fs (ext2) but no mkfs.ext2 applet: provide the usual name.
    printf '#!/bin/sh\nexec mke2fs "$@"\n' >"$root/usr/sbin/mkfs.ext2"
    chmod 755 "$root/usr/sbin/mkfs.ext2"
    cp "$RIG_DIR/init" "$root/init"
    chmod 755 "$root/init"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
    echo vmsg-host >"$root/etc/hostname"

    local mroot=$root/lib/modules/$kver f
    mkdir -p "$mroot"
    for f in $mods; do
        mkdir -p "$mroot/$(dirname "$f")"
        cp "$moddir/$f" "$mroot/$f"
    done
    for f in modules.builtin modules.builtin.modinfo modules.order; do
        cp "$moddir/$f" "$mroot/$f"
    done
    depmod -b "$root" "$kver" || die "depmod failed for the base tree"

    # The module tree is kept next to the archive: the overlay step runs depmod
    # over it plus the project's modules.
    mkdir -p "$tmp/modtree/lib/modules"
    cp -a "$mroot" "$tmp/modtree/lib/modules/"
    cpio_dev_console "$tmp/initramfs.cpio"
    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
        >>"$tmp/initramfs.cpio"
    # shellcheck disable=SC2086 # one module per line
    printf '%s\n' $mods >"$tmp/modules.list"
    touch "$tmp/.complete"
    rm -rf "$root"
    if [ -e "$out" ]; then rm -rf "$out"; fi
    mv "$tmp" "$out"
    trap - EXIT
    # Keep only the three most recent base images.
    find "$cache" -mindepth 1 -maxdepth 1 -name 'base-*' -printf '%T@ %p\n' |
        sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf --
    log "base initramfs: $(du -h "$out/initramfs.cpio" | cut -f1), $(wc -w <"$out/modules.list") modules"
    echo "$out"
}

# AARCH64_LIBDIRS: where the libraries of an aarch64 program are looked up,
# the cross toolchain's sysroot first (its loader must get its own libc).
AARCH64_LIBDIRS="/usr/aarch64-linux-gnu/lib /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu"

# aarch64_libs FILE ROOT: copy the loader and the shared libraries (recursively)
# of the aarch64 ELF FILE into ROOT: /lib/ld-linux-aarch64.so.1 and
# /lib/aarch64-linux-gnu/, which the aarch64 loader searches.
aarch64_libs() {
    local file=$1 root=$2 interp need d found todo=() seen=" "
    need_tool aarch64-linux-gnu-readelf binutils-aarch64-linux-gnu
    interp=$(aarch64-linux-gnu-readelf -l "$file" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
    [ -n "$interp" ] || return 0 # static
    if [ ! -e "$root/$interp" ]; then
        found=""
        for d in $AARCH64_LIBDIRS; do
            [ -e "$d/$(basename "$interp")" ] && { found=$d/$(basename "$interp"); break; }
        done
        [ -n "$found" ] || die "$file: its loader $interp is not in $AARCH64_LIBDIRS (apt-get install libc6-arm64-cross)"
        mkdir -p "$root/$(dirname "$interp")"
        cp -L "$found" "$root/$interp"
    fi
    todo=("$file")
    while [ ${#todo[@]} -gt 0 ]; do
        local cur=${todo[0]}
        todo=("${todo[@]:1}")
        while read -r need; do
            [ -n "$need" ] || continue
            case $seen in *" $need "*) continue ;; esac
            seen+="$need "
            found=""
            for d in $AARCH64_LIBDIRS; do
                [ -e "$d/$need" ] && { found=$d/$need; break; }
            done
            [ -n "$found" ] || die "$file needs $need, which is not in $AARCH64_LIBDIRS"
            mkdir -p "$root/lib/aarch64-linux-gnu"
            cp -L "$found" "$root/lib/aarch64-linux-gnu/$need"
            todo+=("$found")
        done < <(aarch64-linux-gnu-readelf -d "$cur" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    done
}

# copy_with_libs SRC DEST ROOT: copy a file; if it is a dynamically linked ELF file,
# copy the shared libraries it needs (and the dynamic loader) into ROOT too.
copy_with_libs() {
    local src=$1 dest=$2 root=$3 lib
    mkdir -p "$root/$(dirname "$dest")"
    cp -L "$src" "$root/$dest"
    # An aarch64 program (the Arm card VM): ldd cannot answer for it.
    if [ "$(head -c 4 "$src" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
       [ "$(od -An -tu2 -j 18 -N 2 "$src" | tr -d ' ')" = 183 ]; then # e_machine EM_AARCH64
        aarch64_libs "$src" "$root"
        return 0
    fi
    if ldd "$src" >/dev/null 2>&1; then
        while read -r lib; do
            [ -n "$lib" ] || continue
            [ -e "$root/$lib" ] && continue
            mkdir -p "$root/$(dirname "$lib")"
            cp -L "$lib" "$root/$lib"
        done < <(ldd "$src" | grep -o '/[^ ]*' | sort -u)
    fi
}

cmd_overlay() {
    local kver="" base="" out="" script="" modules="" files=() envs=()
    while [ $# -gt 0 ]; do
        case $1 in
            --kver) kver=$2; shift 2 ;;
            --base) base=$2; shift 2 ;;
            --out) out=$2; shift 2 ;;
            --script) script=$2; shift 2 ;;
            --modules) modules="$modules $2"; shift 2 ;;
            --file) files+=("$2"); shift 2 ;;
            --env) envs+=("$2"); shift 2 ;;
            *) die "overlay: unknown argument '$1'" ;;
        esac
    done
    if [ -z "$kver" ] || [ -z "$base" ] || [ -z "$out" ]; then
        die "overlay: --kver, --base and --out are required"
    fi
    [ -f "$base/.complete" ] || die "overlay: $base is not a built base image"
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmsg-rig-ov.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    local root=$tmp/root
    mkdir -p "$root"; chmod 755 "$root"
    mkdir -p "$root/rig"
    if [ -n "$script" ]; then
        cp "$script" "$root/rig/script"
    else
        printf '#!/bin/sh\necho "rig: no --script given"\n' >"$root/rig/script"
    fi
    chmod 755 "$root/rig/script"
    : >"$root/rig/env"
    local e
    for e in ${envs[@]+"${envs[@]}"}; do
        case $e in
            [A-Za-z_]*=*) printf '%s=%q\n' "${e%%=*}" "${e#*=}" >>"$root/rig/env" ;;
            *) die "overlay: bad --env '$e' (want NAME=VALUE)" ;;
        esac
    done

    local ko
    if [ -n "${modules// /}" ]; then
        local mt=$tmp/modtree
        cp -a "$base/modtree" "$mt"
        mkdir -p "$mt/lib/modules/$kver/extra"
        for ko in $modules; do
            [ -f "$ko" ] || die "module file '$ko' not found"
            case $ko in *.ko) ;; *) die "'$ko' is not a .ko file" ;; esac
            local vm
            vm=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}') ||
                die "'$ko' is not a kernel module"
            [ "$vm" = "$kver" ] ||
                die "'$ko' was built for kernel '$vm' but the VM runs '$kver'; rebuild it against linux-headers-$kver (or pass --kver $vm)"
            cp "$ko" "$mt/lib/modules/$kver/extra/"
        done
        depmod -b "$mt" "$kver" || die "depmod failed over base + extra modules"
        mkdir -p "$root/lib/modules/$kver"
        cp -a "$mt/lib/modules/$kver/extra" "$root/lib/modules/$kver/"
        cp "$mt/lib/modules/$kver"/modules.* "$root/lib/modules/$kver/"
    fi

    local spec src dest
    for spec in ${files[@]+"${files[@]}"}; do
        src=${spec%%:*}
        if [ "$src" = "$spec" ]; then dest=/rig/files/$(basename "$src"); else dest=${spec#*:}; fi
        [ -e "$src" ] || die "file '$src' not found"
        case $dest in /*) ;; *) dest=/$dest ;; esac
        if [ -d "$src" ]; then
            mkdir -p "$root/$dest"
            cp -a "$src/." "$root/$dest/"
        else
            copy_with_libs "$src" "$dest" "$root"
        fi
    done

    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$out"
}

# cmd_vmlinux: extract the uncompressed ELF vmlinux from /boot/vmlinuz-KVER (cached).
# QEMU boots an ELF kernel with a PVH note directly (no BIOS real-mode setup, no
# in-guest decompression, which costs about 2.5 s under TCG).
cmd_vmlinux() {
    local kver="" cache=""
    while [ $# -gt 0 ]; do
        case $1 in
            --kver) kver=$2; shift 2 ;;
            --cache) cache=$2; shift 2 ;;
            *) die "vmlinux: unknown argument '$1'" ;;
        esac
    done
    if [ -z "$kver" ] || [ -z "$cache" ]; then die "vmlinux: --kver and --cache are required"; fi
    local img=/boot/vmlinuz-$kver
    [ -r "$img" ] || die "$img not readable; install the Debian kernel: apt-get install linux-image-amd64"
    grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null ||
        die "kernel $kver has no CONFIG_PVH=y, it cannot be booted as an ELF vmlinux"
    local key out
    key=$(sha256sum <"$img" | cut -c1-16)
    out=$cache/vmlinux-$kver-$key
    if [ -f "$out" ]; then echo "$out"; return 0; fi
    mkdir -p "$cache"
    local tmp magic dec off
    tmp=$(mktemp "$cache/.vmlinux.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -f '$tmp'" EXIT
    for magic in xz gzip zstd; do
        case $magic in
            xz)   off='\xfd\x37\x7a\x58\x5a\x00'
                  if command -v xz >/dev/null; then dec="xz -dc --single-stream"; else dec="busybox xzcat"; fi ;;
            gzip) off='\x1f\x8b\x08'; dec="busybox zcat" ;;
            zstd) off='\x28\xb5\x2f\xfd'; dec="zstd -dcq"
                  command -v zstd >/dev/null || continue ;;
        esac
        off=$( { LC_ALL=C grep -obUaP "$off" "$img" || true; } | head -n1 | cut -d: -f1)
        [ -n "$off" ] || continue
        # shellcheck disable=SC2086 # $dec is a command with options
        tail -c +$(( off + 1 )) "$img" | $dec >"$tmp" 2>/dev/null || true
        if [ "$(head -c4 "$tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
           [ "$(stat -c %s "$tmp")" -gt 4000000 ]; then
            mv "$tmp" "$out"
            trap - EXIT
            find "$cache" -maxdepth 1 -name "vmlinux-*" ! -name "${out##*/}" -mmin +1440 -delete
            log "extracted $img ($magic) to $out"
            echo "$out"
            return 0
        fi
    done
    die "could not extract an ELF vmlinux from $img"
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
sub=$1; shift
case $sub in
    base) cmd_base "$@" ;;
    overlay) cmd_overlay "$@" ;;
    vmlinux) cmd_vmlinux "$@" ;;
    resolve) kv=$1; shift; resolve_modules "$kv" "$@" ;;
    -h|--help|help) usage ;;
    *) die "unknown sub-command '$sub' (base, overlay, vmlinux, resolve)" ;;
esac
