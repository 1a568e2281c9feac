#!/bin/bash
# Builds the UEFI loader: bootloader/build/BOOTX64.EFI.
#
#   bootloader/build.sh            the loader
#   bootloader/build.sh --kernel   also the hand-off test kernel (bootloader/build/test-kernel.elf)
#
# The format core is compiled from Sources/RedoxFSFormat in place (every .swift file under it, as
# Embedded Swift); nothing is copied. Only the Swift toolchain (swiftc, clang, ld.lld) is needed;
# the ELF image is turned into PE32+ by our own converter (bootloader/tools).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$here/build"
mkdir -p "$out/modules"
# Always compile from scratch: the driver skips a compile whose outputs look newer than its
# inputs, even when the flags changed.
rm -f "$out"/*.o "$out"/modules/*

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
clang="$swift_bin/clang"
lld="$swift_bin/ld.lld"

source "$here/embedded-flags.sh"
c_flags=(
    -target x86_64-unknown-none-elf -ffreestanding -fno-builtin -fPIC -mno-red-zone
    -fno-stack-protector -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -Os -Wall -Wextra -Werror
)

# Host tools (ELF to PE converter): rebuilt when a source is newer than the binary.
tools="$out/bootloader-tools"
if [[ ! -x "$tools" ]] || [[ -n "$(find "$here/tools" -name '*.swift' -newer "$tools")" ]]; then
    swiftc -O -o "$tools" "$here"/tools/*.swift
fi

# 1. The format core, as its own module (the same public API the host engine sees).
mapfile -t core_sources < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat \
    -emit-module -emit-module-path "$out/modules/RedoxFSFormat.swiftmodule" \
    -c -o "$out/RedoxFSFormat.o" "${core_sources[@]}"

# 2. The loader.
mapfile -t loader_sources < <(find "$here/Sources" -name '*.swift' | sort)
swiftc "${embedded_swift_flags[@]}" -module-name Loader -I "$out/modules" \
    -c -o "$out/Loader.o" "${loader_sources[@]}"

# 3. Freestanding C pieces.
shim_objects=()
for source in "$here"/shim/*.c; do
    object="$out/shim-$(basename "$source" .c).o"
    "$clang" "${c_flags[@]}" -c -o "$object" "$source"
    shim_objects+=("$object")
done

# 4. Link as a position-independent ELF with its relocations applied, then convert to PE32+.
"$lld" -pie --no-dynamic-linker -nostdlib --gc-sections -Bsymbolic --apply-dynamic-relocs -z norelro -z nognustack \
    --hash-style=sysv -T "$here/efi.ld" -o "$out/loader.elf" \
    "$out/Loader.o" "$out/RedoxFSFormat.o" "${shim_objects[@]}"
"$tools" elf2efi "$out/loader.elf" "$out/BOOTX64.EFI"
echo "built $out/BOOTX64.EFI ($(stat -c %s "$out/BOOTX64.EFI") bytes)"

if [[ "${1:-}" == "--kernel" ]]; then
    "$here/tests/kernel/build.sh" "$out"
fi
