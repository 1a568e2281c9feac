@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import Testing

/// Provisional tags (the hashes node-tree blocks carry until the commit settles them) never
/// repeat within a mount, and a decoded node remembered under one hits only while the open
/// transaction still holds its block under that tag, never for a pointer read from the disk.
@Suite struct ProvisionalTagTests {
    static func block(_ fill: UInt8) -> [UInt8] { [UInt8](repeating: fill, count: RedoxFS.blockSize) }

    static func node(mode: UInt16) -> Node {
        Node(mode: mode, uid: 0, gid: 0, seconds: 1, nanoseconds: 0)
    }

    /// The old tags kept the counter's low 32 bits: tag 1 came back after 2^32 tags, and a
    /// stale decoded node under it hit again for a different block content.
    @Test func tagsDoNotComeBackPastThirtyTwoBits() {
        let cache = BlockCache(capacityBytes: 1 << 20, tagBase: 0x5052_4F56_0000_0000)
        let first = cache.provisionalTag()
        cache.insertDirty(9, Self.block(1), hash: first, provisional: true)
        cache.rememberNode(Self.node(mode: 0o100644), index: 9, hash: first)
        cache.removeDirty(9)  // the transaction freed the block again

        cache.tagCount = 1 << 32  // 2^32 tags later
        let later = cache.provisionalTag()
        #expect(later != first)
        cache.insertDirty(9, Self.block(2), hash: later, provisional: true)
        #expect(cache.node(9, hash: later) == nil, "a node of the block's earlier contents")

        cache.tagCount = UInt64.max - 1
        let last = cache.provisionalTag()
        #expect(last != first && last != later)
    }

    /// A pointer read from the disk (a committed list, a hostile image) that names a block with
    /// the tag a decoded node was remembered under: no hit once the open transaction no longer
    /// holds that block under that tag (freed, rewritten, committed without settling).
    @Test func diskPointerMatchingATagIsNotServedFromTheNodeCache() {
        let cache = BlockCache(capacityBytes: 1 << 20)
        let tag = cache.provisionalTag()
        let node = Self.node(mode: 0o40755)
        cache.insertDirty(12, Self.block(3), hash: tag, provisional: true)
        cache.rememberNode(node, index: 12, hash: tag)
        #expect(cache.node(12, hash: tag) == node, "the open transaction's own pointer hits")

        cache.removeDirty(12)
        #expect(cache.node(12, hash: tag) == nil, "freed by the transaction")

        cache.insertDirty(12, Self.block(3), hash: tag, provisional: true)
        cache.rememberNode(node, index: 12, hash: tag)
        cache.insertDirty(12, Self.block(4), hash: cache.provisionalTag(), provisional: true)
        #expect(cache.node(12, hash: tag) == nil, "rewritten under a newer tag")

        cache.insertDirty(13, Self.block(5), hash: tag, provisional: true)
        cache.rememberNode(node, index: 13, hash: tag)
        cache.commitDirty()
        #expect(cache.node(13, hash: tag) == nil, "committed: a tag proves nothing about the disk")
        let blockHit = cache.lookup(13, hash: tag) != nil
        #expect(!blockHit, "nor does the block cache keep it under the tag")
    }

    /// Settled blocks keep their decoded node, now under the block's real hash, past the commit.
    @Test func settledNodesStayCached() {
        let cache = BlockCache(capacityBytes: 1 << 20)
        let tag = cache.provisionalTag()
        let node = Self.node(mode: 0o100600)
        let bytes = Self.block(6)
        cache.insertDirty(20, bytes, hash: tag, provisional: true)
        cache.rememberNode(node, index: 20, hash: tag)
        let hash = SeaHash.hash(bytes)
        cache.insertDirty(20, bytes, hash: hash)
        cache.rehashNode(20, from: tag, to: hash)
        cache.commitDirty()
        #expect(cache.node(20, hash: hash) == node)
        #expect(cache.node(20, hash: tag) == nil)
    }

    /// Each mount draws its own tag base, so an image cannot be made to carry a mount's tags.
    @Test func mountsDrawTheirOwnTagBase() throws {
        let first = try FileSystem.format(device: MemoryDevice(blockCount: 2048)).cache.provisionalTag()
        let second = try FileSystem.format(device: MemoryDevice(blockCount: 2048)).cache.provisionalTag()
        #expect(first != second)
    }
}
