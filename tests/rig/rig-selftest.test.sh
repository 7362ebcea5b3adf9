#!/usr/bin/env bash
# The rig's own self-test (boot, exit status, log scanning, ivshmem, timeouts).
exec "$(dirname "$0")/selftest.sh" "$@"
