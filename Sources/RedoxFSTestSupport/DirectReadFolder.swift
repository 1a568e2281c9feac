import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

extension Fixtures {
    /// A folder where image files are read past the page cache (`FileDevice.readsBypassCache`,
    /// the mount's `-o direct_reads`), as the machine allows, not as a test assumes: a file system
    /// whose pages can be dropped from the page cache (not tmpfs or ramfs, whose pages are the
    /// files; the temporary folder may be one) and that opens files with O_DIRECT, on a kernel
    /// with `cachestat` (Linux 6.5; the direct path is off without it). Nil when there is none:
    /// tests then check the bytes and leave out what only a direct read shows.
    public static let directReadFolder: String? = {
        guard PageCacheProbe.isAvailable, directFlag != 0 else { return nil }
        for folder in [FileManager.default.temporaryDirectory.path, "/var/tmp"] where canReadDirect(in: folder) {
            return folder
        }
        return nil
    }()

    /// O_DIRECT as the engine knows it (0 where unknown: the engine reads nothing direct there,
    /// so no folder is offered).
    private static let directFlag = FileDevice.directOpenFlag

    /// Whether a file written, synced and dropped from the page cache in `folder` is out of the
    /// cache and opens with O_DIRECT.
    private static func canReadDirect(in folder: String) -> Bool {
        let path = "\(folder)/redoxfs-direct-probe-\(UUID().uuidString)"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        defer {
            close(fd)
            unlink(path)
        }
        let length = 64 << 10
        let bytes = [UInt8](repeating: 0x5A, count: length)
        guard bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, length, 0) }) == length, fsync(fd) == 0 else { return false }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        let direct = Glibc.open(path, O_RDONLY | directFlag)
        guard direct >= 0 else { return false }
        close(direct)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return false }
        defer { munmap(map, length) }
        let pageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))
        var vector = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
        guard mincore(map, length, &vector) == 0 else { return false }
        return vector.allSatisfy { $0 & 1 == 0 }
    }
}
