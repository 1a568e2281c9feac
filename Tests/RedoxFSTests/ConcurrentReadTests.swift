import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSStress
import Testing

/// The engine's reader-writer lock, without FUSE in between: reader threads look up, stat, list
/// and read while a writer changes other files and commits again and again (each commit's device
/// I/O admits readers). Readers must always see complete content: the files nobody changes byte
/// for byte, the file the writer keeps rewriting as one whole version (every version is a single
/// repeated byte with the size that byte says). Then the image is reopened and compared.
/// Bounded by counts (run it under `--sanitize=thread` to look for races).
@Suite struct ConcurrentReadTests {
    static let readers = 4
    static let stableFiles = 24
    static let writerRounds = 120
    static let readerPasses = 40

    /// The content of stable file `n`: distinct per file, several records long for some.
    static func stableContent(_ n: Int) -> [UInt8] {
        (0..<(700 + n * 997)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n &* 7) }
    }

    /// Version `round` of the rewritten file: byte `round % 251 + 1`, repeated a size it determines.
    static func version(_ round: Int) -> [UInt8] {
        let byte = UInt8(round % 251 + 1)
        return [UInt8](repeating: byte, count: Int(byte) * 150)
    }

    /// A new sparse image file of `bytes` bytes in the temporary directory (the caller removes it).
    static func emptyImage(_ prefix: String, bytes: UInt64) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID()).img").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: bytes)
        try handle.close()
        return path
    }

    @Test(arguments: [false, true])
    func readersRunBesideACommittingWriter(encrypted: Bool) throws {
        let path = try Self.emptyImage("concurrent", bytes: 64 << 20)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let password: [UInt8]? = encrypted ? Array("secret".utf8) : nil
        var options = FormatOptions()
        options.password = password
        let fs = try FileSystem.format(device: try FileDevice.open(path: path, readOnly: false), options: options)

        let directory = try fs.create(Array("stable".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        for n in 0..<Self.stableFiles {
            let id = try fs.create(Array("f\(n)".utf8), in: directory, mode: 0o100644, uid: 0, gid: 0)
            try fs.write(id, at: 0, Self.stableContent(n))
        }
        let churn = try fs.create(Array("churn".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        let rewritten = try fs.create(Array("rewritten".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(rewritten, at: 0, Self.version(0))
        try fs.sync()

        let problems = ConcurrentProblemList()
        let writerDone = ConcurrentFlag()
        let group = DispatchGroup()
        nonisolated(unsafe) let engine = fs  // the engine's lock makes it safe to share
        for r in 0..<Self.readers {
            group.enter()
            Thread {
                defer { group.leave() }
                var pass = 0
                while pass < Self.readerPasses || (!writerDone.isSet && pass < 50 * Self.readerPasses) {
                    Self.readPass(engine, seed: r &+ pass, directory: directory, rewritten: rewritten, problems: problems)
                    pass += 1
                }
            }.start()
        }
        for round in 1...Self.writerRounds {
            do {
                let name = Array("c\(round % 16)".utf8)
                if let old = try fs.find(name, in: churn) {
                    try fs.write(old, at: 0, [UInt8](repeating: UInt8(round % 256), count: 5000 + round * 37))
                    if round % 3 == 0 { try fs.unlink(name, in: churn) }
                } else {
                    let id = try fs.create(name, in: churn, mode: 0o100644, uid: 0, gid: 0)
                    try fs.write(id, at: 0, [UInt8](repeating: 7, count: round * 101))
                }
                // The rewritten file changes as one operation: truncate and write inside one.
                try fs.exclusively { () throws(FileSystemError) in
                    try fs.transaction { () throws(FileSystemError) in
                        try fs.truncate(rewritten, to: 0)
                        try fs.write(rewritten, at: 0, Self.version(round))
                    }
                }
                if round % 2 == 0 { try fs.sync() }
            } catch {
                problems.add("writer round \(round): \(error)")
            }
        }
        writerDone.set()
        group.wait()
        #expect(problems.all.isEmpty, "\(problems.all.count) problems, first: \(problems.all.prefix(5))")

        try fs.sync()
        let listing = try RedoxFSStress.TreeListing.of(fs)
        fs.close()
        let reopened = try FileSystem(path: path, password: password)
        defer { reopened.close() }
        #expect(try RedoxFSStress.TreeListing.of(reopened) == listing)
        #expect(try reopened.spaceReport().isClean)
        #expect(try reopened.read(rewritten, at: 0, count: 1 << 20) == Self.version(Self.writerRounds))
    }

    /// Proof that readers get in while a commit's device I/O runs: the committing thread's first
    /// flush waits until another thread has looked up, stated and read a file. Were readers kept
    /// out, that thread would wait for the lock the commit holds: the flush gives up after ten
    /// minutes (a hang guard, not a time measured) and the test fails.
    @Test func aReaderFinishesWhileACommitWaitsForTheDevice() throws {
        let path = try Self.emptyImage("commit-io", bytes: 16 << 20)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let gate = CommitIOGate()
        let fs = try FileSystem.format(device: GatedDevice(base: try FileDevice.open(path: path, readOnly: false), gate: gate))
        defer { fs.close() }
        let content = Self.stableContent(5)
        let stable = try fs.create(Array("stable".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(stable, at: 0, content)
        let changing = try fs.create(Array("changing".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.sync()

        gate.arm()
        let problems = ConcurrentProblemList()
        let writerDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let engine = fs  // the engine's lock makes it safe to share
        Thread {
            defer { writerDone.signal() }
            do {
                try engine.write(changing, at: 0, Self.version(3))
                try engine.sync()
            } catch {
                problems.add("writer: \(error)")
            }
        }.start()

        try #require(gate.waitUntilFlushing(), "the commit never reached its device I/O")
        let found = try fs.find(Array("stable".utf8), in: 1)
        let size = try fs.node(stable).size
        let bytes = try fs.read(stable, at: 0, count: content.count + 10)
        gate.readerFinished()
        #expect(writerDone.wait(timeout: .now() + .seconds(600)) == .success, "the commit never finished")

        #expect(!gate.gaveUp, "the reader got in only after the commit's flush gave up waiting for it")
        #expect(found == stable)
        #expect(size == UInt64(content.count))
        #expect(bytes == content)
        #expect(problems.all.isEmpty, "\(problems.all)")
        #expect(try fs.read(changing, at: 0, count: 1 << 16) == Self.version(3))
    }

    /// One reader pass: stat and read stable files (looked up by name), list the directory, read
    /// the rewritten file, ask for statistics.
    static func readPass(_ fs: FileSystem, seed: Int, directory: UInt32, rewritten: UInt32, problems: ConcurrentProblemList) {
        do {
            for k in 0..<4 {
                let n = (seed &* 5 &+ k) % stableFiles
                guard let id = try fs.find(Array("f\(n)".utf8), in: directory) else {
                    problems.add("f\(n) not found")
                    continue
                }
                let node = try fs.node(id)
                let expected = stableContent(n)
                if node.size != UInt64(expected.count) { problems.add("f\(n): size \(node.size)") }
                if try fs.read(id, at: 0, count: expected.count + 10) != expected { problems.add("f\(n): content differs") }
            }
            if try fs.entries(of: directory).count != stableFiles { problems.add("stable: wrong entry count") }
            // One consistent view of the rewritten file: its node and content under one shared hold.
            let bytes = try fs.shared { () throws(FileSystemError) in
                let node = try fs.node(rewritten)
                return try fs.read(rewritten, at: 0, count: Int(node.size) + 10)
            }
            if let first = bytes.first {
                if bytes.count != Int(first) * 150 || bytes.contains(where: { $0 != first }) {
                    problems.add("rewritten: a torn version (\(bytes.count) bytes, first \(first))")
                }
            } else {
                problems.add("rewritten: empty")
            }
            _ = try fs.statistics()
            _ = try fs.availableBlocks()
        } catch {
            problems.add("reader: \(error)")
        }
    }
}

/// Problems found by the threads, collected under a lock.
final class ConcurrentProblemList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}

/// A flag one thread sets and others read.
final class ConcurrentFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Holds the first flush after `arm()` (a commit's device I/O) until a reader says it finished,
/// or ten minutes have passed (`gaveUp`).
final class CommitIOGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var armed = false
    private var flushing = false
    private var readerDone = false
    private(set) var gaveUp = false

    func arm() { condition.withLock { armed = true } }

    /// Called by the device's flush.
    func flushStarts() {
        condition.lock()
        defer { condition.unlock() }
        guard armed else { return }
        armed = false
        flushing = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: 600)
        while !readerDone {
            if !condition.wait(until: deadline) {
                gaveUp = true
                return
            }
        }
    }

    /// Waits (ten minutes at most) until the armed flush has started; false if it never did.
    func waitUntilFlushing() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: 600)
        while !flushing {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    func readerFinished() {
        condition.withLock {
            readerDone = true
            condition.broadcast()
        }
    }
}

/// A device whose flushes pass through a `CommitIOGate` first.
struct GatedDevice: StorageDevice {
    var base: FileDevice
    let gate: CommitIOGate

    var blockCount: UInt64 { base.blockCount }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try base.readBlocks(at: index, into: buffer)
    }

    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        try base.writeBlocks(at: index, from: buffer)
    }

    mutating func writeBlocks(at index: UInt64, gathering buffers: [[UInt8]]) throws(FormatError) {
        try base.writeBlocks(at: index, gathering: buffers)
    }

    mutating func flush() throws(FormatError) {
        gate.flushStarts()
        try base.flush()
    }

    func close() { base.close() }
}
