# Compiler flags shared by the loaders, the probe kernels and scripts/embedded-check.sh (sourced),
# and the format core's compilation shared by the loaders' build scripts.
# Embedded Swift for a bare ELF target: no stack protector (there is no runtime to report to),
# optimised for size, one section per function so that the linker can drop what is never called.
#
#   embedded_swift_flags           the x86_64 flags (x86_64-unknown-none-elf; no red zone, since
#                                  firmware interrupts share the stack)
#   embedded_flags_for TRIPLE      sets embedded_swift_flags for TRIPLE: x86_64-unknown-none-elf,
#                                  aarch64-none-none-elf or i686-unknown-none-elf
#   compile_format_core OUT        the format core, compiled in place from $root/Sources/RedoxFSFormat
#                                  (every .swift file) with the current flags as its own module:
#                                  OUT/RedoxFSFormat.o and OUT/modules/RedoxFSFormat.swiftmodule
embedded_flags_for() {
    embedded_swift_flags=(
        -target "$1" -enable-experimental-feature Embedded
        -enable-experimental-feature Extern -swift-version 6
        -wmo -parse-as-library -Osize -Xfrontend -disable-stack-protector
        -Xfrontend -function-sections
    )
    case "$1" in
        x86_64-*) embedded_swift_flags+=(-Xcc -mno-red-zone) ;;
    esac
}
embedded_flags_for x86_64-unknown-none-elf

compile_format_core() {
    local core_sources
    mapfile -t core_sources < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
    swiftc "${embedded_swift_flags[@]}" -module-name RedoxFSFormat \
        -emit-module -emit-module-path "$1/modules/RedoxFSFormat.swiftmodule" \
        -c -o "$1/RedoxFSFormat.o" "${core_sources[@]}"
}
