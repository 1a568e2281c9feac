import Foundation
import Glibc
import RedoxFS
import XCTest

/// Several writer and reader threads of one process through the mount at once (the kernel sends
/// their requests to the daemon's threads side by side): writers create, rewrite, append to,
/// truncate, rename and delete files and directories of their own, in a directory of their own
/// and in one all of them share, and write their own region of one file they all share; readers
/// list, stat and read everything meanwhile. Every file a reader finds under a final name is
/// complete and correct. Then the image is unmounted, checked with `redoxfs-fsck -n -f`, and
/// compared with the writers' model, path by path and byte by byte. Bounded by counts only.
final class ThreadedStressTests: MountTestCase {
    static let writers = 4
    /// More readers than writers: reads run together under the engine's shared lock, and beside
    /// each commit's device I/O (every other publish fsyncs).
    static let readers = 6
    static let operationsPerWriter = 250
    static let passesPerReader = 60
    /// Each writer's region of the shared file.
    static let regionSize = 48 * 1024

    func testThreadedWritersAndReadersMatchTheModel() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("threads.img"), megabytes: 512)
        let mounted = try mount(image)
        let root = mounted.mountpoint
        XCTAssertEqual(mkdir(root + "/shared", 0o755), 0)
        let common = root + "/shared/common.bin"
        XCTAssertEqual(Posix.write(common, [UInt8](repeating: 0, count: Self.writers * Self.regionSize)), nil)

        let failures = FailureLog()
        let store = ModelStore(count: Self.writers)
        let group = DispatchGroup()
        let writersDone = AtomicFlag()
        for w in 0..<Self.writers {
            spawn(group) {
                var writer = StressWriter(index: w, root: root, failures: failures)
                writer.run(operations: Self.operationsPerWriter, common: common)
                store.set(w, writer.model)
            }
        }
        let readerGroup = DispatchGroup()
        for r in 0..<Self.readers {
            spawn(readerGroup) {
                var reader = StressReader(seed: UInt64(r + 1), root: root, failures: failures)
                // At least the bounded passes; more while the writers still run.
                var pass = 0
                while pass < Self.passesPerReader || (!writersDone.value && pass < 20 * Self.passesPerReader) {
                    reader.pass()
                    pass += 1
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 1200), .success, "writers hung")
        writersDone.set()
        XCTAssertEqual(readerGroup.wait(timeout: .now() + 1200), .success, "readers hung")
        let problems = failures.all
        XCTAssertTrue(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(10).joined(separator: "\n"))")

        let models = store.models
        // The shared file: each writer's region as it last wrote it.
        var expectedCommon = [UInt8](repeating: 0, count: Self.writers * Self.regionSize)
        for (w, model) in models.enumerated() {
            expectedCommon.replaceSubrange(w * Self.regionSize..<(w + 1) * Self.regionSize, with: model.commonRegion)
        }
        try mounted.unmount()

        let fsck = try CommandRunner.run([TestEnvironment.productsFolder.appendingPathComponent("redoxfs-fsck").path, "-n", "-f", image], timeout: 600)
        XCTAssertEqual(fsck.status, 0, "redoxfs-fsck -n -f: \(fsck.transcript)")
        try TestImages.assertClean(image)

        let fs = try FileSystem(path: image, readOnly: true)
        defer { fs.close() }
        var expected: [String: [UInt8]?] = ["/shared": nil, "/shared/common.bin": expectedCommon]
        for model in models {
            for (path, content) in model.files { expected[path] = content }
            for path in model.directories { expected[path] = .some(nil) }
        }
        var found: [String: [UInt8]?] = [:]
        func walk(_ id: UInt32, _ path: String) throws {
            for entry in try fs.entries(of: id) {
                let child = (path == "/" ? "" : path) + "/" + String(decoding: entry.name, as: UTF8.self)
                let node = try fs.node(entry.nodeID)
                if node.isDirectory {
                    found[child] = .some(nil)
                    try walk(entry.nodeID, child)
                } else {
                    found[child] = try fs.read(entry.nodeID, at: 0, count: Int(node.size))
                }
            }
        }
        try walk(RedoxFS.rootNodeID, "/")
        XCTAssertEqual(Set(found.keys), Set(expected.keys), "the image's paths differ from the model's")
        var mismatched: [String] = []
        for (path, content) in expected where found[path] != nil && found[path]! != content { mismatched.append(path) }
        XCTAssertTrue(mismatched.isEmpty, "content differs from the model: \(mismatched.sorted().prefix(10).map { "\($0): \(found[$0]!!.count) bytes, \(expected[$0]!!.count) expected" })")
        let files = expected.values.filter { $0 != nil }.count
        print("threaded stress: \(Self.writers) writers x \(Self.operationsPerWriter) operations, \(Self.readers) readers; \(files) files and \(expected.count - files) directories match the model")
    }

    /// A file written, then unlinked while the kernel still holds its cached times: the times
    /// the writeback cache flushes for it afterwards are acknowledged, so a following syncfs
    /// succeeds (it failed with ENOENT when the flush was refused).
    func testSyncAfterUnlinkingAWrittenFile() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("unlink.img"), megabytes: 64)
        let mounted = try mount(image)
        let root = mounted.mountpoint
        for n in 0..<5 {
            XCTAssertEqual(mkdir(root + "/d\(n)", 0o755), 0)
            XCTAssertNil(Posix.write(root + "/d\(n)/f", Array("content \(n)\n".utf8)))
            XCTAssertEqual(unlink(root + "/d\(n)/f"), 0)
            XCTAssertEqual(rmdir(root + "/d\(n)"), 0)
            let sync = try CommandRunner.run(["sync", "-f", root])
            XCTAssertEqual(sync.status, 0, "sync -f after unlink \(n): \(sync.transcript)")
        }
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    private func spawn(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

/// What one writer left: its files (path → content) and directories.
struct StressModel {
    var files: [String: [UInt8]] = [:]
    var directories: Set<String> = []
    var commonRegion = [UInt8](repeating: 0, count: ThreadedStressTests.regionSize)
}

/// The writers' models, handed back from their threads.
final class ModelStore: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [StressModel]
    init(count: Int) { stored = [StressModel](repeating: StressModel(), count: count) }
    func set(_ index: Int, _ model: StressModel) { lock.lock(); stored[index] = model; lock.unlock() }
    var models: [StressModel] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Problems found by any thread.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}

