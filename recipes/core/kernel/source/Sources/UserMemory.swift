// Every pointer and length a process passes is checked against its address space before the
// kernel touches it: a bad one is EFAULT, never a kernel fault.

enum UserMemory {
    /// Whether [address, address + count) is mapped, user-accessible (and writable if asked) in
    /// the current process.
    static func valid(_ address: UInt64, _ count: Int, writable: Bool) -> Bool {
        guard count >= 0 else { return false }
        if count == 0 { return true }
        let length = UInt64(count)
        guard address < Layout.userEnd, length <= Layout.userEnd - address,
              let space = Scheduler.current?.space else { return false }
        var page = address & ~0xFFF
        let end = address + length
        while page < end {
            guard let (_, flags) = space.translate(page), flags & PageFlags.user != 0,
                  !writable || flags & PageFlags.writable != 0 else { return false }
            page += 4096
        }
        return true
    }

    /// A copy of the caller's bytes, or nil (EFAULT).
    static func copyIn(_ address: UInt64, _ count: Int) -> [UInt8]? {
        guard valid(address, count, writable: false) else { return nil }
        if count == 0 { return [] }
        return Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: count))
    }

    static func load(_ address: UInt64) -> UInt64? {
        guard valid(address, 8, writable: false) else { return nil }
        return UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(as: UInt64.self)
    }

    static func store(_ value: UInt64, at address: UInt64) -> Bool {
        guard valid(address, 8, writable: true) else { return false }
        UnsafeMutableRawPointer(bitPattern: UInt(address))!.storeBytes(of: value, as: UInt64.self)
        return true
    }

    /// Copies `bytes` (at most `count`) to validated caller memory; the count copied.
    static func copyOut(_ bytes: [UInt8], to address: UInt64, count: Int) -> Int {
        let length = min(bytes.count, count)
        guard valid(address, length, writable: true) else { return -Errno.EFAULT }
        bytes.withUnsafeBytes { source in
            if length > 0 {
                UnsafeMutableRawPointer(bitPattern: UInt(address))!.copyMemory(from: source.baseAddress!, byteCount: length)
            }
        }
        return length
    }
}
