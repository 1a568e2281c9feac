// Writing a `RedoxFtw` image the way upstream's archiver lays it out (initfs-bootstrap.md §2.4):
// a page-aligned bump allocator; page 0 for the header, the bootstrap ELF at 0x1000, then the tree
// depth first (a directory's entry table, then per child its content and its name), the inode
// table last; the root directory is the last inode.

/// A tree to archive.
public indirect enum InitfsNode: Equatable, Sendable {
    case file([UInt8], executable: Bool)
    case directory([InitfsChild])
    case link([UInt8])
}

/// A named child of a directory.
public struct InitfsChild: Equatable, Sendable {
    public var name: [UInt8]
    public var node: InitfsNode

    public init(name: [UInt8], node: InitfsNode) {
        self.name = name
        self.node = node
    }
}

public struct InitfsWriter {
    public static let defaultMaximumSize = 64 << 20

    private var out: [UInt8] = [UInt8](repeating: 0, count: InitfsFormat.pageSize)
    private var inodes: [(kind: InitfsKind, length: Int, offset: Int)] = []
    private let maximumSize: Int

    private init(maximumSize: Int) { self.maximumSize = maximumSize }

    /// The image of `root` (a directory) with `bootstrap` (an ELF file) at offset 0x1000.
    public static func image(root: [InitfsChild], bootstrap: [UInt8],
                             maximumSize: Int = defaultMaximumSize) throws(InitfsError) -> [UInt8] {
        let entry = try bootstrapEntry(bootstrap)
        var writer = InitfsWriter(maximumSize: maximumSize)
        let bootstrapOffset = try writer.allocate(bootstrap.count)
        writer.copy(bootstrap, to: bootstrapOffset)
        let rootInode = try writer.writeDirectory(root)
        guard writer.inodes.count <= InitfsFormat.maximumInodes else { throw .tooManyInodes }
        let tableOffset = try writer.allocate(writer.inodes.count * InitfsFormat.inodeSize)
        for (index, inode) in writer.inodes.enumerated() {
            let base = tableOffset + index * InitfsFormat.inodeSize
            LittleEndian.store(UInt64(inode.kind.rawValue), bytes: 4, at: base, in: &writer.out)
            LittleEndian.store(UInt64(inode.length), bytes: 4, at: base + 4, in: &writer.out)
            LittleEndian.store(UInt64(inode.offset), bytes: 4, at: base + 8, in: &writer.out)
        }
        let size = tableOffset + writer.inodes.count * InitfsFormat.inodeSize
        writer.out.removeLast(writer.out.count - size)
        let header = InitfsHeader(inodeTableOffset: UInt32(tableOffset), imageSize: UInt64(size),
                                  pageSize: UInt16(InitfsFormat.pageSize), rootInode: UInt16(rootInode),
                                  inodeCount: UInt16(writer.inodes.count), bootstrapEntry: entry)
        let headerBytes = header.bytes
        for index in 0..<headerBytes.count { writer.out[index] = headerBytes[index] }
        return writer.out
    }

    /// `e_entry` of a 32- or 64-bit, little- or big-endian ELF file.
    public static func bootstrapEntry(_ elf: [UInt8]) throws(InitfsError) -> UInt64 {
        guard elf.count >= 6, elf[0] == 0x7F, elf[1] == 0x45, elf[2] == 0x4C, elf[3] == 0x46 else { throw .notAnELF }
        let wide = elf[4] == 2
        let bigEndian = elf[5] == 2
        let size = wide ? 8 : 4
        guard elf.count >= 24 + size else { throw .truncatedELF }
        var value: UInt64 = 0
        for index in 0..<size {
            let byte = UInt64(elf[24 + (bigEndian ? size - 1 - index : index)])
            value |= byte << (8 * UInt64(index))
        }
        return value
    }

    /// A page-aligned allocation of `length` bytes (none for zero bytes); its offset.
    private mutating func allocate(_ length: Int) throws(InitfsError) -> Int {
        let offset = out.count
        guard length > 0 else { return offset }
        let end = (offset + length + InitfsFormat.pageSize - 1) / InitfsFormat.pageSize * InitfsFormat.pageSize
        guard end <= maximumSize, end <= Int(UInt32.max) else { throw .imageTooLarge(limit: maximumSize) }
        out.append(contentsOf: [UInt8](repeating: 0, count: end - offset))
        return offset
    }

    private mutating func copy(_ bytes: [UInt8], to offset: Int) {
        for index in 0..<bytes.count { out[offset + index] = bytes[index] }
    }

    private mutating func addInode(_ kind: InitfsKind, length: Int, offset: Int) throws(InitfsError) -> Int {
        guard inodes.count < InitfsFormat.maximumInodes else { throw .tooManyInodes }
        inodes.append((kind, length, offset))
        return inodes.count - 1
    }

    private mutating func write(_ node: InitfsNode) throws(InitfsError) -> Int {
        switch node {
        case .directory(let children):
            return try writeDirectory(children)
        case .file(let bytes, let executable):
            guard bytes.count <= Int(UInt32.max) else { throw .fileTooLarge(length: bytes.count) }
            let offset = try allocate(bytes.count)
            copy(bytes, to: offset)
            return try addInode(executable ? .executable : .file, length: bytes.count, offset: offset)
        case .link(let target):
            let offset = try allocate(target.count)
            copy(target, to: offset)
            return try addInode(.link, length: target.count, offset: offset)
        }
    }

    private mutating func writeDirectory(_ children: [InitfsChild]) throws(InitfsError) -> Int {
        guard children.count <= 65_535 else { throw .tooManyEntries(count: children.count) }
        let tableLength = children.count * InitfsFormat.entrySize
        let table = try allocate(tableLength)
        for (index, child) in children.enumerated() {
            guard child.name.count <= 65_535 else { throw .nameTooLong(length: child.name.count) }
            let inode = try write(child.node)
            let nameOffset = try allocate(child.name.count)
            copy(child.name, to: nameOffset)
            let base = table + index * InitfsFormat.entrySize
            LittleEndian.store(UInt64(inode), bytes: 2, at: base, in: &out)
            LittleEndian.store(UInt64(child.name.count), bytes: 2, at: base + 2, in: &out)
            LittleEndian.store(UInt64(nameOffset), bytes: 4, at: base + 4, in: &out)
        }
        return try addInode(.directory, length: tableLength, offset: table)
    }
}
