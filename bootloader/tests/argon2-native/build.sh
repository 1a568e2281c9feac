#!/bin/bash
# Builds the native Argon2id timing program for x86_64 and i686: OUT/argon2-native-<arch>.
#
#   tests/argon2-native/build.sh OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
loader="$(cd "$here/../.." && pwd)"
root="$(dirname "$loader")"
out="$1"
mkdir -p "$out"
swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
source "$loader/embedded-flags.sh"
mapfile -t core_sources < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
for arch in x86_64 i686; do
    triple=$arch-unknown-none-elf
    embedded_flags_for "$triple"
    objects="$out/argon2-$arch"
    mkdir -p "$objects/modules"
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat \
        -emit-module -emit-module-path "$objects/modules/RedoxFSFormat.swiftmodule" -c -o "$objects/core.o" "${core_sources[@]}"
    swiftc "${embedded_swift_flags[@]}" -module-name Argon2Native -I "$objects/modules" -c -o "$objects/main.o" "$here/Main.swift"
    extra=()
    c_flags=(-target "$triple" -ffreestanding -fno-builtin -fno-pic -fno-stack-protector -O2)
    "$swift_bin/clang" "${c_flags[@]}" -c -o "$objects/shim.o" "$here/shim.c"
    "$swift_bin/clang" "${c_flags[@]}" -c -o "$objects/memory.o" "$loader/shim/x86_64/memory.c"
    "$swift_bin/clang" "${c_flags[@]}" -c -o "$objects/libc.o" "$loader/shim/libc.c"
    if [[ $arch == i686 ]]; then
        "$swift_bin/clang" "${c_flags[@]}" -c -o "$objects/int64.o" "$loader/bios/shim/int64.c"
        extra+=("$objects/int64.o")
    fi
    "$swift_bin/ld.lld" -static -nostdlib --gc-sections -e _start -o "$out/argon2-native-$arch" \
        "$objects/main.o" "$objects/core.o" "$objects/shim.o" "$objects/memory.o" "$objects/libc.o" "${extra[@]}"
done
