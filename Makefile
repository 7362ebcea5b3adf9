# vmsg-pcie front door. `make help` lists the targets.
#
#   make          build everything that can be built here (user + kernel)
#   make user     user space only: card, host library, tools, tests (meson, build/)
#   make user-aarch64  the card side cross-built for aarch64 (build-aarch64/)
#   make kernel   the host kernel modules (host_driver/*.ko; KDIR=... to pick the tree)
#   make deps     install the Debian packages the project needs
#   make check    the whole test suite (runs `make deps` first)
#   make demo     the main job: the emulated card end to end (part 2 needs root)
#   make fuzz     run the fuzzers for FUZZ_SECONDS each (default 300)
#   make lint     style gates: clang-format (user space), checkpatch (kernel)
#   make format   rewrite the user-space C files with clang-format
#   make clean    remove the build directories and the kernel build
#   make help     this list
#help-end

SHELL := /bin/bash
BUILD ?= build
BUILD_AARCH64 ?= build-aarch64
KDIR ?= $(shell scripts/kdir.sh)
FUZZ_SECONDS ?= 300

.PHONY: all user user-aarch64 kernel deps check demo fuzz lint format clean help

all: user user-aarch64 kernel

# The comment block at the top, up to the #help-end line, is the list.
help:
	@sed -n '3,/^#help-end/p' Makefile | sed -e '/^#help-end/d' -e 's/^# \{0,1\}//'

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

user: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The card side (fw_shared, engine, devices, vmsg-card) for an Arm card:
# gcc-aarch64-linux-gnu (make deps); its tests run under qemu-user (make check).
$(BUILD_AARCH64)/build.ninja:
	meson setup $(BUILD_AARCH64) --cross-file scripts/cross-aarch64.ini -Dcard_only=true \
		--buildtype=debugoptimized

user-aarch64: $(BUILD_AARCH64)/build.ninja
	ninja -C $(BUILD_AARCH64)

kernel:
	@scripts/build-kernel.sh "$(KDIR)"

deps:
	@scripts/deps.sh

check: deps
	@scripts/check.sh

demo: deps
	@scripts/demo.sh

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

lint:
	@scripts/lint.sh

format:
	@scripts/lint.sh --fix

clean:
	rm -rf $(BUILD) $(BUILD_AARCH64) build-asan build-fuzz
	@scripts/build-kernel.sh "$(KDIR)" clean
