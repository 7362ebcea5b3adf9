#!/usr/bin/env bash
# card-arm64-net: tests/rig/card-net.test.sh with the Arm card (issue 9): the
# card VM is an aarch64 one (qemu-system-aarch64 -M virt,gic-version=3, TCG)
# with the arm64 card kernel (scripts/build-card-kernel.sh --arch arm64),
# pci-epf-vmsg.ko built for it and the cross-built vmsg-card (build-check/aarch64
# or build-aarch64); the host VM stays x86_64. See tests/rig/scripts/pair-lib.sh.
KB_NAME=card-arm64-net CARD_ARCH=arm64 exec "$(dirname "$0")/card-net.test.sh"
