/// Lays out a FAT volume's tree: assigns clusters in order, then emits the boot sector(s), the
/// FATs, the directories and the file data.
struct FATBuilder {
    final class Directory {
        var name: [UInt8]          // 11-byte 8.3 name; empty for the root
        var entries: [Entry] = []
        var firstCluster: UInt32 = 0
        init(name: [UInt8]) { self.name = name }
    }

    enum Entry {
        case directory(Directory)
        case file(name: [UInt8], contents: [UInt8], firstCluster: UInt32)

        var name: [UInt8] {
            switch self {
            case .directory(let directory): return directory.name
            case .file(let name, _, _): return name
            }
        }
    }

    let formatter: FATFormatter
    let root = Directory(name: [])

    init(formatter: FATFormatter) {
        self.formatter = formatter
    }

    /// The 11-byte directory name of an 8.3 `component`.
    static func shortName(_ component: String) throws(InstallerError) -> [UInt8] {
        let upper = component.uppercased()
        let parts = upper.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = parts.first, !base.isEmpty, base.utf8.count <= 8,
              (parts.count == 1 || (parts[1].utf8.count >= 1 && parts[1].utf8.count <= 3)) else {
            throw .invalidPath(component, "not an 8.3 name (the ESP writer stores short names only)")
        }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-~!#$%&'(){}@^`".utf8)
        for byte in upper.utf8 where byte != UInt8(ascii: ".") && !allowed.contains(byte) {
            throw .invalidPath(component, "character not allowed in a FAT short name")
        }
        let ext = parts.count == 2 ? Array(parts[1].utf8) : []
        return Array(base.utf8) + [UInt8](repeating: 0x20, count: 8 - base.utf8.count)
            + ext + [UInt8](repeating: 0x20, count: 3 - ext.count)
    }

    mutating func add(_ item: FATFormatter.Item) throws(InstallerError) {
        guard !item.path.isEmpty else { return }
        var directory = root
        for component in item.path.dropLast() {
            let name = try Self.shortName(component)
            if let existing = directory.entries.first(where: { $0.name == name }) {
                guard case .directory(let child) = existing else {
                    throw .invalidPath(item.path.joined(separator: "/"), "a file is in the way")
                }
                directory = child
            } else {
                let child = Directory(name: name)
                directory.entries.append(.directory(child))
                directory = child
            }
        }
        let name = try Self.shortName(item.path.last!)
        if let index = directory.entries.firstIndex(where: { $0.name == name }) {
            if item.contents == nil, case .directory = directory.entries[index] { return }
            directory.entries.remove(at: index)
        }
        if let contents = item.contents {
            directory.entries.append(.file(name: name, contents: contents, firstCluster: 0))
        } else {
            directory.entries.append(.directory(Directory(name: name)))
        }
    }

