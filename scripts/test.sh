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

echo "== swift test"
swift test --skip-build --parallel 2>&1 | tail -n 60

if [ -x bootloader/boot-test.sh ]; then
  echo "== boot test"
  bootloader/boot-test.sh
fi
