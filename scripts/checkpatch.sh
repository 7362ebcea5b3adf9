#!/usr/bin/env bash
# scripts/checkpatch.sh [--path] [checkpatch args...] - the kernel's
# checkpatch.pl, extracted once from Debian's linux-source-6.1 tarball into
# the cache (${VMSG_CACHE:-~/.cache/vmsg-pcie}/checkpatch).
set -euo pipefail
cache=${VMSG_CACHE:-$HOME/.cache/vmsg-pcie}/checkpatch
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
	if [ -z "$tarball" ]; then
		echo "checkpatch: /usr/src/linux-source-6.1.tar.xz missing (make deps installs linux-source-6.1)" >&2
		exit 1
	fi
	mkdir -p "$cache"
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
if [ "${1:-}" = --path ]; then
	echo "$cache/scripts/checkpatch.pl"
	exit 0
fi
exec "$cache/scripts/checkpatch.pl" "$@"
