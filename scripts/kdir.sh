#!/usr/bin/env bash
# Prints the kernel build tree to build modules against: $KDIR if set, else the
# newest installed Debian 6.x headers (never `uname -r`: CI's container kernel
# is not the kernel the rig boots).
set -euo pipefail
if [ -n "${KDIR:-}" ]; then echo "$KDIR"; exit 0; fi
d=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$d" ]; then
	echo "/usr/src/linux-headers-MISSING-install-linux-headers-amd64"
	exit 0
fi
echo "$d"
