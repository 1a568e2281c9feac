#if canImport(Glibc)
import Glibc
#endif
import Pkgar

/// Puts a package's entries into the staged tree through the Pkgar library: the archive is
/// opened with the trusted key (signature, key and entry-table hash checked) and every entry's
/// content verified against its BLAKE3 before anything is staged; small contents are kept,
/// larger ones are read from the archive again (and checked again) when the image is written.
/// As in the Pkgar library's install, no entry may go through a symbolic link (one from the
/// configuration, another package or the same one).
enum PackageArchives {
    /// Contents up to this size are kept in memory.
    static let inlineLimit = 16 << 10

    /// Stages every entry of `archive` and returns its head bytes.
    static func stage(archive: String, package name: String, trustedKey: PublicKey, into tree: StagedTree) throws(InstallerError) -> [UInt8] {
        let package: Package
        do {
            package = try Package.open(archive, trustedKey: trustedKey)
        } catch {
            throw .package(name: name, "\(archive): \(error)")
        }
        let dataStart = UInt64(package.header.headSize)
        let fingerprint = Fingerprint(archive)
        let compressed = package.header.flags.packaging == .lzma2
        for entry in package.entries {
            let kind: PackageEntry.Kind
            let components: [String]
            let content: [UInt8]
            do {
                kind = try entry.kind()
                components = try entry.components()
                content = try package.content(of: entry)
            } catch {
                throw .package(name: name, "\(entry.path): \(error)")
            }
            let path = components.joined(separator: "/")
            do {
                switch kind {
                case .symbolicLink:
                    try tree.makeSymlink(path, target: content, throughLinks: false)
                case .regularFile:
                    let stored: FileContent = content.count <= inlineLimit ? .bytes(content) : .external(
                        reader(archive: archive, package: name, entry: entry, dataStart: dataStart, compressed: compressed,
                               size: UInt64(content.count), verified: fingerprint))
                    let node = try tree.writeFile(path, content: stored, permissions: UInt16(entry.permissions), followLink: false, throughLinks: false)
                    node.permissions = UInt16(entry.permissions)
                    StagedTree.chown(node, uid: 0, gid: 0, recursive: false)
                }
            } catch {
                throw .package(name: name, "\(error)")
            }
        }
        return package.headBytes
    }

    /// Identity of an archive file as verified (device, inode, size, change time): when it is the
    /// same at writing time, the content checked while staging is what is read again.
    struct Fingerprint: Equatable {
        var device: UInt64 = 0, inode: UInt64 = 0, size: Int64 = 0, seconds: Int = 0, nanoseconds: Int = 0

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            self.init(info)
        }

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = info.st_ctim.tv_sec
            nanoseconds = info.st_ctim.tv_nsec
        }
    }

    /// Reads an entry's stored bytes from the archive again when the image is written, decoded
    /// and — unless the archive file is provably the one verified while staging — checked
    /// against the entry's BLAKE3 again. A read that fails says why (the system error); an
    /// archive that ends before the entry does (it shrank) is said to have changed, with its
    /// size now.
    static func reader(
        archive: String, package name: String, entry: PackageEntry, dataStart: UInt64, compressed: Bool, size: UInt64,
        verified: Fingerprint?
    ) -> ExternalContent {
        ExternalContent(size: size) { (deliver: (UnsafeRawBufferPointer) throws(InstallerError) -> Void) throws(InstallerError) in
            let fd = open(archive, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .host(operation: "open", path: archive, errno: errno) }
            defer { close(fd) }
            var stored = [UInt8](repeating: 0, count: Int(entry.size))
            let start = dataStart + entry.offset
            var done = 0
            while done < stored.count {
                let n = stored.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(start) + off_t(done)) }
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw .package(name: name, "\(entry.path): \(InstallerError.host(operation: "read", path: archive, errno: code))")
                }
                guard n > 0 else {
                    // Where it ends now (it may have been cut below the entry's start).
                    var info = stat()
                    let now = fstat(fd, &info) == 0 ? "has \(info.st_size) bytes now" : "has no bytes from byte \(start + UInt64(done))"
                    throw .package(name: name, "\(entry.path): the archive changed while installing: \(archive) \(now), this entry needs the \(stored.count) bytes from byte \(start)")
                }
                done += n
            }
            var content = stored
            if compressed {
                guard stored.count >= 8 else { throw .package(name: name, "\(entry.path): truncated LZMA2 data") }
                let length = stored.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                do {
                    content = try LZMA2.decompress(Array(stored.dropFirst(8)), expectedLength: length)
                } catch {
                    throw .package(name: name, "\(entry.path): \(error)")
                }
            }
            var info = stat()
            let unchanged = fstat(fd, &info) == 0 && verified != nil && Fingerprint(info) == verified
            guard unchanged || Blake3.hash(content) == entry.blake3 else {
                throw .package(name: name, "\(entry.path): BLAKE3 mismatch (the archive changed while installing)")
            }
            var failure: InstallerError?
            content.withUnsafeBytes { raw in
                do throws(InstallerError) { try deliver(raw) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }
}
