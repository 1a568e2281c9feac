#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// The copy of an archive: copies a host tree (already checked by `HostTreeScanner`, whose plan
/// of the tree it copies from without listing or `stat`-ing it again) into a file system, streaming file contents in chunks so that memory stays bounded whatever
/// the tree's size (the engine commits on its own when its write cache grows).
///
/// Unlike upstream's archive it keeps hard links as hard links, stores host mtimes and atimes
/// exactly (ctime is the host ctime, as upstream), copies FIFOs, sockets and device nodes (with
/// their device numbers), skips holes of sparse files, visits names in byte order (reproducible
/// images), and gives "/" the source folder's mode, owner and times.
public final class Archiver {
    public let fileSystem: FileSystem
    /// Entries with this inode are skipped (the image being written).
    public var excluded: HostInode?
    /// Whether "/" takes the source folder's permissions, owner and times (else mkfs's stay).
    public var copyRootMetadata = true
    /// Called after every entry and every chunk of content.
    public var progress: ((CopyProgress) -> Void)?
    /// What has been copied so far.
    public private(set) var copied = CopyProgress()
    /// The engine's commit threshold while archiving: smaller than its default (32 MiB), and
    /// with the smaller clean cache below the peak memory of a big archive stays near 80 MiB
    /// (8 MiB commits with the default cache: ~115 MiB). Fewer commits mean fewer device flushes.
    public var commitThresholdBytes = 24 << 20
    /// The engine's clean block cache while archiving (default 64 MiB): the archive reads back
    /// little of what it wrote, and each commit rewrites the hot tree blocks anyway.
    public var cleanCacheBytes = 16 << 20

    private var buffer: [UInt8]
    /// Node ids of hard-linked host inodes already stored.
    private var linked: [HostInode: UInt32] = [:]
    /// Warms the page cache ahead of the copy (when copying from a plan).
    private var readAhead: HostReadAhead?
    static let recordSize: UInt64 = RecordSize.upstream.bytes

    /// `chunkSize`: bytes read from a host file at a time (rounded to whole 128 KiB records).
    public init(fileSystem: FileSystem, chunkSize: Int = 4 << 20, excluding excluded: HostInode? = nil) {
        self.fileSystem = fileSystem
        self.excluded = excluded
        let records = max(1, chunkSize / Int(Self.recordSize))
        buffer = [UInt8](repeating: 0, count: records * Int(Self.recordSize))
    }

    /// Copies the tree below host directory `source` into the root directory: the entries of
    /// `plan` (made by `HostTreeScanner.plan`) when given, else what the folder holds now.
    public func archive(_ source: String, plan: HostTreePlan? = nil) throws(ArchiveError) {
        let root = try HostStatus.of(source)
        guard root.kind == .directory else { throw .host(operation: "archive", path: source, errno: ENOTDIR) }
        let directory = try HostDirectory(path: source)
        let threshold = fileSystem.commitThresholdBytes
        fileSystem.commitThresholdBytes = commitThresholdBytes
        // The disk writes one commit's blocks while the next is built; the last commit is made
        // durable below (or by the unmount that follows).
        let overlapped = fileSystem.overlapsCommits
        fileSystem.overlapsCommits = true
        let cacheBytes = fileSystem.cleanCacheBytes
        fileSystem.cleanCacheBytes = cleanCacheBytes
        var headerWritten = false
        defer {
            fileSystem.cleanCacheBytes = cacheBytes
            fileSystem.commitThresholdBytes = threshold
            fileSystem.overlapsCommits = overlapped
            // On failure too: the image then holds everything committed so far. (On success it
            // was written below, where its error is reported.)
            if !overlapped && !headerWritten { try? fileSystem.writePendingHeader() }
        }
        if let plan {
            readAhead = HostReadAhead(root: source, plan: plan.entries, excluding: excluded)
            readAhead?.start()
        }
        defer {
            readAhead?.stop()
            readAhead = nil
        }
        try copyDirectory(directory, planned: plan?.entries, into: RedoxFS.rootNodeID)
        if copyRootMetadata {
            try store(source) { () throws(FileSystemError) in
                try fileSystem.setAttributes(RedoxFS.rootNodeID, AttributeChanges(
                    permissions: root.permissions, uid: root.uid, gid: root.gid,
                    accessTime: root.accessTime, modificationTime: root.modificationTime, changeTime: root.changeTime))
            }
        }
        if !overlapped { try store(source) { () throws(FileSystemError) in try fileSystem.writePendingHeader() } }
        headerWritten = true
    }

