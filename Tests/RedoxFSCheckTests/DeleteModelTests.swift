#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
@testable import RedoxFSCheck
import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Deletes (unlink, rmdir, and the refusals of both) mixed with creates, hard links, commits and
/// operations failing half-way, compared after every step with a model of the tree; then the
/// image is reopened, compared again and checked. Directories are large enough to carry a hash
/// index (several leaves), so removals from indexed leaves and from a lone leaf both run.
@Suite struct DeleteModelTests {
    /// What the model knows of a node.
    struct Entry {
        var isDirectory: Bool
        var links: UInt32
        var size: Int
        var fill: UInt8
    }

    /// The tree as it should be: directory id → (name → node id), node id → node.
    struct Model {
        var directories: [UInt32: [[UInt8]: UInt32]] = [RedoxFS.rootNodeID: [:]]
        var nodes: [UInt32: Entry] = [:]
    }

    static let sizes = [0, 1, 100, 3000, 4096, 5000, 70_000]

    static func name(_ rng: inout SplitMix64, _ serial: Int) -> [UInt8] {
        Array("n\(serial)-\(String(repeating: "x", count: rng.next(below: 60)))".utf8)
    }

    static func createFile(_ fs: FileSystem, _ model: inout Model, in directory: UInt32, _ name: [UInt8], _ rng: inout SplitMix64) throws {
        let id = try fs.create(name, in: directory, mode: 0o100644, uid: 0, gid: 0)
        let size = sizes[rng.next(below: sizes.count)]
        let fill = UInt8(truncatingIfNeeded: id) | 1
        if size > 0 { _ = try fs.write(id, at: 0, [UInt8](repeating: fill, count: size)) }
        model.directories[directory]![name] = id
        model.nodes[id] = Entry(isDirectory: false, links: 1, size: size, fill: fill)
    }

    static func makeDirectory(_ fs: FileSystem, _ model: inout Model, in directory: UInt32, _ name: [UInt8]) throws -> UInt32 {
        let id = try fs.create(name, in: directory, mode: 0o040755, uid: 0, gid: 0)
        model.directories[directory]![name] = id
        model.directories[id] = [:]
        model.nodes[id] = Entry(isDirectory: true, links: 1, size: 0, fill: 0)
        return id
    }

