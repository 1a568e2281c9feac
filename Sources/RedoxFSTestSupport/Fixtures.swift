import Foundation
import RedoxFS

/// The upstream reference images in ../shared/fixtures/redoxfs-0.9.1, unpacked once per test run
/// into a temporary folder (never copied into the repository), and helpers every test target
/// shares: private copies, manifests, running the built tools.
public enum Fixtures {
    public static let password = Array("correct horse".utf8)

    /// Every image with whether it is encrypted.
    public static let images: [(name: String, encrypted: Bool)] = [
        ("mkfs-empty", false), ("mkfs-empty-encrypted", true), ("ar", false), ("encrypted-fuse", true),
        ("ar-encrypted-lib", true), ("resized", false), ("fuse-modified", false), ("clone", false),
        ("ar-htree2", false), ("htree2-fuse-modified", false),
    ]

    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["REDOXFS_FIXTURES"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/redoxfs-0.9.1")
    }()

    /// This process's folder of unpacked images and private copies, removed when the process
    /// exits; folders left by test processes that died (or exited without running `atexit`) are
    /// removed when the next one starts (150 MB a run would otherwise pile up).
    public static let scratch: URL = {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix("redoxfs-fixtures-") {
            guard let pid = pid_t(name.dropFirst("redoxfs-fixtures-".count)), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
        let url = temporary.appendingPathComponent("redoxfs-fixtures-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Fixtures.scratch) }
        return url
    }()

    private static let lock = NSLock()

    /// The path of the unpacked image `name` (e.g. "ar"), named `name.img` as in the manifests.
    public static func image(_ name: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let target = scratch.appendingPathComponent("\(name).img")
        if !FileManager.default.fileExists(atPath: target.path) {
            let partial = target.path + ".part"
            try run("/usr/bin/env", ["zstd", "-q", "-d", "-f", directory.appendingPathComponent("\(name).img.zst").path, "-o", partial])
            try FileManager.default.moveItem(atPath: partial, toPath: target.path)
        }
        return target.path
    }

    /// A private writable copy of image `name`, in a fresh folder, keeping the `name.img` file name.
    public static func copy(_ name: String) throws -> String {
        let folder = scratch.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("\(name).img").path
        try run("/bin/cp", ["--sparse=always", try image(name), target])
        return target
    }

    public static func manifest(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("\(name).manifest.txt"), encoding: .utf8)
    }

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: Data, error: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let input { inp.fileHandleForWriting.write(input) }
        try? inp.fileHandleForWriting.close()
        let (outData, errData) = readToEnd(out.fileHandleForReading, err.fileHandleForReading)
        process.waitUntilExit()
        if executable != "/bin/cp" && !arguments.contains("zstd") { return (process.terminationStatus, outData, errData) }
        guard process.terminationStatus == 0 else {
            throw FixtureError.commandFailed("\(executable) \(arguments.joined(separator: " ")): \(String(decoding: errData, as: UTF8.self))")
        }
        return (0, outData, errData)
    }

    /// Reads two pipes of one child to their ends at once (standard error on a thread of its
    /// own): read one after the other, a child that fills the second pipe's buffer (64 KiB of
    /// errors, say) while the first is still open would wait for the test and the test for it.
    public static func readToEnd(_ first: FileHandle, _ second: FileHandle) -> (Data, Data) {
        let secondData = SendableData()
        let done = DispatchSemaphore(value: 0)
        Thread {
            secondData.value = second.readDataToEndOfFile()
            done.signal()
        }.start()
        let firstData = first.readDataToEndOfFile()
        done.wait()
        return (firstData, secondData.value)
    }

    /// Bytes one thread hands to another (after a semaphore, which orders the access).
    private final class SendableData: @unchecked Sendable {
        var value = Data()
    }

    public enum FixtureError: Error { case commandFailed(String) }

    public static func isEncrypted(_ name: String) -> Bool { images.first { $0.name == name }?.encrypted ?? false }

    /// A new empty image file of `bytes` bytes, named `name.img` in a fresh folder.
    public static func emptyImage(bytes: UInt64, name: String = "generated") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redoxfs-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("\(name).img").path
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        guard truncate(target, off_t(bytes)) == 0 else { throw FixtureError.commandFailed("truncate \(target)") }
        return target
    }

    /// SHA-256 of the whole file at `path`.
    public static func digest(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var digest = SHA256Digest()
        data.withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    /// Opens fixture `name` read-only, with the password when it is encrypted.
    public static func open(_ name: String, path: String? = nil) throws -> FileSystem {
        let encrypted = images.first { $0.name == name }?.encrypted ?? false
        return try FileSystem(path: path ?? image(name), readOnly: true, password: encrypted ? password : nil)
    }

    /// The built executable `tool` (from the same build folder as the tests).
    public static func tool(_ tool: String) -> String {
        var url = Bundle.main.bundleURL
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { url = bundle.bundleURL }
        let candidate = url.deletingLastPathComponent().appendingPathComponent(tool).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return packageRoot.appendingPathComponent(".build/debug/\(tool)").path
    }
}
