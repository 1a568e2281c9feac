// The portable engine exercised as Embedded Swift (built for the host with the Embedded flags by
// scripts/embedded-engine-test.sh, which also compiles this file for the loaders' bare targets).
// On a memory device, plain and encrypted: format, create, write, rename, delete, mkdir, commit,
// reopen from the committed bytes, read back. Exits 1 at the first mismatch. With an argument,
// the encrypted image is also written to that path (password "embedded"), for redoxfs-fsck and
// redoxfs-dump on the host.

import RedoxFSEngine
import RedoxFSFormat

@_extern(c, "creat") func createFile(_ path: UnsafePointer<CChar>, _ mode: UInt32) -> Int32
@_extern(c, "write") func writeFile(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int
@_extern(c, "close") func closeFile(_ fd: Int32) -> Int32

/// A deterministic stand-in for a random source (xorshift64*): the test needs repeatable bytes,
/// not secrets.
final class TestRandom {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    func bytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            result.append(UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56))
        }
        return result
    }
}

typealias Engine = FileSystemEngine<MemoryDevice, CoreProviders>

nonisolated(unsafe) var failures = 0

func check(_ condition: Bool, _ what: StaticString) {
    if !condition {
        print("embedded-engine: FAILED: \(what)")
        failures += 1
    }
}

func bytes(_ text: StaticString) -> [UInt8] {
    var result: [UInt8] = []
    text.withUTF8Buffer { for byte in $0 { result.append(byte) } }
    return result
}

/// A pattern that does not repeat within a record, so that misplaced blocks show.
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: count)
    for i in 0..<count { result[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9 &+ Int(seed)) }
    return result
}

func run(password: [UInt8]?, providers: CoreProviders) throws(FileSystemError) -> [UInt8] {
    var options = FormatOptions(password: password, time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
    options.uuid = [UInt8](repeating: 0x5A, count: 16)
    let device = MemoryDevice(blockCount: 4096)
    let fs = try Engine.format(device: device, providers: providers, options: options)
    let root = RedoxFS.rootNodeID

    // Create and write: a small file, a large one (several records, compressible and not), a folder.
    let small = try fs.create(bytes("hello.txt"), in: root, mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0)
    try fs.write(small, at: 0, bytes("hello from embedded swift\n"))
    let large = try fs.create(bytes("large.bin"), in: root, mode: NodeKind.file.rawValue | 0o600, uid: 1000, gid: 1000)
    let largeContent = pattern(300_000, seed: 7)
    try fs.write(large, at: 0, largeContent)
    try fs.write(large, at: 400_000, [UInt8](repeating: 0, count: 50_000))
    let folder = try fs.create(bytes("home"), in: root, mode: NodeKind.directory.rawValue | 0o755, uid: 0, gid: 0)
    let user = try fs.create(bytes("user"), in: folder, mode: NodeKind.directory.rawValue | 0o700, uid: 1000, gid: 1000)
    for n in 0..<40 {
        var name = bytes("note-")
        name.append(UInt8(0x30 + n / 10))
        name.append(UInt8(0x30 + n % 10))
        let id = try fs.create(name, in: user, mode: NodeKind.file.rawValue | 0o644, uid: 1000, gid: 1000)
        try fs.write(id, at: 0, pattern(100 + n * 97, seed: UInt8(n)))
    }
    _ = try fs.createSymlink(bytes("link"), in: root, target: bytes("home/user"), uid: 0, gid: 0)
    try fs.commit()

    // Rename across folders, delete, and commit again.
    try fs.rename(bytes("hello.txt"), in: root, to: bytes("greeting.txt"), in: user)
    try fs.unlink(bytes("note-13"), in: user)
    try fs.unlink(bytes("note-27"), in: user)
    let scratch = try fs.create(bytes("scratch"), in: root, mode: NodeKind.directory.rawValue | 0o755, uid: 0, gid: 0)
    _ = scratch
    try fs.removeDirectory(bytes("scratch"), in: root)
    try fs.truncate(large, to: 200_000)
    try fs.sync()
    let image = fs.device.bytes
    try fs.unmount()

    // Reopen from the committed bytes and read everything back.
    let reopened = try Engine(device: MemoryDevice(bytes: image), providers: providers, password: password)
    let greeting = try reopened.lookup("/home/user/greeting.txt")
    check(greeting == small, "the renamed file keeps its node")
    check(try reopened.read(greeting, at: 0, count: 100) == bytes("hello from embedded swift\n"), "small file content")
    check(try reopened.find(bytes("hello.txt"), in: root) == nil, "the old name is gone")
    let largeBack = try reopened.lookup("large.bin")
    let largeNode = try reopened.node(largeBack)
    check(largeNode.size == 200_000, "truncated size")
    check(try reopened.read(largeBack, at: 0, count: 200_000) == Array(largeContent[0..<200_000]), "large file content")
    let notes = try reopened.entries(of: try reopened.lookup("/home/user"))
    check(notes.count == 39, "38 notes and the greeting")
    check(try reopened.find(bytes("note-13"), in: user) == nil, "a deleted note is gone")
    for n in [0, 12, 14, 26, 28, 39] {
        var name = bytes("note-")
        name.append(UInt8(0x30 + n / 10))
        name.append(UInt8(0x30 + n % 10))
        guard let id = try reopened.find(name, in: user) else { check(false, "a kept note is found"); continue }
        check(try reopened.read(id, at: 0, count: 10_000) == pattern(100 + n * 97, seed: UInt8(n)), "note content")
    }
    check(try reopened.readLink(try reopened.lookup("link")) == bytes("home/user"), "symbolic link target")
    check(try reopened.find(bytes("scratch"), in: root) == nil, "the removed folder is gone")
    check(try reopened.spaceReport().isClean, "every block used once, none leaked")
    return image
}

/// The C entry point (Embedded Swift has no `CommandLine`): returns the exit status.
@_cdecl("main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let random = TestRandom()
    var clock: UInt64 = 1_700_000_000
    let providers = CoreProviders(
        clock: {
            clock += 1
            return Timestamp(seconds: clock, nanoseconds: 0)
        },
        random: { random.bytes($0) })
    var encrypted: [UInt8] = []
    do throws(FileSystemError) {
        _ = try run(password: nil, providers: providers)
        print("embedded-engine: plain file system written, reopened and read back")
        encrypted = try run(password: bytes("embedded"), providers: providers)
        print("embedded-engine: encrypted file system written, reopened and read back")
    } catch {
        print("embedded-engine: FAILED: engine error, errno \(error.errno)")
        return 1
    }
    if failures > 0 {
        print("embedded-engine: \(failures) checks failed")
        return 1
    }
    if argc > 1, let path = argv[1] {
        let fd = createFile(path, 0o644)
        let written = encrypted.withUnsafeBytes { writeFile(fd, $0.baseAddress!, $0.count) }
        guard fd >= 0, written == encrypted.count, closeFile(fd) == 0 else {
            print("embedded-engine: FAILED: cannot write the image")
            return 1
        }
        print("embedded-engine: encrypted image written")
    }
    return 0
}
