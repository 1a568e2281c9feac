/// The outcome of a check: what was checked, every problem found, what a repair did or would do,
/// and the fsck(8) exit status. Codable: `redoxfs-fsck --json` prints it.
public struct CheckReport: Codable, Sendable {
    /// How one pass went.
    public struct PassSummary: Codable, Sendable, Equatable {
        public var pass: CheckPass
        public var title: String
        public var seconds: Double
        public var errors: Int
        public var warnings: Int
    }

    /// A fix the run applied or would apply.
    public struct PlannedRepair: Codable, Sendable, Equatable {
        public var action: RepairAction
        public var summary: String
        /// Allowed under `-p`.
        public var safe: Bool
        /// Carried out by this run.
        public var applied: Bool
    }

    public var uuid: String
    public var generation: UInt64
    /// Ring slot of the header in use.
    public var headerSlot: UInt64
    /// Device block where the file system starts.
    public var startBlock: UInt64
    public var encrypted: Bool
    public var repairMode: RepairMode
    public var scrubbed: Bool
    public var ring: [HeaderSlotReport]
    public var passes: [PassSummary]
    /// The problems, in the order found (at most `CheckOptions.problemLimitPerCode` per code).
    public var problems: [Problem]
    /// How many problems of each code were found, kept or not.
    public var problemCounts: [String: Int]
    public var statistics: CheckStatistics
    /// Bad blocks and their owners (filled by `--scrub`).
    public var badBlocks: [BadBlock]
    /// The fixes for the problems found, in the order a repair applies them.
    public var repairs: [PlannedRepair]
    /// Why repairs were not carried out, when they were asked for and could not be.
    public var repairNote: String?
    public var seconds: Double
    /// The fsck(8) exit status the run ends with.
    public var exitStatus: Int32

    /// After a repair: errors a second check still finds (nil when nothing was repaired).
    public var remainingErrors: Int?
    /// After a repair: the errors the second check found.
    public var remainingProblems: [Problem]?
    /// Errors found (all of them, also those past the per-code limit).
    public var errors: Int
    /// Warnings found (all of them).
    public var warnings: Int
    /// The rewind to an older generation a repair makes (or, without -y, would make).
    public var rewind: RewindSummary? = nil
    /// Set when the newest commit was torn in the way a commit written with one flush may be
    /// (see `NewestCommitCheck`): one line saying which generation is in use instead. No damage.
    public var tornCommit: String? = nil
}

/// The fsck(8) exit status bits.
public enum FsckExitStatus {
    public static let clean: Int32 = 0
    public static let corrected: Int32 = 1
    public static let rebootAdvised: Int32 = 2
    public static let uncorrected: Int32 = 4
    public static let operationalError: Int32 = 8
    public static let usageError: Int32 = 16
    public static let cancelled: Int32 = 32
}
