import RedoxFS

/// Checks a RedoxFS file system on a device and reports what it finds (`CheckReport`). Damage is
/// reported, never thrown; only a device that cannot be read, a missing file system, a missing or
/// wrong password and cancellation end a check early (`CheckError`). With `-p` or `-y` the fixes
/// are then applied in one commit and the file system is checked again.
public enum FileSystemChecker {
    /// Runs every pass over the file system on `device`. `password` is asked for only when the file
    /// system is encrypted and `options.password` is nil.
    public static func check(
        device: any StorageDevice, options: CheckOptions = CheckOptions(), observer: CheckObserver = CheckObserver(),
        password: () -> [UInt8]? = { nil }
    ) throws(CheckError) -> CheckReport {
        let clock = ContinuousClock()
        let started = clock.now
        var device = device

        observer.passStarted(.headers)
        let findings = try HeaderPass.run(device: &device, options: options, password: password)
        var context = makeContext(
            header: findings.header, slot: findings.slot, findings: findings, device: device, options: options,
            observer: observer)
        context.ring = findings.ring
        for problem in findings.problems { context.report(problem) }
        observer.progress(CheckProgress(pass: .headers, done: RedoxFS.headerRing, total: RedoxFS.headerRing))
        var summaries = [CheckReport.PassSummary(
            pass: .headers, title: CheckPass.headers.title, seconds: seconds(clock.now - started),
            errors: context.errorCount, warnings: context.warningCount)]
        summaries += try runPasses(&context, scrub: options.scrub, observer: observer)
        context.resolvePaths()
        context.statistics.blocksRead = context.reader.blocksRead

        // Damage that loses data: would an older header, whose whole tree verifies, do better?
        var fallback: Fallback?
        if losesData(context) {
            fallback = try findFallback(findings: findings, newest: context, device: device, options: options, observer: observer)
        }

        var plan = RepairPlan(fixes: context.fixes)
        if let fallback {
            plan = RepairPlan(
                fixes: [.fallBackToHeader(slot: fallback.base.headerSlot, generation: fallback.base.header.generation)]
                    + fallback.base.fixes)
        }
        var allowed = plan.allowed(in: options.repair)
        if options.repair == .preen, fallback != nil { allowed = [] }

        var counts: [String: Int] = [:]
        for (code, count) in context.problemCounts { counts[code.rawValue] = count }
        var report = CheckReport(
            uuid: FileSystem.format(uuid: context.header.uuid), generation: context.header.generation,
            headerSlot: context.headerSlot, startBlock: context.startBlock, encrypted: context.header.isEncrypted,
            repairMode: options.repair, scrubbed: options.scrub, ring: context.ring, passes: summaries,
            problems: context.problems, problemCounts: counts, statistics: context.statistics,
            badBlocks: ScrubPass.badBlocks(context),
            repairs: plan.actions.map {
                CheckReport.PlannedRepair(action: $0, summary: $0.summary, safe: $0.isSafe, applied: false)
            },
            repairNote: fallback.map {
                "the header of generation \($0.base.header.generation) (slot \($0.base.headerSlot)) has a tree that verifies completely: a repair falls back to it, losing the last \(context.header.generation - $0.base.header.generation) commit(s) instead of the damaged data"
            },
            seconds: 0, exitStatus: context.errorCount > 0 ? FsckExitStatus.uncorrected : FsckExitStatus.clean,
            errors: context.errorCount, warnings: context.warningCount)
        if options.repair == .preen, fallback != nil {
            report.repairNote = (report.repairNote ?? "") + "; -p does not fall back: run with -y"
        }

        if !allowed.isEmpty {
            observer.passStarted(.repair)
            let base = fallback?.base ?? context
            let newer = fallback.map { [context] + $0.intermediate } ?? []
            try repair(&report, base: base, newer: newer, allowed: allowed, device: device, options: options, password: password)
        }
        report.seconds = seconds(clock.now - started)
        return report
    }

    // MARK: Passes

    private static func makeContext(
        header: Header, slot: UInt64, findings: HeaderPass.Findings, device: any StorageDevice, options: CheckOptions,
        observer: CheckObserver
    ) -> CheckContext {
        let cipher = findings.keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        let reader = CheckBlockReader(
            device: device, startBlock: findings.startBlock, blockCount: header.blockCount, cipher: cipher)
        var context = CheckContext(options: options, observer: observer, reader: reader, header: header, headerSlot: slot)
        context.keys = findings.keys
        return context
    }

    /// Passes 2–5 (and 6 with `scrub`) over `context`'s header.
    private static func runPasses(
        _ context: inout CheckContext, scrub: Bool, observer: CheckObserver
    ) throws(CheckError) -> [CheckReport.PassSummary] {
        let clock = ContinuousClock()
        var passes: [(CheckPass, (inout CheckContext) throws(CheckError) -> Void)] = [
            (.tree, TreePass.run), (.directories, DirectoryPass.run), (.linkCounts, LinkCountPass.run),
            (.space, SpacePass.run),
        ]
        if scrub { passes.append((.scrub, ScrubPass.run)) }
        var summaries: [CheckReport.PassSummary] = []
        for (pass, run) in passes {
            try context.checkCancelled()
            observer.passStarted(pass)
            let passStart = clock.now
            let (errors, warnings) = (context.errorCount, context.warningCount)
            try run(&context)
            summaries.append(CheckReport.PassSummary(
                pass: pass, title: pass.title, seconds: seconds(clock.now - passStart),
                errors: context.errorCount - errors, warnings: context.warningCount - warnings))
        }
        return summaries
    }

