import RedoxFS

/// Pass 1: the header ring (spec §15.1 items 1–7, 6a). Finds the file system like the reference
/// opener (§2.1), then looks at every slot of its ring: valid or not, which generation, which header
/// wins and why; checks the winner's size, pointers, padding and key slots, and unlocks it.
struct HeaderPass {
    /// What pass 1 found; the rest of the check runs on `header`.
    struct Findings {
        var header: Header
        var slot: UInt64
        var startBlock: UInt64
        var ring: [HeaderSlotReport]
        var problems: [Problem]
        var keys: DataKeys?
        /// The other valid headers of the same file system older than `header`, newest first.
        var older: [(slot: UInt64, header: Header)] = []
        /// The newest commit, when the open-time check found it torn (`NewestCommitCheck`):
        /// `header` is then the generation before it, as every opener uses.
        var tornCommit: TornCommit?
        /// The newest generation of the ring (above `header`'s when the newest commit is torn):
        /// a repair writes after it.
        var newestGeneration: UInt64 { tornCommit?.generation ?? header.generation }
    }

    static func run(
        device: inout any StorageDevice, options: CheckOptions, password: () -> [UInt8]?
    ) throws(CheckError) -> Findings {
        let deviceBlocks = device.blockCount
        let location: HeaderRing.Location
        do {
            location = try HeaderRing.locate(on: &device, startBlock: options.startBlock, deviceBlocks: deviceBlocks)
        } catch .noValidHeader {
            throw .noFileSystem
        } catch {
            throw .device(.format(error))
        }
        let base = location.startBlock
        let slotCount = Int(min(RedoxFS.headerRing, deviceBlocks - base))
        let ringBytes: [UInt8]
        do {
            ringBytes = try device.readBlocks(at: base, count: slotCount)
        } catch {
            throw .device(.format(error))
        }
        var findings = Findings(
            header: location.header, slot: location.slot, startBlock: base, ring: [], problems: [], keys: nil)
        let winner = location.header
        let nextSlot = (winner.generation &+ 1) % RedoxFS.headerRing

        for slot in 0..<Int(RedoxFS.headerRing) {
            let index = UInt64(slot)
            guard slot < slotCount else {
                findings.ring.append(HeaderSlotReport(
                    slot: index, state: .missing, generation: nil, chosen: false, note: "past the end of the device"))
                continue
            }
            let block = Array(ringBytes[slot * RedoxFS.blockSize..<(slot + 1) * RedoxFS.blockSize])
            let header = Header(block: block)
            if header.isValid, header.uuid == winner.uuid, header.generation < winner.generation,
               header.generation % RedoxFS.headerRing == index {
                findings.older.append((index, header))
            }
            findings.ring.append(classify(
                header, slot: index, winner: winner, winnerSlot: location.slot, nextSlot: nextSlot,
                problems: &findings.problems))
        }

        findings.older.sort { $0.header.generation > $1.header.generation }
        checkWinner(winner, slot: location.slot, base: base, deviceBlocks: deviceBlocks, problems: &findings.problems)

        if winner.isEncrypted, let keys = options.dataKeys, winner.accepts(keys) {
            findings.keys = keys
        } else if winner.isEncrypted {
            guard let password = options.password ?? password() else { throw .passwordRequired }
            do {
                findings.keys = try winner.unlock(password: password, deriveKey: Sodium.argon2id(password:salt:)).keys
            } catch {
                throw .wrongPassword
            }
        }
        checkNewestCommit(&findings, device: &device)
        return findings
    }

    /// The open-time check every opener runs (`NewestCommitCheck`): a torn commit written with one
    /// flush is no damage; its generation is passed over, as the engine does when it opens.
    private static func checkNewestCommit(_ findings: inout Findings, device: inout any StorageDevice) {
        let cipher = findings.keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        let newest = HeaderRing.Location(header: findings.header, startBlock: findings.startBlock, slot: findings.slot)
        guard case .torn(let previous, let cause) = NewestCommitCheck.check(newest, on: &device, cipher: cipher) else { return }
        findings.tornCommit = TornCommit(
            generation: findings.header.generation, usedGeneration: previous.header.generation, cause: cause)
        for index in findings.ring.indices {
            if findings.ring[index].slot == findings.slot {
                findings.ring[index].chosen = false
                findings.ring[index].note = "newest valid generation: its commit is torn (a block of it does not verify), not used"
            } else if findings.ring[index].slot == previous.slot {
                findings.ring[index].chosen = true
                findings.ring[index].note = "in use: the newest commit after it is torn"
            }
        }
        findings.header = previous.header
        findings.slot = previous.slot
        findings.older = findings.older.filter { $0.header.generation < previous.header.generation }
    }

