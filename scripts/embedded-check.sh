#!/bin/bash
# Checks that the format core compiles as Embedded Swift for bare x86_64 (what the UEFI loader
# needs): every .swift file under Sources/RedoxFSFormat, as one module, with the loader's flags.
# Exits non-zero, with the compiler's messages, if it does not.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bootloader/embedded-flags.sh"
out="$(mktemp -d /tmp/embedded-check.XXXXXX)"
trap 'rm -rf "$out"' EXIT

mapfile -t sources < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat -c -o "$out/RedoxFSFormat.o" "${sources[@]}"
echo "embedded-check: ${#sources[@]} files of Sources/RedoxFSFormat compile as Embedded Swift (x86_64-unknown-none-elf)"
