#!/bin/bash
# Checks that the format core compiles as Embedded Swift for every target a loader uses:
# x86_64-unknown-none-elf (UEFI x86_64), aarch64-none-none-elf (UEFI aarch64) and
# i686-unknown-none-elf (BIOS stage 3, 32-bit: Int is 32 bits there). Every .swift file under
# Sources/RedoxFSFormat, as one module, with the loaders' flags. Exits non-zero, with the
# compiler's messages, if any target fails.
#
#   scripts/embedded-check.sh [TRIPLE]...      (default: all three)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bootloader/embedded-flags.sh"
out="$(mktemp -d /tmp/embedded-check.XXXXXX)"
trap 'rm -rf "$out"' EXIT

targets=("$@")
((${#targets[@]})) || targets=(x86_64-unknown-none-elf aarch64-none-none-elf i686-unknown-none-elf)
mapfile -t sources < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
for target in "${targets[@]}"; do
    embedded_flags_for "$target"
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat -c -o "$out/RedoxFSFormat-$target.o" "${sources[@]}"
    echo "embedded-check: ${#sources[@]} files of Sources/RedoxFSFormat compile as Embedded Swift ($target)"
done
