#!/bin/bash
# Builds the hand-off probe kernel: OUT/test-kernel.elf (OUT defaults to bootloader/build).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../build}"
mkdir -p "$out"
rm -f "$out"/test-kernel*.o

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"

source "$here/../../embedded-flags.sh"

swiftc "${embedded_swift_flags[@]}" -module-name TestKernel -c -o "$out/test-kernel.o" "$here"/*.swift
"$swift_bin/clang" -target x86_64-unknown-none-elf -c -o "$out/test-kernel-entry.o" "$here/entry.S"
"$swift_bin/ld.lld" -static -nostdlib -z max-page-size=4096 -z norelro -z nognustack \
    -T "$here/kernel.ld" -o "$out/test-kernel.elf" "$out/test-kernel-entry.o" "$out/test-kernel.o"
echo "built $out/test-kernel.elf ($(stat -c %s "$out/test-kernel.elf") bytes)"