    /// Runs an engine call, naming `path` in its error.
    @discardableResult
    private func store<T>(_ path: @autoclosure () -> String, _ body: () throws(FileSystemError) -> T) throws(ArchiveError) -> T {
        do {
            return try body()
        } catch {
            throw .engine(path: path(), error)
        }
    }

    /// Copies the entries of `directory`: those `planned` when given, else those listed now.
    private func copyDirectory(_ directory: HostDirectory, planned: [PlannedEntry]?, into parent: UInt32) throws(ArchiveError) {
        if let planned {
            for entry in planned where entry.status.inode != excluded {
                try copyEntry(entry.name, status: entry.status, children: entry.children, from: directory, into: parent)
                copied.entries += 1
                progress?(copied)
            }
            return
        }
        for name in try directory.names() {
            let status = try directory.status(of: name)
            if status.inode == excluded { continue }
            try copyEntry(name, status: status, children: nil, from: directory, into: parent)
            copied.entries += 1
            progress?(copied)
        }
    }

    private func copyEntry(
        _ name: [UInt8], status: HostStatus, children: [PlannedEntry]?, from directory: HostDirectory, into parent: UInt32
    ) throws(ArchiveError) {
        if status.kind == .regular && status.size > 0 { readAhead?.startedFile() }
        let path = directory.path(of: name)
        if let problem = HostName.problem(name) {
            // Checked by the scan already; the tree changed since.
            throw .engine(path: path, .invalidArgument(problem))
        }
        if status.kind != .directory, status.linkCount > 1, let existing = linked[status.inode] {
            try store(path) { () throws(FileSystemError) in
                try fileSystem.link(existing, as: name, in: parent)
                // Adding the name changed the node's ctime; the host's stays.
                try fileSystem.setAttributes(existing, AttributeChanges(changeTime: status.changeTime))
            }
            return
        }
        let type: NodeKind
        switch status.kind {
        case .directory: type = .directory
        case .regular: type = .file
        case .symlink: type = .symlink
        case .socket: type = .socket
        case .fifo: type = .fifo
        case .characterDevice: type = .characterDevice
        case .blockDevice: type = .blockDevice
        case .unknown:
            throw .engine(path: path, .invalidArgument("RedoxFS cannot store this kind of file"))
        }
        let attributes = NodeAttributes(
            mode: type.rawValue | status.permissions, uid: status.uid, gid: status.gid,
            changeTime: status.changeTime, modificationTime: status.modificationTime, accessTime: status.accessTime)
        let id: UInt32
        switch type {
        case .symlink:
            let target = try directory.linkTarget(of: name)
            id = try create(name, in: parent, attributes, content: target, path: path)
        case .file:
            let fd = try directory.openFile(name)
            defer { close(fd) }
            if status.size <= UInt64(buffer.count) {
                // Small enough for one operation: node, content and times together.
                let count = try readFully(fd, upTo: Int(status.size), path: path)
                id = try create(name, in: parent, attributes, count: count, path: path)
                copied.bytes += UInt64(count)
            } else {
                id = try create(name, in: parent, attributes, count: 0, path: path)
                try copyContent(of: fd, size: status.size, into: id, path: path)
                try store(path) { () throws(FileSystemError) in
                    try fileSystem.setAttributes(id, AttributeChanges(
                        size: status.size, accessTime: status.accessTime, modificationTime: status.modificationTime,
                        changeTime: status.changeTime))
                }
            }
        case .directory:
            id = try create(name, in: parent, attributes, count: 0, path: path)
            try copyDirectory(HostDirectory(in: directory, name: name), planned: children, into: id)
            try restoreTimes(id, status, path: path)
        case .socket, .fifo:
            id = try create(name, in: parent, attributes, count: 0, path: path)
        case .characterDevice, .blockDevice:
            id = try create(name, in: parent, attributes, content: status.device.content, path: path)
        }
        if type != .directory && status.linkCount > 1 { linked[status.inode] = id }
    }

