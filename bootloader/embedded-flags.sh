# Compiler flags shared by the loader, the probe kernel and scripts/embedded-check.sh (sourced).
# Embedded Swift for bare x86_64 ELF: no red zone (firmware interrupts share the stack), no stack
# protector (there is no runtime to report to), optimised for size, one section per function so
# that the linker can drop what is never called.
embedded_swift_flags=(
    -target x86_64-unknown-none-elf -enable-experimental-feature Embedded
    -enable-experimental-feature Extern -swift-version 6
    -wmo -parse-as-library -Osize -Xcc -mno-red-zone -Xfrontend -disable-stack-protector
    -Xfrontend -function-sections
)
