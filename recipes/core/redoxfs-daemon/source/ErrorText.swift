// Console text and errno for the format core's errors.

import RedoxFSFormat
import RedoxRuntime

/// A line of text for `error`.
func describe(_ error: FormatError) -> [UInt8] {
    var line: [UInt8] = []
    func add(_ pieces: Piece...) { for piece in pieces { piece.append(to: &line) } }
    switch error {
    case .io(let block, let code): add("read error at block ", .number(Int(block)), " (errno ", .number(Int(code)), ")")
    case .outOfBounds(let structure, let block): add(.bytes(name(structure)), " block ", .number(Int(block)), " is out of bounds")
    case .nullPointer(let structure): add("null pointer to a ", .bytes(name(structure)))
    case .invalidLevel(let structure, let block, let level):
        add(.bytes(name(structure)), " at block ", .number(Int(block)), " has invalid level ", .number(Int(level)))
    case .hashMismatch(let structure, let block, _, _):
        add(.bytes(name(structure)), " at block ", .number(Int(block)), " is corrupt (hash mismatch)")
    case .malformed(let structure, let block, let problem):
        add(.bytes(name(structure)), " at block ", .number(Int(block)), " is malformed (problem ", .number(Int(problem.rawValue)), ")")
    case .decompression(let block, _): add("compressed record at block ", .number(Int(block)), " does not decode")
    case .noValidHeader: add("no valid RedoxFS header")
    case .passwordRequired: add("the file system is encrypted")
    case .wrongPassword: add("wrong password")
    case .notEncrypted: add("the file system is not encrypted")
    case .noSuchNode(let id): add("node ", .number(Int(id)), " does not exist")
    case .notFound: add("not found")
    case .notDirectory: add("not a directory")
    }
    return line
}

/// The errno a caller gets for `error`: missing names ENOENT, damage EIO.
func errno(for error: FormatError) -> Int {
    switch error {
    case .notFound, .noSuchNode: Errno.ENOENT
    case .notDirectory: Errno.ENOTDIR
    default: Errno.EIO
    }
}

private func name(_ structure: Structure) -> [UInt8] {
    switch structure {
    case .header: bytes("header")
    case .treeList: bytes("tree list")
    case .node: bytes("node")
    case .blockList: bytes("block list")
    case .record: bytes("record")
    case .dirList: bytes("directory list")
    case .hTreeNode: bytes("directory index")
    case .allocList: bytes("allocation list")
    case .releaseList: bytes("release list")
    case .keySlot: bytes("key slot")
    }
}
