import RedoxFS

/// Everything the `redoxfs` command line says about one mount.
public struct MountConfiguration: Equatable, Sendable {
    /// Which file system to mount.
    public enum Source: Equatable, Sendable {
        /// An image file or block device (the whole of it, or one partition of it).
        case path(String)
        /// The RedoxFS file system (or GPT partition) with this uuid, searched for in `disk`
        /// when given, else in every block device of the machine.
        case uuid(String, disk: String?)
    }

    public var source: Source
    public var mountpoint: String
    /// One partition of the disk, numbered as the partition table numbers it (1 = first).
    public var partition: Int?
    /// Block (4096 bytes) of the disk where the header ring starts; scanned for when nil.
    public var startBlock: UInt64?
    /// Byte offset of the file system inside the image (applied before `startBlock`).
    public var byteOffset: UInt64 = 0
    /// Stay in the foreground instead of forking into the background once mounted.
    public var foreground = false
    public var readOnly = false
    /// Mount this older generation of the header ring, as it was (always read-only).
    public var generation: UInt64?
    /// Read the password of an encrypted file system from this file instead of asking.
    public var passwordFile: String?
    /// Seconds between commits of pending changes (0 turns the timer off).
    public var commitInterval: Double = 5
    /// Use the kernel's writeback cache for writable mounts.
    public var writebackCache = true
    /// Push the rest of a record a small random read verified into the kernel's page cache
    /// (`-o notify_store`, the default; `no_notify_store` turns it off).
    public var notifyStore = true
    /// Read the records (of 32 KiB or more) small random reads and writes' read-modify-write
    /// need with O_DIRECT when they are not in the image's page cache (`-o direct_reads`; off by
    /// default, `no_direct_reads`: they are read through the page cache).
    public var directReads = false
    /// Let the commits the engine makes on its own (every 32 MiB of changes) leave their header
    /// to the next commit, so that the device writes their blocks while writes go on
    /// (`-o overlap_commits`, the default; fsync, the commit timer and the unmount stay durable).
    public var overlapCommits = true
    /// When reads move atime: `relatime` (default), `noatime`, `strictatime`.
    public var accessTimePolicy: AccessTimePolicy = .relative
    /// Let libfuse print every request (`--debug`, `-o debug`).
    public var debug = false
    /// The most worker threads serving requests; 0 picks twice the number of processors, from 4 to 8
    /// (reads run together, and a commit waiting for the disk lets them in).
    public var maxThreads = 0
    /// Which multi-threaded request loop serves the mount (`-o loop=leader|libfuse`).
    public enum RequestLoopKind: String, Sendable {
        /// Ours (`RequestLoop`): one thread reads requests and serves the quick ones itself.
        case leader
        /// libfuse's `fuse_session_loop_mt`: every idle thread reads requests.
        case libfuse
    }
    /// The request loop (`-o loop=`): libfuse's unless told otherwise (ours costs less CPU and
    /// fewer context switches per request, but its small-file wall times were lower: README).
    public var requestLoop: RequestLoopKind = .libfuse
    /// The record size of regular files created through this mount (`-o record_size=`);
    /// files that exist keep theirs.
    public var recordSize: RecordSize = .upstream
    /// Let the kernel check permissions (`default_permissions`, the default). `-o
    /// no_default_permissions` leaves them out, on a mount made by root for root alone
    /// (`MountDaemon.permissionCheckProblem`): each create and unlink then costs one request
    /// less, and callers that root's user ids let through are not held to the files' modes.
    public var kernelChecksPermissions = true
    /// Options handed to libfuse and the kernel unchanged (`allow_other`, `nosuid`, …).
    public var fuseOptions: [String] = []

    public init(source: Source, mountpoint: String) {
        self.source = source
        self.mountpoint = mountpoint
    }

    /// The image or disk path named on the command line, if any.
    public var diskPath: String? {
        switch source {
        case .path(let path): return path
        case .uuid(_, let disk): return disk
        }
    }
}
