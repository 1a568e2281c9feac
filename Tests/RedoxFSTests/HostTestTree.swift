import Foundation
import Glibc

/// A deterministic host tree with everything an archive must keep: every node type (directory,
/// file, symbolic link, socket), sizes around the inline, block and record boundaries and tens of
/// MiB, sparse files, deep nesting, thousands of entries in one directory, long and UTF-8 names,
/// hard links, modes with setuid/setgid/sticky, owners (when run as root) and distinct times.
enum HostTestTree {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Entries of the big directory `many/`.
    static let manyEntries = 2000
    /// Depth of `deep/…`.
    static let depth = 40

    /// Builds the tree at `root` (which must not exist).
    static func generate(at root: String) throws {
        try makeDirectory(root, 0o755)
        func path(_ parts: String...) -> String { ([root] + parts).joined(separator: "/") }

        // Sizes around the boundaries (inline data 3968, block 4096, record 128 KiB).
        try writeFile(path("empty"), [])
        try writeFile(path("one"), [0x41])
        for size in [3967, 3968, 4095, 4096, 4097, 131_071, 131_072, 131_073] {
            try writeFile(path("size-\(size).bin"), pattern(size, seed: UInt64(size)))
        }
        // Tens of MiB: text with random stretches (some records compress, some do not).
        var big: [UInt8] = []
        big.reserveCapacity(20 << 20)
        let line = Array("big file line: the quick brown fox jumps over the lazy dog\n".utf8)
        for mebibyte in 0..<20 {
            while big.count < (mebibyte << 20) + (768 << 10) { big += line }
            big.removeLast(big.count - ((mebibyte << 20) + (768 << 10)))
            big += pattern(256 << 10, seed: UInt64(1000 + mebibyte))
        }
        try writeFile(path("big-20MiB.bin"), big)
        try writeFile(path("zeros-1MiB.bin"), [UInt8](repeating: 0, count: 1 << 20))
        // Sparse: data at 0 and at 3 MiB + 100, a hole to the end; and one starting with a hole.
        try writeSparse(path("sparse-8MiB.bin"), size: 8 << 20, pieces: [(0, pattern(4096, seed: 1)), ((3 << 20) + 100, pattern(10_000, seed: 2))])
        try writeSparse(path("sparse-hole-first.bin"), size: (5 << 20) + 7, pieces: [((5 << 20) - 3, pattern(10, seed: 3))])

        // Deep nesting.
        var deep = path("deep")
        try makeDirectory(deep, 0o755)
        for level in 1...depth {
            deep += "/d\(level)"
            try makeDirectory(deep, 0o755)
        }
        try writeFile(deep + "/leaf.txt", Array("at the bottom\n".utf8))

        // Thousands of entries in one directory.
        try makeDirectory(path("many"), 0o755)
        for i in 0..<manyEntries {
            try writeFile(path("many", "entry-\(i)"), Array("entry \(i)\n".utf8))
        }

        // Names: the longest, multi-byte, spaces and quotes, a control character.
        try makeDirectory(path("names"), 0o755)
        let names = [
            String(repeating: "L", count: 252), String(repeating: "é", count: 126), "日本語のファイル名.txt",
            "emoji-😀-🚀.txt", "café.txt", "with space and 'quotes'.txt", "Ωmega-ß-ü.txt", "new\nline",
        ]
        for (i, name) in names.enumerated() { try writeFile(path("names", name), Array("name #\(i)\n".utf8)) }

        // Symbolic links, hard links (also of a symbolic link), a socket.
        try makeDirectory(path("links"), 0o755)
        try symlink(path("links", "rel-file"), "../one")
        try symlink(path("links", "rel-dir"), "../deep/d1")
        try symlink(path("links", "abs"), "/etc/hostname")
        try symlink(path("links", "dangling"), "does/not/exist")
        try symlink(path("links", "long-target"), String(("d123456789/" * 400).prefix(4000)))
        try symlink(path("links", "utf8-target"), "../names/café.txt")
        try hardLink(path("size-4097.bin"), path("links", "hard-4097"))
        try hardLink(path("size-4097.bin"), path("names", "hard-4097-again"))
        try hardLink(path("links", "rel-file"), path("links", "hard-to-symlink"))
        try makeSocket(path("links", "socket"))

        // Modes and owners.
        try makeDirectory(path("modes"), 0o755)
        for (name, mode) in [("0600", 0o600), ("0755", 0o755), ("0000", 0o000), ("setuid-4755", 0o4755), ("setgid-2755", 0o2755)] {
            try writeFile(path("modes", "mode-\(name)"), Array("\(name)\n".utf8), mode: mode_t(mode))
        }
        try makeDirectory(path("modes", "sticky-1777"), 0o1777)
        try writeFile(path("modes", "sticky-1777", "inside"), Array("inside\n".utf8))
        try makeDirectory(path("modes", "private-0700"), 0o700)
        try writeFile(path("modes", "private-0700", "secret"), Array("secret\n".utf8), mode: 0o600)
        if geteuid() == 0 {
            try makeDirectory(path("owners"), 0o755)
            try writeFile(path("owners", "uid1000"), Array("1000\n".utf8))
            try own(path("owners", "uid1000"), 1000, 1000)
            try writeFile(path("owners", "uid12345-gid54321"), Array("12345\n".utf8))
            try own(path("owners", "uid12345-gid54321"), 12345, 54321)
            try makeDirectory(path("owners", "dir-2000"), 0o750)
            try writeFile(path("owners", "dir-2000", "f"), Array("2000\n".utf8))
            try own(path("owners", "dir-2000", "f"), 2000, 3000)
            try own(path("owners", "dir-2000"), 2000, 3000)
            try own(path("links", "abs"), 4000, 4001)
        }
        try setTimes(below: root)
    }

