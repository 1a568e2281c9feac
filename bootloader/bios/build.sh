#!/bin/bash
# Builds the BIOS loader: bootloader/build/bios/bootloader.bios (384 KiB, spec §2.1).
#
#   bootloader/bios/build.sh
#
# Stage 1 (MBR) and stage 2 are assembly, stage 3 is Embedded Swift for i686-unknown-none-elf:
# the format core compiled in place from Sources/RedoxFSFormat (every .swift file, as its own
# module, exactly as the UEFI loader does), the loader's platform-independent files, and the BIOS
# platform layer (Sources/BIOS). Only the Swift toolchain (swiftc, clang, ld.lld, llvm-objcopy).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
loader="$(dirname "$here")"
root="$(dirname "$loader")"
out="$loader/build/bios"
mkdir -p "$out/modules"
rm -f "$out"/*.o "$out"/modules/*

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
clang="$swift_bin/clang"
lld="$swift_bin/ld.lld"
objcopy="$swift_bin/llvm-objcopy"
triple=i686-unknown-none-elf

source "$loader/embedded-flags.sh"
embedded_flags_for "$triple"
c_flags=(-target "$triple" -ffreestanding -fno-builtin -fno-pic -fno-stack-protector
    -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -Wall -Wextra -Werror)

# 1. The format core, as its own module.
compile_format_core "$out"

# 2. Stage 3: the loader's platform-independent files, the x86_64 page tables, port I/O, exception
#    messages and COM1 driver (the tables are built by 32-bit code here), and the BIOS layer.
common=(BootFiles BootSteps BootVolume ConsoleKey ConsoleText EnvironmentBlock FormatErrorText HardwareTable
    KernelArgs KernelEnvironment MemoryAreas Message PageTables PasswordPrompt PointerBits Processor SerialText
    Version VideoModes VolumeSearch
    x86_64/PortIO x86_64/CPUException x86_64/PageTableFormat x86_64/SerialPort)
sources=()
for name in "${common[@]}"; do sources+=("$loader/Sources/Loader/$name.swift"); done
mapfile -t -O "${#sources[@]}" sources < <(find "$loader/Sources/BIOS" -name '*.swift' | sort)
swiftc "${embedded_swift_flags[@]}" -module-name Loader -I "$out/modules" \
    -c -o "$out/Stage3.o" "${sources[@]}"
shim_objects=()
# The x86 processor access and memory functions are the UEFI loader's (shim/x86_64/cpu.c and
# memory.c build as 32-bit code too), as are the hash seed and the common memory functions.
for source in "$here"/shim/*.c "$here"/shim/*.S "$loader"/shim/{libc,random}.c "$loader"/shim/x86_64/{cpu,memory}.c; do
    object="$out/shim-$(basename "${source%.*}").o"
    # The 64-bit helpers must not be optimised for size, which would make them call themselves.
    [[ "$source" == */int64.c ]] && optimise=-O2 || optimise=-Os
    "$clang" "${c_flags[@]}" "$optimise" -c -o "$object" "$source"
    shim_objects+=("$object")
done
"$lld" -static -nostdlib --gc-sections -z max-page-size=4096 -z norelro -z nognustack -T "$here/stage3.ld" \
    -o "$out/stage3.elf" "$out/Stage3.o" "$out/RedoxFSFormat.o" "${shim_objects[@]}"

# 3. The blob: stage 1, stage 2, the ISO 9660 records and stage 3, at their file offsets.
for part in stage1 stage2 iso9660; do
    "$clang" -target "$triple" -c -o "$out/$part.o" "$here/$part.S"
done
"$clang" -target "$triple" -DSTAGE3_ELF="\"$out/stage3.elf\"" -c -o "$out/stage3-blob.o" "$here/stage3-blob.S"
"$lld" -nostdlib -T "$here/blob.ld" -o "$out/blob.elf" \
    "$out/stage1.o" "$out/stage2.o" "$out/iso9660.o" "$out/stage3-blob.o"
"$objcopy" -O binary "$out/blob.elf" "$out/bootloader.bios"
size=$(stat -c %s "$out/bootloader.bios")
((size <= 0x60000)) || { echo "bios/build.sh: the blob is $size bytes, more than 384 KiB" >&2; exit 1; }
truncate -s $((0x60000)) "$out/bootloader.bios"
echo "built $out/bootloader.bios (stage 3: $(stat -c %s "$out/stage3.elf") bytes of 348160)"