    /// One slot: its state, and the problems it shows.
    private static func classify(
        _ header: Header, slot: UInt64, winner: Header, winnerSlot: UInt64, nextSlot: UInt64, problems: inout [Problem]
    ) -> HeaderSlotReport {
        if slot != winnerSlot, let expected = HeaderRing.expectedGeneration(inSlot: slot, newest: winner.generation),
           !(header.isValid && header.uuid == winner.uuid && header.generation == expected) {
            return hole(header, slot: slot, expected: expected, winner: winner, nextSlot: nextSlot, problems: &problems)
        }
        if header.isBlank {
            return HeaderSlotReport(slot: slot, state: .empty, generation: nil, chosen: false, note: "never written")
        }
        let generation = header.generation
        guard header.isValid else {
            let reason: String
            if !header.signatureMatches {
                reason = "no RedoxFS signature"
            } else if header.version != RedoxFS.version {
                reason = "version \(header.version), not 8"
            } else {
                reason = "checksum mismatch"
            }
            let carriesGeneration = header.signatureMatches && header.version == RedoxFS.version
            let generationText = carriesGeneration ? ", generation \(generation)" : ""
            if slot == 0, winner.isEncrypted, carriesGeneration, generation == 0, header.uuid == winner.uuid {
                // The reference mkfs writes the generation-0 header before the key slot and never
                // re-hashes it (spec §2.1): legal, but the bootloader cannot open the disk.
                problems.append(Problem(
                    .headerSlotZeroInvalid,
                    "header slot 0 holds the generation-0 header of an encrypted mkfs, not valid until generation 256: opening with an explicit start block (the bootloader) fails",
                    slot: 0))
                return HeaderSlotReport(
                    slot: slot, state: .damaged, generation: generation, chosen: false,
                    note: "generation 0 of an encrypted mkfs (\(reason))")
            }
            if slot == nextSlot, carriesGeneration, generation == winner.generation &+ 1 {
                problems.append(Problem(
                    .headerNewestTorn,
                    "header slot \(slot) holds a torn write of generation \(generation) (\(reason)); generation \(winner.generation) is in use and the last commit is lost",
                    slot: slot, fix: .rewriteHeader))
                return HeaderSlotReport(
                    slot: slot, state: .damaged, generation: generation, chosen: false,
                    note: "torn newest header\(generationText): \(reason)")
            }
            let bootNote = slot == 0 ? "; the bootloader cannot open the disk" : ""
            problems.append(Problem(
                .headerSlotDamaged, "header slot \(slot) is damaged (\(reason)\(generationText))\(bootNote)",
                slot: slot, fix: .clearHeaderSlot(slot: slot)))
            return HeaderSlotReport(
                slot: slot, state: .damaged, generation: carriesGeneration ? generation : nil, chosen: false,
                note: reason + generationText)
        }

        let chosen = slot == winnerSlot
        var notes: [String] = []
        if chosen {
            notes.append("newest valid generation: in use")
        } else if generation == winner.generation {
            notes.append("same generation as the header in use, which comes first in the ring")
        } else {
            notes.append("older than generation \(winner.generation)")
        }
        if generation % RedoxFS.headerRing != slot {
            notes.append("generation belongs in slot \(generation % RedoxFS.headerRing)")
            problems.append(Problem(
                .headerGenerationSlotMismatch,
                "header slot \(slot) holds generation \(generation), which belongs in slot \(generation % RedoxFS.headerRing)",
                slot: slot, fix: chosen ? .rewriteHeader : .clearHeaderSlot(slot: slot)))
        }
        if header.uuid != winner.uuid {
            notes.append("uuid \(FileSystem.format(uuid: header.uuid)) of another file system")
            problems.append(Problem(
                .headerForeignUUID,
                "header slot \(slot) (generation \(generation)) belongs to another file system (uuid \(FileSystem.format(uuid: header.uuid))); it would be chosen once its generation is the highest",
                slot: slot, fix: .clearHeaderSlot(slot: slot)))
        }
        return HeaderSlotReport(
            slot: slot, state: .valid, generation: generation, chosen: chosen, note: notes.joined(separator: "; "))
    }

