#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTools

/// Writes then reads one big file through the engine on an image file, timing both.
struct EngineBench {
    var bytes: UInt64
    var directory: String
    var password: [UInt8]?

    struct Result {
        var writeSeconds: Double
        /// Reading right after dropping the image from the page cache.
        var readSeconds: Double
        /// Reading again, from the page cache: the engine's own cost (decryption, checks).
        var warmReadSeconds: Double
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The temporary image (in `directory`, named after the process and the encryption).
    var path: String { "\(directory)/redoxfs-bench-\(getpid())-\(password == nil ? "plain" : "encrypted").img" }

    /// Runs the bench on a new image at `path`, removed afterwards; a file already there (left by
    /// an earlier run that was killed, or someone else's) is refused and left alone.
    func run() throws(FileSystemError) -> Result {
        // Made here (O_EXCL, so nothing that was there is taken over) and kept open, so that the
        // removal can check that the path still names this image.
        let made = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard made >= 0 else {
            if errno == EEXIST { throw .invalidArgument("exists (left from an earlier run?); remove it") }
            throw .system(operation: "create", path: path, errno: errno)
        }
        defer {
            var opened = stat(), named = stat()
            if fstat(made, &opened) == 0, lstat(path, &named) == 0, HostInode(opened) == HostInode(named) { unlink(path) }
            close(made)
        }
        let device = try DiskFile.prepare(path, size: bytes + bytes / 8 + (64 << 20))
        let chunk = 4 << 20
        var data = [UInt8](repeating: 0, count: chunk)
        var random = BenchTree.Generator(seed: 42)
        data.withUnsafeMutableBytes { random.fill($0) }

        // Write: format, one file, the whole size in 4 MiB chunks, unmount (commit, flush).
        let fs = try DiskFormatter.format(device, bootloaderPath: nil, password: password)
        let writeStart = Self.now()
        let id = try fs.create(Array("big".utf8), in: RedoxFS.rootNodeID, mode: 0o100644, uid: 0, gid: 0)
        var offset: UInt64 = 0
        while offset < bytes {
            let count = Int(min(UInt64(chunk), bytes - offset))
            try withRawBytes(data, count) { (raw) throws(FileSystemError) in try fs.write(id, at: offset, raw) }
            offset += UInt64(count)
        }
        try fs.unmount()
        let writeSeconds = Self.now() - writeStart

        // Drop the image from the page cache, so that reading comes from the disk.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fdatasync(fd)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }

        // Read it back and compare.
        let reader = try FileSystem(path: path, readOnly: true, password: password)
        defer { reader.close() }
        let node = try reader.node(reader.lookup("/big"))
        var buffer = [UInt8](repeating: 0, count: chunk)
        var seconds: [Double] = []
        for _ in 0..<2 {
            let readStart = Self.now()
            offset = 0
            while offset < node.size {
                var failure: FileSystemError?
                var count = 0
                buffer.withUnsafeMutableBytes { raw in
                    do throws(FileSystemError) { count = try reader.read(node, at: offset, into: raw) } catch { failure = error }
                }
                if let failure { throw failure }
                guard count > 0, buffer.prefix(count) == data.prefix(count) else {
                    throw .invalidArgument("read back different bytes at offset \(offset)")
                }
                offset += UInt64(count)
            }
            seconds.append(Self.now() - readStart)
        }
        return Result(writeSeconds: writeSeconds, readSeconds: seconds[0], warmReadSeconds: seconds[1])
    }

    private func withRawBytes(_ bytes: [UInt8], _ count: Int, _ body: (UnsafeRawBufferPointer) throws(FileSystemError) -> Void) throws(FileSystemError) {
        var failure: FileSystemError?
        bytes.withUnsafeBytes { raw in
            do throws(FileSystemError) { try body(UnsafeRawBufferPointer(rebasing: raw[0..<count])) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
