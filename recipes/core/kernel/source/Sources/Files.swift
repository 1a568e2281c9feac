// File descriptions and the two-level file table (kernel.md §2.5): slots chosen by the caller,
// the upper table at index | 1<<62. Each table holds at most 4096 slots here (Redox: 65 536), so
// that a process cannot use up the kernel heap with one far slot number.

/// An open file: which scheme, its handle number there, and the kernel-kept offset.
final class FileDescription {
    let scheme: Scheme
    let number: Int
    var offset: UInt64 = 0
    var flags: Int
    var positioned: Bool
    var references = 0

    init(scheme: Scheme, number: Int, flags: Int, positioned: Bool) {
        self.scheme = scheme
        self.number = number
        self.flags = flags
        self.positioned = positioned
    }

    func retain() -> FileDescription { references += 1; return self }

    func release() {
        references -= 1
        if references == 0 { scheme.close(self) }
    }
}

final class FileTable {
    static let upperTag = 1 << 62
    static let capacity = 4096
    var lower: [FileDescription?] = []
    var upper: [FileDescription?] = []

    func get(_ fd: Int) -> FileDescription? {
        let isUpper = fd & FileTable.upperTag != 0
        let index = fd & ~FileTable.upperTag
        guard fd >= 0, index < (isUpper ? upper.count : lower.count) else { return nil }
        return isUpper ? upper[index] : lower[index]
    }

    /// Puts `description` at slot `fd`; −EEXIST when taken, −EBADF when out of range.
    func insert(_ description: FileDescription, at fd: Int, replace: Bool = false) -> Int {
        let isUpper = fd & FileTable.upperTag != 0
        let index = fd & ~FileTable.upperTag
        guard fd >= 0, index < FileTable.capacity else { return -Errno.EBADF }
        if isUpper {
            while upper.count <= index { upper.append(nil) }
            if let old = upper[index] { if replace { old.release() } else { return -Errno.EEXIST } }
            upper[index] = description.retain()
        } else {
            while lower.count <= index { lower.append(nil) }
            if let old = lower[index] { if replace { old.release() } else { return -Errno.EEXIST } }
            lower[index] = description.retain()
        }
        return fd
    }

    /// The lowest free lower slot (for callers passing usize::MAX as the slot).
    func lowestFree() -> Int {
        for index in 0..<lower.count where lower[index] == nil { return index }
        return lower.count
    }

    func remove(_ fd: Int) -> FileDescription? {
        guard let description = get(fd) else { return nil }
        let index = fd & ~FileTable.upperTag
        if fd & FileTable.upperTag != 0 { upper[index] = nil } else { lower[index] = nil }
        return description
    }

    func closeAll() {
        let all = lower + upper
        lower = []
        upper = []
        for case let description? in all { description.release() }
    }
}
