// Reading a `RedoxFtw` image (initfs-bootstrap.md §2.3): the header validated up front, every
// inode, data range and name checked when used. Works on borrowed bytes so that bootstrap can
// read the image where the kernel mapped it.

/// One inode: its kind and where its data lies.
public struct InitfsInode: Equatable, Sendable {
    public let number: Int
    public let kind: InitfsKind
    public let offset: Int
    public let length: Int
}

/// A directory entry.
public struct InitfsEntry: Equatable, Sendable {
    public let inode: Int
    public let nameOffset: Int
    public let nameLength: Int
}

/// A validated view of an initfs image in memory.
public struct InitfsView {
    public let bytes: UnsafeRawBufferPointer
    public let header: InitfsHeader

    /// Checks the header (magic, size, inode table bounds; the page size when `requirePageSize`).
    public init(_ bytes: UnsafeRawBufferPointer, requirePageSize: Bool = false) throws(InitfsError) {
        guard bytes.count >= InitfsFormat.headerSize else { throw .truncatedHeader(length: bytes.count) }
        for index in 0..<8 where bytes[index] != InitfsFormat.magic[index] { throw .badMagic }
        let header = InitfsHeader(
            inodeTableOffset: UInt32(LittleEndian.load(bytes, 0x08, 4)),
            imageSize: LittleEndian.load(bytes, 0x0C, 8),
            pageSize: UInt16(LittleEndian.load(bytes, 0x14, 2)),
            rootInode: UInt16(LittleEndian.load(bytes, 0x16, 2)),
            inodeCount: UInt16(LittleEndian.load(bytes, 0x18, 2)),
            bootstrapEntry: LittleEndian.load(bytes, 0x1A, 8))
        guard header.imageSize <= UInt64(bytes.count), header.imageSize <= UInt64(UInt32.max) else {
            throw .sizeMismatch(header: header.imageSize, actual: bytes.count)
        }
        guard header.inodeTableOffset >= UInt32(InitfsFormat.headerSize) else {
            throw .inodeTableOffsetTooSmall(header.inodeTableOffset)
        }
        let tableEnd = UInt64(header.inodeTableOffset) + UInt64(header.inodeCount) * UInt64(InitfsFormat.inodeSize)
        guard tableEnd <= header.imageSize else { throw .inodeTableOutOfBounds(end: tableEnd, length: Int(header.imageSize)) }
        if requirePageSize && header.pageSize != UInt16(InitfsFormat.pageSize) { throw .pageSizeMismatch(header.pageSize) }
        self.bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<Int(header.imageSize)])
        self.header = header
    }

    public var rootInode: Int { Int(header.rootInode) }

    public func inode(_ number: Int) throws(InitfsError) -> InitfsInode {
        guard number >= 0, number < Int(header.inodeCount) else { throw .noSuchInode(number) }
        let base = Int(header.inodeTableOffset) + number * InitfsFormat.inodeSize
        let rawKind = UInt32(LittleEndian.load(bytes, base, 4))
        guard let kind = InitfsKind(rawValue: rawKind) else { throw .unknownKind(inode: number, kind: rawKind) }
        let length = Int(LittleEndian.load(bytes, base + 4, 4))
        let offset = Int(LittleEndian.load(bytes, base + 8, 4))
        guard offset <= bytes.count, length <= bytes.count - offset else { throw .dataOutOfBounds(inode: number) }
        if kind == .directory && length % InitfsFormat.entrySize != 0 { throw .dataOutOfBounds(inode: number) }
        return InitfsInode(number: number, kind: kind, offset: offset, length: length)
    }

    /// The inode's data (file contents, link target, or the raw entry table).
    public func data(_ inode: InitfsInode) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[inode.offset..<(inode.offset + inode.length)])
    }

    public func entries(_ directory: InitfsInode) throws(InitfsError) -> [InitfsEntry] {
        guard directory.kind == .directory else { throw .notADirectory(inode: directory.number) }
        var result: [InitfsEntry] = []
        let table = data(directory)
        for index in 0..<(directory.length / InitfsFormat.entrySize) {
            let base = index * InitfsFormat.entrySize
            let entry = InitfsEntry(inode: Int(LittleEndian.load(table, base, 2)),
                                    nameOffset: Int(LittleEndian.load(table, base + 4, 4)),
                                    nameLength: Int(LittleEndian.load(table, base + 2, 2)))
            guard entry.nameOffset <= bytes.count, entry.nameLength <= bytes.count - entry.nameOffset else {
                throw .nameOutOfBounds(inode: directory.number)
            }
            result.append(entry)
        }
        return result
    }

    public func name(_ entry: InitfsEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[entry.nameOffset..<(entry.nameOffset + entry.nameLength)])
    }

    /// The entry named `name` in `directory`, or nil.
    public func child(_ directory: InitfsInode, named name: [UInt8]) throws(InitfsError) -> InitfsInode? {
        for entry in try entries(directory) {
            let candidate = self.name(entry)
            guard candidate.count == name.count else { continue }
            var same = true
            for index in 0..<name.count where candidate[index] != name[index] { same = false; break }
            if same { return try inode(entry.inode) }
        }
        return nil
    }

    /// Looks up a `/`-separated path from the root, following symbolic links (at most 16).
    public func lookup(_ path: [UInt8], followLastLink: Bool = true) throws(InitfsError) -> InitfsInode {
        var links = 0
        return try resolve(components(path), from: [], followLast: followLastLink, links: &links)
    }

    private func components(_ path: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in path {
            if byte == 0x2F {
                if !current.isEmpty { parts.append(current) }
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// `stack` holds the directories walked so far (for `..`).
    private func resolve(_ parts: [[UInt8]], from start: [InitfsInode], followLast: Bool, links: inout Int) throws(InitfsError) -> InitfsInode {
        var stack = start
        if stack.isEmpty { stack = [try inode(rootInode)] }
        for (index, part) in parts.enumerated() {
            if part == [0x2E] { continue }
            if part == [0x2E, 0x2E] {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            guard let next = try child(stack[stack.count - 1], named: part) else { throw .notFound }
            let isLast = index == parts.count - 1
            if next.kind == .link && (!isLast || followLast) {
                links += 1
                guard links <= 16 else { throw .tooManyLinks }
                let target = Array(data(next))
                let targetParts = components(target)
                let base = target.first == 0x2F ? [try inode(rootInode)] : stack
                let resolved = try resolve(targetParts, from: base, followLast: true, links: &links)
                if isLast { return resolved }
                guard resolved.kind == .directory else { throw .notADirectory(inode: resolved.number) }
                stack.append(resolved)
                continue
            }
            if isLast { return next }
            guard next.kind == .directory else { throw .notADirectory(inode: next.number) }
            stack.append(next)
        }
        return stack[stack.count - 1]
    }
}
