#if canImport(Glibc)
import Glibc
#endif
import RedoxFSEngine
import RedoxFSFormat

/// The engine's errors in words, for people (strerror names system errors).
extension FileSystemError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .format(let error): return error.description
        case .system(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .invalidArgument(let message): return message
        case .damagedGeneration(let generation, let cause, let intact):
            let damage = "generation \(generation), the newest, is damaged (\(cause))"
            guard let intact else {
                return damage + "; no older generation is intact: `redoxfs-extract --salvage IMAGE DIR` copies out what still verifies"
            }
            return damage + "; generation \(intact) is the newest intact one: `redoxfs-fsck -y IMAGE` rewinds to it, `--generation \(intact)` opens it read-only as it was"
        }
    }
}

extension FileSystemError {
    /// The error in words about the image or file at `path`, which it names once: `PATH: ...`;
    /// a system error about `path` itself reads `PATH: OPERATION: REASON` (its `description`
    /// names the path too).
    public func message(about path: String) -> String {
        if case .system(let operation, path, let code) = self {
            return "\(path): \(operation): \(String(cString: strerror(code)))"
        }
        return "\(path): \(description)"
    }
}

extension FormatError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .io(let block, let code):
            return "I/O error at block \(block): \(String(cString: strerror(code)))"
        case .outOfBounds(let structure, let block):
            return "\(structure.name) pointer to block \(block) lies outside the file system"
        case .nullPointer(let structure):
            return "missing \(structure.name): null pointer"
        case .invalidLevel(let structure, let block, let level):
            return "\(structure.name) at block \(block) has a level (\(level)) not allowed for it"
        case .hashMismatch(let structure, let block, let expected, let actual):
            return "checksum mismatch in \(structure.name) at block \(block): expected \(hex(expected)), found \(hex(actual))"
        case .malformed(let structure, let block, let what):
            return "corrupt \(structure.name) at block \(block): \(what.explanation)"
        case .decompression(let block, let error):
            return "compressed record at block \(block) does not decode: \(error)"
        case .noValidHeader:
            return "no valid RedoxFS header found (not a RedoxFS image, or its header ring is damaged)"
        case .passwordRequired:
            return "the file system is encrypted: a password is required"
        case .wrongPassword:
            return "wrong password: no key slot accepts it"
        case .notEncrypted:
            return "a password was given but the file system is not encrypted"
        case .noSuchNode(let id):
            return "node \(id) does not exist"
        case .notFound:
            return "no such file or directory"
        case .notDirectory:
            return "not a directory"
        }
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}

extension Structure {
    /// A readable name of the structure.
    public var name: String {
        switch self {
        case .header: return "header"
        case .treeList: return "tree list"
        case .node: return "node"
        case .blockList: return "indirect block list"
        case .record: return "data record"
        case .dirList: return "directory block"
        case .hTreeNode: return "directory index block"
        case .allocList: return "allocation log block"
        case .releaseList: return "release list block"
        case .keySlot: return "key slot"
        }
    }
}

extension Malformation {
    /// What the malformation means, in words.
    public var explanation: String {
        switch self {
        case .badSignature: return "bad signature"
        case .badVersion: return "unsupported version"
        case .headerHashMismatch: return "header checksum mismatch"
        case .sizeTooSmall: return "size too small"
        case .fieldOutOfRange: return "field out of range"
        case .badNodeType: return "unknown node type"
        case .badRecordLevel: return "record level out of range"
        case .badFlags: return "unknown flags"
        case .badMarker: return "directory marker is invalid"
        case .entryOverrun: return "entries overrun the block"
        case .badNameLength: return "name length out of range"
        case .zeroNodeID: return "entry names node 0"
        case .badCompressedLength: return "compressed length larger than the block"
        case .decompressedTooLarge: return "decompressed data larger than the record"
        case .treeTooDeep: return "tree too deep"
        case .cycle: return "cycle"
        case .fileTooLarge: return "file too large"
        case .notADirectory: return "not a directory"
        case .inlineDirectory: return "directory marked as inline"
        case .largerThanDevice: return "the file system is larger than the device (truncated image?)"
        }
    }
}
