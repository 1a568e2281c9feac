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
public struct Workload {
    public let seed: UInt64
    public let operations: Int
    /// The listing after each completed sync, with the number of device events recorded when
    /// that sync returned.
    public private(set) var syncPoints: [(events: Int, listing: [String])] = []
    public private(set) var log: [String] = []

    public init(seed: UInt64, operations: Int) {
        self.seed = seed
        self.operations = operations
    }

    /// Runs the workload on `fs`, whose device is `device`; returns the state listings at syncs.
    public mutating func run(on fs: FileSystem, device: RecordingDevice) throws {
        var random = SeededGenerator(seed: seed)
        var model = Model()
        syncPoints = [(device.events.count, model.listing)]
        fs.commitThresholdBytes = .max
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
        for _ in 0..<operations {
            let roll = Int.random(in: 0..<100, using: &random)
            let dirs = model.directories
            let files = model.files
            let entries = model.entries()
            switch roll {
            case 0..<14:
                let parent = dirs.randomElement(using: &random)!
                let name = newName()
                let permissions = [0o644, 0o600, 0o4755, 0o755].randomElement(using: &random)!
                let id = try fs.create(Array(name.utf8), in: parent, mode: 0o100000 | UInt16(permissions), uid: 1000, gid: 100)
                model.items[id] = Model.Item(kind: "f", permissions: UInt16(permissions), uid: 1000, gid: 100)
                model.children[parent]![name] = id
                log.append("create \(name)")
            case 14..<20:
                let parent = dirs.randomElement(using: &random)!
                let name = newName()
                let id = try fs.create(Array(name.utf8), in: parent, mode: 0o040755, uid: 0, gid: 0)
                model.items[id] = Model.Item(kind: "d", permissions: 0o755)
                model.children[parent]![name] = id
                model.children[id] = [:]
                log.append("mkdir \(name)")
            case 20..<45 where !files.isEmpty:
                let id = files.randomElement(using: &random)!
                let size = model.items[id]!.content.count
                let offset = Int.random(in: 0...min(size + 10_000, 400_000), using: &random)
                let count = [1, 100, 3000, 4096, 40_000, 140_000].randomElement(using: &random)!
                let data = bytes(count)
                try fs.write(id, at: UInt64(offset), data)
                var content = model.items[id]!.content
                if content.count < offset + count { content += [UInt8](repeating: 0, count: offset + count - content.count) }
                content.replaceSubrange(offset..<offset + count, with: data)
                model.items[id]!.content = content
                log.append("write \(id) @\(offset) +\(count)")
            case 45..<53 where !files.isEmpty:
                let id = files.randomElement(using: &random)!
                let size = model.items[id]!.content.count
                let newSize = Int.random(in: 0...(size + 200_000), using: &random)
                try fs.truncate(id, to: UInt64(newSize))
                var content = model.items[id]!.content
                if newSize < content.count { content.removeLast(content.count - newSize) } else {
                    content += [UInt8](repeating: 0, count: newSize - content.count)
                }
                model.items[id]!.content = content
                log.append("truncate \(id) \(newSize)")
            case 53..<61 where !entries.isEmpty:
                let (parent, name, id) = entries.randomElement(using: &random)!
                let isDir = model.items[id]!.kind == "d"
                if isDir {
                    guard model.children[id]!.isEmpty else { continue }
                    try fs.removeDirectory(Array(name.utf8), in: parent)
                    model.children[id] = nil
                } else {
                    try fs.unlink(Array(name.utf8), in: parent)
                }
                model.children[parent]![name] = nil
                if !isDir && model.links(id) == 0 { model.items[id] = nil }
                if isDir { model.items[id] = nil }
                log.append("remove \(name)")
            case 61..<70 where !entries.isEmpty:
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
                    if inside { continue }
                }
                let newName = Bool.random(using: &random) ? name : newName()
                if model.children[target]![newName] != nil { continue }
                try fs.rename(Array(name.utf8), in: parent, to: Array(newName.utf8), in: target)
                model.children[parent]![name] = nil
                model.children[target]![newName] = id
                log.append("rename \(name) -> \(newName)")
            case 70..<75 where !files.isEmpty:
                let id = files.randomElement(using: &random)!
                let parent = dirs.randomElement(using: &random)!
                let name = newName()
                try fs.link(id, as: Array(name.utf8), in: parent)
                model.children[parent]![name] = id
                log.append("link \(id) \(name)")
            case 75..<79:
                let parent = dirs.randomElement(using: &random)!
                let name = newName()
                let target = Array("target/\(String(repeating: "t", count: Int.random(in: 1...5000, using: &random)))".utf8)
                let id = try fs.createSymlink(Array(name.utf8), in: parent, target: target, uid: 0, gid: 0)
                model.items[id] = Model.Item(kind: "l", permissions: 0o777, content: target)
                model.children[parent]![name] = id
                log.append("symlink \(name)")
            case 79..<84 where !entries.isEmpty:
                let (_, _, id) = entries.randomElement(using: &random)!
                let permissions = UInt16.random(in: 0...0o7777, using: &random)
                try fs.setAttributes(id, AttributeChanges(permissions: permissions, uid: 42, gid: 43))
                model.items[id]!.permissions = permissions
                model.items[id]!.uid = 42
                model.items[id]!.gid = 43
                log.append("chmod \(id)")
            case 84..<100:
                try fs.sync()
                syncPoints.append((device.events.count, model.listing))
                log.append("sync")
            default:
                continue
            }
        }
        try fs.sync()
        syncPoints.append((device.events.count, model.listing))
    }
}
