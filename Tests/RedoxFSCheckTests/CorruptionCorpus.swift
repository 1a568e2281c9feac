import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// One kind of damage of the corruption corpus.
struct DamageCase: CustomTestStringConvertible, Sendable {
    /// What the damage is.
    let name: String
    /// The fixture it starts from, or "generated" for the engine-made image.
    let image: String
    /// Codes the check must report.
    let expected: Set<ProblemCode>
    /// Exit status of `-n`.
    let exitStatus: Int32
    /// Whether `-y` must leave no error (a second `-n` exits 0).
    var repairable = true
    /// A path some problem must name (in its path or message), when the damage has one.
    var named: String?
    /// Whether the repair falls back to an older header (instead of fixing the newest tree).
    var fallsBack = false
    /// Whether the damage is inside data records, which only `--scrub` reads (every run of the
    /// case then passes it).
    var scrub = false
    /// Whether the damaged newest generation can still be opened and walked whole, so that the
    /// test can check the repair wrote none of its blocks. False where the damage makes one of its
    /// reachable blocks unreadable (a checksum mismatch: the engine's walk stops there) or
    /// leaves the image shorter than the file system (it does not open); the repair of those
    /// is checked by what it reports and by reading the manifest's files afterwards.
    var oldGenerationReadable = true
    /// Applies the damage; returns the paths whose files may differ afterwards (and after repair).
    let damage: @Sendable (inout ImageSurgeon, ReferenceManifest) throws -> [String]

    var testDescription: String { "\(name) (\(image))" }
    var password: [UInt8]? { CheckFixtures.isEncrypted(image) ? CheckFixtures.password : nil }
}

extension DamageCase {
    static let all: [DamageCase] = headerCases + treeCases + directoryCases + spaceCases + contentCases + generatedCases

    // MARK: Header ring

