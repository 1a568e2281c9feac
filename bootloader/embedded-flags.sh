# Compiler flags shared by the loaders, the probe kernels and scripts/embedded-check.sh (sourced).
# Embedded Swift for a bare ELF target: no stack protector (there is no runtime to report to),
# optimised for size, one section per function so that the linker can drop what is never called.
#
#   embedded_swift_flags           the x86_64 flags (x86_64-unknown-none-elf; no red zone, since
#                                  firmware interrupts share the stack)
#   embedded_flags_for TRIPLE      sets embedded_swift_flags for TRIPLE: x86_64-unknown-none-elf,
#                                  aarch64-none-none-elf or i686-unknown-none-elf
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