    /// Every directory lists exactly the model's names, every node has the model's links, size
    /// and bytes (first and last), and names the model removed are gone.
    static func verify(_ fs: FileSystem, _ model: Model, step: Int) throws {
        for (directory, names) in model.directories {
            let listed = try fs.entries(of: directory)
            #expect(listed.count == names.count, "step \(step): directory \(directory) lists \(listed.count), model \(names.count)")
            for entry in listed {
                #expect(names[entry.name] == entry.nodeID, "step \(step): \(String(decoding: entry.name, as: UTF8.self)) in \(directory)")
            }
            for (name, id) in names {
                #expect(try fs.find(name, in: directory) == id, "step \(step): lookup of \(String(decoding: name, as: UTF8.self))")
            }
        }
        for (id, expected) in model.nodes {
            let node = try fs.node(id)
            #expect(node.links == expected.links, "step \(step): node \(id) links")
            #expect(node.isDirectory == expected.isDirectory, "step \(step): node \(id) type")
            if !expected.isDirectory {
                #expect(node.size == UInt64(expected.size), "step \(step): node \(id) size")
                if expected.size > 0 {
                    let first = try fs.read(id, at: 0, count: 1)
                    let last = try fs.read(id, at: UInt64(expected.size - 1), count: 1)
                    #expect(first == [expected.fill] && last == [expected.fill], "step \(step): node \(id) content")
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(10))) func deletesMatchTheModelAndLeaveACleanImage() throws {
        let device = MemoryDevice(blockCount: 16_384)
        let fs = try FileSystem.format(device: device)
        var rng = SplitMix64(state: 0xDE1E7E)
        var model = Model()
        var serial = 0
        func nextName() -> [UInt8] {
            serial += 1
            return Self.name(&rng, serial)
        }
        // Two large directories (hash index, several leaves), a small one, and one nested.
        var directories = [RedoxFS.rootNodeID]
        for _ in 0..<3 { directories.append(try Self.makeDirectory(fs, &model, in: RedoxFS.rootNodeID, nextName())) }
        directories.append(try Self.makeDirectory(fs, &model, in: directories[1], nextName()))
        for (index, directory) in directories.enumerated() {
            for _ in 0..<(index == 1 || index == 2 ? 300 : 40) {
                try Self.createFile(fs, &model, in: directory, nextName(), &rng)
            }
        }
        try fs.sync()
        for directory in directories[1...2] {
            #expect(try fs.node(directory).levelPointer(0).markerDepth >= 1, "directory \(directory) has no hash index")
        }
        // Names removed highest hash first: each removal takes its leaf's maximum, so the slot
        // hashes above must follow it down.
        let byHash = model.directories[directories[2]]!.keys.sorted { directoryNameHash($0) > directoryNameHash($1) }
        for name in byHash.prefix(120) {
            try fs.unlink(name, in: directories[2])
            model.nodes[model.directories[directories[2]]![name]!] = nil
            model.directories[directories[2]]![name] = nil
        }
        try Self.verify(fs, model, step: -3)
        try fs.sync()
        let midway = try FileSystemChecker.check(device: device)
        #expect(midway.errors == 0 && midway.warnings == 0, "\(midway.problems.prefix(5))")

        var deleted = 0
        var failedHalfway = 0
        for step in 0..<2500 {
            let live = directories.filter { model.directories[$0] != nil }
            let directory = live[rng.next(below: live.count)]
            let names = model.directories[directory]!
            let roll = rng.next(below: 100)
            if roll < 50, let (name, id) = names.randomElement(using: &rng) {
                let entry = model.nodes[id]!
                if entry.isDirectory {
                    // rmdir: refused while not empty; unlink of a directory is always refused.
                    do {
                        try fs.unlink(name, in: directory)
                        Issue.record("step \(step): unlink of a directory succeeded")
                    } catch {
                        #expect(error.errno == EISDIR)
                    }
                    let empty = model.directories[id]!.isEmpty
                    do {
                        try fs.removeDirectory(name, in: directory)
                        #expect(empty, "step \(step): rmdir of a non-empty directory succeeded")
                        model.directories[directory]![name] = nil
                        model.directories[id] = nil
                        model.nodes[id] = nil
                    } catch {
                        #expect(!empty && error.errno == ENOTEMPTY, "step \(step): \(error)")
                    }
                } else {
                    do {
                        try fs.removeDirectory(name, in: directory)
                        Issue.record("step \(step): rmdir of a file succeeded")
                    } catch {
                        #expect(error.errno == ENOTDIR)
                    }
                    let inject = rng.next(below: 10) == 0
                    if inject { fs.allocationsBeforeInjectedFailure = rng.next(below: 6) }
                    do {
                        try fs.unlink(name, in: directory)
                        model.directories[directory]![name] = nil
                        if entry.links > 1 { model.nodes[id]!.links -= 1 } else { model.nodes[id] = nil }
                        deleted += 1
                    } catch {
                        #expect(inject && error.errno == ENOSPC, "step \(step): \(error)")
                        failedHalfway += 1
                    }
                    fs.allocationsBeforeInjectedFailure = nil
                }
            } else if roll < 60 {
                do {
                    try fs.unlink(nextName(), in: directory)
                    Issue.record("step \(step): unlink of a missing name succeeded")
                } catch {
                    #expect(error.errno == ENOENT)
                }
            } else if roll < 80 {
                try Self.createFile(fs, &model, in: directory, nextName(), &rng)
            } else if roll < 88, let (_, id) = names.randomElement(using: &rng), !model.nodes[id]!.isDirectory {
                let target = live[rng.next(below: live.count)]
                let name = nextName()
                try fs.link(id, as: name, in: target)
                model.directories[target]![name] = id
                model.nodes[id]!.links += 1
            } else if roll < 91 {
                directories.append(try Self.makeDirectory(fs, &model, in: directory, nextName()))
            } else if roll < 96 {
                try fs.sync()
            }
            if step % 250 == 0 { try Self.verify(fs, model, step: step) }
        }
        #expect(deleted > 500)
        #expect(failedHalfway > 0, "no unlink failed half-way")
        try Self.verify(fs, model, step: -1)
        try fs.unmount()

        let reopened = try FileSystem(device: device, writable: true)
        try Self.verify(reopened, model, step: -2)
        try reopened.unmount()
        let report = try FileSystemChecker.check(device: device)
        #expect(report.errors == 0 && report.warnings == 0, "\(report.problems.prefix(5))")
    }
}
