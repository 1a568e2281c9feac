import RedoxFSFormat

/// What one generation's tree holds, path by path, and whether every block of it verifies by the
/// hashes in its pointers (an intact generation can be rewound to, whatever its age).
public struct GenerationSurvey: Sendable {
    /// One path the generation's namespace reaches.
    public struct Entry: Equatable, Sendable {
        public var kind: NodeKind
        /// The pointer to the node's block: equal pointers mean equal nodes and content (the hashes
        /// in a node cover its records).
        public var node: BlockPointer
        public var size: UInt64
        /// Whether the node and everything it names (records, directory blocks) verify.
        public var isReadable: Bool
    }

    public var generation: UInt64
    public var slot: UInt64
    /// Every path reached from the root ("/" included).
    public var entries: [String: Entry] = [:]
    /// Paths whose node or directory entries cannot be read: what lies at or below them is unknown.
    public var unreadable: Set<String> = []
    /// Files, symlinks and sockets of the tree whose content verifies but that no path reaches
    /// (their names were in an unreadable directory): kept by an in-place repair under /lost+found.
    public var orphans: [Entry] = []
    /// The first problems found (at most `damageShown`).
    public var damageFound: [FormatError] = []
    /// Every block that failed to verify.
    public var damageCount = 0

    static var damageShown: Int { 8 }

    /// Whether every block of the tree verifies.
    public var isIntact: Bool { damageCount == 0 && unreadable.isEmpty }

    /// Whether `path` lies at or below a path this generation cannot read.
    public func isUnknown(_ path: String) -> Bool {
        if unreadable.contains(path) || unreadable.contains("/") { return true }
        var current = Substring(path)
        while let slash = current.lastIndex(of: "/"), slash != current.startIndex {
            current = current[..<slash]
            if unreadable.contains(String(current)) { return true }
        }
        return false
    }
}

/// Surveys the generations of one file system. What it verified for one generation is kept for
/// the next (the trees of neighbouring generations share almost every block), so surveying the
/// whole ring costs little more than surveying one tree. Reads only: never writes.
public final class RingSurveyor<Device: StorageDevice, Cipher: XTSCipher> {
    private var device: Device
    private let startBlock: UInt64
    private let cipher: Cipher?
    /// Verified metadata blocks (everything but records), by pointer.
    private var metadata: [BlockPointer: [UInt8]] = [:]
    /// Records that verified.
    private var goodRecords: Set<BlockPointer> = []
    /// Blocks that did not verify, with why.
    private var failures: [BlockPointer: FormatError] = [:]

    /// Surveys the file system at `startBlock` of `device`, decrypting with `cipher` when encrypted.
    public init(device: Device, startBlock: UInt64, cipher: Cipher?) {
        self.device = device
        self.startBlock = startBlock
        self.cipher = cipher
    }

    /// The survey of the generation whose header is at `location`.
    public func survey(_ location: HeaderRing.Location) -> GenerationSurvey {
        var survey = GenerationSurvey(generation: location.header.generation, slot: location.slot)
        var walk = SurveyWalk(surveyor: self, blockCount: location.header.blockCount)
        ReachableBlocks.walkTree(location.header.tree, visitor: &walk)
        if location.header.tree.isNull { walk.fail(.nullPointer(.treeList)) }
        survey.damageFound = walk.damage
        survey.damageCount = walk.damageCount
        let reader = FileSystemReader(
            reader: SurveyReader(surveyor: self, blockCount: location.header.blockCount), tree: location.header.tree)
        var namespace = NamespaceWalk(walk: walk, reader: reader)
        namespace.enter(RedoxFS.rootNodeID, path: "/", depth: 0, into: &survey)
        let named = Set(survey.entries.values.map { $0.node })
        for (id, pointer) in walk.nodePointers where !named.contains(pointer) && !walk.damagedNodes.contains(id) {
            guard let bytes = metadata[pointer] else { continue }
            let node = Node(block: bytes)
            guard let kind = node.kind, kind != .directory else { continue }
            survey.orphans.append(GenerationSurvey.Entry(kind: kind, node: pointer, size: node.size, isReadable: true))
        }
        return survey
    }

