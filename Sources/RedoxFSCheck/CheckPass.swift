/// The passes of a check, in the order they run.
public enum CheckPass: Int, Codable, Sendable, CaseIterable, Comparable {
    /// Every slot of the header ring: valid or not, generations, which header wins and why.
    case headers = 1
    /// Every block reachable from the header: read, decrypted, hash-checked, decompressed;
    /// tree lists and node fields checked.
    case tree = 2
    /// Directory entries, names, hash-tree invariants, reachability (cycles, directories linked twice).
    case directories = 3
    /// Link counts against the references found, orphans, the release list.
    case linkCounts = 4
    /// The allocation log against the blocks in use: leaks, blocks used twice, used blocks marked free.
    case space = 5
    /// With `--scrub`: every block of the file system read again, bad ones named by their owners.
    case scrub = 6
    /// With `-p` or `-y`: the fixes, one commit, then a second check.
    case repair = 7

    public static func < (lhs: CheckPass, rhs: CheckPass) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The pass's title as printed by the tool.
    public var title: String {
        switch self {
        case .headers: return "Checking the header ring"
        case .tree: return "Checking the node tree, nodes and every reachable block"
        case .directories: return "Checking directory structure and reachability"
        case .linkCounts: return "Checking link counts and orphans"
        case .space: return "Checking the allocation log against the blocks in use"
        case .scrub: return "Scrubbing every block of the file system"
        case .repair: return "Repairing (one commit) and checking again"
        }
    }

    /// What the progress counter of the pass counts.
    public var unit: String {
        switch self {
        case .headers: return "slots"
        case .tree: return "nodes"
        case .directories: return "directories"
        case .linkCounts: return "nodes"
        case .space: return "log blocks"
        case .scrub: return "blocks"
        case .repair: return "fixes"
        }
    }
}

/// Progress of the running pass: `done` of `total` units (see `CheckPass.unit`).
public struct CheckProgress: Sendable, Equatable {
    public var pass: CheckPass
    public var done: UInt64
    public var total: UInt64

    public init(pass: CheckPass, done: UInt64, total: UInt64) {
        self.pass = pass
        self.done = done
        self.total = total
    }
}