    /// Creates the node with the first `count` bytes of the buffer as its content.
    private func create(_ name: [UInt8], in parent: UInt32, _ attributes: NodeAttributes, count: Int, path: String) throws(ArchiveError) -> UInt32 {
        var result: Result<UInt32, FileSystemError> = .failure(.invalidArgument(""))
        buffer.withUnsafeBytes { raw in
            do throws(FileSystemError) {
                result = .success(try fileSystem.create(name, in: parent, attributes: attributes, content: UnsafeRawBufferPointer(rebasing: raw[0..<count])))
            } catch {
                result = .failure(error)
            }
        }
        do { return try result.get() } catch { throw .engine(path: path, error) }
    }

    /// Creates the node with `content`.
    private func create(_ name: [UInt8], in parent: UInt32, _ attributes: NodeAttributes, content: [UInt8], path: String) throws(ArchiveError) -> UInt32 {
        do { return try fileSystem.create(name, in: parent, attributes: attributes, content: content) } catch { throw .engine(path: path, error) }
    }

    /// Sets a directory's times again if adding its entries changed them.
    private func restoreTimes(_ id: UInt32, _ status: HostStatus, path: String) throws(ArchiveError) {
        let node = try store(path) { () throws(FileSystemError) in try fileSystem.node(id) }
        let mtime = status.modificationTime, atime = status.accessTime, ctime = status.changeTime
        guard node.mtime != mtime.seconds || node.mtimeNanoseconds != mtime.nanoseconds
            || node.atime != atime.seconds || node.atimeNanoseconds != atime.nanoseconds
            || node.ctime != ctime.seconds || node.ctimeNanoseconds != ctime.nanoseconds else { return }
        try store(path) { () throws(FileSystemError) in
            try fileSystem.setAttributes(id, AttributeChanges(accessTime: atime, modificationTime: mtime, changeTime: ctime))
        }
    }

    /// Reads up to `count` bytes from the start of `fd` into the buffer; returns how many (fewer
    /// when the file got shorter since it was listed).
    private func readFully(_ fd: Int32, upTo count: Int, path: String) throws(ArchiveError) -> Int {
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                let rest = UnsafeMutableRawBufferPointer(rebasing: raw[done..<count])
                return pread(fd, rest.baseAddress, rest.count, off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Copies the data regions of `fd` (holes are skipped; zero records stay holes in the engine
    /// anyway), reading whole records at record-aligned offsets.
    private func copyContent(of fd: Int32, size: UInt64, into id: UInt32, path: String) throws(ArchiveError) {
        let record = Self.recordSize
        var offset: UInt64 = 0
        while offset < size {
            var start = offset
            var end = size
            let data = lseek(fd, off_t(offset), HostSeek.data)
            if data < 0 {
                if errno == ENXIO { break }  // only a hole remains
            } else {
                start = UInt64(data) / record * record
                let hole = lseek(fd, data, HostSeek.hole)
                if hole >= 0 { end = min(size, (UInt64(hole) + record - 1) / record * record) }
            }
            start = max(start, offset)
            if start >= end { break }
            let done = try copyRange(of: fd, from: start, to: end, into: id, path: path)
            guard done else { break }  // the file got shorter while it was read
            offset = end
        }
    }

    /// Copies bytes [start, end) of `fd`; false when the file ended early.
    private func copyRange(of fd: Int32, from start: UInt64, to end: UInt64, into id: UInt32, path: String) throws(ArchiveError) -> Bool {
        var position = start
        while position < end {
            let want = Int(min(UInt64(buffer.count), end - position))
            let count = buffer.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress, want, off_t(position)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return false }
            var failure: FileSystemError?
            buffer.withUnsafeBytes { raw in
                do throws(FileSystemError) {
                    try fileSystem.write(id, at: position, UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw .engine(path: path, failure) }
            position += UInt64(count)
            copied.bytes += UInt64(count)
            progress?(copied)
        }
        return true
    }
}