    /// Reads and verifies `pointer` as `structure`, from what was verified before when possible.
    fileprivate func read(_ pointer: BlockPointer, as structure: Structure, blockCount: UInt64) throws(FormatError) -> [UInt8]? {
        if let bytes = metadata[pointer] { return bytes }
        if structure == .record, goodRecords.contains(pointer) { return nil }
        if let failure = failures[pointer] { throw failure }
        do throws(FormatError) {
            let bytes = try readVerifiedBlock(
                pointer, as: structure, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
            if structure == .record {
                goodRecords.insert(pointer)
                return nil
            }
            metadata[pointer] = bytes
            return bytes
        } catch {
            failures[pointer] = error
            throw error
        }
    }
}

/// The shared walk over one generation's tree: verifies every block, notes the node pointers and
/// which nodes have damage of their own.
private struct SurveyWalk<Device: StorageDevice, Cipher: XTSCipher>: BlockVisitor {
    let surveyor: RingSurveyor<Device, Cipher>
    let blockCount: UInt64
    var nodePointers: [UInt32: BlockPointer] = [:]
    var damagedNodes: Set<UInt32> = []
    var damage: [FormatError] = []
    var damageCount = 0
    /// Blocks entered in this walk (a tree whose pointers share or loop is walked once).
    private var entered: Set<BlockPointer> = []

    init(surveyor: RingSurveyor<Device, Cipher>, blockCount: UInt64) {
        self.surveyor = surveyor
        self.blockCount = blockCount
    }

    mutating func fail(_ problem: FormatError) {
        damageCount += 1
        if damage.count < GenerationSurvey.damageShown { damage.append(problem) }
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        if case .node(let id) = role { nodePointers[id] = pointer }
        if case .record = role {} else {
            guard entered.insert(pointer).inserted else { return nil }
        }
        do throws(FormatError) {
            let bytes = try surveyor.read(pointer, as: role.structure, blockCount: blockCount)
            if case .node = role, let bytes {
                let node = Node(block: bytes)
                try node.validate(block: pointer.address.index)
            }
            return bytes
        } catch {
            if let id = role.nodeID { damagedNodes.insert(id) }
            fail(error)
            return nil
        }
    }
}

/// A `BlockReader` over the surveyor's verified blocks.
private struct SurveyReader<Device: StorageDevice, Cipher: XTSCipher>: BlockReader {
    let surveyor: RingSurveyor<Device, Cipher>
    let blockCount: UInt64

    mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        guard let bytes = try surveyor.read(pointer, as: structure, blockCount: blockCount) else {
            throw .nullPointer(structure)
        }
        return bytes
    }
}

/// The namespace of one generation, from the root: every path with its node.
private struct NamespaceWalk<Device: StorageDevice, Cipher: XTSCipher> {
    let walk: SurveyWalk<Device, Cipher>
    /// Deepest directory nesting followed (a hostile image cannot exhaust the stack).
    static var depthLimit: Int { 4096 }

    var reader: FileSystemReader<SurveyReader<Device, Cipher>>
    private var entered: Set<UInt32> = []

    init(walk: SurveyWalk<Device, Cipher>, reader: FileSystemReader<SurveyReader<Device, Cipher>>) {
        self.walk = walk
        self.reader = reader
    }

    /// Records node `id` at `path` and, for a readable directory, everything below it.
    mutating func enter(_ id: UInt32, path: String, depth: Int, into survey: inout GenerationSurvey) {
        guard let pointer = walk.nodePointers[id], let bytes = try? reader.reader.read(pointer, as: .node) else {
            survey.unreadable.insert(path)
            return
        }
        let node = Node(block: bytes)
        guard let kind = node.kind else {
            survey.unreadable.insert(path)
            return
        }
        let readable = !walk.damagedNodes.contains(id)
        survey.entries[path] = GenerationSurvey.Entry(kind: kind, node: pointer, size: node.size, isReadable: readable)
        guard kind == .directory, entered.insert(id).inserted else { return }
        guard depth < NamespaceWalk.depthLimit else {
            survey.unreadable.insert(path)
            return
        }
        guard let entries = try? reader.entries(of: node) else {
            survey.unreadable.insert(path)
            return
        }
        let prefix = path == "/" ? "/" : path + "/"
        for entry in entries {
            enter(entry.nodeID, path: prefix + String(decoding: entry.name, as: UTF8.self), depth: depth + 1, into: &survey)
        }
    }

}
