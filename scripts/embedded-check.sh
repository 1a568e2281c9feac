#!/bin/bash
# Checks that the format core and the portable engine compile as Embedded Swift for every target
# a loader or the kernel uses: x86_64-unknown-none-elf (UEFI x86_64), aarch64-none-none-elf
# (UEFI aarch64) and i686-unknown-none-elf (BIOS stage 3, 32-bit: Int is 32 bits there). Every
# .swift file under Sources/RedoxFSFormat, then under Sources/RedoxFSEngine, each as one module,
# with the loaders' flags; then the Embedded engine test program (Tests/EmbeddedEngine), so that
# the generic engine is instantiated (specialised) for each target, not only parsed. Exits
# non-zero, with the compiler's messages, if any target fails. (Running the program:
# scripts/embedded-engine-test.sh.)
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
mapfile -t engine < <(find "$root/Sources/RedoxFSEngine" -name '*.swift' | sort)
for target in "${targets[@]}"; do
    embedded_flags_for "$target"
    modules="$out/$target"
    mkdir -p "$modules"
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat -emit-module \
        -emit-module-path "$modules/RedoxFSFormat.swiftmodule" -c -o "$modules/RedoxFSFormat.o" "${sources[@]}"
    echo "embedded-check: ${#sources[@]} files of Sources/RedoxFSFormat compile as Embedded Swift ($target)"
    swiftc "${embedded_swift_flags[@]}" -package-name RedoxFSKit -I "$modules" -module-name RedoxFSEngine -emit-module \
        -emit-module-path "$modules/RedoxFSEngine.swiftmodule" -c -o "$modules/RedoxFSEngine.o" "${engine[@]}"
    swiftc "${embedded_swift_flags[@]}" -I "$modules" -module-name EmbeddedEngineTest -c -o "$modules/EmbeddedEngineTest.o" \
        "$root/Tests/EmbeddedEngine/EmbeddedEngineTest.swift"
    echo "embedded-check: ${#engine[@]} files of Sources/RedoxFSEngine compile as Embedded Swift, instantiated by Tests/EmbeddedEngine ($target)"
done
