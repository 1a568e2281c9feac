import RedoxFSFormat

/// Console text for the format core's errors.
extension Message {
    init(_ error: FormatError) {
        switch error {
        case .io(let block, let code): self = "read error at block \(block) (status \(code))"
        case .outOfBounds(let structure, let block): self = "\(Message(structure)) block \(block) is out of bounds"
        case .nullPointer(let structure): self = "null pointer to a \(Message(structure))"
        case .invalidLevel(let structure, let block, let level):
            self = "\(Message(structure)) at block \(block) has invalid level \(level)"
        case .hashMismatch(let structure, let block, _, _): self = "\(Message(structure)) at block \(block) is corrupt (hash mismatch)"
        case .malformed(let structure, let block, let problem):
            self = "\(Message(structure)) at block \(block) is malformed (problem \(problem.rawValue))"
        case .decompression(let block, _): self = "compressed record at block \(block) does not decode"
        case .noValidHeader: self = "no valid RedoxFS header"
        case .passwordRequired: self = "the file system is encrypted"
        case .wrongPassword: self = "wrong password"
        case .notEncrypted: self = "the file system is not encrypted"
        case .noSuchNode(let id): self = "node \(id) does not exist"
        case .notFound: self = "not found"
        case .notDirectory: self = "not a directory"
        }
    }

    init(_ structure: Structure) {
        switch structure {
        case .header: self = "header"
        case .treeList: self = "tree list"
        case .node: self = "node"
        case .blockList: self = "block list"
        case .record: self = "record"
        case .dirList: self = "directory list"
        case .hTreeNode: self = "directory index"
        case .allocList: self = "allocation list"
        case .releaseList: self = "release list"
        case .keySlot: self = "key slot"
        }
    }

    /// A UUID as lowercase 8-4-4-4-12 hex.
    init(uuid: [UInt8]) {
        var bytes: [UInt8] = []
        for (index, byte) in uuid.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
            bytes.appendHex(UInt64(byte), width: 2)
        }
        self.init(bytes: bytes)
    }
}
