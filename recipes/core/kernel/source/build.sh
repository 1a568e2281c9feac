#!/bin/bash
# Builds the kernel: OUT/kernel (OUT defaults to recipes/core/kernel/build). KERNEL_SWIFT_FLAGS adds
# compiler flags (the boot test builds a second kernel with -D KERNEL_PANIC_TEST).
# Embedded Swift with the loader's flags (bootloader/embedded-flags.sh), entry.S through the
# toolchain's clang (with the shared macros of bootloader/embedded-x86_64.S), linked flat at
# KERNEL_OFFSET with ld.lld (kernel.ld).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
out="${1:-$here/../build}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/kernel*.o

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
source "$root/bootloader/embedded-flags.sh"

swiftc "${embedded_swift_flags[@]}" ${KERNEL_SWIFT_FLAGS:-} -module-name Kernel -c -o "$out/kernel.o" "$here"/Sources/*.swift
"$swift_bin/clang" -target x86_64-unknown-none-elf -I "$root/bootloader" -c -o "$out/kernel-entry.o" "$here/entry.S"
# OUT/kernel.sym keeps the symbols (for reading a panic's RIP); OUT/kernel is what the loader loads.
for variant in sym stripped; do
    "$swift_bin/ld.lld" -static -nostdlib --gc-sections -z max-page-size=4096 -z norelro -z nognustack \
        $([[ $variant == stripped ]] && echo --strip-all) \
        -T "$here/kernel.ld" -o "$out/kernel$([[ $variant == sym ]] && echo .sym)" "$out/kernel-entry.o" "$out/kernel.o"
done
echo "built $out/kernel ($(stat -c %s "$out/kernel") bytes)"
