#!/bin/sh
# check_elf_arch.sh FILE CPU_FAMILY: FILE is an ELF executable for CPU_FAMILY
# (meson's host_machine.cpu_family(): aarch64 or x86_64), as `file` says it.
set -eu
[ $# = 2 ] || { echo "usage: $0 FILE CPU_FAMILY" >&2; exit 2; }
case $2 in
aarch64) want='ELF 64-bit LSB .*ARM aarch64' ;;
x86_64) want='ELF 64-bit LSB .*x86-64' ;;
*) echo "FAIL: no expectation for cpu family '$2'" >&2; exit 1 ;;
esac
command -v file >/dev/null || { echo "FAIL: 'file' not found (apt-get install file)" >&2; exit 1; }
out=$(file -L "$1")
echo "$out"
if ! printf '%s\n' "$out" | grep -q -- "$want"; then
	echo "FAIL: $1 is not an $2 ELF executable (want /$want/)" >&2
	exit 1
fi
