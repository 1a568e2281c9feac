#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A small deterministic generator (xorshift64*), so a seed replays the same workload.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// The expected state of the tree, kept beside the engine while a workload runs.
struct Model {
    struct Item {
        var kind: String
        var permissions: UInt16
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var content: [UInt8] = []
    }

    var items: [UInt32: Item] = [1: Item(kind: "d", permissions: 0o755)]
    var children: [UInt32: [String: UInt32]] = [1: [:]]

    func links(_ id: UInt32) -> Int { children.values.reduce(0) { $0 + $1.values.filter { $0 == id }.count } }

    var listing: [String] {
        var lines: [String] = []
        func walk(_ id: UInt32, _ path: String) {
            guard let item = items[id] else { return }
            lines.append(TreeListing.line(path: path, kind: item.kind, permissions: item.permissions, uid: item.uid,
                                          gid: item.gid, content: item.content, links: item.kind == "d" ? 1 : links(id)))
            for (name, child) in (children[id] ?? [:]).sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
                walk(child, path + "/" + name)
            }
        }
        walk(1, "")
        return lines
    }

    var directories: [UInt32] { children.keys.sorted() }
    var files: [UInt32] { items.filter { $0.value.kind == "f" }.keys.sorted() }
    func entries() -> [(parent: UInt32, name: String, id: UInt32)] {
        children.sorted { $0.key < $1.key }.flatMap { parent, names in
            names.sorted { $0.key < $1.key }.map { (parent, $0.key, $0.value) }
        }
    }
}

/// A seeded, reproducible sequence of file operations with syncs, run through the engine.
///
/// Each seed also picks a commit threshold (from "only at syncs" to "after every operation")
/// and a write piece size, so that commits also happen between the pieces of long writes; with
/// `injectsFailures`, some operations run with one failure armed: a device write or flush that
/// fails with EIO, or an allocation that fails with ENOSPC. A failed operation must leave no
/// trace; after it, the engine's newest header must be the device's, and syncing must give the
/// model's tree on disk. A failure that leaves the durable state unknown (the header write or
/// the flush after it) must stop all changes; the workload then reopens the device, as a mount
/// would, and ends.
public struct Workload {
    public let seed: UInt64
    public let operations: Int
    /// Arm failures (about one operation in seven).
    public var injectsFailures = true
    /// Whether the engine's own commits overlap (`overlapsAutomaticCommits`, as a mount sets it;
    /// a third of the seeds): a commit's header then reaches the device only when the next
    /// commit begins, so a cut may find the state one commit older.
    public var overlapsAutomaticCommits: Bool { seed % 3 == 1 }
    /// The states the device may hold once a commit returned: after each commit, the listings
    /// (several for a write that committed between its pieces), with the number of device events
    /// recorded when it returned.
    public private(set) var syncPoints: [(events: Int, listings: [[String]])] = []
    public private(set) var log: [String] = []
    /// Failures injected that fired, and operations that ran out of space on their own.
    public private(set) var injectedFailures = 0
    public private(set) var spaceFailures = 0

    public init(seed: UInt64, operations: Int) {
        self.seed = seed
        self.operations = operations
    }

