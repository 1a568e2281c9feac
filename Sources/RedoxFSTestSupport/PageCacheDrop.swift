#if canImport(Glibc)
import Glibc
#endif

/// Takes a file's pages out of the page cache, so that the next reads of it are cold, and tells
/// whether they went: `posix_fadvise(DONTNEED)` leaves a page that is busy at that moment.
public enum PageCacheDrop {
    /// How many of the pages of the file at `path` are in the page cache (`mincore` of a
    /// mapping that is never touched); nil when that cannot be told.
    public static func residentPages(of path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { return nil }
        guard size > 0 else { return 0 }
        let length = Int(size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0),
            mapping != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        defer { munmap(mapping, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
        guard mincore(mapping, length, &resident) == 0 else { return nil }
        return resident.reduce(0) { $0 + Int($1 & 1) }
    }

    /// Syncs the file at `path` and drops it from the page cache, again while any of its pages
    /// stays (at most `attempts` drops); whether none stayed (false also when that cannot be
    /// told).
    @discardableResult
    public static func drop(_ path: String, attempts: Int = 6) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        for _ in 0..<attempts {
            _ = fdatasync(fd)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
            if residentPages(of: path) == 0 { return true }
        }
        return false
    }
}
