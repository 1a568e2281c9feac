// The password the loader typed in (bootloader.md §10): REDOXFS_PASSWORD_ADDR/SIZE name physical
// memory, mapped through `memory:physical`, copied, then overwritten with zeros and unmapped, so
// that no copy stays in memory once the volume is unlocked.

import RedoxRuntime

enum LoaderPassword {
    /// Passwords longer than this are refused (the loader's prompt stops far earlier).
    static let maximumLength: UInt64 = 4096

    /// The password, or nil when the loader handed none over (or it cannot be read, with a line).
    static func take() -> [UInt8]? {
        guard let addressText = Runtime.variable("REDOXFS_PASSWORD_ADDR"),
              let sizeText = Runtime.variable("REDOXFS_PASSWORD_SIZE") else { return nil }
        guard let address = parseHex(addressText), let size = parseHex(sizeText), size > 0, size <= maximumLength else {
            say("redoxfs: REDOXFS_PASSWORD_ADDR/SIZE are not usable")
            return nil
        }
        let memory = Sys.open("/scheme/memory/physical", flags: OpenFlags.readWrite)
        guard memory >= 0 else {
            say("redoxfs: cannot open memory:physical for the password: ", .text(Errno.name(memory)))
            return nil
        }
        defer { _ = Sys.close(memory) }
        let base = address & ~0xFFF
        let length = Int((address - base + size + 0xFFF) & ~0xFFF)
        let words: [UInt64] = [base, UInt64(length), 0x6_0000, 0]
        let mapped = words.withUnsafeBytes {
            Sys.call(SyscallNumber.fmap, UInt64(bitPattern: Int64(memory)), UInt64(UInt(bitPattern: $0.baseAddress)), 32)
        }
        guard mapped > 0, let pointer = UnsafeMutableRawPointer(bitPattern: UInt(mapped)) else {
            say("redoxfs: cannot map the password: ", .text(Errno.name(mapped)))
            return nil
        }
        let start = pointer + Int(address - base)
        let password = Array(UnsafeRawBufferPointer(start: start, count: Int(size)))
        start.initializeMemory(as: UInt8.self, repeating: 0, count: Int(size))
        _ = Sys.unmap(UInt64(mapped), size: length)
        return password
    }
}