    /// A check made while the workload ran that failed.
    public struct Mismatch: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Runs the workload on `fs`, whose device is `device` (opened with `password`).
    public mutating func run(on fs: FileSystem, device: RecordingDevice, password: [UInt8]? = nil) throws {
        var random = SeededGenerator(seed: seed)
        var model = Model()
        syncPoints = [(device.events.count, [model.listing])]
        fs.commitThresholdBytes = [Int.max, 1, 16 << 10, 128 << 10].randomElement(using: &random)!
        fs.writePieceBytes = [4 << 20, 16 << 10, 64 << 10].randomElement(using: &random)!
        // Half the seeds make their files with smaller records (4 KiB … 64 KiB; from the seed, so
        // that the random sequence of every seed stays as it was).
        fs.fileRecordSize = seed % 2 == 0 ? .upstream : RecordSize.all[Int(seed / 2 % UInt64(RecordSize.all.count - 1))]
        fs.overlapsAutomaticCommits = overlapsAutomaticCommits
        let piece = fs.writePieceBytes
        var nameCounter = 0
        func newName() -> String {
            nameCounter += 1
            return ["f", "file-", "ü-", "long-name-\(String(repeating: "x", count: 60))-"].randomElement(using: &random)! + String(nameCounter)
        }
        func bytes(_ count: Int) -> [UInt8] {
            let style = Int.random(in: 0..<3, using: &random)
            let seed = UInt8.random(in: 0...255, using: &random)
            return (0..<count).map { i in style == 0 ? seed : style == 1 ? UInt8(truncatingIfNeeded: i / 7) &+ seed : UInt8.random(in: 0...255, using: &random) }
        }
        func mismatch(_ message: String) -> Mismatch {
            Mismatch(message: "after operation \(log.count) (\(log.last ?? "-")): \(message)")
        }
        for _ in 0..<operations {
            let roll = Int.random(in: 0..<100, using: &random)
            let dirs = model.directories
            let files = model.files
            let entries = model.entries()
            let generation = fs.header.generation
            var allocationArmed = false
            if injectsFailures && Int.random(in: 0..<7, using: &random) == 0 {
                let after = Int.random(in: 0..<14, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: device.inject(.init(.write(after: after)))
                case 1: device.inject(.init(.flush(after: after % 3)))
                default:
                    fs.allocationsBeforeInjectedFailure = after
                    allocationArmed = true
                }
            }
            let firedBefore = device.injectedFailures
            // The durable states this operation may pass through, besides the model after it.
            var intermediate: [[String]] = []
            var failed: FileSystemError?
            do throws(FileSystemError) {
                switch roll {
                case 0..<13:
                    let parent = dirs.randomElement(using: &random)!
                    let name = newName()
                    let permissions = [0o644, 0o600, 0o4755, 0o755].randomElement(using: &random)!
                    log.append("\(device.events.count) create \(name)")
                    let id = try fs.create(Array(name.utf8), in: parent, mode: 0o100000 | UInt16(permissions), uid: 1000, gid: 100)
                    model.items[id] = Model.Item(kind: "f", permissions: UInt16(permissions), uid: 1000, gid: 100)
                    model.children[parent]![name] = id
                case 13..<19:
                    let parent = dirs.randomElement(using: &random)!
                    let name = newName()
                    log.append("\(device.events.count) mkdir \(name)")
                    let id = try fs.create(Array(name.utf8), in: parent, mode: 0o040755, uid: 0, gid: 0)
                    model.items[id] = Model.Item(kind: "d", permissions: 0o755)
                    model.children[parent]![name] = id
                    model.children[id] = [:]
                case 19..<42 where !files.isEmpty:
                    let id = files.randomElement(using: &random)!
                    let size = model.items[id]!.content.count
                    let offset = Int.random(in: 0...min(size + 10_000, 400_000), using: &random)
                    let count = [1, 100, 3000, 4096, 40_000, 140_000].randomElement(using: &random)!
                    let data = bytes(count)
                    log.append("\(device.events.count) write \(id) @\(offset) +\(count)")
                    // A long write may commit after any of its pieces.
                    let original = model.items[id]!.content
                    func written(_ n: Int) -> [UInt8] {
                        var content = original
                        if content.count < offset + n { content += [UInt8](repeating: 0, count: offset + n - content.count) }
                        content.replaceSubrange(offset..<offset + n, with: data[0..<n])
                        return content
                    }
                    if count > piece {
                        for n in stride(from: piece, to: count, by: piece) {
                            model.items[id]!.content = written(n)
                            intermediate.append(model.listing)
                        }
                        model.items[id]!.content = original
                    }
                    let done = try fs.write(id, at: UInt64(offset), data)
                    model.items[id]!.content = written(done)
                    if done < count { log.append("\(device.events.count) short write: \(done)") }
                case 42..<50 where !files.isEmpty:
                    let id = files.randomElement(using: &random)!
                    let size = model.items[id]!.content.count
                    let newSize = Int.random(in: 0...(size + 200_000), using: &random)
                    log.append("\(device.events.count) truncate \(id) \(newSize)")
                    try fs.truncate(id, to: UInt64(newSize))
                    var content = model.items[id]!.content
                    if newSize < content.count { content.removeLast(content.count - newSize) } else {
                        content += [UInt8](repeating: 0, count: newSize - content.count)
                    }
                    model.items[id]!.content = content
                case 50..<57 where !files.isEmpty:
                    let id = files.randomElement(using: &random)!
                    let size = model.items[id]!.content.count
                    let offset = Int.random(in: 0...size + 1000, using: &random)
                    let length = [1, 100, 4096, 131_072, 262_244, 400_000].randomElement(using: &random)!
                    log.append("\(device.events.count) punch \(id) @\(offset) +\(length)")
                    try fs.punchHole(id, at: UInt64(offset), length: UInt64(length))
                    if offset < size {
                        for i in offset..<min(size, offset + length) { model.items[id]!.content[i] = 0 }
                    }
                case 57..<64 where !entries.isEmpty:
                    let (parent, name, id) = entries.randomElement(using: &random)!
                    let isDir = model.items[id]!.kind == "d"
                    log.append("\(device.events.count) remove \(name)")
                    if isDir {
                        guard model.children[id]!.isEmpty else { log.removeLast(); break }
                        try fs.removeDirectory(Array(name.utf8), in: parent)
                        model.children[id] = nil
                    } else {
                        try fs.unlink(Array(name.utf8), in: parent)
                    }
                    model.children[parent]![name] = nil
                    if !isDir && model.links(id) == 0 { model.items[id] = nil }
                    if isDir { model.items[id] = nil }
                case 64..<72 where !entries.isEmpty:
                    let (parent, name, id) = entries.randomElement(using: &random)!
                    let target = dirs.randomElement(using: &random)!
                    if model.items[id]!.kind == "d" {
                        // Never below itself.
                        var stack = [id]
                        var inside = false
                        while let next = stack.popLast() {
                            if next == target { inside = true }
                            stack += (model.children[next] ?? [:]).values.filter { model.items[$0]?.kind == "d" }
                        }
                        if inside { break }
                    }
                    let newName = Bool.random(using: &random) ? name : newName()
                    if model.children[target]![newName] != nil { break }
                    log.append("\(device.events.count) rename \(name) -> \(newName)")
                    try fs.rename(Array(name.utf8), in: parent, to: Array(newName.utf8), in: target)
                    model.children[parent]![name] = nil
                    model.children[target]![newName] = id
                case 72..<77 where !files.isEmpty:
                    let id = files.randomElement(using: &random)!
                    let parent = dirs.randomElement(using: &random)!
                    let name = newName()
                    log.append("\(device.events.count) link \(id) \(name)")
                    try fs.link(id, as: Array(name.utf8), in: parent)
                    model.children[parent]![name] = id
                case 77..<82:
                    let parent = dirs.randomElement(using: &random)!
                    let name = newName()
                    let target = Array("target/\(String(repeating: "t", count: Int.random(in: 1...5000, using: &random)))".utf8)
                    log.append("\(device.events.count) symlink \(name)")
                    let id = try fs.createSymlink(Array(name.utf8), in: parent, target: target, uid: 0, gid: 0)
                    model.items[id] = Model.Item(kind: "l", permissions: 0o777, content: target)
                    model.children[parent]![name] = id
                case 82..<87 where !entries.isEmpty:
                    let (_, _, id) = entries.randomElement(using: &random)!
                    let permissions = UInt16.random(in: 0...0o7777, using: &random)
                    log.append("\(device.events.count) chmod \(id)")
                    try fs.setAttributes(id, AttributeChanges(permissions: permissions, uid: 42, gid: 43))
                    model.items[id]!.permissions = permissions
                    model.items[id]!.uid = 42
                    model.items[id]!.gid = 43
                case 87..<100:
                    log.append("\(device.events.count) sync")
                    try fs.sync()
                default:
                    break
                }
            } catch {
                failed = error
            }
            let injectedFired = device.injectedFailures > firedBefore
                || (allocationArmed && fs.allocationsBeforeInjectedFailure == nil)
            device.inject(nil)
            fs.allocationsBeforeInjectedFailure = nil
            if injectedFired { injectedFailures += 1 }
            if let failed {
                if !injectedFired {
                    guard failed.errno == ENOSPC else { throw mismatch("unexpected error \(failed)") }
                    spaceFailures += 1
                }
                log.append("\(device.events.count) failed: \(failed)")
            }
            if fs.header.generation != generation && !fs.hasFailed {
                syncPoints.append((device.events.count, intermediate + [model.listing]))
            }
            guard injectedFired || failed != nil else { continue }

            // The engine's newest header is the device's.
            let reopened: FileSystem
            do {
                reopened = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes), password: password)
            } catch {
                throw mismatch("the device does not open: \(error)")
            }
            // An automatic commit may have left its header for the next commit, which may have
            // failed writing it (the engine then stops changes: the durable state is unknown).
            let headerPending = overlapsAutomaticCommits && (fs.hasPendingHeader || fs.hasFailed)
                && reopened.header.generation + 1 == fs.header.generation
            guard reopened.header.bytes == fs.header.bytes || headerPending else {
                throw mismatch("the engine holds generation \(fs.header.generation), the device \(reopened.header.generation)")
            }
            if fs.hasFailed {
                // The durable state is unknown to the engine: reopen for writing, as a mount would,
                // whose cleanup commits; the tree found is the final state.
                let landed = fs.header.generation != generation
                let committed = landed ? try TreeListing.of(fs) : nil
                let remounted = try FileSystem(
                    device: fs.device, password: password, writable: true, fileRecordSize: fs.fileRecordSize)
                try remounted.cleanup()
                let listing = try TreeListing.of(remounted)
                // With overlapped commits the last one's header may not have landed.
                let older = overlapsAutomaticCommits && syncPoints.count >= 2 && syncPoints[syncPoints.count - 2].listings.contains(listing)
                guard listing == committed || syncPoints.last!.listings.contains(listing) || intermediate.contains(listing) || older else {
                    throw mismatch("after the failure the device holds a state no commit made")
                }
                syncPoints.append((device.events.count, intermediate + [listing]))
                log.append("\(device.events.count) remounted after the failure")
                return
            }
            // The failed operation left no trace, and a sync puts the model on disk.
            guard try TreeListing.of(fs) == model.listing else { throw mismatch("the failed operation left a trace") }
            try fs.sync()
            syncPoints.append((device.events.count, [model.listing]))
            let synced = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes), password: password)
            guard try TreeListing.of(synced) == model.listing else { throw mismatch("after a sync the device differs from the model") }
            guard try synced.spaceReport().isClean else { throw mismatch("after a sync the space report is not clean") }
        }
        try fs.sync()
        syncPoints.append((device.events.count, [model.listing]))
    }
}