    mutating func finish() throws(InstallerError) -> [(offset: UInt64, bytes: [UInt8])] {
        let clusterBytes = formatter.clusterBytes
        let variant = formatter.variant
        var next: UInt32 = 2
        var chains: [(first: UInt32, count: UInt32)] = []
        func allocate(_ count: UInt32) -> UInt32 {
            guard count > 0 else { return 0 }
            let first = next
            next += count
            chains.append((first, count))
            return first
        }
        func directoryClusters(_ directory: Directory, isRoot: Bool) -> UInt32 {
            let count = directory.entries.count + (isRoot ? 0 : 2)
            return UInt32(max(1, (count * 32 + clusterBytes - 1) / clusterBytes))
        }
        // Assign clusters depth-first, directories before their contents.
        func assign(_ directory: Directory, isRoot: Bool) {
            if !isRoot || variant == .fat32 {
                directory.firstCluster = allocate(directoryClusters(directory, isRoot: isRoot))
            }
            for index in directory.entries.indices {
                switch directory.entries[index] {
                case .directory(let child): assign(child, isRoot: false)
                case .file(let name, let contents, _):
                    let first = allocate(UInt32((contents.count + clusterBytes - 1) / clusterBytes))
                    directory.entries[index] = .file(name: name, contents: contents, firstCluster: first)
                }
            }
        }
        assign(root, isRoot: true)
        let used = next - 2
        guard used <= formatter.clusterCount else {
            throw .other("the EFI partition is too small for its files (\(used) clusters needed, \(formatter.clusterCount) available)")
        }
        if variant != .fat32, root.entries.count > Int(formatter.rootEntries) {
            throw .other("too many files in the ESP's root directory")
        }

        // The FAT.
        let fatBytes = Int(formatter.sectorsPerFAT) * 512
        var fat = [UInt8](repeating: 0, count: fatBytes)
        func setEntry(_ cluster: UInt32, _ value: UInt32) {
            switch variant {
            case .fat12:
                let at = Int(cluster) * 3 / 2
                if cluster & 1 == 0 {
                    fat[at] = UInt8(value & 0xFF)
                    fat[at + 1] = (fat[at + 1] & 0xF0) | UInt8((value >> 8) & 0x0F)
                } else {
                    fat[at] = (fat[at] & 0x0F) | UInt8((value & 0x0F) << 4)
                    fat[at + 1] = UInt8((value >> 4) & 0xFF)
                }
            case .fat16: fat.put(UInt64(value & 0xFFFF), at: Int(cluster) * 2, size: 2)
            case .fat32: fat.put(UInt64(value & 0x0FFF_FFFF), at: Int(cluster) * 4, size: 4)
            }
        }
        let endOfChain: UInt32 = variant == .fat12 ? 0xFFF : (variant == .fat16 ? 0xFFFF : 0x0FFF_FFFF)
        setEntry(0, endOfChain & 0xFFFF_FFF8)
        setEntry(1, endOfChain)
        for chain in chains {
            for i in 0..<chain.count {
                setEntry(chain.first + i, i + 1 == chain.count ? endOfChain : chain.first + i + 1)
            }
        }

        var writes: [(offset: UInt64, bytes: [UInt8])] = []
        // Reserved area, FATs and (FAT12/16) the root directory, all written in one piece.
        let metadataSectors = Int(formatter.firstDataSector)
        var metadata = [UInt8](repeating: 0, count: metadataSectors * 512)
        let free = formatter.clusterCount - used
        let boot = formatter.bootSector(freeClusters: free)
        metadata.replaceSubrange(0..<512, with: boot)
        if variant == .fat32 {
            let info = formatter.fsInfo(freeClusters: free, nextFree: next)
            metadata.replaceSubrange(512..<1024, with: info)
            metadata.replaceSubrange(6 * 512..<7 * 512, with: boot)
            metadata.replaceSubrange(7 * 512..<8 * 512, with: info)
        }
        for copy in 0..<Int(FATFormatter.fatCount) {
            let at = (Int(formatter.reservedSectors) + copy * Int(formatter.sectorsPerFAT)) * 512
            metadata.replaceSubrange(at..<at + fatBytes, with: fat)
        }
        if variant != .fat32 {
            let at = Int(formatter.reservedSectors + FATFormatter.fatCount * formatter.sectorsPerFAT) * 512
            let table = directoryTable(root, parent: 0, isRoot: true)
            metadata.replaceSubrange(at..<at + table.count, with: table)
        }
        writes.append((0, metadata))

        // Directories and files in the data area.
        func emit(_ directory: Directory, parentCluster: UInt32, isRoot: Bool) {
            if !isRoot || variant == .fat32 {
                var table = directoryTable(directory, parent: parentCluster, isRoot: isRoot)
                let size = Int(directoryClusters(directory, isRoot: isRoot)) * clusterBytes
                table += [UInt8](repeating: 0, count: size - table.count)
                writes.append((formatter.clusterOffset(directory.firstCluster), table))
            }
            for entry in directory.entries {
                switch entry {
                case .directory(let child): emit(child, parentCluster: isRoot ? 0 : directory.firstCluster, isRoot: false)
                case .file(_, let contents, let first) where first != 0:
                    var padded = contents
                    let size = (contents.count + clusterBytes - 1) / clusterBytes * clusterBytes
                    padded += [UInt8](repeating: 0, count: size - contents.count)
                    writes.append((formatter.clusterOffset(first), padded))
                case .file: break
                }
            }
        }
        emit(root, parentCluster: 0, isRoot: true)
        return writes
    }

    /// The 32-byte records of `directory` (with "." and ".." unless it is the root).
    private func directoryTable(_ directory: Directory, parent: UInt32, isRoot: Bool) -> [UInt8] {
        var table: [UInt8] = []
        func record(_ name: [UInt8], attributes: UInt8, cluster: UInt32, size: UInt32) {
            var entry = [UInt8](repeating: 0, count: 32)
            entry.replaceSubrange(0..<11, with: name)
            entry[11] = attributes
            entry.put(UInt64(formatter.dosTime), at: 14, size: 2)   // creation time
            entry.put(UInt64(formatter.dosDate), at: 16, size: 2)   // creation date
            entry.put(UInt64(formatter.dosDate), at: 18, size: 2)   // access date
            entry.put(UInt64(cluster >> 16), at: 20, size: 2)
            entry.put(UInt64(formatter.dosTime), at: 22, size: 2)   // modification time
            entry.put(UInt64(formatter.dosDate), at: 24, size: 2)   // modification date
            entry.put(UInt64(cluster & 0xFFFF), at: 26, size: 2)
            entry.put(UInt64(size), at: 28, size: 4)
            table += entry
        }
        let dot = Array(".          ".utf8), dotdot = Array("..         ".utf8)
        if !isRoot {
            record(dot, attributes: 0x10, cluster: directory.firstCluster, size: 0)
            record(dotdot, attributes: 0x10, cluster: parent, size: 0)
        }
        for entry in directory.entries {
            switch entry {
            case .directory(let child): record(child.name, attributes: 0x10, cluster: child.firstCluster, size: 0)
            case .file(let name, let contents, let first): record(name, attributes: 0x20, cluster: first, size: UInt32(contents.count))
            }
        }
        return table
    }
}
