#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTools

/// Small host file operations with the installer's errors.
enum HostFiles {
    /// The whole content of `path`.
    static func read(_ path: String) throws(InstallerError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .host(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            result += chunk[0..<n]
        }
        return result
    }

    /// The content of `path` as text (invalid UTF-8 is an error).
    static func readText(_ path: String) throws(InstallerError) -> String {
        let bytes = try read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .configuration(file: path, "the file is not valid UTF-8")
        }
        return text
    }

    /// Opens the image file or block device `path` with `flags`
    /// (`FileDevice.openImageDescriptor`: a FIFO, socket or directory is refused before anything
    /// opens it).
    static func openImage(_ path: String, flags: Int32) throws(InstallerError) -> Int32 {
        do throws(FileSystemError) {
            return try FileDevice.openImageDescriptor(path, flags: flags)
        } catch .system(let operation, let path, let code) {
            throw .host(operation: operation, path: path, errno: code)
        } catch {
            throw .engine(path, error)
        }
    }

    /// Opens `path` to be replaced (`replace(_:with:path:)`): created when missing (mode 0644), a
    /// pipe (`>(sha256sum)`) is opened for writing; a FIFO with no reader is refused at once
    /// rather than waited for. `check` sees what was opened (its `fstat`) and may refuse it
    /// before it is locked. A regular file or a block device is then write-locked whole
    /// (`FileDevice.lockWholeFileForWriting`), nothing cut yet: one that holds a file system a
    /// redoxfs mount or tool is writing (a wrong path) is refused, left as it was. Anything else
    /// (a pipe, /dev/null) holds no file system and is not locked: two writers of it do not
    /// refuse each other.
    static func openForReplacing(
        _ path: String, check: (stat) throws(InstallerError) -> Void = { _ in }
    ) throws(InstallerError) -> Int32 {
        // Without O_NONBLOCK, opening a FIFO for writing waits for a reader, forever if none comes.
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let code = errno
            var info = stat()
            if code == ENXIO, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO {
                throw .other("\(path): a FIFO (named pipe) with no reader; start what reads it first")
            }
            throw .host(operation: "create", path: path, errno: code)
        }
        do throws(InstallerError) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw .host(operation: "stat", path: path, errno: errno) }
            try check(info)
            let kind = info.st_mode & S_IFMT
            if kind == S_IFREG || kind == S_IFBLK {
                do throws(FileSystemError) {
                    try FileDevice.lockWholeFileForWriting(descriptor: fd, path: path, operation: "replace")
                } catch {
                    throw InstallerError.engine(path, error)
                }
            }
            // Written blocking, as any file: a full pipe waits for its reader.
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
                throw .host(operation: "fcntl", path: path, errno: errno)
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Whether `a` and `b` (`stat` results) are one file: one inode (`HostInode`), or two nodes
    /// of one block device (the same `st_rdev`).
    static func sameFile(_ a: stat, _ b: stat) -> Bool {
        if HostInode(a) == HostInode(b) { return true }
        return (a.st_mode & S_IFMT) == S_IFBLK && (b.st_mode & S_IFMT) == S_IFBLK && a.st_rdev == b.st_rdev
    }

    /// Removes the file `path` that this process made and has open as `fd`, after a failure, only
    /// while `path` still names that file (`lstat` of the path against `fstat` of `fd`: the same
    /// device and inode): a file put there meanwhile by someone else, or the new file moved
    /// away, stays.
    static func removeNewFile(_ path: String, openAs fd: Int32) {
        var opened = stat(), named = stat()
        guard fstat(fd, &opened) == 0, lstat(path, &named) == 0, sameFile(opened, named) else { return }
        unlink(path)
    }

    /// Replaces the content of `fd` (`path`, opened by `openForReplacing(_:)`) with `bytes`; a
    /// pipe is written to.
    static func replace(_ fd: Int32, with bytes: [UInt8], path: String) throws(InstallerError) {
        // A block device or a pipe has no length to cut (EINVAL): written over from the start.
        if ftruncate(fd, 0) != 0 && errno != EINVAL { throw .host(operation: "truncate", path: path, errno: errno) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// The absolute, symlink-free form of `path`.
    static func canonical(_ path: String) throws(InstallerError) -> String {
        guard let resolved = realpath(path, nil) else { throw .host(operation: "open", path: path, errno: errno) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The folder part of `path` ("." when there is none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `relative` resolved against folder `base` (absolute paths stay as they are).
    static func join(_ base: String, _ relative: String) -> String {
        relative.hasPrefix("/") ? relative : (base.hasSuffix("/") ? base + relative : base + "/" + relative)
    }

    /// Whether `path` exists (without following a final symlink).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
