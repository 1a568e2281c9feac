/// Every kind of problem the checker reports. The raw value is the stable name used in the JSON
/// report and in the text output; `ProblemTable` gives each its severity and meaning.
public enum ProblemCode: String, Codable, Sendable, CaseIterable {
    // Pass 1: header ring (spec §15.1 items 1–6a).
    case headerSlotDamaged = "header-slot-damaged"
    case headerSlotZeroInvalid = "header-slot0-invalid"
    case headerGenerationSlotMismatch = "header-generation-slot-mismatch"
    case headerForeignUUID = "header-foreign-uuid"
    case headerNewestTorn = "header-newest-torn"
    case headerRingHole = "header-ring-hole"
    case headerTooSmall = "header-size-too-small"
    case fileSystemTruncated = "file-system-truncated"
    case headerPaddingNonZero = "header-padding-nonzero"
    case headerUnusedKeySlotNonZero = "header-unused-key-slot-nonzero"
    case headerNullPointer = "header-null-pointer"

    // Any pointer (items 7–9, 11).
    case pointerOutOfRange = "pointer-out-of-range"
    case pointerInHeaderRing = "pointer-in-header-ring"
    case pointerPastDevice = "pointer-past-device-end"
    case pointerBadLevel = "pointer-bad-level"
    case pointerBadCompression = "pointer-bad-compression"
    case checksumMismatch = "checksum-mismatch"
    case readError = "read-error"
    case blockMisaligned = "block-misaligned"

    // Pass 2: node tree and nodes (items 17–28).
    case treeFlagMismatch = "tree-flag-mismatch"
    case treeReservedFlagSet = "tree-reserved-flag-set"
    case treeEmptyList = "tree-empty-list"
    case rootMissing = "root-missing"
    case rootNotDirectory = "root-not-directory"
    case nodeBadType = "node-bad-type"
    case nodeBadRecordLevel = "node-bad-record-level"
    case nodeBadFlags = "node-bad-flags"
    case nodePaddingNonZero = "node-padding-nonzero"
    case directoryInline = "directory-inline"
    case directoryRecordLevel = "directory-record-level"
    case directoryExtraPointers = "directory-extra-pointers"
    case nodeBlockCount = "node-block-count"
    case inlineTailNonZero = "inline-tail-nonzero"
    case staleRecord = "stale-record"
    case recordBadCompression = "record-bad-compression"
    case fileTooLarge = "file-too-large"
    case specialNodeContent = "special-node-content"

    // Pass 3: directories (items 29–34).
    case directoryBadMarker = "directory-bad-marker"
    case dirListMalformed = "dir-list-malformed"
    case dirListEmpty = "dir-list-empty"
    case nameInvalid = "name-invalid"
    case danglingEntry = "dangling-entry"
    case entryToUnreadableNode = "entry-to-unreadable-node"
    case duplicateName = "duplicate-name"
    case htreeSlotsNotPrefix = "htree-slots-not-prefix"
    case htreeUnsorted = "htree-unsorted"
    case htreeBadEmptySlot = "htree-bad-empty-slot"
    case htreeSlotHash = "htree-slot-hash"
    case htreeEmptyNode = "htree-empty-node"
    case htreePaddingNonZero = "htree-padding-nonzero"
    case nameNotFindable = "name-not-findable"
    case directorySize = "directory-size"
    case directoryHardLinked = "directory-hard-linked"
    case directoryReachableTwice = "directory-reachable-twice"
    case directoryCycle = "directory-cycle"

    // Pass 4: link counts, orphans, release list (items 24, 25, 35).
    case linkCount = "link-count"
    case orphanNode = "orphan-node"
    case releaseListCycle = "release-list-cycle"
    case releaseEntryInvalid = "release-entry-invalid"
    case releaseListLong = "release-list-long"

    // Pass 5: allocation log and space (items 10, 12–16).
    case allocChainCycle = "alloc-chain-cycle"
    case allocEntryOutOfRange = "alloc-entry-out-of-range"
    case allocEntryInHeaderRing = "alloc-entry-in-header-ring"
    case allocAllocatesUsed = "alloc-allocates-used-block"
    case allocDoubleFree = "alloc-double-free"
    case allocEntriesNotPrefix = "alloc-entries-not-prefix"
    case blockUsedTwice = "block-used-twice"
    case blockUsedButFree = "block-used-but-free"
    case blockLeaked = "block-leaked"

    // Scrub.
    case scrubReadError = "scrub-read-error"
}
