import RedoxFSFormat

/// The generations of the header ring: opening an older one as it was, and refusing a newest one
/// whose tree cannot be read (naming the newest intact generation instead of failing later).
extension FileSystemEngine {
    /// Finds the newest header of the ring, or with `generation` that generation's header (valid,
    /// of the same file system, in its own slot); an older generation can only be read.
    static func locate(
        on device: inout Device, startBlock: UInt64?, generation: UInt64?, writable: Bool
    ) throws(FileSystemError) -> HeaderRing.Location {
        let newest: HeaderRing.Location
        do throws(FormatError) {
            newest = try HeaderRing.locate(on: &device, startBlock: startBlock, deviceBlocks: device.blockCount)
        } catch {
            throw .format(error)
        }
        guard let generation else { return newest }
        guard !writable else {
            throw .invalidArgument("an older generation (\(generation)) can only be opened read-only")
        }
        let ring: [HeaderRing.Location]
        do throws(FormatError) {
            ring = try HeaderRing.generations(on: &device, ring: newest, deviceBlocks: device.blockCount)
        } catch {
            throw .format(error)
        }
        guard let found = ring.first(where: { $0.header.generation == generation }) else {
            let known = ring.map { String($0.header.generation) }
            let shown = known.count > 12 ? known.prefix(12).joined(separator: ", ") + ", …" : known.joined(separator: ", ")
            throw .invalidArgument(
                "generation \(generation) is not in the header ring (valid generations, newest first: \(shown))")
        }
        return found
    }

    /// The valid generations of this file system's header ring, newest first.
    public func ringGenerations() throws(FileSystemError) -> [HeaderRing.Location] {
        try lock.locked { () throws(FileSystemError) in
            let newest = HeaderRing.Location(header: header, startBlock: startBlock, slot: headerSlot)
            do throws(FormatError) {
                return try HeaderRing.generations(on: &device, ring: newest, deviceBlocks: device.blockCount)
            } catch {
                throw .format(error)
            }
        }
    }

    /// A surveyor of this file system's generations, sharing what it verifies between them.
    public func makeSurveyor() -> RingSurveyor<Device, Providers.Cipher> {
        RingSurveyor(device: device, startBlock: startBlock, cipher: cipher)
    }

    /// Runs the open-time check of the newest generation (`NewestCommitCheck`): when its commit is
    /// torn (written with one flush, a power cut before the flush ended), opens the generation
    /// before it instead, in memory; the next commit is then written after the torn generation,
    /// with two flushes (its base is not the ring's generation below it). A device error during the
    /// check is thrown: whether the newest commit is torn is then unknown.
    func adoptIntactNewest() throws(FileSystemError) {
        let newest = HeaderRing.Location(header: header, startBlock: startBlock, slot: headerSlot)
        baseIsRingPredecessor = headerSlot == header.ringSlot
        let outcome = NewestCommitCheck.check(newest, on: &device, cipher: cipher)
        if case .unreadable(let cause) = outcome { throw .format(cause) }
        guard case .torn(let previous, let cause) = outcome else { return }
        tornNewestCommit = TornCommit(generation: header.generation, usedGeneration: previous.header.generation, cause: cause)
        header = previous.header
        working = previous.header
        headerSlot = previous.slot
        baseIsRingPredecessor = false
    }

    /// Reads the root directory's node and top directory block; when they do not verify, throws
    /// `.damagedGeneration` naming the newest older generation whose whole tree verifies.
    func refuseDamagedNewest() throws(FileSystemError) {
        let cause: FormatError
        do throws(FormatError) {
            var reader = self.reader
            let root = try reader.node(RedoxFS.rootNodeID)
            guard root.isDirectory else { throw FormatError.malformed(.node, block: 0, .notADirectory) }
            let marker = root.levelPointer(0)
            if marker.isMarker, !root.levelPointer(1).isNull {
                _ = try reader.reader.read(root.levelPointer(1), as: marker.markerDepth == 0 ? .dirList : .hTreeNode)
            }
            return
        } catch {
            cause = error
        }
        let surveyor = makeSurveyor()
        let older = ((try? ringGenerations()) ?? []).filter { $0.header.generation < header.generation }
        let intact = older.first { surveyor.survey($0).isIntact }
        throw .damagedGeneration(generation: header.generation, cause: cause, newestIntact: intact?.header.generation)
    }
}

