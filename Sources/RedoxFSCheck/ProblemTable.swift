/// How serious a problem is.
///
/// Errors are states the reference implementation would misbehave on (spec §15.1 "E"); warnings are
/// states the reference itself produces or that do no harm (spec §15.1 "W"). Only errors make the
/// exit status non-zero: like e2fsck, a check that finds warnings alone exits 0.
public enum Severity: String, Codable, Sendable, Comparable {
    case warning
    case error

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
}

/// What a problem code means: severity, checklist item, short title and explanation.
public struct ProblemDefinition: Sendable {
    public var code: ProblemCode
    public var severity: Severity
    /// The pass that reports it.
    public var pass: CheckPass
    /// The item of the spec's checklist (§15.1) it implements, as text ("13", "6a").
    public var checklistItem: String
    /// A short title.
    public var title: String
}

/// The table of problems, in the manner of e2fsck's problem.c: one row per code.
public enum ProblemTable {
    /// The definition of `code`.
    public static func definition(_ code: ProblemCode) -> ProblemDefinition {
        let (severity, pass, item, title) = row(code)
        return ProblemDefinition(code: code, severity: severity, pass: pass, checklistItem: item, title: title)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private static func row(_ code: ProblemCode) -> (Severity, CheckPass, String, String) {
        switch code {
        case .headerSlotDamaged: return (.error, .headers, "1", "damaged header slot")
        case .headerSlotZeroInvalid: return (.warning, .headers, "4", "header slot 0 is not valid (explicit-block opens fail)")
        case .headerGenerationSlotMismatch: return (.error, .headers, "3", "header stored in the wrong ring slot")
        case .headerForeignUUID: return (.error, .headers, "6a", "stale header of another file system")
        case .headerNewestTorn: return (.error, .headers, "1", "torn newest header (the last commit was lost)")
        case .headerRingHole: return (.error, .headers, "1", "a slot of a wrapped ring lacks the generation it should hold")
        case .headerTooSmall: return (.error, .headers, "5", "file system smaller than 260 blocks")
        case .fileSystemTruncated: return (.error, .headers, "5", "file system larger than its device (truncated image)")
        case .headerPaddingNonZero: return (.warning, .headers, "6", "header padding not zero")
        case .headerUnusedKeySlotNonZero: return (.warning, .headers, "6", "unused key slot not zero")
        case .headerNullPointer: return (.error, .headers, "7", "header lacks a required pointer")

        case .pointerOutOfRange: return (.error, .tree, "7", "pointer beyond the end of the file system")
        case .pointerInHeaderRing: return (.error, .tree, "7", "pointer into the header ring")
        case .pointerPastDevice: return (.error, .tree, "5", "block lies past the end of the device")
        case .pointerBadLevel: return (.error, .tree, "8", "pointer level not allowed for its structure")
        case .pointerBadCompression: return (.error, .tree, "8", "compressed-record levels out of rule")
        case .checksumMismatch: return (.error, .tree, "9", "checksum mismatch")
        case .readError: return (.error, .tree, "9", "read error")
        case .blockMisaligned: return (.warning, .tree, "11", "multi-block extent not aligned")

        case .treeFlagMismatch: return (.error, .tree, "17", "tree list flags disagree with its pointers")
        case .treeReservedFlagSet: return (.error, .tree, "17", "tree list flag of entry 254/255 set")
        case .treeEmptyList: return (.warning, .tree, "18", "tree list with no entries is still linked")
        case .rootMissing: return (.error, .tree, "19", "root directory (node 1) missing")
        case .rootNotDirectory: return (.error, .tree, "19", "root node is not a directory")
        case .nodeBadType: return (.error, .tree, "20", "node type unknown")
        case .nodeBadRecordLevel: return (.error, .tree, "22", "record level above 5")
        case .nodeBadFlags: return (.error, .tree, "22", "unknown node flags")
        case .nodePaddingNonZero: return (.warning, .tree, "20", "node padding not zero")
        case .directoryInline: return (.error, .tree, "21", "directory marked inline")
        case .directoryRecordLevel: return (.error, .tree, "21", "directory record level not 0")
        case .directoryExtraPointers: return (.error, .tree, "21", "directory uses level pointers beyond level0[1]")
        case .nodeBlockCount: return (.error, .tree, "23", "node block count wrong")
        case .inlineTailNonZero: return (.warning, .tree, "26", "inline bytes beyond the size not zero")
        case .staleRecord: return (.warning, .tree, "26", "record pointer beyond the end of the file")
        case .recordBadCompression: return (.error, .tree, "27", "compressed record does not decode")
        case .fileTooLarge: return (.error, .tree, "28", "file size beyond the addressable range")
        case .specialNodeContent:
            return (.warning, .tree, "20", "FIFO or socket with content, or device node without an inline 8-byte device number")

        case .directoryBadMarker: return (.error, .directories, "29", "directory marker invalid")
        case .dirListMalformed: return (.error, .directories, "30", "directory block malformed")
        case .dirListEmpty: return (.error, .directories, "30", "empty directory block still linked")
        case .nameInvalid: return (.error, .directories, "30", "invalid name")
        case .danglingEntry: return (.error, .directories, "30", "entry names a node that does not exist")
        case .entryToUnreadableNode: return (.error, .directories, "30", "entry names an unreadable node")
        case .duplicateName: return (.error, .directories, "32", "name appears twice in a directory")
        case .htreeSlotsNotPrefix: return (.error, .directories, "31", "index slots in use do not form a prefix")
        case .htreeUnsorted: return (.error, .directories, "31", "index slots not sorted by hash")
        case .htreeBadEmptySlot: return (.error, .directories, "31", "empty index slot not FFFFFFFF + null")
        case .htreeSlotHash: return (.error, .directories, "31", "index slot hash is not the maximum below it")
        case .htreeEmptyNode: return (.error, .directories, "31", "empty index block still linked")
        case .htreePaddingNonZero: return (.error, .directories, "31", "index block padding not zero")
        case .nameNotFindable: return (.error, .directories, "32", "name not found by lookup (hash order broken)")
        case .directorySize: return (.error, .directories, "33", "directory size disagrees with its blocks")
        case .directoryHardLinked: return (.warning, .directories, "34", "directory has more than one link")
        case .directoryReachableTwice: return (.error, .directories, "34", "directory reachable twice")
        case .directoryCycle: return (.error, .directories, "34", "directory cycle")

        case .linkCount: return (.error, .linkCounts, "24", "link count wrong")
        case .orphanNode: return (.error, .linkCounts, "25", "node not reachable from the root")
        case .releaseListCycle: return (.error, .linkCounts, "35", "release list chain does not end")
        case .releaseEntryInvalid: return (.error, .linkCounts, "35", "release list names an invalid node")
        case .releaseListLong: return (.warning, .linkCounts, "35", "release list longer than one block")

        case .allocChainCycle: return (.error, .space, "12", "allocation log chain does not end")
        case .allocEntryOutOfRange: return (.error, .space, "13", "allocation log entry beyond the file system")
        case .allocEntryInHeaderRing: return (.error, .space, "13", "allocation log frees the header ring")
        case .allocAllocatesUsed: return (.error, .space, "13", "allocation log allocates a block already in use")
        case .allocDoubleFree: return (.error, .space, "13", "allocation log frees a block already free")
        case .allocEntriesNotPrefix: return (.warning, .space, "16", "allocation log entries not a prefix")
        case .blockUsedTwice: return (.error, .space, "10", "block used by two structures")
        case .blockUsedButFree: return (.error, .space, "14", "block in use is marked free")
        case .blockLeaked: return (.warning, .space, "15", "allocated block referenced by nothing")

        case .scrubReadError: return (.error, .scrub, "9", "block cannot be read from the device")
        }
    }
}
