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

    /// The write cache's one-lookup replacement (`replaceDirty`, what a rewrite in place uses):
    /// nothing happens for a block it does not hold; a held one is replaced with its hash and
    /// provisional mark, and the journal undoes that.
    @Test func replacingADirtyBlockIsJournaledAndNeedsTheBlock() {
        let cache = BlockCache(capacityBytes: 1 << 20)
        let old = [UInt8](repeating: 1, count: 4096)
        let new = [UInt8](repeating: 2, count: 4096)
        var made = 0
        #expect(!cache.replaceDirty(7) { made += 1; return (new, 70, true) }, "no dirty block 7")
        #expect(made == 0, "nothing is made for a block the cache does not hold")
        #expect(cache.dirty[7] == nil && cache.dirtyBytes == 0 && cache.provisional.isEmpty)
        cache.insertDirty(7, old, hash: 11)
        let mark = cache.beginJournal()
        #expect(cache.replaceDirty(7) { made += 1; return (new, 70, true) })
        #expect(made == 1)
        #expect(cache.dirty[7] == new && cache.hash(of: 7) == 70 && cache.provisional.contains(7))
        #expect(cache.dirtyBytes == 4096)
        cache.rollBack(to: mark)
        cache.endJournal()
        #expect(cache.dirty[7] == old && cache.hash(of: 7) == 11 && !cache.provisional.contains(7))
        #expect(cache.dirtyBytes == 4096)
    }

    /// What a test can see of a write cache's dirty side.
    struct DirtyState: Equatable {
        var dirty: [UInt64: [UInt8]]
        var dirtyBytes: Int
        var hashes: [UInt64?]
        var provisional: Set<UInt64>

        init(_ cache: BlockCache, indices: [UInt64]) {
            dirty = cache.dirty
            dirtyBytes = cache.dirtyBytes
            hashes = indices.map { cache.hash(of: $0) }
            provisional = cache.provisional
        }
    }

    /// `replaceDirty` of a held block leaves the cache exactly as `insertDirty` of the same block
    /// does, and a rollback undoes both alike: blocks of different sizes, every combination of
    /// the old and new provisional marks, with and without another provisional block, inside and
    /// outside a journal.
    @Test func replacingADirtyBlockMatchesInsertingIt() {
        let sizes = [4096, 8192, 16384]
        let indices: [UInt64] = [3, 7, 9]
        for oldSize in sizes {
            for newSize in sizes {
                for oldProvisional in [false, true] {
                    for newProvisional in [false, true] {
                        for otherProvisional in [false, true] {
                            for journaled in [false, true] {
                                let inserted = BlockCache(capacityBytes: 1 << 20)
                                let replaced = BlockCache(capacityBytes: 1 << 20)
                                let old = [UInt8](repeating: 1, count: oldSize)
                                let new = [UInt8](repeating: 2, count: newSize)
                                for cache in [inserted, replaced] {
                                    cache.insertDirty(3, [UInt8](repeating: 3, count: 4096), hash: 33)
                                    cache.insertDirty(7, old, hash: 11, provisional: oldProvisional)
                                    cache.insertDirty(9, [UInt8](repeating: 9, count: 4096), hash: 99, provisional: otherProvisional)
                                }
                                let before = DirtyState(inserted, indices: indices)
                                #expect(DirtyState(replaced, indices: indices) == before)
                                let marks = journaled ? (inserted.beginJournal(), replaced.beginJournal()) : nil
                                inserted.insertDirty(7, new, hash: 70, provisional: newProvisional)
                                #expect(replaced.replaceDirty(7) { (new, 70, newProvisional) })
                                let label = "\(oldSize)→\(newSize) provisional \(oldProvisional)→\(newProvisional), other \(otherProvisional), journal \(journaled)"
                                let after = DirtyState(inserted, indices: indices)
                                #expect(DirtyState(replaced, indices: indices) == after, "\(label)")
                                #expect(after.dirty[7] == new && after.hashes[1] == 70 && after.provisional.contains(7) == newProvisional, "\(label)")
                                if let marks {
                                    inserted.rollBack(to: marks.0)
                                    replaced.rollBack(to: marks.1)
                                    inserted.endJournal()
                                    replaced.endJournal()
                                    #expect(DirtyState(inserted, indices: indices) == before, "\(label): rolled back")
                                    #expect(DirtyState(replaced, indices: indices) == before, "\(label): rolled back")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// An unlink does not keep the node it deletes decoded (it would push out a node read again);
    /// a node that keeps a name is saved anew and reads back right.
    @Test func anUnlinkedNodeIsNotKeptDecoded() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 2048))
        let gone = try fs.create(Array("gone".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let kept = try fs.create(Array("kept".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.link(kept, as: Array("second".utf8), in: 1)
        try fs.sync()
        fs.cache.removeAll()  // nothing decoded, nothing dirty after the commit
        let goneBlock = try fs.withReader { (reader) throws(FormatError) in try reader.nodePointer(gone) }
        try fs.unlink(Array("gone".utf8), in: 1)
        #expect(fs.cache.node(goneBlock.address.index, hash: goneBlock.hash) == nil)
        #expect(throws: FileSystemError.self) { try fs.node(gone) }
        try fs.unlink(Array("kept".utf8), in: 1)
        #expect(try fs.node(kept).links == 1)
        #expect(try fs.findEntry(Array("second".utf8), in: 1) == kept)
        try fs.sync()
        #expect(try fs.spaceReport().isClean)
    }

    /// Random 4 KiB writes into records (and BlockLists) the open transaction wrote already
    /// overwrite them in the write cache: no allocation, no free, the same addresses, the same
    /// charge; a failed operation undoes the overwrite.
    static func recordPointer(_ fs: FileSystem, _ file: UInt32, _ record: UInt64) throws -> BlockPointer {
        try fs.withReader { (reader) throws(FormatError) in
            let node = try reader.node(file)
            return try reader.recordPointer(record, of: node)
        }
    }

    @Test func rewrittenRecordsReuseTheTransactionsBlocks() throws {
        let device = MemoryDevice(blockCount: 16384)
        let fs = try FileSystem.format(device: device)
        fs.commitThresholdBytes = 1 << 30
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        var generator = SplitMix64(state: 9)
        var expected = generator.data(20 << 20, repeatShare: 0, alphabet: 256)  // 160 records: BlockLists too
        _ = try fs.write(file, at: 0, expected)
        let blocks = try fs.node(file).blocks
        let allocations = fs.pendingAllocations.count
        let frees = fs.deferredFrees.count
        for step in 0..<40 {
            let offset = Int(generator.next() % UInt64(expected.count / 4096)) * 4096
            let page = generator.data(4096, repeatShare: 0, alphabet: 256)
            let record = UInt64(offset / 131_072)
            let before = try Self.recordPointer(fs, file, record)
            _ = try fs.write(file, at: UInt64(offset), page)
            expected.replaceSubrange(offset..<offset + 4096, with: page)
            let after = try Self.recordPointer(fs, file, record)
            #expect(after.address == before.address, "step \(step): the record keeps its block")
            #expect(after.hash != before.hash)
            #expect(fs.pendingAllocations.count == allocations)
            #expect(fs.deferredFrees.count == frees)
            #expect(try fs.node(file).blocks == blocks)
        }
        let kept = try fs.read(file, at: 0, count: expected.count)
        #expect(kept == expected)

        let tree = try RedoxFSStress.TreeListing.of(fs)
        #expect(throws: FileSystemError.self) {
            try fs.transaction { () throws(FileSystemError) in
                _ = try fs.write(file, at: 4096 * 3, [UInt8](repeating: 0x5A, count: 8192))
                _ = try fs.write(file, at: 18 << 20, [UInt8](repeating: 0xA5, count: 4096))
                throw .invalidArgument("undo")
            }
        }
        #expect(try fs.read(file, at: 0, count: expected.count) == expected)
        #expect(try RedoxFSStress.TreeListing.of(fs) == tree)

        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try reopened.read(file, at: 0, count: expected.count) == expected)
        #expect(try reopened.spaceReport().isClean)
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