/// A flag set once, read by other threads.
final class AtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// A small deterministic generator (xorshift64*).
struct StressRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Self-describing content: a header line naming the file's key and length, then bytes that
/// follow from both, so a reader can tell a complete, correct file from anything else.
enum StressContent {
    /// `length` bytes, or the header alone when that is longer. Filled eight bytes per draw
    /// through a raw buffer: readers check every file they find against it, and in a debug build
    /// a byte-by-byte append was three quarters of the test's CPU (the mount's was 2%).
    static func make(key: String, length: Int) -> [UInt8] {
        let header = Array("\(key) \(length)\n".utf8)
        guard length > header.count else { return header }
        var random = StressRandom(key.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) })
        var bytes = [UInt8](repeating: 0, count: length)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            var offset = header.count
            while offset < length {
                var word = random.next().littleEndian
                let count = min(8, length - offset)
                withUnsafeBytes(of: &word) { (base + offset).copyMemory(from: $0.baseAddress!, byteCount: count) }
                offset += count
            }
        }
        return bytes
    }

    /// Nil when `bytes` is exactly what `make` gives for the key and length in its header.
    static func problem(_ bytes: [UInt8]) -> String? {
        guard let newline = bytes.firstIndex(of: 0x0A) else { return "no header line (\(bytes.count) bytes)" }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 2, let length = Int(header[1]) else { return "a malformed header" }
        let key = String(header[0])
        let wanted = make(key: key, length: length)
        if wanted.count != bytes.count { return "\(key): \(bytes.count) bytes, \(wanted.count) expected" }
        let same = wanted.withUnsafeBytes { expected in
            bytes.withUnsafeBytes { found in
                guard let wantedStart = expected.baseAddress, let foundStart = found.baseAddress else { return found.isEmpty }
                return memcmp(wantedStart, foundStart, found.count) == 0
            }
        }
        return same ? nil : "\(key): wrong bytes"
    }
}

