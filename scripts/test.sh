#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks the format core as Embedded Swift,
# runs the unit and fixture tests, then the boot tests with the crash test beside them.
# Every step's exit status is checked: a build that fails without printing "error:" fails the
# run, and a failed release build stops it (no stale binary is tested). Logs go to a fresh
# mktemp folder, named at the start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# section NAME: starts a step, printing how long the previous one took (CI must stay well under
# 40 minutes, and these figures say where the time goes).
section_name="" section_start=$SECONDS
section() {
  if [ -n "$section_name" ]; then echo "   ($section_name: $((SECONDS - section_start)) s)"; fi
  section_name=$1 section_start=$SECONDS
  echo "== $1"
}
# Background steps (the crash test runs beside the boot tests) end with the run.
background_pids=""
on_exit() {
  if [ -n "$background_pids" ]; then kill $background_pids 2>/dev/null || true; fi
  section "done after $SECONDS s"
}
trap on_exit EXIT

logs=$(mktemp -d "${TMPDIR:-/tmp}/redoxfs-test.XXXXXX")
echo "logs: $logs"

# run_logged NAME COMMAND...: runs COMMAND with its output in $logs/NAME.log; when it fails,
# prints the log's last lines and ends the run with its exit status.
run_logged() {
  local name=$1 status=0
  shift
  "$@" >"$logs/$name.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAILED: $* (exit $status); last lines of $logs/$name.log:"
    tail -n 60 "$logs/$name.log"
    exit "$status"
  fi
}

section "build (warnings from our own code fail the build)"
run_logged build swift build --build-tests
if grep -E "^/.*(Sources|Tests)/.*warning:" "$logs/build.log" | grep -v "/.build/"; then
  echo "warnings in our own code"; exit 1
fi

section "embedded Swift check of the format core and the portable engine"
# x86_64-unknown-none-elf is compiled below anyway, with the same flags: the format core by the
# loader's build (boot test), core and engine by the kernel's build (the file daemon
# instantiates the engine), and the engine test program by the next step; here the two other
# targets, side by side (each compile is one single-threaded swift-frontend).
scripts/embedded-check.sh aarch64-none-none-elf > "$logs/embedded-aarch64.log" 2>&1 &
embedded_aarch64=$!
embedded_status=0
scripts/embedded-check.sh i686-unknown-none-elf > "$logs/embedded-i686.log" 2>&1 || embedded_status=$?
wait "$embedded_aarch64" || embedded_status=$?
cat "$logs/embedded-aarch64.log" "$logs/embedded-i686.log"
if [ "$embedded_status" -ne 0 ]; then echo "embedded Swift check failed (exit $embedded_status)"; exit "$embedded_status"; fi
section "portable engine run as Embedded Swift (memory device; image checked by redoxfs-fsck and redoxfs-dump)"; scripts/embedded-engine-test.sh .build/debug

section "release build of the FUSE mount (the mount tests drive it; 100,000 fsx operations need its speed)"
run_logged release-mount swift build -c release --product redoxfs --scratch-path .build-release
export REDOXFS_MOUNT_BINARY="$PWD/.build-release/release/redoxfs" REDOXFS_FSX_OPS="${REDOXFS_FSX_OPS:-100000}"

section "swift test"
status=0
timeout --kill-after=60 2400 swift test --skip-build >"$logs/test.log" 2>&1 || status=$?
grep -E "✘|error:|recorded an issue" "$logs/test.log" | head -n 80 || true
grep -E "^(✔|✘) Suite|Test run with|Executed [0-9]+ tests" "$logs/test.log" || true
if [ "$status" -ne 0 ]; then
  echo "swift test failed (exit $status); last lines of $logs/test.log:"
  tail -n 40 "$logs/test.log"
  # Again at the very end, where a summary that keeps only the output's tail still has them.
  echo "the failures again:"
  grep -E "✘|error:|recorded an issue" "$logs/test.log" | head -n 20 || true
  exit "$status"
fi

section "crash safety with injected failures: release build of the checker"
run_logged release-crashtest swift build -c release --product redoxfs-crashtest --scratch-path .build-release
# Every cut point of the seeded workloads, in two processes (half the seeds each: the checker is
# single-threaded), run beside the boot tests at a lower priority: QEMU under TCG keeps about one
# core busy, and the checker takes what the boot tests leave. Its result is read after them.
workloads=${REDOXFS_CRASH_WORKLOADS:-200}
first_half=$(( (workloads + 1) / 2 ))
crash_epoch=$(date +%s)
nice -n 10 .build-release/release/redoxfs-crashtest --workloads "$first_half" --seed 1 --subsets 1 >"$logs/crash-1.log" 2>&1 &
crash_first=$!
background_pids=$crash_first
crash_second=""
if [ $(( workloads - first_half )) -gt 0 ]; then
  nice -n 10 .build-release/release/redoxfs-crashtest --workloads $(( workloads - first_half )) --seed $(( 1 + first_half )) \
    --subsets 1 >"$logs/crash-2.log" 2>&1 &
  crash_second=$!
  background_pids="$crash_first $crash_second"
fi

if [ -x bootloader/boot-test.sh ]; then
  section "boot test"
  bootloader/boot-test.sh
fi

section "kernel boot test (kernel, runtime, daemons, initfs built from source; QEMU TCG)"
recipes/core/kernel/boot-test.sh

if [ -x bootloader/boot-test-platforms.sh ]; then section "boot test: aarch64 UEFI, BIOS, video modes"; bootloader/boot-test-platforms.sh; fi

section "image boot test (repo cook + redox-installer, plain and encrypted images booted in QEMU TCG)"
scripts/boot-image-test.sh
section "live boot test (live image: loader copy, lived, disk.live; wrong passwords, small memory, damaged root)"; scripts/boot-live-test.sh

section "crash safety with injected failures: every cut point of $workloads seeded workloads (ran beside the boot tests)"
crash_status=0
wait "$crash_first" || crash_status=$?
if [ -n "$crash_second" ]; then wait "$crash_second" || crash_status=$?; fi
background_pids=""
echo "the crash test took $(( $(stat -c %Y "$logs"/crash-*.log | sort -n | tail -n 1) - crash_epoch )) s (its logs' last change)"
tail -n 3 "$logs"/crash-*.log
if [ "$crash_status" -ne 0 ]; then
  echo "crash test failed (exit $crash_status); last lines of $logs/crash-*.log:"
  tail -n 40 "$logs"/crash-*.log
  exit "$crash_status"
fi
