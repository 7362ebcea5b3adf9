#!/usr/bin/env bash
# Prints the version of the Debian kernel the rig boots and modules target.
set -euo pipefail
kdir=$("$(dirname "$0")/kdir.sh")
basename "$kdir" | sed 's/^linux-headers-//'
