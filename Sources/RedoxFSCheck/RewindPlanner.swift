import RedoxFS

/// A rewind: what the repair gives up by basing itself on an older, intact generation.
public struct RewindSummary: Codable, Sendable, Equatable {
    /// The newest generation on disk (damaged).
    public var fromGeneration: UInt64
    /// The generation whose tree the repair keeps.
    public var toGeneration: UInt64
    public var toSlot: UInt64
    /// The generation the rewind's header gets (after the newest: the ring stays monotonic).
    public var newGeneration: UInt64
    /// Commits whose changes are given up.
    public var commitsGivenUp: UInt64
    /// Paths of the newest readable state that the rewound tree lacks or holds in another version.
    public var pathsChanged: Int
    /// Bytes whose content the rewound tree holds nowhere (those paths' and nameless files').
    public var bytesChanged: UInt64
    /// The first of those paths.
    public var changedPaths: [String]
    /// Paths a repair of the newest tree in place would lose instead.
    public var inPlaceLoss: Int
    /// Whether `-p` may apply it: only the newest generation's own blocks are damaged (a torn commit).
    public var tornCommit: Bool

    /// The rewind in words.
    public var summary: String {
        let shown = changedPaths.prefix(20).joined(separator: ", ")
        let more = pathsChanged > 20 ? " and \(pathsChanged - 20) more" : ""
        return "rewind from generation \(fromGeneration) to generation \(toGeneration) (slot \(toSlot)), written as generation \(newGeneration): gives up \(commitsGivenUp) commit(s) and \(pathsChanged) path(s) changed since (\(bytesChanged) bytes of content held nowhere else)\(pathsChanged > 0 ? ": " + shown + more : ""); repairing the newest tree in place would lose \(inPlaceLoss) path(s)"
    }
}

/// Chooses between repairing the newest tree in place and rewinding to an older generation, by
/// what each keeps (spec of issue 11): the loss of a choice is the paths (and their bytes) of the
/// newest readable state that the result will not have. The newest readable state is the newest
/// generation's tree, with what lies below its unreadable tree lists and directories taken from
/// the newest older generation that can read it.
enum RewindPlanner {
    /// The loss of one choice.
    struct Loss: Comparable {
        /// Paths of the newest readable state the result does not have (missing, another version,
        /// unreadable, or kept only under another name).
        var paths: [String] = []
        /// Bytes whose content the result holds nowhere (nameless files of the newest tree included).
        var bytes: UInt64 = 0

        /// Paths first, then bytes.
        static func < (a: Loss, b: Loss) -> Bool { (a.paths.count, a.bytes) < (b.paths.count, b.bytes) }
        static func == (a: Loss, b: Loss) -> Bool { !(a < b) && !(b < a) }
    }

    /// The decision: the generation to rewind to, with what it and the in-place repair lose.
    struct Decision {
        var target: GenerationSurvey
        var location: HeaderRing.Location
        var loss: Loss
        var inPlace: Loss
        /// Whether the target is intact (else the repair also fixes it in place).
        var intact: Bool
    }

    /// Surveys every generation of the ring (newest first) and returns the rewind that loses least,
    /// when it loses less than repairing the newest tree in place; nil to repair in place.
    /// `recreatesRoot`: the in-place repair would store an empty root, which is never chosen while
    /// some generation has a readable one.
    static func decide(
        newest: HeaderRing.Location, older: [HeaderRing.Location], surveyor: GenerationSurveyor, recreatesRoot: Bool,
        isCancelled: () -> Bool
    ) -> Decision? {
        let current = surveyor.survey(newest)
        var surveys: [(HeaderRing.Location, GenerationSurvey)] = []
        for location in older where location.header.generation < newest.header.generation {
            if isCancelled() { return nil }
            surveys.append((location, surveyor.survey(location)))
        }
        let reference = self.reference(newest: current, older: surveys.map(\.1))
        let inPlace = loss(
            of: current, against: reference, keeping: Set(current.orphans.map(\.node)), orphans: [], keepsRoot: true)
        var best: Decision?
        for (location, survey) in surveys where survey.isIntact {
            let candidate = loss(of: survey, against: reference, keeping: [], orphans: current.orphans, keepsRoot: false)
            if best == nil || candidate < best!.loss {
                best = Decision(target: survey, location: location, loss: candidate, inPlace: inPlace, intact: true)
            }
        }
        if let chosen = best, chosen.loss < inPlace { return chosen }
        // An empty root is never stored while an older generation has a readable one that keeps
        // at least as much.
        if recreatesRoot, best == nil,
           let (location, survey) = surveys.first(where: { $0.1.entries["/"]?.kind == .directory && !$0.1.unreadable.contains("/") }) {
            let candidate = loss(of: survey, against: reference, keeping: [], orphans: current.orphans, keepsRoot: false)
            if !(inPlace < candidate) {
                return Decision(target: survey, location: location, loss: candidate, inPlace: inPlace, intact: false)
            }
        }
        return nil
    }

    /// The newest readable state: each path as the newest generation has it, and below what the
    /// newest cannot read, as the newest older generation that reads it has it.
    static func reference(newest: GenerationSurvey, older: [GenerationSurvey]) -> [String: GenerationSurvey.Entry] {
        var state = newest.entries
        guard !newest.unreadable.isEmpty else { return state }
        for survey in older {
            for (path, entry) in survey.entries where state[path] == nil && newest.isUnknown(path) {
                state[path] = entry
            }
        }
        return state
    }

    /// What `result` lacks of `reference`: paths missing, held in another version, or not
    /// readable. Bytes count only content `result` holds nowhere: not at its path, not under
    /// another name, not kept nameless by the repair (`keeping`). `orphans`, the newest tree's
    /// nameless readable files, lose their bytes when `result` holds their content nowhere.
    /// `keepsRoot`: the result has a root directory whatever the survey says (an in-place repair
    /// stores one).
    static func loss(
        of result: GenerationSurvey, against reference: [String: GenerationSurvey.Entry], keeping: Set<BlockPointer>,
        orphans: [GenerationSurvey.Entry], keepsRoot: Bool
    ) -> Loss {
        var held = keeping
        for entry in result.entries.values where entry.isReadable { held.insert(entry.node) }
        var loss = Loss()
        for (path, wanted) in reference {
            if path == "/", keepsRoot { continue }
            if let have = result.entries[path] {
                let sameVersion = wanted.kind == .directory ? have.kind == .directory : have.node == wanted.node
                if sameVersion && have.isReadable { continue }
            }
            loss.paths.append(path)
            if wanted.kind != .directory, !held.contains(wanted.node) { loss.bytes += wanted.size }
        }
        for orphan in orphans where !held.contains(orphan.node) { loss.bytes += orphan.size }
        loss.paths.sort()
        return loss
    }
}
