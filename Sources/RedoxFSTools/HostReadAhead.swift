#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import Synchronization

/// Reads ahead of an archive: a second thread asks the kernel to start reading the regular
/// files the archiver copies next (`POSIX_FADV_WILLNEED`), at most `windowBytes` ahead of the
/// file being copied, so that a source tree not in the page cache streams from the disk while
/// the engine works instead of each file being waited for in turn. It only warms the page
/// cache: what is copied, and in which order, does not change.
final class HostReadAhead: @unchecked Sendable {
    /// The files in copy order: path (NUL-terminated bytes) and size.
    private let files: [(path: [UInt8], size: UInt64)]
    /// Bytes of content read ahead at most.
    let windowBytes: UInt64
    /// How many files the archiver has started copying.
    private let started = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private var thread: HostThread?

    /// The regular files of `plan` below host directory `root`, in copy order (entries with
    /// inode `excluded` left out, as the archiver leaves them out).
    init(root: String, plan: [PlannedEntry], excluding excluded: HostInode?, windowBytes: UInt64 = 64 << 20) {
        var files: [(path: [UInt8], size: UInt64)] = []
        func collect(_ entries: [PlannedEntry], _ prefix: [UInt8]) {
            for entry in entries where entry.status.inode != excluded {
                let path = prefix + [UInt8(ascii: "/")] + entry.name
                switch entry.status.kind {
                case .regular where entry.status.size > 0: files.append((path + [0], entry.status.size))
                case .directory: collect(entry.children, path)
                default: break
                }
            }
        }
        collect(plan, Array(root.utf8))
        self.files = files
        self.windowBytes = windowBytes
    }

    /// Starts the thread (does nothing when there is nothing to read or it cannot start).
    func start() {
        guard !files.isEmpty, thread == nil else { return }
        thread = try? HostThread.start { self.run() }
    }

    /// The archiver starts copying its next regular file (call once per non-empty file of the
    /// plan, in order).
    func startedFile() {
        started.add(1, ordering: .relaxed)
    }

    /// Stops the thread and waits for it.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
    }

    private func run() {
        var ahead: UInt64 = 0  // bytes of files[consumed..<next]
        var consumed = 0
        for next in files.indices {
            ahead += files[next].size
            // Wait until the file fits in the window behind the archiver's position.
            while true {
                if stopped.load(ordering: .relaxed) { return }
                let position = min(started.load(ordering: .relaxed), next)
                while consumed < position {
                    ahead -= files[consumed].size
                    consumed += 1
                }
                if ahead <= windowBytes || consumed == next { break }
                usleep(1000)
            }
            // POSIX_FADV_WILLNEED reads into the page cache without moving the access time;
            // O_NOATIME as for ar's own opens all the same.
            let fd = files[next].path.withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { path in
                    HostSeek.openWithoutAccessTime(O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) { open(path.baseAddress!, $0) }
                }
            }
            guard fd >= 0 else { continue }
            // The tree may have changed since it was planned: only a regular file is read ahead
            // (opening without blocking, a FIFO put in a file's place cannot stall this thread).
            var status = stat()
            guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                continue
            }
            _ = posix_fadvise(fd, 0, off_t(files[next].size), POSIX_FADV_WILLNEED)
            close(fd)
        }
    }
}
