#!/usr/bin/env bash
# Prints the kernel build tree to build modules against: $KDIR if set, else
# the installed headers of Debian 12's own kernel series (6.1, what
# linux-headers-amd64 installs and what the rig boots), else the newest
# installed Debian headers. Never `uname -r`: CI's container kernel is not
# the kernel the rig boots.
set -euo pipefail
if [ -n "${KDIR:-}" ]; then echo "$KDIR"; exit 0; fi
pick() { ls -d $1 2>/dev/null | sort -V | tail -n 1 || true; }
d=$(pick '/usr/src/linux-headers-6.1.*-amd64')
[ -n "$d" ] || d=$(pick '/usr/src/linux-headers-*-amd64')
if [ -z "$d" ]; then
	echo "/usr/src/linux-headers-MISSING-install-linux-headers-amd64"
	exit 0
fi
echo "$d"
