# vmsg-pcie front door. `make help` lists the targets.
#
#   make          build everything that can be built here
#   make deps     install the Debian packages the project needs
#   make check    the whole test suite (runs `make deps` first)
#   make demo     the main job: the emulated card end to end
#   make fuzz     run the fuzzers for FUZZ_SECONDS each (default 300)

SHELL := /bin/bash
BUILD ?= build
KDIR ?= $(shell scripts/kdir.sh)
FUZZ_SECONDS ?= 300

.PHONY: all user kernel deps check demo fuzz lint format clean help

all: user kernel

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

user: $(BUILD)/build.ninja
	ninja -C $(BUILD)

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
	rm -rf $(BUILD) build-asan build-fuzz
	@scripts/build-kernel.sh "$(KDIR)" clean
