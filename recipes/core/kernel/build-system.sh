#!/bin/bash
# Builds the kernel, the runtime, every userspace program and the initfs, until `repo cook`
# builds the recipes (each recipe's script calls this with its own target).
#
#   recipes/core/kernel/build-system.sh OUT [kernel|programs|initfs|all]
#
# OUT/kernel            the kernel (recipes/core/kernel)
# OUT/bin/NAME          every program of recipes/core/* and recipes/tests/* with a source/ of
#                       Swift files, linked with the runtime (recipes/core/runtime)
# OUT/initfs            the initfs image (redox-initfs-ar): bin/ with the programs (nulld a
#                       link to zerod), lib/init.d/ from recipes/core/init/init.d, bootstrap at 0x1000
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:?usage: build-system.sh OUT [kernel|programs|initfs|all]}"
what="${2:-all}"
mkdir -p "$out/obj" "$out/modules" "$out/bin"
out="$(cd "$out" && pwd)"

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
source "$root/bootloader/embedded-flags.sh"
clang=("$swift_bin/clang" -target x86_64-unknown-none-elf -I "$root/bootloader")
lld="$swift_bin/ld.lld"
runtime="$root/recipes/core/runtime/source"

build_kernel() {
    "$here/source/build.sh" "$out"
}

# The runtime module (with the kernel's allocator source, shared) and the Embedded initfs format.
build_libraries() {
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxRuntime \
        -emit-module -emit-module-path "$out/modules/RedoxRuntime.swiftmodule" \
        -c -o "$out/obj/RedoxRuntime.o" "$runtime"/Sources/*.swift "$root/recipes/core/kernel/source/Sources/PageClassHeap.swift"
    "${clang[@]}" -c -o "$out/obj/start.o" "$runtime/start.S"
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxInitfs \
        -emit-module -emit-module-path "$out/modules/RedoxInitfs.swiftmodule" \
        -c -o "$out/obj/RedoxInitfs.o" "$root"/Sources/RedoxInitfs/*.swift
}

# program NAME SOURCE_DIR: OUT/bin/NAME.
program() {
    local name="$1" dir="$2" script="$runtime/program.ld" extra=()
    if [[ "$name" == bootstrap ]]; then
        script="$runtime/bootstrap.ld"
        extra=("$out/obj/RedoxInitfs.o")
    fi
    swiftc "${embedded_swift_flags[@]}" -module-name "$(echo "$name" | tr -d -)" -I "$out/modules" \
        -c -o "$out/obj/$name.o" "$dir"/*.swift
    "$lld" -static -nostdlib --gc-sections -z max-page-size=4096 -z norelro -z nognustack -T "$script" \
        -o "$out/bin/$name" "$out/obj/$name.o" "$out/obj/RedoxRuntime.o" "$out/obj/start.o" "${extra[@]}"
}

build_programs() {
    build_libraries
    for dir in "$root"/recipes/core/*/source "$root"/recipes/tests/*/source; do
        local name
        name="$(basename "$(dirname "$dir")")"
        [[ "$name" == kernel || "$name" == runtime ]] && continue
        compgen -G "$dir/*.swift" >/dev/null || continue
        program "$name" "$dir"
    done
}

initfs_tool() {
    local tool="${REDOX_INITFS_AR:-}"
    if [[ -z "$tool" ]]; then
        for candidate in "$root"/.build/debug/redox-initfs-ar "$root"/.build*/debug/redox-initfs-ar "$root"/.build*/release/redox-initfs-ar; do
            [[ -x "$candidate" ]] && { tool="$candidate"; break; }
        done
    fi
    if [[ -z "$tool" ]]; then
        (cd "$root" && swift build --product redox-initfs-ar >&2)
        tool="$root/.build/debug/redox-initfs-ar"
    fi
    echo "$tool"
}

build_initfs() {
    local tree="$out/initfs-tree"
    rm -rf "$tree"
    mkdir -p "$tree/bin" "$tree/lib/init.d" "$tree/etc"
    for binary in "$out"/bin/*; do
        [[ "$(basename "$binary")" == bootstrap ]] && continue
        cp "$binary" "$tree/bin/"
    done
    ln -s zerod "$tree/bin/nulld"
    cp "$root"/recipes/core/init/init.d/* "$tree/lib/init.d/"
    printf 'Redox (Swift kernel) initfs\n' >"$tree/etc/issue"
    "$(initfs_tool)" "$tree" "$out/bin/bootstrap" -o "$out/initfs"
    echo "built $out/initfs ($(stat -c %s "$out/initfs") bytes)"
}

case "$what" in
    kernel) build_kernel ;;
    programs) build_programs ;;
    initfs) build_programs; build_initfs ;;
    all) build_kernel; build_programs; build_initfs ;;
    *) echo "unknown part $what" >&2; exit 2 ;;
esac
