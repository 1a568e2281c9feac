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
        AllocatorTuning.apply()
        let (report, context) = try checkKeepingContext(
            device: device, options: options, observer: observer, password: password)
        RetiredContext.release(consume context)
        return report
    }

    /// `check`, also giving back the newest generation's context for `RetiredContext` to free.
    private static func checkKeepingContext(
        device: any StorageDevice, options: CheckOptions, observer: CheckObserver, password: () -> [UInt8]?
    ) throws(CheckError) -> (CheckReport, CheckContext) {
        let clock = ContinuousClock()
        let started = clock.now
        var device = device
        // Blocks not in the page cache read direct, when asked for.
        if options.directReads, var file = device as? FileDevice {
            file.prefersDirectReads = true
            device = file
        }

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
        if options.scrub { context.statistics.scrubSeconds = seconds(clock.now - started) }

        // Damage that loses data: would an older generation, whose whole tree verifies, keep more?
        var fallback: Fallback?
        if losesData(context) || context.fixes.contains(.recreateRoot) {
            fallback = try findFallback(findings: findings, newest: context, device: device, options: options, observer: observer)
        }

        var plan = RepairPlan(fixes: context.fixes)
        if let fallback {
            // The rewound tree's own fixes, and the newest ring's (torn slot, holes, stray headers).
            let ringFixes = context.fixes.filter { action in
                switch action {
                case .clearHeaderSlot, .rewriteHeaderSlot, .rewriteHeader: return true
                default: return false
                }
            }
            plan = RepairPlan(
                fixes: [.fallBackToHeader(slot: fallback.base.headerSlot, generation: fallback.base.header.generation)]
                    + fallback.base.fixes + ringFixes)
        }
        var allowed = plan.allowed(in: options.repair)
        if options.repair == .preen, let fallback {
            // -p rewinds only a torn commit: the newest generation's own blocks are what is damaged.
            allowed = fallback.rewind.tornCommit ? plan.actions.filter { $0.isSafe || $0.isFallBack } : []
        }

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
            repairNote: fallback.map { $0.rewind.summary },
            seconds: 0, exitStatus: context.errorCount > 0 ? FsckExitStatus.uncorrected : FsckExitStatus.clean,
            errors: context.errorCount, warnings: context.warningCount)
        report.rewind = fallback?.rewind
        report.tornCommit = findings.tornCommit?.description
        if options.repair == .preen, let fallback, !fallback.rewind.tornCommit {
            report.repairNote = "-p rewinds only a torn newest commit, and more than the newest commit's own blocks are damaged; -y would \(fallback.rewind.summary)"
        }

        if !allowed.isEmpty {
            observer.passStarted(.repair)
            let base = fallback?.base ?? context
            let newer = fallback == nil ? [] : [context]
            try repair(
                &report, base: base, newer: newer, writtenAfter: findings.newestGeneration, allowed: allowed, device: device,
                options: options, password: password)
        }
        report.seconds = seconds(clock.now - started)
        return (report, context)
    }

    // MARK: Passes

    private static func makeContext(
        header: Header, slot: UInt64, findings: HeaderPass.Findings, device: any StorageDevice, options: CheckOptions,
        observer: CheckObserver
    ) -> CheckContext {
        let cipher = findings.keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        let reader = CheckBlockReader(
            device: device, startBlock: findings.startBlock, blockCount: header.blockCount, cipher: cipher,
            vectorHashes: options.vectorHashes)
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

    /// An older generation to base the repair on, and what choosing it gives up.
    struct Fallback {
        var base: CheckContext
        var rewind: RewindSummary
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

    /// The generation to rewind to when that keeps more than repairing the newest tree in place
    /// (`RewindPlanner`), checked in full as the base of the repair; nil to repair in place.
    private static func findFallback(
        findings: HeaderPass.Findings, newest: CheckContext, device: any StorageDevice, options: CheckOptions,
        observer: CheckObserver
    ) throws(CheckError) -> Fallback? {
        let surveyor = GenerationSurveyor(device: device, startBlock: findings.startBlock, keys: findings.keys)
        let location = HeaderRing.Location(header: findings.header, startBlock: findings.startBlock, slot: findings.slot)
        let older = findings.older.map { HeaderRing.Location(header: $0.header, startBlock: findings.startBlock, slot: $0.slot) }
        guard let decision = RewindPlanner.decide(
            newest: location, older: older, surveyor: surveyor, recreatesRoot: newest.fixes.contains(.recreateRoot),
            isCancelled: observer.isCancelled)
        else {
            try newest.checkCancelled()
            return nil
        }
        let quiet = CheckObserver(isCancelled: observer.isCancelled)
        var candidateOptions = options
        candidateOptions.scrub = false
        var base = makeContext(
            header: decision.location.header, slot: decision.location.slot, findings: findings, device: device,
            options: candidateOptions, observer: quiet)
        _ = try runPasses(&base, scrub: false, observer: quiet)
        base.resolvePaths()
        // A torn commit: the generation just before the newest is intact, and every damaged block
        // of the newest is one that generation does not use (the newest commit wrote it).
        let damaged = newest.problems.filter { $0.severity == .error && $0.block != nil && $0.code != .blockLeaked }
        let torn = decision.intact && decision.location.header.generation + 1 == newest.header.generation
            && damaged.allSatisfy { base.claims.owners(of: $0.block ?? 0).isEmpty }
        let rewind = RewindSummary(
            fromGeneration: newest.header.generation, toGeneration: decision.location.header.generation,
            toSlot: decision.location.slot, newGeneration: newest.header.generation + 1,
            commitsGivenUp: newest.header.generation - decision.location.header.generation,
            pathsChanged: decision.loss.paths.count, bytesChanged: decision.loss.bytes,
            changedPaths: Array(decision.loss.paths.prefix(50)), inPlaceLoss: decision.inPlace.paths.count,
            tornCommit: torn)
        return Fallback(base: base, rewind: rewind)
    }

    // MARK: Repair

    /// Applies `allowed` on `base` (protecting what the `newer` headers use), then checks again.
    private static func repair(
        _ report: inout CheckReport, base: CheckContext, newer: [CheckContext], writtenAfter newestGeneration: UInt64,
        allowed: [RepairAction],
        device: any StorageDevice, options: CheckOptions, password: () -> [UInt8]?
    ) throws(CheckError) {
        var repairer = Repairer(context: base, keys: base.keys)
        let protected = newer.flatMap { $0.claims.claims.map { $0.start..<$0.end } }
        let outcome = try repairer.run(
            allowed, device: device, protecting: protected, ring: report.ring, writtenAfter: newestGeneration)
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
