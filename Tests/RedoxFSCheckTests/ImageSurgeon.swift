import Foundation
import RedoxFS

/// Damages images on purpose for the corruption corpus. Blocks are changed in place and, unless
/// the damage is meant to break a checksum, the hashes on the path from the changed block up to
/// the header are recomputed, so that the image holds exactly the one inconsistency wanted.
struct ImageSurgeon {
    enum SurgeryError: Error { case notFound(String) }

    let path: String
    let password: [UInt8]?
    var device: FileDevice
    let start: UInt64
    var header: Header
    let slot: UInt64
    let keys: DataKeys?

    init(path: String, password: [UInt8]? = nil) throws {
        self.path = path
        self.password = password
        var device = try FileDevice.open(path: path, readOnly: false)
        let location = try HeaderRing.locate(on: &device, startBlock: nil, deviceBlocks: device.blockCount)
        self.device = device
        start = location.startBlock
        header = location.header
        slot = location.slot
        if header.isEncrypted, let password {
            keys = try header.unlock(password: password, deriveKey: Sodium.argon2id(password:salt:)).keys
        } else {
            keys = nil
        }
    }

    func close() { device.close() }

    private var cipher: XTSAES128? { keys.map { XTSAES128(dataKey: $0.dataKey, tweakKey: $0.tweakKey) } }

    // MARK: Raw blocks

    mutating func readRaw(_ index: UInt64, count: Int = 1) throws -> [UInt8] {
        try device.readBlocks(at: start + index, count: count)
    }

    mutating func writeRaw(_ index: UInt64, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try device.writeBlocks(at: start + index, from: raw) }
    }

    /// The plaintext of `count` blocks at `index`.
    mutating func read(_ index: UInt64, count: Int = 1) throws -> [UInt8] {
        var bytes = try readRaw(index, count: count)
        cipher?.decrypt(&bytes, firstUnit: index, unitSize: RedoxFS.blockSize)
        return bytes
    }

    /// Stores `plaintext` at `index` (encrypted when the file system is); returns its hash.
    @discardableResult
    mutating func write(_ index: UInt64, _ plaintext: [UInt8]) throws -> UInt64 {
        var bytes = plaintext
        cipher?.encrypt(&bytes, firstUnit: index, unitSize: RedoxFS.blockSize)
        try writeRaw(index, bytes)
        return SeaHash.hash(plaintext)
    }

    /// Flips bit `bit` of byte `byte` of block `index` as stored (no hash is fixed).
    mutating func flipBit(block index: UInt64, byte: Int, bit: UInt8 = 4) throws {
        var bytes = try readRaw(index)
        bytes[byte] ^= 1 << bit
        try writeRaw(index, bytes)
    }

    /// Overwrites block `index` with zeros (no hash is fixed).
    mutating func zero(block index: UInt64) throws {
        try writeRaw(index, [UInt8](repeating: 0, count: RedoxFS.blockSize))
    }

    // MARK: Header

    /// Changes the header in use, re-seals it and writes it back to its slot.
    mutating func rewriteHeader(_ change: (inout Header) -> Void) throws {
        change(&header)
        header.seal(keys: keys)
        try writeRaw(slot, header.bytes)
    }

    // MARK: Node tree

    /// The tree lists on node `id`'s path, root first: (block, entry index).
    mutating func treePath(_ id: UInt32) throws -> [(block: UInt64, entry: Int)] {
        let nodeID = NodeID(id)
        var path: [(block: UInt64, entry: Int)] = []
        var pointer = header.tree
        for level in stride(from: 3, through: 0, by: -1) {
            guard !pointer.isNull else { throw SurgeryError.notFound("node \(id)") }
            let entry = nodeID.index(atLevel: level)
            path.append((pointer.address.index, entry))
            pointer = TreeList(block: try read(pointer.address.index)).pointers[entry]
        }
        return path
    }

    mutating func nodePointer(_ id: UInt32) throws -> BlockPointer {
        let last = try treePath(id).last!
        return TreeList(block: try read(last.block)).pointers[last.entry]
    }

    mutating func node(_ id: UInt32) throws -> Node { Node(block: try read(try nodePointer(id).address.index)) }

    /// Re-hashes the tree path of node `id` after its node block (at the same place) changed to
    /// content with hash `hash`; ends with the header.
    mutating func rehashTreePath(_ id: UInt32, nodeHash hash: UInt64) throws {
        var childHash = hash
        for step in try treePath(id).reversed() {
            var list = TreeList(block: try read(step.block))
            list.pointers[step.entry].hash = childHash
            childHash = try write(step.block, list.encode())
        }
        try rewriteHeader { $0.tree.hash = childHash }
    }

    /// Changes node `id` in place and fixes every hash up to the header.
    mutating func rewriteNode(_ id: UInt32, _ change: (inout Node) throws -> Void) throws {
        let pointer = try nodePointer(id)
        var node = Node(block: try read(pointer.address.index))
        try change(&node)
        let hash = try write(pointer.address.index, node.encode())
        try rehashTreePath(id, nodeHash: hash)
    }

    /// Replaces the block that node `id`'s level pointer `slot` names with `plaintext` (same place,
    /// same level), then fixes the hashes up to the header. Returns the old content.
    @discardableResult
    mutating func rewriteBlock(ofNode id: UInt32, slot: Int, _ change: (inout [UInt8]) throws -> Void) throws -> [UInt8] {
        let pointer = try node(id).levelPointer(slot)
        let old = try read(pointer.address.index, count: Int(pointer.address.blockCount))
        var bytes = old
        try change(&bytes)
        let hash = try write(pointer.address.index, bytes)
        try rewriteNode(id) { $0.setLevelPointer(slot, BlockPointer(address: pointer.address, hash: hash)) }
        return old
    }

    /// Changes the newest allocation log block in place and fixes the header's pointer to it.
    mutating func rewriteAllocationLog(_ change: (inout AllocList) -> Void) throws {
        let pointer = header.alloc
        var list = AllocList(block: try read(pointer.address.index))
        change(&list)
        let hash = try write(pointer.address.index, list.encode())
        try rewriteHeader { $0.alloc = BlockPointer(address: pointer.address, hash: hash) }
    }

    // MARK: Looking things up

    /// Node id of `path`, through the engine.
    func id(of path: String) throws -> UInt32 {
        let fs = try FileSystem(path: self.path, readOnly: true, password: password)
        defer { fs.close() }
        return try fs.lookup(path)
    }
}
