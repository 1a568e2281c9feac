#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Raises the kernel's readahead for the mount to 1 MiB (FUSE mounts start at 128 KiB, and the
/// init reply can only lower it): the mount's backing-device entry in /sys/class/bdi.
///
/// A file takes the readahead of its mount when it is opened, so a file opened before the raise
/// keeps 128 KiB until it is closed (a `dd` started right after the mount came up was served in
/// 128 KiB READs, which a large encrypted read never splits over both processors). The raise is
/// therefore made inside the init request, before its reply (which says 1 MiB too, so the
/// kernel's lowering to the reply's value keeps it): every request but the init waits for that
/// reply, so no file of the mount is open yet.
enum ReadaheadTuner {
    static let kilobytes = 1024

    /// The readahead the init reply asks for, in bytes (the kernel keeps the smaller of it and
    /// the mount's current value).
    static var bytes: UInt32 { UInt32(kilobytes) << 10 }

    /// The "major:minor" device of the FUSE mount at `mountpoint`, from /proc/self/mountinfo.
    static func device(of mountpoint: String) -> String? {
        guard let file = fopen("/proc/self/mountinfo", "r") else { return nil }
        defer { fclose(file) }
        let escaped = mountpoint.mountinfoEscaped()
        var line = [CChar](repeating: 0, count: 4096)
        var found: String?
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ")
            guard fields.count > 4, fields[4] == escaped, text.contains(" - fuse") else { continue }
            found = String(fields[2])  // the last matching line is the newest mount
        }
        return found
    }

    /// Sets the readahead of `device` now (called in the init request, before its reply), then
    /// checks again 200 ms and a second later from a thread of its own (a kernel that lowered it
    /// after all). Best effort: without /sys write access nothing changes.
    static func raise(device: String) {
        let path = path(of: device)
        guard raiseIfLower(path) else { return }
        HostThread.detach {
            for delay in [200_000, 1_000_000] as [UInt32] {
                usleep(delay)
                guard raiseIfLower(path) else { return }
            }
        }
    }

    /// The backing-device entry of `device`'s readahead.
    static func path(of device: String) -> String { "/sys/class/bdi/\(device)/read_ahead_kb" }

    /// Writes `kilobytes` to `path` unless it holds that much already; false when it cannot be
    /// written.
    @discardableResult
    static func raiseIfLower(_ path: String) -> Bool {
        if current(path) ?? kilobytes >= kilobytes { return true }
        guard let file = fopen(path, "w") else { return false }
        let written = fputs("\(kilobytes)\n", file) >= 0
        return fclose(file) == 0 && written
    }

    static func current(_ path: String) -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 && $0 != 10 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int(text)
    }
}

extension String {
    /// The path as /proc/self/mountinfo writes it (spaces, tabs, newlines and backslashes octal-escaped).
    func mountinfoEscaped() -> String {
        var escaped = ""
        for character in self {
            switch character {
            case " ": escaped += "\\040"
            case "\t": escaped += "\\011"
            case "\n": escaped += "\\012"
            case "\\": escaped += "\\134"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
