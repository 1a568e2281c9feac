import RedoxFS

/// What a check run may do, as chosen on the command line.
public enum RepairMode: String, Codable, Sendable {
    /// `-n`: open read-only, change nothing, answer "no" to every fix.
    case none
    /// `-p` (or `-a`): apply only the safe fixes (`RepairAction.isSafe`); other errors are left.
    case preen
    /// `-y`: apply every fix.
    case all
}

/// The settings of one check run.
public struct CheckOptions: Sendable {
    public var repair: RepairMode
    /// Also read every block of the file system and name the owners of bad ones.
    public var scrub: Bool
    /// Password of an encrypted file system.
    public var password: [UInt8]?
    /// The data keys of an encrypted file system, when already known (tried before the password).
    public var dataKeys: DataKeys?
    /// Device block of the header ring's slot 0; nil: scan like the reference opener.
    public var startBlock: UInt64?
    /// Most problems of one code kept in the report (the count of all of them is always kept).
    public var problemLimitPerCode: Int
    /// Read blocks of an image file that are not in the page cache straight from the device
    /// (`FileDevice.prefersDirectReads`): less CPU on a cold image, but nothing is left cached
    /// for the next run. Off by default.
    public var directReads = false
    /// Threads that check the directories' structure in pass 3: one per core, at most four.
    var structureThreads = max(1, min(4, NodePrefetcher.onlineProcessors))
    /// Directories below which pass 3 checks them on the calling thread alone (tests lower it).
    var threadedDirectories = 64
    /// Hash blocks with `CSeaHash`'s vector code where the processor has it (node blocks in
    /// batches, `BatchSeaHash`; other blocks one by one, `HostedProviders.seaHash`). Tests turn it
    /// off to compare with hashing by the format core, per check (never a global: suites run in
    /// parallel).
    var vectorSeaHash = true
    /// Threads that read and verify node blocks ahead in pass 2 (`NodePrefetcher`): one per
    /// core, at most four (tests set other counts).
    var prefetchWorkers = max(1, min(4, NodePrefetcher.onlineProcessors))

    public init(
        repair: RepairMode = .none, scrub: Bool = false, password: [UInt8]? = nil, startBlock: UInt64? = nil,
        problemLimitPerCode: Int = 1000
    ) {
        self.repair = repair
        self.scrub = scrub
        self.password = password
        self.startBlock = startBlock
        self.problemLimitPerCode = problemLimitPerCode
    }
}

/// Hooks the caller gives a check: progress reporting and cancellation.
public struct CheckObserver {
    /// Called when a pass starts.
    public var passStarted: (CheckPass) -> Void
    /// Called now and then while a pass runs.
    public var progress: (CheckProgress) -> Void
    /// Polled between units of work; returning true cancels the check (`CheckError.cancelled`).
    public var isCancelled: () -> Bool

    public init(
        passStarted: @escaping (CheckPass) -> Void = { _ in },
        progress: @escaping (CheckProgress) -> Void = { _ in },
        isCancelled: @escaping () -> Bool = { false }
    ) {
        self.passStarted = passStarted
        self.progress = progress
        self.isCancelled = isCancelled
    }
}
