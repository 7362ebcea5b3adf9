#!/usr/bin/env bash
# tests/kernel_compile/builtin/link-test.sh KDIR [clean]
#
# The host driver built in (=y): compiles every object of virtio_msg.ko and
# vmsg_pci.ko as kernel code and links them into one object the way vmlinux.o
# is linked (see Kbuild here). Fails when
#   - two objects define the same symbol (the link fails: "multiple
#     definition of ..."), e.g. fw_shared compiled into both modules;
#   - a global symbol of ours lacks the driver's prefixes (vmsg_, vp_,
#     virtio_msg_): built in, every global shares one namespace with the
#     whole kernel (vm_* is mm's);
#   - a global symbol of ours is one the kernel exports (KDIR/Module.symvers).
# Run by scripts/build-kernel.sh, so `make kernel` and `make check` run it.
set -euo pipefail
cd "$(dirname "$0")"
kdir=$1
action=${2:-test}
here=$PWD

if [ "$action" = clean ]; then
	make -s -C "$kdir" M="$here" clean
	exit 0
fi

echo "build-kernel: built-in link test of host_driver against $(basename "$kdir")"
if ! out=$(make -s -C "$kdir" M="$here" vmsg_builtin.o 2>&1); then
	printf '%s\n' "$out" | tail -n 40 >&2
	echo "builtin-link: FAIL: host_driver does not link built in (above)" >&2
	exit 1
fi
[ -z "$out" ] || printf '%s\n' "$out"

# Our prefixes (vm_* is mm's, never ours).
prefix_re='^(vmsg_|vp_|virtio_msg_)'
mapfile -t globals < <(nm --defined-only vmsg_builtin.o |
	awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort -u)
if [ "${#globals[@]}" -lt 10 ]; then
	echo "builtin-link: FAIL: only ${#globals[@]} global symbols in vmsg_builtin.o (nm broken?)" >&2
	exit 1
fi
rc=0
bad=$(printf '%s\n' "${globals[@]}" | grep -Ev "$prefix_re" || true)
if [ -n "$bad" ]; then
	echo "builtin-link: FAIL: global symbols without a vmsg_/vp_/virtio_msg_ prefix (make them static or rename):" >&2
	printf '%s\n' "$bad" | sed 's/^/  /' >&2
	rc=1
fi
clash=$(awk '{ print $2 }' "$kdir/Module.symvers" | sort -u |
	comm -12 - <(printf '%s\n' "${globals[@]}"))
if [ -n "$clash" ]; then
	echo "builtin-link: FAIL: global symbols the kernel itself exports:" >&2
	printf '%s\n' "$clash" | sed 's/^/  /' >&2
	rc=1
fi
[ "$rc" -eq 0 ] && echo "builtin-link: virtio_msg + vmsg_pci link built in: ${#globals[@]} global symbols, none defined twice, all prefixed, none clashing with the kernel's exports"
exit "$rc"
