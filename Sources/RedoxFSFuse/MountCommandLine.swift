#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Parses the `redoxfs` command line: upstream's `redoxfs [--no-daemon|-d] [--uuid UUID | DISK]
/// MOUNTPOINT [BLOCK]`, the usual FUSE flags (`-f`, `-o OPTIONS`), and the form `mount.fuse3`
/// uses (`redoxfs DISK MOUNTPOINT -o OPTIONS`), so that `mount -t fuse.redoxfs` and /etc/fstab work.
public enum MountCommandLine {
    /// A command line that cannot be used, with the reason.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case usage(String)
        /// `--help` or `--version` was asked for; the text is the answer.
        case information(String)

        public var description: String {
            switch self {
            case .usage(let message), .information(let message): return message
            }
        }
    }

    public static let usage = """
        usage: redoxfs [-f | -d | --no-daemon] [-o OPTION[,OPTION...]] [--partition N] [--password-file FILE]
                       [--read-only] [--debug] (DISK | --uuid UUID [DISK]) MOUNTPOINT [BLOCK]

        Mounts a RedoxFS file system (an image file, a block device, or one partition of a GPT or
        MBR disk) at MOUNTPOINT through FUSE. BLOCK is the hexadecimal 4096-byte block where the
        file system starts inside DISK (default: scan). Without -f the command returns once the file
        system is mounted and keeps serving it in the background.

          -f, -d, --no-daemon    stay in the foreground
          -r, --read-only        mount read-only (same as -o ro)
          --partition N          mount partition N of DISK (numbered as in /dev/sdaN)
          --uuid UUID            mount the RedoxFS file system, or the partition, with this uuid;
                                 searched in DISK when given, else in every block device
          --offset BYTES         the file system starts at this byte offset of DISK (or of the
                                 partition)
          --password-file FILE   read the password of an encrypted file system from FILE
          --commit-interval S    commit pending changes every S seconds (default 5; 0: only on
                                 fsync and unmount)
          --threads N            worker threads, at most (default: twice the processors, 4 to 8)
          --generation N         mount generation N of the header ring, as it was (read-only)
          --debug                print every FUSE request
          -o OPTIONS             mount options: the ones above as partition=N, uuid=U, offset=N,
                                 block=HEX, password_file=F, commit_interval=S, threads=N, generation=N,
                                 record_size=SIZE (see below),
                                 [no_]writeback_cache, [no_]notify_store, [no_]direct_reads,
                                 [no_]overlap_commits, loop=leader|libfuse,
                                 no_default_permissions
                                 (see below),
                                 relatime (default), noatime, strictatime,
                                 ro, rw, debug; everything else (allow_other,
                                 nosuid, nodev, noexec, …) goes to FUSE and the kernel.

          -o record_size=SIZE    record size of regular files created on this mount: 4k, 8k,
                                 16k, 32k, 64k or 128k (default 128k, as upstream), or a byte
                                 count. Smaller records make 4 KiB random reads and writes cheaper
                                 (databases, VM images); larger ones compress better. Files that
                                 exist keep theirs; images stay readable by upstream redoxfs.
          -o no_default_permissions
                                 leave the kernel's permission checks out (default: the
                                 kernel checks every access against the files' modes). Only
                                 for a mount made by root without allow_other or allow_root;
                                 saves a request per create and unlink, but every caller with
                                 root's user ids then passes, whatever its capabilities or
                                 file-system ids (kernel NFS or SMB servers, setfsuid, dropped
                                 capabilities): never export such a mount.
          -o no_notify_store     do not push the rest of a record a small random read had to
                                 read and verify into the kernel's page cache (default: pushed,
                                 so later reads of that record need no request; never while the
                                 file is open for writing)
          -o direct_reads        read a record of 32 KiB or more that a small random read or a
                                 write's read-modify-write needs, and that is not in the image's
                                 page cache, with O_DIRECT (less CPU on a fast disk; a record
                                 read again then comes from the disk again). Default: through
                                 the page cache (no_direct_reads); larger and sequential reads
                                 always go through it, with its readahead
          -o no_overlap_commits  make every commit durable before going on (default: the commits
                                 made every 32 MiB of changes leave their header, and its flushes,
                                 to the next commit, so the disk writes while writes go on; fsync,
                                 the commit timer and the unmount are durable either way)
          -o loop=leader         serve requests with our own loop: one thread reads /dev/fuse
                                 and serves requests itself; one that may wait (a large read,
                                 fsync, blocks not in the page cache, a busy engine lock, a
                                 commit's disk I/O) first passes the reading to another thread (up
                                 to --threads). Fewer context switches and less CPU per request,
                                 but less overlap. Default loop=libfuse: libfuse's multi-threaded
                                 loop, where every idle thread reads /dev/fuse and each request
                                 wakes the one idle longest

        Unmount with `fusermount3 -u MOUNTPOINT`, `umount MOUNTPOINT`, or SIGTERM/SIGINT; the process
        commits and exits after the file system is detached. In /etc/fstab:
          /srv/redox.img  /mnt/redox  fuse.redoxfs  defaults,allow_other,password_file=/etc/redox.key  0 0
        """

    /// Options that only mean something to mount(8) and /etc/fstab; they are dropped.
    static let fstabOnlyOptions: Set<String> = [
        "defaults", "auto", "noauto", "user", "nouser", "users", "owner", "nofail", "_netdev", "group",
    ]

    /// Parses `arguments` (without the program name).
    public static func parse(_ arguments: [String]) throws(Failure) -> MountConfiguration {
        var positionals: [String] = []
        var uuid: String?
        var options: [String] = []
        var foreground = false
        var readOnly = false
        var debug = false
        var partition: String?
        var passwordFile: String?
        var offset: String?
        var commitInterval: String?
        var threads: String?
        var generation: String?
        var onlyPositionals = false

        var index = 0
        func value(for flag: String, inline: String?) throws(Failure) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw .usage("\(flag) needs a value\n\n\(usage)") }
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                positionals.append(argument)
                index += 1
                continue
            }
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch name {
            case "--": onlyPositionals = true
            case "-h", "--help": throw .information(usage)
            case "-V", "--version": throw .information("redoxfs (RedoxFSKit) for RedoxFS format version 8")
            case "-f", "-d", "--no-daemon", "--foreground": foreground = true
            case "-r", "--read-only": readOnly = true
            case "--debug": debug = true
            case "--uuid": uuid = try value(for: name, inline: inline)
            case "--partition": partition = try value(for: name, inline: inline)
            case "--password-file": passwordFile = try value(for: name, inline: inline)
            case "--offset": offset = try value(for: name, inline: inline)
            case "--commit-interval": commitInterval = try value(for: name, inline: inline)
            case "--threads": threads = try value(for: name, inline: inline)
            case "--generation": generation = try value(for: name, inline: inline)
            case "-o":
                options += split(try value(for: name, inline: nil))
            default:
                if argument.hasPrefix("-o") {
                    options += split(String(argument.dropFirst(2)))
                } else if !argument.hasPrefix("--"), argument.count > 2,
                          argument.dropFirst().allSatisfy({ "fdr".contains($0) }) {
                    // Combined short flags such as -fr.
                    for flag in argument.dropFirst() {
                        if flag == "r" { readOnly = true } else { foreground = true }
                    }
                } else {
                    throw .usage("unknown option \(argument)\n\n\(usage)")
                }
            }
            index += 1
        }

        var fuseOptions: [String] = []
        var block: String?
        var writeback = true
        var accessTimePolicy = AccessTimePolicy.relative
        var recordSize = RecordSize.upstream
        var notifyStore = true
        var directReads = false
        var overlapCommits = true
        var kernelChecksPermissions = true
        var requestLoop = MountConfiguration.RequestLoopKind.libfuse
        for option in options {
            let (key, optionValue) = splitOption(option)
            switch key {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case "debug": debug = true
            case "partition": partition = optionValue
            case "uuid": uuid = optionValue
            case "block": block = optionValue
            case "offset": offset = optionValue
            case "password_file": passwordFile = optionValue
            case "commit_interval": commitInterval = optionValue
            case "threads": threads = optionValue
            case "loop":
                guard let kind = MountConfiguration.RequestLoopKind(rawValue: optionValue) else {
                    throw .usage("loop takes leader or libfuse, not '\(optionValue)'")
                }
                requestLoop = kind
            case "generation": generation = optionValue
            case "record_size", "recordsize":
                guard let size = RecordSize(parsing: optionValue) else {
                    throw .usage("record_size takes 4k, 8k, 16k, 32k, 64k or 128k (or that many bytes), not '\(optionValue)'")
                }
                recordSize = size
            case "writeback_cache": writeback = true
            case "no_writeback_cache": writeback = false
            case "notify_store": notifyStore = true
            case "no_notify_store": notifyStore = false
            case "direct_reads": directReads = true
            case "no_direct_reads": directReads = false
            case "overlap_commits": overlapCommits = true
            case "no_overlap_commits": overlapCommits = false
            case "no_default_permissions": kernelChecksPermissions = false
            case "default_permissions": kernelChecksPermissions = true
            case "foreground": foreground = true
            case "relatime", "noatime", "strictatime":
                // Ours to apply: FUSE leaves atime to the file system (libfuse does not take them).
                accessTimePolicy = AccessTimePolicy(rawValue: key) ?? .relative
            default:
                if fstabOnlyOptions.contains(key) || key.hasPrefix("x-") || key == "comment" { continue }
                fuseOptions.append(option)
            }
        }

        var configuration: MountConfiguration
        switch (uuid, positionals.count) {
        case (nil, 2), (nil, 3):
            configuration = MountConfiguration(source: .path(positionals[0]), mountpoint: positionals[1])
            if positionals.count == 3 { block = positionals[2] }
        case (let uuid?, 1):
            configuration = MountConfiguration(source: .uuid(uuid, disk: nil), mountpoint: positionals[0])
        case (let uuid?, 2):
            // Upstream's `--uuid UUID MOUNTPOINT BLOCK`, or mount.fuse3's `DISK MOUNTPOINT -o uuid=…`.
            if isDirectory(positionals[0]) && parseHex(positionals[1]) != nil {
                configuration = MountConfiguration(source: .uuid(uuid, disk: nil), mountpoint: positionals[0])
                block = positionals[1]
            } else {
                configuration = MountConfiguration(source: .uuid(uuid, disk: diskOrNil(positionals[0])), mountpoint: positionals[1])
            }
        case (let uuid?, 3):
            configuration = MountConfiguration(source: .uuid(uuid, disk: diskOrNil(positionals[0])), mountpoint: positionals[1])
            block = positionals[2]
        default:
            throw .usage("expected DISK MOUNTPOINT [BLOCK] (or --uuid UUID MOUNTPOINT)\n\n\(usage)")
        }

        if let partition {
            guard let number = Int(partition), number >= 1 else { throw .usage("--partition takes a number from 1, not '\(partition)'") }
            configuration.partition = number
        }
        if let block {
            guard let start = parseHex(block) else { throw .usage("BLOCK must be a hexadecimal block number, not '\(block)'") }
            configuration.startBlock = start
        }
        if let offset {
            guard let bytes = UInt64(offset) else { throw .usage("--offset takes a byte count, not '\(offset)'") }
            configuration.byteOffset = bytes
        }
        if let commitInterval {
            guard let seconds = Double(commitInterval), seconds >= 0, seconds.isFinite else {
                throw .usage("--commit-interval takes a number of seconds, not '\(commitInterval)'")
            }
            configuration.commitInterval = seconds
        }
        if let threads {
            guard let count = Int(threads), (1...256).contains(count) else {
                throw .usage("--threads takes a number from 1 to 256, not '\(threads)'")
            }
            configuration.maxThreads = count
        }
        if configuration.partition != nil, case .uuid = configuration.source {
            throw .usage("--partition and --uuid cannot be combined")
        }
        if let generation {
            guard let number = UInt64(generation) else { throw .usage("generation takes a generation number, not '\(generation)'") }
            configuration.generation = number
        }
        configuration.foreground = foreground
        // An older generation is mounted as it was: read-only.
        configuration.readOnly = readOnly || configuration.generation != nil
        configuration.debug = debug
        configuration.passwordFile = passwordFile
        configuration.writebackCache = writeback
        configuration.accessTimePolicy = accessTimePolicy
        configuration.recordSize = recordSize
        configuration.notifyStore = notifyStore
        configuration.directReads = directReads
        configuration.requestLoop = requestLoop
        configuration.overlapCommits = overlapCommits
        configuration.kernelChecksPermissions = kernelChecksPermissions
        configuration.fuseOptions = fuseOptions
        return configuration
    }

    /// Splits a comma-separated option list; a backslash escapes a comma.
    static func split(_ list: String) -> [String] {
        var result: [String] = []
        var current = ""
        var escaped = false
        for character in list {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                if !current.isEmpty { result.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func splitOption(_ option: String) -> (key: String, value: String) {
        guard let equals = option.firstIndex(of: "=") else { return (option, "") }
        return (String(option[..<equals]), String(option[option.index(after: equals)...]))
    }

    /// A hexadecimal number, with or without `0x`.
    static func parseHex(_ text: String) -> UInt64? {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        return UInt64(digits, radix: 16)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `none` or `-` as the source of a uuid mount means: search every block device.
    static func diskOrNil(_ text: String) -> String? {
        text == "none" || text == "-" || text == "redoxfs" ? nil : text
    }
}
