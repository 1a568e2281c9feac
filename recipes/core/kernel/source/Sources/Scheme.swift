// Schemes: every file operation goes to the scheme of its description. Kernel schemes subclass
// `Scheme`; user schemes forward to their daemon (UserScheme.swift). The kernel keeps the name
// table itself (the pre-2026 model, kernel.md §3.2 "older kernels"), so `open` by name works
// without a userspace namespace manager.

class Scheme {
    let id: Int
    let name: [UInt8]

    init(id: Int, name: [UInt8]) {
        self.id = id
        self.name = name
    }

    /// (handle number or −errno, positioned).
    func open(_ path: [UInt8], flags: Int) -> (Int, Bool) { (-Errno.ENOENT, false) }
    func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int { -Errno.EBADF }
    func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int { -Errno.EBADF }
    func close(_ file: FileDescription) {}
    func dup(_ file: FileDescription, _ request: [UInt8]) -> (Int, Bool) { (-Errno.EINVAL, false) }
    /// Fills the 104-byte `Stat` at `address` (validated, writable).
    func fstat(_ file: FileDescription, address: UInt64) -> Int {
        Stat.write(address, mode: 0x2000 | 0o666, size: 0)
        return 0
    }
    func fpath(_ file: FileDescription, address: UInt64, count: Int) -> Int {
        var path: [UInt8] = Array("/scheme/".utf8)
        path += name
        return UserMemory.copyOut(path, to: address, count: count)
    }
    func fevent(_ file: FileDescription, flags: Int) -> Int { flags }
    func call(_ file: FileDescription, payload: UInt64, count: Int, metadata: [UInt64]) -> Int { -Errno.EOPNOTSUPP }
    func size(_ file: FileDescription) -> Int { -Errno.ESPIPE }
    /// FSYNC: kernel schemes hold nothing back.
    func fsync(_ file: FileDescription) -> Int { 0 }
    /// UNLINKAT of `reference` (flags: AT_REMOVEDIR 0x200).
    func unlink(_ reference: [UInt8], flags: Int) -> Int { -Errno.EOPNOTSUPP }
    /// FRENAME: `file` gets the name `reference` in the same scheme.
    func rename(_ file: FileDescription, to reference: [UInt8]) -> Int { -Errno.EOPNOTSUPP }
    /// Whether FMAP on this scheme's files gives anonymous memory.
    var mapsAnonymousMemory: Bool { false }
}

enum Stat {
    static func write(_ address: UInt64, mode: UInt16, size: UInt64, inode: UInt64 = 0) {
        let raw = UnsafeMutableRawPointer(bitPattern: UInt(address))!
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 104)
        raw.storeBytes(of: inode, toByteOffset: 8, as: UInt64.self)
        raw.storeBytes(of: mode, toByteOffset: 16, as: UInt16.self)
        raw.storeBytes(of: UInt32(1), toByteOffset: 20, as: UInt32.self)
        raw.storeBytes(of: size, toByteOffset: 32, as: UInt64.self)
        raw.storeBytes(of: UInt32(4096), toByteOffset: 40, as: UInt32.self)
        raw.storeBytes(of: (size + 511) / 512, toByteOffset: 48, as: UInt64.self)
    }
}

enum Schemes {
    nonisolated(unsafe) static var all: [Scheme] = []
    nonisolated(unsafe) static var nextUserId = 17
    /// The `/scheme` listing (not itself a named scheme).
    nonisolated(unsafe) static let listing = SchemeListing(id: 0, name: Array("scheme".utf8))

    static func find(_ name: [UInt8]) -> Scheme? {
        for scheme in all where scheme.name == name { return scheme }
        return nil
    }

    static func find(id: Int) -> Scheme? {
        for scheme in all where scheme.id == id { return scheme }
        return nil
    }

    static func add(_ scheme: Scheme) { all.append(scheme) }

    static func remove(_ scheme: Scheme) {
        var index = 0
        while index < all.count {
            if all[index] === scheme { all.remove(at: index) } else { index += 1 }
        }
    }

    /// Splits a path into (scheme name, reference): `/scheme/NAME/REF`, `NAME:REF`, or `/X` → file.
    static func split(_ path: [UInt8]) -> ([UInt8], [UInt8])? {
        let prefix = Array("/scheme/".utf8)
        if path.count >= prefix.count && Array(path[0..<prefix.count]) == prefix {
            let rest = Array(path[prefix.count...])
            if let slash = rest.firstIndex(of: 0x2F) {
                return (Array(rest[0..<slash]), Array(rest[(slash + 1)...]))
            }
            return (rest, [])
        }
        if path.first == 0x2F {
            return (Array("file".utf8), Array(path[1...]))
        }
        if let colon = path.firstIndex(of: 0x3A) {
            return (Array(path[0..<colon]), Array(path[(colon + 1)...]))
        }
        return nil
    }
}

/// Readiness changes: every event-queue reader re-checks when anything changed.
enum Events {
    nonisolated(unsafe) static let waiters = WaitQueue()

    static func changed() { waiters.wakeAll() }
}
