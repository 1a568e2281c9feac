#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// What a host tree holds, counted by `HostTreeScanner`.
public struct HostTreeSummary: Equatable, Sendable {
    public var directories = 0
    public var files = 0
    public var symlinks = 0
    public var sockets = 0
    /// FIFOs, character and block devices.
    public var specials = 0
    /// Names beyond the first of a hard-linked inode (stored as links, not copies).
    public var hardLinks = 0
    /// Bytes of regular-file content, each inode counted once.
    public var bytes: UInt64 = 0
    /// Paths left out on purpose (the image being written, when it lies inside the tree).
    public var skipped: [String] = []

    public init() {}

    /// Every entry below the root, hard links included.
    public var entries: Int { directories + files + symlinks + sockets + specials + hardLinks }
}

/// The one walk over the host tree of an archive, before anything is written: counts the tree,
/// collects every path that RedoxFS cannot store (long or non-UTF-8 names, names with ':',
/// files of unknown type, unreadable entries), and keeps each entry's name and status as a
/// `HostTreePlan` that the archiver then copies from.
public struct HostTreeScanner {
    /// Entries with this inode are skipped (the image being written).
    public var excluded: HostInode?
    /// At most this many problems are kept for the report (all are counted).
    public var problemLimit = 50

    private var summary = HostTreeSummary()
    private var problems: [ArchiveProblem] = []
    private var problemCount = 0
    private var seenLinks: Set<HostInode> = []

    public init(excluding excluded: HostInode? = nil) {
        self.excluded = excluded
    }

    /// Scans the tree below directory `root`; throws `.unstorable` listing the problems.
    public mutating func scan(_ root: String) throws(ArchiveError) -> HostTreeSummary {
        try plan(root).summary
    }

    /// Scans the tree below directory `root` and keeps what it found for the copy; throws
    /// `.unstorable` listing the problems.
    public mutating func plan(_ root: String) throws(ArchiveError) -> HostTreePlan {
        summary = HostTreeSummary()
        problems = []
        problemCount = 0
        seenLinks = []
        let status = try HostStatus.of(root)
        guard status.kind == .directory else { throw .host(operation: "archive", path: root, errno: ENOTDIR) }
        let directory = try HostDirectory(path: root)
        let entries = try scanDirectory(directory)
        if problemCount > 0 { throw .unstorable(problems, total: problemCount) }
        return HostTreePlan(summary: summary, entries: entries)
    }

    private mutating func report(_ path: String, _ reason: String) {
        problemCount += 1
        if problems.count < problemLimit { problems.append(ArchiveProblem(path: path, reason: reason)) }
    }

    /// Scans `directory`; returns its entries for the plan (those kept while there are no
    /// problems: once one is found nothing will be copied, so nothing more is kept).
    private mutating func scanDirectory(_ directory: HostDirectory) throws(ArchiveError) -> [PlannedEntry] {
        let names: [[UInt8]]
        do {
            names = try directory.names()
        } catch {
            report(directory.path, "cannot list the directory: \(Self.reason(error))")
            return []
        }
        var planned: [PlannedEntry] = []
        planned.reserveCapacity(names.count)
        for name in names {
            let path = directory.path(of: name)
            if let problem = HostName.problem(name) { report(path, problem) }
            let status: HostStatus
            do {
                status = try directory.status(of: name)
            } catch {
                report(path, "cannot read its status: \(Self.reason(error))")
                continue
            }
            if status.inode == excluded {
                summary.skipped.append(path)
                continue
            }
            if status.kind != .directory && status.linkCount > 1 && !seenLinks.insert(status.inode).inserted {
                summary.hardLinks += 1
                if problemCount == 0 { planned.append(PlannedEntry(name: name, status: status, children: [])) }
                continue
            }
            var children: [PlannedEntry] = []
            switch status.kind {
            case .directory:
                summary.directories += 1
                do {
                    children = try scanDirectory(HostDirectory(in: directory, name: name))
                } catch {
                    report(path, "cannot open the directory: \(Self.reason(error))")
                }
            case .regular:
                summary.files += 1
                summary.bytes += status.size
                do {
                    close(try directory.openFile(name))
                } catch {
                    report(path, "cannot open the file: \(Self.reason(error))")
                }
            case .symlink:
                summary.symlinks += 1
            case .socket:
                summary.sockets += 1
            case .fifo, .characterDevice, .blockDevice:
                summary.specials += 1
            case .unknown:
                report(path, "a file of unknown type")
            }
            if problemCount == 0 { planned.append(PlannedEntry(name: name, status: status, children: children)) }
        }
        return planned
    }

    private static func reason(_ error: ArchiveError) -> String {
        if case .host(_, _, let code) = error { return String(cString: strerror(code)) }
        return error.description
    }
}
