#!/usr/bin/env bash
# Kernel figures: builds everything and boots once (recipes/core/kernel/boot-test.sh), then prints
# the kernel and initfs sizes, the time from QEMU start to init, and the `bench` program's
# round-trip costs (time-stamp cycles under TCG: function call, system call, scheme request).
set -uo pipefail
cd "$(dirname "$0")/.."
recipes/core/kernel/boot-test.sh | grep -E "^(kernel size|time from|bench:|[0-9]+ passed)"
