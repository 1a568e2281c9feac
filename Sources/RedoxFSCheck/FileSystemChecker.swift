import RedoxFS

/// Checks a RedoxFS file system on a device and reports what it finds (`CheckReport`). Damage is
/// reported, never thrown; only a device that cannot be read, a missing file system, a missing or
/// wrong password and cancellation end a check early (`CheckError`).
public enum FileSystemChecker {
    /// Runs every pass over the file system on `device`. `password` is asked for only when the file
    /// system is encrypted and `options.password` is nil.
    public static func check(
        device: any StorageDevice, options: CheckOptions = CheckOptions(), observer: CheckObserver = CheckObserver(),
        password: () -> [UInt8]? = { nil }
    ) throws(CheckError) -> CheckReport {
        let clock = ContinuousClock()
        let started = clock.now
        var summaries: [CheckReport.PassSummary] = []
        var device = device

        observer.passStarted(.headers)
        let findings = try HeaderPass.run(device: &device, options: options, password: password)
        let headerSeconds = seconds(clock.now - started)
        let cipher = findings.keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        let reader = CheckBlockReader(
            device: device, startBlock: findings.startBlock, blockCount: findings.header.blockCount, cipher: cipher)
        var context = CheckContext(
            options: options, observer: observer, reader: reader, header: findings.header, headerSlot: findings.slot)
        context.ring = findings.ring
        for problem in findings.problems { context.report(problem) }
        observer.progress(CheckProgress(pass: .headers, done: RedoxFS.headerRing, total: RedoxFS.headerRing))
        summaries.append(CheckReport.PassSummary(
            pass: .headers, title: CheckPass.headers.title, seconds: headerSeconds, errors: context.errorCount,
            warnings: context.warningCount))

        var passes: [(CheckPass, (inout CheckContext) throws(CheckError) -> Void)] = [
            (.tree, TreePass.run), (.directories, DirectoryPass.run), (.linkCounts, LinkCountPass.run),
            (.space, SpacePass.run),
        ]
        if options.scrub { passes.append((.scrub, ScrubPass.run)) }
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

        context.resolvePaths()
        context.statistics.blocksRead = context.reader.blocksRead
        let plan = RepairPlan(problems: context.problems)
        let allowed = Set(plan.allowed(in: options.repair))
        var counts: [String: Int] = [:]
        for (code, count) in context.problemCounts { counts[code.rawValue] = count }
        let exitStatus = context.errorCount > 0 ? FsckExitStatus.uncorrected : FsckExitStatus.clean
        return CheckReport(
            uuid: FileSystem.format(uuid: context.header.uuid), generation: context.header.generation,
            headerSlot: context.headerSlot, startBlock: context.startBlock, encrypted: context.header.isEncrypted,
            repairMode: options.repair, scrubbed: options.scrub, ring: context.ring, passes: summaries,
            problems: context.problems, problemCounts: counts, statistics: context.statistics,
            badBlocks: ScrubPass.badBlocks(context),
            repairs: plan.actions.map {
                CheckReport.PlannedRepair(action: $0, summary: $0.summary, safe: $0.isSafe, applied: false)
            },
            repairNote: allowed.isEmpty ? nil : "repairs are not available yet: the engine has no write path",
            seconds: seconds(clock.now - started), exitStatus: exitStatus, errors: context.errorCount,
            warnings: context.warningCount)
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
