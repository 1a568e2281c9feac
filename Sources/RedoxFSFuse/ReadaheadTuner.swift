#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Raises the kernel's readahead for the mount to 1 MiB (FUSE mounts start at 128 KiB, and the
/// init reply can only lower it): the mount's backing-device entry in /sys/class/bdi takes the
/// new value once the kernel has processed the init reply.
enum ReadaheadTuner {
    static let kilobytes = 1024

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

    /// After a short wait (the init reply must be through), sets the readahead of `device`; checks
    /// again a second later. Best effort: without /sys write access nothing changes.
    static func raise(device: String) {
        let path = "/sys/class/bdi/\(device)/read_ahead_kb"
        HostThread.detach {
            for delay in [200_000, 1_000_000] as [UInt32] {
                usleep(delay)
                if current(path) ?? kilobytes >= kilobytes { continue }
                guard let file = fopen(path, "w") else { return }
                fputs("\(kilobytes)\n", file)
                fclose(file)
            }
        }
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