    // MARK: Falling back to an older header

    /// An older header to base the repair on, and the contexts of the headers newer than it.
    struct Fallback {
        var base: CheckContext
        var intermediate: [CheckContext]
    }

    /// Problems that make a local repair lose data: unreadable nodes, directories, tree lists, records.
    private static func losesData(_ context: CheckContext) -> Bool {
        let unreadable: Set<ProblemCode> = [
            .checksumMismatch, .readError, .pointerOutOfRange, .pointerInHeaderRing, .pointerBadLevel,
            .recordBadCompression,
        ]
        return context.problems.contains { problem in
            unreadable.contains(problem.code) && problem.severity == .error
                && problem.structure != Structure.allocList.name
        }
    }

    /// The previous generation's header when its whole tree checks without an error and falling back
    /// loses fewer nodes than repairing the newest tree in place, or nil. Only one generation back:
    /// blocks freed by the newest commit are still intact (nothing committed after it could reuse
    /// them), while anything older may have been overwritten. The comparison keeps a tree that merely
    /// verifies (the empty tree of mkfs under one big commit) from replacing a nearly intact one.
    private static func findFallback(
        findings: HeaderPass.Findings, newest: CheckContext, device: any StorageDevice, options: CheckOptions,
        observer: CheckObserver
    ) throws(CheckError) -> Fallback? {
        var intermediate: [CheckContext] = []
        let quiet = CheckObserver(isCancelled: observer.isCancelled)
        var candidateOptions = options
        candidateOptions.scrub = false
        let previous = findings.older.filter { $0.header.generation + 1 == newest.header.generation }
        for candidate in previous.prefix(1) {
            var context = makeContext(
                header: candidate.header, slot: candidate.slot, findings: findings, device: device,
                options: candidateOptions, observer: quiet)
            _ = try runPasses(&context, scrub: false, observer: quiet)
            context.resolvePaths()
            if context.errorCount == 0, changedNodes(newest, context) < localLoss(newest) {
                return Fallback(base: context, intermediate: intermediate)
            }
            intermediate.append(context)
        }
        return nil
    }

    /// Nodes a local repair of `context` would lose or leave nameless: unreadable nodes, entries
    /// naming nodes lost with their tree list, orphans, files cut short.
    private static func localLoss(_ context: CheckContext) -> Int {
        let unreadable = context.nodes.values.filter { $0.state != .readable }.count
        let counts = context.problemCounts
        let cut = context.fixes.filter { if case .truncateFile = $0 { return true } else { return false } }.count
        return unreadable + counts[.danglingEntry, default: 0] + counts[.orphanNode, default: 0] + cut
    }

    /// Nodes whose block differs between two trees (changed, added or removed by the commits
    /// between them): what falling back from `newest` to `older` loses.
    private static func changedNodes(_ newest: CheckContext, _ older: CheckContext) -> Int {
        var changed = 0
        for (id, node) in newest.nodes where older.nodes[id]?.block != node.block { changed += 1 }
        for id in older.nodes.keys where newest.nodes[id] == nil { changed += 1 }
        return changed
    }

    // MARK: Repair

    /// Applies `allowed` on `base` (protecting what the `newer` headers use), then checks again.
    private static func repair(
        _ report: inout CheckReport, base: CheckContext, newer: [CheckContext], allowed: [RepairAction],
        device: any StorageDevice, options: CheckOptions, password: () -> [UInt8]?
    ) throws(CheckError) {
        var repairer = Repairer(context: base, keys: base.keys)
        let protected = newer.flatMap { $0.claims.claims.map { $0.start..<$0.end } }
        let outcome = try repairer.run(allowed, device: device, protecting: protected, ring: report.ring)
        let applied = Set(outcome.applied)
        let fellBack = applied.contains { if case .fallBackToHeader = $0 { return true } else { return false } }
        for index in report.repairs.indices where applied.contains(report.repairs[index].action) {
            report.repairs[index].applied = true
        }
        for index in report.problems.indices {
            if let fix = report.problems[index].fix, fellBack || applied.contains(fix) { report.problems[index].fixed = true }
        }
        var notes: [String] = report.repairNote.map { [$0] } ?? []
        if !outcome.cutFiles.isEmpty { notes.append("files cut at unreadable records: " + outcome.cutFiles.joined(separator: "; ")) }
        if !outcome.reconnected.isEmpty {
            let shown = outcome.reconnected.prefix(20).joined(separator: ", ")
            let more = outcome.reconnected.count > 20 ? " and \(outcome.reconnected.count - 20) more" : ""
            notes.append("reconnected: " + shown + more)
        }
        if !outcome.failures.isEmpty { notes.append("not done: " + outcome.failures.joined(separator: "; ")) }
        var recheckOptions = options
        recheckOptions.repair = .none
        recheckOptions.scrub = false
        recheckOptions.dataKeys = base.keys
        let after = try check(device: device, options: recheckOptions, observer: CheckObserver(), password: password)
        report.remainingErrors = after.errors
        report.remainingProblems = after.problems.filter { $0.severity == .error }
        notes.append("checked again after the repair: \(after.errors) error(s), \(after.warnings) warning(s) remain")
        report.repairNote = notes.joined(separator: "\n")
        report.exitStatus = (applied.isEmpty ? 0 : FsckExitStatus.corrected)
            | (after.errors > 0 ? FsckExitStatus.uncorrected : 0)
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
