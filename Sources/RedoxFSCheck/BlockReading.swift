import RedoxFS

/// The outcome of reading one block reachable from the header.
enum BlockRead {
    /// Read, decrypted and verified.
    case bytes([UInt8])
    /// Some of its blocks are already used by another structure: not read again (pass 5 names both).
    case shared
    /// Claimed but unusable (unreadable, corrupt, past the device); the problem has been reported.
    case failed
    /// Not even a valid pointer (out of range, bad level): nothing was claimed; reported.
    case invalid
    /// Checked through its pointer and claimed, not read (a data record outside `--scrub`).
    case unread
    /// A node block read, decrypted and verified ahead by a worker (`NodePrefetcher`), in place.
    case node(NodeView)

    /// Whether the blocks were claimed for the owner (they count in its block total).
    var isClaimed: Bool {
        if case .invalid = self { return false }
        return true
    }
}

extension CheckContext {
    /// Checks `pointer` for `structure` (range, level), claims its blocks for `owner`, then reads,
    /// decrypts and verifies them (with `verify` false: stops after the claim, `.unread`). Problems are reported here, with `where` saying which pointer it
    /// was ("record 5", "entry 3 of the root tree list") and `fix` what a repair would do about it.
    mutating func read(
        _ pointer: BlockPointer, as structure: Structure, owner: BlockOwner, where describePlace: @autoclosure () -> String,
        fix: RepairAction?, severity: Severity? = nil, verify: Bool = true,
        prefetched: NodePrefetcher.Outcome? = nil
    ) -> BlockRead {
        let address = pointer.address
        let node = owner.nodeID
        // Words are only made for problems: this runs for every block of the file system.
        var place: String { describePlace() }
        var subject: String { "\(structure.name) pointer (\(place))" }
        do {
            try checkPointer(pointer, as: structure, blockCount: blockCount)
        } catch {
            switch error {
            case .outOfBounds:
                if address.index < RedoxFS.headerRing {
                    report(
                        .pointerInHeaderRing, "\(subject) names block \(address.index), inside the header ring",
                        block: address.index, structure: structure, node: node, fix: fix, severity: severity)
                } else {
                    report(
                        .pointerOutOfRange,
                        "\(subject) names blocks \(address.index)…\(address.index &+ address.blockCount &- 1), beyond the \(blockCount) blocks of the file system",
                        block: address.index, structure: structure, node: node, fix: fix, severity: severity)
                }
            case .invalidLevel(_, _, let level):
                report(
                    .pointerBadLevel, "\(subject) at block \(address.index) has level \(level), not allowed for a \(structure.name)",
                    block: address.index, structure: structure, node: node, fix: fix, severity: severity)
            default:
                report(.readError, "\(subject): \(error)", block: address.index, structure: structure, node: node, fix: fix, severity: severity)
            }
            return .invalid
        }
        if address.level > 0, address.index % address.blockCount != 0 {
            report(
                .blockMisaligned,
                "\(structure.name) at block \(address.index) (\(place)) spans \(address.blockCount) blocks but is not aligned to them",
                block: address.index, structure: structure, node: node, severity: .warning)
        }
        let fresh = claims.claim(start: address.index, count: address.blockCount, owner: owner, structure: structure)
        let readable = reader.readableBlocks
        if address.index >= readable || address.blockCount > readable - address.index {
            report(
                .pointerPastDevice,
                "\(structure.name) at block \(address.index) (\(place)) lies past the end of the device (\(readable) blocks readable)",
                block: address.index, structure: structure, node: node, fix: fix, severity: severity)
            return .failed
        }
        guard fresh else { return .shared }
        guard verify else { return .unread }
        do throws(FormatError) {
            if let prefetched {
                // Read ahead by a worker with the same rule (`NodePrefetcher`); counted here.
                reader.countPrefetched(address.blockCount)
                return .node(try prefetched.get())
            }
            return .bytes(try reader.read(pointer, as: structure))
        } catch {
            switch error {
            case .hashMismatch(_, _, let expected, let actual):
                report(
                    .checksumMismatch,
                    "\(structure.name) at block \(address.index) (\(place)): checksum mismatch, expected \(hex(expected)), found \(hex(actual))",
                    block: address.index, structure: structure, node: node, fix: fix, severity: severity)
            default:
                report(
                    .readError, "\(structure.name) at block \(address.index) (\(place)): \(error)",
                    block: address.index, structure: structure, node: node, fix: fix, severity: severity)
            }
            return .failed
        }
    }
}

/// `value` as 0x-prefixed, zero-padded hexadecimal.
func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}