/// One writer thread: its own directory `/w<index>` and names `s<index>-*` in `/shared`.
/// Final names are published by rename of a complete `.tmp` file; `.tmp` files are also
/// rewritten in place, appended to and truncated before they are published or deleted.
struct StressWriter {
    let index: Int
    let root: String
    let failures: FailureLog
    var model = StressModel()
    var random: StressRandom
    var serial = 0

    init(index: Int, root: String, failures: FailureLog) {
        self.index = index
        self.root = root
        self.failures = failures
        random = StressRandom(UInt64(index + 101))
    }

    private mutating func fail(_ what: String, _ path: String) {
        failures.add("writer \(index): \(what) \(path): \(String(cString: strerror(errno)))")
    }

    mutating func run(operations: Int, common: String) {
        let own = "/w\(index)"
        if mkdir(root + own, 0o755) != 0 { fail("mkdir", own); return }
        model.directories.insert(own)
        for _ in 0..<operations {
            let base = random.below(3) == 0 ? "/shared/s\(index)" : own + "/f"
            switch random.below(10) {
            case 0...3: publish(base)
            case 4: rewrite()
            case 5: remove()
            case 6: renameExisting(base)
            case 7: directoryChurn(own)
            case 8: writeRegion(common)
            default: abandonTemporary(base)
            }
        }
    }

    /// A new file, written in pieces to a `.tmp` name, then renamed to its final name.
    private mutating func publish(_ base: String) {
        serial += 1
        let key = "w\(index)-\(serial)"
        let length = [0, 100, 3000, 5000, 70_000, 300_000][random.below(6)]
        let content = StressContent.make(key: key, length: length)
        let final = "\(base)\(serial)"
        let temporary = final + ".tmp"
        let split = random.below(content.count)
        // First a wrong tail, then the whole content over it, then the size cut back: the
        // in-place paths (overwrite, truncate) run before the file is published.
        if Posix.write(root + temporary, Array(content[..<split]) + [UInt8](repeating: 0xEE, count: 5000)) != nil {
            fail("write", temporary); return
        }
        if Posix.pwrite(root + temporary, content, at: 0, truncateTo: content.count) != nil { fail("rewrite", temporary); return }
        if random.below(2) == 0, Posix.fsync(root + temporary) != nil { fail("fsync", temporary); return }
        if rename(root + temporary, root + final) != 0 { fail("rename", temporary); return }
        model.files[final] = content
    }

    /// A published file replaced by a new version, atomically (rename over it).
    private mutating func rewrite() {
        guard let path = model.files.keys.sorted().randomElement(using: &random) else { return }
        serial += 1
        let content = StressContent.make(key: "w\(index)-\(serial)", length: random.below(200_000))
        if Posix.write(root + path + ".tmp", content) != nil { fail("write", path + ".tmp"); return }
        if rename(root + path + ".tmp", root + path) != 0 { fail("rename over", path); return }
        model.files[path] = content
    }

    private mutating func remove() {
        guard let path = model.files.keys.sorted().randomElement(using: &random) else { return }
        if unlink(root + path) != 0 { fail("unlink", path); return }
        model.files[path] = nil
    }

    /// A published file moved to a new final name.
    private mutating func renameExisting(_ base: String) {
        guard let path = model.files.keys.sorted().randomElement(using: &random) else { return }
        serial += 1
        let target = "\(base)\(serial)"
        if rename(root + path, root + target) != 0 { fail("rename", path); return }
        model.files[target] = model.files.removeValue(forKey: path)
    }

    /// A subdirectory made with a file in it, or an empty one removed.
    private mutating func directoryChurn(_ own: String) {
        let empty = model.directories.filter { dir in dir != own && !model.files.keys.contains { $0.hasPrefix(dir + "/") } }
        if let dir = empty.sorted().randomElement(using: &random), random.below(2) == 0 {
            if rmdir(root + dir) != 0 { fail("rmdir", dir); return }
            model.directories.remove(dir)
            return
        }
        serial += 1
        let dir = "\(own)/d\(serial)"
        if mkdir(root + dir, 0o755) != 0 { fail("mkdir", dir); return }
        model.directories.insert(dir)
        publish(dir + "/f")
    }

