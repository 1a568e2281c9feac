#!/bin/bash
# Builds the hand-off probe kernel: OUT/test-kernel.elf (OUT defaults to bootloader/build).
#
#   tests/kernel/build.sh [OUT] [x86_64|aarch64]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../build}"
arch="${2:-x86_64}"
case "$arch" in
    x86_64) triple=x86_64-unknown-none-elf ;;
    aarch64) triple=aarch64-none-none-elf ;;
    *) echo "tests/kernel/build.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
mkdir -p "$out"
rm -f "$out"/test-kernel*.o

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"

source "$here/../../embedded-flags.sh"
embedded_flags_for "$triple"

# SerialText.swift: the kernel's console text, shared.
swiftc "${embedded_swift_flags[@]}" -module-name TestKernel -c -o "$out/test-kernel.o" "$here"/*.swift "$here/$arch"/*.swift \
    "$here/../../../recipes/core/kernel/source/Sources/SerialText.swift"
"$swift_bin/clang" -target "$triple" -I "$here" -I "$here/../.." -c -o "$out/test-kernel-entry.o" "$here/$arch/entry.S"
"$swift_bin/ld.lld" -static -nostdlib -z max-page-size=4096 -z norelro -z nognustack \
    -T "$here/$arch/kernel.ld" -o "$out/test-kernel.elf" "$out/test-kernel-entry.o" "$out/test-kernel.o"
echo "built $out/test-kernel.elf ($(stat -c %s "$out/test-kernel.elf") bytes)"
