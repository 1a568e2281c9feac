@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSStress
import RedoxFSTestSupport
import Testing

/// Saving a node again inside one open transaction: its node block and tree path, already
/// copied-on-write by that transaction, are overwritten in the write cache instead of being
/// copied again; a failed operation still undoes the overwrite.
@Suite struct InPlaceSaveTests {
    /// The address of the node block that holds node `id` in the working tree.
    static func nodeBlock(_ fs: FileSystem, _ id: UInt32) throws -> UInt64 {
        let (lists, _) = try fs.treePath(NodeID(id))
        return lists[3].pointers[NodeID(id).index(atLevel: 0)].address.index
    }

    @Test func repeatedSavesReuseTheTransactionsBlocks() throws {
        let device = MemoryDevice(blockCount: 2048)
        let fs = try FileSystem.format(device: device)
        fs.commitThresholdBytes = 1 << 30
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.sync()
        let committedBlock = try Self.nodeBlock(fs, file)

        try fs.setAttributes(file, AttributeChanges(permissions: 0o600))
        let copiedBlock = try Self.nodeBlock(fs, file)
        #expect(copiedBlock != committedBlock, "the first save of a committed node copies it")
        let tree = fs.working.tree.address
        let allocations = fs.pendingAllocations.count
        let frees = fs.deferredFrees.count

        for permissions: UInt16 in [0o640, 0o604, 0o700, 0o755, 0o611] {
            try fs.setAttributes(file, AttributeChanges(permissions: permissions))
            #expect(try Self.nodeBlock(fs, file) == copiedBlock, "a later save writes the same block")
            #expect(fs.working.tree.address == tree, "the tree path is rewritten in place")
            #expect(fs.pendingAllocations.count == allocations)
            #expect(fs.deferredFrees.count == frees)
            #expect(try fs.node(file).mode & 0o7777 == permissions)
        }
        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try reopened.node(file).mode & 0o7777 == 0o611)
        #expect(try reopened.spaceReport().isClean)
        #expect(try RedoxFSStress.TreeListing.of(fs) == RedoxFSStress.TreeListing.of(reopened))
    }

    @Test func failedOperationUndoesAnInPlaceSave() throws {
        let device = MemoryDevice(blockCount: 2048)
        let fs = try FileSystem.format(device: device)
        fs.commitThresholdBytes = 1 << 30
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let other = try fs.create(Array("g".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.setAttributes(file, AttributeChanges(permissions: 0o600))
        let before = try RedoxFSStress.TreeListing.of(fs)
        let tree = fs.working.tree

        #expect(throws: FileSystemError.self) {
            try fs.transaction { () throws(FileSystemError) in
                _ = try fs.setAttributes(file, AttributeChanges(permissions: 0o777))
                _ = try fs.setAttributes(other, AttributeChanges(permissions: 0o700))
                throw .invalidArgument("undo")
            }
        }
        #expect(fs.working.tree == tree)
        #expect(try fs.node(file).mode & 0o7777 == 0o600)
        #expect(try fs.node(other).mode & 0o7777 == 0o644)
        #expect(try RedoxFSStress.TreeListing.of(fs) == before)

        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try reopened.node(file).mode & 0o7777 == 0o600)
        #expect(try reopened.spaceReport().isClean)
        #expect(try RedoxFSStress.TreeListing.of(reopened) == before)
    }
}
