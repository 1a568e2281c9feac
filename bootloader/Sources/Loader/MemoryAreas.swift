/// The boot memory areas passed to the kernel: a fixed array of 1024 entries of 24 bytes
/// (`base`, `size`, `kind`, little-endian u64), unused entries all zero. Adding an area that
/// exactly touches an existing one of the same kind extends that entry instead.
///
/// Nothing here allocates, so areas can be recorded after ExitBootServices.
struct MemoryAreas {
    /// The kind of an area, as the kernel reads it.
    enum Kind: UInt64 {
        case free = 1
        case reclaim = 2
        case reserved = 3
    }

    static let capacity = 1024
    static let entrySize = 24
    static let byteCount = capacity * entrySize

    let storage: UnsafeMutableRawBufferPointer

    init() {
        storage = PhysicalMemory.allocate(Self.byteCount, for: "memory areas")
    }

    var address: UInt64 { bits(storage.baseAddress) }

    private func field(_ index: Int, _ field: Int) -> UInt64 {
        storage.loadUnaligned(fromByteOffset: index * Self.entrySize + 8 * field, as: UInt64.self)
    }

    private func setField(_ index: Int, _ field: Int, _ value: UInt64) {
        storage.storeBytes(of: value, toByteOffset: index * Self.entrySize + 8 * field, as: UInt64.self)
    }

    /// Records `size` bytes at `base`; overflowing the table stops the machine.
    func add(base: UInt64, size: UInt64, kind: Kind) {
        guard size > 0 else { return }
        for index in 0..<Self.capacity {
            let entryKind = field(index, 2)
            if entryKind == 0 {
                setField(index, 0, base)
                setField(index, 1, size)
                setField(index, 2, kind.rawValue)
                return
            }
            guard entryKind == kind.rawValue else { continue }
            let entryBase = field(index, 0)
            let entrySize = field(index, 1)
            if entryBase + entrySize == base {
                setField(index, 1, entrySize + size)
                return
            }
            if base + size == entryBase {
                setField(index, 0, base)
                setField(index, 1, entrySize + size)
                return
            }
        }
        Console.fatal(static: "too many memory areas (the table holds 1024)")
    }
}
