#!/usr/bin/env bash
# scripts/dpdk-sdk.sh - the DPDK driver-SDK headers for userspace_pmd/net_vmsg.
#
# Debian's libdpdk-dev installs the application API only; a PMD also needs
# the driver SDK (ethdev_driver.h, ethdev_vdev.h, bus_vdev_driver.h and what
# they include). They are taken from Debian's own `dpdk` source package of
# exactly the installed libdpdk-dev version and unpacked (those headers
# only) into a cache outside the tree:
#
#   ~/.cache/vmsg-pcie/dpdk-sdk/<version>/include/   the headers
#   ~/.cache/vmsg-pcie/dpdk-sdk/<version>/src/       the source package files
#   ~/.cache/vmsg-pcie/dpdk-sdk/<version>/stamp      written last: complete
#
# Usage: scripts/dpdk-sdk.sh [--print-include]
#   (none)           make sure the cache is complete, say what it holds
#   --print-include  the same, quietly, then print only the include dir
#                    (meson calls this)
# Needs a deb-src entry for the installed suite (scripts/deps.sh adds one).
# Refuses (exit 1) when the installed and the source versions differ, and
# when Debian's patches touch one of the headers taken (not applied here).
set -euo pipefail

quiet=0
[ "${1:-}" = "--print-include" ] && quiet=1
say() { [ "$quiet" = 1 ] && echo "dpdk-sdk: $*" >&2 || echo "dpdk-sdk: $*"; }
die() { echo "dpdk-sdk: error: $*" >&2; exit 1; }

# The headers a vdev ethdev PMD includes; their includes are followed.
ROOTS=(ethdev_driver.h ethdev_vdev.h bus_vdev_driver.h)

ver=$(dpkg-query -W -f='${Status} ${Version}' libdpdk-dev 2>/dev/null | sed -n 's/^install ok installed //p')
[ -n "$ver" ] || die "libdpdk-dev is not installed (run: make deps)"
pc_ver=$(pkg-config --modversion libdpdk 2>/dev/null) || die "pkg-config does not know libdpdk"
sysinc=$(pkg-config --variable=includedir libdpdk)/dpdk
[ -d "$sysinc" ] || sysinc=/usr/include/dpdk
[ -f "$sysinc/rte_ethdev.h" ] || die "no rte_ethdev.h under $sysinc"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmsg-pcie/dpdk-sdk/$ver
inc=$cache/include
if [ -f "$cache/stamp" ] && [ -f "$inc/ethdev_driver.h" ]; then
	say "DPDK $ver (libdpdk $pc_ver): cached driver SDK, $(wc -l <"$cache/stamp") headers in $inc"
	[ "$quiet" = 1 ] && echo "$inc"
	exit 0
fi

say "DPDK $ver installed (libdpdk $pc_ver): fetching the driver-SDK headers from Debian's dpdk source package"
rm -rf "$inc" "$cache/stamp"
mkdir -p "$cache/src" "$inc"
# The source package of exactly this version, or a clear refusal.
avail=$(apt-cache showsrc dpdk 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
if [ -z "$avail" ]; then
	die "no dpdk source package known to apt: add a deb-src entry for this suite (scripts/deps.sh does) and run apt-get update"
fi
if ! grep -qxF "$ver" <<<"$avail"; then
	die "installed libdpdk-dev is $ver but the source packages apt knows are: $(tr '\n' ' ' <<<"$avail")- versions differ, refusing (upgrade libdpdk-dev or apt-get update)"
fi
[ -n "$(ls "$cache"/src/dpdk_*.dsc 2>/dev/null)" ] ||
(cd "$cache/src" && apt-get source -q --download-only "dpdk=$ver" >"$cache/src/apt.log" 2>&1) ||
	die "apt-get source --download-only dpdk=$ver failed (see $cache/src/apt.log)"
dsc=$(ls "$cache"/src/dpdk_*.dsc 2>/dev/null | head -1)
[ -n "$dsc" ] || die "no .dsc downloaded"
dsc_ver=$(sed -n 's/^Version: //p' "$dsc")
[ "$dsc_ver" = "$ver" ] || die "downloaded source is $dsc_ver, installed is $ver: versions differ, refusing"
orig=$(ls "$cache"/src/dpdk_*.orig.tar.* 2>/dev/null | head -1)
deb=$(ls "$cache"/src/dpdk_*.debian.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || die "no upstream tarball in the source package"

# Header name -> path in the tarball (driver headers live beside their lib).
tar -tf "$orig" | grep '\.h$' >"$cache/src/headers.list"
incdirs=("$inc" /usr/include)
for d in $(pkg-config --cflags-only-I libdpdk); do incdirs+=("${d#-I}"); done
have() {
	local d
	for d in "${incdirs[@]}"; do [ -f "$d/$1" ] && return 0; done
	return 1
}
queue=("${ROOTS[@]}")
taken=()
while [ "${#queue[@]}" -gt 0 ]; do
	h=${queue[0]}
	queue=("${queue[@]:1}")
	have "$h" && continue
	# prefer lib/ and drivers/bus/ (the SDK), never app/ or examples/
	member=$(grep -E "/(lib|drivers/bus)/([^/]+/)*$h\$" "$cache/src/headers.list" | grep -v '/test' | head -1 || true)
	[ -n "$member" ] || die "$h (needed by the driver SDK) is neither installed nor in $orig"
	tar -xf "$orig" -O "$member" >"$inc/$h"
	taken+=("$member")
	while read -r dep; do
		have "$dep" || queue+=("$dep")
	done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\.h\)[>"].*/\1/p' "$inc/$h" | grep -v /)
done

# Debian's patches are not applied here: refuse if one touches a header taken.
if [ -n "$deb" ]; then
	for m in "${taken[@]}"; do
		rel=${m#*/}
		if tar -xf "$deb" -O --wildcards 'debian/patches/*' 2>/dev/null | grep -q "^+++ [^ ]*/$rel"; then
			die "Debian's patches change $rel; unpack with dpkg-source -x instead"
		fi
	done
fi
printf '%s\n' "${taken[@]}" >"$cache/stamp"
say "DPDK $ver: cached ${#taken[@]} driver-SDK headers in $inc:"
for m in "${taken[@]}"; do say "  ${m#*/}"; done
[ "$quiet" = 1 ] && echo "$inc"
exit 0