    /// Deterministic bytes (xorshift, eight at a time).
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: (count + 7) / 8 * 8)
        bytes.withUnsafeMutableBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: offset, as: UInt64.self)
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    static func check(_ result: Int32, _ what: String) throws {
        if result != 0 { throw Failure(description: "\(what): \(String(cString: strerror(errno)))") }
    }

    static func makeDirectory(_ path: String, _ mode: mode_t) throws {
        try check(mkdir(path, 0o700), "mkdir \(path)")
        try check(chmod(path, mode), "chmod \(path)")
    }

    static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw Failure(description: "write \(path)") }
        try check(fchmod(fd, mode), "chmod \(path)")
    }

    static func writeSparse(_ path: String, size: Int, pieces: [(offset: Int, bytes: [UInt8])]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "create \(path)") }
        defer { close(fd) }
        try check(ftruncate(fd, off_t(size)), "truncate \(path)")
        for piece in pieces {
            let written = piece.bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(piece.offset)) }
            guard written == piece.bytes.count else { throw Failure(description: "write \(path)") }
        }
        try check(fchmod(fd, 0o644), "chmod \(path)")
    }

    static func symlink(_ path: String, _ target: String) throws {
        try check(Glibc.symlink(target, path), "symlink \(path)")
    }

    static func hardLink(_ existing: String, _ path: String) throws {
        try check(linkat(AT_FDCWD, existing, AT_FDCWD, path, 0), "link \(path)")
    }

    static func own(_ path: String, _ uid: uid_t, _ gid: gid_t) throws {
        try check(lchown(path, uid, gid), "chown \(path)")
    }

    static func makeSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try check(result, "bind \(path)")
    }

    /// Gives entry k (in byte order of paths, root first) mtime 1600000000 + k s + k·7919 ns and
    /// atime 1650000000 + k s; children before their directories, so the directories' stick.
    static func setTimes(below root: String) throws {
        var paths = [root]
        var stack = [root]
        while let directory = stack.popLast() {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let path = directory + "/" + name
                paths.append(path)
                var status = stat()
                try check(lstat(path, &status), "stat \(path)")
                if status.st_mode & S_IFMT == S_IFDIR { stack.append(path) }
            }
        }
        paths.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for (k, path) in paths.enumerated().reversed() {
            var times = [
                timespec(tv_sec: 1_650_000_000 + k, tv_nsec: 0),
                timespec(tv_sec: 1_600_000_000 + k, tv_nsec: (k * 7919) % 1_000_000_000),
            ]
            try check(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW), "utimensat \(path)")
        }
    }
}

private func * (text: String, count: Int) -> String { String(repeating: text, count: count) }
