// The `RedoxFtw` initfs image format (initfs-bootstrap.md §2): constants, the header, inode
// kinds and the errors of reading and writing. Pure Swift, no Foundation, Embedded-clean: the
// bootstrap program compiles this module too.

/// Facts of the format.
public enum InitfsFormat {
    public static let magic: [UInt8] = [0x52, 0x65, 0x64, 0x6F, 0x78, 0x46, 0x74, 0x77]   // "RedoxFtw"
    public static let headerSize = 34
    public static let inodeSize = 12
    public static let entrySize = 8
    public static let pageSize = 4096
    public static let bootstrapEntryOffset = 0x1A
    public static let maximumInodes = 65_535
}

/// What an inode holds.
public enum InitfsKind: UInt32, Sendable {
    case file = 0
    case executable = 1
    case directory = 2
    case link = 3

    /// The mode the reader synthesises (§2.2).
    public var mode: UInt16 {
        switch self {
        case .file: 0x8000 | 0o444
        case .executable: 0x8000 | 0o555
        case .directory: 0x4000 | 0o555
        case .link: 0xA000 | 0o777
        }
    }
}

/// The 34-byte header at offset 0.
public struct InitfsHeader: Equatable, Sendable {
    public var inodeTableOffset: UInt32
    public var imageSize: UInt64
    public var pageSize: UInt16
    public var rootInode: UInt16
    public var inodeCount: UInt16
    public var bootstrapEntry: UInt64

    public init(inodeTableOffset: UInt32, imageSize: UInt64, pageSize: UInt16, rootInode: UInt16,
                inodeCount: UInt16, bootstrapEntry: UInt64) {
        self.inodeTableOffset = inodeTableOffset
        self.imageSize = imageSize
        self.pageSize = pageSize
        self.rootInode = rootInode
        self.inodeCount = inodeCount
        self.bootstrapEntry = bootstrapEntry
    }

    /// The header's bytes.
    public var bytes: [UInt8] {
        var out = InitfsFormat.magic
        LittleEndian.append(UInt64(inodeTableOffset), bytes: 4, to: &out)
        LittleEndian.append(imageSize, bytes: 8, to: &out)
        LittleEndian.append(UInt64(pageSize), bytes: 2, to: &out)
        LittleEndian.append(UInt64(rootInode), bytes: 2, to: &out)
        LittleEndian.append(UInt64(inodeCount), bytes: 2, to: &out)
        LittleEndian.append(bootstrapEntry, bytes: 8, to: &out)
        return out
    }
}

/// Why an image was refused or could not be made.
public enum InitfsError: Error, Equatable, Sendable {
    case truncatedHeader(length: Int)
    case badMagic
    case sizeMismatch(header: UInt64, actual: Int)
    case inodeTableOffsetTooSmall(UInt32)
    case inodeTableOutOfBounds(end: UInt64, length: Int)
    case pageSizeMismatch(UInt16)
    case noSuchInode(Int)
    case unknownKind(inode: Int, kind: UInt32)
    case dataOutOfBounds(inode: Int)
    case nameOutOfBounds(inode: Int)
    case notADirectory(inode: Int)
    case notFound
    case tooManyLinks
    case tooManyInodes
    case tooManyEntries(count: Int)
    case nameTooLong(length: Int)
    case fileTooLarge(length: Int)
    case imageTooLarge(limit: Int)
    case notAnELF
    case truncatedELF

    #if !hasFeature(Embedded)
    /// A sentence for the user.
    public var message: String {
        switch self {
        case .truncatedHeader(let length): "image is truncated: \(length) bytes, the header alone needs \(InitfsFormat.headerSize)"
        case .badMagic: "not an initfs image (magic is not RedoxFtw)"
        case .sizeMismatch(let header, let actual): "image is damaged: the header gives \(header) bytes, the image has \(actual)"
        case .inodeTableOffsetTooSmall(let offset): "image is damaged: inode table offset \(offset) lies inside the header"
        case .inodeTableOutOfBounds(let end, let length): "image is truncated: the inode table ends at \(end), the image at \(length)"
        case .pageSizeMismatch(let size): "image was laid out for page size \(size), not 4096"
        case .noSuchInode(let inode): "image is damaged: inode \(inode) does not exist"
        case .unknownKind(let inode, let kind): "image is damaged: inode \(inode) has unknown type \(kind)"
        case .dataOutOfBounds(let inode): "image is damaged: the data of inode \(inode) lies outside the image"
        case .nameOutOfBounds(let inode): "image is damaged: a name in directory inode \(inode) lies outside the image"
        case .notADirectory(let inode): "inode \(inode) is not a directory"
        case .notFound: "no such file in the image"
        case .tooManyLinks: "too many symbolic links on the way"
        case .tooManyInodes: "more than 65535 inodes"
        case .tooManyEntries(let count): "a directory has \(count) entries, more than 65535"
        case .nameTooLong(let length): "a name of \(length) bytes is longer than 65535"
        case .fileTooLarge(let length): "a file of \(length) bytes does not fit the format (4 GiB - 1)"
        case .imageTooLarge: "bump allocation failed: max limit reached"
        case .notAnELF: "the bootstrap is not an ELF file"
        case .truncatedELF: "the bootstrap ELF file is truncated"
        }
    }
    #endif
}

enum LittleEndian {
    static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for index in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    static func store(_ value: UInt64, bytes: Int, at offset: Int, in out: inout [UInt8]) {
        for index in 0..<bytes { out[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    static func load(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }
}