    /// This writer's region of the shared file, rewritten in place.
    private mutating func writeRegion(_ common: String) {
        let offset = random.below(ThreadedStressTests.regionSize - 1)
        let count = 1 + random.below(ThreadedStressTests.regionSize - offset)
        let byte = UInt8(truncatingIfNeeded: random.next() | 1)
        let bytes = [UInt8](repeating: byte, count: count)
        let at = index * ThreadedStressTests.regionSize + offset
        if Posix.pwrite(common, bytes, at: at, truncateTo: nil) != nil { fail("pwrite", common); return }
        model.commonRegion.replaceSubrange(offset..<offset + count, with: bytes)
    }

    /// A `.tmp` file written, appended to, and deleted without being published.
    private mutating func abandonTemporary(_ base: String) {
        serial += 1
        let path = "\(base)\(serial).tmp"
        if Posix.write(root + path, [UInt8](repeating: 1, count: random.below(20_000))) != nil { fail("write", path); return }
        if Posix.append(root + path, [UInt8](repeating: 2, count: random.below(150_000))) != nil { fail("append", path); return }
        if unlink(root + path) != 0 { fail("unlink", path) }
    }
}

extension Array {
    func randomElement(using random: inout StressRandom) -> Element? {
        isEmpty ? nil : self[random.below(count)]
    }
}

/// One reader thread: lists every directory, stats every entry, reads every published file.
/// A name may vanish between listing and opening (ENOENT is fine); a file opened under a final
/// name must be complete and correct.
struct StressReader {
    var random: StressRandom
    let root: String
    let failures: FailureLog

    init(seed: UInt64, root: String, failures: FailureLog) {
        random = StressRandom(seed &* 7919)
        self.root = root
        self.failures = failures
    }

    mutating func pass() {
        visit("")
    }

    private mutating func visit(_ path: String) {
        guard let names = Posix.list(root + path) else {
            if errno != ENOENT { failures.add("reader: list \(path): \(String(cString: strerror(errno)))") }
            return
        }
        for name in names {
            let child = path + "/" + name
            var status = stat()
            guard lstat(root + child, &status) == 0 else {
                if errno != ENOENT { failures.add("reader: stat \(child): \(String(cString: strerror(errno)))") }
                continue
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                visit(child)
            } else if !name.hasSuffix(".tmp") && name != "common.bin" {
                guard let bytes = Posix.read(root + child) else {
                    if errno != ENOENT { failures.add("reader: read \(child): \(String(cString: strerror(errno)))") }
                    continue
                }
                if let problem = StressContent.problem(bytes) { failures.add("reader: \(child): \(problem)") }
            } else if name == "common.bin", random.below(4) == 0 {
                if Posix.read(root + child)?.count != ThreadedStressTests.writers * ThreadedStressTests.regionSize {
                    failures.add("reader: common.bin has a wrong size")
                }
            }
        }
    }
}

/// Plain POSIX calls on paths; the writing ones return the errno on failure, nil on success.
enum Posix {
    static func write(_ path: String, _ bytes: [UInt8]) -> Int32? {
        pwrite(path, bytes, at: 0, truncateTo: bytes.count, flags: O_CREAT | O_TRUNC)
    }

    static func append(_ path: String, _ bytes: [UInt8]) -> Int32? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return writeAll(fd, bytes, at: nil)
    }

    static func pwrite(_ path: String, _ bytes: [UInt8], at offset: Int, truncateTo size: Int?, flags: Int32 = 0) -> Int32? {
        let fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0o644)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        if let failure = writeAll(fd, bytes, at: offset) { return failure }
        if let size, ftruncate(fd, off_t(size)) != 0 { return errno }
        return nil
    }

    static func fsync(_ path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return Glibc.fsync(fd) == 0 ? nil : errno
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int?) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                let rest = raw.baseAddress! + done
                if let offset { return Glibc.pwrite(fd, rest, bytes.count - done, off_t(offset + done)) }
                return Glibc.write(fd, rest, bytes.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }

    static func list(_ path: String) -> [String]? {
        guard let stream = opendir(path) else { return nil }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
