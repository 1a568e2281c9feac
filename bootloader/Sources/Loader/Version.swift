/// The loader's version, printed in the banner.
enum Loader {
    static let version: StaticString = "1.0.0"
    /// Size of the boot stack handed to the kernel.
    static let stackSize = 0x20000
}
