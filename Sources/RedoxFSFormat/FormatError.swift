/// The on-disk structures of RedoxFS, used to say where a problem was found.
public enum Structure: UInt8, Sendable {
    case header
    case treeList
    case node
    case blockList
    case record
    case dirList
    case hTreeNode
    case allocList
    case releaseList
    case keySlot
}

/// What was wrong inside a structure whose checksum was right (or that has none).
public enum Malformation: UInt8, Sendable {
    case badSignature
    case badVersion
    case headerHashMismatch
    case sizeTooSmall
    case fieldOutOfRange
    case badNodeType
    case badRecordLevel
    case badFlags
    case badMarker
    case entryOverrun
    case badNameLength
    case zeroNodeID
    case badCompressedLength
    case decompressedTooLarge
    case treeTooDeep
    case cycle
    case fileTooLarge
    case notADirectory
    case inlineDirectory
    case largerThanDevice
}

/// An error of the format core. Each case names the structure and, where there is one, the block
/// (relative to the file-system start) in which the problem was found.
public enum FormatError: Error, Equatable, Sendable {
    /// The device could not read or write the block (an errno-style code, or 0).
    case io(block: UInt64, code: Int32)
    /// The block lies outside the file system, or inside the header ring.
    case outOfBounds(Structure, block: UInt64)
    /// A pointer that must not be null was null.
    case nullPointer(Structure)
    /// A pointer's level is not allowed for the structure it points at.
    case invalidLevel(Structure, block: UInt64, level: UInt8)
    /// The stored bytes do not match the hash in the pointer that names them.
    case hashMismatch(Structure, block: UInt64, expected: UInt64, actual: UInt64)
    /// The structure decoded, but a field breaks the format's rules.
    case malformed(Structure, block: UInt64, Malformation)
    /// A compressed record did not decode.
    case decompression(block: UInt64, LZ4Error)
    /// No valid header was found in the ring.
    case noValidHeader
    /// The file system is encrypted and no password was given.
    case passwordRequired
    /// No key slot accepted the password.
    case wrongPassword
    /// A password was given but the file system is not encrypted.
    case notEncrypted
    /// The node id does not exist in the node tree.
    case noSuchNode(UInt32)
    /// A path component names no entry.
    case notFound
    /// A path component that must be a directory is not one.
    case notDirectory
}