    /// A slot of a wrapped ring (every slot written in turn) that does not hold the generation it
    /// should: zeroed, garbled, or holding a generation out of sequence. The slot after the header in
    /// use is filled by the repair's own commit; any other is rewritten from the newest header.
    private static func hole(
        _ header: Header, slot: UInt64, expected: UInt64, winner: Header, nextSlot: UInt64, problems: inout [Problem]
    ) -> HeaderSlotReport {
        let carriesGeneration = header.signatureMatches && header.version == RedoxFS.version
        if slot == nextSlot, carriesGeneration, !header.isValid, header.generation == winner.generation &+ 1 {
            problems.append(Problem(
                .headerNewestTorn,
                "header slot \(slot) holds a torn write of generation \(header.generation); generation \(winner.generation) is in use and the last commit is lost",
                slot: slot, fix: .rewriteHeader))
            return HeaderSlotReport(
                slot: slot, state: .damaged, generation: header.generation, chosen: false, note: "torn newest header")
        }
        let found: String
        let state: HeaderSlotReport.State
        if header.isBlank {
            found = "is zeroed"
            state = .empty
        } else if !header.isValid {
            found = "is garbled (\(carriesGeneration ? "checksum mismatch" : "no RedoxFS header"))"
            state = .damaged
        } else if header.uuid != winner.uuid {
            found = "holds a header of another file system"
            state = .damaged
        } else {
            found = "holds generation \(header.generation), out of sequence"
            state = .damaged
        }
        let fix: RepairAction = slot == nextSlot ? .rewriteHeader : .rewriteHeaderSlot(slot: slot, generation: expected)
        problems.append(Problem(
            .headerRingHole,
            "header slot \(slot) should hold generation \(expected) (the ring has wrapped: newest generation \(winner.generation)) but \(found)",
            slot: slot, fix: fix))
        return HeaderSlotReport(
            slot: slot, state: state, generation: header.isValid ? header.generation : nil, chosen: false,
            note: "hole: should hold generation \(expected) but \(found)")
    }

    /// The header in use: size, pointers, padding, key slots.
    private static func checkWinner(
        _ header: Header, slot: UInt64, base: UInt64, deviceBlocks: UInt64, problems: inout [Problem]
    ) {
        let blocks = header.blockCount
        if blocks < RedoxFS.minimumBlocks {
            problems.append(Problem(
                .headerTooSmall, "the header gives \(blocks) blocks; a file system has at least \(RedoxFS.minimumBlocks)",
                slot: slot))
        }
        let available = deviceBlocks - base
        if blocks > available {
            problems.append(Problem(
                .fileSystemTruncated,
                "the file system has \(blocks) blocks but the device holds only \(available) after its start: blocks \(available)…\(blocks - 1) are missing (truncated image?)",
                slot: slot, fix: .shrinkFileSystem(blocks: available)))
        }
        if header.tree.isNull {
            problems.append(Problem(.headerNullPointer, "the header in use (slot \(slot)) has no node tree", slot: slot))
        }
        if header.alloc.isNull {
            problems.append(Problem(
                .headerNullPointer, "the header in use (slot \(slot)) has no allocation log", slot: slot,
                fix: .rebuildAllocator))
        }
        if !header.paddingIsZero {
            let range = Header.paddingRange
            problems.append(Problem(
                .headerPaddingNonZero,
                "the padding of the header in use (bytes \(range.lowerBound)…\(range.upperBound - 1)) is not zero", slot: slot,
                fix: .rewriteHeader))
        }
        if !header.isEncrypted {
            let used = (0..<RedoxFS.keySlotCount).filter { !header.keySlotIsZero($0) }
            if !used.isEmpty {
                problems.append(Problem(
                    .headerUnusedKeySlotNonZero,
                    "the file system is not encrypted but key slot(s) \(used.map(String.init).joined(separator: ", ")) are not zero",
                    slot: slot, fix: .rewriteHeader))
            }
        }
    }
}
