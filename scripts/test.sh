#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks the format core as Embedded Swift,
# runs the unit and fixture tests, then the boot test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== build (warnings from our own code fail the build)"
swift build --build-tests 2>&1 | tee /tmp/redoxfs-build.log | grep -E "error|warning:" || true
if grep -E "^/.*(Sources|Tests)/.*warning:" /tmp/redoxfs-build.log | grep -v "/.build/" ; then
  echo "warnings in our own code"; exit 1
fi
grep -q "error:" /tmp/redoxfs-build.log && { cat /tmp/redoxfs-build.log | tail -40; exit 1; }

echo "== embedded Swift check of the format core"
scripts/embedded-check.sh

echo "== release build of the FUSE mount (the mount tests drive it; 100,000 fsx operations need its speed)"
swift build -c release --product redoxfs --scratch-path .build-release 2>&1 | grep -E "error|warning:" || true
export REDOXFS_MOUNT_BINARY="$PWD/.build-release/release/redoxfs" REDOXFS_FSX_OPS="${REDOXFS_FSX_OPS:-100000}"

echo "== swift test"
set +e
timeout --kill-after=60 2400 swift test --skip-build > /tmp/redoxfs-test.log 2>&1
status=$?
set -e
grep -E "✘|error:|recorded an issue" /tmp/redoxfs-test.log | head -n 80 || true
grep -E "^(✔|✘) Suite|Test run with|Executed [0-9]+ tests" /tmp/redoxfs-test.log || true
[ $status -eq 0 ] || { echo "swift test failed ($status)"; tail -n 40 /tmp/redoxfs-test.log; exit $status; }

echo "== crash safety: every cut point of ${REDOXFS_CRASH_WORKLOADS:-200} seeded workloads (release build)"
swift build -c release --product redoxfs-crashtest --scratch-path .build-release 2>&1 | grep -E "error|warning:" || true
.build-release/release/redoxfs-crashtest --workloads "${REDOXFS_CRASH_WORKLOADS:-200}"

if [ -x bootloader/boot-test.sh ]; then
  echo "== boot test"
  bootloader/boot-test.sh
fi
if [ -x bootloader/boot-test-platforms.sh ]; then echo "== boot test: aarch64 UEFI, BIOS, video modes"; bootloader/boot-test-platforms.sh; fi
