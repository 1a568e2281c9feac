/// Entry from bootloader/shim/entry.c.
@_cdecl("loader_main")
func loaderMain(imageHandle: UnsafeMutableRawPointer, systemTable: UnsafeMutableRawPointer) {
    Firmware.start(imageHandle: bits(imageHandle), systemTable: systemTable)
    Console.setUp()
    Console.print("Redox OS Bootloader \(Loader.version) on x86_64/UEFI")
    Console.fatal("hello: \(42) \(hex: 0x1234)")
}

enum Loader {
    static let version: StaticString = "1.0.0"
}
