#!/usr/bin/env bash
# card-uio-net: card-net.test.sh's body with the card daemon on `vmsg-card
# --platform uio` instead of epf: the card VM has no endpoint controller (the
# virtual EPC unbound), tests/rig/scripts/uio-setup.sh writes what a hardware
# design fixes (the link page header) and generates the config from the
# ivshmem devices' BAR physical addresses; doorbells polled in BAR0, host
# memory through the window, interrupts by the Doorbell register
# (PAIR_PLATFORM=uio in tests/rig/scripts/pair-lib.sh).
export PAIR_PLATFORM=uio KB_NAME=card-uio-net
exec "$(dirname "$0")/card-net.test.sh" "$@"
