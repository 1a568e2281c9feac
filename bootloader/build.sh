#!/bin/bash
# Builds the UEFI loader.
#
#   bootloader/build.sh [--arch x86_64|aarch64] [--kernel]
#
#   x86_64 (default)  bootloader/build/BOOTX64.EFI          (--kernel: build/test-kernel.elf)
#   aarch64           bootloader/build/aarch64/BOOTAA64.EFI (--kernel: build/aarch64/test-kernel.elf)
#
# Each also gets its `-live` build beside it (build/live/BOOTX64.EFI, build/aarch64/live/
# BOOTAA64.EFI): the same objects linked with shim/variant/live.c compiled for live mode on by
# default (spec §7); only that small file and the link are done twice.
#
# The format core is compiled from Sources/RedoxFSFormat in place (every .swift file under it, as
# Embedded Swift); nothing is copied. Only the Swift toolchain (swiftc, clang, ld.lld) is needed;
# the ELF image is turned into PE32+ by our own converter (bootloader/tools).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

arch=x86_64
kernel=false
while (($#)); do
    case "$1" in
        --arch) arch="${2:-}"; shift 2 ;;
        --kernel) kernel=true; shift ;;
        *) echo "usage: bootloader/build.sh [--arch x86_64|aarch64] [--kernel]" >&2; exit 2 ;;
    esac
done
case "$arch" in
    x86_64) triple=x86_64-unknown-none-elf; out="$here/build"; efi=BOOTX64.EFI
        arch_c_flags=(-mno-red-zone) ;;
    aarch64) triple=aarch64-none-none-elf; out="$here/build/aarch64"; efi=BOOTAA64.EFI
        arch_c_flags=() ;;
    *) echo "build.sh: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac

mkdir -p "$out/modules"
# Always compile from scratch: the driver skips a compile whose outputs look newer than its
# inputs, even when the flags changed.
rm -f "$out"/*.o "$out"/modules/*

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
clang="$swift_bin/clang"
lld="$swift_bin/ld.lld"

source "$here/embedded-flags.sh"
embedded_flags_for "$triple"
c_flags=(
    -target "$triple" -ffreestanding -fno-builtin -fPIC "${arch_c_flags[@]}"
    -fno-stack-protector -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -Os -Wall -Wextra -Werror
)

# Host tools (ELF to PE converter): rebuilt when a source is newer than the binary.
tools="$here/build/bootloader-tools"
mkdir -p "$here/build"
if [[ ! -x "$tools" ]] || [[ -n "$(find "$here/tools" -name '*.swift' -newer "$tools")" ]]; then
    swiftc -O -o "$tools" "$here"/tools/*.swift
fi

# 1. The format core, as its own module (the same public API the host engine sees).
compile_format_core "$out"

# 2. The loader: the common files, this architecture's files and the firmware bindings.
mapfile -t loader_sources < <(
    find "$here/Sources/Loader" -maxdepth 1 -name '*.swift'
    find "$here/Sources/Loader/$arch" "$here/Sources/UEFI" -name '*.swift'
)
swiftc "${embedded_swift_flags[@]}" -module-name Loader -I "$out/modules" \
    -c -o "$out/Loader.o" $(printf '%s\n' "${loader_sources[@]}" | sort)

# 3. Freestanding C pieces: the common ones and this architecture's.
shim_objects=()
for source in "$here"/shim/*.c "$here"/shim/"$arch"/*.c; do
    object="$out/shim-$(basename "$source" .c).o"
    "$clang" "${c_flags[@]}" -c -o "$object" "$source"
    shim_objects+=("$object")
done

# 4. Link as a position-independent ELF with its relocations applied, then convert to PE32+:
#    the ordinary loader and the -live build (live mode on by default).
mkdir -p "$out/live"
for variant in plain live; do
    live=0 dir="$out"
    [[ "$variant" == live ]] && { live=1; dir="$out/live"; }
    "$clang" "${c_flags[@]}" -DLOADER_LIVE="$live" -c -o "$dir/shim-variant.o" "$here/shim/variant/live.c"
    "$lld" -pie --no-dynamic-linker -nostdlib --gc-sections -Bsymbolic --apply-dynamic-relocs -z norelro -z nognustack \
        --hash-style=sysv -T "$here/efi.ld" -o "$dir/loader.elf" \
        "$out/Loader.o" "$out/RedoxFSFormat.o" "${shim_objects[@]}" "$dir/shim-variant.o"
    "$tools" elf2efi "$dir/loader.elf" "$dir/$efi"
    echo "built $dir/$efi ($(stat -c %s "$dir/$efi") bytes)"
done

if $kernel; then
    "$here/tests/kernel/build.sh" "$out" "$arch"
fi