    static let headerCases: [DamageCase] = [
        DamageCase(name: "bit flip in the newest header", image: "ar", expected: [.headerNewestTorn], exitStatus: 4) { s, _ in
            try s.flipBit(block: s.slot, byte: 300)
            return []
        },
        DamageCase(name: "bit flip in an older header", image: "ar", expected: [.headerSlotDamaged], exitStatus: 4) { s, _ in
            try s.flipBit(block: 2, byte: 48)
            return []
        },
        DamageCase(name: "torn header", image: "ar", expected: [.headerNewestTorn], exitStatus: 4) { s, _ in
            var torn = s.header
            torn.generation += 1
            torn.seal(keys: s.keys)
            var bytes = torn.bytes
            for i in 2048..<RedoxFS.blockSize { bytes[i] = 0 }
            try s.writeRaw(torn.generation % RedoxFS.headerRing, bytes)
            return []
        },
        DamageCase(name: "stale header of another file system", image: "ar", expected: [.headerForeignUUID], exitStatus: 4) { s, _ in
            let other = try Data(contentsOf: URL(fileURLWithPath: CheckFixtures.image("mkfs-empty")))
            try s.writeRaw(3, [UInt8](other[(3 * 4096)..<(4 * 4096)]))
            return []
        },
        DamageCase(name: "stale header in the wrong slot", image: "ar", expected: [.headerGenerationSlotMismatch], exitStatus: 4) { s, _ in
            try s.writeRaw(9, try s.readRaw(4))
            return []
        },
        // A wrapped ring (generation 1136): every slot holds its generation; one zeroed is a hole.
        DamageCase(name: "zeroed slot in a wrapped ring", image: "fuse-modified", expected: [.headerRingHole], exitStatus: 4, named: "should hold generation \(1136 - 100)") { s, _ in
            try s.zero(block: (s.header.generation - 100) % RedoxFS.headerRing)
            return []
        },
        // The newest commit's header landed but its root tree list did not (zeroed): the repair
        // rewinds to the previous generation, keeping every path of the fixture.
        DamageCase(name: "torn newest commit", image: "ar", expected: [.checksumMismatch, .rootMissing], exitStatus: 4, fallsBack: true, oldGenerationReadable: false) { s, _ in
            s.close()
            let fs = try FileSystem(path: s.path, readOnly: false)
            let late = try fs.create(Array("late.txt".utf8), in: RedoxFS.rootNodeID, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            // Large (over `NewestCommitCheck.smallCommitBlocks`): written with two flushes, so
            // its torn tree is damage (a small torn commit is passed over at open).
            _ = try fs.write(late, at: 0, Array("written by the torn commit\n".utf8) + RecoveryTests.incompressible(1_200_000, seed: 3))
            try fs.sync()
            fs.close()
            s = try ImageSurgeon(path: s.path)
            try s.zero(block: s.header.tree.address.index)
            return []
        },
    ]

    // MARK: Node tree and nodes

    static let treeCases: [DamageCase] = [
        DamageCase(name: "bit flip in a tree list", image: "ar", expected: [.checksumMismatch, .danglingEntry], exitStatus: 4, oldGenerationReadable: false) { s, manifest in
            let last = manifest.lines.map(\.nodeID).max() ?? 1
            let list = try s.treePath(last).last!.block
            try s.flipBit(block: list, byte: 1000)
            let lost = Set(manifest.lines.map(\.nodeID).filter { $0 >> 8 == last >> 8 })
            return manifest.paths(ofNodes: lost)
        },
        DamageCase(name: "bit flip in a node", image: "ar", expected: [.checksumMismatch, .entryToUnreadableNode], exitStatus: 4, named: "/one", oldGenerationReadable: false) { s, _ in
            try s.flipBit(block: try s.nodePointer(s.id(of: "/one")).address.index, byte: 3000)
            return ["/one"]
        },
        DamageCase(name: "zeroed node block", image: "ar", expected: [.checksumMismatch, .entryToUnreadableNode], exitStatus: 4, named: "/size-4097.bin", oldGenerationReadable: false) { s, _ in
            try s.zero(block: try s.nodePointer(s.id(of: "/size-4097.bin")).address.index)
            return ["/size-4097.bin"]
        },
        // Generation 4 has an intact tree but not these files: rewinding would lose their content,
        // which an in-place repair keeps (nameless, under /lost+found), so the repair is in place.
        DamageCase(name: "bit flip in the root node", image: "ar", expected: [.checksumMismatch, .orphanNode], exitStatus: 4, oldGenerationReadable: false) { s, manifest in
            try s.flipBit(block: try s.nodePointer(RedoxFS.rootNodeID).address.index, byte: 200)
            // Everything comes back under /lost+found, by node number: every path changes.
            return manifest.lines.map(\.path).filter { $0 != "/" }
        },
        DamageCase(name: "wrong link count", image: "ar", expected: [.linkCount], exitStatus: 4, named: "/one") { s, _ in
            try s.rewriteNode(try s.id(of: "/one")) { $0.links = 3 }
            return []
        },
        DamageCase(name: "wrong block count", image: "ar", expected: [.nodeBlockCount], exitStatus: 4, named: "/size-4097.bin") { s, _ in
            try s.rewriteNode(try s.id(of: "/size-4097.bin")) { $0.blocks = 9 }
            return []
        },
        DamageCase(name: "unknown node type", image: "ar", expected: [.nodeBadType, .entryToUnreadableNode], exitStatus: 4, named: "/one") { s, _ in
            try s.rewriteNode(try s.id(of: "/one")) { $0.mode = 0x3000 | 0o644 }  // 0x1000 is a FIFO now
            return ["/one"]
        },
    ]

    // MARK: Directories

    static let directoryCases: [DamageCase] = [
        DamageCase(name: "bit flip in a directory entry block", image: "ar", expected: [.checksumMismatch, .orphanNode], exitStatus: 4, named: "/links") { s, _ in
            let links = try s.node(s.id(of: "/links"))
            try s.flipBit(block: links.levelPointer(1).address.index, byte: 7)
            return ["/links"]
        },
        DamageCase(name: "bit flip in a hash tree node", image: "ar", expected: [.checksumMismatch, .orphanNode], exitStatus: 4, named: "/many", oldGenerationReadable: false) { s, _ in
            let many = try s.node(s.id(of: "/many"))
            try s.flipBit(block: many.levelPointer(1).address.index, byte: 2)
            return ["/many"]
        },
        DamageCase(name: "dangling entry", image: "ar", expected: [.danglingEntry], exitStatus: 4, named: "/links") { s, _ in
            try s.rewriteBlock(ofNode: try s.id(of: "/links"), slot: 1) { bytes in
                var list = try DirList(block: bytes, at: 0)
                list.entries.append(DirectoryEntry(nodeID: 60000, name: Array("ghost".utf8)))
                bytes = list.encode()
            }
            return []
        },
        DamageCase(name: "directory cycle", image: "ar", expected: [.directoryCycle], exitStatus: 4, named: "/nested/l1") { s, _ in
            let nested = try s.id(of: "/nested")
            try s.rewriteBlock(ofNode: try s.id(of: "/nested/l1"), slot: 1) { bytes in
                var list = try DirList(block: bytes, at: 0)
                list.entries.append(DirectoryEntry(nodeID: nested, name: Array("loop".utf8)))
                bytes = list.encode()
            }
            return []
        },
        DamageCase(name: "hash index out of order", image: "ar", expected: [.htreeUnsorted], exitStatus: 4, named: "/many") { s, _ in
            try s.rewriteBlock(ofNode: try s.id(of: "/many"), slot: 1) { bytes in
                var index = HTreeNode(block: bytes)
                let first = index.slots[0].hash
                index.slots[0].hash = index.slots[1].hash
                index.slots[1].hash = first
                bytes = index.encode()
            }
            return []
        },
        DamageCase(name: "orphaned directory", image: "ar", expected: [.orphanNode], exitStatus: 4) { s, _ in
            let nested = try s.id(of: "/nested")
            try s.rewriteBlock(ofNode: nested, slot: 1) { bytes in
                var list = try DirList(block: bytes, at: 0)
                list.entries.removeAll { $0.name == Array("l1".utf8) }
                bytes = list.encode()
            }
            // The directory stays empty of l1 but is not rebuilt: its size still counts the block.
            return ["/nested"]
        },
    ]

    // MARK: Allocation log and space

    static let spaceCases: [DamageCase] = [
        DamageCase(name: "bit flip in the allocation log", image: "ar", expected: [.checksumMismatch], exitStatus: 4, oldGenerationReadable: false) { s, _ in
            try s.flipBit(block: s.header.alloc.address.index, byte: 40)
            return []
        },
        DamageCase(name: "leaked block", image: "ar", expected: [.blockLeaked], exitStatus: 0) { s, _ in
            let last = s.header.blockCount - 1
            try s.rewriteAllocationLog { $0.entries.append(AllocEntry(index: last, count: -1)) }
            return []
        },
        DamageCase(name: "block used twice", image: "ar", expected: [.blockUsedTwice, .blockLeaked], exitStatus: 4, named: "/hardlink-to-size-4097.bin") { s, _ in
            let record = try s.node(s.id(of: "/size-4097.bin")).levelPointer(0)
            try s.rewriteNode(try s.id(of: "/hardlink-to-size-4097.bin")) { $0.setLevelPointer(0, record) }
            return []
        },
        DamageCase(name: "block in use marked free", image: "ar", expected: [.blockUsedButFree], exitStatus: 4, named: "/size-4096.bin") { s, _ in
            let record = try s.node(s.id(of: "/size-4096.bin")).levelPointer(0)
            try s.rewriteAllocationLog { $0.entries.append(AllocEntry(index: record.address.index, count: 1)) }
            return []
        },
        DamageCase(name: "truncated image (free tail lost)", image: "resized", expected: [.fileSystemTruncated], exitStatus: 4, oldGenerationReadable: false) { s, _ in
            guard truncate(s.path, off_t(80 << 20)) == 0 else { throw ImageSurgeon.SurgeryError.notFound("truncate") }
            return []
        },
        // Cut just above the node tree, the root and the allocation log: the data beyond is lost and
        // no block is left for a copy-on-write repair, so -y can only report.
        DamageCase(name: "truncated image (data lost)", image: "ar", expected: [.fileSystemTruncated, .pointerPastDevice], exitStatus: 4, repairable: false, named: "/size-131073.bin", oldGenerationReadable: false) { s, manifest in
            let usage = try FileSystem(path: s.path, readOnly: true).blockUsage()
            let vital = usage.users.filter { _, users in
                users.contains { use in
                    switch use {
                    case .treeList, .allocList, .node(RedoxFS.rootNodeID), .content(RedoxFS.rootNodeID): return true
                    default: return false
                    }
                }
            }
            let cut = (vital.keys.max() ?? 0) + 1
            var lost: Set<UInt32> = []
            for (block, users) in usage.users where block >= cut {
                for user in users {
                    switch user {
                    case .node(let id), .content(let id): lost.insert(id)
                    default: continue
                    }
                }
            }
            guard truncate(s.path, off_t(cut * 4096)) == 0 else { throw ImageSurgeon.SurgeryError.notFound("truncate") }
            return manifest.paths(ofNodes: lost)
        },
    ]

    // MARK: Content

    static let contentCases: [DamageCase] = [
        DamageCase(name: "bit flip in a data record", image: "ar", expected: [.checksumMismatch], exitStatus: 4, named: "/random-1MiB.bin", scrub: true) { s, _ in
            try s.flipBit(block: try s.node(s.id(of: "/random-1MiB.bin")).levelPointer(3).address.index, byte: 17)
            return ["/random-1MiB.bin"]
        },
        DamageCase(name: "bit flip in a compressed record", image: "ar", expected: [.checksumMismatch], exitStatus: 4, named: "/compressible-1MiB.txt", scrub: true) { s, _ in
            let node = try s.node(s.id(of: "/compressible-1MiB.txt"))
            let slot = try requireSlot((0..<128).first { node.levelPointer($0).address.decompressionLevel != 0 })
            try s.flipBit(block: node.levelPointer(slot).address.index, byte: 30)
            return ["/compressible-1MiB.txt"]
        },
        DamageCase(name: "compressed record that does not decode", image: "ar", expected: [.recordBadCompression], exitStatus: 4, named: "/compressible-1MiB.txt", scrub: true) { s, _ in
            let id = try s.id(of: "/compressible-1MiB.txt")
            let node = try s.node(id)
            let slot = try requireSlot((0..<128).first { node.levelPointer($0).address.decompressionLevel != 0 })
            try s.rewriteBlock(ofNode: id, slot: slot) { bytes in
                // A match offset pointing before the start of the output.
                bytes[2] = 0x0F
                bytes[3] = 0xFF
                bytes[4] = 0xFF
            }
            return ["/compressible-1MiB.txt"]
        },
        DamageCase(name: "bit flip in an encrypted record", image: "ar-encrypted-lib", expected: [.checksumMismatch], exitStatus: 4, named: "/random-1MiB.bin", scrub: true) { s, _ in
            try s.flipBit(block: try s.node(s.id(of: "/random-1MiB.bin")).levelPointer(2).address.index, byte: 99)
            return ["/random-1MiB.bin"]
        },
        DamageCase(name: "bit flip in an encrypted node", image: "ar-encrypted-lib", expected: [.checksumMismatch, .entryToUnreadableNode], exitStatus: 4, named: "/one", oldGenerationReadable: false) { s, _ in
            try s.flipBit(block: try s.nodePointer(s.id(of: "/one")).address.index, byte: 5)
            return ["/one"]
        },
    ]

    // MARK: Generated image

    static let generatedCases: [DamageCase] = [
        DamageCase(name: "bit flip in an indirect list", image: "generated", expected: [.checksumMismatch], exitStatus: 4, named: "/random.bin", oldGenerationReadable: false) { s, _ in
            try s.flipBit(block: try s.node(s.id(of: "/random.bin")).levelPointer(128).address.index, byte: 64)
            return ["/random.bin"]
        },
        DamageCase(name: "wrong link count of a hard-linked file", image: "generated", expected: [.linkCount], exitStatus: 4, named: "/big.txt") { s, _ in
            try s.rewriteNode(try s.id(of: "/big.txt")) { $0.links = 1 }
            return []
        },
        DamageCase(name: "bit flip in a compressed record (generated)", image: "generated", expected: [.checksumMismatch], exitStatus: 4, scrub: true) { s, _ in
            let node = try s.node(s.id(of: "/big.txt"))
            let slot = try requireSlot((0..<128).first { node.levelPointer($0).address.decompressionLevel != 0 })
            try s.flipBit(block: node.levelPointer(slot).address.index, byte: 10)
            return ["/big.txt", "/docs/big-again.txt"]
        },
        DamageCase(name: "damaged block of the last commit", image: "generated", expected: [.checksumMismatch, .orphanNode], exitStatus: 4, fallsBack: true, oldGenerationReadable: false) { s, _ in
            // One more commit through the engine, then damage a block only that commit wrote (the
            // root directory's leaf): the previous header's tree is intact, so the repair falls back.
            s.close()
            let fs = try FileSystem(path: s.path, readOnly: false)
            let late = try fs.create(Array("late.txt".utf8), in: RedoxFS.rootNodeID, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            // Large (over `NewestCommitCheck.smallCommitBlocks`): damage to a small newest
            // commit's own blocks is what a torn one-flush commit leaves, passed over at open.
            _ = try fs.write(late, at: 0, Array("written by the last commit\n".utf8) + RecoveryTests.incompressible(1_200_000, seed: 4))
            try fs.unmount()
            s = try ImageSurgeon(path: s.path)
            try s.flipBit(block: try s.node(RedoxFS.rootNodeID).levelPointer(1).address.index, byte: 20)
            return []
        },
        DamageCase(name: "bit flip in a subdirectory", image: "generated", expected: [.checksumMismatch, .orphanNode], exitStatus: 4, named: "/sub/deeper") { s, _ in
            try s.flipBit(block: try s.node(s.id(of: "/sub/deeper")).levelPointer(1).address.index, byte: 9)
            return ["/sub/deeper"]
        },
    ]
}

/// A record slot the damage needs, or a test failure.
func requireSlot(_ slot: Int?) throws -> Int {
    guard let slot else { throw ImageSurgeon.SurgeryError.notFound("record slot") }
    return slot
}
